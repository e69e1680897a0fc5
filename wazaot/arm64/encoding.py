"""The arm64 (AArch64) machine-code encoder: one pure function per encoding class, and
an :class:`Assembler` that resolves branches to labels.

Every A64 instruction is one little-endian 32-bit word. Each encoding function builds
the word of one encoding class of the Arm Architecture Reference Manual for A-profile
(DDI 0487), chapter C4.1 "A64 instruction set encoding"; its docstring draws the class's
bit layout and names the section (section numbers change between issues of the manual,
the titles do not). Small wrappers give the aliases by their assembler names (``cmp``,
``mov``, ``lsl``, ``cset``...). The classes are grouped as the manual groups them:

    encoding.py        Branches, Exception Generating and System instructions; Assembler
    encoding_alu.py    Data Processing -- Immediate, Data Processing -- Register
    encoding_mem.py    Loads and Stores
    encoding_fp.py     Data Processing -- Scalar Floating-Point and Advanced SIMD

The operand types are in :mod:`wazaot.arm64.args` (conditions, shifts, extends, labels),
:mod:`wazaot.arm64.imms` (immediates) and :mod:`wazaot.arm64.regs`.

Calling convention
------------------
Integer functions take the operand size first (32 or 64), then the operands in assembler
order (destination first). Registers name the whole register; the size picks ``x0`` or
``w0``. Register 31 is ``sp`` or ``xzr`` as the field allows (the layouts mark fields
with ``|SP`` or ``|ZR``). Immediates are the types of :mod:`wazaot.arm64.imms`, already
checked by their ``try_from``; small fields that any value of a known range fits (shift
amounts, bit numbers, ``nzcv``) are ints. Misuse is a programming error and fails an
``assert``: lowering decides, encoders only assert::

    add_sub_imm(AddSubOp.sub, 64, sp, sp, Imm12(32))        # sub sp, sp, #32
    logical_imm(LogicOp.and_, 32, x0, x1, LogicalImm.try_from(0xFF, 32))
    move_wide(MoveWideOp.movk, 64, x0, MoveWide(0x1234, 48))
    asm = Assembler()
    loop = asm.new_label()
    asm.bind(loop)
    asm.emit(add_sub_imm(AddSubOp.subs, 64, x0, x0, Imm12(1)))
    asm.b_cond(Cond.ne, loop)                                # b.ne loop
    code = asm.finish()

Branches to labels are resolved at :meth:`Assembler.finish`; one whose target is out of
its range raises :class:`BranchRangeError`, so that lowering can retry with a long form
(an inverted short branch over a ``b``) or a veneer.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from ..machinst.buffer import LabelBuffer
from .args import Barrier, CacheOp, Cond, Label, SysReg
from .encoding_alu import adr
from .encoding_mem import LiteralOp, ldr_literal
from .imms import AdrOffset, BranchOffset14, BranchOffset19, BranchOffset26
from .regs import Gpr, Reg, x30

NOP = 0xD503201F
"""The NOP instruction word."""
UDF0 = 0x00000000
"""``udf #0``: the permanently undefined word, a trap in padding."""


def _sf(size: int) -> int:
    assert size in (32, 64), f"operand size must be 32 or 64, not {size}"
    return size >> 6


# --------------------------------------------------------------------------------------
# Branches, Exception Generating and System instructions


def branch_imm(link: bool, offset: BranchOffset26) -> int:
    """B/BL: branch (and link) to ``pc + offset``, ±128 MiB.

    C4.1 Branches, Exception Generating and System instructions, "Unconditional branch
    (immediate)"::

        |31|30     26|25                           0|
        |op|0 0 1 0 1|            imm26             |   op: 0 B, 1 BL
    """
    assert isinstance(offset, BranchOffset26)
    return link << 31 | 0x14000000 | offset.bits


def b(offset: BranchOffset26) -> int:
    """B: branch to ``pc + offset``."""
    return branch_imm(False, offset)


def bl(offset: BranchOffset26) -> int:
    """BL: call ``pc + offset`` (x30 = return address)."""
    return branch_imm(True, offset)


