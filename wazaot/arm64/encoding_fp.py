"""The arm64 floating-point and SIMD encodings: C4.1 "Data Processing -- Scalar
Floating-Point and Advanced SIMD" of the Arm ARM (DDI 0487).

One pure function per encoding class returns the 32-bit instruction word; its docstring
draws the bit layout. Scalar instructions take the floating-point size first (32 for
``s`` registers, 64 for ``d``; the ``ftype`` field is 00 or 01), then the operands in
assembler order. Registers are :class:`~wazaot.arm64.regs.Vec` (and
:class:`~wazaot.arm64.regs.Gpr` for conversions)::

    fp_dp2(FpOp2.fadd, 64, v0, v1, v2)                    fadd d0, d1, d2
    fp_int(FpIntOp.fcvtzs, 32, 64, x0, v1)                fcvtzs w0, d1
    fp_imm(64, v0, FpImm8.try_from(1.0))                  fmov d0, #1.0
    simd_cnt(False, v0, v0); simd_addv(False, 8, v0, v0)  popcnt of the low 64 bits
"""

from __future__ import annotations

import enum

from .args import Cond
from .encoding_simd import (
    AcrossOp,
    MiscOp,
    VecLogicOp,
    simd_across,
    simd_modified_imm,
    simd_two_misc,
    vec_logic,
)
from .encoding_simd_lanes import vec_ins_gpr
from .imms import FpImm8
from .regs import Gpr, Reg, Vec


def _ftype(size: int) -> int:
    assert size in (32, 64), f"floating-point size must be 32 or 64, not {size}"
    return size >> 6


def _v(reg: Vec) -> int:
    assert isinstance(reg, Vec), f"{reg!r} is not a SIMD&FP register"
    return reg.num


class FpOp1(enum.Enum):
    """The one-source operations: the value is ``opcode``, bits 20:15 (FCVT has its own
    function, :func:`fcvt`)."""

    fmov = 0b000000
    fabs = 0b000001
    fneg = 0b000010
    fsqrt = 0b000011
    frintn = 0b001000  # to nearest, ties to even (wasm nearest)
    frintp = 0b001001  # toward +inf (ceil)
    frintm = 0b001010  # toward -inf (floor)
    frintz = 0b001011  # toward zero (trunc)
    frinta = 0b001100  # to nearest, ties away
    frintx = 0b001110  # current mode, signalling inexact
    frinti = 0b001111  # current mode


def _fp_dp1(ftype: int, opcode: int, rd: Vec, rn: Vec) -> int:
    return 0x1E204000 | ftype << 22 | opcode << 15 | _v(rn) << 5 | _v(rd)


def fp_dp1(op: FpOp1, size: int, rd: Vec, rn: Vec) -> int:
    """FMOV (register), FABS, FNEG, FSQRT, FRINT*: ``rd = op(rn)``.

    C4.1 Data Processing -- Scalar Floating-Point and Advanced SIMD, "Floating-point
    data-processing (1 source)"::

        |31|30|29|28     24|23 22|21|20    15|14     10|9    5|4    0|
        | M| 0| S|1 1 1 1 0|ftype| 1| opcode |1 0 0 0 0|  Rn  |  Rd  |   M = S = 0
    """
    return _fp_dp1(_ftype(size), op.value, rd, rn)


def fcvt(dst_size: int, src_size: int, rd: Vec, rn: Vec) -> int:
    """FCVT: convert between single and double precision (``opcode`` = 0001:opc, opc the
    destination type, ``ftype`` the source); layout as :func:`fp_dp1`."""
    assert dst_size != src_size
    return _fp_dp1(_ftype(src_size), 0b000100 | _ftype(dst_size), rd, rn)


class FpOp2(enum.Enum):
    """The two-source operations: the value is ``opcode``, bits 15:12."""

    fmul = 0
    fdiv = 1
    fadd = 2
    fsub = 3
    fmax = 4  # NaN if either is NaN (wasm max)
    fmin = 5
    fmaxnm = 6  # the number if one is a quiet NaN
    fminnm = 7
    fnmul = 8


