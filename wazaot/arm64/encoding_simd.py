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

The floating-point and bitwise members of "three same" and "two-register
miscellaneous" have their own enums and take the lane width in bits (``esize``, 32 or
64), since their ``size`` field packs an opcode bit with ``sz``::

    vec_fp3(VecFpOp2.fadd, True, 32, v0, v1, v2)              fadd v0.4s, v1.4s, v2.4s
    vec_logic(VecLogicOp.bsl, True, v0, v1, v2)               bsl v0.16b, v1.16b, v2.16b

The lane moves, permutes, EXT and TBL are in ``encoding_simd_lanes.py``.
"""

from __future__ import annotations

import enum

from .regs import Vec

__all__ = [
    "AcrossOp", "DiffOp", "MiscOp", "SameOp", "ShiftOp", "VecFpOp1", "VecFpOp2",
    "VecLogicOp", "simd_across", "simd_modified_imm", "simd_scalar_pairwise",
    "simd_shift_imm", "simd_three_diff", "simd_three_same", "simd_two_misc", "vec_fcvtl",
    "vec_fcvtn", "vec_fp1", "vec_fp3", "vec_logic",
]  # fmt: skip


def _fp_sz(esize: int) -> int:
    """The ``sz`` bit of a floating-point lane width (0 single, 1 double)."""
    assert esize in (32, 64), f"floating-point lanes are 32 or 64 bits, not {esize}"
    return esize >> 6


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


class VecFpOp2(enum.Enum):
    """The floating-point operations of "three same": the value is (U, a, opcode), ``a``
    the high bit of ``size`` (its low bit is ``sz``, the lane width)."""

    fadd = (0, 0, 0b11010)
    fsub = (0, 1, 0b11010)
    fmul = (1, 0, 0b11011)
    fdiv = (1, 0, 0b11111)
    fmax = (0, 0, 0b11110)  # NaN if either is NaN, -0 < +0 (wasm max)
    fmin = (0, 1, 0b11110)
    fmaxnm = (0, 0, 0b11000)
    fminnm = (0, 1, 0b11000)
    fcmeq = (0, 0, 0b11100)  # all ones where equal (false on NaN)
    fcmge = (1, 0, 0b11100)  # rn >= rm
    fcmgt = (1, 1, 0b11100)  # rn > rm


def vec_fp3(op: VecFpOp2, q: bool, esize: int, rd: Vec, rn: Vec, rm: Vec) -> int:
    """:func:`simd_three_same` of 32- or 64-bit float lanes (FADD, FMIN, FCMGT...):
    ``size`` is ``a:sz``."""
    assert q or esize != 64, "no 1d arrangement here"
    u, a, opcode = op.value
    return simd_three_same(bool(u), a << 1 | _fp_sz(esize), opcode, q, rd, rn, rm)


class VecLogicOp(enum.Enum):
    """The bitwise operations of "three same" (opcode 00011): the value is (U, size)."""

    and_ = (0, 0b00)
    bic = (0, 0b01)  # rn & ~rm
    orr = (0, 0b10)  # (mov when rn = rm)
    orn = (0, 0b11)  # rn | ~rm
    eor = (1, 0b00)
    bsl = (1, 0b01)  # rd := rd ? rn : rm, bit by bit
    bit = (1, 0b10)  # rd := rm ? rn : rd
    bif = (1, 0b11)  # rd := rm ? rd : rn


def vec_logic(op: VecLogicOp, q: bool, rd: Vec, rn: Vec, rm: Vec) -> int:
    """AND, BIC, ORR, ORN, EOR, BSL, BIT, BIF of whole registers (``.16b``, or
    ``.8b``): :func:`simd_three_same` with opcode=00011, ``size`` the operation."""
    u, size = op.value
    return simd_three_same(bool(u), size, 0b00011, q, rd, rn, rm)


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


class VecFpOp1(enum.Enum):
    """The floating-point operations of "two-register miscellaneous" of one
    arrangement: the value is (U, a, opcode), as :class:`VecFpOp2`. The comparisons with
    zero set all ones where ``rn`` compares true with +0.0."""

    fabs = (0, 1, 0b01111)
    fneg = (1, 1, 0b01111)
    fsqrt = (1, 1, 0b11111)
    frintn = (0, 0, 0b11000)  # to nearest, ties to even (wasm nearest)
    frintm = (0, 0, 0b11001)  # toward -inf (floor)
    frintp = (0, 1, 0b11000)  # toward +inf (ceil)
    frintz = (0, 1, 0b11001)  # toward zero (trunc)
    fcvtzs = (0, 1, 0b11011)  # to signed integer lanes of the same width, saturating
    fcvtzu = (1, 1, 0b11011)
    scvtf = (0, 0, 0b11101)  # from signed integer lanes of the same width
    ucvtf = (1, 0, 0b11101)
    fcmgt0 = (0, 1, 0b01100)
    fcmeq0 = (0, 1, 0b01101)
    fcmlt0 = (0, 1, 0b01110)
    fcmge0 = (1, 1, 0b01100)
    fcmle0 = (1, 1, 0b01101)

    @property
    def mnemonic(self) -> str:
        return self.name.rstrip("0")


def vec_fp1(op: VecFpOp1, q: bool, esize: int, rd: Vec, rn: Vec) -> int:
    """:func:`simd_two_misc` of 32- or 64-bit float lanes (FABS, FRINTN, FCVTZS, FCMEQ
    #0.0...): ``size`` is ``a:sz``."""
    assert q or esize != 64, "no 1d arrangement here"
    u, a, opcode = op.value
    return simd_two_misc(bool(u), a << 1 | _fp_sz(esize), opcode, q, rd, rn)


def vec_fcvtn(esize: int, rd: Vec, rn: Vec, upper: bool = False) -> int:
    """FCVTN (FCVTN2 if ``upper``): the float lanes of ``rn`` narrowed to ``esize`` (16
    or 32) bits, into the low half of ``rd`` (the high half cleared), or into its high
    half (the low half kept): :func:`simd_two_misc` U=0 opcode=10110, ``size`` = 0:sz,
    ``sz`` the source being double."""
    assert esize in (16, 32)
    return simd_two_misc(False, esize >> 5, 0b10110, upper, rd, rn)


def vec_fcvtl(esize: int, rd: Vec, rn: Vec, upper: bool = False) -> int:
    """FCVTL (FCVTL2 if ``upper``): the float lanes of the low (high) half of ``rn``
    widened to ``esize`` (32 or 64) bits: :func:`simd_two_misc` U=0 opcode=10111,
    ``size`` = 0:sz, ``sz`` the result being double."""
    assert esize in (32, 64)
    return simd_two_misc(False, esize >> 6, 0b10111, upper, rd, rn)


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
