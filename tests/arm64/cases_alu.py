"""Cases of ``wazaot.arm64.encoding_alu`` (see ``cases.py``)."""

from __future__ import annotations

from wazaot.arm64 import encoding_alu as alu
from wazaot.arm64.args import Cond, Extend, Shift
from wazaot.arm64.imms import (
    AdrOffset,
    AdrpOffset,
    Imm12,
    LogicalImm,
    MoveWide,
    MoveWideOp,
)
from wazaot.arm64.regs import Gpr, sp, xzr

from .cases import GPR_SP, GPR_ZR, SIZES, Chooser, Sample, lsl, name, pc, r, registry, sh

CASES, case = registry()


# -- Data Processing -- Immediate -------------------------------------------------------


def add_sub_imm_text(op: alu.AddSubOp, size: int, rd: Gpr, rn: Gpr, imm: Imm12) -> str:
    flags = op in (alu.AddSubOp.adds, alu.AddSubOp.subs)
    ops = f"#{imm.bits}{lsl(12 * imm.shift12)}"
    if flags and rd.is_zr:
        return f"{'cmn' if op is alu.AddSubOp.adds else 'cmp'} {r(size, rn)}, {ops}"
    if op is alu.AddSubOp.add and imm.value == 0 and not imm.shift12 and (rd.is_sp or rn.is_sp):
        return f"mov {r(size, rd)}, {r(size, rn)}"
    return f"{op.name} {r(size, rd)}, {r(size, rn)}, {ops}"


def draw_imm12(c: Chooser) -> Imm12:
    return Imm12(c.edgy(0, 4095, [1]), c.pick([False, True]))


@case
def add_sub_imm(c: Chooser) -> Sample:
    op, size = c.pick(list(alu.AddSubOp)), c.pick(SIZES)
    rd = c.gpr(GPR_ZR if op in (alu.AddSubOp.adds, alu.AddSubOp.subs) else GPR_SP)
    rn, imm = c.gpr(GPR_SP), draw_imm12(c)
    return Sample(alu.add_sub_imm(op, size, rd, rn, imm), add_sub_imm_text(op, size, rd, rn, imm))


@case
def cmp_imm(c: Chooser) -> Sample:
    size, rn, imm = c.pick(SIZES), c.gpr(GPR_SP), draw_imm12(c)
    return Sample(
        alu.cmp_imm(size, rn, imm), f"cmp {r(size, rn)}, #{imm.bits}{lsl(12 * imm.shift12)}"
    )


@case
def cmn_imm(c: Chooser) -> Sample:
    size, rn, imm = c.pick(SIZES), c.gpr(GPR_SP), draw_imm12(c)
    return Sample(
        alu.cmn_imm(size, rn, imm), f"cmn {r(size, rn)}, #{imm.bits}{lsl(12 * imm.shift12)}"
    )


@case
def mov_sp(c: Chooser) -> Sample:
    size = c.pick(SIZES)
    rd, rn = c.pick([(sp, c.gpr(GPR_SP)), (c.gpr(GPR_SP), sp)])
    return Sample(alu.mov_sp(size, rd, rn), f"mov {r(size, rd)}, {r(size, rn)}")


def draw_logical_imm(c: Chooser, size: int) -> LogicalImm:
    esize = c.pick([e for e in (2, 4, 8, 16, 32, 64) if e <= size])
    ones = c.integer(1, esize - 1)
    imms = ((~(esize - 1) << 1) & 0x3F) | (ones - 1)
    return LogicalImm(1 if esize == 64 else 0, c.integer(0, esize - 1), imms, size)


@case
def logical_imm(c: Chooser) -> Sample:
    op, size = c.pick(list(alu.LogicOp)), c.pick(SIZES)
    rd = c.gpr(GPR_ZR if op is alu.LogicOp.ands else GPR_SP)
    rn, imm = c.gpr(), draw_logical_imm(c, size)
    word = alu.logical_imm(op, size, rd, rn, imm)
    d, n, v = r(size, rd), r(size, rn), hex(imm.value)
    if op is alu.LogicOp.ands and rd.is_zr:
        return Sample(word, f"tst {n}, #{v}")
    if op is alu.LogicOp.orr and rn.is_zr:  # capstone prints mov even where movz could do
        return Sample(word, f"mov {d}, #{v}", f"orr {d}, {n}, #{v}")
    return Sample(word, f"{name(op)} {d}, {n}, #{v}")


