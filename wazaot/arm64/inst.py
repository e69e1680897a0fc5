"""arm64 machine instructions on virtual registers (the input of the allocator).

Each class is named by its operand format and has one ``operands`` visitor; the
emitter (``emit.py``) reads the allocated registers back in the same order. By
convention every visitor declares its uses first, then its defs, in field order.
Unlike x86 every arithmetic instruction is three-address: no def reuses a use.

Conditions are small operand groups of their own (``IntCond``, ``FloatCond``,
``NonZero``) so that a comparison and its consumer (a branch, ``cset``, ``csel``) are
one instruction: the flags never have to survive between two instructions, whatever
moves the allocator puts there.

Pseudo-instructions (``DivRem``, ``WasmLoad``, ``TruncChecked``...) expand to several
machine instructions (``sequences.py``), possibly with an out-of-line trap; each is a
class of its own. The pseudo-instructions every architecture shares (calls, returns,
jumps, exits, stack slots) are in :mod:`wazaot.machinst.pseudo`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ..lower.common_inst import (  # noqa: F401  (shared: re-exported)
    Convert,
    FAbs,
    FConst,
    FNeg,
    FRound,
    FSqrt,
    LoadCtx,
    MovImm,
    MovRR,
    StoreGlobal,
    TableAccess,
    TruncChecked,
    TruncSat,
    VConst,
    WasmLoad,
    WasmStore,
    _FUnary,
    _Trunc,
)
from ..lower.ops import Operation
from ..machinst import OperandCollector
from ..machinst import Reg as R
from ..machinst.pseudo import InstBase, TermBase
from .args import Cond
from .imms import Imm12, LogicalImm


class AluOp(enum.Enum):
    """The three-register integer operations of ``AluRRR`` (the mnemonic)."""

    ADD = "add"
    SUB = "sub"
    AND = "and"
    ORR = "orr"
    EOR = "eor"
    MUL = "mul"

    def __repr__(self) -> str:
        return self.name


class ShiftOp(enum.Enum):
    """The shifts and rotations; ROL is a ROR by the negated count."""

    LSL = "lsl"
    LSR = "lsr"
    ASR = "asr"
    ROR = "ror"
    ROL = "rol"

    def __repr__(self) -> str:
        return self.name


class FAluOp(enum.Enum):
    """The scalar floating-point arithmetic of ``FAlu`` (the mnemonic). ``fmin`` and
    ``fmax`` are wasm's min and max: NaN if either operand is, and -0 < +0."""

    ADD = "fadd"
    SUB = "fsub"
    MUL = "fmul"
    DIV = "fdiv"
    MIN = "fmin"
    MAX = "fmax"

    def __repr__(self) -> str:
        return self.name


# -- conditions --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntCond:
    """``cmp lhs, rhs`` (or ``cmp lhs, #imm`` / ``cmn lhs, #-imm``) then ``cc``."""

    cc: Cond
    size: int
    lhs: R
    rhs: R | None = None
    imm: int = 0  # signed; its magnitude fits an Imm12

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        if self.rhs is not None:
            c.reg_use(self.rhs)


@dataclass(frozen=True, slots=True)
class NonZero:
    """``reg != 0`` (``negate``: ``reg == 0``): ``cbnz``/``cbz`` in a branch."""

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


