"""The entry point of a compile worker process (``parallel.py`` starts it)."""

from __future__ import annotations

import sys

from .worker import serve

if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
