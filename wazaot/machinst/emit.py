"""The emission driver every architecture shares: allocated machine IR -> code buffer.

``<arch>/emit.py`` subclasses :class:`EmitDriver` with what is ISA-specific (the
prologue and epilogue, a register copy, a spill or a reload, the body of a trap
stub, a jump, a conditional branch, float and vector constants) and an :class:`EmitterTable`
of one emitter per instruction class, which includes the emitters every architecture
shares (``wazaot.lower.common_emit``: they are written over those hooks). The driver
does the rest for one function::

    align, bind the function label, prologue
    for each block in layout order, for each instruction n:
        source map entry (machine offset -> wasm offset) when the offset changes
        the allocator's moves before n; emitter(inst, registers of n); moves after n
    out-of-line trap stubs (each with the source offset of the instruction that asked;
        the bytes of each kind encoded once per architecture, then copied)
    jump tables: 8-byte slots, filled by ABS64 relocations at link time

and :func:`object_code` turns the module's buffer into an ``ObjectCode``.
It reads the allocation through :class:`AllocationView` (``wazaot.regalloc``'s
``Allocation`` fits it) so that this package does not depend on the allocator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from ..traps import TrapCode
from ..wasm.module import FuncType
from .frame import FrameLayout, layout_frame
from .objcode import FunctionCode, ObjectCode, Relocation, RelocKind
from .regs import Loc, PReg, RegClass, SpillSlot
from .vcode import Args, VCode

__all__ = [
    "AllocationView", "CodeBuffer", "EmitDriver", "EmitFn", "EmitterTable", "EmittedFunction",
    "LoweredView", "MoveView", "object_code",
]  # fmt: skip

LabelT = TypeVar("LabelT")


class CodeBuffer(Protocol[LabelT]):
    """What the driver needs of an architecture's assembler."""

    @property
    def offset(self) -> int: ...
    def new_label(self) -> LabelT: ...
    def bind(self, label: LabelT) -> None: ...
    def label_offset(self, label: LabelT) -> int: ...
    def align(self, n: int) -> None: ...
    def data(self, raw: bytes) -> None: ...


class MoveView(Protocol):
    """One move the allocator inserted (``wazaot.regalloc.Move``)."""

    @property
    def src(self) -> Loc: ...
    @property
    def dst(self) -> Loc: ...


class AllocationView(Protocol):
    """What the driver reads of an allocation (``wazaot.regalloc.Allocation``)."""

    @property
    def edits(self) -> Sequence[tuple[tuple[int, int], MoveView]]:
        """``((inst, 0 before / 1 after), move)``, sorted by point."""
        ...

    @property
    def num_spill_slots(self) -> Mapping[RegClass, int]: ...
    @property
    def callee_saved_used(self) -> Sequence[PReg]: ...
    @property
    def allocs(self) -> Sequence[PReg]:
        """One register per operand over the function, in instruction then visitor order."""
        ...

    @property
    def inst_alloc_start(self) -> Sequence[int]:
        """Where each instruction's registers start in ``allocs`` (one entry more than
        there are instructions)."""
        ...

    def inst_allocs(self, inst: int) -> Sequence[PReg]: ...


class LoweredView(Protocol):
    """What the driver reads of a lowered function (``wazaot.lower.isel.LoweredFunction``)."""

    @property
    def vcode(self) -> VCode: ...
    @property
    def srclocs(self) -> list[list[int]]: ...
    @property
    def outgoing_slots(self) -> int: ...
    @property
    def calls_other_instances(self) -> bool: ...
    @property
    def vectors(self) -> bool:
        """The function holds v128 values (FLOAT registers move 128 bits wide)."""
        ...


EmitFn = Callable[[Any, Any, Sequence[PReg]], None]
"""``emitter(driver, inst, regs)``: ``regs`` in the order of ``inst.operands()``."""


class EmitterTable(dict[type, EmitFn]):
    """An architecture's emitters by instruction class (starting with those of
    ``include``, the shared ones)."""

    def __init__(self, include: Mapping[type, EmitFn] | None = None):
        super().__init__(include or {})

    def register(self, cls: type) -> Callable[[Callable[..., None]], Callable[..., None]]:
        """Decorator: the emitter of instructions of class ``cls``."""

        def add(fn: Callable[..., None]) -> Callable[..., None]:
            if cls in self:
                raise ValueError(f"two emitters for {cls.__name__}")
            self[cls] = fn
            return fn

        return add


