"""The arm64 Advanced SIMD encodings of lane moves (DUP, INS, UMOV, SMOV), permutes
(ZIP, UZP, TRN, EXT) and table lookups (TBL, TBX): C4.1 "Data Processing -- Scalar
Floating-Point and Advanced SIMD" of the Arm ARM (DDI 0487). The arithmetic,
floating-point and bitwise classes are in ``encoding_simd.py``.

One pure function per encoding class (or per family sharing one) returns the 32-bit
instruction word; its docstring draws the bit layout. ``q`` selects the 128-bit
register over the 64-bit one; ``esize`` is the lane width in bits (8, 16, 32 or 64),
so ``q`` and ``esize`` make the arrangement (``.16b``, ``.8h``, ``.4s``, ``.2d``;
``.8b``, ``.4h``, ``.2s`` when ``q`` is false)::

    vec_dup_gpr(True, 8, v0, x1)                       dup v0.16b, w1
    vec_umov(16, x0, v1, 3)                            umov w0, v1.h[3]
    vec_permute(PermuteOp.zip1, True, 8, v0, v1, v2)   zip1 v0.16b, v1.16b, v2.16b
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
