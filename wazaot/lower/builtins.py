"""Rules shared by every architecture: the instructions that exit to the runtime.

``memory.grow``, ``memory.init``, ``data.drop`` and the table instructions that change
a table's size or many of its elements run in Python (``wazaot.vmctx.Builtin``): the
rule passes the immediates as constants, then the operands, through
:meth:`~wazaot.lower.isel.Lowering.exit`. Architectures include these rules in their
own :class:`~wazaot.lower.rules.RuleSet`.
"""

from __future__ import annotations

from typing import Any

from ..api import ValueType
from ..vmctx import Builtin
from .backend import Const, Operand
from .isel import Lowering
from .ops import Op
from .rules import RuleSet

__all__ = ["BUILTIN_RULES"]

BUILTIN_RULES: RuleSet[Lowering] = RuleSet("builtins")


def _const(v: int) -> Const:
    return Const(ValueType.I64, v)


@BUILTIN_RULES.opcodes("memory.grow")
def memory_grow(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    return lw.exit(Builtin.MEMORY_GROW, args, ValueType.I32)


@BUILTIN_RULES.opcodes("memory.init")
def memory_init(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    return lw.exit(Builtin.MEMORY_INIT, [_const(imm), *args], None)


@BUILTIN_RULES.opcodes("data.drop")
def data_drop(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    return lw.exit(Builtin.DATA_DROP, [_const(imm)], None)


@BUILTIN_RULES.opcodes("table.grow")
def table_grow(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    return lw.exit(Builtin.TABLE_GROW, [_const(imm), *args], ValueType.I32)


@BUILTIN_RULES.opcodes("table.fill")
def table_fill(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    return lw.exit(Builtin.TABLE_FILL, [_const(imm), *args], None)


@BUILTIN_RULES.opcodes("table.copy")
def table_copy(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    dst_table, src_table = imm
    return lw.exit(Builtin.TABLE_COPY, [_const(dst_table), _const(src_table), *args], None)


@BUILTIN_RULES.opcodes("table.init")
def table_init(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    elem, table = imm
    return lw.exit(Builtin.TABLE_INIT, [_const(table), _const(elem), *args], None)


@BUILTIN_RULES.opcodes("elem.drop")
def elem_drop(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    return lw.exit(Builtin.ELEM_DROP, [_const(imm)], None)
