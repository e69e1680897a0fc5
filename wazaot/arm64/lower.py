"""arm64 instruction selection: the ``Backend`` the shared frontend drives.

``Arm64Lowering`` builds a ``VCode`` of ``inst.py`` instructions on virtual registers
for one function. The bookkeeping, the calling convention, calls, moves, constants and
conditions are shared (:class:`wazaot.lower.isel.Lowering`); this class gives them
arm64's tables: its condition codes, its ``Select`` (``csel``) and the immediates
``cmp``/``cmn`` take. The per-opcode rules live in ``lower_int.py``,
``lower_float.py`` and ``lower_mem.py`` and are found through ``rules.RULES``.
"""

from __future__ import annotations

from ..lower.backend import Operand, signed_const
from ..lower.isel import CompileEnv, LoweredFunction, Lowering
from ..machinst.condcodes import IntCC
from .abi import CALL_CONV
from .args import Cond
from .imms import Imm12
from .inst import Select
from .rules import RULES

__all__ = ["Arm64Lowering", "CompileEnv", "LoweredFunction"]

INT_CC = {
    IntCC.EQ: Cond.eq, IntCC.NE: Cond.ne, IntCC.LT_S: Cond.lt, IntCC.LT_U: Cond.lo,
    IntCC.GT_S: Cond.gt, IntCC.GT_U: Cond.hi, IntCC.LE_S: Cond.le, IntCC.LE_U: Cond.ls,
    IntCC.GE_S: Cond.ge, IntCC.GE_U: Cond.hs,
}  # fmt: skip
"""The arm64 condition code of each integer condition (after ``cmp lhs, rhs``)."""


class Arm64Lowering(Lowering):
    """Implements ``wazaot.lower.backend.Backend`` for arm64."""

    call_conv = CALL_CONV
    rules = RULES
    isa_name = "arm64"
    int_cc = INT_CC
    select_inst = Select

    @staticmethod
    def cmp_imm(value: Operand, size: int) -> int | None:
        """The constant as the signed immediate of ``cmp``/``cmn`` (its magnitude fits
        an Imm12), or None."""
        k = signed_const(value, size)
        if k is None or k == -(1 << (size - 1)):
            return None
        return k if Imm12.try_from(abs(k)) is not None else None
