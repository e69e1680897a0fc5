"""Instruction selection for integer arithmetic and bit counting (extensions and
wrapping are shared: ``wazaot.lower.common_rules``)."""

from __future__ import annotations

from typing import Any

from ..api import ValueType
from ..lower.backend import Const, Operand, Reg
from ..lower.common_inst import MovRR
from ..lower.ops import Op, Operation
from ..lower.rules import INTS
from .inst import (
    AluOp,
    AluRRImm,
    AluRRR,
    Clz,
    Ctz,
    DivRem,
    MulImm,
    Popcnt,
    ShiftImm,
    ShiftOp,
    ShiftRR,
)
from .lower import Amd64Lowering
from .rules import RULES

_ALU = {Operation.ADD: AluOp.ADD, Operation.SUB: AluOp.SUB, Operation.AND: AluOp.AND,
        Operation.OR: AluOp.OR, Operation.XOR: AluOp.XOR, Operation.MUL: AluOp.IMUL}  # fmt: skip
_COMMUTATIVE = {Operation.ADD, Operation.AND, Operation.OR, Operation.XOR, Operation.MUL}
_SHIFTS = {
    (Operation.SHL, False): ShiftOp.SHL, (Operation.SHR, True): ShiftOp.SAR,
    (Operation.SHR, False): ShiftOp.SHR, (Operation.ROTL, False): ShiftOp.ROL,
    (Operation.ROTR, False): ShiftOp.ROR,
}  # fmt: skip
_BIT_COUNTS = {Operation.CLZ: Clz, Operation.CTZ: Ctz, Operation.POPCNT: Popcnt}


@RULES.operations(Operation.ADD, Operation.SUB, Operation.AND, Operation.OR, Operation.XOR,
                  Operation.MUL, types=INTS)  # fmt: skip
def alu(lw: Amd64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt, size = op.type, op.size
    assert vt is not None
    a, b = args
    if op.operation in _COMMUTATIVE and type(a) is Const and type(b) is not Const:
        a, b = b, a
    dst = lw.new_vreg(vt)
    k = lw.imm32(b, size)
    if k is not None:
        if op.operation is Operation.MUL:
            lw.emit(MulImm(size, dst, lw.reg(a), k))
        else:
            lw.emit(AluRRImm(_ALU[op.operation], size, dst, lw.reg(a), k))
    else:
        lw.emit(AluRRR(_ALU[op.operation], size, dst, lw.reg(a), lw.reg(b)))
    return [Reg(dst, vt)]


@RULES.operations(Operation.SHL, Operation.SHR, Operation.ROTL, Operation.ROTR)
def shift(lw: Amd64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt, size = op.type, op.size
    assert vt is not None
    shift_op = _SHIFTS[op.operation, op.signed]
    a, b = args
    dst = lw.new_vreg(vt)
    if type(b) is Const:
        lw.emit(ShiftImm(shift_op, size, dst, lw.reg(a), b.bits & (size - 1)))
    else:
        # A count of its own, so that the value and the count are distinct vregs.
        count = lw.new_vreg(ValueType.I64)
        lw.emit(MovRR(count, lw.reg(b)))
        lw.emit(ShiftRR(shift_op, size, dst, lw.reg(a), count))
    return [Reg(dst, vt)]


@RULES.operations(Operation.DIV, Operation.REM, types=INTS)
def div_rem(lw: Amd64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    a, b = args
    lhs = lw.fresh(a, vt)
    rhs = lw.fresh(b, vt)
    dst = lw.new_vreg(vt)
    lw.emit(DivRem(op.operation is Operation.REM, op.signed, op.size, dst, lhs, rhs,
                   lw.new_vreg(vt)))  # fmt: skip
    return [Reg(dst, vt)]


@RULES.operations(Operation.CLZ, Operation.CTZ, Operation.POPCNT)
def bit_count(lw: Amd64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    dst = lw.new_vreg(vt)
    features = lw.features
    native = {Operation.CLZ: features.lzcnt, Operation.CTZ: features.tzcnt,
              Operation.POPCNT: features.popcnt}[op.operation]  # fmt: skip
    lw.emit(_BIT_COUNTS[op.operation](op.size, native, dst, lw.reg(args[0])))
    return [Reg(dst, vt)]
