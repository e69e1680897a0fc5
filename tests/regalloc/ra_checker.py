"""A symbolic checker for allocations (after regalloc2's checker).

It runs an abstract interpretation over the CFG whose state maps each location (a
physical register or a spill slot) to the virtual register whose *current* value it
holds. Edits copy that knowledge; a def of ``v`` writes its location and makes every
other copy of ``v`` stale (the registers are not SSA, so an old copy is a different
value); clobbers and physical defs erase; at a join a location keeps a virtual
register only if every predecessor agrees. At each use, the operand's location must
hold the virtual register the instruction reads. Besides, every operand's allocation
must satisfy its constraint, registers written at one point must not collide, moves
never go from slot to slot, and every callee-saved register written is reported.
"""

from __future__ import annotations

from collections.abc import Iterable

from wazaot.machinst import (
    ConstraintKind,
    Operand,
    OperandKind,
    OperandPos,
    PReg,
    RegisterEnv,
    SpillSlot,
    VCode,
    VReg,
    operands_of,
)
from wazaot.regalloc import Allocation, InstPosition, Move, ProgPoint

State = dict[object, VReg]


class CheckError(AssertionError):
    """The allocation is wrong."""


def _kill(state: State, v: VReg) -> None:
    for loc in [loc for loc, held in state.items() if held is v]:
        del state[loc]


def _meet(states: Iterable[State]) -> State:
    it = iter(states)
    out = dict(next(it))
    for other in it:
        for loc in list(out):
            if other.get(loc) is not out[loc]:
                del out[loc]
    return out


def check(vcode: VCode, env: RegisterEnv, alloc: Allocation) -> None:
    """Raise :class:`CheckError` if ``alloc`` is not a correct allocation of ``vcode``."""
    starts = vcode.inst_numbers()
    edits = alloc.edits_by_point()
    n_insts = starts[-1]
    if len(alloc.inst_alloc_start) != n_insts + 1:
        raise CheckError("wrong number of instructions in the allocation")
    _check_edits(alloc, env)
    _check_callee_saved(vcode, env, alloc, starts)

    preds: list[list[int]] = [[] for _ in vcode.blocks]
    for b, block in enumerate(vcode.blocks):
        for s in block.succs:
            preds[s].append(b)
    out_states: dict[int, State] = {}
    work = [vcode.entry]
    in_entry: State = {}
    while work:
        b = work.pop()
        if b == vcode.entry and not preds[b]:
            state = dict(in_entry)
        else:
            known = [out_states[p] for p in preds[b] if p in out_states]
            if b == vcode.entry:
                known.append(in_entry)
            state = _meet(known)
        for n, inst in enumerate(vcode.blocks[b].insts):
            i = starts[b] + n
            _step(state, inst, i, env, alloc, edits)
        if out_states.get(b) != state:
            out_states[b] = state
            work.extend(s for s in vcode.blocks[b].succs if s not in work)


def _apply(state: State, moves: Iterable[Move]) -> None:
    for move in moves:
        held = state.get(move.src)
        if held is None:
            state.pop(move.dst, None)
        else:
            state[move.dst] = held


