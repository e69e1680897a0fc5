"""The arm64 Advanced SIMD (NEON) vector encodings: C4.1 "Data Processing -- Scalar
Floating-Point and Advanced SIMD" of the Arm ARM (DDI 0487), the vector classes.

One pure function per encoding class returns the 32-bit instruction word; its
docstring draws the bit layout. ``q`` selects the 128-bit register (``.16b``,
``.8h``, ``.4s``, ``.2d``) over the 64-bit one; ``size`` is log2 of the element
width in bytes (0 for bytes ... 3 for doublewords)::

    simd_three_same(False, 2, 0b10000, True, v0, v1, v2)      add v0.4s, v1.4s, v2.4s
"""

from __future__ import annotations

from .regs import Vec


def _v(reg: Vec) -> int:
    assert isinstance(reg, Vec), f"{reg!r} is not a SIMD&FP register"
    return reg.num


def simd_three_same(u: bool, size: int, opcode: int, q: bool, rd: Vec, rn: Vec, rm: Vec) -> int:
    """Advanced SIMD three same: ``rd = op(rn, rm)`` lane by lane (ADD, SUB, CMEQ...)::

        31 30 29 28    24 23 22 21 20  16 15    11 10 9   5 4   0
         0  Q  U  0 1 1 1 0  size  1  Rm   opcode   1  Rn    Rd
    """
    return (0x0E200400 | q << 30 | u << 29 | size << 22 | _v(rm) << 16 | opcode << 11
            | _v(rn) << 5 | _v(rd))  # fmt: skip
