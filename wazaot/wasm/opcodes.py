"""The WebAssembly instruction set as one literal table (Core 2.0 with SIMD).

Each row is ``(code, name, immediate kind, signature)``. ``code`` is the opcode as
wazaot numbers it: the byte itself for one-byte opcodes, ``0xFC00 | sub`` for the
``0xFC`` prefix (saturating truncation, bulk memory, tables) and ``0xFD000 | sub``
for the ``0xFD`` prefix (SIMD). ``signature`` is ``"params:results"`` with one letter
per value (``i`` i32, ``I`` i64, ``f`` f32, ``F`` f64, ``v`` v128) for instructions
whose stack effect is fixed; instructions typed by their immediates (control,
locals, calls, references, tables, ``select``) have None and are typed by the
validator itself.

Code refers to instructions by their wasm names through ``OP[...]``, e.g.
``OP["i32.add"]``, so a grep for the wasm name finds every place that handles it.
"""

from __future__ import annotations

import enum

from ..api import ValueType


class Imm(enum.Enum):
    """The kind of immediate an instruction carries in the binary format."""

    NONE = "none"
    BLOCK = "blocktype"  # None (empty), a ValueType, or an int type index
    LABEL = "labelidx"
    BR_TABLE = "br_table"  # (tuple of labels, default label)
    FUNC = "funcidx"
    CALL_INDIRECT = "call_indirect"  # (type index, table index)
    LOCAL = "localidx"
    GLOBAL = "globalidx"
    TABLE = "tableidx"
    MEMARG = "memarg"  # (align log2, offset)
    MEMORY = "memidx"  # the reserved zero byte of memory.size / memory.grow / memory.fill
    I32 = "i32"  # the 32-bit pattern, unsigned
    I64 = "i64"  # the 64-bit pattern, unsigned
    F32 = "f32"  # the bit pattern
    F64 = "f64"  # the bit pattern
    REF_TYPE = "reftype"
    SELECT_T = "select_t"  # tuple of value types
    DATA = "dataidx"
    ELEM = "elemidx"
    MEMORY_INIT = "memory.init"  # data index (the memory byte is checked and dropped)
    MEMORY_COPY = "memory.copy"  # two reserved zero bytes
    TABLE_INIT = "table.init"  # (element index, table index)
    TABLE_COPY = "table.copy"  # (destination table, source table)
    V128 = "v128"  # the 128-bit pattern, lane 0 in the low bits
    SHUFFLE = "shuffle"  # tuple of 16 lane indices
    LANE = "laneidx"
    MEMARG_LANE = "memarg_lane"  # ((align log2, offset), lane)


N, BL, LB, BT, FN, CI, LO, GL, TB, MA, MZ = (
    Imm.NONE, Imm.BLOCK, Imm.LABEL, Imm.BR_TABLE, Imm.FUNC, Imm.CALL_INDIRECT,
    Imm.LOCAL, Imm.GLOBAL, Imm.TABLE, Imm.MEMARG, Imm.MEMORY,
)  # fmt: skip

