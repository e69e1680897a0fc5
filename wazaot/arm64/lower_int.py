"""Instruction selection for integer arithmetic and bit counting (extensions and
wrapping are shared: ``wazaot.lower.common_rules``)."""

from __future__ import annotations

from typing import Any

from ..lower.backend import Const, Operand, Reg, signed_const
from ..lower.ops import Op, Operation
from ..lower.rules import INTS
from .imms import Imm12, LogicalImm
from .inst import (
    AluOp,
    AluRRImm12,
    AluRRImmLogic,
    AluRRR,
    Clz,
    Ctz,
    DivRem,
    Popcnt,
    ShiftImm,
    ShiftOp,
    ShiftRR,
)
from .lower import Arm64Lowering
from .rules import RULES

_ALU = {Operation.ADD: AluOp.ADD, Operation.SUB: AluOp.SUB, Operation.AND: AluOp.AND,
        Operation.OR: AluOp.ORR, Operation.XOR: AluOp.EOR, Operation.MUL: AluOp.MUL}  # fmt: skip
_COMMUTATIVE = {Operation.ADD, Operation.AND, Operation.OR, Operation.XOR, Operation.MUL}
_LOGIC = {Operation.AND, Operation.OR, Operation.XOR}
_SHIFTS = {
    (Operation.SHL, False): ShiftOp.LSL, (Operation.SHR, True): ShiftOp.ASR,
    (Operation.SHR, False): ShiftOp.LSR, (Operation.ROTL, False): ShiftOp.ROL,
    (Operation.ROTR, False): ShiftOp.ROR,
}  # fmt: skip
_BIT_COUNTS = {Operation.CLZ: Clz, Operation.CTZ: Ctz, Operation.POPCNT: Popcnt}


@RULES.operations(Operation.ADD, Operation.SUB, Operation.AND, Operation.OR, Operation.XOR,
                  Operation.MUL, types=INTS)  # fmt: skip
def alu(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt, size = op.type, op.size
    assert vt is not None
    a, b = args
    operation = op.operation
    if operation in _COMMUTATIVE and type(a) is Const and type(b) is not Const:
        a, b = b, a
    dst = lw.new_vreg(vt)
    k = signed_const(b, size)
    if k is not None and operation in (Operation.ADD, Operation.SUB):
        # sub x, #k is add x, #-k: whichever magnitude fits.
        neg = k < 0
        imm12 = Imm12.try_from(-k if neg else k)
        if imm12 is not None:
            is_add = (operation is Operation.ADD) != neg
            lw.emit(AluRRImm12(AluOp.ADD if is_add else AluOp.SUB, size, dst, lw.reg(a), imm12))
            return [Reg(dst, vt)]
    if k is not None and operation in _LOGIC:
        logical = LogicalImm.try_from(k & ((1 << size) - 1), size)
        if logical is not None:
            lw.emit(AluRRImmLogic(_ALU[operation], size, dst, lw.reg(a), logical))
            return [Reg(dst, vt)]
    lw.emit(AluRRR(_ALU[operation], size, dst, lw.reg(a), lw.reg(b)))
    return [Reg(dst, vt)]


@RULES.operations(Operation.SHL, Operation.SHR, Operation.ROTL, Operation.ROTR)
def shift(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt, size = op.type, op.size
    assert vt is not None
    shift_op = _SHIFTS[op.operation, op.signed]
    a, b = args
    dst = lw.new_vreg(vt)
    if type(b) is Const:
        lw.emit(ShiftImm(shift_op, size, dst, lw.reg(a), b.bits & (size - 1)))
    else:
        lw.emit(ShiftRR(shift_op, size, dst, lw.reg(a), lw.reg(b)))
    return [Reg(dst, vt)]


@RULES.operations(Operation.DIV, Operation.REM, types=INTS)
def div_rem(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    a, b = args
    dst = lw.new_vreg(vt)
    lw.emit(DivRem(op.operation is Operation.REM, op.signed, op.size, dst, lw.reg(a),
                   lw.reg(b)))  # fmt: skip
    return [Reg(dst, vt)]


@RULES.operations(Operation.CLZ, Operation.CTZ, Operation.POPCNT)
def bit_count(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    dst = lw.new_vreg(vt)
    lw.emit(_BIT_COUNTS[op.operation](op.size, dst, lw.reg(args[0])))
    return [Reg(dst, vt)]
