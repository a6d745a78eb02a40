"""``python -m midstream``: the command line (see :mod:`midstream.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
