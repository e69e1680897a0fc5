"""Trap codes: what compiled code stores in the execution context when it traps.

The numbers are part of the contract between generated code (any architecture) and
the runtime, which turns them into ``wazaot.Trap`` with the spec's wording.
"""

from __future__ import annotations

import enum


class TrapCode(enum.IntEnum):
    UNREACHABLE = 1
    INTEGER_DIVIDE_BY_ZERO = 2
    INTEGER_OVERFLOW = 3
    INVALID_CONVERSION = 4
    OUT_OF_BOUNDS_MEMORY = 5
    OUT_OF_BOUNDS_TABLE = 6
    INDIRECT_CALL_TYPE_MISMATCH = 7
    UNDEFINED_ELEMENT = 8
    UNINITIALIZED_ELEMENT = 9
    STACK_EXHAUSTED = 10
    NULL_REFERENCE = 11
    OUT_OF_BOUNDS_DATA = 12
    INTERRUPTED = 13  # the interrupt flag was set (a timeout, Runtime.interrupt, Ctrl-C)

    @property
    def message(self) -> str:
        return _MESSAGES[self]


_MESSAGES = {
    TrapCode.UNREACHABLE: "unreachable",
    TrapCode.INTEGER_DIVIDE_BY_ZERO: "integer divide by zero",
    TrapCode.INTEGER_OVERFLOW: "integer overflow",
    TrapCode.INVALID_CONVERSION: "invalid conversion to integer",
    TrapCode.OUT_OF_BOUNDS_MEMORY: "out of bounds memory access",
    TrapCode.OUT_OF_BOUNDS_TABLE: "out of bounds table access",
    TrapCode.INDIRECT_CALL_TYPE_MISMATCH: "indirect call type mismatch",
    TrapCode.UNDEFINED_ELEMENT: "undefined element",
    TrapCode.UNINITIALIZED_ELEMENT: "uninitialized element",
    TrapCode.STACK_EXHAUSTED: "call stack exhausted",
    TrapCode.NULL_REFERENCE: "null reference",
    TrapCode.OUT_OF_BOUNDS_DATA: "out of bounds memory access",
    TrapCode.INTERRUPTED: "interrupted",
}
