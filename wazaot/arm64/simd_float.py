"""arm64 SIMD, float lanes and conversions, lane moves (splat, extract, replace),
shuffles and the bitwise instructions (registered into
:data:`wazaot.arm64.simd.SIMD`).

Most are one NEON instruction. The longer ones:

- ``pmin``/``pmax``, ``bitselect`` and the NaN canonicalization are a mask (FCMGT,
  FCMEQ, or the selector itself) and a bitwise select, BSL, BIT or BIF, whichever
  writes the register dst already shares;
- ``i8x16.shuffle`` is one DUP, EXT, ZIP/UZP/TRN, MOV or MOV+INS when its indices
  have that shape, otherwise a TBL of an index vector built in dst (so dst is
  ``early``) over one source, or over both copied to the consecutive scratch
  registers v30 and v31;
- ``any_true``: UMAXV of the 32-bit lanes, then a comparison with zero.

The scalar operands and results of the float lane instructions are in lane 0 of a
SIMD&FP register (``s`` or ``d``); those of the integer ones in a GPR.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..lower.vector import VecOp
from .args import Cond
from .emit import Emitter
from .encoding_alu import cmp_imm, cset
from .encoding_fp import vec_mov
from .encoding_simd import (
    AcrossOp,
    MiscOp,
    ShiftOp,
    VecFpOp1,
    VecFpOp2,
    VecLogicOp,
    simd_across,
    vec_fcvtl,
    vec_fcvtn,
    vec_fp1,
    vec_fp3,
)
from .encoding_simd_lanes import (
    PermuteOp,
    vec_dup_element,
    vec_dup_gpr,
    vec_dup_scalar,
    vec_ext,
    vec_ins_element,
    vec_ins_gpr,
    vec_permute,
    vec_smov,
    vec_tbl,
    vec_umov,
)
from .imms import Imm12
from .regs import Gpr, Vec, v30, v31, x16
from .sequences import mov_imm
from .simd import (
    const,
    fmov_to_gpr,
    implement,
    implement_table,
    invert,
    lane_bits,
    misc,
    move,
    select,
    shift,
)

Regs = Sequence[Any]


def _op(inst: VecOp) -> str:
    """The operation of ``inst``'s name: ``add`` of ``f32x4.add``."""
    return inst.name[6:]


# -- lane moves ---------------------------------------------------------------------------


@implement("i8x16.splat", "i16x8.splat", "i32x4.splat", "i64x2.splat")
def _splat_int(e: Emitter, inst: VecOp, d: Vec, srcs: Regs, temps: Regs) -> None:
    """DUP (general): ``dup v.16b, w`` ... ``dup v.2d, x``."""
    e.asm.emit(vec_dup_gpr(True, lane_bits(inst), d, srcs[0]))


@implement("f32x4.splat", "f64x2.splat")
def _splat_float(e: Emitter, inst: VecOp, d: Vec, srcs: Regs, temps: Regs) -> None:
    """DUP (element) of lane 0: ``dup v.4s, s.s[0]``."""
    e.asm.emit(vec_dup_element(True, lane_bits(inst), d, srcs[0], 0))


@implement("i8x16.extract_lane_s", "i16x8.extract_lane_s")
def _extract_signed(e: Emitter, inst: VecOp, d: Gpr, srcs: Regs,
                    temps: Regs) -> None:  # fmt: skip
    """SMOV into a ``w`` register."""
    e.asm.emit(vec_smov(lane_bits(inst), 32, d, srcs[0], inst.imm))


@implement("i8x16.extract_lane_u", "i16x8.extract_lane_u", "i32x4.extract_lane",
               "i64x2.extract_lane")  # fmt: skip
def _extract_unsigned(e: Emitter, inst: VecOp, d: Gpr, srcs: Regs,
                      temps: Regs) -> None:  # fmt: skip
    """UMOV into a ``w`` register (``x`` for a 64-bit lane)."""
    e.asm.emit(vec_umov(lane_bits(inst), d, srcs[0], inst.imm))


