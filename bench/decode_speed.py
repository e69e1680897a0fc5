"""Decode + validate throughput of wazaot's front end, in MB/s.

    python bench/decode_speed.py [--repeat N] [--write-generated PATH]

Inputs: the largest ``.wasm`` of the spec suite, every valid module of the suite
together, and a generated module with about 1 MB of code (many functions mixing
integer and float arithmetic, locals, blocks, loops, ``if``/``else``, ``br_table``,
calls and memory accesses; written by the small emitter below, seeded, so every run
measures the same bytes). Each figure is the best of ``--repeat`` runs. If wasmtime
is installed, its ``Module.validate`` on the same bytes is timed for reference only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wazaot.wasm.decoder import decode_module  # noqa: E402
from wazaot.wasm.validator import validate_module  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SPEC_DIR = Path(
    os.environ.get("WAZAOT_SPECTEST_DIR", REPO.parent / "shared" / "spectest" / "core2")
)

# -- a tiny emitter -----------------------------------------------------------------

I32, I64, F32, F64 = 0x7F, 0x7E, 0x7D, 0x7C


def uleb(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def sleb(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if (v == 0 and not b & 0x40) or (v == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def vec(items: list[bytes]) -> bytes:
    return uleb(len(items)) + b"".join(items)


def section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + uleb(len(payload)) + payload


class FunctionGen:
    """Emits one valid function body of type (i32 i32 i64 f64) -> i32.

    Locals: 0-1 i32 params, 2 i64 param, 3 f64 param, then 4-7 i32, 8-9 i64,
    10-11 f64, 12 f32. Statements leave the stack empty; expressions push one value.
    """

    I32_LOCALS = [0, 1, 4, 5, 6, 7]
    I64_LOCALS = [2, 8, 9]
    F64_LOCALS = [3, 10, 11]
    LOCALS = [(4, I32), (2, I64), (2, F64), (1, F32)]

    def __init__(self, rng: random.Random, index: int) -> None:
        self.rng = rng
        self.index = index
        self.out = bytearray()
        self.depth = 0  # open blocks, for branch targets

    def emit(self, *parts: bytes | int) -> None:
        for p in parts:
            self.out += bytes([p]) if isinstance(p, int) else p

    # expressions
    def i32(self, d: int = 0) -> None:
        r = self.rng.random()
        if d > 3 or r < 0.25:
            if self.rng.random() < 0.5:
                self.emit(0x41, sleb(self.rng.randint(-1000, 1 << 20)))
            else:
                self.emit(0x20, uleb(self.rng.choice(self.I32_LOCALS)))
        elif r < 0.6:
            self.i32(d + 1)
            self.i32(d + 1)
            self.emit(
                self.rng.choice(
                    [0x6A, 0x6B, 0x6C, 0x71, 0x72, 0x73, 0x74, 0x76, 0x77, 0x46, 0x48, 0x4D]
                )
            )
        elif r < 0.7:
            self.i64(d + 1)
            self.emit(self.rng.choice([0xA7, 0x50]))  # i32.wrap_i64, i64.eqz
        elif r < 0.78:
            self.f64(d + 1)
            self.f64(d + 1)
            self.emit(self.rng.choice([0x61, 0x63, 0x66]))  # f64.eq, lt, ge
        elif r < 0.88:
            self.i32(d + 1)
            self.emit(0x41, sleb(0xFFC), 0x71)  # keep addresses in the first page
            self.emit(0x28, uleb(2), uleb(self.rng.randint(0, 64)))  # i32.load
        else:
            self.i32(d + 1)
            self.i32(d + 1)
            self.i32(d + 1)
            self.emit(0x1B)  # select

    def i64(self, d: int = 0) -> None:
        r = self.rng.random()
        if d > 3 or r < 0.3:
            if self.rng.random() < 0.5:
                self.emit(0x42, sleb(self.rng.randint(-(1 << 40), 1 << 40)))
            else:
                self.emit(0x20, uleb(self.rng.choice(self.I64_LOCALS)))
        elif r < 0.75:
            self.i64(d + 1)
            self.i64(d + 1)
            self.emit(self.rng.choice([0x7C, 0x7D, 0x7E, 0x83, 0x84, 0x85, 0x86, 0x88]))
        else:
            self.i32(d + 1)
            self.emit(self.rng.choice([0xAC, 0xAD]))  # i64.extend_i32_s/u

    def f64(self, d: int = 0) -> None:
        r = self.rng.random()
        if d > 3 or r < 0.3:
            if self.rng.random() < 0.5:
                self.emit(0x44, struct.pack("<d", self.rng.uniform(-1e6, 1e6)))
            else:
                self.emit(0x20, uleb(self.rng.choice(self.F64_LOCALS)))
        elif r < 0.7:
            self.f64(d + 1)
            self.f64(d + 1)
            self.emit(self.rng.choice([0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5]))
        elif r < 0.85:
            self.f64(d + 1)
            self.emit(self.rng.choice([0x99, 0x9A, 0x9F]))  # abs, neg, sqrt
        else:
            self.i32(d + 1)
            self.emit(0xB7)  # f64.convert_i32_s

    # statements
    def stmt(self, d: int = 0) -> None:
        r = self.rng.random()
        if d > 2 or r < 0.35:
            kind = self.rng.random()
            if kind < 0.5:
                self.i32()
                self.emit(0x21, uleb(self.rng.choice([4, 5, 6])))  # 7 is the loop counter
            elif kind < 0.75:
                self.i64()
                self.emit(0x21, uleb(self.rng.choice(self.I64_LOCALS)))
            else:
                self.f64()
                self.emit(0x21, uleb(self.rng.choice(self.F64_LOCALS)))
        elif r < 0.45:
            self.i32()
            self.emit(0x41, sleb(0xFFC), 0x71)
            self.i32()
            self.emit(0x36, uleb(2), uleb(self.rng.randint(0, 64)))  # i32.store
        elif r < 0.6:
            self.emit(0x02, 0x40)
            self.depth += 1
            for _ in range(self.rng.randint(1, 4)):
                self.stmt(d + 1)
                if self.rng.random() < 0.3:
                    self.i32()
                    self.emit(0x0D, uleb(self.rng.randint(0, self.depth - 1)))  # br_if
            self.depth -= 1
            self.emit(0x0B)
        elif r < 0.72:
            # loop counting local 7 down from a small number
            self.emit(0x41, sleb(self.rng.randint(1, 9)), 0x21, uleb(7))
            self.emit(0x03, 0x40)
            self.depth += 1
            for _ in range(self.rng.randint(1, 3)):
                self.stmt(d + 1)
            self.emit(0x20, uleb(7), 0x41, sleb(1), 0x6B, 0x22, uleb(7), 0x0D, uleb(0))
            self.depth -= 1
            self.emit(0x0B)
        elif r < 0.84:
            self.i32()
            self.emit(0x04, 0x40)
            self.depth += 1
            self.stmt(d + 1)
            self.emit(0x05)
            self.stmt(d + 1)
            self.depth -= 1
            self.emit(0x0B)
        elif r < 0.9:
            self.emit(0x02, 0x40, 0x02, 0x40, 0x02, 0x40)
            self.depth += 3
            self.i32()
            targets = [self.rng.randint(0, 2) for _ in range(self.rng.randint(1, 6))]
            self.emit(0x0E, vec([uleb(t) for t in targets]), uleb(self.rng.randint(0, 2)))
            self.emit(0x0B)
            self.depth -= 1
            self.stmt(d + 1)
            self.emit(0x0B)
            self.depth -= 1
            self.stmt(d + 1)
            self.emit(0x0B)
            self.depth -= 1
        elif self.index > 0:
            self.i32()
            self.i32()
            self.i64()
            self.f64()
            self.emit(0x10, uleb(self.rng.randrange(self.index)), 0x1A)  # call an earlier one, drop
        else:
            self.emit(0x01)  # nop

    def body(self) -> bytes:
        for _ in range(self.rng.randint(4, 24)):
            self.stmt()
        self.i32()
        self.emit(0x0B)
        locals_ = vec([uleb(n) + bytes([t]) for n, t in self.LOCALS])
        entry = locals_ + bytes(self.out)
        return uleb(len(entry)) + entry


def generate_module(code_bytes: int = 1 << 20, seed: int = 2024) -> bytes:
    """A valid module whose code section holds about ``code_bytes`` bytes."""
    rng = random.Random(seed)
    bodies: list[bytes] = []
    total = 0
    while total < code_bytes:
        bodies.append(FunctionGen(rng, len(bodies)).body())
        total += len(bodies[-1])
    functype = b"\x60" + vec([bytes([t]) for t in (I32, I32, I64, F64)]) + vec([bytes([I32])])
    exports = [
        uleb(len(n)) + n + b"\x00" + uleb(i) for i, n in ((0, b"f0"), (len(bodies) - 1, b"last"))
    ]
    return b"".join(
        [
            b"\x00asm\x01\x00\x00\x00",
            section(1, vec([functype])),
            section(3, vec([uleb(0)] * len(bodies))),
            section(5, vec([b"\x00\x01"])),  # memory 1
            section(7, vec(exports)),
            section(10, vec(bodies)),
        ]
    )


# -- measuring ----------------------------------------------------------------------


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def measure(datas: list[bytes], repeat: int) -> tuple[float, float]:
    """(decode seconds, validate seconds), each the best of ``repeat``, summed over ``datas``.

    Validation is timed on freshly decoded modules (the validator annotates them).
    """
    decode = best_of(repeat, lambda: [decode_module(d) for d in datas])
    validate = float("inf")
    for _ in range(repeat):
        modules = [decode_module(d) for d in datas]
        start = time.perf_counter()
        for m in modules:
            validate_module(m)
        validate = min(validate, time.perf_counter() - start)
    return decode, validate


def wasmtime_validate(datas: list[bytes], repeat: int) -> float | None:
    try:
        import wasmtime
    except ImportError:
        return None
    engine = wasmtime.Engine()
    return best_of(repeat, lambda: [wasmtime.Module.validate(engine, d) for d in datas])


def spec_modules() -> list[bytes]:
    """Every module a spec script expects to compile (``module`` commands)."""
    out = []
    for script in sorted(SPEC_DIR.glob("*.json")):
        for cmd in json.loads(script.read_text())["commands"]:
            if cmd["type"] == "module":
                out.append((SPEC_DIR / cmd["filename"]).read_bytes())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (best is kept)")
    parser.add_argument("--write-generated", metavar="PATH", help="also write the generated module")
    args = parser.parse_args(argv)

    inputs: list[tuple[str, list[bytes]]] = []
    if SPEC_DIR.is_dir():
        largest = max(SPEC_DIR.glob("*.wasm"), key=lambda p: p.stat().st_size)
        inputs.append((f"largest spec module ({largest.name})", [largest.read_bytes()]))
        modules = spec_modules()
        inputs.append((f"all {len(modules)} spec modules", modules))
    else:
        print(f"(spec suite not found in {SPEC_DIR}; set WAZAOT_SPECTEST_DIR)")
    generated = generate_module()
    if args.write_generated:
        Path(args.write_generated).write_bytes(generated)
    n_funcs = len(decode_module(generated).functions)
    inputs.append((f"generated ({n_funcs} functions)", [generated]))

    header = f"{'input':<40} {'size':>10} {'decode':>9} {'validate':>9} {'total':>9} {'MB/s':>7} {'wasmtime':>9}"
    print(header)
    print("-" * len(header))
    for label, datas in inputs:
        size = sum(len(d) for d in datas)
        decode, validate = measure(datas, args.repeat)
        total = decode + validate
        wt = wasmtime_validate(datas, args.repeat)
        wt_text = f"{wt * 1e3:7.1f}ms" if wt is not None else "-"
        print(
            f"{label:<40} {size / 1e6:8.3f}MB {decode * 1e3:7.1f}ms {validate * 1e3:7.1f}ms "
            f"{total * 1e3:7.1f}ms {size / total / 1e6:7.2f} {wt_text:>9}"
        )
    print(
        "\nMB/s = (decode + validate) throughput, 1 MB = 10^6 bytes; wasmtime = Module.validate, for reference."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
