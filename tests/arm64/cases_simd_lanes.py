"""Cases of ``wazaot.arm64.encoding_simd_lanes`` (see ``cases.py``)."""

from __future__ import annotations

from wazaot.arm64 import encoding_simd_lanes as sl
from wazaot.arm64.regs import VECS, Vec

from .cases import Chooser, Sample, r, registry

CASES, case = registry()

SUFFIX = {8: "b", 16: "h", 32: "s", 64: "d"}


def arr(q: bool, esize: int) -> str:
    """The arrangement of ``q`` and ``esize``: ``16b``, ``4s``, ``2s``..."""
    return f"{(128 if q else 64) // esize}{SUFFIX[esize]}"


def shape(c: Chooser, sizes: tuple[int, ...] = (8, 16, 32, 64)) -> tuple[bool, int]:
    """A lane width of ``sizes`` and a register width that has it (no ``1d``)."""
    esize = c.pick(sizes)
    return (True if esize == 64 else c.pick([False, True])), esize


def lane(c: Chooser, esize: int) -> int:
    return c.edgy(0, 128 // esize - 1)


def at(index: int) -> str:
    """A lane index as capstone prints it (hexadecimal from 10)."""
    return f"[{index:#x}]" if index > 9 else f"[{index}]"


def following(reg: Vec, k: int) -> Vec:
    return VECS[(reg.num + k) % 32]


# -- copy --------------------------------------------------------------------------------


@case
def vec_dup_element(c: Chooser) -> Sample:
    (q, esize), rd, rn = shape(c), c.vec(), c.vec()
    i = lane(c, esize)
    text = f"dup {rd}.{arr(q, esize)}, {rn}.{SUFFIX[esize]}{at(i)}"
    return Sample(sl.vec_dup_element(q, esize, rd, rn, i), text)


@case
def vec_dup_gpr(c: Chooser) -> Sample:
    (q, esize), rd, rn = shape(c), c.vec(), c.gpr()
    text = f"dup {rd}.{arr(q, esize)}, {r(64 if esize == 64 else 32, rn)}"
    return Sample(sl.vec_dup_gpr(q, esize, rd, rn), text)


@case
def vec_ins_gpr(c: Chooser) -> Sample:
    esize, rd, rn = c.pick([8, 16, 32, 64]), c.vec(), c.gpr()
    i = lane(c, esize)
    text = f"mov {rd}.{SUFFIX[esize]}{at(i)}, {r(64 if esize == 64 else 32, rn)}"
    return Sample(sl.vec_ins_gpr(esize, rd, i, rn), text)


@case
def vec_ins_element(c: Chooser) -> Sample:
    esize, rd, rn = c.pick([8, 16, 32, 64]), c.vec(), c.vec()
    i, j = lane(c, esize), lane(c, esize)
    s = SUFFIX[esize]
    text = f"mov {rd}.{s}{at(i)}, {rn}.{s}{at(j)}"
    return Sample(sl.vec_ins_element(esize, rd, i, rn, j), text)


@case
def vec_umov(c: Chooser) -> Sample:
    esize, rd, rn = c.pick([8, 16, 32, 64]), c.gpr(), c.vec()
    i = lane(c, esize)
    mnemonic = "mov" if esize >= 32 else "umov"  # the alias of the s and d forms
    text = f"{mnemonic} {r(64 if esize == 64 else 32, rd)}, {rn}.{SUFFIX[esize]}{at(i)}"
    return Sample(sl.vec_umov(esize, rd, rn, i), text)


@case
def vec_smov(c: Chooser) -> Sample:
    size = c.pick([32, 64])
    esize = c.pick([8, 16] if size == 32 else [8, 16, 32])
    rd, rn = c.gpr(), c.vec()
    i = lane(c, esize)
    text = f"smov {r(size, rd)}, {rn}.{SUFFIX[esize]}{at(i)}"
    return Sample(sl.vec_smov(esize, size, rd, rn, i), text)


@case
def vec_dup_scalar(c: Chooser) -> Sample:
    esize, rd, rn = c.pick([8, 16, 32, 64]), c.vec(), c.vec()
    i = lane(c, esize)
    text = f"mov {rd.sized(esize)}, {rn}.{SUFFIX[esize]}{at(i)}"
    return Sample(sl.vec_dup_scalar(esize, rd, rn, i), text)


# -- table lookup, extract, permute ------------------------------------------------------


@case
def vec_tbl(c: Chooser) -> Sample:
    q, rd, rn, rm = c.pick([False, True]), c.vec(), c.vec(), c.vec()
    length, tbx = c.integer(1, 4), c.pick([False, True])
    t = arr(q, 8)
    table = ", ".join(f"{following(rn, k)}.16b" for k in range(length))
    text = f"{'tbx' if tbx else 'tbl'} {rd}.{t}, {{{table}}}, {rm}.{t}"
    return Sample(sl.vec_tbl(q, rd, rn, length, rm, tbx), text)


@case
def vec_ext(c: Chooser) -> Sample:
    q, rd, rn, rm = c.pick([False, True]), c.vec(), c.vec(), c.vec()
    i = c.edgy(0, 15 if q else 7)
    t = arr(q, 8)
    text = f"ext {rd}.{t}, {rn}.{t}, {rm}.{t}, #{i}"
    return Sample(sl.vec_ext(q, rd, rn, rm, i), text)


@case
def vec_permute(c: Chooser) -> Sample:
    op, (q, esize), rd, rn, rm = c.pick(list(sl.PermuteOp)), shape(c), c.vec(), c.vec(), c.vec()
    t = arr(q, esize)
    text = f"{op.name} {rd}.{t}, {rn}.{t}, {rm}.{t}"
    return Sample(sl.vec_permute(op, q, esize, rd, rn, rm), text)


# -- three same, two-register miscellaneous ----------------------------------------------


@case
def vec_fp3(c: Chooser) -> Sample:
    op, (q, esize) = c.pick(list(sl.VecFpOp2)), shape(c, (32, 64))
    rd, rn, rm = c.vec(), c.vec(), c.vec()
    t = arr(q, esize)
    text = f"{op.name} {rd}.{t}, {rn}.{t}, {rm}.{t}"
    return Sample(sl.vec_fp3(op, q, esize, rd, rn, rm), text)


@case
def vec_logic(c: Chooser) -> Sample:
    op, q = c.pick(list(sl.VecLogicOp)), c.pick([False, True])
    rd, rn, rm = c.vec(), c.vec(), c.vec()
    t = arr(q, 8)
    name = op.name.rstrip("_")
    if op is sl.VecLogicOp.orr and rn is rm:
        text = f"mov {rd}.{t}, {rn}.{t}"
    else:
        text = f"{name} {rd}.{t}, {rn}.{t}, {rm}.{t}"
    return Sample(sl.vec_logic(op, q, rd, rn, rm), text)


@case
def vec_fp1(c: Chooser) -> Sample:
    op, (q, esize), rd, rn = c.pick(list(sl.VecFpOp1)), shape(c, (32, 64)), c.vec(), c.vec()
    t = arr(q, esize)
    zero = ", #0.0" if op.name.endswith("0") else ""
    text = f"{op.mnemonic} {rd}.{t}, {rn}.{t}{zero}"
    return Sample(sl.vec_fp1(op, q, esize, rd, rn), text)


@case
def vec_fcvtn(c: Chooser) -> Sample:
    esize, upper, rd, rn = c.pick([16, 32]), c.pick([False, True]), c.vec(), c.vec()
    text = f"fcvtn{'2' if upper else ''} {rd}.{arr(upper, esize)}, {rn}.{arr(True, 2 * esize)}"
    return Sample(sl.vec_fcvtn(esize, rd, rn, upper), text)


@case
def vec_fcvtl(c: Chooser) -> Sample:
    esize, upper, rd, rn = c.pick([32, 64]), c.pick([False, True]), c.vec(), c.vec()
    text = f"fcvtl{'2' if upper else ''} {rd}.{arr(True, esize)}, {rn}.{arr(upper, esize // 2)}"
    return Sample(sl.vec_fcvtl(esize, rd, rn, upper), text)


@case
def vec_not(c: Chooser) -> Sample:
    q, rd, rn = c.pick([False, True]), c.vec(), c.vec()
    t = arr(q, 8)
    return Sample(sl.vec_not(q, rd, rn), f"mvn {rd}.{t}, {rn}.{t}", f"not {rd}.{t}, {rn}.{t}")


@case
def vec_narrow(c: Chooser) -> Sample:
    op, esize, upper = c.pick(list(sl.NarrowOp)), c.pick([8, 16, 32]), c.pick([False, True])
    rd, rn = c.vec(), c.vec()
    text = f"{op.name}{'2' if upper else ''} {rd}.{arr(upper, esize)}, {rn}.{arr(True, 2 * esize)}"
    return Sample(sl.vec_narrow(op, esize, rd, rn, upper), text)


@case
def vec_shll(c: Chooser) -> Sample:
    signed, esize, upper = c.pick([False, True]), c.pick([8, 16, 32]), c.pick([False, True])
    shift, rd, rn = c.edgy(0, esize - 1, [1]), c.vec(), c.vec()
    two = "2" if upper else ""
    operands = f"{rd}.{arr(True, 2 * esize)}, {rn}.{arr(upper, esize)}"
    text = f"{'s' if signed else 'u'}shll{two} {operands}, #{shift}"  # capstone: no sxtl
    return Sample(sl.vec_shll(signed, esize, rd, rn, shift, upper), text)


@case
def vec_across(c: Chooser) -> Sample:
    op, esize = c.pick(list(sl.AcrossOp)), c.pick([8, 16, 32])
    q = True if esize == 32 else c.pick([False, True])
    rd, rn = c.vec(), c.vec()
    text = f"{op.name} {rd.sized(esize)}, {rn}.{arr(q, esize)}"
    return Sample(sl.vec_across(op, q, esize, rd, rn), text)
