"""Instruction selection for ``memory.fill`` and ``memory.copy``, which x86 does with
``rep stosb`` and ``rep movsb``: their operands travel in fixed registers (rdi, rsi or
al, rcx) that the instruction consumes, so each gets a vreg of its own. Every other
memory instruction is selected by the rules all architectures share (``rules.py``).
"""

from __future__ import annotations

from typing import Any

from ..api import ValueType
from ..lower.backend import Operand
from ..lower.ops import Op
from .inst import MemCopy, MemFill
from .lower import Amd64Lowering
from .rules import RULES


@RULES.opcodes("memory.fill")
def memory_fill(lw: Amd64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    # Operands of their own: rep stosb consumes them, and one value passed twice
    # must sit in two fixed registers.
    lw.emit(MemFill(*(lw.fresh(a, ValueType.I32) for a in args)))
    return []


@RULES.opcodes("memory.copy")
def memory_copy(lw: Amd64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    lw.emit(MemCopy(*(lw.fresh(a, ValueType.I32) for a in args)))
    return []
