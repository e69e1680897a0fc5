"""Registries of instruction-selection rules: decoded wasm operation -> function.

Each architecture keeps one :class:`RuleSet` (``<arch>/lower.py``) and registers its
rules explicitly, by operation (every opcode decoded to that operation, optionally of
some types) or by opcode name::

    RULES = RuleSet("x86-64", include=COMMON_RULES)

    @RULES.operations(Operation.ADD, Operation.SUB, types=INTS)
    def alu(lw: Amd64Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]: ...

    @RULES.opcodes("memory.size")
    def memory_size(lw, op, args, imm): ...

A rule emits instructions through the lowering ``lw`` and returns the results. The
lookup is one dict access by opcode (registration expands operations into opcodes).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any, Generic, TypeVar

from ..api import ValueType
from ..wasm.opcodes import OP
from .backend import Operand
from .ops import OPS, Op, Operation

__all__ = ["FLOATS", "INTS", "RuleFn", "RuleSet"]

L = TypeVar("L")

RuleFn = Callable[[L, Op, list[Operand], Any], list[Operand]]
"""``rule(lowering, op, args, imm) -> results``."""

INTS = (ValueType.I32, ValueType.I64)
FLOATS = (ValueType.F32, ValueType.F64)


class RuleSet(Generic[L]):
    """The rules of one architecture (or the shared ones), by opcode."""

    def __init__(self, name: str, include: RuleSet[Any] | Sequence[RuleSet[Any]] = ()):
        self.name = name
        self.table: dict[int, RuleFn[L]] = {}
        for other in [include] if isinstance(include, RuleSet) else include:
            for code in other.table:
                if code in self.table:
                    raise ValueError(f"{name}: two rules for {OPS[code].name}")
            self.table.update(other.table)

    def _add(self, opcodes: list[int], fn: RuleFn[L]) -> None:
        for code in opcodes:
            if code in self.table:
                raise ValueError(f"{self.name}: two rules for {OPS[code].name}")
            self.table[code] = fn

    def operations(self, *operations: Operation, types: Collection[ValueType] | None = None
                   ) -> Callable[[RuleFn[L]], RuleFn[L]]:  # fmt: skip
        """Register the decorated rule for every opcode decoded to one of
        ``operations`` (of one of ``types``, if given)."""
        wanted = set(operations)
        codes = [op.opcode for op in OPS.values() if op.operation in wanted
                 and (types is None or op.type in types)]  # fmt: skip
        if not codes:
            raise ValueError(f"{self.name}: no opcode is {operations} of {types}")

        def register(fn: RuleFn[L]) -> RuleFn[L]:
            self._add(codes, fn)
            return fn

        return register

    def opcodes(self, *names: str) -> Callable[[RuleFn[L]], RuleFn[L]]:
        """Register the decorated rule for the wasm instructions ``names``."""

        def register(fn: RuleFn[L]) -> RuleFn[L]:
            self._add([OP[name] for name in names], fn)
            return fn

        return register

    def get(self, opcode: int) -> RuleFn[L] | None:
        """The rule for ``opcode``, or None."""
        return self.table.get(opcode)
