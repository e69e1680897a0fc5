"""The x86-64 integer SIMD instructions against wasmtime, on each code path the processor
features select: the AVX forms (where the host has AVX), the SSE4.2 forms (``-avx``) and
the SSE4.1 baseline (``-avx,-sse42``: ``pcmpgtq`` replaced by a sequence).

Each instruction is compiled in a few shapes (its operands loaded from memory, the same
value as both operands, operands that stay live after it, constant shift counts) and run
on inputs whose lanes are drawn from each lane width's edge values; the results are
compared byte for byte with wasmtime's.
"""

from __future__ import annotations

import platform
import random

import pytest

import wazaot

wasmtime = pytest.importorskip("wasmtime", reason="wasmtime is the reference (pip install wasmtime)")

pytestmark = pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                                reason="x86-64 code paths")  # fmt: skip

SHAPES = ("i8x16", "i16x8", "i32x4", "i64x2")
SMALL = ("i8x16", "i16x8", "i32x4")
WIDER = {"i16x8": "i8x16", "i32x4": "i16x8", "i64x2": "i32x4"}

BINARY = [
    *(f"{s}.{op}" for s in SHAPES for op in ("add", "sub")),
    *(f"{s}.mul" for s in ("i16x8", "i32x4", "i64x2")),
    *(f"{s}.{op}_{sign}" for s in ("i8x16", "i16x8") for op in ("add_sat", "sub_sat")
      for sign in "su"),
    *(f"{s}.{op}_{sign}" for s in SMALL for op in ("min", "max") for sign in "su"),
    "i8x16.avgr_u", "i16x8.avgr_u",
    "i8x16.narrow_i16x8_s", "i8x16.narrow_i16x8_u", "i16x8.narrow_i32x4_s",
    "i16x8.narrow_i32x4_u",
    *(f"{s}.{op}" for s in SMALL for op in ("eq", "ne")),
    *(f"{s}.{op}_{sign}" for s in SMALL for op in ("lt", "gt", "le", "ge") for sign in "su"),
    *(f"i64x2.{op}" for op in ("eq", "ne", "lt_s", "gt_s", "le_s", "ge_s")),
    *(f"{s}.extmul_{half}_{n}_{sign}" for s, n in WIDER.items() for half in ("low", "high")
      for sign in "su"),
    "i32x4.dot_i16x8_s", "i16x8.q15mulr_sat_s",
]  # fmt: skip
UNARY = [
    *(f"{s}.{op}" for s in SHAPES for op in ("neg", "abs")),
    "i8x16.popcnt",
    *(f"{s}.extend_{half}_{n}_{sign}" for s, n in WIDER.items() for half in ("low", "high")
      for sign in "su"),
    "i16x8.extadd_pairwise_i8x16_s", "i16x8.extadd_pairwise_i8x16_u",
    "i32x4.extadd_pairwise_i16x8_s", "i32x4.extadd_pairwise_i16x8_u",
]  # fmt: skip
SHIFTS = [f"{s}.{op}" for s in SHAPES for op in ("shl", "shr_s", "shr_u")]
COUNTS = (0, 1, 7, 8, 9, 15, 16, 31, 32, 33, 63, 64, 65, -1, 0x7FFFFFFF)
TO_I32 = [f"{s}.{op}" for s in SHAPES for op in ("all_true", "bitmask")]

LOAD_A = "(v128.load (i32.const 0))"
LOAD_B = "(v128.load (i32.const 16))"
LOAD_N = "(i32.load (i32.const 32))"


def _functions() -> list[tuple[str, str]]:
    """(name, body) of every function of the module; each stores its result at 48."""
    out = []
    for op in BINARY:
        out.append((op, f"({op} {LOAD_A} {LOAD_B})"))
        out.append((f"{op} a a", f"({op} {LOAD_A} {LOAD_A})"))
        # The operands stay live: the SSE forms, which overwrite their first operand,
        # work on a copy.
        out.append((f"{op} live", f"""(local.set 0 {LOAD_A}) (local.set 1 {LOAD_B})
            (i8x16.add (i8x16.add ({op} (local.get 0) (local.get 1)) (local.get 0))
                       (local.get 1))"""))
    for op in UNARY:
        out.append((op, f"({op} {LOAD_A})"))
        out.append((f"{op} live", f"""(local.set 0 {LOAD_A})
            (i8x16.add ({op} (local.get 0)) (local.get 0))"""))
    for op in SHIFTS:
        out.append((op, f"({op} {LOAD_A} {LOAD_N})"))
        out.append((f"{op} live", f"""(local.set 0 {LOAD_A})
            (i8x16.add ({op} (local.get 0) {LOAD_N}) (local.get 0))"""))
        out += [(f"{op} {n}", f"({op} {LOAD_A} (i32.const {n}))") for n in COUNTS]
    functions = [(name, f"(v128.store (i32.const 48) {body})") for name, body in out]
    functions += [(op, f"(i32.store (i32.const 48) ({op} {LOAD_A}))") for op in TO_I32]
    return functions


