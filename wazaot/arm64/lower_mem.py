"""Instruction selection for memory, globals, tables and references.

The instructions that exit to the runtime (``memory.grow``, ``table.grow``...) are
shared by every architecture: see ``wazaot.lower.builtins``.
"""

from __future__ import annotations

from typing import Any

from ..api import ValueType
from ..lower.backend import Const, Operand, Reg
from ..lower.ops import Op, Operation
from ..vmctx import ModuleCtx, Table
from .inst import (
    LoadCtx,
    MemCopy,
    MemFill,
    MovImm,
    NonZero,
    SetCond,
    ShiftImm,
    ShiftOp,
    StoreGlobal,
    TableAccess,
    WasmLoad,
    WasmStore,
)
from .lower import Arm64Lowering
from .rules import RULES


@RULES.operations(Operation.LOAD)
def load(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = op.type
    assert vt is not None
    dst = lw.new_vreg(vt)
    lw.emit(WasmLoad(op, dst, lw.reg(args[0]), imm[1]))
    return [Reg(dst, vt)]


@RULES.operations(Operation.STORE)
def store(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    lw.emit(WasmStore(op, lw.reg(args[1]), lw.reg(args[0]), imm[1]))
    return []


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


@RULES.opcodes("table.size")
def table_size(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    dst = lw.new_vreg(ValueType.I32)
    lw.emit(LoadCtx(dst, lw.env.layout.table_slot(imm), True, 4, Table.SIZE))
    return [Reg(dst, ValueType.I32)]


@RULES.opcodes("table.get")
def table_get(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = lw.env.table_types[imm].elem_type
    dst = lw.new_vreg(vt)
    lw.emit(TableAccess(lw.env.layout.table_slot(imm), lw.reg(args[0]), dst=dst))
    return [Reg(dst, vt)]


@RULES.opcodes("table.set")
def table_set(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    lw.emit(TableAccess(lw.env.layout.table_slot(imm), lw.reg(args[0]), src=lw.reg(args[1])))
    return []


@RULES.opcodes("global.get")
def global_get(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = lw.env.global_types[imm].value_type
    dst = lw.new_vreg(vt)
    width = 4 if vt in (ValueType.I32, ValueType.F32) else 8
    lw.emit(LoadCtx(dst, lw.env.layout.global_slot(imm), True, width))
    return [Reg(dst, vt)]


@RULES.opcodes("global.set")
def global_set(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = lw.env.global_types[imm].value_type
    width = 4 if vt in (ValueType.I32, ValueType.F32) else 8
    lw.emit(StoreGlobal(lw.reg(args[0]), lw.env.layout.global_slot(imm), width))
    return []


@RULES.opcodes("ref.func")
def ref_func(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    dst = lw.new_vreg(ValueType.FUNCREF)
    lw.emit(LoadCtx(dst, lw.env.layout.func_slot(imm)))
    return [Reg(dst, ValueType.FUNCREF)]


@RULES.opcodes("ref.is_null")
def ref_is_null(lw: Arm64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    dst = lw.new_vreg(ValueType.I32)
    if type(args[0]) is Const:
        lw.emit(MovImm(32, dst, int(args[0].bits == 0)))
    else:
        lw.emit(SetCond(NonZero(lw.reg(args[0]), 64, negate=True), dst))
    return [Reg(dst, ValueType.I32)]
