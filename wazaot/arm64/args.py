"""The operands of arm64 instructions that are not registers or immediates: conditions,
shifts, extends, addressing modes, barrier options, system registers and labels.

Shared by the encoder (``encoding.py``, ``encoding_fp.py``) and, later, the machine
instructions and emitters, so that none of them imports another to name an operand
(as ``wazaot/amd64/args.py``). Each enum's value is the bit pattern its field holds.
The immediates, which must be checked against a range or shape, are in ``imms.py``.
"""

from __future__ import annotations

import enum

from ..machinst.buffer import Label  # noqa: F401  (re-exported: the assembler's labels)


class Cond(enum.Enum):
    """Condition codes (Arm ARM, "Condition code"); the value is the 4-bit
    ``cond`` field of B.cond, CSEL, CCMP and FCSEL."""

    eq = 0x0  # equal, Z
    ne = 0x1
    hs = 0x2  # unsigned >=, carry set (cs)
    lo = 0x3  # unsigned <, carry clear (cc)
    mi = 0x4  # negative; after fcmp: less than
    pl = 0x5
    vs = 0x6  # overflow; after fcmp: unordered
    vc = 0x7
    hi = 0x8  # unsigned >
    ls = 0x9  # unsigned <=
    ge = 0xA  # signed >=
    lt = 0xB  # signed <
    gt = 0xC  # signed >
    le = 0xD  # signed <=
    al = 0xE  # always
    nv = 0xF  # always, too (not "never" on AArch64)

    def invert(self) -> Cond:
        """The opposite condition (the low bit negates it; ``al``/``nv`` have none)."""
        if self.value >= 0xE:
            raise ValueError(f"{self.name} has no inverse")
        return Cond(self.value ^ 1)


class Shift(enum.Enum):
    """The shift of a shifted-register operand (``shift`` field); ROR only for the
    logical instructions."""

    lsl = 0
    lsr = 1
    asr = 2
    ror = 3


class Extend(enum.Enum):
    """The extension of an extended-register operand (``option`` field): the low 8, 16,
    32 or 64 bits of Rm, zero- or sign-extended. ``uxtx`` is printed as ``lsl`` where
    Rd or Rn is the stack pointer; loads and stores accept uxtw, uxtx (``lsl``), sxtw
    and sxtx only."""

    uxtb = 0
    uxth = 1
    uxtw = 2
    uxtx = 3
    sxtb = 4
    sxth = 5
    sxtw = 6
    sxtx = 7

    @property
    def rm_size(self) -> int:
        """The width of Rm's name: ``x`` for uxtx/sxtx, ``w`` for the others."""
        return 64 if self.value & 3 == 3 else 32


class Index(enum.Enum):
    """The addressing mode of a load/store with a signed 9-bit offset: its value is
    bits 11:10 of LDUR/LDR (pre-/post-index)."""

    unscaled = 0  # ldur x0, [x1, #-8]   no write-back
    post = 1  # ldr x0, [x1], #8       access at x1, then x1 += 8
    pre = 3  # ldr x0, [x1, #8]!      x1 += 8, then access at x1


class PairIndex(enum.Enum):
    """The addressing mode of LDP/STP: its value is bits 24:23."""

    post = 1  # stp x29, x30, [sp], #16
    offset = 2  # ldp x0, x1, [x2, #16]
    pre = 3  # stp x29, x30, [sp, #-16]!


class Barrier(enum.Enum):
    """The option of DMB/DSB (the ``CRm`` field): shareability domain and access types."""

    oshld = 0x1
    oshst = 0x2
    osh = 0x3
    nshld = 0x5
    nshst = 0x6
    nsh = 0x7
    ishld = 0x9
    ishst = 0xA
    ish = 0xB
    ld = 0xD
    st = 0xE
    sy = 0xF


class SysReg(enum.Enum):
    """System registers readable (and, for fpcr/fpsr/tpidr_el0, writable) at EL0 by
    MRS/MSR; the value is (op0, op1, CRn, CRm, op2)."""

    ctr_el0 = (3, 3, 0, 0, 1)  # cache line sizes, for the I-cache flush
    dczid_el0 = (3, 3, 0, 0, 7)
    fpcr = (3, 3, 4, 4, 0)
    fpsr = (3, 3, 4, 4, 1)
    tpidr_el0 = (3, 3, 13, 0, 2)
    cntvct_el0 = (3, 3, 14, 0, 2)
    nzcv = (3, 3, 4, 2, 0)


class CacheOp(enum.Enum):
    """Cache maintenance by virtual address (the SYS aliases DC and IC); the value is
    (op1, CRn, CRm, op2)."""

    dc_cvau = (3, 7, 11, 1)  # clean D-cache line to the point of unification
    dc_cvac = (3, 7, 10, 1)
    dc_civac = (3, 7, 14, 1)
    dc_zva = (3, 7, 4, 1)
    ic_ivau = (3, 7, 5, 1)  # invalidate I-cache line to the point of unification
