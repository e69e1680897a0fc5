"""The x86-64 registers, spelled as the assembler spells them.

A register object names the hardware register, not one of its widths: ``rax`` stands for
``rax``/``eax``/``ax``/``al`` alike, and the instruction's explicit operand size (8, 16,
32 or 64) picks the width. :meth:`Gpr.sized` gives the assembler name for a width.

``num`` is the 4-bit hardware number. Its low three bits go into a ModRM/SIB field or
the low bits of an opcode, its high bit into REX.R, REX.X or REX.B::

    num = 0b B bbb
            | '--- ModRM.reg / ModRM.rm / SIB.base / SIB.index / opcode+r
            '----- REX.R / REX.B / REX.X

This module holds no allocation policy: which registers are allocatable, callee-saved or
reserved is the ABI's business (``abi.py``).
"""

from __future__ import annotations

from ..machinst.buffer import HwReg

_GPR64 = (
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
)  # fmt: skip
_GPR32 = (
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
    "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d",
)  # fmt: skip
_GPR16 = (
    "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
    "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w",
)  # fmt: skip
# With a REX prefix, 4..7 are spl/bpl/sil/dil; without one they would be ah/ch/dh/bh,
# which wazaot never uses (the encoder forces a REX prefix instead).
_GPR8 = (
    "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
    "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b",
)  # fmt: skip
_NAMES_BY_SIZE = {64: _GPR64, 32: _GPR32, 16: _GPR16, 8: _GPR8}


class _X86Reg(HwReg):
    """A register with a 4-bit hardware number (0-15)."""

    __slots__ = ()
    count = 16

    @property
    def low3(self) -> int:
        """The three bits that go into ModRM, SIB or the opcode."""
        return self.num & 7

    @property
    def high(self) -> int:
        """The bit that goes into REX.R, REX.X or REX.B."""
        return self.num >> 3


class Gpr(_X86Reg):
    """A general-purpose register: ``num`` is its hardware number (0-15). There is one
    object per register (below), compared by identity."""

    __slots__ = ()
    kind = "GPR"

    def sized(self, size: int) -> str:
        """The assembler's name of this register at ``size`` bits (8, 16, 32 or 64)."""
        try:
            return _NAMES_BY_SIZE[size][self.num]
        except KeyError:
            raise ValueError(f"no GPR width of {size} bits") from None


class Xmm(_X86Reg):
    """An SSE register: ``num`` is its hardware number (0-15). There is one object per
    register (below), compared by identity."""

    __slots__ = ()
    kind = "XMM"


GPRS: tuple[Gpr, ...] = tuple(Gpr(i, name) for i, name in enumerate(_GPR64))
"""All sixteen GPRs, indexed by hardware number."""

XMMS: tuple[Xmm, ...] = tuple(Xmm(i, f"xmm{i}") for i in range(16))
"""All sixteen XMM registers, indexed by hardware number."""

(rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi,
 r8, r9, r10, r11, r12, r13, r14, r15) = GPRS  # fmt: skip
(xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7,
 xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15) = XMMS  # fmt: skip

Reg = Gpr | Xmm
"""Either kind of register."""
