"""Machine instructions whose operands are the same on every architecture.

Register copies and constants (``VConst`` for v128), reads and writes of the module context (globals, table
sizes, funcrefs), table element access, bounds-checked linear-memory loads and stores,
and the float instructions with one input (sqrt, neg, abs, rounding, the conversions
between integers and floats): what differs between architectures is only how they are encoded, so the
classes live here and each architecture registers an emitter for each
(``<arch>/emit.py``) and re-exports them from its ``inst.py``. The rules that create
them are shared too (``common_rules.py``). They live beside the lowering rather than in
``wazaot.machinst`` because the memory accesses carry the decoded wasm operation.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..machinst import OperandCollector
from ..machinst import Reg as R
from ..machinst.pseudo import InstBase
from .ops import Op, Rounding

__all__ = [
    "FConst",
    "LoadCtx",
    "MovImm",
    "MovRR",
    "StoreGlobal",
    "TableAccess",
    "VConst",
    "WasmLoad",
    "WasmStore",
]


@dataclass(frozen=True, slots=True)
class MovRR(InstBase):
    """A register copy of either class (x86-64 ``mov``/``movaps``, arm64 ``mov``/``fmov``)."""

    dst: R
    src: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)

    def is_move(self) -> tuple[R, R] | None:
        return (self.dst, self.src)


@dataclass(frozen=True, slots=True)
class MovImm(InstBase):
    """dst := imm (``size`` 32 zero-extends)."""

    size: int
    dst: R
    imm: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class FConst(InstBase):
    """An f32/f64 constant from its bit pattern."""

    prec: int
    dst: R
    bits: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class VConst(InstBase):
    """A v128 constant: its 128-bit pattern (lane 0 in the low bits)."""

    dst: R
    bits: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class LoadCtx(InstBase):
    """dst := the 64-bit word at [module context + disp]; with ``deref``, then the
    ``width``-byte value at [that + field] (a global's cell, a table's size; 16 bytes
    for a v128 global)."""

    dst: R
    disp: int
    deref: bool = False
    width: int = 8
    field: int = 0

    def operands(self, c: OperandCollector) -> None:
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class StoreGlobal(InstBase):
    """[[module context + disp]] := src (a global's cell: ``width`` 4, 8 or 16 bytes)."""

    src: R
    disp: int
    width: int = 8

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)


@dataclass(frozen=True, slots=True)
class TableAccess(InstBase):
    """table.get (dst) or table.set (src) with the bounds check."""

    table_disp: int
    index: R
    dst: R | None = None
    src: R | None = None

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.index)
        if self.src is not None:
            c.reg_use(self.src)
        if self.dst is not None:
            c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class WasmLoad(InstBase):
    """A bounds-checked linear-memory load (``op`` a decoded LOAD: type, bits, signed;
    ``v128.load`` is one of type V128 and 128 bits)."""

    op: Op
    dst: R
    addr: R
    offset: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.addr)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class WasmStore(InstBase):
    """A bounds-checked linear-memory store (``op`` a decoded STORE: type, bits)."""

    op: Op
    src: R
    addr: R
    offset: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_use(self.addr)


@dataclass(frozen=True, slots=True)
class _FUnary(InstBase):
    prec: int
    dst: R
    src: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class FSqrt(_FUnary):
    """f32/f64.sqrt."""


@dataclass(frozen=True, slots=True)
class FNeg(_FUnary):
    """f32/f64.neg: flips the sign bit, NaN included."""


@dataclass(frozen=True, slots=True)
class FAbs(_FUnary):
    """f32/f64.abs: clears the sign bit, NaN included."""


@dataclass(frozen=True, slots=True)
class FRound(_FUnary):
    """f32/f64.ceil, floor, trunc, nearest (ties to even)."""

    mode: Rounding = Rounding.NEAREST


@dataclass(frozen=True, slots=True)
class _Trunc(InstBase):
    src_prec: int
    size: int
    signed: bool
    dst: R
    src: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class TruncChecked(_Trunc):
    """i32/i64.trunc_f32/f64_s/u: traps on NaN and on values out of range."""


@dataclass(frozen=True, slots=True)
class TruncSat(_Trunc):
    """i32/i64.trunc_sat_f32/f64_s/u: NaN gives 0, values out of range clamp."""


@dataclass(frozen=True, slots=True)
class Convert(InstBase):
    """f32/f64.convert_i32/i64_s/u, correctly rounded."""

    src_size: int
    signed: bool
    prec: int
    dst: R
    src: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)