def b_cond(cond: Cond, offset: BranchOffset19) -> int:
    """B.cond: branch to ``pc + offset`` if ``cond`` holds, ±1 MiB.

    C4.1 Branches, Exception Generating and System instructions, "Conditional branch
    (immediate)"::

        |31         25|24|23                  5|4 |3    0|
        |0 1 0 1 0 1 0| 0|        imm19        | 0| cond |
    """
    assert isinstance(offset, BranchOffset19)
    return 0x54000000 | offset.bits << 5 | cond.value


def compare_branch(nonzero: bool, size: int, rt: Gpr, offset: BranchOffset19) -> int:
    """CBZ/CBNZ: branch to ``pc + offset`` if ``rt`` is (not) zero, ±1 MiB.

    C4.1 Branches, Exception Generating and System instructions, "Compare and branch
    (immediate)"::

        |31|30       25|24|23                  5|4    0|
        |sf|0 1 1 0 1 0|op|        imm19        |Rt|ZR |   op: 0 CBZ, 1 CBNZ
    """
    assert isinstance(offset, BranchOffset19)
    return _sf(size) << 31 | 0x34000000 | nonzero << 24 | offset.bits << 5 | rt.zr_field


def cbz(size: int, rt: Gpr, offset: BranchOffset19) -> int:
    """CBZ: branch if ``rt`` is zero."""
    return compare_branch(False, size, rt, offset)


def cbnz(size: int, rt: Gpr, offset: BranchOffset19) -> int:
    """CBNZ: branch if ``rt`` is not zero."""
    return compare_branch(True, size, rt, offset)


def bit_test_branch(nonzero: bool, rt: Gpr, bit: int, offset: BranchOffset14) -> int:
    """TBZ/TBNZ: branch to ``pc + offset`` if bit ``bit`` of ``rt`` is (not) zero,
    ±32 KiB. The register is printed ``w`` for bits 0-31, ``x`` for 32-63.

    C4.1 Branches, Exception Generating and System instructions, "Test and branch
    (immediate)"::

        |31|30       25|24|23  19|18           5|4    0|
        |b5|0 1 1 0 1 1|op| b40  |    imm14     |Rt|ZR |   op: 0 TBZ, 1 TBNZ
    """
    assert isinstance(offset, BranchOffset14) and 0 <= bit < 64
    return ((bit >> 5) << 31 | 0x36000000 | nonzero << 24 | (bit & 31) << 19
            | offset.bits << 5 | rt.zr_field)  # fmt: skip


def tbz(rt: Gpr, bit: int, offset: BranchOffset14) -> int:
    """TBZ: branch if bit ``bit`` of ``rt`` is zero."""
    return bit_test_branch(False, rt, bit, offset)


def tbnz(rt: Gpr, bit: int, offset: BranchOffset14) -> int:
    """TBNZ: branch if bit ``bit`` of ``rt`` is one."""
    return bit_test_branch(True, rt, bit, offset)


class BranchRegOp(enum.Enum):
    """BR/BLR/RET: the value is ``opc``, bits 24:21."""

    br = 0
    blr = 1
    ret = 2


def branch_reg(op: BranchRegOp, rn: Gpr) -> int:
    """BR/BLR/RET: branch (and link) to the address in ``rn``.

    C4.1 Branches, Exception Generating and System instructions, "Unconditional branch
    (register)"::

        |31         25|24  21|20    16|15       10|9    5|4       0|
        |1 1 0 1 0 1 1| opc  |1 1 1 1 1|0 0 0 0 0 0|  Rn  |0 0 0 0 0|
    """
    return 0xD61F0000 | op.value << 21 | rn.zr_field << 5


def br(rn: Gpr) -> int:
    """BR: jump to ``rn``."""
    return branch_reg(BranchRegOp.br, rn)


def blr(rn: Gpr) -> int:
    """BLR: call ``rn`` (x30 = return address)."""
    return branch_reg(BranchRegOp.blr, rn)


def ret(rn: Gpr | None = None) -> int:
    """RET: return to ``rn`` (x30 by default)."""
    return branch_reg(BranchRegOp.ret, rn if rn is not None else x30)


