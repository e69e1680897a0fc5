"""Rules shared by every architecture: memory loads and stores, ``memory.size``,
globals, tables, ``ref.func``, ``ref.is_null``, extensions, reinterpretation,
copysign and the float instructions with one input, all built from the instructions
of ``common_inst.py``; and the integer arithmetic, shifts and float arithmetic, built
from the architecture's instructions of the shared formats (the tables and hooks of
its :class:`~wazaot.lower.isel.Lowering`: ``alu_ops``, ``alu_imm``, ``shift_ops``...).

They include the rules of the instructions that exit to the runtime
(``builtins.py``) and of the SIMD instructions (``vector.py``); each architecture's :class:`~wazaot.lower.rules.RuleSet` includes
these and adds its own.
"""

from __future__ import annotations

from typing import Any

from ..api import ValueType
from ..vmctx import ModuleCtx, Table
from .backend import Const, Operand, Reg, signed_const
from .builtins import BUILTIN_RULES
from .common_inst import (
    Convert,
    Extend,
    FAbs,
    FCopysign,
    FNeg,
    FRound,
    FSqrt,
    LoadCtx,
    MovImm,
    NonZero,
    Reinterpret,
    SetCond,
    StoreGlobal,
    TableAccess,
    TruncChecked,
    TruncSat,
)
from .isel import Lowering
from .ops import Op, Operation
from .rules import FLOATS, INTS, RuleSet
from .vector import VECTOR_RULES

__all__ = ["COMMON_RULES"]

COMMON_RULES: RuleSet[Lowering] = RuleSet("common", include=(BUILTIN_RULES, VECTOR_RULES))


_V128 = ValueType.V128
_COMMUTATIVE = {Operation.ADD, Operation.AND, Operation.OR, Operation.XOR, Operation.MUL}


def _width(vt: ValueType) -> int:
    if vt is _V128:
        return 16
    return 4 if vt in (ValueType.I32, ValueType.F32) else 8


@COMMON_RULES.operations(Operation.ADD, Operation.SUB, Operation.AND, Operation.OR, Operation.XOR,
                         Operation.MUL, types=INTS)  # fmt: skip
