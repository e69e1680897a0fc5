"""A toy ISA for testing the register allocator alone, and an interpreter for it.

Registers: INT ``r0``..``r7`` and FLOAT ``f0``..``f3`` (how many are allocatable, and
which are callee-saved, is chosen per test by :func:`make_env`), plus ``sp``, never
allocatable. Conventions: parameters arrive in ``r0``, ``r1``; calls take arguments in
``r0``, ``r1`` and return in ``r0``; ``ret`` returns ``r0``; ``shl`` takes its count in
``r2``; ``div`` reads and writes ``r0`` and clobbers ``r1`` (like x86 ``rdx``).

The interpreter runs a program twice: on virtual registers (reference semantics: each
virtual register is a variable) and after allocation, on a physical register file and
spill slots, applying the allocator's edits. Within an instruction it follows the
allocator's model step by step, so that a wrong sharing of registers changes the
result: early defs are written first (with a sentinel), then early uses read,
clobbered registers trashed, early defs read back, defs written, late uses read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import count

from wazaot.machinst import (
    Args,
    OperandCollector,
    OperandKind,
    OperandPos,
    PReg,
    Reg,
    RegClass,
    RegisterEnv,
    VCode,
    VReg,
    operands_of,
)
from wazaot.regalloc import Allocation, InstPosition, ProgPoint

INT = RegClass.INT
FLOAT = RegClass.FLOAT
R = [PReg(INT, n, f"r{n}") for n in range(16)]
F = [PReg(FLOAT, n, f"f{n}") for n in range(4)]
SP = PReg(INT, 15, "sp")
MASK = 0xFFFF_FFFF


def make_env(
    n_int: int = 8, n_caller_int: int = 4, n_float: int = 4, n_caller_float: int = 2
) -> RegisterEnv:
    """``n_int`` allocatable INT registers, the first ``n_caller_int`` caller-saved
    (at least r0-r2, which the conventions need), likewise for FLOAT."""
    assert 3 <= n_caller_int <= n_int <= 8 and 0 <= n_caller_float <= n_float <= 4
    return RegisterEnv(
        {INT: tuple(R[:n_int]), FLOAT: tuple(F[:n_float])},
        frozenset(R[n_caller_int:n_int]) | frozenset(F[n_caller_float:n_float]),
    )


class ToyInst:
    """Shared defaults: not a move, not a terminator, no successor choice."""

    __slots__ = ()

    def operands(self, c: OperandCollector) -> None:
        raise NotImplementedError

    def is_move(self) -> tuple[Reg, Reg] | None:
        return None

    def is_terminator(self) -> bool:
        return False

    def compute(self, vals: Sequence[int], ctx: Context) -> list[int]:
        """Def values (in operand order) from early-use values then early-def
        read-backs (in operand order)."""
        return []


@dataclass(frozen=True, slots=True)
class LoadImm(ToyInst):
    dst: VReg
    imm: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_def(self.dst)

    def compute(self, vals: Sequence[int], ctx: Context) -> list[int]:
        return [self.imm & MASK]


@dataclass(frozen=True, slots=True)
class Add(ToyInst):
    """Two-address add: ``dst`` reuses ``a``'s register."""

    dst: VReg
    a: VReg
    b: VReg

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.a)
        c.reg_use(self.b)
        c.reg_reuse_def(self.dst, 0)

    def compute(self, vals: Sequence[int], ctx: Context) -> list[int]:
        return [(vals[0] + vals[1]) & MASK]


@dataclass(frozen=True, slots=True)
class Sub(ToyInst):
    """Three-address subtract."""

    dst: VReg
    a: VReg
    b: VReg

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.a)
        c.reg_use(self.b)
        c.reg_def(self.dst)

    def compute(self, vals: Sequence[int], ctx: Context) -> list[int]:
        return [(vals[0] - vals[1] * 3) & MASK]


@dataclass(frozen=True, slots=True)
class Copy(ToyInst):
    dst: VReg
    src: VReg

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)

    def is_move(self) -> tuple[Reg, Reg] | None:
        return (self.dst, self.src)

    def compute(self, vals: Sequence[int], ctx: Context) -> list[int]:
        return [vals[0]]


