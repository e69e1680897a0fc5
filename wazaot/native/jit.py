"""Platform support for writing machine code: JIT write protection and icache flushing.

After machine code is written through the data side, the instruction side must be made
to see it before it runs. What that takes depends on the host:

=================  ==============================================================
host               what wazaot does
=================  ==============================================================
x86-64 (any OS)    nothing: the instruction cache is coherent with data writes
macOS arm64        code lives in ``MAP_JIT`` pages; ``pthread_jit_write_protect_np(0)``
                   makes them writable (not executable) for the calling thread during
                   a write, ``(1)`` restores execute; ``sys_icache_invalidate`` after
Linux arm64        libgcc's ``__clear_cache(begin, end)``, found with ``dlsym`` in the
                   process or in ``libgcc_s.so.1``; where neither has it, a 22-instruction
                   routine of wazaot's own (``ARM64_FLUSH_ROUTINE``)
=================  ==============================================================

Why libgcc's ``__clear_cache`` first on Linux arm64: ``__builtin___clear_cache`` is a
compiler built-in that ctypes cannot call, and glibc exports no cache-flush function on
arm64 (there is no system call for it: user space cleans and invalidates by itself).
``__clear_cache`` is exported by ``libgcc_s.so.1`` under the version ``GCC_3.0`` on every
architecture (glibc itself loads that library for thread cancellation, so it is present
on glibc systems), and it knows the CPU quirks (``CTR_EL0.IDC``/``DIC``) GCC knows.

The fallback routine does what the Arm ARM (B2.4.4, "Concurrent modification and
execution of instructions") prescribes: ``dc cvau`` over the range by the D-cache line
size from ``CTR_EL0``, ``dsb ish``, ``ic ivau`` by the I-cache line size, ``dsb ish``,
``isb``. It is written into a fresh page that is then made executable for the first
time; Linux arm64 cleans and invalidates a page itself the first time it is mapped
executable for user space (``__sync_icache_dcache`` in ``arch/arm64/mm/flush.c``), which
is what makes the routine safe to run before anything can flush for it.
"""

from __future__ import annotations

import contextlib
import ctypes
import struct
import sys
import threading
from collections.abc import Callable, Iterator

from wazaot.native import libc

__all__ = [
    "ARM64_FLUSH_ROUTINE",
    "ARM64_FLUSH_ROUTINE_TEXT",
    "USES_MAP_JIT",
    "flush_icache",
    "flush_method",
    "jit_writable",
]

#: True where code pages must be ``MAP_JIT`` and written under
#: ``pthread_jit_write_protect_np`` (macOS on arm64).
USES_MAP_JIT = libc.IS_MACOS and libc.MACHINE == "arm64"

# void wazaot_flush(uintptr_t start /* x0 */, uintptr_t end /* x1 */)
# The text is what capstone prints; tests check the words against it.
ARM64_FLUSH_ROUTINE_TEXT = (
    "mrs x2, ctr_el0",
    "mov x3, #4",
    "ubfx x4, x2, #0x10, #4",  # CTR_EL0.DminLine: log2 of the line size in words
    "lsl x4, x3, x4",
    "sub x5, x4, #1",
    "bic x5, x0, x5",
    "dc cvau, x5",
    "add x5, x5, x4",
    "cmp x5, x1",
    "b.lo #0x18",
    "dsb ish",
    "and x4, x2, #0xf",  # CTR_EL0.IminLine
    "lsl x4, x3, x4",
    "sub x5, x4, #1",
    "bic x5, x0, x5",
    "ic ivau, x5",
    "add x5, x5, x4",
    "cmp x5, x1",
    "b.lo #0x3c",
    "dsb ish",
    "isb",
    "ret",
)
_ARM64_FLUSH_WORDS = (
    0xD53B0022, 0xD2800083, 0xD3504C44, 0x9AC42064, 0xD1000485, 0x8A250005,
    0xD50B7B25, 0x8B0400A5, 0xEB0100BF, 0x54FFFFA3, 0xD5033B9F, 0x92400C44,
    0x9AC42064, 0xD1000485, 0x8A250005, 0xD50B7525, 0x8B0400A5, 0xEB0100BF,
    0x54FFFFA3, 0xD5033B9F, 0xD5033FDF, 0xD65F03C0,
)  # fmt: skip
#: The fallback flush routine as little-endian machine code.
ARM64_FLUSH_ROUTINE = b"".join(struct.pack("<I", w) for w in _ARM64_FLUSH_WORDS)

