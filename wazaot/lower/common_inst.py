"""Machine instructions whose operands are the same on every architecture.

Conditions and what consumes them (``SetCond``, ``JmpCond`` and the fields of
``Select``), register copies and constants (``VConst`` for v128), reads and writes of the module context
(globals, table sizes, funcrefs), table element access, bounds-checked linear-memory
loads and stores, extensions, moves between the register files, and the float
instructions with one input (sqrt, neg, abs, rounding, the conversions between integers
and floats) or copysign: what differs between architectures is only how they are
encoded, so the classes live here and each architecture registers an emitter for each
(``<arch>/emit.py``) or uses a shared one (``common_emit.py``). The rules that create
them are shared too (``common_rules.py``, and the conditions ``isel.py``). They live
beside the lowering rather than in ``wazaot.machinst`` because the memory accesses
carry the decoded wasm operation.

Conditions are small operand groups of their own (``IntCond``, ``FloatCond``,
``NonZero``) so that a comparison and its consumer (a branch, ``setcc``/``cset``,
``cmov``/``csel``) are one instruction: the flags never have to survive between two
instructions, whatever moves the allocator puts there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..machinst import OperandCollector
from ..machinst import Reg as R
from ..machinst.formats import _RR, _FBinary, _FUnary, _SrcToDst, _Unary
from ..machinst.pseudo import InstBase, TermBase
from .ops import Op, Operation, Rounding

__all__ = [
    "Condition",
    "Convert",
    "Extend",
    "FAbs",
    "FConst",
    "FCopysign",
    "FNeg",
    "FRound",
    "FSqrt",
    "FloatCond",
    "IntCond",
    "JmpCond",
    "LoadCtx",
    "MovImm",
    "MovRR",
    "NonZero",
    "Reinterpret",
    "SetCond",
    "StoreGlobal",
    "TableAccess",
    "TruncChecked",
    "TruncSat",
    "VConst",
    "WasmLoad",
    "WasmStore",
]


# -- conditions --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntCond:
    """``cmp lhs, rhs`` (or ``lhs`` against ``imm``, an immediate the architecture's
    compare takes) then ``cc``: the architecture's condition code (for an ``IntCC``)."""

    cc: Any
    size: int
    lhs: R
    rhs: R | None = None
    imm: int = 0

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        if self.rhs is not None:
            c.reg_use(self.rhs)


@dataclass(frozen=True, slots=True)
class NonZero:
    """``reg != 0`` (``negate``: ``reg == 0``), of ``size`` bits."""

    reg: R
    size: int = 32
    negate: bool = False

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.reg)


@dataclass(frozen=True, slots=True)
class FloatCond:
    """A wasm float comparison: ``op`` one of EQ NE LT GT LE GE, ``prec`` 32 or 64."""

    op: Operation
    prec: int
    lhs: R
    rhs: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_use(self.rhs)


Condition = IntCond | NonZero | FloatCond


@dataclass(frozen=True, slots=True)
class SetCond(InstBase):
    """dst := cond ? 1 : 0 (an i32)."""

    cond: Condition
    dst: R

    def operands(self, c: OperandCollector) -> None:
        self.cond.operands(c)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class _Select(InstBase):
    """dst := cond ? a : b, for either register class. Each architecture's ``Select``
    derives from it (x86's writes dst before it reads a: an early def)."""

    cond: Condition
    dst: R
    a: R
    b: R
    vector: bool = field(default=False, repr=False)  # a v128

    def operands(self, c: OperandCollector) -> None:
        self.cond.operands(c)
        c.reg_use(self.a)
        c.reg_use(self.b)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class JmpCond(TermBase):
    """Go to ``taken`` if ``cond`` holds, else to ``not_taken``."""

    cond: Condition
    taken: int
    not_taken: int

    def operands(self, c: OperandCollector) -> None:
        self.cond.operands(c)


# -- moves, constants, the module context, memory ----------------------------------------


@dataclass(frozen=True, slots=True)
class MovRR(_RR):
    """A register copy of either class (x86-64 ``mov``/``movaps``, arm64 ``mov``/``fmov``)."""

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
    ``v128.load`` is one of type V128 and 128 bits). ``checked``: an earlier access
    of the block checked at least as far from ``addr``; the check may be left out."""

    op: Op
    dst: R
    addr: R
    offset: int
    checked: bool = False

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.addr)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class WasmStore(InstBase):
    """A bounds-checked linear-memory store (``op`` a decoded STORE: type, bits);
    ``checked`` as for :class:`WasmLoad`."""

    op: Op
    src: R
    addr: R
    offset: int
    checked: bool = False

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_use(self.addr)


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
class _Trunc(_SrcToDst):
    src_prec: int
    size: int
    signed: bool
    dst: R
    src: R


@dataclass(frozen=True, slots=True)
class TruncChecked(_Trunc):
    """i32/i64.trunc_f32/f64_s/u: traps on NaN and on values out of range."""


@dataclass(frozen=True, slots=True)
class TruncSat(_Trunc):
    """i32/i64.trunc_sat_f32/f64_s/u: NaN gives 0, values out of range clamp."""


@dataclass(frozen=True, slots=True)
class Convert(_SrcToDst):
    """f32/f64.convert_i32/i64_s/u, correctly rounded."""

    src_size: int
    signed: bool
    prec: int
    dst: R
    src: R


@dataclass(frozen=True, slots=True)
class FCopysign(_FBinary):
    """f32/f64.copysign: a's magnitude, b's sign."""


@dataclass(frozen=True, slots=True)
class Reinterpret(_Unary):
    """A ``size``-bit move between an integer and a float register, bits unchanged
    (x86-64 ``movd``/``movq``, arm64 ``fmov``)."""


# -- integers ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Extend(_SrcToDst):
    """Sign or zero extension: ``from_bits`` of src to ``size`` bits of dst (x86-64
    ``movsx``/``movzx``/``movsxd``/``mov r32, r32``, arm64 ``sxtb``/``sxth``/``sxtw``/
    ``mov w, w``)."""

    signed: bool
    from_bits: int
    size: int
    dst: R
    src: R
