"""x86-64 instruction sequences for the WebAssembly operators that need more than one
machine instruction, with exact wasm semantics (traps, NaNs, signed zeros, rounding).

Every sequence is a plain function that emits into an :class:`Assembler`::

    name(asm, <static arguments>, dst, <sources>, [<temporaries>], [trap])

Register contract (shared with the register allocator and ``emit.py``):

- ``dst`` may be the same register as any source, under every aliasing; temporaries
  are distinct from ``dst``, the sources and one another. Each docstring says how
  many temporaries the sequence needs; most need none.
- ``r11`` and ``xmm15`` are the emitter's scratch registers (never allocated): every
  sequence may clobber them. Apart from them, a sequence writes only ``dst``, its
  temporaries, the flags and the fixed registers its docstring names. It never
  touches ``rsp``, ``rbp``, ``r13``, ``r14``, ``r15``.
- An i32 lives in a 64-bit GPR whose upper half is zero: every sequence that produces
  an i32 leaves it so (32-bit operations do), and may rely on it for its i32 sources.
  An f32 or f64 lives in the low lane of an XMM register; the upper lanes are don't-care.
- ``trap(code)`` returns a label for an out-of-line stub that traps with ``code``; a
  sequence asks for each code at most once.

The floating-point sequences follow the spec's NaN rules: a result NaN of min, max,
the roundings and the conversions is canonical when every NaN operand is, and
arithmetic (quiet bit set) otherwise; neg, abs and copysign work on the bits and keep
NaN payloads exactly.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Literal

from wazaot.amd64.encoding import Assembler, Cond, Label, Mem
from wazaot.amd64.regs import Gpr, Xmm, r11, rax, rdx, xmm15
from wazaot.traps import TrapCode

TrapFn = Callable[[TrapCode], Label]
"""Returns the label of a stub that traps with the given code."""

Size = Literal[32, 64]
"""An integer width: i32 or i64."""

Prec = Literal[32, 64]
"""A float precision: f32 or f64."""

DivKind = Literal["div_s", "div_u", "rem_s", "rem_u"]
FCmp = Literal["eq", "ne", "lt", "gt", "le", "ge"]

SCRATCH_GPR = r11
"""The GPR every sequence may clobber (reserved for the emitter)."""

SCRATCH_XMM = xmm15
"""The XMM register every sequence may clobber (reserved for the emitter)."""


def _f32_bits(x: float) -> int:
    return int(struct.unpack("<I", struct.pack("<f", x))[0])


def _f64_bits(x: float) -> int:
    return int(struct.unpack("<Q", struct.pack("<d", x))[0])


def _float_bits(prec: Prec, x: float) -> int:
    return _f32_bits(x) if prec == 32 else _f64_bits(x)


_INT_MIN = {32: 1 << 31, 64: 1 << 63}  # as unsigned bit patterns
_MASK = {32: (1 << 32) - 1, 64: (1 << 64) - 1}


# --------------------------------------------------------------------------------------
# Small emitting helpers


def _s(prec: Prec) -> str:
    """The scalar suffix: ``ss`` for f32, ``sd`` for f64."""
    return "ss" if prec == 32 else "sd"


def _ucomis(asm: Assembler, prec: Prec, a: Xmm, b: Xmm) -> None:
    """ucomis a, b: ZF PF CF = 111 unordered, 000 a > b, 001 a < b, 100 a == b."""
    if prec == 32:
        asm.ucomiss(a, b)
    else:
        asm.ucomisd(a, b)


def _cvtt(asm: Assembler, size: Size, prec: Prec, dst: Gpr, src: Xmm) -> None:
    """Truncate to a signed ``size``-bit integer (the "indefinite" INT_MIN when the
    value is NaN or out of range)."""
    if prec == 32:
        asm.cvttss2si(size, dst, src)
    else:
        asm.cvttsd2si(size, dst, src)


def _cvtsi(asm: Assembler, size: Size, prec: Prec, dst: Xmm, src: Gpr) -> None:
    """Convert a signed ``size``-bit integer, rounding to nearest even."""
    if prec == 32:
        asm.cvtsi2ss(size, dst, src)
    else:
        asm.cvtsi2sd(size, dst, src)


def _load_bits(asm: Assembler, prec: Prec, dst: Xmm, bits: int) -> None:
    """dst's low lane := ``bits``, through r11 (the upper lanes become zero)."""
    if prec == 32:
        asm.mov(32, r11, bits)
        asm.movd(dst, r11)
    else:
        asm.mov(64, r11, bits)
        asm.movq(dst, r11)