def fp_dp2(op: FpOp2, size: int, rd: Vec, rn: Vec, rm: Vec) -> int:
    """``rd = rn op rm``.

    C4.1 Data Processing -- Scalar Floating-Point and Advanced SIMD, "Floating-point
    data-processing (2 source)"::

        |31|30|29|28     24|23 22|21|20  16|15  12|11 10|9    5|4    0|
        | M| 0| S|1 1 1 1 0|ftype| 1|  Rm  |opcode| 1 0 |  Rn  |  Rd  |
    """
    return (0x1E200800 | _ftype(size) << 22 | _v(rm) << 16 | op.value << 12
            | _v(rn) << 5 | _v(rd))  # fmt: skip


def fp_compare(size: int, rn: Vec, rm: Vec | None, signaling: bool = False) -> int:
    """FCMP/FCMPE: set NZCV from ``rn`` compared with ``rm`` (or with +0.0 if ``rm`` is
    None); FCMPE (``signaling``) also raises Invalid Operation on quiet NaNs.

    C4.1 Data Processing -- Scalar Floating-Point and Advanced SIMD, "Floating-point
    compare"::

        |31|30|29|28     24|23 22|21|20  16|15 14|13   10|9    5|4      0|
        | M| 0| S|1 1 1 1 0|ftype| 1|  Rm  | op  |1 0 0 0|  Rn  | opcode2|
                                                      opcode2 = E:Z:000
    """
    zero = rm is None
    m = 0 if rm is None else _v(rm)
    return (0x1E202000 | _ftype(size) << 22 | m << 16 | _v(rn) << 5 | signaling << 4
            | zero << 3)  # fmt: skip


def fp_csel(size: int, rd: Vec, rn: Vec, rm: Vec, cond: Cond) -> int:
    """FCSEL: ``rd = cond ? rn : rm``.

    C4.1 Data Processing -- Scalar Floating-Point and Advanced SIMD, "Floating-point
    conditional select"::

        |31|30|29|28     24|23 22|21|20  16|15  12|11 10|9    5|4    0|
        | M| 0| S|1 1 1 1 0|ftype| 1|  Rm  | cond | 1 1 |  Rn  |  Rd  |
    """
    return (0x1E200C00 | _ftype(size) << 22 | _v(rm) << 16 | cond.value << 12
            | _v(rn) << 5 | _v(rd))  # fmt: skip


def fp_imm(size: int, rd: Vec, imm: FpImm8) -> int:
    """FMOV (scalar, immediate): ``rd = imm``.

    C4.1 Data Processing -- Scalar Floating-Point and Advanced SIMD, "Floating-point
    immediate"::

        |31|30|29|28     24|23 22|21|20    13|12   10|9      5|4    0|
        | M| 0| S|1 1 1 1 0|ftype| 1|  imm8  |1 0 0  |0 0 0 0 0|  Rd  |
    """
    assert isinstance(imm, FpImm8)
    return 0x1E201000 | _ftype(size) << 22 | imm.bits << 13 | _v(rd)


class FpIntOp(enum.Enum):
    """Conversions between floating point and integer: the value is (rmode, opcode),
    bits 20:19 and 18:16."""

    fcvtzs = (3, 0)  # fp -> signed int, toward zero (wasm trunc)
    fcvtzu = (3, 1)  # fp -> unsigned int, toward zero
    scvtf = (0, 2)  # signed int -> fp
    ucvtf = (0, 3)  # unsigned int -> fp
    fmov_to_gpr = (0, 6)  # the bits, fp -> int (same size)
    fmov_from_gpr = (0, 7)  # the bits, int -> fp (same size)

    @property
    def to_fp(self) -> bool:
        """Whether the destination is the SIMD&FP register."""
        return self in (FpIntOp.scvtf, FpIntOp.ucvtf, FpIntOp.fmov_from_gpr)


