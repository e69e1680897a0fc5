"""Differential fuzzer: wazaot against wasmtime on random modules from binaryen.

For each seed, ``random.Random(seed).randbytes(size)`` feeds ``wasm-opt -ttf``
(binaryen's translate-to-fuzz), restricted to Core 2.0 without SIMD, or with it
(``--simd``). The module then runs in both runtimes: every exported function is called
with zeros and with a few seeded argument lists, in the same order in both, preceded by
``hangLimitInitializer`` (binaryen's loop/recursion budget) when the module has it. After
each call the two runtimes must agree on

- the outcome: results (NaN-ness only for NaN floats, null-ness for references) or the
  kind of trap,
- the values logged through the ``fuzzing-support`` imports during the call,
- the exported state: memory size and contents hash, globals, table sizes and null slots.

wasmtime runs in this process with fuel; wazaot runs in a subprocess with a timeout,
so infinite loops and crashes (segfaults) of its generated code are survived and
reported. When wasmtime runs out of fuel, that call and the later ones are not compared.

The wazaot side also reports every value with all its bits (``exact``: NaN payloads
included), can compile with ``RuntimeConfig(canonicalize_nans=True)`` and runs several
modules per process: ``crossarch.py`` builds on that to compare wazaot on x86-64 with
wazaot on arm64 bit for bit.

From the checkout's top::

    PYTHONPATH=. python3 -m tests.fuzz.differential --seeds 0:200 [--jobs 2] [--size 8192]
        [--passes mixed] [--time-limit 900] [--canonicalize-nans]
    PYTHONPATH=. python3 -m tests.fuzz.differential --simd --seeds 0:200 [--exact-nans]
    PYTHONPATH=. python3 -m tests.fuzz.differential --check FILE.wasm [-v]
    PYTHONPATH=. python3 -m tests.fuzz.differential --reduce SEED [--simd]

``--simd`` makes modules with the SIMD instructions (v128 parameters, results, globals
and ``log-v128`` reach wasmtime-py, which has no v128 values, as two i64 halves through
small wasm shims), compared with ``--canonicalize-nans`` (both runtimes make each NaN
result of a float operation the canonical NaN, so results are compared bit for bit: a
NaN lane's bits reach integers through lane extraction and bitwise operations far more
often than through scalar reinterpretations). ``--exact-nans`` compares them without
canonicalisation, as the scalar fuzzer does by default.

``--check`` runs one module and prints a one-line verdict (exit status 1 on a mismatch
or crash), which is what ``wasm-reduce`` needs; ``--reduce`` runs ``wasm-reduce`` on a
seed's module with that command and writes the reduced module and its text.
Mismatching modules and their reports are written to ``--out`` (default
``/tmp/wazaot-fuzz``).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]

# Core 2.0 without SIMD, with the flags of the installed binaryen (version 108).
# Its reference-types fuzzing predates the final proposal (it emits `anyref`, 0x6E, and
# lets a funcref flow into it), so ~97% of those modules are invalid: `generate` tries
# with reference types and falls back to REFTYPES_OFF when wasmtime rejects the module.
FEATURE_FLAGS = [
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-bulk-memory",
    "--enable-multivalue",
    "--enable-reference-types",
    "--disable-simd",
    "--disable-threads",
    "--disable-gc",
    "--disable-gc-nn-locals",
    "--disable-exception-handling",
    "--disable-tail-call",
    "--disable-memory64",
    "--disable-extended-const",
    "--disable-relaxed-simd",
    "--disable-typed-function-references",
]
REFTYPES_OFF = [f for f in FEATURE_FLAGS if f != "--enable-reference-types"] + [
    "--disable-reference-types"]


def with_simd(flags: list[str]) -> list[str]:
    """``flags`` with SIMD (``--simd``: binaryen's fixed-width SIMD, not relaxed)."""
    return [("--enable-simd" if f == "--disable-simd" else f) for f in flags]

HANG_LIMIT_EXPORT = "hangLimitInitializer"
DEFAULT_SIZE = 8192
DEFAULT_TIMEOUT = 30.0
DEFAULT_FUEL = 50_000_000
ARG_SETS = 3
PASS_MIX = ["", "", "-O1", "-O3", "-Os", "-fp", "-O2 -fp"]

MASK32 = (1 << 32) - 1
MASK64 = (1 << 64) - 1
MASK128 = (1 << 128) - 1

# Trap kinds: the spec's wording (wazaot's messages) -> a key both runtimes map to.
TRAP_PHRASES = [
    ("unreachable", "unreachable"),
    ("integer divide by zero", "div0"),
    ("integer overflow", "overflow"),
    ("invalid conversion to integer", "conversion"),
    ("out of bounds memory access", "oob-memory"),
    ("out of bounds table access", "oob-table"),
    ("undefined element", "oob-table"),  # wasmtime says "table out of bounds" for both
    ("uninitialized element", "null-element"),
    ("indirect call type mismatch", "signature"),
    ("call stack exhausted", "stack"),
]

INTERESTING = {
    "i32": [0, 1, 2, 7, 0xFF, 0x100, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000,
            0xFFFFFFFF, 0xFFFFFFFE, 0xFFFF8000],
    "i64": [0, 1, 2, 0xFF, 0xFFFFFFFF, 0x100000000, 0x7FFFFFFF, 0x80000000,
            0x7FFFFFFFFFFFFFFF, 0x8000000000000000, MASK64, MASK64 - 1, 0xFFFFFFFF80000000],
    "f32": [0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x7F800000, 0xFF800000,
            0x7FC00000, 0x00000001, 0x80000001, 0x007FFFFF, 0x7F7FFFFF, 0x4F000000,
            0xCF000000, 0x5F000000, 0xDF000000, 0x3F000000, 0x4F800000, 0xCF000001],
    "f64": [0x0000000000000000, 0x8000000000000000, 0x3FF0000000000000,
            0xBFF0000000000000, 0x7FF0000000000000, 0xFFF0000000000000,
            0x7FF8000000000000, 0x0000000000000001, 0x000FFFFFFFFFFFFF,
            0x7FEFFFFFFFFFFFFF, 0x41E0000000000000, 0xC1E0000000000000,
            0x43E0000000000000, 0xC3E0000000000000, 0x3FE0000000000000,
            0x41EFFFFFFFE00000, 0xC1E0000000200000],
}
CANONICAL_NAN = {"f32": 0x7FC00000, "f64": 0x7FF8000000000000}


# ---------------------------------------------------------------------------------
# values


def is_nan_bits(vt: str, bits: int) -> bool:
    if vt == "f32":
        return (bits & 0x7F800000) == 0x7F800000 and (bits & 0x007FFFFF) != 0
    return (bits & 0x7FF0000000000000) == 0x7FF0000000000000 and (
        bits & 0x000FFFFFFFFFFFFF
    ) != 0


def exact(vt: str, raw: int) -> Any:
    """A raw value with all its bits: numbers as unsigned bit patterns (NaNs included),
    references as null or not (their addresses mean nothing outside one process)."""
    if vt in ("i32", "f32"):
        return raw & MASK32
    if vt in ("i64", "f64"):
        return raw & MASK64
    if vt == "v128":
        return raw & MASK128
    if vt in ("funcref", "externref"):
        return "null" if not raw else "ref"
    raise ValueError(f"unknown value type {vt}")


def norm(vt: str, raw: int) -> Any:
    """A raw value in the form both runtimes are compared in: ``exact`` but every NaN
    the same (wasm leaves NaN bits nondeterministic)."""
    value = exact(vt, raw)
    return "nan" if vt in CANONICAL_NAN and is_nan_bits(vt, value) else value


def memory_digest(data: bytes) -> str:
    """A memory's contents, hashed to compare them after every call: MD5, which is 7x
    faster than SHA-256 under qemu (where arm64's SHA instructions are emulated)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def make_args(seed: int, export: str, k: int, params: list[str]) -> list[int]:
    """Argument list ``k`` for an export: zeros for k == 0, else seeded values."""
    if k == 0:
        return [0 for _ in params]
    rng = random.Random(f"{seed}/{export}/{k}")
    args = []
    for vt in params:
        if vt in ("funcref", "externref"):
            args.append(0)
            continue
        if vt == "v128":
            lanes = [rng.choice(INTERESTING[rng.choice(["i32", "f32"])]) if rng.random() < 0.5
                     else rng.getrandbits(32) for _ in range(4)]
            args.append(sum(lane << (32 * j) for j, lane in enumerate(lanes)))
            continue
        bits = 32 if vt in ("i32", "f32") else 64
        if rng.random() < 0.5:
            value = rng.choice(INTERESTING[vt])
        elif rng.random() < 0.5:
            value = rng.getrandbits(rng.choice([4, 8, 16, bits])) * rng.choice([1, -1])
            value &= (1 << bits) - 1
        else:
            value = rng.getrandbits(bits)
        if vt in CANONICAL_NAN and is_nan_bits(vt, value):
            # NaN payloads do not survive wasmtime-py's float conversion
            value = CANONICAL_NAN[vt]
        args.append(value)
    return args


def make_plan(seed: int, exports: list[tuple[str, list[str], list[str]]],
              arg_sets: int = ARG_SETS) -> list[dict[str, Any]]:
    """The calls made in both runtimes, in order."""
    names = {name: (params, results) for name, params, results in exports}
    hang = names.get(HANG_LIMIT_EXPORT) == ([], [])
    plan: list[dict[str, Any]] = []
    for name, params, results in exports:
        if name == HANG_LIMIT_EXPORT:
            continue
        for k in range(arg_sets if params else 1):
            if hang:
                plan.append({"export": HANG_LIMIT_EXPORT, "params": [], "results": [],
                             "args": [], "aux": True})
            plan.append({"export": name, "params": params, "results": results,
                         "args": make_args(seed, name, k, params), "aux": False})
    return plan


# ---------------------------------------------------------------------------------
# module generation


def wasm_opt() -> str | None:
    return shutil.which("wasm-opt")


class GenerationError(Exception):
    pass


def passes_for(seed: int, passes: str) -> list[str]:
    """wasm-opt passes run on the -ttf module: ``passes`` split, or for "mixed" a
    seeded choice among PASS_MIX (optimised code has other shapes: tees, selects...)."""
    if passes == "mixed":
        passes = random.Random(f"passes/{seed}").choice(PASS_MIX)
    return passes.split()


def generate(seed: int, size: int = DEFAULT_SIZE, *, denan: bool = False,
             workdir: Path | None = None, passes: list[str] | None = None,
             simd: bool = False) -> bytes:
    """The ``wasm-opt -ttf`` module for ``seed``: with reference types if that one is
    valid (wasmtime validates it), else without; with SIMD if ``simd``."""
    return generate_info(seed, size, denan=denan, workdir=workdir, passes=passes,
                         simd=simd)[0]


def generate_info(seed: int, size: int = DEFAULT_SIZE, *, denan: bool = False,
                  workdir: Path | None = None, passes: list[str] | None = None,
                  simd: bool = False) -> tuple[bytes, list[str]]:
    """``generate``'s module and the feature flags it was made with."""
    flags, fallback = ((with_simd(FEATURE_FLAGS), with_simd(REFTYPES_OFF)) if simd
                       else (FEATURE_FLAGS, REFTYPES_OFF))
    try:
        wasm = generate_with(seed, size, flags, denan=denan, workdir=workdir,
                             passes=passes)
        module_exports(wasm)
        return wasm, flags
    except Exception:  # also binaryen 108's -fp failing on references ("Flatten was...")
        wasm = generate_with(seed, size, fallback, denan=denan, workdir=workdir,
                             passes=passes)
        return wasm, fallback


def generate_with(seed: int, size: int, flags: list[str], *, denan: bool = False,
                  workdir: Path | None = None, passes: list[str] | None = None) -> bytes:
    exe = wasm_opt()
    if exe is None:
        raise GenerationError("wasm-opt not found (apt-get install binaryen)")
    data = random.Random(seed).randbytes(size)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        src, out = Path(tmp) / "input.bin", Path(tmp) / "out.wasm"
        src.write_bytes(data)
        cmd = [exe, str(src), "-ttf", *(passes or []), "-o", str(out), *flags]
        if denan:
            cmd.append("--denan")
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0 or not out.exists():
            raise GenerationError(f"wasm-opt failed: {proc.stderr.strip()[-500:]}")
        return out.read_bytes()


# ---------------------------------------------------------------------------------
# wazaot side (runs in a subprocess: `--wazaot-worker`, plan on stdin, JSON lines out)


def wazaot_trap_kind(message: str) -> str:
    for phrase, kind in TRAP_PHRASES:
        if phrase in message:
            return kind
    return f"other: {message.splitlines()[0] if message else ''}"


def _wazaot_state(mod: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The exported state (see the module's docstring), compared (``norm``) and
    ``exact`` (they differ only in NaN globals)."""
    state: dict[str, Any] = {}
    bits: dict[str, Any] = {}
    for name in sorted(mod.exports):
        mem = mod.exported_memory(name)
        if mem is not None:
            size = mem.size
            state[name] = bits[name] = [
                "memory", size, memory_digest(mem.read(0, size))]
            continue
        glob = mod.exported_global(name)
        if glob is not None:
            vt, raw = glob.type.name.lower(), glob.get()
            state[name], bits[name] = ["global", norm(vt, raw)], ["global", exact(vt, raw)]
            continue
        table = mod.exported_table(name)
        if table is not None:
            n = table.size()
            state[name] = bits[name] = [
                "table", n, "".join("0" if table.get(i) == 0 else "1" for i in range(n))]
    return state, bits


def _dump_memories(mod: Any, path: str) -> None:
    for name in sorted(mod.exports):
        mem = mod.exported_memory(name)
        if mem is not None:
            Path(path).write_bytes(mem.read(0, mem.size))
            return


def wazaot_worker(stream_in: Any = None, stream_out: Any = None) -> int:
    """Run a job read from ``stream_in``: ``{"wasm": path, "plan": [...], "dump": ...,
    "canonicalize_nans": bool}``, or ``{"jobs": [job, ...]}`` for several modules in one
    process (their events carry the job's index ``m``). Events go out as JSON lines."""
    request = json.load(stream_in or sys.stdin)
    out = stream_out or sys.stdout

    import wazaot

    for m, job in enumerate(request["jobs"] if "jobs" in request else [request]):
        tag = {"m": m} if "jobs" in request else {}

        def emit(_tag: dict[str, int] = tag, **obj: Any) -> None:
            out.write(json.dumps({**obj, **_tag}) + "\n")
            out.flush()

        _run_job(wazaot, job, emit)
        emit(ev="done")
    return 0


def _run_job(wazaot: Any, job: dict[str, Any], emit: Any) -> None:
    """One module's events. Besides the compared form (``norm``), instantiations and
    calls carry ``exact``: the same outcome, logs and state with every bit (``exact``)."""
    wasm = Path(job["wasm"]).read_bytes()
    rt = wazaot.Runtime(wazaot.RuntimeConfig(
        canonicalize_nans=bool(job.get("canonicalize_nans"))))
    try:
        cm = rt.compile(wasm)
    except wazaot.UnsupportedError as e:
        emit(ev="unsupported", msg=str(e))
        return
    except wazaot.CompileError as e:
        emit(ev="compile_error", msg=f"{type(e).__name__}: {e}")
        return
    except Exception as e:
        emit(ev="compile_crash", msg=f"{type(e).__name__}: {e}", tb=traceback.format_exc())
        return
    emit(ev="compiled")

    logs: list[list[Any]] = []
    exact_logs: list[list[Any]] = []
    builders: dict[str, Any] = {}
    for fdef in cm.imported_functions:
        module, name = fdef.import_
        if module not in builders:
            builders[module] = rt.new_host_module_builder(module)
        ptypes = [t.name.lower() for t in fdef.param_types]
        rtypes = list(fdef.result_types)

        def host(caller: Any, *raw: int, _name: str = name, _pt: list[str] = ptypes,
                 _nres: int = len(rtypes)) -> Any:
            logs.append([_name, [norm(t, r) for t, r in zip(_pt, raw)]])
            exact_logs.append([_name, [exact(t, r) for t, r in zip(_pt, raw)]])
            return [0] * _nres if _nres else None

        builders[module].function(name, host, params=list(fdef.param_types), results=rtypes)
    for b in builders.values():
        b.instantiate()

    try:
        mod = rt.instantiate(cm)
    except wazaot.Trap as e:
        outcome = ["trap", wazaot_trap_kind(e.message)]
        emit(ev="instantiated", outcome=outcome, detail=e.message, logs=logs,
             exact={"outcome": outcome, "logs": exact_logs})
        return
    except Exception as e:
        outcome = ["error", f"{type(e).__name__}: {e}"]
        emit(ev="instantiated", outcome=outcome, detail=traceback.format_exc(), logs=logs,
             exact={"outcome": outcome, "logs": exact_logs})
        return
    state, bits = _wazaot_state(mod)
    emit(ev="instantiated", outcome=["ok", []], logs=logs, state=state,
         exact={"outcome": ["ok", []], "logs": exact_logs, "state": bits})

    for i, entry in enumerate(job["plan"]):
        emit(ev="start", i=i)
        logs.clear()
        exact_logs.clear()
        detail = ""
        func = mod.exported_function(entry["export"])
        try:
            res = func.call(*entry["args"])
            outcome = ["ok", [norm(t, r) for t, r in zip(entry["results"], res)]]
            result_bits = ["ok", [exact(t, r) for t, r in zip(entry["results"], res)]]
            if len(res) != len(entry["results"]):
                outcome = result_bits = [
                    "error", f"{len(res)} results for {len(entry['results'])} types"]
        except wazaot.Trap as e:
            outcome = result_bits = ["trap", wazaot_trap_kind(e.message)]
            detail = str(e)
        except Exception as e:
            outcome = result_bits = ["error", f"{type(e).__name__}: {e}"]
            detail = traceback.format_exc()
        state, bits = _wazaot_state(mod)
        emit(ev="call", i=i, outcome=outcome, detail=detail, logs=list(logs), state=state,
             exact={"outcome": result_bits, "logs": list(exact_logs), "state": bits})
        if job.get("dump") and job["dump"]["i"] == i:
            _dump_memories(mod, job["dump"]["path"])
            break


# ---------------------------------------------------------------------------------
# wasmtime side (in process, with fuel)


def _wt_type(t: Any) -> str:
    import wasmtime

    for name in ("i32", "i64", "f32", "f64", "funcref", "externref"):
        if t == getattr(wasmtime.ValType, name)():
            return name
    return str(t)


def _wt_to_raw(vt: str, v: Any) -> int:
    if vt in ("i32", "i64"):
        return v & (MASK32 if vt == "i32" else MASK64)
    if vt == "f32":
        return struct.unpack("<I", struct.pack("<f", v))[0]
    if vt == "f64":
        return struct.unpack("<Q", struct.pack("<d", v))[0]
    return 0 if v is None else 1


def _raw_to_wt(vt: str, raw: int) -> Any:
    if vt == "i32":
        return raw - (1 << 32) if raw & 0x80000000 else raw
    if vt == "i64":
        return raw - (1 << 64) if raw & (1 << 63) else raw
    if vt == "f32":
        return struct.unpack("<f", struct.pack("<I", raw))[0]
    if vt == "f64":
        return struct.unpack("<d", struct.pack("<Q", raw))[0]
    return None


def _wt_trap_kind(e: Exception) -> str:
    import wasmtime

    code = getattr(e, "trap_code", None) if isinstance(e, wasmtime.Trap) else None
    c = wasmtime.TrapCode
    kinds = {
        c.STACK_OVERFLOW: "stack",
        c.MEMORY_OUT_OF_BOUNDS: "oob-memory",
        c.HEAP_MISALIGNED: "oob-memory",
        c.TABLE_OUT_OF_BOUNDS: "oob-table",
        c.INDIRECT_CALL_TO_NULL: "null-element",
        c.BAD_SIGNATURE: "signature",
        c.INTEGER_OVERFLOW: "overflow",
        c.INTEGER_DIVISION_BY_ZERO: "div0",
        c.BAD_CONVERSION_TO_INTEGER: "conversion",
        c.UNREACHABLE: "unreachable",
        c.OUT_OF_FUEL: "fuel",
    }
    if code in kinds:
        return kinds[code]
    return f"other: {str(e).splitlines()[0] if str(e) else type(e).__name__}"


# wasmtime's proposals beyond Core 2.0, turned off: binaryen 108 sometimes emits their
# types even when told not to (a typed reference `(ref 0)` as a block type with
# reference types and SIMD on), and such a module is no test of wazaot.
NOT_CORE2 = ["wasm_gc", "wasm_function_references", "wasm_exceptions", "wasm_tail_call",
             "wasm_memory64", "wasm_multi_memory", "wasm_threads", "wasm_relaxed_simd",
             "wasm_stack_switching", "wasm_custom_page_sizes", "wasm_wide_arithmetic"]


def core2_config() -> Any:
    """A wasmtime configuration that accepts WebAssembly Core 2.0 and no more."""
    import wasmtime

    config = wasmtime.Config()
    for name in NOT_CORE2:  # write-only properties (hasattr says False)
        try:
            setattr(config, name, False)
        except AttributeError:  # an older wasmtime without the proposal
            pass
    return config


def module_exports(wasm: bytes) -> list[tuple[str, list[str], list[str]]]:
    """Exported functions ``(name, param types, result types)`` in export order, of a
    module wasmtime validates as Core 2.0 (raises if it does not)."""
    import wasmtime

    wasmtime.Module(wasmtime.Engine(core2_config()), wasm)
    return signatures(wasm).exports


# wasmtime-py has no v128 values: it aborts the process on any v128 in a function's or
# global's type it looks at. The types therefore come from the binary (wazaot's
# decoder), and v128 crosses the boundary as two i64 halves through small wasm modules:
# a shim per import with v128 parameters (fuzzing-support's log-v128) and one wrapper of
# the exports with v128 in their type (and the exported v128 globals).


@dataclass
class Signatures:
    imports: list[tuple[str, str, list[str], list[str]]]  # (module, name, params, results)
    exports: list[tuple[str, list[str], list[str]]]  # functions, in export order
    globals: dict[str, tuple[str, bool]]  # exported global -> (type, mutable)
    other_imports: list[str] = field(default_factory=list)  # not functions


def _vt(t: Any) -> str:
    return t.name.lower()


def signatures(wasm: bytes) -> Signatures:
    from wazaot.wasm.decoder import decode_module
    from wazaot.wasm.module import ExternKind

    module = decode_module(wasm, bodies=False)
    types = module.func_types()
    sig = Signatures([], [], {})
    for imp in module.imports:
        if imp.kind == ExternKind.FUNC:
            ft = module.types[imp.desc]  # type: ignore[index]
            sig.imports.append((imp.module, imp.name, [_vt(t) for t in ft.params],
                                [_vt(t) for t in ft.results]))
        else:
            sig.other_imports.append(f"{imp.module}.{imp.name}")
    gtypes = module.global_types()
    for exp in module.exports:
        if exp.kind == ExternKind.FUNC:
            ft = types[exp.index]
            sig.exports.append((exp.name, [_vt(t) for t in ft.params],
                                [_vt(t) for t in ft.results]))
        elif exp.kind == ExternKind.GLOBAL:
            g = gtypes[exp.index]
            sig.globals[exp.name] = (_vt(g.value_type), g.mutable)
    return sig


_WG_TYPES = {"i32": 0x7F, "i64": 0x7E, "f32": 0x7D, "f64": 0x7C, "v128": 0x7B,
             "funcref": 0x70, "externref": 0x6F}
_EXTRACT_LO, _EXTRACT_HI = b"\xfd\x1d\x00", b"\xfd\x1d\x01"  # i64x2.extract_lane 0 / 1


def _flat(types: list[str]) -> list[str]:
    return [u for t in types for u in (["i64", "i64"] if t == "v128" else [t])]


def _wg_type(params: list[str], results: list[str]) -> bytes:
    from tests.spec import wasmgen as wg

    return wg.func_type([_WG_TYPES[t] for t in params], [_WG_TYPES[t] for t in results])


def import_shim(params: list[str]) -> bytes:
    """A module exporting "f" of type ``params -> ()`` that calls its import "h"."f"
    with every v128 parameter as two i64 halves (low first)."""
    from tests.spec import wasmgen as wg

    body = b""
    for k, t in enumerate(params):
        get = b"\x20" + wg.uleb(k)
        body += get + _EXTRACT_LO + get + _EXTRACT_HI if t == "v128" else get
    body += b"\x10\x00" + wg.END
    return wg.module(
        wg.section(wg.TYPE, wg.vec([_wg_type(_flat(params), []), _wg_type(params, [])])),
        wg.section(wg.IMPORT, wg.vec([wg.name("h") + wg.name("f") + b"\x00\x00"])),
        wg.section(wg.FUNCTION, wg.vec([b"\x01"])),
        wg.section(wg.EXPORT, wg.vec([wg.name("f") + b"\x00\x01"])),
        wg.section(wg.CODE, wg.vec([wg.code(body)])))


def export_wrapper(funcs: list[tuple[list[str], list[str]]],
                   globals_: list[bool]) -> bytes:
    """A module importing functions ("m" "f<j>", of the types ``funcs``) and v128 globals
    ("m" "g<i>", mutable or not) and exporting "f<j>" with every v128 parameter and
    result as two i64 halves, and "g<i>" returning the global's halves."""
    from tests.spec import wasmgen as wg

    types, imports, bodies, exports = [], [], [], []
    for j, (params, results) in enumerate(funcs):
        types += [_wg_type(params, results), _wg_type(_flat(params), _flat(results))]
        imports.append(wg.name("m") + wg.name(f"f{j}") + b"\x00" + wg.uleb(2 * j))
        body, a = b"", 0
        for t in params:
            if t == "v128":  # i64x2.splat lo; i64x2.replace_lane 1 hi
                body += (b"\x20" + wg.uleb(a) + b"\xfd\x12" + b"\x20" + wg.uleb(a + 1)
                         + b"\xfd\x1e\x01")
                a += 2
            else:
                body += b"\x20" + wg.uleb(a)
                a += 1
        body += b"\x10" + wg.uleb(j)
        first = len(_flat(params))  # the results' locals
        for r in reversed(range(len(results))):
            body += b"\x21" + wg.uleb(first + r)
        for r, t in enumerate(results):
            get = b"\x20" + wg.uleb(first + r)
            body += get + _EXTRACT_LO + get + _EXTRACT_HI if t == "v128" else get
        bodies.append(wg.code(body + wg.END, [(1, _WG_TYPES[t]) for t in results]))
        exports.append(wg.name(f"f{j}") + b"\x00" + wg.uleb(len(funcs) + j))
    getter = len(types)
    if globals_:
        types.append(_wg_type([], ["i64", "i64"]))
    for i, mutable in enumerate(globals_):
        imports.append(wg.name("m") + wg.name(f"g{i}") + b"\x03\x7b" + bytes([mutable]))
        get = b"\x23" + wg.uleb(i)
        bodies.append(wg.code(get + _EXTRACT_LO + get + _EXTRACT_HI + wg.END))
        exports.append(wg.name(f"g{i}") + b"\x00" + wg.uleb(2 * len(funcs) + i))
    functions = [wg.uleb(2 * j + 1) for j in range(len(funcs))] + [
        wg.uleb(getter) for _ in globals_]
    return wg.module(
        wg.section(wg.TYPE, wg.vec(types)), wg.section(wg.IMPORT, wg.vec(imports)),
        wg.section(wg.FUNCTION, wg.vec(functions)), wg.section(wg.EXPORT, wg.vec(exports)),
        wg.section(wg.CODE, wg.vec(bodies)))


def _halves(raw: int) -> list[int]:
    return [_raw_to_wt("i64", raw & MASK64), _raw_to_wt("i64", (raw >> 64) & MASK64)]


def _to_flat(types: list[str], raws: list[int]) -> list[Any]:
    return [v for t, r in zip(types, raws)
            for v in (_halves(r) if t == "v128" else [_raw_to_wt(t, r)])]


def _from_flat(types: list[str], vals: list[Any]) -> list[int]:
    """Raw values of ``types`` from wasmtime's values (a v128 as two i64 halves)."""
    out, k = [], 0
    for t in types:
        if t == "v128":
            out.append((vals[k] & MASK64) | (vals[k + 1] & MASK64) << 64)
            k += 2
        else:
            out.append(_wt_to_raw(t, vals[k]))
            k += 1
    return out


def _wt_valtype(name: str) -> Any:
    import wasmtime

    return getattr(wasmtime.ValType, name)()


def run_wasmtime(wasm: bytes, plan: list[dict[str, Any]], fuel: int = DEFAULT_FUEL,
                 dump: dict[str, Any] | None = None, canonicalize_nans: bool = False,
                 ) -> list[dict[str, Any]]:
    """The trace of ``plan`` in wasmtime: an instantiation record, then one per call.
    ``canonicalize_nans``: Cranelift's NaN canonicalisation, which makes the same NaNs
    of the same operations as wazaot's."""
    import wasmtime

    config = core2_config()
    config.consume_fuel = True
    config.cranelift_nan_canonicalization = canonicalize_nans
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    store.set_fuel(fuel)
    module = wasmtime.Module(engine, wasm)
    sig = signatures(wasm)
    if sig.other_imports:
        raise GenerationError(f"unexpected import {sig.other_imports[0]}")
    logs: list[list[Any]] = []
    imports = []
    for _module, imp_name, ptypes, rtypes in sig.imports:
        if "v128" in rtypes:
            raise GenerationError(f"import {imp_name} returns v128")

        def host(*vals: Any, _name: str = imp_name, _pt: list[str] = ptypes,
                 _rt: list[str] = rtypes) -> Any:
            raws = _from_flat(_pt, list(vals))
            logs.append([_name, [norm(t, r) for t, r in zip(_pt, raws)]])
            zeros = [_raw_to_wt(t, 0) for t in _rt]
            return None if not zeros else zeros[0] if len(zeros) == 1 else zeros

        flat = wasmtime.FuncType([_wt_valtype(t) for t in _flat(ptypes)],
                                 [_wt_valtype(t) for t in rtypes])
        func = wasmtime.Func(store, flat, host)
        if "v128" in ptypes:
            shim = wasmtime.Instance(store, wasmtime.Module(engine, import_shim(ptypes)),
                                     [func])
            func = shim.exports(store)["f"]
        imports.append(func)

    trace: list[dict[str, Any]] = []
    try:
        instance = wasmtime.Instance(store, module, imports)
    except Exception as e:
        trace.append({"ev": "instantiated", "outcome": ["trap", _wt_trap_kind(e)],
                      "detail": str(e), "logs": list(logs)})
        return trace
    exports = instance.exports(store)
    # the exports with v128 in their type, through a wrapper
    wrapped_funcs = [(n, p, r) for n, p, r in sig.exports if "v128" in p + r]
    wrapped_globals = [n for n, (t, _) in sig.globals.items() if t == "v128"]
    wrapped: dict[str, Any] = {}
    if wrapped_funcs or wrapped_globals:
        wrapper = wasmtime.Instance(store, wasmtime.Module(engine, export_wrapper(
            [(p, r) for _, p, r in wrapped_funcs],
            [sig.globals[n][1] for n in wrapped_globals])),
            [exports[n] for n, _, _ in wrapped_funcs] + [exports[n] for n in wrapped_globals])
        wexports = wrapper.exports(store)
        wrapped = {n: wexports[f"f{j}"] for j, (n, _, _) in enumerate(wrapped_funcs)}
        wrapped.update({n: wexports[f"g{i}"] for i, n in enumerate(wrapped_globals)})

    def state() -> dict[str, Any]:
        st: dict[str, Any] = {}
        for name in sorted(exports):
            ext = exports[name]
            if isinstance(ext, wasmtime.Memory):
                size = ext.data_len(store)
                data = ext.read(store, 0, size) if size else b""
                st[name] = ["memory", size, memory_digest(data)]
            elif isinstance(ext, wasmtime.Global):
                vt = sig.globals[name][0]
                if vt == "v128":
                    st[name] = ["global", norm(vt, _from_flat(["v128"], wrapped[name](store))[0])]
                else:
                    st[name] = ["global", norm(vt, _wt_to_raw(vt, ext.value(store)))]
            elif isinstance(ext, wasmtime.Table):
                n = ext.size(store)
                st[name] = ["table", n, "".join("0" if ext.get(store, i) is None else "1"
                                                for i in range(n))]
        return st

    trace.append({"ev": "instantiated", "outcome": ["ok", []], "logs": list(logs),
                  "state": state()})
    for i, entry in enumerate(plan):
        logs.clear()
        store.set_fuel(fuel)
        func = wrapped.get(entry["export"]) or exports[entry["export"]]
        args = _to_flat(entry["params"], entry["args"])
        detail = ""
        try:
            res = func(store, *args)
            results = entry["results"]
            nflat = len(_flat(results))
            vals = [] if not nflat else [res] if nflat == 1 else list(res)
            outcome = ["ok", [norm(t, r) for t, r in zip(results, _from_flat(results, vals))]]
        except Exception as e:
            outcome = ["trap", _wt_trap_kind(e)]
            detail = str(e)
        trace.append({"ev": "call", "i": i, "outcome": outcome, "detail": detail,
                      "logs": list(logs), "state": state()})
        if outcome == ["trap", "fuel"]:
            break
        if dump and dump["i"] == i:
            for name in sorted(exports):
                ext = exports[name]
                if isinstance(ext, wasmtime.Memory):
                    size = ext.data_len(store)
                    Path(dump["path"]).write_bytes(ext.read(store, 0, size) if size else b"")
                    break
            break
    return trace


# ---------------------------------------------------------------------------------
# comparison


@dataclass
class Report:
    seed: int | None
    status: str = "ok"  # ok, mismatch, crash, timeout, unsupported, generator
    wasm_size: int = 0
    exports: int = 0  # exported functions of the module
    calls_compared: int = 0  # non-auxiliary calls compared
    fuel_stop: int | None = None  # the plan entry where wasmtime ran out of fuel
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    trace: list[dict[str, Any]] = field(default_factory=list, repr=False)  # wazaot's events

    def line(self) -> str:
        where = f"seed {self.seed}" if self.seed is not None else "module"
        extra = f" ({self.message})" if self.message else ""
        return (f"{where}: {self.status}{extra} [{self.wasm_size} bytes, {self.exports} "
                f"exports, {self.calls_compared} calls compared"
                f"{', fuel stop' if self.fuel_stop is not None else ''}, {self.seconds:.1f}s]")


def run_wazaot(wasm_path: Path, plan: list[dict[str, Any]], timeout: float,
               dump: dict[str, Any] | None = None, canonicalize_nans: bool = False,
               ) -> tuple[list[dict[str, Any]], str, int | None, str]:
    """wazaot's trace from a subprocess: (events, stderr tail, return code, 'timeout'|'')."""
    return run_worker({"wasm": str(wasm_path), "plan": plan, "dump": dump,
                       "canonicalize_nans": canonicalize_nans}, timeout)


def run_worker(request: dict[str, Any], timeout: float,
               ) -> tuple[list[dict[str, Any]], str, int | None, str]:
    """``wazaot_worker``'s events for ``request`` (one job or a batch) from a subprocess."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    cmd = [sys.executable, "-m", "tests.fuzz.differential", "--wazaot-worker"]
    job = json.dumps(request)
    status = ""
    try:
        proc = subprocess.run(cmd, input=job, capture_output=True, text=True,
                              timeout=timeout, cwd=REPO_ROOT, env=env)
        out, err, rc = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as e:
        def text(b: Any) -> str:
            return b.decode(errors="replace") if isinstance(b, bytes) else (b or "")
        out, err, rc, status = text(e.stdout), text(e.stderr), None, "timeout"
    events = []
    for line in out.splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return events, err[-3000:], rc, status


def _memory_differs(events: list[dict[str, Any]], ref: list[dict[str, Any]]) -> bool:
    got = {e["i"]: e.get("state") for e in events if e["ev"] == "call"}
    return any(rec["ev"] == "call" and rec["i"] in got and got[rec["i"]] != rec.get("state")
               for rec in ref)


def _memory_diff(path: Path, wasm: bytes, plan: list[dict[str, Any]], timeout: float,
                 fuel: int, events: list[dict[str, Any]], ref: list[dict[str, Any]],
                 canonicalize_nans: bool = False) -> dict[str, Any]:
    """Rerun both runtimes up to the first call after which memory differs, and list
    the differing byte ranges (which tell NaN payloads from real bugs)."""
    got = {e["i"]: e for e in events if e["ev"] == "call"}
    first = next(rec["i"] for rec in ref if rec["ev"] == "call" and rec["i"] in got
                 and got[rec["i"]].get("state") != rec.get("state"))
    a, b = path.with_suffix(".wazaot.mem"), path.with_suffix(".wasmtime.mem")
    run_wazaot(path, plan, timeout, dump={"i": first, "path": str(a)},
               canonicalize_nans=canonicalize_nans)
    run_wasmtime(wasm, plan, fuel, dump={"i": first, "path": str(b)},
                 canonicalize_nans=canonicalize_nans)
    if not (a.exists() and b.exists()):
        return {"call": first, "error": "no dump"}
    x, y = a.read_bytes(), b.read_bytes()
    ranges: list[list[Any]] = []
    for off in range(min(len(x), len(y))):
        if x[off] != y[off]:
            if ranges and off <= ranges[-1][1] + 8:
                ranges[-1][1] = off
            elif len(ranges) < 16:
                ranges.append([off, off])
    return {"call": first, "sizes": [len(x), len(y)],
            "nan_payloads_only": len(x) == len(y) and all(
                _nan_covered(x, y, lo, hi) for lo, hi in ranges),
            "ranges": [{"offset": lo, "wazaot": x[lo:hi + 1].hex(),
                        "wasmtime": y[lo:hi + 1].hex()} for lo, hi in ranges]}


def _nan_covered(x: bytes, y: bytes, lo: int, hi: int) -> bool:
    """Whether bytes lo..hi lie in an f32 or f64 that is a NaN in both memories (NaN
    payloads may differ between runtimes)."""
    for width, fmt, vt in ((4, "<I", "f32"), (8, "<Q", "f64")):
        for start in range(max(0, hi - width + 1), lo + 1):
            if start + width > len(x):
                continue
            a = struct.unpack(fmt, x[start:start + width])[0]
            b = struct.unpack(fmt, y[start:start + width])[0]
            if is_nan_bits(vt, a) and is_nan_bits(vt, b):
                return True
    return False


def _only_memory_differs(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.keys() == b.keys() and all(
        a[k] == b[k] or a[k][0] == "memory" == b[k][0] and a[k][1] == b[k][1] for k in a)


def _describe_call(entry: dict[str, Any]) -> str:
    args = ", ".join(f"{t}:{a:#x}" for t, a in zip(entry["params"], entry["args"]))
    return f"{entry['export']}({args})"


def compare(wasm: bytes, plan: list[dict[str, Any]], timeout: float = DEFAULT_TIMEOUT,
            fuel: int = DEFAULT_FUEL, seed: int | None = None,
            exports: int = 0, canonicalize_nans: bool = False) -> Report:
    """Run ``plan`` in both runtimes, both with ``canonicalize_nans`` or neither (NaN
    bits reach integers through copysign and reinterpretations), and compare; wazaot's
    events are kept in the report's ``trace``."""
    report = Report(seed=seed, wasm_size=len(wasm), exports=exports)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "module.wasm"
        path.write_bytes(wasm)
        # start wazaot first so that it compiles while wasmtime runs
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            fut = pool.submit(run_wazaot, path, plan, timeout,
                              canonicalize_nans=canonicalize_nans)
            ref = run_wasmtime(wasm, plan, fuel, canonicalize_nans=canonicalize_nans)
            events, err, rc, status = fut.result()
        report.trace = events
        mem_diff = None
        if events and ref and _memory_differs(events, ref):
            mem_diff = _memory_diff(path, wasm, plan, timeout, fuel, events, ref,
                                    canonicalize_nans)

    def fail(kind: str, message: str, **details: Any) -> Report:
        report.status, report.message = kind, message
        report.details.update(details)
        report.details.setdefault("stderr", err)
        report.details.setdefault("returncode", rc)
        return report

    ev = {e["ev"]: e for e in events if e["ev"] not in ("call", "start")}
    calls = {e["i"]: e for e in events if e["ev"] == "call"}
    started = [e["i"] for e in events if e["ev"] == "start"]
    if "unsupported" in ev:
        report.status, report.message = "unsupported", ev["unsupported"]["msg"]
        return report
    if "compile_error" in ev:
        return fail("mismatch", "wazaot rejects a module wasmtime accepts",
                    wazaot=ev["compile_error"]["msg"])
    if "compile_crash" in ev:
        return fail("crash", "wazaot compile raised " + ev["compile_crash"]["msg"],
                    traceback=ev["compile_crash"]["tb"])

    def dead(at: str) -> Report:
        if status == "timeout":
            return fail("timeout", f"wazaot timed out ({timeout:.0f}s) {at}")
        if rc is not None and rc < 0:
            return fail("crash", f"wazaot died of signal {-rc} {at}")
        return fail("crash", f"wazaot worker exited with status {rc} {at}")

    if "compiled" not in ev:
        return dead("while compiling")
    if "instantiated" not in ev:
        return dead("while instantiating")
    pairs = [("instantiate", ev["instantiated"], ref[0])]
    for rec in ref[1:]:
        i = rec["i"]
        if rec["outcome"] == ["trap", "fuel"]:
            report.fuel_stop = i
            break
        if i not in calls:
            last = started[-1] if started else None
            if last is not None and last == i:
                return dead(f"in call #{i} {_describe_call(plan[i])}")
            return dead(f"before call #{i}")
        pairs.append((i, calls[i], rec))

    if mem_diff is not None:
        report.details["memory_diff"] = mem_diff
    for i, got, want in pairs:
        what = "instantiation" if i == "instantiate" else (
            f"call #{i} {_describe_call(plan[i])}")
        for key in ("outcome", "logs", "state"):
            if got.get(key) != want.get(key):
                if (key == "state" and mem_diff is not None and mem_diff.get("call") == i
                        and mem_diff.get("nan_payloads_only") and _only_memory_differs(
                            got["state"], want["state"])):
                    # legitimately nondeterministic: stop comparing, this is no bug
                    report.status = "nan-payload"
                    report.message = f"memory differs only in NaN payloads after {what}"
                    return report
                return fail("mismatch", f"{key} differs in {what}", call=i,
                            export=None if i == "instantiate" else plan[i]["export"],
                            field=key, wazaot=got.get(key), wasmtime=want.get(key),
                            wazaot_detail=got.get("detail", ""),
                            wasmtime_detail=want.get("detail", ""))
            if key == "outcome" and got["outcome"][0] == "error":
                return fail("crash", f"wazaot raised {got['outcome'][1]} in {what}",
                            traceback=got.get("detail", ""))
        if i != "instantiate" and not plan[i]["aux"]:
            report.calls_compared += 1
    return report


def prepare(seed: int, size: int = DEFAULT_SIZE, denan: bool = False, passes: str = "",
            simd: bool = False,
            ) -> tuple[bytes, list[tuple[str, list[str], list[str]]], list[dict[str, Any]]]:
    """A seed's module, its exported functions and the plan of calls run on it."""
    wasm = generate(seed, size, denan=denan, passes=passes_for(seed, passes), simd=simd)
    exports = module_exports(wasm)
    return wasm, exports, make_plan(seed, exports)


def run_seed(seed: int, size: int = DEFAULT_SIZE, timeout: float = DEFAULT_TIMEOUT,
             fuel: int = DEFAULT_FUEL, out_dir: Path | None = None,
             denan: bool = False, passes: str = "", canonicalize_nans: bool = False,
             simd: bool = False) -> Report:
    start = time.monotonic()
    try:
        wasm, exports, plan = prepare(seed, size, denan, passes, simd)
    except Exception as e:
        report = Report(seed=seed, status="generator", message=f"{type(e).__name__}: {e}")
        report.seconds = time.monotonic() - start
        return report
    report = compare(wasm, plan, timeout=timeout, fuel=fuel, seed=seed,
                     exports=len(exports), canonicalize_nans=canonicalize_nans)
    if report.status in ("mismatch", "crash", "timeout") and not denan:
        # triage: does the same seed still fail once binaryen removed every NaN?
        again = run_seed(seed, size, timeout, fuel, None, denan=True, passes=passes,
                         canonicalize_nans=canonicalize_nans, simd=simd)
        report.details["denan_status"] = f"{again.status}: {again.message}"
    report.seconds = time.monotonic() - start
    if out_dir is not None and report.status in ("mismatch", "crash", "timeout"):
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / f"seed-{seed}.wasm").write_bytes(wasm)
        (out_dir / f"seed-{seed}.json").write_text(json.dumps(
            {"report": {k: v for k, v in report.__dict__.items() if k != "trace"},
             "size": size, "passes": passes_for(seed, passes), "simd": simd,
             "plan": plan}, indent=1, default=str))
    return report


# ---------------------------------------------------------------------------------
# command line


def _parse_seeds(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        if ":" in part:
            lo, hi = part.split(":")
            seeds.extend(range(int(lo), int(hi)))
        else:
            seeds.append(int(part))
    return seeds


def _check(path: Path, args: argparse.Namespace) -> int:
    wasm = path.read_bytes()
    try:
        exports = module_exports(wasm)
    except Exception as e:
        print(f"invalid: {type(e).__name__}")
        return 2
    report = compare(wasm, make_plan(args.plan_seed, exports), timeout=args.timeout,
                     fuel=args.fuel, exports=len(exports),
                     canonicalize_nans=args.canonicalize_nans)
    if args.verbose:
        print(report.line())
        print(json.dumps(report.details, indent=1, default=str))
        return 0 if report.status in ("ok", "unsupported", "nan-payload") else 1
    # a stable verdict line, for wasm-reduce (which keeps the output unchanged)
    verdict = report.status
    if report.status == "mismatch":
        verdict += " " + str(report.details.get("field"))
    print(verdict)
    return 0 if report.status in ("ok", "unsupported", "nan-payload") else 1


def _reduce(seed: int, args: argparse.Namespace) -> int:
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    original = out_dir / f"seed-{seed}.wasm"
    wasm, flags = generate_info(seed, args.size, passes=passes_for(seed, args.passes),
                                simd=args.simd)
    original.write_bytes(wasm)
    test, work = out_dir / f"seed-{seed}.test.wasm", out_dir / f"seed-{seed}.reduced.wasm"
    command = (f"env PYTHONPATH={REPO_ROOT} {sys.executable} -m tests.fuzz.differential "
               f"--check {test} --timeout {args.timeout}"
               + (" --canonicalize-nans" if args.canonicalize_nans else ""))
    exe = wasm_opt()
    assert exe is not None
    cmd = ["wasm-reduce", str(original), f"--command={command}", "-t", str(test),
           "-w", str(work), "--timeout", str(int(args.timeout) + 5),
           "-b", str(Path(exe).parent), "--extra-flags", " ".join(flags)]
    print(" ".join(cmd), flush=True)
    rc = subprocess.call(cmd, cwd=REPO_ROOT)
    if rc == 0 and work.exists() and shutil.which("wasm-dis"):
        wat = subprocess.run(["wasm-dis", str(work)], capture_output=True, text=True).stdout
        (out_dir / f"seed-{seed}.reduced.wat").write_text(wat)
        print(wat)
    return rc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0:20", help="e.g. 0:200 or 1,5,9 (default 0:20)")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE,
                        help=f"random input bytes for wasm-opt -ttf (default {DEFAULT_SIZE})")
    parser.add_argument("--passes", default="",
                        help='wasm-opt passes after -ttf, e.g. "-O3", or "mixed" '
                             "(a seeded choice per seed)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds for wazaot's subprocess per module")
    parser.add_argument("--fuel", type=int, default=DEFAULT_FUEL,
                        help="wasmtime fuel per call")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                        help="stop starting seeds after this long, then summarise")
    parser.add_argument("--progress", type=int, default=100, metavar="N",
                        help="print a progress line every N seeds (0: never)")
    parser.add_argument("--out", default="/tmp/wazaot-fuzz",
                        help="where failing modules and reports are written")
    parser.add_argument("--check", metavar="FILE", help="compare one module and print a verdict")
    parser.add_argument("--plan-seed", type=int, default=0,
                        help="seed of the argument lists for --check")
    parser.add_argument("--reduce", type=int, metavar="SEED",
                        help="run wasm-reduce on a seed's module")
    parser.add_argument("--canonicalize-nans", action="store_true",
                        help="compile with RuntimeConfig(canonicalize_nans=True), and "
                             "wasmtime with Cranelift's NaN canonicalisation")
    parser.add_argument("--simd", action="store_true",
                        help="modules with SIMD (wasm-opt --enable-simd); implies "
                             "--canonicalize-nans unless --exact-nans")
    parser.add_argument("--exact-nans", action="store_true",
                        help="with --simd: do not canonicalise NaNs (NaN bits that reach "
                             "integers through lanes may then differ legitimately)")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--wazaot-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.wazaot_worker:
        return wazaot_worker()
    if args.simd and not args.exact_nans:
        args.canonicalize_nans = True
    if wasm_opt() is None:
        print("wasm-opt not found: apt-get install binaryen", file=sys.stderr)
        return 2
    if args.check:
        return _check(Path(args.check), args)
    if args.reduce is not None:
        return _reduce(args.reduce, args)

    seeds = _parse_seeds(args.seeds)
    out_dir = Path(args.out)
    counts: dict[str, int] = {}
    calls = modules = exports_total = 0
    bad: list[Report] = []
    start = time.monotonic()
    done = 0
    ran: list[int] = []

    def _account(fut: concurrent.futures.Future[Report], seed: int) -> None:
        nonlocal done, calls, modules, exports_total
        done += 1
        ran.append(seed)
        try:
            report = fut.result()
        except Exception as e:
            report = Report(seed=seed, status="harness",
                            message=f"{type(e).__name__}: {e}")
        counts[report.status] = counts.get(report.status, 0) + 1
        if args.progress and done % args.progress == 0:
            print(f"... {done} seeds, {time.monotonic() - start:.0f}s: "
                  + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())), flush=True)
        calls += report.calls_compared
        if report.status not in ("unsupported", "generator", "harness"):
            modules += 1
        exports_total += report.exports
        if report.status not in ("ok", "unsupported", "nan-payload", "generator"):
            bad.append(report)
        if args.verbose or report.status not in ("ok", "nan-payload"):
            print(report.line(), flush=True)
            if report.status in ("mismatch", "crash", "timeout"):
                for key in ("wazaot", "wasmtime", "wazaot_detail", "wasmtime_detail",
                            "memory_diff", "denan_status"):
                    if report.details.get(key) not in (None, ""):
                        print(f"    {key}: {report.details[key]}", flush=True)

    pending_seeds = iter(seeds)
    with concurrent.futures.ProcessPoolExecutor(max(1, args.jobs)) as pool:
        futures: dict[concurrent.futures.Future[Report], int] = {}

        def submit() -> None:
            if args.time_limit and time.monotonic() - start > args.time_limit:
                return
            seed = next(pending_seeds, None)
            if seed is not None:
                futures[pool.submit(run_seed, seed, args.size, args.timeout, args.fuel,
                                    out_dir, False, args.passes,
                                    args.canonicalize_nans, args.simd)] = seed

        for _ in range(2 * max(1, args.jobs)):
            submit()
        while futures:
            finished, _ = concurrent.futures.wait(
                futures, return_when=concurrent.futures.FIRST_COMPLETED)
            for fut in finished:
                seed = futures.pop(fut)
                submit()
                _account(fut, seed)
    elapsed = time.monotonic() - start
    ran.sort()
    span = f" ({ran[0]}..{ran[-1]})" if ran else ""
    print(f"\n{done} seeds{span} in {elapsed:.0f}s: {modules} modules compared, "
          f"{exports_total} exports, {calls} export calls compared; "
          + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    if bad:
        print("failing seeds: " + " ".join(str(r.seed) for r in
                                           sorted(bad, key=lambda r: r.seed or 0)))
        print(f"modules and reports in {out_dir}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
