"""The arm64 load/store encodings: C4.1 "Loads and Stores" of the Arm ARM (DDI 0487).

One pure function per addressing form returns the 32-bit instruction word; its
docstring draws the bit layout. The access (width, signedness, GPR or SIMD&FP register)
is an enum member named as the assembler spells the instruction and its register
(``LdSt.ldrsb_w`` is ``ldrsb w0, [x1]``); the addressing form is the function::

    ldst_uimm(LdSt.ldr_x, x0, x1, UImm12Scaled(16, 8))        ldr x0, [x1, #16]
    ldst_simm9(LdSt.str_d, Index.pre, v0, sp, SImm9(-16))     str d0, [sp, #-16]!
    ldst_simm9(LdSt.ldrh, Index.unscaled, x0, x1, SImm9(-1))  ldurh w0, [x1, #-1]
    ldst_reg(LdSt.ldr_w, x0, x1, x2, Extend.uxtw, True)       ldr w0, [x1, w2, uxtw #2]
    ldst_pair(PairOp.stp_x, PairIndex.pre, x29, x30, sp, SImm7Scaled(-16, 8))
    ldr_literal(LiteralOp.ldr_d, v0, BranchOffset19(64))      ldr d0, .+64

The base register is Rn with 31 = sp; the transferred register Rt is a GPR (31 = xzr)
or a SIMD&FP register.
"""

from __future__ import annotations

import enum

from .args import Extend, Index, PairIndex
from .imms import BranchOffset19, SImm7Scaled, SImm9, UImm12Scaled
from .regs import Gpr, Reg, Vec


class LdSt(enum.Enum):
    """A single-register access: the value is (size, V, opc), bits 31:30, 26, 23:22.

    ``_w``/``_x`` name the GPR width, ``_s``/``_d``/``_q`` the SIMD&FP register read or
    written; ``ldrb``/``ldrh`` zero-extend into ``w`` (and so into ``x``).
    """

    strb = (0, 0, 0)
    ldrb = (0, 0, 1)
    ldrsb_x = (0, 0, 2)
    ldrsb_w = (0, 0, 3)
    strh = (1, 0, 0)
    ldrh = (1, 0, 1)
    ldrsh_x = (1, 0, 2)
    ldrsh_w = (1, 0, 3)
    str_w = (2, 0, 0)
    ldr_w = (2, 0, 1)
    ldrsw = (2, 0, 2)
    str_x = (3, 0, 0)
    ldr_x = (3, 0, 1)
    str_s = (2, 1, 0)
    ldr_s = (2, 1, 1)
    str_d = (3, 1, 0)
    ldr_d = (3, 1, 1)
    str_q = (0, 1, 2)
    ldr_q = (0, 1, 3)

    @property
    def fp(self) -> bool:
        """Whether Rt is a SIMD&FP register."""
        return self.value[1] == 1

    @property
    def access(self) -> int:
        """Bytes accessed: 1, 2, 4, 8 or 16 (the scale of unsigned offsets)."""
        size, v, opc = self.value
        return 16 if v and opc >= 2 else 1 << size

    @property
    def reg_size(self) -> int:
        """The width of Rt's name: 32 or 64 for a GPR, 32/64/128 for SIMD&FP."""
        if self.fp:
            return self.access * 8
        return 64 if self.name.endswith("_x") or self is LdSt.ldrsw else 32

    @property
    def mnemonic(self) -> str:
        """The assembler mnemonic of the scaled and indexed forms (``ldrsb``)."""
        return self.name.split("_")[0]

    @property
    def unscaled_mnemonic(self) -> str:
        """The mnemonic of the unscaled form: ``ldur``, ``sturb``, ``ldursw``..."""
        m = self.mnemonic
        return f"{m[:2]}u{m[2:]}"


def _rt(op: LdSt, rt: Reg) -> int:
    if op.fp:
        assert isinstance(rt, Vec), f"{op.name} transfers a SIMD&FP register"
        return rt.num
    assert isinstance(rt, Gpr), f"{op.name} transfers a GPR"
    return rt.zr_field


def ldst_uimm(op: LdSt, rt: Reg, rn: Gpr, offset: UImm12Scaled) -> int:
    """LDR/STR (immediate, unsigned offset): the access at ``rn + offset``, ``offset``
    a multiple of the access size below 4096 times it.

    C4.1 Loads and Stores, "Load/store register (unsigned immediate)"::

        |31 30|29  27|26|25 24|23 22|21       10|9    5|4    0|
        |size |1 1 1| V| 0 1 | opc |   imm12   |Rn|SP |  Rt  |
    """
    size, v, opc = op.value
    assert isinstance(offset, UImm12Scaled) and offset.scale == op.access
    return (size << 30 | 0x39000000 | v << 26 | opc << 22 | offset.bits << 10
            | rn.sp_field << 5 | _rt(op, rt))  # fmt: skip


def ldst_simm9(op: LdSt, index: Index, rt: Reg, rn: Gpr, offset: SImm9) -> int:
    """LDUR/STUR (unscaled: access at ``rn + offset``) and LDR/STR pre-indexed
    (``rn += offset``, then access) or post-indexed (access, then ``rn += offset``).
    With write-back, ``rt`` and ``rn`` must differ (the result is UNPREDICTABLE).

    C4.1 Loads and Stores, "Load/store register (unscaled immediate)", "(immediate
    pre-indexed)", "(immediate post-indexed)"::

        |31 30|29  27|26|25 24|23 22|21|20     12|11 10|9    5|4    0|
        |size |1 1 1| V| 0 0 | opc | 0|   imm9   |index|Rn|SP |  Rt  |
    """
    size, v, opc = op.value
    assert isinstance(offset, SImm9)
    assert index is Index.unscaled or op.fp or rt.num != rn.num or rn.is_sp
    return (size << 30 | 0x38000000 | v << 26 | opc << 22 | offset.bits << 12
            | index.value << 10 | rn.sp_field << 5 | _rt(op, rt))  # fmt: skip


