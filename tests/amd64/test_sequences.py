"""Native tests of :mod:`wazaot.amd64.sequences`: every sequence is assembled into a
small function, run on this x86-64 CPU and compared with wasm semantics computed in
Python (a reference that is itself checked against wasmtime at the end of the file).

The harness function is ``uint64_t f(uint64_t *io)``. It loads a canary into every
register, the inputs (``io[0..]``) into the registers the test chose, runs the
sequence, then dumps all GPRs and XMM registers into ``io`` and returns 0; a trap
label returns ``0xDEAD0000 + code`` instead. Float inputs travel as bit patterns in
memory, so no C-level float conversion touches them; f32 inputs carry garbage in
their upper 32 bits (a don't-care lane). After each run the harness checks that the
sequence wrote no register besides its outputs, its declared fixed registers, r11
and xmm15 (the emitter's scratch registers).

Each operation runs over a deterministic table of edge cases under several register
assignments (dst aliasing each source, high registers), then over Hypothesis-drawn
bit patterns.
"""

from __future__ import annotations

import ctypes
import math
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import product
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wazaot.amd64 import sequences as seq
from wazaot.amd64.encoding import Assembler, Label, Mem
from wazaot.amd64.regs import (
    GPRS,
    XMMS,
    Gpr,
    Xmm,
    r8,
    r9,
    r10,
    r11,
    r12,
    r13,
    r14,
    r15,
    rax,
    rbp,
    rbx,
    rcx,
    rdi,
    rdx,
    rsi,
    rsp,
    xmm0,
    xmm1,
    xmm2,
    xmm3,
    xmm4,
    xmm5,
    xmm8,
    xmm9,
    xmm11,
    xmm12,
    xmm13,
    xmm14,
    xmm15,
)
from wazaot.native import libc
from wazaot.native.call import ffi
from wazaot.native.execmem import CodeMemory
from wazaot.traps import TrapCode


def cpu_flags() -> frozenset[str] | None:
    """The CPU feature flags of /proc/cpuinfo, or None where there is no such file."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


CPU_FLAGS = cpu_flags()
pytestmark = [
    pytest.mark.skipif(libc.MACHINE != "amd64", reason="runs x86-64 machine code"),
    pytest.mark.skipif(CPU_FLAGS is not None and "sse4_1" not in CPU_FLAGS, reason="needs SSE4.1"),
]


def require_cpu(flag: str | None) -> None:
    if flag is not None and CPU_FLAGS is not None and flag not in CPU_FLAGS:
        pytest.skip(f"the CPU lacks {flag}")


Reg = Gpr | Xmm
TrapFn = Callable[[TrapCode], Label]
Expected = int | TrapCode | str  # str: one of the NaN classes below

# --------------------------------------------------------------------------------------
# Bits, floats and the wasm reference semantics

MASK = {32: (1 << 32) - 1, 64: (1 << 64) - 1}
SIGN = {32: 1 << 31, 64: 1 << 63}
EXP = {32: 0x7F80_0000, 64: 0x7FF0_0000_0000_0000}
QUIET = {32: 1 << 22, 64: 1 << 51}
CANON = "canonical NaN"
ARITH = "arithmetic NaN"


def to_float(prec: int, bits: int) -> float:
    bits &= MASK[prec]
    if prec == 32:
        return float(struct.unpack("<f", struct.pack("<I", bits))[0])
    return float(struct.unpack("<d", struct.pack("<Q", bits))[0])


def to_bits(prec: int, x: float) -> int:
    """The bits of ``x``, which must be representable in ``prec`` (f32: rounded by C)."""
    if prec == 32:
        return int(struct.unpack("<I", struct.pack("<f", ctypes.c_float(x).value))[0])
    return int(struct.unpack("<Q", struct.pack("<d", x))[0])


def is_nan(prec: int, bits: int) -> bool:
    return math.isnan(to_float(prec, bits))


def is_canonical(prec: int, bits: int) -> bool:
    return bits & ~SIGN[prec] & MASK[prec] == EXP[prec] | QUIET[prec]


def nan_result(prec: int, *inputs: int) -> str:
    """The spec's ``nans{inputs}``: canonical if every NaN input is, else arithmetic."""
    nans = [b for b in inputs if is_nan(prec, b)]
    return CANON if all(is_canonical(prec, b) for b in nans) else ARITH


def float_matches(prec: int, got: int, want: Expected) -> bool:
    got &= MASK[prec]
    if want == CANON:
        return is_canonical(prec, got)
    if want == ARITH:
        return is_nan(prec, got) and got & QUIET[prec] != 0
    return got == want


