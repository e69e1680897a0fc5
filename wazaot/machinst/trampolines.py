"""The trampolines between the host (C, via cffi) and wasm code, laid out alike on every
architecture.

Runtime-wide stubs (one mapping per Runtime)::

    entry{K}_{tail}(exec_ctx, funcref [, a0, a1, a2, a3])        C-callable
        -> slot 0 (the first result) as ``tail`` reads it, or FAILED
        (entryK first stores K raw arguments in the slots.) Saves the host's
        callee-saved registers, records the host stack pointer, loads the reserved
        registers (execution context, the function's module context, its memory
        base), switches to the wasm stack at ``stack_top`` and calls the funcref's
        entry thunk, which calls the funcref's code; returns slot 0 when the thunk
        returns, else FAILED with the reason in ``exec_ctx.status``. Running entries
        are counted in ``exec_ctx.active``; once the engine's gate is set, entries
        are refused.
    closed_thunk                                                 an entry thunk
        of a function whose module was closed: refuses the entry (REFUSED).
    close_gate(gate word)                                        C-callable
        sets the gate with a full barrier, so that an entry's count and the
        engine's close always see one another.
    exit_stub                                                    called by wasm code
        ``exit_code`` (and the slots or ``args``) are already stored. Records the
        exit point (pc, sp, fp, module context), switches to the host stack and
        calls ``callback(exec_ctx, exit_code)`` there, so Python never runs on the
        wasm stack. A nested entry made by the callback starts below the suspended
        wasm frames (``stack_top`` is lowered around the callback, by
        :data:`NESTED_ENTRY_GAP` and more). When the callback returns 0 the stub
        returns to the wasm code; otherwise (a trap, an exception in a host
        function) it abandons every wasm frame of the current entry and ``entry``
        returns FAILED with status EXITED.

Per-signature *entry thunks* (in each module's code) move the arguments from the
slot buffer to the locations of the wasm calling convention, call the function whose
address is in ``exec_ctx.call_target`` and move its results back. *Host stubs* make
a host function callable like a wasm function: they store the arguments in the slots,
exit with ``HOST_CALL`` and the host function's id, and load the results.

:class:`Trampolines` holds that layout and the loops over arguments and slots; an
architecture (``<arch>/trampolines.py``) subclasses it with the instructions of each
step, and its ``TargetISA`` gets ``runtime_stubs``, ``interrupt_handler`` and
``host_stubs`` from it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from ..api import ValueType
from ..vmctx import MAX_ENTRY_ARGS, REFUSED, EntryTail
from ..wasm.module import FuncType
from .abi import CallConv, Signature, signature
from .isa import StubCode
from .regs import PReg

__all__ = ["NESTED_ENTRY_GAP", "StubsFromTrampolines", "Trampolines"]

NESTED_ENTRY_GAP = 256
"""Bytes left between the suspended wasm frames and a nested entry's first frame."""

LabelT = TypeVar("LabelT")

_FLOATS = (ValueType.F32, ValueType.F64)


