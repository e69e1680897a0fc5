"""arm64 trampolines between the host (AAPCS64, via cffi) and wasm code.

The same stubs as ``wazaot/amd64/trampolines.py``, with the same protocol::

    entry{K}_{tail}(x0 = exec_ctx, x1 = funcref [, x2 .. x5 = a0 .. a3])   C-callable
        -> slot 0 (the first result) as ``tail`` reads it, or FAILED
        (entryK first stores K raw arguments in the slots.) Saves the host's
        callee-saved registers (x19-x28, d8-d15) under a frame record, records the
        host stack pointer, loads x28 (execution context), x27 (the function's module
        context) and x26 (its memory base), switches to the wasm stack at
        ``stack_top`` and calls the funcref's entry thunk; returns slot 0 when the
        thunk returns, else FAILED with the reason in ``exec_ctx.status``. Running
        entries are counted in ``exec_ctx.active``; once the engine's gate is set,
        entries are refused.
    exit_stub                                                    called by wasm code (blr)
        ``exit_code`` (and the slots or ``args``) are already stored; x30 holds the
        return address into wasm code. Records the exit point (pc, sp, fp, module
        context), switches to the host stack and calls ``callback(exec_ctx,
        exit_code)`` there; a nested entry starts below the suspended wasm frames.
        0: back into the wasm code; otherwise every wasm frame of the current entry
        is abandoned and ``entry`` returns FAILED with status EXITED.
    close_gate(x0 = gate word)                                   C-callable
        sets it between two ``dmb ish``: a full barrier, so that the entry's count
        (a store, ``dmb ish``, then the read of the gate) and the engine's close (the
        gate, then the reads of the counts) always see one another.

Per-signature *entry thunks* (in each module's code) and *host stubs* as on x86-64.
The callback preserves x19-x29 (AAPCS64), which include every register the wasm
convention preserves (x19-x25) and the reserved ones (x26-x28).
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
from .abi import Signature, gpr, signature, vec
from .args import Barrier, Label, PairIndex
from .encoding import blr, br, dmb, ret
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

HOST_CALLEE_SAVED = ((x19, x20), (x21, x22), (x23, x24), (x25, x26), (x27, x28))
HOST_CALLEE_SAVED_FP = ((v8, v9), (v10, v11), (v12, v13), (v14, v15))

# Bytes left between the suspended wasm frames and a nested entry's first frame.
NESTED_ENTRY_GAP = 256

ENTRY_ARGS = (x2, x3, x4, x5)  # entry_k's raw arguments (AAPCS64 argument registers)
assert len(ENTRY_ARGS) == MAX_ENTRY_ARGS


def _push_host_registers(asm: FarAssembler) -> None:
    pair(asm, PairOp.stp_x, PairIndex.pre, x29, x30, sp, -16)
    asm.emit(mov_sp(64, x29, sp))
    for a, b in HOST_CALLEE_SAVED:
        pair(asm, PairOp.stp_x, PairIndex.pre, a, b, sp, -16)
    for va, vb in HOST_CALLEE_SAVED_FP:
        pair(asm, PairOp.stp_d, PairIndex.pre, va, vb, sp, -16)


def _pop_host_registers_and_return(asm: FarAssembler) -> None:
    for va, vb in reversed(HOST_CALLEE_SAVED_FP):
        pair(asm, PairOp.ldp_d, PairIndex.post, va, vb, sp, 16)
    for a, b in reversed(HOST_CALLEE_SAVED):
        pair(asm, PairOp.ldp_x, PairIndex.post, a, b, sp, 16)
    pair(asm, PairOp.ldp_x, PairIndex.post, x29, x30, sp, 16)
    asm.emit(ret())


def _set_sp(asm: FarAssembler, src_offset: int) -> None:
    """sp := [x28 + src_offset]."""
    ldst(asm, LdSt.ldr_x, x16, x28, src_offset)
    asm.emit(mov_sp(64, sp, x16))


def _add_to_active(asm: FarAssembler, delta: int) -> None:
    """exec_ctx.active += delta (only this thread writes it)."""
    ldst(asm, LdSt.ldr_x, x16, x28, Exec.ACTIVE)
    op = AddSubOp.add if delta > 0 else AddSubOp.sub
    asm.emit(add_sub_imm(op, 64, x16, x16, Imm12(abs(delta))))
    ldst(asm, LdSt.str_x, x16, x28, Exec.ACTIVE)


def runtime_stubs() -> tuple[bytes, dict[str, int]]:
    """The entry and exit stubs; returns the code and each stub's offset."""
    asm = FarAssembler()
    offsets: dict[str, int] = {}

    refuse = asm.new_label()
    for tail in EntryTail:
        _entry(asm, offsets, tail, refuse)

    # closed_thunk: the entry thunk of a function whose module was closed.
    offsets["closed_thunk"] = asm.offset
    _set_sp(asm, Exec.NATIVE_SP)
    asm.bind(refuse)
    unwind_to_host(asm, REFUSED)

    # close_gate(x0 = gate word): a full barrier around the store.
    offsets["close_gate"] = asm.offset
    mov_imm(asm, 64, x16, 1)
    asm.emit(dmb(Barrier.ish))
    ldst(asm, LdSt.str_x, x16, x0, 0)
    asm.emit(dmb(Barrier.ish))
    asm.emit(ret())

    # exit_stub: x30 holds the return address into wasm code.
    offsets["exit"] = asm.offset
    ldst(asm, LdSt.str_x, x30, x28, Exec.EXIT_PC)
    asm.emit(mov_sp(64, x17, sp))
    ldst(asm, LdSt.str_x, x17, x28, Exec.EXIT_SP)
    ldst(asm, LdSt.str_x, x29, x28, Exec.EXIT_FP)
    ldst(asm, LdSt.str_x, x27, x28, Exec.EXIT_MODULE)
    # To the host stack: save the wasm sp and return address, stack_top and native_sp
    # (a nested entry changes both), 32 bytes that keep sp 16-byte aligned.
    _set_sp(asm, Exec.NATIVE_SP)
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
    _set_sp(asm, Exec.NATIVE_SP)
    unwind_to_host(asm, EXITED)
    return asm.finish(), offsets


