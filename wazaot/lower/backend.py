"""The seam between the shared wasm lowering and an architecture's instruction selection.

``frontend.py`` walks a validated function's wasm instructions, keeps the wasm value
stack, locals and control frames, and asks a ``Backend`` (``amd64/lower.py``, later
``arm64/lower.py``) to select machine instructions for each step. The values it
hands over are of three shapes:

- ``Reg``: a value in a virtual register (the backend's vreg object);
- ``Const``: a constant known at compile time (raw bit pattern), so the backend can
  pick an immediate form;
- ``Compare``: a comparison not yet evaluated, given only to the consumers that can
  branch or select on flags directly (``branch``, ``select``, ``op`` for
  ``i32.eqz``); every other consumer gets it already materialised as a ``Reg``.

Blocks are the backend's own objects; the frontend only creates, enters and
targets them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ..api import ValueType
from ..traps import TrapCode
from .ops import Op


@dataclass(frozen=True, slots=True)
class Reg:
    """A wasm value held in a virtual register."""

    vreg: Any
    type: ValueType


@dataclass(frozen=True, slots=True)
class Const:
    """A wasm constant: ``bits`` is its raw encoding (unsigned bit pattern)."""

    type: ValueType
    bits: int


@dataclass(frozen=True, slots=True)
class Compare:
    """``op(args)`` for a wasm comparison (``i32.lt_s``, ``f64.ge``, ``i32.eqz`` ...,
    decoded) whose i32 result has not been computed."""

    op: Op
    args: tuple[Reg | Const, ...]
    type: ValueType = ValueType.I32


Operand = Reg | Const
"""What a backend rule receives for an ordinary operand."""


def signed_const(value: Operand, size: int) -> int | None:
    """The constant as a signed ``size``-bit integer, or None if not a constant."""
    if type(value) is not Const:
        return None
    bits = value.bits & ((1 << size) - 1)
    return bits - (1 << size) if bits >> (size - 1) else bits


class Backend(Protocol):
    """What an architecture provides to lower one function."""

    # -- registers and blocks ------------------------------------------------------
    def new_vreg(self, vt: ValueType) -> Any: ...
    def new_block(self) -> Any: ...
    def set_block(self, block: Any) -> None:
        """Append the following instructions to ``block`` (which must be new)."""

    def loop_header(self) -> None:
        """The current block is a loop header (where interrupts are checked)."""

    def set_source(self, offset: int) -> None:
        """The wasm byte offset of the instruction being lowered (source map, traps)."""

    # -- function boundary ---------------------------------------------------------
    def params(self, types: tuple[ValueType, ...]) -> list[Any]:
        """Receive the function's parameters (entry block); returns their vregs."""

    def ret(self, values: list[Operand]) -> None:
        """Return ``values`` (the function's results) to the caller."""

    # -- data movement and control flow --------------------------------------------
    def copy(self, dst: Any, src: Operand) -> None:
        """dst vreg := src."""

    def jump(self, target: Any) -> None: ...
    def branch(self, cond: Operand | Compare, then_block: Any, else_block: Any) -> None:
        """Go to ``then_block`` if the i32 ``cond`` is non-zero, else ``else_block``."""

    def br_table(self, index: Operand, targets: list[Any], default: Any) -> None: ...
    def trap(self, code: TrapCode) -> None:
        """Trap unconditionally (ends the block)."""

    # -- instructions --------------------------------------------------------------
    def op(self, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
        """Lower one decoded wasm instruction with a fixed stack effect (arithmetic,
        conversions, loads, stores, memory and table instructions, global access);
        returns its results."""

    def compare(self, cmp: Compare) -> Operand:
        """Materialise a comparison as an i32 0 or 1."""

    def select(self, cond: Operand | Compare, a: Operand, b: Operand,
               vt: ValueType) -> Operand: ...  # fmt: skip
    def call(self, func_index: int, args: list[Operand]) -> list[Operand]: ...
    def call_indirect(self, type_index: int, table: int, index: Operand,
                      args: list[Operand]) -> list[Operand]: ...  # fmt: skip
    def return_call(self, func_index: int, args: list[Operand]) -> None: ...
    def return_call_indirect(self, type_index: int, table: int, index: Operand,
                             args: list[Operand]) -> None: ...  # fmt: skip
