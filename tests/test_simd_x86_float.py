"""The x86-64 float, conversion, lane, shuffle and bitwise SIMD instructions
(``wazaot/amd64/simd_float.py``) against wasmtime, on the AVX2, AVX and SSE4.1 paths.

Each instruction is one exported function that reads its operands from memory (v128s
at 16, 32 and 48, a scalar at 64) and stores its result at 0; the inputs are float
edge cases (NaNs with payloads, zeros, infinities, subnormals, the saturation bounds of
the conversions) and random bits. Results must be bit-identical to wasmtime's, except
that where wasmtime's float lane is a NaN ours need only be a NaN (the spec leaves the
payload open; the spec scripts check canonical and arithmetic NaNs).
"""

from __future__ import annotations

import math
import platform
import random
import struct
from collections.abc import Iterator

import pytest

import wazaot
from wazaot.amd64 import cpu

wasmtime = pytest.importorskip("wasmtime")

pytestmark = pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                                reason="x86-64 only")  # fmt: skip

# name -> (operand kinds, result kind); kinds: v (v128), i32 i64 f32 f64.
OPS: dict[str, tuple[tuple[str, ...], str]] = {}
for _s in ("f32x4", "f64x2"):
    for _op in ("add", "sub", "mul", "div", "min", "max", "pmin", "pmax", "eq", "ne", "lt", "gt",
                "le", "ge"):
        OPS[f"{_s}.{_op}"] = (("v", "v"), "v")
    for _op in ("abs", "neg", "sqrt", "ceil", "floor", "trunc", "nearest"):
        OPS[f"{_s}.{_op}"] = (("v",), "v")
for _name in ("f32x4.demote_f64x2_zero", "f64x2.promote_low_f32x4", "i32x4.trunc_sat_f32x4_s",
              "i32x4.trunc_sat_f32x4_u", "f32x4.convert_i32x4_s", "f32x4.convert_i32x4_u",
              "i32x4.trunc_sat_f64x2_s_zero", "i32x4.trunc_sat_f64x2_u_zero",
              "f64x2.convert_low_i32x4_s", "f64x2.convert_low_i32x4_u", "v128.not",
              "i8x16.swizzle", "v128.and", "v128.andnot", "v128.or", "v128.xor",
              "v128.bitselect", "v128.any_true"):  # fmt: skip
    OPS[_name] = (("v",) * {"swizzle": 2, "and": 2, "andnot": 2, "or": 2, "xor": 2,
                            "bitselect": 3}.get(_name.split(".")[1], 1),
                  "i32" if _name == "v128.any_true" else "v")  # fmt: skip
_SCALAR = {"i8x16": "i32", "i16x8": "i32", "i32x4": "i32", "i64x2": "i64", "f32x4": "f32",
           "f64x2": "f64"}  # fmt: skip
_LANES = {"i8x16": 16, "i16x8": 8, "i32x4": 4, "i64x2": 2, "f32x4": 4, "f64x2": 2}
for _s, _t in _SCALAR.items():
    OPS[f"{_s}.splat"] = ((_t,), "v")
    for _lane in range(_LANES[_s]):
        OPS[f"{_s}.replace_lane {_lane}"] = (("v", _t), "v")
        for _x in ("_s", "_u") if _s in ("i8x16", "i16x8") else ("",):
            OPS[f"{_s}.extract_lane{_x} {_lane}"] = (("v",), _t)

