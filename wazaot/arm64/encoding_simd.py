"""The arm64 Advanced SIMD (NEON) vector encodings: C4.1 "Data Processing -- Scalar
Floating-Point and Advanced SIMD" of the Arm ARM (DDI 0487), the vector classes.

One pure function per encoding class returns the 32-bit instruction word; its
docstring draws the bit layout. The functions take the class's raw fields (``u``,
``size``, ``opcode``), so one function serves integer and floating-point members of a
class alike; the enums below name the integer members as ``(U, opcode)`` pairs. ``q``
selects the 128-bit register (``.16b``, ``.8h``, ``.4s``, ``.2d``) over the 64-bit one
(``.8b``, ``.4h``, ``.2s``), and for the widening and narrowing classes the upper half
(the ``2`` forms: ``smull2``, ``sqxtn2``); ``size`` is log2 of the element width in
bytes (0 for bytes ... 3 for doublewords)::

    simd_three_same(False, 2, 0b10000, True, v0, v1, v2)      add v0.4s, v1.4s, v2.4s
    simd_two_misc(True, 0, 0b01011, True, v0, v1)             neg v0.16b, v1.16b
    simd_shift_imm(False, 0b00000, True, 16, 3, v0, v1)       sshr v0.8h, v1.8h, #3
"""

from __future__ import annotations

import enum

from .regs import Vec

__all__ = [
    "AcrossOp", "DiffOp", "MiscOp", "PermOp", "SameOp", "ShiftOp", "simd_across",
    "simd_ext", "simd_modified_imm", "simd_permute", "simd_scalar_pairwise",
    "simd_shift_imm", "simd_three_diff", "simd_three_same", "simd_two_misc",
]  # fmt: skip


def _v(reg: Vec) -> int:
    assert isinstance(reg, Vec), f"{reg!r} is not a SIMD&FP register"
    return reg.num


class _UOp(enum.Enum):
    """An operation of a class, as ``(U, opcode)``."""

    @property
    def u(self) -> bool:
        return bool(self.value[0])

    @property
    def opcode(self) -> int:
        return int(self.value[1])


# -- three same ---------------------------------------------------------------------------


class SameOp(_UOp):
    """The integer operations of "three same" (bits 29 and 15:11)."""

    sqadd = (0, 0b00001)
    uqadd = (1, 0b00001)
    urhadd = (1, 0b00010)
    sqsub = (0, 0b00101)
    uqsub = (1, 0b00101)
    cmgt = (0, 0b00110)  # signed >
    cmhi = (1, 0b00110)  # unsigned >
    cmge = (0, 0b00111)  # signed >=
    cmhs = (1, 0b00111)  # unsigned >=
    sshl = (0, 0b01000)  # by the signed low byte of each lane of rm (negative: right)
    ushl = (1, 0b01000)
    smax = (0, 0b01100)
    umax = (1, 0b01100)
    smin = (0, 0b01101)
    umin = (1, 0b01101)
    add = (0, 0b10000)
    sub = (1, 0b10000)
    cmtst = (0, 0b10001)
    cmeq = (1, 0b10001)
    mul = (0, 0b10011)
    sqrdmulh = (1, 0b10110)
    addp = (0, 0b10111)  # pairwise: rn's pairs, then rm's


def simd_three_same(u: bool, size: int, opcode: int, q: bool, rd: Vec, rn: Vec, rm: Vec) -> int:
    """Advanced SIMD three same: ``rd = op(rn, rm)`` lane by lane (ADD, SUB, CMEQ...)::

        31 30 29 28    24 23 22 21 20  16 15    11 10 9   5 4   0
         0  Q  U  0 1 1 1 0  size  1  Rm   opcode   1  Rn    Rd
    """
    return (0x0E200400 | q << 30 | u << 29 | size << 22 | _v(rm) << 16 | opcode << 11
            | _v(rn) << 5 | _v(rd))  # fmt: skip


# -- three different ----------------------------------------------------------------------


class DiffOp(_UOp):
    """The operations of "three different" (bits 29 and 15:12): lanes of ``size`` in,
    lanes twice as wide out (``smull rd.8h, rn.8b, rm.8b``)."""

    saddl = (0, 0b0000)
    uaddl = (1, 0b0000)
    smlal = (0, 0b1000)
    umlal = (1, 0b1000)
    smull = (0, 0b1100)
    umull = (1, 0b1100)


