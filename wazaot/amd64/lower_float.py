"""Instruction selection for ``f32.demote_f64`` and ``f64.promote_f32``, an
instruction of its own each on x86 (``cvtsd2ss``, ``cvtss2sd``).

Every other float instruction is selected the same way on every architecture
(``wazaot.lower.common_rules``; the arithmetic over ``lower.FLOAT_BINARY``); their
x86-64 code is in ``emit.py`` and ``sequences.py``.
"""

from __future__ import annotations

from typing import Any

from ..lower.backend import Operand, Reg
from ..lower.ops import Op, Operation
from .inst import Demote, Promote
from .lower import Amd64Lowering
from .rules import RULES


@RULES.operations(Operation.DEMOTE, Operation.PROMOTE)
def change_precision(lw: Amd64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    dst = lw.new_vreg(vt)
    cls = Demote if op.operation is Operation.DEMOTE else Promote
    lw.emit(cls(dst, lw.reg(args[0])))
    return [Reg(dst, vt)]
