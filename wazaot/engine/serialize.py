"""The compiled-module artifact: a module's wasm bytes and machine code as bytes.

What ``CompiledModule.serialize`` returns and the compilation cache stores
(``cache.py`` says how entries are keyed and checked against a Runtime). Plain
``struct`` data and a small JSON header, never pickle: loading an artifact runs no
Python code from it, and nothing in it becomes executable before the SHA-256 of its
body matches the one in its header.

::

    header   magic        8 bytes   b"\\0wazaot\\x1a"
             version      u32       FORMAT_VERSION
             key length   u32
             key          JSON      what the code depends on (Artifact.key):
                                    compiler, arch, CPU features, listeners
             body length  u64
             body sha256  32 bytes
    body     type ids     u32 n, u32 * n        the Runtime-wide id of each type
             wasm         u64 n, n bytes        the module's binary
             code         u64 n, n bytes        ObjectCode.code
             functions    u32 n, u32 * 4n       (index, start, end, source map length)
             source maps  u32 * 2m              (machine offset, wasm offset), in order
             thunks       u32 n, then per thunk u32 offset, u32 p, u32 r, p + r bytes
                                                (the value types of its FuncType)
             relocations  u32 n, (u32 offset, u32 kind, u64 addend) * n

All integers are little-endian. Whatever does not parse, or describes code that
does not fit the buffer (a function or relocation outside it), raises
``CompileError``: an artifact never crashes the reader.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from array import array
from dataclasses import dataclass
from typing import Any

from ..api import ValueType
from ..errors import CompileError
from ..machinst.objcode import (
    FunctionCode,
    ObjectCode,
    PackedSourceMap,
    Relocation,
    RelocKind,
)
from ..wasm.module import FuncType

MAGIC = b"\0wazaot\x1a"
FORMAT_VERSION = 1
"""Bumped whenever the layout above changes."""

_HEADER = struct.Struct("<8sII")  # magic, version, key length
_BODY = struct.Struct("<Q32s")  # body length, body sha256
_RELOC = struct.Struct("<IIQ")
_RELOC_KINDS = {RelocKind.ABS64: 1}
_KIND_OF_CODE = {code: kind for kind, code in _RELOC_KINDS.items()}

if sys.byteorder != "little" or array("I").itemsize != 4:  # pragma: no cover
    raise ImportError("the artifact format assumes a little-endian host with 32-bit 'I' arrays")


@dataclass(slots=True)
class Artifact:
    """A compiled module as plain data.

    ``key``: what the code depends on, compared with what a Runtime expects before
    anything else is used. ``type_ids``: the Runtime-wide id of each type of the
    type section when the code was compiled (``call_indirect`` compares them as
    immediates in the code)."""

    key: dict[str, Any]
    type_ids: list[int]
    wasm: bytes
    object_code: ObjectCode


def dumps(artifact: Artifact) -> bytes:
    """The bytes of ``artifact``."""
    obj = artifact.object_code
    parts: list[bytes] = []
    parts.append(struct.pack("<I", len(artifact.type_ids)))
    parts.append(array("I", artifact.type_ids).tobytes())
    parts.append(struct.pack("<Q", len(artifact.wasm)))
    parts.append(artifact.wasm)
    parts.append(struct.pack("<Q", len(obj.code)))
    parts.append(obj.code)
    functions = sorted(obj.functions.values(), key=lambda f: f.index)
    table = array("I")
    srcmaps = array("I")
    for f in functions:
        table.extend((f.index, f.start, f.end, len(f.srcmap)))
        for machine, wasm in f.srcmap:
            srcmaps.append(machine)
            srcmaps.append(wasm)
    parts.append(struct.pack("<I", len(functions)))
    parts.append(table.tobytes())
    parts.append(srcmaps.tobytes())
    parts.append(struct.pack("<I", len(obj.thunks)))
    for ft, offset in obj.thunks.items():
        parts.append(struct.pack("<III", offset, len(ft.params), len(ft.results)))
        parts.append(bytes(ft.params) + bytes(ft.results))
    parts.append(struct.pack("<I", len(obj.relocations)))
    for r in obj.relocations:
        parts.append(_RELOC.pack(r.offset, _RELOC_KINDS[r.kind], r.addend))
    body = b"".join(parts)
    key = json.dumps(artifact.key, sort_keys=True, separators=(",", ":")).encode()
    return b"".join([
        _HEADER.pack(MAGIC, FORMAT_VERSION, len(key)),
        key,
        _BODY.pack(len(body), hashlib.sha256(body).digest()),
        body,
    ])  # fmt: skip


def read_key(data: bytes) -> tuple[dict[str, Any], memoryview]:
    """The key of an artifact and its body, whose hash is checked. Raises
    ``CompileError`` for anything but an intact artifact of this format version."""
    view = memoryview(data)
    if len(view) < _HEADER.size or bytes(view[:8]) != MAGIC:
        raise CompileError("not a wazaot compiled-module artifact")
    _, version, key_len = _HEADER.unpack_from(view)
    if version != FORMAT_VERSION:
        raise CompileError(f"artifact format version {version}, this wazaot reads "
                           f"{FORMAT_VERSION}")  # fmt: skip
    at = _HEADER.size + key_len
    if len(view) < at + _BODY.size:
        raise CompileError("truncated artifact")
    try:
        key = json.loads(bytes(view[_HEADER.size : at]))
    except (ValueError, UnicodeDecodeError):
        raise CompileError("corrupted artifact (header)") from None
    if not isinstance(key, dict):
        raise CompileError("corrupted artifact (header)")
    body_len, digest = _BODY.unpack_from(view, at)
    body = view[at + _BODY.size :]
    if len(body) != body_len:
        raise CompileError("truncated artifact" if len(body) < body_len else
                           "corrupted artifact (trailing bytes)")  # fmt: skip
    if hashlib.sha256(body).digest() != digest:
        raise CompileError("corrupted artifact (checksum mismatch)")
    return key, body


def loads_body(key: dict[str, Any], body: memoryview) -> Artifact:
    """The artifact of a body ``read_key`` checked. Raises ``CompileError`` if its
    contents are inconsistent (which an intact body of this wazaot never is)."""
    try:
        return _parse_body(key, _Cursor(body))
    except (struct.error, ValueError, IndexError, OverflowError) as exc:
        raise CompileError(f"corrupted artifact ({exc})") from None


class _Cursor:
    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> memoryview:
        end = self.pos + n
        if n < 0 or end > len(self.data):
            raise ValueError("truncated body")
        out = self.data[self.pos : end]
        self.pos = end
        return out

    def u32(self) -> int:
        value: int = struct.unpack_from("<I", self.take(4))[0]
        return value

    def u64(self) -> int:
        value: int = struct.unpack_from("<Q", self.take(8))[0]
        return value

    def u32s(self, n: int) -> array[int]:
        out = array("I")
        out.frombytes(self.take(4 * n))
        return out


def _parse_body(key: dict[str, Any], c: _Cursor) -> Artifact:
    type_ids = c.u32s(c.u32()).tolist()
    wasm = bytes(c.take(c.u64()))
    code = bytes(c.take(c.u64()))
    size = len(code)
    n_funcs = c.u32()
    table = c.u32s(4 * n_funcs)
    srcmaps = c.u32s(2 * sum(table[3::4]))
    functions: dict[int, FunctionCode] = {}
    at = 0
    for i in range(0, len(table), 4):
        index, start, end, n = table[i : i + 4]
        if not start <= end <= size or index in functions:
            raise ValueError(f"function {index} outside the code")
        machine = srcmaps[at : at + 2 * n : 2]
        wasm_at = srcmaps[at + 1 : at + 2 * n : 2]
        functions[index] = FunctionCode(index, start, end, PackedSourceMap(machine, wasm_at))
        at += 2 * n
    thunks: dict[FuncType, int] = {}
    for _ in range(c.u32()):
        offset, n_params, n_results = c.u32(), c.u32(), c.u32()
        types = [ValueType(b) for b in c.take(n_params + n_results)]
        if offset >= size:
            raise ValueError("entry thunk outside the code")
        thunks[FuncType(tuple(types[:n_params]), tuple(types[n_params:]))] = offset
    relocations: list[Relocation] = []
    for _ in range(c.u32()):
        offset, kind, addend = _RELOC.unpack_from(c.take(_RELOC.size))
        if kind not in _KIND_OF_CODE or offset + 8 > size or addend > size:
            raise ValueError("relocation outside the code")
        relocations.append(Relocation(offset, _KIND_OF_CODE[kind], addend))
    if c.pos != len(c.data):
        raise ValueError("trailing bytes")
    return Artifact(key, type_ids, wasm, ObjectCode(code, functions, thunks, relocations))


__all__ = ["FORMAT_VERSION", "MAGIC", "Artifact", "dumps", "loads_body", "read_key"]
