"""Operand choice and the shape of a case, shared by the per-group case modules
(``cases_alu``, ``cases_ctl``, ``cases_mem_fp``) that test_encoding.py runs.

A case is named after the encoding function it tests: it draws operands, encodes, and
says how the word must read, as capstone prints it and as GNU ``as`` takes it. Capstone
prints the Arm ARM's preferred disassembly, so a case spells the alias where the
manual's alias conditions hold; where ``as`` must be given another spelling for the same
word (``ubfx`` for what prints as ``lsr``, ``orr ..., xzr`` for a bitmask ``mov``,
``.+8`` for a branch target), the case gives both.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from hypothesis import strategies as st

from wazaot.arm64.args import Shift
from wazaot.arm64.regs import GPRS, VECS, Gpr, Vec, sp, xzr

T = TypeVar("T")
GPR_ZR = (*GPRS, xzr)
GPR_SP = (*GPRS, sp)
SIZES = (32, 64)


# --------------------------------------------------------------------------------------
# Operand choice, shared by Hypothesis (draws) and the seeded `as` sample


class Chooser:
    """Picks operand parts; subclassed for Hypothesis and for a seeded RNG."""

    def pick(self, seq: Sequence[T]) -> T:
        raise NotImplementedError

    def integer(self, lo: int, hi: int) -> int:
        raise NotImplementedError

    def edgy(self, lo: int, hi: int, edges: Sequence[int] = ()) -> int:
        """An edge value in [lo, hi] or any value in it."""
        inside = [e for e in edges if lo <= e <= hi] + [lo, hi]
        return self.pick(inside) if self.pick([True, False]) else self.integer(lo, hi)

    def gpr(self, pool: Sequence[Gpr] = GPR_ZR) -> Gpr:
        """A register of ``pool``, with register 31 (and x0/x30) more often than 1/32."""
        return self.pick([self.pick(pool), self.pick(pool), self.pick([pool[0], pool[-1]])])

    def vec(self) -> Vec:
        return self.pick([self.pick(VECS), self.pick([VECS[0], VECS[31]])])


class DrawChooser(Chooser):
    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def pick(self, seq: Sequence[T]) -> T:
        return self.data.draw(st.sampled_from(list(seq)))

    def integer(self, lo: int, hi: int) -> int:
        return self.data.draw(st.integers(lo, hi))


class RandomChooser(Chooser):
    def __init__(self, seed: str) -> None:
        self.rng = random.Random(seed)

    def pick(self, seq: Sequence[T]) -> T:
        return self.rng.choice(list(seq))

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


# --------------------------------------------------------------------------------------
# Cases: operands -> (word, capstone's text, GNU as text)


@dataclass(frozen=True)
class Sample:
    """An encoded instruction and how it reads. Branch targets in ``text`` are
    addresses with the instruction at 0; ``gas`` is None where it equals ``text`` and
    "" where as cannot check it (adrp: as leaves a relocation)."""

    word: int
    text: str
    gas: str | None = None

    @property
    def gas_text(self) -> str:
        return self.text if self.gas is None else self.gas


Case = Callable[[Chooser], Sample]


def registry() -> tuple[dict[str, Case], Callable[[Case], Case]]:
    """A module's dict of cases and the decorator that adds a case under its name."""
    cases: dict[str, Case] = {}

    def case(fn: Case) -> Case:
        cases[fn.__name__] = fn
        return fn

    return cases, case


def r(size: int, reg: Gpr) -> str:
    return reg.sized(size)


def lsl(shift: int) -> str:
    return f", lsl #{shift}" if shift else ""


def sh(shift: Shift, amount: int) -> str:
    return "" if shift is Shift.lsl and amount == 0 else f", {shift.name} #{amount}"


def name(op: object) -> str:
    return op.name.rstrip("_")  # type: ignore[attr-defined]


def pc(offset: int) -> str:
    return f".{offset:+d}"


def draw_branch(c: Chooser, bits: int) -> int:
    """A branch offset in bytes for a ``bits``-bit word-offset field."""
    half = 1 << (bits - 1)
    return 4 * c.edgy(-half, half - 1, [0, 1, -1])
