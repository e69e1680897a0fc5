"""The operands of x86-64 instructions: memory operands, immediates, labels, conditions.

Shared by the encoder (``encoding.py``, ``encoding_sse.py``), the machine instructions
(``inst.py``) and the emitters, so that none of them imports another to name an operand.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..machinst.buffer import Label
from .regs import Gpr, Xmm

SCALE_BITS = {1: 0, 2: 1, 4: 2, 8: 3}
"""The SIB scale field of each index multiplier."""


def fits_signed(value: int, bits: int) -> bool:
    """Whether ``value`` is representable as a signed ``bits``-bit integer."""
    return -(1 << (bits - 1)) <= value < (1 << (bits - 1))


# --------------------------------------------------------------------------------------
# Operands


@dataclass(frozen=True, slots=True)
class Imm:
    """An immediate operand. Plain ints are accepted wherever an Imm is."""

    value: int

    def __post_init__(self) -> None:
        if not isinstance(self.value, int) or isinstance(self.value, bool):
            raise TypeError(f"immediate must be an int, not {self.value!r}")


@dataclass(frozen=True, slots=True)
class Symbol:
    """An external target, resolved by the linker through a :class:`Reloc`."""

    name: str


@dataclass(frozen=True, slots=True)
class Mem:
    """A memory operand ``[base + index*scale + disp]``, or ``[rip + target + disp]``.

    ``base`` None with an index is ``[index*scale + disp32]``; both None is an absolute
    ``[disp32]``. Build RIP-relative operands with :meth:`Mem.rip`.
    """

    base: Gpr | None
    index: Gpr | None = None
    scale: int = 1
    disp: int = 0
    target: Label | Symbol | None = None

    def __post_init__(self) -> None:
        disp = self.disp
        if (
            type(self.base) is Gpr and self.index is None and self.scale == 1
            and type(disp) is int and -0x8000_0000 <= disp < 0x8000_0000 and self.target is None
        ):  # fmt: skip
            return  # the common [base + disp]: valid
        if self.base is not None and not isinstance(self.base, Gpr):
            raise ValueError(f"memory base must be a GPR, not {self.base!r}")
        if self.index is not None:
            if not isinstance(self.index, Gpr):
                raise ValueError(f"memory index must be a GPR, not {self.index!r}")
            if self.index.num == 4:
                raise ValueError("rsp cannot be an index register")
        if self.scale not in SCALE_BITS:
            raise ValueError(f"scale must be 1, 2, 4 or 8, not {self.scale}")
        if self.index is None and self.scale != 1:
            raise ValueError("a scale needs an index register")
        if not isinstance(self.disp, int) or not fits_signed(self.disp, 32):
            raise ValueError(f"displacement out of the signed 32-bit range: {self.disp!r}")
        if self.target is not None and (self.base is not None or self.index is not None):
            raise ValueError("a RIP-relative operand has no base or index")

    @classmethod
    def rip(cls, target: Label | Symbol, disp: int = 0) -> Mem:
        """``[rip + disp32]`` addressing ``target + disp``."""
        return cls(None, None, 1, disp, target)


class Cond(enum.Enum):
    """x86 condition codes; the value is the ``cc`` nibble of jcc/setcc/cmovcc."""

    o = 0x0
    no = 0x1
    b = 0x2  # unsigned <, carry
    ae = 0x3  # unsigned >=
    e = 0x4  # equal, zero
    ne = 0x5
    be = 0x6  # unsigned <=
    a = 0x7  # unsigned >
    s = 0x8
    ns = 0x9
    p = 0xA  # parity: unordered after ucomis*
    np = 0xB
    l = 0xC  # signed <
    ge = 0xD
    le = 0xE
    g = 0xF

    def invert(self) -> Cond:
        """The opposite condition (the low bit of the nibble negates it)."""
        return Cond(self.value ^ 1)


Operand = Gpr | Xmm | Mem | Imm | int | Label | Symbol | Cond
"""Anything an instruction accepts as an operand."""
