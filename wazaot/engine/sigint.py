"""Ctrl-C while the main thread runs wasm code.

The main thread's execution contexts are listed in a native table that a signal
handler of machine code reads (``TargetISA.interrupt_handler``): on SIGINT it sets the
interrupt flag of those with a running call, then jumps to the handler it replaced
(Python's, which records the signal). The interrupted call traps at its next loop
header or function entry; the exit that serves the trap runs Python code on the main
thread, where Python's own handler raises ``KeyboardInterrupt``, which then reaches
the caller like any exception raised in a host function (listeners see it too).

The handler is installed when the main thread first calls into a Runtime, and again
whenever that finds it replaced (``signal.signal`` puts Python's handler back). It
chains only to a plain C handler; with ``SIG_IGN``, ``SIG_DFL`` or a foreign
``SA_SIGINFO`` handler in place, nothing is installed and Ctrl-C acts when the call
returns. Execution contexts listed once are never freed, so the handler never writes
to freed memory (a few hundred bytes per Runtime the main thread calls).
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from ..machinst.isa import TargetISA
from ..native import signals
from ..native.call import ffi
from ..native.execmem import CodeMemory

SLOTS = 64  # main-thread execution contexts the handler can interrupt at once

_lock = threading.Lock()
_table = ffi.new("uint64_t[]", 2 + SLOTS)  # replaced handler, slot count, contexts
_table[1] = SLOTS
_handler: CodeMemory | None = None
_kept: list[Any] = []  # every context ever listed (see the module docstring)


def _install(isa: TargetISA) -> None:
    global _handler
    if _handler is None:
        stub = isa.interrupt_handler(int(ffi.cast("uintptr_t", _table)))
        _handler = CodeMemory.from_code(stub.code)
    address = _handler.address
    current = signals.current_handler(signal.SIGINT)
    if current is None or current[0] == address:
        return
    replaced = signals.chain_handler(signal.SIGINT, address)
    if replaced is not None:
        _table[0] = replaced


def watch(ctx: Any, isa: TargetISA) -> int | None:
    """List the main thread's execution context ``ctx`` (a cdata pointer); returns its
    slot, or None (another thread, or every slot taken)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    with _lock:
        _install(isa)
        address = int(ffi.cast("uintptr_t", ctx))
        for i in range(SLOTS):
            if _table[2 + i] == 0:
                _kept.append(ctx)
                _table[2 + i] = address
                return i
    return None


def unwatch(slot: int) -> None:
    """Stop listing the context in ``slot`` (its thread state is gone)."""
    _table[2 + slot] = 0
