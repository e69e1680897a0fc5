"""Instruction selection for memory, globals, tables and references."""

from __future__ import annotations

from typing import Any

from ..api import ValueType
from ..lower.backend import Const, Operand, Reg
from ..vmctx import Builtin, ModuleCtx, Table
from ..wasm.opcodes import NAMES
from .inst import (
    Exit,
    LoadCtx,
    MemCopy,
    MemFill,
    MovImm,
    NonZero,
    SetCond,
    ShiftImm,
    StoreGlobal,
    TableAccess,
    WasmLoad,
    WasmStore,
)
from .rules import rule

# name -> (bytes, signed, destination bits, float)
LOADS: dict[str, tuple[int, bool, int, bool]] = {
    "i32.load": (4, False, 32, False), "i64.load": (8, False, 64, False),
    "f32.load": (4, False, 32, True), "f64.load": (8, False, 64, True),
    "i32.load8_s": (1, True, 32, False), "i32.load8_u": (1, False, 32, False),
    "i32.load16_s": (2, True, 32, False), "i32.load16_u": (2, False, 32, False),
    "i64.load8_s": (1, True, 64, False), "i64.load8_u": (1, False, 64, False),
    "i64.load16_s": (2, True, 64, False), "i64.load16_u": (2, False, 64, False),
    "i64.load32_s": (4, True, 64, False), "i64.load32_u": (4, False, 64, False),
}  # fmt: skip

# name -> (bytes, float)
STORES: dict[str, tuple[int, bool]] = {
    "i32.store": (4, False), "i64.store": (8, False), "f32.store": (4, True),
    "f64.store": (8, True), "i32.store8": (1, False), "i32.store16": (2, False),
    "i64.store8": (1, False), "i64.store16": (2, False), "i64.store32": (4, False),
}  # fmt: skip

_VT = {"i32": ValueType.I32, "i64": ValueType.I64, "f32": ValueType.F32, "f64": ValueType.F64}


@rule(*LOADS)
def load(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    name = NAMES[opcode]
    vt = _VT[name.split(".")[0]]
    dst = lw.new_vreg(vt)
    lw.emit(WasmLoad(LOADS[name], dst, lw.reg(args[0]), imm[1]))
    return [Reg(dst, vt)]


@rule(*STORES)
def store(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    width, is_float = STORES[NAMES[opcode]]
    lw.emit(WasmStore(width, is_float, lw.reg(args[1]), lw.reg(args[0]), imm[1]))
    return []


@rule("memory.size")
def memory_size(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    size = lw.new_vreg(ValueType.I64)
    lw.emit(LoadCtx(size, ModuleCtx.MEMORY_SIZE))
    dst = lw.new_vreg(ValueType.I32)
    lw.emit(ShiftImm("shr", 64, dst, size, 16))
    return [Reg(dst, ValueType.I32)]


def _exit(lw: Any, builtin: Builtin, args: list[Operand], result: ValueType | None) -> list[Operand]:
    dst = lw.new_vreg(result) if result is not None else None
    lw.emit(Exit(builtin, tuple(lw.reg(a) for a in args), dst))
    return [Reg(dst, result)] if result is not None else []


def _const(v: int) -> Const:
    return Const(ValueType.I64, v)


@rule("memory.grow")
def memory_grow(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    return _exit(lw, Builtin.MEMORY_GROW, args, ValueType.I32)


def _consumed(lw: Any, value: Operand) -> Any:
    """A vreg of its own for an operand the instruction overwrites (and so that one
    value passed twice can sit in two fixed registers)."""
    vreg = lw.new_vreg(ValueType.I32)
    lw.copy(vreg, value)
    return vreg


@rule("memory.fill")
def memory_fill(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    lw.emit(MemFill(*(_consumed(lw, a) for a in args)))
    return []


@rule("memory.copy")
def memory_copy(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    lw.emit(MemCopy(*(_consumed(lw, a) for a in args)))
    return []


@rule("memory.init")
def memory_init(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    return _exit(lw, Builtin.MEMORY_INIT, [_const(imm)] + args, None)


@rule("data.drop")
def data_drop(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    return _exit(lw, Builtin.DATA_DROP, [_const(imm)], None)


@rule("table.grow")
def table_grow(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    return _exit(lw, Builtin.TABLE_GROW, [_const(imm)] + args, ValueType.I32)


@rule("table.fill")
def table_fill(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    return _exit(lw, Builtin.TABLE_FILL, [_const(imm)] + args, None)


@rule("table.copy")
def table_copy(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    dst_table, src_table = imm
    return _exit(lw, Builtin.TABLE_COPY, [_const(dst_table), _const(src_table)] + args, None)


@rule("table.init")
def table_init(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    elem, table = imm
    return _exit(lw, Builtin.TABLE_INIT, [_const(table), _const(elem)] + args, None)


@rule("elem.drop")
def elem_drop(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    return _exit(lw, Builtin.ELEM_DROP, [_const(imm)], None)


@rule("table.size")
def table_size(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    dst = lw.new_vreg(ValueType.I32)
    lw.emit(LoadCtx(dst, lw.env.layout.table_slot(imm), True, 4, Table.SIZE))
    return [Reg(dst, ValueType.I32)]


@rule("table.get")
def table_get(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    vt = lw.env.table_types[imm].elem_type
    dst = lw.new_vreg(vt)
    lw.emit(TableAccess(lw.env.layout.table_slot(imm), lw.reg(args[0]), dst=dst))
    return [Reg(dst, vt)]


@rule("table.set")
def table_set(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    lw.emit(TableAccess(lw.env.layout.table_slot(imm), lw.reg(args[0]), src=lw.reg(args[1])))
    return []


@rule("global.get")
def global_get(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    vt = lw.env.global_types[imm].value_type
    dst = lw.new_vreg(vt)
    width = 4 if vt in (ValueType.I32, ValueType.F32) else 8
    lw.emit(LoadCtx(dst, lw.env.layout.global_slot(imm), True, width))
    return [Reg(dst, vt)]


@rule("global.set")
def global_set(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    vt = lw.env.global_types[imm].value_type
    width = 4 if vt in (ValueType.I32, ValueType.F32) else 8
    lw.emit(StoreGlobal(lw.reg(args[0]), lw.env.layout.global_slot(imm), width))
    return []


@rule("ref.func")
def ref_func(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    dst = lw.new_vreg(ValueType.FUNCREF)
    lw.emit(LoadCtx(dst, lw.env.layout.func_slot(imm)))
    return [Reg(dst, ValueType.FUNCREF)]


@rule("ref.is_null")
def ref_is_null(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    if type(args[0]) is Const:
        dst = lw.new_vreg(ValueType.I32)
        lw.emit(MovImm(32, dst, int(args[0].bits == 0)))
        return [Reg(dst, ValueType.I32)]
    dst = lw.new_vreg(ValueType.I32)
    lw.emit(SetCond(NonZero(lw.reg(args[0]), 64, negate=True), dst))
    return [Reg(dst, ValueType.I32)]
