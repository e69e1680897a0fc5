"""Liveness and intervals on small hand-built CFGs."""

from __future__ import annotations

from ra_toy import INT, Add, Args, Br, Call, Copy, Jmp, LoadImm, Out, R, Ret, finish, make_env

from wazaot.machinst import VCode
from wazaot.regalloc.cfg import analyze_cfg
from wazaot.regalloc.liveness import AFTER, EARLY, LATE, SHIFT, analyze

ENV = make_env()


def pos(inst: int, offset: int) -> int:
    return (inst << SHIFT) + offset


def test_diamond_with_a_value_defined_on_both_arms() -> None:
    # b0: p = args; br p -> b1, b2    b1: x = 1; jmp b3    b2: x = 2; jmp b3    b3: out x
    v = VCode()
    for _ in range(4):
        v.new_block()
    p, x = v.new_vreg(INT), v.new_vreg(INT)
    v.blocks[0].insts = [Args(((p, R[0]),)), Br(p, 1, 2)]
    v.blocks[1].insts = [LoadImm(x, 1), Jmp(3)]
    v.blocks[2].insts = [LoadImm(x, 2), Jmp(3)]
    v.blocks[3].insts = [Out(x), Ret(p)]
    facts = analyze(finish(v), ENV)
    pi, xi = p.index, x.index
    assert facts.live_in == [set(), {pi}, {pi}, {pi, xi}]
    assert facts.live_out == [{pi}, {pi, xi}, {pi, xi}, set()]
    # x's hull: from its first def (in b1) to its use in b3, across b2.
    assert facts.start[xi] == pos(2, LATE)
    assert facts.end[xi] == pos(6, EARLY)
    assert facts.end[pi] == pos(7, EARLY)


def test_loop_carried_value_is_live_around_the_loop() -> None:
    # b0: i = 0; one = 1; jmp b1   b1: i = i + one; br i -> b1, b2   b2: ret i
    v = VCode()
    for _ in range(3):
        v.new_block()
    i, one = v.new_vreg(INT), v.new_vreg(INT)
    v.blocks[0].insts = [LoadImm(i, 0), LoadImm(one, 1), Jmp(1)]
    v.blocks[1].insts = [Add(i, i, one), Br(i, 1, 2)]
    v.blocks[2].insts = [Ret(i)]
    facts = analyze(finish(v), ENV)
    assert facts.live_in[1] == {i.index, one.index}
    assert facts.live_out[1] == {i.index, one.index}
    assert facts.live_in[2] == {i.index}
    # `one` is only read in the loop, but must survive the back edge: its hull runs
    # to the end of the loop's last block.
    assert facts.end[one.index] == pos(4, AFTER)
    assert facts.cfg.loop_depth == [0, 1, 0]


def test_loop_laid_out_before_its_preheader() -> None:
    # Layout: b0 = loop body (uses x), b1 = entry (defines x), b2 = exit.
    # x is live-in at b0, which comes first in layout: its hull starts there.
    v = VCode()
    for _ in range(3):
        v.new_block()
    x = v.new_vreg(INT)
    v.entry = 1
    v.blocks[0].insts = [Add(x, x, x), Br(x, 0, 2)]
    v.blocks[1].insts = [LoadImm(x, 3), Jmp(0)]
    v.blocks[2].insts = [Ret(x)]
    facts = analyze(finish(v), ENV)
    assert facts.live_in[0] == {x.index}
    assert facts.start[x.index] == pos(0, 0)
    assert facts.end[x.index] == pos(4, EARLY)


def test_dead_def_and_redefinition_in_one_block() -> None:
    v = VCode()
    v.new_block()
    a, b = v.new_vreg(INT), v.new_vreg(INT)
    v.blocks[0].insts = [LoadImm(a, 1), LoadImm(b, 2), LoadImm(a, 3), Copy(b, a), Ret(b)]
    facts = analyze(finish(v), ENV)
    assert facts.live_in[0] == set()
    # b's first def is dead but still in its hull; a's hull starts at its first def.
    assert facts.start[b.index] == pos(1, LATE)
    assert facts.start[a.index] == pos(0, LATE)
    assert facts.end[a.index] == pos(3, EARLY)


def test_use_before_def_in_a_block_is_upward_exposed() -> None:
    v = VCode()
    for _ in range(2):
        v.new_block()
    a = v.new_vreg(INT)
    v.blocks[0].insts = [LoadImm(a, 1), Jmp(1)]
    v.blocks[1].insts = [Add(a, a, a), LoadImm(a, 5), Ret(a)]
    facts = analyze(finish(v), ENV)
    assert facts.live_in[1] == {a.index}


def test_unreachable_block_and_call_reservations() -> None:
    v = VCode()
    for _ in range(2):
        v.new_block()
    a, r = v.new_vreg(INT), v.new_vreg(INT)
    v.blocks[0].insts = [LoadImm(a, 1), Call(r, (a,), (R[0], R[1])), Ret(r)]
    v.blocks[1].insts = [Out(a), Jmp(1)]  # unreachable, reads a: live-in there only
    facts = analyze(finish(v), ENV)
    assert facts.cfg.reachable == [True, False]
    assert facts.live_in[1] == {a.index}
    # r0: the fixed use of a (BEFORE..EARLY), the clobber, the fixed def of r, then
    # the return's fixed use of r.
    r0 = facts.res_start[R[0].index]
    assert r0 == [pos(1, 0), pos(1, 3), pos(1, LATE), pos(2, 0)]
    assert facts.res_owner[R[0].index] == [a.index, -1, r.index, r.index]


def test_loop_depth_of_nested_loops() -> None:
    # 0 -> 1 -> 2 -> 2 (self loop), 2 -> 1, 1 -> 3
    cfg = analyze_cfg([[1], [2, 3], [2, 1], []], 0)
    assert cfg.loop_depth == [0, 1, 2, 0]
    assert cfg.freq[2] > cfg.freq[1] > cfg.freq[0]
