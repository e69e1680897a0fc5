"""x86-64 SIMD, integer lanes: arithmetic, comparisons, shifts, narrowing and widening,
``bitmask`` and ``all_true`` (registered into :data:`wazaot.amd64.simd.SIMD`).

Every emitter is written once against :class:`wazaot.amd64.simd.Vec` and registered for
SSE and AVX by :func:`wazaot.amd64.simd.implement` (see :mod:`wazaot.amd64.simd`); the
sequences use xmm15 and r11 for counts and constants. The baseline is SSE4.1 with SSSE3;
``i64x2`` comparisons use ``pcmpgtq`` where SSE4.2 is present.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from ..lower.vector import VecOp
from .args import Cond
from .regs import Gpr, Xmm, r11, xmm15
from .simd import LANE_BITS, Vec, implement, implement_table, splat

_SUFFIX = {"i8x16": "b", "i16x8": "w", "i32x4": "d", "i64x2": "q"}

_implement = partial(implement, domain="int")
"""Registers an implementation whose SSE register copies are ``movdqa``."""


# -- lane-wise operations of one instruction ---------------------------------------------

_BINARY = {
    **{f"{shape}.add": f"padd{s}" for shape, s in _SUFFIX.items()},
    **{f"{shape}.sub": f"psub{s}" for shape, s in _SUFFIX.items()},
    "i16x8.mul": "pmullw", "i32x4.mul": "pmulld",
    "i8x16.add_sat_s": "paddsb", "i8x16.add_sat_u": "paddusb",
    "i16x8.add_sat_s": "paddsw", "i16x8.add_sat_u": "paddusw",
    "i8x16.sub_sat_s": "psubsb", "i8x16.sub_sat_u": "psubusb",
    "i16x8.sub_sat_s": "psubsw", "i16x8.sub_sat_u": "psubusw",
    **{f"{shape}.{op}_{sign}": f"p{op}{sign}{_SUFFIX[shape]}"
       for shape in ("i8x16", "i16x8", "i32x4") for op in ("min", "max") for sign in "su"},
    "i8x16.avgr_u": "pavgb", "i16x8.avgr_u": "pavgw",
    "i8x16.narrow_i16x8_s": "packsswb", "i8x16.narrow_i16x8_u": "packuswb",
    "i16x8.narrow_i32x4_s": "packssdw", "i16x8.narrow_i32x4_u": "packusdw",
    "i32x4.dot_i16x8_s": "pmaddwd",
}  # fmt: skip
"""The instructions that are one machine instruction ``d := a op b``: padd/psub/pmull,
saturating, min/max, pavg, pack, pmaddwd."""


implement_table(_BINARY)
implement_table({"i8x16.abs": "pabsb", "i16x8.abs": "pabsw", "i32x4.abs": "pabsd"}, unary=True)


@_implement("i64x2.abs")
def _abs64(v: Vec, inst: VecOp, d: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """The sign of each lane as a mask (pshufd of the high halves, psrad 31), then
    ``(a ^ mask) - mask`` (pxor, psubq)."""
    a = srcs[0]
    v.unary("pshufd", xmm15, a, 0xF5)
    v.shift("psrad", xmm15, xmm15, 31)
    v.op("pxor", d, a, xmm15)
    v.op("psubq", d, d, xmm15)


@_implement(*(f"{shape}.neg" for shape in _SUFFIX), dst="early")
def _neg(v: Vec, inst: VecOp, d: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """``0 - a``: pxor d, d; psub d, a (AVX: the zero in xmm15, vpsub d, xmm15, a)."""
    zero = xmm15 if v.avx else d
    v.zero(zero)
    v.op("psub" + _SUFFIX[inst.name[:5]], d, zero, srcs[0])


@_implement("i64x2.mul", temps="v")
def _mul64(v: Vec, inst: VecOp, d: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """``lo(a)*lo(b) + ((hi(a)*lo(b) + lo(a)*hi(b)) << 32)`` from three pmuludq."""
    a, b = srcs
    t = temps[0]
    v.shift("psrlq", t, a, 32)
    v.op("pmuludq", t, t, b)
    v.shift("psrlq", xmm15, b, 32)
    v.op("pmuludq", xmm15, xmm15, a)
    v.op("paddq", t, t, xmm15)
    v.shift("psllq", t, t, 32)
    v.op("pmuludq", d, a, b)
    v.op("paddq", d, d, t)


@_implement("i16x8.q15mulr_sat_s")
def _q15mulr(v: Vec, inst: VecOp, d: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """pmulhrsw, whose one overflow (-32768 * -32768 gives 0x8000) is flipped to 0x7fff:
    pcmpeqw with 0x8000 (pcmpeqd, psllw 15), pxor."""
    v.op("pmulhrsw", d, srcs[0], srcs[1])
    v.ones(xmm15)
    v.shift("psllw", xmm15, xmm15, 15)
    v.op("pcmpeqw", xmm15, xmm15, d)
    v.op("pxor", d, d, xmm15)


# -- comparisons --------------------------------------------------------------------------

# The comparison ``a OP b`` of each operator: (mnemonic stem, swap operands, invert). A
# stem pcmpeq/pcmpgt compares; a min/max stem m tests ``a == m(a, b)``.
_CMP = {
    "eq": ("pcmpeq", False, False), "ne": ("pcmpeq", False, True),
    "gt_s": ("pcmpgt", False, False), "lt_s": ("pcmpgt", True, False),
    "le_s": ("pmins", False, False), "ge_s": ("pmaxs", False, False),
    "le_u": ("pminu", False, False), "ge_u": ("pmaxu", False, False),
    "gt_u": ("pminu", False, True), "lt_u": ("pmaxu", False, True),
}  # fmt: skip
# i64x2 has no 64-bit min/max: le/ge are the inverted gt/lt.
_CMP64 = {**_CMP, "le_s": ("pcmpgt", False, True), "ge_s": ("pcmpgt", True, True)}
_CMP_NAMES = [f"{shape}.{op}" for shape in ("i8x16", "i16x8", "i32x4") for op in _CMP]
_GT64 = [f"i64x2.{op}" for op in ("gt_s", "lt_s", "le_s", "ge_s")]
# The SSE forms of the swapped comparisons copy b into a dst of its own (early), then
# compare it with a.
_SWAPPED = {f"{shape}.{op}" for shape in _SUFFIX for op in ("lt_s", "ge_s")
            if (_CMP64 if shape == "i64x2" else _CMP)[op][1]}  # fmt: skip


@_implement(*(n for n in _CMP_NAMES if n not in _SWAPPED), "i64x2.eq", "i64x2.ne")
@_implement(*(n for n in _CMP_NAMES if n in _SWAPPED), dst="early")
@_implement(*(n for n in _GT64 if n not in _SWAPPED), when={"sse42"})
@_implement(*(n for n in _GT64 if n in _SWAPPED), dst="early", when={"sse42"})
@_implement(*_GT64, temps="v")
def _compare(v: Vec, inst: VecOp, d: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """pcmpeq/pcmpgt (operands swapped for lt), ``a == min(a, b)`` for le (max for ge),
    inverted (pcmpeqd xmm15, xmm15; pxor) for ne, gt_u and lt_u. i64x2: pcmpgtq with
    SSE4.2 (inverted for le and ge), else 32-bit compares and a 64-bit subtraction
    (:func:`_gt64`, which the implementation without SSE4.2 gets a temp for)."""
    shape, op = inst.name.split(".")
    s = _SUFFIX[shape]
    stem, swap, invert = (_CMP64 if s == "q" else _CMP)[op]
    a, b = (srcs[1], srcs[0]) if swap else (srcs[0], srcs[1])
    if stem == "pcmpeq":
        v.op("pcmpeq" + s, d, a, b)
    elif stem == "pcmpgt" and s == "q" and temps:
        _gt64(v, d, a, b, temps[0])
    elif stem == "pcmpgt":
        v.op("pcmpgt" + s, d, a, b)
    else:
        v.op(stem + s, xmm15, a, b)
        v.op("pcmpeq" + s, d, a, xmm15)
    if invert:
        v.invert(d)


def _gt64(v: Vec, d: Xmm, a: Xmm, b: Xmm, t: Xmm) -> None:
    """``a > b`` (signed 64-bit) from 32-bit operations: the sign of the high half of
    ``(hi(a) > hi(b)) | (hi(a) == hi(b) & (b - a))`` (the subtraction borrows from the
    high half exactly when lo(a) > lo(b) unsigned), spread over the lane."""
    v.op("psubq", t, b, a)
    v.op("pcmpeqd", xmm15, a, b)
    v.op("pand", t, t, xmm15)
    v.op("pcmpgtd", xmm15, a, b)
    v.op("por", t, t, xmm15)
    v.unary("pshufd", d, t, 0xF5)
    v.shift("psrad", d, d, 31)


# -- shifts -------------------------------------------------------------------------------

_SHIFT = {"shl": "psll", "shr_s": "psra", "shr_u": "psrl"}
_SHIFT_SEQUENCES = ["i8x16.shl", "i8x16.shr_s", "i8x16.shr_u", "i64x2.shr_s"]
_SHIFT_NAMES = [f"{shape}.{op}" for shape in _SUFFIX for op in _SHIFT
                if f"{shape}.{op}" not in _SHIFT_SEQUENCES]  # fmt: skip


def _count(v: Vec, inst: VecOp, srcs: Sequence[Xmm | Gpr], bits: int, add: int = 0) -> Xmm | int:
    """The shift count modulo the lane width ``bits``, plus ``add``: an immediate when
    the count is a constant, else in xmm15 (through r11)."""
    if inst.imm is not None:
        return (inst.imm & bits - 1) + add
    count = srcs[1]
    assert isinstance(count, Gpr)
    asm = v.asm
    asm.mov(32, r11, count)
    asm.alu("and", 32, r11, bits - 1)
    if add:
        asm.alu("add", 32, r11, add)
    asm.movd(xmm15, r11)
    return xmm15


@_implement(*_SHIFT_NAMES, imm_arg=1)
def _shift(v: Vec, inst: VecOp, d: Xmm, srcs: Sequence[Xmm | Gpr],
           temps: Sequence[Xmm]) -> None:  # fmt: skip
    """psllw/pslld/psllq, psraw/psrad, psrlw/psrld/psrlq by an immediate or by xmm15."""
    shape, op = inst.name.split(".")
    v.shift(_SHIFT[op] + _SUFFIX[shape], d, srcs[0], _count(v, inst, srcs, LANE_BITS[shape]))  # type: ignore[arg-type]


@_implement(*_SHIFT_SEQUENCES, temps="v", imm_arg=1)
def _shift_sequence(v: Vec, inst: VecOp, d: Xmm, srcs: Sequence[Xmm | Gpr],
                    temps: Sequence[Xmm]) -> None:  # fmt: skip
    """The shifts without an instruction: i8x16 (:func:`_shl8`, :func:`_shr8`) and
    i64x2.shr_s (:func:`_sar64`)."""
    a = srcs[0]
    assert isinstance(a, Xmm)
    if inst.name == "i64x2.shr_s":
        _sar64(v, d, a, _count(v, inst, srcs, 64), temps[0])
    elif inst.name == "i8x16.shl":
        _shl8(v, d, a, _count(v, inst, srcs, 8), temps[0])
    else:
        _shr8(v, inst.name == "i8x16.shr_s", d, a, _count(v, inst, srcs, 8, add=8), temps[0])


def _shl8(v: Vec, d: Xmm, a: Xmm, count: Xmm | int, t: Xmm) -> None:
    """psllw, then clear the bits shifted in from the byte below: the mask is the low
    byte of ``0xffff << n`` spread by pshufb with a zero index."""
    v.ones(t)
    v.shift("psllw", t, t, count)
    v.shift("psllw", d, a, count)
    v.zero(xmm15)
    v.op("pshufb", t, t, xmm15)
    v.op("pand", d, d, t)


def _shr8(v: Vec, signed: bool, d: Xmm, a: Xmm, count: Xmm | int, t: Xmm) -> None:
    """Each byte doubled into a 16-bit lane (punpcklbw/punpckhbw of a with itself) and
    shifted by ``n + 8`` (psraw or psrlw) is the byte shifted by ``n``; packsswb or
    packuswb puts the bytes back."""
    v.op("punpckhbw", t, a, a)
    v.op("punpcklbw", d, a, a)
    v.shift("psraw" if signed else "psrlw", t, t, count)
    v.shift("psraw" if signed else "psrlw", d, d, count)
    v.op("packsswb" if signed else "packuswb", d, d, t)


def _sar64(v: Vec, d: Xmm, a: Xmm, count: Xmm | int, t: Xmm) -> None:
    """No psraq: ``((a >>u n) ^ m) - m`` with ``m = 1 << 63 >>u n`` (the sign bit's
    place after the shift)."""
    v.ones(t)
    v.shift("psllq", t, t, 63)
    v.shift("psrlq", t, t, count)
    v.shift("psrlq", d, a, count)
    v.op("pxor", d, d, t)
    v.op("psubq", d, d, t)


# -- widening and narrowing ---------------------------------------------------------------

_EXTEND = {"i16x8": "bw", "i32x4": "wd", "i64x2": "dq"}


def _widening(op: str) -> list[str]:
    """The names of ``op`` (extend, extmul) from each half of each narrower shape."""
    return [f"{shape}.{op}_{half}_{n}_{sign}"
            for shape, n in (("i16x8", "i8x16"), ("i32x4", "i16x8"), ("i64x2", "i32x4"))
            for half in ("low", "high") for sign in "su"]  # fmt: skip


def _extend(v: Vec, d: Xmm, a: Xmm, shape: str, high: bool, signed: bool) -> None:
    """pmovsx/pmovzx of the low half; of the high half after pshufd moves it down."""
    m = f"pmov{'s' if signed else 'z'}x{_EXTEND[shape]}"
    if high:
        v.unary("pshufd", d, a, 0xEE)
        a = d
    v.unary(m, d, a)


@_implement(*_widening("extend"), dst="late")
def _extend_op(v: Vec, inst: VecOp, d: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """pmovsxbw ... pmovzxdq (the high half: pshufd 0xee first)."""
    shape, rest = inst.name.split(".")
    _extend(v, d, srcs[0], shape, "_high_" in rest, rest.endswith("_s"))


@_implement(*_widening("extmul"))
def _extmul(v: Vec, inst: VecOp, d: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """i16x8: both halves widened (pmovsx/zx), pmullw. i32x4: pmullw and pmulhw (or
    pmulhuw) interleaved by punpcklwd/punpckhwd. i64x2: the lanes spread to the even
    32-bit places (pshufd), pmuldq (or pmuludq)."""
    shape, rest = inst.name.split(".")
    a, b = srcs
    high, signed = "_high_" in rest, rest.endswith("_s")
    if shape == "i16x8":
        _extend(v, xmm15, b, shape, high, signed)
        _extend(v, d, a, shape, high, signed)
        v.op("pmullw", d, d, xmm15)
    elif shape == "i32x4":
        v.op("pmulhw" if signed else "pmulhuw", xmm15, a, b)
        v.op("pmullw", d, a, b)
        v.op("punpckhwd" if high else "punpcklwd", d, d, xmm15)
    else:
        order = 0xFA if high else 0x50  # lanes 2, 2, 3, 3 or 0, 0, 1, 1
        v.unary("pshufd", xmm15, b, order)
        v.unary("pshufd", d, a, order)
        v.op("pmuldq" if signed else "pmuludq", d, d, xmm15)


@_implement("i16x8.extadd_pairwise_i8x16_s", "i16x8.extadd_pairwise_i8x16_u",
           "i32x4.extadd_pairwise_i16x8_s")  # fmt: skip
def _extadd(v: Vec, inst: VecOp, d: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """Multiply-add with ones: pmaddubsw (ones unsigned by signed bytes for _s, unsigned
    bytes by signed ones for _u; no sum saturates), pmaddwd with 16-bit ones."""
    a = srcs[0]
    v.ones(xmm15)
    if inst.name.startswith("i32x4"):
        v.shift("psrlw", xmm15, xmm15, 15)
        v.op("pmaddwd", d, a, xmm15)
        return
    v.unary("pabsb", xmm15, xmm15)
    if inst.name.endswith("_s"):
        v.op("pmaddubsw", d, xmm15, a)
    else:
        v.op("pmaddubsw", d, a, xmm15)


@_implement("i32x4.extadd_pairwise_i16x8_u")
def _extadd_u16(v: Vec, inst: VecOp, d: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """The high halves (psrld 16) plus the low halves (pslld 16, psrld 16): paddd."""
    a = srcs[0]
    v.shift("psrld", xmm15, a, 16)
    v.shift("pslld", d, a, 16)
    v.shift("psrld", d, d, 16)
    v.op("paddd", d, d, xmm15)


# -- bits ---------------------------------------------------------------------------------

_NIBBLE_COUNTS = int.from_bytes(bytes(bin(i).count("1") for i in range(16)), "little")


@_implement("i8x16.popcnt", temps="vv", consts=lambda name, imm: (splat(8, 0x0F), _NIBBLE_COUNTS))
def _popcnt(v: Vec, inst: VecOp, d: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """The bit counts of both nibbles of each byte looked up in a 16-byte table
    (pshufb), added (paddb)."""
    a, low_nibbles, table = srcs
    high, low = temps
    v.shift("psrlw", high, a, 4)
    v.op("pand", high, high, low_nibbles)
    v.op("pand", low, a, low_nibbles)
    v.op("pshufb", low, table, low)
    v.op("pshufb", high, table, high)
    v.op("paddb", d, low, high)


@_implement(*(f"{shape}.all_true" for shape in _SUFFIX), dst="late")
def _all_true(v: Vec, inst: VecOp, d: Gpr, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """No lane equal to zero: pcmpeq with zero, ptest, sete."""
    asm = v.asm
    asm.alu("xor", 32, d, d)
    v.zero(xmm15)
    v.op("pcmpeq" + _SUFFIX[inst.name[:5]], xmm15, xmm15, srcs[0])
    v.unary("ptest", xmm15, xmm15)
    asm.setcc(Cond.e, d)


@_implement(*(f"{shape}.bitmask" for shape in _SUFFIX), dst="late")
def _bitmask(v: Vec, inst: VecOp, d: Gpr, srcs: Sequence[Xmm], temps: Sequence[Xmm]) -> None:
    """The sign bits: pmovmskb, movmskps, movmskpd; i16x8 packs the lanes to bytes first
    (packsswb keeps the signs) and keeps the low 8 bits."""
    asm, a = v.asm, srcs[0]
    shape = inst.name[:5]
    if shape == "i16x8":
        v.op("packsswb", xmm15, a, a)
        v.unary("pmovmskb", d, xmm15, size=32)
        asm.movzx(32, d, d, 8)
    else:
        mask = {"i8x16": "pmovmskb", "i32x4": "movmskps", "i64x2": "movmskpd"}[shape]
        v.unary(mask, d, a, size=32)
