"""Register allocation for the machine IR, independent of any architecture.

``allocate(vcode, env)`` reads a :class:`~wazaot.machinst.VCode` on virtual registers
through each instruction's ``operands()`` visitor and returns an
:class:`~wazaot.regalloc.output.Allocation`: a physical register per operand, edits
(moves, reloads, spill stores) at program points, spill slot counts per class and the
callee-saved registers used. The VCode itself is not modified.

Algorithm: linear scan over live-interval hulls, with spill-everywhere rewriting.

1. Operands are collected once into flat lists (:mod:`.liveness`); fixed operands and
   clobbers become *reservations* of physical registers over a few positions.
2. Liveness by backward dataflow over the CFG to a fixed point (the virtual registers
   are not SSA: wasm locals are defined many times, in loops); each register's
   interval is the hull of its defs, uses and the blocks where it is live in or out.
3. A linear scan in order of interval start (:mod:`.scan`) gives each hull a register
   free of other intervals and of other registers' reservations (checked exactly,
   from liveness, where the value is live or written: ``x = call f(x)`` may keep ``x``
   in a clobbered register), trying first the register of the input it reuses or
   copies (so the move can be dropped) or of its fixed operand; when none is free it
   spills the cheapest interval by use count, weighted by loop depth and divided by
   length, evicting an active one if it is cheaper than the new one.
4. A spilled register lives in a stack slot for its whole hull: each of its operands
   gets a *tiny* interval (reload at ``BEFORE`` the instruction, store ``AFTER``) that
   joins the same scan and may evict main intervals but is never spilled itself.
5. Constraints are met with edits (:mod:`.finalize`): a FIXED operand whose value is
   elsewhere is copied into or out of its register around the instruction; a REUSE
   def whose input is in another register has the input copied into the def's register
   first. Since a hull keeps one register (or one slot) throughout, no moves are ever
   needed on control-flow edges.

References: M. Poletto and V. Sarkar, "Linear Scan Register Allocation", TOPLAS 1999
(the scan and its spill heuristic); C. Wimmer and H. Mössenböck, "Optimized Interval
Splitting in a Linear Scan Register Allocator", VEE 2005, and C. Wimmer and M. Franz,
"Linear Scan Register Allocation on SSA Form", CGO 2010 (fixed intervals for
constrained operands and clobbers, positions with early/late points); Cranelift's
regalloc2 (operand constraints ANY/FIXED/REUSE, early/late positions, clobbers, the
output as allocations plus edits, minimal spill bundles that are never spilled);
wazero's wazevo ``backend/regalloc`` (an allocator behind a small ISA-neutral
interface, documented references). Known limits: no interval splitting, so a value
that outlives the free registers stays in memory for its whole hull, and a value live
across a call can only use a callee-saved register.
"""

from __future__ import annotations

from wazaot.machinst import RegisterEnv, SpillSlot, VCode
from wazaot.regalloc.dump import format_allocation
from wazaot.regalloc.finalize import build_allocation
from wazaot.regalloc.liveness import analyze
from wazaot.regalloc.output import (
    Allocation,
    Edit,
    InstPosition,
    Move,
    ProgPoint,
    RegAllocError,
)
from wazaot.regalloc.scan import linear_scan

__all__ = [
    "Allocation",
    "Edit",
    "InstPosition",
    "Move",
    "ProgPoint",
    "RegAllocError",
    "SpillSlot",
    "allocate",
    "format_allocation",
]


def allocate(vcode: VCode, env: RegisterEnv) -> Allocation:
    """Allocate registers for ``vcode`` with the registers ``env`` describes."""
    facts = analyze(vcode, env)
    result = linear_scan(facts, env)
    return build_allocation(facts, result, env)
