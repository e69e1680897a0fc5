"""Cases of ``wazaot.arm64.encoding_mem`` and ``encoding_fp`` (see ``cases.py``)."""

from __future__ import annotations

from wazaot.arm64 import encoding_fp as fpe
from wazaot.arm64 import encoding_mem as mem
from wazaot.arm64.args import Cond, Extend, Index, PairIndex
from wazaot.arm64.imms import (
    BranchOffset19,
    FpImm8,
    SImm7Scaled,
    SImm9,
    UImm12Scaled,
)
from wazaot.arm64.regs import VECS, Gpr, Vec, sp, x1, x2

from .cases import GPR_SP, GPR_ZR, SIZES, Chooser, Sample, draw_branch, pc, r, registry

CASES, case = registry()


# -- Loads and Stores -------------------------------------------------------------------


def rt_of(c: Chooser, fp: bool) -> Gpr | Vec:
    return c.vec() if fp else c.gpr()


def rt_name(reg: Gpr | Vec, size: int) -> str:
    return reg.sized(size)


def disp(offset: int) -> str:
    return f", #{offset}" if offset else ""


@case
def ldst_uimm(c: Chooser) -> Sample:
    op = c.pick(list(mem.LdSt))
    rt, rn = rt_of(c, op.fp), c.gpr(GPR_SP)
    off = UImm12Scaled(op.access * c.edgy(0, 4095, [1]), op.access)
    text = f"{op.mnemonic} {rt_name(rt, op.reg_size)}, [{rn}{disp(off.value)}]"
    return Sample(mem.ldst_uimm(op, rt, rn, off), text)


@case
def ldst_simm9(c: Chooser) -> Sample:
    op, index = c.pick(list(mem.LdSt)), c.pick(list(Index))
    rt, rn = rt_of(c, op.fp), c.gpr(GPR_SP)
    if index is not Index.unscaled and not op.fp and rt.num == rn.num and not rn.is_sp:
        rn = x1 if rt.num != 1 else x2  # write-back into the transferred register
    off = c.edgy(-256, 255, [0, 1, -1])
    t = rt_name(rt, op.reg_size)
    if index is Index.unscaled:
        text = f"{op.unscaled_mnemonic} {t}, [{rn}{disp(off)}]"
    elif index is Index.pre:
        text = f"{op.mnemonic} {t}, [{rn}, #{off}]!"
    else:
        text = f"{op.mnemonic} {t}, [{rn}], #{off}"
    return Sample(mem.ldst_simm9(op, index, rt, rn, SImm9(off)), text)


@case
def ldst_reg(c: Chooser) -> Sample:
    op = c.pick(list(mem.LdSt))
    rt, rn, rm = rt_of(c, op.fp), c.gpr(GPR_SP), c.gpr()
    extend = c.pick([Extend.uxtw, Extend.uxtx, Extend.sxtw, Extend.sxtx])
    shifted = c.pick([False, True])
    amount = op.access.bit_length() - 1
    if extend is Extend.uxtx:
        ext = f", lsl #{amount}" if shifted else ""
    else:
        ext = f", {extend.name}" + (f" #{amount}" if shifted else "")
    text = f"{op.mnemonic} {rt_name(rt, op.reg_size)}, [{rn}, {r(extend.rm_size, rm)}{ext}]"
    return Sample(mem.ldst_reg(op, rt, rn, rm, extend, shifted), text)


@case
def ldst_pair(c: Chooser) -> Sample:
    op, index = c.pick(list(mem.PairOp)), c.pick(list(PairIndex))
    rt, rt2, rn = rt_of(c, op.fp), rt_of(c, op.fp), c.gpr(GPR_SP)
    if rt == rt2 and op.mnemonic != "stp":
        rt2 = VECS[(rt.num + 1) % 32] if op.fp else GPR_ZR[(rt.num + 1) % 32]
    if index is not PairIndex.offset and not op.fp and not rn.is_sp and rn.num in (rt.num, rt2.num):
        rn = sp
    off = op.scale * c.edgy(-64, 63, [0, 1, -1])
    t, t2 = rt_name(rt, op.reg_size), rt_name(rt2, op.reg_size)
    if index is PairIndex.offset:
        address = f"[{rn}{disp(off)}]"
    elif index is PairIndex.pre:
        address = f"[{rn}, #{off}]!"
    else:
        address = f"[{rn}], #{off}"
    word = mem.ldst_pair(op, index, rt, rt2, rn, SImm7Scaled(off, op.scale))
    return Sample(word, f"{op.mnemonic} {t}, {t2}, {address}")


@case
def ldr_literal(c: Chooser) -> Sample:
    op = c.pick(list(mem.LiteralOp))
    rt, off = rt_of(c, op.fp), draw_branch(c, 19)
    head = f"{'ldrsw' if op is mem.LiteralOp.ldrsw else 'ldr'} {rt_name(rt, op.reg_size)}"
    word = mem.ldr_literal(op, rt, BranchOffset19(off))
    return Sample(word, f"{head}, #{off}", f"{head}, {pc(off)}")


