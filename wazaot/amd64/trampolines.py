"""x86-64 trampolines between the host (C calling convention, via cffi) and wasm code.

Runtime-wide stubs (one mapping per Runtime)::

    entry(exec_ctx, module_ctx, thunk, slots) -> status       C-callable
        saves the host's callee-saved registers, records the host stack pointer,
        loads r15/r14/r13, switches to the wasm stack and calls ``thunk``;
        returns 0 (RETURNED) when the thunk returns
    resume(exec_ctx) -> status                                  C-callable
        the same host-side saving, then continues wasm code after an exit
    exit_stub                                                    called by wasm code
        records where the code stopped (pc, sp, fp, module context) and returns
        1 (EXITED) from the entry or resume call that is running

Per-signature *entry thunks* (in each module's code) load the arguments from the
slot buffer into the registers of the wasm calling convention, call the function
whose address is in ``exec_ctx.call_target`` and store its results back.

*Host stubs* make a host function callable like a wasm function: they store the
arguments in the slots, exit with ``HOST_CALL`` and the host function's id, and on
resumption load the results. The exit preserves no register, so they save the
callee-saved ones themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..api import ValueType
from ..vmctx import Exec, Exit, ModuleCtx, exit_code
from .abi import Signature, gpr, signature, xmm
from .encoding import Assembler, Label, Mem
from .regs import r10, r11, r12, r13, r14, r15, rax, rbp, rbx, rsp
from .regs import rcx as _RCX
from .regs import rdi as _RDI
from .regs import rdx as _RDX
from .regs import rsi as _RSI

HOST_CALLEE_SAVED = (rbp, rbx, r12, r13, r14, r15)  # the SysV callee-saved registers


def runtime_stubs() -> tuple[bytes, dict[str, int]]:
    """The entry, resume and exit stubs; returns the code and each stub's offset."""
    asm = Assembler()
    offsets: dict[str, int] = {}

    def save_host_registers() -> None:
        for reg in HOST_CALLEE_SAVED:
            asm.push(reg)

    # entry(rdi = exec_ctx, rsi = module_ctx, rdx = thunk, rcx = slots)
    offsets["entry"] = asm.offset
    save_host_registers()
    asm.mov(64, Mem(_RDI, disp=Exec.NATIVE_SP), rsp)
    asm.mov(64, r15, _RDI)
    asm.mov(64, r14, _RSI)
    asm.mov(64, r13, Mem(r14, disp=ModuleCtx.MEMORY_BASE))
    asm.mov(64, Mem(r15, disp=Exec.SLOTS), _RCX)
    asm.mov(64, rsp, Mem(r15, disp=Exec.STACK_TOP))
    asm.alu("xor", 32, rbp, rbp)  # ends the frame chain for backtraces
    asm.call(_RDX)
    returned = asm.new_label()
    asm.bind(returned)
    asm.mov(64, rsp, Mem(r15, disp=Exec.NATIVE_SP))
    for reg in reversed(HOST_CALLEE_SAVED):
        asm.pop(reg)
    asm.alu("xor", 32, rax, rax)
    asm.ret()

    # resume(rdi = exec_ctx)
    offsets["resume"] = asm.offset
    save_host_registers()
    asm.mov(64, Mem(_RDI, disp=Exec.NATIVE_SP), rsp)
    asm.mov(64, r15, _RDI)
    asm.mov(64, r14, Mem(r15, disp=Exec.EXIT_MODULE))
    asm.mov(64, r13, Mem(r14, disp=ModuleCtx.MEMORY_BASE))
    asm.mov(64, rbp, Mem(r15, disp=Exec.EXIT_FP))
    asm.mov(64, rsp, Mem(r15, disp=Exec.EXIT_SP))
    asm.jmp(Mem(r15, disp=Exec.EXIT_PC))

    # exit_stub: [rsp] holds the resume address; exit_code is already stored.
    offsets["exit"] = asm.offset
    asm.pop(r11)
    asm.mov(64, Mem(r15, disp=Exec.EXIT_PC), r11)
    asm.mov(64, Mem(r15, disp=Exec.EXIT_SP), rsp)
    asm.mov(64, Mem(r15, disp=Exec.EXIT_FP), rbp)
    asm.mov(64, Mem(r15, disp=Exec.EXIT_MODULE), r14)
    asm.mov(64, rsp, Mem(r15, disp=Exec.NATIVE_SP))
    for reg in reversed(HOST_CALLEE_SAVED):
        asm.pop(reg)
    asm.mov(32, rax, 1)
    asm.ret()
    return asm.finish(), offsets


