"""The arm64 integer data-processing encodings: C4.1 "Data Processing -- Immediate" and
"Data Processing -- Register" of the Arm ARM (DDI 0487).

One pure function per encoding class returns the 32-bit instruction word; its docstring
draws the bit layout. Wrappers give the aliases (``cmp``, ``mov``, ``lsl``, ``mul``,
``cset``...) by their assembler names. Conventions as in :mod:`wazaot.arm64.encoding`:
size first (32 or 64), operands in assembler order, immediates of
:mod:`wazaot.arm64.imms`, ``|SP``/``|ZR`` on the register fields where 31 is sp or xzr.
"""

from __future__ import annotations

import enum

from .args import Cond, Extend, Shift
from .imms import AdrOffset, AdrpOffset, Imm12, LogicalImm, MoveWide, MoveWideOp
from .regs import Gpr, xzr


def _sf(size: int) -> int:
    assert size in (32, 64), f"operand size must be 32 or 64, not {size}"
    return size >> 6


# --------------------------------------------------------------------------------------
# Data Processing -- Immediate


class AddSubOp(enum.Enum):
    """ADD/ADDS/SUB/SUBS: the value is (op, S), bits 30 and 29."""

    add = (0, 0)
    adds = (0, 1)
    sub = (1, 0)
    subs = (1, 1)


def add_sub_imm(op: AddSubOp, size: int, rd: Gpr, rn: Gpr, imm: Imm12) -> int:
    """ADD/ADDS/SUB/SUBS (immediate): ``rd = rn +/- imm``.

    C4.1 Data Processing -- Immediate, "Add/subtract (immediate)"::

        |31|30|29|28       23|22|21       10|9    5|4    0|
        |sf|op| S|1 0 0 0 1 0|sh|   imm12   |Rn|SP |  Rd  |   Rd: SP, or ZR when S=1
    """
    assert isinstance(imm, Imm12)
    o, s = op.value
    d = rd.zr_field if s else rd.sp_field
    return (_sf(size) << 31 | o << 30 | s << 29 | 0x11000000 | imm.shift12 << 22
            | imm.bits << 10 | rn.sp_field << 5 | d)  # fmt: skip


def cmp_imm(size: int, rn: Gpr, imm: Imm12) -> int:
    """CMP (immediate): SUBS with the result discarded."""
    return add_sub_imm(AddSubOp.subs, size, xzr, rn, imm)


def cmn_imm(size: int, rn: Gpr, imm: Imm12) -> int:
    """CMN (immediate): ADDS with the result discarded."""
    return add_sub_imm(AddSubOp.adds, size, xzr, rn, imm)


def mov_sp(size: int, rd: Gpr, rn: Gpr) -> int:
    """MOV (to/from SP): ``add rd, rn, #0``, the only move that reads or writes sp."""
    return add_sub_imm(AddSubOp.add, size, rd, rn, Imm12(0))


class LogicOp(enum.Enum):
    """AND/ORR/EOR/ANDS (immediate): the value is ``opc``, bits 30:29."""

    and_ = 0
    orr = 1
    eor = 2
    ands = 3


def logical_imm(op: LogicOp, size: int, rd: Gpr, rn: Gpr, imm: LogicalImm) -> int:
    """AND/ORR/EOR/ANDS (immediate): ``rd = rn op imm``.

    C4.1 Data Processing -- Immediate, "Logical (immediate)"::

        |31|30 29|28       23|22|21  16|15  10|9    5|4    0|
        |sf| opc |1 0 0 1 0 0| N| immr | imms |Rn|ZR |  Rd  |   Rd: SP, or ZR for ANDS
    """
    assert isinstance(imm, LogicalImm) and imm.size == size
    d = rd.zr_field if op is LogicOp.ands else rd.sp_field
    return (_sf(size) << 31 | op.value << 29 | 0x12000000 | imm.n << 22 | imm.immr << 16
            | imm.imms << 10 | rn.zr_field << 5 | d)  # fmt: skip


