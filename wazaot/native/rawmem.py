"""Copying bytes to and from raw addresses, and zero-copy views of them.

Small helpers shared by the owners of native mappings. They trust the caller: the
address range must be mapped with the needed permission, or the process faults.
"""

from __future__ import annotations

import ctypes

__all__ = ["BytesLike", "as_byte_view", "read_bytes", "view_bytes", "write_bytes"]

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
