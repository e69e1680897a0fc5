"""ctypes bindings of the libc calls that manage wazaot's native memory.

Python's ``mmap`` object cannot change the protection of its pages, and it refuses to
close while a ctypes view of it exists (docs/architecture.md, "The runtime model"). wazaot therefore
calls libc's ``mmap``, ``munmap``, ``mprotect`` and ``madvise`` itself, so that every
mapping has one explicit owner (``CodeMemory``, ``LinearMemory``, ``NativeStack``).

Each binding checks its result and raises ``OSError`` with the C ``errno`` and its text.
Addresses are plain Python ``int``.

The ``MAP_*`` constants differ between Linux and macOS (``MAP_ANONYMOUS`` is 0x20 on
Linux and 0x1000 on macOS, for example). They are taken from Python's ``mmap`` module
when it defines them (it knows the values for the exact platform it was built on) and
from the tables below otherwise (Python 3.13 added ``mmap.MAP_NORESERVE`` and
``mmap.MAP_JIT``). The Linux table holds the generic values used by x86-64 and arm64.

The module imports on every platform; on one that is neither Linux nor macOS the calls
raise ``OSError(ENOSYS)``.
"""

from __future__ import annotations

import ctypes
import errno
import mmap as _mmap
import os
import platform
import sys
from collections.abc import Callable

__all__ = [
    "IS_LINUX",
    "IS_MACOS",
    "MACHINE",
    "PAGE_SIZE",
    "PROT_NONE",
    "PROT_READ",
    "PROT_WRITE",
    "PROT_EXEC",
    "MAP_SHARED",
    "MAP_PRIVATE",
    "MAP_FIXED",
    "MAP_ANONYMOUS",
    "MAP_NORESERVE",
    "MAP_STACK",
    "MAP_JIT",
    "MADV_NORMAL",
    "MADV_WILLNEED",
    "MADV_DONTNEED",
    "mmap",
    "munmap",
    "mprotect",
    "madvise",
    "page_align",
    "libc_function",
]

IS_LINUX = sys.platform.startswith("linux")
IS_MACOS = sys.platform == "darwin"


def _normalise_machine(name: str) -> str:
    """Map ``platform.machine()`` spellings to wazaot's backend names."""
    name = name.lower()
    if name in ("x86_64", "amd64", "x64"):
        return "amd64"
    if name in ("aarch64", "arm64", "arm64e"):
        return "arm64"
    return name


#: The host architecture as wazaot's backends name it: ``"amd64"``, ``"arm64"`` or
#: whatever ``platform.machine()`` says for anything else.
MACHINE = _normalise_machine(platform.machine())

#: The size of a virtual-memory page (4 KiB on x86-64, 16 KiB on macOS arm64, 4 or
#: 64 KiB on Linux arm64 depending on the kernel).
PAGE_SIZE = _mmap.PAGESIZE

PROT_NONE = 0x0
PROT_READ = 0x1
PROT_WRITE = 0x2
PROT_EXEC = 0x4

# Fallback values, by platform; a value of 0 means "no such flag here" (it is then
# harmless to OR it in).
if IS_MACOS:
    _MAP_FALLBACK = {
        "MAP_SHARED": 0x0001,
        "MAP_PRIVATE": 0x0002,
        "MAP_FIXED": 0x0010,
        "MAP_NORESERVE": 0x0040,  # accepted but ignored by XNU
        "MAP_JIT": 0x0800,
        "MAP_ANONYMOUS": 0x1000,
        "MAP_STACK": 0,
    }
    _MADV_FALLBACK = {"MADV_NORMAL": 0, "MADV_WILLNEED": 3, "MADV_DONTNEED": 4}
else:
    # Linux asm-generic values (x86-64, arm64, riscv64); other architectures differ,
    # and there the ``mmap`` module's own constants take precedence.
    _MAP_FALLBACK = {
        "MAP_SHARED": 0x01,
        "MAP_PRIVATE": 0x02,
        "MAP_FIXED": 0x10,
        "MAP_ANONYMOUS": 0x20,
        "MAP_NORESERVE": 0x4000,
        "MAP_STACK": 0x20000,
        "MAP_JIT": 0,
    }
    _MADV_FALLBACK = {"MADV_NORMAL": 0, "MADV_WILLNEED": 3, "MADV_DONTNEED": 4}


def _constant(name: str, table: dict[str, int]) -> int:
    value = getattr(_mmap, name, None)
    return int(value) if value is not None else table[name]


