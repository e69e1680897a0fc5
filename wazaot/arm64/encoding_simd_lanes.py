"""The arm64 Advanced SIMD encodings of lane moves (DUP, INS, UMOV, SMOV), permutes
(ZIP, UZP, TRN, EXT), table lookups (TBL, TBX), the floating-point vector classes,
the bitwise instructions, narrowing and lengthening, and the reductions across lanes:
C4.1 "Data Processing -- Scalar Floating-Point and Advanced SIMD" of the Arm ARM (DDI
0487). The integer arithmetic classes are in ``encoding_simd.py``.

One pure function per encoding class (or per family sharing one) returns the 32-bit
instruction word; its docstring draws the bit layout. ``q`` selects the 128-bit
register over the 64-bit one; ``esize`` is the lane width in bits (8, 16, 32 or 64),
so ``q`` and ``esize`` make the arrangement (``.16b``, ``.8h``, ``.4s``, ``.2d``;
``.8b``, ``.4h``, ``.2s`` when ``q`` is false)::

    vec_fp3(VecFpOp2.fadd, True, 32, v0, v1, v2)       fadd v0.4s, v1.4s, v2.4s
    vec_dup_gpr(True, 8, v0, x1)                       dup v0.16b, w1
    vec_umov(16, x0, v1, 3)                            umov w0, v1.h[3]
    vec_tbl(True, v0, v30, 2, v2)                      tbl v0.16b, {v30.16b, v31.16b}, v2.16b
"""

from __future__ import annotations

import enum

from .regs import Gpr, Vec

_LOG = {8: 0, 16: 1, 32: 2, 64: 3}


def _v(reg: Vec) -> int:
    assert isinstance(reg, Vec), f"{reg!r} is not a SIMD&FP register"
    return reg.num


def _size(esize: int) -> int:
    """The ``size`` field of a lane width: log2 of its bytes."""
    try:
        return _LOG[esize]
    except KeyError:
        raise ValueError(f"no vector lane of {esize} bits") from None


def _fp_sz(esize: int) -> int:
    """The ``sz`` bit of a floating-point lane width (0 single, 1 double)."""
    assert esize in (32, 64), f"floating-point lanes are 32 or 64 bits, not {esize}"
    return esize >> 6


def _arrangement_ok(q: bool, esize: int) -> None:
    assert q or esize != 64, "no 1d arrangement here"


# --------------------------------------------------------------------------------------
# Advanced SIMD copy: DUP, INS, UMOV, SMOV


def _imm5(esize: int, index: int) -> int:
    """``imm5`` of the copy classes: the lane index above a one-hot lane size."""
    size = _size(esize)
    assert 0 <= index < 128 >> (size + 3), f"lane {index} of a {esize}-bit element"
    return (index << 1 | 1) << size


def _copy(q: bool, op: int, imm5: int, imm4: int, rd: int, rn: int) -> int:
    return 0x0E000400 | q << 30 | op << 29 | imm5 << 16 | imm4 << 11 | rn << 5 | rd


def vec_dup_element(q: bool, esize: int, rd: Vec, rn: Vec, index: int) -> int:
    """DUP (element): every lane of ``rd`` := lane ``index`` of ``rn``.

    C4.1 Data Processing -- Scalar Floating-Point and Advanced SIMD, "Advanced SIMD
    copy"::

        |31|30|29|28          21|20  16|15|14  11|10|9    5|4    0|
        | 0| Q|op|0 1 1 1 0 0 0 0| imm5 | 0| imm4 | 1|  Rn  |  Rd  |
             op=0 imm4=0000; imm5 = index:1, index:10, index:100 or index:1000
    """
    _arrangement_ok(q, esize)
    return _copy(q, 0, _imm5(esize, index), 0b0000, _v(rd), _v(rn))


def vec_dup_gpr(q: bool, esize: int, rd: Vec, rn: Gpr) -> int:
    """DUP (general): every lane of ``rd`` := the low ``esize`` bits of ``rn`` (``w``,
    or ``x`` for 64-bit lanes); layout as :func:`vec_dup_element`, imm4=0001."""
    _arrangement_ok(q, esize)
    return _copy(q, 0, _imm5(esize, 0), 0b0001, _v(rd), rn.zr_field)


def vec_ins_gpr(esize: int, rd: Vec, index: int, rn: Gpr) -> int:
    """INS (general), alias ``mov rd.<T>[index], rn``: lane ``index`` of ``rd`` := the
    low ``esize`` bits of ``rn``, the other lanes kept; layout as
    :func:`vec_dup_element`, Q=1 op=0 imm4=0011."""
    return _copy(True, 0, _imm5(esize, index), 0b0011, _v(rd), rn.zr_field)


