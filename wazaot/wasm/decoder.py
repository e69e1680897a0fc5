"""Binary decoder: bytes -> ``Module`` (WebAssembly Core 2.0 binary format, with SIMD).

``decode_module`` follows the spec's "Binary Format" chapter section by section.
Malformed input raises ``DecodeError`` carrying the byte offset and the words of
the spec test suite ("unexpected end", "integer too large", "malformed section id",
...); no other exception escapes for any input, and no declared count makes it
allocate before the bytes behind that count have been seen.

Function bodies are decoded here, not in the validator, so that a malformed body
anywhere is reported as malformed even when an earlier function is invalid.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from ..api import ValueType
from ..errors import DecodeError
from .module import (
    Code,
    ConstExpr,
    CustomSection,
    Data,
    Element,
    Export,
    ExternKind,
    FuncType,
    Global,
    GlobalType,
    Import,
    Instr,
    Limits,
    MemoryType,
    Module,
    Names,
    SegmentMode,
    TableType,
)
from .opcodes import IMMEDIATES, OP, PREFIX_FC, PREFIX_FD, Imm
from .reader import Reader

MAGIC = b"\x00asm"
VERSION = b"\x01\x00\x00\x00"

VALUE_TYPES = {int(vt): vt for vt in ValueType}
REF_TYPES = {0x70: ValueType.FUNCREF, 0x6F: ValueType.EXTERNREF}

MAX_LOCALS = 0xFFFF_FFFF  # the spec bounds the total of a function's locals by 2^32 - 1

# Section ids in the order the binary format requires (data count sits between
# elements and code).
SECTION_ORDER = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 9: 9, 12: 10, 10: 11, 11: 12}

_F32 = struct.Struct("<I")
_F64 = struct.Struct("<Q")

# Immediate kind of every one-byte opcode (None: not an instruction).
_ONE_BYTE: list[Imm | None] = [None] * 256
for _code, _imm in IMMEDIATES.items():
    if _code < 0x100:
        _ONE_BYTE[_code] = _imm
_PREFIXED = {code: imm for code, imm in IMMEDIATES.items() if code >= 0x100}

_BLOCK, _LOOP, _IF, _END, _ELSE = OP["block"], OP["loop"], OP["if"], OP["end"], OP["else"]

# The decoding loop's fast paths, by first byte.
_K_OTHER, _K_NONE, _K_INDEX, _K_I32, _K_I64, _K_MEMARG, _K_BLOCK = range(7)
_OP_I32_CONST, _OP_END = OP["i32.const"], OP["end"]
_FAST_KIND = [_K_OTHER] * 256
for _code, _imm in enumerate(_ONE_BYTE):
    if _imm is Imm.NONE:
        _FAST_KIND[_code] = _K_NONE
    elif _imm in (Imm.LOCAL, Imm.GLOBAL, Imm.FUNC, Imm.LABEL, Imm.TABLE):
        _FAST_KIND[_code] = _K_INDEX
    elif _imm is Imm.I32:
        _FAST_KIND[_code] = _K_I32
    elif _imm is Imm.I64:
        _FAST_KIND[_code] = _K_I64
    elif _imm is Imm.MEMARG:
        _FAST_KIND[_code] = _K_MEMARG
    elif _imm is Imm.BLOCK:
        _FAST_KIND[_code] = _K_BLOCK
_MEMORY_INIT, _DATA_DROP = OP["memory.init"], OP["data.drop"]


def decode_module(data: bytes | bytearray | memoryview, *, bodies: bool = True) -> Module:
    """Decode a binary module. Raises ``DecodeError`` if it is malformed.

    With ``bodies=False`` function bodies keep their local declarations and offsets
    but not their instructions (``Code.body`` is empty): for a module whose machine
    code already exists (the compilation cache), where decoding them is most of the
    work and would be wasted."""
    return _Decoder(bytes(data), bodies).module()


def decode_bodies(data: bytes, module: Module, indexes: Iterable[int]) -> set[int]:
    """Decode the instructions of the defined functions ``indexes`` (function indices,
    imports first) of ``module``, which ``decode_module(data, bodies=False)`` made.

    This is the body part of a full decode, for compile workers that each decode
    their own functions. Raises the ``DecodeError`` a full decode would raise for the
    first malformed body among them; returns those of them that use a data index
    (``memory.init``, ``data.drop``), which makes the data count section required."""
    decoder = _Decoder(data)
    decoder.mod = module
    first = module.num_imported_funcs
    data_users: set[int] = set()
    for index in indexes:
        code = module.codes[index - first]
        decoder.uses_data_count = False
        module.codes[index - first] = decoder.code(Reader(data, code.offset, code.end_offset), index)
        if decoder.uses_data_count:
            data_users.add(index)
    return data_users


def data_count_missing(module: Module, uses_data_count: bool) -> DecodeError | None:
    """The error of a module whose bodies use a data index without the data count
    section that must then precede them (None if there is no such error)."""
    # Without a data section there is nothing to count: a data index is then
    # simply unknown (a validation error), as the spec suite's binaries expect.
    if uses_data_count and module.data_count is None and module.datas:
        return DecodeError("data count section required", module.size)
    return None


def _value_type(r: Reader) -> ValueType:
    at = r.pos
    vt = VALUE_TYPES.get(r.byte())
    if vt is None:
        raise DecodeError("malformed value type", at)
    return vt


def _ref_type(r: Reader) -> ValueType:
    at = r.pos
    vt = REF_TYPES.get(r.byte())
    if vt is None:
        raise DecodeError("malformed reference type", at)
    return vt


def _limits(r: Reader, allow_shared: bool) -> tuple[Limits, bool]:
    at = r.pos
    flags = r.byte()
    if flags == 0:
        return Limits(r.u32()), False
    if flags == 1:
        lo = r.u32()
        return Limits(lo, r.u32()), False
    if allow_shared and flags == 3:  # threads proposal: shared memory, max required
        lo = r.u32()
        return Limits(lo, r.u32()), True
    raise DecodeError("integer representation too long" if flags & 0x80 else "integer too large", at)


def _zero_byte(r: Reader) -> None:
    at = r.pos
    if r.byte() != 0:
        raise DecodeError("zero byte expected", at)


class _Decoder:
    def __init__(self, data: bytes, bodies: bool = True):
        self.data = data
        self.bodies = bodies
        self.mod = Module(size=len(data))
        self.func_count: int | None = None  # from the function section
        self.uses_data_count = False  # memory.init or data.drop seen in code

    # -- top level ------------------------------------------------------------------

    def module(self) -> Module:
        data = self.data
        if len(data) < 4:
            raise DecodeError("unexpected end", 0)
        if data[:4] != MAGIC:
            raise DecodeError("magic header not detected", 0)
        if len(data) < 8:
            msg = "unexpected end" if VERSION.startswith(data[4:]) else "unknown binary version"
            raise DecodeError(msg, 4)
        if data[4:8] != VERSION:
            raise DecodeError("unknown binary version", 4)

        r = Reader(data, 8)
        last = 0
        while not r.eof():
            id_at = r.pos
            section_id = r.byte()
            size = r.u32()
            start = r.pos
            end = start + size
            if end > len(data):
                raise DecodeError("length out of bounds", start)
            if section_id != 0:
                order = SECTION_ORDER.get(section_id)
                if order is None:
                    raise DecodeError("malformed section id", id_at)
                if order <= last:
                    raise DecodeError("unexpected content after last section", id_at)
                last = order
            # As in the reference interpreter, a section's contents are read on the
            # whole binary and its size checked afterwards: a field that runs past the
            # section's end is reported by what it finds there.
            s = Reader(data, start, end if section_id == 0 else len(data),
                       "unexpected end of section or function")  # fmt: skip
            self.section(section_id, s)
            if s.pos != end:
                raise DecodeError("section size mismatch", s.pos)
            r.pos = end

        mod = self.mod
        if self.func_count is not None and self.func_count != len(mod.codes):
            raise DecodeError("function and code section have inconsistent lengths", len(data))
        if mod.data_count is not None and mod.data_count != len(mod.datas):
            raise DecodeError("data count and data section have inconsistent lengths", len(data))
        error = data_count_missing(mod, self.uses_data_count)
        if error is not None:
            raise error
        return mod

    def section(self, section_id: int, r: Reader) -> None:
        mod = self.mod
        if section_id == 0:
            self.custom(r)
        elif section_id == 1:
            mod.types = [self.func_type(r) for _ in range(r.vec_count())]
        elif section_id == 2:
            mod.imports = [self.import_(r) for _ in range(r.vec_count())]
        elif section_id == 3:
            self.func_count = r.vec_count()
            mod.functions = [r.u32() for _ in range(self.func_count)]
        elif section_id == 4:
            mod.tables = [self.table_type(r) for _ in range(r.vec_count())]
        elif section_id == 5:
            mod.memories = [self.memory_type(r) for _ in range(r.vec_count())]
        elif section_id == 6:
            mod.globals = [self.global_(r) for _ in range(r.vec_count())]
        elif section_id == 7:
            mod.exports = [self.export(r) for _ in range(r.vec_count())]
        elif section_id == 8:
            mod.start = r.u32()
        elif section_id == 9:
            mod.elements = [self.element(r) for _ in range(r.vec_count())]
        elif section_id == 12:
            mod.data_count = r.u32()
        elif section_id == 10:
            n = r.vec_count()
            if n != (self.func_count or 0):
                raise DecodeError("function and code section have inconsistent lengths", r.pos)
            base = mod.num_imported_funcs
            mod.codes = [self.code(r, base + i) for i in range(n)]
        elif section_id == 11:
            mod.datas = [self.data_segment(r) for _ in range(r.vec_count())]

    # -- types and imports ---------------------------------------------------------

    def func_type(self, r: Reader) -> FuncType:
        at = r.pos
        form = r.byte()
        if form != 0x60:
            # The form is a signed LEB128 in the reference interpreter's reading.
            raise DecodeError("integer representation too long" if form & 0x80
                              else "malformed function type", at)  # fmt: skip
        params = tuple(_value_type(r) for _ in range(r.vec_count()))
        results = tuple(_value_type(r) for _ in range(r.vec_count()))
        return FuncType(params, results)

    def table_type(self, r: Reader) -> TableType:
        elem = _ref_type(r)
        limits, _ = _limits(r, allow_shared=False)
        return TableType(elem, limits)

    def memory_type(self, r: Reader) -> MemoryType:
        limits, shared = _limits(r, allow_shared=True)
        return MemoryType(limits, shared)

    def global_type(self, r: Reader) -> GlobalType:
        vt = _value_type(r)
        at = r.pos
        mut = r.byte()
        if mut > 1:
            raise DecodeError("malformed mutability", at)
        return GlobalType(vt, bool(mut))

    def import_(self, r: Reader) -> Import:
        module = r.name()
        name = r.name()
        at = r.pos
        kind = r.byte()
        if kind == 0:
            return Import(module, name, ExternKind.FUNC, r.u32())
        if kind == 1:
            return Import(module, name, ExternKind.TABLE, self.table_type(r))
        if kind == 2:
            return Import(module, name, ExternKind.MEMORY, self.memory_type(r))
        if kind == 3:
            return Import(module, name, ExternKind.GLOBAL, self.global_type(r))
        raise DecodeError("malformed import kind", at)

    def export(self, r: Reader) -> Export:
        name = r.name()
        at = r.pos
        kind = r.byte()
        if kind > 3:
            raise DecodeError("malformed export kind", at)
        return Export(name, ExternKind(kind), r.u32())

    def global_(self, r: Reader) -> Global:
        gt = self.global_type(r)
        return Global(gt, self.const_expr(r))

    # -- segments ------------------------------------------------------------------

    def const_expr(self, r: Reader) -> ConstExpr:
        at = r.pos
        data = r.data
        end = r.end
        if at < end and data[at] == _OP_I32_CONST:
            # The commonest by far (a segment offset): ``i32.const`` with a LEB128 of at
            # most four bytes, then ``end``, read inline to what the loop would make.
            # Anything else, errors included, takes the general way.
            pos = at + 1
            value = shift = 0
            byte = 0x80
            while byte & 0x80 and pos < end and shift < 28:
                byte = data[pos]
                pos += 1
                value |= (byte & 0x7F) << shift
                shift += 7
            if not byte & 0x80 and pos < end and data[pos] == _OP_END:
                if byte & 0x40:
                    value -= 1 << shift
                r.pos = pos + 1
                return ConstExpr([(_OP_I32_CONST, value & 0xFFFF_FFFF, at), (_OP_END, None, pos)], at)
        return ConstExpr(self.instructions(r, None), at)

    def element(self, r: Reader) -> Element:
        at = r.pos
        flags = r.u32()
        if flags > 7:
            raise DecodeError("malformed elements segment kind", at)
        table = 0
        offset_expr = None
        if flags & 1 == 0:  # active
            mode = SegmentMode.ACTIVE
            if flags & 2:
                table = r.u32()
            offset_expr = self.const_expr(r)
        else:
            mode = SegmentMode.DECLARATIVE if flags & 2 else SegmentMode.PASSIVE
        uses_exprs = bool(flags & 4)
        if flags & 3:  # an element kind or reference type is present
            if uses_exprs:
                elem_type = _ref_type(r)
            else:
                kind_at = r.pos
                if r.byte() != 0x00:
                    raise DecodeError("malformed element kind", kind_at)
                elem_type = ValueType.FUNCREF
        else:
            elem_type = ValueType.FUNCREF
        n = r.vec_count()
        if uses_exprs:
            init = [self.const_expr(r) for _ in range(n)]
        else:
            init = []
            for _ in range(n):
                idx_at = r.pos
                idx = r.u32()
                init.append(ConstExpr([Instr(OP["ref.func"], idx, idx_at),
                                       Instr(_END, None, r.pos)], idx_at))  # fmt: skip
        return Element(mode, elem_type, init, table, offset_expr, at)

    def data_segment(self, r: Reader) -> Data:
        at = r.pos
        flags = r.u32()
        if flags == 1:
            return Data(SegmentMode.PASSIVE, r.read(r.vec_count()), offset=at)
        if flags == 0:
            memory = 0
        elif flags == 2:
            memory = r.u32()
        else:
            raise DecodeError("malformed data segment kind", at)
        offset_expr = self.const_expr(r)
        n = r.vec_count()
        return Data(SegmentMode.ACTIVE, r.read(n), memory, offset_expr, at)

    # -- code ----------------------------------------------------------------------

    def code(self, r: Reader, func_index: int) -> Code:
        at = r.pos
        size = r.u32()
        body_start = r.pos
        end = body_start + size
        if end > r.end:
            raise DecodeError("unexpected end of section or function", at)
        b = Reader(r.data, body_start, len(r.data), "unexpected end of section or function")
        runs = []
        total = 0
        for _ in range(b.vec_count()):
            count = b.u32()
            total += count
            if total > MAX_LOCALS:
                raise DecodeError("too many locals", b.pos)
            runs.append((count, _value_type(b)))
        if not self.bodies:
            r.pos = end
            return Code(runs, [], at, body_start, end)
        body = self.instructions(b, func_index)
        if b.pos != end:
            raise DecodeError("section size mismatch", b.pos)
        r.pos = end
        return Code(runs, body, at, body_start, end)

    def instructions(self, r: Reader, func_index: int | None) -> list[Instr]:
        """Decode instructions up to and including the ``end`` that closes the
        sequence (a function body or a constant expression).

        This is the decoder's hot loop: the position lives in a local, the common
        immediates (an index, an ``i32.const``, a memarg, a block type) are read inline
        when their LEB128 takes one byte, and instructions are plain ``(op, imm,
        offset)`` triples. Everything else goes through ``immediate`` and ``Reader``."""
        data = r.data
        end = r.end
        fast = _FAST_KIND
        out: list[Instr] = []
        append = out.append
        depth = 0
        pos = r.pos
        while True:
            if pos >= end:
                r.pos = pos
                raise DecodeError("unexpected end of section or function"
                                  if end < len(data) or func_index is not None
                                  else "unexpected end", pos)  # fmt: skip
            start = pos
            op = data[pos]
            pos += 1
            k = fast[op]
            if k == _K_NONE:
                if op == _ELSE and depth == 0:
                    raise DecodeError("END opcode expected", start)
                append((op, None, start))
                if op == _END:
                    if depth == 0:
                        r.pos = pos
                        return out
                    depth -= 1
                continue
            if k == _K_INDEX:
                if pos < end and data[pos] < 0x80:
                    append((op, data[pos], start))
                    pos += 1
                    continue
                if pos + 1 < end and data[pos + 1] < 0x80:  # two bytes: < 2^14
                    append((op, (data[pos] & 0x7F) | data[pos + 1] << 7, start))
                    pos += 2
                    continue
            elif k == _K_I32 or k == _K_I64:
                # Signed LEB128 shorter than the maximum length (which needs the strict
                # unused-bit checks of Reader): every bit read is a value bit.
                limit = pos + (4 if k == _K_I32 else 9)
                value = shift = 0
                p = pos
                while p < end and p < limit:
                    b = data[p]
                    p += 1
                    value |= (b & 0x7F) << shift
                    shift += 7
                    if b < 0x80:
                        if b & 0x40:
                            value -= 1 << shift
                        append((op, value & (0xFFFF_FFFF if k == _K_I32
                                             else 0xFFFF_FFFF_FFFF_FFFF), start))  # fmt: skip
                        pos = p
                        break
                else:
                    p = -1
                if p >= 0 and pos == p:
                    continue
            elif k == _K_MEMARG:
                if pos + 1 < end and data[pos] < 0x80 and data[pos + 1] < 0x80:
                    append((op, (data[pos], data[pos + 1]), start))
                    pos += 2
                    continue
            elif k == _K_BLOCK:
                depth += 1
                if pos < end:
                    b = data[pos]
                    if b == 0x40:
                        append((op, None, start))
                        pos += 1
                        continue
                    vt = VALUE_TYPES.get(b)
                    if vt is not None:
                        append((op, vt, start))
                        pos += 1
                        continue
            # The general path: prefixed opcodes, long LEB128s, rare immediates.
            r.pos = pos
            kind = _ONE_BYTE[op]
            if kind is None:
                if op == 0xFC:
                    op = PREFIX_FC | self.sub_opcode(r, 0x100)
                elif op == 0xFD:
                    op = PREFIX_FD | self.sub_opcode(r, 0x100)
                else:
                    raise DecodeError("illegal opcode", start)
                kind = _PREFIXED.get(op)
                if kind is None:
                    raise DecodeError("illegal opcode", start)
                if op == _MEMORY_INIT or op == _DATA_DROP:
                    self.uses_data_count = True
            append((op, self.immediate(r, kind), start))
            pos = r.pos

    def sub_opcode(self, r: Reader, limit: int) -> int:
        at = r.pos
        sub = r.u32()
        if sub >= limit:
            raise DecodeError("illegal opcode", at)
        return sub

    def immediate(self, r: Reader, kind: Imm):  # noqa: C901 - one branch per kind
        if kind is Imm.NONE:
            return None
        if kind is Imm.LOCAL or kind is Imm.GLOBAL or kind is Imm.FUNC or kind is Imm.LABEL:
            return r.u32()
        if kind is Imm.MEMARG:
            align = r.u32()
            return (align, r.u32())
        if kind is Imm.I32:
            return r.s32() & 0xFFFF_FFFF
        if kind is Imm.BLOCK:
            return self.block_type(r)
        if kind is Imm.I64:
            return r.s64() & 0xFFFF_FFFF_FFFF_FFFF
        if kind is Imm.F32:
            return _F32.unpack(r.read(4))[0]
        if kind is Imm.F64:
            return _F64.unpack(r.read(8))[0]
        if kind is Imm.BR_TABLE:
            labels = tuple(r.u32() for _ in range(r.vec_count()))
            return (labels, r.u32())
        if kind is Imm.CALL_INDIRECT:
            type_index = r.u32()
            return (type_index, r.u32())
        if kind is Imm.TABLE or kind is Imm.DATA or kind is Imm.ELEM:
            return r.u32()
        if kind is Imm.MEMORY:
            _zero_byte(r)
            return 0
        if kind is Imm.REF_TYPE:
            return _ref_type(r)
        if kind is Imm.SELECT_T:
            return tuple(_value_type(r) for _ in range(r.vec_count()))
        if kind is Imm.MEMORY_INIT:
            index = r.u32()
            _zero_byte(r)
            return index
        if kind is Imm.MEMORY_COPY:
            _zero_byte(r)
            _zero_byte(r)
            return (0, 0)
        if kind is Imm.TABLE_INIT or kind is Imm.TABLE_COPY:
            first = r.u32()
            return (first, r.u32())
        if kind is Imm.V128:
            return int.from_bytes(r.read(16), "little")
        if kind is Imm.SHUFFLE:
            return tuple(r.read(16))
        if kind is Imm.LANE:
            return r.byte()
        if kind is Imm.MEMARG_LANE:
            align = r.u32()
            offset = r.u32()
            return ((align, offset), r.byte())
        raise AssertionError(f"unhandled immediate kind {kind}")

    def block_type(self, r: Reader):
        """None (no results), a ValueType (one result) or an int type index."""
        at = r.pos
        if at >= r.end:
            r.byte()  # raises the right "unexpected end"
        b = r.data[at]
        if b == 0x40:
            r.pos = at + 1
            return None
        vt = VALUE_TYPES.get(b)
        if vt is not None:
            r.pos = at + 1
            return vt
        index = r.s33()
        if index < 0:
            raise DecodeError("malformed value type", at)
        return index

    # -- custom sections -----------------------------------------------------------

    def custom(self, r: Reader) -> None:
        at = r.pos
        name = r.name()
        payload = r.read(r.end - r.pos)
        self.mod.customs.append(CustomSection(name, payload, at))
        if name == "name":
            try:
                self.mod.names = _name_section(payload)
            except DecodeError:
                pass  # a malformed name section is ignored, as the spec allows


def _name_map(r: Reader) -> dict[int, str]:
    out = {}
    for _ in range(r.vec_count()):
        index = r.u32()
        out[index] = r.name()
    return out


def _name_section(payload: bytes) -> Names:
    names = Names()
    r = Reader(payload)
    while not r.eof():
        sub_id = r.byte()
        size = r.u32()
        sub = Reader(payload, r.pos, min(r.pos + size, len(payload)))
        if sub_id == 0:
            names.module = sub.name()
        elif sub_id == 1:
            names.functions = _name_map(sub)
        elif sub_id == 2:
            for _ in range(sub.vec_count()):
                func = sub.u32()
                names.locals[func] = _name_map(sub)
        r.pos += size
    return names
