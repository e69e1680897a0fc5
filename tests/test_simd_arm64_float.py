"""The float, lane, shuffle and bitwise SIMD instructions as arm64 implements them
(``wazaot/arm64/simd_float.py``).

* On any host: which instruction each shape of ``i8x16.shuffle`` becomes (DUP, EXT,
  ZIP/UZP/TRN, MOV+INS, or TBL of one or two registers).
* Executed on the host's backend (arm64 under ``scripts/arm64-root``; skipped where the
  backend lacks an instruction): every shuffle shape against a reference, the lane
  moves of every shape and lane, pmin/pmax and bitselect with operands that share
  registers, and the NaN canonicalization of ``RuntimeConfig(canonicalize_nans=True)``.

The modules are built byte by byte (``tests/spec/wasmgen.py``), so no text assembler
is needed on the emulated host.
"""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Callable, Sequence
from typing import Any

import capstone
import pytest
from spec import wasmgen as w

import wazaot
from wazaot.arm64 import simd_float
from wazaot.arm64.regs import v0, v2, v5, v7
from wazaot.arm64.sequences import FarAssembler
from wazaot.engine.isas import host_arch
from wazaot.errors import UnsupportedError
from wazaot.machinst.pseudo import CANONICAL_NAN
from wazaot.wasm.opcodes import NAMES, PREFIX_FD

CS = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
OPCODES = {name: code for code, name in NAMES.items()}
M64, M128 = (1 << 64) - 1, (1 << 128) - 1

# Two operands whose bytes all differ: a's byte i is 0x10 + i, b's is 0xa0 + i.
A = int.from_bytes(bytes(range(0x10, 0x20)), "little")
B = int.from_bytes(bytes(range(0xA0, 0xB0)), "little")


def simd(name: str, *imm: int) -> bytes:
    """The SIMD instruction ``name`` with immediate bytes ``imm`` (lane, shuffle)."""
    return b"\xfd" + w.uleb(OPCODES[name] - PREFIX_FD) + bytes(imm)


def get(i: int) -> bytes:
    return b"\x20" + w.uleb(i)


Func = tuple[str, Sequence[int], Sequence[int], bytes]
"""(export name, param types, result types, body without ``end``)."""


def export(name: str, index: int) -> bytes:
    return w.name(name) + bytes([w.FUNC_KIND]) + w.uleb(index)


def build(funcs: Sequence[Func]) -> bytes:
    return w.module(
        w.section(w.TYPE, w.vec(w.func_type(p, r) for _, p, r, _ in funcs)),
        w.section(w.FUNCTION, w.vec(w.uleb(i) for i in range(len(funcs)))),
        w.section(w.EXPORT, w.vec(export(n, i) for i, (n, _, _, _) in enumerate(funcs))),
        w.section(w.CODE, w.vec(w.code(body + w.END) for _, _, _, body in funcs)),
    )


def instantiate(funcs: Sequence[Func], **config: Any) -> Any:
    """The instance of ``funcs`` on the host's backend (the test skipped if it lacks
    one of the instructions)."""
    if host_arch() is None:
        pytest.skip("runs native code")
    rt = wazaot.Runtime(wazaot.RuntimeConfig(**config))
    try:
        return rt.instantiate(rt.compile(build(funcs)))
    except UnsupportedError as e:
        pytest.skip(f"the {host_arch()} backend lacks an instruction: {e}")


def call(inst: Any, name: str, *args: int) -> int:
    (result,) = inst.exported_function(name).call(*args)
    return int(result)


# -- shuffles ----------------------------------------------------------------------------


def lanes_of(esize: int, indices: Sequence[int]) -> tuple[int, ...]:
    """The byte indices moving the ``esize``-bit lanes ``indices`` of a:b."""
    width = esize // 8
    return tuple(width * i + k for i in indices for k in range(width))


def rotation(start: int, modulo: int, base: int = 0) -> tuple[int, ...]:
    return tuple(base + (start + k) % modulo for k in range(16))