# -- integer arithmetic ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AluRRR(InstBase):
    """dst := lhs op rhs."""

    op: AluOp
    size: int
    dst: R
    lhs: R
    rhs: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_use(self.rhs)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class AluRRImm12(InstBase):
    """dst := lhs +/- imm (``op`` ADD or SUB)."""

    op: AluOp
    size: int
    dst: R
    lhs: R
    imm: Imm12

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class AluRRImmLogic(InstBase):
    """dst := lhs op imm (``op`` AND, ORR or EOR with a bitmask immediate)."""

    op: AluOp
    size: int
    dst: R
    lhs: R
    imm: LogicalImm

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class ShiftRR(InstBase):
    """dst := lhs op count (the count taken modulo ``size``, as wasm wants)."""

    op: ShiftOp
    size: int
    dst: R
    lhs: R
    count: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_use(self.count)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class ShiftImm(InstBase):
    """dst := lhs op imm (0 <= imm < size)."""

    op: ShiftOp
    size: int
    dst: R
    lhs: R
    imm: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class DivRem(InstBase):
    """Checked division (``rem``: the remainder, with ``msub``), signed or not: traps on
    a zero divisor and on the signed quotient that overflows."""

    rem: bool
    signed: bool
    size: int
    dst: R
    lhs: R
    rhs: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_use(self.rhs)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class Extend(InstBase):
    """Sign or zero extension: ``from_bits`` of src to ``size`` bits of dst."""

    signed: bool
    from_bits: int
    size: int
    dst: R
    src: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class _Unary(InstBase):
    size: int
    dst: R
    src: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class Clz(_Unary):
    """i32/i64.clz: ``clz``."""


@dataclass(frozen=True, slots=True)
class Ctz(_Unary):
    """i32/i64.ctz: ``rbit`` then ``clz``."""


@dataclass(frozen=True, slots=True)
class Popcnt(_Unary):
    """i32/i64.popcnt: ``cnt`` and ``addv`` in a SIMD register."""


# -- floating point -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FAlu(InstBase):
    """dst := lhs op rhs."""

    op: FAluOp
    prec: int
    dst: R
    lhs: R
    rhs: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_use(self.rhs)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class FCopysign(InstBase):
    """f32/f64.copysign: a's magnitude, b's sign (through the integer registers)."""

    prec: int
    dst: R
    a: R
    b: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.a)
        c.reg_use(self.b)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class FConvert(InstBase):
    """f32.demote_f64 (``prec`` 32) or f64.promote_f32 (``prec`` 64): ``fcvt``."""

    prec: int
    dst: R
    src: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class Reinterpret(InstBase):
    """A ``size``-bit move between a GPR and a SIMD&FP register (``fmov``)."""

    size: int
    dst: R
    src: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)


# -- conditions consumed ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetCond(InstBase):
    """dst := cond ? 1 : 0 (an i32): ``cset``."""

    cond: Condition
    dst: R

    def operands(self, c: OperandCollector) -> None:
        self.cond.operands(c)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class Select(InstBase):
    """dst := cond ? a : b, for either register class (``csel``/``fcsel``; ``vector``:
    a v128, with a short branch)."""

    cond: Condition
    dst: R
    a: R
    b: R
    vector: bool = field(default=False, repr=False)

    def operands(self, c: OperandCollector) -> None:
        self.cond.operands(c)
        c.reg_use(self.a)
        c.reg_use(self.b)
        c.reg_def(self.dst)


# -- memory ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemCopy(InstBase):
    """memory.copy of ``n`` bytes from ``src`` to ``dst`` (i32 addresses), bounds-checked;
    a byte loop, backwards when the ranges overlap that way. ``t0``..``t2`` are
    scratch registers (early defs: they share no register with the operands)."""

    dst: R
    src: R
    n: R
    t0: R
    t1: R
    t2: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.dst)
        c.reg_use(self.src)
        c.reg_use(self.n)
        c.reg_early_def(self.t0)
        c.reg_early_def(self.t1)
        c.reg_early_def(self.t2)


@dataclass(frozen=True, slots=True)
class MemFill(InstBase):
    """memory.fill of ``n`` bytes at ``dst`` with the low byte of ``value``,
    bounds-checked; ``t0``, ``t1`` are scratch registers (early defs)."""

    dst: R
    value: R
    n: R
    t0: R
    t1: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.dst)
        c.reg_use(self.value)
        c.reg_use(self.n)
        c.reg_early_def(self.t0)
        c.reg_early_def(self.t1)


# -- terminators (the shared ones are in wazaot.machinst.pseudo) ----------------------------


@dataclass(frozen=True, slots=True)
class JmpCond(TermBase):
    """Go to ``taken`` if ``cond`` holds, else to ``not_taken``."""

    cond: Condition
    taken: int
    not_taken: int

    def operands(self, c: OperandCollector) -> None:
        self.cond.operands(c)
