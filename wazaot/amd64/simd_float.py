"""x86-64 SIMD, float lanes and conversions, lane moves (splat, extract, replace),
shuffles and the bitwise instructions (registered into
:data:`wazaot.amd64.simd.SIMD`).

Every emitter is written once against :class:`wazaot.amd64.simd.Vec` and registered for
SSE and AVX (some for AVX2 too) by :func:`wazaot.amd64.simd.implement` (see
:mod:`wazaot.amd64.simd`). xmm15 and r11 are the scratch registers: constants are built
in them from immediates (``mov r11, imm``; ``movq xmm15, r11``; ``pshufd``).

Where x86 and wasm differ:

- ``minps``/``maxps`` return their second operand when either is NaN or both are
  zeros: wasm's ``min``/``max`` take both orders and merge them (the NaNs, the sign of
  zeros), then clear the payload of NaN lanes (a canonical NaN, sign unspecified).
- ``pmin``/``pmax`` are exactly ``minps``/``maxps`` with the operands swapped.
- ``cvttps2dq`` gives 0x80000000 for NaN and out-of-range lanes: the saturating
  conversions zero the NaN lanes first and flip the positive overflows to 0x7fffffff.
- There is no unsigned conversion before AVX-512: ``f32x4.convert_i32x4_u`` converts
  the two 16-bit halves separately, ``f64x2.convert_low_i32x4_u`` builds the doubles
  2**52 + x bit by bit and subtracts 2**52.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

from ..lower.vector import VecOp
from .args import Cond
from .regs import Gpr, Xmm, xmm15
from .simd import LANE_BITS, Vec, implement, implement_table, splat

_SUFFIX = {"f32x4": "ps", "f64x2": "pd"}


def _f64(x: float) -> int:
    return int.from_bytes(struct.pack("<d", x), "little")


def _shapes(*ops: str) -> list[str]:
    return [f"{shape}.{op}" for shape in ("f32x4", "f64x2") for op in ops]


# -- float arithmetic ----------------------------------------------------------------------


implement_table({f"{shape}.{op}": op + s for shape, s in _SUFFIX.items()
                 for op in ("add", "sub", "mul", "div")})  # fmt: skip
implement_table({f"{shape}.sqrt": "sqrt" + s for shape, s in _SUFFIX.items()}, unary=True)


_ROUNDING = {"nearest": 0, "floor": 1, "ceil": 2, "trunc": 3}


@implement(*_shapes(*_ROUNDING), dst="late")
def _round(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """roundps/roundpd with the rounding mode in the immediate (nearest: ties to even)."""
    shape, op = inst.name.split(".")
    v.unary("round" + _SUFFIX[shape], dst, srcs[0], _ROUNDING[op] | 8)


@implement(*_shapes("abs", "neg"))
def _sign(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """andps with 0x7fff... (abs) or xorps with 0x8000... (neg), the mask made by
    pcmpeqd and a shift."""
    shape, op = inst.name.split(".")
    q = "q" if shape == "f64x2" else "d"
    v.ones(xmm15)
    if op == "abs":
        v.shift("psrl" + q, xmm15, xmm15, 1)
        v.op("and" + _SUFFIX[shape], dst, srcs[0], xmm15)
    else:
        v.shift("psll" + q, xmm15, xmm15, 63 if q == "q" else 31)
        v.op("xor" + _SUFFIX[shape], dst, srcs[0], xmm15)


def _clear_payload(v: Vec, s: str, dst: Xmm, t: Xmm) -> None:
    """dst := t without the payload of the lanes where dst (a NaN mask) is all ones: the
    mask shifted right to keep sign, exponent and quiet bit (andnps)."""
    v.shift("psrlq" if s == "pd" else "psrld", dst, dst, 13 if s == "pd" else 10)
    v.op("andn" + s, dst, dst, t)


@implement(*_shapes("min"))
def _min(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """minps both ways (each returns its second operand for NaNs and zeros), or'ed:
    NaNs and -0 propagate; then NaN lanes become all ones and lose their payload."""
    s = _SUFFIX[inst.name[:5]]
    a, b = srcs
    v.op("min" + s, xmm15, b, a)
    v.op("min" + s, dst, a, b)
    v.op("or" + s, xmm15, xmm15, dst)
    v.op("cmp" + s, dst, dst, xmm15, 3)
    v.op("or" + s, xmm15, xmm15, dst)
    _clear_payload(v, s, dst, xmm15)


@implement(*_shapes("max"))
def _max(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """maxps both ways; where they differ (a NaN, or +0 against -0) the xor of the two
    is or'ed in (NaN) then subtracted (the sign of zero: +0 - -0 is +0); NaN lanes lose
    their payload."""
    s = _SUFFIX[inst.name[:5]]
    a, b = srcs
    v.op("max" + s, xmm15, b, a)
    v.op("max" + s, dst, a, b)
    v.op("xor" + s, dst, dst, xmm15)
    v.op("or" + s, xmm15, xmm15, dst)
    v.op("sub" + s, xmm15, xmm15, dst)
    v.op("cmp" + s, dst, dst, xmm15, 3)  # unordered: the NaN lanes
    _clear_payload(v, s, dst, xmm15)


# The instructions computed as ``op(b, a)`` have a dst of their own on SSE: ``movaps
# dst, b; op dst, a`` (reusing a's register would take a copy through xmm15 more).


@implement(*_shapes("pmin", "pmax"), dst="early")
def _pminmax(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """pmin(a, b) = b < a ? b : a = minps(b, a); pmax = maxps(b, a)."""
    shape, op = inst.name.split(".")
    v.op(op[1:] + _SUFFIX[shape], dst, srcs[1], srcs[0])


# wasm comparison -> (cmpps predicate, operands swapped)
_COMPARE = {"eq": (0, False), "ne": (4, False), "lt": (1, False), "le": (2, False),
            "gt": (1, True), "ge": (2, True)}  # fmt: skip


def _compare(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """cmpps/cmppd (gt and ge as lt and le of the swapped operands; ne is unordered)."""
    shape, op = inst.name.split(".")
    predicate, swap = _COMPARE[op]
    a, b = (srcs[1], srcs[0]) if swap else (srcs[0], srcs[1])
    v.op("cmp" + _SUFFIX[shape], dst, a, b, predicate)


implement(*_shapes("eq", "ne", "lt", "le"))(_compare)
implement(*_shapes("gt", "ge"), dst="early")(_compare)


_CANONICAL = {"f32x4": splat(32, 0x7FC0_0000), "f64x2": splat(64, 0x7FF8 << 48)}


@implement("f32x4.canonicalize_nans", "f64x2.canonicalize_nans", temps="v")
def _canonicalize(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """NaN lanes := the canonical NaN: an unordered compare gives the mask, then
    vblendvps/pd, or (canonical & mask) | (src & ~mask)."""
    shape = inst.name[:5]
    s = _SUFFIX[shape]
    a, t = srcs[0], temps[0]
    v.const(t, _CANONICAL[shape])
    v.op("cmp" + s, xmm15, a, a, 3)
    if v.avx:
        v.asm.emit("vblendv" + s, None, dst, a, t, xmm15)
        return
    v.op("and" + s, t, t, xmm15)
    v.op("andn" + s, xmm15, xmm15, a)
    v.op("or" + s, dst, xmm15, t)


# -- conversions ---------------------------------------------------------------------------

# One instruction each.
_PLAIN_CONVERSIONS = {
    "f32x4.demote_f64x2_zero": "cvtpd2ps",
    "f64x2.promote_low_f32x4": "cvtps2pd",
    "f32x4.convert_i32x4_s": "cvtdq2ps",
    "f64x2.convert_low_i32x4_s": "cvtdq2pd",
}


implement_table(_PLAIN_CONVERSIONS, unary=True)


@implement("f32x4.convert_i32x4_u")
def _convert_u32_f32(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm],
                     temps: Sequence[Xmm]) -> None:  # fmt: skip
    """The low 16 bits convert exactly; the high part, halved to stay positive, too;
    doubling it and adding the low part rounds once."""
    a = srcs[0]
    v.shift("pslld", xmm15, a, 16)
    v.shift("psrld", xmm15, xmm15, 16)  # low halves
    v.op("psubd", dst, a, xmm15)  # high halves
    v.unary("cvtdq2ps", xmm15, xmm15)
    v.shift("psrld", dst, dst, 1)
    v.unary("cvtdq2ps", dst, dst)
    v.op("addps", dst, dst, dst)
    v.op("addps", dst, dst, xmm15)


@implement("f64x2.convert_low_i32x4_u")
def _convert_u32_f64(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm],
                     temps: Sequence[Xmm]) -> None:  # fmt: skip
    """unpcklps with 0x43300000 makes the doubles 2**52 + x; subpd 2**52."""
    v.const(xmm15, splat(32, 0x4330_0000))
    v.op("unpcklps", dst, srcs[0], xmm15)
    v.const(xmm15, splat(64, _f64(2.0**52)))
    v.op("subpd", dst, dst, xmm15)


def _zero_nans(v: Vec, s: str, dst: Xmm, a: Xmm) -> None:
    """dst := a with its NaN lanes zeroed: and with an ordered compare of a with itself."""
    v.op("cmp" + s, xmm15, a, a, 0)
    v.op("and" + s, dst, a, xmm15)


@implement("i32x4.trunc_sat_f32x4_s")
def _trunc_sat_f32_s(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm],
                     temps: Sequence[Xmm]) -> None:  # fmt: skip
    """NaN lanes zeroed (and with an ordered compare), cvttps2dq; the lanes that were
    positive but came out negative (0x80000000) flip to 0x7fffffff."""
    _zero_nans(v, "ps", dst, srcs[0])
    v.op("pxor", xmm15, xmm15, dst)  # sign bit: the input was not negative
    v.unary("cvttps2dq", dst, dst)
    v.op("pand", xmm15, xmm15, dst)
    v.shift("psrad", xmm15, xmm15, 31)
    v.op("pxor", dst, dst, xmm15)


@implement("i32x4.trunc_sat_f32x4_u", temps="v")
def _trunc_sat_f32_u(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm],
                     temps: Sequence[Xmm]) -> None:  # fmt: skip
    """maxps with 0 (NaN and negative lanes -> 0); lanes >= 2**31 convert as x - 2**31
    and add 0x80000000; lanes >= 2**32 saturate."""
    a, t = srcs[0], temps[0]
    v.zero(t)
    v.op("maxps", dst, a, t)
    v.ones(t)
    v.shift("psrld", t, t, 1)
    v.unary("cvtdq2ps", t, t)  # 2**31
    v.op("subps", xmm15, dst, t)
    v.op("cmpps", t, t, xmm15, 2)  # 2**31 <= x - 2**31: too large
    v.unary("cvttps2dq", xmm15, xmm15)
    v.op("pxor", xmm15, xmm15, t)
    v.zero(t)
    v.op("pmaxsd", xmm15, xmm15, t)
    v.unary("cvttps2dq", dst, dst)
    v.op("paddd", dst, dst, xmm15)


@implement("i32x4.trunc_sat_f64x2_s_zero")
def _trunc_sat_f64_s(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm],
                     temps: Sequence[Xmm]) -> None:  # fmt: skip
    """NaN lanes zeroed, minpd with 2147483647.0, cvttpd2dq (which zeroes lanes 2, 3
    and gives 0x80000000 below -2**31)."""
    _zero_nans(v, "pd", dst, srcs[0])
    v.const(xmm15, splat(64, _f64(2147483647.0)))
    v.op("minpd", dst, dst, xmm15)
    v.unary("cvttpd2dq", dst, dst)


@implement("i32x4.trunc_sat_f64x2_u_zero")
def _trunc_sat_f64_u(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm],
                     temps: Sequence[Xmm]) -> None:  # fmt: skip
    """maxpd with 0 (NaN too), minpd with 4294967295.0, truncate, add 2**52 (the
    integer lands in the low 32 bits), then shufps picks lanes 0 and 2 and zeros."""
    v.zero(xmm15)
    v.op("maxpd", dst, srcs[0], xmm15)
    v.const(xmm15, splat(64, _f64(4294967295.0)))
    v.op("minpd", dst, dst, xmm15)
    v.unary("roundpd", dst, dst, 3 | 8)
    v.const(xmm15, splat(64, _f64(2.0**52)))
    v.op("addpd", dst, dst, xmm15)
    v.zero(xmm15)
    v.op("shufps", dst, dst, xmm15, 0x88)


# -- bitwise -------------------------------------------------------------------------------

_BITWISE = {"v128.and": "pand", "v128.or": "por", "v128.xor": "pxor"}


implement_table(_BITWISE)


@implement("v128.andnot", dst="early")
def _andnot(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """a & ~b = pandn(b, a)."""
    v.op("pandn", dst, srcs[1], srcs[0])


@implement("v128.not")
def _not(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """pxor with all ones."""
    v.ones(xmm15)
    v.op("pxor", dst, srcs[0], xmm15)


@implement("v128.bitselect")
def _bitselect(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """(a & c) | (b & ~c): pandn, pand, por."""
    a, b, c = srcs
    v.op("pandn", xmm15, c, b)
    v.op("pand", dst, a, c)
    v.op("por", dst, dst, xmm15)


@implement("v128.any_true", dst="late")
def _any_true(v: Vec, inst: VecOp, dst: Gpr, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """xor; ptest src, src; setnz."""
    v.asm.alu("xor", 32, dst, dst)
    v.unary("ptest", srcs[0], srcs[0])
    v.asm.setcc(Cond.ne, dst)


# -- lanes: splat, extract, replace ------------------------------------------------------


@implement("i8x16.splat", "i16x8.splat", "i32x4.splat", "i64x2.splat", dst="late", avx2=True)
def _splat_int(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Gpr], temps: Sequence[Xmm]) -> None:
    """movd/movq, then a broadcast: pshufb with zeros (bytes), pshuflw + pshufd (words),
    pshufd (dwords), punpcklqdq (qwords); vpbroadcastb/w/d/q with AVX2."""
    bits = LANE_BITS[inst.name[:5]]
    asm = v.asm
    (asm.movq if bits == 64 else asm.movd)(dst, srcs[0])
    if v.avx2:
        asm.emit(f"vpbroadcast{'bwdq'[bits.bit_length() - 4]}", None, dst, dst)
    elif bits == 8:
        v.zero(xmm15)
        v.op("pshufb", dst, dst, xmm15)
    elif bits == 64:
        v.op("punpcklqdq", dst, dst, dst)
    else:
        if bits == 16:
            v.unary("pshuflw", dst, dst, 0)
        v.unary("pshufd", dst, dst, 0)


@implement("f32x4.splat", "f64x2.splat", dst="late", avx2=True)
def _splat_float(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """pshufd (vbroadcastss with AVX2), movddup."""
    if inst.name == "f64x2.splat":
        v.unary("movddup", dst, srcs[0])
    elif v.avx2:
        v.asm.emit("vbroadcastss", None, dst, srcs[0])
    else:
        v.unary("pshufd", dst, srcs[0], 0)


_EXTRACT_INT = {"i8x16": "pextrb", "i16x8": "pextrw", "i32x4": "pextrd", "i64x2": "pextrq"}


@implement(*(f"{s}.extract_lane{x}" for s in ("i8x16", "i16x8") for x in ("_s", "_u")),
       "i32x4.extract_lane", "i64x2.extract_lane", dst="late")  # fmt: skip
def _extract_int(v: Vec, inst: VecOp, dst: Gpr, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """pextrb/w/d/q (movd/movq for lane 0 of 32 and 64 bits), movsx for _s."""
    shape = inst.name[:5]
    bits, lane, asm = LANE_BITS[shape], inst.imm, v.asm
    if bits >= 32 and lane == 0:
        (asm.movq if bits == 64 else asm.movd)(dst, srcs[0])
    else:
        v.unary(_EXTRACT_INT[shape], dst, srcs[0], lane, size=64 if bits == 64 else 32)
    if inst.name.endswith("_s"):
        asm.movsx(32, dst, dst, src_size=bits)


@implement("f32x4.extract_lane", "f64x2.extract_lane", dst="late")
def _extract_float(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm],
                   temps: Sequence[Xmm]) -> None:  # fmt: skip
    """Lane 0 is already the scalar (the other lanes are don't-care); pshufd brings
    another lane down."""
    lane = inst.imm
    if lane == 0:
        v.move(dst, srcs[0])
    elif inst.name == "f64x2.extract_lane":
        v.unary("pshufd", dst, srcs[0], 0xEE)
    else:
        v.unary("pshufd", dst, srcs[0], lane)


_INSERT_INT = {"i8x16": "pinsrb", "i16x8": "pinsrw", "i32x4": "pinsrd", "i64x2": "pinsrq"}


@implement(*(f"{s}.replace_lane" for s in _INSERT_INT))
def _replace_int(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Any], temps: Sequence[Xmm]) -> None:
    """pinsrb/w/d/q."""
    shape = inst.name[:5]
    size = 64 if shape == "i64x2" else 32
    v.op(_INSERT_INT[shape], dst, srcs[0], srcs[1], inst.imm, size=size)


@implement("f32x4.replace_lane", "f64x2.replace_lane")
def _replace_float(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm],
                   temps: Sequence[Xmm]) -> None:  # fmt: skip
    """insertps (f32); blendpd (f64 lane 0) or unpcklpd (lane 1)."""
    vec, scalar = srcs
    lane = inst.imm
    if inst.name == "f32x4.replace_lane":
        v.op("insertps", dst, vec, scalar, lane << 4)
    elif lane == 0:
        v.op("blendpd", dst, vec, scalar, 1)
    else:
        v.op("unpcklpd", dst, vec, scalar)


# -- shuffles ------------------------------------------------------------------------------


def _wide_lanes(lanes: Sequence[int], width: int) -> list[int] | None:
    """``lanes`` (byte indices) as indices of ``width``-byte lanes, or None if some
    group of bytes is not one whole, aligned lane."""
    out = []
    for i in range(0, 16, width):
        first = lanes[i]
        if first % width or any(lanes[i + k] != first + k for k in range(width)):
            return None
        out.append(first // width)
    return out


def _interleave(width: int, high: bool) -> tuple[int, ...]:
    """The byte lanes of punpckl/h of ``width``-byte lanes of (a, b)."""
    base = 8 if high else 0
    out: list[int] = []
    for i in range(0, 8, width):
        out += [base + i + k for k in range(width)] + [16 + base + i + k for k in range(width)]
    return tuple(out)


_UNPACKS = {
    _interleave(w, high): f"punpck{'h' if high else 'l'}{'bw wd dq qdq'.split()[w.bit_length() - 1]}"
    for w in (1, 2, 4, 8) for high in (False, True)
}  # fmt: skip


def _pshufb_mask(lanes: Sequence[int], first: int) -> int:
    """The pshufb mask taking the bytes of ``lanes`` in [first, first + 16), zero (0x80)
    for the others."""
    mask = 0
    for i, lane in enumerate(lanes):
        byte = lane - first if first <= lane < first + 16 else 0x80
        mask |= byte << (8 * i)
    return mask


def _imm4(lanes: Sequence[int]) -> int:
    return sum((lane & 3) << (2 * i) for i, lane in enumerate(lanes))


def _plan_one(lanes: Sequence[int]) -> tuple[str, tuple[int, ...]]:
    """How ``lanes`` (0-15) of one source are taken: a move, pshufd, palignr (a
    rotation), or pshufb with a mask; and the masks that reads."""
    if list(lanes) == list(range(16)):
        return "move", ()
    if _wide_lanes(lanes, 4) is not None:
        return "pshufd", ()
    if all(lanes[i] == (lanes[0] + i) % 16 for i in range(16)):
        return "palignr", ()
    return "pshufb", (_pshufb_mask(lanes, 0),)


def _plan_two(lanes: tuple[int, ...]) -> tuple[str, tuple[int, ...]]:
    """How ``lanes`` of both sources are taken: shufps, punpck*, palignr, insertps,
    pblendw, a blend of bytes; else pshufb of each source with its mask, or'ed; and the
    masks that reads."""
    dwords = _wide_lanes(lanes, 4)
    words = _wide_lanes(lanes, 2)
    if dwords is not None and all(d < 4 for d in dwords[:2]) and all(d >= 4 for d in dwords[2:]):
        return "shufps", ()
    if dwords is not None and all(d >= 4 for d in dwords[:2]) and all(d < 4 for d in dwords[2:]):
        return "shufps_ba", ()
    if lanes in _UNPACKS:
        return "unpack", ()
    if tuple((x + 16) % 32 for x in lanes) in _UNPACKS:
        return "unpack_ba", ()
    if all(lanes[i] == lanes[0] + i for i in range(16)):  # bytes k.. of a:b
        return "palignr", ()
    if all(lanes[i] == (lanes[0] + i) % 32 for i in range(16)):  # bytes k.. of b:a
        return "palignr_ba", ()
    if dwords is not None and _insert_one(dwords) is not None:
        return "insertps", ()
    if words is not None and all(w % 8 == i for i, w in enumerate(words)):
        return "pblendw", ()
    if all(x % 16 == i for i, x in enumerate(lanes)):
        return "blend", (sum(0xFF << (8 * i) for i, x in enumerate(lanes) if x >= 16),)
    return "pshufb", (_pshufb_mask(lanes, 16), _pshufb_mask(lanes, 0))


def _plan(lanes: tuple[int, ...]) -> tuple[str, tuple[int, ...]]:
    """The pattern of shuffle ``lanes`` and the masks its code reads (``_shuffle``)."""
    if all(x < 16 for x in lanes):
        return _plan_one(lanes)
    if all(x >= 16 for x in lanes):
        return _plan_one([x - 16 for x in lanes])
    return _plan_two(lanes)


def _shuffle_one(v: Vec, dst: Xmm, src: Xmm, lanes: Sequence[int], kind: str,
                 masks: Sequence[Xmm]) -> None:  # fmt: skip
    if kind == "move":
        v.move(dst, src)
    elif kind == "pshufd":
        dwords = _wide_lanes(lanes, 4)
        assert dwords is not None
        v.unary("pshufd", dst, src, _imm4(dwords))
    elif kind == "palignr":
        v.op("palignr", dst, src, src, lanes[0])
    else:
        v.op("pshufb", dst, src, masks[0])


def _shuffle_two(v: Vec, dst: Xmm, a: Xmm, b: Xmm, t: Xmm, lanes: tuple[int, ...], kind: str,
                 masks: Sequence[Xmm]) -> None:  # fmt: skip
    dwords = _wide_lanes(lanes, 4)
    if kind == "shufps":
        assert dwords is not None
        v.op("shufps", dst, a, b, _imm4(dwords))
    elif kind == "shufps_ba":
        assert dwords is not None
        v.op("shufps", dst, b, a, _imm4(dwords))
    elif kind == "unpack":
        v.op(_UNPACKS[lanes], dst, a, b)
    elif kind == "unpack_ba":
        v.op(_UNPACKS[tuple((x + 16) % 32 for x in lanes)], dst, b, a)
    elif kind == "palignr":
        v.op("palignr", dst, b, a, lanes[0])
    elif kind == "palignr_ba":
        v.op("palignr", dst, a, b, lanes[0] - 16)
    elif kind == "insertps":
        assert dwords is not None
        inserted = _insert_one(dwords)
        assert inserted is not None
        first, lane, src_lane = inserted
        base, other = (a, b) if first == 0 else (b, a)
        v.op("insertps", dst, base, other, src_lane << 6 | lane << 4)
    elif kind == "pblendw":
        words = _wide_lanes(lanes, 2)
        assert words is not None
        v.op("pblendw", dst, a, b, sum(1 << i for i, w in enumerate(words) if w >= 8))
    elif kind == "blend":
        _blend_bytes(v, dst, a, b, t, masks[0])
    else:
        v.op("pshufb", t, b, masks[0])
        v.op("pshufb", dst, a, masks[1])
        v.op("por", dst, dst, t)


def _insert_one(dwords: Sequence[int]) -> tuple[int, int, int] | None:
    """When ``dwords`` (0-7) are one source's lanes in place but for one lane taken
    from the other source: (first dword of the source kept: 0 or 4, the lane replaced,
    the other source's lane), the fields of insertps."""
    for first in (0, 4):
        moved = [i for i, d in enumerate(dwords) if d != first + i]
        if len(moved) == 1 and (dwords[moved[0]] < 4) == (first == 4):
            return first, moved[0], dwords[moved[0]] % 4
    return None


def _blend_bytes(v: Vec, dst: Xmm, a: Xmm, b: Xmm, t: Xmm, mask: Xmm) -> None:
    """Bytes of b where ``mask`` has 0xff, of a elsewhere: vpblendvb with AVX, else
    (b & mask) | (a & ~mask)."""
    if v.avx:
        v.asm.emit("vpblendvb", None, dst, a, b, mask)
        return
    v.op("pand", t, b, mask)
    v.op("pandn", xmm15, mask, a)
    v.op("por", dst, xmm15, t)


@implement("i8x16.shuffle", temps="v", consts=lambda name, imm: _plan(tuple(imm))[1])
def _shuffle(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """Byte lanes ``inst.imm`` (0-15: a, 16-31: b), by the patterns of one instruction
    where they fit (``_plan``); the masks the pattern reads follow the sources."""
    a, b, *masks = srcs
    t = temps[0]
    lanes = tuple(inst.imm)
    kind, _ = _plan(lanes)
    if all(x < 16 for x in lanes):
        _shuffle_one(v, dst, a, lanes, kind, masks)
    elif all(x >= 16 for x in lanes):
        _shuffle_one(v, dst, b, [x - 16 for x in lanes], kind, masks)
    else:
        _shuffle_two(v, dst, a, b, t, lanes, kind, masks)


@implement("i8x16.swizzle", consts=lambda name, imm: (splat(8, 0x70),))
def _swizzle(v: Vec, inst: VecOp, dst: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """pshufb by the indices plus 0x70 (saturating): 16 and above set bit 7, which
    pshufb reads as zero."""
    a, indices, k70 = srcs
    v.op("paddusb", xmm15, k70, indices)
    v.op("pshufb", dst, a, xmm15)