def fp_int(op: FpIntOp, int_size: int, fp_size: int, rd: Reg, rn: Reg) -> int:
    """SCVTF/UCVTF (``rd`` SIMD&FP, ``rn`` GPR), FCVTZS/FCVTZU (``rd`` GPR, ``rn``
    SIMD&FP) and FMOV (general): the GPR is ``int_size`` wide, the SIMD&FP register
    ``fp_size``; FMOV needs the two equal (``fmov x0, d1``, ``fmov s0, w1``).

    C4.1 Data Processing -- Scalar Floating-Point and Advanced SIMD, "Conversion
    between floating-point and integer"::

        |31|30|29|28     24|23 22|21|20 19|18  16|15       10|9    5|4    0|
        |sf| 0| S|1 1 1 1 0|ftype| 1|rmode|opcode|0 0 0 0 0 0|  Rn  |  Rd  |
    """
    rmode, opcode = op.value
    sf = int_size >> 6
    assert int_size in (32, 64)
    assert op not in (FpIntOp.fmov_to_gpr, FpIntOp.fmov_from_gpr) or int_size == fp_size
    if op.to_fp:
        assert isinstance(rn, Gpr) and isinstance(rd, Vec)
        d, n = rd.num, rn.zr_field
    else:
        assert isinstance(rn, Vec) and isinstance(rd, Gpr)
        d, n = rd.zr_field, rn.num
    return (sf << 31 | 0x1E200000 | _ftype(fp_size) << 22 | rmode << 19 | opcode << 16
            | n << 5 | d)  # fmt: skip


# --------------------------------------------------------------------------------------
# Advanced SIMD: what scalar code borrows from the vector unit, by name (the classes are
# encoded in encoding_simd.py and encoding_simd_lanes.py)


def simd_cnt(q: bool, rd: Vec, rn: Vec) -> int:
    """CNT: the population count of each byte (``v.8b``, or ``v.16b`` if ``q``): "two-
    register miscellaneous" U=0 size=00 opcode=00101 (:func:`simd_two_misc`)."""
    return simd_two_misc(MiscOp.cnt.u, 0, MiscOp.cnt.opcode, q, rd, rn)


_ACROSS_SIZE = {8: 0, 16: 1, 32: 2}


def simd_addv(q: bool, esize: int, rd: Vec, rn: Vec) -> int:
    """ADDV: the sum of the ``esize``-bit lanes (8, 16 or 32) of ``rn`` (64 bits, or
    128 if ``q``) into the scalar ``rd`` of that size, modulo 2**esize: "across lanes"
    U=0 opcode=11011 (:func:`simd_across`)."""
    op = AcrossOp.addv
    return simd_across(op.u, _ACROSS_SIZE[esize], op.opcode, q, rd, rn)


def simd_uaddlv(q: bool, esize: int, rd: Vec, rn: Vec) -> int:
    """UADDLV: the sum of the unsigned lanes into a scalar twice as wide (no overflow):
    "across lanes" U=1 opcode=00011 (:func:`simd_across`)."""
    op = AcrossOp.uaddlv
    return simd_across(op.u, _ACROSS_SIZE[esize], op.opcode, q, rd, rn)


def vec_mov(rd: Vec, rn: Vec) -> int:
    """MOV (vector): ``orr rd.16b, rn.16b, rn.16b``, a whole 128-bit register copy
    (:func:`vec_logic`)."""
    return vec_logic(VecLogicOp.orr, True, rd, rn, rn)


def vec_zero(rd: Vec) -> int:
    """MOVI ``rd.2d, #0``: all 128 bits of ``rd`` cleared; "modified immediate" Q=1
    op=1 cmode=1110 (:func:`simd_modified_imm`)."""
    return simd_modified_imm(True, 0b1110, True, 0, rd)


def vec_ins_x(rd: Vec, lane: int, rn: Gpr) -> int:
    """INS (general), alias ``mov rd.d[lane], xn``: 64-bit lane ``lane`` (0 or 1) of
    ``rd`` := ``rn``; the other lane is kept (:func:`vec_ins_gpr`)."""
    assert lane in (0, 1)
    return vec_ins_gpr(64, rd, lane, rn)
