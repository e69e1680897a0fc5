"""Cases of ``wazaot.arm64.encoding``: branches, exceptions, system (see ``cases.py``)."""

from __future__ import annotations

from wazaot.arm64 import encoding
from wazaot.arm64.args import Barrier, CacheOp, Cond, SysReg
from wazaot.arm64.imms import (
    BranchOffset14,
    BranchOffset19,
    BranchOffset26,
)
from wazaot.arm64.regs import GPRS, Gpr, x30

from .cases import SIZES, Chooser, Sample, draw_branch, name, pc, r, registry

CASES, case = registry()


# -- Branches, Exception Generating and System ------------------------------------------


@case
def branch_imm(c: Chooser) -> Sample:
    link, off = c.pick([False, True]), draw_branch(c, 26)
    m = "bl" if link else "b"
    return Sample(encoding.branch_imm(link, BranchOffset26(off)), f"{m} #{off}", f"{m} {pc(off)}")


@case
def b(c: Chooser) -> Sample:
    off = draw_branch(c, 26)
    return Sample(encoding.b(BranchOffset26(off)), f"b #{off}", f"b {pc(off)}")


@case
def bl(c: Chooser) -> Sample:
    off = draw_branch(c, 26)
    return Sample(encoding.bl(BranchOffset26(off)), f"bl #{off}", f"bl {pc(off)}")


@case
def b_cond(c: Chooser) -> Sample:
    cond, off = c.pick(list(Cond)), draw_branch(c, 19)
    word = encoding.b_cond(cond, BranchOffset19(off))
    return Sample(word, f"b.{cond.name} #{off}", f"b.{cond.name} {pc(off)}")


@case
def compare_branch(c: Chooser) -> Sample:
    nonzero, size, rt, off = c.pick([False, True]), c.pick(SIZES), c.gpr(), draw_branch(c, 19)
    m = f"cb{'n' if nonzero else ''}z {r(size, rt)}"
    word = encoding.compare_branch(nonzero, size, rt, BranchOffset19(off))
    return Sample(word, f"{m}, #{off}", f"{m}, {pc(off)}")


@case
def cbz(c: Chooser) -> Sample:
    size, rt, off = c.pick(SIZES), c.gpr(), draw_branch(c, 19)
    word = encoding.cbz(size, rt, BranchOffset19(off))
    return Sample(word, f"cbz {r(size, rt)}, #{off}", f"cbz {r(size, rt)}, {pc(off)}")


@case
def cbnz(c: Chooser) -> Sample:
    size, rt, off = c.pick(SIZES), c.gpr(), draw_branch(c, 19)
    word = encoding.cbnz(size, rt, BranchOffset19(off))
    return Sample(word, f"cbnz {r(size, rt)}, #{off}", f"cbnz {r(size, rt)}, {pc(off)}")


def tb_sample(word: int, m: str, rt: Gpr, bit: int, off: int) -> Sample:
    t = r(64 if bit >= 32 else 32, rt)
    return Sample(word, f"{m} {t}, #{bit}, #{off}", f"{m} {t}, #{bit}, {pc(off)}")


@case
def bit_test_branch(c: Chooser) -> Sample:
    nonzero, rt, bit, off = (
        c.pick([False, True]),
        c.gpr(),
        c.edgy(0, 63, [31, 32]),
        draw_branch(c, 14),
    )
    word = encoding.bit_test_branch(nonzero, rt, bit, BranchOffset14(off))
    return tb_sample(word, "tbnz" if nonzero else "tbz", rt, bit, off)


@case
def tbz(c: Chooser) -> Sample:
    rt, bit, off = c.gpr(), c.edgy(0, 63, [31, 32]), draw_branch(c, 14)
    return tb_sample(encoding.tbz(rt, bit, BranchOffset14(off)), "tbz", rt, bit, off)