def ref_fminmax(op: str, prec: int, a: int, b: int) -> Expected:
    if is_nan(prec, a) or is_nan(prec, b):
        return nan_result(prec, a, b)
    x, y = to_float(prec, a), to_float(prec, b)
    if x == y:  # only zeros of different signs differ
        return a | b if op == "min" else a & b
    return a if (x < y) == (op == "min") else b


def ref_fround(mode: str, prec: int, a: int) -> Expected:
    x = to_float(prec, a)
    if math.isnan(x):
        return nan_result(prec, a)
    if math.isinf(x) or x == 0:
        return a
    fn = {"floor": math.floor, "ceil": math.ceil, "trunc": math.trunc, "nearest": round}[mode]
    r = float(fn(x))
    return to_bits(prec, math.copysign(r, x) if r == 0 else r)


def ref_fsqrt(prec: int, a: int) -> Expected:
    x = to_float(prec, a)
    if math.isnan(x):
        return nan_result(prec, a)
    if x < 0:
        return CANON
    return to_bits(prec, math.sqrt(x))  # f32: f64 sqrt then one rounding is exact


def ref_fneg(prec: int, a: int) -> Expected:
    return a ^ SIGN[prec]


def ref_fabs(prec: int, a: int) -> Expected:
    return a & ~SIGN[prec]


def ref_fcopysign(prec: int, a: int, b: int) -> Expected:
    return a & ~SIGN[prec] | b & SIGN[prec]


def ref_fcmp(cond: str, prec: int, a: int, b: int) -> Expected:
    x, y = to_float(prec, a), to_float(prec, b)
    ops = {
        "eq": x == y, "ne": x != y, "lt": x < y, "gt": x > y, "le": x <= y, "ge": x >= y,
    }  # fmt: skip
    return int(ops[cond])


def int_range(size: int, signed: bool) -> tuple[int, int]:
    return (-(1 << (size - 1)), (1 << (size - 1)) - 1) if signed else (0, (1 << size) - 1)


def ref_trunc(src_prec: int, size: int, signed: bool, sat: bool, a: int) -> Expected:
    x = to_float(src_prec, a)
    lo, hi = int_range(size, signed)
    if math.isnan(x):
        return 0 if sat else TrapCode.INVALID_CONVERSION
    t = (lo - 1 if x < 0 else hi + 1) if math.isinf(x) else math.trunc(x)
    if not lo <= t <= hi:
        if not sat:
            return TrapCode.INTEGER_OVERFLOW
        t = lo if t < lo else hi
    return t & MASK[size]


def round_int(prec: int, n: int) -> int:
    """The bits of the float nearest to ``n`` (ties to even), exactly."""
    p = 24 if prec == 32 else 53
    m = abs(n)
    if m.bit_length() > p:
        shift = m.bit_length() - p
        q, r = divmod(m, 1 << shift)
        half = 1 << (shift - 1)
        if r > half or (r == half and q & 1):
            q += 1
        m = q << shift
    return to_bits(prec, -float(m) if n < 0 else float(m))


def signed_value(size: int, bits: int) -> int:
    bits &= MASK[size]
    return bits - (1 << size) if bits >> (size - 1) else bits


def ref_convert(size: int, signed: bool, prec: int, a: int) -> Expected:
    return round_int(prec, signed_value(size, a) if signed else a & MASK[size])


def ref_demote(a: int) -> Expected:
    if is_nan(64, a):
        return nan_result(64, a)
    return to_bits(32, to_float(64, a))


def ref_promote(a: int) -> Expected:
    if is_nan(32, a):
        return nan_result(32, a)
    return to_bits(64, to_float(32, a))


def ref_div_rem(kind: str, size: int, a: int, b: int) -> Expected:
    a, b = a & MASK[size], b & MASK[size]
    if b == 0:
        return TrapCode.INTEGER_DIVIDE_BY_ZERO
    if kind.endswith("_s"):
        a, b = signed_value(size, a), signed_value(size, b)
    q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)  # truncating division
    if kind == "div_s" and q == 1 << (size - 1):
        return TrapCode.INTEGER_OVERFLOW
    return (q if kind.startswith("div") else a - q * b) & MASK[size]


def ref_clz(size: int, a: int) -> Expected:
    return size - (a & MASK[size]).bit_length()


def ref_ctz(size: int, a: int) -> Expected:
    a &= MASK[size]
    return size if a == 0 else (a & -a).bit_length() - 1


def ref_popcnt(size: int, a: int) -> Expected:
    return bin(a & MASK[size]).count("1")


# --------------------------------------------------------------------------------------
# The native harness

