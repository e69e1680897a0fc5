"""Cross-architecture differential fuzzing: wazaot on one architecture against wazaot
on the other, bit for bit, with ``RuntimeConfig(canonicalize_nans=True)``.

``record`` runs where binaryen and wasmtime are (the x86-64 host): each seed's module and
plan of calls come from ``differential`` (``prepare``: ``wasm-opt -ttf``, the same
arguments), and ``differential.compare`` runs them in wazaot and in wasmtime, both
canonicalising NaNs (``RuntimeConfig(canonicalize_nans=True)``, Cranelift's
``nan_canonicalization``). Where the two agree as the differential fuzzer demands, the
module and wazaot's trace are written to a directory: for the
instantiation and every call, the outcome (results as raw bit patterns, NaNs included;
traps by kind), the values logged through the imports (raw bits) and the exported state
(memory size and hash, globals' bits, tables). Calls from wasmtime's fuel stop on are left
out (the differential fuzzer does not check them, and they are slow under emulation).

``replay`` runs the recorded modules and plans in wazaot on this machine (the arm64
root, ``scripts/arm64-root``; no binaryen or wasmtime needed) with canonicalize_nans=True,
in worker processes (``differential.wazaot_worker``, several modules per process), and
demands the recorded trace exactly. Without canonicalisation NaN bits legitimately
differ between the architectures; with it they must not.

From the checkout's top::

    PYTHONPATH=. python3 -m tests.fuzz.crossarch record --seeds 30000:30300 [--jobs 2]
        [--out build/crossarch] [--size 8192] [--passes mixed] [--simd-seeds 40000:40100]
    sudo scripts/arm64-root -- tests/fuzz/test_crossarch.py --crossarch-record build/crossarch
    PYTHONPATH=. python3 -m tests.fuzz.crossarch replay [build/crossarch] [-v]

(``replay`` on the recording machine only checks that wazaot is deterministic.)

``--simd-seeds`` adds modules with SIMD (``differential --simd``; ``simd-seed-N.wasm``).
``record`` also writes ``simd-ops.json.gz``: wasmtime's outcomes of the per-instruction
SIMD check (``tests/fuzz/simd_ops.py``), which ``test_crossarch.py`` (and
``tests/test_simd_ops.py``) compare wazaot's with on arm64, NaN rules allowing.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import hashlib
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fuzz import differential, simd_ops

DEFAULT_DIR = differential.REPO_ROOT / "build" / "crossarch"
MANIFEST = "manifest.json"
FORMAT = 1
RECORD_TIMEOUT = 60.0  # seconds per module for wazaot's worker on the recording machine
REPLAY_TIMEOUT = 300.0  # seconds per module under emulation
RECORDED = ("ok", "nan-payload", "unsupported")  # host statuses whose modules are kept

RECORD_COMMAND = "PYTHONPATH=. python3 -m tests.fuzz.crossarch record --seeds 30000:30100"
REPLAY_COMMAND = "sudo scripts/arm64-root -- tests/fuzz/test_crossarch.py"


def this_arch() -> str:
    """``amd64`` or ``arm64`` (or the machine's own name)."""
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64",
            "arm64": "arm64"}.get(machine, machine)


