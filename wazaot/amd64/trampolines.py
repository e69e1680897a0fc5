"""x86-64 trampolines between the host (C calling convention, via cffi) and wasm code.

The stubs, their protocol and their layout are shared
(:mod:`wazaot.machinst.trampolines`); this file gives each step its x86 instructions.
The C side is System V: ``entry{K}_{tail}`` gets exec_ctx in rdi, the funcref in rsi
and its raw arguments in rdx, rcx, r8, r9; it saves rbp, rbx and r12-r15, loads r15
(execution context), r14 (the function's module context) and r13 (its memory base).
The entry and the engine's ``close_gate`` order the entry's count and the gate with
locked instructions (``lock inc``, ``xchg``). The callback of the exit stub preserves
the C callee-saved registers, which include every register the wasm convention
preserves (rbx, r12) and the reserved ones (r13, r14, r15).
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
from .abi import CALL_CONV, gpr, xmm
from .encoding import Assembler, Cond, Label, Mem
from .regs import r8 as _R8
from .regs import r9 as _R9
from .regs import r10, r11, r12, r13, r14, r15, rax, rbp, rbx, rsp
from .regs import r11 as _R11
from .regs import rcx as _RCX
from .regs import rdi as _RDI
from .regs import rdx as _RDX
from .regs import rsi as _RSI

__all__ = ["Amd64Trampolines"]

HOST_CALLEE_SAVED = (rbp, rbx, r12, r13, r14, r15)  # the SysV callee-saved registers

LOCK = b"\xf0"  # the lock prefix, before the instruction it makes atomic


class Amd64Trampolines(Trampolines[Label]):
    """The x86-64 instructions of each step (r11: the slot buffer; r10: a temporary)."""

    asm: Assembler
    call_conv = CALL_CONV
    entry_args = (_RDX, _RCX, _R8, _R9)
    stack_pointer = rsp
    frame_pointer = rbp
    assembler = Assembler
    empty_code = b"\xcc"  # int3

    def jump(self, label: Label) -> None:
        self.asm.jmp(label)

    # -- runtime stubs --------------------------------------------------------------------

    def load_entry_slots(self) -> None:
        self.asm.mov(64, r11, Mem(_RDI, disp=Exec.SLOTS))

    def store_entry_arg(self, i: int, reg: object) -> None:
        self.asm.mov(64, Mem(r11, disp=8 * i), reg)  # type: ignore[arg-type]

    def enter(self, tail: EntryTail, refuse: Label) -> None:
        asm = self.asm
        for reg in HOST_CALLEE_SAVED:
            asm.push(reg)
        asm.mov(64, Mem(_RDI, disp=Exec.NATIVE_SP), rsp)
        asm.mov(64, r15, _RDI)
        asm.mov(64, Mem(r15, disp=Exec.STATUS), 0)
        # An outermost entry forgets an interrupt meant for calls that have ended; it
        # does so before it is counted, so an interrupt that sees it counted stays.
        nested = asm.new_label()
        asm.alu("cmp", 64, Mem(r15, disp=Exec.ACTIVE), 0)
        asm.jcc(Cond.ne, nested)
        asm.mov(64, Mem(r15, disp=Exec.INTERRUPT), 0)
        asm.mov(64, rax, Mem(r15, disp=Exec.REAL_LIMIT))
        asm.mov(64, Mem(r15, disp=Exec.STACK_LIMIT), rax)
        asm.bind(nested)
        # Count the entry, then look at the gate: the locked increment orders the two,
        # as closing orders its gate write before reading the counts (``close_gate``).
        asm.data(LOCK)
        asm.unary("inc", 64, Mem(r15, disp=Exec.ACTIVE))
        asm.mov(64, rax, Mem(r15, disp=Exec.GATE))
        asm.alu("cmp", 64, Mem(rax), 0)
        asm.jcc(Cond.ne, refuse)
        asm.mov(64, r14, Mem(_RSI, disp=FuncRef.MODULE_CTX))
        asm.mov(64, r13, Mem(r14, disp=ModuleCtx.MEMORY_BASE))
        asm.mov(64, rax, Mem(_RSI, disp=FuncRef.CODE))
        asm.mov(64, Mem(r15, disp=Exec.CALL_TARGET), rax)
        asm.mov(64, rax, Mem(_RSI, disp=FuncRef.THUNK))
        asm.mov(64, rsp, Mem(r15, disp=Exec.STACK_TOP))
        asm.alu("xor", 32, rbp, rbp)  # ends the frame chain for backtraces
        asm.call(rax)
        asm.mov(64, rsp, Mem(r15, disp=Exec.NATIVE_SP))
        asm.unary("dec", 64, Mem(r15, disp=Exec.ACTIVE))
        asm.mov(64, rax, Mem(r15, disp=Exec.SLOTS))
        if tail is EntryTail.U32:
            asm.mov(32, rax, Mem(rax))
        elif tail is EntryTail.S32:
            asm.movsx(64, rax, Mem(rax), src_size=32)
        else:
            asm.mov(64, rax, Mem(rax))
        for reg in reversed(HOST_CALLEE_SAVED):
            asm.pop(reg)
        asm.ret()

    def restore_host_sp(self) -> None:
        self.asm.mov(64, rsp, Mem(r15, disp=Exec.NATIVE_SP))

    def unwind_to_host(self, status: int) -> None:
        asm = self.asm
        asm.unary("dec", 64, Mem(r15, disp=Exec.ACTIVE))
        asm.mov(64, Mem(r15, disp=Exec.STATUS), status)
        asm.mov(64, rax, FAILED)
        for reg in reversed(HOST_CALLEE_SAVED):
            asm.pop(reg)
        asm.ret()

    def close_gate(self) -> None:
        # close_gate(rdi = gate word): set it with a locked exchange (a full barrier).
        asm = self.asm
        asm.mov(32, rax, 1)
        asm.xchg(64, Mem(_RDI), rax)
        asm.ret()

    def exit_stub(self) -> None:
        # [rsp] holds the return address into wasm code.
        asm = self.asm
        asm.mov(64, r11, Mem(rsp))
        asm.mov(64, Mem(r15, disp=Exec.EXIT_PC), r11)
        asm.lea(64, r11, Mem(rsp, disp=8))
        asm.mov(64, Mem(r15, disp=Exec.EXIT_SP), r11)
        asm.mov(64, Mem(r15, disp=Exec.EXIT_FP), rbp)
        asm.mov(64, Mem(r15, disp=Exec.EXIT_MODULE), r14)
        # To the host stack. native_sp is 8 mod 16 (the entry pushed six registers
        # after its return address): four pushes and 8 bytes keep the call aligned.
        asm.mov(64, r11, rsp)
        asm.mov(64, rsp, Mem(r15, disp=Exec.NATIVE_SP))
        asm.push(r11)  # the wasm stack pointer
        asm.push(rbx)
        asm.push(Mem(r15, disp=Exec.STACK_TOP))
        asm.push(Mem(r15, disp=Exec.NATIVE_SP))
        asm.alu("sub", 64, rsp, 8)
        asm.lea(64, r11, Mem(r11, disp=-NESTED_ENTRY_GAP))
        asm.alu("and", 64, r11, -16)
        asm.mov(64, Mem(r15, disp=Exec.STACK_TOP), r11)
        asm.mov(64, _RDI, r15)
        asm.mov(64, _RSI, Mem(r15, disp=Exec.EXIT_CODE))
        asm.call(Mem(r15, disp=Exec.CALLBACK))
        asm.alu("add", 64, rsp, 8)
        asm.pop(Mem(r15, disp=Exec.NATIVE_SP))
        asm.pop(Mem(r15, disp=Exec.STACK_TOP))
        asm.pop(rbx)
        asm.pop(r11)
        asm.test(64, rax, rax)
        unwind = asm.new_label()
        asm.jcc(Cond.ne, unwind)
        asm.mov(64, rsp, r11)
        asm.ret()  # back into the wasm code
        asm.bind(unwind)  # abandon the wasm frames of this entry
        self.restore_host_sp()
        self.unwind_to_host(EXITED)

    def interrupt_handler_code(self, table: int) -> None:
        # void handler(int signum): the table's first word is the replaced handler, the
        # second the number of slots; it is jumped to with the arguments untouched.
        asm = self.asm
        loop, next_slot, chain = asm.new_label(), asm.new_label(), asm.new_label()
        asm.mov(64, rax, table)
        asm.lea(64, _R8, Mem(rax, disp=16))
        asm.mov(64, _R11, Mem(rax, disp=8))
        asm.bind(loop)
        asm.test(64, _R11, _R11)
        asm.jcc(Cond.e, chain)
        asm.mov(64, _R9, Mem(_R8))
        asm.test(64, _R9, _R9)
        asm.jcc(Cond.e, next_slot)
        asm.alu("cmp", 64, Mem(_R9, disp=Exec.ACTIVE), 0)
        asm.jcc(Cond.e, next_slot)
        asm.mov(64, Mem(_R9, disp=Exec.INTERRUPT), 1)
        asm.mov(64, Mem(_R9, disp=Exec.STACK_LIMIT), -1)
        asm.bind(next_slot)
        asm.alu("add", 64, _R8, 8)
        asm.unary("dec", 64, _R11)
        asm.jmp(loop)
        asm.bind(chain)
        asm.jmp(Mem(rax))

    # -- entry thunks and host stubs ----------------------------------------------------

    def push_frame(self) -> None:
        self.asm.push(rbp)
        self.asm.mov(64, rbp, rsp)

    def reserve_stack(self, size: int) -> None:
        self.asm.alu("sub", 64, rsp, size)

    def restore_sp(self) -> None:
        self.asm.mov(64, rsp, rbp)

    def pop_frame_and_return(self) -> None:
        self.asm.pop(rbp)
        self.asm.ret()

    def load_slots(self) -> None:
        self.asm.mov(64, r11, Mem(r15, disp=Exec.SLOTS))

    def call_target(self) -> None:
        self.asm.call(Mem(r15, disp=Exec.CALL_TARGET))

    def call_host(self, host_id: int) -> None:
        asm = self.asm
        asm.mov(64, r14, Mem(r15, disp=Exec.CALLER_MODULE))  # the exit reports the caller
        asm.mov(64, Mem(r15, disp=Exec.EXIT_CODE), exit_code(Exit.HOST_CALL, host_id))
        asm.call(Mem(r15, disp=Exec.EXIT_STUB))

    def move_slot(self, to_slots: bool, is_float: bool, reg: PReg, offset: int) -> None:
        asm, slot = self.asm, Mem(r11, disp=offset)
        if is_float:
            if to_slots:
                asm.movsd(slot, xmm(reg))
            else:
                asm.movsd(xmm(reg), slot)
        elif to_slots:
            asm.mov(64, slot, gpr(reg))
        else:
            asm.mov(64, gpr(reg), slot)

    def copy_stack_slot(self, to_slots: bool, offset: int, stack: object,
                        stack_offset: int) -> None:  # fmt: skip
        asm, slot = self.asm, Mem(r11, disp=offset)
        stack_mem = Mem(stack, disp=stack_offset)  # type: ignore[arg-type]
        if to_slots:
            asm.mov(64, r10, stack_mem)
            asm.mov(64, slot, r10)
        else:
            asm.mov(64, r10, slot)
            asm.mov(64, stack_mem, r10)
