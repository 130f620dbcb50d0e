"""``python -m bench.reproduce table1|table2``: the command line of :mod:`bench.cli.reproduce`."""

import sys

from bench.cli.reproduce import main

if __name__ == "__main__":
    sys.exit(main())
