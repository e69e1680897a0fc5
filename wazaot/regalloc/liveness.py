"""Operand table, block liveness and live intervals.

Program points
--------------
Instruction ``i`` owns the eight positions ``8*i .. 8*i+7``; five of them matter::

    8i+0  BEFORE   edits placed before i (reloads, copies into fixed registers)
    8i+2  EARLY    uses are read, early defs written
    8i+3  CLOBBER  clobbered registers are destroyed
    8i+4  LATE     defs are written, late uses read for the last time
    8i+6  AFTER    edits placed after i (spill stores, copies out of fixed registers)

A value occupies its register over a closed range of positions; two values (or a value
and a reservation) may share a register only if their ranges are disjoint. With these
points a use read at EARLY and a def written at LATE may share a register, an early
def may share with no use, a clobber hits only what lives across the instruction, and
``AFTER i`` precedes ``BEFORE i+1``.

Liveness
--------
The virtual registers are not in SSA form, so liveness is the classic backward
dataflow problem, iterated to a fixed point over the CFG (loops included)::

    live_out(b) = union of live_in(s) for each successor s
    live_in(b)  = gen(b) | (live_out(b) - kill(b))

where ``gen(b)`` holds the registers read in ``b`` before any write in ``b`` and
``kill(b)`` those written in ``b``.

Intervals
---------
Each virtual register gets one interval, the *hull* of everything live about it in
layout order: from the earliest of its defs, its uses and the starts of blocks where it
is live-in, to the latest of its uses, defs and the ends of blocks where it is
live-out. The hull is a superset of the true live range, however the CFG is laid out
(a value live around a loop is live-in at the header and live-out at the latch, so the
hull spans the whole loop body). Giving a register to the whole hull is therefore
always correct; the price is that holes in the range cannot be lent to other
intervals. They can be lent to *reservations* (fixed operands, clobbers): inside its
hull, a register is checked against a reservation only at the instruction concerned,
where the operands and the liveness sets tell exactly whether its value is needed
there (see ``occupies`` in :mod:`.scan`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain, repeat
from operator import sub

from wazaot.machinst import (
    MachInst,
    PReg,
    RecordingCollector,
    RegisterEnv,
    VCode,
    VReg,
    preg_count,
)
from wazaot.machinst.operands import FLAG_DEF, FLAG_FIXED, FLAG_LATE, FLAG_REUSE, PAYLOAD_SHIFT
from wazaot.regalloc.cfg import CfgInfo, analyze_cfg
from wazaot.regalloc.output import RegAllocError

__all__ = [
    "AFTER",
    "BEFORE",
    "CLOBBER",
    "EARLY",
    "FunctionFacts",
    "LATE",
    "MAX_RESERVATION",
    "analyze",
]

BEFORE = 0
EARLY = 2
CLOBBER = 3
LATE = 4
AFTER = 6
SHIFT = 3  # positions per instruction: 1 << SHIFT
MAX_RESERVATION = AFTER - BEFORE
"""No reservation spans more positions than this."""

_UNSET = 1 << 62
_DEF_EARLY = FLAG_DEF
_USE_LATE = FLAG_LATE
_FIXED_DEF = FLAG_DEF | FLAG_FIXED


@dataclass(slots=True)
class FunctionFacts:
    """Everything the scan needs to know about a function, in flat lists.

    Operands are numbered over the function (``k``); physical operands have
    ``op_vreg[k] == -1``. Per virtual register ``v``: ``start[v]``..``end[v]`` is its
    hull (``start[v] == _UNSET`` if it never occurs), ``ops[v]`` its operands in order.
    """

    insts: list[MachInst]
    inst_start: list[int]
    """Operand offset of each instruction, plus the total at the end."""
    regs: list[PReg | VReg]
    flags: list[int]
    special: list[int]
    """Operands that are neither a plain use nor a plain def, or physical, in order."""
    op_vreg: list[int]
    op_inst: list[int]
    clobbers: dict[int, list[PReg]]
    num_vregs: int
    vcls: list[int]
    start: list[int]
    end: list[int]
    start_op: list[int]
    """The def operand at the start of the hull, or -1 (hull starts at a use or block)."""
    weight: list[int]
    needs_interval: list[bool]
    """False for a register that is never read and only defined by FIXED operands
    (an unused call result, a scratch pinned to a register): its value never has to
    leave the fixed register, so it gets no interval and no copies."""
    ops: list[list[int]]
    fixed_hint: list[int]
    """A PReg.index some FIXED operand of the register names, or -1."""
    reuse_target: dict[int, int]
    """REUSE def operand -> the use operand whose register it takes."""
    reused_by: dict[int, int]
    """The inverse: use operand -> REUSE def operand."""
    needs_temp: set[int]
    """REUSE defs whose register must be a fresh temporary: the defined register is
    also read by another operand of the instruction (in any register, fixed ones
    included), so its old value must survive until the instruction has read it."""
    res_start: list[list[int]]
    """Per PReg.index, sorted starts of its reservations."""
    res_end: list[list[int]]
    res_owner: list[list[int]]
    """The virtual register a reservation belongs to, or -1 (clobber, physical use)."""
    cfg: CfgInfo
    live_in: list[set[int]]
    live_out: list[set[int]]
    block_first: list[int]
    """First instruction of each block, plus the total at the end."""
    inst_block: list[int]
    """The block of each instruction."""


def analyze(vcode: VCode, env: RegisterEnv) -> FunctionFacts:
    """Collect operands, check them, compute liveness and intervals.

    The work is arranged for CPython: the operands are collected once into flat lists,
    the per-operand tables are built by C-level passes (comprehensions, ``map``,
    ``repeat``), and the Python-level loops run once per virtual register or per
    *special* operand (FIXED, REUSE, late use, early def), not once per operand.
    Liveness only tracks the registers that can be live at a block boundary.
    """
    blocks = vcode.blocks
    nblocks = len(blocks)
    if nblocks and not 0 <= vcode.entry < nblocks:
        raise RegAllocError(f"entry block {vcode.entry} out of range")
    succs = [b.succs for b in blocks]
    cfg = analyze_cfg(succs, vcode.entry)
    nv = vcode.num_vregs
    npregs = preg_count()
    allocatable = [False] * npregs
    for regs_of_class in env.allocatable.values():
        for preg in regs_of_class:
            allocatable[preg.index] = True

    col = RecordingCollector()
    regs = col.regs
    flags = col.flags
    inst_start: list[int] = []
    block_first: list[int] = []
    i = 0
    for block in blocks:
        block_first.append(i)
        for inst in block.insts:
            inst_start.append(len(regs))
            col.inst = i
            inst.operands(col)
            i += 1
    ninsts = i
    nops = len(regs)
    inst_start.append(nops)
    block_first.append(ninsts)
    insts: list[MachInst] = [inst for block in blocks for inst in block.insts]
    inst_counts = list(map(sub, inst_start[1:], inst_start))
    block_sizes = list(map(sub, block_first[1:], block_first))
    op_inst = list(chain.from_iterable(map(repeat, range(ninsts), inst_counts)))
    inst_block = list(chain.from_iterable(map(repeat, range(nblocks), block_sizes)))

    vcls = [-1] * nv
    reservations: list[list[tuple[int, int, int]]] = [[] for _ in range(npregs)]
    op_vreg = [r.index for r in regs]
    physical = False
    special = col.special
    for r in set(regs):
        if isinstance(r, VReg):
            v = r.index
            if v >= nv:
                raise RegAllocError(f"{r!r} beyond VCode.num_vregs ({nv})")
            if vcls[v] >= 0:
                raise RegAllocError(f"virtual register {v} used with two classes")
            vcls[v] = r.cls
        else:
            physical = True
    if physical:
        special = list(special)
        for k, r in enumerate(regs):
            if not isinstance(r, VReg):
                special.append(k)
                op_vreg[k] = -1
                f = flags[k]
                i = op_inst[k]
                if f & ~3:
                    raise RegAllocError(f"instruction {i}: constraint on physical {r!r}")
                pi = r.index
                if allocatable[pi]:
                    p = (i << SHIFT) + (LATE if f & FLAG_DEF else EARLY)
                    reservations[pi].append((p, p, -1))

    ops: list[list[int]] = [[] for _ in range(nv + 1)]  # ops[-1]: physical operands
    for k, v in enumerate(op_vreg):
        ops[v].append(k)
    ops.pop()

    # Special operands: FIXED reservations, REUSE targets, position rules.
    fixed_hint = [-1] * nv
    reuse_target: dict[int, int] = {}
    reused_by: dict[int, int] = {}
    needs_temp: set[int] = set()
    checked: set[int] = set()
    for k in col.special:
        v = op_vreg[k]
        if v < 0:
            continue
        f = flags[k]
        i = op_inst[k]
        if (f & 3 == _DEF_EARLY or f & 3 == _USE_LATE) and i not in checked:
            checked.add(i)
            _check_positions(i, insts[i], inst_start[i], inst_start[i + 1], flags, op_vreg)
        if f & FLAG_FIXED:
            pi = f >> PAYLOAD_SHIFT
            if pi >= npregs or PReg.from_index(pi).cls != vcls[v]:
                raise RegAllocError(f"instruction {i}: bad fixed register for {regs[k]!r}")
            base = i << SHIFT
            if f & FLAG_DEF:
                rng = (base + (LATE if f & FLAG_LATE else EARLY), base + AFTER)
            else:
                rng = (base + BEFORE, base + (LATE if f & FLAG_LATE else EARLY))
            reservations[pi].append((rng[0], rng[1], v))
            if fixed_hint[v] < 0:
                fixed_hint[v] = pi
        elif f & FLAG_REUSE:
            reuse_target[k] = inst_start[i] + (f >> PAYLOAD_SHIFT)

    # A register only ever defined by FIXED defs needs no interval.
    needs_interval = list(map(bool, ops))
    for v, pi in enumerate(fixed_hint):
        if pi >= 0:
            needs_interval[v] = any(
                flags[k] & _FIXED_DEF != _FIXED_DEF for k in ops[v]
            )

    # Hulls, weights, and the registers liveness must track: those read before
    # being written in some block (a register defined and then only used within
    # one block is live at no block boundary).
    start = [_UNSET] * nv
    end = [-1] * nv
    start_op = [-1] * nv
    freq = cfg.freq
    if any(d != 1 for d in freq):
        op_freq = list(
            chain.from_iterable(
                map(repeat, chain.from_iterable(map(repeat, freq, block_sizes)), inst_counts)
            )
        )
        weight = [sum(map(op_freq.__getitem__, o)) for o in ops]
    else:
        weight = list(map(len, ops))
    tracked: list[int] = []
    for v, o in enumerate(ops):
        n = len(o)
        if not n:
            continue
        k = o[0]
        i = op_inst[k]
        kl = o[-1]
        il = op_inst[kl]
        if n > 1 and (
            op_inst[o[1]] == i
            or op_inst[o[-2]] == il
            or (n > 3 and len(set(map(op_inst.__getitem__, o))) != n)
        ):
            # Two operands in one instruction: the general (slower) walk.
            _hull_with_repeats(v, o, flags, op_inst, insts, start, end, start_op)
            tracked.append(v)
            continue
        f = flags[k]
        base = i << SHIFT
        start[v] = base + (LATE if f & FLAG_LATE else EARLY)
        if f & FLAG_DEF:
            start_op[v] = k
            if inst_block[il] != inst_block[i]:
                tracked.append(v)
        else:
            tracked.append(v)
        f = flags[kl]
        base = il << SHIFT
        end[v] = base + (LATE if f & (FLAG_DEF | FLAG_LATE) else EARLY)

    gens: list[set[int]] = [set() for _ in range(nblocks)]
    kills: list[set[int]] = [set() for _ in range(nblocks)]
    for v in tracked:
        b_prev = -1
        kill_inst = -1
        for k in ops[v]:
            i = op_inst[k]
            b = inst_block[i]
            if b != b_prev:
                b_prev = b
                kill_inst = -1
            if flags[k] & FLAG_DEF:
                if kill_inst < 0:
                    kill_inst = i
                    kills[b].add(v)
            elif kill_inst < 0 or kill_inst == i:
                gens[b].add(v)

    for k, t in reuse_target.items():
        _check_reuse(k, t, op_inst, inst_start, flags, op_vreg, vcls)
        reused_by[t] = k
        d = op_vreg[k]
        u = op_vreg[t]
        if d != u:
            for k2 in range(inst_start[op_inst[k]], inst_start[op_inst[k] + 1]):
                if k2 != t and op_vreg[k2] == d and not flags[k2] & FLAG_DEF:
                    needs_temp.add(k)

    if physical:
        special.sort()

    for b in range(nblocks):
        last = block_first[b + 1] - 1
        if last >= block_first[b]:
            if any(flags[k] & FLAG_DEF for k in range(inst_start[last], inst_start[last + 1])):
                if insts[last].is_terminator():
                    raise RegAllocError(f"terminator {insts[last]!r} defines a register")

    for clobbered_inst, pregs in col.clobbers.items():
        p = (clobbered_inst << SHIFT) + CLOBBER
        for preg in set(pregs):
            if allocatable[preg.index]:
                reservations[preg.index].append((p, p, -1))

    res_start: list[list[int]] = []
    res_end: list[list[int]] = []
    res_owner: list[list[int]] = []
    for pi, rs in enumerate(reservations):
        if not rs:
            res_start.append([])
            res_end.append([])
            res_owner.append([])
            continue
        rs.sort()
        for a, z in zip(rs, rs[1:]):
            if z[0] <= a[1] and (a[2] != z[2] or a[2] < 0) and a != z:
                raise RegAllocError(
                    f"{PReg.from_index(pi)} is required by two operands at instruction "
                    f"{z[0] >> SHIFT}"
                )
        res_start.append([r[0] for r in rs])
        res_end.append([r[1] for r in rs])
        res_owner.append([r[2] for r in rs])

    live_in, live_out = _solve_liveness(cfg, gens, kills, succs)
    _extend_hulls(live_in, live_out, block_first, start, end, start_op)

    return FunctionFacts(
        insts=insts,
        inst_start=inst_start,
        regs=regs,
        flags=flags,
        special=special,
        op_vreg=op_vreg,
        op_inst=op_inst,
        clobbers=col.clobbers,
        num_vregs=nv,
        vcls=vcls,
        start=start,
        end=end,
        start_op=start_op,
        weight=weight,
        needs_interval=needs_interval,
        ops=ops,
        fixed_hint=fixed_hint,
        reuse_target=reuse_target,
        reused_by=reused_by,
        needs_temp=needs_temp,
        res_start=res_start,
        res_end=res_end,
        res_owner=res_owner,
        cfg=cfg,
        live_in=live_in,
        live_out=live_out,
        block_first=block_first,
        inst_block=inst_block,
    )


def _hull_with_repeats(
    v: int,
    o: list[int],
    flags: list[int],
    op_inst: list[int],
    insts: list[MachInst],
    start: list[int],
    end: list[int],
    start_op: list[int],
) -> None:
    """The hull of ``v`` (operands ``o``) when an instruction names it twice; rejects
    two defs of it in one instruction."""
    s = _UNSET
    so = -1
    e = -1
    def_inst = -1
    for k in o:
        f = flags[k]
        i = op_inst[k]
        base = i << SHIFT
        p = base + (LATE if f & FLAG_LATE else EARLY)
        if f & FLAG_DEF:
            if i == def_inst:
                raise RegAllocError(f"instruction {i} defines a register twice: {insts[i]!r}")
            def_inst = i
            if p < s:
                s = p
                so = k
            # An early def is a scratch the instruction may use until its end, so even
            # a dead one holds its register until LATE.
            p = base + LATE
        elif p < s:
            s = p
            so = -1
        if p > e:
            e = p
    start[v] = s
    end[v] = e
    start_op[v] = so


def _check_positions(
    i: int, inst: MachInst, k0: int, k1: int, flags: list[int], op_vreg: list[int]
) -> None:
    """Reject an instruction that early-defines a register it uses, or late-uses a
    register it defines: no single register could serve both operands."""
    uses: dict[int, int] = {}
    defs: dict[int, int] = {}
    for k in range(k0, k1):
        v = op_vreg[k]
        if v >= 0:
            table = defs if flags[k] & FLAG_DEF else uses
            table[v] = table.get(v, 0) | flags[k]
    for v, f in defs.items():
        if v in uses and (f & 3 == _DEF_EARLY or uses[v] & FLAG_LATE):
            raise RegAllocError(
                f"instruction {i} uses and early-defines (or late-uses and defines) %v{v}: {inst!r}"
            )


def _check_reuse(
    k: int,
    t: int,
    op_inst: list[int],
    inst_start: list[int],
    flags: list[int],
    op_vreg: list[int],
    vcls: list[int],
) -> None:
    i = op_inst[k]
    if not inst_start[i] <= t < inst_start[i + 1]:
        raise RegAllocError(f"instruction {i}: reuse of operand {t - inst_start[i]} out of range")
    if flags[t] != 0 or op_vreg[t] < 0:
        raise RegAllocError(
            f"instruction {i}: a REUSE def must name an early unconstrained virtual use"
        )
    if vcls[op_vreg[t]] != vcls[op_vreg[k]]:
        raise RegAllocError(f"instruction {i}: REUSE across register classes")


def _solve_liveness(
    cfg: CfgInfo,
    gens: list[set[int]],
    kills: list[set[int]],
    succs: list[list[int]],
) -> tuple[list[set[int]], list[set[int]]]:
    """Backward dataflow to a fixed point, with a worklist seeded in postorder."""
    n = len(gens)
    live_in: list[set[int]] = [set(g) for g in gens]
    live_out: list[set[int]] = [set() for _ in range(n)]
    order = list(cfg.postorder) + [b for b in range(n) if not cfg.reachable[b]]
    work = list(reversed(order))  # popped from the end: postorder first
    queued = [True] * n
    while work:
        b = work.pop()
        queued[b] = False
        out: set[int] = set()
        for s in succs[b]:
            out |= live_in[s]
        live_out[b] = out
        new_in = gens[b] | (out - kills[b])
        if len(new_in) != len(live_in[b]):
            live_in[b] = new_in
            for p in cfg.preds[b]:
                if not queued[p]:
                    queued[p] = True
                    work.append(p)
    return live_in, live_out


def _extend_hulls(
    live_in: list[set[int]],
    live_out: list[set[int]],
    block_first: list[int],
    start: list[int],
    end: list[int],
    start_op: list[int],
) -> None:
    """Stretch each hull over the blocks where its register is live-in or live-out.

    Only the first block (in layout order) where a register is live-in can lower its
    start, and only the last where it is live-out can raise its end, so each register
    is visited once per direction.
    """
    nblocks = len(live_in)
    seen: set[int] = set()
    for b in range(nblocks):
        first, nxt = block_first[b], block_first[b + 1]
        if first == nxt:
            continue
        new = live_in[b] - seen
        if new:
            seen |= new
            p = first << SHIFT
            for v in new:
                if p < start[v]:
                    start[v] = p
                    start_op[v] = -1
    seen = set()
    for b in range(nblocks - 1, -1, -1):
        first, nxt = block_first[b], block_first[b + 1]
        if first == nxt:
            continue
        new = live_out[b] - seen
        if new:
            seen |= new
            p = ((nxt - 1) << SHIFT) + AFTER
            for v in new:
                if p > end[v]:
                    end[v] = p