SHAPES: dict[str, tuple[int, ...]] = {
    "mov a": tuple(range(16)),
    "mov b": tuple(range(16, 32)),
    "dup d b": lanes_of(64, [3, 3]),
    "dup s a": lanes_of(32, [1] * 4),
    "dup h b": lanes_of(16, [13] * 8),
    "dup b a": (15,) * 16,
    "zip1 d a b": lanes_of(64, [0, 2]),
    "zip2 d b a": lanes_of(64, [3, 1]),
    "zip1 s a b": lanes_of(32, [0, 4, 1, 5]),
    "zip2 h b a": lanes_of(16, [12, 4, 13, 5, 14, 6, 15, 7]),
    "zip1 b a a": tuple(k // 2 for k in range(16)),
    "uzp1 s a b": lanes_of(32, [0, 2, 4, 6]),
    "uzp2 h b b": lanes_of(16, [9, 11, 13, 15, 9, 11, 13, 15]),
    "uzp1 b b a": tuple((16 + 2 * k) % 32 for k in range(16)),
    "trn1 s b a": lanes_of(32, [4, 0, 6, 2]),
    "trn2 b a b": tuple(k + 1 if k % 2 == 0 else 16 + k for k in range(16)),
    "ext a b 3": rotation(3, 32),
    "ext b a 9": rotation(25, 32),
    "ext a a 15": rotation(15, 16),
    "ext b b 1": rotation(1, 16, 16),
    "ins s b+a": lanes_of(32, [4, 5, 0, 7]),
    "ins d a+b": lanes_of(64, [0, 3]),
    "ins b a+a": (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0),
    "tbl a": (5, 0, 15, 3, 9, 1, 1, 12, 4, 8, 2, 6, 7, 11, 10, 13),
    "tbl b": (21, 16, 31, 19, 25, 17, 17, 28, 20, 24, 18, 22, 23, 27, 26, 29),
    "tbl a b": (0, 17, 2, 19, 4, 21, 6, 23, 8, 25, 10, 27, 12, 29, 14, 31),
    "tbl b a": (31, 0, 30, 1, 29, 2, 28, 3, 27, 4, 26, 5, 25, 6, 24, 7),
}
"""Shuffles of every shape ``_plan_shuffle`` knows, named by the instruction expected."""


class Fake:
    """Enough of an emitter for the shuffle plans: an assembler."""

    def __init__(self) -> None:
        self.asm = FarAssembler()


def listing(lanes: Sequence[int]) -> list[str]:
    """The instructions arm64 emits for a shuffle of ``lanes`` (dst v2, a v0, b v5; a
    TBL's index vector, a constant made by the lowering, in v7)."""
    e = Fake()
    plan = simd_float._plan_shuffle(lanes)
    if plan is None:
        simd_float._table_lookup(e, v2, v0, v5, v7, lanes)  # type: ignore[arg-type]
    else:
        plan(e, v2, v0, v5)  # type: ignore[arg-type]
    return [f"{i.mnemonic} {i.op_str}" for i in CS.disasm(e.asm.finish(), 0)]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_each_shuffle_shape_becomes_its_instruction(shape: str) -> None:
    expected = shape.split()[0]
    got = listing(SHAPES[shape])
    if expected == "mov":
        assert got == [f"mov v2.16b, v{0 if shape == 'mov a' else 5}.16b"]
    elif expected == "ins":
        assert len(got) == 2 and got[0].startswith("mov v2.16b") and "], v" in got[1]
    elif expected == "tbl":
        table = {"tbl a": "{v0.16b}", "tbl b": "{v5.16b}"}.get(shape, "{v30.16b, v31.16b}")
        assert got[-1] == f"tbl v2.16b, {table}, v7.16b"
        indices = int.from_bytes(bytes(i % 16 if len(table) < 10 else i for i in SHAPES[shape]),
                                 "little")  # fmt: skip
        assert simd_float._shuffle_consts("i8x16.shuffle", SHAPES[shape]) == (indices,)
        copies = [t for t in got if t.startswith("mov v3")]
        assert copies == ([] if len(table) < 10 else ["mov v30.16b, v0.16b", "mov v31.16b, v5.16b"])
    else:
        assert [t.split()[0] for t in got] == [expected]


def test_a_table_of_one_value_twice_reads_it_twice() -> None:
    e = Fake()
    simd_float._table_lookup(e, v2, v0, v0, v7, SHAPES["tbl b a"])  # type: ignore[arg-type]
    text = [f"{i.mnemonic} {i.op_str}" for i in CS.disasm(e.asm.finish(), 0)]
    assert text == ["mov v30.16b, v0.16b", "mov v31.16b, v0.16b",
                    "tbl v2.16b, {v30.16b, v31.16b}, v7.16b"]  # fmt: skip


def reference_shuffle(lanes: Sequence[int], a: int, b: int) -> int:
    both = a.to_bytes(16, "little") + b.to_bytes(16, "little")
    return int.from_bytes(bytes(both[i] for i in lanes), "little")


def random_shuffles(n: int) -> list[tuple[int, ...]]:
    rng = random.Random(11)
    return [tuple(rng.randrange(32) for _ in range(16)) for _ in range(n)]


def test_shuffles_move_the_right_bytes() -> None:
    V = w.V128
    cases = list(SHAPES.values()) + random_shuffles(12)
    funcs: list[Func] = []
    for k, lanes in enumerate(cases):
        funcs.append((f"s{k}", [V, V], [V], get(0) + get(1) + simd("i8x16.shuffle", *lanes)))
        # The same value twice (one register for a and b), and b before a.
        funcs.append((f"t{k}", [V], [V], get(0) + get(0) + simd("i8x16.shuffle", *lanes)))
        funcs.append((f"u{k}", [V, V], [V], get(1) + get(0) + simd("i8x16.shuffle", *lanes)))
    inst = instantiate(funcs)
    for k, lanes in enumerate(cases):
        assert call(inst, f"s{k}", A, B) == reference_shuffle(lanes, A, B), lanes
        assert call(inst, f"t{k}", A) == reference_shuffle(lanes, A, A), lanes
        assert call(inst, f"u{k}", A, B) == reference_shuffle(lanes, B, A), lanes


def test_swizzle_gives_zero_past_15() -> None:
    V = w.V128
    inst = instantiate([("sw", [V, V], [V], get(0) + get(1) + simd("i8x16.swizzle"))])
    indices = bytes([0, 15, 16, 255, 7, 128, 31, 1, 3, 3, 17, 14, 200, 9, 8, 0x80])
    expected = bytes(0x10 + i if i < 16 else 0 for i in indices)
    swizzled = call(inst, "sw", A, int.from_bytes(indices, "little"))
    assert swizzled == int.from_bytes(expected, "little")


# -- lanes -------------------------------------------------------------------------------

LANE_SHAPES = {"i8x16": (8, w.I32), "i16x8": (16, w.I32), "i32x4": (32, w.I32),
               "i64x2": (64, w.I64), "f32x4": (32, w.F32), "f64x2": (64, w.F64)}  # fmt: skip


def lane(value: int, esize: int, i: int) -> int:
    return value >> (esize * i) & ((1 << esize) - 1)


def test_splat_extract_and_replace_every_lane() -> None:
    V = w.V128
    funcs: list[Func] = []
    for shape, (esize, t) in LANE_SHAPES.items():
        funcs.append((f"{shape}.splat", [t], [V], get(0) + simd(f"{shape}.splat")))
        for i in range(128 // esize):
            extracts = ["_s", "_u"] if esize < 32 else [""]
            for sign in extracts:
                name = f"{shape}.extract_lane{sign}"
                funcs.append((f"{name} {i}", [V], [t], get(0) + simd(name, i)))
            name = f"{shape}.replace_lane"
            funcs.append((f"{name} {i}", [V, t], [V], get(0) + get(1) + simd(name, i)))
            # The scalar first in the parameters: its register may be dst's.
            funcs.append((f"{name} {i} r", [t, V], [V], get(1) + get(0) + simd(name, i)))
    inst = instantiate(funcs)
    for shape, (esize, _) in LANE_SHAPES.items():
        mask = (1 << esize) - 1
        scalar = 0x8F7E6D5C4B3A2918 & mask
        assert call(inst, f"{shape}.splat", scalar) == sum(scalar << (esize * i)
                                                           for i in range(128 // esize))  # fmt: skip
        for i in range(128 // esize):
            want = lane(B, esize, i)
            if esize < 32:
                signed = want - (1 << esize) if want >> (esize - 1) else want
                assert call(inst, f"{shape}.extract_lane_s {i}", B) == signed & 0xFFFFFFFF
                assert call(inst, f"{shape}.extract_lane_u {i}", B) == want
            else:
                assert call(inst, f"{shape}.extract_lane {i}", B) == want
            replaced = B & ~(mask << (esize * i)) & M128 | scalar << (esize * i)
            assert call(inst, f"{shape}.replace_lane {i}", B, scalar) == replaced
            assert call(inst, f"{shape}.replace_lane {i} r", scalar, B) == replaced


# -- float lanes -------------------------------------------------------------------------


def f32_bits(x: float) -> int:
    return int(struct.unpack("<I", struct.pack("<f", x))[0])


def f32_value(bits: int) -> float:
    return float(struct.unpack("<f", struct.pack("<I", bits))[0])


def pack32(lanes: Sequence[int]) -> int:
    return sum(v << (32 * i) for i, v in enumerate(lanes))


NAN, NEG_NAN, PAYLOAD_NAN = 0x7FC00000, 0xFFC00000, 0x7FC01234
F32_LANES = [f32_bits(x) for x in (1.5, -0.0, 0.0, -2.0, math.inf, -math.inf, 3.0)] + [
    NAN, NEG_NAN, PAYLOAD_NAN]  # fmt: skip


def pmin(a: int, b: int) -> int:
    """``b < a ? b : a`` on the bits of two f32 lanes."""
    return b if f32_value(b) < f32_value(a) else a


def pmax(a: int, b: int) -> int:
    return b if f32_value(a) < f32_value(b) else a


ARG_ORDERS = {"ab": (0, 1), "ba": (1, 0), "aa": (0, 0)}


def test_pmin_pmax_are_exactly_the_comparison() -> None:
    V = w.V128
    funcs: list[Func] = []
    for op in ("pmin", "pmax"):
        for order, (x, y) in ARG_ORDERS.items():
            funcs.append((f"{op} {order}", [V, V], [V], get(x) + get(y) + simd(f"f32x4.{op}")))
    inst = instantiate(funcs)
    pairs = [(a, b) for a in F32_LANES for b in F32_LANES]
    for k in range(0, len(pairs), 4):
        chunk = pairs[k : k + 4] + [(0, 0)] * (4 - len(pairs[k : k + 4]))
        a, b = pack32([p[0] for p in chunk]), pack32([p[1] for p in chunk])
        for op, fn in (("pmin", pmin), ("pmax", pmax)):
            assert call(inst, f"{op} ab", a, b) == pack32([fn(x, y) for x, y in chunk])
            assert call(inst, f"{op} ba", a, b) == pack32([fn(y, x) for x, y in chunk])
            assert call(inst, f"{op} aa", a, b) == pack32([fn(x, x) for x, _ in chunk])


def test_bitselect_with_shared_operands() -> None:
    V = w.V128
    orders = ["012", "002", "010", "212", "011", "000"]
    funcs: list[Func] = [
        (order, [V, V, V], [V], b"".join(get(int(c)) for c in order) + simd("v128.bitselect"))
        for order in orders
    ]
    inst = instantiate(funcs)
    args = (A, B, 0xFF00F0F0_0000FFFF_12345678_9ABCDEF0)
    for order in orders:
        x, y, c = (args[int(k)] for k in order)
        assert call(inst, order, *args) == (x & c) | (y & ~c & M128), order


def test_canonicalized_nans() -> None:
    V = w.V128
    funcs: list[Func] = [
        ("add32", [V, V], [V], get(0) + get(1) + simd("f32x4.add")),
        ("sqrt64", [V], [V], get(0) + simd("f64x2.sqrt")),
        ("max64", [V, V], [V], get(0) + get(1) + simd("f64x2.max")),
        ("neg32", [V], [V], get(0) + simd("f32x4.neg")),
    ]
    inst = instantiate(funcs, canonicalize_nans=True)
    one, c32, c64 = f32_bits(1.0), CANONICAL_NAN[32], CANONICAL_NAN[64]
    a = pack32([PAYLOAD_NAN, one, NEG_NAN, one])
    b = pack32([one, one, one, 0xFF801234])  # a negative signalling NaN in lane 3
    assert call(inst, "add32", a, b) == pack32([c32, f32_bits(2.0), c32, c32])
    minus_one, four, payload64 = 0xBFF0 << 48, 0x4010 << 48, 0x7FF8_0000_0000_0042
    assert call(inst, "sqrt64", minus_one | four << 64) == c64 | (0x4000 << 48) << 64
    assert call(inst, "max64", payload64 | four << 64, four | four << 64) == c64 | four << 64
    # What only moves bits keeps the payload (neg is not canonicalized).
    assert call(inst, "neg32", a) == a ^ pack32([1 << 31] * 4)


UNARY: dict[str, Callable[[float], float]] = {
    "ceil": math.ceil, "floor": math.floor, "trunc": math.trunc,
    "nearest": lambda x: float(round(x)),  # Python rounds halves to even, as wasm
}  # fmt: skip


def test_rounding_f32x4() -> None:
    V = w.V128
    inst = instantiate([(op, [V], [V], get(0) + simd(f"f32x4.{op}")) for op in UNARY])
    values = [0.5, 1.5, 2.5, -0.5, -1.5, -2.75, 3.25, 2.0**22 + 0.5]  # exact in f32
    for k in range(0, len(values), 4):
        chunk = values[k : k + 4]
        arg = pack32([f32_bits(x) for x in chunk])
        for op, fn in UNARY.items():
            want = [f32_bits(math.copysign(float(fn(x)), x)) for x in chunk]
            assert call(inst, op, arg) == pack32(want), (op, chunk)
