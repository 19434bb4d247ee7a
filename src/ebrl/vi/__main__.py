"""`python -m ebrl.vi ...`, the same as `ebrl vi ...`."""

import sys

from ebrl.cli import main

raise SystemExit(main(["vi", *sys.argv[1:]]))
