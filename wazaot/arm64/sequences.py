"""The arm64 multi-instruction sequences: constants, loads and stores at any offset,
checked division, trapping float-to-int conversion, bit counts, copysign, bounds
checks and the bulk memory loops.

Each function emits into an :class:`FarAssembler` (the encoder's ``Assembler`` with
branches that can reach any label of a function, see below) and reads its operands
as encoder registers; out-of-line traps come from a ``trap(code) -> Label`` callback
(``Emitter.trap``). Scratch registers are x16 and x17 (and v31), which the
allocator never hands out.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from ..traps import TrapCode
from ..vmctx import ModuleCtx
from .args import Cond, Extend, Index, Label, PairIndex
from .encoding import Assembler, b_cond
from .encoding_alu import (
    AddSubOp,
    CcmpOp,
    Dp1Op,
    Dp2Op,
    Dp3Op,
    LogicOp,
    LogicRegOp,
    add_sub_extended,
    add_sub_imm,
    add_sub_shifted,
    cmp_reg,
    cond_compare_imm,
    dp_1src,
    dp_2src,
    dp_3src,
    logical_imm,
    logical_shifted,
    mov_bitmask,
    mov_reg,
    move_wide,
)
from .encoding_fp import FpIntOp, fp_compare, fp_int, simd_addv, simd_cnt
from .encoding_mem import LdSt, PairOp, ldst_pair, ldst_reg, ldst_simm9, ldst_uimm
from .imms import BranchOffset19, Imm12, LogicalImm, SImm7Scaled, SImm9, UImm12Scaled, mov_sequence
from .regs import Gpr, Vec, v31, x16, x17, x26, x27, xzr

__all__ = [
    "FarAssembler", "TrapFn", "add_imm", "checked_address", "copysign", "div_rem", "ldst",
    "mem_copy", "mem_fill", "mov_imm", "popcnt", "trunc_checked",
]  # fmt: skip

TrapFn = Callable[[TrapCode], Label]


class FarAssembler(Assembler):
    """The module's assembler. ``b.cond``, ``cbz`` and ``cbnz`` reach ±1 MiB: with
    ``long_branches`` set (a module whose first emission raised
    ``BranchRangeError``), each conditional branch becomes the inverted branch over
    a ``b`` (±128 MiB)."""

    def __init__(self, long_branches: bool = False) -> None:
        super().__init__()
        self.long_branches = long_branches

    def bcc(self, cond: Cond, label: Label) -> None:
        """Branch to ``label`` if ``cond``."""
        if not self.long_branches:
            self.b_cond(cond, label)
            return
        self.emit(b_cond(cond.invert(), _SKIP_ONE))
        self.b(label)

    def cbz_far(self, size: int, rt: Gpr, label: Label) -> None:
        if not self.long_branches:
            self.cbz(size, rt, label)
            return
        skip = self.new_label()
        self.cbnz(size, rt, skip)
        self.b(label)
        self.bind(skip)

    def cbnz_far(self, size: int, rt: Gpr, label: Label) -> None:
        if not self.long_branches:
            self.cbnz(size, rt, label)
            return
        skip = self.new_label()
        self.cbz(size, rt, skip)
        self.b(label)
        self.bind(skip)


_SKIP_ONE = BranchOffset19(8)
"""The offset of a conditional branch over the next instruction."""


# -- constants and addressing --------------------------------------------------------------


def mov_imm(asm: Assembler, size: int, rd: Gpr, value: int) -> None:
    """rd := value (modulo 2**size; a 32-bit write zero-extends)."""
    value &= (1 << size) - 1
    if value >> 32 == 0 and size == 64:
        size = 32
    steps = mov_sequence(value, size)
    if len(steps) > 1:
        logical = LogicalImm.try_from(value, size)
        if logical is not None:
            asm.emit(mov_bitmask(size, rd, logical))
            return
    for step in steps:
        asm.emit(move_wide(step.op, size, rd, step.imm))


def add_imm(asm: Assembler, rd: Gpr, rn: Gpr, value: int, scratch: Gpr = x17) -> None:
    """rd := rn + value, 64-bit (either may be sp)."""
    if value == 0 and rd is rn:
        return
    op = AddSubOp.add if value >= 0 else AddSubOp.sub
    imm = Imm12.try_from(abs(value))
    if imm is not None:
        asm.emit(add_sub_imm(op, 64, rd, rn, imm))
        return
    mov_imm(asm, 64, scratch, abs(value))
    asm.emit(add_sub_extended(op, 64, rd, rn, scratch, Extend.uxtx))


def ldst(asm: Assembler, op: LdSt, rt: Gpr | Vec, base: Gpr, offset: int,
         scratch: Gpr = x17) -> None:  # fmt: skip
    """The access ``op`` at [base + offset], by whichever form reaches the offset
    (``scratch`` holds a far offset; it may be ``rt`` of a load)."""
    uimm = UImm12Scaled.try_from(offset, op.access)
    if uimm is not None:
        asm.emit(ldst_uimm(op, rt, base, uimm))
        return
    simm = SImm9.try_from(offset)
    if simm is not None:
        asm.emit(ldst_simm9(op, Index.unscaled, rt, base, simm))
        return
    mov_imm(asm, 64, scratch, offset)
    asm.emit(ldst_reg(op, rt, base, scratch))


def pair(asm: Assembler, op: PairOp, index: PairIndex, a: Gpr | Vec, b: Gpr | Vec,
         base: Gpr, offset: int) -> None:  # fmt: skip
    """``stp``/``ldp`` of ``a`` and ``b`` at [base + offset]."""
    imm = SImm7Scaled.try_from(offset, op.scale)
    assert imm is not None
    asm.emit(ldst_pair(op, index, a, b, base, imm))


# -- integers -------------------------------------------------------------------------------


def div_rem(asm: FarAssembler, rem: bool, signed: bool, size: int, dst: Gpr, lhs: Gpr,
            rhs: Gpr, trap: TrapFn) -> None:  # fmt: skip
    """dst := lhs / rhs or lhs % rhs, trapping as wasm does. ``sdiv`` gives INT_MIN
    for INT_MIN / -1, so the remainder ``lhs - q * rhs`` is 0 there, as wasm wants."""
    asm.cbz_far(size, rhs, trap(TrapCode.INTEGER_DIVIDE_BY_ZERO))
    div = Dp2Op.sdiv if signed else Dp2Op.udiv
    if signed and not rem:
        # rhs == -1 and lhs == INT_MIN: lhs - 1 overflows.
        asm.emit(add_sub_imm(AddSubOp.adds, size, xzr, rhs, Imm12(1)))
        asm.emit(cond_compare_imm(CcmpOp.ccmp, size, lhs, 1, 0, Cond.eq))
        asm.bcc(Cond.vs, trap(TrapCode.INTEGER_OVERFLOW))
    if not rem:
        asm.emit(dp_2src(div, size, dst, lhs, rhs))
        return
    asm.emit(dp_2src(div, size, x16, lhs, rhs))
    asm.emit(dp_3src(Dp3Op.msub, size, dst, x16, rhs, lhs))


def popcnt(asm: Assembler, size: int, dst: Gpr, src: Gpr) -> None:
    """dst := the number of set bits of src (``cnt`` per byte, ``addv`` across)."""
    asm.emit(fp_int(FpIntOp.fmov_from_gpr, size, size, v31, src))
    asm.emit(simd_cnt(False, v31, v31))
    asm.emit(simd_addv(False, 8, v31, v31))
    asm.emit(fp_int(FpIntOp.fmov_to_gpr, 32, 32, dst, v31))


def clz(asm: Assembler, size: int, dst: Gpr, src: Gpr) -> None:
    asm.emit(dp_1src(Dp1Op.clz, size, dst, src))


def ctz(asm: Assembler, size: int, dst: Gpr, src: Gpr) -> None:
    asm.emit(dp_1src(Dp1Op.rbit, size, x16, src))
    asm.emit(dp_1src(Dp1Op.clz, size, dst, x16))


# -- floating point -------------------------------------------------------------------------


def fconst(asm: Assembler, prec: int, dst: Vec, bits: int) -> None:
    """dst := the float of bit pattern ``bits`` (through x16)."""
    if bits == 0:
        asm.emit(fp_int(FpIntOp.fmov_from_gpr, prec, prec, dst, xzr))
        return
    mov_imm(asm, prec, x16, bits)
    asm.emit(fp_int(FpIntOp.fmov_from_gpr, prec, prec, dst, x16))


def copysign(asm: Assembler, prec: int, dst: Vec, a: Vec, b: Vec) -> None:
    """dst := |a| with the sign of b, in the integer registers."""
    sign = 1 << (prec - 1)
    asm.emit(fp_int(FpIntOp.fmov_to_gpr, prec, prec, x16, a))
    asm.emit(fp_int(FpIntOp.fmov_to_gpr, prec, prec, x17, b))
    magnitude = LogicalImm.try_from(sign - 1, prec)
    sign_bit = LogicalImm.try_from(sign, prec)
    assert magnitude is not None and sign_bit is not None
    asm.emit(logical_imm(LogicOp.and_, prec, x16, x16, magnitude))
    asm.emit(logical_imm(LogicOp.and_, prec, x17, x17, sign_bit))
    asm.emit(logical_shifted(LogicRegOp.orr, prec, x16, x16, x17))
    asm.emit(fp_int(FpIntOp.fmov_from_gpr, prec, prec, dst, x16))


def _float_bits(value: float, prec: int) -> int:
    fmt, out = ("<f", "<I") if prec == 32 else ("<d", "<Q")
    return int(struct.unpack(out, struct.pack(fmt, value))[0])


def trunc_checked(asm: FarAssembler, prec: int, size: int, signed: bool, dst: Gpr,
                  src: Vec, trap: TrapFn) -> None:  # fmt: skip
    """dst := src truncated toward zero; traps on NaN and on a result out of range.
    The range is checked in floating point against bounds that are exact in ``prec``:
    an upper bound that is the first value too large, and a lower bound that is the
    last value too small (``le``) or the smallest valid one (``lt``)."""
    asm.emit(fp_compare(prec, src, src))
    asm.bcc(Cond.vs, trap(TrapCode.INVALID_CONVERSION))
    overflow = trap(TrapCode.INTEGER_OVERFLOW)
    if signed:
        hi = float(1 << (size - 1))
        if prec == 64 and size == 32:
            lo, too_small = -float(1 << 31) - 1.0, Cond.ls
        else:
            lo, too_small = -float(1 << (size - 1)), Cond.mi
    else:
        hi, lo, too_small = float(1 << size), -1.0, Cond.ls
    fconst(asm, prec, v31, _float_bits(hi, prec))
    asm.emit(fp_compare(prec, src, v31))
    asm.bcc(Cond.ge, overflow)
    fconst(asm, prec, v31, _float_bits(lo, prec))
    asm.emit(fp_compare(prec, src, v31))
    asm.bcc(too_small, overflow)
    asm.emit(fp_int(FpIntOp.fcvtzs if signed else FpIntOp.fcvtzu, size, prec, dst, src))


# -- memory ---------------------------------------------------------------------------------


def checked_address(asm: FarAssembler, addr: Gpr, offset: int, width: int,
                    trap: TrapFn, checked: bool = False) -> tuple[Gpr, int | None]:  # fmt: skip
    """Bounds-check [addr + offset, +width) against the memory size (unless an earlier
    check covers it: ``checked``). Returns how to reach the bytes: (``addr``, None) for
    [x26, w(addr), uxtw] (offset 0), or (x16, -width) for [x16, #-width]."""
    if checked and offset == 0:
        return addr, None
    mov_imm(asm, 64, x16, offset + width)
    asm.emit(add_sub_extended(AddSubOp.add, 64, x16, x16, addr, Extend.uxtw))
    if not checked:
        ldst(asm, LdSt.ldr_x, x17, x27, ModuleCtx.MEMORY_SIZE)
        asm.emit(cmp_reg(64, x16, x17))
        asm.bcc(Cond.hi, trap(TrapCode.OUT_OF_BOUNDS_MEMORY))
    if offset == 0:
        return addr, None
    asm.emit(add_sub_shifted(AddSubOp.add, 64, x16, x26, x16))
    return x16, -width


def access(asm: Assembler, op: LdSt, rt: Gpr | Vec, where: tuple[Gpr, int | None]) -> None:
    """The load or store ``op`` at what :func:`checked_address` returned."""
    base, disp = where
    if disp is None:
        asm.emit(ldst_reg(op, rt, x26, base, Extend.uxtw))
    else:
        asm.emit(ldst_simm9(op, Index.unscaled, rt, base, SImm9(disp)))


def _check_range(asm: FarAssembler, start: Gpr, n: Gpr, oob: Label) -> None:
    """Trap unless start + n (i32s) <= memory size."""
    asm.emit(mov_reg(32, x16, n))
    asm.emit(add_sub_extended(AddSubOp.add, 64, x16, x16, start, Extend.uxtw))
    ldst(asm, LdSt.ldr_x, x17, x27, ModuleCtx.MEMORY_SIZE)
    asm.emit(cmp_reg(64, x16, x17))
    asm.bcc(Cond.hi, oob)


def _post(asm: Assembler, op: LdSt, rt: Gpr, rn: Gpr, step: int, pre: bool = False) -> None:
    asm.emit(ldst_simm9(op, Index.pre if pre else Index.post, rt, rn, SImm9(step)))


def _count_down(asm: FarAssembler, counter: Gpr, step: int, loop: Label) -> None:
    asm.emit(add_sub_imm(AddSubOp.subs, 64, counter, counter, Imm12(step)))
    asm.bcc(Cond.ne, loop)


def mem_copy(asm: FarAssembler, dst: Gpr, src: Gpr, n: Gpr, temps: tuple[Gpr, Gpr, Gpr],
             trap: TrapFn) -> None:  # fmt: skip
    """memory.copy: bounds checks (an empty copy past the end traps too), then a copy
    forwards, or backwards when dst lies in (src, src + n) (memmove)."""
    oob = trap(TrapCode.OUT_OF_BOUNDS_MEMORY)
    _check_range(asm, dst, n, oob)
    _check_range(asm, src, n, oob)
    d, s, count = temps
    asm.emit(add_sub_extended(AddSubOp.add, 64, d, x26, dst, Extend.uxtw))
    asm.emit(add_sub_extended(AddSubOp.add, 64, s, x26, src, Extend.uxtw))
    asm.emit(mov_reg(32, count, n))
    done, backward, fwd, fwd_bytes, bwd = (asm.new_label() for _ in range(5))
    asm.cbz_far(64, count, done)
    asm.emit(add_sub_shifted(AddSubOp.sub, 64, x16, d, s))
    asm.emit(cmp_reg(64, x16, count))
    asm.bcc(Cond.lo, backward)
    # Forwards: 8 bytes at a time while 8 or more are left, then bytes.
    asm.emit(add_sub_imm(AddSubOp.subs, 64, xzr, count, Imm12(8)))
    asm.bcc(Cond.lo, fwd_bytes)
    asm.bind(fwd)
    _post(asm, LdSt.ldr_x, x16, s, 8)
    _post(asm, LdSt.str_x, x16, d, 8)
    asm.emit(add_sub_imm(AddSubOp.sub, 64, count, count, Imm12(8)))
    asm.emit(add_sub_imm(AddSubOp.subs, 64, xzr, count, Imm12(8)))
    asm.bcc(Cond.hs, fwd)
    asm.cbz_far(64, count, done)
    asm.bind(fwd_bytes)
    loop = asm.new_label()
    asm.bind(loop)
    _post(asm, LdSt.ldrb, x16, s, 1)
    _post(asm, LdSt.strb, x16, d, 1)
    _count_down(asm, count, 1, loop)
    asm.b(done)
    asm.bind(backward)
    asm.emit(add_sub_shifted(AddSubOp.add, 64, d, d, count))
    asm.emit(add_sub_shifted(AddSubOp.add, 64, s, s, count))
    asm.bind(bwd)
    _post(asm, LdSt.ldrb, x16, s, -1, pre=True)
    _post(asm, LdSt.strb, x16, d, -1, pre=True)
    _count_down(asm, count, 1, bwd)
    asm.bind(done)


def mem_fill(asm: FarAssembler, dst: Gpr, value: Gpr, n: Gpr, temps: tuple[Gpr, Gpr],
             trap: TrapFn) -> None:  # fmt: skip
    """memory.fill: a bounds check, then a byte loop storing the low byte of value."""
    _check_range(asm, dst, n, trap(TrapCode.OUT_OF_BOUNDS_MEMORY))
    d, count = temps
    asm.emit(add_sub_extended(AddSubOp.add, 64, d, x26, dst, Extend.uxtw))
    asm.emit(mov_reg(32, count, n))
    done, loop = asm.new_label(), asm.new_label()
    asm.cbz_far(64, count, done)
    asm.bind(loop)
    _post(asm, LdSt.strb, value, d, 1)
    _count_down(asm, count, 1, loop)
    asm.bind(done)

