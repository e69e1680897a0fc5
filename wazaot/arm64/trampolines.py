"""arm64 trampolines between the host (AAPCS64, via cffi) and wasm code.

The stubs, their protocol and their layout are shared
(:mod:`wazaot.machinst.trampolines`); this file gives each step its arm64
instructions. The C side is AAPCS64: ``entry{K}_{tail}`` gets exec_ctx in x0, the
funcref in x1 and its raw arguments in x2-x5; it saves the host's callee-saved
registers (x19-x28, d8-d15) under a frame record and loads x28 (execution context),
x27 (the function's module context) and x26 (its memory base). The entry and
``close_gate`` order the entry's count and the gate with ``dmb ish`` barriers (a
store, a barrier, then the read of the gate; the gate between two barriers). The
callback of the exit stub preserves x19-x29 (AAPCS64), which include every register
the wasm convention preserves (x19-x25) and the reserved ones (x26-x28).
"""

from __future__ import annotations

from ..machinst import PReg
from ..machinst.trampolines import NESTED_ENTRY_GAP, Trampolines
from ..vmctx import (
    EXITED,
    FAILED,
    EntryTail,
    Exec,
    Exit,
    FuncRef,
    ModuleCtx,
    exit_code,
)
from .abi import CALL_CONV, gpr, vec
from .args import Barrier, Label, PairIndex
from .encoding import blr, br, brk, dmb, ret
from .encoding_alu import (
    AddSubOp,
    LogicOp,
    add_sub_imm,
    logical_imm,
    mov_reg,
    mov_sp,
)
from .encoding_mem import LdSt, PairOp
from .imms import Imm12, LogicalImm
from .regs import (
    Gpr,
    sp,
    v8,
    v9,
    v10,
    v11,
    v12,
    v13,
    v14,
    v15,
    x0,
    x1,
    x2,
    x3,
    x4,
    x5,
    x9,
    x10,
    x11,
    x12,
    x13,
    x16,
    x17,
    x19,
    x20,
    x21,
    x22,
    x23,
    x24,
    x25,
    x26,
    x27,
    x28,
    x29,
    x30,
    xzr,
)
from .sequences import FarAssembler, add_imm, ldst, mov_imm, pair

__all__ = ["Arm64Trampolines"]

HOST_CALLEE_SAVED = ((x19, x20), (x21, x22), (x23, x24), (x25, x26), (x27, x28))
HOST_CALLEE_SAVED_FP = ((v8, v9), (v10, v11), (v12, v13), (v14, v15))


