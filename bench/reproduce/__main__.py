"""``python -m bench.reproduce table1|table2``: the command line of :mod:`bench.cli.reproduce`."""

import sys

from bench.cli.reproduce import main

sys.exit(main())