IO_GPR = 8  # io[8 + n]: GPR n after the sequence
IO_XMM = 24  # io[24 + 2n], io[25 + 2n]: XMM n (low, high quadword)
IO_WORDS = 56
TRAP_BASE = 0xDEAD_0000
CALLEE_SAVED = (rbx, rbp, r12, r13, r14, r15)
CHECKED_GPRS = tuple(g for g in GPRS if g not in (rsp, r15))  # r15 holds io
SCRATCH: frozenset[Reg] = frozenset({r11, xmm15})
F32_GARBAGE = 0x5EED_F00D << 32  # upper half of f32 inputs: must be ignored


def gpr_canary(g: Gpr) -> int:
    return 0xC0DE_0000_0000_0000 | g.num * 0x0001_0001_0001


def xmm_canary(x: Xmm) -> int:
    return 0x7FF4_0000_0000_0000 | x.num * 0x0100_0001_0001


class Kernel:
    """One sequence under one register assignment, assembled and mapped."""

    def __init__(
        self,
        body: Callable[[Assembler, TrapFn], None],
        inputs: Sequence[Reg],
        out: Reg,
        clobbers: frozenset[Reg],
    ) -> None:
        asm = Assembler()
        traps: dict[TrapCode, Label] = {}

        def trap(code: TrapCode) -> Label:
            assert code not in traps, f"{code.name} requested twice"
            traps[code] = asm.new_label()
            return traps[code]

        for r in CALLEE_SAVED:
            asm.push(r)
        asm.mov(64, r15, rdi)
        for x in XMMS:
            asm.mov(64, rax, xmm_canary(x))
            asm.movq(x, rax)
        for g in CHECKED_GPRS:
            asm.mov(64, g, gpr_canary(g))
        for i, reg in enumerate(inputs):
            if isinstance(reg, Gpr):
                asm.mov(64, reg, Mem(r15, disp=8 * i))
            else:
                asm.movq(reg, Mem(r15, disp=8 * i))
        body(asm, trap)
        for g in CHECKED_GPRS:
            asm.mov(64, Mem(r15, disp=8 * (IO_GPR + g.num)), g)
        for x in XMMS:
            asm.movdqu(Mem(r15, disp=8 * (IO_XMM + 2 * x.num)), x)
        asm.alu("xor", 32, rax, rax)
        epilogue = asm.new_label()
        asm.bind(epilogue)
        for r in reversed(CALLEE_SAVED):
            asm.pop(r)
        asm.ret()
        for code, label in traps.items():
            asm.bind(label)
            asm.mov(32, rax, TRAP_BASE + code)
            asm.jmp(epilogue)
        self.memory = CodeMemory.from_code(asm.finish())
        self.fn = ffi.cast("uint64_t(*)(uint64_t *)", self.memory.address)
        self.io = ffi.new("uint64_t[]", IO_WORDS)
        self.inputs = tuple(inputs)
        self.out = out
        self.writable = clobbers | SCRATCH | {out}

    def run(self, values: Sequence[int]) -> int | TrapCode:
        """Run with ``values`` in the input registers: the 64 bits of ``out``, or the
        trap taken. Checks that no other register changed."""
        io = self.io
        expected: dict[Reg, int] = {}
        for i, (reg, v) in enumerate(zip(self.inputs, values, strict=True)):
            assert expected.setdefault(reg, v) == v, "aliased inputs need equal values"
            io[i] = v
        status = int(self.fn(io))
        if status:
            return TrapCode(status - TRAP_BASE)
        for g in CHECKED_GPRS:
            if g not in self.writable:
                got = io[IO_GPR + g.num]
                assert got == expected.get(g, gpr_canary(g)), f"{g} clobbered: {got:#x}"
        for x in XMMS:
            if x not in self.writable:
                got = (io[IO_XMM + 2 * x.num], io[IO_XMM + 2 * x.num + 1])
                assert got == (expected.get(x, xmm_canary(x)), 0), f"{x} clobbered"
        if isinstance(self.out, Gpr):
            return int(io[IO_GPR + self.out.num])
        return int(io[IO_XMM + 2 * self.out.num])


# --------------------------------------------------------------------------------------
# Operations under test: emitter, reference, operand kinds, register assignments


@dataclass(frozen=True)
class Op:
    """A sequence with fixed static arguments. ``emit(asm, trap, dst, *srcs)``;
    ``ref(*src_bits)``; kinds are "i32" "i64" "f32" "f64"."""

    name: str
    emit: Callable[..., None]
    ref: Callable[..., Expected]
    srcs: tuple[str, ...]
    out: str
    layouts: tuple[tuple[Reg, ...], ...]  # (dst, *srcs)
    clobbers: frozenset[Reg] = field(default_factory=frozenset)
    cpu_flag: str | None = None  # the /proc/cpuinfo flag the sequence needs

    def __repr__(self) -> str:
        return self.name