def tst_imm(size: int, rn: Gpr, imm: LogicalImm) -> int:
    """TST (immediate): ANDS with the result discarded."""
    return logical_imm(LogicOp.ands, size, xzr, rn, imm)


def mov_bitmask(size: int, rd: Gpr, imm: LogicalImm) -> int:
    """MOV (bitmask immediate): ``orr rd, xzr, #imm``, a constant in one instruction."""
    return logical_imm(LogicOp.orr, size, rd, xzr, imm)


def move_wide(op: MoveWideOp, size: int, rd: Gpr, imm: MoveWide) -> int:
    """MOVN/MOVZ/MOVK: a 16-bit chunk at ``imm.shift`` (see :func:`imms.mov_sequence`).

    C4.1 Data Processing -- Immediate, "Move wide (immediate)"::

        |31|30 29|28       23|22 21|20           5|4    0|
        |sf| opc |1 0 0 1 0 1| hw  |    imm16     |Rd|ZR |
    """
    assert isinstance(imm, MoveWide) and imm.shift < size
    return (
        _sf(size) << 31 | op.value << 29 | 0x12800000 | imm.hw << 21 | imm.imm16 << 5 | rd.zr_field
    )


class BitfieldOp(enum.Enum):
    """SBFM/UBFM: the value is ``opc``, bits 30:29 (BFM, 1, is not used by wazaot)."""

    sbfm = 0
    ubfm = 2


def bitfield(op: BitfieldOp, size: int, rd: Gpr, rn: Gpr, immr: int, imms: int) -> int:
    """SBFM/UBFM: move the bits ``imms:immr`` of ``rn`` (rotated right by ``immr``),
    sign- or zero-extended. The shifts and extensions below are its aliases.

    C4.1 Data Processing -- Immediate, "Bitfield"::

        |31|30 29|28       23|22|21  16|15  10|9    5|4    0|
        |sf| opc |1 0 0 1 1 0| N| immr | imms |Rn|ZR |Rd|ZR |   N = sf
    """
    sf = _sf(size)
    assert 0 <= immr < size and 0 <= imms < size
    return (sf << 31 | op.value << 29 | 0x13000000 | sf << 22 | immr << 16 | imms << 10
            | rn.zr_field << 5 | rd.zr_field)  # fmt: skip


def lsl_imm(size: int, rd: Gpr, rn: Gpr, amount: int) -> int:
    """LSL (immediate): ``ubfm rd, rn, #(-amount % size), #(size - 1 - amount)``."""
    assert 0 <= amount < size
    return bitfield(BitfieldOp.ubfm, size, rd, rn, -amount % size, size - 1 - amount)


def lsr_imm(size: int, rd: Gpr, rn: Gpr, amount: int) -> int:
    """LSR (immediate): ``ubfm rd, rn, #amount, #(size - 1)``."""
    return bitfield(BitfieldOp.ubfm, size, rd, rn, amount, size - 1)


def asr_imm(size: int, rd: Gpr, rn: Gpr, amount: int) -> int:
    """ASR (immediate): ``sbfm rd, rn, #amount, #(size - 1)``."""
    return bitfield(BitfieldOp.sbfm, size, rd, rn, amount, size - 1)


def ubfx(size: int, rd: Gpr, rn: Gpr, lsb: int, width: int) -> int:
    """UBFX: ``width`` bits of ``rn`` from ``lsb``, zero-extended."""
    assert 0 < width <= size - lsb
    return bitfield(BitfieldOp.ubfm, size, rd, rn, lsb, lsb + width - 1)


def sbfx(size: int, rd: Gpr, rn: Gpr, lsb: int, width: int) -> int:
    """SBFX: ``width`` bits of ``rn`` from ``lsb``, sign-extended."""
    assert 0 < width <= size - lsb
    return bitfield(BitfieldOp.sbfm, size, rd, rn, lsb, lsb + width - 1)


def sxtb(size: int, rd: Gpr, rn: Gpr) -> int:
    """SXTB: sign-extend the low byte of ``rn`` (``sbfm rd, rn, #0, #7``)."""
    return bitfield(BitfieldOp.sbfm, size, rd, rn, 0, 7)


