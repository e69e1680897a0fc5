"""The linear scan proper: give each interval a register or spill it.

State per physical register ``p``: ``reg_end[p]``, the last position any interval
placed in ``p`` so far occupies, and ``reg_owner[p]``, the interval that ends there
(a virtual register, :data:`TINY`, or :data:`NOBODY`). Intervals are placed in order
of start, so ``p`` is free for ``[s, e]`` exactly when ``reg_end[p] < s`` and no
reservation of ``p`` (fixed operands of *other* virtual registers, clobbers) meets
``[s, e]``; there is no active list to expire.

Two kinds of interval share the scan:

* *main* intervals, one per virtual register (its hull, see :mod:`.liveness`),
  processed in order of start; a main interval that gets no register is *spilled*: the
  register lives in a stack slot for its whole hull;
* *tiny* intervals, one per operand of a spilled register: each use reloads into a
  register held from ``BEFORE`` to the use, each def writes a register held until
  ``AFTER``, where it is stored. Tiny intervals wait in a heap keyed by start and are
  never spilled: when no register is free, a tiny interval evicts a main one.

Evicting (spilling) a main interval that already holds register ``p`` since ``s0``
is *retroactive*: its operands before the evicting interval's start keep ``p`` as
their tiny register (``p`` held nothing else there), so the past stays valid; only its
later operands go to the heap.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left

from wazaot.machinst import RegClass, RegisterEnv, VReg
from wazaot.machinst.operands import FLAG_DEF, FLAG_FIXED, FLAG_LATE
from wazaot.regalloc.liveness import (
    AFTER,
    BEFORE,
    EARLY,
    LATE,
    MAX_RESERVATION,
    SHIFT,
    FunctionFacts,
)
from wazaot.regalloc.output import RegAllocError

__all__ = ["NOBODY", "SPILLED", "TINY", "ScanResult", "linear_scan"]

NOBODY = -1
TINY = -2
SPILLED = -1
_UNPROCESSED = -2
_NO_OWNER = -3  # matches no reservation's owner (those are >= -1)


class ScanResult:
    """Decisions of the scan: ``vreg_reg[v]`` is a PReg.index or :data:`SPILLED`;
    ``op_tiny[k]`` the register of operand ``k``'s tiny interval (or -1);
    ``op_alias[k]`` another operand of the same instruction whose reload ``k`` shares."""

    __slots__ = ("vreg_reg", "op_tiny", "op_alias")

    def __init__(self, vreg_reg: list[int], op_tiny: list[int], op_alias: dict[int, int]):
        self.vreg_reg = vreg_reg
        self.op_tiny = op_tiny
        self.op_alias = op_alias


def linear_scan(facts: FunctionFacts, env: RegisterEnv) -> ScanResult:
    """Allocate every class in turn."""
    scan = _Scan(facts)
    for cls in RegClass:
        scan.run(cls, [p.index for p in env.regs(cls)])
    return ScanResult(scan.vreg_reg, scan.op_tiny, scan.op_alias)


class _Scan:
    """The scan's state for one function (see the module docstring)."""

    def __init__(self, facts: FunctionFacts) -> None:
        self.f = facts
        nv = facts.num_vregs
        self.vreg_reg = [_UNPROCESSED] * nv
        self.prev_end = [-1] * nv
        self.density = [0.0] * nv
        self.op_tiny = [-1] * len(facts.op_vreg)
        self.op_alias: dict[int, int] = {}
        self.reg_end: list[int] = []
        self.reg_owner: list[int] = []
        self.regs: list[int] = []
        self.heap: list[tuple[int, int]] = []

    # -- reservations --------------------------------------------------------------

    def conflict(self, p: int, s: int, e: int, owner: int, tiny: bool = False) -> bool:
        """Whether a reservation of ``p`` meets ``[s, e]``.

        For a main interval, the reservations of its own fixed operands do not count
        (they ask for the value the interval holds), and one inside the hull only
        counts where the register is really live or written (:meth:`occupies`), so
        that, say, ``x = call f(x)`` may keep ``x`` in a register the call clobbers.
        A tiny interval (``tiny`` true) holds a reload or a new value, never what a
        reservation asks for, so every reservation counts.
        """
        if tiny:
            owner = _NO_OWNER
        starts = self.f.res_start[p]
        if not starts:
            return False
        j = bisect_left(starts, s - MAX_RESERVATION)
        n = len(starts)
        ends = self.f.res_end[p]
        owners = self.f.res_owner[p]
        while j < n and starts[j] <= e:
            if ends[j] >= s and owners[j] != owner:
                if tiny or self.occupies(owner, max(starts[j], s), min(ends[j], e)):
                    return True
            j += 1
        return False

    def occupies(self, v: int, rs: int, re: int) -> bool:
        """Whether ``v`` needs its register anywhere in ``[rs, re]``, positions of one
        instruction: because it is live across the instruction, read by it (up to
        its EARLY or LATE point) or written by it (from its EARLY or LATE point, or
        from BEFORE for a REUSE def that may copy its input in, to AFTER)."""
        f = self.f
        i = rs >> SHIFT
        lo = rs - (i << SHIFT)
        hi = re - (i << SHIFT)
        ops_v = f.ops[v]
        op_inst = f.op_inst
        flags = f.flags
        n = len(ops_v)
        j = bisect_left(ops_v, i, key=op_inst.__getitem__)
        defined = False
        while j < n and op_inst[ops_v[j]] == i:
            k = ops_v[j]
            fl = flags[k]
            j += 1
            if fl & FLAG_DEF:
                defined = True
                a = BEFORE if k in f.reuse_target else LATE if fl & FLAG_LATE else EARLY
                if a <= hi and AFTER >= lo:
                    return True
            elif BEFORE <= hi and (LATE if fl & FLAG_LATE else EARLY) >= lo:
                return True
        if defined:
            return False
        # Live across i: is the next access in the block a read, or is v live-out?
        b = f.inst_block[i]
        if j < n and f.inst_block[op_inst[ops_v[j]]] == b:
            i2 = op_inst[ops_v[j]]
            while j < n and op_inst[ops_v[j]] == i2:
                if not flags[ops_v[j]] & FLAG_DEF:
                    return True
                j += 1
            return False
        return v in f.live_out[b]

    # -- the scan ------------------------------------------------------------------

    def run(self, cls: RegClass, regs: list[int]) -> None:
        """Scan the intervals of class ``cls`` with registers ``regs`` (PReg indices,
        in preference order): main intervals by start, tiny ones from the heap first
        when they start no later."""
        f = self.f
        start = f.start
        end = f.end
        weight = f.weight
        density = self.density
        needs_interval = f.needs_interval
        mains = [v for v in range(f.num_vregs) if f.vcls[v] == cls and needs_interval[v]]
        heap = self.heap = [
            (((f.op_inst[k] << SHIFT) + LATE), k)
            for k in f.needs_temp
            if f.vcls[f.op_vreg[k]] == cls
        ]
        if not mains:
            return
        if not regs:
            raise RegAllocError(f"no allocatable {cls.name} registers")
        heapq.heapify(heap)
        mains.sort(key=start.__getitem__)
        for v in mains:
            density[v] = weight[v] / (((end[v] - start[v]) >> SHIFT) + 1)
        self.regs = regs
        size = max(regs) + 1
        self.reg_end = [-1] * size
        self.reg_owner = [NOBODY] * size
        alloc_main = self.alloc_main
        alloc_tiny = self.alloc_tiny
        heappop = heapq.heappop
        n = len(mains)
        m = 0
        while m < n:
            v = mains[m]
            if heap and heap[0][0] <= start[v]:
                alloc_tiny(heappop(heap)[1])
            else:
                m += 1
                alloc_main(v)
        while heap:
            alloc_tiny(heappop(heap)[1])

    def alloc_main(self, v: int) -> None:
        """Give ``v``'s hull a register: a hinted one, the first free one, or the one
        of a cheaper interval it evicts; else spill ``v``."""
        f = self.f
        s = f.start[v]
        e = f.end[v]
        reg_end = self.reg_end
        res_start = f.res_start
        share = -1
        s_other = s
        k0 = f.start_op[v]
        if k0 >= 0:
            t = f.reuse_target.get(k0)
            if t is not None:
                if k0 not in f.needs_temp:
                    # Unless it shares the input's register, the def's register must
                    # be free from BEFORE, where the input is copied into it.
                    s_other = (f.op_inst[k0] << SHIFT) + BEFORE
                    share = self.vreg_reg[f.op_vreg[t]]
            else:
                share = self.move_source_reg(k0)
        # Hints first: the register of the input this def reuses or copies, then the
        # register of a fixed operand.
        for p in (share, f.fixed_hint[v]):
            if p >= 0 and p < len(reg_end) and p in self.regs:
                st = s if p == share else s_other
                if reg_end[p] < st and not self.conflict(p, st, e, v):
                    self.assign(v, p, st)
                    return
        for p in self.regs:
            if reg_end[p] < s_other and (not res_start[p] or not self.conflict(p, s_other, e, v)):
                self.assign(v, p, s_other)
                return
        # Nothing free: evict the cheapest overlapping interval if it is cheaper than v.
        best = -1
        best_st = 0
        best_density = self.density[v]
        owner = self.reg_owner
        for p in self.regs:
            x = owner[p]
            if x < 0:
                continue
            st = s if p == share else s_other
            if reg_end[p] < st or self.prev_end[x] >= st or self.density[x] >= best_density:
                continue
            if self.conflict(p, st, e, v) or self.straddles(x, st):
                continue
            best = p
            best_st = st
            best_density = self.density[x]
        if best < 0:
            self.spill(v, 0)
            return
        self.spill(owner[best], best_st)
        self.assign(v, best, best_st)

    def assign(self, v: int, p: int, st: int) -> None:
        """Put ``v`` in ``p`` from position ``st`` to the end of its hull."""
        self.vreg_reg[v] = p
        self.prev_end[v] = self.reg_end[p]
        self.f.start[v] = st
        self.reg_end[p] = self.f.end[v]
        self.reg_owner[p] = v

    def move_source_reg(self, k: int) -> int:
        """If operand ``k`` is the destination of a move, its source's register."""
        f = self.f
        move = f.insts[f.op_inst[k]].is_move()
        if move is None or move[0] is not f.regs[k]:
            return -1
        src = move[1]
        if isinstance(src, VReg):
            return self.vreg_reg[src.index]
        return src.index

    def spill(self, v: int, boundary: int) -> None:
        """Spill ``v``. If it held a register, its operands before ``boundary`` keep it."""
        f = self.f
        p_old = self.vreg_reg[v]
        self.vreg_reg[v] = SPILLED
        new_end = self.prev_end[v]
        flags = f.flags
        op_inst = f.op_inst
        reused_by = f.reused_by
        needs_temp = f.needs_temp
        op_tiny = self.op_tiny
        heap = self.heap
        last_inst = -1
        last_rep = -1
        for k in f.ops[v]:
            fl = flags[k]
            if fl & FLAG_FIXED or k in reused_by or k in needs_temp:
                continue
            i = op_inst[k]
            base = i << SHIFT
            if fl & FLAG_DEF:
                ts = base + (LATE if fl & FLAG_LATE else EARLY)
                te = base + AFTER
            else:
                if fl == 0:
                    if i == last_inst:
                        self.op_alias[k] = last_rep
                        continue
                    last_inst = i
                    last_rep = k
                ts = base + BEFORE
                te = base + (LATE if fl & FLAG_LATE else EARLY)
            if p_old >= 0 and te < boundary:
                op_tiny[k] = p_old
                if te > new_end:
                    new_end = te
            else:
                heapq.heappush(heap, (ts, k))
        if p_old >= 0:
            self.reg_end[p_old] = new_end
            self.reg_owner[p_old] = NOBODY

    def straddles(self, x: int, b: int) -> bool:
        """Whether evicting ``x`` at position ``b`` would leave one of its operands
        with a tiny interval that starts before ``b`` and ends at or after it. Such an
        operand can neither keep ``x``'s register nor be placed in order, so a victim
        without one is preferred."""
        f = self.f
        i = b >> SHIFT
        ops_x = f.ops[x]
        op_inst = f.op_inst
        j = bisect_left(ops_x, i, key=op_inst.__getitem__)
        base = i << SHIFT
        while j < len(ops_x) and op_inst[ops_x[j]] == i:
            k = ops_x[j]
            j += 1
            fl = f.flags[k]
            if fl & FLAG_FIXED or k in f.reused_by or k in f.needs_temp:
                continue
            if fl & FLAG_DEF:
                ts = BEFORE if k in f.reuse_target else LATE if fl & FLAG_LATE else EARLY
                te = AFTER
            else:
                ts = BEFORE
                te = LATE if fl & FLAG_LATE else EARLY
            if base + ts < b <= base + te:
                return True
        return False

    def alloc_tiny(self, k: int) -> None:
        """Give operand ``k``'s tiny interval a register, evicting a main interval if
        none is free (tiny intervals are never spilled)."""
        f = self.f
        i = f.op_inst[k]
        fl = f.flags[k]
        v = f.op_vreg[k]
        base = i << SHIFT
        share = -1
        if fl & FLAG_DEF:
            ts = base + (LATE if fl & FLAG_LATE else EARLY)
            te = base + AFTER
            ts_other = ts
            t = f.reuse_target.get(k)
            if t is not None:
                ts_other = base + BEFORE
                u = f.op_vreg[t]
                if u != v:
                    share = self.vreg_reg[u]
            else:
                share = self.move_source_reg(k)
        else:
            ts = ts_other = base + BEFORE
            te = base + (LATE if fl & FLAG_LATE else EARLY)
        reg_end = self.reg_end
        res_start = self.f.res_start
        if share >= 0 and share < len(reg_end) and share in self.regs:
            if reg_end[share] < ts and not self.conflict(share, ts, te, v, True):
                self.take_tiny(k, share, te)
                return
        for p in self.regs:
            if reg_end[p] < ts_other and (
                not res_start[p] or not self.conflict(p, ts_other, te, v, True)
            ):
                self.take_tiny(k, p, te)
                return
        # Evict a main interval, preferring one the instruction does not read or
        # write (evicting that one would only move the problem), then the cheapest.
        here = set(f.op_vreg[f.inst_start[i] : f.inst_start[i + 1]])
        best = -1
        best_st = 0
        best_key = (True, True, 0.0)
        owner = self.reg_owner
        for p in self.regs:
            x = owner[p]
            if x < 0:
                continue
            st = ts if p == share else ts_other
            if reg_end[p] < st or self.prev_end[x] >= st or self.conflict(p, st, te, v, True):
                continue
            key = (self.straddles(x, st), x in here, self.density[x])
            if best < 0 or key < best_key:
                best = p
                best_st = st
                best_key = key
        if best < 0:
            raise RegAllocError(
                f"instruction {i} ({f.insts[i]!r}) needs more registers than there are"
            )
        self.spill(owner[best], best_st)
        self.take_tiny(k, best, te)

    def take_tiny(self, k: int, p: int, te: int) -> None:
        """Put operand ``k``'s tiny interval, ending at ``te``, in ``p``."""
        self.op_tiny[k] = p
        self.reg_end[p] = te
        self.reg_owner[p] = TINY