class ExceptionOp(enum.Enum):
    """SVC/BRK/HLT: the value is (opc, LL), bits 23:21 and 1:0."""

    svc = (0, 1)
    brk = (1, 0)
    hlt = (2, 0)


def exception(op: ExceptionOp, imm16: int) -> int:
    """SVC/BRK/HLT with a 16-bit comment the handler can read.

    C4.1 Branches, Exception Generating and System instructions, "Exception
    generation"::

        |31           24|23 21|20           5|4   2|1  0|
        |1 1 0 1 0 1 0 0| opc |    imm16     |0 0 0| LL |
    """
    assert 0 <= imm16 < 1 << 16
    opc, ll = op.value
    return 0xD4000000 | opc << 21 | imm16 << 5 | ll


def brk(imm16: int) -> int:
    """BRK: a breakpoint (SIGTRAP under Linux)."""
    return exception(ExceptionOp.brk, imm16)


def udf(imm16: int) -> int:
    """UDF: permanently undefined (SIGILL), with a 16-bit comment.

    C4.1 "Reserved" (op0 = 0000)::

        |31                         16|15                           0|
        |0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0|             imm16             |
    """
    assert 0 <= imm16 < 1 << 16
    return imm16


class HintOp(enum.Enum):
    """NOP/YIELD: the value is ``CRm:op2``, bits 11:5."""

    nop = 0
    yield_ = 1


def hint(op: HintOp) -> int:
    """A hint: NOP, YIELD.

    C4.1 Branches, Exception Generating and System instructions, "Hints"::

        |31                  12|11  8|7  5|4       0|
        |1101 0101 0000 0011 0010| CRm |op2 |1 1 1 1 1|
    """
    return NOP | op.value << 5


def nop() -> int:
    """NOP."""
    return hint(HintOp.nop)


class BarrierOp(enum.Enum):
    """DSB/DMB/ISB: the value is ``op2``, bits 7:5."""

    dsb = 4
    dmb = 5
    isb = 6


def barrier(op: BarrierOp, option: Barrier) -> int:
    """A memory or instruction barrier with its domain and access types.

    C4.1 Branches, Exception Generating and System instructions, "Barriers"::

        |31                  12|11  8|7  5|4       0|
        |1101 0101 0000 0011 0011| CRm |op2 |1 1 1 1 1|   CRm: the option
    """
    return 0xD503301F | option.value << 8 | op.value << 5


def dmb(option: Barrier) -> int:
    """DMB: data memory barrier."""
    return barrier(BarrierOp.dmb, option)


def dsb(option: Barrier) -> int:
    """DSB: data synchronization barrier."""
    return barrier(BarrierOp.dsb, option)


def isb() -> int:
    """ISB: instruction synchronization barrier (after an I-cache flush)."""
    return barrier(BarrierOp.isb, Barrier.sy)


def cache_maint(op: CacheOp, rt: Gpr) -> int:
    """DC/IC by virtual address (the SYS aliases), for the cache flush after writing code.

    C4.1 Branches, Exception Generating and System instructions, "System
    instructions" (SYS, L = 0, op0 = 01)::

        |31              22|21|20 19|18 16|15 12|11  8|7  5|4    0|
        |1 1 0 1 0 1 0 1 0 0| L| 0 1 | op1 | CRn | CRm |op2 |Rt|ZR |
    """
    op1, crn, crm, op2 = op.value
    return 0xD5080000 | op1 << 16 | crn << 12 | crm << 8 | op2 << 5 | rt.zr_field


def sysreg_move(read: bool, reg: SysReg, rt: Gpr) -> int:
    """MRS/MSR: read or write a system register.

    C4.1 Branches, Exception Generating and System instructions, "System register
    move"::

        |31              22|21|20|19|18 16|15 12|11  8|7  5|4    0|
        |1 1 0 1 0 1 0 1 0 0| L| 1|o0| op1 | CRn | CRm |op2 |Rt|ZR |   op0 = 2 + o0
    """
    op0, op1, crn, crm, op2 = reg.value
    return (0xD5100000 | read << 21 | (op0 - 2) << 19 | op1 << 16 | crn << 12 | crm << 8
            | op2 << 5 | rt.zr_field)  # fmt: skip


