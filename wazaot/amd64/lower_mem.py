"""Instruction selection for the memory instructions whose code depends on the
architecture: ``memory.size``, ``memory.fill``, ``memory.copy``.

Loads, stores, globals, tables and the reference instructions are shared by every
architecture (``wazaot.lower.common_rules``), and so are the instructions that exit to
the runtime (``memory.grow``, ``table.grow``...: ``wazaot.lower.builtins``).
"""

from __future__ import annotations

from typing import Any

from ..api import ValueType
from ..lower.backend import Operand, Reg
from ..lower.common_inst import LoadCtx
from ..lower.ops import Op
from ..vmctx import ModuleCtx
from .inst import (
    MemCopy,
    MemFill,
    ShiftImm,
    ShiftOp,
)
from .lower import Amd64Lowering
from .rules import RULES


@RULES.opcodes("memory.size")
def memory_size(lw: Amd64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    size = lw.new_vreg(ValueType.I64)
    lw.emit(LoadCtx(size, ModuleCtx.MEMORY_SIZE))
    dst = lw.new_vreg(ValueType.I32)
    lw.emit(ShiftImm(ShiftOp.SHR, 64, dst, size, 16))
    return [Reg(dst, ValueType.I32)]


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
