"""Instruction selection for the integer instructions that are x86's own: division (its
operands in rax and rdx) and bit counting (``lzcnt``, ``tzcnt`` and ``popcnt`` where
the processor has them, sequences where not). The other integer instructions are
selected by the shared rules (``rules.py``) over the tables of ``lower.py``."""

from __future__ import annotations

from typing import Any

from ..lower.backend import Operand, Reg
from ..lower.ops import Op, Operation
from ..lower.rules import INTS
from .inst import Clz, Ctz, DivRem, Popcnt
from .lower import Amd64Lowering
from .rules import RULES

_BIT_COUNTS = {Operation.CLZ: Clz, Operation.CTZ: Ctz, Operation.POPCNT: Popcnt}


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