GPR_UNARY = ((rax, rcx), (rcx, rcx), (r12, r8), (r9, r9), (rdx, r12), (rdi, rsi), (r10, rbx))
XMM_UNARY = ((xmm0, xmm1), (xmm1, xmm1), (xmm8, xmm14), (xmm13, xmm13), (xmm2, xmm11))
XMM_BINARY = (
    (xmm0, xmm1, xmm2), (xmm1, xmm1, xmm2), (xmm2, xmm1, xmm2), (xmm3, xmm3, xmm3),
    (xmm4, xmm5, xmm5), (xmm9, xmm14, xmm8), (xmm14, xmm14, xmm9), (xmm8, xmm12, xmm8),
)  # fmt: skip
GPR_XMM_BINARY = ((rax, xmm0, xmm1), (r12, xmm9, xmm14), (rsi, xmm3, xmm3), (r9, xmm14, xmm2))
GPR_FROM_XMM = ((rax, xmm0), (r12, xmm14), (rsi, xmm9), (rdx, xmm1), (r10, xmm12))
XMM_FROM_GPR = ((xmm0, rdi), (xmm14, r12), (xmm9, rax), (xmm1, r8), (xmm12, rdx))
DIV_RHS = (rcx, rbx, rdi, r8, r12)  # lhs is rax; dst rax (div) or rdx (rem)


def _fcmp_branch_emitter(prec: int, cond: str) -> Callable[..., None]:
    def emit(asm: Assembler, trap: TrapFn, dst: Gpr, a: Xmm, b: Xmm) -> None:
        taken, join = asm.new_label(), asm.new_label()
        asm.mov(32, dst, 0)
        seq.fcmp_branch(asm, prec, cond, a, b, taken)  # type: ignore[arg-type]
        asm.jmp(join)
        asm.bind(taken)
        asm.mov(32, dst, 1)
        asm.bind(join)

    return emit