FUNCTIONS = _functions()


def _module() -> bytes:
    funcs = "\n".join(f'(func (export "{name}") (local v128 v128) {body})'
                      for name, body in FUNCTIONS)  # fmt: skip
    return wasmtime.wat2wasm(f'(module (memory (export "mem") 1)\n{funcs})')


def _lanes(rng: random.Random) -> bytes:
    """16 bytes whose lanes (of a random width) are edge values or random."""
    bits = rng.choice((8, 16, 32, 64))
    top = 1 << bits
    edges = [0, 1, 2, top - 1, top - 2, top >> 1, (top >> 1) - 1, (top >> 1) + 1, 0x55 % top,
             0x80 % top, 0x7F, 0xFF % top]  # fmt: skip
    lanes = [rng.choice(edges) if rng.random() < 0.6 else rng.randrange(top)
             for _ in range(128 // bits)]  # fmt: skip
    return b"".join(lane.to_bytes(bits // 8, "little") for lane in lanes)


def _inputs(seed: int, n: int) -> list[bytes]:
    """``n`` memory images: a, b (16 bytes each), then a shift count."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        a = _lanes(rng)
        b = a if rng.random() < 0.1 else _lanes(rng)
        count = rng.choice([rng.randrange(1 << 32), rng.randrange(130), *COUNTS]) % (1 << 32)
        out.append(a + b + count.to_bytes(4, "little"))
    return out


class Reference:
    """The module in wasmtime."""

    def __init__(self, binary: bytes):
        self.store = wasmtime.Store()
        instance = wasmtime.Instance(self.store, wasmtime.Module(self.store.engine, binary), [])
        exports = instance.exports(self.store)
        self.mem = exports["mem"]
        self.funcs = {name: exports[name] for name, _ in FUNCTIONS}

    def run(self, name: str, image: bytes) -> bytes:
        self.mem.write(self.store, image + bytes(16), 0)
        self.funcs[name](self.store)
        return bytes(self.mem.read(self.store, 48, 64))


@pytest.fixture(scope="module")
def expected() -> dict[str, list[tuple[bytes, bytes]]]:
    """Per function: (input image, wasmtime's 16 result bytes)."""
    ref = Reference(_module())
    images = _inputs(2026, 40)
    return {name: [(image, ref.run(name, image)) for image in images]
            for name, _ in FUNCTIONS}  # fmt: skip


@pytest.mark.parametrize("features", ["", "-avx", "-avx,-sse42"])
def test_integer_simd_matches_wasmtime(features: str, expected, monkeypatch) -> None:
    from wazaot.amd64 import cpu

    chosen = cpu.restrict(cpu.host_features(), features)
    monkeypatch.setattr(cpu, "host_features", lambda: chosen)
    with wazaot.Runtime() as rt:
        mod = rt.instantiate(rt.compile(_module()))
        mem = mod.exported_memory("mem")
        failures = []
        for name, _ in FUNCTIONS:
            f = mod.exported_function(name)
            for image, want in expected[name]:
                mem.write(0, image + bytes(16))
                f.call()
                got = mem.read(48, 16)
                if got != want:
                    failures.append(f"{name} a={image[:16].hex()} b={image[16:32].hex()} "
                                    f"n={int.from_bytes(image[32:36], 'little')}: "
                                    f"{got.hex()} != {want.hex()}")  # fmt: skip
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:20])


def test_every_integer_instruction_is_covered() -> None:
    from wazaot.amd64.simd import SIMD

    covered = {name.split()[0] for name, _ in FUNCTIONS}
    integer = {name for name in SIMD.impls if name[:5] in SHAPES and "lane" not in name
               and not name.endswith(("splat", "shuffle", "swizzle"))
               and "trunc_sat" not in name}  # fmt: skip
    assert integer <= covered, sorted(integer - covered)