MAP_SHARED = _constant("MAP_SHARED", _MAP_FALLBACK)
MAP_PRIVATE = _constant("MAP_PRIVATE", _MAP_FALLBACK)
MAP_FIXED = _MAP_FALLBACK["MAP_FIXED"]  # the mmap module does not export it
MAP_ANONYMOUS = _constant("MAP_ANONYMOUS", _MAP_FALLBACK)
MAP_NORESERVE = _constant("MAP_NORESERVE", _MAP_FALLBACK)
MAP_STACK = _constant("MAP_STACK", _MAP_FALLBACK)
#: macOS only (0 elsewhere): a mapping whose write/execute permission is toggled per
#: thread by ``pthread_jit_write_protect_np``; required for RWX pages on macOS arm64.
MAP_JIT = _constant("MAP_JIT", _MAP_FALLBACK) if IS_MACOS else 0

MADV_NORMAL = _constant("MADV_NORMAL", _MADV_FALLBACK)
MADV_WILLNEED = _constant("MADV_WILLNEED", _MADV_FALLBACK)
MADV_DONTNEED = _constant("MADV_DONTNEED", _MADV_FALLBACK)

# off_t is 64 bits on every platform wazaot targets (LP64 Linux, and macOS always).
_off_t = ctypes.c_int64
_MAP_FAILED = ctypes.c_void_p(-1).value


def _load_libc() -> ctypes.CDLL | None:
    """Open the C library with errno capture, or return None where there is none."""
    if os.name != "posix":
        return None
    if IS_MACOS:
        # libSystem re-exports libc, libpthread and libkern (sys_icache_invalidate).
        return ctypes.CDLL("/usr/lib/libSystem.B.dylib", use_errno=True)
    # dlopen(NULL): the symbols of the running process, which has libc loaded.
    return ctypes.CDLL(None, use_errno=True)


_libc = _load_libc() if (IS_LINUX or IS_MACOS) else None


def libc_function(
    name: str, restype: type | None, argtypes: list[type]
) -> Callable[..., object] | None:
    """Return the C library's function ``name`` with the given ctypes signature.

    Returns None when the platform has no such function (or no supported libc). The
    function records ``errno`` for ``ctypes.get_errno()``.
    """
    if _libc is None:
        return None
    try:
        fn = getattr(_libc, name)
    except AttributeError:
        return None
    fn.restype = restype
    fn.argtypes = argtypes
    return fn


_mmap_fn = libc_function(
    "mmap",
    ctypes.c_void_p,
    [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, _off_t],
)
_munmap_fn = libc_function("munmap", ctypes.c_int, [ctypes.c_void_p, ctypes.c_size_t])
_mprotect_fn = libc_function(
    "mprotect", ctypes.c_int, [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
)
_madvise_fn = libc_function(
    "madvise", ctypes.c_int, [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
)


def _require(fn: Callable[..., object] | None, name: str) -> Callable[..., object]:
    if fn is None:
        raise OSError(errno.ENOSYS, f"{name} is not available on {sys.platform}")
    return fn


def _raise_errno(what: str) -> None:
    err = ctypes.get_errno()
    raise OSError(err, f"{what}: {os.strerror(err)}")


def page_align(n: int) -> int:
    """Round ``n`` bytes up to a whole number of pages."""
    return (n + PAGE_SIZE - 1) // PAGE_SIZE * PAGE_SIZE


def mmap(
    length: int,
    prot: int,
    flags: int,
    fd: int = -1,
    offset: int = 0,
    addr: int | None = None,
) -> int:
    """Call ``mmap(2)`` and return the address of the new mapping.

    ``length`` must be positive; the kernel rounds it up to whole pages. Raises OSError
    (ENOMEM, EINVAL, EPERM, ...) when the call fails.
    """
    fn = _require(_mmap_fn, "mmap")
    if length <= 0:
        raise ValueError(f"mmap length must be positive, not {length}")
    result = fn(addr, length, prot, flags, fd, offset)
    if result is None or result == _MAP_FAILED:
        _raise_errno(f"mmap({length:#x} bytes, prot={prot:#x}, flags={flags:#x})")
    assert isinstance(result, int)
    return result


def munmap(addr: int, length: int) -> None:
    """Call ``munmap(2)`` on ``length`` bytes at ``addr``; raise OSError on failure."""
    fn = _require(_munmap_fn, "munmap")
    if fn(addr, length) != 0:
        _raise_errno(f"munmap({addr:#x}, {length:#x})")


def mprotect(addr: int, length: int, prot: int) -> None:
    """Call ``mprotect(2)``: set the protection of the pages of a range.

    ``addr`` must be page aligned. Raises OSError (EACCES, EINVAL, ENOMEM) on failure;
    ENOMEM here also means "the commit charge would exceed the overcommit limit".
    """
    fn = _require(_mprotect_fn, "mprotect")
    if fn(addr, length, prot) != 0:
        _raise_errno(f"mprotect({addr:#x}, {length:#x}, prot={prot:#x})")


def madvise(addr: int, length: int, advice: int) -> None:
    """Call ``madvise(2)``; raise OSError on failure."""
    fn = _require(_madvise_fn, "madvise")
    if fn(addr, length, advice) != 0:
        _raise_errno(f"madvise({addr:#x}, {length:#x}, advice={advice})")
