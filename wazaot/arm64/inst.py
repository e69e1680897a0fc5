"""arm64 machine instructions on virtual registers (the input of the allocator).

Each class is named by its operand format and has one ``operands`` visitor; the
emitter (``emit.py``) reads the allocated registers back in the same order. By
convention every visitor declares its uses first, then its defs, in field order.
Unlike x86 every arithmetic instruction is three-address: no def reuses a use, so
most take their fields and visitor from a shared format
(:mod:`wazaot.machinst.formats`) as they are.

The instructions whose operands are the same on every architecture (conditions and
their consumers, moves, constants, memory accesses, conversions...) are shared
(:mod:`wazaot.lower.common_inst`), and so are the pseudo-instructions of calls,
returns, jumps, exits and stack slots (:mod:`wazaot.machinst.pseudo`). This file holds what is arm64's own: the immediate
forms (``Imm12``, bitmask immediates), ``FConvert``, the scratch registers of the
memory loops, and the sequences of several machine instructions (``DivRem``,
``Ctz``...: ``sequences.py``), each a class of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..lower.common_inst import _Select
from ..machinst import OperandCollector
from ..machinst import Reg as R
from ..machinst.formats import (
    _DivRem,
    _FOpRRR,
    _FUnary,
    _MemCopy,
    _MemFill,
    _OpRImm,
    _OpRRR,
    _ShiftRR,
    _Unary,
)
from ..machinst.pseudo import NamedEnum
from .imms import Imm12, LogicalImm


class AluOp(NamedEnum):
    """The three-register integer operations of ``AluRRR`` (the mnemonic)."""

    ADD = "add"
    SUB = "sub"
    AND = "and"
    ORR = "orr"
    EOR = "eor"
    MUL = "mul"


class ShiftOp(NamedEnum):
    """The shifts and rotations; ROL is a ROR by the negated count."""

    LSL = "lsl"
    LSR = "lsr"
    ASR = "asr"
    ROR = "ror"
    ROL = "rol"


class FAluOp(NamedEnum):
    """The scalar floating-point arithmetic of ``FAlu`` (the mnemonic). ``fmin`` and
    ``fmax`` are wasm's min and max: NaN if either operand is, and -0 < +0."""

    ADD = "fadd"
    SUB = "fsub"
    MUL = "fmul"
    DIV = "fdiv"
    MIN = "fmin"
    MAX = "fmax"


# -- integer arithmetic ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AluRRR(_OpRRR[AluOp]):
    """dst := lhs op rhs."""


@dataclass(frozen=True, slots=True)
class AluRRImm12(_OpRImm[AluOp, Imm12]):
    """dst := lhs +/- imm (``op`` ADD or SUB)."""


@dataclass(frozen=True, slots=True)
class AluRRImmLogic(_OpRImm[AluOp, LogicalImm]):
    """dst := lhs op imm (``op`` AND, ORR or EOR with a bitmask immediate)."""


@dataclass(frozen=True, slots=True)
class ShiftRR(_ShiftRR[ShiftOp]):
    """dst := lhs op count (the count taken modulo ``size``, as wasm wants)."""


@dataclass(frozen=True, slots=True)
class ShiftImm(_OpRImm[ShiftOp, int]):
    """dst := lhs op imm (0 <= imm < size)."""


@dataclass(frozen=True, slots=True)
class DivRem(_DivRem):
    """Checked division (``rem``: the remainder, with ``msub``), signed or not: traps on
    a zero divisor and on the signed quotient that overflows."""


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
class FAlu(_FOpRRR[FAluOp]):
    """dst := lhs op rhs."""


@dataclass(frozen=True, slots=True)
class FConvert(_FUnary):
    """f32.demote_f64 (``prec`` 32) or f64.promote_f32 (``prec`` 64): ``fcvt``."""


# -- conditions consumed ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Select(_Select):
    """dst := cond ? a : b, for either register class: ``csel``/``fcsel``, which read
    every source before they write dst (a v128, ``vector``: a short branch through
    v31)."""


# -- memory ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemCopy(_MemCopy):
    """memory.copy of ``n`` bytes from ``src`` to ``dst`` (i32 addresses), bounds-checked;
    a byte loop, backwards when the ranges overlap that way. ``t0``..``t2`` are
    scratch registers (early defs: they share no register with the operands)."""

    t0: R
    t1: R
    t2: R

    def operands(self, c: OperandCollector) -> None:
        _MemCopy.operands(self, c)
        c.reg_early_def(self.t0)
        c.reg_early_def(self.t1)
        c.reg_early_def(self.t2)


@dataclass(frozen=True, slots=True)
class MemFill(_MemFill):
    """memory.fill of ``n`` bytes at ``dst`` with the low byte of ``value``,
    bounds-checked; ``t0``, ``t1`` are scratch registers (early defs)."""

    t0: R
    t1: R

    def operands(self, c: OperandCollector) -> None:
        _MemFill.operands(self, c)
        c.reg_early_def(self.t0)
        c.reg_early_def(self.t1)