def sxth(size: int, rd: Gpr, rn: Gpr) -> int:
    """SXTH: sign-extend the low 16 bits of ``rn``."""
    return bitfield(BitfieldOp.sbfm, size, rd, rn, 0, 15)


def sxtw(rd: Gpr, rn: Gpr) -> int:
    """SXTW: sign-extend the low 32 bits of ``rn`` to 64."""
    return bitfield(BitfieldOp.sbfm, 64, rd, rn, 0, 31)


def uxtb(rd: Gpr, rn: Gpr) -> int:
    """UXTB: zero-extend the low byte (32-bit form; writing w zeroes the top half)."""
    return bitfield(BitfieldOp.ubfm, 32, rd, rn, 0, 7)


def uxth(rd: Gpr, rn: Gpr) -> int:
    """UXTH: zero-extend the low 16 bits (32-bit form)."""
    return bitfield(BitfieldOp.ubfm, 32, rd, rn, 0, 15)


def extr(size: int, rd: Gpr, rn: Gpr, rm: Gpr, lsb: int) -> int:
    """EXTR: ``size`` bits of the concatenation ``rn:rm`` starting at bit ``lsb``.

    C4.1 Data Processing -- Immediate, "Extract"::

        |31|30 29|28       23|22|21|20  16|15  10|9    5|4    0|
        |sf| 0 0 |1 0 0 1 1 1| N| 0|Rm|ZR | imms |Rn|ZR |Rd|ZR |   N = sf, imms = lsb
    """
    sf = _sf(size)
    assert 0 <= lsb < size
    return (sf << 31 | 0x13800000 | sf << 22 | rm.zr_field << 16 | lsb << 10
            | rn.zr_field << 5 | rd.zr_field)  # fmt: skip


def ror_imm(size: int, rd: Gpr, rn: Gpr, amount: int) -> int:
    """ROR (immediate): ``extr rd, rn, rn, #amount``."""
    return extr(size, rd, rn, rn, amount)


def _pc_rel(page: int, rd: Gpr, bits: int) -> int:
    return page << 31 | (bits & 3) << 29 | 0x10000000 | (bits >> 2) << 5 | rd.zr_field


def adr(rd: Gpr, offset: AdrOffset) -> int:
    """ADR: ``rd = pc + offset`` (ADRP: the page of pc plus ``offset`` pages).

    C4.1 Data Processing -- Immediate, "PC-rel. addressing"::

        |31|30 29|28     24|23                  5|4    0|
        |op|immlo|1 0 0 0 0|        immhi        |Rd|ZR |   op: 0 ADR, 1 ADRP
    """
    assert isinstance(offset, AdrOffset)
    return _pc_rel(0, rd, offset.bits)


def adrp(rd: Gpr, offset: AdrpOffset) -> int:
    """ADRP: ``rd = (pc & ~0xfff) + offset`` (``offset`` a multiple of 4096); see
    :func:`adr` for the layout."""
    assert isinstance(offset, AdrpOffset)
    return _pc_rel(1, rd, offset.bits)


# --------------------------------------------------------------------------------------
# Data Processing -- Register


class LogicRegOp(enum.Enum):
    """AND/BIC/ORR/ORN/EOR/EON/ANDS/BICS (shifted register): the value is (opc, N),
    bits 30:29 and 21; N inverts the second operand."""

    and_ = (0, 0)
    bic = (0, 1)
    orr = (1, 0)
    orn = (1, 1)
    eor = (2, 0)
    eon = (2, 1)
    ands = (3, 0)
    bics = (3, 1)


