"""The entry point of a compile worker process (``parallel.py`` starts it)."""

from __future__ import annotations

import gc
import sys

from .isas import host_arch, target_isa
from .worker import serve

if __name__ == "__main__":
    arch = host_arch()
    if arch is not None:
        target_isa(arch)  # import the backend while the parent decodes the module
    # A compile makes millions of short-lived objects and few cycles: the collector's
    # default rhythm (every 700 allocations) costs about 5% of a worker's time.
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    serve(sys.stdin.buffer, sys.stdout.buffer)