def exact_trace(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bit-exact part of a worker's events: for each instantiation and call its
    ``exact`` outcome, logs and state; for compile events only what happened."""
    trace = []
    for e in events:
        if e["ev"] in ("start", "done"):
            continue
        rec: dict[str, Any] = {"ev": e["ev"]}
        if "i" in e:
            rec["i"] = e["i"]
        rec.update(e.get("exact", {}))
        trace.append(rec)
    return trace


# ---------------------------------------------------------------------------------
# recording


@dataclass
class Recorded:
    """One seed's recording: the host's verdict against wasmtime and, if kept, the entry
    for the manifest (its module's bytes separately)."""

    seed: int
    status: str
    line: str
    entry: dict[str, Any] | None = None
    wasm: bytes = b""
    simd: bool = False


def record_seed(seed: int, size: int = differential.DEFAULT_SIZE, passes: str = "",
                timeout: float = RECORD_TIMEOUT,
                fuel: int = differential.DEFAULT_FUEL, simd: bool = False) -> Recorded:
    """Generate ``seed``'s module as the differential fuzzer does (with SIMD if
    ``simd``), run it in wazaot (canonicalize_nans=True) and wasmtime, and keep wazaot's
    exact trace if they agree."""
    start = time.monotonic()
    prefix = "simd " if simd else ""
    try:
        wasm, exports, plan = differential.prepare(seed, size, passes=passes, simd=simd)
    except Exception as e:
        return Recorded(seed, "generator",
                        f"{prefix}seed {seed}: generator ({type(e).__name__}: {e})", simd=simd)
    report = differential.compare(wasm, plan, timeout=timeout, fuel=fuel, seed=seed,
                                  exports=len(exports), canonicalize_nans=True)
    report.seconds = time.monotonic() - start
    if report.status not in RECORDED:
        details = {k: v for k, v in report.details.items() if k != "stderr"}
        return Recorded(seed, report.status, f"{prefix}{report.line()}\n    {details}",
                        simd=simd)
    trace = exact_trace(report.trace)
    if report.fuel_stop is not None:
        plan = plan[:report.fuel_stop]
        trace = [r for r in trace if r.get("i", -1) < report.fuel_stop]
    entry = {"seed": seed, "wasm": f"{'simd-' if simd else ''}seed-{seed}.wasm",
             "sha256": hashlib.sha256(wasm).hexdigest(), "host": report.status,
             "plan": plan, "trace": trace}
    if simd:
        entry["simd"] = True
    return Recorded(seed, report.status, prefix + report.line(), entry, wasm, simd)


def record(seeds: list[int], out: Path, size: int = differential.DEFAULT_SIZE,
           passes: str = "", jobs: int = 1, timeout: float = RECORD_TIMEOUT,
           progress: Any = None, simd_ops_too: bool = False,
           simd_seeds: list[int] | None = None) -> list[Recorded]:
    """Record ``seeds`` into the directory ``out`` (replacing an earlier record there);
    returns every seed's result (those not kept say why). ``simd_seeds``: more seeds,
    of modules with SIMD (``differential --simd``). ``simd_ops_too``: also
    wasmtime's outcomes of the per-instruction SIMD check (``simd_ops.record``), which
    ``tests/test_simd_ops.py`` and ``test_crossarch.py`` replay on arm64."""
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("seed-*.wasm"), *out.glob("simd-seed-*.wasm")]:
        old.unlink()
    (out / MANIFEST).unlink(missing_ok=True)
    (out / simd_ops.RECORD_NAME).unlink(missing_ok=True)
    results: list[Recorded] = []

    def account(result: Recorded) -> None:
        results.append(result)
        if progress is not None:
            progress(result)

    todo = [(seed, False) for seed in seeds] + [(seed, True) for seed in simd_seeds or []]
    if jobs <= 1:
        for seed, simd in todo:
            account(record_seed(seed, size, passes, timeout, simd=simd))
    else:
        # spawned, not forked: a fork of a process with threads (pytest's, after other
        # tests) can inherit a lock held forever
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
            futures = [pool.submit(record_seed, seed, size, passes, timeout, simd=simd)
                       for seed, simd in todo]
            for fut in concurrent.futures.as_completed(futures):
                account(fut.result())
    results.sort(key=lambda r: (r.simd, r.seed))
    for r in results:
        if r.entry is not None:
            (out / r.entry["wasm"]).write_bytes(r.wasm)
    version = subprocess.run([differential.wasm_opt() or "wasm-opt", "--version"],
                             capture_output=True, text=True).stdout.strip()
    manifest = {
        "format": FORMAT, "arch": this_arch(), "python": platform.python_version(),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "binaryen": version, "size": size, "passes": passes, "canonicalize_nans": True,
        "seeds": [r.seed for r in results if not r.simd],
        "simd_seeds": [r.seed for r in results if r.simd],
        "modules": [r.entry for r in results if r.entry is not None],
    }
    (out / MANIFEST).write_text(json.dumps(manifest, separators=(",", ":")))
    if simd_ops_too:
        simd_ops.record(out / simd_ops.RECORD_NAME)
    return results


def load(directory: Path) -> dict[str, Any]:
    """A record's manifest; raises FileNotFoundError if there is none."""
    manifest = json.loads((directory / MANIFEST).read_text())
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{directory / MANIFEST}: format {manifest.get('format')}, "
                         f"expected {FORMAT} (record it again)")
    return manifest


# ---------------------------------------------------------------------------------
# replaying


