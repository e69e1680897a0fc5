"""Hand-written allocation cases, each checked symbolically and by running it."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from ra_checker import check
from ra_toy import (
    FLOAT,
    INT,
    Add,
    Br,
    Call,
    Convert,
    Copy,
    Div,
    FAdd,
    Jmp,
    LateUse,
    LoadImm,
    Mix,
    Out,
    R,
    Ret,
    Shl,
    Sub,
    ToyInst,
    finish,
    make_env,
    run,
)

from wazaot.machinst import (
    Args,
    Block,
    MachInst,
    OperandCollector,
    RegClass,
    RegisterEnv,
    SpillSlot,
    VCode,
    VReg,
)
from wazaot.regalloc import Allocation, Move, RegAllocError, allocate, format_allocation

ENV = make_env(8, 4)  # r0-r3 caller-saved, r4-r7 callee-saved; f0, f1 caller-saved


def build(*blocks: Sequence[MachInst]) -> VCode:
    """A VCode of these blocks, successors taken from the terminators."""
    vcode = VCode([Block(list(insts)) for insts in blocks])
    indices = [
        op.index
        for b in vcode.blocks
        for inst in b.insts
        for op in _regs(inst)
        if isinstance(op, VReg)
    ]
    vcode.num_vregs = max(indices, default=-1) + 1
    return finish(vcode)


def _regs(inst: MachInst) -> list[object]:
    from wazaot.machinst import operands_of

    return [op.reg for op in operands_of(inst)[0]]


def ints(n: int) -> list[VReg]:
    return [VReg(INT, i) for i in range(n)]


def verified(vcode: VCode, env: RegisterEnv = ENV, params: tuple[int, int] = (5, 9)) -> Allocation:
    """Allocate, then check the allocation and compare runs before and after."""
    alloc = allocate(vcode, env)
    try:
        check(vcode, env, alloc)
        assert run(vcode, params, alloc=alloc).trace == run(vcode, params).trace
    except Exception:
        print(format_allocation(vcode, alloc))
        raise
    return alloc


def moves_at(alloc: Allocation, first: int, last: int) -> list[Move]:
    return [move for point, move in alloc.edits if first <= point.inst <= last]


def test_loop_carried_value_stays_in_one_register() -> None:
    p0, p1, i, one, acc = ints(5)
    vcode = build(
        [Args(((p0, R[0]), (p1, R[1]))), LoadImm(i, 0), LoadImm(one, 1), Copy(acc, p1), Jmp(1)],
        [Add(acc, acc, i), Add(i, i, one), Sub(one, one, one), Br(i, 1, 2)],
        [Out(acc), Ret(acc)],
    )
    alloc = verified(vcode)
    # No register pressure: nothing moves inside the loop (instructions 5-8).
    assert moves_at(alloc, 5, 8) == []
    assert alloc.spilled == {}
    # The reuse-defs share their input's register.
    for inst in (5, 6):
        a, b, dst = alloc.inst_allocs(inst)
        assert dst is a


def test_value_live_across_a_call_takes_a_callee_saved_register() -> None:
    p0, p1, x, r = ints(4)
    vcode = build(
        [
            Args(((p0, R[0]), (p1, R[1]))),
            LoadImm(x, 42),
            Call(r, (p0,), ENV.caller_saved()),
            Add(r, r, x),
            Ret(r),
        ]
    )
    alloc = verified(vcode)
    (x_reg,) = alloc.inst_allocs(1)
    assert x_reg in ENV.callee_saved
    assert x_reg in alloc.callee_saved_used


def test_value_live_across_a_call_spills_without_callee_saved_registers() -> None:
    env = make_env(4, 4, 2, 2)  # every register is caller-saved
    p0, p1, x, r = ints(4)
    vcode = build(
        [
            Args(((p0, R[0]), (p1, R[1]))),
            LoadImm(x, 42),
            Call(r, (p0,), env.caller_saved()),
            Add(r, r, x),
            Ret(r),
        ]
    )
    alloc = verified(vcode, env)
    assert x.index in alloc.spilled
    slot = alloc.spilled[x.index]
    assert isinstance(slot, SpillSlot) and slot.cls is RegClass.INT
    kinds = [
        (point.inst, isinstance(m.src, SpillSlot), isinstance(m.dst, SpillSlot))
        for point, m in alloc.edits
    ]
    assert (1, False, True) in kinds  # stored after its def
    assert (3, True, False) in kinds  # reloaded before its use
    assert alloc.callee_saved_used == []


def test_value_redefined_by_a_call_can_live_in_a_clobbered_register() -> None:
    # x = f(x) in a loop: x is dead across the call (used before, defined after), so
    # it may stay in r0, the argument and result register, with no move at all.
    p0, p1, x = ints(3)
    vcode = build(
        [Args(((p0, R[0]), (p1, R[1]))), Copy(x, p0), Jmp(1)],
        [Call(x, (x,), ENV.caller_saved()), Br(x, 1, 2)],
        [Ret(x)],
    )
    alloc = verified(vcode)
    assert alloc.inst_allocs(3) == [R[0], R[0]]
    assert moves_at(alloc, 3, 4) == []


def test_reuse_input_that_stays_live_is_copied_first() -> None:
    p0, p1, d = ints(3)
    vcode = build([Args(((p0, R[0]), (p1, R[1]))), Add(d, p0, p1), Out(p0), Ret(d)])
    alloc = verified(vcode)
    a, b, dst = alloc.inst_allocs(1)
    assert dst is a and a is not R[0]  # p0 stays in r0 for its later use
    assert Move(R[0], dst) in moves_at(alloc, 1, 1)


def test_reuse_input_that_dies_shares_its_register() -> None:
    p0, p1, d = ints(3)
    vcode = build([Args(((p0, R[0]), (p1, R[1]))), Add(d, p0, p1), Out(p1), Ret(d)])
    alloc = verified(vcode)
    assert alloc.inst_allocs(1) == [R[0], R[1], R[0]]
    assert moves_at(alloc, 1, 3) == []


def test_reuse_def_of_a_register_the_instruction_also_reads() -> None:
    # d = u + d: d's old value must survive until read, so the def goes through a
    # temporary and is copied back after.
    p0, p1, d = ints(3)
    vcode = build([Args(((p0, R[0]), (p1, R[1]))), Copy(d, p1), Add(d, p0, d), Out(p0), Ret(d)])
    alloc = verified(vcode)
    a, b, dst = alloc.inst_allocs(2)
    assert dst is a and dst is not b


def test_move_whose_source_dies_is_coalesced() -> None:
    p0, p1, c = ints(3)
    vcode = build([Args(((p0, R[0]), (p1, R[1]))), Copy(c, p1), Add(c, c, p0), Ret(c)])
    alloc = verified(vcode)
    src, dst = alloc.inst_allocs(1)
    assert src is dst


def test_early_def_and_late_use_keep_their_registers_apart() -> None:
    p0, p1, t, d, e = ints(5)
    vcode = build(
        [
            Args(((p0, R[0]), (p1, R[1]))),
            Mix(d, t, p0, p1),
            LateUse(e, d, p1),
            Out(t),
            Out(e),
            Ret(d),
        ]
    )
    alloc = verified(vcode)
    tmp, a, b, dst = alloc.inst_allocs(1)
    assert tmp not in (a, b)
    a2, late, dst2 = alloc.inst_allocs(2)
    assert dst2 is not late


def test_fixed_uses_defs_and_clobbers_outside_calls() -> None:
    p0, p1, x, y, s = ints(5)
    vcode = build(
        [
            Args(((p0, R[0]), (p1, R[1]))),
            LoadImm(s, 3),
            Div(x, p1, p0),  # p1 -> r0, result in r0, r1 destroyed
            Shl(y, x, s),  # s -> r2
            Out(p0),
            Out(s),
            Ret(y),
        ]
    )
    alloc = verified(vcode)
    assert alloc.inst_allocs(2)[0] is R[0] and alloc.inst_allocs(2)[2] is R[0]
    assert alloc.inst_allocs(3)[1] is R[2]


def test_high_pressure_spills_and_reloads_through_registers() -> None:
    env = make_env(3, 3, 2, 2)
    vs = ints(12)
    insts: list[MachInst] = [Args(((vs[0], R[0]), (vs[1], R[1])))]
    insts += [LoadImm(v, n) for n, v in enumerate(vs[2:])]
    for n in range(len(vs) - 1):
        insts.append(Add(vs[n], vs[n], vs[n + 1]))
    insts += [Out(v) for v in vs]
    insts.append(Ret(vs[0]))
    alloc = verified(build(insts), env)
    assert alloc.num_spill_slots[INT] >= 9
    for _, move in alloc.edits:
        assert not (isinstance(move.src, SpillSlot) and isinstance(move.dst, SpillSlot))


def test_float_registers_are_a_separate_class() -> None:
    p0, p1 = ints(2)
    f = [VReg(FLOAT, i) for i in range(2, 8)]
    insts: list[MachInst] = [Args(((p0, R[0]), (p1, R[1])))]
    insts += [Convert(x, p0) for x in f]
    insts += [FAdd(f[0], f[n], f[n + 1]) for n in range(len(f) - 1)]
    insts += [Out(x) for x in f]
    insts.append(Ret(p1))
    env = make_env(4, 4, 2, 1)
    alloc = verified(build(insts), env)
    assert alloc.num_spill_slots[FLOAT] > 0 and alloc.num_spill_slots[INT] == 0
    assert all(s.cls is FLOAT for s in alloc.spilled.values())


def test_output_accessors_and_dump() -> None:
    p0, p1, d = ints(3)
    vcode = build([Args(((p0, R[0]), (p1, R[1]))), Add(d, p0, p1), Out(p0), Ret(d)])
    alloc = verified(vcode)
    grouped = alloc.edits_by_point()
    assert sum(len(moves) for moves in grouped.values()) == len(alloc.edits)
    text = format_allocation(vcode, alloc)
    assert "Add(" in text and "reuse#0" in text and "spill slots" in text


class _Bad(ToyInst):
    """An instruction whose operands are given at construction, to test the checks."""

    __slots__ = ("fn", "term")

    def __init__(self, fn, term: bool = False) -> None:  # type: ignore[no-untyped-def]
        self.fn = fn
        self.term = term

    def operands(self, c: OperandCollector) -> None:
        self.fn(c)

    def is_terminator(self) -> bool:
        return self.term


@pytest.mark.parametrize(
    "declare",
    [
        lambda c, a, b: (c.reg_def(a), c.reg_def(a)),  # two defs of one register
        lambda c, a, b: (c.reg_use(a), c.reg_early_def(a)),  # use + early def
        lambda c, a, b: (c.reg_late_use(a), c.reg_def(a)),  # late use + def
        lambda c, a, b: (c.reg_fixed_use(a, R[0]), c.reg_reuse_def(b, 0)),  # reuse of fixed
        lambda c, a, b: (c.reg_use(a), c.reg_reuse_def(b, 5)),  # reuse out of range
        lambda c, a, b: c.reg_use(VReg(INT, 99)),  # beyond num_vregs
        lambda c, a, b: c.reg_fixed_use(a, R[0]) or c.reg_fixed_use(b, R[0]),  # r0 twice
        lambda c, a, b: c.reg_use(VReg(FLOAT, a.index)),  # one index, two classes
    ],
)
def test_operand_rules_are_enforced(declare) -> None:  # type: ignore[no-untyped-def]
    a, b = ints(2)
    vcode = build([LoadImm(a, 1), LoadImm(b, 2), _Bad(lambda c: declare(c, a, b)), Ret(a)])
    vcode.num_vregs = 2
    with pytest.raises(RegAllocError):
        allocate(vcode, ENV)


def test_terminator_may_not_define() -> None:
    a = VReg(INT, 0)
    vcode = build([LoadImm(a, 1), _Bad(lambda c: c.reg_def(a), term=True)])
    with pytest.raises(RegAllocError, match="terminator"):
        allocate(vcode, ENV)


def test_instruction_needing_more_registers_than_exist() -> None:
    env = make_env(3, 3, 1, 1)
    f = [VReg(FLOAT, i) for i in range(2)]
    a = VReg(INT, 2)
    vcode = build(
        [LoadImm(a, 1), Convert(f[0], a), Convert(f[1], a), FAdd(f[0], f[0], f[1]), Ret(a)]
    )
    with pytest.raises(RegAllocError, match="needs more registers"):
        allocate(vcode, env)
