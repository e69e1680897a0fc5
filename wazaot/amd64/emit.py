"""x86-64 emission: the allocated machine IR of a function -> bytes in the module assembler.

The walk over blocks, the allocator's edits, the source map, trap stubs and jump
tables is shared (:class:`wazaot.machinst.emit.EmitDriver`); this file gives it the
x86 prologue and epilogue, moves between registers and spill slots, the trap stub,
and one emitter per instruction class (``EMITTERS``), which receives the allocated
registers in the order of the instruction's ``operands()`` visitor.

Every function is emitted into the module's one ``Assembler``, so calls within a
module are plain ``call rel32`` to a label.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..lower import common_inst as C
from ..lower.common_emit import COMMON_EMITTERS, cond_regs
from ..lower.ops import Operation, Rounding
from ..machinst import PReg, RegClass, SpillSlot
from ..machinst import pseudo as P
from ..machinst.emit import EmitDriver, EmitFn, EmitterTable
from ..traps import TrapCode
from ..vmctx import MEMORY_LIMIT_WIDTH, Exec, Exit, FuncRef, ModuleCtx, Table, exit_code
from . import inst as I
from . import sequences
from .abi import gpr, xmm
from .args import Cond, Label, Mem
from .encoding import Assembler
from .regs import GPRS, XMMS, r11, r13, r14, r15, rbp, rsp

__all__ = ["EMITTERS", "Emitter"]

EMITTERS = EmitterTable(COMMON_EMITTERS)
emits = EMITTERS.register


class Emitter(EmitDriver[Label]):
    """Emits one function into the module assembler ``asm``."""

    emitters = EMITTERS
    asm: Assembler

    def __init__(self, asm: Assembler, func_labels: Sequence[Label], stack_trap: bool = True):
        super().__init__(asm, func_labels, stack_trap)
        # Out-of-line exact bounds checks: (label, address, end, label back, source).
        self.slow_checks: list[tuple[Label, PReg, int, Label, int]] = []

    def slot_mem(self, slot: SpillSlot) -> Mem:
        assert self.frame is not None
        return Mem(rbp, disp=self.frame.slot_offset(slot))

    # -- hooks of the driver ------------------------------------------------------------

    def jump(self, label: Label) -> None:
        self.asm.jmp(label)

    def move_reg(self, dst: PReg, src: PReg) -> None:
        if src.cls is RegClass.INT:
            self.asm.emit("mov", 64, GPRS[dst.hw], GPRS[src.hw])
        else:
            self.asm.emit("movaps", None, XMMS[dst.hw], XMMS[src.hw])

    def spill(self, store: bool, reg: PReg, slot: SpillSlot) -> None:
        if reg.cls is RegClass.INT:
            mnemonic, size, r = "mov", 64, GPRS[reg.hw]
        else:
            mnemonic, size, r = "movups", None, XMMS[reg.hw]  # the whole register
        if store:
            self.asm.emit(mnemonic, size, self.slot_mem(slot), r)
        else:
            self.asm.emit(mnemonic, size, r, self.slot_mem(slot))

    def prologue(self) -> None:
        asm, frame = self.asm, self.frame
        assert frame is not None
        asm.push(rbp)
        asm.mov(64, rbp, rsp)
        if frame.size:
            asm.alu("sub", 64, rsp, frame.size)
        if self.stack_trap:
            asm.alu("cmp", 64, rsp, Mem(r15, disp=Exec.STACK_LIMIT))
            asm.jcc(Cond.b, self.trap(TrapCode.STACK_EXHAUSTED))
        for i, preg in enumerate(frame.saved):
            asm.mov(64, Mem(rbp, disp=frame.saved_offset(i)), gpr(preg))
        if frame.ctx_slot is not None:
            asm.mov(64, Mem(rbp, disp=frame.ctx_slot), r14)

    def epilogue(self) -> None:
        asm, frame = self.asm, self.frame
        assert frame is not None
        for i, preg in enumerate(frame.saved):
            asm.mov(64, gpr(preg), Mem(rbp, disp=frame.saved_offset(i)))
        asm.mov(64, rsp, rbp)
        asm.pop(rbp)
        asm.ret()

    def check_end(self, addr: PReg, end: int) -> None:
        """Trap unless ``addr + end`` (r11 holds it after) is within the memory size."""
        asm = self.asm
        if end < (1 << 31):
            asm.lea(64, r11, Mem(gpr(addr), disp=end))
        else:
            asm.mov(64, r11, end)
            asm.alu("add", 64, r11, gpr(addr))
        asm.alu("cmp", 64, r11, Mem(r14, disp=ModuleCtx.MEMORY_SIZE))
        asm.jcc(Cond.a, self.trap(TrapCode.OUT_OF_BOUNDS_MEMORY))

    def slow_bounds(self, addr: PReg, end: int, back: Label) -> Label:
        """A label of an out-of-line exact bounds check of [addr, addr + end) (end at
        most 16): it traps, or jumps to ``back``."""
        label = self.asm.new_label()
        self.slow_checks.append((label, addr, end, back, self.src))
        return label

    def emit_trap_stubs(self) -> None:
        asm = self.asm
        for label, addr, end, back, src in self.slow_checks:
            self.srcmap.append((asm.offset, src))
            self.src = src
            asm.bind(label)
            self.check_end(addr, end)
            asm.jmp(back)
        self.slow_checks.clear()
        super().emit_trap_stubs()

    def trap_stub_code(self, code: TrapCode) -> bytes:
        asm = Assembler()
        if code == TrapCode.STACK_EXHAUSTED:
            asm.mov(64, rsp, rbp)  # the frame may be past the limit: use the caller's
        asm.mov(64, Mem(r15, disp=Exec.EXIT_CODE), exit_code(Exit.TRAP, code))
        asm.call(Mem(r15, disp=Exec.EXIT_STUB))
        asm.ud2()
        return asm.finish()

    def branch(self, cond: C.Condition, regs: Sequence[PReg], holds: bool,
               target: Label) -> None:  # fmt: skip
        cc = set_flags(self, cond, regs)
        if holds:
            branch_if(self, cc, target)
        else:
            branch_unless(self, cc, target)

    def load_fconst(self, prec: int, dst: PReg, bits: int) -> None:
        x = xmm(dst)
        if bits == 0:
            self.asm.sse("xorps", x, x)
            return
        self.asm.mov(64 if bits >> 32 else 32, r11, bits)
        (self.asm.movd if prec == 32 else self.asm.movq)(x, r11)

    def vector_low(self, dst: PReg, bits: int) -> None:
        self.asm.mov(64 if bits >> 32 else 32, r11, bits)
        self.asm.movq(xmm(dst), r11)  # zeroes bits 64-127

    def vector_zero(self, dst: PReg) -> None:
        self.asm.sse("pxor", xmm(dst), xmm(dst))

    def vector_high(self, dst: PReg, bits: int) -> None:
        self.asm.mov(64 if bits >> 32 else 32, r11, bits)
        self.asm.pinsrq(xmm(dst), r11, 1)

    def jump_if_ordered(self, prec: int, reg: PReg, target: Label) -> None:
        x = xmm(reg)
        (self.asm.ucomiss if prec == 32 else self.asm.ucomisd)(x, x)
        self.asm.jcc(Cond.np, target)

    # -- helpers of the emitters ----------------------------------------------------------

    def restore_context(self) -> None:
        """After a call into another instance: our module context and memory base."""
        assert self.frame is not None and self.frame.ctx_slot is not None
        self.asm.mov(64, r14, Mem(rbp, disp=self.frame.ctx_slot))
        self.asm.mov(64, r13, Mem(r14, disp=ModuleCtx.MEMORY_BASE))


# -- conditions -------------------------------------------------------------------------------


def set_flags(e: Emitter, cond: C.Condition, regs: Sequence[PReg]) -> Cond | str:
    """Emit the comparison of ``cond``; returns the x86 condition that is true when
    ``cond`` holds, or "feq"/"fne" for the float comparisons that also need the
    parity flag (unordered operands)."""
    asm = e.asm
    if type(cond) is C.IntCond:
        if cond.rhs is None:
            asm.alu("cmp", cond.size, gpr(regs[0]), cond.imm)
        else:
            asm.alu("cmp", cond.size, gpr(regs[0]), gpr(regs[1]))
        return cond.cc
    if type(cond) is C.NonZero:
        asm.test(cond.size, gpr(regs[0]), gpr(regs[0]))
        return Cond.e if cond.negate else Cond.ne
    assert type(cond) is C.FloatCond
    a, b = xmm(regs[0]), xmm(regs[1])
    ucomis = asm.ucomiss if cond.prec == 32 else asm.ucomisd
    if cond.op is Operation.LT or cond.op is Operation.LE:
        a, b = b, a
    ucomis(a, b)
    return _FLOAT_CC[cond.op]


# After ``ucomis`` (lt/le with swapped operands): the condition, or "feq"/"fne" for
# the two that also test the parity flag.
_FLOAT_CC: dict[Operation, Cond | str] = {
    Operation.EQ: "feq", Operation.NE: "fne", Operation.LT: Cond.a, Operation.GT: Cond.a,
    Operation.LE: Cond.ae, Operation.GE: Cond.ae,
}  # fmt: skip
_FCMP = {Operation.EQ: "eq", Operation.NE: "ne", Operation.LT: "lt", Operation.GT: "gt",
         Operation.LE: "le", Operation.GE: "ge"}  # fmt: skip


def branch_if(e: Emitter, cc: Cond | str, target: Label) -> None:
    """Jump to ``target`` if the condition ``cc`` (from ``set_flags``) holds."""
    asm = e.asm
    if cc == "feq":
        skip = asm.new_label()
        asm.jcc(Cond.p, skip)
        asm.jcc(Cond.e, target)
        asm.bind(skip)
    elif cc == "fne":
        asm.jcc(Cond.p, target)
        asm.jcc(Cond.ne, target)
    else:
        asm.jcc(cc, target)  # type: ignore[arg-type]


def branch_unless(e: Emitter, cc: Cond | str, target: Label) -> None:
    asm = e.asm
    if cc == "feq":
        asm.jcc(Cond.p, target)
        asm.jcc(Cond.ne, target)
    elif cc == "fne":
        skip = asm.new_label()
        asm.jcc(Cond.p, skip)
        asm.jcc(Cond.e, target)
        asm.bind(skip)
    else:
        asm.jcc(cc.invert(), target)  # type: ignore[union-attr]


@emits(C.SetCond)
def _set_cond(e: Emitter, inst: C.SetCond, regs: Sequence[PReg]) -> None:
    asm = e.asm
    dst = gpr(regs[-1])
    cond = inst.cond
    if type(cond) is C.FloatCond:
        sequences.fcmp_set(asm, cond.prec, _FCMP[cond.op], dst, xmm(regs[0]), xmm(regs[1]))  # type: ignore[arg-type]
        return
    cc = set_flags(e, cond, regs)
    asm.setcc(cc, dst)  # type: ignore[arg-type]
    asm.movzx(32, dst, dst, src_size=8)


@emits(I.Select)
def _select(e: Emitter, inst: I.Select, regs: Sequence[PReg]) -> None:
    asm = e.asm
    k = cond_regs(inst.cond)
    cc = set_flags(e, inst.cond, regs[:k])
    a, b, dst = regs[k], regs[k + 1], regs[k + 2]
    if dst.cls is RegClass.INT and isinstance(cc, Cond):
        asm.mov(64, gpr(dst), gpr(b))
        asm.cmovcc(64, cc, gpr(dst), gpr(a))
        return
    mov = (lambda d, s: asm.mov(64, gpr(d), gpr(s))) if dst.cls is RegClass.INT else (
        lambda d, s: asm.movaps(xmm(d), xmm(s)))  # fmt: skip
    skip = asm.new_label()
    mov(dst, b)
    branch_unless(e, cc, skip)
    mov(dst, a)
    asm.bind(skip)


# -- constants, integer arithmetic -------------------------------------------------------


@emits(C.MovImm)
def _mov_imm(e: Emitter, inst: C.MovImm, regs: Sequence[PReg]) -> None:
    dst = gpr(regs[0])
    imm = inst.imm & (0xFFFF_FFFF if inst.size == 32 else 0xFFFF_FFFF_FFFF_FFFF)
    e.asm.mov(64 if imm >> 32 else 32, dst, imm)


@emits(I.AluRRR)
def _alu_rrr(e: Emitter, inst: I.AluRRR, regs: Sequence[PReg]) -> None:
    lhs, rhs, dst = regs
    assert dst is lhs
    if inst.op is I.AluOp.IMUL:
        e.asm.imul(inst.size, gpr(dst), gpr(rhs))
    else:
        e.asm.alu(inst.op.value, inst.size, gpr(dst), gpr(rhs))


@emits(I.AluRRImm)
def _alu_rr_imm(e: Emitter, inst: I.AluRRImm, regs: Sequence[PReg]) -> None:
    e.asm.alu(inst.op.value, inst.size, gpr(regs[1]), inst.imm)


@emits(I.AddImm)
def _add_imm(e: Emitter, inst: I.AddImm, regs: Sequence[PReg]) -> None:
    src, dst = gpr(regs[0]), gpr(regs[1])
    if src is dst:
        e.asm.alu("add", inst.size, dst, inst.imm)
    else:
        e.asm.lea(inst.size, dst, Mem(src, disp=inst.imm))


@emits(I.MulImm)
def _mul_imm(e: Emitter, inst: I.MulImm, regs: Sequence[PReg]) -> None:
    src, dst = regs
    e.asm.imul(inst.size, gpr(dst), gpr(src), inst.imm)


@emits(I.ShiftRR)
def _shift_rr(e: Emitter, inst: I.ShiftRR, regs: Sequence[PReg]) -> None:
    lhs, count, dst = regs
    e.asm.shift(inst.op.value, inst.size, gpr(dst), gpr(count))


@emits(I.ShiftImm)
def _shift_imm(e: Emitter, inst: I.ShiftImm, regs: Sequence[PReg]) -> None:
    if inst.imm:
        e.asm.shift(inst.op.value, inst.size, gpr(regs[1]), inst.imm)
    elif inst.size == 32:
        e.asm.mov(32, gpr(regs[1]), gpr(regs[1]))  # keep the upper half zero


@emits(C.Extend)
def _extend(e: Emitter, inst: C.Extend, regs: Sequence[PReg]) -> None:
    src, dst = gpr(regs[0]), gpr(regs[1])
    if not inst.signed:
        e.asm.mov(32, dst, src)
    else:
        e.asm.movsx(inst.size, dst, src, src_size=inst.from_bits)


@emits(I.DivRem)
def _div_rem(e: Emitter, inst: I.DivRem, regs: Sequence[PReg]) -> None:
    lhs, rhs, dst = regs[0], regs[1], regs[-1]
    kind = ("rem_" if inst.rem else "div_") + ("s" if inst.signed else "u")
    sequences.div_rem(e.asm, kind, inst.size, gpr(dst), gpr(lhs), gpr(rhs), e.trap)  # type: ignore[arg-type]


@emits(I.FAlu)
def _falu(e: Emitter, inst: I.FAlu, regs: Sequence[PReg]) -> None:
    lhs, rhs, dst = regs
    assert dst is lhs
    e.asm.sse(inst.op.value + ("ss" if inst.prec == 32 else "sd"), xmm(dst), xmm(rhs))


# -- sequences (sequences.py) ----------------------------------------------------------------
# Their operands are the sources, then dst.


@emits(I.Clz)
def _clz(e: Emitter, inst: I.Clz, regs: Sequence[PReg]) -> None:
    fn = sequences.clz_native if inst.native else sequences.clz_fallback
    fn(e.asm, inst.size, gpr(regs[1]), gpr(regs[0]))  # type: ignore[arg-type]


@emits(I.Ctz)
def _ctz(e: Emitter, inst: I.Ctz, regs: Sequence[PReg]) -> None:
    fn = sequences.ctz_native if inst.native else sequences.ctz_fallback
    fn(e.asm, inst.size, gpr(regs[1]), gpr(regs[0]))  # type: ignore[arg-type]


@emits(I.Popcnt)
def _popcnt(e: Emitter, inst: I.Popcnt, regs: Sequence[PReg]) -> None:
    fn = sequences.popcnt_native if inst.native else sequences.popcnt_fallback
    fn(e.asm, inst.size, gpr(regs[1]), gpr(regs[0]))  # type: ignore[arg-type]


def _float_binary(fn: Callable[..., None]) -> EmitFn:
    def emit(e: Emitter, inst: Any, regs: Sequence[PReg]) -> None:
        a, b, dst = regs
        fn(e.asm, inst.prec, xmm(dst), xmm(a), xmm(b))

    return emit


def _float_unary(fn: Callable[..., None]) -> EmitFn:
    def emit(e: Emitter, inst: Any, regs: Sequence[PReg]) -> None:
        src, dst = regs
        fn(e.asm, inst.prec, xmm(dst), xmm(src))

    return emit


emits(I.FMin)(_float_binary(sequences.fmin))
emits(I.FMax)(_float_binary(sequences.fmax))
emits(C.FCopysign)(_float_binary(sequences.fcopysign))
emits(C.FSqrt)(_float_unary(sequences.fsqrt))
emits(C.FNeg)(_float_unary(sequences.fneg))
emits(C.FAbs)(_float_unary(sequences.fabs))

_ROUNDING = {Rounding.NEAREST: "nearest", Rounding.FLOOR: "floor", Rounding.CEIL: "ceil",
             Rounding.TRUNC: "trunc"}  # fmt: skip


@emits(C.FRound)
def _fround(e: Emitter, inst: C.FRound, regs: Sequence[PReg]) -> None:
    src, dst = regs
    sequences.fround(e.asm, inst.prec, _ROUNDING[inst.mode], xmm(dst), xmm(src))  # type: ignore[arg-type]


@emits(C.TruncChecked)
def _trunc_checked(e: Emitter, inst: C.TruncChecked, regs: Sequence[PReg]) -> None:
    src, dst = regs
    sequences.trunc_checked(e.asm, inst.src_prec, inst.size, inst.signed, gpr(dst),  # type: ignore[arg-type]
                            xmm(src), e.trap)  # fmt: skip


@emits(C.TruncSat)
def _trunc_sat(e: Emitter, inst: C.TruncSat, regs: Sequence[PReg]) -> None:
    src, dst = regs
    sequences.trunc_sat(e.asm, inst.src_prec, inst.size, inst.signed, gpr(dst), xmm(src))  # type: ignore[arg-type]


@emits(C.Convert)
def _convert(e: Emitter, inst: C.Convert, regs: Sequence[PReg]) -> None:
    src, dst = regs
    sequences.convert(e.asm, inst.src_size, inst.signed, inst.prec, xmm(dst), gpr(src))  # type: ignore[arg-type]


@emits(I.Demote)
def _demote(e: Emitter, inst: I.Demote, regs: Sequence[PReg]) -> None:
    sequences.demote(e.asm, xmm(regs[1]), xmm(regs[0]))


@emits(I.Promote)
def _promote(e: Emitter, inst: I.Promote, regs: Sequence[PReg]) -> None:
    sequences.promote(e.asm, xmm(regs[1]), xmm(regs[0]))


@emits(C.Reinterpret)
def _reinterpret(e: Emitter, inst: C.Reinterpret, regs: Sequence[PReg]) -> None:
    src, dst = regs
    sequences.reinterpret(e.asm, inst.size, _any_reg(dst), _any_reg(src))  # type: ignore[arg-type]


def _any_reg(p: PReg) -> Any:
    return gpr(p) if p.cls is RegClass.INT else xmm(p)


# -- memory -------------------------------------------------------------------------------------


def _address(e: Emitter, addr: PReg, offset: int, width: int, checked: bool) -> Mem:
    """The operand of an access; bounds-checked unless an earlier check covers it."""
    if checked and offset < (1 << 31):
        return Mem(r13, gpr(addr), 1, offset)
    return _checked_address(e, addr, offset, width)


def _checked_address(e: Emitter, addr: PReg, offset: int, width: int) -> Mem:
    """Bounds-check [addr + offset, +width) against the memory size; the operand.

    When ``offset + width`` is at most 16 (most accesses), one compare with the memory
    limit (``ModuleCtx.MEMORY_LIMIT``: the size less 15) suffices; an address at or
    above it goes to the exact check, out of line (``Emitter.slow_bounds``), which
    traps or comes back."""
    asm = e.asm
    end = offset + width
    if end <= MEMORY_LIMIT_WIDTH:
        asm.alu("cmp", 64, gpr(addr), Mem(r14, disp=ModuleCtx.MEMORY_LIMIT))
        back = asm.new_label()
        asm.jcc(Cond.ae, e.slow_bounds(addr, end, back))
        asm.bind(back)
        return Mem(r13, gpr(addr), 1, offset)
    e.check_end(addr, end)
    if offset < (1 << 31):
        return Mem(r13, gpr(addr), 1, offset)
    asm.lea(64, r11, Mem(r11, disp=-width))
    return Mem(r13, r11)


@emits(C.WasmLoad)
def _wasm_load(e: Emitter, inst: C.WasmLoad, regs: Sequence[PReg]) -> None:
    asm = e.asm
    addr, dst = regs
    op = inst.op
    width, signed, bits = op.bits // 8, op.signed, op.size
    mem = _address(e, addr, inst.offset, width, inst.checked)
    if op.operation is Operation.VECTOR:
        _vector_load(e, op.name, xmm(dst), mem)
    elif op.is_float:
        (asm.movss if width == 4 else asm.movsd)(xmm(dst), mem)
    elif width == 8:
        asm.mov(64, gpr(dst), mem)
    elif width == 4:
        if signed:
            asm.movsx(64, gpr(dst), mem, src_size=32)
        else:
            asm.mov(32, gpr(dst), mem)
    elif width == 16:
        asm.movdqu(xmm(dst), mem)
    elif signed:
        asm.movsx(bits, gpr(dst), mem, src_size=width * 8)
    else:
        asm.movzx(32, gpr(dst), mem, src_size=width * 8)


_WIDENING_LOADS = {
    f"v128.load{shape}_{s}": f"pmov{'s' if s == 's' else 'z'}x{pair}"
    for shape, pair in (("8x8", "bw"), ("16x4", "wd"), ("32x2", "dq")) for s in "su"
}  # fmt: skip


def _vector_load(e: Emitter, name: str, dst: Any, mem: Mem) -> None:
    """The SIMD loads of ``Amd64Lowering.vector_loads``, in SSE forms (which mix with
    VEX.128 code at no cost): pmovsx/pmovzx from memory; movddup (64-bit splat); movss
    and pshufd (32-bit splat)."""
    asm = e.asm
    if name in _WIDENING_LOADS:
        asm.emit(_WIDENING_LOADS[name], None, dst, mem)
    elif name == "v128.load64_splat":
        asm.emit("movddup", None, dst, mem)
    else:
        asm.movss(dst, mem)
        asm.emit("pshufd", None, dst, dst, 0)


@emits(C.WasmStore)
def _wasm_store(e: Emitter, inst: C.WasmStore, regs: Sequence[PReg]) -> None:
    asm = e.asm
    src, addr = regs
    op = inst.op
    mem = _address(e, addr, inst.offset, op.bits // 8, inst.checked)
    if op.is_float:
        (asm.movss if op.bits == 32 else asm.movsd)(mem, xmm(src))
    elif op.bits == 128:
        asm.movdqu(mem, xmm(src))
    else:
        asm.mov(op.bits, mem, gpr(src))


@emits(I.MemCopy)
def _mem_copy(e: Emitter, inst: I.MemCopy, regs: Sequence[PReg]) -> None:
    # rdi, rsi, rcx hold dst, src, n (i32s, upper halves zero): the 64-bit sums
    # cannot overflow, and n == 0 still traps on an offset past the end.
    asm = e.asm
    dst, src, n = (gpr(r) for r in regs)
    oob = e.trap(TrapCode.OUT_OF_BOUNDS_MEMORY)
    for addr in (dst, src):
        asm.lea(64, r11, Mem(addr, n, 1))
        asm.alu("cmp", 64, r11, Mem(r14, disp=ModuleCtx.MEMORY_SIZE))
        asm.jcc(Cond.a, oob)
    asm.alu("add", 64, dst, r13)
    asm.alu("add", 64, src, r13)
    # Forwards unless dst lies in (src, src + n): then the copy would read bytes it
    # has already overwritten, so copy backwards (memmove).
    backward, done = asm.new_label(), asm.new_label()
    asm.mov(64, r11, dst)
    asm.alu("sub", 64, r11, src)
    asm.alu("cmp", 64, r11, n)
    asm.jcc(Cond.b, backward)
    asm.rep_movsb()
    asm.jmp(done)
    asm.bind(backward)
    asm.lea(64, src, Mem(src, n, 1, -1))
    asm.lea(64, dst, Mem(dst, n, 1, -1))
    asm.std()
    asm.rep_movsb()
    asm.cld()
    asm.bind(done)


@emits(I.MemFill)
def _mem_fill(e: Emitter, inst: I.MemFill, regs: Sequence[PReg]) -> None:
    asm = e.asm
    dst, _, n = (gpr(r) for r in regs)
    asm.lea(64, r11, Mem(dst, n, 1))
    asm.alu("cmp", 64, r11, Mem(r14, disp=ModuleCtx.MEMORY_SIZE))
    asm.jcc(Cond.a, e.trap(TrapCode.OUT_OF_BOUNDS_MEMORY))
    asm.alu("add", 64, dst, r13)
    asm.rep_stosb()  # stores al: only the low byte of the value


@emits(C.LoadCtx)
def _load_ctx(e: Emitter, inst: C.LoadCtx, regs: Sequence[PReg]) -> None:
    asm = e.asm
    dst = regs[0]
    if not inst.deref:
        asm.mov(64, gpr(dst), Mem(r14, disp=inst.disp))
        return
    asm.mov(64, r11, Mem(r14, disp=inst.disp))
    mem = Mem(r11, disp=inst.field)
    if dst.cls is RegClass.FLOAT:
        _FLOAT_MOVES[inst.width](asm, xmm(dst), mem)
    else:
        asm.mov(inst.width * 8, gpr(dst), mem)


@emits(C.StoreGlobal)
def _store_global(e: Emitter, inst: C.StoreGlobal, regs: Sequence[PReg]) -> None:
    asm = e.asm
    src = regs[0]
    asm.mov(64, r11, Mem(r14, disp=inst.disp))
    if src.cls is RegClass.FLOAT:
        _FLOAT_MOVES[inst.width](asm, Mem(r11), xmm(src))
    else:
        asm.mov(inst.width * 8, Mem(r11), gpr(src))


_FLOAT_MOVES = {4: Assembler.movss, 8: Assembler.movsd, 16: Assembler.movdqu}
"""The load or store of a float or v128 global's cell, by its width in bytes."""