def _ops() -> list[Op]:
    ops: list[Op] = []
    for size, kind in product((32, 64), ("div_s", "div_u", "rem_s", "rem_u")):
        dst = rax if kind.startswith("div") else rdx
        ops.append(
            Op(
                f"i{size}.{kind}",
                lambda asm, trap, d, a, b, k=kind, s=size: seq.div_rem(asm, k, s, d, a, b, trap),
                lambda a, b, k=kind, s=size: ref_div_rem(k, s, a, b),
                (f"i{size}", f"i{size}"),
                f"i{size}",
                tuple((dst, rax, rhs) for rhs in DIV_RHS),
                frozenset({rax, rdx}),
            )
        )
    bitcounts = {
        "clz": (seq.clz_native, seq.clz_fallback, ref_clz, "abm"),
        "ctz": (seq.ctz_native, seq.ctz_fallback, ref_ctz, "bmi1"),
        "popcnt": (seq.popcnt_native, seq.popcnt_fallback, ref_popcnt, "popcnt"),
    }
    for size, (name, (native, fallback, ref, flag)) in product((32, 64), bitcounts.items()):
        for variant, fn, cpu_flag in (("native", native, flag), ("fallback", fallback, None)):
            ops.append(
                Op(
                    f"i{size}.{name}_{variant}",
                    lambda asm, trap, d, a, f=fn, s=size: f(asm, s, d, a),
                    lambda a, r=ref, s=size: r(s, a),
                    (f"i{size}",),
                    f"i{size}",
                    GPR_UNARY,
                    cpu_flag=cpu_flag,
                )
            )
    ops.append(
        Op(
            "i32.wrap_i64",
            lambda asm, trap, d, a: seq.wrap(asm, d, a),
            lambda a: a & MASK[32],
            ("i64",),
            "i32",
            GPR_UNARY,
        )
    )
    for prec in (32, 64):
        f = f"f{prec}"
        for name, fn, ref in (
            ("min", seq.fmin, lambda a, b, p=prec: ref_fminmax("min", p, a, b)),
            ("max", seq.fmax, lambda a, b, p=prec: ref_fminmax("max", p, a, b)),
            ("copysign", seq.fcopysign, lambda a, b, p=prec: ref_fcopysign(p, a, b)),
        ):
            ops.append(
                Op(
                    f"{f}.{name}",
                    lambda asm, trap, d, a, b, fn=fn, p=prec: fn(asm, p, d, a, b),
                    ref,
                    (f, f),
                    f,
                    XMM_BINARY,
                )
            )
        unary: list[tuple[str, Callable[..., None], Callable[..., Expected]]] = [
            ("neg", seq.fneg, lambda a, p=prec: ref_fneg(p, a)),
            ("abs", seq.fabs, lambda a, p=prec: ref_fabs(p, a)),
            ("sqrt", seq.fsqrt, lambda a, p=prec: ref_fsqrt(p, a)),
            ("nearest", seq.fnearest, lambda a, p=prec: ref_fround("nearest", p, a)),
            ("floor", seq.ffloor, lambda a, p=prec: ref_fround("floor", p, a)),
            ("ceil", seq.fceil, lambda a, p=prec: ref_fround("ceil", p, a)),
            ("trunc", seq.ftrunc, lambda a, p=prec: ref_fround("trunc", p, a)),
        ]
        for name, fn, ref in unary:
            ops.append(
                Op(
                    f"{f}.{name}",
                    lambda asm, trap, d, a, fn=fn, p=prec: fn(asm, p, d, a),
                    ref,
                    (f,),
                    f,
                    XMM_UNARY,
                )
            )
        for cond in ("eq", "ne", "lt", "gt", "le", "ge"):
            ops.append(
                Op(
                    f"{f}.{cond}",
                    lambda asm, trap, d, a, b, c=cond, p=prec: seq.fcmp_set(asm, p, c, d, a, b),
                    lambda a, b, c=cond, p=prec: ref_fcmp(c, p, a, b),
                    (f, f),
                    "i32",
                    GPR_XMM_BINARY,
                )
            )
            ops.append(
                Op(
                    f"{f}.{cond}_branch",
                    _fcmp_branch_emitter(prec, cond),
                    lambda a, b, c=cond, p=prec: ref_fcmp(c, p, a, b),
                    (f, f),
                    "i32",
                    GPR_XMM_BINARY,
                )
            )
        for size, signed, sat in product((32, 64), (True, False), (False, True)):
            sign = "s" if signed else "u"
            sat_name = "_sat" if sat else ""

            def emit_trunc(
                asm: Assembler, trap: TrapFn, d: Gpr, a: Xmm,
                p: Any = prec, s: Any = size, sg: bool = signed, st_: bool = sat,
            ) -> None:  # fmt: skip
                if st_:
                    seq.trunc_sat(asm, p, s, sg, d, a)
                else:
                    seq.trunc_checked(asm, p, s, sg, d, a, trap)

            ops.append(
                Op(
                    f"i{size}.trunc{sat_name}_{f}_{sign}",
                    emit_trunc,
                    lambda a, p=prec, s=size, sg=signed, st_=sat: ref_trunc(p, s, sg, st_, a),
                    (f,),
                    f"i{size}",
                    GPR_FROM_XMM,
                )
            )
        for size, signed in product((32, 64), (True, False)):
            ops.append(
                Op(
                    f"{f}.convert_i{size}_{'s' if signed else 'u'}",
                    lambda asm, trap, d, a, p=prec, s=size, sg=signed: seq.convert(
                        asm, s, sg, p, d, a
                    ),
                    lambda a, p=prec, s=size, sg=signed: ref_convert(s, sg, p, a),
                    (f"i{size}",),
                    f,
                    XMM_FROM_GPR,
                )
            )
        i = f"i{prec}"
        ops.append(
            Op(
                f"{i}.reinterpret_{f}",
                lambda asm, trap, d, a, p=prec: seq.reinterpret(asm, p, d, a),
                lambda a, p=prec: a & MASK[p],
                (f,),
                i,
                GPR_FROM_XMM,
            )
        )
        ops.append(
            Op(
                f"{f}.reinterpret_{i}",
                lambda asm, trap, d, a, p=prec: seq.reinterpret(asm, p, d, a),
                lambda a: a,
                (i,),
                f,
                XMM_FROM_GPR,
            )
        )
    ops.append(
        Op(
            "f32.demote_f64",
            lambda asm, trap, d, a: seq.demote(asm, d, a),
            ref_demote,
            ("f64",),
            "f32",
            XMM_UNARY,
        )
    )
    ops.append(
        Op(
            "f64.promote_f32",
            lambda asm, trap, d, a: seq.promote(asm, d, a),
            ref_promote,
            ("f32",),
            "f64",
            XMM_UNARY,
        )
    )
    return ops


OPS = _ops()
OPS_BY_NAME = {op.name: op for op in OPS}


