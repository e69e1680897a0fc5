"""Instruction selection for the integer division and remainder: ``sdiv``/``udiv``,
which do not trap, with the checks wasm wants. The other integer instructions are
selected by the shared rules (``rules.py``) over the tables and hooks of
``lower.py``."""

from __future__ import annotations

from typing import Any

from ..lower.backend import Operand, Reg
from ..lower.ops import Op, Operation
from ..lower.rules import INTS
from .inst import DivRem
from .lower import Arm64Lowering
from .rules import RULES


@RULES.operations(Operation.DIV, Operation.REM, types=INTS)
def div_rem(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    a, b = args
    dst = lw.new_vreg(vt)
    lw.emit(DivRem(op.operation is Operation.REM, op.signed, op.size, dst, lw.reg(a),
                   lw.reg(b)))  # fmt: skip
    return [Reg(dst, vt)]
