"""Registers and locations of the machine IR: register classes, physical and virtual
registers, spill slots.

Both kinds of register are *interned*: ``VReg(RegClass.INT, 7) is VReg(RegClass.INT, 7)``
and ``PReg(RegClass.INT, 0, "rax")`` returns the one ``rax`` object. Equality and hashing
are therefore identity, done in C, which matters because a function of any size
creates registers by the tens of thousands and the allocator hashes them constantly.
Each register also carries a small dense integer (``VReg.index``, ``PReg.index``) that
the allocator uses to index plain lists instead of dictionaries.

Several threads may compile at once: a register is created under a lock (the lookup of
an existing one takes none), so that two threads never make two objects for one
register. The intern tables are bounded: at most :data:`MAX_PREGS` physical registers
(a few dozen per architecture exist) and virtual register indices below
:data:`MAX_VREGS` (the table of each class is as long as the largest function
compiled so far needs).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar

__all__ = [
    "MAX_PREGS",
    "MAX_VREGS",
    "Loc",
    "PReg",
    "Reg",
    "RegClass",
    "SpillSlot",
    "VReg",
    "preg_count",
]


MAX_PREGS = 1024
"""How many distinct physical registers a process may create (every architecture's
register files together)."""

MAX_VREGS = 1 << 23
"""Virtual register indices must be below this (a function needing more is refused)."""

_INTERN_LOCK = threading.Lock()


class RegClass(IntEnum):
    """A register file. Registers of different classes never share an allocation."""

    INT = 0
    """General-purpose integer registers (x86-64 ``rax``..., arm64 ``x0``...)."""
    FLOAT = 1
    """Floating-point and vector registers: scalar ``f32``/``f64`` and 128-bit vectors
    (x86-64 ``xmm0``..., arm64 ``v0``...)."""

    @property
    def spill_slot_size(self) -> int:
        """Bytes of one spill slot of this class: 8 for INT, 16 for FLOAT (a whole
        vector register, so that SIMD values spill without loss)."""
        return 8 if self is RegClass.INT else 16


class PReg:
    """A physical (hardware) register: its class, hardware number and assembler name.

    ``hw`` is the number the encoder puts into instruction fields (``rax`` = 0,
    ``r15`` = 15, ``x29`` = 29, ``xmm3`` = 3). Construction interns on
    ``(class, hw, name)``: asking again returns the same object, so equality is
    identity. Registers of different architectures (``rax`` and ``x0``, both number
    0) are distinct objects and may coexist in one process.
    """

    __slots__ = ("cls", "hw", "name", "index")

    cls: RegClass
    hw: int
    name: str
    index: int
    """Dense number, unique over every PReg of the process (``range(preg_count())``):
    the allocator indexes plain lists with it."""

    _interned: ClassVar[dict[tuple[RegClass, int, str], PReg]] = {}
    _by_index: ClassVar[list[PReg]] = []

    def __new__(cls, reg_class: RegClass, hw: int, name: str) -> PReg:
        key = (RegClass(reg_class), hw, name)
        existing = cls._interned.get(key)
        if existing is not None:
            return existing
        if not 0 <= hw < 256:
            raise ValueError(f"hardware register number out of range: {hw}")
        with _INTERN_LOCK:
            existing = cls._interned.get(key)  # another thread may have won
            if existing is not None:
                return existing
            if len(cls._by_index) >= MAX_PREGS:
                raise ValueError(f"more than {MAX_PREGS} physical registers")
            self = object.__new__(cls)
            object.__setattr__(self, "cls", key[0])
            object.__setattr__(self, "hw", hw)
            object.__setattr__(self, "name", name)
            object.__setattr__(self, "index", len(cls._by_index))
            cls._by_index.append(self)
            cls._interned[key] = self
            return self

    @classmethod
    def from_index(cls, index: int) -> PReg:
        """The register whose :attr:`index` is ``index``."""
        return cls._by_index[index]

    @property
    def is_virtual(self) -> bool:
        """Always False: lets code test a :data:`Reg` without ``isinstance``."""
        return False

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("PReg is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (PReg, (self.cls, self.hw, self.name))

    def __repr__(self) -> str:
        return self.name


def preg_count() -> int:
    """How many physical registers exist (upper bound of :attr:`PReg.index`)."""
    return len(PReg._by_index)


class VReg:
    """A virtual register: a class and an index unique within one function.

    Indices are dense (0, 1, 2, ...) and shared by both classes: a function never has
    an INT and a FLOAT virtual register with the same index. Lowering gets them from
    :meth:`wazaot.machinst.VCode.new_vreg`. Virtual registers need not be in SSA form:
    a VReg may be defined several times, on different paths and in loops.
    """

    __slots__ = ("cls", "index")

    cls: RegClass
    index: int

    # One list per class, indexed by VReg.index: interning by plain list lookups.
    _interned: ClassVar[tuple[list[VReg | None], ...]] = tuple([] for _ in RegClass)

    def __new__(cls, reg_class: RegClass, index: int) -> VReg:
        table = cls._interned[reg_class]
        if 0 <= index < len(table):
            existing = table[index]
            if existing is not None:
                return existing
        if not 0 <= index < MAX_VREGS:
            raise ValueError(f"virtual register index out of range: {index}")
        with _INTERN_LOCK:
            if index >= len(table):
                table.extend([None] * (index + 1 - len(table)))
            existing = table[index]  # another thread may have won
            if existing is not None:
                return existing
            self = object.__new__(cls)
            object.__setattr__(self, "cls", RegClass(reg_class))
            object.__setattr__(self, "index", index)
            table[index] = self
            return self

    @property
    def is_virtual(self) -> bool:
        """Always True: lets code test a :data:`Reg` without ``isinstance``."""
        return True

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("VReg is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (VReg, (self.cls, self.index))

    def __repr__(self) -> str:
        return f"%v{self.index}{'i' if self.cls is RegClass.INT else 'f'}"


Reg = PReg | VReg
"""An instruction's register field: virtual before allocation (or physical, for the
few operands that name a hardware register directly, such as a stack pointer)."""


@dataclass(frozen=True, slots=True)
class SpillSlot:
    """A stack slot holding one spilled virtual register.

    Slots are numbered per class from 0. Where they live in the frame is the ABI's
    business; an INT slot takes 8 bytes and a FLOAT slot 16 (:attr:`RegClass.spill_slot_size`).
    """

    index: int
    cls: RegClass

    def __repr__(self) -> str:
        return f"slot{self.index}{'i' if self.cls is RegClass.INT else 'f'}"


Loc = PReg | SpillSlot
"""Where a value can be after allocation: a hardware register or a spill slot."""
