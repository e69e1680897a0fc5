"""The registry of instruction-selection rules: wasm opcode -> function.

Rules are registered explicitly with ``@rule("i32.add", ...)`` in ``lower_int.py``,
``lower_float.py`` and ``lower_mem.py``; ``Amd64Lowering.op`` looks them up by opcode.
A rule takes the lowering, the opcode, the operands and the immediate, emits
instructions and returns the results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..wasm.opcodes import OP

RuleFn = Callable[[Any, int, list, Any], list]
RULES: dict[int, RuleFn] = {}


def rule(*names: str) -> Callable[[RuleFn], RuleFn]:
    """Register the decorated function for the wasm instructions ``names``."""

    def register(fn: RuleFn) -> RuleFn:
        for name in names:
            code = OP[name]
            assert code not in RULES, f"two rules for {name}"
            RULES[code] = fn
        return fn

    return register
