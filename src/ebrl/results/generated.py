"""The generated parts of the markdown in docs/results, and the generators that write them.

A README marks each number it takes from a committed file:

    <!-- generated: NAME ARG ... -->TEXT<!-- end -->

NAME is a generator registered for that README, called with the README's folder and the ARGs (words, quoted as in a
shell where they hold spaces); TEXT is what it returned, inline when that is one line, on lines of its own when it is
a table or a paragraph. A part whose numbers have no committed file says why, visibly, and is marked

    <!-- unchecked: WHY -->TEXT<!-- end -->

so that no table slips outside the two kinds of part unnoticed (`problems`).
"""

import difflib
import re
import shlex
from collections.abc import Callable
from pathlib import Path

PART = re.compile(r"<!-- (?P<kind>generated|unchecked): (?P<call>.*?) -->(?P<body>.*?)<!-- end -->", re.S)
GENERATORS: dict[str, dict[str, Callable[..., str]]] = {}
READMES = ("README.md", "benchmarks.md")


def generates(readme: str):
    """Register the decorated function as a generator of the README at `readme` (relative to docs/results; "*":
    of every README)."""

    def register(fn: Callable[..., str]) -> Callable[..., str]:
        GENERATORS.setdefault(readme, {})[fn.__name__] = fn
        return fn

    return register


def used_generators(readme: Path) -> set[str]:
    """The names of the generators the README's generated parts call."""
    return {shlex.split(part["call"])[0] for part in PART.finditer(readme.read_text()) if part["kind"] == "generated"}


def readmes(root: Path) -> list[Path]:
    """Every README.md under root, and root's benchmarks.md."""
    return sorted(p for p in root.rglob("*.md") if p.name in READMES)


def render(readme: Path, root: Path) -> str:
    """The README's text with every generated part written again from its folder's files."""
    generators = GENERATORS.get("*", {}) | GENERATORS.get(readme.relative_to(root).as_posix(), {})

    def regenerate(part: re.Match) -> str:
        if part["kind"] == "unchecked":
            return part[0]
        name, *args = shlex.split(part["call"])
        if name not in generators:
            raise KeyError(f"{readme}: no generator {name!r} is registered for it")
        text = generators[name](readme.parent, *args)
        body = f"\n{text}\n" if "\n" in text or "\n" in part["body"] else text
        return f"<!-- generated: {part['call']} -->{body}<!-- end -->"

    return PART.sub(regenerate, readme.read_text())


def problems(readme: Path, root: Path) -> list[str]:
    """What is wrong with the README: a generated part that differs from what its files give (a diff), a file it
    needs that is missing, a table row with a number outside any part, or the claim that a folder holds every
    seed's files made by hand (the generator `seed_files` makes it, from the folder)."""
    try:
        expected = render(readme, root)
    except (OSError, KeyError, ValueError) as error:
        return [f"{readme}: {error}"]
    found = []
    text = readme.read_text()
    if expected != text:
        diff = difflib.unified_diff(text.splitlines(), expected.splitlines(), "committed", "generated", lineterm="")
        found.append(f"{readme}: generated parts differ from their files\n" + "\n".join(diff))
    outside = PART.sub("", text)
    for line in outside.splitlines():
        if line.startswith("|") and re.search(r"\d", line):
            found.append(f"{readme}: a table row with numbers outside any generated or unchecked part: {line}")
    if re.search(r"every seed'?s", outside, re.I):
        found.append(f"{readme}: says 'every seed's' outside a generated part")
    return found