@emits(C.TableAccess)
def _table_access(e: Emitter, inst: C.TableAccess, regs: Sequence[PReg]) -> None:
    asm = e.asm
    index = gpr(regs[0])
    asm.mov(64, r11, Mem(r14, disp=inst.table_disp))
    asm.alu("cmp", 64, index, Mem(r11, disp=Table.SIZE))
    asm.jcc(Cond.ae, e.trap(TrapCode.OUT_OF_BOUNDS_TABLE))
    asm.mov(64, r11, Mem(r11, disp=Table.ELEMS))
    if inst.src is not None:
        asm.mov(64, Mem(r11, index, 8), gpr(regs[1]))
    else:
        asm.mov(64, gpr(regs[1]), Mem(r11, index, 8))


@emits(P.StackSlot)
def _stack_slot(e: Emitter, inst: P.StackSlot, regs: Sequence[PReg]) -> None:
    asm = e.asm
    reg = regs[0]
    if inst.area is P.SlotArea.INCOMING:
        mem = Mem(rbp, disp=16 + 8 * inst.slot)
    else:
        mem = Mem(rsp, disp=8 * inst.slot)
    if reg.cls is RegClass.INT:
        if inst.store:
            asm.mov(64, mem, gpr(reg))
        else:
            asm.mov(64, gpr(reg), mem)
    elif inst.wide:
        if inst.store:
            asm.movdqu(mem, xmm(reg))
        else:
            asm.movdqu(xmm(reg), mem)
    elif inst.store:
        asm.movsd(mem, xmm(reg))
    else:
        asm.movsd(xmm(reg), mem)