SHUFFLES = [
    list(range(16)), list(range(16, 32)), [0] * 16, [31] * 16,
    [4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11],  # pshufd
    [20, 21, 22, 23, 16, 17, 18, 19, 28, 29, 30, 31, 24, 25, 26, 27],  # pshufd of b
    [0, 1, 2, 3, 8, 9, 10, 11, 20, 21, 22, 23, 16, 17, 18, 19],  # shufps a, b
    [28, 29, 30, 31, 16, 17, 18, 19, 12, 13, 14, 15, 0, 1, 2, 3],  # shufps b, a
    [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23],  # punpcklbw
    [24, 8, 25, 9, 26, 10, 27, 11, 28, 12, 29, 13, 30, 14, 31, 15],  # punpckhbw b, a
    [0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23],  # punpcklwd
    [8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31],  # punpckhdq
    [16, 17, 18, 19, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5, 6, 7],  # punpcklqdq b, a
    [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18],  # palignr a:b
    [29, 30, 31, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],  # palignr b:a
    [0, 1, 18, 19, 4, 5, 22, 23, 24, 25, 10, 11, 28, 29, 14, 15],  # pblendw
    [0, 17, 2, 19, 4, 21, 6, 23, 8, 25, 10, 27, 12, 29, 14, 31],  # byte blend
    [15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0],  # pshufb
    [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4],  # rotation (palignr a, a)
    [0, 1, 2, 3, 28, 29, 30, 31, 8, 9, 10, 11, 12, 13, 14, 15],  # insertps b3 -> a1
    [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 4, 5, 6, 7],  # insertps a1 -> b3
    [16, 1, 18, 3, 4, 5, 22, 23, 8, 25, 26, 11, 12, 13, 30, 15],  # byte blend
    [1, 30, 2, 29, 7, 7, 16, 0, 31, 3, 9, 22, 18, 11, 5, 27],  # both, any order
]
_rng = random.Random(11)
SHUFFLES += [[_rng.randrange(32) for _ in range(16)] for _ in range(6)]
for _i, _lanes in enumerate(SHUFFLES):
    OPS[f"i8x16.shuffle {' '.join(map(str, _lanes))}"] = (("v", "v"), "v")

_LOAD = {"v": "v128.load", "i32": "i32.load", "i64": "i64.load", "f32": "f32.load",
         "f64": "f64.load"}  # fmt: skip
_STORE = {"v": "v128.store", "i32": "i32.store", "i64": "i64.store", "f32": "f32.store",
          "f64": "f64.store"}  # fmt: skip


def _func(index: int, name: str, kinds: tuple[str, ...], result: str) -> str:
    args, v = [], 0
    for kind in kinds:
        addr = 16 + 16 * v if kind == "v" else 64
        v += kind == "v"
        args.append(f"({_LOAD[kind]} (i32.const {addr}))")
    return (f'(func (export "f{index}") ({_STORE[result]} (i32.const 0) '
            f'({name} {" ".join(args)})))')


NAMES = list(OPS)
MODULE = "(module (memory (export \"mem\") 1)\n" + "\n".join(
    _func(i, name, *OPS[name]) for i, name in enumerate(NAMES)) + ")"


def _f32_bits(x: float) -> bytes:
    return struct.pack("<f", x)


F32_EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, math.inf, -math.inf, 1e-45, -1e-45,
             2147483520.0, 2147483648.0, -2147483648.0, -2147483904.0, 4294967040.0,
             4294967296.0, 3e9, -3e9, 0.49999997, 8388609.0, 1e38]  # fmt: skip
F32_NANS = [0x7FC00000, 0xFFC00000, 0x7FA00001, 0xFF812345, 0x7F800001]
F64_EDGES = [0.0, -0.0, 1.0, -1.5, 2.5, math.inf, -math.inf, 5e-324, 2147483647.0,
             2147483647.5, 2147483648.0, -2147483648.0, -2147483648.9, -2147483649.0,
             4294967295.0, 4294967295.9, 4294967296.0, 1e300, -0.7, 4503599627370497.0]  # fmt: skip
F64_NANS = [0x7FF8000000000000, 0xFFF8000000000000, 0x7FF4000000000001, 0xFFF0000000000123]


def _inputs() -> Iterator[bytes]:
    """Blocks of 64 bytes: three v128 operands and a scalar."""
    rng = random.Random(7)
    f32 = [_f32_bits(x) for x in F32_EDGES] + [n.to_bytes(4, "little") for n in F32_NANS]
    f64 = [struct.pack("<d", x) for x in F64_EDGES] + [n.to_bytes(8, "little") for n in F64_NANS]
    for _ in range(60):
        kind = rng.randrange(3)
        if kind == 0:
            data = b"".join(rng.choice(f32) for _ in range(16))
        elif kind == 1:
            data = b"".join(rng.choice(f64) for _ in range(8))
        else:
            data = rng.randbytes(64)
        yield data
    yield bytes(64)
    yield b"\xff" * 64


