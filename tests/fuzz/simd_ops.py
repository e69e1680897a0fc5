"""Per-instruction differential check of the SIMD instructions: wazaot against wasmtime.

For every SIMD instruction of WebAssembly Core 2.0 (``wazaot.wasm.opcodes``, the 0xFD
prefix) this builds one small module (written byte by byte, no assembler needed) and
a list of inputs, runs it in both runtimes and compares call by call:

- Instructions that compute on registers: each variant is one exported function
  ``f(n)`` looping over ``n`` cases: it loads the case's operands from memory
  (``v128.load``, or ``i32.load``... for scalars), applies the instruction and stores
  the result (``v128.store``, ``i32.store``...). Variants: every lane index; 25
  shuffle masks; both operands the same value (``same``); a constant first or second
  vector operand (``const0``/``const1``); constant shift counts (``shift<n>``) and
  constant scalars of splat/replace_lane (``sconst<j>``); the vector operands kept
  live after the instruction and stored back, which must leave the inputs unchanged
  (``live``: no source register overwritten). The inputs are edge cases of the
  lanes' type (0, -1, min, max, 0x80, NaNs of several payloads and signs, +-0, +-inf,
  subnormals, values around the integer conversion limits, ties for ``nearest``...),
  every pair of them for the binary instructions, and seeded random vectors.
- The memory instructions: one exported function ``f(addr)`` per memarg offset (and
  lane), called once per address, in and out of bounds (the result of a load goes to
  address 0, a vector operand comes from address 16); the outcome is the trap kind or
  the loaded vector, and the digest of the whole memory after a store.

Results are compared exactly (integers, traps by kind, lane moves, ``abs``/``neg``,
``pmin``/``pmax``, comparisons, conversions), except the float lanes of the
instructions whose NaN results the spec leaves open (``ARITHMETIC_NAN``: arithmetic,
rounding, ``min``/``max``, ``promote``/``demote``): where wasmtime's lane is a NaN,
wazaot's must be a NaN, canonical (any sign) if every NaN among the lane's inputs is
canonical, else arithmetic (quiet bit set); their other lanes are compared bit for
bit.

With ``--canonicalize-nans`` both runtimes canonicalise NaN results (wazaot's
``RuntimeConfig(canonicalize_nans=True)``, Cranelift's NaN canonicalisation, the
cross-architecture fuzzer's setting) and every result must be identical, bit for bit.

wasmtime runs in this process; wazaot in a worker subprocess (so a crash of generated
code is reported as one instruction's failure), which can be given
``WAZAOT_X86_FEATURES`` (``--x86-features -avx`` checks the SSE code). From the
checkout's top::

    PYTHONPATH=. python3 -m tests.fuzz.simd_ops check [-v] [--x86-features -avx]
        [--only i8x16.add,f32x4] [--seed 0] [--canonicalize-nans]
    PYTHONPATH=. python3 -m tests.fuzz.simd_ops record [--out build/crossarch/simd-ops.json.gz]
    PYTHONPATH=. python3 -m tests.fuzz.simd_ops check --expected build/crossarch/simd-ops.json.gz
    sudo scripts/arm64-root -- tests/test_simd_ops.py --crossarch-record build/crossarch

``record`` writes wasmtime's outcomes for every call (where wasmtime is, the x86-64
host); ``check --expected`` compares wazaot with a record instead of a live wasmtime:
that is how the arm64 backend is checked in the emulated root, which has no wasmtime.
The record lives in the cross-architecture fuzzer's directory, and ``crossarch record``
writes it too (beside its manifest), so that CI's emulated step replays it with
``tests/fuzz/test_crossarch.py``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import os
import random
import re
import struct
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.spec import wasmgen as wg
from wazaot.wasm.opcodes import IMMEDIATES, LANES, MAX_ALIGN, NAMES, OP, PREFIX_FD, SIGNATURES, Imm

REPO_ROOT = Path(__file__).resolve().parents[2]
RECORD_NAME = "simd-ops.json.gz"
DEFAULT_RECORD = REPO_ROOT / "build" / "crossarch" / RECORD_NAME
"""Beside the cross-architecture fuzzer's record (``crossarch.DEFAULT_DIR``)."""
RECORD_COMMAND = "PYTHONPATH=. python3 -m tests.fuzz.simd_ops record"
RECORD_FORMAT = 5
WORKER_TIMEOUT = 600.0
PAGE = 65536

# ---------------------------------------------------------------------------------
# instructions and their operands

SIMD_NAMES: list[str] = sorted((NAMES[c] for c in NAMES if c >= PREFIX_FD),
                               key=lambda n: OP[n])
"""Every SIMD instruction, in opcode order."""

MEMORY = [n for n in SIMD_NAMES if n.startswith(("v128.load", "v128.store"))]
"""The memory instructions (checked with addresses, in and out of bounds)."""

ARITHMETIC_NAN = frozenset(
    f"{shape}.{op}" for shape in ("f32x4", "f64x2")
    for op in ("add", "sub", "mul", "div", "sqrt", "min", "max", "ceil", "floor", "trunc",
               "nearest")
) | {"f32x4.demote_f64x2_zero", "f64x2.promote_low_f32x4"}  # fmt: skip
"""The instructions whose NaN results the spec leaves partly open (its ``nans_N``):
canonical if every NaN input is, else arithmetic, of either sign."""

SHAPES = {"i8x16": "i8", "i16x8": "i16", "i32x4": "i32", "i64x2": "i64",
          "f32x4": "f32", "f64x2": "f64"}  # fmt: skip
WIDTH = {"i8": 8, "i16": 16, "i32": 32, "i64": 64, "f32": 32, "f64": 64, "idx8": 8,
         "count": 32}  # fmt: skip
SCALAR = {"i": "i32", "I": "i64", "f": "f32", "F": "f64"}
LOAD = {"v": b"\xfd\x00\x04", "i": b"\x28\x02", "I": b"\x29\x03", "f": b"\x2a\x02",
        "F": b"\x2b\x03"}  # fmt: skip
