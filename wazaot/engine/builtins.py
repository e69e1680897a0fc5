"""Slow paths that generated code leaves to Python (``Exit.BUILTIN``).

``memory.grow`` and the table and segment instructions that allocate or touch
Python-owned objects run here, on the host stack, called from the exit stub with the
operands in the execution context's ``args``. The store objects they act on are
reached through the ``InstanceState`` protocol (``interfaces.py``), so the engine
knows no store class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..api import FunctionDefinition, ValueType
from ..errors import Trap
from ..traps import TrapCode
from ..vmctx import Builtin
from .interfaces import InstanceState

_U32 = 0xFFFF_FFFF

BuiltinFn = Callable[[InstanceState, Any], None]


def _memory_grow(inst: InstanceState, args: Any) -> None:
    args[0] = inst.memories[0].grow(int(args[0]) & _U32) & _U32


def _table_grow(inst: InstanceState, args: Any) -> None:
    table = inst.tables[int(args[0])]
    args[0] = table.grow(int(args[2]) & _U32, int(args[1])) & _U32


def _table_fill(inst: InstanceState, args: Any) -> None:
    inst.tables[int(args[0])].fill(int(args[1]) & _U32, int(args[2]), int(args[3]) & _U32)


def _table_copy(inst: InstanceState, args: Any) -> None:
    dst, src = inst.tables[int(args[0])], inst.tables[int(args[1])]
    dst.copy_within(int(args[2]) & _U32, src, int(args[3]) & _U32, int(args[4]) & _U32)


def _table_init(inst: InstanceState, args: Any) -> None:
    table = inst.tables[int(args[0])]
    seg = inst.elem_segments[int(args[1])] or []
    dst, src, n = (int(args[i]) & _U32 for i in (2, 3, 4))
    if src + n > len(seg) or dst + n > table.size:
        raise Trap(TrapCode.OUT_OF_BOUNDS_TABLE.message)
    table.write(dst, seg[src : src + n])


def _elem_drop(inst: InstanceState, args: Any) -> None:
    inst.elem_segments[int(args[0])] = None


def _memory_init(inst: InstanceState, args: Any) -> None:
    seg = inst.data_segments[int(args[0])] or b""
    dst, src, n = (int(args[i]) & _U32 for i in (1, 2, 3))
    memory = inst.memories[0]
    if src + n > len(seg) or dst + n > memory.size:
        raise Trap(TrapCode.OUT_OF_BOUNDS_MEMORY.message)
    memory.write(dst, seg[src : src + n])


def _data_drop(inst: InstanceState, args: Any) -> None:
    inst.data_segments[int(args[0])] = None


def _memory_copy(inst: InstanceState, args: Any) -> None:
    dst, src, n = (int(args[i]) & _U32 for i in (0, 1, 2))
    memory = inst.memories[0]
    if src + n > memory.size or dst + n > memory.size:
        raise Trap(TrapCode.OUT_OF_BOUNDS_MEMORY.message)
    memory.write(dst, memory.read(src, n))


def _memory_fill(inst: InstanceState, args: Any) -> None:
    dst, value, n = (int(args[i]) & _U32 for i in (0, 1, 2))
    memory = inst.memories[0]
    if dst + n > memory.size:
        raise Trap(TrapCode.OUT_OF_BOUNDS_MEMORY.message)
    memory.write(dst, bytes([value & 0xFF]) * n)


BUILTINS: dict[int, BuiltinFn] = {
    Builtin.MEMORY_GROW: _memory_grow,
    Builtin.TABLE_GROW: _table_grow,
    Builtin.TABLE_FILL: _table_fill,
    Builtin.TABLE_COPY: _table_copy,
    Builtin.TABLE_INIT: _table_init,
    Builtin.ELEM_DROP: _elem_drop,
    Builtin.MEMORY_INIT: _memory_init,
    Builtin.DATA_DROP: _data_drop,
    Builtin.MEMORY_COPY: _memory_copy,
    Builtin.MEMORY_FILL: _memory_fill,
}
"""Builtin number -> its implementation. MEMORY_COPY and MEMORY_FILL serve code from
backends that do not inline them."""


def _definition(builtin: Builtin, name: str, params: str, results: str = "") -> FunctionDefinition:
    kinds = {"i": ValueType.I32, "r": ValueType.I64}  # indexes and counts; raw references
    return FunctionDefinition(
        module_name="wazaot", index=int(builtin), name=name,
        param_types=tuple(kinds[c] for c in params), result_types=tuple(kinds[c] for c in results),
        export_names=(), import_=None, debug_name=f"wazaot.{name}",
    )  # fmt: skip


DEFINITIONS: dict[int, FunctionDefinition] = {
    Builtin.MEMORY_GROW: _definition(Builtin.MEMORY_GROW, "memory.grow", "i", "i"),
    Builtin.TABLE_GROW: _definition(Builtin.TABLE_GROW, "table.grow", "iri", "i"),
    Builtin.TABLE_FILL: _definition(Builtin.TABLE_FILL, "table.fill", "iiri"),
    Builtin.TABLE_COPY: _definition(Builtin.TABLE_COPY, "table.copy", "iiiii"),
    Builtin.TABLE_INIT: _definition(Builtin.TABLE_INIT, "table.init", "iiiii"),
    Builtin.ELEM_DROP: _definition(Builtin.ELEM_DROP, "elem.drop", "i"),
    Builtin.MEMORY_INIT: _definition(Builtin.MEMORY_INIT, "memory.init", "iiii"),
    Builtin.DATA_DROP: _definition(Builtin.DATA_DROP, "data.drop", "i"),
    Builtin.MEMORY_COPY: _definition(Builtin.MEMORY_COPY, "memory.copy", "iii"),
    Builtin.MEMORY_FILL: _definition(Builtin.MEMORY_FILL, "memory.fill", "iii"),
}
"""What listeners see of the builtins (module ``wazaot``): the parameters are the
execution context's ``args`` (segment and table indexes first, as ``vmctx.Builtin``
lists them), the result is ``args[0]`` afterwards. ``memory.copy`` and ``memory.fill``
run in machine code on x86-64 and are not seen."""
