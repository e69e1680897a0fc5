"""Tests of the arm64 immediates (wazaot.arm64.imms), registers and condition codes.

Each ``try_from`` is checked against a reference definition written independently here:
the bitmask immediates against every encoding decoded by the Arm ARM's DecodeBitMasks,
the FMOV immediates against VFPExpandImm's bit construction, the others against the
range and alignment rules of their fields; the shortest move-wide sequence by running it.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wazaot.arm64.args import Cond, Extend
from wazaot.arm64.imms import (
    AdrOffset,
    AdrpOffset,
    BranchOffset14,
    BranchOffset19,
    BranchOffset26,
    FpImm8,
    Imm12,
    LogicalImm,
    MoveWide,
    MoveWideOp,
    SImm7Scaled,
    SImm9,
    UImm12Scaled,
    mov_sequence,
)
from wazaot.arm64.regs import GPRS, VECS, Gpr, Vec, sp, x0, x29, x30, xzr

# --------------------------------------------------------------------------------------
# Bitmask immediates


def decode_bit_masks(n: int, imms: int, immr: int, size: int) -> int | None:
    """DecodeBitMasks(N, imms, immr, immediate=TRUE) of the Arm ARM's shared pseudocode,
    on bit strings; None where the encoding is reserved."""
    combined = f"{n}{imms ^ 0x3F:06b}"  # N:NOT(imms)
    if "1" not in combined:
        return None
    length = 6 - combined.index("1")  # HighestSetBit
    if length < 1 or (1 << length) > size:
        return None
    levels = (1 << length) - 1
    s, r = imms & levels, immr & levels
    if s == levels:
        return None  # all ones is reserved for the immediate forms
    esize = 1 << length
    welem = "0" * (esize - s - 1) + "1" * (s + 1)
    rotated = welem[-r:] + welem[:-r] if r else welem  # ROR by r
    return int(rotated * (size // esize), 2)


def all_bitmasks(size: int) -> dict[int, set[tuple[int, int, int]]]:
    values: dict[int, set[tuple[int, int, int]]] = {}
    for n in (0, 1) if size == 64 else (0,):
        for immr in range(64):
            for imms in range(64):
                value = decode_bit_masks(n, imms, immr, size)
                if value is not None:
                    values.setdefault(value, set()).add((n, immr, imms))
    return values


BITMASKS = {size: all_bitmasks(size) for size in (32, 64)}


def test_bitmask_count() -> None:
    # 5334 distinct 64-bit values and 1302 32-bit ones (the figures LLVM and others cite).
    assert (len(BITMASKS[64]), len(BITMASKS[32])) == (5334, 1302)


@pytest.mark.parametrize("size", [32, 64])
def test_every_bitmask_is_found_and_round_trips(size: int) -> None:
    for value, encodings in BITMASKS[size].items():
        imm = LogicalImm.try_from(value, size)
        assert imm is not None, hex(value)
        assert (imm.n, imm.immr, imm.imms) in encodings
        assert imm.value == value


def chunky(bits: int) -> st.SearchStrategy[int]:
    """Values made of 16-bit chunks that are often 0 or 0xffff."""
    chunk = st.one_of(st.sampled_from([0, 0xFFFF, 1, 0x8000]), st.integers(0, 0xFFFF))
    return st.lists(chunk, min_size=bits // 16, max_size=bits // 16).map(
        lambda cs: sum(c << (16 * i) for i, c in enumerate(cs))
    )


@settings(max_examples=400, deadline=None)
@given(size=st.sampled_from([32, 64]), data=st.data())
def test_try_from_is_none_exactly_for_non_bitmasks(size: int, data: st.DataObject) -> None:
    value = data.draw(st.one_of(st.integers(0, (1 << size) - 1), chunky(size)))
    imm = LogicalImm.try_from(value, size)
    assert (imm is not None) == (value in BITMASKS[size])
    # A negative int is taken modulo 2**size.
    assert LogicalImm.try_from(value - (1 << size), size) == imm


# --------------------------------------------------------------------------------------
# Arithmetic and move-wide immediates


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(-10, 1 << 25), st.integers(0, 4095).map(lambda v: v << 12)))
def test_imm12(value: int) -> None:
    imm = Imm12.try_from(value)
    fits = 0 <= value < 4096 or (value % 4096 == 0 and 0 <= value < 1 << 24)
    assert (imm is not None) == fits
    if imm is not None:
        assert imm.value == value and imm.shift12 == (value >= 4096)


@settings(max_examples=300, deadline=None)
@given(size=st.sampled_from([32, 64]), data=st.data())
def test_move_wide(size: int, data: st.DataObject) -> None:
    value = data.draw(st.one_of(chunky(size), st.integers(-1, 1 << size)))
    imm = MoveWide.try_from(value, size)
    fits = any(value == (value & (0xFFFF << s)) and value >= 0 for s in range(0, size, 16))
    assert (imm is not None) == (fits and value < 1 << size)
    if imm is not None:
        assert imm.value == value and imm.shift < size


def run(steps: tuple, size: int) -> int:
    """What the sequence leaves in the register (MOVZ/MOVN/MOVK semantics)."""
    mask = (1 << size) - 1
    reg = None
    for step in steps:
        imm, shift = step.imm.imm16, step.imm.shift
        if step.op is MoveWideOp.movz:
            reg = imm << shift
        elif step.op is MoveWideOp.movn:
            reg = ~(imm << shift) & mask
        else:
            assert reg is not None, "movk first"
            reg = reg & ~(0xFFFF << shift) | imm << shift
    assert reg is not None
    return reg


@settings(max_examples=400, deadline=None)
@given(size=st.sampled_from([32, 64]), data=st.data())
def test_mov_sequence_is_right_and_shortest(size: int, data: st.DataObject) -> None:
    value = data.draw(st.one_of(chunky(size), st.integers(-(1 << 63), (1 << size) - 1)))
    steps = mov_sequence(value, size)
    assert run(steps, size) == value % (1 << size)
    assert all(s.op is MoveWideOp.movk for s in steps[1:]) and all(
        s.imm.shift < size for s in steps
    )
    chunks = [(value >> s) & 0xFFFF for s in range(0, size, 16)]
    assert len(steps) == max(1, min(sum(c != 0 for c in chunks), sum(c != 0xFFFF for c in chunks)))


def test_mov_sequence_examples() -> None:
    assert [s.op for s in mov_sequence(0, 64)] == [MoveWideOp.movz]
    assert [s.op for s in mov_sequence(-1, 64)] == [MoveWideOp.movn]
    assert [s.op for s in mov_sequence(0xFFFF_FFFF, 32)] == [MoveWideOp.movn]
    assert len(mov_sequence(0x1234_5678_9ABC_DEF0, 64)) == 4
    assert [(s.op, s.imm) for s in mov_sequence(-0x10001, 64)] == [
        (MoveWideOp.movn, MoveWide(1, 16)),
    ]
    assert [(s.op, s.imm) for s in mov_sequence(-0x10002, 64)] == [
        (MoveWideOp.movn, MoveWide(1, 0)),
        (MoveWideOp.movk, MoveWide(0xFFFE, 16)),
    ]


# --------------------------------------------------------------------------------------
# Load/store and PC-relative offsets


@settings(max_examples=300, deadline=None)
@given(value=st.integers(-100, 70000), scale=st.sampled_from([1, 2, 4, 8, 16]))
def test_uimm12_scaled(value: int, scale: int) -> None:
    imm = UImm12Scaled.try_from(value, scale)
    assert (imm is not None) == (value >= 0 and value % scale == 0 and value <= 4095 * scale)
    if imm is not None:
        assert imm.bits * scale == value and 0 <= imm.bits < 4096


@settings(max_examples=200, deadline=None)
@given(st.integers(-300, 300))
def test_simm9(value: int) -> None:
    imm = SImm9.try_from(value)
    assert (imm is not None) == (-256 <= value <= 255)
    if imm is not None:
        assert imm.bits - (imm.bits >> 8 << 9) == value


@settings(max_examples=300, deadline=None)
@given(value=st.integers(-1100, 1100), scale=st.sampled_from([4, 8, 16]))
def test_simm7_scaled(value: int, scale: int) -> None:
    imm = SImm7Scaled.try_from(value, scale)
    assert (imm is not None) == (value % scale == 0 and -64 * scale <= value <= 63 * scale)
    if imm is not None:
        assert (imm.bits - (imm.bits >> 6 << 7)) * scale == value


PC_RELS = [(BranchOffset26, 26, 4), (BranchOffset19, 19, 4), (BranchOffset14, 14, 4),
           (AdrOffset, 21, 1), (AdrpOffset, 21, 4096)]  # fmt: skip


@pytest.mark.parametrize("cls, bits, scale", PC_RELS, ids=[c.__name__ for c, _, _ in PC_RELS])
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_pc_relative_offsets(cls: Any, bits: int, scale: int, data: st.DataObject) -> None:
    lo, hi = -(scale << (bits - 1)), (scale << (bits - 1)) - scale  # the range's ends
    edges = [lo, hi, lo - scale, hi + scale, 0, scale, -scale, 1, -1, 2]
    value = data.draw(st.one_of(st.sampled_from(edges), st.integers(2 * lo, 2 * hi)))
    imm = cls.try_from(value)
    assert (imm is not None) == (lo <= value <= hi and value % scale == 0)
    if imm is not None:
        field = imm.bits
        assert 0 <= field < 1 << bits
        assert (field - (field >> (bits - 1) << bits)) * scale == value


# --------------------------------------------------------------------------------------
# FMOV immediates


def vfp_expand_imm(imm8: int, size: int) -> float:
    """VFPExpandImm as bit strings: sign a, exponent NOT(b):Replicate(b, E-3):cd,
    fraction efgh:Zeros."""
    bits = f"{imm8:08b}"
    a, b, cd, efgh = bits[0], bits[1], bits[2:4], bits[4:]
    exp_bits, frac_bits = (8, 23) if size == 32 else (11, 52)
    nb = "1" if b == "0" else "0"
    word = a + nb + b * (exp_bits - 3) + cd + efgh + "0" * (frac_bits - 4)
    fmt = ("<I", "<f") if size == 32 else ("<Q", "<d")
    return float(struct.unpack(fmt[1], struct.pack(fmt[0], int(word, 2)))[0])


def test_every_fp_imm8() -> None:
    for imm8 in range(256):
        value = vfp_expand_imm(imm8, 64)
        assert vfp_expand_imm(imm8, 32) == value  # exact in both widths
        imm = FpImm8.try_from(value)
        assert imm == FpImm8(imm8) and imm.value == value
        assert imm.as_bits(64) == struct.unpack("<Q", struct.pack("<d", value))[0]
    assert sorted({abs(vfp_expand_imm(i, 64)) for i in range(256)})[::127] == [0.125, 31.0]


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_fp_imm8_refuses_the_rest(value: float) -> None:
    expected = {vfp_expand_imm(i, 64) for i in range(256)}
    assert (FpImm8.try_from(value) is not None) == (value in expected)
    for special in (0.0, -0.0, math.inf, math.nan, 0.1, 32.0, 0.0625):
        assert FpImm8.try_from(special) is None


# --------------------------------------------------------------------------------------
# Registers and conditions


def test_register_names() -> None:
    assert [g.sized(32) for g in (x0, x29, x30, sp, xzr)] == ["w0", "w29", "w30", "wsp", "wzr"]
    assert [g.sized(64) for g in (x0, sp, xzr)] == ["x0", "sp", "xzr"]
    assert [VECS[3].sized(s) for s in (8, 16, 32, 64, 128)] == ["b3", "h3", "s3", "d3", "q3"]
    assert sp != xzr and sp.num == xzr.num == 31 and len(GPRS) == 31
    assert (sp.sp_field, xzr.zr_field, x0.sp_field, x0.zr_field) == (31, 31, 0, 0)
    for bad in (lambda: Gpr(31, "x31"), lambda: Gpr(32, "x32"), lambda: Vec(32, "v32"),
                lambda: x0.sized(16), lambda: VECS[0].sized(256)):  # fmt: skip
        with pytest.raises(ValueError):
            bad()
    with pytest.raises(AssertionError):
        _ = sp.zr_field
    with pytest.raises(AssertionError):
        _ = xzr.sp_field


def test_cond_invert() -> None:
    pairs = {"eq": "ne", "hs": "lo", "mi": "pl", "vs": "vc", "hi": "ls", "ge": "lt", "gt": "le"}
    for cond in list(Cond)[:14]:
        assert cond.invert().invert() is cond
        assert {cond.name, cond.invert().name} in [{k, v} for k, v in pairs.items()]
    for cond in (Cond.al, Cond.nv):
        with pytest.raises(ValueError):
            cond.invert()


def test_extend_register_widths() -> None:
    assert [e.name for e in Extend if e.rm_size == 64] == ["uxtx", "sxtx"]