def _copy(asm: Assembler, dst: Xmm, src: Xmm) -> None:
    if dst != src:
        asm.movaps(dst, src)


def _commutative(asm: Assembler, op: str, dst: Xmm, a: Xmm, b: Xmm) -> None:
    """dst := a op b for a two-address SSE ``op`` that commutes on the inputs it sees,
    under any aliasing of dst with a or b."""
    if dst == a:
        asm.sse(op, dst, b)
    elif dst == b:
        asm.sse(op, dst, a)
    else:
        asm.movaps(dst, a)
        asm.sse(op, dst, b)


# --------------------------------------------------------------------------------------
# Integer


def div_rem(
    asm: Assembler, kind: DivKind, size: Size, dst: Gpr, lhs: Gpr, rhs: Gpr, trap: TrapFn
) -> None:
    """i32/i64 div_s, div_u, rem_s, rem_u: checks, then ``div``/``idiv``.

    Fixed registers: ``lhs`` is rax; ``dst`` is rax for div and rdx for rem; rdx (and
    rax for rem) is clobbered; ``rhs`` is any GPR but rax and rdx. No temporaries.
    Divisor 0 traps; ``div_s`` of INT_MIN by -1 traps (``cmp rax, 1`` overflows only
    for INT_MIN); ``rem_s`` by -1 is 0 without running ``idiv``, which would fault on
    INT_MIN.
    """
    is_div = kind.startswith("div")
    if lhs != rax or dst != (rax if is_div else rdx) or rhs in (rax, rdx):
        raise ValueError(f"{kind}: lhs must be rax, dst rax/rdx, rhs not rax/rdx")
    asm.test(size, rhs, rhs)
    asm.jcc(Cond.e, trap(TrapCode.INTEGER_DIVIDE_BY_ZERO))
    if kind in ("div_u", "rem_u"):
        asm.alu("xor", 32, rdx, rdx)
        asm.div(size, rhs)
        return
    divide = asm.new_label()
    done = asm.new_label()
    asm.alu("cmp", size, rhs, -1)
    asm.jcc(Cond.ne, divide)
    if kind == "div_s":
        asm.alu("cmp", size, rax, 1)
        asm.jcc(Cond.o, trap(TrapCode.INTEGER_OVERFLOW))
    else:
        asm.alu("xor", 32, rdx, rdx)
        asm.jmp(done)
    asm.bind(divide)
    if size == 32:
        asm.cdq()
    else:
        asm.cqo()
    asm.idiv(size, rhs)
    asm.bind(done)


def clz_native(asm: Assembler, size: Size, dst: Gpr, src: Gpr) -> None:
    """i32/i64.clz with LZCNT (ABM). No temporaries."""
    asm.bitcount("lzcnt", size, dst, src)


def ctz_native(asm: Assembler, size: Size, dst: Gpr, src: Gpr) -> None:
    """i32/i64.ctz with TZCNT (BMI1). No temporaries."""
    asm.bitcount("tzcnt", size, dst, src)


def popcnt_native(asm: Assembler, size: Size, dst: Gpr, src: Gpr) -> None:
    """i32/i64.popcnt with POPCNT. No temporaries."""
    asm.bitcount("popcnt", size, dst, src)


