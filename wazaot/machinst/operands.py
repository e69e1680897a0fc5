"""Operands: how an instruction tells the register allocator what it reads and writes.

Every machine instruction has one ``operands(collector)`` method that calls the
collector once per register operand, in a fixed order (the *visitor order*). The
allocator answers with one physical register per operand, in that same order, so the
emitter of an instruction knows which answer belongs to which field.

An operand has

* a **kind**: USE (read) or DEF (written);
* a **position** in the instruction: EARLY (at its start) or LATE (at its end). Uses
  are early and defs late by default, so an output may share a register with an
  input. A *late use* stays live until the outputs are written (it must not share a
  register with a def); an *early def* is written before the inputs are read (a
  scratch register that must not share a register with any use);
* a **constraint**: ANY register of the class, FIXED to one physical register (the
  allocator inserts the moves into or out of it), or REUSE of an input operand's
  register (x86 two-address forms: the def gets the register of use number ``n``; if
  that input stays live after the instruction the allocator copies it first).

Besides register operands an instruction may declare *clobbers*: physical registers
it destroys without defining a value in them (a call clobbers every caller-saved
register; x86 ``div`` clobbers ``rdx``). No value that lives across the instruction is
kept in a clobbered register.

An operand may also name a physical register directly (``collector.reg_use(rsp)``).
The allocator leaves it alone: its allocation is that register. If the register is
allocatable, the allocator keeps virtual registers out of it at that instruction (a
physical use reserves it at the early point, a physical def at the late point), but it
does not track physical values from one instruction to the next: to move a value into
or out of a given register, use a FIXED constraint on a virtual register.

Restrictions, checked by the allocator: a virtual register is defined at most once
per instruction; an instruction may not both use a virtual register and early-define
it, nor both late-use and define it; a REUSE def must name an early, unconstrained use
of the same class; FIXED operands name a register of the operand's class.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

from wazaot.machinst.regs import PReg, Reg, VReg

__all__ = [
    "ConstraintKind",
    "FLAG_DEF",
    "FLAG_FIXED",
    "FLAG_LATE",
    "FLAG_REUSE",
    "Operand",
    "OperandCollector",
    "OperandKind",
    "OperandPos",
    "PAYLOAD_SHIFT",
    "RecordingCollector",
    "operands_of",
]


class OperandKind(IntEnum):
    """Whether an operand is read or written."""

    USE = 0
    DEF = 1


class OperandPos(IntEnum):
    """When, within its instruction, an operand is read or written."""

    EARLY = 0
    LATE = 1


class ConstraintKind(IntEnum):
    """Where an operand's value must be."""

    ANY = 0
    """Any allocatable register of the operand's class."""
    FIXED = 1
    """One given physical register (:attr:`Operand.fixed`)."""
    REUSE = 2
    """The register of use operand number :attr:`Operand.reuse` (defs only)."""


# The compact encoding the collector records and the allocator decodes: one int per
# operand. Bits 0-1 hold kind and position, bits 2-3 the constraint, the rest its
# payload (a PReg.index for FIXED, an operand index for REUSE).
FLAG_DEF = 1
FLAG_LATE = 2
FLAG_FIXED = 4
FLAG_REUSE = 8
PAYLOAD_SHIFT = 4


@dataclass(frozen=True, slots=True)
class Operand:
    """One register operand, as a readable record (the allocator itself works on the
    compact form a :class:`RecordingCollector` keeps)."""

    reg: Reg
    kind: OperandKind = OperandKind.USE
    pos: OperandPos | None = None
    """EARLY or LATE; None means the default for the kind (uses early, defs late)."""
    constraint: ConstraintKind = ConstraintKind.ANY
    fixed: PReg | None = None
    """The register of a FIXED operand."""
    reuse: int = -1
    """The index (in visitor order) of the use whose register a REUSE def takes."""

    def __post_init__(self) -> None:
        if (self.constraint is ConstraintKind.FIXED) != (self.fixed is not None):
            raise ValueError("a FIXED operand, and only a FIXED one, names its register")
        if (self.constraint is ConstraintKind.REUSE) != (self.reuse >= 0):
            raise ValueError("a REUSE operand, and only a REUSE one, names its input")
        if self.constraint is ConstraintKind.REUSE and self.kind is not OperandKind.DEF:
            raise ValueError("only a def can reuse an input's register")
        if self.constraint is not ConstraintKind.ANY and not self.reg.is_virtual:
            raise ValueError("constraints apply to virtual registers only")

    @property
    def position(self) -> OperandPos:
        """The operand's position, with the default resolved."""
        if self.pos is not None:
            return self.pos
        return OperandPos.EARLY if self.kind is OperandKind.USE else OperandPos.LATE

    @property
    def flags(self) -> int:
        """The compact encoding of everything but the register."""
        flags = int(self.kind) | (FLAG_LATE if self.position is OperandPos.LATE else 0)
        if self.fixed is not None:
            flags |= FLAG_FIXED | (self.fixed.index << PAYLOAD_SHIFT)
        elif self.reuse >= 0:
            flags |= FLAG_REUSE | (self.reuse << PAYLOAD_SHIFT)
        return flags

    @staticmethod
    def from_flags(reg: Reg, flags: int) -> Operand:
        """Decode the compact form."""
        payload = flags >> PAYLOAD_SHIFT
        return Operand(
            reg,
            OperandKind(flags & FLAG_DEF),
            OperandPos.LATE if flags & FLAG_LATE else OperandPos.EARLY,
            ConstraintKind.FIXED
            if flags & FLAG_FIXED
            else ConstraintKind.REUSE
            if flags & FLAG_REUSE
            else ConstraintKind.ANY,
            PReg.from_index(payload) if flags & FLAG_FIXED else None,
            payload if flags & FLAG_REUSE else -1,
        )

    def __repr__(self) -> str:
        if self.kind is OperandKind.USE:
            text = "late use" if self.position is OperandPos.LATE else "use"
        else:
            text = "early def" if self.position is OperandPos.EARLY else "def"
        text += f" {self.reg!r}"
        if self.fixed is not None:
            text += f" @{self.fixed.name}"
        elif self.reuse >= 0:
            text += f" reuse#{self.reuse}"
        return text


