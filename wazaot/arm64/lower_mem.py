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
from .lower import Arm64Lowering
from .rules import RULES


@RULES.opcodes("memory.size")
def memory_size(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    size = lw.new_vreg(ValueType.I64)
    lw.emit(LoadCtx(size, ModuleCtx.MEMORY_SIZE))
    dst = lw.new_vreg(ValueType.I32)
    lw.emit(ShiftImm(ShiftOp.LSR, 64, dst, size, 16))
    return [Reg(dst, ValueType.I32)]


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
