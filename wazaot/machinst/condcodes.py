"""Integer condition codes as the machine IR names them, whatever the architecture.

A comparison ``lhs ? rhs`` of two integers holds or not by one of ten conditions;
:class:`IntCC` names them once, with the two rewrites instruction selection needs::

    swap()     the condition of (rhs, lhs):  LT_S -> GT_S, LE_U -> GE_U, EQ -> EQ
    invert()   the negation:                 LT_S -> GE_S, EQ -> NE

Each architecture maps every ``IntCC`` to its own condition code with a small table
(x86-64 ``l``/``b``..., arm64 ``lt``/``lo``...), so that the steps that turn a wasm
comparison into a condition (``wazaot.lower.isel``) are written once for both, and
the vector comparisons can name their conditions the same way.
"""

from __future__ import annotations

import enum

__all__ = ["IntCC"]


class IntCC(enum.Enum):
    """How two integers compare: equal, not equal, or an order, signed (``_S``) or
    unsigned (``_U``)."""

    EQ = "eq"
    NE = "ne"
    LT_S = "lt_s"
    LT_U = "lt_u"
    GT_S = "gt_s"
    GT_U = "gt_u"
    LE_S = "le_s"
    LE_U = "le_u"
    GE_S = "ge_s"
    GE_U = "ge_u"

    def swap(self) -> IntCC:
        """The condition that holds for ``(rhs, lhs)`` when this one holds for
        ``(lhs, rhs)``."""
        return _SWAPPED[self]

    def invert(self) -> IntCC:
        """The condition that holds exactly when this one does not."""
        return _INVERTED[self]


_PAIRS = ((IntCC.LT_S, IntCC.GT_S), (IntCC.LT_U, IntCC.GT_U), (IntCC.LE_S, IntCC.GE_S),
          (IntCC.LE_U, IntCC.GE_U))  # fmt: skip
_SWAPPED = {IntCC.EQ: IntCC.EQ, IntCC.NE: IntCC.NE}
_SWAPPED.update({a: b for a, b in _PAIRS} | {b: a for a, b in _PAIRS})
_NEGATIONS = ((IntCC.EQ, IntCC.NE), (IntCC.LT_S, IntCC.GE_S), (IntCC.LT_U, IntCC.GE_U),
              (IntCC.GT_S, IntCC.LE_S), (IntCC.GT_U, IntCC.LE_U))  # fmt: skip
_INVERTED = {a: b for a, b in _NEGATIONS} | {b: a for a, b in _NEGATIONS}
