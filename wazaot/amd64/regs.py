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


rax = Gpr(0, "rax")
rcx = Gpr(1, "rcx")
rdx = Gpr(2, "rdx")
rbx = Gpr(3, "rbx")
rsp = Gpr(4, "rsp")
rbp = Gpr(5, "rbp")
rsi = Gpr(6, "rsi")
rdi = Gpr(7, "rdi")
r8 = Gpr(8, "r8")
r9 = Gpr(9, "r9")
r10 = Gpr(10, "r10")
r11 = Gpr(11, "r11")
r12 = Gpr(12, "r12")
r13 = Gpr(13, "r13")
r14 = Gpr(14, "r14")
r15 = Gpr(15, "r15")

xmm0 = Xmm(0, "xmm0")
xmm1 = Xmm(1, "xmm1")
xmm2 = Xmm(2, "xmm2")
xmm3 = Xmm(3, "xmm3")
xmm4 = Xmm(4, "xmm4")
xmm5 = Xmm(5, "xmm5")
xmm6 = Xmm(6, "xmm6")
xmm7 = Xmm(7, "xmm7")
xmm8 = Xmm(8, "xmm8")
xmm9 = Xmm(9, "xmm9")
xmm10 = Xmm(10, "xmm10")
xmm11 = Xmm(11, "xmm11")
xmm12 = Xmm(12, "xmm12")
xmm13 = Xmm(13, "xmm13")
xmm14 = Xmm(14, "xmm14")
xmm15 = Xmm(15, "xmm15")

GPRS: tuple[Gpr, ...] = (
    rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15,
)  # fmt: skip
"""All sixteen GPRs, indexed by hardware number."""

XMMS: tuple[Xmm, ...] = (
    xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7,
    xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15,
)  # fmt: skip
"""All sixteen XMM registers, indexed by hardware number."""

assert all(r.num == i and r.name == _GPR64[i] for i, r in enumerate(GPRS))
assert all(x.num == i and x.name == f"xmm{i}" for i, x in enumerate(XMMS))

Reg = Gpr | Xmm
"""Either kind of register."""