# -- calls, exits, control flow -------------------------------------------------------------------


@emits(P.Call)
def _call(e: Emitter, inst: P.Call, regs: Sequence[PReg]) -> None:
    asm = e.asm
    if inst.kind is P.CallKind.DIRECT:
        asm.call(e.func_labels[inst.target])
        return
    asm.mov(64, r11, Mem(r14, disp=inst.target))
    if inst.kind is P.CallKind.INDIRECT:
        index = gpr(regs[len(inst.args)])
        asm.alu("cmp", 64, index, Mem(r11, disp=Table.SIZE))
        asm.jcc(Cond.ae, e.trap(TrapCode.UNDEFINED_ELEMENT))
        asm.mov(64, r11, Mem(r11, disp=Table.ELEMS))
        asm.mov(64, r11, Mem(r11, index, 8))
        asm.test(64, r11, r11)
        asm.jcc(Cond.e, e.trap(TrapCode.UNINITIALIZED_ELEMENT))
        asm.alu("cmp", 64, Mem(r11, disp=FuncRef.TYPE_ID), inst.type_id)
        asm.jcc(Cond.ne, e.trap(TrapCode.INDIRECT_CALL_TYPE_MISMATCH))
    asm.mov(64, Mem(r15, disp=Exec.CALLER_MODULE), r14)
    asm.mov(64, r14, Mem(r11, disp=FuncRef.MODULE_CTX))
    asm.mov(64, r13, Mem(r14, disp=ModuleCtx.MEMORY_BASE))
    asm.call(Mem(r11, disp=FuncRef.CODE))
    e.restore_context()


