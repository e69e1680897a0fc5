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
    op_vreg: list[int]
    op_inst: list[int]
    clobbers: dict[int, list[PReg]]
    num_vregs: int
    vcls: list[int]
    start: list[int]
    end: list[int]
    start_op: list[int]
    """The def operand at the start of the hull, or -1 (hull starts at a use or block)."""
    weight: list[float]
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
    """Collect operands, check them, compute liveness and intervals."""
    blocks = vcode.blocks
    nblocks = len(blocks)
    if nblocks and not 0 <= vcode.entry < nblocks:
        raise RegAllocError(f"entry block {vcode.entry} out of range")
    cfg = analyze_cfg([b.succs for b in blocks], vcode.entry)
    nv = vcode.num_vregs
    npregs = preg_count()
    allocatable = [False] * npregs
    for regs_of_class in env.allocatable.values():
        for preg in regs_of_class:
            allocatable[preg.index] = True

    col = RecordingCollector()
    regs = col.regs
    flags = col.flags
    insts: list[MachInst] = []
    inst_start: list[int] = []
    op_vreg: list[int] = []
    op_inst: list[int] = []
    vcls = [-1] * nv
    start = [_UNSET] * nv
    end = [-1] * nv
    start_op = [-1] * nv
    weight = [0.0] * nv
    needs_interval = [False] * nv
    ops: list[list[int]] = [[] for _ in range(nv)]
    fixed_hint = [-1] * nv
    reservations: list[list[tuple[int, int, int]]] = [[] for _ in range(npregs)]
    reuse_target: dict[int, int] = {}
    reused_by: dict[int, int] = {}
    needs_temp: set[int] = set()
    gens: list[set[int]] = []
    kills: list[set[int]] = []
    block_first: list[int] = []

    i = 0
    for b, block in enumerate(blocks):
        block_first.append(i)
        freq = cfg.freq[b]
        gen: set[int] = set()
        kill: set[int] = set()
        for inst in block.insts:
            k0 = len(regs)
            inst_start.append(k0)
            insts.append(inst)
            col.inst = i
            inst.operands(col)
            k1 = len(regs)
            base = i << SHIFT
            defs: list[int] = []
            special = False
            for k in range(k0, k1):
                r = regs[k]
                f = flags[k]
                op_inst.append(i)
                if isinstance(r, VReg):
                    v = r.index
                    if v >= nv:
                        raise RegAllocError(f"{r!r} beyond VCode.num_vregs ({nv})")
                    if vcls[v] != r.cls:
                        if vcls[v] >= 0:
                            raise RegAllocError(f"virtual register {v} used with two classes")
                        vcls[v] = r.cls
                    op_vreg.append(v)
                    ops[v].append(k)
                    weight[v] += freq
                    if not f & FLAG_DEF or not f & FLAG_FIXED:
                        needs_interval[v] = True
                    p = base + (LATE if f & FLAG_LATE else EARLY)
                    if f & FLAG_DEF:
                        defs.append(v)
                        if p < start[v]:
                            start[v] = p
                            start_op[v] = k
                        # An early def is a scratch the instruction may use until its
                        # end, so even a dead one holds its register until LATE.
                        pe = base + LATE
                    else:
                        if p < start[v]:
                            start[v] = p
                            start_op[v] = -1
                        if v not in kill:
                            gen.add(v)
                        pe = p
                    if pe > end[v]:
                        end[v] = pe
                    if f & 3 == _DEF_EARLY or f & 3 == _USE_LATE:
                        special = True
                    if f & FLAG_FIXED:
                        pi = f >> PAYLOAD_SHIFT
                        if pi >= npregs or PReg.from_index(pi).cls != r.cls:
                            raise RegAllocError(f"instruction {i}: bad fixed register for {r!r}")
                        if f & FLAG_DEF:
                            rng = (base + (LATE if f & FLAG_LATE else EARLY), base + AFTER)
                        else:
                            rng = (base + BEFORE, base + (LATE if f & FLAG_LATE else EARLY))
                        reservations[pi].append((rng[0], rng[1], v))
                        if fixed_hint[v] < 0:
                            fixed_hint[v] = pi
                    elif f & FLAG_REUSE:
                        reuse_target[k] = k0 + (f >> PAYLOAD_SHIFT)
                else:
                    op_vreg.append(-1)
                    if f & ~3:
                        raise RegAllocError(f"instruction {i}: constraint on physical {r!r}")
                    pi = r.index
                    if allocatable[pi]:
                        p = base + (LATE if f & FLAG_DEF else EARLY)
                        reservations[pi].append((p, p, -1))
            if len(defs) > 1 and len(set(defs)) != len(defs):
                raise RegAllocError(f"instruction {i} defines a register twice: {inst!r}")
            if special:
                _check_positions(i, inst, k0, k1, flags, op_vreg)
            kill.update(defs)
            i += 1
        gens.append(gen)
        kills.append(kill)
    inst_start.append(len(regs))
    block_first.append(i)
    inst_block: list[int] = []
    for b in range(nblocks):
        inst_block.extend([b] * (block_first[b + 1] - block_first[b]))

    for k, t in reuse_target.items():
        _check_reuse(k, t, op_inst, inst_start, flags, op_vreg, vcls)
        reused_by[t] = k
        d = op_vreg[k]
        u = op_vreg[t]
        if d != u:
            for k2 in range(inst_start[op_inst[k]], inst_start[op_inst[k] + 1]):
                if k2 != t and op_vreg[k2] == d and not flags[k2] & FLAG_DEF:
                    needs_temp.add(k)

    for b, block in enumerate(blocks):
        if block.insts:
            last = block_first[b + 1] - 1
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

    live_in, live_out = _solve_liveness(cfg, gens, kills, [b.succs for b in blocks])
    _extend_hulls(live_in, live_out, block_first, start, end, start_op)

    return FunctionFacts(
        insts=insts,
        inst_start=inst_start,
        regs=regs,
        flags=flags,
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