class Arm64Trampolines(Trampolines[Label]):
    """The arm64 instructions of each step (x17: the slot buffer; x16: a temporary)."""

    asm: FarAssembler
    call_conv = CALL_CONV
    entry_args = (x2, x3, x4, x5)
    stack_pointer = sp
    frame_pointer = x29
    assembler = FarAssembler
    empty_code = brk(0).to_bytes(4, "little")

    def jump(self, label: Label) -> None:
        self.asm.b(label)

    # -- helpers ------------------------------------------------------------------------

    def _push_host_registers(self) -> None:
        asm = self.asm
        pair(asm, PairOp.stp_x, PairIndex.pre, x29, x30, sp, -16)
        asm.emit(mov_sp(64, x29, sp))
        for a, b in HOST_CALLEE_SAVED:
            pair(asm, PairOp.stp_x, PairIndex.pre, a, b, sp, -16)
        for va, vb in HOST_CALLEE_SAVED_FP:
            pair(asm, PairOp.stp_d, PairIndex.pre, va, vb, sp, -16)

    def _pop_host_registers_and_return(self) -> None:
        asm = self.asm
        for va, vb in reversed(HOST_CALLEE_SAVED_FP):
            pair(asm, PairOp.ldp_d, PairIndex.post, va, vb, sp, 16)
        for a, b in reversed(HOST_CALLEE_SAVED):
            pair(asm, PairOp.ldp_x, PairIndex.post, a, b, sp, 16)
        pair(asm, PairOp.ldp_x, PairIndex.post, x29, x30, sp, 16)
        asm.emit(ret())

    def _set_sp(self, src_offset: int) -> None:
        """sp := [x28 + src_offset]."""
        ldst(self.asm, LdSt.ldr_x, x16, x28, src_offset)
        self.asm.emit(mov_sp(64, sp, x16))

    def _add_to_active(self, delta: int) -> None:
        """exec_ctx.active += delta (only this thread writes it)."""
        asm = self.asm
        ldst(asm, LdSt.ldr_x, x16, x28, Exec.ACTIVE)
        op = AddSubOp.add if delta > 0 else AddSubOp.sub
        asm.emit(add_sub_imm(op, 64, x16, x16, Imm12(abs(delta))))
        ldst(asm, LdSt.str_x, x16, x28, Exec.ACTIVE)

    # -- runtime stubs --------------------------------------------------------------------

    def load_entry_slots(self) -> None:
        ldst(self.asm, LdSt.ldr_x, x16, x0, Exec.SLOTS)

    def store_entry_arg(self, i: int, reg: Gpr) -> None:
        ldst(self.asm, LdSt.str_x, reg, x16, 8 * i)

    def enter(self, tail: EntryTail, refuse: Label) -> None:
        asm = self.asm
        self._push_host_registers()
        asm.emit(mov_sp(64, x16, sp))
        ldst(asm, LdSt.str_x, x16, x0, Exec.NATIVE_SP)
        asm.emit(mov_reg(64, x28, x0))
        ldst(asm, LdSt.str_x, xzr, x28, Exec.STATUS)
        # An outermost entry forgets an interrupt meant for calls that have ended; it
        # does so before it is counted, so an interrupt that sees it counted stays.
        nested = asm.new_label()
        ldst(asm, LdSt.ldr_x, x16, x28, Exec.ACTIVE)
        asm.cbnz(64, x16, nested)
        ldst(asm, LdSt.str_x, xzr, x28, Exec.INTERRUPT)
        ldst(asm, LdSt.ldr_x, x16, x28, Exec.REAL_LIMIT)
        ldst(asm, LdSt.str_x, x16, x28, Exec.STACK_LIMIT)
        asm.bind(nested)
        # Count the entry, then look at the gate, a full barrier between the two, as
        # closing orders its gate write before reading the counts (``close_gate``).
        self._add_to_active(1)
        asm.emit(dmb(Barrier.ish))
        ldst(asm, LdSt.ldr_x, x16, x28, Exec.GATE)
        ldst(asm, LdSt.ldr_x, x16, x16, 0)
        asm.cbnz(64, x16, refuse)
        ldst(asm, LdSt.ldr_x, x27, x1, FuncRef.MODULE_CTX)
        ldst(asm, LdSt.ldr_x, x26, x27, ModuleCtx.MEMORY_BASE)
        ldst(asm, LdSt.ldr_x, x16, x1, FuncRef.CODE)
        ldst(asm, LdSt.str_x, x16, x28, Exec.CALL_TARGET)
        ldst(asm, LdSt.ldr_x, x17, x1, FuncRef.THUNK)
        self._set_sp(Exec.STACK_TOP)
        asm.emit(mov_reg(64, x29, xzr))  # ends the frame chain for backtraces
        asm.emit(blr(x17))
        self._set_sp(Exec.NATIVE_SP)
        self._add_to_active(-1)
        ldst(asm, LdSt.ldr_x, x16, x28, Exec.SLOTS)
        if tail is EntryTail.U32:
            ldst(asm, LdSt.ldr_w, x0, x16, 0)
        elif tail is EntryTail.S32:
            ldst(asm, LdSt.ldrsw, x0, x16, 0)
        else:
            ldst(asm, LdSt.ldr_x, x0, x16, 0)
        self._pop_host_registers_and_return()

    def restore_host_sp(self) -> None:
        self._set_sp(Exec.NATIVE_SP)

    def unwind_to_host(self, status: int) -> None:
        self._add_to_active(-1)
        mov_imm(self.asm, 64, x16, status)
        ldst(self.asm, LdSt.str_x, x16, x28, Exec.STATUS)
        mov_imm(self.asm, 64, x0, FAILED)
        self._pop_host_registers_and_return()

    def close_gate(self) -> None:
        # close_gate(x0 = gate word): a full barrier around the store.
        asm = self.asm
        mov_imm(asm, 64, x16, 1)
        asm.emit(dmb(Barrier.ish))
        ldst(asm, LdSt.str_x, x16, x0, 0)
        asm.emit(dmb(Barrier.ish))
        asm.emit(ret())

    def exit_stub(self) -> None:
        # x30 holds the return address into wasm code.
        asm = self.asm
        ldst(asm, LdSt.str_x, x30, x28, Exec.EXIT_PC)
        asm.emit(mov_sp(64, x17, sp))
        ldst(asm, LdSt.str_x, x17, x28, Exec.EXIT_SP)
        ldst(asm, LdSt.str_x, x29, x28, Exec.EXIT_FP)
        ldst(asm, LdSt.str_x, x27, x28, Exec.EXIT_MODULE)
        # To the host stack: save the wasm sp and return address, stack_top and native_sp
        # (a nested entry changes both), 32 bytes that keep sp 16-byte aligned.
        self._set_sp(Exec.NATIVE_SP)
        pair(asm, PairOp.stp_x, PairIndex.pre, x17, x30, sp, -16)
        ldst(asm, LdSt.ldr_x, x16, x28, Exec.STACK_TOP)
        ldst(asm, LdSt.ldr_x, x30, x28, Exec.NATIVE_SP)
        pair(asm, PairOp.stp_x, PairIndex.pre, x16, x30, sp, -16)
        asm.emit(add_sub_imm(AddSubOp.sub, 64, x17, x17, Imm12(NESTED_ENTRY_GAP)))
        align = LogicalImm.try_from(-16, 64)
        assert align is not None
        asm.emit(logical_imm(LogicOp.and_, 64, x17, x17, align))
        ldst(asm, LdSt.str_x, x17, x28, Exec.STACK_TOP)
        asm.emit(mov_reg(64, x0, x28))
        ldst(asm, LdSt.ldr_x, x1, x28, Exec.EXIT_CODE)
        ldst(asm, LdSt.ldr_x, x16, x28, Exec.CALLBACK)
        asm.emit(blr(x16))
        pair(asm, PairOp.ldp_x, PairIndex.post, x16, x17, sp, 16)
        ldst(asm, LdSt.str_x, x16, x28, Exec.STACK_TOP)
        ldst(asm, LdSt.str_x, x17, x28, Exec.NATIVE_SP)
        pair(asm, PairOp.ldp_x, PairIndex.post, x16, x30, sp, 16)
        unwind = asm.new_label()
        asm.cbnz(64, x0, unwind)
        asm.emit(mov_sp(64, sp, x16))
        asm.emit(ret())  # back into the wasm code
        asm.bind(unwind)  # abandon the wasm frames of this entry
        self._set_sp(Exec.NATIVE_SP)
        self.unwind_to_host(EXITED)

    def interrupt_handler_code(self, table: int) -> None:
        # void handler(int signum, ...): the table's first word is the replaced handler,
        # the second the number of slots; it is jumped to with x0-x2 untouched.
        asm = self.asm
        loop, next_slot, chain = asm.new_label(), asm.new_label(), asm.new_label()
        mov_imm(asm, 64, x9, table)
        asm.emit(add_sub_imm(AddSubOp.add, 64, x10, x9, Imm12(16)))
        ldst(asm, LdSt.ldr_x, x11, x9, 8)
        asm.bind(loop)
        asm.cbz(64, x11, chain)
        ldst(asm, LdSt.ldr_x, x12, x10, 0)
        asm.cbz(64, x12, next_slot)
        ldst(asm, LdSt.ldr_x, x13, x12, Exec.ACTIVE)
        asm.cbz(64, x13, next_slot)
        mov_imm(asm, 64, x13, 1)
        ldst(asm, LdSt.str_x, x13, x12, Exec.INTERRUPT)
        mov_imm(asm, 64, x13, -1)
        ldst(asm, LdSt.str_x, x13, x12, Exec.STACK_LIMIT)
        asm.bind(next_slot)
        asm.emit(add_sub_imm(AddSubOp.add, 64, x10, x10, Imm12(8)))
        asm.emit(add_sub_imm(AddSubOp.sub, 64, x11, x11, Imm12(1)))
        asm.b(loop)
        asm.bind(chain)
        ldst(asm, LdSt.ldr_x, x9, x9, 0)
        asm.emit(br(x9))

    # -- entry thunks and host stubs ----------------------------------------------------

    def push_frame(self) -> None:
        pair(self.asm, PairOp.stp_x, PairIndex.pre, x29, x30, sp, -16)
        self.asm.emit(mov_sp(64, x29, sp))

    def reserve_stack(self, size: int) -> None:
        add_imm(self.asm, sp, sp, -size)

    def restore_sp(self) -> None:
        self.asm.emit(mov_sp(64, sp, x29))

    def pop_frame_and_return(self) -> None:
        pair(self.asm, PairOp.ldp_x, PairIndex.post, x29, x30, sp, 16)
        self.asm.emit(ret())

    def load_slots(self) -> None:
        ldst(self.asm, LdSt.ldr_x, x17, x28, Exec.SLOTS)

    def call_target(self) -> None:
        ldst(self.asm, LdSt.ldr_x, x16, x28, Exec.CALL_TARGET)
        self.asm.emit(blr(x16))

    def call_host(self, host_id: int) -> None:
        asm = self.asm
        ldst(asm, LdSt.ldr_x, x27, x28, Exec.CALLER_MODULE)  # the exit reports the caller
        mov_imm(asm, 64, x16, exit_code(Exit.HOST_CALL, host_id))
        ldst(asm, LdSt.str_x, x16, x28, Exec.EXIT_CODE)
        ldst(asm, LdSt.ldr_x, x16, x28, Exec.EXIT_STUB)
        asm.emit(blr(x16))

    def move_slot(self, to_slots: bool, is_float: bool, reg: PReg, offset: int) -> None:
        if is_float:
            op = LdSt.str_d if to_slots else LdSt.ldr_d
            ldst(self.asm, op, vec(reg), x17, offset, scratch=x16)
        else:
            op = LdSt.str_x if to_slots else LdSt.ldr_x
            ldst(self.asm, op, gpr(reg), x17, offset, scratch=x16)

    def copy_stack_slot(self, to_slots: bool, offset: int, stack: Gpr, stack_offset: int) -> None:
        if to_slots:
            ldst(self.asm, LdSt.ldr_x, x16, stack, stack_offset, scratch=x16)
            ldst(self.asm, LdSt.str_x, x16, x17, offset, scratch=x30)
        else:
            ldst(self.asm, LdSt.ldr_x, x16, x17, offset, scratch=x16)
            ldst(self.asm, LdSt.str_x, x16, stack, stack_offset, scratch=x30)