@case
def tbnz(c: Chooser) -> Sample:
    rt, bit, off = c.gpr(), c.edgy(0, 63, [31, 32]), draw_branch(c, 14)
    return tb_sample(encoding.tbnz(rt, bit, BranchOffset14(off)), "tbnz", rt, bit, off)


@case
def branch_reg(c: Chooser) -> Sample:
    op, rn = c.pick(list(encoding.BranchRegOp)), c.gpr(GPRS)
    text = "ret" if op is encoding.BranchRegOp.ret and rn == x30 else f"{op.name} {rn}"
    return Sample(encoding.branch_reg(op, rn), text)


@case
def br(c: Chooser) -> Sample:
    rn = c.gpr(GPRS)
    return Sample(encoding.br(rn), f"br {rn}")


@case
def blr(c: Chooser) -> Sample:
    rn = c.gpr(GPRS)
    return Sample(encoding.blr(rn), f"blr {rn}")


@case
def ret(c: Chooser) -> Sample:
    rn = c.pick([None, x30, c.gpr(GPRS)])
    return Sample(encoding.ret(rn), "ret" if rn in (None, x30) else f"ret {rn}")


@case
def exception(c: Chooser) -> Sample:
    op, imm = c.pick(list(encoding.ExceptionOp)), c.edgy(0, 0xFFFF)
    return Sample(encoding.exception(op, imm), f"{op.name} #{imm}")


@case
def brk(c: Chooser) -> Sample:
    imm = c.edgy(0, 0xFFFF)
    return Sample(encoding.brk(imm), f"brk #{imm}")


@case
def udf(c: Chooser) -> Sample:
    imm = c.edgy(0, 0xFFFF)
    return Sample(encoding.udf(imm), f"udf #{imm}")


@case
def hint(c: Chooser) -> Sample:
    op = c.pick(list(encoding.HintOp))
    return Sample(encoding.hint(op), name(op))


@case
def nop(c: Chooser) -> Sample:
    return Sample(encoding.nop(), "nop")


@case
def barrier(c: Chooser) -> Sample:
    op, option = c.pick(list(encoding.BarrierOp)), c.pick(list(Barrier))
    if op is encoding.BarrierOp.isb:
        option = Barrier.sy
    text = "isb" if op is encoding.BarrierOp.isb else f"{op.name} {option.name}"
    return Sample(encoding.barrier(op, option), text)


@case
def dmb(c: Chooser) -> Sample:
    option = c.pick(list(Barrier))
    return Sample(encoding.dmb(option), f"dmb {option.name}")


@case
def dsb(c: Chooser) -> Sample:
    option = c.pick(list(Barrier))
    return Sample(encoding.dsb(option), f"dsb {option.name}")


@case
def isb(c: Chooser) -> Sample:
    return Sample(encoding.isb(), "isb")


@case
def cache_maint(c: Chooser) -> Sample:
    op, rt = c.pick(list(CacheOp)), c.gpr()
    return Sample(encoding.cache_maint(op, rt), f"{op.name.replace('_', ' ')}, {rt}")


WRITABLE = (SysReg.fpcr, SysReg.fpsr, SysReg.tpidr_el0, SysReg.nzcv)


@case
def sysreg_move(c: Chooser) -> Sample:
    read, rt = c.pick([True, False]), c.gpr()
    reg = c.pick(list(SysReg) if read else WRITABLE)
    text = f"mrs {rt}, {reg.name}" if read else f"msr {reg.name}, {rt}"
    return Sample(encoding.sysreg_move(read, reg, rt), text)


@case
def mrs(c: Chooser) -> Sample:
    rt, reg = c.gpr(), c.pick(list(SysReg))
    return Sample(encoding.mrs(rt, reg), f"mrs {rt}, {reg.name}")


@case
def msr(c: Chooser) -> Sample:
    rt, reg = c.gpr(), c.pick(WRITABLE)
    return Sample(encoding.msr(reg, rt), f"msr {reg.name}, {rt}")