def _step(
    state: State,
    inst: object,
    i: int,
    env: RegisterEnv,
    alloc: Allocation,
    edits: dict[ProgPoint, list[Move]],
) -> None:
    _apply(state, edits.get(ProgPoint(i, InstPosition.BEFORE), ()))
    ops, clobbers = operands_of(inst)  # type: ignore[arg-type]
    allocs = list(alloc.inst_allocs(i))
    where = f"instruction {i} {inst!r}"
    if len(allocs) != len(ops):
        raise CheckError(f"{where}: {len(allocs)} allocations for {len(ops)} operands")
    for k, (op, preg) in enumerate(zip(ops, allocs)):
        _check_constraint(op, preg, allocs, env, f"{where} operand {k}")

    def is_(kind: OperandKind, pos: OperandPos) -> list[int]:
        return [k for k, op in enumerate(ops) if op.kind is kind and op.position is pos]

    early_uses = is_(OperandKind.USE, OperandPos.EARLY)
    late_uses = is_(OperandKind.USE, OperandPos.LATE)
    early_defs = is_(OperandKind.DEF, OperandPos.EARLY)
    late_defs = is_(OperandKind.DEF, OperandPos.LATE)
    # Registers written at the same moment, or written while an operand still reads.
    for group in (early_defs, late_defs):
        written = [allocs[k] for k in group]
        if len(set(written)) != len(written):
            raise CheckError(f"{where}: two defs in one register: {written}")
    for k in early_defs:
        for u in early_uses + late_uses:
            if allocs[k] is allocs[u]:
                raise CheckError(f"{where}: early def shares {allocs[k]} with a use")
        if allocs[k] in clobbers:
            raise CheckError(f"{where}: early def in clobbered {allocs[k]}")
    for k in late_defs:
        for u in late_uses:
            if allocs[k] is allocs[u]:
                raise CheckError(f"{where}: def shares {allocs[k]} with a late use")

    def expect(k: int) -> None:
        op = ops[k]
        if isinstance(op.reg, VReg) and state.get(allocs[k]) is not op.reg:
            raise CheckError(
                f"{where}: operand {k} reads {op.reg!r} from {allocs[k]}, which holds "
                f"{state.get(allocs[k])!r}"
            )

    def define(k: int) -> None:
        op = ops[k]
        if isinstance(op.reg, VReg):
            _kill(state, op.reg)
            state[allocs[k]] = op.reg
        else:
            state.pop(allocs[k], None)

    for k in early_defs:
        define(k)
    for k in early_uses:
        expect(k)
    for preg in clobbers:
        state.pop(preg, None)
    for k in late_uses:
        expect(k)
    for k in early_defs:
        expect(k)
    for k in late_defs:
        define(k)
    _apply(state, edits.get(ProgPoint(i, InstPosition.AFTER), ()))


def _check_constraint(
    op: Operand, preg: PReg, allocs: list[PReg], env: RegisterEnv, where: str
) -> None:
    if not isinstance(preg, PReg):
        raise CheckError(f"{where}: allocation {preg!r} is not a register")
    if not isinstance(op.reg, VReg):
        if preg is not op.reg:
            raise CheckError(f"{where}: physical operand {op.reg} allocated {preg}")
        return
    if preg.cls is not op.reg.cls:
        raise CheckError(f"{where}: {op.reg!r} in {preg} of another class")
    if op.constraint is ConstraintKind.FIXED:
        if preg is not op.fixed:
            raise CheckError(f"{where}: fixed to {op.fixed}, got {preg}")
    elif not env.is_allocatable(preg):
        raise CheckError(f"{where}: {preg} is not allocatable")
    if op.constraint is ConstraintKind.REUSE and allocs[op.reuse] is not preg:
        raise CheckError(f"{where}: reuses operand {op.reuse} ({allocs[op.reuse]}), got {preg}")


def _check_edits(alloc: Allocation, env: RegisterEnv) -> None:
    points = [edit.point for edit in alloc.edits]
    if points != sorted(points):
        raise CheckError("edits not sorted by program point")
    for point, move in alloc.edits:
        src, dst = move
        if isinstance(src, SpillSlot) and isinstance(dst, SpillSlot):
            raise CheckError(f"{point}: stack-to-stack move {move}")
        if src.cls is not dst.cls:
            raise CheckError(f"{point}: move across classes {move}")
        for loc in (src, dst):
            if isinstance(loc, SpillSlot) and not 0 <= loc.index < alloc.num_spill_slots[loc.cls]:
                raise CheckError(f"{point}: {loc} beyond the slot count")
        if src == dst:
            raise CheckError(f"{point}: useless move {move}")


def _check_callee_saved(
    vcode: VCode, env: RegisterEnv, alloc: Allocation, starts: list[int]
) -> None:
    written: set[PReg] = set()
    for i, inst in enumerate(vcode.insts()):
        ops, clobbers = operands_of(inst)
        written.update(clobbers)
        for op, preg in zip(ops, alloc.inst_allocs(i)):
            if op.kind is OperandKind.DEF:
                written.add(preg)
    for _, move in alloc.edits:
        if isinstance(move.dst, PReg):
            written.add(move.dst)
    missing = (written & env.callee_saved) - set(alloc.callee_saved_used)
    if missing:
        raise CheckError(f"callee-saved registers written but not reported: {missing}")