INPUTS = list(_inputs())


def _nan_lanes(data: bytes, width: int) -> list[bool]:
    fmt = "<f" if width == 4 else "<d"
    return [math.isnan(struct.unpack(fmt, data[i:i + width])[0]) for i in range(0, len(data), width)]


def _same(name: str, result: str, ours: bytes, theirs: bytes) -> bool:
    """Bit-identical, but a float lane that is a NaN in ``theirs`` may be any NaN."""
    if ours == theirs:
        return True
    shape = name.split(".")[0]
    float_result = result in ("f32", "f64") or (
        result == "v" and shape in ("f32x4", "f64x2")
        and name.split(".")[1].split()[0] not in ("eq", "ne", "lt", "gt", "le", "ge"))
    if not float_result:
        return False
    width = 4 if result == "f32" or (result == "v" and shape == "f32x4") else 8
    for i in range(0, len(ours), width):
        a, b = ours[i:i + width], theirs[i:i + width]
        if a != b and not (_nan_lanes(a, width)[0] and _nan_lanes(b, width)[0]):
            return False
    return True


@pytest.fixture(scope="module")
def reference() -> list[list[bytes]]:
    """wasmtime's result of every function on every input."""
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    inst = wasmtime.Instance(store, wasmtime.Module(engine, MODULE), [])
    exports = inst.exports(store)
    mem = exports["mem"]
    out = []
    for i in range(len(NAMES)):
        f = exports[f"f{i}"]
        rows = []
        for data in INPUTS:
            mem.write(store, bytes(16) + data, 0)
            f(store)
            rows.append(bytes(mem.read(store, 0, 16)))
        out.append(rows)
    return out