def logical_shifted(op: LogicRegOp, size: int, rd: Gpr, rn: Gpr, rm: Gpr,
                    shift: Shift = Shift.lsl, amount: int = 0) -> int:  # fmt: skip
    """AND/BIC/ORR/ORN/EOR/EON/ANDS/BICS (shifted register): ``rd = rn op (rm shift
    amount)``, with ``op`` taking ``~(rm shift amount)`` for BIC/ORN/EON/BICS.

    C4.1 Data Processing -- Register, "Logical (shifted register)"::

        |31|30 29|28     24|23 22|21|20  16|15  10|9    5|4    0|
        |sf| opc |0 1 0 1 0|shift| N|Rm|ZR | imm6 |Rn|ZR |Rd|ZR |
    """
    opc, n = op.value
    assert 0 <= amount < size
    return (_sf(size) << 31 | opc << 29 | 0x0A000000 | shift.value << 22 | n << 21
            | rm.zr_field << 16 | amount << 10 | rn.zr_field << 5 | rd.zr_field)  # fmt: skip


def mov_reg(size: int, rd: Gpr, rm: Gpr) -> int:
    """MOV (register): ``orr rd, xzr, rm`` (use :func:`mov_sp` for sp)."""
    return logical_shifted(LogicRegOp.orr, size, rd, xzr, rm)


def mvn(size: int, rd: Gpr, rm: Gpr, shift: Shift = Shift.lsl, amount: int = 0) -> int:
    """MVN: ``orn rd, xzr, rm``, the bitwise NOT."""
    return logical_shifted(LogicRegOp.orn, size, rd, xzr, rm, shift, amount)


def tst_reg(size: int, rn: Gpr, rm: Gpr, shift: Shift = Shift.lsl, amount: int = 0) -> int:
    """TST (shifted register): ANDS with the result discarded."""
    return logical_shifted(LogicRegOp.ands, size, xzr, rn, rm, shift, amount)


def add_sub_shifted(op: AddSubOp, size: int, rd: Gpr, rn: Gpr, rm: Gpr,
                    shift: Shift = Shift.lsl, amount: int = 0) -> int:  # fmt: skip
    """ADD/ADDS/SUB/SUBS (shifted register): ``rd = rn +/- (rm shift amount)``; no ROR.

    C4.1 Data Processing -- Register, "Add/subtract (shifted register)"::

        |31|30|29|28     24|23 22|21|20  16|15  10|9    5|4    0|
        |sf|op| S|0 1 0 1 1|shift| 0|Rm|ZR | imm6 |Rn|ZR |Rd|ZR |
    """
    o, s = op.value
    assert shift is not Shift.ror and 0 <= amount < size
    return (_sf(size) << 31 | o << 30 | s << 29 | 0x0B000000 | shift.value << 22
            | rm.zr_field << 16 | amount << 10 | rn.zr_field << 5 | rd.zr_field)  # fmt: skip


def cmp_reg(size: int, rn: Gpr, rm: Gpr, shift: Shift = Shift.lsl, amount: int = 0) -> int:
    """CMP (shifted register): SUBS with the result discarded."""
    return add_sub_shifted(AddSubOp.subs, size, xzr, rn, rm, shift, amount)


def cmn_reg(size: int, rn: Gpr, rm: Gpr, shift: Shift = Shift.lsl, amount: int = 0) -> int:
    """CMN (shifted register): ADDS with the result discarded."""
    return add_sub_shifted(AddSubOp.adds, size, xzr, rn, rm, shift, amount)


def neg(size: int, rd: Gpr, rm: Gpr, shift: Shift = Shift.lsl, amount: int = 0) -> int:
    """NEG: ``sub rd, xzr, rm``."""
    return add_sub_shifted(AddSubOp.sub, size, rd, xzr, rm, shift, amount)


def add_sub_extended(op: AddSubOp, size: int, rd: Gpr, rn: Gpr, rm: Gpr,
                     extend: Extend, amount: int = 0) -> int:  # fmt: skip
    """ADD/ADDS/SUB/SUBS (extended register): ``rd = rn +/- (extend(rm) << amount)``,
    ``amount`` 0-4. The form that adds a register to sp (``uxtx``, printed ``lsl``).

    C4.1 Data Processing -- Register, "Add/subtract (extended register)"::

        |31|30|29|28     24|23 22|21|20  16|15  13|12 10|9    5|4    0|
        |sf|op| S|0 1 0 1 1| 0 0| 1|Rm|ZR |option| imm3|Rn|SP |  Rd  |   Rd: SP, or ZR when S=1
    """
    o, s = op.value
    assert 0 <= amount <= 4 and (size == 64 or extend.rm_size == 32)
    d = rd.zr_field if s else rd.sp_field
    return (_sf(size) << 31 | o << 30 | s << 29 | 0x0B200000 | rm.zr_field << 16
            | extend.value << 13 | amount << 10 | rn.sp_field << 5 | d)  # fmt: skip


