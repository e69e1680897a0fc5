"""Instruction selection for floating point: arithmetic, min/max, promotion and
demotion.

sqrt, neg, abs, copysign, rounding, reinterpretation and the conversions between
integers and floats are selected the same way on every architecture
(``wazaot.lower.common_rules``); their x86-64 code is in ``emit.py`` and
``sequences.py``.
"""

from __future__ import annotations

from typing import Any

from ..lower.backend import Operand, Reg
from ..lower.ops import Op, Operation
from ..lower.rules import FLOATS
from .inst import (
    Demote,
    FAlu,
    FAluOp,
    FMax,
    FMin,
    Promote,
)
from .lower import Amd64Lowering
from .rules import RULES

_FALU = {Operation.ADD: FAluOp.ADD, Operation.SUB: FAluOp.SUB, Operation.MUL: FAluOp.MUL,
         Operation.DIV: FAluOp.DIV}  # fmt: skip
_BINARY = {Operation.MIN: FMin, Operation.MAX: FMax}


@RULES.operations(Operation.ADD, Operation.SUB, Operation.MUL, Operation.DIV, types=FLOATS)
def arith(lw: Amd64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    dst = lw.new_vreg(vt)
    lw.emit(FAlu(_FALU[op.operation], op.size, dst, lw.reg(args[0]), lw.reg(args[1])))
    return [Reg(dst, vt)]


@RULES.operations(Operation.MIN, Operation.MAX)
def binary(lw: Amd64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    dst = lw.new_vreg(vt)
    lw.emit(_BINARY[op.operation](op.size, dst, lw.reg(args[0]), lw.reg(args[1])))
    return [Reg(dst, vt)]


@RULES.operations(Operation.DEMOTE, Operation.PROMOTE)
def change_precision(lw: Amd64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    dst = lw.new_vreg(vt)
    cls = Demote if op.operation is Operation.DEMOTE else Promote
    lw.emit(cls(dst, lw.reg(args[0])))
    return [Reg(dst, vt)]
