"""Compiling a large module in worker processes gives byte for byte the code of one
process (``wazaot/engine/parallel.py``), and it runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

import wazaot
from wazaot.engine import parallel
from wazaot.machinst.objcode import ObjectCode, RelocKind, resolve_call
from wazaot.wasm.decoder import decode_module

REPO = Path(__file__).resolve().parent.parent
GENC = REPO / "bench" / "real" / "genc.wasm"  # a C program of 1500 functions, built for WASI


def _compile(data: bytes, workers: int, arch: str) -> ObjectCode:
    with wazaot.Runtime(wazaot.RuntimeConfig(arch=arch, compile_workers=workers)) as rt:
        cm = rt.compile(data)
        return cm.code.object_code  # type: ignore[union-attr,no-any-return]


# arm64 code compiles on any host (it runs only on arm64: see tests/arm64/test_parts.py)
@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_parallel_compile_is_byte_identical(monkeypatch: pytest.MonkeyPatch, arch: str) -> None:
    data = GENC.read_bytes()
    monkeypatch.setattr(parallel, "MIN_PARALLEL_CODE", 0)
    module = decode_module(data)
    assert parallel.worth_it(module, 2) and len(parallel.plan(module, 2)) > 2
    serial, split = _compile(data, 1, arch), _compile(data, 2, arch)
    assert split.code == serial.code
    assert split.relocations == serial.relocations
    assert split.thunks == serial.thunks
    assert {i: (f.start, f.end, list(f.srcmap)) for i, f in split.functions.items()} == {
        i: (f.start, f.end, list(f.srcmap)) for i, f in serial.functions.items()
    }


def test_a_module_compiled_in_parts_runs_and_reports_progress(
        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(parallel, "MIN_PARALLEL_CODE", 0)
    funcs = ['(func $f0 (export "f0") (param i32) (result i32) (local.get 0))'] + [
        f'(func $f{i} (export "f{i}") (param i32) (result i32) '
        f"(i32.add (call $f{i - 1} (local.get 0)) (i32.const 1)))"
        for i in range(1, 40)
    ]  # fmt: skip
    data = wasmtime.wat2wasm("(module " + " ".join(funcs) + ")")
    seen: list[tuple[int, int]] = []
    with wazaot.Runtime(wazaot.RuntimeConfig(compile_workers=2)) as rt:
        cm = rt.compile(data, progress=lambda done, total: seen.append((done, total)))
        mod = rt.instantiate(cm)
        assert mod.exported_function("f39")(5) == 44  # calls reach across the parts
        assert mod.exported_function("f0")(5) == 5
    assert seen and seen[-1] == (40, 40)
    assert set(cm.timings) >= {"decode", "validate", "lower", "regalloc", "emit", "total"}


def test_small_modules_and_one_worker_stay_in_process() -> None:
    module = wazaot.Runtime().compile((REPO / "examples" / "add.wasm").read_bytes()).module
    assert not parallel.worth_it(module, 8)
    with pytest.raises(ValueError):
        wazaot.RuntimeConfig(compile_workers=0)


def test_a_script_without_a_main_guard_compiles_in_parts() -> None:
    # Workers are fresh interpreters: they never import the caller's script again.
    script = ("import wazaot; from wazaot.engine import parallel; parallel.MIN_PARALLEL_CODE = 0\n"
              f"rt = wazaot.Runtime(wazaot.RuntimeConfig(compile_workers=2))\n"
              f"cm = rt.compile(open({str(GENC)!r}, 'rb').read())\n"
              "print(len(cm.code.object_code.code) > 0)\n")  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, cwd=REPO, env={"PYTHONPATH": str(REPO)})  # fmt: skip
    assert proc.returncode == 0 and proc.stdout.strip() == "True", proc.stderr


def _error(data: bytes, workers: int) -> tuple[type, str, int | None]:
    with wazaot.Runtime(wazaot.RuntimeConfig(compile_workers=workers)) as rt:
        with pytest.raises(wazaot.CompileError) as info:
            rt.compile(data)
    return type(info.value), str(info.value), info.value.offset


def test_workers_report_the_error_of_a_compile_in_one_process(
        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    # The workers decode and validate the bodies of their chunks; whatever they find,
    # the error is the one a compile in one process raises first.
    monkeypatch.setattr(parallel, "MIN_PARALLEL_CODE", 0)

    def module(invalid: int | None = None, marked: int | None = None) -> bytes:
        funcs = []
        for i in range(40):
            body = "(i32.add (local.get 0) (i32.const 1))"
            if i == invalid:
                body = "(i64.const 1)"  # the wrong type: invalid
            if i == marked:
                body = "(drop (i32.const 1234567)) (local.get 0)"
            funcs.append(f"(func (export \"f{i}\") (param i32) (result i32) {body})")
        return wasmtime.wat2wasm("(module (memory 1) " + " ".join(funcs) + ")")

    def malformed(data: bytes) -> bytes:
        marker = bytes([0x41, 0x87, 0xAD, 0xCB, 0x00])  # i32.const 1234567
        at = data.index(marker)
        return data[:at] + b"\xff" + data[at + 1 :]  # an opcode that does not exist

    cases = {
        "invalid late": module(invalid=33),
        "invalid early": module(invalid=2),
        "malformed": malformed(module(marked=35)),
        "malformed after invalid": malformed(module(invalid=3, marked=36)),
        "truncated": module(invalid=3)[:-7],
    }
    for name, data in cases.items():
        serial = _error(data, 1)
        assert _error(data, 2) == serial, name
    assert _error(cases["malformed after invalid"], 1)[0] is wazaot.DecodeError
    assert _error(cases["invalid late"], 1)[0] is wazaot.ValidationError


def test_rel32_call_relocation() -> None:
    code = bytearray(b"\xe8" + bytes(4))  # call rel32
    resolve_call(code, 1, RelocKind.FUNC_REL32, 0x40)
    assert code == b"\xe8" + (0x40 - 5).to_bytes(4, "little")
    with pytest.raises(wazaot.UnsupportedError, match="cannot reach"):
        resolve_call(code, 1, RelocKind.FUNC_REL32, 1 << 32)


def _without_section(data: bytes, section_id: int) -> bytes:
    """``data`` without its section ``section_id`` (sizes below 128 * 128 bytes)."""
    i, out = 8, bytearray(data[:8])
    while i < len(data):
        sid, size, j = data[i], 0, i + 1
        shift = 0
        while True:
            size |= (data[j] & 0x7F) << shift
            shift += 7
            j += 1
            if data[j - 1] < 0x80:
                break
        if sid != section_id:
            out += data[i : j + size]
        i = j + size
    return bytes(out)


def test_a_missing_data_count_is_reported_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # memory.init needs the data count section; workers keep the bodies they decoded,
    # and must still see that on a second compile of the same module.
    monkeypatch.setattr(parallel, "MIN_PARALLEL_CODE", 0)
    funcs = [f'(func (export "f{i}") (param i32) (result i32) (local.get 0))' for i in range(39)]
    funcs.append('(func (export "init") (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 1)))')
    data = _without_section(
        wasmtime.wat2wasm('(module (memory 1) (data "x") ' + " ".join(funcs) + ")"), 12)
    serial = _error(data, 1)
    assert serial[0] is wazaot.DecodeError and "data count section required" in serial[1]
    with wazaot.Runtime(wazaot.RuntimeConfig(compile_workers=2)) as rt:
        for _ in range(2):
            with pytest.raises(wazaot.CompileError) as info:
                rt.compile(data)
            assert (type(info.value), str(info.value), info.value.offset) == serial
