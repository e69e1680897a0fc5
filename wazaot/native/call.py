"""Calling machine code from Python through cffi (ABI mode), and C structs for it.

There is one ``FFI`` instance for the whole runtime, ``ffi``; every C declaration the
runtime needs goes into it. ABI mode needs no C compiler: cffi builds each call with
libffi from the declared type.

**Entering wasm code.** The entry trampoline (machine code written by each backend) has
the C type ``wazaot_entry_fn``::

    int64_t (*wazaot_entry_fn)(void *exec_ctx, void *module_ctx, void *code, uint64_t *slots);

``entry_function(address)`` casts an address to it. cffi releases the GIL for the
duration of every call through such a pointer (``cdata_call`` in ``_cffi_backend.c``
wraps ``ffi_call`` in ``Py_BEGIN_ALLOW_THREADS``). tests/native/test_native_call.py
measures it: while machine code spins for 200 ms in one thread, another Python thread
runs during about 90 % of that time, against about 5 % through a ctypes ``PYFUNCTYPE``
pointer, which keeps the GIL. So other Python threads run while wasm code runs, and
wasm code must not touch Python objects. A call engine is used by one thread at a time.

**Context blocks.** ``define_struct`` declares a C struct in ``ffi`` and returns its
layout (size, alignment and field offsets as computed by cffi with the platform's C
rules); ``NativeStruct`` allocates one zeroed instance with ``ffi.new`` and gives its
address to hand to machine code::

    ctx_layout = define_struct("demo_ctx", ["uint64_t memory_base", "uint32_t flags"])
    ctx_layout.offsetof("flags")      # -> 8
    ctx = NativeStruct(ctx_layout)    # owned by ctx: keep ctx alive while code uses it
    ctx.ptr.memory_base = 0x1000
    ctx.address                       # an int, for the trampoline

``call_address(address, *ints)`` calls ``int64_t f(int64_t, ...)`` (for tests).
"""

from __future__ import annotations

import threading
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cffi

__all__ = [
    "ENTRY_FN_TYPE",
    "NativeStruct",
    "StructLayout",
    "call_address",
    "define_struct",
    "entry_function",
    "ffi",
]

#: The runtime's only cffi FFI instance (ABI mode).
ffi = cffi.FFI()

#: The C type name of the entry trampoline.
ENTRY_FN_TYPE = "wazaot_entry_fn"

ffi.cdef(
    f"typedef int64_t (*{ENTRY_FN_TYPE})"
    "(void *exec_ctx, void *module_ctx, void *code, uint64_t *slots);"
)

_INT64_MIN = -(1 << 63)
_UINT64_LIMIT = 1 << 64

_lock = threading.Lock()
_int_fn_types: dict[int, Any] = {}


def entry_function(address: int) -> Any:
    """Return the machine code at ``address`` as a callable ``wazaot_entry_fn``.

    The result is called as ``fn(exec_ctx, module_ctx, code, slots)`` with addresses
    given as cdata pointers (``ffi.cast("void *", addr)``) or ``ffi.NULL``, and ``slots``
    a ``uint64_t[]`` cdata; it returns the trampoline's status as an int.
    """
    return ffi.cast(ENTRY_FN_TYPE, address)


def _to_int64(value: int) -> int:
    """Accept a signed or unsigned 64-bit integer; return it as signed."""
    if not _INT64_MIN <= value < _UINT64_LIMIT:
        raise OverflowError(f"{value} does not fit in 64 bits")
    return value - _UINT64_LIMIT if value >= 1 << 63 else value


def call_address(address: int, *int_args: int) -> int:
    """Call ``int64_t f(int64_t, ...)`` at ``address`` with ``int_args``; return its result.

    Arguments may be given signed or unsigned; the result is signed. The GIL is
    released during the call.
    """
    n = len(int_args)
    ctype = _int_fn_types.get(n)
    if ctype is None:
        with _lock:
            params = ", ".join(["int64_t"] * n) or "void"
            ctype = _int_fn_types[n] = ffi.typeof(f"int64_t(*)({params})")
    fn = ffi.cast(ctype, address)
    return int(fn(*(_to_int64(a) for a in int_args)))


@dataclass(frozen=True)
class StructLayout:
    """The layout of a C struct declared in ``ffi``, as the C compiler would lay it out."""

    name: str
    fields: tuple[str, ...]
    size: int
    alignment: int
    offsets: Mapping[str, int]

    def offsetof(self, field: str) -> int:
        """The byte offset of ``field``; KeyError when there is no such field."""
        return self.offsets[field]


_structs: dict[str, StructLayout] = {}


def define_struct(name: str, fields: Sequence[str]) -> StructLayout:
    """Declare ``typedef struct name { fields; } name;`` in ``ffi``; return its layout.

    ``fields`` are C member declarations such as ``"uint64_t memory_base"`` or
    ``"void *imports[4]"``. Declaring the same name again with the same fields returns
    the existing layout (so a module may be imported twice); with other fields it
    raises ValueError, as a struct's layout must not change under compiled code.
    """
    fields = tuple(f.strip().rstrip(";") for f in fields)
    if not fields:
        raise ValueError(f"struct {name} needs at least one field")
    with _lock:
        existing = _structs.get(name)
        if existing is not None:
            if existing.fields != fields:
                raise ValueError(f"struct {name} is already defined with other fields")
            return existing
        body = " ".join(f"{f};" for f in fields)
        ffi.cdef(f"typedef struct {name} {{ {body} }} {name};")
        ctype = ffi.typeof(name)
        layout = StructLayout(
            name=name,
            fields=fields,
            size=ffi.sizeof(ctype),
            alignment=ffi.alignof(ctype),
            offsets=types.MappingProxyType(
                {field: ffi.offsetof(ctype, field) for field, _ in ctype.fields}
            ),
        )
        _structs[name] = layout
        return layout


class NativeStruct:
    """One zero-initialised instance of a struct declared with ``define_struct``.

    The memory belongs to this object (``ffi.new``) and is freed with it: whoever hands
    ``address`` to machine code must keep the ``NativeStruct`` alive meanwhile. The
    address never changes. Fields are read and written through ``ptr``
    (``s.ptr.memory_base = 4096``).
    """

    __slots__ = ("layout", "ptr", "address")

    def __init__(self, layout: StructLayout) -> None:
        """Allocate a zeroed ``layout.name``."""
        self.layout = layout
        #: The cdata pointer (``<name> *``) that owns the memory.
        self.ptr: Any = ffi.new(f"{layout.name} *")
        #: The address of the struct, as an int.
        self.address: int = int(ffi.cast("uintptr_t", self.ptr))

    def offsetof(self, field: str) -> int:
        """The byte offset of ``field`` in the struct."""
        return self.layout.offsetof(field)

    def field_address(self, field: str) -> int:
        """The address of ``field`` in this instance."""
        return self.address + self.layout.offsetof(field)

    def __repr__(self) -> str:
        return f"<NativeStruct {self.layout.name} at {self.address:#x}>"
