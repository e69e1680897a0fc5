"""Instruction selection for the integer instructions that are arm64's own: division
(``sdiv``/``udiv`` do not trap, so the checks wasm wants come with them) and bit
counting. The other integer instructions are selected by the shared rules
(``rules.py``) over the tables of ``lower.py``."""

from __future__ import annotations

from typing import Any

from ..lower.backend import Operand, Reg
from ..lower.ops import Op, Operation
from ..lower.rules import INTS
from .inst import Clz, Ctz, DivRem, Popcnt
from .lower import Arm64Lowering
from .rules import RULES

_BIT_COUNTS = {Operation.CLZ: Clz, Operation.CTZ: Ctz, Operation.POPCNT: Popcnt}


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