@dataclass(frozen=True, slots=True)
class Mix(ToyInst):
    """Uses a scratch register (an early def) besides its inputs."""

    dst: VReg
    tmp: VReg
    a: VReg
    b: VReg

    def operands(self, c: OperandCollector) -> None:
        c.reg_early_def(self.tmp)
        c.reg_use(self.a)
        c.reg_use(self.b)
        c.reg_def(self.dst)

    def compute(self, vals: Sequence[int], ctx: Context) -> list[int]:
        a, b, tmp = vals
        return [(tmp + 1) & MASK, (a * 5 + b + tmp) & MASK]


@dataclass(frozen=True, slots=True)
class LateUse(ToyInst):
    """Reads ``b`` again after writing ``dst`` (a late use)."""

    dst: VReg
    a: VReg
    b: VReg

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.a)
        c.reg_late_use(self.b)
        c.reg_def(self.dst)

    def compute(self, vals: Sequence[int], ctx: Context) -> list[int]:
        return [(vals[0] ^ 0x5A5A) & MASK]


@dataclass(frozen=True, slots=True)
class Shl(ToyInst):
    """``dst = a << (amt & 7)``, count fixed in r2, two-address like x86."""

    dst: VReg
    a: VReg
    amt: VReg

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.a)
        c.reg_fixed_use(self.amt, R[2])
        c.reg_reuse_def(self.dst, 0)

    def compute(self, vals: Sequence[int], ctx: Context) -> list[int]:
        return [(vals[0] << (vals[1] & 7)) & MASK]


@dataclass(frozen=True, slots=True)
class Div(ToyInst):
    """Like x86 ``div``: operand in r0, result in r0, r1 destroyed."""

    dst: VReg
    a: VReg
    b: VReg

    def operands(self, c: OperandCollector) -> None:
        c.reg_fixed_use(self.a, R[0])
        c.reg_use(self.b)
        c.reg_fixed_def(self.dst, R[0])
        c.reg_clobbers([R[1]])

    def compute(self, vals: Sequence[int], ctx: Context) -> list[int]:
        return [(vals[0] // ((vals[1] & 0xFF) | 1) + 11) & MASK]


@dataclass(frozen=True, slots=True)
class Call(ToyInst):
    """A call: arguments in r0, r1, result in r0, caller-saved registers clobbered."""

    ret: VReg | None
    args: tuple[VReg, ...]
    clobbers: tuple[PReg, ...]

    def operands(self, c: OperandCollector) -> None:
        for arg, preg in zip(self.args, R):
            c.reg_fixed_use(arg, preg)
        if self.ret is not None:
            c.reg_fixed_def(self.ret, R[0])
        c.reg_clobbers(self.clobbers)

    def compute(self, vals: Sequence[int], ctx: Context) -> list[int]:
        acc = 7
        for v in vals:
            acc = (acc * 31 + v) & MASK
        return [acc] if self.ret is not None else []


@dataclass(frozen=True, slots=True)
class FAdd(ToyInst):
    dst: VReg
    a: VReg
    b: VReg

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.a)
        c.reg_use(self.b)
        c.reg_def(self.dst)

    def compute(self, vals: Sequence[int], ctx: Context) -> list[int]:
        return [(vals[0] + 2 * vals[1] + 1) & MASK]


@dataclass(frozen=True, slots=True)
class Convert(ToyInst):
    """A move between classes (INT to FLOAT or back)."""

    dst: VReg
    src: VReg

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)

    def compute(self, vals: Sequence[int], ctx: Context) -> list[int]:
        return [(vals[0] * 3 + 1) & MASK]


@dataclass(frozen=True, slots=True)
class Out(ToyInst):
    """Observable output: the value goes to the trace. Also reads ``sp`` directly."""

    a: Reg

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(SP)
        c.reg_use(self.a)

    def compute(self, vals: Sequence[int], ctx: Context) -> list[int]:
        ctx.trace.append(("out", vals[1]))
        return []


@dataclass(frozen=True, slots=True)
class Trash(ToyInst):
    """Writes garbage into r2, named directly (a physical def of an allocatable
    register: nothing may live in r2 across it)."""

    def operands(self, c: OperandCollector) -> None:
        c.reg_def(R[2])

    def compute(self, vals: Sequence[int], ctx: Context) -> list[int]:
        return [0x7A54]


