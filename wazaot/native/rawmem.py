"""Owned mappings, copying bytes to and from raw addresses, and zero-copy views of them.

Small helpers shared by the owners of native mappings. ``Mapping`` is the one object
whose lifetime decides when a range is unmapped; the copy helpers trust the caller:
the address range must be mapped with the needed permission, or the process faults.
"""

from __future__ import annotations

import ctypes
import weakref

from wazaot.native import libc

__all__ = ["BytesLike", "Mapping", "as_byte_view", "read_bytes", "view_bytes", "write_bytes"]


class Mapping:
    """An ``mmap``'d address range, unmapped by ``unmap()`` or when this object is
    garbage collected, whichever comes first.

    Objects that hand out raw access to the range (a memoryview from ``view_bytes``)
    keep a reference to the ``Mapping``, so the range cannot be unmapped under them:
    an owner's ``close()`` drops its own reference and lets the last user unmap.

    Nothing is unmapped at interpreter exit (``atexit=False``): a daemon thread may
    still be running code on these pages, and the process is about to lose them anyway.
    """

    __slots__ = ("address", "length", "_finalizer", "__weakref__")

    def __init__(self, length: int, prot: int, flags: int) -> None:
        """``mmap`` ``length`` bytes (OSError on failure)."""
        self.address = libc.mmap(length, prot, flags)
        self.length = length
        self._finalizer = weakref.finalize(self, libc.munmap, self.address, length)
        self._finalizer.atexit = False

    @property
    def mapped(self) -> bool:
        """Whether the range is still mapped."""
        return self._finalizer.alive

    def unmap(self) -> None:
        """Unmap the range now. Idempotent. Nothing may use it any more."""
        self._finalizer()

    def __repr__(self) -> str:
        state = "" if self.mapped else " unmapped"
        return f"<Mapping {self.address:#x} {self.length:#x} bytes{state}>"


#: What ``write`` methods accept: any C-contiguous buffer, read as unsigned bytes.
BytesLike = bytes | bytearray | memoryview


def as_byte_view(data: BytesLike) -> memoryview:
    """Return ``data`` as a flat memoryview of unsigned bytes (format ``B``).

    Raises TypeError when ``data`` is not a C-contiguous buffer.
    """
    view = memoryview(data)
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    return view


def read_bytes(address: int, n: int) -> bytes:
    """Copy ``n`` bytes at ``address`` into a new ``bytes``."""
    return ctypes.string_at(address, n) if n else b""


def view_bytes(address: int, n: int, owner: object = None) -> memoryview:
    """Return a writable memoryview of ``n`` unsigned bytes at ``address``, no copy.

    ``owner``, if given, is kept alive by the view (so that the mapping is not freed by
    its finalizer while the view is reachable).
    """
    array = (ctypes.c_ubyte * n).from_address(address)
    if owner is not None:
        array._wazaot_owner = owner  # type: ignore[attr-defined]
    return memoryview(array).cast("B")


def write_bytes(address: int, data: BytesLike) -> int:
    """Copy ``data`` to ``address``; return the number of bytes copied."""
    if isinstance(data, bytes):
        ctypes.memmove(address, data, len(data))
        return len(data)
    src = as_byte_view(data)
    n = src.nbytes
    if n:
        view_bytes(address, n)[:] = src
    return n
