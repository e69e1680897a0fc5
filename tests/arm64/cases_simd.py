"""Cases of ``wazaot.arm64.encoding_simd``, the Advanced SIMD classes: their integer
members by raw fields, the floating-point and bitwise ones by their enums (see
``cases.py``)."""

from __future__ import annotations

from wazaot.arm64 import encoding_simd as simd
from wazaot.arm64.encoding_simd import AcrossOp, DiffOp, MiscOp, SameOp, ShiftOp

from .cases import Chooser, Sample, registry

CASES, case = registry()

ARRANGEMENT = {(0, False): "8b", (0, True): "16b", (1, False): "4h", (1, True): "8h",
               (2, False): "2s", (2, True): "4s", (3, True): "2d"}  # fmt: skip


def arrangement(c: Chooser, sizes: tuple[int, ...] = (0, 1, 2, 3)) -> tuple[int, bool, str]:
    """A lane size of ``sizes`` and a register width (no ``.1d``), and its suffix."""
    size = c.pick(sizes)
    q = True if size == 3 else c.pick([False, True])
    return size, q, ARRANGEMENT[size, q]


SUFFIX = {8: "b", 16: "h", 32: "s", 64: "d"}


def arr(q: bool, esize: int) -> str:
    """The arrangement of ``q`` and ``esize``: ``16b``, ``4s``, ``2s``..."""
    return f"{(128 if q else 64) // esize}{SUFFIX[esize]}"


def shape(c: Chooser, sizes: tuple[int, ...] = (8, 16, 32, 64)) -> tuple[bool, int]:
    """A lane width of ``sizes`` and a register width that has it (no ``1d``)."""
    esize = c.pick(sizes)
    return (True if esize == 64 else c.pick([False, True])), esize


def mnemonic(op: object) -> str:
    return op.name.rstrip("0_")  # type: ignore[attr-defined]


# Lane sizes each operation has (the others are reserved or another instruction).
SAME_SIZES = {SameOp.urhadd: (0, 1, 2), SameOp.smax: (0, 1, 2), SameOp.umax: (0, 1, 2),
              SameOp.smin: (0, 1, 2), SameOp.umin: (0, 1, 2), SameOp.mul: (0, 1, 2),
              SameOp.sqrdmulh: (1, 2)}  # fmt: skip


@case
def simd_three_same(c: Chooser) -> Sample:
    op = c.pick(list(SameOp))
    size, q, t = arrangement(c, SAME_SIZES.get(op, (0, 1, 2, 3)))
    rd, rn, rm = c.vec(), c.vec(), c.vec()
    word = simd.simd_three_same(op.u, size, op.opcode, q, rd, rn, rm)
    return Sample(word, f"{op.name} {rd}.{t}, {rn}.{t}, {rm}.{t}")


@case
def simd_three_diff(c: Chooser) -> Sample:
    op, size, q = c.pick(list(DiffOp)), c.pick([0, 1, 2]), c.pick([False, True])
    rd, rn, rm = c.vec(), c.vec(), c.vec()
    narrow, wide = ARRANGEMENT[size, q], ARRANGEMENT[size + 1, True]
    text = f"{op.name}{'2' if q else ''} {rd}.{wide}, {rn}.{narrow}, {rm}.{narrow}"
    return Sample(simd.simd_three_diff(op.u, size, op.opcode, q, rd, rn, rm), text)


_NARROWING = (MiscOp.xtn, MiscOp.sqxtn, MiscOp.sqxtun, MiscOp.uqxtn)


@case
def simd_two_misc(c: Chooser) -> Sample:
    op, rd, rn = c.pick(list(MiscOp)), c.vec(), c.vec()
    suffix = "2" if op in _NARROWING or op is MiscOp.shll else ""
    if op in (MiscOp.cnt, MiscOp.not_):
        size, q, t = arrangement(c, (0,))
        name = "mvn" if op is MiscOp.not_ else "cnt"
        text = f"{name} {rd}.{t}, {rn}.{t}"
    elif op in (MiscOp.saddlp, MiscOp.uaddlp):
        size, q, t = arrangement(c, (0, 1, 2))
        wide = "1d" if (size, q) == (2, False) else ARRANGEMENT[size + 1, q]
        text = f"{op.name} {rd}.{wide}, {rn}.{t}"
    elif op in _NARROWING:
        size, q, t = arrangement(c, (0, 1, 2))
        text = f"{op.name}{suffix if q else ''} {rd}.{t}, {rn}.{ARRANGEMENT[size + 1, True]}"
    elif op is MiscOp.shll:
        size, q, t = arrangement(c, (0, 1, 2))
        shift = 8 << size
        text = f"shll{suffix if q else ''} {rd}.{ARRANGEMENT[size + 1, True]}, {rn}.{t}, #{shift}"
    elif op is MiscOp.rev64:
        size, q, t = arrangement(c, (0, 1, 2))
        text = f"rev64 {rd}.{t}, {rn}.{t}"
    else:
        size, q, t = arrangement(c)
        zero = ", #0" if op.name.endswith("0") else ""
        text = f"{mnemonic(op)} {rd}.{t}, {rn}.{t}{zero}"
    return Sample(simd.simd_two_misc(op.u, size, op.opcode, q, rd, rn), text)