@dataclass(frozen=True, slots=True)
class Jmp(ToyInst):
    target: int

    def operands(self, c: OperandCollector) -> None:
        pass

    def is_terminator(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Br(ToyInst):
    """Go to ``then`` if ``cond`` is odd, else to ``other``."""

    cond: VReg
    then: int
    other: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.cond)

    def is_terminator(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Ret(ToyInst):
    value: VReg

    def operands(self, c: OperandCollector) -> None:
        c.reg_fixed_use(self.value, R[0])

    def is_terminator(self) -> bool:
        return True


def successors(inst: object) -> list[int]:
    """The successors a terminator names (the VCode's block successor lists)."""
    if isinstance(inst, Jmp):
        return [inst.target]
    if isinstance(inst, Br):
        return [inst.then, inst.other]
    return []


def finish(vcode: VCode) -> VCode:
    """Fill in every block's successors from its terminator."""
    for block in vcode.blocks:
        block.succs = successors(block.insts[-1]) if block.insts else []
    return vcode


# -- the interpreter -------------------------------------------------------------------


class Stuck(Exception):
    """The allocated program read a location nothing was written to."""


@dataclass
class Context:
    params: tuple[int, ...]
    trace: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class RunResult:
    trace: list[tuple[str, int]]
    returned: int | None
    steps: int


def run(
    vcode: VCode,
    params: tuple[int, int] = (5, 9),
    fuel: int = 2000,
    alloc: Allocation | None = None,
) -> RunResult:
    """Run ``vcode`` on virtual registers, or on physical ones if ``alloc`` is given.

    Stops after ``fuel`` instructions (edits do not count), so both runs of a program
    stop at the same place.
    """
    ctx = Context(params)
    starts = vcode.inst_numbers()
    edits = alloc.edits_by_point() if alloc else {}
    garbage = count(0xC1B0_0000)
    # Physical state: every register starts out with garbage; slots start empty.
    state: dict[object, int] = {p: next(garbage) for p in R + F}
    state[SP] = 0x5000
    block = vcode.entry
    steps = 0
    returned = None

    def loc_of(reg: Reg, k: int, i: int) -> object:
        if alloc is None:
            return reg
        return alloc.inst_allocs(i)[k]

    def read(loc: object) -> int:
        if loc not in state:
            raise Stuck(f"read of {loc!r}, never written")
        return state[loc]

    def apply(point: ProgPoint) -> None:
        for move in edits.get(point, ()):
            state[move.dst] = read(move.src)

    while steps < fuel:
        ctx.trace.append(("block", block))
        next_block = None
        for n, inst in enumerate(vcode.blocks[block].insts):
            if steps >= fuel:
                break
            steps += 1
            i = starts[block] + n
            apply(ProgPoint(i, InstPosition.BEFORE))
            ops, clobbers = operands_of(inst)
            locs = [loc_of(op.reg, k, i) for k, op in enumerate(ops)]
            early_defs = [
                k
                for k, op in enumerate(ops)
                if op.kind is OperandKind.DEF and op.position is OperandPos.EARLY
            ]
            for n_tmp, k in enumerate(early_defs):
                state[locs[k]] = 0xE000 + n_tmp
            vals = [
                read(locs[k])
                for k, op in enumerate(ops)
                if op.kind is OperandKind.USE and op.position is OperandPos.EARLY
            ]
            if alloc is not None:
                for preg in clobbers:
                    state[preg] = next(garbage)
            vals += [read(locs[k]) for k in early_defs]
            if isinstance(inst, Args):
                results = list(params[: len(inst.params)])
            else:
                assert isinstance(inst, ToyInst)
                results = inst.compute(vals, ctx)
            defs = [k for k, op in enumerate(ops) if op.kind is OperandKind.DEF]
            assert len(results) == len(defs), inst
            for k, value in zip(defs, results):
                state[locs[k]] = value
            for k, op in enumerate(ops):
                if op.kind is OperandKind.USE and op.position is OperandPos.LATE:
                    ctx.trace.append(("late", read(locs[k])))
            if isinstance(inst, Ret):
                returned = vals[0]
                ctx.trace.append(("ret", returned))
                return RunResult(ctx.trace, returned, steps)
            if isinstance(inst, Br):
                next_block = inst.then if vals[0] & 1 else inst.other
            elif isinstance(inst, Jmp):
                next_block = inst.target
            else:
                apply(ProgPoint(i, InstPosition.AFTER))
        if next_block is None:
            if steps >= fuel:
                break
            raise AssertionError(f"block {block} falls off its end")
        block = next_block
    return RunResult(ctx.trace, returned, steps)