@pytest.fixture(params=["", "-avx2", "-avx"], ids=["host", "no-avx2", "sse"])
def features(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param and not cpu._detect().avx:
        pytest.skip("no AVX here: the host run is the SSE code")
    monkeypatch.setenv(cpu.FEATURES_ENV, request.param)
    cpu.host_features.cache_clear()
    yield request.param
    monkeypatch.delenv(cpu.FEATURES_ENV)
    cpu.host_features.cache_clear()


def test_against_wasmtime(features: str, reference: list[list[bytes]]) -> None:
    with wazaot.Runtime() as rt:
        mod = rt.instantiate(rt.compile(wasmtime.wat2wasm(MODULE)))
        mem = mod.exported_memory("mem")
        wrong = []
        for i, name in enumerate(NAMES):
            f = mod.exported_function(f"f{i}")
            for data, theirs in zip(INPUTS, reference[i]):
                mem.write(0, bytes(16) + data)
                f.call()
                ours = bytes(mem.read(0, 16))
                if not _same(name, OPS[name][1], ours, theirs):
                    wrong.append(f"{name} {data.hex()}: {ours.hex()} != {theirs.hex()}")
    assert not wrong, f"{len(wrong)} wrong:\n" + "\n".join(wrong[:20])


def test_canonicalize_nans(features: str) -> None:
    """With canonicalize_nans every NaN lane of min/max/arithmetic is 0x7fc00000 or
    0x7ff8000000000000 (sign clear) and the other lanes keep their bits."""
    text = """(module (memory (export "mem") 1)
      (func (export "f32") (v128.store (i32.const 0)
        (f32x4.add (v128.load (i32.const 16)) (v128.load (i32.const 32)))))
      (func (export "f64") (v128.store (i32.const 0)
        (f64x2.max (v128.load (i32.const 16)) (v128.load (i32.const 32))))))"""
    a32 = struct.pack("<4I", 0xFFC00001, 0x3F800000, 0x7F800001, 0x80000000)
    b32 = struct.pack("<4f", 1.0, 2.0, 3.0, -0.0)
    a64 = struct.pack("<2Q", 0xFFF8000000000123, 0x3FF0000000000000)
    b64 = struct.pack("<2d", 1.0, -5.0)
    with wazaot.Runtime(wazaot.RuntimeConfig(canonicalize_nans=True)) as rt:
        mod = rt.instantiate(rt.compile(wasmtime.wat2wasm(text)))
        mem = mod.exported_memory("mem")
        mem.write(16, a32 + b32)
        mod.exported_function("f32").call()
        assert struct.unpack("<4I", mem.read(0, 16)) == (0x7FC00000, 0x40400000, 0x7FC00000,
                                                         0x80000000)  # fmt: skip
        mem.write(16, a64 + b64)
        mod.exported_function("f64").call()
        assert struct.unpack("<2Q", mem.read(0, 16)) == (0x7FF8000000000000, 0x3FF0000000000000)


def _alias_func(index: int, name: str, pattern: tuple[int, ...]) -> str:
    """``name`` of the locals ``pattern`` (one value may be several operands), the
    locals live on afterwards (their xor is stored at 80): the allocator copies."""
    args = " ".join(f"(local.get {k})" for k in pattern)
    return (f'(func (export "a{index}") (local v128 v128 v128)\n'
            '  (local.set 0 (v128.load (i32.const 16))) (local.set 1 (v128.load (i32.const 32)))\n'
            '  (local.set 2 (v128.load (i32.const 48)))\n'
            f'  (v128.store (i32.const 0) ({name} {args}))\n'
            '  (v128.store (i32.const 80) (v128.xor (local.get 0)\n'
            '    (v128.xor (local.get 1) (local.get 2)))))')  # fmt: skip


ALIASED = [
    (name, pattern)
    for name, (kinds, result) in OPS.items() if result == "v" and len(kinds) >= 2
    and all(k == "v" for k in kinds)
    for pattern in ([(0, 0), (1, 0), (0, 1)] if len(kinds) == 2 else
                    [(a, b, c) for a in range(3) for b in range(3) for c in range(3)])
]  # fmt: skip
ALIAS_MODULE = "(module (memory (export \"mem\") 1)\n" + "\n".join(
    _alias_func(i, name, pattern) for i, (name, pattern) in enumerate(ALIASED)) + ")"


def _run_wasmtime(text: str, prefix: str, count: int) -> list[list[bytes]]:
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    exports = wasmtime.Instance(store, wasmtime.Module(engine, text), []).exports(store)
    mem = exports["mem"]
    out = []
    for i in range(count):
        rows = []
        for data in INPUTS[::4]:
            mem.write(store, bytes(16) + data + bytes(32), 0)
            exports[f"{prefix}{i}"](store)
            rows.append(bytes(mem.read(store, 0, 96)))
        out.append(rows)
    return out


def test_operands_that_share_a_value(features: str) -> None:
    """One value as several operands, and operands that stay live (copies around the
    two-address SSE forms, the scratch-register sequences)."""
    reference = _run_wasmtime(ALIAS_MODULE, "a", len(ALIASED))
    with wazaot.Runtime() as rt:
        mod = rt.instantiate(rt.compile(wasmtime.wat2wasm(ALIAS_MODULE)))
        mem = mod.exported_memory("mem")
        wrong = []
        for i, (name, pattern) in enumerate(ALIASED):
            f = mod.exported_function(f"a{i}")
            for data, theirs in zip(INPUTS[::4], reference[i]):
                mem.write(0, bytes(16) + data + bytes(32))
                f.call()
                ours = bytes(mem.read(0, 96))
                if not (_same(name, "v", ours[:16], theirs[:16]) and ours[16:] == theirs[16:]):
                    wrong.append(f"{name} {pattern} {data.hex()}: {ours.hex()} != {theirs.hex()}")
    assert not wrong, f"{len(wrong)} wrong:\n" + "\n".join(wrong[:20])
