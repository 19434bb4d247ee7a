"""`python -m ebrl ...`, the same as `ebrl ...`."""

import sys

from ebrl.commands import main

sys.exit(main())