@implement("f32x4.extract_lane", "f64x2.extract_lane")
def _extract_float(e: Emitter, inst: VecOp, d: Vec, srcs: Regs,
                   temps: Regs) -> None:  # fmt: skip
    """DUP (scalar): ``mov s0, v1.s[i]`` (the rest of the register cleared)."""
    e.asm.emit(vec_dup_scalar(lane_bits(inst), d, srcs[0], inst.imm))


@implement("i8x16.replace_lane", "i16x8.replace_lane", "i32x4.replace_lane",
               "i64x2.replace_lane")  # fmt: skip
def _replace_int(e: Emitter, inst: VecOp, d: Vec, srcs: Regs, temps: Regs) -> None:
    """MOV of the vector (unless dst is it), then INS (general) of the lane."""
    move(e, d, srcs[0])
    e.asm.emit(vec_ins_gpr(lane_bits(inst), d, inst.imm, srcs[1]))


@implement("f32x4.replace_lane", "f64x2.replace_lane")
def _replace_float(e: Emitter, inst: VecOp, d: Vec, srcs: Regs,
                   temps: Regs) -> None:  # fmt: skip
    """MOV of the vector (unless dst is it), then INS (element) from lane 0 of the
    scalar (kept in v31 first if dst is its register)."""
    v, x = srcs[0], srcs[1]
    if d is x and d is not v:
        e.asm.emit(vec_mov(v31, x))
        x = v31
    move(e, d, v)
    e.asm.emit(vec_ins_element(lane_bits(inst), d, inst.imm, x, 0))


# -- shuffle, swizzle ---------------------------------------------------------------------


@implement("i8x16.swizzle")
def _swizzle(e: Emitter, inst: VecOp, d: Vec, srcs: Regs, temps: Regs) -> None:
    """TBL of one register: an index past 15 gives 0, as wasm wants."""
    e.asm.emit(vec_tbl(True, d, srcs[0], 1, srcs[1]))


ShuffleFn = Callable[[Emitter, Vec, Vec, Vec], None]
"""Emits a shuffle: ``fn(e, dst, a, b)``."""

