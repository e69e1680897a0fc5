"""Runs a WASI program under wazaot and under wasmtime-py, the same way, and returns
what each printed, wrote and exited with."""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import wasmtime

import wazaot
from wazaot import wasi

PROGRAMS = Path(__file__).resolve().parent / "programs"

_COMPILED: dict[bytes, wazaot.CompiledModule] = {}


@dataclass
class Outcome:
    code: int
    stdout: bytes
    stderr: bytes


def program(name: str) -> bytes:
    return (PROGRAMS / f"{name}.wasm").read_bytes()


def run_wazaot(wasm: bytes, args: list[str], env: dict[str, str] | None = None,
               mounts: dict[str, str] | None = None, stdin: bytes = b"") -> Outcome:  # fmt: skip
    out, err = io.BytesIO(), io.BytesIO()
    with wazaot.Runtime() as rt:
        wasi.instantiate(rt, wasi.WasiConfig(args=args, env=env or {}, preopens=mounts or {},
                                             stdin=stdin, stdout=out, stderr=err))  # fmt: skip
        code = wasi.run_command(rt, rt.compile(wasm), timeout=60)
    return Outcome(code, out.getvalue(), err.getvalue())


def run_wasmtime(wasm: bytes, args: list[str], env: dict[str, str] | None = None,
                 mounts: dict[str, str] | None = None, stdin: bytes = b"") -> Outcome:  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="wasmtime-io-") as tmp:
        paths = {k: os.path.join(tmp, k) for k in ("in", "out", "err")}
        Path(paths["in"]).write_bytes(stdin)
        cfg = wasmtime.WasiConfig()
        cfg.argv = args
        cfg.env = list((env or {}).items())
        for guest, host in (mounts or {}).items():
            cfg.preopen_dir(host, guest)
        cfg.stdin_file = paths["in"]
        cfg.stdout_file = paths["out"]
        cfg.stderr_file = paths["err"]
        engine = wasmtime.Engine()
        store = wasmtime.Store(engine)
        store.set_wasi(cfg)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        instance = linker.instantiate(store, wasmtime.Module(engine, wasm))
        start = instance.exports(store)["_start"]
        assert isinstance(start, wasmtime.Func)
        try:
            start(store)
            code = 0
        except wasmtime.ExitTrap as exc:
            code = exc.code
        del store, instance, linker
        return Outcome(code, Path(paths["out"]).read_bytes(), Path(paths["err"]).read_bytes())