class Dp2Op(enum.Enum):
    """UDIV/SDIV/LSLV/LSRV/ASRV/RORV: the value is ``opcode``, bits 15:10."""

    udiv = 0b000010
    sdiv = 0b000011
    lslv = 0b001000  # printed lsl
    lsrv = 0b001001  # printed lsr
    asrv = 0b001010  # printed asr
    rorv = 0b001011  # printed ror


def dp_2src(op: Dp2Op, size: int, rd: Gpr, rn: Gpr, rm: Gpr) -> int:
    """UDIV/SDIV (no trap: x/0 = 0) and the variable shifts (amount taken mod size).

    C4.1 Data Processing -- Register, "Data-processing (2 source)"::

        |31|30|29|28            21|20  16|15    10|9    5|4    0|
        |sf| 0| 0|1 1 0 1 0 1 1 0 |Rm|ZR | opcode |Rn|ZR |Rd|ZR |
    """
    return (_sf(size) << 31 | 0x1AC00000 | rm.zr_field << 16 | op.value << 10
            | rn.zr_field << 5 | rd.zr_field)  # fmt: skip


class Dp1Op(enum.Enum):
    """RBIT/REV16/REV32/REV/CLZ/CLS: the value is ``opcode``, bits 15:10. REV is
    opcode 2 at 32 bits and 3 at 64 (:func:`dp_1src` picks); REV32 is 64-bit only."""

    rbit = 0
    rev16 = 1
    rev32 = 2
    rev = 3
    clz = 4
    cls = 5


def dp_1src(op: Dp1Op, size: int, rd: Gpr, rn: Gpr) -> int:
    """RBIT (bit reverse), REV16/REV32/REV (byte reverse), CLZ, CLS.

    C4.1 Data Processing -- Register, "Data-processing (1 source)"::

        |31|30|29|28            21|20    16|15    10|9    5|4    0|
        |sf| 1| 0|1 1 0 1 0 1 1 0 |0 0 0 0 0| opcode |Rn|ZR |Rd|ZR |
    """
    opcode = op.value
    if op is Dp1Op.rev and size == 32:
        opcode = 2
    assert not (op is Dp1Op.rev32 and size == 32), "rev32 is rev at 32 bits"
    return _sf(size) << 31 | 0x5AC00000 | opcode << 10 | rn.zr_field << 5 | rd.zr_field


class Dp3Op(enum.Enum):
    """MADD/MSUB/SMADDL/SMSUBL/SMULH/UMADDL/UMSUBL/UMULH: the value is (op31, o0),
    bits 23:21 and 15. The long and high forms are 64-bit only."""

    madd = (0, 0)
    msub = (0, 1)
    smaddl = (1, 0)
    smsubl = (1, 1)
    smulh = (2, 0)
    umaddl = (5, 0)
    umsubl = (5, 1)
    umulh = (6, 0)


def dp_3src(op: Dp3Op, size: int, rd: Gpr, rn: Gpr, rm: Gpr, ra: Gpr = xzr) -> int:
    """``rd = ra +/- rn * rm`` (MADD/MSUB; the ``l`` forms multiply the low 32 bits of
    ``rn``/``rm``, signed or unsigned) or the high 64 bits of the 128-bit product
    (SMULH/UMULH, ``ra`` must be xzr).

    C4.1 Data Processing -- Register, "Data-processing (3 source)"::

        |31|30 29|28     24|23 21|20  16|15|14  10|9    5|4    0|
        |sf| 0 0 |1 1 0 1 1| op31|Rm|ZR |o0|Ra|ZR |Rn|ZR |Rd|ZR |
    """
    op31, o0 = op.value
    assert op31 == 0 or size == 64
    assert op31 not in (2, 6) or ra.is_zr
    return (_sf(size) << 31 | 0x1B000000 | op31 << 21 | rm.zr_field << 16 | o0 << 15
            | ra.zr_field << 10 | rn.zr_field << 5 | rd.zr_field)  # fmt: skip


