"""The arm64 (AArch64) registers, spelled as the assembler spells them.

A register object names the hardware register, not one of its widths: ``x0`` stands for
``x0`` and ``w0`` alike, ``v0`` for ``b0``/``h0``/``s0``/``d0``/``q0``, and the
instruction's operand size (32 or 64 for a GPR; 8 to 128 for a SIMD&FP register) picks
the width, as in ``wazaot/amd64/regs.py``. :meth:`Gpr.sized` and :meth:`Vec.sized` give
the assembler name for a width.

``num`` is the 5-bit number that goes into an Rd/Rn/Rm/Rt/Ra field. Number 31 means the
stack pointer in some fields and the zero register in others (Arm ARM, "Register
names"); the two are distinct objects here, :data:`sp` and :data:`xzr`, and each encoder
asserts that it got the one its field can hold::

    Rd of ADD (immediate)       31 = sp    add sp, x1, #16
    Rd of ADD (shifted reg)     31 = xzr   (an ADD that discards its result)
    Rt of LDR, Rn of LDR        xzr, sp    str xzr, [sp, #8]

``x29`` and ``x30`` are also the frame pointer and link register (:data:`fp`, :data:`lr`
are the same objects); the assembler and capstone print them as ``x29``/``x30``.

This module holds no allocation policy: which registers are allocatable, callee-saved or
reserved is the ABI's business (``abi.py``).
"""

from __future__ import annotations

from ..machinst.buffer import HwReg

_VEC_PREFIX = {8: "b", 16: "h", 32: "s", 64: "d", 128: "q"}


class Gpr(HwReg):
    """A general-purpose register: ``num`` is its hardware number (0-31; 31 is
    :data:`sp` or :data:`xzr`, told apart by ``name``). There is one object per
    register (below), compared by identity."""

    __slots__ = ()
    count = 32
    kind = "GPR"

    def __post_init__(self) -> None:
        HwReg.__post_init__(self)
        if (self.num == 31) != (self.name in ("sp", "xzr")):
            raise ValueError(f"register 31 is sp or xzr, not {self.name!r}")

    @property
    def is_sp(self) -> bool:
        """Whether this is the stack pointer (number 31 in an SP field)."""
        return self.name == "sp"

    @property
    def is_zr(self) -> bool:
        """Whether this is the zero register (number 31 in a ZR field)."""
        return self.name == "xzr"

    @property
    def zr_field(self) -> int:
        """The register's field value where 31 means the zero register (asserts that
        this is not :data:`sp`)."""
        assert not self.is_sp, "sp where the field holds x0-x30 or xzr"
        return self.num

    @property
    def sp_field(self) -> int:
        """The register's field value where 31 means the stack pointer (asserts that
        this is not :data:`xzr`)."""
        assert not self.is_zr, "xzr where the field holds x0-x30 or sp"
        return self.num

    def sized(self, size: int) -> str:
        """The assembler's name of this register at ``size`` bits (32 or 64)."""
        if size == 64:
            return self.name
        if size != 32:
            raise ValueError(f"no GPR width of {size} bits")
        return {"sp": "wsp", "xzr": "wzr"}.get(self.name, f"w{self.num}")


class Vec(HwReg):
    """A SIMD&FP register: ``num`` is its hardware number (0-31). There is one object
    per register (below), compared by identity."""

    __slots__ = ()
    count = 32
    kind = "SIMD&FP register"

    def sized(self, size: int) -> str:
        """The scalar name of this register at ``size`` bits: ``b0`` (8), ``h0`` (16),
        ``s0`` (32), ``d0`` (64) or ``q0`` (128)."""
        try:
            return f"{_VEC_PREFIX[size]}{self.num}"
        except KeyError:
            raise ValueError(f"no SIMD&FP width of {size} bits") from None


GPRS: tuple[Gpr, ...] = tuple(Gpr(i, f"x{i}") for i in range(31))
"""``x0``..``x30``, indexed by hardware number (neither :data:`sp` nor :data:`xzr`)."""

VECS: tuple[Vec, ...] = tuple(Vec(i, f"v{i}") for i in range(32))
"""All 32 SIMD&FP registers, indexed by hardware number."""

(x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15,
 x16, x17, x18, x19, x20, x21, x22, x23, x24, x25, x26, x27, x28, x29, x30) = GPRS  # fmt: skip
(v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15,
 v16, v17, v18, v19, v20, v21, v22, v23, v24, v25, v26, v27, v28, v29, v30, v31) = VECS  # fmt: skip

sp = Gpr(31, "sp")
xzr = Gpr(31, "xzr")

fp = x29
"""The frame pointer (AAPCS64), the same object as :data:`x29`."""
lr = x30
"""The link register, the same object as :data:`x30`."""

Reg = Gpr | Vec
"""Either kind of register."""