def vec_ins_element(esize: int, rd: Vec, index: int, rn: Vec, src_index: int) -> int:
    """INS (element), alias ``mov rd.<T>[index], rn.<T>[src_index]``: one lane copied,
    the other lanes of ``rd`` kept; layout as :func:`vec_dup_element`, Q=1 op=1 and
    imm4 = ``src_index`` above ``log2(esize / 8)`` zero bits."""
    _imm5(esize, src_index)  # checks the index
    return _copy(True, 1, _imm5(esize, index), src_index << _size(esize), _v(rd), _v(rn))


def vec_umov(esize: int, rd: Gpr, rn: Vec, index: int) -> int:
    """UMOV: ``rd`` := lane ``index`` of ``rn``, zero-extended (into ``w``; into ``x``
    for a 64-bit lane). Aliases ``mov w, v.s[i]`` and ``mov x, v.d[i]``; layout as
    :func:`vec_dup_element`, op=0 imm4=0111, Q=1 for a 64-bit lane."""
    return _copy(esize == 64, 0, _imm5(esize, index), 0b0111, rd.zr_field, _v(rn))


def vec_smov(esize: int, size: int, rd: Gpr, rn: Vec, index: int) -> int:
    """SMOV: ``rd`` (``size`` 32 or 64 bits) := lane ``index`` of ``rn`` (8, 16 or,
    into ``x``, 32 bits), sign-extended; layout as :func:`vec_dup_element`, op=0
    imm4=0101, Q=1 for an ``x`` destination."""
    assert size in (32, 64) and esize < size
    return _copy(size == 64, 0, _imm5(esize, index), 0b0101, rd.zr_field, _v(rn))


def vec_dup_scalar(esize: int, rd: Vec, rn: Vec, index: int) -> int:
    """DUP (element, scalar), alias ``mov s0, v1.s[2]``: the scalar ``rd`` (``b``,
    ``h``, ``s`` or ``d``; the rest of the register cleared) := lane ``index`` of
    ``rn``.

    C4.1 Data Processing -- Scalar Floating-Point and Advanced SIMD, "Advanced SIMD
    scalar copy"::

        |31 30|29|28          21|20  16|15|14  11|10|9    5|4    0|
        | 0  1|op|1 1 1 1 0 0 0 0| imm5 | 0| imm4 | 1|  Rn  |  Rd  |   op=0 imm4=0000
    """
    return 0x5E000400 | _imm5(esize, index) << 16 | _v(rn) << 5 | _v(rd)


# --------------------------------------------------------------------------------------
# Table lookup, extract, permute


def vec_tbl(q: bool, rd: Vec, rn: Vec, length: int, rm: Vec, tbx: bool = False) -> int:
    """TBL/TBX: each byte of ``rd`` := the byte of the table at the index in the same
    byte of ``rm``; the table is ``length`` (1-4) consecutive registers from ``rn``
    (v31 wraps to v0). An index past the table gives 0 (TBL) or keeps ``rd``'s byte
    (TBX).

    C4.1 Data Processing -- Scalar Floating-Point and Advanced SIMD, "Advanced SIMD
    table lookup"::

        |31|30|29        24|23 22|21|20  16|15|14 13|12|11 10|9    5|4    0|
        | 0| Q|0 0 1 1 1 0| op2 | 0|  Rm  | 0| len |op| 0 0 |  Rn  |  Rd  |
                                 op2=00; len = length - 1; op = 1 for TBX
    """
    assert 1 <= length <= 4
    return (0x0E000000 | q << 30 | _v(rm) << 16 | (length - 1) << 13 | tbx << 12
            | _v(rn) << 5 | _v(rd))  # fmt: skip


def vec_ext(q: bool, rd: Vec, rn: Vec, rm: Vec, index: int) -> int:
    """EXT: ``rd`` := the bytes ``index``.. of the concatenation ``rm:rn`` (``rn`` the
    low bytes): ``rn`` shifted down by ``index`` bytes, ``rm``'s low bytes above.

    C4.1 Data Processing -- Scalar Floating-Point and Advanced SIMD, "Advanced SIMD
    extract"::

        |31|30|29        24|23 22|21|20  16|15|14  11|10|9    5|4    0|
        | 0| Q|1 0 1 1 1 0| op2 | 0|  Rm  | 0| imm4 | 0|  Rn  |  Rd  |   op2=00
    """
    assert 0 <= index < (16 if q else 8)
    return 0x2E000000 | q << 30 | _v(rm) << 16 | index << 11 | _v(rn) << 5 | _v(rd)