def mul(size: int, rd: Gpr, rn: Gpr, rm: Gpr) -> int:
    """MUL: ``madd rd, rn, rm, xzr``."""
    return dp_3src(Dp3Op.madd, size, rd, rn, rm)


class CselOp(enum.Enum):
    """CSEL/CSINC/CSINV/CSNEG: the value is (op, op2), bits 30 and 11:10."""

    csel = (0, 0)
    csinc = (0, 1)
    csinv = (1, 0)
    csneg = (1, 1)


def cond_select(op: CselOp, size: int, rd: Gpr, rn: Gpr, rm: Gpr, cond: Cond) -> int:
    """``rd = cond ? rn : f(rm)`` with f the identity, +1, NOT or negation.

    C4.1 Data Processing -- Register, "Conditional select"::

        |31|30|29|28            21|20  16|15  12|11 10|9    5|4    0|
        |sf|op| 0|1 1 0 1 0 1 0 0 |Rm|ZR | cond | op2 |Rn|ZR |Rd|ZR |
    """
    o, op2 = op.value
    return (_sf(size) << 31 | o << 30 | 0x1A800000 | rm.zr_field << 16 | cond.value << 12
            | op2 << 10 | rn.zr_field << 5 | rd.zr_field)  # fmt: skip


def cset(size: int, rd: Gpr, cond: Cond) -> int:
    """CSET: ``rd = cond ? 1 : 0`` (``csinc rd, xzr, xzr, !cond``)."""
    return cond_select(CselOp.csinc, size, rd, xzr, xzr, cond.invert())


def csetm(size: int, rd: Gpr, cond: Cond) -> int:
    """CSETM: ``rd = cond ? -1 : 0`` (``csinv rd, xzr, xzr, !cond``)."""
    return cond_select(CselOp.csinv, size, rd, xzr, xzr, cond.invert())


class CcmpOp(enum.Enum):
    """CCMN/CCMP: the value is ``op``, bit 30."""

    ccmn = 0
    ccmp = 1


def cond_compare_reg(op: CcmpOp, size: int, rn: Gpr, rm: Gpr, nzcv: int, cond: Cond) -> int:
    """CCMP/CCMN (register): flags of ``rn - rm`` (``rn + rm``) if ``cond`` holds,
    else ``nzcv``.

    C4.1 Data Processing -- Register, "Conditional compare (register)"::

        |31|30|29|28            21|20  16|15  12|11|10|9    5|4 |3    0|
        |sf|op| 1|1 1 0 1 0 0 1 0 |Rm|ZR | cond | 0| 0|Rn|ZR | 0| nzcv |
    """
    assert 0 <= nzcv < 16
    return (_sf(size) << 31 | op.value << 30 | 0x3A400000 | rm.zr_field << 16
            | cond.value << 12 | rn.zr_field << 5 | nzcv)  # fmt: skip


def cond_compare_imm(op: CcmpOp, size: int, rn: Gpr, imm5: int, nzcv: int, cond: Cond) -> int:
    """CCMP/CCMN (immediate): as :func:`cond_compare_reg` with an unsigned 5-bit
    immediate (0-31) instead of ``rm``.

    C4.1 Data Processing -- Register, "Conditional compare (immediate)"::

        |31|30|29|28            21|20  16|15  12|11|10|9    5|4 |3    0|
        |sf|op| 1|1 1 0 1 0 0 1 0 | imm5 | cond | 1| 0|Rn|ZR | 0| nzcv |
    """
    assert 0 <= nzcv < 16 and 0 <= imm5 < 32
    return (_sf(size) << 31 | op.value << 30 | 0x3A400800 | imm5 << 16
            | cond.value << 12 | rn.zr_field << 5 | nzcv)  # fmt: skip