def clz_fallback(asm: Assembler, size: Size, dst: Gpr, src: Gpr) -> None:
    """i32/i64.clz without LZCNT: ``bsr`` gives the top bit's index i, and
    ``i xor (size-1)`` is ``size-1-i``; a zero input takes ``2*size-1`` (xor'ed to
    ``size``) by ``cmovz``. No temporaries (uses r11)."""
    asm.mov(32, r11, 2 * size - 1)
    asm.bitcount("bsr", size, dst, src)
    asm.cmovcc(size, Cond.e, dst, r11)
    asm.alu("xor", size, dst, size - 1)


def ctz_fallback(asm: Assembler, size: Size, dst: Gpr, src: Gpr) -> None:
    """i32/i64.ctz without TZCNT: ``bsf``, and ``cmovz`` of ``size`` for a zero input.
    No temporaries (uses r11)."""
    asm.mov(32, r11, size)
    asm.bitcount("bsf", size, dst, src)
    asm.cmovcc(size, Cond.e, dst, r11)


def popcnt_fallback(asm: Assembler, size: Size, dst: Gpr, src: Gpr) -> None:
    """i32/i64.popcnt without POPCNT: the SWAR count (2-, 4-, 8-bit field sums, then a
    multiply that adds the bytes into the top one). Masks are applied before the
    shifts (``(x & 0xAA..) >> 1`` is ``(x >> 1) & 0x55..``) so that r11 alone holds
    both constants and partial sums. No temporaries (uses r11)."""

    def const(byte: int) -> int:
        return int.from_bytes(bytes([byte]) * (size // 8), "little")

    if dst != src:
        asm.mov(size, dst, src)
    # x -= (x >> 1) & 0x55..: 2-bit fields hold their bit counts.
    asm.mov(size, r11, const(0xAA))
    asm.alu("and", size, r11, dst)
    asm.shift("shr", size, r11, 1)
    asm.alu("sub", size, dst, r11)
    # x = (x & 0x33..) + ((x >> 2) & 0x33..) = x - 3 * ((x & 0xCC..) >> 2).
    asm.mov(size, r11, const(0xCC))
    asm.alu("and", size, r11, dst)
    asm.shift("shr", size, r11, 2)
    asm.lea(size, r11, Mem(r11, r11, 2))
    asm.alu("sub", size, dst, r11)
    # x = (x + (x >> 4)) & 0x0F..: bytes hold their bit counts.
    asm.mov(size, r11, dst)
    asm.shift("shr", size, r11, 4)
    asm.alu("add", size, dst, r11)
    asm.mov(size, r11, const(0x0F))
    asm.alu("and", size, dst, r11)
    # The sum of the bytes lands in the top byte.
    asm.mov(size, r11, const(0x01))
    asm.imul(size, dst, r11)
    asm.shift("shr", size, dst, size - 8)


def wrap(asm: Assembler, dst: Gpr, src: Gpr) -> None:
    """i32.wrap_i64: ``mov r32, r32`` zeroes the upper half (emitted even when
    dst == src). No temporaries."""
    asm.mov(32, dst, src)


# --------------------------------------------------------------------------------------
# Float arithmetic on bits and values


def fconst(asm: Assembler, prec: Prec, dst: Xmm, bits: int) -> None:
    """Materialise the f32/f64 with bit pattern ``bits``: ``xorps`` for +0.0,
    ``pcmpeqd`` for all ones, otherwise ``mov`` to r11 and ``movd``/``movq``.
    No temporaries."""
    bits &= _MASK[prec]
    if bits == 0:
        asm.sse("xorps", dst, dst)
    elif bits == _MASK[prec]:
        asm.sse("pcmpeqd", dst, dst)
    else:
        _load_bits(asm, prec, dst, bits)


def _fminmax(asm: Assembler, prec: Prec, op: str, dst: Xmm, a: Xmm, b: Xmm) -> None:
    nan = asm.new_label()
    equal = asm.new_label()
    done = asm.new_label()
    _ucomis(asm, prec, a, b)
    asm.jcc(Cond.p, nan)
    asm.jcc(Cond.e, equal)
    _commutative(asm, op + _s(prec), dst, a, b)
    asm.jmp(done)
    asm.bind(equal)
    # Equal values differ at most in the sign of a zero.
    _commutative(asm, "orps" if op == "min" else "andps", dst, a, b)
    asm.jmp(done)
    asm.bind(nan)
    # The sum of a NaN and anything is a NaN, quiet, canonical if the NaNs were.
    _commutative(asm, "add" + _s(prec), dst, a, b)
    asm.bind(done)


def fmin(asm: Assembler, prec: Prec, dst: Xmm, a: Xmm, b: Xmm) -> None:
    """f32/f64.min: ``minss`` when ordered and unequal; ``orps`` when equal (so
    min(-0, +0) = -0); ``addss`` when unordered (a quiet NaN). No temporaries."""
    _fminmax(asm, prec, "min", dst, a, b)


def fmax(asm: Assembler, prec: Prec, dst: Xmm, a: Xmm, b: Xmm) -> None:
    """f32/f64.max: ``maxss`` when ordered and unequal; ``andps`` when equal (so
    max(-0, +0) = +0); ``addss`` when unordered (a quiet NaN). No temporaries."""
    _fminmax(asm, prec, "max", dst, a, b)


_ROUND_MODES = {"nearest": 0, "floor": 1, "ceil": 2, "trunc": 3}
_SUPPRESS_PRECISION = 8  # roundss imm8 bit 3: no inexact exception


def fround(
    asm: Assembler, prec: Prec, mode: Literal["nearest", "floor", "ceil", "trunc"], dst: Xmm, a: Xmm
) -> None:
    """f32/f64.nearest/floor/ceil/trunc: one SSE4.1 ``roundss``/``roundsd`` (NaNs are
    quieted). No temporaries."""
    imm = _ROUND_MODES[mode] | _SUPPRESS_PRECISION
    if prec == 32:
        asm.roundss(dst, a, imm)
    else:
        asm.roundsd(dst, a, imm)


def fnearest(asm: Assembler, prec: Prec, dst: Xmm, a: Xmm) -> None:
    """f32/f64.nearest: round to nearest, ties to even (``roundss`` mode 0). No temporaries."""
    fround(asm, prec, "nearest", dst, a)


def ffloor(asm: Assembler, prec: Prec, dst: Xmm, a: Xmm) -> None:
    """f32/f64.floor (``roundss`` mode 1). No temporaries."""
    fround(asm, prec, "floor", dst, a)


def fceil(asm: Assembler, prec: Prec, dst: Xmm, a: Xmm) -> None:
    """f32/f64.ceil (``roundss`` mode 2). No temporaries."""
    fround(asm, prec, "ceil", dst, a)


def ftrunc(asm: Assembler, prec: Prec, dst: Xmm, a: Xmm) -> None:
    """f32/f64.trunc (``roundss`` mode 3). No temporaries."""
    fround(asm, prec, "trunc", dst, a)


def fsqrt(asm: Assembler, prec: Prec, dst: Xmm, a: Xmm) -> None:
    """f32/f64.sqrt: one ``sqrtss``/``sqrtsd``. No temporaries."""
    asm.sse("sqrt" + _s(prec), dst, a)


def _sign_mask(asm: Assembler, prec: Prec) -> None:
    """xmm15's low lane := the sign bit alone (through r11)."""
    _load_bits(asm, prec, xmm15, _INT_MIN[prec])


def fneg(asm: Assembler, prec: Prec, dst: Xmm, a: Xmm) -> None:
    """f32/f64.neg: ``xorps`` with the sign bit (payloads kept). No temporaries."""
    _sign_mask(asm, prec)
    _copy(asm, dst, a)
    asm.sse("xorps", dst, xmm15)


def fabs(asm: Assembler, prec: Prec, dst: Xmm, a: Xmm) -> None:
    """f32/f64.abs: ``andnps`` of the sign bit (payloads kept). No temporaries."""
    _sign_mask(asm, prec)
    asm.sse("andnps", xmm15, a)
    asm.movaps(dst, xmm15)


def fcopysign(asm: Assembler, prec: Prec, dst: Xmm, a: Xmm, b: Xmm) -> None:
    """f32/f64.copysign: ``(a & ~m) | (b & m)`` for the sign mask m; when dst is a, as
    ``b ^ ((a ^ b) & ~m)`` so that a is consumed before b is copied. No temporaries."""
    if a == b:
        _copy(asm, dst, a)
        return
    _sign_mask(asm, prec)
    if dst == a:
        asm.sse("xorps", dst, b)
        asm.sse("andnps", xmm15, dst)
        asm.movaps(dst, b)
        asm.sse("xorps", dst, xmm15)
    else:
        _copy(asm, dst, b)
        asm.sse("andps", dst, xmm15)
        asm.sse("andnps", xmm15, a)
        asm.sse("orps", dst, xmm15)


# --------------------------------------------------------------------------------------
# Float comparisons


def fcmp_set(asm: Assembler, prec: Prec, cond: FCmp, dst: Gpr, a: Xmm, b: Xmm) -> None:
    """dst := (a cond b) as an i32, false for unordered operands except ``ne``.

    ``ucomis`` sets CF like an unsigned compare and all of ZF PF CF when unordered, so
    gt/ge are ``seta``/``setae`` (lt/le swap the operands); eq is ZF without PF and
    ne is ZF clear or PF, each fixed up with a ``cmov`` from r11. No temporaries."""
    if cond in ("lt", "le"):
        a, b = b, a
        cond = "gt" if cond == "lt" else "ge"
    asm.alu("xor", 32, dst, dst)
    if cond == "eq":
        asm.alu("xor", 32, r11, r11)
        _ucomis(asm, prec, a, b)
        asm.setcc(Cond.np, dst)
        asm.cmovcc(32, Cond.ne, dst, r11)
    elif cond == "ne":
        _ucomis(asm, prec, a, b)
        asm.setcc(Cond.p, dst)
        asm.mov(32, r11, 1)
        asm.cmovcc(32, Cond.ne, dst, r11)
    else:
        _ucomis(asm, prec, a, b)
        asm.setcc(Cond.a if cond == "gt" else Cond.ae, dst)


def fcmp_branch(asm: Assembler, prec: Prec, cond: FCmp, a: Xmm, b: Xmm, target: Label) -> None:
    """Jump to ``target`` when (a cond b), fall through otherwise (unordered operands
    jump only for ``ne``): ``ja``/``jae`` after ``ucomis``, and a ``jp`` for eq/ne.
    No temporaries."""
    if cond in ("lt", "le"):
        a, b = b, a
        cond = "gt" if cond == "lt" else "ge"
    _ucomis(asm, prec, a, b)
    if cond == "eq":
        skip = asm.new_label()
        asm.jcc(Cond.p, skip)
        asm.jcc(Cond.e, target)
        asm.bind(skip)
    elif cond == "ne":
        asm.jcc(Cond.p, target)
        asm.jcc(Cond.ne, target)
    else:
        asm.jcc(Cond.a if cond == "gt" else Cond.ae, target)


# --------------------------------------------------------------------------------------
# Float to integer


def trunc_checked(
    asm: Assembler, src_prec: Prec, dst_size: Size, signed: bool, dst: Gpr, src: Xmm, trap: TrapFn
) -> None:
    """i32/i64.trunc_f32/f64_s/u: NaN traps INVALID_CONVERSION, a value whose truncation
    does not fit traps INTEGER_OVERFLOW. No temporaries (uses r11 and xmm15).

    Signed: ``cvtt`` returns INT_MIN for NaN and out-of-range values; only then (``cmp
    dst, 1`` overflows) a slow path tells a true INT_MIN from the rest. Its inputs are
    exactly -2^(n-1) except for f64 -> i32, where (-2^31 - 1, -2^31] all qualify.
    Unsigned to i32: a 64-bit ``cvtt`` is exact on (-1, 2^32); the result fits iff its
    upper half is zero. Unsigned to i64: values below 2^63 go through the signed
    ``cvtt``; larger ones as ``-cvtt(2^63 - x)`` (exact by Sterbenz), then ``or 2^63``.
    """
    done = asm.new_label()
    overflow = trap(TrapCode.INTEGER_OVERFLOW)
    invalid = trap(TrapCode.INVALID_CONVERSION)
    if signed:
        _cvtt(asm, dst_size, src_prec, dst, src)
        asm.alu("cmp", dst_size, dst, 1)
        asm.jcc(Cond.no, done)
        if src_prec == 64 and dst_size == 32:
            _load_bits(asm, 64, xmm15, _f64_bits(-2147483649.0))
            asm.ucomisd(src, xmm15)
            asm.jcc(Cond.p, invalid)
            asm.jcc(Cond.be, overflow)
            # Above the bound yet converted to INT_MIN: only positive values (>= 2^31).
            asm.sse("xorps", xmm15, xmm15)
            asm.ucomisd(src, xmm15)
            asm.jcc(Cond.ae, overflow)
        else:
            _load_bits(asm, src_prec, xmm15, _float_bits(src_prec, -(2.0 ** (dst_size - 1))))
            _ucomis(asm, src_prec, src, xmm15)
            asm.jcc(Cond.p, invalid)
            asm.jcc(Cond.ne, overflow)
    elif dst_size == 32:
        _cvtt(asm, 64, src_prec, dst, src)
        asm.mov(64, r11, dst)
        asm.shift("shr", 64, r11, 32)
        asm.jcc(Cond.e, done)
        _ucomis(asm, src_prec, src, src)
        asm.jcc(Cond.p, invalid)
        asm.jmp(overflow)
    else:
        big = asm.new_label()
        _load_bits(asm, src_prec, xmm15, _float_bits(src_prec, 2.0**63))
        _ucomis(asm, src_prec, src, xmm15)
        asm.jcc(Cond.ae, big)
        # Below 2^63 or NaN: a negative result means NaN or a value <= -1.
        _cvtt(asm, 64, src_prec, dst, src)
        asm.test(64, dst, dst)
        asm.jcc(Cond.ns, done)
        _ucomis(asm, src_prec, src, src)
        asm.jcc(Cond.p, invalid)
        asm.jmp(overflow)
        asm.bind(big)
        asm.sse("sub" + _s(src_prec), xmm15, src)
        _cvtt(asm, 64, src_prec, dst, xmm15)
        asm.unary("neg", 64, dst)  # overflows iff x >= 2^64 (cvtt gave INT_MIN)
        asm.jcc(Cond.o, overflow)
        asm.mov(64, r11, 1 << 63)
        asm.alu("or", 64, dst, r11)
    asm.bind(done)


def trunc_sat(
    asm: Assembler, src_prec: Prec, dst_size: Size, signed: bool, dst: Gpr, src: Xmm
) -> None:
    """i32/i64.trunc_sat_f32/f64_s/u: NaN gives 0, out-of-range values clamp.
    No temporaries (uses r11 and xmm15).

    The fast paths are those of :func:`trunc_checked`; the slow paths pick the bound
    with ``cmov`` after comparing with 0.0 (signed: INT_MAX = ``lea [INT_MIN - 1]``,
    and 0 on parity). Unsigned to i64 above 2^63: ``neg`` overflows exactly when the
    value saturates, so ``cmovo`` takes all ones before the ``or 2^63``.
    """
    done = asm.new_label()
    if signed:
        _cvtt(asm, dst_size, src_prec, dst, src)
        asm.alu("cmp", dst_size, dst, 1)
        asm.jcc(Cond.no, done)
        asm.sse("xorps", xmm15, xmm15)
        _ucomis(asm, src_prec, src, xmm15)
        asm.lea(dst_size, r11, Mem(dst, disp=-1))
        asm.cmovcc(dst_size, Cond.a, dst, r11)
        asm.mov(32, r11, 0)
        asm.cmovcc(dst_size, Cond.p, dst, r11)
    elif dst_size == 32:
        _cvtt(asm, 64, src_prec, dst, src)
        asm.mov(64, r11, dst)
        asm.shift("shr", 64, r11, 32)
        asm.jcc(Cond.e, done)
        asm.sse("xorps", xmm15, xmm15)
        _ucomis(asm, src_prec, src, xmm15)
        asm.mov(32, dst, 0)
        asm.mov(32, r11, 0xFFFFFFFF)
        asm.cmovcc(32, Cond.a, dst, r11)
    else:
        big = asm.new_label()
        _load_bits(asm, src_prec, xmm15, _float_bits(src_prec, 2.0**63))
        _ucomis(asm, src_prec, src, xmm15)
        asm.jcc(Cond.ae, big)
        _cvtt(asm, 64, src_prec, dst, src)
        asm.mov(32, r11, 0)
        asm.test(64, dst, dst)
        asm.cmovcc(64, Cond.s, dst, r11)
        asm.jmp(done)
        asm.bind(big)
        asm.sse("sub" + _s(src_prec), xmm15, src)
        _cvtt(asm, 64, src_prec, dst, xmm15)
        asm.unary("neg", 64, dst)
        asm.mov(64, r11, -1)
        asm.cmovcc(64, Cond.o, dst, r11)
        asm.mov(64, r11, 1 << 63)
        asm.alu("or", 64, dst, r11)
    asm.bind(done)


# --------------------------------------------------------------------------------------
# Integer to float, and the other conversions


def convert(
    asm: Assembler, src_size: Size, signed: bool, dst_prec: Prec, dst: Xmm, src: Gpr
) -> None:
    """f32/f64.convert_i32/i64_s/u, correctly rounded. No temporaries (uses r11).

    ``xorps dst, dst`` first breaks ``cvtsi2s*``'s dependency on dst's old value.
    u32 converts as the 64-bit signed value it already is (upper half zero). u64 at
    or above 2^63 converts ``(x >> 1) | (x & 1)`` (halved, rounded to odd so that the
    lost bit still breaks ties) and doubles the result.
    """
    asm.sse("xorps", dst, dst)
    if signed or src_size == 32:
        _cvtsi(asm, src_size if signed else 64, dst_prec, dst, src)
        return
    big = asm.new_label()
    done = asm.new_label()
    asm.test(64, src, src)
    asm.jcc(Cond.s, big)
    _cvtsi(asm, 64, dst_prec, dst, src)
    asm.jmp(done)
    asm.bind(big)
    # r11 = (x | (x & 1) << 1) >> 1 = (x >> 1) | (x & 1)
    asm.mov(32, r11, 1)
    asm.alu("and", 64, r11, src)
    asm.alu("add", 64, r11, r11)
    asm.alu("or", 64, r11, src)
    asm.shift("shr", 64, r11, 1)
    _cvtsi(asm, 64, dst_prec, dst, r11)
    asm.sse("add" + _s(dst_prec), dst, dst)
    asm.bind(done)


def demote(asm: Assembler, dst: Xmm, src: Xmm) -> None:
    """f32.demote_f64: ``cvtsd2ss`` (rounds to nearest; NaNs come out quiet, and a
    canonical NaN stays canonical). No temporaries."""
    asm.cvtsd2ss(dst, src)


def promote(asm: Assembler, dst: Xmm, src: Xmm) -> None:
    """f64.promote_f32: ``cvtss2sd`` (exact; NaNs come out quiet). No temporaries."""
    asm.cvtss2sd(dst, src)


def reinterpret(asm: Assembler, size: Size, dst: Gpr | Xmm, src: Gpr | Xmm) -> None:
    """i32/i64.reinterpret_f32/f64 and f32/f64.reinterpret_i32/i64: ``movd``/``movq``
    between a GPR and an XMM register (``movd`` to a GPR zeroes its upper half).
    No temporaries."""
    if isinstance(dst, Gpr) == isinstance(src, Gpr):
        raise ValueError("reinterpret moves between a GPR and an XMM register")
    if size == 32:
        asm.movd(dst, src)
    else:
        asm.movq(dst, src)
