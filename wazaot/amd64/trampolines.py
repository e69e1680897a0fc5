"""x86-64 trampolines between the host (C calling convention, via cffi) and wasm code.

Runtime-wide stubs (one mapping per Runtime)::

    entry{K}_{tail}(exec_ctx, funcref [, a0, a1, a2, a3])        C-callable
        -> slot 0 (the first result) as ``tail`` reads it, or FAILED
        (entryK first stores K raw arguments in the slots.) Saves the host's
        callee-saved registers, records the host stack pointer, loads r15
        (execution context), r14 (the function's module context) and r13 (its
        memory base), switches to the wasm stack at ``stack_top`` and calls the
        funcref's entry thunk, which calls the funcref's code; returns slot 0
        (the first result) when the thunk returns, else FAILED with the reason in
        ``exec_ctx.status``. Running entries are counted in ``exec_ctx.active``;
        once the engine's gate is set, entries are refused.
    exit_stub                                                    called by wasm code
        ``exit_code`` (and the slots or ``args``) are already stored. Records the
        exit point (pc, sp, fp, module context), switches to the host stack and
        calls ``callback(exec_ctx, exit_code)`` there, so Python never runs on the
        wasm stack. A nested entry made by the callback starts below the suspended
        wasm frames (``stack_top`` is lowered around the callback). When the
        callback returns 0 the stub returns to the wasm code; otherwise (a trap, an
        exception in a host function) it unwinds every wasm frame of the current
        entry and returns 1 (EXITED) from ``entry``.

Per-signature *entry thunks* (in each module's code) load the arguments from the
slot buffer into the registers of the wasm calling convention, call the function
whose address is in ``exec_ctx.call_target`` and store its results back.

*Host stubs* make a host function callable like a wasm function: they store the
arguments in the slots, exit with ``HOST_CALL`` and the host function's id, and
load the results. The callback preserves the C callee-saved registers, which
include every register the wasm convention preserves (rbx, r12) and the reserved
ones (r13, r14, r15).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..api import ValueType
from ..vmctx import (
    EXITED,
    FAILED,
    MAX_ENTRY_ARGS,
    REFUSED,
    EntryTail,
    Exec,
    Exit,
    FuncRef,
    ModuleCtx,
    exit_code,
)
from .abi import Signature, gpr, signature, xmm
from .encoding import Assembler, Cond, Label, Mem
from .regs import r8 as _R8
from .regs import r9 as _R9
from .regs import r10, r11, r12, r13, r14, r15, rax, rbp, rbx, rsp
from .regs import r11 as _R11
from .regs import rcx as _RCX
from .regs import rdi as _RDI
from .regs import rdx as _RDX
from .regs import rsi as _RSI

HOST_CALLEE_SAVED = (rbp, rbx, r12, r13, r14, r15)  # the SysV callee-saved registers

# Bytes left between the suspended wasm frames and a nested entry's first frame.
NESTED_ENTRY_GAP = 256

LOCK = b"\xf0"  # the lock prefix, before the instruction it makes atomic

ENTRY_ARGS = (_RDX, _RCX, _R8, _R9)  # entry_k's raw arguments (SysV argument registers)
assert len(ENTRY_ARGS) == MAX_ENTRY_ARGS


def runtime_stubs() -> tuple[bytes, dict[str, int]]:
    """The entry and exit stubs; returns the code and each stub's offset."""
    asm = Assembler()
    offsets: dict[str, int] = {}

    refuse = asm.new_label()
    for tail in EntryTail:
        _entry(asm, offsets, tail, refuse)

    # closed_thunk: the entry thunk of a function whose module was closed.
    offsets["closed_thunk"] = asm.offset
    asm.mov(64, rsp, Mem(r15, disp=Exec.NATIVE_SP))
    asm.bind(refuse)
    unwind_to_host(asm, REFUSED)

    # close_gate(rdi = gate word): set it with a locked exchange (a full barrier).
    offsets["close_gate"] = asm.offset
    asm.mov(32, rax, 1)
    asm.xchg(64, Mem(_RDI), rax)
    asm.ret()

    # exit_stub: [rsp] holds the return address into wasm code.
    offsets["exit"] = asm.offset
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
    asm.mov(64, rsp, Mem(r15, disp=Exec.NATIVE_SP))
    unwind_to_host(asm, EXITED)
    return asm.finish(), offsets


def _entry(asm: Assembler, offsets: dict[str, int], tail: EntryTail, refuse: Label) -> None:
    """``entry{k}_{tail}`` for every k: store k raw arguments (rdx, rcx, r8, r9) in the
    slots, enter (rdi = exec_ctx, rsi = funcref) and return slot 0 as ``tail`` says."""
    entry = asm.new_label()
    for k in range(len(ENTRY_ARGS) + 1):
        offsets[f"entry{k}_{tail.value}"] = asm.offset
        if k:
            asm.mov(64, r11, Mem(_RDI, disp=Exec.SLOTS))
            for i, reg in enumerate(ENTRY_ARGS[:k]):
                asm.mov(64, Mem(r11, disp=8 * i), reg)
        if k < len(ENTRY_ARGS):
            asm.jmp(entry)
    asm.bind(entry)
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


def unwind_to_host(asm: Assembler, status: int) -> None:
    """With rsp at the entry's saved registers: uncount the entry, record ``status``,
    restore the registers and return ``FAILED``."""
    asm.unary("dec", 64, Mem(r15, disp=Exec.ACTIVE))
    asm.mov(64, Mem(r15, disp=Exec.STATUS), status)
    asm.mov(64, rax, FAILED)
    for reg in reversed(HOST_CALLEE_SAVED):
        asm.pop(reg)
    asm.ret()


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
        for word in range(2 if vt == ValueType.V128 else 1):  # a v128: two words
            stack_mem = Mem(stack, disp=stack_disp + 8 * (loc.slot + word))  # type: ignore[arg-type]
            slot_mem = _slot(slot - (2 if vt == ValueType.V128 else 1) + word)
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
    asm.mov(64, r11, Mem(r15, disp=Exec.SLOTS))
    _transfer(asm, sig, params, to_slots=True, stack=rbp, stack_disp=16, results=False)
    asm.mov(64, r14, Mem(r15, disp=Exec.CALLER_MODULE))  # the exit reports the caller
    asm.mov(64, Mem(r15, disp=Exec.EXIT_CODE), exit_code(Exit.HOST_CALL, host_id))
    asm.call(Mem(r15, disp=Exec.EXIT_STUB))
    asm.mov(64, r11, Mem(r15, disp=Exec.SLOTS))
    _transfer(asm, sig, results, to_slots=False, stack=rbp, stack_disp=16, results=True)
    asm.pop(rbp)
    asm.ret()
    return label


def interrupt_handler(table: int) -> tuple[bytes, dict[str, int]]:
    """A signal handler ``void handler(int signum)`` that interrupts the running calls
    of the execution contexts listed in ``table`` (``uint64_t[]``: the handler it
    replaced, the number of slots, then one execution context address or 0 per slot)
    and then jumps to the replaced handler with its arguments untouched."""
    asm = Assembler()
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
    return asm.finish(), {"handler": 0}
