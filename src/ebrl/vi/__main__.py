"""`python -m ebrl.vi ...`, the same as `ebrl vi ...`."""

import sys

from ebrl.vi.cli import main

raise SystemExit(main(sys.argv[1:]))