def _slot(i: int) -> Mem:
    return Mem(r11, disp=8 * i)


def entry_thunk(asm: Assembler, params: Sequence[ValueType], results: Sequence[ValueType]) -> Label:
    """Emit the entry thunk of one function type into ``asm``; returns its label."""
    sig = signature(params, results)
    label = asm.new_label()
    asm.align(16)
    asm.bind(label)
    asm.push(rbp)
    asm.mov(64, rbp, rsp)
    out_bytes = (8 * sig.stack_slots + 15) & ~15
    if out_bytes:
        asm.alu("sub", 64, rsp, out_bytes)
    asm.mov(64, r11, Mem(r15, disp=Exec.SLOTS))
    _transfer(asm, sig, params, to_slots=False, stack=rsp, stack_disp=0, results=False)
    asm.call(Mem(r15, disp=Exec.CALL_TARGET))
    asm.mov(64, r11, Mem(r15, disp=Exec.SLOTS))
    _transfer(asm, sig, results, to_slots=True, stack=rsp, stack_disp=0, results=True)
    asm.mov(64, rsp, rbp)
    asm.pop(rbp)
    asm.ret()
    return label


def _transfer(asm: Assembler, sig: Signature, types: Sequence[ValueType], *, to_slots: bool,
              stack: object, stack_disp: int, results: bool) -> None:  # fmt: skip
    """Move values between the slot buffer (r11) and their convention locations;
    stack locations are at [``stack`` + ``stack_disp`` + 8k]. r10 is the temporary."""
    locs = sig.results if results else sig.params
    slot = 0
    for vt, loc in zip(types, locs):
        slot_mem = _slot(slot)
        slot += 2 if vt == ValueType.V128 else 1
        if loc.reg is not None:
            if vt in (ValueType.F32, ValueType.F64):
                if to_slots:
                    asm.movsd(slot_mem, xmm(loc.reg))
                else:
                    asm.movsd(xmm(loc.reg), slot_mem)
            elif to_slots:
                asm.mov(64, slot_mem, gpr(loc.reg))
            else:
                asm.mov(64, gpr(loc.reg), slot_mem)
            continue
        stack_mem = Mem(stack, disp=stack_disp + 8 * loc.slot)  # type: ignore[arg-type]
        if to_slots:
            asm.mov(64, r10, stack_mem)
            asm.mov(64, slot_mem, r10)
        else:
            asm.mov(64, r10, slot_mem)
            asm.mov(64, stack_mem, r10)


def host_stub(asm: Assembler, host_id: int, params: Sequence[ValueType],
              results: Sequence[ValueType]) -> Label:  # fmt: skip
    """A function of the wasm convention that calls host function ``host_id``."""
    sig = signature(params, results)
    label = asm.new_label()
    asm.align(16)
    asm.bind(label)
    asm.push(rbp)
    asm.mov(64, rbp, rsp)
    asm.push(rbx)
    asm.push(r12)
    asm.mov(64, r11, Mem(r15, disp=Exec.SLOTS))
    _transfer(asm, sig, params, to_slots=True, stack=rbp, stack_disp=16, results=False)
    asm.mov(64, r14, Mem(r15, disp=Exec.CALLER_MODULE))  # the exit reports the caller
    asm.mov(64, Mem(r15, disp=Exec.EXIT_CODE), exit_code(Exit.HOST_CALL, host_id))
    asm.call(Mem(r15, disp=Exec.EXIT_STUB))
    asm.mov(64, r11, Mem(r15, disp=Exec.SLOTS))
    _transfer(asm, sig, results, to_slots=False, stack=rbp, stack_disp=16, results=True)
    asm.pop(r12)
    asm.pop(rbx)
    asm.pop(rbp)
    asm.ret()
    return label