@dataclass
class Mismatch:
    seed: int | str  # "simd N" for a module with SIMD
    where: str  # "compile", "instantiation" or "call #i export(args)"
    field: str
    recorded: Any
    replayed: Any

    def line(self) -> str:
        return (f"seed {self.seed}: {self.field} differs in {self.where}: "
                f"recorded {self.recorded!r}, replayed {self.replayed!r}")


@dataclass
class Summary:
    """A replay's result: counts of non-auxiliary calls (as the differential fuzzer
    counts them) and the first difference of each module that differs."""

    recorded_arch: str
    modules: int = 0
    calls: int = 0
    identical: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        return (f"{self.modules} modules recorded on {self.recorded_arch}, replayed on "
                f"{this_arch()}: {self.calls} calls, {self.identical} identical, "
                f"{len(self.mismatches)} modules differ ({self.seconds:.0f}s)")


def _fmt(value: Any) -> str:
    return f"{value:#x}" if isinstance(value, int) else repr(value)


def diff_traces(seed: int | str, plan: list[dict[str, Any]], recorded: list[dict[str, Any]],
                replayed: list[dict[str, Any]]) -> tuple[int, Mismatch | None]:
    """Compare two exact traces of one plan: (identical non-auxiliary calls, the first
    difference or None)."""
    identical = 0
    first: Mismatch | None = None
    for k, want in enumerate(recorded):
        got = replayed[k] if k < len(replayed) else None
        if "i" in want:
            entry = plan[want["i"]]
            args = ", ".join(f"{t}:{_fmt(a)}" for t, a in zip(entry["params"], entry["args"]))
            where = f"call #{want['i']} {entry['export']}({args})"
        else:
            where = "instantiation" if want["ev"] == "instantiated" else "compilation"
        if got == want:
            if "i" in want and not plan[want["i"]]["aux"]:
                identical += 1
            continue
        if first is not None:
            continue
        if got is None:  # the replay ended before
            first = Mismatch(seed, where, "trace", want, None)
        else:
            key = next((key for key in ("ev", "i", "outcome", "logs", "state")
                        if got.get(key) != want.get(key)), "trace")
            first = Mismatch(seed, where, key, want.get(key), got.get(key))
    if first is None and len(replayed) > len(recorded):
        first = Mismatch(seed, "the end", "trace", None, replayed[len(recorded)])
    return identical, first


def _died(seed: int | str, status: str, rc: int | None, err: str) -> Mismatch:
    how = ("timed out" if status == "timeout" else f"died of signal {-rc}"
           if rc is not None and rc < 0 else f"exited with status {rc}")
    return Mismatch(seed, "the worker", "trace", "done", f"wazaot {how}: {err[-1500:]}")


def _label(module: dict[str, Any]) -> int | str:
    """How a record's module is named in mismatches: its seed (``simd N`` with SIMD)."""
    return f"simd {module['seed']}" if module.get("simd") else module["seed"]


def _run_batch(directory: Path, modules: list[dict[str, Any]], timeout: float,
               canonicalize_nans: bool = True,
               ) -> dict[str, tuple[list[dict[str, Any]], Mismatch | None]]:
    """Events per module (by file name) of one batch, rerunning the rest after a module that
    crashed or hung its worker (that module gets a Mismatch)."""
    results: dict[str, tuple[list[dict[str, Any]], Mismatch | None]] = {}
    pending = list(modules)
    while pending:
        request = {"jobs": [{"wasm": str(directory / m["wasm"]), "plan": m["plan"],
                             "dump": None, "canonicalize_nans": canonicalize_nans}
                            for m in pending]}
        events, err, rc, status = differential.run_worker(request, timeout * len(pending))
        by_module: dict[int, list[dict[str, Any]]] = {}
        for e in events:
            by_module.setdefault(e["m"], []).append(e)
        done = 0
        while done < len(pending) and any(e["ev"] == "done" for e in by_module.get(done, [])):
            results[pending[done]["wasm"]] = (by_module[done], None)
            done += 1
        if done < len(pending):
            culprit = pending[done]
            results[culprit["wasm"]] = (by_module.get(done, []),
                                        _died(_label(culprit), status, rc, err))
            done += 1
        pending = pending[done:]
    return results