class PermuteOp(enum.Enum):
    """The permutes: the value is ``opcode``, bits 14:12."""

    uzp1 = 0b001  # the even lanes of rn then of rm
    trn1 = 0b010  # even lanes of rn, odd lanes from the even lanes of rm
    zip1 = 0b011  # the low halves interleaved: rn[0], rm[0], rn[1], rm[1]...
    uzp2 = 0b101  # the odd lanes
    trn2 = 0b110
    zip2 = 0b111  # the high halves interleaved


def vec_permute(op: PermuteOp, q: bool, esize: int, rd: Vec, rn: Vec, rm: Vec) -> int:
    """UZP1/UZP2, TRN1/TRN2, ZIP1/ZIP2 of the lanes of ``rn`` and ``rm``.

    C4.1 Data Processing -- Scalar Floating-Point and Advanced SIMD, "Advanced SIMD
    permute"::

        |31|30|29        24|23 22|21|20  16|15|14  12|11 10|9    5|4    0|
        | 0| Q|0 0 1 1 1 0| size| 0|  Rm  | 0|opcode| 1 0 |  Rn  |  Rd  |
    """
    _arrangement_ok(q, esize)
    return (0x0E000800 | q << 30 | _size(esize) << 22 | _v(rm) << 16 | op.value << 12
            | _v(rn) << 5 | _v(rd))  # fmt: skip


# --------------------------------------------------------------------------------------
# Three same: floating point, bitwise


def _three_same(q: bool, u: int, size: int, opcode: int, rd: Vec, rn: Vec, rm: Vec) -> int:
    return (0x0E200400 | q << 30 | u << 29 | size << 22 | _v(rm) << 16 | opcode << 11
            | _v(rn) << 5 | _v(rd))  # fmt: skip


class VecFpOp2(enum.Enum):
    """The floating-point three-same operations: the value is (U, a, opcode), ``a``
    the high bit of ``size`` (its low bit is ``sz``)."""

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
    """``rd = rn op rm`` on each 32- or 64-bit float lane (FADD, FMIN, FCMGT...).

    C4.1 Data Processing -- Scalar Floating-Point and Advanced SIMD, "Advanced SIMD
    three same"::

        |31|30|29|28     24|23|22|21|20  16|15    11|10|9    5|4    0|
        | 0| Q| U|0 1 1 1 0| a|sz| 1|  Rm  | opcode | 1|  Rn  |  Rd  |
    """
    _arrangement_ok(q, esize)
    u, a, opcode = op.value
    return _three_same(q, u, a << 1 | _fp_sz(esize), opcode, rd, rn, rm)


