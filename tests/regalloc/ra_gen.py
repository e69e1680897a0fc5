"""Hypothesis strategies: random toy programs over random control-flow graphs, and
random register environments."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st
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
    Trash,
    finish,
    make_env,
)

from wazaot.machinst import Args, MachInst, RegisterEnv, VCode, VReg


@dataclass
class Case:
    vcode: VCode
    env: RegisterEnv

    def __repr__(self) -> str:
        callee = sorted(self.env.callee_saved, key=repr)
        lines = [f"env: {dict(self.env.allocatable)} callee-saved {callee}"]
        for b, block in enumerate(self.vcode.blocks):
            lines.append(f"block {b} -> {block.succs}:")
            lines.extend(f"    {inst!r}" for inst in block.insts)
        return "\n".join(lines)


@st.composite
def envs(draw: st.DrawFn) -> RegisterEnv:
    n_int = draw(st.integers(3, 8))
    n_caller_int = draw(st.integers(3, n_int))
    n_float = draw(st.integers(2, 4))  # fadd reads two registers at once
    n_caller_float = draw(st.integers(0, n_float))
    return make_env(n_int, n_caller_int, n_float, n_caller_float)


@st.composite
def cases(draw: st.DrawFn, max_blocks: int = 7, max_insts: int = 10) -> Case:
    """A random function.

    The entry block defines every register of a pool (the first two are parameters);
    every block then runs random instructions over the pool and over *temporaries*:
    fresh registers defined in the block and read only later in the same block (so
    some intervals start at a two-address def or a copy). Blocks end in jumps,
    branches (loops included) or returns. Pool registers are redefined freely (not
    SSA). The layout order is a random permutation, so the entry block need not come
    first and intervals may start at a block boundary.
    """
    env = draw(envs())
    vcode = VCode()
    n_int = draw(st.integers(1, 14))
    n_float = draw(st.integers(0, 4))
    ints = [vcode.new_vreg(INT) for _ in range(n_int)]
    floats = [vcode.new_vreg(FLOAT) for _ in range(n_float)]
    nblocks = draw(st.integers(1, max_blocks))
    clobbers = env.caller_saved()
    temps: list[VReg] = []

    def ireg() -> VReg:
        return draw(st.sampled_from(ints + temps))

    def ndst() -> VReg:
        """A destination: a pool register or a new temporary."""
        if draw(st.booleans()):
            return draw(st.sampled_from(ints))
        temp = vcode.new_vreg(INT)
        return temp

    def freg() -> VReg:
        return draw(st.sampled_from(floats))

    def distinct_ints(n: int) -> list[VReg] | None:
        pool = ints + temps
        if len(pool) < n:
            return None
        return draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n, unique=True))

    def random_inst() -> ToyInst | None:
        kind = draw(
            st.sampled_from(
                ["imm", "add", "sub", "copy", "mix", "late", "shl", "div", "call", "call0", "out"]
                + ["trash"]
                + (["fadd", "fcopy", "i2f", "f2i"] if floats else [])
            )
        )
        inst: ToyInst | None
        if kind == "imm":
            inst = LoadImm(ndst(), draw(st.integers(0, 1000)))
        elif kind == "add":
            inst = Add(ndst(), ireg(), ireg())
        elif kind == "sub":
            inst = Sub(ndst(), ireg(), ireg())
        elif kind == "copy":
            inst = Copy(ndst(), ireg())
        elif kind == "mix":
            regs = distinct_ints(3)
            if regs is None:
                inst = None
            else:
                dst = draw(st.sampled_from([v for v in ints + temps if v is not regs[0]]))
                inst = Mix(dst, regs[0], regs[1], regs[2])
        elif kind == "late":
            regs = distinct_ints(2)
            inst = None if regs is None else LateUse(regs[0], ireg(), regs[1])
        elif kind == "shl":
            inst = Shl(ndst(), ireg(), ireg())
        elif kind == "div":
            inst = Div(ndst(), ireg(), ireg())
        elif kind in ("call", "call0"):
            nargs = draw(st.integers(0, 2))
            args = tuple(ireg() for _ in range(nargs))
            inst = Call(ndst() if kind == "call" else None, args, clobbers)
        elif kind == "out":
            inst = Out(draw(st.sampled_from(ints + temps + floats)))
        elif kind == "trash":
            inst = Trash()
        elif kind == "fadd":
            inst = FAdd(freg(), freg(), freg())
        elif kind == "fcopy":
            inst = Copy(freg(), freg())
        elif kind == "i2f":
            inst = Convert(freg(), ireg())
        else:
            inst = Convert(ndst(), freg())
        return inst

    blocks: list[list[MachInst]] = [[] for _ in range(nblocks)]
    entry = blocks[0]
    params = tuple(zip(ints[:2], R))
    entry.append(Args(params))
    for n, v in enumerate(ints[len(params) :]):
        entry.append(LoadImm(v, 3 * n + 1))
    for n, v in enumerate(floats):
        entry.append(Convert(v, ints[n % len(ints)]))
    targets = st.integers(1, nblocks - 1)  # never back to the entry block
    exits: list[tuple[str, VReg | None, int, int]] = []
    for insts in blocks:
        temps.clear()
        for _ in range(draw(st.integers(0, max_insts))):
            inst = random_inst()
            if inst is not None:
                insts.append(inst)
                temps.extend(
                    r for r in _defined(inst) if r.index >= n_int + n_float and r not in temps
                )
        choice = draw(st.sampled_from(["ret", "jmp", "br"])) if nblocks > 1 else "ret"
        if choice == "ret":
            exits.append(("ret", ireg(), 0, 0))
        elif choice == "jmp":
            exits.append(("jmp", None, draw(targets), 0))
        else:
            exits.append(("br", ireg(), draw(targets), draw(targets)))
    layout = draw(st.permutations(range(nblocks)))  # layout[position] = logical block
    position = {b: n for n, b in enumerate(layout)}
    for n, b in enumerate(layout):
        vcode.new_block()
        insts = blocks[b]
        kind, reg, t1, t2 = exits[b]
        if kind == "ret":
            assert reg is not None
            insts.append(Ret(reg))
        elif kind == "jmp":
            insts.append(Jmp(position[t1]))
        else:
            assert reg is not None
            insts.append(Br(reg, position[t1], position[t2]))
        vcode.blocks[n].insts = insts
    vcode.entry = position[0]
    return Case(finish(vcode), env)


def _defined(inst: ToyInst) -> list[VReg]:
    from wazaot.machinst import OperandKind, operands_of

    ops, _ = operands_of(inst)
    return [op.reg for op in ops if op.kind is OperandKind.DEF and isinstance(op.reg, VReg)]
