"""``python -m wazaot``: the same command line as the ``wazaot`` script."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
