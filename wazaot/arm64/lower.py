"""arm64 instruction selection: the ``Backend`` the shared frontend drives.

``Arm64Lowering`` builds a ``VCode`` of ``inst.py`` instructions on virtual registers
for one function. The bookkeeping, the calling convention, calls, moves and constants
are shared (:class:`wazaot.lower.isel.Lowering`); this class adds what depends on
arm64: conditions (a comparison fused with the branch, ``cset`` or ``csel`` that
consumes it). The per-opcode rules live in ``lower_int.py``,
``lower_float.py`` and ``lower_mem.py`` and are found through ``rules.RULES``.
"""

from __future__ import annotations

from ..api import ValueType
from ..lower.backend import Compare, Const, Operand, Reg, signed_const
from ..lower.isel import CompileEnv, LoweredFunction, Lowering
from ..lower.ops import Operation
from .abi import CALL_CONV
from .args import Cond
from .imms import Imm12
from .inst import (
    Condition,
    FloatCond,
    IntCond,
    JmpCond,
    NonZero,
    Select,
    SetCond,
)
from .rules import RULES

__all__ = ["Arm64Lowering", "CompileEnv", "LoweredFunction"]

# (operation, signed) -> the condition after ``cmp lhs, rhs``.
_INT_CC = {
    (Operation.EQ, False): Cond.eq, (Operation.NE, False): Cond.ne,
    (Operation.LT, True): Cond.lt, (Operation.LT, False): Cond.lo,
    (Operation.GT, True): Cond.gt, (Operation.GT, False): Cond.hi,
    (Operation.LE, True): Cond.le, (Operation.LE, False): Cond.ls,
    (Operation.GE, True): Cond.ge, (Operation.GE, False): Cond.hs,
}  # fmt: skip
_SWAPPED = {
    Cond.eq: Cond.eq, Cond.ne: Cond.ne, Cond.lt: Cond.gt, Cond.gt: Cond.lt, Cond.le: Cond.ge,
    Cond.ge: Cond.le, Cond.lo: Cond.hi, Cond.hi: Cond.lo, Cond.ls: Cond.hs, Cond.hs: Cond.ls,
}  # fmt: skip


class Arm64Lowering(Lowering):
    """Implements ``wazaot.lower.backend.Backend`` for arm64."""

    call_conv = CALL_CONV
    rules = RULES
    isa_name = "arm64"

    @staticmethod
    def cmp_imm(value: Operand, size: int) -> int | None:
        """The constant as the signed immediate of ``cmp``/``cmn`` (its magnitude fits
        an Imm12), or None."""
        k = signed_const(value, size)
        if k is None or k == -(1 << (size - 1)):
            return None
        return k if Imm12.try_from(abs(k)) is not None else None

    # -- conditions ------------------------------------------------------------------

    def condition(self, cond: Operand | Compare) -> Condition:
        if type(cond) is not Compare:
            return NonZero(self.reg(cond))  # type: ignore[arg-type]
        op = cond.op
        if op.operation is Operation.EQZ:
            return NonZero(self.reg(cond.args[0]), op.size, negate=True)
        a, b = cond.args
        if op.is_float:
            return FloatCond(op.operation, op.size, self.reg(a), self.reg(b))
        size = op.size
        cc = _INT_CC[op.operation, op.signed]
        if type(a) is Const and type(b) is not Const:
            a, b, cc = b, a, _SWAPPED[cc]
        imm = self.cmp_imm(b, size)
        if imm is not None:
            return IntCond(cc, size, self.reg(a), None, imm)
        return IntCond(cc, size, self.reg(a), self.reg(b))

    def compare(self, cmp: Compare) -> Operand:
        dst = self.new_vreg(ValueType.I32)
        self.emit(SetCond(self.condition(cmp), dst))
        return Reg(dst, ValueType.I32)

    def select(self, cond: Operand | Compare, a: Operand, b: Operand, vt: ValueType) -> Operand:
        condition = self.condition(cond)
        dst = self.new_vreg(vt)
        self.emit(Select(condition, dst, self.reg(a), self.reg(b), vt is ValueType.V128))
        return Reg(dst, vt)

    def branch(self, cond: Operand | Compare, then_block: int, else_block: int) -> None:
        self.terminate(JmpCond(self.condition(cond), then_block, else_block),
                       [then_block, else_block])  # fmt: skip
