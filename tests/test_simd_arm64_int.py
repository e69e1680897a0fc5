"""The integer SIMD instructions (arm64: ``wazaot/arm64/simd_int.py``) against a lane by
lane model in Python, on edge patterns and seeded random values.

The module is built here byte by byte (no ``wat2wasm`` in the emulated arm64 root), so
the tests run natively on any backend that has the instructions: under emulation
(``scripts/arm64-root -- tests/test_simd_arm64_int.py``) they check the arm64 code; on
an x86-64 host they check that backend's (an instruction it lacks yet is skipped).
Shift counts are checked both as constants (the immediate forms) and in registers.
The code of every instruction compiles for arm64 on any host and capstone decodes it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import capstone
import pytest

import wazaot
from wazaot.arm64.isa import ARM64
from wazaot.errors import UnsupportedError
from wazaot.wasm.decoder import decode_module
from wazaot.wasm.opcodes import NAMES, PREFIX_FD
from wazaot.wasm.validator import validate_module

CODES = {NAMES[c]: c - PREFIX_FD for c in NAMES if c >= PREFIX_FD}
M128 = (1 << 128) - 1
BITS = {"i8x16": 8, "i16x8": 16, "i32x4": 32, "i64x2": 64}

# -- the model --------------------------------------------------------------------------


def lanes(v: int, bits: int, signed: bool = False) -> list[int]:
    out = [(v >> i) & ((1 << bits) - 1) for i in range(0, 128, bits)]
    if signed:
        out = [x - (1 << bits) if x >> (bits - 1) else x for x in out]
    return out


def pack(values: list[int], bits: int) -> int:
    mask = (1 << bits) - 1
    return sum((x & mask) << (bits * i) for i, x in enumerate(values))


def clamp(x: int, bits: int, signed: bool) -> int:
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return min(max(x, lo), hi)


Fn = Callable[..., int]


def lanewise(bits: int, signed: bool, fn: Fn) -> Callable[..., int]:
    def model(*args: int) -> int:
        cols = zip(*(lanes(a, bits, signed) for a in args))
        return pack([fn(*col) for col in cols], bits)

    return model


def sat(bits: int, signed: bool, fn: Fn) -> Callable[..., int]:
    return lanewise(bits, signed, lambda *xs: clamp(fn(*xs), bits, signed))


def cmp(bits: int, signed: bool, fn: Callable[[int, int], bool]) -> Callable[..., int]:
    return lanewise(bits, signed, lambda a, b: -1 if fn(a, b) else 0)


_CMPS: dict[str, Callable[[int, int], bool]] = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b, "gt": lambda a, b: a > b,
    "le": lambda a, b: a <= b, "ge": lambda a, b: a >= b,
}  # fmt: skip


def binary_models() -> dict[str, Callable[..., int]]:
    m: dict[str, Callable[..., int]] = {}
    for shape, n in BITS.items():
        m[f"{shape}.add"] = lanewise(n, False, lambda a, b: a + b)
        m[f"{shape}.sub"] = lanewise(n, False, lambda a, b: a - b)
        m[f"{shape}.eq"] = cmp(n, False, _CMPS["eq"])
        m[f"{shape}.ne"] = cmp(n, False, _CMPS["ne"])
        for c in ("lt", "gt", "le", "ge"):
            m[f"{shape}.{c}_s"] = cmp(n, True, _CMPS[c])
            if n < 64:
                m[f"{shape}.{c}_u"] = cmp(n, False, _CMPS[c])
        if n > 8:
            m[f"{shape}.mul"] = lanewise(n, False, lambda a, b: a * b)
        if n < 64:
            for s, signed in (("s", True), ("u", False)):
                m[f"{shape}.min_{s}"] = lanewise(n, signed, min)
                m[f"{shape}.max_{s}"] = lanewise(n, signed, max)
        if n < 32:
            for s, signed in (("s", True), ("u", False)):
                m[f"{shape}.add_sat_{s}"] = sat(n, signed, lambda a, b: a + b)
                m[f"{shape}.sub_sat_{s}"] = sat(n, signed, lambda a, b: a - b)
            m[f"{shape}.avgr_u"] = lanewise(n, False, lambda a, b: (a + b + 1) >> 1)
    m["i16x8.q15mulr_sat_s"] = sat(16, True, lambda a, b: (a * b + 0x4000) >> 15)
    for wide, narrow in (("i16x8", "i8x16"), ("i32x4", "i16x8"), ("i64x2", "i32x4")):
        n = BITS[narrow]
        for s, signed in (("s", True), ("u", False)):
            for half, at in (("low", 0), ("high", 64)):
                m[f"{wide}.extmul_{half}_{narrow}_{s}"] = (
                    lambda a, b, n=n, signed=signed, at=at: pack(
                        [x * y for x, y in zip(lanes(a >> at, n, signed)[: 64 // n],
                                               lanes(b >> at, n, signed)[: 64 // n])], 2 * n))  # fmt: skip
    for wide, narrow in (("i8x16", "i16x8"), ("i16x8", "i32x4")):
        n = BITS[wide]
        for s, signed in (("s", True), ("u", False)):
            m[f"{wide}.narrow_{narrow}_{s}"] = lambda a, b, n=n, signed=signed: pack(
                [clamp(x, n, signed) for x in lanes(a, 2 * n, True) + lanes(b, 2 * n, True)], n)
    m["i32x4.dot_i16x8_s"] = lambda a, b: pack(
        [x[0] * y[0] + x[1] * y[1] for x, y in zip(pairs(a), pairs(b))], 32)
    return m


def pairs(v: int) -> list[tuple[int, int]]:
    xs = lanes(v, 16, True)
    return list(zip(xs[::2], xs[1::2]))


def unary_models() -> dict[str, Callable[..., int]]:
    m: dict[str, Callable[..., int]] = {}
    for shape, n in BITS.items():
        m[f"{shape}.neg"] = lanewise(n, True, lambda a: -a)
        m[f"{shape}.abs"] = lanewise(n, True, abs)
    m["i8x16.popcnt"] = lanewise(8, False, lambda a: bin(a).count("1"))
    for wide, narrow in (("i16x8", "i8x16"), ("i32x4", "i16x8"), ("i64x2", "i32x4")):
        n = BITS[narrow]
        for s, signed in (("s", True), ("u", False)):
            for half, at in (("low", 0), ("high", 64)):
                m[f"{wide}.extend_{half}_{narrow}_{s}"] = (
                    lambda a, n=n, signed=signed, at=at: pack(
                        lanes(a >> at, n, signed)[: 64 // n], 2 * n))
            if wide != "i64x2":
                m[f"{wide}.extadd_pairwise_{narrow}_{s}"] = lambda a, n=n, signed=signed: pack(
                    [x + y for x, y in zip(lanes(a, n, signed)[::2], lanes(a, n, signed)[1::2])],
                    2 * n)  # fmt: skip
    return m


def scalar_models() -> dict[str, Callable[..., int]]:
    m: dict[str, Callable[..., int]] = {}
    for shape, n in BITS.items():
        m[f"{shape}.all_true"] = lambda a, n=n: int(all(lanes(a, n)))
        m[f"{shape}.bitmask"] = lambda a, n=n: sum(
            (x >> (n - 1)) << i for i, x in enumerate(lanes(a, n)))
    return m


def shift_model(name: str) -> Callable[[int, int], int]:
    shape, op = name.split(".")
    n = BITS[shape]
    fns: dict[str, Callable[[int, int], int]] = {
        "shl": lambda a, c: a << c, "shr_s": lambda a, c: a >> c, "shr_u": lambda a, c: a >> c}
    return lambda a, count: lanewise(n, op == "shr_s", lambda x: fns[op](x, count % n))(a)


BINARY = binary_models()
UNARY = unary_models()
SCALAR = scalar_models()
SHIFTS = [f"{shape}.{op}" for shape in BITS for op in ("shl", "shr_s", "shr_u")]
CONST_COUNTS = (0, 1, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 0xFFFFFFFF)

# -- the module ------------------------------------------------------------------------


def leb(value: int, signed: bool = False) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        done = (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40) if signed \
            else value == 0  # fmt: skip
        out.append(byte if done else byte | 0x80)
        if done:
            return bytes(out)


def vec(items: list[bytes]) -> bytes:
    return leb(len(items)) + b"".join(items)


def section(code: int, body: bytes) -> bytes:
    return bytes([code]) + leb(len(body)) + body


V128, I32 = 0x7B, 0x7F


def build_module() -> tuple[bytes, list[str]]:
    """One exported function per case: ``op`` (the name) or ``op/k`` (a shift by the
    constant k); their names in order."""
    types = [([V128, V128], [V128]), ([V128], [V128]), ([V128], [I32]), ([V128, I32], [V128])]
    funcs: list[tuple[str, int, bytes]] = []

    def simd(name: str) -> bytes:
        return b"\xfd" + leb(CODES[name])

    for name in BINARY:
        funcs.append((name, 0, b"\x20\x00\x20\x01" + simd(name)))
    for name in UNARY:
        funcs.append((name, 1, b"\x20\x00" + simd(name)))
    for name in SCALAR:
        funcs.append((name, 2, b"\x20\x00" + simd(name)))
    for name in SHIFTS:
        funcs.append((name, 3, b"\x20\x00\x20\x01" + simd(name)))
        for k in CONST_COUNTS:
            body = b"\x20\x00\x41" + leb(k - (1 << 32) if k >> 31 else k, signed=True) + simd(name)
            funcs.append((f"{name}/{k}", 1, body))
    type_sec = vec([b"\x60" + vec([bytes([p]) for p in ps]) + vec([bytes([r]) for r in rs])
                    for ps, rs in types])  # fmt: skip
    func_sec = vec([leb(t) for _, t, _ in funcs])
    export_sec = vec([leb(len(n)) + n.encode() + b"\x00" + leb(i)
                      for i, (n, _, _) in enumerate(funcs)])  # fmt: skip
    code_sec = vec([leb(len(b) + 2) + b"\x00" + b + b"\x0b" for _, _, b in funcs])
    module = (b"\0asm\1\0\0\0" + section(1, type_sec) + section(3, func_sec)
              + section(7, export_sec) + section(10, code_sec))  # fmt: skip
    return module, [n for n, _, _ in funcs]


MODULE, FUNCS = build_module()

PATTERNS = [
    0, M128, 1, 1 << 127, 0x80808080808080808080808080808080, 0x7F7F7F7F7F7F7F7F7F7F7F7F7F7F7F7F,
    0x80007FFF80007FFF80007FFF80007FFF, 0x7FFFFFFF800000007FFFFFFF80000000,
    0x8000000000000000_7FFFFFFFFFFFFFFF, 0xFFFF0000FFFF00000000FFFF0000FFFF,
    0x8899AABBCCDDEEFF_0011223344556677, 0xF0E0D0C0B0A09080_7060504030201000,
    0x0123456789ABCDEF_FEDCBA9876543210, 0x01000100010001000100010001000100,
]


def values(seed: str, n: int = 24) -> list[int]:
    rng = random.Random(seed)
    out = list(PATTERNS)
    for _ in range(n):
        # mostly random, sometimes lanes near the edges of every width
        v = rng.getrandbits(128)
        if rng.random() < 0.5:
            edge = rng.choice(PATTERNS)
            mask = rng.getrandbits(128)
            v = (v & mask) | (edge & ~mask & M128)
        out.append(v)
    return out


@pytest.fixture(scope="module")
def exports() -> Any:
    with wazaot.Runtime() as rt:
        try:
            instance = rt.instantiate(rt.compile(MODULE))
        except UnsupportedError as e:
            pytest.skip(f"this backend lacks an integer SIMD instruction: {e}")
        yield instance.exported_function


def hexes(*vs: int) -> str:
    return ", ".join(f"{v:#034x}" for v in vs)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary(exports: Any, name: str) -> None:
    f, model = exports(name), BINARY[name]
    vs = values(name)
    wrong = [hexes(a, b, f(a, b), model(a, b)) for a in vs[:: 3] for b in vs
             if f(a, b) != model(a, b)]  # fmt: skip
    assert not wrong, "a, b, got, want:\n" + "\n".join(wrong[:8])


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(exports: Any, name: str) -> None:
    f, model = exports(name), UNARY[name]
    wrong = [hexes(a, f(a), model(a)) for a in values(name) if f(a) != model(a)]
    assert not wrong, "a, got, want:\n" + "\n".join(wrong[:8])


@pytest.mark.parametrize("name", sorted(SCALAR))
def test_to_scalar(exports: Any, name: str) -> None:
    f, model = exports(name), SCALAR[name]
    n = BITS[name[:5]]
    rng = random.Random(name)
    vs = values(name) + [pack([rng.choice([0, 1, 1 << (n - 1), (1 << n) - 1]) for _ in range(128 // n)], n)
                         for _ in range(40)]  # fmt: skip
    wrong = [f"{a:#034x}: {f(a)} != {model(a)}" for a in vs if f(a) != model(a)]
    assert not wrong, "\n".join(wrong[:8])


@pytest.mark.parametrize("name", SHIFTS)
def test_shift(exports: Any, name: str) -> None:
    model = shift_model(name)
    by_reg = exports(name)
    wrong = []
    for a in values(name, 8):
        for k in CONST_COUNTS:
            want = model(a, k)
            got_reg, got_const = by_reg(a, k - (1 << 32) if k >> 31 else k), exports(f"{name}/{k}")(a)
            if (got_reg, got_const) != (want, want):
                wrong.append(f"{a:#034x} by {k}: {hexes(got_reg, got_const, want)}")
    assert not wrong, "a by k: register, constant, want:\n" + "\n".join(wrong[:8])


def test_arm64_code_decodes() -> None:
    module = decode_module(MODULE)
    validate_module(module)
    obj = ARM64.compile_module(module, list(range(len(module.types))))
    cs = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    code = obj.code
    for fn in obj.functions.values():
        body = code[fn.start : fn.end]
        assert sum(4 for _ in cs.disasm(body, fn.start)) == len(body)
    text = [f"{i.mnemonic} {i.op_str}" for i in cs.disasm(bytes(code), 0)]
    for mnemonic in ("sshl", "ushl", "sshr", "ushr", "shl", "sqxtun2", "smull2", "uminv",
                     "usra", "zip1", "umlal", "sqrdmulh", "urhadd", "saddlp"):  # fmt: skip
        assert any(t.startswith(mnemonic + " ") for t in text), mnemonic
    assert "dup v31.16b, w16" in text  # the register shift counts
