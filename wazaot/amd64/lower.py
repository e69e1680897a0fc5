"""x86-64 instruction selection: the ``Backend`` the shared frontend drives.

``Amd64Lowering`` builds a ``VCode`` of ``inst.py`` instructions on virtual
registers for one function. The bookkeeping, the calling convention, calls, moves
and constants are shared (:class:`wazaot.lower.isel.Lowering`); this class adds what
depends on x86: conditions (a comparison fused with the branch, ``setcc`` or ``cmov``
that consumes it). The per-opcode rules live in ``lower_int.py``,
``lower_float.py`` and ``lower_mem.py`` and are found through ``rules.RULES``.
"""

from __future__ import annotations

from ..api import ValueType
from ..lower.backend import Compare, Const, Operand, Reg, signed_const
from ..lower.isel import CompileEnv, LoweredFunction, Lowering
from ..lower.ops import Operation
from .abi import CALL_CONV
from .args import Cond
from .cpu import ALL, Features
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

__all__ = ["Amd64Lowering", "CompileEnv", "LoweredFunction"]

# (operation, signed) -> the condition after ``cmp lhs, rhs``.
_INT_CC = {
    (Operation.EQ, False): Cond.e, (Operation.NE, False): Cond.ne,
    (Operation.LT, True): Cond.l, (Operation.LT, False): Cond.b,
    (Operation.GT, True): Cond.g, (Operation.GT, False): Cond.a,
    (Operation.LE, True): Cond.le, (Operation.LE, False): Cond.be,
    (Operation.GE, True): Cond.ge, (Operation.GE, False): Cond.ae,
}  # fmt: skip
_SWAPPED = {
    Cond.e: Cond.e, Cond.ne: Cond.ne, Cond.l: Cond.g, Cond.g: Cond.l, Cond.le: Cond.ge,
    Cond.ge: Cond.le, Cond.b: Cond.a, Cond.a: Cond.b, Cond.be: Cond.ae, Cond.ae: Cond.be,
}  # fmt: skip


class Amd64Lowering(Lowering):
    """Implements ``wazaot.lower.backend.Backend`` for x86-64."""

    call_conv = CALL_CONV
    rules = RULES
    isa_name = "x86-64"

    def __init__(self, env: CompileEnv, func_index: int, features: Features = ALL):
        super().__init__(env, func_index)
        self.features = features

    @staticmethod
    def imm32(value: Operand, size: int) -> int | None:
        """The constant as a sign-extended 32-bit immediate for a ``size``-bit
        operation, or None (not a constant, or too wide)."""
        k = signed_const(value, size)
        return k if k is not None and -(1 << 31) <= k < (1 << 31) else None

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
        imm = self.imm32(b, size)
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
        self.emit(Select(condition, dst, self.reg(a), self.reg(b)))
        return Reg(dst, vt)

    def branch(self, cond: Operand | Compare, then_block: int, else_block: int) -> None:
        self.terminate(JmpCond(self.condition(cond), then_block, else_block),
                       [then_block, else_block])  # fmt: skip