class VecLogicOp(enum.Enum):
    """The bitwise three-same operations (opcode 00011): the value is (U, size)."""

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
    ``.8b``); layout as :func:`vec_fp3` with opcode=00011 and ``size`` the operation."""
    u, size = op.value
    return _three_same(q, u, size, 0b00011, rd, rn, rm)


# --------------------------------------------------------------------------------------
# Two-register miscellaneous: floating point, NOT, narrowing


def _two_misc(q: bool, u: int, size: int, opcode: int, rd: Vec, rn: Vec) -> int:
    return (0x0E200800 | q << 30 | u << 29 | size << 22 | opcode << 12 | _v(rn) << 5
            | _v(rd))  # fmt: skip


class VecFpOp1(enum.Enum):
    """The floating-point two-register operations of one arrangement: the value is
    (U, a, opcode), as :class:`VecFpOp2`. The comparisons with zero set all ones
    where ``rn`` compares true with +0.0."""

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
    """``rd = op(rn)`` on each 32- or 64-bit float lane (FABS, FRINTN, FCVTZS, FCMEQ
    #0.0...).

    C4.1 Data Processing -- Scalar Floating-Point and Advanced SIMD, "Advanced SIMD
    two-register miscellaneous"::

        |31|30|29|28     24|23|22|21   17|16    12|11 10|9    5|4    0|
        | 0| Q| U|0 1 1 1 0| a|sz|1 0 0 0 0| opcode | 1 0 |  Rn  |  Rd  |
    """
    _arrangement_ok(q, esize)
    u, a, opcode = op.value
    return _two_misc(q, u, a << 1 | _fp_sz(esize), opcode, rd, rn)


def vec_fcvtn(esize: int, rd: Vec, rn: Vec, upper: bool = False) -> int:
    """FCVTN (FCVTN2 if ``upper``): the float lanes of ``rn`` narrowed to ``esize`` (16
    or 32) bits, into the low half of ``rd`` (the high half cleared), or into its high
    half (the low half kept); layout as :func:`vec_fp1`, U=0 a=0 opcode=10110 and
    ``sz`` the source being double."""
    assert esize in (16, 32)
    return _two_misc(upper, 0, esize >> 5, 0b10110, rd, rn)


def vec_fcvtl(esize: int, rd: Vec, rn: Vec, upper: bool = False) -> int:
    """FCVTL (FCVTL2 if ``upper``): the float lanes of the low (high) half of ``rn``
    widened to ``esize`` (32 or 64) bits; layout as :func:`vec_fp1`, U=0 a=0
    opcode=10111 and ``sz`` the result being double."""
    assert esize in (32, 64)
    return _two_misc(upper, 0, esize >> 6, 0b10111, rd, rn)


def vec_not(q: bool, rd: Vec, rn: Vec) -> int:
    """NOT (printed ``mvn``): every bit of ``rn`` inverted; layout as :func:`vec_fp1`,
    U=1 size=00 opcode=00101."""
    return _two_misc(q, 1, 0b00, 0b00101, rd, rn)


class NarrowOp(enum.Enum):
    """The narrowing two-register operations: the value is (U, opcode)."""

    xtn = (0, 0b10010)  # the low half of each lane
    sqxtun = (1, 0b10010)  # signed to unsigned, saturating
    sqxtn = (0, 0b10100)  # signed, saturating
    uqxtn = (1, 0b10100)  # unsigned, saturating


def vec_narrow(op: NarrowOp, esize: int, rd: Vec, rn: Vec, upper: bool = False) -> int:
    """XTN, SQXTN, UQXTN, SQXTUN (the ``2`` forms if ``upper``): the ``2 * esize``-bit
    lanes of ``rn`` narrowed to ``esize`` bits, into the low half of ``rd`` (the high
    half cleared) or its high half (the low half kept); layout as :func:`vec_fp1` with
    ``size`` = log2 of the narrow lane's bytes."""
    assert esize in (8, 16, 32)
    u, opcode = op.value
    return _two_misc(upper, u, _size(esize), opcode, rd, rn)


# --------------------------------------------------------------------------------------
# Shift by immediate: lengthening


def vec_shll(signed: bool, esize: int, rd: Vec, rn: Vec, shift: int = 0,
             upper: bool = False) -> int:  # fmt: skip
    """SSHLL/USHLL (the ``2`` forms if ``upper``; aliases SXTL/UXTL when ``shift`` is
    0): the ``esize``-bit lanes of the low (high) half of ``rn``, sign- or
    zero-extended to twice the width, shifted left by ``shift``.

    C4.1 Data Processing -- Scalar Floating-Point and Advanced SIMD, "Advanced SIMD
    shift by immediate"::

        |31|30|29|28       23|22  19|18 16|15    11|10|9    5|4    0|
        | 0| Q| U|0 1 1 1 1 0| immh | immb| opcode | 1|  Rn  |  Rd  |
                            opcode=10100; immh:immb = esize + shift
    """
    assert esize in (8, 16, 32) and 0 <= shift < esize
    return (0x0F00A400 | upper << 30 | (not signed) << 29 | (esize + shift) << 16
            | _v(rn) << 5 | _v(rd))  # fmt: skip


# --------------------------------------------------------------------------------------
# Across lanes


class AcrossOp(enum.Enum):
    """The reductions across lanes: the value is (U, opcode)."""

    addv = (0, 0b11011)
    smaxv = (0, 0b01010)
    sminv = (0, 0b11010)
    umaxv = (1, 0b01010)
    uminv = (1, 0b11010)


def vec_across(op: AcrossOp, q: bool, esize: int, rd: Vec, rn: Vec) -> int:
    """ADDV, SMAXV, SMINV, UMAXV, UMINV: the scalar ``rd`` (``b``, ``h`` or ``s``, the
    rest of the register cleared) := the reduction of the ``esize``-bit lanes of
    ``rn``.

    C4.1 Data Processing -- Scalar Floating-Point and Advanced SIMD, "Advanced SIMD
    across lanes"::

        |31|30|29|28     24|23 22|21   17|16    12|11 10|9    5|4    0|
        | 0| Q| U|0 1 1 1 0| size|1 1 0 0 0| opcode | 1 0 |  Rn  |  Rd  |
    """
    assert esize in (8, 16, 32) and (q or esize != 32), "no 2s arrangement across lanes"
    u, opcode = op.value
    return (0x0E300800 | q << 30 | u << 29 | _size(esize) << 22 | opcode << 12
            | _v(rn) << 5 | _v(rd))  # fmt: skip