class OperandCollector(Protocol):
    """What an instruction's ``operands()`` method talks to.

    Call the ``reg_*`` methods once per register operand, always in the same order;
    that order is the order of the allocations handed back.
    """

    def reg_use(self, reg: Reg) -> None:
        """An early use in any register (or of ``reg`` itself if it is physical)."""

    def reg_late_use(self, reg: Reg) -> None:
        """A use that must stay intact until the instruction's defs are written."""

    def reg_def(self, reg: Reg) -> None:
        """A late def in any register (or of ``reg`` itself if it is physical)."""

    def reg_early_def(self, reg: Reg) -> None:
        """A def written before the uses are read: a scratch register that shares no
        register with any use of the instruction."""

    def reg_fixed_use(self, reg: VReg, preg: PReg) -> None:
        """An early use whose value must be in ``preg``."""

    def reg_fixed_def(self, reg: VReg, preg: PReg) -> None:
        """A late def that the instruction writes into ``preg``."""

    def reg_reuse_def(self, reg: VReg, use_index: int) -> None:
        """A late def in the register of use operand number ``use_index``."""

    def operand(self, operand: Operand) -> None:
        """Any operand, spelled out (for the rare forms without a shortcut)."""

    def reg_clobbers(self, pregs: Iterable[PReg]) -> None:
        """Physical registers the instruction destroys without defining a value."""


class RecordingCollector:
    """An :class:`OperandCollector` that appends everything to flat lists.

    One collector records a whole function: ``regs[k]`` and ``flags[k]`` describe
    operand ``k`` (counted over the function), and ``clobbers`` maps an instruction
    number (the value of :attr:`inst` when it was recorded) to its clobbered registers.
    The caller keeps the operand offset of each instruction (``len(regs)`` before
    calling ``operands()``). ``special`` lists the operands that are neither a plain
    use nor a plain def (late uses, early defs, FIXED and REUSE operands), so that a
    reader of the flat lists can visit those few without scanning every flag.
    """

    __slots__ = ("regs", "flags", "special", "clobbers", "inst")

    def __init__(self) -> None:
        self.regs: list[Reg] = []
        self.flags: list[int] = []
        self.special: list[int] = []
        self.clobbers: dict[int, list[PReg]] = {}
        self.inst = 0
        """The number of the instruction being visited, set by the caller."""

    def reg_use(self, reg: Reg) -> None:
        """See :meth:`OperandCollector.reg_use`."""
        self.regs.append(reg)
        self.flags.append(0)

    def reg_late_use(self, reg: Reg) -> None:
        """See :meth:`OperandCollector.reg_late_use`."""
        self.special.append(len(self.regs))
        self.regs.append(reg)
        self.flags.append(FLAG_LATE)

    def reg_def(self, reg: Reg) -> None:
        """See :meth:`OperandCollector.reg_def`."""
        self.regs.append(reg)
        self.flags.append(FLAG_DEF | FLAG_LATE)

    def reg_early_def(self, reg: Reg) -> None:
        """See :meth:`OperandCollector.reg_early_def`."""
        self.special.append(len(self.regs))
        self.regs.append(reg)
        self.flags.append(FLAG_DEF)

    def reg_fixed_use(self, reg: VReg, preg: PReg) -> None:
        """See :meth:`OperandCollector.reg_fixed_use`."""
        self.special.append(len(self.regs))
        self.regs.append(reg)
        self.flags.append(FLAG_FIXED | (preg.index << PAYLOAD_SHIFT))

    def reg_fixed_def(self, reg: VReg, preg: PReg) -> None:
        """See :meth:`OperandCollector.reg_fixed_def`."""
        self.special.append(len(self.regs))
        self.regs.append(reg)
        self.flags.append(FLAG_DEF | FLAG_LATE | FLAG_FIXED | (preg.index << PAYLOAD_SHIFT))

    def reg_reuse_def(self, reg: VReg, use_index: int) -> None:
        """See :meth:`OperandCollector.reg_reuse_def`."""
        self.special.append(len(self.regs))
        self.regs.append(reg)
        self.flags.append(FLAG_DEF | FLAG_LATE | FLAG_REUSE | (use_index << PAYLOAD_SHIFT))

    def operand(self, operand: Operand) -> None:
        """See :meth:`OperandCollector.operand`."""
        flags = operand.flags
        if flags != 0 and flags != FLAG_DEF | FLAG_LATE:
            self.special.append(len(self.regs))
        self.regs.append(operand.reg)
        self.flags.append(flags)

    def reg_clobbers(self, pregs: Iterable[PReg]) -> None:
        """See :meth:`OperandCollector.reg_clobbers`."""
        self.clobbers.setdefault(self.inst, []).extend(pregs)


class _HasOperands(Protocol):
    def operands(self, collector: OperandCollector) -> None: ...


def operands_of(inst: _HasOperands) -> tuple[list[Operand], list[PReg]]:
    """An instruction's operands as records, in visitor order, and its clobbers."""
    collector = RecordingCollector()
    inst.operands(collector)
    operands = [Operand.from_flags(r, f) for r, f in zip(collector.regs, collector.flags)]
    return operands, collector.clobbers.get(0, [])