def mrs(rt: Gpr, reg: SysReg) -> int:
    """MRS: ``rt = reg``."""
    return sysreg_move(True, reg, rt)


def msr(reg: SysReg, rt: Gpr) -> int:
    """MSR (register): ``reg = rt``."""
    return sysreg_move(False, reg, rt)


# --------------------------------------------------------------------------------------
# The assembler: a buffer of words, labels and the fixups of PC-relative forms


class FixupKind(enum.Enum):
    """A PC-relative field patched at :meth:`Assembler.finish`: its offset type, its
    position and the instructions that have it."""

    imm26 = (BranchOffset26, "b/bl, ±128 MiB")
    imm19 = (BranchOffset19, "b.cond/cbz/cbnz/ldr literal, ±1 MiB")
    imm14 = (BranchOffset14, "tbz/tbnz, ±32 KiB")
    adr21 = (AdrOffset, "adr, ±1 MiB")

    def patch(self, word: int, distance: int) -> int | None:
        """``word`` with its field set to ``distance`` bytes, or None if out of range."""
        offset = self.value[0].try_from(distance)
        if offset is None:
            return None
        bits = offset.bits
        if self is FixupKind.imm26:
            return word | bits
        if self is FixupKind.adr21:
            return word | (bits & 3) << 29 | (bits >> 2) << 5
        return word | bits << 5


class BranchRangeError(ValueError):
    """A PC-relative reference whose label is out of the instruction's range."""

    def __init__(self, kind: FixupKind, at: int, label: Label, distance: int) -> None:
        self.kind, self.at, self.label, self.distance = kind, at, label, distance
        super().__init__(
            f"label {label} is {distance:+#x} bytes from the instruction at {at:#x}, out "
            f"of range for {kind.value[1]}: use a long form or a veneer"
        )


class _Fixup(NamedTuple):
    """A PC-relative field of the word at ``at`` (all-zero so far) to point at ``target``;
    or, for ``kind`` None, 4 bytes of data to hold ``target - origin``."""

    at: int
    target: Label
    kind: FixupKind | None
    origin: Label | None = None


class Mark(NamedTuple):
    """Where an :class:`Assembler` stood (:meth:`Assembler.mark`)."""

    offset: int
    labels: int
    fixups: int


