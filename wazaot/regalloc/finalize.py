"""Turn the scan's decisions into the output: a register per operand, edits, slots."""

from __future__ import annotations

import heapq
from typing import cast

from wazaot.machinst import Loc, PReg, RegClass, RegisterEnv, SpillSlot
from wazaot.machinst.operands import FLAG_DEF, FLAG_FIXED, PAYLOAD_SHIFT
from wazaot.regalloc.liveness import FunctionFacts
from wazaot.regalloc.output import Allocation, Edit, InstPosition, Move, ProgPoint
from wazaot.regalloc.scan import SPILLED, ScanResult

__all__ = ["finalize"]


def assign_slots(
    facts: FunctionFacts, vreg_reg: list[int]
) -> tuple[dict[int, SpillSlot], dict[RegClass, int]]:
    """Give each spilled register a slot of its class; registers whose hulls do not
    overlap share a slot (a slot is busy over its register's whole hull, which
    covers every point where the register is live)."""
    slots: dict[int, SpillSlot] = {}
    counts: dict[RegClass, int] = {cls: 0 for cls in RegClass}
    for cls in RegClass:
        spilled = [
            v for v in range(facts.num_vregs) if vreg_reg[v] == SPILLED and facts.vcls[v] == cls
        ]
        spilled.sort(key=facts.start.__getitem__)
        busy: list[tuple[int, int]] = []  # (end, slot index)
        free: list[int] = []
        made: list[SpillSlot] = []
        for v in spilled:
            s = facts.start[v]
            while busy and busy[0][0] < s:
                heapq.heappush(free, heapq.heappop(busy)[1])
            if free:
                index = heapq.heappop(free)
            else:
                index = len(made)
                made.append(SpillSlot(index, cls))
            slots[v] = made[index]
            heapq.heappush(busy, (facts.end[v], index))
        counts[cls] = len(made)
    return slots, counts


def finalize(facts: FunctionFacts, result: ScanResult, env: RegisterEnv) -> Allocation:
    """Build the :class:`Allocation`.

    At each instruction the edits come out in this order, which makes them correct
    when applied one after the other:

    before: reloads into tiny registers; copies into FIXED use registers; copies of a
            REUSE input into its def's register. Every destination is a register
            claimed from ``BEFORE`` by that edit alone; every source is a register of
            a live value, a slot, or (never) an earlier destination.
    after:  stores of spilled defs; copies out of FIXED def registers and out of
            REUSE temporaries. Sources are registers claimed only until ``AFTER``.
    """
    vreg_reg = result.vreg_reg
    op_tiny = result.op_tiny
    op_alias = result.op_alias
    slots, counts = assign_slots(facts, vreg_reg)
    from_index = PReg.from_index
    locs: list[Loc | None] = [
        from_index(r) if r >= 0 else slots.get(v) for v, r in enumerate(vreg_reg)
    ]
    regs = facts.regs
    flags = facts.flags
    op_vreg = facts.op_vreg
    reuse_target = facts.reuse_target
    reused_by = facts.reused_by
    needs_temp = facts.needs_temp
    inst_start = facts.inst_start

    allocs: list[PReg | None] = [None] * len(op_vreg)
    edits: list[Edit] = []
    written: set[PReg] = set()
    for i in range(len(facts.insts)):
        k0 = inst_start[i]
        k1 = inst_start[i + 1]
        reloads: list[Move] = []
        fixed_in: list[Move] = []
        reuse_in: list[Move] = []
        after: list[Move] = []
        pending: list[int] = []
        for k in range(k0, k1):
            v = op_vreg[k]
            fl = flags[k]
            if v < 0:
                preg = regs[k]
                assert isinstance(preg, PReg)
                allocs[k] = preg
                if fl & FLAG_DEF:
                    written.add(preg)
                continue
            loc = locs[v]
            assert loc is not None
            if fl & FLAG_FIXED:
                preg = from_index(fl >> PAYLOAD_SHIFT)
                if fl & FLAG_DEF:
                    written.add(preg)
                    if loc is not preg:
                        after.append(Move(preg, loc))
                elif loc is not preg:
                    fixed_in.append(Move(loc, preg))
                allocs[k] = preg
                continue
            if k in reused_by:
                pending.append(k)
                continue
            if k in needs_temp:
                preg = from_index(op_tiny[k])
                after.append(Move(preg, loc))
            elif isinstance(loc, PReg):
                preg = loc
            else:
                rep = op_alias.get(k, k)
                preg = from_index(op_tiny[rep])
                if fl & FLAG_DEF:
                    after.append(Move(preg, loc))
                elif rep == k:
                    reloads.append(Move(loc, preg))
            allocs[k] = preg
            if fl & FLAG_DEF:
                written.add(preg)
                t = reuse_target.get(k)
                if t is not None:
                    src = locs[op_vreg[t]]
                    assert src is not None
                    if src is not preg:
                        reuse_in.append(Move(src, preg))
        for t in pending:
            allocs[t] = allocs[reused_by[t]]
        if reloads or fixed_in or reuse_in:
            point = ProgPoint(i, InstPosition.BEFORE)
            for move in reloads + fixed_in + reuse_in:
                edits.append(Edit(point, move))
                if isinstance(move.dst, PReg):
                    written.add(move.dst)
        if after:
            point = ProgPoint(i, InstPosition.AFTER)
            for move in after:
                edits.append(Edit(point, move))
                if isinstance(move.dst, PReg):
                    written.add(move.dst)
    for pregs in facts.clobbers.values():
        written.update(pregs)
    return Allocation(
        allocs=cast(list[PReg], allocs),
        inst_alloc_start=list(inst_start),
        edits=edits,
        num_spill_slots=counts,
        callee_saved_used=sorted(written & env.callee_saved, key=lambda p: p.index),
        spilled=slots,
    )