# (code, name, immediate, signature)
_TABLE: list[tuple[int, str, Imm, str | None]] = [
    # control
    (0x00, "unreachable", N, None),
    (0x01, "nop", N, ":"),
    (0x02, "block", BL, None),
    (0x03, "loop", BL, None),
    (0x04, "if", BL, None),
    (0x05, "else", N, None),
    (0x0B, "end", N, None),
    (0x0C, "br", LB, None),
    (0x0D, "br_if", LB, None),
    (0x0E, "br_table", BT, None),
    (0x0F, "return", N, None),
    (0x10, "call", FN, None),
    (0x11, "call_indirect", CI, None),
    (0x12, "return_call", FN, None),
    (0x13, "return_call_indirect", CI, None),
    # parametric
    (0x1A, "drop", N, None),
    (0x1B, "select", N, None),
    (0x1C, "select_t", Imm.SELECT_T, None),
    # variables
    (0x20, "local.get", LO, None),
    (0x21, "local.set", LO, None),
    (0x22, "local.tee", LO, None),
    (0x23, "global.get", GL, None),
    (0x24, "global.set", GL, None),
    (0x25, "table.get", TB, None),
    (0x26, "table.set", TB, None),
    # memory
    (0x28, "i32.load", MA, "i:i"),
    (0x29, "i64.load", MA, "i:I"),
    (0x2A, "f32.load", MA, "i:f"),
    (0x2B, "f64.load", MA, "i:F"),
    (0x2C, "i32.load8_s", MA, "i:i"),
    (0x2D, "i32.load8_u", MA, "i:i"),
    (0x2E, "i32.load16_s", MA, "i:i"),
    (0x2F, "i32.load16_u", MA, "i:i"),
    (0x30, "i64.load8_s", MA, "i:I"),
    (0x31, "i64.load8_u", MA, "i:I"),
    (0x32, "i64.load16_s", MA, "i:I"),
    (0x33, "i64.load16_u", MA, "i:I"),
    (0x34, "i64.load32_s", MA, "i:I"),
    (0x35, "i64.load32_u", MA, "i:I"),
    (0x36, "i32.store", MA, "ii:"),
    (0x37, "i64.store", MA, "iI:"),
    (0x38, "f32.store", MA, "if:"),
    (0x39, "f64.store", MA, "iF:"),
    (0x3A, "i32.store8", MA, "ii:"),
    (0x3B, "i32.store16", MA, "ii:"),
    (0x3C, "i64.store8", MA, "iI:"),
    (0x3D, "i64.store16", MA, "iI:"),
    (0x3E, "i64.store32", MA, "iI:"),
    (0x3F, "memory.size", MZ, ":i"),
    (0x40, "memory.grow", MZ, "i:i"),
    # constants
    (0x41, "i32.const", Imm.I32, ":i"),
    (0x42, "i64.const", Imm.I64, ":I"),
    (0x43, "f32.const", Imm.F32, ":f"),
    (0x44, "f64.const", Imm.F64, ":F"),
    # i32 comparisons
    (0x45, "i32.eqz", N, "i:i"),
    (0x46, "i32.eq", N, "ii:i"),
    (0x47, "i32.ne", N, "ii:i"),
    (0x48, "i32.lt_s", N, "ii:i"),
    (0x49, "i32.lt_u", N, "ii:i"),
    (0x4A, "i32.gt_s", N, "ii:i"),
    (0x4B, "i32.gt_u", N, "ii:i"),
    (0x4C, "i32.le_s", N, "ii:i"),
    (0x4D, "i32.le_u", N, "ii:i"),
    (0x4E, "i32.ge_s", N, "ii:i"),
    (0x4F, "i32.ge_u", N, "ii:i"),
    # i64 comparisons
    (0x50, "i64.eqz", N, "I:i"),
    (0x51, "i64.eq", N, "II:i"),
    (0x52, "i64.ne", N, "II:i"),
    (0x53, "i64.lt_s", N, "II:i"),
    (0x54, "i64.lt_u", N, "II:i"),
    (0x55, "i64.gt_s", N, "II:i"),
    (0x56, "i64.gt_u", N, "II:i"),
    (0x57, "i64.le_s", N, "II:i"),
    (0x58, "i64.le_u", N, "II:i"),
    (0x59, "i64.ge_s", N, "II:i"),
    (0x5A, "i64.ge_u", N, "II:i"),
    # float comparisons
    (0x5B, "f32.eq", N, "ff:i"),
    (0x5C, "f32.ne", N, "ff:i"),
    (0x5D, "f32.lt", N, "ff:i"),
    (0x5E, "f32.gt", N, "ff:i"),
    (0x5F, "f32.le", N, "ff:i"),
    (0x60, "f32.ge", N, "ff:i"),
    (0x61, "f64.eq", N, "FF:i"),
    (0x62, "f64.ne", N, "FF:i"),
    (0x63, "f64.lt", N, "FF:i"),
    (0x64, "f64.gt", N, "FF:i"),
    (0x65, "f64.le", N, "FF:i"),
    (0x66, "f64.ge", N, "FF:i"),
    # i32 arithmetic
    (0x67, "i32.clz", N, "i:i"),
    (0x68, "i32.ctz", N, "i:i"),
    (0x69, "i32.popcnt", N, "i:i"),
    (0x6A, "i32.add", N, "ii:i"),
    (0x6B, "i32.sub", N, "ii:i"),
    (0x6C, "i32.mul", N, "ii:i"),
    (0x6D, "i32.div_s", N, "ii:i"),
    (0x6E, "i32.div_u", N, "ii:i"),
    (0x6F, "i32.rem_s", N, "ii:i"),
    (0x70, "i32.rem_u", N, "ii:i"),
    (0x71, "i32.and", N, "ii:i"),
    (0x72, "i32.or", N, "ii:i"),
    (0x73, "i32.xor", N, "ii:i"),
    (0x74, "i32.shl", N, "ii:i"),
    (0x75, "i32.shr_s", N, "ii:i"),
    (0x76, "i32.shr_u", N, "ii:i"),
    (0x77, "i32.rotl", N, "ii:i"),
    (0x78, "i32.rotr", N, "ii:i"),
    # i64 arithmetic
    (0x79, "i64.clz", N, "I:I"),
    (0x7A, "i64.ctz", N, "I:I"),
    (0x7B, "i64.popcnt", N, "I:I"),
    (0x7C, "i64.add", N, "II:I"),
    (0x7D, "i64.sub", N, "II:I"),
    (0x7E, "i64.mul", N, "II:I"),
    (0x7F, "i64.div_s", N, "II:I"),
    (0x80, "i64.div_u", N, "II:I"),
    (0x81, "i64.rem_s", N, "II:I"),
    (0x82, "i64.rem_u", N, "II:I"),
    (0x83, "i64.and", N, "II:I"),
    (0x84, "i64.or", N, "II:I"),
    (0x85, "i64.xor", N, "II:I"),
    (0x86, "i64.shl", N, "II:I"),
    (0x87, "i64.shr_s", N, "II:I"),
    (0x88, "i64.shr_u", N, "II:I"),
    (0x89, "i64.rotl", N, "II:I"),
    (0x8A, "i64.rotr", N, "II:I"),
    # f32 arithmetic
    (0x8B, "f32.abs", N, "f:f"),
    (0x8C, "f32.neg", N, "f:f"),
    (0x8D, "f32.ceil", N, "f:f"),
    (0x8E, "f32.floor", N, "f:f"),
    (0x8F, "f32.trunc", N, "f:f"),
    (0x90, "f32.nearest", N, "f:f"),
    (0x91, "f32.sqrt", N, "f:f"),
    (0x92, "f32.add", N, "ff:f"),
    (0x93, "f32.sub", N, "ff:f"),
    (0x94, "f32.mul", N, "ff:f"),
    (0x95, "f32.div", N, "ff:f"),
    (0x96, "f32.min", N, "ff:f"),
    (0x97, "f32.max", N, "ff:f"),
    (0x98, "f32.copysign", N, "ff:f"),
    # f64 arithmetic
    (0x99, "f64.abs", N, "F:F"),
    (0x9A, "f64.neg", N, "F:F"),
    (0x9B, "f64.ceil", N, "F:F"),
    (0x9C, "f64.floor", N, "F:F"),
    (0x9D, "f64.trunc", N, "F:F"),
    (0x9E, "f64.nearest", N, "F:F"),
    (0x9F, "f64.sqrt", N, "F:F"),
    (0xA0, "f64.add", N, "FF:F"),
    (0xA1, "f64.sub", N, "FF:F"),
    (0xA2, "f64.mul", N, "FF:F"),
    (0xA3, "f64.div", N, "FF:F"),
    (0xA4, "f64.min", N, "FF:F"),
    (0xA5, "f64.max", N, "FF:F"),
    (0xA6, "f64.copysign", N, "FF:F"),
    # conversions
    (0xA7, "i32.wrap_i64", N, "I:i"),
    (0xA8, "i32.trunc_f32_s", N, "f:i"),
    (0xA9, "i32.trunc_f32_u", N, "f:i"),
    (0xAA, "i32.trunc_f64_s", N, "F:i"),
    (0xAB, "i32.trunc_f64_u", N, "F:i"),
    (0xAC, "i64.extend_i32_s", N, "i:I"),
    (0xAD, "i64.extend_i32_u", N, "i:I"),
    (0xAE, "i64.trunc_f32_s", N, "f:I"),
    (0xAF, "i64.trunc_f32_u", N, "f:I"),
    (0xB0, "i64.trunc_f64_s", N, "F:I"),
    (0xB1, "i64.trunc_f64_u", N, "F:I"),
    (0xB2, "f32.convert_i32_s", N, "i:f"),
    (0xB3, "f32.convert_i32_u", N, "i:f"),
    (0xB4, "f32.convert_i64_s", N, "I:f"),
    (0xB5, "f32.convert_i64_u", N, "I:f"),
    (0xB6, "f32.demote_f64", N, "F:f"),
    (0xB7, "f64.convert_i32_s", N, "i:F"),
    (0xB8, "f64.convert_i32_u", N, "i:F"),
    (0xB9, "f64.convert_i64_s", N, "I:F"),
    (0xBA, "f64.convert_i64_u", N, "I:F"),
    (0xBB, "f64.promote_f32", N, "f:F"),
    (0xBC, "i32.reinterpret_f32", N, "f:i"),
    (0xBD, "i64.reinterpret_f64", N, "F:I"),
    (0xBE, "f32.reinterpret_i32", N, "i:f"),
    (0xBF, "f64.reinterpret_i64", N, "I:F"),
    # sign extension
    (0xC0, "i32.extend8_s", N, "i:i"),
    (0xC1, "i32.extend16_s", N, "i:i"),
    (0xC2, "i64.extend8_s", N, "I:I"),
    (0xC3, "i64.extend16_s", N, "I:I"),
    (0xC4, "i64.extend32_s", N, "I:I"),
    # references
    (0xD0, "ref.null", Imm.REF_TYPE, None),
    (0xD1, "ref.is_null", N, None),
    (0xD2, "ref.func", FN, None),
    # 0xFC prefix: saturating truncation
    (0xFC00, "i32.trunc_sat_f32_s", N, "f:i"),
    (0xFC01, "i32.trunc_sat_f32_u", N, "f:i"),
    (0xFC02, "i32.trunc_sat_f64_s", N, "F:i"),
    (0xFC03, "i32.trunc_sat_f64_u", N, "F:i"),
    (0xFC04, "i64.trunc_sat_f32_s", N, "f:I"),
    (0xFC05, "i64.trunc_sat_f32_u", N, "f:I"),
    (0xFC06, "i64.trunc_sat_f64_s", N, "F:I"),
    (0xFC07, "i64.trunc_sat_f64_u", N, "F:I"),
    # 0xFC prefix: bulk memory and tables
    (0xFC08, "memory.init", Imm.MEMORY_INIT, "iii:"),
    (0xFC09, "data.drop", Imm.DATA, ":"),
    (0xFC0A, "memory.copy", Imm.MEMORY_COPY, "iii:"),
    (0xFC0B, "memory.fill", MZ, "iii:"),
    (0xFC0C, "table.init", Imm.TABLE_INIT, "iii:"),
    (0xFC0D, "elem.drop", Imm.ELEM, ":"),
    (0xFC0E, "table.copy", Imm.TABLE_COPY, "iii:"),
    (0xFC0F, "table.grow", TB, None),
    (0xFC10, "table.size", TB, ":i"),
    (0xFC11, "table.fill", TB, None),
]  # fmt: skip