_FlushFn = Callable[[int, int], None]

_lock = threading.Lock()
_flush: _FlushFn | None = None
_method = ""


def _noop_flush(start: int, end: int) -> None:
    """Flush nothing: x86-64 keeps its instruction cache coherent."""


def _find_libgcc_clear_cache() -> _FlushFn | None:
    """Return libgcc's ``__clear_cache`` (process first, then libgcc_s), or None."""
    candidates: list[str | None] = [None, "libgcc_s.so.1"]
    for name in candidates:
        try:
            lib = ctypes.CDLL(name)
            fn = lib.__clear_cache
        except (OSError, AttributeError):
            continue
        fn.restype = None
        fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        return fn
    return None


def _map_builtin_routine() -> _FlushFn:
    """Map ``ARM64_FLUSH_ROUTINE`` into a page of its own and return it as a callable.

    The page is never unmapped: it lives as long as the process.
    """
    size = libc.page_align(len(ARM64_FLUSH_ROUTINE))
    address = libc.mmap(
        size, libc.PROT_READ | libc.PROT_WRITE, libc.MAP_PRIVATE | libc.MAP_ANONYMOUS
    )
    ctypes.memmove(address, ARM64_FLUSH_ROUTINE, len(ARM64_FLUSH_ROUTINE))
    libc.mprotect(address, size, libc.PROT_READ | libc.PROT_EXEC)
    proto = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
    return proto(address)


def _resolve() -> tuple[_FlushFn, str]:
    if libc.MACHINE == "amd64":
        return _noop_flush, "none (coherent instruction cache)"
    if libc.MACHINE != "arm64":
        raise OSError(f"no instruction-cache flush known for {libc.MACHINE}")
    if libc.IS_MACOS:
        fn = libc.libc_function("sys_icache_invalidate", None, [ctypes.c_void_p, ctypes.c_size_t])
        if fn is None:
            raise OSError("sys_icache_invalidate not found in libSystem")
        return (lambda start, end: fn(start, end - start)), "sys_icache_invalidate"
    if libc.IS_LINUX:
        clear_cache = _find_libgcc_clear_cache()
        if clear_cache is not None:
            return clear_cache, "libgcc __clear_cache"
        return _map_builtin_routine(), "wazaot arm64 flush routine"
    raise OSError(f"no instruction-cache flush known for arm64 on {sys.platform}")


def _get_flush() -> _FlushFn:
    global _flush, _method
    if _flush is None:
        with _lock:
            if _flush is None:
                _flush, _method = _resolve()
    return _flush


def flush_icache(address: int, length: int) -> None:
    """Make ``length`` bytes of freshly written code at ``address`` visible to fetches.

    A no-op on x86-64. Call it after the last write and before the code first runs.
    """
    if length > 0:
        _get_flush()(address, address + length)


def flush_method() -> str:
    """Describe how this host flushes the instruction cache (for logs and reports)."""
    _get_flush()
    return _method


_jit_write_protect = (
    libc.libc_function("pthread_jit_write_protect_np", None, [ctypes.c_int])
    if USES_MAP_JIT
    else None
)


@contextlib.contextmanager
def jit_writable() -> Iterator[None]:
    """Make ``MAP_JIT`` pages writable, and not executable, for this thread meanwhile.

    On macOS arm64 this brackets a write with ``pthread_jit_write_protect_np(0)`` and
    ``(1)``; the switch is per thread, so other threads keep executing code meanwhile.
    Elsewhere it does nothing (code pages are plain ``mmap`` pages there, written while
    they are read-write and then ``mprotect``-ed to read-execute).
    """
    if _jit_write_protect is None:
        yield
        return
    _jit_write_protect(0)
    try:
        yield
    finally:
        _jit_write_protect(1)
