"""Machine functions: the instruction protocol, blocks, :class:`VCode`, and the
register data a backend hands the allocator (:class:`RegisterEnv`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from wazaot.machinst.operands import OperandCollector
from wazaot.machinst.regs import PReg, Reg, RegClass, VReg

__all__ = ["Args", "Block", "MachInst", "RegisterEnv", "VCode"]


@runtime_checkable
class MachInst(Protocol):
    """What every arch-specific machine instruction provides.

    Instructions are ``@dataclass(frozen=True, slots=True)`` classes named by operand
    format (``AluRR``, ``MovRM``...). The allocator sees them only through these three
    methods.
    """

    def operands(self, collector: OperandCollector) -> None:
        """Declare every register operand (and clobbers), always in the same order."""

    def is_move(self) -> tuple[Reg, Reg] | None:
        """``(dst, src)`` if this is a plain register-to-register copy of one class,
        else None. A hint only: the allocator tries to give both the same register,
        and the emitter drops a move whose two allocations are equal."""

    def is_terminator(self) -> bool:
        """True for the instruction that ends a block (jump, branch, return, trap).
        A terminator may use registers but must not define any."""


@dataclass(frozen=True, slots=True)
class Args:
    """A pseudo-instruction defining the function's parameters.

    Lowering puts one at the start of the entry block: each ``(vreg, preg)`` pair says
    that ``vreg`` arrives in ``preg`` (a fixed def). Parameters passed on the stack are
    loaded by ordinary instructions after it. It emits no code.
    """

    params: tuple[tuple[VReg, PReg], ...]

    def operands(self, collector: OperandCollector) -> None:
        """One fixed def per parameter."""
        for vreg, preg in self.params:
            collector.reg_fixed_def(vreg, preg)

    def is_move(self) -> tuple[Reg, Reg] | None:
        """Not a move."""
        return None

    def is_terminator(self) -> bool:
        """Not a terminator."""
        return False


@dataclass(slots=True)
class Block:
    """A basic block: instructions in order, the last one usually a terminator, and
    the numbers of its successor blocks (indices into :attr:`VCode.blocks`)."""

    insts: list[MachInst] = field(default_factory=list)
    succs: list[int] = field(default_factory=list)


@dataclass(slots=True)
class VCode:
    """A function in machine IR: blocks in layout (emission) order.

    Block ``n`` is ``blocks[n]``; instructions are numbered over the whole function in
    layout order (the numbering the allocator's output uses, see
    :meth:`inst_numbers`). The function's parameters are defined by an :class:`Args`
    pseudo-instruction in the entry block. Critical edges need not be split: the
    allocator never inserts code on edges.
    """

    blocks: list[Block] = field(default_factory=list)
    entry: int = 0
    num_vregs: int = 0
    """Virtual registers have indices in ``range(num_vregs)``."""

    def new_vreg(self, cls: RegClass) -> VReg:
        """A fresh virtual register of class ``cls``."""
        n = self.num_vregs
        self.num_vregs = n + 1
        return VReg(cls, n)

    def new_block(self) -> int:
        """Append an empty block; returns its number."""
        self.blocks.append(Block())
        return len(self.blocks) - 1

    def inst_numbers(self) -> list[int]:
        """The number of each block's first instruction, plus the total at the end."""
        starts = [0]
        for block in self.blocks:
            starts.append(starts[-1] + len(block.insts))
        return starts

    def insts(self) -> Iterator[MachInst]:
        """All instructions in layout order."""
        for block in self.blocks:
            yield from block.insts


@dataclass(frozen=True)
class RegisterEnv:
    """An architecture's registers, as the allocator needs them.

    ``allocatable[cls]`` lists the registers the allocator may hand out, in order of
    preference (list caller-saved registers first: they cost nothing to use in a leaf).
    ``callee_saved`` are the ones a function must preserve; the allocator reports the
    ones it touched so the prologue can save them. Every other allocatable register is
    caller-saved: calls clobber it (the call instruction declares that, see
    :meth:`caller_saved`). Registers reserved for the stack, the frame or the runtime
    context are simply not listed.
    """

    allocatable: Mapping[RegClass, Sequence[PReg]]
    callee_saved: frozenset[PReg] = frozenset()

    def __post_init__(self) -> None:
        for cls, regs in self.allocatable.items():
            for preg in regs:
                if preg.cls is not cls:
                    raise ValueError(f"{preg} listed as {cls.name} but is {preg.cls.name}")
            if len(set(regs)) != len(regs):
                raise ValueError(f"{cls.name} registers listed twice")

    def regs(self, cls: RegClass) -> Sequence[PReg]:
        """The allocatable registers of ``cls`` in preference order."""
        return self.allocatable.get(cls, ())

    def caller_saved(self, cls: RegClass | None = None) -> tuple[PReg, ...]:
        """The allocatable registers a call clobbers (of one class, or all)."""
        classes = [cls] if cls is not None else list(RegClass)
        return tuple(
            preg for c in classes for preg in self.regs(c) if preg not in self.callee_saved
        )

    def is_allocatable(self, preg: PReg) -> bool:
        """Whether the allocator may hand out ``preg``."""
        return preg in self.regs(preg.cls)