# -- Scalar floating point and Advanced SIMD --------------------------------------------


@case
def fp_dp1(c: Chooser) -> Sample:
    op, size, rd, rn = c.pick(list(fpe.FpOp1)), c.pick(SIZES), c.vec(), c.vec()
    return Sample(fpe.fp_dp1(op, size, rd, rn), f"{op.name} {rd.sized(size)}, {rn.sized(size)}")


@case
def fcvt(c: Chooser) -> Sample:
    dst = c.pick(SIZES)
    src, rd, rn = 96 - dst, c.vec(), c.vec()
    return Sample(fpe.fcvt(dst, src, rd, rn), f"fcvt {rd.sized(dst)}, {rn.sized(src)}")


@case
def fp_dp2(c: Chooser) -> Sample:
    op, size, rd, rn, rm = c.pick(list(fpe.FpOp2)), c.pick(SIZES), c.vec(), c.vec(), c.vec()
    text = f"{op.name} {rd.sized(size)}, {rn.sized(size)}, {rm.sized(size)}"
    return Sample(fpe.fp_dp2(op, size, rd, rn, rm), text)


@case
def fp_compare(c: Chooser) -> Sample:
    size, rn, rm, signaling = c.pick(SIZES), c.vec(), c.pick([None, c.vec()]), c.pick([False, True])
    second = "#0.0" if rm is None else rm.sized(size)
    text = f"fcmp{'e' if signaling else ''} {rn.sized(size)}, {second}"
    return Sample(fpe.fp_compare(size, rn, rm, signaling), text)


@case
def fp_csel(c: Chooser) -> Sample:
    size, rd, rn, rm, cond = c.pick(SIZES), c.vec(), c.vec(), c.vec(), c.pick(list(Cond))
    text = f"fcsel {rd.sized(size)}, {rn.sized(size)}, {rm.sized(size)}, {cond.name}"
    return Sample(fpe.fp_csel(size, rd, rn, rm, cond), text)


@case
def fp_imm(c: Chooser) -> Sample:
    size, rd, imm = c.pick(SIZES), c.vec(), FpImm8(c.integer(0, 255))
    return Sample(fpe.fp_imm(size, rd, imm), f"fmov {rd.sized(size)}, #{imm.value!r}")


@case
def fp_int(c: Chooser) -> Sample:
    op, int_size = c.pick(list(fpe.FpIntOp)), c.pick(SIZES)
    fmov = op in (fpe.FpIntOp.fmov_to_gpr, fpe.FpIntOp.fmov_from_gpr)
    fp_size = int_size if fmov else c.pick(SIZES)
    g, v = c.gpr(), c.vec()
    m = "fmov" if fmov else op.name
    if op.to_fp:
        return Sample(
            fpe.fp_int(op, int_size, fp_size, v, g), f"{m} {v.sized(fp_size)}, {r(int_size, g)}"
        )
    return Sample(
        fpe.fp_int(op, int_size, fp_size, g, v), f"{m} {r(int_size, g)}, {v.sized(fp_size)}"
    )


@case
def simd_cnt(c: Chooser) -> Sample:
    q, rd, rn = c.pick([False, True]), c.vec(), c.vec()
    t = "16b" if q else "8b"
    return Sample(fpe.simd_cnt(q, rd, rn), f"cnt {rd}.{t}, {rn}.{t}")


ARRANGEMENTS = {
    (8, False): "8b",
    (8, True): "16b",
    (16, False): "4h",
    (16, True): "8h",
    (32, True): "4s",
}


@case
def simd_addv(c: Chooser) -> Sample:
    (esize, q), rd, rn = c.pick(list(ARRANGEMENTS)), c.vec(), c.vec()
    text = f"addv {rd.sized(esize)}, {rn}.{ARRANGEMENTS[esize, q]}"
    return Sample(fpe.simd_addv(q, esize, rd, rn), text)


@case
def simd_uaddlv(c: Chooser) -> Sample:
    (esize, q), rd, rn = c.pick(list(ARRANGEMENTS)), c.vec(), c.vec()
    text = f"uaddlv {rd.sized(2 * esize)}, {rn}.{ARRANGEMENTS[esize, q]}"
    return Sample(fpe.simd_uaddlv(q, esize, rd, rn), text)


@case
def vec_mov(c: Chooser) -> Sample:
    rd, rn = c.vec(), c.vec()
    return Sample(fpe.vec_mov(rd, rn), f"mov {rd}.16b, {rn}.16b")


@case
def vec_zero(c: Chooser) -> Sample:
    rd = c.vec()
    return Sample(fpe.vec_zero(rd), f"movi {rd}.2d, #0000000000000000")


@case
def vec_ins_x(c: Chooser) -> Sample:
    rd, lane, rn = c.vec(), c.pick([0, 1]), c.gpr()
    return Sample(fpe.vec_ins_x(rd, lane, rn), f"mov {rd}.d[{lane}], {r(64, rn)}")