@case
def tst_imm(c: Chooser) -> Sample:
    size = c.pick(SIZES)
    rn, imm = c.gpr(), draw_logical_imm(c, size)
    return Sample(alu.tst_imm(size, rn, imm), f"tst {r(size, rn)}, #{imm.value:#x}")


@case
def mov_bitmask(c: Chooser) -> Sample:
    size = c.pick(SIZES)
    rd, imm = c.gpr(GPR_SP), draw_logical_imm(c, size)
    d = r(size, rd)
    return Sample(alu.mov_bitmask(size, rd, imm), f"mov {d}, #{imm.value:#x}",
                  f"orr {d}, {r(size, xzr)}, #{imm.value:#x}")  # fmt: skip


@case
def move_wide(c: Chooser) -> Sample:
    op, size = c.pick(list(MoveWideOp)), c.pick(SIZES)
    rd = c.gpr()
    imm = MoveWide(c.edgy(0, 0xFFFF, [1, 0x8000]), 16 * c.integer(0, size // 16 - 1))
    word = alu.move_wide(op, size, rd, imm)
    d, mask = r(size, rd), (1 << size) - 1
    explicit = f"{op.name} {d}, #{imm.imm16:#x}{lsl(imm.shift)}"
    if op is MoveWideOp.movk or (imm.imm16 == 0 and imm.shift):
        return Sample(word, explicit)
    if op is MoveWideOp.movz:
        return Sample(word, f"mov {d}, #{imm.value:#x}")
    if size == 32 and imm.imm16 == 0xFFFF:
        return Sample(word, explicit)
    return Sample(word, f"mov {d}, #{~imm.value & mask:#x}")


def bitfield_text(op: alu.BitfieldOp, size: int, rd: Gpr, rn: Gpr, immr: int, imms: int) -> str:
    """The preferred disassembly of SBFM/UBFM (the alias conditions of the Arm ARM's
    SBFM/UBFM pages and BFXPreferred)."""
    d, n, top = r(size, rd), r(size, rn), size - 1
    if op is alu.BitfieldOp.ubfm:
        if imms != top and imms + 1 == immr:
            return f"lsl {d}, {n}, #{top - imms}"
        if imms == top:
            return f"lsr {d}, {n}, #{immr}"
        if imms < immr:
            return f"ubfiz {d}, {n}, #{size - immr}, #{imms + 1}"
        if immr == 0 and size == 32 and imms in (7, 15):
            return f"uxt{'b' if imms == 7 else 'h'} {d}, {n}"
        return f"ubfx {d}, {n}, #{immr}, #{imms - immr + 1}"
    if imms == top:
        return f"asr {d}, {n}, #{immr}"
    if imms < immr:
        return f"sbfiz {d}, {n}, #{size - immr}, #{imms + 1}"
    if immr == 0 and imms in (7, 15, 31):
        return f"sxt{'bhw'[(imms > 7) + (imms > 15)]} {d}, {r(32, rn)}"
    return f"sbfx {d}, {n}, #{immr}, #{imms - immr + 1}"


@case
def bitfield(c: Chooser) -> Sample:
    op, size = c.pick(list(alu.BitfieldOp)), c.pick(SIZES)
    rd, rn = c.gpr(), c.gpr()
    immr, imms = c.edgy(0, size - 1, [1]), c.edgy(0, size - 1, [7, 15, 31])
    text = bitfield_text(op, size, rd, rn, immr, imms)
    return Sample(alu.bitfield(op, size, rd, rn, immr, imms), text,
                  f"{op.name} {r(size, rd)}, {r(size, rn)}, #{immr}, #{imms}")  # fmt: skip


def bitfield_sample(word: int, gas: str) -> Sample:
    """A wrapper of SBFM/UBFM: capstone's text from the word's own fields (its alias
    rules are checked by ``bitfield``), as's from the wrapper's name."""
    size = 64 if word >> 31 else 32
    op = alu.BitfieldOp(word >> 29 & 3)
    immr, imms = word >> 16 & 63, word >> 10 & 63
    rd, rn = (GPR_ZR[word & 31], GPR_ZR[word >> 5 & 31])
    return Sample(word, bitfield_text(op, size, rd, rn, immr, imms), gas)


@case
def lsl_imm(c: Chooser) -> Sample:
    size, rd, rn = c.pick(SIZES), c.gpr(), c.gpr()
    amount = c.edgy(0, size - 1, [1])
    return bitfield_sample(
        alu.lsl_imm(size, rd, rn, amount), f"lsl {r(size, rd)}, {r(size, rn)}, #{amount}"
    )


@case
def lsr_imm(c: Chooser) -> Sample:
    size, rd, rn = c.pick(SIZES), c.gpr(), c.gpr()
    amount = c.edgy(0, size - 1, [1])
    return bitfield_sample(
        alu.lsr_imm(size, rd, rn, amount), f"lsr {r(size, rd)}, {r(size, rn)}, #{amount}"
    )


@case
def asr_imm(c: Chooser) -> Sample:
    size, rd, rn = c.pick(SIZES), c.gpr(), c.gpr()
    amount = c.edgy(0, size - 1, [1])
    return bitfield_sample(
        alu.asr_imm(size, rd, rn, amount), f"asr {r(size, rd)}, {r(size, rn)}, #{amount}"
    )


@case
def ubfx(c: Chooser) -> Sample:
    size, rd, rn = c.pick(SIZES), c.gpr(), c.gpr()
    lsb = c.edgy(0, size - 1)
    width = c.edgy(1, size - lsb, [8, 16])
    word = alu.ubfx(size, rd, rn, lsb, width)
    return bitfield_sample(word, f"ubfx {r(size, rd)}, {r(size, rn)}, #{lsb}, #{width}")


@case
def sbfx(c: Chooser) -> Sample:
    size, rd, rn = c.pick(SIZES), c.gpr(), c.gpr()
    lsb = c.edgy(0, size - 1)
    width = c.edgy(1, size - lsb, [8, 16, 32])
    word = alu.sbfx(size, rd, rn, lsb, width)
    return bitfield_sample(word, f"sbfx {r(size, rd)}, {r(size, rn)}, #{lsb}, #{width}")


@case
def sxtb(c: Chooser) -> Sample:
    size, rd, rn = c.pick(SIZES), c.gpr(), c.gpr()
    return Sample(alu.sxtb(size, rd, rn), f"sxtb {r(size, rd)}, {r(32, rn)}")


@case
def sxth(c: Chooser) -> Sample:
    size, rd, rn = c.pick(SIZES), c.gpr(), c.gpr()
    return Sample(alu.sxth(size, rd, rn), f"sxth {r(size, rd)}, {r(32, rn)}")


@case
def sxtw(c: Chooser) -> Sample:
    rd, rn = c.gpr(), c.gpr()
    return Sample(alu.sxtw(rd, rn), f"sxtw {r(64, rd)}, {r(32, rn)}")


@case
def uxtb(c: Chooser) -> Sample:
    rd, rn = c.gpr(), c.gpr()
    return Sample(alu.uxtb(rd, rn), f"uxtb {r(32, rd)}, {r(32, rn)}")


@case
def uxth(c: Chooser) -> Sample:
    rd, rn = c.gpr(), c.gpr()
    return Sample(alu.uxth(rd, rn), f"uxth {r(32, rd)}, {r(32, rn)}")


@case
def extr(c: Chooser) -> Sample:
    size, rd, rn, rm = c.pick(SIZES), c.gpr(), c.gpr(), c.gpr()
    lsb = c.edgy(0, size - 1)
    d, n, m = r(size, rd), r(size, rn), r(size, rm)
    text = f"ror {d}, {n}, #{lsb}" if rn == rm else f"extr {d}, {n}, {m}, #{lsb}"
    return Sample(alu.extr(size, rd, rn, rm, lsb), text, f"extr {d}, {n}, {m}, #{lsb}")


@case
def ror_imm(c: Chooser) -> Sample:
    size, rd, rn = c.pick(SIZES), c.gpr(), c.gpr()
    lsb = c.edgy(0, size - 1)
    return Sample(alu.ror_imm(size, rd, rn, lsb), f"ror {r(size, rd)}, {r(size, rn)}, #{lsb}")


@case
def adr(c: Chooser) -> Sample:
    rd, off = c.gpr(), c.edgy(-(1 << 20), (1 << 20) - 1, [0, 1, -1])
    return Sample(alu.adr(rd, AdrOffset(off)), f"adr {rd}, #{off}", f"adr {rd}, {pc(off)}")


@case
def adrp(c: Chooser) -> Sample:
    rd, pages = c.gpr(), c.edgy(-(1 << 20), (1 << 20) - 1, [0, 1, -1])
    return Sample(alu.adrp(rd, AdrpOffset(pages * 4096)), f"adrp {rd}, #{pages * 4096}", "")


# -- Data Processing -- Register --------------------------------------------------------


@case
def logical_shifted(c: Chooser) -> Sample:
    op, size = c.pick(list(alu.LogicRegOp)), c.pick(SIZES)
    rd, rn, rm = c.gpr(), c.gpr(), c.gpr()
    shift, amount = c.pick(list(Shift)), c.edgy(0, size - 1)
    word = alu.logical_shifted(op, size, rd, rn, rm, shift, amount)
    d, n, m, s = r(size, rd), r(size, rn), r(size, rm), sh(shift, amount)
    base = f"{name(op)} {d}, {n}, {m}{s}"
    if op is alu.LogicRegOp.orr and rn.is_zr and not s:
        return Sample(word, f"mov {d}, {m}", base)
    if op is alu.LogicRegOp.orn and rn.is_zr:
        return Sample(word, f"mvn {d}, {m}{s}", base)
    if op is alu.LogicRegOp.ands and rd.is_zr:
        return Sample(word, f"tst {n}, {m}{s}", base)
    return Sample(word, base)


@case
def mov_reg(c: Chooser) -> Sample:
    size, rd, rm = c.pick(SIZES), c.gpr(), c.gpr()
    return Sample(alu.mov_reg(size, rd, rm), f"mov {r(size, rd)}, {r(size, rm)}")


@case
def mvn(c: Chooser) -> Sample:
    size, rd, rm = c.pick(SIZES), c.gpr(), c.gpr()
    shift, amount = c.pick(list(Shift)), c.edgy(0, size - 1)
    text = f"mvn {r(size, rd)}, {r(size, rm)}{sh(shift, amount)}"
    return Sample(alu.mvn(size, rd, rm, shift, amount), text)


@case
def tst_reg(c: Chooser) -> Sample:
    size, rn, rm = c.pick(SIZES), c.gpr(), c.gpr()
    shift, amount = c.pick(list(Shift)), c.edgy(0, size - 1)
    text = f"tst {r(size, rn)}, {r(size, rm)}{sh(shift, amount)}"
    return Sample(alu.tst_reg(size, rn, rm, shift, amount), text)


ARITH_SHIFTS = (Shift.lsl, Shift.lsr, Shift.asr)


@case
def add_sub_shifted(c: Chooser) -> Sample:
    op, size = c.pick(list(alu.AddSubOp)), c.pick(SIZES)
    rd, rn, rm = c.gpr(), c.gpr(), c.gpr()
    shift, amount = c.pick(ARITH_SHIFTS), c.edgy(0, size - 1)
    word = alu.add_sub_shifted(op, size, rd, rn, rm, shift, amount)
    d, n, m, s = r(size, rd), r(size, rn), r(size, rm), sh(shift, amount)
    base = f"{op.name} {d}, {n}, {m}{s}"
    if op in (alu.AddSubOp.adds, alu.AddSubOp.subs) and rd.is_zr:
        return Sample(word, f"{'cmn' if op is alu.AddSubOp.adds else 'cmp'} {n}, {m}{s}", base)
    if op in (alu.AddSubOp.sub, alu.AddSubOp.subs) and rn.is_zr:
        return Sample(word, f"{'neg' if op is alu.AddSubOp.sub else 'negs'} {d}, {m}{s}", base)
    return Sample(word, base)


@case
def cmp_reg(c: Chooser) -> Sample:
    size, rn, rm = c.pick(SIZES), c.gpr(), c.gpr()
    shift, amount = c.pick(ARITH_SHIFTS), c.edgy(0, size - 1)
    text = f"cmp {r(size, rn)}, {r(size, rm)}{sh(shift, amount)}"
    return Sample(alu.cmp_reg(size, rn, rm, shift, amount), text)


@case
def cmn_reg(c: Chooser) -> Sample:
    size, rn, rm = c.pick(SIZES), c.gpr(), c.gpr()
    shift, amount = c.pick(ARITH_SHIFTS), c.edgy(0, size - 1)
    text = f"cmn {r(size, rn)}, {r(size, rm)}{sh(shift, amount)}"
    return Sample(alu.cmn_reg(size, rn, rm, shift, amount), text)


@case
def neg(c: Chooser) -> Sample:
    size, rd, rm = c.pick(SIZES), c.gpr(), c.gpr()
    shift, amount = c.pick(ARITH_SHIFTS), c.edgy(0, size - 1)
    text = f"neg {r(size, rd)}, {r(size, rm)}{sh(shift, amount)}"
    return Sample(alu.neg(size, rd, rm, shift, amount), text)


@case
def add_sub_extended(c: Chooser) -> Sample:
    op, size = c.pick(list(alu.AddSubOp)), c.pick(SIZES)
    flags = op in (alu.AddSubOp.adds, alu.AddSubOp.subs)
    rd, rn = c.gpr(GPR_ZR if flags else GPR_SP), c.gpr(GPR_SP)
    extend = c.pick([e for e in Extend if size == 64 or e.rm_size == 32])
    rm, amount = c.gpr(), c.integer(0, 4)
    word = alu.add_sub_extended(op, size, rd, rn, rm, extend, amount)
    d, n, m = r(size, rd), r(size, rn), r(extend.rm_size, rm)
    lsl_form = Extend.uxtx if size == 64 else Extend.uxtw
    if extend is lsl_form and (rn.is_sp or (rd.is_sp and not flags)):
        ext = lsl(amount)
    else:
        ext = f", {extend.name}" + (f" #{amount}" if amount else "")
    gas = f"{op.name} {d}, {n}, {m}, {extend.name} #{amount}"
    if flags and rd.is_zr:
        return Sample(word, f"{'cmn' if op is alu.AddSubOp.adds else 'cmp'} {n}, {m}{ext}", gas)
    return Sample(word, f"{op.name} {d}, {n}, {m}{ext}", gas)


DP2_TEXT = {"lslv": "lsl", "lsrv": "lsr", "asrv": "asr", "rorv": "ror"}


@case
def dp_2src(c: Chooser) -> Sample:
    op, size, rd, rn, rm = c.pick(list(alu.Dp2Op)), c.pick(SIZES), c.gpr(), c.gpr(), c.gpr()
    text = f"{DP2_TEXT.get(op.name, op.name)} {r(size, rd)}, {r(size, rn)}, {r(size, rm)}"
    return Sample(alu.dp_2src(op, size, rd, rn, rm), text)


@case
def dp_1src(c: Chooser) -> Sample:
    size = c.pick(SIZES)
    op = c.pick([o for o in alu.Dp1Op if size == 64 or o is not alu.Dp1Op.rev32])
    rd, rn = c.gpr(), c.gpr()
    return Sample(alu.dp_1src(op, size, rd, rn), f"{op.name} {r(size, rd)}, {r(size, rn)}")


DP3_ZERO_RA = {"madd": "mul", "msub": "mneg", "smaddl": "smull", "smsubl": "smnegl",
               "umaddl": "umull", "umsubl": "umnegl"}  # fmt: skip


@case
def dp_3src(c: Chooser) -> Sample:
    op = c.pick(list(alu.Dp3Op))
    size = c.pick(SIZES) if op in (alu.Dp3Op.madd, alu.Dp3Op.msub) else 64
    rd, rn, rm = c.gpr(), c.gpr(), c.gpr()
    ra = xzr if op in (alu.Dp3Op.smulh, alu.Dp3Op.umulh) else c.gpr()
    word = alu.dp_3src(op, size, rd, rn, rm, ra)
    src = 32 if op.value[0] in (1, 5) else size
    d, n, m, a = r(size, rd), r(src, rn), r(src, rm), r(size, ra)
    if op in (alu.Dp3Op.smulh, alu.Dp3Op.umulh):
        return Sample(word, f"{op.name} {d}, {n}, {m}")
    if ra.is_zr:
        return Sample(
            word, f"{DP3_ZERO_RA[op.name]} {d}, {n}, {m}", f"{op.name} {d}, {n}, {m}, {a}"
        )
    return Sample(word, f"{op.name} {d}, {n}, {m}, {a}")


@case
def mul(c: Chooser) -> Sample:
    size, rd, rn, rm = c.pick(SIZES), c.gpr(), c.gpr(), c.gpr()
    return Sample(alu.mul(size, rd, rn, rm), f"mul {r(size, rd)}, {r(size, rn)}, {r(size, rm)}")


CSEL_ALIASES = {"csinc": ("cset", "cinc"), "csinv": ("csetm", "cinv"), "csneg": ("cneg", "cneg")}


@case
def cond_select(c: Chooser) -> Sample:
    op, size, cond = c.pick(list(alu.CselOp)), c.pick(SIZES), c.pick(list(Cond))
    rd, rn = c.gpr(), c.gpr()
    rm = c.pick([rn, c.gpr()])
    word = alu.cond_select(op, size, rd, rn, rm, cond)
    d, n, m = r(size, rd), r(size, rn), r(size, rm)
    base = f"{op.name} {d}, {n}, {m}, {cond.name}"
    if op is alu.CselOp.csel or rn != rm or cond.value >= 0xE:
        return Sample(word, base)
    zr_alias, alias = CSEL_ALIASES[op.name]
    if rn.is_zr and op is not alu.CselOp.csneg:
        return Sample(word, f"{zr_alias} {d}, {cond.invert().name}", base)
    return Sample(word, f"{alias} {d}, {n}, {cond.invert().name}", base)


@case
def cset(c: Chooser) -> Sample:
    size, rd, cond = c.pick(SIZES), c.gpr(), c.pick(list(Cond)[:14])
    return Sample(alu.cset(size, rd, cond), f"cset {r(size, rd)}, {cond.name}")


@case
def csetm(c: Chooser) -> Sample:
    size, rd, cond = c.pick(SIZES), c.gpr(), c.pick(list(Cond)[:14])
    return Sample(alu.csetm(size, rd, cond), f"csetm {r(size, rd)}, {cond.name}")


@case
def cond_compare_reg(c: Chooser) -> Sample:
    op, size, cond = c.pick(list(alu.CcmpOp)), c.pick(SIZES), c.pick(list(Cond))
    rn, rm, nzcv = c.gpr(), c.gpr(), c.integer(0, 15)
    text = f"{op.name} {r(size, rn)}, {r(size, rm)}, #{nzcv}, {cond.name}"
    return Sample(alu.cond_compare_reg(op, size, rn, rm, nzcv, cond), text)


@case
def cond_compare_imm(c: Chooser) -> Sample:
    op, size, cond = c.pick(list(alu.CcmpOp)), c.pick(SIZES), c.pick(list(Cond))
    rn, imm5, nzcv = c.gpr(), c.integer(0, 31), c.integer(0, 15)
    text = f"{op.name} {r(size, rn)}, #{imm5}, #{nzcv}, {cond.name}"
    return Sample(alu.cond_compare_imm(op, size, rn, imm5, nzcv, cond), text)