_PERMUTES: dict[PermuteOp, Callable[[int], list[tuple[int, int]]]] = {
    # Lane k of the result as (operand, lane), for n lanes; operand 0 is rn, 1 is rm.
    PermuteOp.zip1: lambda n: [(k % 2, k // 2) for k in range(n)],
    PermuteOp.zip2: lambda n: [(k % 2, n // 2 + k // 2) for k in range(n)],
    PermuteOp.uzp1: lambda n: [(2 * k // n, 2 * k % n) for k in range(n)],
    PermuteOp.uzp2: lambda n: [(2 * k // n, 2 * k % n + 1) for k in range(n)],
    PermuteOp.trn1: lambda n: [(k % 2, k - k % 2) for k in range(n)],
    PermuteOp.trn2: lambda n: [(k % 2, k - k % 2 + 1) for k in range(n)],
}


def _wide_lanes(lanes: Sequence[int], esize: int) -> list[int] | None:
    """The byte indices ``lanes`` as indices of ``esize``-bit lanes of the pair a:b,
    or None if they do not move whole aligned lanes."""
    width = esize // 8
    out = []
    for k in range(0, 16, width):
        first = lanes[k]
        if first % width or list(lanes[k : k + width]) != list(range(first, first + width)):
            return None
        out.append(first // width)
    return out


def _plan_lanes(wide: list[int], esize: int) -> ShuffleFn | None:
    """One instruction (or MOV and INS) moving ``esize``-bit lanes, if ``wide`` (the
    indices of those lanes of a:b) has its shape."""
    n = len(wide)
    operand = [i // n for i in wide]  # 0: a, 1: b
    index = [i % n for i in wide]
    if len(set(wide)) == 1:
        return _dup_plan(esize, operand[0], index[0])
    for op, shape in _PERMUTES.items():
        pattern = shape(n)
        for x, y in ((0, 1), (1, 0), (0, 0), (1, 1)):
            if wide == [(x, y)[which] * n + i for which, i in pattern]:
                return _permute_plan(op, esize, x, y)
    for base in (0, 1):  # all lanes but at most one in place from one operand
        moved = [k for k in range(n) if wide[k] != base * n + k]
        if len(moved) <= 1:
            return _insert_plan(esize, base, [(k, operand[k], index[k]) for k in moved])
    return None


def _dup_plan(esize: int, operand: int, index: int) -> ShuffleFn:
    def emit(e: Emitter, d: Vec, a: Vec, b: Vec) -> None:
        e.asm.emit(vec_dup_element(True, esize, d, (a, b)[operand], index))

    return emit


def _permute_plan(op: PermuteOp, esize: int, x: int, y: int) -> ShuffleFn:
    def emit(e: Emitter, d: Vec, a: Vec, b: Vec) -> None:
        e.asm.emit(vec_permute(op, True, esize, d, (a, b)[x], (a, b)[y]))

    return emit


def _insert_plan(esize: int, base: int, moved: list[tuple[int, int, int]]) -> ShuffleFn:
    def emit(e: Emitter, d: Vec, a: Vec, b: Vec) -> None:
        move(e, d, (a, b)[base])
        for k, operand, index in moved:
            e.asm.emit(vec_ins_element(esize, d, k, (a, b)[operand], index))

    return emit


def _plan_ext(lanes: Sequence[int]) -> ShuffleFn | None:
    """EXT when the bytes are consecutive in a:b, b:a, a:a or b:b."""
    start = lanes[0]
    if [i % 32 for i in range(start, start + 16)] == list(lanes):
        first, second = (0, 1) if start < 16 else (1, 0)
    elif [16 * (start // 16) + i % 16 for i in range(start, start + 16)] == list(lanes):
        first = second = start // 16
    else:
        return None
    amount = start % 16

    def emit(e: Emitter, d: Vec, a: Vec, b: Vec) -> None:
        e.asm.emit(vec_ext(True, d, (a, b)[first], (a, b)[second], amount))

    return emit


def _plan_shuffle(lanes: Sequence[int]) -> ShuffleFn | None:
    """The short form of a shuffle of ``lanes``, or None for a TBL."""
    for esize in (64, 32, 16, 8):
        wide = _wide_lanes(lanes, esize)
        if wide is not None:
            plan = _plan_lanes(wide, esize)
            if plan is not None:
                return plan
    return _plan_ext(lanes)


def _table_lookup(e: Emitter, d: Vec, a: Vec, b: Vec, lanes: Sequence[int]) -> None:
    """The index vector built in dst, then TBL of a, b, or both (in v30, v31 unless
    they are consecutive already; one register if a and b are the same)."""
    if a is b:
        table, length, indices = a, 1, [i % 16 for i in lanes]
    elif max(lanes) < 16:
        table, length, indices = a, 1, list(lanes)
    elif min(lanes) >= 16:
        table, length, indices = b, 1, [i - 16 for i in lanes]
    else:
        table, length, indices = a, 2, list(lanes)
        if b.num != (a.num + 1) % 32:
            e.asm.emit(vec_mov(v30, a))
            e.asm.emit(vec_mov(v31, b))
            table = v30
    const(e, d, int.from_bytes(bytes(indices), "little"))
    e.asm.emit(vec_tbl(True, d, table, length, d))


@implement("i8x16.shuffle", dst="early")
def _shuffle(e: Emitter, inst: VecOp, d: Vec, srcs: Regs, temps: Regs) -> None:
    """One permute instruction when the indices have its shape, else TBL."""
    a, b = srcs[0], srcs[1]
    lanes = tuple(inst.imm)
    plan = _plan_shuffle(lanes)
    if plan is not None:
        plan(e, d, a, b)
    else:
        _table_lookup(e, d, a, b, lanes)


# -- bitwise -----------------------------------------------------------------------------

# AND, BIC (andnot: a & ~b), ORR, EOR; NOT (``mvn``).
implement_table({"v128.and": VecLogicOp.and_, "v128.andnot": VecLogicOp.bic,
                 "v128.or": VecLogicOp.orr, "v128.xor": VecLogicOp.eor,
                 "v128.not": MiscOp.not_})  # fmt: skip


@implement("v128.bitselect")
def _bitselect(e: Emitter, inst: VecOp, d: Vec, srcs: Regs, temps: Regs) -> None:
    """BSL, BIT or BIF: bits of a where c has ones, of b where it has zeros."""
    a, b, c = srcs
    select(e, d, c, a, b)


@implement("v128.any_true")
def _any_true(e: Emitter, inst: VecOp, d: Gpr, srcs: Regs, temps: Regs) -> None:
    """UMAXV of the 32-bit lanes into v31, FMOV to dst, CMP with 0, CSET ne."""
    asm = e.asm
    op = AcrossOp.umaxv
    asm.emit(simd_across(op.u, 2, op.opcode, True, v31, srcs[0]))
    fmov_to_gpr(e, 32, d, v31)
    asm.emit(cmp_imm(32, d, Imm12(0)))
    asm.emit(cset(32, d, Cond.ne))


# -- float lanes --------------------------------------------------------------------------

_FP2 = {"add": VecFpOp2.fadd, "sub": VecFpOp2.fsub, "mul": VecFpOp2.fmul,
        "div": VecFpOp2.fdiv, "min": VecFpOp2.fmin, "max": VecFpOp2.fmax}  # fmt: skip
_FP1 = {"abs": VecFpOp1.fabs, "neg": VecFpOp1.fneg, "sqrt": VecFpOp1.fsqrt,
        "ceil": VecFpOp1.frintp, "floor": VecFpOp1.frintm, "trunc": VecFpOp1.frintz,
        "nearest": VecFpOp1.frintn}  # fmt: skip
_COMPARE = {"eq": VecFpOp2.fcmeq, "gt": VecFpOp2.fcmgt, "ge": VecFpOp2.fcmge}
_COMPARE_SWAPPED = {"lt": VecFpOp2.fcmgt, "le": VecFpOp2.fcmge}
_SHAPES = ("f32x4", "f64x2")


# FADD, FSUB, FMUL, FDIV, FMIN, FMAX (which propagate NaNs and order -0 < +0, as wasm's
# min and max); FABS, FNEG, FSQRT, FRINTP (ceil), FRINTM (floor), FRINTZ (trunc),
# FRINTN (nearest, ties to even).
implement_table({f"{s}.{op}": fp_op for s in _SHAPES for op, fp_op in (_FP2 | _FP1).items()})

# FCMEQ, FCMGT, FCMGE (false on NaN); lt and le: gt and ge of the swapped operands.
implement_table({f"{s}.{op}": fcm for s in _SHAPES for op, fcm in _COMPARE.items()})
implement_table({f"{s}.{op}": fcm for s in _SHAPES for op, fcm in _COMPARE_SWAPPED.items()},
                swapped=True)  # fmt: skip


@implement("f32x4.ne", "f64x2.ne")
def _float_ne(e: Emitter, inst: VecOp, d: Vec, srcs: Regs, temps: Regs) -> None:
    """FCMEQ, then NOT."""
    e.asm.emit(vec_fp3(VecFpOp2.fcmeq, True, lane_bits(inst), d, srcs[0], srcs[1]))
    invert(e, d, d)


@implement(*(f"{s}.{op}" for s in _SHAPES for op in ("pmin", "pmax")))
def _float_pminmax(e: Emitter, inst: VecOp, d: Vec, srcs: Regs,
                   temps: Regs) -> None:  # fmt: skip
    """pmin = ``b < a ? b : a``, pmax = ``a < b ? b : a``: the mask of FCMGT, then a
    bitwise select (no NaN or zero-sign rule: exactly the comparison)."""
    a, b = srcs[0], srcs[1]
    mask = d if d is not a and d is not b else v31
    lhs, rhs = (a, b) if _op(inst) == "pmin" else (b, a)
    e.asm.emit(vec_fp3(VecFpOp2.fcmgt, True, lane_bits(inst), mask, lhs, rhs))
    select(e, d, mask, b, a)


_CANONICAL_NAN = {32: 0x7FC00000, 64: 0x7FF8000000000000}


@implement("f32x4.canonicalize_nans", "f64x2.canonicalize_nans")
def _canonicalize_nans(e: Emitter, inst: VecOp, d: Vec, srcs: Regs,
                       temps: Regs) -> None:  # fmt: skip
    """The not-NaN mask (FCMEQ of the value with itself) in v31, the canonical NaN
    in every lane of v30 (MOV to x16, DUP), then a bitwise select."""
    esize, src = lane_bits(inst), srcs[0]
    asm = e.asm
    asm.emit(vec_fp3(VecFpOp2.fcmeq, True, esize, v31, src, src))
    mov_imm(asm, esize, x16, _CANONICAL_NAN[esize])
    asm.emit(vec_dup_gpr(True, esize, v30, x16))
    select(e, d, v31, src, v30)


# -- conversions -------------------------------------------------------------------------

_CONVERT = {"i32x4.trunc_sat_f32x4_s": VecFpOp1.fcvtzs, "i32x4.trunc_sat_f32x4_u": VecFpOp1.fcvtzu,
            "f32x4.convert_i32x4_s": VecFpOp1.scvtf, "f32x4.convert_i32x4_u": VecFpOp1.ucvtf}  # fmt: skip


# FCVTZS/FCVTZU .4s (saturating, NaN -> 0, as trunc_sat wants), SCVTF/UCVTF .4s.
implement_table(_CONVERT)


@implement("i32x4.trunc_sat_f64x2_s_zero", "i32x4.trunc_sat_f64x2_u_zero")
def _trunc_sat_zero(e: Emitter, inst: VecOp, d: Vec, srcs: Regs,
                    temps: Regs) -> None:  # fmt: skip
    """FCVTZS/FCVTZU .2d into 64-bit lanes (saturated there), then SQXTN/UQXTN to
    32 bits (saturating again; the high half cleared)."""
    signed = inst.name.endswith("_s_zero")
    e.asm.emit(vec_fp1(VecFpOp1.fcvtzs if signed else VecFpOp1.fcvtzu, True, 64, d, srcs[0]))
    misc(e, MiscOp.sqxtn if signed else MiscOp.uqxtn, 2, d, d, q=False)


@implement("f64x2.convert_low_i32x4_s", "f64x2.convert_low_i32x4_u")
def _convert_low(e: Emitter, inst: VecOp, d: Vec, srcs: Regs, temps: Regs) -> None:
    """SXTL/UXTL of the low two lanes to 64 bits, then SCVTF/UCVTF .2d (exact)."""
    signed = inst.name.endswith("_s")
    shift(e, ShiftOp.sshll if signed else ShiftOp.ushll, 32, 0, d, srcs[0], q=False)
    e.asm.emit(vec_fp1(VecFpOp1.scvtf if signed else VecFpOp1.ucvtf, True, 64, d, d))


@implement("f32x4.demote_f64x2_zero")
def _demote(e: Emitter, inst: VecOp, d: Vec, srcs: Regs, temps: Regs) -> None:
    """FCVTN ``v.2s, v.2d`` (the high half cleared)."""
    e.asm.emit(vec_fcvtn(32, d, srcs[0]))


@implement("f64x2.promote_low_f32x4")
def _promote(e: Emitter, inst: VecOp, d: Vec, srcs: Regs, temps: Regs) -> None:
    """FCVTL ``v.2d, v.2s``."""
    e.asm.emit(vec_fcvtl(64, d, srcs[0]))
