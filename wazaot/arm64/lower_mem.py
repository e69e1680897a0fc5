"""Instruction selection for ``memory.fill`` and ``memory.copy``, which arm64 does with
loops in the generated code (``sequences.py``): the operands stay in whatever registers
hold them and the loops get scratch registers of their own. Every other memory
instruction is selected by the rules all architectures share (``rules.py``).
"""

from __future__ import annotations

from typing import Any

from ..api import ValueType
from ..lower.backend import Operand
from ..lower.ops import Op
from .inst import MemCopy, MemFill
from .lower import Arm64Lowering
from .rules import RULES


@RULES.opcodes("memory.fill")
def memory_fill(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    dst, value, n = (lw.reg(a) for a in args)
    lw.emit(MemFill(dst, value, n, lw.new_vreg(ValueType.I64), lw.new_vreg(ValueType.I64)))
    return []


@RULES.opcodes("memory.copy")
def memory_copy(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    dst, src, n = (lw.reg(a) for a in args)
    temps = (lw.new_vreg(ValueType.I64) for _ in range(3))
    lw.emit(MemCopy(dst, src, n, *temps))
    return []
