"""`python -m ebrl.vi ...`, the same as `ebrl vi ...`."""

import sys

from ebrl.commands import main

raise SystemExit(main(["vi", *sys.argv[1:]]))
