"""Instruction formats every architecture shares: the fields of an instruction and the
operands it declares, apart from its operation.

Each format is a frozen dataclass with one three-address ``operands()`` visitor: the
sources are uses, ``dst`` a def that may share a register with a source. An
architecture's instruction (``<arch>/inst.py``) derives from its format and adds what
is its own: the operation enum and the immediate type it takes (``AluRRImm12(
_OpRImm[AluOp, Imm12])``), a docstring naming the machine instructions it becomes, and,
where the architecture constrains the registers, a visitor of its own: x86's
two-address forms (dst reuses lhs), its fixed registers (shift counts in cl,
``rep movsb``). The emitter reads the registers in the visitor's order, so a format's
instructions are emitted alike::

    format            fields                         visitor
    _RR               dst src                        src; dst
    _Unary            size dst src                   src; dst
    _FUnary           prec dst src                   src; dst
    _FBinary          prec dst a b                   a b; dst
    _OpRRR[Op]        op size dst lhs rhs            lhs rhs; dst
    _OpRImm[Op, Imm]  op size dst lhs imm            lhs; dst
    _ShiftRR[Op]      op size dst lhs count          lhs count; dst
    _FOpRRR[Op]       op prec dst lhs rhs            lhs rhs; dst
    _DivRem           rem signed size dst lhs rhs    lhs rhs; dst
    _MemCopy          dst src n                      dst src n
    _MemFill          dst value n                    dst value n
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from .operands import OperandCollector
from .pseudo import InstBase
from .regs import Reg as R

__all__ = [
    "_DivRem", "_FBinary", "_FOpRRR", "_FUnary", "_LhsRhsToDst", "_LhsToDst", "_MemCopy",
    "_MemFill", "_OpRImm", "_OpRRR", "_RR", "_ShiftRR", "_SrcToDst", "_Unary",
]  # fmt: skip

OpT = TypeVar("OpT")
ImmT = TypeVar("ImmT")


# The visitors, one per arrangement of register fields (the formats below declare the
# fields themselves, in their order).


class _SrcToDst(InstBase):
    __slots__ = ()
    dst: R
    src: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)


class _LhsToDst(InstBase):
    __slots__ = ()
    dst: R
    lhs: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_def(self.dst)


class _LhsRhsToDst(InstBase):
    __slots__ = ()
    dst: R
    lhs: R
    rhs: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_use(self.rhs)
        c.reg_def(self.dst)


# -- the formats ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RR(_SrcToDst):
    dst: R
    src: R


@dataclass(frozen=True, slots=True)
class _Unary(_SrcToDst):
    size: int
    dst: R
    src: R


@dataclass(frozen=True, slots=True)
class _FUnary(_SrcToDst):
    prec: int
    dst: R
    src: R


@dataclass(frozen=True, slots=True)
class _FBinary(InstBase):
    prec: int
    dst: R
    a: R
    b: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.a)
        c.reg_use(self.b)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class _OpRRR(_LhsRhsToDst, Generic[OpT]):
    op: OpT
    size: int
    dst: R
    lhs: R
    rhs: R


@dataclass(frozen=True, slots=True)
class _FOpRRR(_LhsRhsToDst, Generic[OpT]):
    op: OpT
    prec: int
    dst: R
    lhs: R
    rhs: R


@dataclass(frozen=True, slots=True)
class _OpRImm(_LhsToDst, Generic[OpT, ImmT]):
    op: OpT
    size: int
    dst: R
    lhs: R
    imm: ImmT


@dataclass(frozen=True, slots=True)
class _ShiftRR(InstBase, Generic[OpT]):
    op: OpT
    size: int
    dst: R
    lhs: R
    count: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_use(self.count)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class _DivRem(_LhsRhsToDst):
    rem: bool
    signed: bool
    size: int
    dst: R
    lhs: R
    rhs: R


@dataclass(frozen=True, slots=True)
class _MemCopy(InstBase):
    dst: R
    src: R
    n: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.dst)
        c.reg_use(self.src)
        c.reg_use(self.n)


@dataclass(frozen=True, slots=True)
class _MemFill(InstBase):
    dst: R
    value: R
    n: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.dst)
        c.reg_use(self.value)
        c.reg_use(self.n)