def alu(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt, size, operation = op.type, op.size, op.operation
    assert vt is not None
    a, b = args
    if operation in _COMMUTATIVE and type(a) is Const and type(b) is not Const:
        a, b = b, a  # the constant where the immediate forms take it
    dst = lw.new_vreg(vt)
    lhs = lw.reg(a)
    k = signed_const(b, size)
    inst = lw.alu_imm(operation, size, dst, lhs, k) if k is not None else None
    if inst is None:
        inst = lw.alu_rrr(lw.alu_ops[operation], size, dst, lhs, lw.reg(b))
    lw.emit(inst)
    return [Reg(dst, vt)]


@COMMON_RULES.operations(Operation.SHL, Operation.SHR, Operation.ROTL, Operation.ROTR)
def shift(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt, size = op.type, op.size
    assert vt is not None
    shift_op = lw.shift_ops[op.operation, op.signed]
    a, b = args
    dst = lw.new_vreg(vt)
    if type(b) is Const:
        lw.emit(lw.shift_imm(shift_op, size, dst, lw.reg(a), b.bits & (size - 1)))
    else:
        count = lw.shift_count(b)
        lw.emit(lw.shift_rr(shift_op, size, dst, lw.reg(a), count))
    return [Reg(dst, vt)]


@COMMON_RULES.operations(Operation.CLZ, Operation.CTZ, Operation.POPCNT)
def bit_count(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    dst = lw.new_vreg(vt)
    lw.emit(lw.bit_count(op.operation, op.size, dst, lw.reg(args[0])))
    return [Reg(dst, vt)]


@COMMON_RULES.operations(Operation.ADD, Operation.SUB, Operation.MUL, Operation.DIV,
                         Operation.MIN, Operation.MAX, types=FLOATS)  # fmt: skip
def float_binary(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    dst = lw.new_vreg(vt)
    lw.emit(lw.float_binary[op.operation](op.size, dst, lw.reg(args[0]), lw.reg(args[1])))
    return [Reg(dst, vt)]


@COMMON_RULES.opcodes("memory.size")
def memory_size(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    size = lw.new_vreg(ValueType.I64)
    lw.emit(LoadCtx(size, ModuleCtx.MEMORY_SIZE))
    dst = lw.new_vreg(ValueType.I32)
    lw.emit(lw.shift_imm(lw.shift_ops[Operation.SHR, False], 64, dst, size, 16))  # bytes -> pages
    return [Reg(dst, ValueType.I32)]


@COMMON_RULES.operations(Operation.LOAD)
def load(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    if vt is _V128:
        lw.out.vectors = True
    dst = lw.new_vreg(vt)
    lw.wasm_load(op, dst, args[0], imm[1])
    return [Reg(dst, vt)]


@COMMON_RULES.operations(Operation.STORE)
def store(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    lw.wasm_store(op, lw.reg(args[1]), args[0], imm[1])
    return []


@COMMON_RULES.opcodes("table.size")
def table_size(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    dst = lw.new_vreg(ValueType.I32)
    lw.emit(LoadCtx(dst, lw.env.layout.table_slot(imm), True, 4, Table.SIZE))
    return [Reg(dst, ValueType.I32)]


@COMMON_RULES.opcodes("table.get")
def table_get(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = lw.env.table_types[imm].elem_type
    dst = lw.new_vreg(vt)
    lw.emit(TableAccess(lw.env.layout.table_slot(imm), lw.reg(args[0]), dst=dst))
    return [Reg(dst, vt)]


@COMMON_RULES.opcodes("table.set")
def table_set(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    lw.emit(TableAccess(lw.env.layout.table_slot(imm), lw.reg(args[0]), src=lw.reg(args[1])))
    return []


@COMMON_RULES.opcodes("global.get")
def global_get(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = lw.env.global_types[imm].value_type
    if vt is _V128:
        lw.out.vectors = True
    dst = lw.new_vreg(vt)
    lw.emit(LoadCtx(dst, lw.env.layout.global_slot(imm), True, _width(vt)))
    return [Reg(dst, vt)]


@COMMON_RULES.opcodes("global.set")
def global_set(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = lw.env.global_types[imm].value_type
    lw.emit(StoreGlobal(lw.reg(args[0]), lw.env.layout.global_slot(imm), _width(vt)))
    return []


@COMMON_RULES.opcodes("ref.func")
def ref_func(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    dst = lw.new_vreg(ValueType.FUNCREF)
    lw.emit(LoadCtx(dst, lw.env.layout.func_slot(imm)))
    return [Reg(dst, ValueType.FUNCREF)]


@COMMON_RULES.opcodes("ref.is_null")
def ref_is_null(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    dst = lw.new_vreg(ValueType.I32)
    if type(args[0]) is Const:
        lw.emit(MovImm(32, dst, int(args[0].bits == 0)))
    else:
        lw.emit(SetCond(NonZero(lw.reg(args[0]), 64, negate=True), dst))
    return [Reg(dst, ValueType.I32)]


@COMMON_RULES.operations(Operation.EXTEND, Operation.WRAP)
def extend(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    # i32.wrap_i64 and i64.extend_i32_u are both a 32-bit move (``mov r32, r32``,
    # ``mov w, w``).
    vt = op.type
    assert vt is not None
    from_bits = 32 if op.operation is Operation.WRAP else op.bits
    dst = lw.new_vreg(vt)
    lw.emit(Extend(op.signed, from_bits, op.size, dst, lw.reg(args[0])))
    return [Reg(dst, vt)]


@COMMON_RULES.operations(Operation.REINTERPRET)
def reinterpret(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    dst = lw.new_vreg(vt)
    lw.emit(Reinterpret(op.size, dst, lw.reg(args[0])))
    return [Reg(dst, vt)]


@COMMON_RULES.operations(Operation.COPYSIGN)
def copysign(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    dst = lw.new_vreg(vt)
    lw.emit(FCopysign(op.size, dst, lw.reg(args[0]), lw.reg(args[1])))
    return [Reg(dst, vt)]


_UNARY = {Operation.SQRT: FSqrt, Operation.NEG: FNeg, Operation.ABS: FAbs}


@COMMON_RULES.operations(Operation.SQRT, Operation.NEG, Operation.ABS)
def float_unary(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    dst = lw.new_vreg(vt)
    lw.emit(_UNARY[op.operation](op.size, dst, lw.reg(args[0])))
    return [Reg(dst, vt)]


@COMMON_RULES.operations(Operation.ROUND)
def float_round(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None and op.rounding is not None
    dst = lw.new_vreg(vt)
    lw.emit(FRound(op.size, dst, lw.reg(args[0]), op.rounding))
    return [Reg(dst, vt)]


@COMMON_RULES.operations(Operation.TRUNC)
def trunc(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    dst = lw.new_vreg(vt)
    cls = TruncSat if op.saturating else TruncChecked
    lw.emit(cls(op.from_size, op.size, op.signed, dst, lw.reg(args[0])))
    return [Reg(dst, vt)]


@COMMON_RULES.operations(Operation.CONVERT)
def convert(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    dst = lw.new_vreg(vt)
    lw.emit(Convert(op.from_size, op.signed, op.size, dst, lw.reg(args[0])))
    return [Reg(dst, vt)]