def _entry(asm: FarAssembler, offsets: dict[str, int], tail: EntryTail, refuse: Label) -> None:
    """``entry{k}_{tail}`` for every k: store k raw arguments (x2-x5) in the slots,
    enter (x0 = exec_ctx, x1 = funcref) and return slot 0 as ``tail`` says."""
    entry = asm.new_label()
    for k in range(len(ENTRY_ARGS) + 1):
        offsets[f"entry{k}_{tail.value}"] = asm.offset
        if k:
            ldst(asm, LdSt.ldr_x, x16, x0, Exec.SLOTS)
            for i, reg in enumerate(ENTRY_ARGS[:k]):
                ldst(asm, LdSt.str_x, reg, x16, 8 * i)
        if k < len(ENTRY_ARGS):
            asm.b(entry)
    asm.bind(entry)
    _push_host_registers(asm)
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
    _add_to_active(asm, 1)
    asm.emit(dmb(Barrier.ish))
    ldst(asm, LdSt.ldr_x, x16, x28, Exec.GATE)
    ldst(asm, LdSt.ldr_x, x16, x16, 0)
    asm.cbnz(64, x16, refuse)
    ldst(asm, LdSt.ldr_x, x27, x1, FuncRef.MODULE_CTX)
    ldst(asm, LdSt.ldr_x, x26, x27, ModuleCtx.MEMORY_BASE)
    ldst(asm, LdSt.ldr_x, x16, x1, FuncRef.CODE)
    ldst(asm, LdSt.str_x, x16, x28, Exec.CALL_TARGET)
    ldst(asm, LdSt.ldr_x, x17, x1, FuncRef.THUNK)
    _set_sp(asm, Exec.STACK_TOP)
    asm.emit(mov_reg(64, x29, xzr))  # ends the frame chain for backtraces
    asm.emit(blr(x17))
    _set_sp(asm, Exec.NATIVE_SP)
    _add_to_active(asm, -1)
    ldst(asm, LdSt.ldr_x, x16, x28, Exec.SLOTS)
    if tail is EntryTail.U32:
        ldst(asm, LdSt.ldr_w, x0, x16, 0)
    elif tail is EntryTail.S32:
        ldst(asm, LdSt.ldrsw, x0, x16, 0)
    else:
        ldst(asm, LdSt.ldr_x, x0, x16, 0)
    _pop_host_registers_and_return(asm)


def unwind_to_host(asm: FarAssembler, status: int) -> None:
    """With sp at the entry's saved registers: uncount the entry, record ``status``,
    restore the registers and return ``FAILED``."""
    _add_to_active(asm, -1)
    mov_imm(asm, 64, x16, status)
    ldst(asm, LdSt.str_x, x16, x28, Exec.STATUS)
    mov_imm(asm, 64, x0, FAILED)
    _pop_host_registers_and_return(asm)


