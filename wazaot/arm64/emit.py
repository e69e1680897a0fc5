"""arm64 emission: the allocated machine IR of a function -> words in the module assembler.

The walk over blocks, the allocator's edits, the source map, trap stubs and jump
tables is shared (:class:`wazaot.machinst.emit.EmitDriver`); this file gives it the
arm64 prologue and epilogue, moves between registers and spill slots, the trap stub,
and one emitter per instruction class (``EMITTERS``), which receives the allocated
registers in the order of the instruction's ``operands()`` visitor.

Every function is emitted into the module's one assembler, so calls within a module
are plain ``bl`` to a label (±128 MiB).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..lower import common_inst as C
from ..lower.common_emit import COMMON_EMITTERS, cond_regs
from ..lower.ops import Operation, Rounding
from ..machinst import PReg, RegClass, SpillSlot
from ..machinst import pseudo as P
from ..machinst.emit import EmitDriver, EmitterTable
from ..machinst.formats import _FUnary
from ..traps import TrapCode
from ..vmctx import Exec, Exit, FuncRef, ModuleCtx, Table, exit_code
from . import inst as I
from . import sequences as S
from .abi import gpr, vec
from .args import Cond, Extend, Label, PairIndex
from .encoding import blr, br, brk, ret
from .encoding_alu import (
    AddSubOp,
    CselOp,
    Dp2Op,
    LogicOp,
    LogicRegOp,
    add_sub_extended,
    add_sub_imm,
    add_sub_shifted,
    asr_imm,
    cmn_imm,
    cmp_imm,
    cmp_reg,
    cond_select,
    cset,
    dp_2src,
    logical_imm,
    logical_shifted,
    lsl_imm,
    lsr_imm,
    mov_reg,
    mov_sp,
    mul,
    neg,
    ror_imm,
    sxtb,
    sxth,
    sxtw,
)
from .encoding_fp import (
    FpIntOp,
    FpOp1,
    FpOp2,
    fcvt,
    fp_compare,
    fp_csel,
    fp_dp1,
    fp_dp2,
    fp_int,
    vec_ins_x,
    vec_mov,
    vec_zero,
)
from .encoding_mem import LdSt, PairOp
from .imms import Imm12
from .regs import Gpr, sp, v31, x16, x17, x26, x27, x28, x29, x30, xzr
from .sequences import FarAssembler, ldst

__all__ = ["EMITTERS", "Emitter"]

EMITTERS = EmitterTable(COMMON_EMITTERS)
emits = EMITTERS.register


class Emitter(EmitDriver[Label]):
    """Emits one function into the module assembler ``asm``."""

    emitters = EMITTERS
    asm: FarAssembler

    def slot_offset(self, slot: SpillSlot) -> int:
        assert self.frame is not None
        return self.frame.slot_offset(slot)

    # -- hooks of the driver ------------------------------------------------------------

    def jump(self, label: Label) -> None:
        self.asm.b(label)

    def move_reg(self, dst: PReg, src: PReg) -> None:
        if src.cls is RegClass.INT:
            self.asm.emit(mov_reg(64, gpr(dst), gpr(src)))
        elif self.vectors:
            self.asm.emit(vec_mov(vec(dst), vec(src)))
        else:
            self.asm.emit(fp_dp1(FpOp1.fmov, 64, vec(dst), vec(src)))

    def spill(self, store: bool, reg: PReg, slot: SpillSlot) -> None:
        if reg.cls is RegClass.INT:
            ldst(self.asm, LdSt.str_x if store else LdSt.ldr_x, gpr(reg), x29, self.slot_offset(slot))
            return
        # A function with v128 values spills its FLOAT registers whole (q); the others
        # keep the 64-bit forms (d).
        if self.vectors:
            op = LdSt.str_q if store else LdSt.ldr_q
        else:
            op = LdSt.str_d if store else LdSt.ldr_d
        ldst(self.asm, op, vec(reg), x29, self.slot_offset(slot))

    def prologue(self) -> None:
        asm, frame = self.asm, self.frame
        assert frame is not None
        S.pair(asm, PairOp.stp_x, PairIndex.pre, x29, x30, sp, -16)
        asm.emit(mov_sp(64, x29, sp))
        if frame.size:
            S.add_imm(asm, sp, sp, -frame.size)
        if self.stack_trap:
            ldst(asm, LdSt.ldr_x, x16, x28, Exec.STACK_LIMIT)
            asm.emit(mov_sp(64, x17, sp))
            asm.emit(cmp_reg(64, x17, x16))
            asm.bcc(Cond.lo, self.trap(TrapCode.STACK_EXHAUSTED))
        for i, preg in enumerate(frame.saved):
            ldst(asm, LdSt.str_x, gpr(preg), x29, frame.saved_offset(i))
        if frame.ctx_slot is not None:
            ldst(asm, LdSt.str_x, x27, x29, frame.ctx_slot)

    def epilogue(self) -> None:
        asm, frame = self.asm, self.frame
        assert frame is not None
        for i, preg in enumerate(frame.saved):
            ldst(asm, LdSt.ldr_x, gpr(preg), x29, frame.saved_offset(i))
        asm.emit(mov_sp(64, sp, x29))
        S.pair(asm, PairOp.ldp_x, PairIndex.post, x29, x30, sp, 16)
        asm.emit(ret())

    def trap_stub_code(self, code: TrapCode) -> bytes:
        asm = FarAssembler()
        if code == TrapCode.STACK_EXHAUSTED:
            asm.emit(mov_sp(64, sp, x29))  # the frame may be past the limit: use the caller's
        S.mov_imm(asm, 64, x16, exit_code(Exit.TRAP, code))
        ldst(asm, LdSt.str_x, x16, x28, Exec.EXIT_CODE)
        ldst(asm, LdSt.ldr_x, x16, x28, Exec.EXIT_STUB)
        asm.emit(blr(x16))
        asm.emit(brk(0))
        return asm.finish()

    def branch(self, cond: C.Condition, regs: Sequence[PReg], holds: bool,
               target: Label) -> None:  # fmt: skip
        asm = self.asm
        if type(cond) is C.NonZero:
            if holds != cond.negate:
                asm.cbnz_far(cond.size, gpr(regs[0]), target)
            else:
                asm.cbz_far(cond.size, gpr(regs[0]), target)
            return
        cc = set_flags(self, cond, regs)
        asm.bcc(cc if holds else cc.invert(), target)

    def load_fconst(self, prec: int, dst: PReg, bits: int) -> None:
        S.fconst(self.asm, prec, vec(dst), bits)

    def vector_low(self, dst: PReg, bits: int) -> None:
        S.mov_imm(self.asm, 64, x16, bits)
        self.asm.emit(fp_int(FpIntOp.fmov_from_gpr, 64, 64, vec(dst), x16))  # zeroes bits 64-127

    def vector_zero(self, dst: PReg) -> None:
        self.asm.emit(vec_zero(vec(dst)))

    def vector_high(self, dst: PReg, bits: int) -> None:
        S.mov_imm(self.asm, 64, x16, bits)
        self.asm.emit(vec_ins_x(vec(dst), 1, x16))

    def jump_if_ordered(self, prec: int, reg: PReg, target: Label) -> None:
        v = vec(reg)
        self.asm.emit(fp_compare(prec, v, v))
        self.asm.bcc(Cond.vc, target)

    # -- helpers of the emitters ----------------------------------------------------------

    def restore_context(self) -> None:
        """After a call into another instance: our module context and memory base."""
        assert self.frame is not None and self.frame.ctx_slot is not None
        ldst(self.asm, LdSt.ldr_x, x27, x29, self.frame.ctx_slot)
        ldst(self.asm, LdSt.ldr_x, x26, x27, ModuleCtx.MEMORY_BASE)

    def call_exit_stub(self, code: int) -> None:
        """Store exit code ``code`` and call the exit stub."""
        S.mov_imm(self.asm, 64, x16, code)
        ldst(self.asm, LdSt.str_x, x16, x28, Exec.EXIT_CODE)
        ldst(self.asm, LdSt.ldr_x, x16, x28, Exec.EXIT_STUB)
        self.asm.emit(blr(x16))


# -- conditions -------------------------------------------------------------------------------

# After ``fcmp lhs, rhs``: the condition that holds for the wasm comparison and fails
# on unordered operands (``mi`` for lt, ``ls`` for le: ``lt``/``le`` hold on unordered);
# ne holds on unordered, as wasm wants.
_FLOAT_CC = {
    Operation.EQ: Cond.eq, Operation.NE: Cond.ne, Operation.LT: Cond.mi,
    Operation.GT: Cond.gt, Operation.LE: Cond.ls, Operation.GE: Cond.ge,
}  # fmt: skip


def set_flags(e: Emitter, cond: C.Condition, regs: Sequence[PReg]) -> Cond:
    """Emit the comparison of ``cond``; returns the condition that holds when it does."""
    asm = e.asm
    if type(cond) is C.IntCond:
        lhs = gpr(regs[0])
        if cond.rhs is not None:
            asm.emit(cmp_reg(cond.size, lhs, gpr(regs[1])))
        elif cond.imm >= 0:
            asm.emit(cmp_imm(cond.size, lhs, Imm12.try_from(cond.imm)))  # type: ignore[arg-type]
        else:
            asm.emit(cmn_imm(cond.size, lhs, Imm12.try_from(-cond.imm)))  # type: ignore[arg-type]
        return cond.cc
    if type(cond) is C.NonZero:
        asm.emit(cmp_imm(cond.size, gpr(regs[0]), Imm12(0)))
        return Cond.eq if cond.negate else Cond.ne
    assert type(cond) is C.FloatCond
    asm.emit(fp_compare(cond.prec, vec(regs[0]), vec(regs[1])))
    return _FLOAT_CC[cond.op]


@emits(C.SetCond)
def _set_cond(e: Emitter, inst: C.SetCond, regs: Sequence[PReg]) -> None:
    cc = set_flags(e, inst.cond, regs)
    e.asm.emit(cset(32, gpr(regs[-1]), cc))


@emits(I.Select)
def _select(e: Emitter, inst: I.Select, regs: Sequence[PReg]) -> None:
    k = cond_regs(inst.cond)
    cc = set_flags(e, inst.cond, regs[:k])
    a, b, dst = regs[k], regs[k + 1], regs[k + 2]
    if dst.cls is RegClass.INT:
        e.asm.emit(cond_select(CselOp.csel, 64, gpr(dst), gpr(a), gpr(b), cc))
    elif inst.vector:  # no 128-bit csel: v31 := b, and a if cc (dst may be a or b)
        asm = e.asm
        skip = asm.new_label()
        asm.emit(vec_mov(v31, vec(b)))
        asm.bcc(cc.invert(), skip)
        asm.emit(vec_mov(v31, vec(a)))
        asm.bind(skip)
        asm.emit(vec_mov(vec(dst), v31))
    else:
        e.asm.emit(fp_csel(64, vec(dst), vec(a), vec(b), cc))


# -- constants, integer arithmetic ----------------------------------------------------------------


@emits(C.MovImm)
def _mov_imm(e: Emitter, inst: C.MovImm, regs: Sequence[PReg]) -> None:
    S.mov_imm(e.asm, inst.size, gpr(regs[0]), inst.imm)


_LOGIC_REG = {I.AluOp.AND: LogicRegOp.and_, I.AluOp.ORR: LogicRegOp.orr,
              I.AluOp.EOR: LogicRegOp.eor}  # fmt: skip
_LOGIC_IMM = {I.AluOp.AND: LogicOp.and_, I.AluOp.ORR: LogicOp.orr, I.AluOp.EOR: LogicOp.eor}


@emits(I.AluRRR)
def _alu_rrr(e: Emitter, inst: I.AluRRR, regs: Sequence[PReg]) -> None:
    lhs, rhs, dst = (gpr(r) for r in regs)
    op, size = inst.op, inst.size
    if op is I.AluOp.ADD:
        e.asm.emit(add_sub_shifted(AddSubOp.add, size, dst, lhs, rhs))
    elif op is I.AluOp.SUB:
        e.asm.emit(add_sub_shifted(AddSubOp.sub, size, dst, lhs, rhs))
    elif op is I.AluOp.MUL:
        e.asm.emit(mul(size, dst, lhs, rhs))
    else:
        e.asm.emit(logical_shifted(_LOGIC_REG[op], size, dst, lhs, rhs))


@emits(I.AluRRImm12)
def _alu_rr_imm12(e: Emitter, inst: I.AluRRImm12, regs: Sequence[PReg]) -> None:
    op = AddSubOp.add if inst.op is I.AluOp.ADD else AddSubOp.sub
    e.asm.emit(add_sub_imm(op, inst.size, gpr(regs[1]), gpr(regs[0]), inst.imm))


@emits(I.AluRRImmLogic)
def _alu_rr_logic(e: Emitter, inst: I.AluRRImmLogic, regs: Sequence[PReg]) -> None:
    e.asm.emit(logical_imm(_LOGIC_IMM[inst.op], inst.size, gpr(regs[1]), gpr(regs[0]), inst.imm))


_SHIFT_RR = {I.ShiftOp.LSL: Dp2Op.lslv, I.ShiftOp.LSR: Dp2Op.lsrv, I.ShiftOp.ASR: Dp2Op.asrv,
             I.ShiftOp.ROR: Dp2Op.rorv}  # fmt: skip


@emits(I.ShiftRR)
def _shift_rr(e: Emitter, inst: I.ShiftRR, regs: Sequence[PReg]) -> None:
    lhs, count, dst = (gpr(r) for r in regs)
    if inst.op is I.ShiftOp.ROL:
        e.asm.emit(neg(inst.size, x16, count))
        e.asm.emit(dp_2src(Dp2Op.rorv, inst.size, dst, lhs, x16))
    else:
        e.asm.emit(dp_2src(_SHIFT_RR[inst.op], inst.size, dst, lhs, count))


@emits(I.ShiftImm)
def _shift_imm(e: Emitter, inst: I.ShiftImm, regs: Sequence[PReg]) -> None:
    lhs, dst = gpr(regs[0]), gpr(regs[1])
    size, k, op = inst.size, inst.imm, inst.op
    if k == 0:
        e.asm.emit(mov_reg(size, dst, lhs))
    elif op is I.ShiftOp.LSL:
        e.asm.emit(lsl_imm(size, dst, lhs, k))
    elif op is I.ShiftOp.LSR:
        e.asm.emit(lsr_imm(size, dst, lhs, k))
    elif op is I.ShiftOp.ASR:
        e.asm.emit(asr_imm(size, dst, lhs, k))
    else:
        e.asm.emit(ror_imm(size, dst, lhs, k if op is I.ShiftOp.ROR else size - k))


@emits(C.Extend)
def _extend(e: Emitter, inst: C.Extend, regs: Sequence[PReg]) -> None:
    src, dst = gpr(regs[0]), gpr(regs[1])
    if not inst.signed or inst.from_bits == 32 and inst.size == 32:
        e.asm.emit(mov_reg(32, dst, src))
    elif inst.from_bits == 8:
        e.asm.emit(sxtb(inst.size, dst, src))
    elif inst.from_bits == 16:
        e.asm.emit(sxth(inst.size, dst, src))
    else:
        e.asm.emit(sxtw(dst, src))


@emits(I.DivRem)
def _div_rem(e: Emitter, inst: I.DivRem, regs: Sequence[PReg]) -> None:
    lhs, rhs, dst = (gpr(r) for r in regs)
    S.div_rem(e.asm, inst.rem, inst.signed, inst.size, dst, lhs, rhs, e.trap)


@emits(I.Clz)
def _clz(e: Emitter, inst: I.Clz, regs: Sequence[PReg]) -> None:
    S.clz(e.asm, inst.size, gpr(regs[1]), gpr(regs[0]))


@emits(I.Ctz)
def _ctz(e: Emitter, inst: I.Ctz, regs: Sequence[PReg]) -> None:
    S.ctz(e.asm, inst.size, gpr(regs[1]), gpr(regs[0]))


@emits(I.Popcnt)
def _popcnt(e: Emitter, inst: I.Popcnt, regs: Sequence[PReg]) -> None:
    S.popcnt(e.asm, inst.size, gpr(regs[1]), gpr(regs[0]))


# -- floating point --------------------------------------------------------------------------

_FALU = {I.FAluOp.ADD: FpOp2.fadd, I.FAluOp.SUB: FpOp2.fsub, I.FAluOp.MUL: FpOp2.fmul,
         I.FAluOp.DIV: FpOp2.fdiv, I.FAluOp.MIN: FpOp2.fmin, I.FAluOp.MAX: FpOp2.fmax}  # fmt: skip
_ROUND = {Rounding.NEAREST: FpOp1.frintn, Rounding.FLOOR: FpOp1.frintm,
          Rounding.CEIL: FpOp1.frintp, Rounding.TRUNC: FpOp1.frintz}  # fmt: skip


@emits(I.FAlu)
def _falu(e: Emitter, inst: I.FAlu, regs: Sequence[PReg]) -> None:
    lhs, rhs, dst = (vec(r) for r in regs)
    e.asm.emit(fp_dp2(_FALU[inst.op], inst.prec, dst, lhs, rhs))


def _fp1(op: FpOp1) -> object:
    def emit(e: Emitter, inst: _FUnary, regs: Sequence[PReg]) -> None:
        e.asm.emit(fp_dp1(op, inst.prec, vec(regs[1]), vec(regs[0])))

    return emit


emits(C.FSqrt)(_fp1(FpOp1.fsqrt))  # type: ignore[arg-type]
emits(C.FNeg)(_fp1(FpOp1.fneg))  # type: ignore[arg-type]
emits(C.FAbs)(_fp1(FpOp1.fabs))  # type: ignore[arg-type]


@emits(C.FRound)
def _fround(e: Emitter, inst: C.FRound, regs: Sequence[PReg]) -> None:
    e.asm.emit(fp_dp1(_ROUND[inst.mode], inst.prec, vec(regs[1]), vec(regs[0])))


@emits(C.FCopysign)
def _fcopysign(e: Emitter, inst: C.FCopysign, regs: Sequence[PReg]) -> None:
    a, b, dst = (vec(r) for r in regs)
    S.copysign(e.asm, inst.prec, dst, a, b)


@emits(C.TruncChecked)
def _trunc_checked(e: Emitter, inst: C.TruncChecked, regs: Sequence[PReg]) -> None:
    S.trunc_checked(e.asm, inst.src_prec, inst.size, inst.signed, gpr(regs[1]), vec(regs[0]),
                    e.trap)  # fmt: skip


@emits(C.TruncSat)
def _trunc_sat(e: Emitter, inst: C.TruncSat, regs: Sequence[PReg]) -> None:
    op = FpIntOp.fcvtzs if inst.signed else FpIntOp.fcvtzu
    e.asm.emit(fp_int(op, inst.size, inst.src_prec, gpr(regs[1]), vec(regs[0])))


@emits(C.Convert)
def _convert(e: Emitter, inst: C.Convert, regs: Sequence[PReg]) -> None:
    op = FpIntOp.scvtf if inst.signed else FpIntOp.ucvtf
    e.asm.emit(fp_int(op, inst.src_size, inst.prec, vec(regs[1]), gpr(regs[0])))


@emits(I.FConvert)
def _fconvert(e: Emitter, inst: I.FConvert, regs: Sequence[PReg]) -> None:
    e.asm.emit(fcvt(inst.prec, 96 - inst.prec, vec(regs[1]), vec(regs[0])))


@emits(C.Reinterpret)
def _reinterpret(e: Emitter, inst: C.Reinterpret, regs: Sequence[PReg]) -> None:
    src, dst = regs
    if dst.cls is RegClass.INT:
        e.asm.emit(fp_int(FpIntOp.fmov_to_gpr, inst.size, inst.size, gpr(dst), vec(src)))
    else:
        e.asm.emit(fp_int(FpIntOp.fmov_from_gpr, inst.size, inst.size, vec(dst), gpr(src)))


# -- memory -------------------------------------------------------------------------------------


def _load_op(op: object, width: int, signed: bool, size: int, is_float: bool) -> LdSt:
    if is_float:
        return LdSt.ldr_s if width == 4 else LdSt.ldr_d
    if width == 8:
        return LdSt.ldr_x
    if width == 4:
        return LdSt.ldrsw if signed else LdSt.ldr_w
    if width == 16:
        return LdSt.ldr_q
    if width == 2:
        return (LdSt.ldrsh_x if size == 64 else LdSt.ldrsh_w) if signed else LdSt.ldrh
    return (LdSt.ldrsb_x if size == 64 else LdSt.ldrsb_w) if signed else LdSt.ldrb


_STORE_OPS = {8: LdSt.strb, 16: LdSt.strh, 32: LdSt.str_w, 64: LdSt.str_x}


@emits(C.WasmLoad)
def _wasm_load(e: Emitter, inst: C.WasmLoad, regs: Sequence[PReg]) -> None:
    addr, dst = regs
    op = inst.op
    width = op.bits // 8
    where = S.checked_address(e.asm, gpr(addr), inst.offset, width, e.trap, inst.checked)
    ldst_op = _load_op(op, width, op.signed, op.size, op.is_float)
    S.access(e.asm, ldst_op, vec(dst) if dst.cls is RegClass.FLOAT else gpr(dst), where)


@emits(C.WasmStore)
def _wasm_store(e: Emitter, inst: C.WasmStore, regs: Sequence[PReg]) -> None:
    src, addr = regs
    op = inst.op
    where = S.checked_address(e.asm, gpr(addr), inst.offset, op.bits // 8, e.trap,
                              inst.checked)  # fmt: skip
    if op.is_float:
        S.access(e.asm, LdSt.str_s if op.bits == 32 else LdSt.str_d, vec(src), where)
    elif op.bits == 128:
        S.access(e.asm, LdSt.str_q, vec(src), where)
    else:
        S.access(e.asm, _STORE_OPS[op.bits], gpr(src), where)


@emits(I.MemCopy)
def _mem_copy(e: Emitter, inst: I.MemCopy, regs: Sequence[PReg]) -> None:
    dst, src, n, t0, t1, t2 = (gpr(r) for r in regs)
    S.mem_copy(e.asm, dst, src, n, (t0, t1, t2), e.trap)


@emits(I.MemFill)
def _mem_fill(e: Emitter, inst: I.MemFill, regs: Sequence[PReg]) -> None:
    dst, value, n, t0, t1 = (gpr(r) for r in regs)
    S.mem_fill(e.asm, dst, value, n, (t0, t1), e.trap)


def _width_op(load: bool, width: int, is_float: bool) -> LdSt:
    if is_float:
        if width == 4:
            return LdSt.ldr_s if load else LdSt.str_s
        if width == 16:
            return LdSt.ldr_q if load else LdSt.str_q
        return LdSt.ldr_d if load else LdSt.str_d
    if width == 4:
        return LdSt.ldr_w if load else LdSt.str_w
    return LdSt.ldr_x if load else LdSt.str_x


@emits(C.LoadCtx)
def _load_ctx(e: Emitter, inst: C.LoadCtx, regs: Sequence[PReg]) -> None:
    asm = e.asm
    dst = regs[0]
    if not inst.deref:
        ldst(asm, LdSt.ldr_x, gpr(dst), x27, inst.disp, scratch=x16)
        return
    ldst(asm, LdSt.ldr_x, x16, x27, inst.disp, scratch=x16)
    is_float = dst.cls is RegClass.FLOAT
    rt = vec(dst) if is_float else gpr(dst)
    ldst(asm, _width_op(True, inst.width, is_float), rt, x16, inst.field)


@emits(C.StoreGlobal)
def _store_global(e: Emitter, inst: C.StoreGlobal, regs: Sequence[PReg]) -> None:
    asm = e.asm
    src = regs[0]
    ldst(asm, LdSt.ldr_x, x16, x27, inst.disp, scratch=x16)
    is_float = src.cls is RegClass.FLOAT
    rt = vec(src) if is_float else gpr(src)
    ldst(asm, _width_op(False, inst.width, is_float), rt, x16, 0)


def _table_element(e: Emitter, table_disp: int, index: Gpr, trap: TrapCode) -> None:
    """x16 := the address of element ``index`` of the table at [x27 + table_disp], after
    the bounds check (trapping with ``trap``)."""
    asm = e.asm
    ldst(asm, LdSt.ldr_x, x16, x27, table_disp, scratch=x16)
    ldst(asm, LdSt.ldr_x, x17, x16, Table.SIZE)
    asm.emit(add_sub_extended(AddSubOp.subs, 64, xzr, x17, index, Extend.uxtw))
    asm.bcc(Cond.ls, e.trap(trap))
    ldst(asm, LdSt.ldr_x, x16, x16, Table.ELEMS)
    asm.emit(add_sub_extended(AddSubOp.add, 64, x16, x16, index, Extend.uxtw, 3))


@emits(C.TableAccess)
def _table_access(e: Emitter, inst: C.TableAccess, regs: Sequence[PReg]) -> None:
    index = gpr(regs[0])
    _table_element(e, inst.table_disp, index, TrapCode.OUT_OF_BOUNDS_TABLE)
    if inst.src is not None:
        ldst(e.asm, LdSt.str_x, gpr(regs[1]), x16, 0)
    else:
        ldst(e.asm, LdSt.ldr_x, gpr(regs[1]), x16, 0)


@emits(P.StackSlot)
def _stack_slot(e: Emitter, inst: P.StackSlot, regs: Sequence[PReg]) -> None:
    reg = regs[0]
    if inst.area is P.SlotArea.INCOMING:
        base, disp = x29, 16 + 8 * inst.slot
    else:
        base, disp = sp, 8 * inst.slot
    if reg.cls is RegClass.INT:
        op = LdSt.str_x if inst.store else LdSt.ldr_x
        ldst(e.asm, op, gpr(reg), base, disp)
    elif inst.wide:
        ldst(e.asm, LdSt.str_q if inst.store else LdSt.ldr_q, vec(reg), base, disp)
    else:
        op = LdSt.str_d if inst.store else LdSt.ldr_d
        ldst(e.asm, op, vec(reg), base, disp)


# -- calls, exits, control flow -------------------------------------------------------------------


@emits(P.Call)
def _call(e: Emitter, inst: P.Call, regs: Sequence[PReg]) -> None:
    asm = e.asm
    if inst.kind is P.CallKind.DIRECT:
        asm.bl(e.func_labels[inst.target])
        return
    if inst.kind is P.CallKind.INDIRECT:
        index = gpr(regs[len(inst.args)])
        _table_element(e, inst.target, index, TrapCode.UNDEFINED_ELEMENT)
        ldst(asm, LdSt.ldr_x, x16, x16, 0)
        asm.cbz_far(64, x16, e.trap(TrapCode.UNINITIALIZED_ELEMENT))
        ldst(asm, LdSt.ldr_x, x17, x16, FuncRef.TYPE_ID)
        S.mov_imm(asm, 64, x30, inst.type_id)  # x30: free until the call sets it
        asm.emit(cmp_reg(64, x17, x30))
        asm.bcc(Cond.ne, e.trap(TrapCode.INDIRECT_CALL_TYPE_MISMATCH))
    else:
        ldst(asm, LdSt.ldr_x, x16, x27, inst.target, scratch=x16)
    ldst(asm, LdSt.str_x, x27, x28, Exec.CALLER_MODULE)
    ldst(asm, LdSt.ldr_x, x27, x16, FuncRef.MODULE_CTX)
    ldst(asm, LdSt.ldr_x, x26, x27, ModuleCtx.MEMORY_BASE)
    ldst(asm, LdSt.ldr_x, x16, x16, FuncRef.CODE)
    asm.emit(blr(x16))
    e.restore_context()


@emits(P.Exit)
def _exit(e: Emitter, inst: P.Exit, regs: Sequence[PReg]) -> None:
    for i, reg in enumerate(regs[: len(inst.args)]):
        ldst(e.asm, LdSt.str_x, gpr(reg), x28, Exec.ARGS + 8 * i)
    e.call_exit_stub(exit_code(Exit.BUILTIN, inst.builtin))
    if inst.dst is not None:
        ldst(e.asm, LdSt.ldr_w, gpr(regs[-1]), x28, Exec.ARGS)


@emits(P.Notify)
def _notify(e: Emitter, inst: P.Notify, regs: Sequence[PReg]) -> None:
    asm = e.asm
    if regs:
        ldst(asm, LdSt.ldr_x, x17, x28, Exec.SLOTS)
    slot = inst.first_slot
    for i, reg in enumerate(regs):
        if reg.cls is RegClass.INT:
            ldst(asm, LdSt.str_x, gpr(reg), x17, 8 * slot, scratch=x16)
        elif i in inst.wide:
            ldst(asm, LdSt.str_q, vec(reg), x17, 8 * slot, scratch=x16)
            slot += 1
        else:
            ldst(asm, LdSt.str_d, vec(reg), x17, 8 * slot, scratch=x16)
        slot += 1
    if inst.exits:
        e.call_exit_stub(inst.code)


@emits(P.InterruptCheck)
def _interrupt_check(e: Emitter, inst: P.InterruptCheck, regs: Sequence[PReg]) -> None:
    ldst(e.asm, LdSt.ldr_x, x16, x28, Exec.INTERRUPT)
    e.asm.cbnz_far(64, x16, e.trap(TrapCode.INTERRUPTED))


@emits(P.JmpTable)
def _jmp_table(e: Emitter, inst: P.JmpTable, regs: Sequence[PReg]) -> None:
    asm = e.asm
    index = gpr(regs[0])
    S.mov_imm(asm, 32, x17, len(inst.targets))
    asm.emit(cmp_reg(32, index, x17))
    asm.bcc(Cond.hs, e.block_labels[inst.default])
    asm.adr(x16, e.jump_table(inst.targets))
    asm.emit(add_sub_extended(AddSubOp.add, 64, x16, x16, index, Extend.uxtw, 3))
    ldst(asm, LdSt.ldr_x, x16, x16, 0)
    asm.emit(br(x16))