def simd_three_diff(u: bool, size: int, opcode: int, q: bool, rd: Vec, rn: Vec, rm: Vec) -> int:
    """Advanced SIMD three different: the widening forms; ``q`` takes the upper halves
    of ``rn`` and ``rm`` (``smull2``), ``size`` is that of the narrow source lanes::

        31 30 29 28    24 23 22 21 20  16 15    12 11 10 9   5 4   0
         0  Q  U  0 1 1 1 0  size  1  Rm   opcode   0  0  Rn    Rd
    """
    assert size < 3
    return (0x0E200000 | q << 30 | u << 29 | size << 22 | _v(rm) << 16 | opcode << 12
            | _v(rn) << 5 | _v(rd))  # fmt: skip


# -- two-register miscellaneous -------------------------------------------------------------


class MiscOp(_UOp):
    """The integer operations of "two-register miscellaneous" (bits 29 and 16:12)."""

    rev64 = (0, 0b00000)
    saddlp = (0, 0b00010)  # pairwise add, lanes of ``size`` -> twice as wide
    uaddlp = (1, 0b00010)
    cnt = (0, 0b00101)  # size 0
    not_ = (1, 0b00101)  # size 0 (alias mvn)
    cmgt0 = (0, 0b01000)
    cmge0 = (1, 0b01000)
    cmeq0 = (0, 0b01001)
    cmle0 = (1, 0b01001)
    cmlt0 = (0, 0b01010)
    abs = (0, 0b01011)
    neg = (1, 0b01011)
    xtn = (0, 0b10010)  # lanes of twice ``size`` -> ``size``, truncated
    sqxtun = (1, 0b10010)  # signed -> unsigned, saturated
    shll = (1, 0b10011)  # widen, shifted left by the lane width
    sqxtn = (0, 0b10100)  # signed -> signed, saturated
    uqxtn = (1, 0b10100)


def simd_two_misc(u: bool, size: int, opcode: int, q: bool, rd: Vec, rn: Vec) -> int:
    """Advanced SIMD two-register miscellaneous: ``rd = op(rn)`` (NEG, ABS, CNT, CMEQ
    with zero, XTN...); for the narrowing ones ``size`` is the narrow lane's and ``q``
    writes the upper half (``xtn2``), keeping the lower::

        31 30 29 28    24 23 22 21     17 16    12 11 10 9   5 4   0
         0  Q  U  0 1 1 1 0  size  1 0 0 0 0  opcode   1  0  Rn    Rd
    """
    return 0x0E200800 | q << 30 | u << 29 | size << 22 | opcode << 12 | _v(rn) << 5 | _v(rd)


# -- shift by immediate ---------------------------------------------------------------------


class ShiftOp(_UOp):
    """The operations of "shift by immediate" (bits 29 and 15:11)."""

    sshr = (0, 0b00000)
    ushr = (1, 0b00000)
    ssra = (0, 0b00010)  # shift right and accumulate
    usra = (1, 0b00010)
    shl = (0, 0b01010)
    shrn = (0, 0b10000)  # narrowing
    sqshrn = (0, 0b10010)
    sshll = (0, 0b10100)  # widening (alias sxtl with shift 0)
    ushll = (1, 0b10100)  # (alias uxtl)


_LEFT_SHIFTS = frozenset({0b01010, 0b01100, 0b01110, 0b10100})


def simd_shift_imm(u: bool, opcode: int, q: bool, esize: int, shift: int, rd: Vec,
                   rn: Vec) -> int:  # fmt: skip
    """Advanced SIMD shift by immediate: ``rd = op(rn, shift)`` on lanes of ``esize``
    bits (8 ... 64; for the narrowing and widening forms the narrow lane's width). The
    lane width and the count share ``immh:immb``: ``esize + shift`` for the left shifts
    (``shift`` in 0 .. esize-1), ``2 * esize - shift`` for the right ones (1 .. esize)::

        31 30 29 28      23 22  19 18  16 15    11 10 9   5 4   0
         0  Q  U  0 1 1 1 1 0  immh  immb   opcode   1  Rn    Rd
    """
    assert esize in (8, 16, 32, 64) and not (esize == 64 and not q)
    if opcode in _LEFT_SHIFTS:
        assert 0 <= shift < esize, f"left shift of {esize}-bit lanes by {shift}"
        field = esize + shift
    else:
        assert 0 < shift <= esize, f"right shift of {esize}-bit lanes by {shift}"
        field = 2 * esize - shift
    return 0x0F000400 | q << 30 | u << 29 | field << 16 | opcode << 11 | _v(rn) << 5 | _v(rd)


# -- across lanes -------------------------------------------------------------------------