@case
def simd_shift_imm(c: Chooser) -> Sample:
    op, rd, rn = c.pick(list(ShiftOp)), c.vec(), c.vec()
    if op in (ShiftOp.shrn, ShiftOp.sqshrn, ShiftOp.sshll, ShiftOp.ushll):
        size, q, t = arrangement(c, (0, 1, 2))
        esize, wide = 8 << size, ARRANGEMENT[size + 1, True]
        two = "2" if q else ""
        if op in (ShiftOp.shrn, ShiftOp.sqshrn):
            shift = c.edgy(1, esize)
            text = f"{op.name}{two} {rd}.{t}, {rn}.{wide}, #{shift}"
        else:
            shift = c.edgy(0, esize - 1)
            # capstone does not print the aliases sxtl/uxtl of shift 0
            text = f"{op.name}{two} {rd}.{wide}, {rn}.{t}, #{shift}"
    else:
        size, q, t = arrangement(c)
        esize = 8 << size
        shift = c.edgy(0, esize - 1) if op is ShiftOp.shl else c.edgy(1, esize)
        text = f"{op.name} {rd}.{t}, {rn}.{t}, #{shift}"
    return Sample(simd.simd_shift_imm(op.u, op.opcode, q, esize, shift, rd, rn), text)


@case
def simd_across(c: Chooser) -> Sample:
    op, rd, rn = c.pick(list(AcrossOp)), c.vec(), c.vec()
    size = c.pick([0, 1, 2])
    q = True if size == 2 else c.pick([False, True])
    long = op in (AcrossOp.saddlv, AcrossOp.uaddlv)
    scalar = rd.sized((8 << size) * (2 if long else 1))
    text = f"{op.name} {scalar}, {rn}.{ARRANGEMENT[size, q]}"
    return Sample(simd.simd_across(op.u, size, op.opcode, q, rd, rn), text)


@case
def simd_scalar_pairwise(c: Chooser) -> Sample:
    rd, rn = c.vec(), c.vec()
    return Sample(
        simd.simd_scalar_pairwise(False, 3, 0b11011, rd, rn), f"addp {rd.sized(64)}, {rn}.2d"
    )


@case
def simd_modified_imm(c: Chooser) -> Sample:
    rd, imm8, q = c.vec(), c.edgy(0, 255, [1, 128]), c.pick([False, True])
    form = c.pick(["movi8", "movi32", "mvni32", "movi64"])
    if form == "movi8":
        word = simd.simd_modified_imm(False, 0b1110, q, imm8, rd)
        text = f"movi {rd}.{'16b' if q else '8b'}, #{imm8}"
    elif form == "movi64":
        value = sum(0xFF << (8 * i) for i in range(8) if imm8 >> i & 1)
        word = simd.simd_modified_imm(True, 0b1110, True, imm8, rd)
        text = f"movi {rd}.2d, #{value:#x}"
    else:
        shift = c.pick([0, 8, 16, 24])
        name = "movi" if form == "movi32" else "mvni"
        word = simd.simd_modified_imm(form == "mvni32", shift // 4, q, imm8, rd)
        lsl = f", lsl #{shift}" if shift else ""
        text = f"{name} {rd}.{'4s' if q else '2s'}, #{imm8}{lsl}"
    return Sample(word, text)


# -- the floating-point and bitwise members ------------------------------------------


@case
def vec_fp3(c: Chooser) -> Sample:
    op, (q, esize) = c.pick(list(simd.VecFpOp2)), shape(c, (32, 64))
    rd, rn, rm = c.vec(), c.vec(), c.vec()
    t = arr(q, esize)
    text = f"{op.name} {rd}.{t}, {rn}.{t}, {rm}.{t}"
    return Sample(simd.vec_fp3(op, q, esize, rd, rn, rm), text)


@case
def vec_logic(c: Chooser) -> Sample:
    op, q = c.pick(list(simd.VecLogicOp)), c.pick([False, True])
    rd, rn, rm = c.vec(), c.vec(), c.vec()
    t = arr(q, 8)
    name = op.name.rstrip("_")
    if op is simd.VecLogicOp.orr and rn is rm:
        text = f"mov {rd}.{t}, {rn}.{t}"
    else:
        text = f"{name} {rd}.{t}, {rn}.{t}, {rm}.{t}"
    return Sample(simd.vec_logic(op, q, rd, rn, rm), text)


@case
def vec_fp1(c: Chooser) -> Sample:
    op, (q, esize), rd, rn = c.pick(list(simd.VecFpOp1)), shape(c, (32, 64)), c.vec(), c.vec()
    t = arr(q, esize)
    zero = ", #0.0" if op.name.endswith("0") else ""
    text = f"{op.mnemonic} {rd}.{t}, {rn}.{t}{zero}"
    return Sample(simd.vec_fp1(op, q, esize, rd, rn), text)


@case
def vec_fcvtn(c: Chooser) -> Sample:
    esize, upper, rd, rn = c.pick([16, 32]), c.pick([False, True]), c.vec(), c.vec()
    text = f"fcvtn{'2' if upper else ''} {rd}.{arr(upper, esize)}, {rn}.{arr(True, 2 * esize)}"
    return Sample(simd.vec_fcvtn(esize, rd, rn, upper), text)


@case
def vec_fcvtl(c: Chooser) -> Sample:
    esize, upper, rd, rn = c.pick([32, 64]), c.pick([False, True]), c.vec(), c.vec()
    text = f"fcvtl{'2' if upper else ''} {rd}.{arr(True, esize)}, {rn}.{arr(upper, esize // 2)}"
    return Sample(simd.vec_fcvtl(esize, rd, rn, upper), text)
