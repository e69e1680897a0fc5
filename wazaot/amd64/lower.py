"""x86-64 instruction selection: the ``Backend`` the shared frontend drives.

``Amd64Lowering`` builds a ``VCode`` of ``inst.py`` instructions on virtual
registers for one function. The bookkeeping, the calling convention, calls, moves,
constants and conditions are shared (:class:`wazaot.lower.isel.Lowering`); this class
gives them x86's tables: its condition codes, its ``Select`` (``cmov``) and the
immediates ``cmp`` takes. The per-opcode rules live in ``lower_int.py``,
``lower_float.py`` and ``lower_mem.py`` and are found through ``rules.RULES``.
"""

from __future__ import annotations

from ..lower.backend import Operand, signed_const
from ..lower.isel import CompileEnv, LoweredFunction, Lowering
from ..machinst.condcodes import IntCC
from .abi import CALL_CONV
from .args import Cond
from .cpu import ALL, Features
from .inst import Select
from .rules import RULES

__all__ = ["Amd64Lowering", "CompileEnv", "LoweredFunction"]

INT_CC = {
    IntCC.EQ: Cond.e, IntCC.NE: Cond.ne, IntCC.LT_S: Cond.l, IntCC.LT_U: Cond.b,
    IntCC.GT_S: Cond.g, IntCC.GT_U: Cond.a, IntCC.LE_S: Cond.le, IntCC.LE_U: Cond.be,
    IntCC.GE_S: Cond.ge, IntCC.GE_U: Cond.ae,
}  # fmt: skip
"""The x86 condition code of each integer condition (after ``cmp lhs, rhs``)."""


class Amd64Lowering(Lowering):
    """Implements ``wazaot.lower.backend.Backend`` for x86-64."""

    call_conv = CALL_CONV
    rules = RULES
    isa_name = "x86-64"
    int_cc = INT_CC
    select_inst = Select

    def __init__(self, env: CompileEnv, func_index: int, features: Features = ALL):
        super().__init__(env, func_index)
        self.features = features

    @staticmethod
    def imm32(value: Operand, size: int) -> int | None:
        """The constant as a sign-extended 32-bit immediate for a ``size``-bit
        operation, or None (not a constant, or too wide)."""
        k = signed_const(value, size)
        return k if k is not None and -(1 << 31) <= k < (1 << 31) else None

    cmp_imm = imm32