class Trampolines(Generic[LabelT]):
    """Emits trampolines into the assembler ``asm``; see the module docstring. The
    hooks are the architecture's instructions for each step."""

    call_conv: ClassVar[CallConv]
    entry_args: ClassVar[tuple[Any, ...]]
    """The registers of entry_k's raw arguments (the C argument registers after
    exec_ctx and funcref)."""
    stack_pointer: ClassVar[Any]
    frame_pointer: ClassVar[Any]
    assembler: ClassVar[Callable[[], Any]]  # a new, empty assembler
    empty_code: ClassVar[bytes]  # the code of no host stubs: one trapping instruction

    def __init__(self, asm: Any):
        self.asm = asm

    # -- hooks of the architecture -------------------------------------------------------

    def jump(self, label: LabelT) -> None:
        raise NotImplementedError

    def load_entry_slots(self) -> None:
        """The scratch register := the slot buffer of the exec_ctx in the first C
        argument register (for ``store_entry_arg``)."""
        raise NotImplementedError

    def store_entry_arg(self, i: int, reg: Any) -> None:
        """Slot ``i`` := the raw argument in ``reg``."""
        raise NotImplementedError

    def enter(self, tail: EntryTail, refuse: LabelT) -> None:
        """The body every entry{k}_{tail} ends in (after its arguments are stored),
        going to ``refuse`` when the gate is set."""
        raise NotImplementedError

    def restore_host_sp(self) -> None:
        """sp := the host stack pointer the entry recorded."""
        raise NotImplementedError

    def unwind_to_host(self, status: int) -> None:
        """With sp at the entry's saved registers: uncount the entry, record ``status``,
        restore the registers and return ``FAILED``."""
        raise NotImplementedError

    def close_gate(self) -> None:
        raise NotImplementedError

    def exit_stub(self) -> None:
        raise NotImplementedError

    def interrupt_handler_code(self, table: int) -> None:
        """The signal handler of ``TargetISA.interrupt_handler``, at offset 0."""
        raise NotImplementedError

    def push_frame(self) -> None:
        """A frame record (the return address and the caller's frame pointer); the
        frame pointer := sp."""
        raise NotImplementedError

    def reserve_stack(self, size: int) -> None:
        """sp -= size."""
        raise NotImplementedError

    def restore_sp(self) -> None:
        """sp := the frame pointer."""
        raise NotImplementedError

    def pop_frame_and_return(self) -> None:
        raise NotImplementedError

    def load_slots(self) -> None:
        """The slot register := the execution context's slot buffer."""
        raise NotImplementedError

    def call_target(self) -> None:
        """Call the code at ``exec_ctx.call_target``."""
        raise NotImplementedError

    def call_host(self, host_id: int) -> None:
        """Exit with ``HOST_CALL`` and ``host_id``, reporting the caller's module
        context."""
        raise NotImplementedError

    def move_slot(self, to_slots: bool, is_float: bool, reg: PReg, offset: int) -> None:
        """Between ``reg`` and the slot at ``offset`` in the slot register's buffer."""
        raise NotImplementedError

    def copy_stack_slot(self, to_slots: bool, offset: int, stack: Any, stack_offset: int) -> None:
        """Between the slot at ``offset`` and the stack word at [``stack`` +
        ``stack_offset``]."""
        raise NotImplementedError

    # -- the layout ------------------------------------------------------------------------

    @classmethod
    def runtime_stubs(cls) -> StubCode:
        """The entry stubs, ``closed_thunk``, ``close_gate`` and the exit stub."""
        t = cls(cls.assembler())
        asm = t.asm
        offsets: dict[str, int] = {}
        refuse = asm.new_label()
        for tail in EntryTail:
            t.entries(offsets, tail, refuse)
        offsets["closed_thunk"] = asm.offset
        t.restore_host_sp()
        asm.bind(refuse)
        t.unwind_to_host(REFUSED)
        offsets["close_gate"] = asm.offset
        t.close_gate()
        offsets["exit"] = asm.offset
        t.exit_stub()
        return StubCode(asm.finish(), offsets)

    @classmethod
    def interrupt_handler(cls, table: int) -> StubCode:
        t = cls(cls.assembler())
        t.interrupt_handler_code(table)
        return StubCode(t.asm.finish(), {"handler": 0})

    @classmethod
    def host_stubs(cls, functions: Sequence[tuple[int, FuncType]]) -> StubCode:
        t = cls(cls.assembler())
        labels = {str(host_id): t.host_stub(host_id, ft.params, ft.results)
                  for host_id, ft in functions}  # fmt: skip
        code = t.asm.finish() or cls.empty_code
        return StubCode(code, {k: t.asm.label_offset(label) for k, label in labels.items()})

    def entries(self, offsets: dict[str, int], tail: EntryTail, refuse: LabelT) -> None:
        """``entry{k}_{tail}`` for every k: store k raw arguments in the slots, then
        enter and return slot 0 as ``tail`` says."""
        asm = self.asm
        assert len(self.entry_args) == MAX_ENTRY_ARGS
        entry = asm.new_label()
        for k in range(MAX_ENTRY_ARGS + 1):
            offsets[f"entry{k}_{tail.value}"] = asm.offset
            if k:
                self.load_entry_slots()
                for i, reg in enumerate(self.entry_args[:k]):
                    self.store_entry_arg(i, reg)
            if k < MAX_ENTRY_ARGS:
                self.jump(entry)
        asm.bind(entry)
        self.enter(tail, refuse)

    def _start(self, params: Sequence[ValueType], results: Sequence[ValueType]
               ) -> tuple[LabelT, Signature]:  # fmt: skip
        label: LabelT = self.asm.new_label()
        self.asm.align(16)
        self.asm.bind(label)
        self.push_frame()
        return label, signature(self.call_conv, tuple(params), tuple(results))

    @classmethod
    def emit_entry_thunk(cls, asm: Any, params: Sequence[ValueType],
                         results: Sequence[ValueType]) -> LabelT:  # fmt: skip
        """:meth:`entry_thunk` into ``asm`` (what ``machinst.chunks.join_chunks`` takes)."""
        return cls(asm).entry_thunk(params, results)

    def entry_thunk(self, params: Sequence[ValueType], results: Sequence[ValueType]) -> LabelT:
        """The entry thunk of one function type; returns its label."""
        label, sig = self._start(params, results)
        out_bytes = (8 * sig.stack_slots + 15) & ~15
        if out_bytes:
            self.reserve_stack(out_bytes)
        sp = self.stack_pointer
        self.load_slots()
        self.transfer(sig.params, params, to_slots=False, stack=sp, stack_disp=0)
        self.call_target()
        self.load_slots()
        self.transfer(sig.results, results, to_slots=True, stack=sp, stack_disp=0)
        self.restore_sp()
        self.pop_frame_and_return()
        return label

    def host_stub(self, host_id: int, params: Sequence[ValueType],
                  results: Sequence[ValueType]) -> LabelT:  # fmt: skip
        """A function of the wasm convention that calls host function ``host_id``."""
        label, sig = self._start(params, results)
        fp = self.frame_pointer  # the caller's outgoing slots are above the frame record
        self.load_slots()
        self.transfer(sig.params, params, to_slots=True, stack=fp, stack_disp=16)
        self.call_host(host_id)
        self.load_slots()
        self.transfer(sig.results, results, to_slots=False, stack=fp, stack_disp=16)
        self.pop_frame_and_return()
        return label

    def transfer(self, locs: Sequence[Any], types: Sequence[ValueType], *, to_slots: bool,
                 stack: Any, stack_disp: int) -> None:  # fmt: skip
        """Move values between the slot buffer and their convention locations ``locs``
        (a v128 takes two slots); stack locations are at [``stack`` + ``stack_disp``
        + 8k]."""
        slot = 0
        for vt, loc in zip(types, locs):
            offset = 8 * slot
            slot += 2 if vt == ValueType.V128 else 1
            if loc.reg is not None:
                self.move_slot(to_slots, vt in _FLOATS, loc.reg, offset)
                continue
            for word in range(2 if vt == ValueType.V128 else 1):  # a v128: two words
                at = 8 * word
                self.copy_stack_slot(to_slots, offset + at, stack, stack_disp + 8 * loc.slot + at)


class StubsFromTrampolines:
    """The stub methods of a ``TargetISA`` (``runtime_stubs``, ``interrupt_handler``,
    ``host_stubs``), from its :class:`Trampolines`."""

    trampolines: ClassVar[type[Trampolines[Any]]]

    def runtime_stubs(self) -> StubCode:
        return self.trampolines.runtime_stubs()

    def interrupt_handler(self, table: int) -> StubCode:
        return self.trampolines.interrupt_handler(table)

    def host_stubs(self, functions: Sequence[tuple[int, FuncType]]) -> StubCode:
        return self.trampolines.host_stubs(functions)
