"""Paper reproductions: each a function that writes figures and tables."""
