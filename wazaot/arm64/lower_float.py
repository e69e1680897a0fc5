"""Instruction selection for floating point: arithmetic, min/max, promotion and
demotion. sqrt, neg, abs, copysign, rounding, reinterpretation and the conversions
between integers and floats are selected the same way on every architecture
(``wazaot.lower.common_rules``) and emitted in ``emit.py``.

arm64 has wasm's semantics in single instructions for most of them: ``fmin``/``fmax``
(NaN in, NaN out; -0 < +0), ``frintn`` (nearest, ties to even), the saturating
``fcvtzs``/``fcvtzu`` (NaN gives 0) and the correctly rounded ``scvtf``/``ucvtf``.
"""

from __future__ import annotations

from typing import Any

from ..lower.backend import Operand, Reg
from ..lower.ops import Op, Operation
from ..lower.rules import FLOATS
from .inst import (
    FAlu,
    FAluOp,
    FConvert,
)
from .lower import Arm64Lowering
from .rules import RULES

_FALU = {Operation.ADD: FAluOp.ADD, Operation.SUB: FAluOp.SUB, Operation.MUL: FAluOp.MUL,
         Operation.DIV: FAluOp.DIV, Operation.MIN: FAluOp.MIN,
         Operation.MAX: FAluOp.MAX}  # fmt: skip


@RULES.operations(Operation.ADD, Operation.SUB, Operation.MUL, Operation.DIV, Operation.MIN,
                  Operation.MAX, types=FLOATS)  # fmt: skip
def arith(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    dst = lw.new_vreg(vt)
    lw.emit(FAlu(_FALU[op.operation], op.size, dst, lw.reg(args[0]), lw.reg(args[1])))
    return [Reg(dst, vt)]


@RULES.operations(Operation.DEMOTE, Operation.PROMOTE)
def change_precision(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    dst = lw.new_vreg(vt)
    lw.emit(FConvert(op.size, dst, lw.reg(args[0])))
    return [Reg(dst, vt)]
