"""The frame of a compiled function, laid out the same way on every architecture, so
that backtraces read the caller's frame pointer at [fp] and the return address at
[fp + 8] on each. From high to low addresses (fp: ``rbp``, ``x29``)::

    [fp + 16 + 8k]              incoming stack slot k (parameters, then results:
                                the caller's outgoing slot k, ``wazaot.machinst.abi``)
    [fp + 8]                    return address
    [fp]                        the caller's frame pointer
    [fp - 8 * (i + 1)]          callee-saved register i the allocator used
    [fp + ctx_slot]             the saved module context (functions that call
                                another instance), one word
    [fp - int_slots_base - 8k]  INT spill slot k-1 (8 bytes each)
    (padding to 16)
    [fp - float_slots_base - 16k] FLOAT spill slot k-1 (16 bytes each)
    ...
    [sp + 8k]                   outgoing stack slot k (calls)

``size`` is what the prologue subtracts from the stack pointer, a multiple of 16.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .regs import PReg, RegClass, SpillSlot

__all__ = ["FrameLayout", "layout_frame", "outgoing_bytes"]

WORD = 8
STACK_ALIGN = 16


def outgoing_bytes(n: int) -> int:
    """Bytes for ``n`` outgoing 8-byte slots, keeping the stack 16-byte aligned."""
    return (WORD * n + STACK_ALIGN - 1) & ~(STACK_ALIGN - 1)


@dataclass(frozen=True, slots=True)
class FrameLayout:
    """Where a function's saved registers and spill slots sit below the frame pointer."""

    saved: tuple[PReg, ...]
    ctx_slot: int | None  # frame-pointer offset of the saved module context
    int_slots_base: int
    float_slots_base: int
    size: int  # bytes subtracted from the stack pointer after the frame pointer is set

    def saved_offset(self, i: int) -> int:
        """The frame-pointer offset of saved register ``saved[i]``."""
        return -WORD * (i + 1)

    def slot_offset(self, slot: SpillSlot) -> int:
        """The frame-pointer offset of a spill slot."""
        if slot.cls is RegClass.INT:
            return -(self.int_slots_base + WORD * (slot.index + 1))
        return -(self.float_slots_base + 16 * (slot.index + 1))


def layout_frame(callee_saved_used: Sequence[PReg], num_spill_slots: Mapping[RegClass, int],
                 calls_other_instances: bool, outgoing_slots: int) -> FrameLayout:  # fmt: skip
    """The frame of a function from its allocation and what lowering recorded."""
    saved = tuple(callee_saved_used)
    used = WORD * len(saved)
    ctx_slot = None
    if calls_other_instances:
        used += WORD
        ctx_slot = -used
    int_base = used
    used += WORD * num_spill_slots.get(RegClass.INT, 0)
    used = (used + STACK_ALIGN - 1) & ~(STACK_ALIGN - 1)
    float_base = used
    used += 16 * num_spill_slots.get(RegClass.FLOAT, 0)
    size = (used + outgoing_bytes(outgoing_slots) + STACK_ALIGN - 1) & ~(STACK_ALIGN - 1)
    return FrameLayout(saved, ctx_slot, int_base, float_base, size)