@dataclass(slots=True)
class EmittedFunction(Generic[LabelT]):
    """Where one function landed in the module's buffer, with its source map and the
    jump tables to relocate (offset of the table, the label of each entry)."""

    start: int
    end: int
    srcmap: list[tuple[int, int]]  # (machine offset, wasm offset), sorted
    jump_tables: list[tuple[int, list[LabelT]]] = field(default_factory=list)


_TRAP_STUBS: dict[tuple[type, TrapCode], bytes] = {}
"""The bytes of the trap stub of each driver class and code (position-independent)."""


class EmitDriver(Generic[LabelT]):
    """Emits one function into the module's buffer ``asm``; see the module docstring."""

    emitters: EmitterTable
    jump_table_align = 8

    def __init__(self, asm: Any, func_labels: Sequence[LabelT], stack_trap: bool = True):
        self.asm = asm
        self.func_labels = func_labels
        self.stack_trap = stack_trap  # the prologue checks the stack limit
        self.vectors = False  # the function being emitted holds v128 values
        self.traps: list[tuple[LabelT, TrapCode, int]] = []
        self.srcmap: list[tuple[int, int]] = []
        self.src = 0
        self.frame: FrameLayout | None = None
        self.block_labels: list[LabelT] = []
        self.next_block = -1
        self.jump_tables: list[tuple[LabelT, list[LabelT]]] = []

    # -- hooks of the architecture -------------------------------------------------------

    def prologue(self) -> None:
        raise NotImplementedError

    def epilogue(self) -> None:
        """Restore what the prologue saved and return."""
        raise NotImplementedError

    def move_reg(self, dst: PReg, src: PReg) -> None:
        """dst := src, two distinct registers of one class."""
        raise NotImplementedError

    def spill(self, store: bool, reg: PReg, slot: SpillSlot) -> None:
        """Store ``reg`` in spill slot ``slot`` (``store``), or load it from there."""
        raise NotImplementedError

    def trap_stub_code(self, code: TrapCode) -> bytes:
        """The bytes of an out-of-line stub that traps with ``code`` (they must hold no
        label or relocation: they are encoded once and copied)."""
        raise NotImplementedError

    def jump(self, label: LabelT) -> None:
        """An unconditional jump."""
        raise NotImplementedError

    def branch(self, cond: Any, regs: Sequence[PReg], holds: bool, target: LabelT) -> None:
        """Go to ``target`` if the condition ``cond`` (an operand group of the
        instruction, on registers ``regs``) holds (``holds``) or fails (not ``holds``)."""
        raise NotImplementedError

    def load_fconst(self, prec: int, dst: PReg, bits: int) -> None:
        """dst := the f32/f64 (``prec``) with bit pattern ``bits``."""
        raise NotImplementedError

    def vector_low(self, dst: PReg, bits: int) -> None:
        """dst := the 64 bits ``bits`` in lane 0, and zero in lane 1 (a v128)."""
        raise NotImplementedError

    def vector_zero(self, dst: PReg) -> None:
        """dst := a v128 of zeros."""
        raise NotImplementedError

    def vector_high(self, dst: PReg, bits: int) -> None:
        """Lane 1 of the v128 in dst := the 64 bits ``bits`` (lane 0 unchanged)."""
        raise NotImplementedError

    def jump_if_ordered(self, prec: int, reg: PReg, target: LabelT) -> None:
        """Go to ``target`` unless ``reg`` holds a NaN."""
        raise NotImplementedError

    # -- the steps every architecture takes alike ------------------------------------

    def move(self, m: MoveView) -> None:
        """A move the allocator inserted, between registers and spill slots (at most
        one slot)."""
        src, dst = m.src, m.dst
        if type(src) is PReg:
            if type(dst) is PReg:
                if src is not dst:
                    self.move_reg(dst, src)
                return
            assert type(dst) is SpillSlot
            self.spill(True, src, dst)
            return
        assert type(src) is SpillSlot and type(dst) is PReg
        self.spill(False, dst, src)

    def trap_stub(self, code: TrapCode) -> None:
        """The body of an out-of-line stub that traps with ``code``: encoded once per
        architecture and code, then copied."""
        key = (type(self), code)
        raw = _TRAP_STUBS.get(key)
        if raw is None:
            raw = _TRAP_STUBS[key] = self.trap_stub_code(code)
        self.asm.data(raw)

    # -- helpers for the instruction emitters ------------------------------------------

    def trap(self, code: TrapCode) -> LabelT:
        """A label that traps with ``code`` (an out-of-line stub at the function end)."""
        label: LabelT = self.asm.new_label()
        self.traps.append((label, code, self.src))
        return label

    def jump_to_block(self, block: int) -> None:
        """Go to ``block``, unless it is the next one in layout order."""
        if block != self.next_block:
            self.jump(self.block_labels[block])

    def jump_table(self, targets: Sequence[int]) -> LabelT:
        """The label of a table of the addresses of blocks ``targets`` (emitted after
        the function's code)."""
        label: LabelT = self.asm.new_label()
        self.jump_tables.append((label, [self.block_labels[t] for t in targets]))
        return label

    def mark_source(self, offset: int) -> None:
        if not self.srcmap or self.srcmap[-1][1] != offset:
            self.srcmap.append((self.asm.offset, offset))
        self.src = offset

    # -- the function --------------------------------------------------------------------

    def emit_function(self, lowered: LoweredView, alloc: AllocationView,
                      label: LabelT) -> EmittedFunction[LabelT]:  # fmt: skip
        asm = self.asm
        vcode = lowered.vcode
        self.vectors = lowered.vectors
        self.frame = layout_frame(alloc.callee_saved_used, alloc.num_spill_slots,
                                  lowered.calls_other_instances, lowered.outgoing_slots)  # fmt: skip
        self.block_labels = [asm.new_label() for _ in vcode.blocks]
        asm.align(16)
        start = asm.offset
        asm.bind(label)
        self.mark_source(lowered.srclocs[0][0] if lowered.srclocs[0] else 0)
        self.prologue()
        emitters = self.emitters
        allocs, starts = alloc.allocs, alloc.inst_alloc_start
        # The edits are sorted by point: walk them with a cursor alongside the
        # instructions. ``at`` is the next edit's point as one int: 2 * inst + (0 before
        # the instruction, 1 after), so the test per instruction is one comparison.
        edits = alloc.edits
        points = [2 * inst + pos for (inst, pos), _ in edits]
        points.append(-1)
        k, n_edits = 0, len(edits)
        at = points[0]
        srcmap = self.srcmap
        src = self.src
        n = 0
        for b, block in enumerate(vcode.blocks):
            self.next_block = b + 1
            asm.bind(self.block_labels[b])
            srcs = lowered.srclocs[b]
            for j, inst in enumerate(block.insts):
                offset = srcs[j]
                if offset != src:
                    srcmap.append((asm.offset, offset))
                    src = self.src = offset
                if at == 2 * n:
                    while at == 2 * n:
                        self.move(edits[k][1])
                        k += 1
                        at = points[k]
                if type(inst) is not Args:
                    emitters[type(inst)](self, inst, allocs[starts[n] : starts[n + 1]])
                if at == 2 * n + 1:
                    while at == 2 * n + 1:
                        self.move(edits[k][1])
                        k += 1
                        at = points[k]
                n += 1
        assert k == n_edits, "an edit at a point past the last instruction"
        self.emit_trap_stubs()
        tables = []
        for table_label, targets in self.jump_tables:
            asm.align(self.jump_table_align)
            asm.bind(table_label)
            tables.append((asm.offset, targets))
            asm.data(bytes(8 * len(targets)))
        return EmittedFunction(start, asm.offset, self.srcmap, tables)

    def emit_trap_stubs(self) -> None:
        asm = self.asm
        for label, code, src in self.traps:
            self.srcmap.append((asm.offset, src))
            asm.bind(label)
            self.trap_stub(code)


def object_code(asm: CodeBuffer[LabelT], code: bytes, functions: Mapping[int, EmittedFunction[LabelT]],
                thunks: Mapping[FuncType, LabelT]) -> ObjectCode:  # fmt: skip
    """The module's ``ObjectCode``: every jump table entry becomes an ABS64 relocation."""
    relocs = [
        Relocation(offset + 8 * k, RelocKind.ABS64, asm.label_offset(label))
        for f in functions.values()
        for offset, targets in f.jump_tables
        for k, label in enumerate(targets)
    ]
    infos = {i: FunctionCode(i, f.start, f.end, f.srcmap) for i, f in functions.items()}
    return ObjectCode(code, infos, {ft: asm.label_offset(lb) for ft, lb in thunks.items()}, relocs)
