"""Turn the scan's decisions into the output: a register per operand, edits, slots."""

from __future__ import annotations

import heapq
from typing import Any, cast

from wazaot.machinst import Loc, PReg, RegClass, RegisterEnv, SpillSlot
from wazaot.machinst.operands import FLAG_DEF, FLAG_FIXED, FLAG_REUSE, PAYLOAD_SHIFT
from wazaot.regalloc.liveness import FunctionFacts
from wazaot.regalloc.output import Allocation, Edit, InstPosition, Move, ProgPoint
from wazaot.regalloc.scan import SPILLED, ScanResult

__all__ = ["assign_slots", "build_allocation"]


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


def build_allocation(facts: FunctionFacts, result: ScanResult, env: RegisterEnv) -> Allocation:
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
    reuse_insts = {facts.op_inst[k] for k in reuse_target}
    new = tuple.__new__  # builds the NamedTuples without their Python-level __new__

    # Most operands simply get their register's location. Only the instructions with
    # a special or physical operand, or an operand of a spilled register, need the
    # full treatment below, except the commonest: one REUSE def whose value and input
    # both live in registers (at most one copy, of the input into the def's register).
    allocs: list[Any] = [locs[v] for v in op_vreg]
    op_inst = facts.op_inst
    busy: set[int] = set()
    simple: dict[int, int] = {}
    for k in facts.special:
        i = op_inst[k]
        if (
            flags[k] & FLAG_REUSE
            and i not in simple
            and k not in needs_temp
            and locs[op_vreg[k]].__class__ is PReg
            and locs[op_vreg[reuse_target[k]]].__class__ is PReg
        ):
            simple[i] = k
        else:
            busy.add(i)
    for v in slots:
        busy.update(map(op_inst.__getitem__, facts.ops[v]))
    edits: list[Edit] = []
    before: list[Move] = []
    fixed_in: list[Move] = []
    reuse_in: list[Move] = []
    after: list[Move] = []
    for i in sorted(busy.union(simple)):
        if i not in busy:
            k = simple[i]
            t = reuse_target[k]
            preg = allocs[k]
            allocs[t] = preg
            src = locs[op_vreg[t]]
            if src is not preg:
                point = new(ProgPoint, (i, InstPosition.BEFORE))
                edits.append(new(Edit, (point, new(Move, (src, preg)))))
            continue
        k0 = inst_start[i]
        k1 = inst_start[i + 1]
        has_reuse = i in reuse_insts
        for k in range(k0, k1):
            v = op_vreg[k]
            if v < 0:
                allocs[k] = regs[k]
                continue
            loc = locs[v]
            fl = flags[k]
            if fl & FLAG_FIXED:
                preg = from_index(fl >> PAYLOAD_SHIFT)
                if loc is not preg and loc is not None:  # None: never read, no interval
                    if fl & FLAG_DEF:
                        after.append(new(Move, (preg, loc)))
                    else:
                        fixed_in.append(new(Move, (loc, preg)))
                allocs[k] = preg
                continue
            if has_reuse:
                if k in reused_by:
                    continue  # filled in from its def below
                if k in needs_temp:
                    preg = from_index(op_tiny[k])
                    after.append(new(Move, (preg, loc)))
                    allocs[k] = preg
                    _reuse_copy(k, preg, reuse_target, reused_by, op_vreg, locs, allocs, reuse_in)
                    continue
            if loc.__class__ is PReg:
                preg = loc
            else:
                rep = op_alias.get(k, k)
                preg = from_index(op_tiny[rep])
                if fl & FLAG_DEF:
                    after.append(new(Move, (preg, loc)))
                elif rep == k:
                    before.append(new(Move, (loc, preg)))
            allocs[k] = preg
            if has_reuse and fl & FLAG_REUSE:
                _reuse_copy(k, preg, reuse_target, reused_by, op_vreg, locs, allocs, reuse_in)
        if before or fixed_in or reuse_in:
            point = new(ProgPoint, (i, InstPosition.BEFORE))
            for move in before + fixed_in + reuse_in:
                edits.append(new(Edit, (point, move)))
            before = []
            fixed_in = []
            reuse_in = []
        if after:
            point = new(ProgPoint, (i, InstPosition.AFTER))
            for move in after:
                edits.append(new(Edit, (point, move)))
            after = []

    # Registers the function writes: every register given to an interval, and every
    # register with a reservation (fixed operands, clobbers, physical operands).
    written = {from_index(p) for p in set(vreg_reg) | set(op_tiny) if p >= 0}
    written.update(from_index(p) for p, starts in enumerate(facts.res_start) if starts)
    return Allocation(
        allocs=cast(list[PReg], allocs),
        inst_alloc_start=list(inst_start),
        edits=edits,
        num_spill_slots=counts,
        callee_saved_used=sorted(written & env.callee_saved, key=lambda p: (p.cls, p.hw)),
        spilled=slots,
    )


def _reuse_copy(
    k: int,
    preg: PReg,
    reuse_target: dict[int, int],
    reused_by: dict[int, int],
    op_vreg: list[int],
    locs: list[Loc | None],
    allocs: list[PReg | None],
    reuse_in: list[Move],
) -> None:
    """REUSE def ``k`` got ``preg``: so does its input, copied in if it is elsewhere."""
    t = reuse_target[k]
    allocs[t] = preg
    src = locs[op_vreg[t]]
    if src is not preg:
        assert src is not None
        reuse_in.append(tuple.__new__(Move, (src, preg)))
