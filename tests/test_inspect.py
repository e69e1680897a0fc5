"""``wazaot disasm`` and ``wazaot explore``, and the perf maps written at link time."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

import wazaot
from disasm_tools.annotate import (
    BOUNDS_CHECK,
    EPILOGUE,
    INTERRUPT_CHECK,
    JUMP_TABLE,
    PROLOGUE,
    STACK_CHECK,
    THUNK,
    TRAP_STUB,
    annotate,
    compile_for_listing,
)
from disasm_tools.disasm import disassemble
from wazaot.cli import main
from wazaot.engine import isas
from wazaot.engine.code import perf_map_path
from wazaot.engine.isas import host_arch

REPO = Path(__file__).resolve().parents[1]
ADD = REPO / "examples" / "add.wasm"

SAMPLE_WAT = """
(module
  (memory 1)
  (func $load (param i32) (result i32) (i32.load offset=4 (local.get 0)))
  (func $switch (param i32) (result i32)
    (block (block (block (local.get 0) (br_table 0 1 2))
      (return (i32.const 10))) (return (i32.const 20))) (i32.const 30))
  (func $count (param i32) (result i32)
    (loop $l (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $l (local.get 0)))
    (local.get 0))
  (export "load" (func $load)))
"""


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("inspect") / "sample.wasm"
    path.write_bytes(wasmtime.wat2wasm(SAMPLE_WAT))
    return path


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], out, err)
    return status, out.getvalue(), err.getvalue()


def roles(text: str) -> set[str]:
    return {m.split(":")[0] for m in re.findall(r"; ([a-z ]+(?::[^\n]*)?)$", text, re.M)}


def test_disasm_lists_every_function_under_its_wasm() -> None:
    status, out, err = run("disasm", ADD)
    assert status == 0, err
    assert "function 0 add:" in out and "function 1 factorial:" in out
    assert "thunk (i64) -> (i64):" in out  # the entry thunks come last
    factorial = out.split("function 1 factorial:")[1]
    # The wasm comes above the machine code it became.
    assert re.search(r";; 0x[0-9a-f]+  i64\.mul\n(.*\n)*? +[0-9a-f]+:  [0-9a-f ]+ +imul ", factorial)
    assert {PROLOGUE, STACK_CHECK, INTERRUPT_CHECK, EPILOGUE, TRAP_STUB, THUNK} <= roles(out)
    assert "; trap stub: call stack exhausted" in out and "; trap stub: interrupted" in out


def test_disasm_bounds_checks_and_jump_tables(sample: Path) -> None:
    status, out, _ = run("disasm", sample, "--func", "load")
    assert status == 0
    assert BOUNDS_CHECK in roles(out) and "trap stub: out of bounds memory access" in out
    status, out, _ = run("disasm", sample, "--func", "1", "--no-wasm")
    assert status == 0 and out.startswith("function 1 switch:")
    assert ";;" not in out
    assert len(re.findall(r"\.quad base \+ 0x[0-9a-f]+ +; jump table", out)) == 2


def test_every_listed_byte_is_the_compiled_code(sample: Path) -> None:
    compiled = compile_for_listing(sample.read_bytes())
    code = compiled.object_code.code
    for view in annotate(compiled):
        assert b"".join(ln.raw for ln in view.lines) == code[view.start : view.end], view.name
        assert not [ln for ln in view.lines if ln.text.startswith(".byte")], view.name
        for ln in view.lines:
            if ln.role != JUMP_TABLE:
                assert disassemble(ln.raw, "amd64", ln.address)[0].text == ln.text


def test_disasm_unknown_function_lists_the_names(sample: Path) -> None:
    status, out, err = run("disasm", sample, "--func", "nope")
    assert status == 1 and out == ""
    assert "no function 'nope'" in err and "0 load, 1 switch, 2 count" in err


def test_disasm_the_other_architecture() -> None:
    other = "arm64" if host_arch() == "amd64" else "amd64"
    status, out, err = run("disasm", ADD, "--arch", other, "--func", "add")
    assert status == 0, err
    assert "function 0 add:" in out and "prologue" in out
    assert ("stp x29, x30" in out) if other == "arm64" else ("push rbp" in out)


def test_disasm_an_architecture_without_a_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    other = "arm64" if host_arch() == "amd64" else "amd64"
    monkeypatch.delitem(isas.ISA_MODULES, other)
    status, _, err = run("disasm", ADD, "--arch", other)
    assert status == 2
    assert f"no {other} backend" in err


def test_disasm_ir() -> None:
    status, out, _ = run("disasm", ADD, "--func", "add", "--ir")
    assert status == 0
    assert out.startswith("b0:") and "function 0 add:" in out


def test_stats(sample: Path) -> None:
    status, out, _ = run("disasm", sample, "--stats", "--sort", "bytes")
    assert status == 0
    header, *rows = out.splitlines()
    assert header.split() == ["function", "bytes", "insns", "wasm", "ratio", "spills", "reloads",
                              "moves", "bounds", "interrupts"]  # fmt: skip
    assert rows[-1].startswith("total (3 functions)")
    table = {r.split()[0]: r.split()[1:] for r in rows[:-1]}
    assert set(table) == {"load", "switch", "count"}
    sizes = [int(r.split()[1]) for r in rows[:-1]]
    assert sizes == sorted(sizes, reverse=True)
    assert sum(sizes) == int(rows[-1].split()[3])
    assert table["load"][-2:] == ["1", "0"]  # one bounds check, no loop
    assert table["count"][-2:] == ["0", "1"]  # no memory access, one loop header
    insns, wasm, ratio = table["load"][1:4]
    assert float(ratio) == pytest.approx(int(insns) / int(wasm), abs=0.01)


def test_explore_page(sample: Path, tmp_path: Path) -> None:
    out_html = tmp_path / "out.html"
    status, out, err = run("explore", sample, "-o", out_html)
    assert status == 0, err
    page = out_html.read_text()
    assert "http://" not in page and "https://" not in page and "<link" not in page
    data = json.loads(re.search(r'<script id="data" type="application/json">(.*?)</script>',
                                page, re.S)[1])  # type: ignore[index]  # fmt: skip
    names = [f["n"] for f in data["functions"]]
    assert names[:3] == ["load", "switch", "count"]
    load = data["functions"][0]
    offsets = {off for off, _ in load["w"]}
    assert any(c[3] in offsets for c in load["c"])


def test_perf_map_from_runtime_config() -> None:
    path = Path(perf_map_path())
    existed = path.exists()
    with wazaot.Runtime(wazaot.RuntimeConfig(perf_map=True)) as rt:
        cm = rt.compile(ADD.read_bytes())
        code = cm.code.code
        addresses = {i: code.address_of(i) for i in (0, 1)}
        thunk_addresses = [code.thunk_address(ft) for ft in code.thunks]
        lines = path.read_text().splitlines()
    if not existed:
        path.unlink()
    entries = {}
    for line in lines:
        start, size, name = line.split(" ", 2)
        entries[int(start, 16)] = (int(size, 16), name)
    for index in (0, 1):
        info = code.functions[index]
        size, name = entries[addresses[index]]
        assert size == info.end - info.start
        assert name == f"wasm[add]::{cm.module.func_name(index)}"
    thunks = [entries[a] for a in thunk_addresses]
    assert thunks and all(n.startswith("wasm[add]::thunk(") for _, n in thunks)


def test_perf_map_from_the_environment() -> None:
    script = (f"import wazaot, os; rt = wazaot.Runtime(); rt.compile(open({str(ADD)!r}, 'rb')"
              ".read()); print(os.getpid())")  # fmt: skip
    env = dict(os.environ, WAZAOT_PERF_MAP="1")
    pid = subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO, check=True,
                         capture_output=True, text=True).stdout.strip()  # fmt: skip
    path = Path(f"/tmp/perf-{pid}.map")
    try:
        names = [line.split(" ", 2)[2] for line in path.read_text().splitlines()]
        assert names[:2] == ["wasm[add]::add", "wasm[add]::factorial"]
    finally:
        path.unlink()


def test_arm64_listings_are_labelled_too() -> None:
    status, out, err = run("disasm", ADD, "--arch", "arm64", "--func", "factorial")
    assert status == 0, err
    for label in ("; prologue", "; stack check", "; interrupt check", "; epilogue",
                  "; trap stub: interrupted", "; trap stub: call stack exhausted"):
        assert label in out, (label, out)
    status, out, err = run("disasm", ADD, "--arch", "arm64", "--stats")
    assert status == 0, err
    factorial = next(line for line in out.splitlines() if line.startswith("factorial"))
    assert factorial.split()[-1] == "1"  # one interrupt check
