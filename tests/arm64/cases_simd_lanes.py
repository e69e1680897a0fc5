"""Cases of ``wazaot.arm64.encoding_simd_lanes`` (see ``cases.py``)."""

from __future__ import annotations

from wazaot.arm64 import encoding_simd_lanes as sl
from wazaot.arm64.regs import VECS, Vec

from .cases import Chooser, Sample, r, registry
from .cases_simd import SUFFIX, arr, shape

CASES, case = registry()


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