def entry_thunk(asm: FarAssembler, params: Sequence[ValueType],
                results: Sequence[ValueType]) -> Label:  # fmt: skip
    """Emit the entry thunk of one function type into ``asm``; returns its label."""
    sig = signature(tuple(params), tuple(results))
    label = asm.new_label()
    asm.align(16)
    asm.bind(label)
    pair(asm, PairOp.stp_x, PairIndex.pre, x29, x30, sp, -16)
    asm.emit(mov_sp(64, x29, sp))
    out_bytes = (8 * sig.stack_slots + 15) & ~15
    if out_bytes:
        add_imm(asm, sp, sp, -out_bytes)
    ldst(asm, LdSt.ldr_x, x17, x28, Exec.SLOTS)
    _transfer(asm, sig, params, to_slots=False, stack=sp, stack_disp=0, results=False)
    ldst(asm, LdSt.ldr_x, x16, x28, Exec.CALL_TARGET)
    asm.emit(blr(x16))
    ldst(asm, LdSt.ldr_x, x17, x28, Exec.SLOTS)
    _transfer(asm, sig, results, to_slots=True, stack=sp, stack_disp=0, results=True)
    asm.emit(mov_sp(64, sp, x29))
    pair(asm, PairOp.ldp_x, PairIndex.post, x29, x30, sp, 16)
    asm.emit(ret())
    return label


def _transfer(asm: FarAssembler, sig: Signature, types: Sequence[ValueType], *, to_slots: bool,
              stack: Gpr, stack_disp: int, results: bool) -> None:  # fmt: skip
    """Move values between the slot buffer (x17) and their convention locations;
    stack locations are at [``stack`` + ``stack_disp`` + 8k]. x16 is the temporary."""
    locs = sig.results if results else sig.params
    slot = 0
    for vt, loc in zip(types, locs):
        offset = 8 * slot
        slot += 2 if vt == ValueType.V128 else 1
        if loc.reg is not None:
            if vt in (ValueType.F32, ValueType.F64):
                ldst(asm, LdSt.str_d if to_slots else LdSt.ldr_d, vec(loc.reg), x17, offset,
                     scratch=x16)  # fmt: skip
            else:
                ldst(asm, LdSt.str_x if to_slots else LdSt.ldr_x, gpr(loc.reg), x17, offset,
                     scratch=x16)  # fmt: skip
            continue
        stack_offset = stack_disp + 8 * loc.slot
        for word in range(2 if vt == ValueType.V128 else 1):  # a v128: two words
            at, stack_at = offset + 8 * word, stack_offset + 8 * word
            if to_slots:
                ldst(asm, LdSt.ldr_x, x16, stack, stack_at, scratch=x16)
                ldst(asm, LdSt.str_x, x16, x17, at, scratch=x30)
            else:
                ldst(asm, LdSt.ldr_x, x16, x17, at, scratch=x16)
                ldst(asm, LdSt.str_x, x16, stack, stack_at, scratch=x30)


def host_stub(asm: FarAssembler, host_id: int, params: Sequence[ValueType],
              results: Sequence[ValueType]) -> Label:  # fmt: skip
    """A function of the wasm convention that calls host function ``host_id``."""
    sig = signature(tuple(params), tuple(results))
    label = asm.new_label()
    asm.align(16)
    asm.bind(label)
    pair(asm, PairOp.stp_x, PairIndex.pre, x29, x30, sp, -16)
    asm.emit(mov_sp(64, x29, sp))
    ldst(asm, LdSt.ldr_x, x17, x28, Exec.SLOTS)
    _transfer(asm, sig, params, to_slots=True, stack=x29, stack_disp=16, results=False)
    ldst(asm, LdSt.ldr_x, x27, x28, Exec.CALLER_MODULE)  # the exit reports the caller
    mov_imm(asm, 64, x16, exit_code(Exit.HOST_CALL, host_id))
    ldst(asm, LdSt.str_x, x16, x28, Exec.EXIT_CODE)
    ldst(asm, LdSt.ldr_x, x16, x28, Exec.EXIT_STUB)
    asm.emit(blr(x16))
    ldst(asm, LdSt.ldr_x, x17, x28, Exec.SLOTS)
    _transfer(asm, sig, results, to_slots=False, stack=x29, stack_disp=16, results=True)
    pair(asm, PairOp.ldp_x, PairIndex.post, x29, x30, sp, 16)
    asm.emit(ret())
    return label


def interrupt_handler(table: int) -> tuple[bytes, dict[str, int]]:
    """A signal handler ``void handler(int signum, ...)`` that interrupts the running
    calls of the execution contexts listed in ``table`` (``uint64_t[]``: the handler it
    replaced, the number of slots, then one execution context address or 0 per slot)
    and then jumps to the replaced handler with its arguments (x0-x2) untouched."""
    asm = FarAssembler()
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
    return asm.finish(), {"handler": 0}