# 0xFD prefix: 128-bit SIMD. (sub-opcode, name, immediate, signature)
_SIMD: list[tuple[int, str, Imm, str | None]] = [
    (0x00, "v128.load", MA, "i:v"),
    (0x01, "v128.load8x8_s", MA, "i:v"),
    (0x02, "v128.load8x8_u", MA, "i:v"),
    (0x03, "v128.load16x4_s", MA, "i:v"),
    (0x04, "v128.load16x4_u", MA, "i:v"),
    (0x05, "v128.load32x2_s", MA, "i:v"),
    (0x06, "v128.load32x2_u", MA, "i:v"),
    (0x07, "v128.load8_splat", MA, "i:v"),
    (0x08, "v128.load16_splat", MA, "i:v"),
    (0x09, "v128.load32_splat", MA, "i:v"),
    (0x0A, "v128.load64_splat", MA, "i:v"),
    (0x0B, "v128.store", MA, "iv:"),
    (0x0C, "v128.const", Imm.V128, ":v"),
    (0x0D, "i8x16.shuffle", Imm.SHUFFLE, "vv:v"),
    (0x0E, "i8x16.swizzle", N, "vv:v"),
    (0x0F, "i8x16.splat", N, "i:v"),
    (0x10, "i16x8.splat", N, "i:v"),
    (0x11, "i32x4.splat", N, "i:v"),
    (0x12, "i64x2.splat", N, "I:v"),
    (0x13, "f32x4.splat", N, "f:v"),
    (0x14, "f64x2.splat", N, "F:v"),
    (0x15, "i8x16.extract_lane_s", Imm.LANE, "v:i"),
    (0x16, "i8x16.extract_lane_u", Imm.LANE, "v:i"),
    (0x17, "i8x16.replace_lane", Imm.LANE, "vi:v"),
    (0x18, "i16x8.extract_lane_s", Imm.LANE, "v:i"),
    (0x19, "i16x8.extract_lane_u", Imm.LANE, "v:i"),
    (0x1A, "i16x8.replace_lane", Imm.LANE, "vi:v"),
    (0x1B, "i32x4.extract_lane", Imm.LANE, "v:i"),
    (0x1C, "i32x4.replace_lane", Imm.LANE, "vi:v"),
    (0x1D, "i64x2.extract_lane", Imm.LANE, "v:I"),
    (0x1E, "i64x2.replace_lane", Imm.LANE, "vI:v"),
    (0x1F, "f32x4.extract_lane", Imm.LANE, "v:f"),
    (0x20, "f32x4.replace_lane", Imm.LANE, "vf:v"),
    (0x21, "f64x2.extract_lane", Imm.LANE, "v:F"),
    (0x22, "f64x2.replace_lane", Imm.LANE, "vF:v"),
    (0x23, "i8x16.eq", N, "vv:v"),
    (0x24, "i8x16.ne", N, "vv:v"),
    (0x25, "i8x16.lt_s", N, "vv:v"),
    (0x26, "i8x16.lt_u", N, "vv:v"),
    (0x27, "i8x16.gt_s", N, "vv:v"),
    (0x28, "i8x16.gt_u", N, "vv:v"),
    (0x29, "i8x16.le_s", N, "vv:v"),
    (0x2A, "i8x16.le_u", N, "vv:v"),
    (0x2B, "i8x16.ge_s", N, "vv:v"),
    (0x2C, "i8x16.ge_u", N, "vv:v"),
    (0x2D, "i16x8.eq", N, "vv:v"),
    (0x2E, "i16x8.ne", N, "vv:v"),
    (0x2F, "i16x8.lt_s", N, "vv:v"),
    (0x30, "i16x8.lt_u", N, "vv:v"),
    (0x31, "i16x8.gt_s", N, "vv:v"),
    (0x32, "i16x8.gt_u", N, "vv:v"),
    (0x33, "i16x8.le_s", N, "vv:v"),
    (0x34, "i16x8.le_u", N, "vv:v"),
    (0x35, "i16x8.ge_s", N, "vv:v"),
    (0x36, "i16x8.ge_u", N, "vv:v"),
    (0x37, "i32x4.eq", N, "vv:v"),
    (0x38, "i32x4.ne", N, "vv:v"),
    (0x39, "i32x4.lt_s", N, "vv:v"),
    (0x3A, "i32x4.lt_u", N, "vv:v"),
    (0x3B, "i32x4.gt_s", N, "vv:v"),
    (0x3C, "i32x4.gt_u", N, "vv:v"),
    (0x3D, "i32x4.le_s", N, "vv:v"),
    (0x3E, "i32x4.le_u", N, "vv:v"),
    (0x3F, "i32x4.ge_s", N, "vv:v"),
    (0x40, "i32x4.ge_u", N, "vv:v"),
    (0x41, "f32x4.eq", N, "vv:v"),
    (0x42, "f32x4.ne", N, "vv:v"),
    (0x43, "f32x4.lt", N, "vv:v"),
    (0x44, "f32x4.gt", N, "vv:v"),
    (0x45, "f32x4.le", N, "vv:v"),
    (0x46, "f32x4.ge", N, "vv:v"),
    (0x47, "f64x2.eq", N, "vv:v"),
    (0x48, "f64x2.ne", N, "vv:v"),
    (0x49, "f64x2.lt", N, "vv:v"),
    (0x4A, "f64x2.gt", N, "vv:v"),
    (0x4B, "f64x2.le", N, "vv:v"),
    (0x4C, "f64x2.ge", N, "vv:v"),
    (0x4D, "v128.not", N, "v:v"),
    (0x4E, "v128.and", N, "vv:v"),
    (0x4F, "v128.andnot", N, "vv:v"),
    (0x50, "v128.or", N, "vv:v"),
    (0x51, "v128.xor", N, "vv:v"),
    (0x52, "v128.bitselect", N, "vvv:v"),
    (0x53, "v128.any_true", N, "v:i"),
    (0x54, "v128.load8_lane", Imm.MEMARG_LANE, "iv:v"),
    (0x55, "v128.load16_lane", Imm.MEMARG_LANE, "iv:v"),
    (0x56, "v128.load32_lane", Imm.MEMARG_LANE, "iv:v"),
    (0x57, "v128.load64_lane", Imm.MEMARG_LANE, "iv:v"),
    (0x58, "v128.store8_lane", Imm.MEMARG_LANE, "iv:"),
    (0x59, "v128.store16_lane", Imm.MEMARG_LANE, "iv:"),
    (0x5A, "v128.store32_lane", Imm.MEMARG_LANE, "iv:"),
    (0x5B, "v128.store64_lane", Imm.MEMARG_LANE, "iv:"),
    (0x5C, "v128.load32_zero", MA, "i:v"),
    (0x5D, "v128.load64_zero", MA, "i:v"),
    (0x5E, "f32x4.demote_f64x2_zero", N, "v:v"),
    (0x5F, "f64x2.promote_low_f32x4", N, "v:v"),
    (0x60, "i8x16.abs", N, "v:v"),
    (0x61, "i8x16.neg", N, "v:v"),
    (0x62, "i8x16.popcnt", N, "v:v"),
    (0x63, "i8x16.all_true", N, "v:i"),
    (0x64, "i8x16.bitmask", N, "v:i"),
    (0x65, "i8x16.narrow_i16x8_s", N, "vv:v"),
    (0x66, "i8x16.narrow_i16x8_u", N, "vv:v"),
    (0x67, "f32x4.ceil", N, "v:v"),
    (0x68, "f32x4.floor", N, "v:v"),
    (0x69, "f32x4.trunc", N, "v:v"),
    (0x6A, "f32x4.nearest", N, "v:v"),
    (0x6B, "i8x16.shl", N, "vi:v"),
    (0x6C, "i8x16.shr_s", N, "vi:v"),
    (0x6D, "i8x16.shr_u", N, "vi:v"),
    (0x6E, "i8x16.add", N, "vv:v"),
    (0x6F, "i8x16.add_sat_s", N, "vv:v"),
    (0x70, "i8x16.add_sat_u", N, "vv:v"),
    (0x71, "i8x16.sub", N, "vv:v"),
    (0x72, "i8x16.sub_sat_s", N, "vv:v"),
    (0x73, "i8x16.sub_sat_u", N, "vv:v"),
    (0x74, "f64x2.ceil", N, "v:v"),
    (0x75, "f64x2.floor", N, "v:v"),
    (0x76, "i8x16.min_s", N, "vv:v"),
    (0x77, "i8x16.min_u", N, "vv:v"),
    (0x78, "i8x16.max_s", N, "vv:v"),
    (0x79, "i8x16.max_u", N, "vv:v"),
    (0x7A, "f64x2.trunc", N, "v:v"),
    (0x7B, "i8x16.avgr_u", N, "vv:v"),
    (0x7C, "i16x8.extadd_pairwise_i8x16_s", N, "v:v"),
    (0x7D, "i16x8.extadd_pairwise_i8x16_u", N, "v:v"),
    (0x7E, "i32x4.extadd_pairwise_i16x8_s", N, "v:v"),
    (0x7F, "i32x4.extadd_pairwise_i16x8_u", N, "v:v"),
    (0x80, "i16x8.abs", N, "v:v"),
    (0x81, "i16x8.neg", N, "v:v"),
    (0x82, "i16x8.q15mulr_sat_s", N, "vv:v"),
    (0x83, "i16x8.all_true", N, "v:i"),
    (0x84, "i16x8.bitmask", N, "v:i"),
    (0x85, "i16x8.narrow_i32x4_s", N, "vv:v"),
    (0x86, "i16x8.narrow_i32x4_u", N, "vv:v"),
    (0x87, "i16x8.extend_low_i8x16_s", N, "v:v"),
    (0x88, "i16x8.extend_high_i8x16_s", N, "v:v"),
    (0x89, "i16x8.extend_low_i8x16_u", N, "v:v"),
    (0x8A, "i16x8.extend_high_i8x16_u", N, "v:v"),
    (0x8B, "i16x8.shl", N, "vi:v"),
    (0x8C, "i16x8.shr_s", N, "vi:v"),
    (0x8D, "i16x8.shr_u", N, "vi:v"),
    (0x8E, "i16x8.add", N, "vv:v"),
    (0x8F, "i16x8.add_sat_s", N, "vv:v"),
    (0x90, "i16x8.add_sat_u", N, "vv:v"),
    (0x91, "i16x8.sub", N, "vv:v"),
    (0x92, "i16x8.sub_sat_s", N, "vv:v"),
    (0x93, "i16x8.sub_sat_u", N, "vv:v"),
    (0x94, "f64x2.nearest", N, "v:v"),
    (0x95, "i16x8.mul", N, "vv:v"),
    (0x96, "i16x8.min_s", N, "vv:v"),
    (0x97, "i16x8.min_u", N, "vv:v"),
    (0x98, "i16x8.max_s", N, "vv:v"),
    (0x99, "i16x8.max_u", N, "vv:v"),
    (0x9B, "i16x8.avgr_u", N, "vv:v"),
    (0x9C, "i16x8.extmul_low_i8x16_s", N, "vv:v"),
    (0x9D, "i16x8.extmul_high_i8x16_s", N, "vv:v"),
    (0x9E, "i16x8.extmul_low_i8x16_u", N, "vv:v"),
    (0x9F, "i16x8.extmul_high_i8x16_u", N, "vv:v"),
    (0xA0, "i32x4.abs", N, "v:v"),
    (0xA1, "i32x4.neg", N, "v:v"),
    (0xA3, "i32x4.all_true", N, "v:i"),
    (0xA4, "i32x4.bitmask", N, "v:i"),
    (0xA7, "i32x4.extend_low_i16x8_s", N, "v:v"),
    (0xA8, "i32x4.extend_high_i16x8_s", N, "v:v"),
    (0xA9, "i32x4.extend_low_i16x8_u", N, "v:v"),
    (0xAA, "i32x4.extend_high_i16x8_u", N, "v:v"),
    (0xAB, "i32x4.shl", N, "vi:v"),
    (0xAC, "i32x4.shr_s", N, "vi:v"),
    (0xAD, "i32x4.shr_u", N, "vi:v"),
    (0xAE, "i32x4.add", N, "vv:v"),
    (0xB1, "i32x4.sub", N, "vv:v"),
    (0xB5, "i32x4.mul", N, "vv:v"),
    (0xB6, "i32x4.min_s", N, "vv:v"),
    (0xB7, "i32x4.min_u", N, "vv:v"),
    (0xB8, "i32x4.max_s", N, "vv:v"),
    (0xB9, "i32x4.max_u", N, "vv:v"),
    (0xBA, "i32x4.dot_i16x8_s", N, "vv:v"),
    (0xBC, "i32x4.extmul_low_i16x8_s", N, "vv:v"),
    (0xBD, "i32x4.extmul_high_i16x8_s", N, "vv:v"),
    (0xBE, "i32x4.extmul_low_i16x8_u", N, "vv:v"),
    (0xBF, "i32x4.extmul_high_i16x8_u", N, "vv:v"),
    (0xC0, "i64x2.abs", N, "v:v"),
    (0xC1, "i64x2.neg", N, "v:v"),
    (0xC3, "i64x2.all_true", N, "v:i"),
    (0xC4, "i64x2.bitmask", N, "v:i"),
    (0xC7, "i64x2.extend_low_i32x4_s", N, "v:v"),
    (0xC8, "i64x2.extend_high_i32x4_s", N, "v:v"),
    (0xC9, "i64x2.extend_low_i32x4_u", N, "v:v"),
    (0xCA, "i64x2.extend_high_i32x4_u", N, "v:v"),
    (0xCB, "i64x2.shl", N, "vi:v"),
    (0xCC, "i64x2.shr_s", N, "vi:v"),
    (0xCD, "i64x2.shr_u", N, "vi:v"),
    (0xCE, "i64x2.add", N, "vv:v"),
    (0xD1, "i64x2.sub", N, "vv:v"),
    (0xD5, "i64x2.mul", N, "vv:v"),
    (0xD6, "i64x2.eq", N, "vv:v"),
    (0xD7, "i64x2.ne", N, "vv:v"),
    (0xD8, "i64x2.lt_s", N, "vv:v"),
    (0xD9, "i64x2.gt_s", N, "vv:v"),
    (0xDA, "i64x2.le_s", N, "vv:v"),
    (0xDB, "i64x2.ge_s", N, "vv:v"),
    (0xDC, "i64x2.extmul_low_i32x4_s", N, "vv:v"),
    (0xDD, "i64x2.extmul_high_i32x4_s", N, "vv:v"),
    (0xDE, "i64x2.extmul_low_i32x4_u", N, "vv:v"),
    (0xDF, "i64x2.extmul_high_i32x4_u", N, "vv:v"),
    (0xE0, "f32x4.abs", N, "v:v"),
    (0xE1, "f32x4.neg", N, "v:v"),
    (0xE3, "f32x4.sqrt", N, "v:v"),
    (0xE4, "f32x4.add", N, "vv:v"),
    (0xE5, "f32x4.sub", N, "vv:v"),
    (0xE6, "f32x4.mul", N, "vv:v"),
    (0xE7, "f32x4.div", N, "vv:v"),
    (0xE8, "f32x4.min", N, "vv:v"),
    (0xE9, "f32x4.max", N, "vv:v"),
    (0xEA, "f32x4.pmin", N, "vv:v"),
    (0xEB, "f32x4.pmax", N, "vv:v"),
    (0xEC, "f64x2.abs", N, "v:v"),
    (0xED, "f64x2.neg", N, "v:v"),
    (0xEF, "f64x2.sqrt", N, "v:v"),
    (0xF0, "f64x2.add", N, "vv:v"),
    (0xF1, "f64x2.sub", N, "vv:v"),
    (0xF2, "f64x2.mul", N, "vv:v"),
    (0xF3, "f64x2.div", N, "vv:v"),
    (0xF4, "f64x2.min", N, "vv:v"),
    (0xF5, "f64x2.max", N, "vv:v"),
    (0xF6, "f64x2.pmin", N, "vv:v"),
    (0xF7, "f64x2.pmax", N, "vv:v"),
    (0xF8, "i32x4.trunc_sat_f32x4_s", N, "v:v"),
    (0xF9, "i32x4.trunc_sat_f32x4_u", N, "v:v"),
    (0xFA, "f32x4.convert_i32x4_s", N, "v:v"),
    (0xFB, "f32x4.convert_i32x4_u", N, "v:v"),
    (0xFC, "i32x4.trunc_sat_f64x2_s_zero", N, "v:v"),
    (0xFD, "i32x4.trunc_sat_f64x2_u_zero", N, "v:v"),
    (0xFE, "f64x2.convert_low_i32x4_s", N, "v:v"),
    (0xFF, "f64x2.convert_low_i32x4_u", N, "v:v"),
]  # fmt: skip

