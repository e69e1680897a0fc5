"""Instruction selection for the integer division and remainder, which x86 does with
its operands in rax and rdx. The other integer instructions are selected by the shared
rules (``rules.py``) over the tables and hooks of ``lower.py``."""

from __future__ import annotations

from typing import Any

from ..lower.backend import Operand, Reg
from ..lower.ops import Op, Operation
from ..lower.rules import INTS
from .inst import DivRem
from .lower import Amd64Lowering
from .rules import RULES


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