def ldst_reg(op: LdSt, rt: Reg, rn: Gpr, rm: Gpr, extend: Extend = Extend.uxtx,
             shifted: bool = False) -> int:  # fmt: skip
    """LDR/STR (register offset): the access at ``rn + (extend(rm) << s)``, where ``s``
    is log2 of the access size if ``shifted``, else 0. ``extend`` is uxtw or sxtw
    (``rm`` printed ``w``), uxtx (printed ``lsl``) or sxtx.

    C4.1 Loads and Stores, "Load/store register (register offset)"::

        |31 30|29  27|26|25 24|23 22|21|20  16|15  13|12|11 10|9    5|4    0|
        |size |1 1 1| V| 0 0 | opc | 1|Rm|ZR |option| S| 1 0 |Rn|SP |  Rt  |
    """
    size, v, opc = op.value
    assert extend in (Extend.uxtw, Extend.uxtx, Extend.sxtw, Extend.sxtx)
    return (size << 30 | 0x38200800 | v << 26 | opc << 22 | rm.zr_field << 16
            | extend.value << 13 | shifted << 12 | rn.sp_field << 5 | _rt(op, rt))  # fmt: skip


class PairOp(enum.Enum):
    """LDP/STP/LDPSW: the value is (opc, V, L), bits 31:30, 26 and 22."""

    stp_w = (0, 0, 0)
    ldp_w = (0, 0, 1)
    ldpsw = (1, 0, 1)
    stp_x = (2, 0, 0)
    ldp_x = (2, 0, 1)
    stp_s = (0, 1, 0)
    ldp_s = (0, 1, 1)
    stp_d = (1, 1, 0)
    ldp_d = (1, 1, 1)
    stp_q = (2, 1, 0)
    ldp_q = (2, 1, 1)

    @property
    def fp(self) -> bool:
        """Whether the registers are SIMD&FP registers."""
        return self.value[1] == 1

    @property
    def scale(self) -> int:
        """Bytes per register: 4, 8 or 16 (the scale of the offset)."""
        opc, v, _ = self.value
        return 4 << opc if v else (8 if opc == 2 else 4)

    @property
    def reg_size(self) -> int:
        """The width of the registers' names (``ldpsw`` writes ``x``)."""
        return 64 if self is PairOp.ldpsw else self.scale * 8

    @property
    def mnemonic(self) -> str:
        """``ldp``, ``stp`` or ``ldpsw``."""
        return self.name.split("_")[0]


def ldst_pair(op: PairOp, index: PairIndex, rt: Reg, rt2: Reg, rn: Gpr,
              offset: SImm7Scaled) -> int:  # fmt: skip
    """LDP/STP/LDPSW: two registers at ``rn + offset`` and the next slot, with the
    offset addressing, pre-index or post-index as in :func:`ldst_simm9`. A load's
    ``rt`` and ``rt2`` must differ, and neither may be a written-back ``rn``.

    C4.1 Loads and Stores, "Load/store register pair (offset)", "(pre-indexed)",
    "(post-indexed)"::

        |31 30|29  27|26|25|24 23|22|21      15|14  10|9    5|4    0|
        | opc |1 0 1| V| 0|index| L|   imm7    | Rt2  |Rn|SP |  Rt  |
    """
    opc, v, load = op.value
    assert isinstance(offset, SImm7Scaled) and offset.scale == op.scale
    if op.fp:
        assert isinstance(rt, Vec) and isinstance(rt2, Vec)
        t, t2 = rt.num, rt2.num
    else:
        assert isinstance(rt, Gpr) and isinstance(rt2, Gpr)
        t, t2 = rt.zr_field, rt2.zr_field
    assert not (load and t == t2), "ldp of one register twice"
    assert index is PairIndex.offset or op.fp or rn.is_sp or rn.num not in (t, t2)
    return (opc << 30 | 0x28000000 | v << 26 | index.value << 23 | load << 22
            | offset.bits << 15 | t2 << 10 | rn.sp_field << 5 | t)  # fmt: skip


class LiteralOp(enum.Enum):
    """LDR (literal) and LDRSW (literal): the value is (opc, V), bits 31:30 and 26."""

    ldr_w = (0, 0)
    ldr_x = (1, 0)
    ldrsw = (2, 0)
    ldr_s = (0, 1)
    ldr_d = (1, 1)
    ldr_q = (2, 1)

    @property
    def fp(self) -> bool:
        """Whether Rt is a SIMD&FP register."""
        return self.value[1] == 1

    @property
    def reg_size(self) -> int:
        """The width of Rt's name."""
        opc, v = self.value
        return 32 << opc if v else (32 if opc == 0 else 64)


def ldr_literal(op: LiteralOp, rt: Reg, offset: BranchOffset19) -> int:
    """LDR (literal): load from ``pc + offset`` (±1 MiB), e.g. a constant pool entry.

    C4.1 Loads and Stores, "Load register (literal)"::

        |31 30|29  27|26|25 24|23                  5|4    0|
        | opc |0 1 1| V| 0 0 |        imm19        |  Rt  |
    """
    opc, v = op.value
    assert isinstance(offset, BranchOffset19)
    if op.fp:
        assert isinstance(rt, Vec)
        t = rt.num
    else:
        assert isinstance(rt, Gpr)
        t = rt.zr_field
    return opc << 30 | 0x18000000 | v << 26 | offset.bits << 5 | t