class AcrossOp(_UOp):
    """The integer operations of "across lanes" (bits 29 and 16:12)."""

    saddlv = (0, 0b00011)
    uaddlv = (1, 0b00011)
    smaxv = (0, 0b01010)
    umaxv = (1, 0b01010)
    sminv = (0, 0b11010)
    uminv = (1, 0b11010)
    addv = (0, 0b11011)


def simd_across(u: bool, size: int, opcode: int, q: bool, rd: Vec, rn: Vec) -> int:
    """Advanced SIMD across lanes: the scalar ``rd`` (of the lane size, or twice it
    for the long forms) = ``op`` over every lane of ``rn`` (no ``.2s``, no ``.2d``)::

        31 30 29 28    24 23 22 21     17 16    12 11 10 9   5 4   0
         0  Q  U  0 1 1 1 0  size  1 1 0 0 0  opcode   1  0  Rn    Rd
    """
    assert size < 2 or (size == 2 and q)
    return 0x0E300800 | q << 30 | u << 29 | size << 22 | opcode << 12 | _v(rn) << 5 | _v(rd)


# -- scalar pairwise ------------------------------------------------------------------------


def simd_scalar_pairwise(u: bool, size: int, opcode: int, rd: Vec, rn: Vec) -> int:
    """Advanced SIMD scalar pairwise: the scalar ``rd`` = ``op`` of the two lanes of
    ``rn`` (``addp d0, v1.2d``: U=0 size=11 opcode=11011)::

        31 30 29 28    24 23 22 21     17 16    12 11 10 9   5 4   0
         0  1  U  1 1 1 1 0  size  1 1 0 0 0  opcode   1  0  Rn    Rd
    """
    return 0x5E300800 | u << 29 | size << 22 | opcode << 12 | _v(rn) << 5 | _v(rd)


# -- modified immediate ---------------------------------------------------------------------


def simd_modified_imm(op: bool, cmode: int, q: bool, imm8: int, rd: Vec) -> int:
    """Advanced SIMD modified immediate (MOVI, MVNI, ORR, BIC): ``imm8`` = abc:defgh
    expanded per ``op:cmode`` (``movi v0.4s, #imm8, lsl #8``: op=0 cmode=0010;
    ``movi v0.2d, #bytes``: op=1 cmode=1110, each bit of imm8 a whole byte)::

        31 30 29 28            19 18 16 15   12 11 10 9     5 4   0
         0  Q op  0 1 1 1 1 0 0 0 0 0  abc  cmode  o2  1  defgh   Rd     o2 = 0
    """
    assert 0 <= imm8 < 256 and 0 <= cmode < 16
    return (0x0F000400 | q << 30 | op << 29 | (imm8 >> 5) << 16 | cmode << 12
            | (imm8 & 31) << 5 | _v(rd))  # fmt: skip


# -- permute and extract --------------------------------------------------------------------


class PermOp(enum.Enum):
    """The operations of "permute" (bits 14:12)."""

    uzp1 = 0b001
    trn1 = 0b010
    zip1 = 0b011
    uzp2 = 0b101
    trn2 = 0b110
    zip2 = 0b111


def simd_permute(opcode: int, size: int, q: bool, rd: Vec, rn: Vec, rm: Vec) -> int:
    """Advanced SIMD permute: ZIP1/2 interleave the lower/upper halves of ``rn`` and
    ``rm``, UZP1/2 take their even/odd lanes, TRN1/2 transpose pairs::

        31 30 29 28    24 23 22 21 20  16 15 14  12 11 10 9   5 4   0
         0  Q  0  0 1 1 1 0  size  0  Rm   0 opcode  1  0  Rn    Rd
    """
    assert not (size == 3 and not q)
    return (0x0E000800 | q << 30 | size << 22 | _v(rm) << 16 | opcode << 12 | _v(rn) << 5
            | _v(rd))  # fmt: skip


def simd_ext(q: bool, index: int, rd: Vec, rn: Vec, rm: Vec) -> int:
    """EXT: the bytes ``index`` .. of ``rm:rn`` (``rn`` the low part), 8 or 16 of them::

        31 30 29 28    24 23 22 21 20  16 15 14  11 10 9   5 4   0
         0  Q  1  0 1 1 1 0  0  0  0  Rm   0  imm4   0  Rn    Rd
    """
    assert 0 <= index < (16 if q else 8)
    return 0x2E000000 | q << 30 | _v(rm) << 16 | index << 11 | _v(rn) << 5 | _v(rd)
