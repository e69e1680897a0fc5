"""Speed: a straight-line function of 100,000 instructions and 50,000 virtual registers
on a 16-register machine. Run this file as a script to print timings."""

from __future__ import annotations

import random
import time

from ra_checker import check
from ra_toy import INT, Add, Args, Call, Copy, LoadImm, Out, R, Ret, Sub, finish, run

from wazaot.machinst import RegisterEnv, VCode, VReg
from wazaot.regalloc import Allocation, allocate

ENV16 = RegisterEnv({INT: tuple(R[:16])}, frozenset(R[8:16]))


def straight_line(n_insts: int, n_vregs: int, seed: int = 1, window: int = 40) -> VCode:
    """Random straight-line code: each instruction defines a register (a fresh one
    until ``n_vregs`` exist, then one of the recent ones again) from one or two of the
    ``window`` most recently defined; one instruction in 50 is a call. With a window
    well above 16, many values are live at once and some must be spilled."""
    rng = random.Random(seed)
    vcode = VCode()
    vcode.new_block()
    insts = vcode.blocks[0].insts
    recent: list[VReg] = [vcode.new_vreg(INT), vcode.new_vreg(INT)]
    insts.append(Args(((recent[0], R[0]), (recent[1], R[1]))))
    fresh_every = max(1, int(0.97 * n_insts) // max(1, n_vregs - 2))
    clobbers = tuple(R[:8])
    for n in range(n_insts - 2):
        a = rng.choice(recent[-window:])
        b = rng.choice(recent[-window:])
        kind = rng.random()
        if kind >= 0.97:
            insts.append(Out(a))
            continue
        if vcode.num_vregs < n_vregs and n % fresh_every == 0:
            dst = vcode.new_vreg(INT)
        else:
            dst = rng.choice(recent[-window:])
        if kind < 0.02:
            insts.append(Call(dst, (a, b), clobbers))
        elif kind < 0.4:
            insts.append(Add(dst, a, b))
        elif kind < 0.65:
            insts.append(Sub(dst, a, b))
        elif kind < 0.8:
            insts.append(Copy(dst, a))
        else:
            insts.append(LoadImm(dst, n))
        if dst not in recent[-window:]:
            recent.append(dst)
    insts.append(Ret(recent[-1]))
    return finish(vcode)


def timed_allocate(vcode: VCode) -> tuple[Allocation, float]:
    t0 = time.perf_counter()
    alloc = allocate(vcode, ENV16)
    return alloc, time.perf_counter() - t0


def test_straight_line_small_is_correct() -> None:
    vcode = straight_line(6000, 3000)
    alloc = allocate(vcode, ENV16)
    check(vcode, ENV16, alloc)
    assert run(vcode, fuel=10**6, alloc=alloc).trace == run(vcode, fuel=10**6).trace
    assert alloc.num_spill_slots[INT] > 0  # the test does exercise spilling


def test_straight_line_100k_is_fast() -> None:
    vcode = straight_line(100_000, 50_000)
    assert vcode.num_vregs == 50_000
    _, seconds = timed_allocate(vcode)
    # A generous bound, to catch a complexity blow-up, not to benchmark CI machines.
    assert seconds < 30, seconds


if __name__ == "__main__":
    for n_insts, n_vregs in ((10_000, 5_000), (100_000, 50_000)):
        vcode = straight_line(n_insts, n_vregs)
        alloc, seconds = timed_allocate(vcode)
        spilled = len(alloc.spilled)
        print(
            f"{n_insts} insts, {vcode.num_vregs} vregs: {seconds:.2f} s, "
            f"{spilled} spilled, {len(alloc.edits)} edits, "
            f"{alloc.num_spill_slots[INT]} INT slots"
        )
