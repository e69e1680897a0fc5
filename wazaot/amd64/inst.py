"""x86-64 machine instructions on virtual registers (the input of the allocator).

Each class is named by its operand format and has one ``operands`` visitor; the
emitter (``emit.py``) reads the allocated registers back in the same order. By
convention every visitor declares its uses first, then its defs, in field order.
The fields and the three-address visitor of most come from a shared format
(:mod:`wazaot.machinst.formats`); the x86 forms that write their first source
(two-address) or need fixed registers declare a visitor of their own.

The instructions whose operands are the same on every architecture (conditions and
their consumers, moves, constants, memory accesses, conversions...) are shared
(:mod:`wazaot.lower.common_inst`), and so are the pseudo-instructions of calls,
returns, jumps, exits and stack slots (:mod:`wazaot.machinst.pseudo`). This file holds what is x86's own: the two-address
forms (dst reuses lhs), the fixed registers of shifts, division and ``rep movsb``,
and the sequences of several machine instructions (``DivRem``, ``FMin``, ``Clz``...:
``sequences.py``), each a class of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..lower.common_inst import _Select
from ..machinst import ConstraintKind, Operand, OperandCollector, OperandKind, OperandPos, PReg
from ..machinst import Reg as R
from ..machinst.formats import (
    _RR,
    _DivRem,
    _FBinary,
    _FOpRRR,
    _LhsRhsToDst,
    _LhsToDst,
    _MemCopy,
    _MemFill,
    _OpRImm,
    _OpRRR,
    _ShiftRR,
    _SrcToDst,
)
from ..machinst.pseudo import NamedEnum
from .abi import rax as _RAX
from .abi import rcx as _RCX
from .abi import rdi as _RDI
from .abi import rdx as _RDX
from .abi import rsi as _RSI


class AluOp(NamedEnum):
    """The two-operand integer operations of ``AluRRR``/``AluRRImm`` (the mnemonic)."""

    ADD = "add"
    SUB = "sub"
    AND = "and"
    OR = "or"
    XOR = "xor"
    IMUL = "imul"


class ShiftOp(NamedEnum):
    """The shifts and rotations (the mnemonic)."""

    SHL = "shl"
    SHR = "shr"
    SAR = "sar"
    ROL = "rol"
    ROR = "ror"


class FAluOp(NamedEnum):
    """The scalar SSE arithmetic of ``FAlu`` (the mnemonic without ss/sd)."""

    ADD = "add"
    SUB = "sub"
    MUL = "mul"
    DIV = "div"


def early_fixed_def(c: OperandCollector, reg: R, preg: PReg) -> None:
    c.operand(Operand(reg, OperandKind.DEF, OperandPos.EARLY, ConstraintKind.FIXED, preg))


class _TwoAddress(_LhsRhsToDst):
    """The two-address forms ``op lhs, rhs``: dst reuses lhs."""

    __slots__ = ()

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_use(self.rhs)
        c.reg_reuse_def(self.dst, 0)


class _TwoAddressImm(_LhsToDst):
    """The two-address forms ``op lhs, imm``: dst reuses lhs."""

    __slots__ = ()

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_reuse_def(self.dst, 0)


# -- integer arithmetic ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AluRRR(_TwoAddress, _OpRRR[AluOp]):
    """dst := lhs op rhs (two-address: dst reuses lhs)."""


@dataclass(frozen=True, slots=True)
class AluRRImm(_TwoAddressImm, _OpRImm[AluOp, int]):
    """dst := lhs op imm (imm fits a sign-extended 32-bit immediate)."""


@dataclass(frozen=True, slots=True)
class MulImm(_SrcToDst):
    """dst := src * imm (``imul r, r/m, imm32``: three-address)."""

    size: int
    dst: R
    src: R
    imm: int


@dataclass(frozen=True, slots=True)
class AddImm(_SrcToDst):
    """dst := src + imm, three-address: ``lea dst, [src + imm]`` (``add dst, imm`` when
    the allocator gave both one register). Flags are not part of its result."""

    size: int
    dst: R
    src: R
    imm: int


@dataclass(frozen=True, slots=True)
class ShiftRR(_ShiftRR[ShiftOp]):
    """dst := lhs op count; the count in cl."""

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_fixed_use(self.count, _RCX)  # type: ignore[arg-type]
        c.reg_reuse_def(self.dst, 0)


@dataclass(frozen=True, slots=True)
class ShiftImm(_TwoAddressImm, _OpRImm[ShiftOp, int]):
    """dst := lhs op imm."""


@dataclass(frozen=True, slots=True)
class DivRem(_DivRem):
    """Checked division (``rem``: the remainder), signed or not. lhs in rax; the
    quotient comes out in rax, the remainder in rdx (defined early, so rhs avoids rdx)."""

    scratch: R  # div: an early def pinned to rdx (keeps rhs out of it); rem: unused

    def operands(self, c: OperandCollector) -> None:
        c.reg_fixed_use(self.lhs, _RAX)  # type: ignore[arg-type]
        c.reg_use(self.rhs)
        if not self.rem:
            early_fixed_def(c, self.scratch, _RDX)
            c.reg_fixed_def(self.dst, _RAX)  # type: ignore[arg-type]
        else:
            early_fixed_def(c, self.dst, _RDX)
            c.reg_clobbers([_RAX])


@dataclass(frozen=True, slots=True)
class FAlu(_TwoAddress, _FOpRRR[FAluOp]):
    """dst := lhs op rhs (``addss``/``addsd``...): two-address."""


# -- multi-instruction sequences (sequences.py) ----------------------------------------------
#
# Each reads its sources, then writes dst (which may share a register with any source).


@dataclass(frozen=True, slots=True)
class _BitCount(_SrcToDst):
    """``native``: the processor has the instruction (lzcnt, tzcnt, popcnt)."""

    size: int
    native: bool
    dst: R
    src: R


@dataclass(frozen=True, slots=True)
class Clz(_BitCount):
    """i32/i64.clz: ``lzcnt``, or ``bsr`` and a fix-up."""


@dataclass(frozen=True, slots=True)
class Ctz(_BitCount):
    """i32/i64.ctz: ``tzcnt``, or ``bsf`` and a fix-up."""


@dataclass(frozen=True, slots=True)
class Popcnt(_BitCount):
    """i32/i64.popcnt: ``popcnt``, or a SWAR count."""


@dataclass(frozen=True, slots=True)
class FMin(_FBinary):
    """f32/f64.min (NaNs and signed zeros as wasm wants)."""


@dataclass(frozen=True, slots=True)
class FMax(_FBinary):
    """f32/f64.max (NaNs and signed zeros as wasm wants)."""


@dataclass(frozen=True, slots=True)
class Demote(_RR):
    """f32.demote_f64."""


@dataclass(frozen=True, slots=True)
class Promote(_RR):
    """f64.promote_f32."""


# -- conditions consumed ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Select(_Select):
    """dst := cond ? a : b, for either register class: a ``cmov``, or a short branch
    around a ``mov``, after ``mov dst, b``: dst is written before a is read."""

    def operands(self, c: OperandCollector) -> None:
        self.cond.operands(c)
        c.reg_use(self.a)
        c.reg_use(self.b)
        c.reg_early_def(self.dst)


# -- memory ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemCopy(_MemCopy):
    """memory.copy of ``n`` bytes from ``src`` to ``dst`` (i32 addresses), bounds-checked,
    with ``rep movsb``: the operands travel in rdi, rsi and rcx, which it consumes."""

    def operands(self, c: OperandCollector) -> None:
        c.reg_fixed_use(self.dst, _RDI)  # type: ignore[arg-type]
        c.reg_fixed_use(self.src, _RSI)  # type: ignore[arg-type]
        c.reg_fixed_use(self.n, _RCX)  # type: ignore[arg-type]
        c.reg_clobbers([_RDI, _RSI, _RCX])


@dataclass(frozen=True, slots=True)
class MemFill(_MemFill):
    """memory.fill of ``n`` bytes at ``dst`` with the low byte of ``value``,
    bounds-checked, with ``rep stosb``: rdi, rax (al) and rcx, which it consumes."""

    def operands(self, c: OperandCollector) -> None:
        c.reg_fixed_use(self.dst, _RDI)  # type: ignore[arg-type]
        c.reg_fixed_use(self.value, _RAX)  # type: ignore[arg-type]
        c.reg_fixed_use(self.n, _RCX)  # type: ignore[arg-type]
        c.reg_clobbers([_RDI, _RCX])
