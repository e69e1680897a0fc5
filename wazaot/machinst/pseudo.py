"""Pseudo-instructions every architecture shares: control flow, calls, exits to the host
and the moves between registers and the calling convention's stack slots.

They carry no ISA detail: registers are ``Reg`` values, fixed registers come from the
architecture's :class:`~wazaot.machinst.abi.CallConv`, and each architecture registers
an emitter for each class (``<arch>/emit.py``). Shared lowering
(``wazaot.lower.isel``) creates them; like every instruction they are frozen
dataclasses with one ``operands()`` visitor.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ..traps import TrapCode
from ..vmctx import Builtin
from .operands import OperandCollector
from .regs import PReg, Reg, VReg

__all__ = [
    "InstBase",
    "NamedEnum",
    "TermBase",
    "CANONICAL_NAN", "NOTIFY_GROUP", "Call", "CallKind", "CanonNaN", "Exit", "InterruptCheck", "Jmp", "JmpTable", "Notify", "Ret", "SlotArea",
    "StackSlot", "TrapInst",
]  # fmt: skip


class InstBase:
    """Defaults of the ``MachInst`` protocol for an ordinary instruction (every
    architecture's instructions derive from it or from ``TermBase``)."""

    __slots__ = ()

    def is_move(self) -> tuple[Reg, Reg] | None:
        return None

    def is_terminator(self) -> bool:
        return False


class TermBase(InstBase):
    """Defaults for an instruction that ends a block."""

    __slots__ = ()

    def is_terminator(self) -> bool:
        return True


class NamedEnum(enum.Enum):
    """An enum that the machine IR prints by name (``op=ADD``, ``kind=DIRECT``): the
    operations and kinds that instructions carry, on every architecture."""

    def __repr__(self) -> str:
        return self.name


class SlotArea(NamedEnum):
    """Which stack slots of the calling convention: the ones this function was called
    with (its parameters and results) or the ones it passes to a callee."""

    INCOMING = "in"
    OUTGOING = "out"


class CallKind(NamedEnum):
    """How a call finds its callee."""

    DIRECT = "direct"  # a function of this module: a label
    IMPORT = "import"  # an imported function: its funcref in the module context
    INDIRECT = "indirect"  # call_indirect: a table element, checked against a type id


@dataclass(frozen=True, slots=True)
class StackSlot(InstBase):
    """A move between ``reg`` and stack slot ``slot`` of ``area`` (``store``: to the
    slot). Slot k of the incoming area is the caller's outgoing slot k. ``wide``: a
    v128, 16 bytes over slots ``slot`` and ``slot + 1`` (8-byte aligned only)."""

    area: SlotArea
    store: bool
    reg: Reg
    slot: int
    wide: bool = field(default=False, repr=False)

    def operands(self, c: OperandCollector) -> None:
        if self.store:
            c.reg_use(self.reg)
        else:
            c.reg_def(self.reg)


@dataclass(frozen=True, slots=True)
class Call(InstBase):
    """A call. ``kind`` DIRECT: ``target`` is a function index of this module; IMPORT:
    the funcs slot of the module context; INDIRECT: the table descriptor slot, with
    ``index`` the element and ``type_id`` the expected type. Arguments and results
    travel in fixed registers (stack ones through ``StackSlot``)."""

    kind: CallKind
    target: int
    args: tuple[tuple[VReg, PReg], ...]
    results: tuple[tuple[VReg, PReg], ...]
    index: VReg | None = None
    type_id: int = 0
    clobbers: tuple[PReg, ...] = field(default=(), repr=False)

    def operands(self, c: OperandCollector) -> None:
        for reg, preg in self.args:
            c.reg_fixed_use(reg, preg)
        if self.index is not None:
            c.reg_use(self.index)
        for reg, preg in self.results:
            c.reg_fixed_def(reg, preg)
        c.reg_clobbers(self.clobbers)


@dataclass(frozen=True, slots=True)
class Exit(InstBase):
    """Leave to the runtime for ``builtin`` with ``args`` (stored in the execution
    context's args[]); ``dst`` receives args[0] afterwards."""

    builtin: Builtin
    args: tuple[Reg, ...]
    dst: Reg | None = None
    clobbers: tuple[PReg, ...] = field(default=(), repr=False)

    def operands(self, c: OperandCollector) -> None:
        for a in self.args:
            c.reg_use(a)
        if self.dst is not None:
            c.reg_def(self.dst)
        c.reg_clobbers(self.clobbers)


@dataclass(frozen=True, slots=True)
class Notify(InstBase):
    """Store ``values`` in the slot buffer from slot ``first_slot`` on, one per slot
    (a function listener's parameters or results; the values whose indexes are in
    ``wide`` are v128s and take two slots), then, if ``exits``, leave to the runtime
    with exit code ``code``. A listener of many values is told through several
    Notify, the last one exiting, so that no one needs more registers than there are
    (``NOTIFY_GROUP``)."""

    code: int
    values: tuple[Reg, ...]
    clobbers: tuple[PReg, ...] = field(default=(), repr=False)
    wide: frozenset[int] = field(default=frozenset(), repr=False)
    first_slot: int = 0
    exits: bool = True

    def operands(self, c: OperandCollector) -> None:
        for v in self.values:
            c.reg_use(v)
        c.reg_clobbers(self.clobbers)


NOTIFY_GROUP = 8
"""The most values one ``Notify`` stores: fewer than either class has registers."""


@dataclass(frozen=True, slots=True)
class CanonNaN(InstBase):
    """dst := src, or the canonical quiet NaN of ``prec`` bits if src is a NaN (so that
    results are bit-identical across architectures; ``canonicalize_nans``)."""

    prec: int
    dst: VReg
    src: VReg

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_reuse_def(self.dst, 0)


CANONICAL_NAN = {32: 0x7FC0_0000, 64: 0x7FF8_0000_0000_0000}
"""The canonical quiet NaN bit patterns of f32 and f64 (positive, no payload)."""


@dataclass(frozen=True, slots=True)
class InterruptCheck(InstBase):
    """Trap with ``interrupted`` if the execution context's interrupt flag is set (at
    loop headers: a compare with memory and a branch to an out-of-line stub)."""

    def operands(self, c: OperandCollector) -> None:
        pass


@dataclass(frozen=True, slots=True)
class Jmp(TermBase):
    """Go to block ``target``."""

    target: int

    def operands(self, c: OperandCollector) -> None:
        pass


@dataclass(frozen=True, slots=True)
class JmpTable(TermBase):
    """``br_table``: go to ``targets[index]``, or ``default`` when out of range."""

    index: Reg
    targets: tuple[int, ...]
    default: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.index)


@dataclass(frozen=True, slots=True)
class Ret(TermBase):
    """Return ``values`` in their result registers (stack results are stored before)."""

    values: tuple[tuple[VReg, PReg], ...]

    def operands(self, c: OperandCollector) -> None:
        for reg, preg in self.values:
            c.reg_fixed_use(reg, preg)


@dataclass(frozen=True, slots=True)
class TrapInst(TermBase):
    """Trap with ``code``."""

    code: TrapCode

    def operands(self, c: OperandCollector) -> None:
        pass