def replay(directory: Path = DEFAULT_DIR, jobs: int = 0, timeout: float = REPLAY_TIMEOUT,
           canonicalize_nans: bool = True) -> Summary:
    """Replay a record on this machine with canonicalize_nans=True (False only to see
    what differs without it: NaN bits, legitimately)."""
    start = time.monotonic()
    manifest = load(directory)
    modules = manifest["modules"]
    summary = Summary(manifest["arch"], modules=len(modules))
    for m in modules:
        if hashlib.sha256((directory / m["wasm"]).read_bytes()).hexdigest() != m["sha256"]:
            raise ValueError(f"{directory / m['wasm']} is not the recorded module")
    jobs = jobs or os.cpu_count() or 1
    batches = [modules[k::jobs] for k in range(jobs) if modules[k::jobs]]
    results: dict[str, tuple[list[dict[str, Any]], Mismatch | None]] = {}
    with concurrent.futures.ThreadPoolExecutor(max(1, len(batches))) as pool:
        for part in pool.map(lambda b: _run_batch(directory, b, timeout, canonicalize_nans),
                             batches):
            results.update(part)
    for m in modules:
        events, died = results[m["wasm"]]
        identical, first = diff_traces(_label(m), m["plan"], m["trace"], exact_trace(events))
        summary.calls += sum(1 for r in m["trace"] if "i" in r and not m["plan"][r["i"]]["aux"])
        summary.identical += identical
        mismatch = died or first
        if mismatch is not None:
            summary.mismatches.append(mismatch)
    summary.seconds = time.monotonic() - start
    return summary


# ---------------------------------------------------------------------------------
# command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="record seeds' modules and wazaot's exact traces")
    rec.add_argument("--seeds", required=True, help="e.g. 30000:30300 or 1,5,9")
    rec.add_argument("--simd-seeds", default="",
                     help="more seeds, of modules with SIMD (differential --simd)")
    rec.add_argument("--out", default=str(DEFAULT_DIR),
                     help=f"the record's directory (default {DEFAULT_DIR})")
    rec.add_argument("--size", type=int, default=differential.DEFAULT_SIZE)
    rec.add_argument("--passes", default="", help="as for tests.fuzz.differential")
    rec.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    rec.add_argument("--timeout", type=float, default=RECORD_TIMEOUT)
    rec.add_argument("--no-simd-ops", action="store_true",
                     help=f"do not record the SIMD instructions' check ({simd_ops.RECORD_NAME})")
    rep = sub.add_parser("replay", help="replay a record on this machine")
    rep.add_argument("dir", nargs="?", default=str(DEFAULT_DIR))
    rep.add_argument("--jobs", type=int, default=0, help="worker processes (default: CPUs)")
    rep.add_argument("--timeout", type=float, default=REPLAY_TIMEOUT)
    rep.add_argument("--without-canonicalization", action="store_true",
                     help="replay with canonicalize_nans=False (NaN bits may then differ)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)

    if args.command == "replay":
        summary = replay(Path(args.dir), args.jobs, args.timeout,
                         not args.without_canonicalization)
        for m in summary.mismatches:
            print(m.line())
        print(summary.line())
        return 1 if summary.mismatches else 0

    if differential.wasm_opt() is None:
        print("wasm-opt not found: apt-get install binaryen", file=sys.stderr)
        return 2
    start = time.monotonic()

    def progress(r: Recorded) -> None:
        if args.verbose or r.status not in RECORDED:
            print(r.line, flush=True)

    results = record(differential._parse_seeds(args.seeds), Path(args.out), args.size,
                     args.passes, args.jobs, args.timeout, progress,
                     simd_ops_too=not args.no_simd_ops,
                     simd_seeds=differential._parse_seeds(args.simd_seeds)
                     if args.simd_seeds else [])
    kept = [r for r in results if r.entry is not None]
    calls = sum(sum(1 for e in r.entry["plan"] if not e["aux"]) for r in kept if r.entry)
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    bad = [r for r in results if r.status not in RECORDED and r.status != "generator"]
    print(f"{len(results)} seeds in {time.monotonic() - start:.0f}s: {len(kept)} modules "
          f"with {calls} calls recorded in {args.out} (on {this_arch()}, agreeing with "
          "wasmtime); " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    if bad:
        print("seeds where wazaot and wasmtime disagree (not recorded): "
              + " ".join(("simd " if r.simd else "") + str(r.seed) for r in bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
