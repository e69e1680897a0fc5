"""x86-64 SIMD: the implementations of the wasm SIMD instructions (:data:`SIMD`).

The shared lowering (``wazaot.lower.vector``) turns each SIMD instruction into one
``VecOp`` carrying the implementation registered here for its name. SSE4.1 (with
SSSE3) is the baseline; an implementation registered ``when={"avx"}`` (or ``avx2``,
``sse42``) replaces it on processors that have the feature (``cpu.Features``;
``$WAZAOT_X86_FEATURES=-avx`` turns AVX off to test the SSE code).

Every implementation is written once, in three-address form, against :class:`Vec`, and
registered by :func:`implement` (or :func:`implement_table`) twice: with the SSE forms,
which are two-address (``paddd d, b`` after a copy of ``a`` into ``d`` when they differ;
usually ``dst="reuse"``, so that dst is the first source's register and they do not),
and, on processors with AVX, with the three-address VEX forms (``vpaddd d, a, b``,
``dst="late"``). Sequences therefore read every source they need before they write
``d``. xmm15 is the emitters' vector scratch register (never allocated), r11 the integer
one; constants are built in registers from immediates (through r11) rather than loaded
from memory.

The implementations are in ``simd_int.py`` (integer lanes: arithmetic, comparisons,
shifts, narrowing and widening, ``bitmask``/``all_true``) and ``simd_float.py`` (float
lanes and conversions, lane moves, shuffles, the bitwise instructions); ``backend.py``
imports both, which completes the table.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Literal

from ..lower.vector import LANE_BITS, ConstsFn, DstMode, VecOp, VectorEmitFn, VectorTable
from ..machinst import PReg, RegClass
from .abi import gpr, xmm
from .emit import Emitter
from .regs import Gpr, Xmm, r11, xmm15

__all__ = ["LANE_BITS", "SIMD", "Vec", "VecEmit", "implement", "implement_table", "splat"]

SIMD = VectorTable("x86-64")
"""The x86-64 implementation of every SIMD instruction, by wasm name."""

_M64 = (1 << 64) - 1
_M128 = (1 << 128) - 1

Domain = Literal["int", "float"]
"""Which register copy the SSE forms use: ``movdqa`` (integer code) or ``movaps``."""

_COPY: dict[Domain, str] = {"int": "movdqa", "float": "movaps"}


def splat(bits: int, value: int) -> int:
    """The 128-bit constant with ``value`` in every ``bits``-wide lane."""
    value &= (1 << bits) - 1
    out = 0
    for i in range(128 // bits):
        out |= value << (i * bits)
    return out


class Vec:
    """Emits the SSE or the AVX forms (``avx``; ``avx2``: the AVX2 instructions may be
    used) behind one three-address interface: ``op(m, d, a, b)`` is ``d := a m b``.

    The SSE forms are two-address: they copy ``a`` into ``d`` first when they differ
    (``movdqa`` or ``movaps``, by ``domain``). When ``d`` is ``b`` (and not ``a``), the
    operation goes through xmm15.
    """

    def __init__(self, e: Emitter, avx: bool, avx2: bool = False, domain: Domain = "float"):
        self.asm = e.asm
        self.avx = avx
        self.avx2 = avx2
        self.prefix = "v" if avx else ""
        self.copy = self.prefix + _COPY[domain]

    def op(self, m: str, d: Xmm, a: Xmm, b: Xmm | Gpr, *imm: int, size: int | None = None
           ) -> None:  # fmt: skip
        """``d := a m b``: ``vm d, a, b`` with AVX, else ``m d, b`` after a copy of ``a``
        into ``d`` (``imm``: immediate operands, last; ``size``: the GPR size of
        ``pinsrq``...)."""
        asm = self.asm
        if self.avx:
            asm.emit("v" + m, size, d, a, b, *imm)
        elif d is a:
            asm.emit(m, size, d, b, *imm)
        elif d is not b:
            self.move(d, a)
            asm.emit(m, size, d, b, *imm)
        elif a is xmm15:  # d := xmm15 m d
            asm.emit(m, size, xmm15, b, *imm)
            self.move(d, xmm15)
        else:
            assert b is not xmm15
            self.move(xmm15, b)
            self.move(d, a)
            asm.emit(m, size, d, xmm15, *imm)

    def shift(self, m: str, d: Xmm, a: Xmm, count: Xmm | int) -> None:
        """``d := a`` shifted by ``count`` (an immediate, or an XMM register's low 64
        bits): ``vpsllw d, a, n`` or ``psllw d, n``."""
        if isinstance(count, Xmm):
            self.op(m, d, a, count)
        elif self.avx:
            self.asm.emit("v" + m, None, d, a, count)
        else:
            self.move(d, a)
            self.asm.emit(m, None, d, count)

    def unary(self, m: str, d: Xmm | Gpr, a: Xmm, *imm: int, size: int | None = None) -> None:
        """``d := m(a)`` for the forms that only write ``d`` (``pabsb``, ``pmovsxbw``,
        ``pshufd``, ``cvtdq2ps``, ``pextrd``, ``ptest``...)."""
        self.asm.emit(self.prefix + m, size, d, a, *imm)

    def move(self, d: Xmm, a: Xmm) -> None:
        """``d := a`` (nothing when they are one register)."""
        if d is not a:
            self.asm.emit(self.copy, None, d, a)

    def zero(self, d: Xmm) -> None:
        self.op("pxor", d, d, d)

    def ones(self, d: Xmm) -> None:
        self.op("pcmpeqd", d, d, d)

    def invert(self, d: Xmm) -> None:
        """``d := ~d`` (through xmm15)."""
        self.ones(xmm15)
        self.op("pxor", d, d, xmm15)

    def const(self, d: Xmm, value: int) -> None:
        """``d :=`` the 128-bit ``value``, built through r11 (xor or compare for 0 and
        all ones; a 32- or 64-bit pattern is broadcast)."""
        asm = self.asm
        value &= _M128
        lo, hi = value & _M64, value >> 64
        if value == 0:
            self.zero(d)
        elif value == _M128:
            self.ones(d)
        elif lo == hi and lo & 0xFFFF_FFFF == lo >> 32:
            asm.mov(32, r11, lo & 0xFFFF_FFFF)
            asm.movd(d, r11)
            self.unary("pshufd", d, d, 0)
        else:
            asm.mov(64 if lo >> 32 else 32, r11, lo)
            asm.movq(d, r11)
            if lo == hi:
                self.op("punpcklqdq", d, d, d)
            elif hi:
                asm.mov(64 if hi >> 32 else 32, r11, hi)
                self.op("pinsrq", d, d, r11, 1, size=64)


VecEmit = Callable[[Vec, VecOp, Any, Sequence[Any], Sequence[Any]], None]
"""An implementation written once for SSE and AVX: ``fn(v, inst, dst, srcs, temps)``
with a :class:`Vec` and the registers as :class:`Xmm` or :class:`Gpr` by class."""


def _reg(p: PReg) -> Xmm | Gpr:
    return gpr(p) if p.cls is RegClass.INT else xmm(p)


def _adapt(fn: VecEmit, avx: bool, avx2: bool, domain: Domain) -> VectorEmitFn:
    def emit(e: Emitter, inst: VecOp, d: PReg | None, srcs: Sequence[PReg],
             temps: Sequence[PReg]) -> None:  # fmt: skip
        assert d is not None
        v = Vec(e, avx, avx2, domain)
        fn(v, inst, _reg(d), [_reg(s) for s in srcs], [_reg(t) for t in temps])

    emit.__name__ = emit.__qualname__ = fn.__name__ + ("_avx2" if avx2 else "_avx" if avx else "")
    return emit


def implement(*names: str, dst: DstMode = "reuse", temps: str = "", imm_arg: int | None = None,
              when: Collection[str] = (), avx2: bool = False, domain: Domain = "float",
              consts: ConstsFn | None = None) -> Callable[[VecEmit], VecEmit]:  # fmt: skip
    """Register ``fn`` (a :data:`VecEmit`) for ``names`` in :data:`SIMD`: with the SSE
    forms (``dst``: by default, dst reuses the first source), with the VEX forms on
    processors with AVX (``dst="late"``) and, with ``avx2``, once more for AVX2. Each
    also requires the features ``when`` (``{"sse42"}``); ``temps``, ``imm_arg`` and
    ``consts`` are those of :meth:`VectorTable.register`, ``domain`` that of
    :class:`Vec`."""

    def register(fn: VecEmit) -> VecEmit:
        variants: list[tuple[bool, DstMode, set[str]]] = [
            (False, dst, set(when)), (True, "late", {"avx", *when})]  # fmt: skip
        if avx2:
            variants.append((True, "late", {"avx", "avx2", *when}))
        for avx, mode, features in variants:
            emit = _adapt(fn, avx, "avx2" in features, domain)
            SIMD.register(*names, temps=temps, dst=mode, imm_arg=imm_arg, when=features,
                          consts=consts)(emit)  # fmt: skip
        return fn

    return register


def implement_table(table: Mapping[str, str], unary: bool = False) -> None:
    """Register the instructions of ``table`` (wasm name -> mnemonic) that are one
    machine instruction: ``d := a m b`` (:meth:`Vec.op`; the SSE form reuses ``a``'s
    register) or, with ``unary``, ``d := m(a)`` (:meth:`Vec.unary`; ``d`` is free: the
    forms do not read it)."""

    def one_instruction(v: Vec, inst: VecOp, d: Xmm, srcs: Sequence[Xmm], temps: Sequence[Xmm]
                        ) -> None:  # fmt: skip
        if unary:
            v.unary(table[inst.name], d, srcs[0])
        else:
            v.op(table[inst.name], d, srcs[0], srcs[1])

    implement(*table, dst="late" if unary else "reuse")(one_instruction)
