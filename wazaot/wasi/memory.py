"""Reading and writing the guest's linear memory, bounds-checked.

Every pointer and length comes from the guest; one that reaches outside its memory
raises ``Fault`` (the caller returns ``EFAULT``), never an ``IndexError`` or a crash.
``MemoryCache`` keeps the caller's memory view between host calls, since programs call
``fd_write`` and friends many times: a new view is taken only when the caller changes
or the memory has grown.
"""

from __future__ import annotations

import struct
from typing import Any

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_IOVEC = struct.Struct("<II")


class Fault(Exception):
    """A guest pointer or length outside the guest's memory."""


class MemoryCache:
    """The memoryview of the calling module's exported ``memory``."""

    __slots__ = ("_caller", "_memory", "_view")

    def __init__(self) -> None:
        self._caller: Any = None
        self._memory: Any = None
        self._view = memoryview(b"")

    def view(self, caller: Any) -> memoryview:
        """The caller's memory as a writable memoryview (empty if it exports none)."""
        if caller is self._caller:
            view = self._view
            memory = self._memory
            if memory is None or len(view) == memory.size:
                return view
        self._caller = caller
        self._memory = memory = caller.exported_memory("memory") if caller is not None else None
        self._view = memory.buffer() if memory is not None else memoryview(bytearray())
        return self._view


def span(view: memoryview, ptr: int, n: int) -> memoryview:
    """``n`` bytes at ``ptr`` (a view into guest memory, no copy)."""
    end = ptr + n
    if end > len(view):
        raise Fault
    return view[ptr:end]


def read_bytes(view: memoryview, ptr: int, n: int) -> bytes:
    return bytes(span(view, ptr, n))


def write_bytes(view: memoryview, ptr: int, data: bytes) -> None:
    end = ptr + len(data)
    if end > len(view):
        raise Fault
    view[ptr:end] = data


def put_u32(view: memoryview, ptr: int, value: int) -> None:
    if ptr + 4 > len(view):
        raise Fault
    _U32.pack_into(view, ptr, value)


def put_u64(view: memoryview, ptr: int, value: int) -> None:
    if ptr + 8 > len(view):
        raise Fault
    _U64.pack_into(view, ptr, value)


def get_u32(view: memoryview, ptr: int) -> int:
    if ptr + 4 > len(view):
        raise Fault
    return int(_U32.unpack_from(view, ptr)[0])


def iovecs(view: memoryview, ptr: int, count: int) -> list[memoryview]:
    """The buffers of ``count`` iovecs (``{u32 buf, u32 len}``) at ``ptr``."""
    if ptr + 8 * count > len(view):
        raise Fault
    size = len(view)
    out = []
    for i in range(count):
        buf, n = _IOVEC.unpack_from(view, ptr + 8 * i)
        if buf + n > size:
            raise Fault
        out.append(view[buf : buf + n])
    return out
