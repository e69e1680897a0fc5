"""The part of an assembler every architecture shares: a byte buffer with labels, and
the base of the registers as an assembler names them.

``<arch>/encoding.py``'s ``Assembler`` subclasses ``LabelBuffer`` and adds its
instructions and label fixups (the forms that refer to labels differ per ISA);
``<arch>/regs.py``'s register files derive from :class:`HwReg`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True, eq=False)
class HwReg:
    """A register as the assembler spells it: ``num`` is the number its encodings
    hold, ``name`` its name. There is one object per register (``<arch>/regs.py``),
    compared by identity. A register file derives from it with its size (``count``
    numbers, from 0) and its name in messages (``kind``)."""

    count: ClassVar[int]
    kind: ClassVar[str]

    num: int
    name: str

    def __post_init__(self) -> None:
        if not 0 <= self.num < self.count:
            raise ValueError(f"{self.kind} number out of range: {self.num}")

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Label:
    """A position in the code, created by :meth:`LabelBuffer.new_label`."""

    id: int

    def __repr__(self) -> str:
        return f"L{self.id}"


class LabelBuffer:
    """Appends bytes; labels are made unbound and bound once to an offset."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self._labels: list[int | None] = []

    @property
    def offset(self) -> int:
        """The offset the next instruction will be emitted at."""
        return len(self.buf)

    def new_label(self) -> Label:
        """A fresh, unbound label."""
        self._labels.append(None)
        return Label(len(self._labels) - 1)

    def bind(self, label: Label) -> None:
        """Bind ``label`` to the current offset (once)."""
        if self._position(label) is not None:
            raise ValueError(f"label {label} is already bound")
        self._labels[label.id] = self.offset

    def label_offset(self, label: Label) -> int:
        """The offset ``label`` is bound to (ValueError if unbound)."""
        pos = self._position(label)
        if pos is None:
            raise ValueError(f"label {label} was never bound")
        return pos

    def _position(self, label: Label) -> int | None:
        if not 0 <= label.id < len(self._labels):
            raise ValueError(f"label {label} was not made by this assembler")
        return self._labels[label.id]

    @property
    def label_count(self) -> int:
        """How many labels were made so far."""
        return len(self._labels)

    def truncate(self, offset: int, label_count: int, unbind: Sequence[Label] = ()) -> None:
        """Forget the bytes from ``offset`` on and the labels made after the first
        ``label_count``, and unbind the labels ``unbind`` (to emit a piece again)."""
        del self.buf[offset:]
        del self._labels[label_count:]
        for label in unbind:
            self._position(label)
            self._labels[label.id] = None

    def data(self, raw: bytes) -> None:
        """Append raw bytes (constants, jump tables)."""
        self.buf += raw


__all__ = ["Label", "LabelBuffer"]