PREFIX_FC = 0xFC00
PREFIX_FD = 0xFD000

_LETTERS = {
    "i": ValueType.I32,
    "I": ValueType.I64,
    "f": ValueType.F32,
    "F": ValueType.F64,
    "v": ValueType.V128,
}

OP: dict[str, int] = {}
"""wasm name -> opcode number (``OP["i32.add"] == 0x6A``)."""
NAMES: dict[int, str] = {}
"""opcode number -> wasm name."""
IMMEDIATES: dict[int, Imm] = {}
"""opcode number -> kind of immediate."""
SIGNATURES: dict[int, tuple[tuple[ValueType, ...], tuple[ValueType, ...]]] = {}
"""opcode number -> (params, results), for instructions with a fixed stack effect."""


def _sig(text: str) -> tuple[tuple[ValueType, ...], tuple[ValueType, ...]]:
    params, results = text.split(":")
    return tuple(_LETTERS[c] for c in params), tuple(_LETTERS[c] for c in results)


for _code, _name, _imm, _text in _TABLE + [(PREFIX_FD | s, n, i, t) for s, n, i, t in _SIMD]:
    OP[_name] = _code
    NAMES[_code] = _name
    IMMEDIATES[_code] = _imm
    if _text is not None:
        SIGNATURES[_code] = _sig(_text)