"""Opcode and alignment of the load of an operand (its offset follows)."""
STORE = {"v": b"\xfd\x0b\x04", "i": b"\x36\x02", "I": b"\x37\x03", "f": b"\x38\x02",
         "F": b"\x39\x03"}  # fmt: skip
RESULT_BYTES = {"v": 16, "i": 4, "I": 8, "f": 4, "F": 8}

M = {n: (1 << n) - 1 for n in (8, 16, 31, 32, 63, 64, 128)}

EDGES: dict[str, list[int]] = {
    "i8": [0, 1, 2, 0x3F, 0x40, 0x7E, 0x7F, 0x80, 0x81, 0xC0, 0xFE, 0xFF],
    "i16": [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x4000, 0x7FFE, 0x7FFF, 0x8000, 0x8001,
            0xC000, 0xFF80, 0xFFFE, 0xFFFF],
    "i32": [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x40000000,
            0x7FFFFFFE, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFF8000, 0xFFFFFFFE,
            0xFFFFFFFF, 0x00FFFFFF, 0x01000001],
    "i64": [0, 1, 2, 0xFFFFFFFF, 0x100000000, 0x7FFFFFFF, 0x80000000, 0x7FFFFFFFFFFFFFFF,
            0x8000000000000000, 0x8000000000000001, M[64], M[64] - 1, 0xFFFFFFFF80000000,
            0x00000000FFFFFFFF, 0xFFFFFFFF00000000, 0x4000000000000000],
    # +-0, +-1, +-0.5, 1.5, 2.5, -2.5, 0.49999997, +-inf, NaNs (canonical of both signs,
    # quiet with payloads, signalling), subnormals, smallest normal, largest, 2^31,
    # -2^31, 2^32, the float below 2^31, the float below -2^31, -0.99, 2^23 + 1, 1e10
    "f32": [0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x3F000000, 0xBF000000,
            0x3FC00000, 0x40200000, 0xC0200000, 0x3EFFFFFF, 0x7F800000, 0xFF800000,
            0x7FC00000, 0xFFC00000, 0x7FC00001, 0xFFFFFFFF, 0x7F800001, 0xFFA00000,
            0x00000001, 0x80000001, 0x007FFFFF, 0x00800000, 0x7F7FFFFF, 0xFF7FFFFF,
            0x4F000000, 0xCF000000, 0x4F800000, 0x4EFFFFFF, 0xCF000001, 0xBF7D70A4,
            0x4B000001, 0x501502F9],
    # the same, and 2^31 - 1, 2^32 - 1, -2^31 - 1, 2^32 - 0.5, 2^52 + 1, the largest
    # f32, half way above it, an f32 rounding tie (1 + 2^-24), an f32 subnormal, half
    # of the smallest f32 subnormal
    "f64": [0x0000000000000000, 0x8000000000000000, 0x3FF0000000000000,
            0xBFF0000000000000, 0x3FE0000000000000, 0xBFE0000000000000,
            0x3FF8000000000000, 0x4004000000000000, 0xC004000000000000,
            0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000,
            0xFFF8000000000000, 0x7FF8000000000001, 0x7FFFFFFFFFFFFFFF,
            0x7FF0000000000001, 0xFFF4000000000000, 0x0000000000000001,
            0x800FFFFFFFFFFFFF, 0x0010000000000000, 0x7FEFFFFFFFFFFFFF,
            0x41E0000000000000, 0xC1E0000000000000, 0x41DFFFFFFFC00000,
            0x41EFFFFFFFE00000, 0xC1E0000000200000, 0x41EFFFFFFFF00000,
            0x4330000000000001, 0x47EFFFFFE0000000, 0x47EFFFFFF0000000,
            0x3FF0000010000000, 0x36A0000000000000, 0x3690000000000000,
            0xBFEFAE147AE147AE],
    # swizzle's indices: in range, just out of it, negative as i8
    "idx8": [0, 1, 5, 14, 15, 16, 17, 31, 32, 0x7F, 0x80, 0x8F, 0xF0, 0xFF],
    # shift counts: modulo the lane width
    "count": [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 0x7FFFFFFF,
              0x80000000, 0xFFFFFFFF, 0xFFFFFFF9],
}
# scalar operands of splat/replace_lane: also values wider than the lane
EDGES["i32"] += [0x100, 0x17F, 0x1FF, 0x18000, 0xFFFF0080, 0x12345678]

