"""``python -m vtrack.cli``: the ``vtrack`` command."""

import sys

from vtrack.cli import main

sys.exit(main())