@emits(P.Exit)
def _exit(e: Emitter, inst: P.Exit, regs: Sequence[PReg]) -> None:
    asm = e.asm
    for i, reg in enumerate(regs[: len(inst.args)]):
        asm.mov(64, Mem(r15, disp=Exec.ARGS + 8 * i), gpr(reg))
    asm.mov(64, Mem(r15, disp=Exec.EXIT_CODE), exit_code(Exit.BUILTIN, inst.builtin))
    asm.call(Mem(r15, disp=Exec.EXIT_STUB))
    if inst.dst is not None:
        asm.mov(32, gpr(regs[-1]), Mem(r15, disp=Exec.ARGS))


@emits(P.Notify)
def _notify(e: Emitter, inst: P.Notify, regs: Sequence[PReg]) -> None:
    asm = e.asm
    if regs:
        asm.mov(64, r11, Mem(r15, disp=Exec.SLOTS))
    slot = inst.first_slot
    for i, reg in enumerate(regs):
        if reg.cls is RegClass.INT:
            asm.mov(64, Mem(r11, disp=8 * slot), gpr(reg))
        elif i in inst.wide:
            asm.movdqu(Mem(r11, disp=8 * slot), xmm(reg))
            slot += 1
        else:
            asm.movsd(Mem(r11, disp=8 * slot), xmm(reg))
        slot += 1
    if inst.exits:
        asm.mov(64, Mem(r15, disp=Exec.EXIT_CODE), inst.code)
        asm.call(Mem(r15, disp=Exec.EXIT_STUB))


@emits(P.InterruptCheck)
def _interrupt_check(e: Emitter, inst: P.InterruptCheck, regs: Sequence[PReg]) -> None:
    e.asm.alu("cmp", 64, Mem(r15, disp=Exec.INTERRUPT), 0)
    e.asm.jcc(Cond.ne, e.trap(TrapCode.INTERRUPTED))


@emits(P.JmpTable)
def _jmp_table(e: Emitter, inst: P.JmpTable, regs: Sequence[PReg]) -> None:
    asm = e.asm
    index = gpr(regs[0])
    asm.alu("cmp", 64, index, len(inst.targets))  # a body is far below 2^31 targets
    asm.jcc(Cond.ae, e.block_labels[inst.default])
    asm.lea(64, r11, Mem.rip(e.jump_table(inst.targets)))
    asm.jmp(Mem(r11, index, 8))
