"""What the allocator hands back: allocations, edits, spill slots (regalloc2's shape)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

from wazaot.machinst import Loc, PReg, RegClass, SpillSlot

__all__ = ["Allocation", "Edit", "InstPosition", "Move", "ProgPoint", "RegAllocError"]


class RegAllocError(Exception):
    """The function breaks an operand rule, or one instruction asks for more registers
    than its class has."""


class InstPosition(IntEnum):
    """Where an edit goes relative to its instruction."""

    BEFORE = 0
    AFTER = 1


class ProgPoint(NamedTuple):
    """A point between instructions: just before or just after instruction ``inst``
    (numbered over the function in layout order). Points sort in execution order."""

    inst: int
    pos: InstPosition

    def __repr__(self) -> str:
        return f"{'before' if self.pos is InstPosition.BEFORE else 'after'} {self.inst}"


class Move(NamedTuple):
    """Copy the value in ``src`` to ``dst``. At most one side is a spill slot: a
    register-to-register move, a reload (slot to register) or a spill (register to
    slot)."""

    src: Loc
    dst: Loc

    def __repr__(self) -> str:
        return f"{self.dst!r} <- {self.src!r}"


class Edit(NamedTuple):
    """A move the emitter inserts at a program point."""

    point: ProgPoint
    move: Move


@dataclass(slots=True)
class Allocation:
    """The result of :func:`wazaot.regalloc.allocate`.

    * ``allocs`` holds one physical register per operand over the whole function;
      instruction ``i``'s operands are ``allocs[inst_alloc_start[i]:inst_alloc_start[i+1]]``
      in visitor order (:meth:`inst_allocs`). Operands never live in memory: every use
      of a spilled value is reloaded into a register first.
    * ``edits`` are sorted by point. **Edits at one point are sequential**: apply them
      in list order (they are generated so that no edit overwrites a location a later
      edit at the same point reads). ``after i`` comes before ``before i+1``. The last
      instruction of a block never gets ``after`` edits (terminators define nothing),
      so no edit ever sits on a control-flow edge.
    * ``num_spill_slots[cls]`` slots of each class are used, numbered from 0.
    * ``callee_saved_used``: callee-saved registers the function writes, sorted by
      class and hardware number (not by ``PReg.index``, which depends on the order
      registers were created in the process); the prologue must save them.
    """

    allocs: list[PReg]
    inst_alloc_start: list[int]
    edits: list[Edit]
    num_spill_slots: dict[RegClass, int]
    callee_saved_used: list[PReg]
    spilled: dict[int, SpillSlot]
    """Spilled virtual registers (by index) and their slots, for dumps and debugging."""

    def inst_allocs(self, inst: int) -> Sequence[PReg]:
        """The registers of instruction ``inst``'s operands, in visitor order."""
        return self.allocs[self.inst_alloc_start[inst] : self.inst_alloc_start[inst + 1]]

    def edits_by_point(self) -> dict[ProgPoint, list[Move]]:
        """The edits grouped by point (each list in execution order)."""
        grouped: dict[ProgPoint, list[Move]] = {}
        for point, move in self.edits:
            grouped.setdefault(point, []).append(move)
        return grouped