def _natural_alignment(name: str) -> int:
    """log2 of the access width in bytes of a load or store, from its name."""
    base = name.split(".", 1)[1]
    for marker, log2 in (
        ("8x8", 3), ("16x4", 3), ("32x2", 3), ("8_", 0), ("16_", 1), ("32_", 2), ("64_", 3),
    ):  # fmt: skip
        if marker in base:
            return log2
    if base.endswith(("8", "8_splat")):
        return 0
    if base.endswith("16"):
        return 1
    if base.endswith("32"):
        return 2
    if name.startswith("v128."):
        return 4
    return {"i32": 2, "f32": 2, "i64": 3, "f64": 3}[name.split(".")[0]]


MAX_ALIGN: dict[int, int] = {
    code: _natural_alignment(NAMES[code])
    for code, imm in IMMEDIATES.items()
    if imm in (Imm.MEMARG, Imm.MEMARG_LANE)
}
"""opcode -> the largest valid alignment exponent (the access's natural alignment)."""

LANES: dict[int, int] = {
    code: int(NAMES[code].split(".")[0].split("x")[1]) if "x" in NAMES[code].split(".")[0]
    else 16 // (1 << MAX_ALIGN[code])
    for code, imm in IMMEDIATES.items()
    if imm in (Imm.LANE, Imm.MEMARG_LANE)
}
"""opcode -> the number of lanes its lane index selects among."""

del _code, _name, _imm, _text