class Assembler(LabelBuffer):
    """Appends instruction words to a buffer; resolves labels at :meth:`finish`.

    The encoding functions return words and :meth:`emit` appends one; the forms that
    refer to a label (branches, ``adr``, ``ldr`` literal) are methods that emit the
    word with a zero offset and record a fixup.
    """

    def __init__(self) -> None:
        super().__init__()
        self._fixups: list[_Fixup] = []
        self.external_refs: list[tuple[int, int]] = []  # see finish()

    # -- buffer, labels, data ----------------------------------------------------------

    def emit(self, word: int) -> None:
        """Append one instruction word (little-endian)."""
        assert self.offset % 4 == 0, "instructions must be 4-byte aligned"
        self.buf += struct.pack("<I", word)

    def data_label_delta32(self, target: Label, base: Label) -> None:
        """Append 4 bytes holding ``offset(target) - offset(base)`` (jump tables)."""
        self._fixups.append(_Fixup(self.offset, target, None, base))
        self.buf += bytes(4)

    def align(self, n: int, fill: str = "nop") -> None:
        """Pad to a multiple of ``n`` (a power of two) with NOPs or ``udf #0`` words
        (after zero bytes up to a 4-byte boundary, if data left the buffer unaligned)."""
        if n <= 0 or n & (n - 1):
            raise ValueError(f"alignment must be a power of two, not {n}")
        if fill not in ("nop", "udf"):
            raise ValueError(f"fill must be 'nop' or 'udf', not {fill!r}")
        self.buf += bytes(-self.offset % min(n, 4))
        word = struct.pack("<I", NOP if fill == "nop" else UDF0)
        self.buf += word * (-self.offset % n // 4)

    def finish(self, external: Mapping[Label, int] | None = None) -> bytes:
        """Resolve every label reference and return the code.

        Raises :class:`BranchRangeError` for a branch whose label is out of range.
        Calls (``bl``) to the labels in ``external`` (never bound here: functions
        compiled in another chunk, by function index) are left as ``external_refs``:
        (offset of the ``bl``, function index), to get the function's offset."""
        self.external_refs = []
        for fixup in self._fixups:
            if external and fixup.target in external:
                assert fixup.kind is FixupKind.imm26, "only calls reach other chunks"
                self.external_refs.append((fixup.at, external[fixup.target]))
                continue
            target = self.label_offset(fixup.target)
            if fixup.kind is None:
                assert fixup.origin is not None
                delta = target - self.label_offset(fixup.origin)
                struct.pack_into("<i", self.buf, fixup.at, delta)
                continue
            struct.pack_into("<I", self.buf, fixup.at, self._patched(fixup, target))
        return bytes(self.buf)

    def _patched(self, fixup: _Fixup, target: int) -> int:
        assert fixup.kind is not None
        (word,) = struct.unpack_from("<I", self.buf, fixup.at)
        patched = fixup.kind.patch(word, target - fixup.at)
        if patched is None:
            raise BranchRangeError(fixup.kind, fixup.at, fixup.target, target - fixup.at)
        return patched

    # -- emitting a piece again ----------------------------------------------------------

    def mark(self) -> Mark:
        """Where the assembler stands: what :meth:`check_range` and :meth:`rollback`
        take."""
        return Mark(self.offset, self.label_count, len(self._fixups))

    def check_range(self, since: Mark) -> None:
        """Raise :class:`BranchRangeError` if a reference made since ``since`` to a
        label bound by now is out of its instruction's range (the others are checked
        at :meth:`finish`)."""
        for fixup in self._fixups[since.fixups :]:
            if fixup.kind is not None:
                target = self._position(fixup.target)
                if target is not None:
                    self._patched(fixup, target)

    def rollback(self, to: Mark, unbind: Sequence[Label] = ()) -> None:
        """Forget everything emitted since ``to``, the labels made since and the
        references recorded since, and unbind the labels ``unbind``."""
        self.truncate(to.offset, to.labels, unbind)
        del self._fixups[to.fixups :]

    def _refer(self, word: int, label: Label, kind: FixupKind) -> None:
        self._position(label)  # a label of this assembler
        self._fixups.append(_Fixup(self.offset, label, kind))
        self.emit(word)

    # -- the forms that refer to labels ------------------------------------------------

    def b(self, label: Label) -> None:
        """B label."""
        self._refer(b(BranchOffset26(0)), label, FixupKind.imm26)

    def bl(self, label: Label) -> None:
        """BL label."""
        self._refer(bl(BranchOffset26(0)), label, FixupKind.imm26)

    def b_cond(self, cond: Cond, label: Label) -> None:
        """B.cond label."""
        self._refer(b_cond(cond, BranchOffset19(0)), label, FixupKind.imm19)

    def cbz(self, size: int, rt: Gpr, label: Label) -> None:
        """CBZ rt, label."""
        self._refer(cbz(size, rt, BranchOffset19(0)), label, FixupKind.imm19)

    def cbnz(self, size: int, rt: Gpr, label: Label) -> None:
        """CBNZ rt, label."""
        self._refer(cbnz(size, rt, BranchOffset19(0)), label, FixupKind.imm19)

    def tbz(self, rt: Gpr, bit: int, label: Label) -> None:
        """TBZ rt, #bit, label."""
        self._refer(tbz(rt, bit, BranchOffset14(0)), label, FixupKind.imm14)

    def tbnz(self, rt: Gpr, bit: int, label: Label) -> None:
        """TBNZ rt, #bit, label."""
        self._refer(tbnz(rt, bit, BranchOffset14(0)), label, FixupKind.imm14)

    def adr(self, rd: Gpr, label: Label) -> None:
        """ADR rd, label."""
        self._refer(adr(rd, AdrOffset(0)), label, FixupKind.adr21)

    def ldr_literal(self, op: LiteralOp, rt: Reg, label: Label) -> None:
        """LDR rt, label (a constant placed with :meth:`data`)."""
        self._refer(ldr_literal(op, rt, BranchOffset19(0)), label, FixupKind.imm19)
