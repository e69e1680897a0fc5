"""A tiny wasm binary emitter for tests: LEB128, vectors, sections, a few modules.

Enough to write small modules byte by byte (the ``spectest`` host module, the
handcrafted robustness cases) without a text-format assembler. Every helper returns
``bytes``; section ids and type codes are the binary format's (spec 5.5, 5.3).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

MAGIC_VERSION = b"\x00asm\x01\x00\x00\x00"

# section ids
CUSTOM, TYPE, IMPORT, FUNCTION, TABLE, MEMORY, GLOBAL, EXPORT = range(8)
START, ELEMENT, CODE, DATA, DATA_COUNT = range(8, 13)

# value and reference types
I32, I64, F32, F64, V128, FUNCREF, EXTERNREF = 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F

# extern kinds
FUNC_KIND, TABLE_KIND, MEMORY_KIND, GLOBAL_KIND = 0, 1, 2, 3

END = b"\x0b"


def uleb(value: int) -> bytes:
    """Unsigned LEB128."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sleb(value: int) -> bytes:
    """Signed LEB128."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def name(text: str) -> bytes:
    data = text.encode("utf-8")
    return uleb(len(data)) + data


def vec(items: Iterable[bytes]) -> bytes:
    items = list(items)
    return uleb(len(items)) + b"".join(items)


def section(section_id: int, payload: bytes) -> bytes:
    return bytes([section_id]) + uleb(len(payload)) + payload


def module(*sections: bytes) -> bytes:
    return MAGIC_VERSION + b"".join(sections)


def func_type(params: Iterable[int], results: Iterable[int]) -> bytes:
    return b"\x60" + vec(bytes([p]) for p in params) + vec(bytes([r]) for r in results)


def limits(minimum: int, maximum: int | None = None) -> bytes:
    if maximum is None:
        return b"\x00" + uleb(minimum)
    return b"\x01" + uleb(minimum) + uleb(maximum)


def i32_const(value: int) -> bytes:
    return b"\x41" + sleb(value if value < 1 << 31 else value - (1 << 32))


def i64_const(value: int) -> bytes:
    return b"\x42" + sleb(value if value < 1 << 63 else value - (1 << 64))


def f32_const(value: float) -> bytes:
    return b"\x43" + struct.pack("<f", value)


def f64_const(value: float) -> bytes:
    return b"\x44" + struct.pack("<d", value)


def code(body: bytes, locals_: Iterable[tuple[int, int]] = ()) -> bytes:
    """A code-section entry: ``locals_`` as (count, type) runs, ``body`` ending in ``end``."""
    entry = vec(uleb(n) + bytes([t]) for n, t in locals_) + body
    return uleb(len(entry)) + entry


SPECTEST_PRINTS: dict[str, tuple[int, ...]] = {
    "print": (),
    "print_i32": (I32,),
    "print_i64": (I64,),
    "print_f32": (F32,),
    "print_f64": (F64,),
    "print_i32_f32": (I32, F32),
    "print_f64_f64": (F64, F64),
}
"""The spectest module's functions and their parameter types (no results)."""


def spectest_module(host_module: str) -> bytes:
    """The ``spectest`` module of the spec suite, importing its print functions.

    It imports each ``print*`` function from ``host_module`` and re-exports it, and
    defines ``global_i32``/``global_i64`` (666), ``global_f32``/``global_f64`` (666.6),
    ``table`` (10 to 20 funcref) and ``memory`` (1 to 2 pages).
    """
    names = list(SPECTEST_PRINTS)
    types = section(TYPE, vec(func_type(SPECTEST_PRINTS[n], ()) for n in names))
    imports = section(
        IMPORT,
        vec(
            name(host_module) + name(n) + bytes([FUNC_KIND]) + uleb(i) for i, n in enumerate(names)
        ),
    )
    table = section(TABLE, vec([bytes([FUNCREF]) + limits(10, 20)]))
    memory = section(MEMORY, vec([limits(1, 2)]))
    globals_ = [
        ("global_i32", I32, i32_const(666)),
        ("global_i64", I64, i64_const(666)),
        ("global_f32", F32, f32_const(666.6)),
        ("global_f64", F64, f64_const(666.6)),
    ]
    global_sec = section(GLOBAL, vec(bytes([t, 0]) + init + END for _, t, init in globals_))
    exports = [name(n) + bytes([FUNC_KIND]) + uleb(i) for i, n in enumerate(names)]
    exports += [name(n) + bytes([GLOBAL_KIND]) + uleb(i) for i, (n, _, _) in enumerate(globals_)]
    exports += [name("table") + bytes([TABLE_KIND, 0]), name("memory") + bytes([MEMORY_KIND, 0])]
    return module(types, imports, table, memory, global_sec, section(EXPORT, vec(exports)))
