"""arm64 SIMD, integer lanes: arithmetic, comparisons, shifts, narrowing and widening,
``bitmask`` and ``all_true`` (registered into :data:`wazaot.arm64.simd.SIMD`).

Most instructions are one NEON instruction on the whole register, chosen from a table
by the wasm name (``i16x8.add_sat_s`` -> ``sqadd v.8h``; :func:`implement_table`); the
lane size is the ``size`` field (0 for ``i8x16`` ... 3 for ``i64x2``). The others are
short sequences through the scratch registers v30, v31 and x16, described where they
are written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..lower.vector import VecOp
from .args import Cond
from .emit import Emitter
from .encoding_alu import LogicOp, cmp_imm, cset, logical_imm, neg
from .encoding_simd import (
    AcrossOp,
    DiffOp,
    MiscOp,
    SameOp,
    ShiftOp,
    simd_across,
    simd_scalar_pairwise,
    simd_three_diff,
)
from .encoding_simd_lanes import PermuteOp, vec_dup_gpr, vec_ext, vec_permute
from .imms import Imm12, LogicalImm
from .regs import Gpr, Vec, v30, v31, x16
from .simd import (
    fmov_to_gpr,
    implement,
    implement_table,
    invert,
    lane_size,
    misc,
    move,
    same,
    shift,
)

_SHAPES = ("i8x16", "i16x8", "i32x4", "i64x2")


def _names(shapes: Sequence[str], *ops: str) -> list[str]:
    return [f"{shape}.{op}" for shape in shapes for op in ops]


# -- one instruction of two vectors ---------------------------------------------------------

_BINARY = {
    "add": SameOp.add, "sub": SameOp.sub, "mul": SameOp.mul,
    "add_sat_s": SameOp.sqadd, "add_sat_u": SameOp.uqadd,
    "sub_sat_s": SameOp.sqsub, "sub_sat_u": SameOp.uqsub,
    "min_s": SameOp.smin, "min_u": SameOp.umin, "max_s": SameOp.smax, "max_u": SameOp.umax,
    "avgr_u": SameOp.urhadd, "q15mulr_sat_s": SameOp.sqrdmulh,
    "eq": SameOp.cmeq, "gt_s": SameOp.cmgt, "gt_u": SameOp.cmhi,
    "ge_s": SameOp.cmge, "ge_u": SameOp.cmhs,
}  # fmt: skip
# lt and le: gt and ge of the swapped operands.
_SWAPPED = {"lt_s": SameOp.cmgt, "lt_u": SameOp.cmhi, "le_s": SameOp.cmge, "le_u": SameOp.cmhs}

_CMP = ("eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u")
_BINARY_NAMES = (
    _names(_SHAPES, "add", "sub")
    + _names(("i16x8", "i32x4"), "mul")
    + _names(("i8x16", "i16x8"), "add_sat_s", "add_sat_u", "sub_sat_s", "sub_sat_u", "avgr_u")
    + _names(("i8x16", "i16x8", "i32x4"), "min_s", "min_u", "max_s", "max_u")
    + _names(("i8x16", "i16x8", "i32x4"), *(c for c in _CMP if c != "ne"))
    + _names(("i64x2",), "eq", "lt_s", "gt_s", "le_s", "ge_s")
    + ["i16x8.q15mulr_sat_s"]
)

# ADD, SUB, MUL, SQADD/UQADD, SQSUB/UQSUB, SMIN/UMIN, SMAX/UMAX, URHADD, SQRDMULH, CMEQ,
# CMGT/CMHI, CMGE/CMHS.
implement_table({n: _BINARY[n[6:]] for n in _BINARY_NAMES if n[6:] in _BINARY})
implement_table({n: _SWAPPED[n[6:]] for n in _BINARY_NAMES if n[6:] in _SWAPPED}, swapped=True)


@implement(*_names(_SHAPES, "ne"))
def _ne(e: Emitter, inst: VecOp, d: Vec, srcs: Sequence[Vec],
        temps: Sequence[Vec]) -> None:  # fmt: skip
    """``cmeq dst, a, b; mvn dst, dst``."""
    same(e, SameOp.cmeq, lane_size(inst), d, srcs[0], srcs[1])
    invert(e, d, d)


@implement("i64x2.mul", dst="early")
def _mul64(e: Emitter, inst: VecOp, d: Vec, srcs: Sequence[Vec],
           temps: Sequence[Vec]) -> None:  # fmt: skip
    """No MUL of 64-bit lanes: with a = ah:al and b = bh:bl (32-bit halves of a lane),
    a * b mod 2**64 = al * bl + ((al * bh + ah * bl) << 32); dst is the accumulator (a
    register of its own)::

        rev64  dst.4s, b.4s             bl:bh per lane
        mul    dst.4s, dst.4s, a.4s     al*bh, ah*bl (mod 2**32)
        uaddlp dst.2d, dst.4s           their sum per lane
        shl    dst.2d, dst.2d, #32
        xtn    v30.2s, a.2d             al
        xtn    v31.2s, b.2d             bl
        umlal  dst.2d, v30.2s, v31.2s   + al*bl
    """
    a, b = srcs[0], srcs[1]
    misc(e, MiscOp.rev64, 2, d, b)
    same(e, SameOp.mul, 2, d, d, a)
    misc(e, MiscOp.uaddlp, 2, d, d)
    shift(e, ShiftOp.shl, 64, 32, d, d)
    misc(e, MiscOp.xtn, 2, v30, a, q=False)
    misc(e, MiscOp.xtn, 2, v31, b, q=False)
    e.asm.emit(simd_three_diff(DiffOp.umlal.u, 2, DiffOp.umlal.opcode, False, d, v30, v31))


# -- one instruction of one vector --------------------------------------------------------

_UNARY = {"neg": MiscOp.neg, "abs": MiscOp.abs, "popcnt": MiscOp.cnt}


# NEG, ABS (abs of the least value is itself, as in wasm), CNT.
implement_table({n: _UNARY[n[6:]] for n in (*_names(_SHAPES, "neg", "abs"), "i8x16.popcnt")})


# -- shifts -------------------------------------------------------------------------------

_SHIFT_IMM = {"shl": ShiftOp.shl, "shr_s": ShiftOp.sshr, "shr_u": ShiftOp.ushr}
_SHIFT_REG = {"shl": SameOp.sshl, "shr_s": SameOp.sshl, "shr_u": SameOp.ushl}


@implement(*_names(_SHAPES, "shl", "shr_s", "shr_u"), imm_arg=1)
def _shift_op(e: Emitter, inst: VecOp, d: Vec, srcs: Sequence[Any],
              temps: Sequence[Vec]) -> None:  # fmt: skip
    """The count is taken modulo the lane width. A constant count: SHL, SSHR, USHR #n
    (a copy for 0). A count in a register: it goes to every byte of v31, negated for
    the right shifts, and SSHL/USHL shift each lane by the signed low byte of v31's::

        and  w16, wcount, #(width - 1)
        neg  w16, w16                      (right shifts)
        dup  v31.16b, w16
        sshl dst, src, v31                 (ushl for shr_u)
    """
    size, op = lane_size(inst), inst.name[6:]
    esize = 8 << size
    a = srcs[0]
    if inst.imm is not None:
        count = inst.imm & (esize - 1)
        if count == 0:
            move(e, d, a)
        else:
            shift(e, _SHIFT_IMM[op], esize, count, d, a)
        return
    mask = LogicalImm.try_from(esize - 1, 32)
    assert mask is not None
    e.asm.emit(logical_imm(LogicOp.and_, 32, x16, srcs[1], mask))
    if op != "shl":
        e.asm.emit(neg(32, x16, x16))
    e.asm.emit(vec_dup_gpr(True, 8, v31, x16))
    same(e, _SHIFT_REG[op], size, d, a, v31)


# -- widening and narrowing -----------------------------------------------------------------


def _signed(inst: VecOp) -> bool:
    return inst.name.endswith("_s")


def _widening(op: str) -> list[str]:
    """The names of ``op`` (extend, extmul) from each half of each narrower shape."""
    return [f"{shape}.{op}_{half}_{n}_{sign}"
            for shape, n in (("i16x8", "i8x16"), ("i32x4", "i16x8"), ("i64x2", "i32x4"))
            for half in ("low", "high") for sign in "su"]  # fmt: skip


@implement(*_widening("extend"))
def _extend(e: Emitter, inst: VecOp, d: Vec, srcs: Sequence[Vec],
            temps: Sequence[Vec]) -> None:  # fmt: skip
    """SXTL/UXTL (SSHLL/USHLL #0) of the low half, SXTL2/UXTL2 of the high one."""
    op = ShiftOp.sshll if _signed(inst) else ShiftOp.ushll
    high = "_high_" in inst.name
    shift(e, op, 4 << lane_size(inst), 0, d, srcs[0], q=high)


@implement(*_widening("extmul"))
def _extmul(e: Emitter, inst: VecOp, d: Vec, srcs: Sequence[Vec],
            temps: Sequence[Vec]) -> None:  # fmt: skip
    """SMULL/UMULL of the low halves, SMULL2/UMULL2 of the high ones."""
    op = DiffOp.smull if _signed(inst) else DiffOp.umull
    high = "_high_" in inst.name
    e.asm.emit(simd_three_diff(op.u, lane_size(inst) - 1, op.opcode, high, d, srcs[0],
                               srcs[1]))  # fmt: skip


@implement("i16x8.extadd_pairwise_i8x16_s", "i16x8.extadd_pairwise_i8x16_u",
           "i32x4.extadd_pairwise_i16x8_s", "i32x4.extadd_pairwise_i16x8_u")  # fmt: skip
def _extadd_pairwise(e: Emitter, inst: VecOp, d: Vec, srcs: Sequence[Vec],
                     temps: Sequence[Vec]) -> None:  # fmt: skip
    """SADDLP/UADDLP."""
    op = MiscOp.saddlp if _signed(inst) else MiscOp.uaddlp
    misc(e, op, lane_size(inst) - 1, d, srcs[0])


@implement("i8x16.narrow_i16x8_s", "i8x16.narrow_i16x8_u", "i16x8.narrow_i32x4_s",
           "i16x8.narrow_i32x4_u")  # fmt: skip
def _narrow(e: Emitter, inst: VecOp, d: Vec, srcs: Sequence[Vec],
            temps: Sequence[Vec]) -> None:  # fmt: skip
    """SQXTN (signed) or SQXTUN (signed to unsigned) of a into the low half, the "2"
    form of b into the high one; through v31 when dst is b's register."""
    op = MiscOp.sqxtn if _signed(inst) else MiscOp.sqxtun
    size, a, b = lane_size(inst), srcs[0], srcs[1]
    out = v31 if d is b else d
    misc(e, op, size, out, a, q=False)
    misc(e, op, size, out, b, q=True)
    move(e, d, out)


@implement("i32x4.dot_i16x8_s")
def _dot(e: Emitter, inst: VecOp, d: Vec, srcs: Sequence[Vec],
         temps: Sequence[Vec]) -> None:  # fmt: skip
    """The products of the low and of the high halves, added in pairs::

        smull  v31.4s, a.4h, b.4h
        smull2 v30.4s, a.8h, b.8h
        addp   dst.4s, v31.4s, v30.4s
    """
    a, b = srcs[0], srcs[1]
    op = DiffOp.smull
    e.asm.emit(simd_three_diff(op.u, 1, op.opcode, False, v31, a, b))
    e.asm.emit(simd_three_diff(op.u, 1, op.opcode, True, v30, a, b))
    same(e, SameOp.addp, 2, d, v31, v30)


# -- to a scalar: all_true and bitmask ------------------------------------------------------


@implement("i8x16.all_true", "i16x8.all_true", "i32x4.all_true")
def _all_true(e: Emitter, inst: VecOp, d: Gpr, srcs: Sequence[Vec],
              temps: Sequence[Vec]) -> None:  # fmt: skip
    """The least lane is not zero::

        uminv b31, src.16b          (h31 .8h, s31 .4s)
        fmov  w16, s31
        cmp   w16, #0
        cset  dst, ne
    """
    op = AcrossOp.uminv
    e.asm.emit(simd_across(op.u, lane_size(inst), op.opcode, True, v31, srcs[0]))
    fmov_to_gpr(e, 32, x16, v31)
    e.asm.emit(cmp_imm(32, x16, Imm12(0)))
    e.asm.emit(cset(32, d, Cond.ne))


_ADDP = 0b11011  # ADDP (scalar): opcode of "scalar pairwise"


@implement("i64x2.all_true")
def _all_true64(e: Emitter, inst: VecOp, d: Gpr, srcs: Sequence[Vec],
                temps: Sequence[Vec]) -> None:  # fmt: skip
    """No lane is zero: the lanes compared with zero (-1 where zero), added::

        cmeq v31.2d, src.2d, #0
        addp d31, v31.2d
        fmov x16, d31
        cmp  x16, #0
        cset dst, eq
    """
    misc(e, MiscOp.cmeq0, 3, v31, srcs[0])
    e.asm.emit(simd_scalar_pairwise(False, 3, _ADDP, v31, v31))
    fmov_to_gpr(e, 64, x16, v31)
    e.asm.emit(cmp_imm(64, x16, Imm12(0)))
    e.asm.emit(cset(32, d, Cond.eq))


def _gather_sign_bits(e: Emitter, size: int, src: Vec) -> None:
    """The sign bits of ``src``'s lanes of ``size``, gathered into the low bits of each
    64-bit half of v31 (lane order, lane 0 in bit 0; the bits above them are not
    cleared): USHR leaves each lane's sign bit at its bit 0, then each USRA on lanes
    twice as wide adds the upper lane's bits, shifted, just above the lower lane's."""
    esize = 8 << size
    shift(e, ShiftOp.ushr, esize, esize - 1, v31, src)
    count = 1
    for wide in (16, 32, 64):
        if wide <= esize:
            continue
        shift(e, ShiftOp.usra, wide, wide // 2 - count, v31, v31)
        count *= 2


@implement("i16x8.bitmask", "i32x4.bitmask", "i64x2.bitmask")
def _bitmask(e: Emitter, inst: VecOp, d: Gpr, srcs: Sequence[Vec],
             temps: Sequence[Vec]) -> None:  # fmt: skip
    """The sign bits of each 64-bit half gathered (:func:`_gather_sign_bits`: n bits
    each), then the two halves joined::

        xtn  v31.2s, v31.2d                 the low 32 bits of each half
        usra v31.2d, v31.2d, #(32 - n)      the high half's bits above the low's
        fmov w16, s31
        and  dst, w16, #(2**(2n) - 1)       (not needed for i32x4, i64x2)
    """
    size = lane_size(inst)
    n = 8 >> size  # lanes per half
    _gather_sign_bits(e, size, srcs[0])
    misc(e, MiscOp.xtn, 2, v31, v31, q=False)
    shift(e, ShiftOp.usra, 64, 32 - n, v31, v31)
    if size == 1:
        fmov_to_gpr(e, 32, x16, v31)
        mask = LogicalImm.try_from((1 << 2 * n) - 1, 32)
        assert mask is not None
        e.asm.emit(logical_imm(LogicOp.and_, 32, d, x16, mask))
    else:
        fmov_to_gpr(e, 32, d, v31)


@implement("i8x16.bitmask")
def _bitmask8(e: Emitter, inst: VecOp, d: Gpr, srcs: Sequence[Vec],
              temps: Sequence[Vec]) -> None:  # fmt: skip
    """The sign bits of each 64-bit half gathered into its byte 0 and 8
    (:func:`_gather_sign_bits`), then those two bytes brought together::

        ext  v30.16b, v31.16b, v31.16b, #8
        zip1 v31.16b, v31.16b, v30.16b      byte 0, byte 8, ...
        fmov w16, s31
        and  dst, w16, #0xffff
    """
    _gather_sign_bits(e, 0, srcs[0])
    e.asm.emit(vec_ext(True, v30, v31, v31, 8))
    e.asm.emit(vec_permute(PermuteOp.zip1, True, 8, v31, v31, v30))
    fmov_to_gpr(e, 32, x16, v31)
    mask = LogicalImm.try_from(0xFFFF, 32)
    assert mask is not None
    e.asm.emit(logical_imm(LogicOp.and_, 32, d, x16, mask))