@cache
def kernel(name: str, layout: tuple[Reg, ...]) -> Kernel:
    op = OPS_BY_NAME[name]
    dst, *srcs = layout
    return Kernel(lambda asm, trap: op.emit(asm, trap, dst, *srcs), srcs, dst, op.clobbers)


def input_word(kind: str, bits: int) -> int:
    """The 64-bit register image of a value: f32 with a garbage upper half."""
    return bits & MASK[32] | F32_GARBAGE if kind == "f32" else bits & MASK[int(kind[1:])]


def check(op: Op, layout: tuple[Reg, ...], values: Sequence[int]) -> None:
    """Run ``op`` under ``layout`` on ``values`` (one per source) and compare."""
    srcs = layout[1:]
    # Aliased sources (a == b) receive the first one's value.
    values = [values[srcs.index(r)] for r in srcs]
    values = [v & MASK[int(k[1:])] for k, v in zip(op.srcs, values)]
    want = op.ref(*values)
    got = kernel(op.name, layout).run([input_word(k, v) for k, v in zip(op.srcs, values)])
    args = ", ".join(f"{v:#x}" for v in values)
    if isinstance(want, TrapCode) or isinstance(got, TrapCode):
        assert got == want, f"{op.name}({args}) under {layout}: {got!r}, want {want!r}"
        return
    if op.out[0] == "f":
        prec = int(op.out[1:])
        ok = float_matches(prec, got, want)
    else:
        ok = got == want  # i32 results must have a zero upper half
    shown = want if isinstance(want, str) else f"{want:#x}"
    assert ok, f"{op.name}({args}) under {layout}: {got:#x}, want {shown}"


# --------------------------------------------------------------------------------------
# Edge cases

F32_VALUES = (
    0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.5, -0.9, 0.9, 0.49999997,
    1e-45, -1e-45, 1.1754942e-38, 3.4028235e38, -3.4028235e38, math.inf, -math.inf,
    2.0**23, 2.0**23 + 1, -(2.0**23) - 1, 8388607.5, -8388607.5, 2.0**24,
    2.0**31, -(2.0**31), 2.0**32, 2.0**63, -(2.0**63), 2.0**64, 1e30, -1e30, 3.0, 7.25,
)  # fmt: skip
F64_VALUES = (
    0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.5, -0.9, 0.9,
    0.49999999999999994, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
    -1.7976931348623157e308, math.inf, -math.inf, 2.0**52, 2.0**52 + 1, 4503599627370495.5,
    -4503599627370495.5, 2.0**53, 2.0**31, -(2.0**31), -2147483648.9, -2147483649.0,
    2147483647.9, 2.0**32, 4294967295.9, 2.0**63, -(2.0**63), 2.0**64, 1e300, -1e300, 7.25,
)  # fmt: skip
NANS = {
    32: (0x7FC00000, 0xFFC00000, 0x7FC00001, 0xFFC12345, 0x7FA00000, 0x7F800001, 0xFF800001,
         0x7FFFFFFF, 0xFFFFFFFF),
    64: (0x7FF8000000000000, 0xFFF8000000000000, 0x7FF8000000000001, 0x7FF0000000000001,
         0x7FF4000000000000, 0xFFF0000000000001, 0x7FFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF,
         0x7FF8000012345678),
}  # fmt: skip


def _float_edges(prec: int) -> tuple[int, ...]:
    base = [to_bits(prec, x) for x in (F32_VALUES if prec == 32 else F64_VALUES)]
    # Both neighbours of every value (bits - 1 is toward zero, bits + 1 away from it).
    near = [(b + d) & MASK[prec] for b in base for d in (-1, 1) if b & ~SIGN[prec]]
    return tuple(dict.fromkeys(base + near + list(NANS[prec])))