SHUFFLE_MASKS: list[tuple[int, ...]] = [
    tuple(range(16)), tuple(range(16, 32)), tuple(range(15, -1, -1)),
    tuple(range(31, 15, -1)), (0,) * 16, (31,) * 16, (5,) * 16, (20,) * 16,
    tuple(j // 2 + 16 * (j % 2) for j in range(16)),  # interleave low halves
    tuple(8 + j // 2 + 16 * (j % 2) for j in range(16)),  # interleave high halves
    tuple(range(0, 32, 2)), tuple(range(1, 32, 2)),
    (0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23),  # i32 lanes
    (0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23),  # i64 lanes
    (8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7),  # halves swapped
    (3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12),  # byte swap in i32 lanes
    tuple(range(1, 17)),  # a byte shift across both operands
]
CONST_SHIFTS = [0, 1, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, -1]
CONST_SCALARS = {
    "i32": [0, 0xFFFFFFFF, 0x80, 0x12345678],
    "i64": [0, M[64], 0x8000000000000000, 0x0123456789ABCDEF],
    "f32": [0, 0x80000000, 0x3F800000, 0x7FC00001, 0xFF800001],
    "f64": [0, 0x8000000000000000, 0x3FF0000000000000, 0x7FF0000000000001,
            0xFFF8000000000000],
}
"""Constant scalar operands of splat and replace_lane (their own variants)."""
RANDOM_CASES = 40


def second_shape(name: str) -> str | None:
    """The lane type of the operands when the name gives one after the result's:
    ``i16x8.extend_low_i8x16_s`` -> ``i8``."""
    found = re.search(r"_(i8x16|i16x8|i32x4|i64x2|f32x4|f64x2)", name)
    return SHAPES[found.group(1)] if found else None


def result_lane(name: str) -> str:
    """The lane type of a v128 result (``bytes``-like i8 for ``v128.*``)."""
    return SHAPES.get(name.split(".")[0], "i8")


def operand_types(name: str) -> list[str]:
    """Per operand: ``v:<lane type>`` for a vector, or ``s:<type>`` for a scalar."""
    params = SIGNATURES[OP[name]][0]
    letters = [{"I32": "i", "I64": "I", "F32": "f", "F64": "F", "V128": "v"}[p.name]
               for p in params]
    shape = name.split(".")[0]
    lane = second_shape(name) or SHAPES.get(shape, "i8")
    kinds = []
    for k, letter in enumerate(letters):
        if letter == "v":
            kinds.append("v:idx8" if name == "i8x16.swizzle" and k == 1 else f"v:{lane}")
        elif name.endswith((".shl", ".shr_s", ".shr_u")):
            kinds.append("s:count")
        else:
            kinds.append(f"s:{SCALAR[letter]}")
    return kinds


def letters_of(name: str) -> tuple[str, str]:
    params, results = SIGNATURES[OP[name]]
    code = {"I32": "i", "I64": "I", "F32": "f", "F64": "F", "V128": "v"}
    return "".join(code[p.name] for p in params), "".join(code[r.name] for r in results)


# ---------------------------------------------------------------------------------
# inputs


def pack(lane: str, values: Iterable[int]) -> bytes:
    width = WIDTH[lane]
    out = 0
    for j, v in enumerate(values):
        out |= (v & M[width]) << (j * width)
    return out.to_bytes(16, "little")


def lanes_of(lane: str, data: bytes) -> list[int]:
    width = WIDTH[lane] // 8
    return [int.from_bytes(data[j:j + width], "little") for j in range(0, 16, width)]


def scalar_bytes(kind: str, value: int) -> bytes:
    width = WIDTH[kind] // 8
    return (value & M[WIDTH[kind]]).to_bytes(width, "little").ljust(16, b"\0")


def _random_lane(rng: random.Random, lane: str) -> int:
    width = WIDTH[lane]
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(EDGES[lane])
    if lane in ("f32", "f64") and roll < 0.6:
        # small numbers with fractions: rounding and conversions
        value = rng.choice([1, -1]) * rng.randrange(0, 1 << rng.choice([2, 8, 24, 33])) / (
            1 << rng.choice([0, 1, 2, 8]))
        fmt = "<f" if lane == "f32" else "<d"
        try:
            return int.from_bytes(struct.pack(fmt, value), "little")
        except OverflowError:
            return 0
    if roll < 0.75:
        return rng.getrandbits(rng.choice([1, 4, 7, width])) * rng.choice([1, -1]) & M[width]
    return rng.getrandbits(width)


def random_vector(rng: random.Random, lane: str) -> bytes:
    if lane == "idx8" and rng.random() < 0.5:
        return pack(lane, (rng.randrange(32) for _ in range(16)))
    return pack(lane, (_random_lane(rng, lane) for _ in range(128 // WIDTH[lane])))


def unary_vectors(lane: str) -> list[bytes]:
    """Vectors in which every edge value of ``lane`` is in every lane position."""
    edges, n = EDGES[lane], 128 // WIDTH[lane]
    return [pack(lane, (edges[(k + j) % len(edges)] for j in range(n)))
            for k in range(len(edges))]


def pair_vectors(lane: str) -> list[tuple[bytes, bytes]]:
    """Vector pairs in whose lanes every pair of edge values of ``lane`` meets."""
    edges, n = EDGES[lane], 128 // WIDTH[lane]
    pairs = [(a, b) for a in edges for b in edges]
    out = []
    for k in range(0, len(pairs), n):
        chunk = [pairs[(k + j) % len(pairs)] for j in range(n)]
        out.append((pack(lane, (a for a, _ in chunk)), pack(lane, (b for _, b in chunk))))
    return out


def operand_values(kind: str) -> list[bytes]:
    what, lane = kind.split(":")
    if what == "v":
        return unary_vectors(lane)
    return [scalar_bytes(lane, v) for v in EDGES[lane]]


def make_inputs(name: str, seed: int) -> list[tuple[bytes, ...]]:
    """The cases of an instruction: one 16-byte slot per operand."""
    kinds = operand_types(name)
    rng = random.Random(f"simd-ops/{seed}/{name}")
    cases: list[tuple[bytes, ...]]
    if len(kinds) == 2 and kinds[0] == kinds[1] and kinds[0].startswith("v:"):
        cases = list(pair_vectors(kinds[0][2:]))
    elif len(kinds) == 1:
        cases = [(v,) for v in operand_values(kinds[0])]
    else:
        lists = [operand_values(k) for k in kinds]
        if math.prod(len(v) for v in lists) <= 600:
            cases = [()]
            for values in lists:
                cases = [c + (v,) for c in cases for v in values]
        else:
            n = max(len(v) for v in lists)
            cases = [tuple(v[k % len(v)] for v in lists) for k in range(n)]
    for _ in range(RANDOM_CASES):
        case = []
        for kind in kinds:
            what, lane = kind.split(":")
            if what == "v":
                case.append(random_vector(rng, lane))
            else:
                case.append(scalar_bytes(lane, _random_lane(rng, lane)
                                         if lane != "count" else rng.getrandbits(32)))
        cases.append(tuple(case))
    return cases


# ---------------------------------------------------------------------------------
# modules


def simd(name: str) -> bytes:
    return b"\xfd" + wg.uleb(OP[name] - PREFIX_FD)


def memarg(align: int, offset: int) -> bytes:
    return wg.uleb(align) + wg.uleb(offset)


@dataclass
class Variant:
    """One exported function: the instruction with an immediate and operand sources
    (``("mem", k)``: the case's operand k; ``("same", k)``: operand k again, through a
    local; ``("const", bytes)``: a constant)."""

    export: str
    imm: Any = None
    sources: list[tuple[str, Any]] = field(default_factory=list)
    offset: int = 0  # memory instructions
    lane: int | None = None  # memory lane instructions

    def describe(self) -> str:
        parts = []
        if self.imm is not None:
            parts.append(f"imm={self.imm}")
        if any(s[0] != "mem" for s in self.sources):
            parts.append("operands=" + ",".join(
                s[0] if s[0] != "const" else "const" for s in self.sources))
        if self.lane is not None:
            parts.append(f"lane={self.lane}")
        return " ".join(parts)


def _imm_bytes(name: str, imm: Any) -> bytes:
    kind = IMMEDIATES[OP[name]]
    if kind is Imm.LANE:
        return bytes([imm])
    if kind is Imm.SHUFFLE:
        return bytes(imm)
    return b""


def compute_variants(name: str, seed: int) -> list[Variant]:
    """The exported functions of a computing instruction's module."""
    kinds = operand_types(name)
    mem = [("mem", k) for k in range(len(kinds))]
    kind = IMMEDIATES[OP[name]]
    variants: list[Variant] = []
    if kind is Imm.LANE:
        for lane in range(LANES[OP[name]]):
            variants.append(Variant(f"lane{lane}", lane, list(mem)))
    elif kind is Imm.SHUFFLE:
        rng = random.Random(f"simd-ops/{seed}/shuffle")
        masks = SHUFFLE_MASKS + [tuple(rng.randrange(32) for _ in range(16))
                                 for _ in range(8)]
        for k, mask in enumerate(masks):
            variants.append(Variant(f"mask{k}", mask, list(mem)))
        variants.append(Variant("same", masks[-1], [("mem", 0), ("same", 0)]))
    else:
        variants.append(Variant("f", None, list(mem)))
        if len(kinds) == 2 and kinds[0] == kinds[1]:
            variants.append(Variant("same", None, [("mem", 0), ("same", 0)]))
            rng = random.Random(f"simd-ops/{seed}/{name}/const")
            lane = kinds[0][2:]
            for k in range(2):
                const = random_vector(rng, lane)
                sources = list(mem)
                sources[k] = ("const", const)
                variants.append(Variant(f"const{k}", None, sources))
        if kinds[-1] == "s:count":
            for count in CONST_SHIFTS:
                variants.append(Variant(f"shift{count & 0xFFFFFFFF}", None,
                                        [("mem", 0), ("const", count)]))
    scalar = [k for k, kd in enumerate(kinds) if kd.startswith("s:") and kd[2:] in CONST_SCALARS]
    for k in scalar:  # splat and replace_lane of a constant
        imm = variants[-1].imm if kind is Imm.LANE else None
        for j, value in enumerate(CONST_SCALARS[kinds[k][2:]]):
            sources = list(mem)
            sources[k] = ("const", value)
            variants.append(Variant(f"sconst{j}", imm, sources))
    if any(k.startswith("v:") for k in kinds):
        # the vector operands stay live after the instruction (stored back to their
        # slots): an implementation that overwrites a source register shows
        imm = variants[-1].imm if kind in (Imm.LANE, Imm.SHUFFLE) else None
        variants.append(Variant("live", imm, [("live", k) if kd.startswith("v:") else ("mem", k)
                                              for k, kd in enumerate(kinds)]))
    return variants


def _operand_code(kind: str, source: tuple[str, Any], stride_slot: int) -> bytes:
    letter = "v" if kind.startswith("v:") else {"i32": "i", "count": "i", "i64": "I",
                                                "f32": "f", "f64": "F"}[kind[2:]]
    what, arg = source
    if what == "mem":
        return b"\x20\x01" + LOAD[letter] + wg.uleb(16 * arg)  # local.get p; load
    if what == "same":
        return b"\x20\x03"  # local.get $v (set by operand 0)
    if what == "live":
        return b"\x20" + bytes([3 + arg])  # local.get $v<k>
    if letter == "v":
        return simd("v128.const") + arg
    if letter == "i":
        return wg.i32_const(arg & M[32])
    if letter == "I":
        return wg.i64_const(arg & M[64])
    if letter == "f":
        return b"\x43" + struct.pack("<I", arg)
    return b"\x44" + struct.pack("<Q", arg)


def compute_module(name: str, variants: list[Variant], ncases: int) -> tuple[bytes, int]:
    """The module of a computing instruction and the address of its results: each
    export ``f(n)`` runs cases 0..n-1 (operands at ``16 * (ops * k + j)``, the result at
    ``out + 16 * k``)."""
    kinds = operand_types(name)
    _, res = letters_of(name)
    stride = 16 * len(kinds)
    out = (ncases * stride + 15) // 16 * 16
    pages = (out + 16 * ncases + PAGE - 1) // PAGE
    bodies = []
    for v in variants:
        ops = b""
        live = [k for k, (what, _) in enumerate(v.sources) if what == "live"]
        for k, (kind, source) in enumerate(zip(kinds, v.sources)):
            ops += _operand_code(kind, source, k)
            if k == 0 and any(s[0] == "same" for s in v.sources):
                ops += b"\x22\x03"  # local.tee $v
        before = b"".join(b"\x20\x01" + LOAD["v"] + wg.uleb(16 * k) + b"\x21" + bytes([3 + k])
                          for k in live)  # $v<k> = operand k
        after = b"".join(b"\x20\x01\x20" + bytes([3 + k]) + STORE["v"] + wg.uleb(16 * k)
                         for k in live)  # operand k's slot = $v<k>
        body = (wg.i32_const(out) + b"\x21\x02"  # q = out
                + b"\x02\x40" + b"\x20\x00\x45\x0d\x00"  # block; n == 0 -> out
                + b"\x03\x40" + before + b"\x20\x02" + ops + simd(name)
                + _imm_bytes(name, v.imm) + STORE[res] + b"\x00" + after
                + b"\x20\x01" + wg.i32_const(stride) + b"\x6a\x21\x01"  # p += stride
                + b"\x20\x02" + wg.i32_const(16) + b"\x6a\x21\x02"  # q += 16
                + b"\x20\x00\x41\x01\x6b\x22\x00\x0d\x00"  # n -= 1; loop while n
                + b"\x0b\x0b\x0b")
        bodies.append(wg.code(body, [(2, wg.I32), (3, wg.V128)]))
    wasm = _module([wg.func_type([wg.I32], [])], [0] * len(variants), pages,
                   [v.export for v in variants], bodies)
    return wasm, out


def _module(types: list[bytes], funcs: list[int], pages: int, exports: list[str],
            bodies: list[bytes]) -> bytes:
    return wg.module(
        wg.section(wg.TYPE, wg.vec(types)),
        wg.section(wg.FUNCTION, wg.vec(wg.uleb(t) for t in funcs)),
        wg.section(wg.MEMORY, wg.vec([wg.limits(pages)])),
        wg.section(wg.EXPORT, wg.vec(
            [wg.name("mem") + bytes([wg.MEMORY_KIND, 0])]
            + [wg.name(e) + bytes([wg.FUNC_KIND]) + wg.uleb(k) for k, e in enumerate(exports)])),
        wg.section(wg.CODE, wg.vec(bodies)),
    )


MEMORY_OFFSETS = [0, 1, 65520, 0xFFFFFFFF]
ADDRESSES = [0, 1, 15, 16, 17, 33, 1000, PAGE - 33, PAGE - 16, PAGE - 15, PAGE - 9,
             PAGE - 8, PAGE - 7, PAGE - 4, PAGE - 3, PAGE - 2, PAGE - 1, PAGE, PAGE + 1,
             0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFF]
OPERAND_AT = 16  # the vector operand of load_lane / store_lane / v128.store
RESULT_AT = 0  # where the loads' results go


def memory_variants(name: str) -> list[Variant]:
    lanes: list[int | None] = [None]
    if IMMEDIATES[OP[name]] is Imm.MEMARG_LANE:
        n = LANES[OP[name]]
        lanes = sorted({0, 1, n // 2 + 1, n - 1}) if n > 4 else list(range(n))
    return [Variant(f"o{offset}" + ("" if lane is None else f"_l{lane}"), None, [],
                    offset, lane)
            for offset in MEMORY_OFFSETS for lane in lanes]


def memory_module(name: str, variants: list[Variant]) -> bytes:
    """Each export ``f(addr)`` applies the instruction at ``addr`` with its offset
    (natural alignment); a loaded vector is stored at address 0."""
    code = simd(name)
    bodies = []
    for v in variants:
        arg = memarg(MAX_ALIGN[OP[name]], v.offset) + (
            bytes([v.lane]) if v.lane is not None else b"")
        operand = wg.i32_const(OPERAND_AT) + LOAD["v"] + b"\x00"
        if name.startswith("v128.store"):
            body = b"\x20\x00" + operand + code + arg
        else:
            lane_in = operand if v.lane is not None else b""
            body = (wg.i32_const(RESULT_AT) + b"\x20\x00" + lane_in + code + arg
                    + STORE["v"] + b"\x00")
        bodies.append(wg.code(body + wg.END))
    return _module([wg.func_type([wg.I32], [])], [0] * len(variants), 1,
                   [v.export for v in variants], bodies)


def pattern() -> bytes:
    """The memory image of the memory instructions' modules."""
    return bytes((k * 167 + (k >> 8) * 13 + 1) & 0xFF for k in range(PAGE))


@dataclass
class Case:
    """One instruction's module and what is run on it."""

    name: str
    wasm: bytes
    variants: list[Variant]
    inputs: list[tuple[bytes, ...]] = field(default_factory=list)  # computing
    out: int = 0

    @property
    def memory(self) -> bool:
        return self.name in MEMORY


def build_case(name: str, seed: int = 0) -> Case:
    if name in MEMORY:
        variants = memory_variants(name)
        return Case(name, memory_module(name, variants), variants)
    if name == "v128.const":
        return build_const_case(seed)
    variants = compute_variants(name, seed)
    inputs = make_inputs(name, seed)
    wasm, out = compute_module(name, variants, len(inputs))
    return Case(name, wasm, variants, inputs, out)


def build_const_case(seed: int) -> Case:
    """``v128.const``: functions storing constants (edge patterns and random ones)."""
    rng = random.Random(f"simd-ops/{seed}/v128.const")
    consts = [bytes(16), b"\xff" * 16, b"\x80" + bytes(15), bytes(15) + b"\x80",
              pack("f32", [0x7FC00001, 0xFF800000, 0x80000000, 1]),
              pack("f64", [0x7FF0000000000001, 0xFFF8000000000000])]
    consts += [random_vector(rng, "i8") for _ in range(6)]
    variants, bodies = [], []
    for k, c in enumerate(consts):
        variants.append(Variant(f"c{k}", c.hex()))
        body = (wg.i32_const(0) + simd("v128.const") + c + STORE["v"] + b"\x00" + wg.END)
        bodies.append(wg.code(body))
    wasm = _module([wg.func_type([wg.I32], [])], [0] * len(consts), 1,
                   [v.export for v in variants], bodies)
    return Case("v128.const", wasm, variants, [()], 0)


# ---------------------------------------------------------------------------------
# running: the same plan in either runtime, through a small adapter


class Runner:
    """One instantiated module: write/read its memory, call an export with i32 args
    (returns None, or the trap kind)."""

    def write(self, offset: int, data: bytes) -> None:
        raise NotImplementedError

    def read(self, offset: int, n: int) -> bytes:
        raise NotImplementedError

    def call(self, export: str, arg: int) -> str | None:
        raise NotImplementedError


class WasmtimeRunner(Runner):
    """``canonicalize_nans``: Cranelift's NaN canonicalisation (another allowed answer,
    to check the comparison's NaN rules with)."""

    def __init__(self, wasm: bytes, canonicalize_nans: bool = False) -> None:
        import wasmtime

        config = wasmtime.Config()
        config.cranelift_nan_canonicalization = canonicalize_nans
        self.store = wasmtime.Store(wasmtime.Engine(config))
        module = wasmtime.Module(self.store.engine, wasm)
        self.instance = wasmtime.Instance(self.store, module, [])
        self.exports = self.instance.exports(self.store)
        self.mem = self.exports["mem"]

    def write(self, offset: int, data: bytes) -> None:
        self.mem.write(self.store, data, offset)

    def read(self, offset: int, n: int) -> bytes:
        return bytes(self.mem.read(self.store, offset, offset + n))

    def call(self, export: str, arg: int) -> str | None:
        from tests.fuzz.differential import _wt_trap_kind

        try:
            self.exports[export](self.store, arg - (1 << 32) if arg >= 1 << 31 else arg)
        except Exception as e:
            return _wt_trap_kind(e)
        return None


class WazaotRunner(Runner):
    def __init__(self, rt: Any, wasm: bytes) -> None:
        self.mod = rt.instantiate(rt.compile(wasm))
        self.mem = self.mod.exported_memory("mem")

    def write(self, offset: int, data: bytes) -> None:
        self.mem.write(offset, data)

    def read(self, offset: int, n: int) -> bytes:
        return self.mem.read(offset, n)

    def call(self, export: str, arg: int) -> str | None:
        import wazaot
        from tests.fuzz.differential import wazaot_trap_kind

        try:
            self.mod.exported_function(export).call(arg)
        except wazaot.Trap as e:
            return wazaot_trap_kind(e.message)
        return None


def run_case(case: Case, runner: Runner) -> list[list[Any]]:
    """The outcomes of a case's calls, in order: ``["ok", hex, operands unchanged]``
    for a computing variant (its result slots), ``["ok", hex]`` for a load (the
    vector), ``["ok" or "trap", ..., md5]`` for a store (the memory after it), or
    ``["trap", kind]``."""
    outcomes: list[list[Any]] = []
    if not case.memory:
        data = b"".join(b"".join(c) for c in case.inputs)
        n = len(case.inputs)
        for v in case.variants:
            runner.write(0, data)
            runner.write(case.out, bytes(16 * n))
            trap = runner.call(v.export, n)
            # the results, and whether the operands' slots still hold them
            outcomes.append(["trap", trap] if trap else [
                "ok", runner.read(case.out, 16 * n).hex(),
                runner.read(0, len(data)) == data])
        return outcomes
    image = pattern()
    runner.write(0, image)
    store = case.name.startswith("v128.store")
    for v, addr, operand in memory_calls(case):
        runner.write(0, bytes(16) + operand)
        trap = runner.call(v.export, addr)
        outcome = ["trap", trap] if trap else ["ok"]
        if store:  # what it wrote (a store out of bounds writes nothing)
            outcome.append(hashlib.md5(runner.read(0, PAGE), usedforsecurity=False).hexdigest())
            eff = addr + v.offset
            if eff < PAGE:
                runner.write(eff, image[eff:eff + 16])
        elif not trap:
            outcome.append(runner.read(RESULT_AT, 16).hex())
        outcomes.append(outcome)
    return outcomes


def memory_calls(case: Case) -> list[tuple[Variant, int, bytes]]:
    """A memory instruction's calls: (variant, address, the vector at OPERAND_AT)."""
    operands = [random.Random(f"simd-ops/mem/{k}").randbytes(16) for k in range(3)]
    return [(v, addr, operands[k % len(operands)]) for v in case.variants
            for k, addr in enumerate(ADDRESSES)]


# ---------------------------------------------------------------------------------
# comparison


def is_nan(lane: str, bits: int) -> bool:
    if lane == "f32":
        return bits & 0x7F800000 == 0x7F800000 and bits & 0x007FFFFF != 0
    return bits & 0x7FF0000000000000 == 0x7FF0000000000000 and bits & 0xFFFFFFFFFFFFF != 0


def is_canonical(lane: str, bits: int) -> bool:
    return bits & (M[31] if lane == "f32" else M[63]) == (
        0x7FC00000 if lane == "f32" else 0x7FF8000000000000)


def is_arithmetic(lane: str, bits: int) -> bool:
    quiet = 0x00400000 if lane == "f32" else 0x0008000000000000
    return is_nan(lane, bits) and bool(bits & quiet)


def nan_inputs(name: str, lane_index: int, operands: list[bytes]) -> list[tuple[str, int]]:
    """The input lanes (type, bits) a result lane of an ARITHMETIC_NAN instruction is
    computed from."""
    if name == "f64x2.promote_low_f32x4":
        return [("f32", lanes_of("f32", operands[0])[lane_index])]
    if name == "f32x4.demote_f64x2_zero":
        return [("f64", lanes_of("f64", operands[0])[lane_index])] if lane_index < 2 else []
    lane = result_lane(name)
    return [(lane, lanes_of(lane, op)[lane_index]) for op in operands]


def lane_ok(name: str, lane_index: int, want: int, got: int, operands: list[bytes]) -> bool:
    """Whether wazaot's result lane ``got`` is allowed where wasmtime gives ``want``."""
    if got == want:
        return True
    lane = result_lane(name)
    if name not in ARITHMETIC_NAN or not is_nan(lane, want):
        return False
    inputs = nan_inputs(name, lane_index, operands)
    if all(is_canonical(t, b) for t, b in inputs if is_nan(t, b)):
        return is_nan(lane, got) and is_canonical(lane, got)
    return is_arithmetic(lane, got)


def case_operands(case: Case, v: Variant, k: int) -> list[bytes]:
    """The operand values of case ``k`` in variant ``v``."""
    ops = []
    for source in v.sources:
        what, arg = source
        if what == "mem":
            ops.append(case.inputs[k][arg])
        elif what in ("same", "live"):
            ops.append(case.inputs[k][arg])
        elif isinstance(arg, bytes):
            ops.append(arg)
        else:
            ops.append(arg.to_bytes(16, "little", signed=arg < 0))
    return ops


@dataclass
class Verdict:
    """One instruction's result: ``ok``, ``mismatch``, ``unsupported``, ``error``
    (compile error or crash), with the first differences."""

    name: str
    status: str
    calls: int = 0
    compared: int = 0  # result values compared (cases x variants, or memory calls)
    mismatches: int = 0
    examples: list[str] = field(default_factory=list)
    message: str = ""

    def line(self) -> str:
        if self.status in ("unsupported", "error"):
            return f"{self.name}: {self.status}: {self.message}"
        text = f"{self.name}: {self.status}, {self.compared} results compared"
        if self.mismatches:
            text += f", {self.mismatches} differ"
        return text


def _fmt_operand(kind: str, data: bytes) -> str:
    what, lane = kind.split(":")
    if what == "s":
        width = WIDTH[lane] // 8
        return f"{lane}:{int.from_bytes(data[:width], 'little'):#x}"
    return f"{lane}x[" + " ".join(f"{x:x}" for x in lanes_of(lane, data)) + "]"


def _fmt_result(name: str, data: bytes) -> str:
    _, res = letters_of(name)
    if res == "v":
        lane = result_lane(name)
        return "[" + " ".join(f"{x:x}" for x in lanes_of(lane, data)) + "]"
    return f"{int.from_bytes(data[:RESULT_BYTES[res]], 'little'):#x}"


def compare_case(case: Case, want: list[list[Any]], got: list[list[Any]],
                 max_examples: int = 5, exact: bool = False) -> Verdict:
    """wazaot's outcomes ``got`` against wasmtime's ``want``: NaN lanes by the spec's
    rules, or bit for bit if ``exact`` (both runtimes canonicalising NaNs)."""
    verdict = Verdict(case.name, "ok", calls=len(want))
    if len(got) != len(want):
        verdict.status = "error"
        verdict.message = f"{len(got)} outcomes for {len(want)} calls"
        return verdict

    def differ(text: str) -> None:
        verdict.mismatches += 1
        if len(verdict.examples) < max_examples:
            verdict.examples.append(text)

    if case.memory:
        for (v, addr, operand), w, g in zip(memory_calls(case), want, got):
            verdict.compared += 1
            if w != g:
                differ(f"{case.name} offset={v.offset}" + (
                    f" lane={v.lane}" if v.lane is not None else "")
                    + f" at address {addr:#x} (operand {operand.hex()}): wasmtime {w}, "
                    f"wazaot {g}")
    else:
        kinds = operand_types(case.name) if case.name != "v128.const" else []
        _, res = letters_of(case.name)
        size = RESULT_BYTES[res]
        lane = result_lane(case.name)
        for v, w, g in zip(case.variants, want, got):
            if w[0] != "ok" or g[0] != "ok":
                verdict.compared += 1
                if w != g:
                    differ(f"{case.name} {v.export}: wasmtime {w}, wazaot {g}")
                continue
            if w[2:] != g[2:]:
                verdict.compared += 1
                differ(f"{case.name} {v.describe() or v.export}: the operands stored back "
                       f"after it differ from the inputs: an operand register overwritten?")
            wb, gb = bytes.fromhex(w[1]), bytes.fromhex(g[1])
            for k in range(len(wb) // 16):
                verdict.compared += 1
                ws, gs = wb[16 * k:16 * k + size], gb[16 * k:16 * k + size]
                if ws == gs:
                    continue
                operands = case_operands(case, v, k)
                if res == "v" and not exact and all(
                        lane_ok(case.name, j, a, b, operands)
                        for j, (a, b) in enumerate(zip(lanes_of(lane, ws), lanes_of(lane, gs)))):
                    continue
                args = ", ".join(_fmt_operand(kd, op) for kd, op in zip(kinds, operands))
                differ(f"{case.name} {v.describe() or v.export}({args}): wasmtime "
                       f"{_fmt_result(case.name, ws)}, wazaot {_fmt_result(case.name, gs)}")
    if verdict.mismatches:
        verdict.status = "mismatch"
    return verdict


# ---------------------------------------------------------------------------------
# wazaot's worker (a subprocess: names on stdin, one JSON line per instruction out)


def worker(stream_in: Any = None, stream_out: Any = None) -> int:
    request = json.load(stream_in or sys.stdin)
    out = stream_out or sys.stdout
    import wazaot

    seed = request["seed"]
    config = wazaot.RuntimeConfig(canonicalize_nans=bool(request.get("canonicalize_nans")))
    with wazaot.Runtime(config) as rt:
        for name in request["names"]:
            out.write(json.dumps({"name": name, "ev": "start"}) + "\n")
            out.flush()
            case = build_case(name, seed)
            try:
                runner = WazaotRunner(rt, case.wasm)
            except wazaot.UnsupportedError as e:
                line = {"name": name, "ev": "unsupported", "msg": str(e)}
            except Exception as e:
                line = {"name": name, "ev": "error", "msg": f"{type(e).__name__}: {e}"}
            else:
                try:
                    line = {"name": name, "ev": "done", "outcomes": run_case(case, runner)}
                except Exception as e:
                    line = {"name": name, "ev": "error", "msg": f"{type(e).__name__}: {e}"}
            out.write(json.dumps(line) + "\n")
            out.flush()
    return 0


def run_wazaot(names: list[str], seed: int, x86_features: str | None = None,
               timeout: float = WORKER_TIMEOUT, canonicalize_nans: bool = False,
               ) -> dict[str, dict[str, Any]]:
    """wazaot's outcomes per instruction, from worker subprocesses (a worker that dies
    is reported on the instruction it was running, and the rest run in a new one)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    if x86_features is not None:
        env["WAZAOT_X86_FEATURES"] = x86_features
    results: dict[str, dict[str, Any]] = {}
    pending = list(names)
    while pending:
        cmd = [sys.executable, "-m", "tests.fuzz.simd_ops", "worker"]
        try:
            request = {"names": pending, "seed": seed, "canonicalize_nans": canonicalize_nans}
            proc = subprocess.run(cmd, input=json.dumps(request),
                                  capture_output=True, text=True, timeout=timeout,
                                  cwd=REPO_ROOT, env=env)
            stdout, stderr, rc = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as e:
            stdout = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            stderr, rc = "timed out", None
        current = None  # the instruction the worker started and did not finish
        for line in stdout.splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                break
            if event["ev"] == "start":
                current = event["name"]
            else:
                results[event["name"]] = event
                current = None
        if current is None:  # died between instructions (or before the first)
            current = next((n for n in pending if n not in results), None)
        if current is not None:
            how = "timed out" if rc is None else f"exited with status {rc}"
            results[current] = {"name": current, "ev": "error",
                                "msg": f"the worker {how}: {stderr.strip()[-800:]}"}
        pending = [n for n in pending if n not in results]
    return results


# ---------------------------------------------------------------------------------
# wasmtime's outcomes, live or recorded


def wasmtime_outcomes(case: Case, canonicalize_nans: bool = False) -> list[list[Any]]:
    return run_case(case, WasmtimeRunner(case.wasm, canonicalize_nans))


def wasm_digest(cases: Iterable[Case]) -> str:
    h = hashlib.sha256()
    for case in cases:
        h.update(case.name.encode() + b"\0" + case.wasm)
    return h.hexdigest()


def record(path: Path, seed: int = 0, names: list[str] | None = None) -> int:
    """Write wasmtime's outcomes of every instruction's calls to ``path`` (gzip JSON),
    and where they differ with NaN canonicalisation, those too."""
    names = names or SIMD_NAMES
    cases = [build_case(n, seed) for n in names]
    data: dict[str, Any] = {"format": RECORD_FORMAT, "seed": seed, "names": names,
                            "modules": wasm_digest(cases), "outcomes": {},
                            "canonical_outcomes": {}}
    for c in cases:
        plain, canonical = wasmtime_outcomes(c), wasmtime_outcomes(c, canonicalize_nans=True)
        data["outcomes"][c.name] = plain
        if canonical != plain:
            data["canonical_outcomes"][c.name] = canonical
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as f:
        json.dump(data, f, separators=(",", ":"))
    return sum(len(v) for v in data["outcomes"].values())


def load_record(path: Path) -> dict[str, Any]:
    with gzip.open(path, "rt") as f:
        data = json.load(f)
    if data.get("format") != RECORD_FORMAT:
        raise ValueError(f"{path}: format {data.get('format')}, expected {RECORD_FORMAT} "
                         "(record it again)")
    return data


def select(only: str | None) -> list[str]:
    """The instruction names ``--only`` selects (comma-separated names or prefixes)."""
    if not only:
        return list(SIMD_NAMES)
    keys = [k.strip() for k in only.split(",") if k.strip()]
    return [n for n in SIMD_NAMES if any(n == k or n.startswith(k) for k in keys)]


def check(names: list[str] | None = None, seed: int = 0, x86_features: str | None = None,
          expected: Path | None = None, canonicalize_nans: bool = False) -> list[Verdict]:
    """Compare wazaot (in a worker) with wasmtime (live, or a record's outcomes) on
    ``names``; one verdict per instruction. ``canonicalize_nans``: both canonicalise
    NaNs (wazaot's ``RuntimeConfig(canonicalize_nans=True)``, Cranelift's
    ``nan_canonicalization``) and the results must be identical, bit for bit."""
    names = list(names or SIMD_NAMES)
    recorded = None
    if expected is not None:
        recorded = load_record(expected)
        seed = recorded["seed"]
        names = [n for n in names if n in recorded["outcomes"]]
        cases = {n: build_case(n, seed) for n in recorded["names"]}
        if wasm_digest(cases.values()) != recorded["modules"]:
            raise ValueError(f"{expected} was recorded from other modules (the generator "
                             "changed): record it again")
    got = run_wazaot(names, seed, x86_features, canonicalize_nans=canonicalize_nans)
    verdicts = []
    for name in names:
        case = build_case(name, seed)
        event = got[name]
        if event["ev"] != "done":
            verdicts.append(Verdict(name, event["ev"], message=event["msg"]))
            continue
        if recorded is None:
            want = wasmtime_outcomes(case, canonicalize_nans)
        elif canonicalize_nans and name in recorded["canonical_outcomes"]:
            want = recorded["canonical_outcomes"][name]
        else:
            want = recorded["outcomes"][name]
        verdicts.append(compare_case(case, want, event["outcomes"], exact=canonicalize_nans))
    return verdicts


def summary(verdicts: list[Verdict]) -> str:
    counts: dict[str, int] = {}
    for v in verdicts:
        counts[v.status] = counts.get(v.status, 0) + 1
    compared = sum(v.compared for v in verdicts)
    return (f"{len(verdicts)} SIMD instructions, {compared} results compared: "
            + ", ".join(f"{k}: {n}" for k, n in sorted(counts.items())))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    chk = sub.add_parser("check", help="compare wazaot with wasmtime (or a record)")
    chk.add_argument("--only", help="instruction names or prefixes, comma-separated")
    chk.add_argument("--seed", type=int, default=0)
    chk.add_argument("--x86-features", help="WAZAOT_X86_FEATURES for wazaot, e.g. -avx")
    chk.add_argument("--expected", help="a record to compare with instead of wasmtime")
    chk.add_argument("--canonicalize-nans", action="store_true",
                     help="both runtimes canonicalise NaNs; compare bit for bit")
    chk.add_argument("--json", help="also write the verdicts to this file")
    chk.add_argument("-v", "--verbose", action="store_true")
    rec = sub.add_parser("record", help="record wasmtime's outcomes")
    rec.add_argument("--out", default=str(DEFAULT_RECORD))
    rec.add_argument("--seed", type=int, default=0)
    sub.add_parser("worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.command == "worker":
        return worker()
    if args.command == "record":
        start = time.monotonic()
        calls = record(Path(args.out), args.seed)
        print(f"{len(SIMD_NAMES)} SIMD instructions, {calls} calls recorded in {args.out} "
              f"({time.monotonic() - start:.0f}s)")
        return 0
    start = time.monotonic()
    verdicts = check(select(args.only), args.seed, args.x86_features,
                     Path(args.expected) if args.expected else None, args.canonicalize_nans)
    for v in verdicts:
        if args.verbose or v.status != "ok":
            print(v.line())
            for example in v.examples:
                print("    " + example)
    if args.json:
        Path(args.json).write_text(json.dumps([v.__dict__ for v in verdicts], indent=1))
    print(summary(verdicts) + f" ({time.monotonic() - start:.0f}s)")
    return 0 if all(v.status == "ok" for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
