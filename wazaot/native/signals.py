"""Installing a native signal handler in front of Python's own (``sigaction``).

Python handles SIGINT with a C-level handler that only records the signal; the
Python-level handler (``KeyboardInterrupt``) runs when the main thread next executes
Python code. While the main thread runs wasm code that may be never. wazaot puts a
small handler of machine code in front (written by the target ISA): it sets the
interrupt flag of the main thread's running calls, then jumps to the handler it
replaced, so Python still records the signal and raises ``KeyboardInterrupt`` as soon
as the interrupted call is back in Python.

``chain_handler(signum, address)`` installs the handler at ``address`` if the current
one is a plain ``void handler(int)`` (not ``SA_SIGINFO``, not ``SIG_DFL``/``SIG_IGN``)
and returns the address of the one it replaced, or None, changing nothing, when it
cannot chain (another platform, an unusual handler). ``current_handler(signum)`` says
what is installed now.
"""

from __future__ import annotations

import ctypes

from wazaot.native import libc

__all__ = ["chain_handler", "current_handler"]


if libc.IS_MACOS:

    class _Sigaction(ctypes.Structure):
        _fields_ = [
            ("sa_handler", ctypes.c_void_p),
            ("sa_mask", ctypes.c_uint32),
            ("sa_flags", ctypes.c_int),
        ]

    _SA_SIGINFO = 0x40
    _SA_ONSTACK = 0x1
else:

    class _Sigaction(ctypes.Structure):  # type: ignore[no-redef]
        _fields_ = [
            ("sa_handler", ctypes.c_void_p),
            ("sa_mask", ctypes.c_uint64 * 16),  # glibc's sigset_t: 1024 bits
            ("sa_flags", ctypes.c_int),
            ("sa_restorer", ctypes.c_void_p),
        ]

    _SA_SIGINFO = 0x4
    _SA_ONSTACK = 0x0800_0000

_sigaction = libc.libc_function(
    "sigaction", ctypes.c_int,
    [ctypes.c_int, ctypes.POINTER(_Sigaction), ctypes.POINTER(_Sigaction)],
)  # fmt: skip


def _action(signum: int) -> _Sigaction | None:
    if _sigaction is None or not (libc.IS_LINUX or libc.IS_MACOS):
        return None
    old = _Sigaction()
    if _sigaction(signum, None, ctypes.byref(old)) != 0:
        return None
    return old


def current_handler(signum: int) -> tuple[int, int] | None:
    """(handler address, flags) of ``signum``'s action, or None if unknown."""
    old = _action(signum)
    return None if old is None else (int(old.sa_handler or 0), int(old.sa_flags))


def chain_handler(signum: int, address: int) -> int | None:
    """Install the handler at ``address`` for ``signum``, returning the replaced one
    (which the new handler must jump to), or None if it was not installed."""
    old = _action(signum)
    if old is None:
        return None
    handler, flags = int(old.sa_handler or 0), int(old.sa_flags)
    if handler in (0, 1) or flags & _SA_SIGINFO:  # SIG_DFL, SIG_IGN, a siginfo handler
        return None
    new = _Sigaction()
    new.sa_handler = address
    new.sa_mask = old.sa_mask
    new.sa_flags = flags | _SA_ONSTACK
    assert _sigaction is not None
    if _sigaction(signum, ctypes.byref(new), None) != 0:
        return None
    return handler