def _int_edges(size: int) -> tuple[int, ...]:
    m = MASK[size]
    vals = [0, 1, 2, 3, 7, 10, m, m - 1, m - 6, 1 << (size - 1), (1 << (size - 1)) - 1]
    vals += [(1 << (size - 1)) + 1, int("55" * (size // 8), 16), int("AA" * (size // 8), 16)]
    vals += [1 << k for k in range(size)] + [(1 << k) - 1 for k in range(1, size)]
    vals += [(1 << 24) + 1, (1 << 25) - 1, 0x7FFFFFC0, 0x7FFFFFBF, 0x7FFFFF7F, 0xFFFFFF80]
    if size == 64:
        vals += [(1 << 53) + 1, 0x0020000020000001, (1 << 63) + 1, (1 << 63) + 0x400]
        vals += [(1 << 63) + 0x401, (1 << 63) + 0xC00, m - 0x3FF, m - 0x400, m - 0x401]
        vals += [0x7FFFFFFFFFFFFDFF, 0x7FFFFFFFFFFFFE00, 0x8000008000000000, 0xFFFFFF7FFFFFFFFF]
        vals += [0xFFFFFF8000000000, 0x123456789ABCDEF0]
    return tuple(dict.fromkeys(v & m for v in vals))


EDGES = {
    "f32": _float_edges(32),
    "f64": _float_edges(64),
    "i32": _int_edges(32),
    "i64": _int_edges(64),
}
# Pairs use a subset so that the cross product stays small.
PAIR_EDGES = {
    "f32": tuple(to_bits(32, x) for x in F32_VALUES[:24]) + NANS[32][:6],
    "f64": tuple(to_bits(64, x) for x in F64_VALUES[:24]) + NANS[64][:6],
    "i32": (0, 1, 2, 3, 7, MASK[32], MASK[32] - 6, 1 << 31, (1 << 31) - 1, (1 << 31) + 1, 10, 1 << 16),
    "i64": (0, 1, 2, 3, 7, MASK[64], MASK[64] - 6, 1 << 63, (1 << 63) - 1, (1 << 63) + 1, 10,
            1 << 32, MASK[32], 1 << 31),
}  # fmt: skip


def edge_inputs(op: Op) -> list[tuple[int, ...]]:
    if len(op.srcs) == 1:
        return [(v,) for v in EDGES[op.srcs[0]]]
    return list(product(*(PAIR_EDGES[k] for k in op.srcs)))


CASES = [(op, layout) for op in OPS for layout in op.layouts]


def _layout_id(layout: tuple[Reg, ...]) -> str:
    return f"{layout[0]}={','.join(map(str, layout[1:]))}"


@pytest.mark.parametrize(
    ("op", "layout"), CASES, ids=[f"{op.name}-{_layout_id(lay)}" for op, lay in CASES]
)
def test_edge_cases(op: Op, layout: tuple[Reg, ...]) -> None:
    require_cpu(op.cpu_flag)
    for values in edge_inputs(op):
        check(op, layout, values)


# --------------------------------------------------------------------------------------
# Hypothesis


def float_bits(prec: int) -> st.SearchStrategy[int]:
    mask = MASK[prec]
    return st.one_of(
        st.integers(0, mask),
        st.floats(width=prec).map(lambda x: to_bits(prec, x)),
        st.tuples(st.sampled_from(EDGES[f"f{prec}"]), st.integers(-4, 4)).map(
            lambda t: (t[0] + t[1]) & mask
        ),
        # Finite values of every magnitude, with the sign bit drawn.
        st.tuples(st.booleans(), st.floats(0, 2.0**70, width=prec)).map(
            lambda t: to_bits(prec, -t[1] if t[0] else t[1])
        ),
    )


def int_bits(size: int) -> st.SearchStrategy[int]:
    mask = MASK[size]
    p = 24 if size == 32 else 53
    return st.one_of(
        st.integers(0, mask),
        st.integers(-1000, 1000).map(lambda v: v & mask),
        st.integers(0, size).flatmap(lambda k: st.integers(0, (1 << k) - 1)),
        st.sampled_from(EDGES[f"i{size}"]),
        # Near rounding ties for f32 and f64: a p+1-bit head, then a sticky tail.
        st.tuples(
            st.integers(1 << 24, (1 << 25) - 1) | st.integers(1 << p, (1 << (p + 1)) - 1),
            st.integers(0, size),
            st.sampled_from((0, 1, -1)),
        ).map(lambda t: ((t[0] << t[1] >> 1 << 1) + t[2]) & mask),
    )


STRATEGIES = {
    "f32": float_bits(32),
    "f64": float_bits(64),
    "i32": int_bits(32),
    "i64": int_bits(64),
}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_random(op: Op, data: st.DataObject) -> None:
    require_cpu(op.cpu_flag)
    layout = data.draw(st.sampled_from(op.layouts), label="layout")
    batch = data.draw(
        st.lists(st.tuples(*(STRATEGIES[k] for k in op.srcs)), min_size=1, max_size=25),
        label="values",
    )
    for values in batch:
        check(op, layout, values)


# --------------------------------------------------------------------------------------
# Constants, fixed-register contract, emitted shapes


@pytest.mark.parametrize("prec", [32, 64])
def test_fconst(prec: int) -> None:
    bits_list = (0, SIGN[prec], MASK[prec], 1, to_bits(prec, 1.0), to_bits(prec, -2.5))
    bits_list += NANS[prec] + (to_bits(prec, 1e30), 0x12345678)
    for dst in (xmm0, xmm9, xmm14):
        for bits in bits_list:
            k = Kernel(
                lambda asm, trap, b=bits, d=dst: seq.fconst(asm, prec, d, b), (), dst, frozenset()
            )
            got = k.run(())
            assert isinstance(got, int) and got & MASK[prec] == bits


def test_fconst_zero_is_xorps() -> None:
    asm = Assembler()
    seq.fconst(asm, 64, xmm3, 0)
    expected = Assembler()
    expected.sse("xorps", xmm3, xmm3)
    assert asm.finish() == expected.finish()


def test_div_rem_rejects_wrong_registers() -> None:
    def trap(code: TrapCode) -> Label:
        return Assembler().new_label()

    for kind, dst, lhs, rhs in (
        ("div_s", rax, rcx, rbx),
        ("rem_u", rax, rax, rbx),
        ("div_u", rax, rax, rdx),
    ):
        with pytest.raises(ValueError):
            seq.div_rem(Assembler(), kind, 64, dst, lhs, rhs, trap)  # type: ignore[arg-type]


def test_sequences_ask_each_trap_once() -> None:
    """The emitter makes one stub per request: a sequence must not ask twice."""
    for prec, size, signed in product((32, 64), (32, 64), (True, False)):
        asked: list[TrapCode] = []
        asm = Assembler()

        def trap(code: TrapCode, asm: Assembler = asm, asked: list[TrapCode] = asked) -> Label:
            asked.append(code)
            return asm.new_label()

        seq.trunc_checked(asm, prec, size, signed, rax, xmm0, trap)  # type: ignore[arg-type]
        assert len(asked) == len(set(asked))


# --------------------------------------------------------------------------------------
# The reference itself, against wasmtime


def _wat_module() -> tuple[str, list[tuple[str, Callable[..., Expected], tuple[str, ...], str]]]:
    """A module exporting each operation over bit patterns, and the matching references."""
    funcs: list[str] = []
    table: list[tuple[str, Callable[..., Expected], tuple[str, ...], str]] = []

    def add(name: str, params: tuple[str, ...], result: str, body: str, ref: Any) -> None:
        ps = " ".join(f"(param {'i32' if p[1:] == '32' else 'i64'})" for p in params)
        r = "i32" if result[1:] == "32" else "i64"
        funcs.append(f'(func (export "{name}") {ps} (result {r}) {body})')
        table.append((name, ref, params, result))

    def arg(i: int, kind: str) -> str:
        get = f"local.get {i}"
        return f"{get} {kind}.reinterpret_i{kind[1:]}" if kind[0] == "f" else get

    def ret(kind: str) -> str:
        return f" i{kind[1:]}.reinterpret_{kind}" if kind[0] == "f" else ""

    for op in OPS:
        if op.name.endswith(("_fallback", "_branch")) or "reinterpret" in op.name:
            continue
        wasm_name = op.name.removesuffix("_native")
        args = " ".join(arg(i, k) for i, k in enumerate(op.srcs))
        add(op.name, op.srcs, op.out, f"{args} {wasm_name}{ret(op.out)}", op.ref)
    return "(module " + "\n".join(funcs) + ")", table


def test_reference_matches_wasmtime() -> None:
    wasmtime = pytest.importorskip("wasmtime")
    text, table = _wat_module()
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    instance = wasmtime.Instance(store, wasmtime.Module(engine, text), [])
    exports = instance.exports(store)
    traps = {
        "integer overflow": TrapCode.INTEGER_OVERFLOW,
        "invalid conversion to integer": TrapCode.INVALID_CONVERSION,
        "integer divide by zero": TrapCode.INTEGER_DIVIDE_BY_ZERO,
    }
    for name, ref, params, result in table:
        fn = exports[name]
        op = OPS_BY_NAME[name]
        for values in edge_inputs(op):
            want = ref(*values)
            try:
                got: int | TrapCode = fn(
                    store, *(signed_value(int(k[1:]), v) for k, v in zip(params, values))
                )
            except wasmtime.Trap as e:
                got = next(code for text_, code in traps.items() if text_ in str(e))
            where = f"{name}({', '.join(f'{v:#x}' for v in values)})"
            if isinstance(want, TrapCode) or isinstance(got, TrapCode):
                assert got == want, f"{where}: wasmtime {got!r}, reference {want!r}"
            elif result[0] == "f":
                assert float_matches(int(result[1:]), got, want), f"{where}: wasmtime {got:#x}"
            else:
                assert got & MASK[int(result[1:])] == want, f"{where}: wasmtime {got:#x}"
