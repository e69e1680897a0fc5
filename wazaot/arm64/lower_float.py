"""Instruction selection for ``f32.demote_f64`` and ``f64.promote_f32``: one ``fcvt``,
whose ``prec`` is the result's.

Every other float instruction is selected the same way on every architecture
(``wazaot.lower.common_rules``; the arithmetic over ``lower.FLOAT_BINARY``) and
emitted in ``emit.py``. arm64 has wasm's semantics in single instructions for most of
them: ``fmin``/``fmax`` (NaN in, NaN out; -0 < +0), ``frintn`` (nearest, ties to
even), the saturating ``fcvtzs``/``fcvtzu`` (NaN gives 0) and the correctly rounded
``scvtf``/``ucvtf``.
"""

from __future__ import annotations

from typing import Any

from ..lower.backend import Operand, Reg
from ..lower.ops import Op, Operation
from .inst import FConvert
from .lower import Arm64Lowering
from .rules import RULES


@RULES.operations(Operation.DEMOTE, Operation.PROMOTE)
def change_precision(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    dst = lw.new_vreg(vt)
    lw.emit(FConvert(op.size, dst, lw.reg(args[0])))
    return [Reg(dst, vt)]
