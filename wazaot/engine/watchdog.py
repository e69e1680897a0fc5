"""Timeouts: one daemon thread that interrupts calls past their deadline.

``f.call(..., timeout=S)`` arms the watchdog before entering and disarms it after;
when a deadline passes first, the watchdog interrupts the calling thread's state
(``ThreadState.interrupt``): the next loop header or function prologue of that
thread's wasm code traps with ``interrupted``. An interrupt of a call that has just
returned finds no running entry and does nothing.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
import time
from typing import Any


class Watchdog:
    """Deadlines for running calls, served by one daemon thread started on first use."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._heap: list[tuple[float, int, Any]] = []
        self._cancelled: set[int] = set()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, state: Any, seconds: float) -> int:
        """Interrupt ``state``'s calls in ``seconds`` unless disarmed; returns a token."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError(f"timeout must be a number of seconds, got {type(seconds).__name__}")
        if not seconds > 0 or math.isnan(seconds):
            raise ValueError(f"timeout must be positive, got {seconds!r}")
        token = next(self._seq)
        with self._cv:
            heapq.heappush(self._heap, (time.monotonic() + seconds, token, state))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="wazaot-watchdog",
                                                daemon=True)  # fmt: skip
                self._thread.start()
            self._cv.notify()
        return token

    def disarm(self, token: int) -> None:
        with self._cv:
            self._cancelled.add(token)

    def _run(self) -> None:
        with self._cv:
            while True:
                while not self._heap:
                    self._cv.wait()
                deadline, token, state = self._heap[0]
                delay = deadline - time.monotonic()
                if token not in self._cancelled and delay > 0:
                    self._cv.wait(delay)
                    continue
                heapq.heappop(self._heap)
                if token in self._cancelled:
                    self._cancelled.discard(token)
                else:
                    state.interrupt()


WATCHDOG = Watchdog()
"""The process's watchdog."""
