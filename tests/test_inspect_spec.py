"""Every byte of the code of every spec module disassembles: each function and entry
thunk decodes with capstone into instructions without gaps or ``.byte`` (the jump
tables, known from the relocations, are left out as data), and the padding between
them is NOPs.

The modules are those the spec scripts define (``$WAZAOT_SPECTEST_DIR`` or
``../shared/spectest/core2``), all of them (about 1,150 outside the SIMD scripts, a
few seconds); SIMD modules the backend rejects with ``UnsupportedError`` are skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from spec.harness import SPECTEST_DIR_ENV, spectest_dir

import wazaot
from disasm_tools.annotate import JUMP_TABLE, annotate, compile_for_listing
from disasm_tools.disasm import disassemble


def spec_modules(directory: Path) -> list[Path]:
    found = []
    for script in sorted(directory.glob("*.json")):
        for command in json.loads(script.read_text())["commands"]:
            name = command.get("filename", "")
            if command["type"] == "module" and name.endswith(".wasm"):
                found.append(directory / name)
    return found


def test_every_byte_of_every_spec_module_decodes() -> None:
    directory = spectest_dir()
    if not directory.is_dir():
        pytest.skip(f"spec tests not found in {directory} (set {SPECTEST_DIR_ENV})")
    modules = spec_modules(directory)
    assert modules
    problems: list[str] = []
    compiled_count = functions = 0
    for path in modules:
        try:
            compiled = compile_for_listing(path.read_bytes())
        except wazaot.UnsupportedError:
            continue  # SIMD: not compiled yet
        compiled_count += 1
        code = compiled.object_code.code
        views = sorted(annotate(compiled), key=lambda v: v.start)
        pos = 0
        for view in views:
            functions += 1
            where = f"{path.name} {view.name}"
            if b"".join(ln.raw for ln in view.lines) != code[view.start : view.end]:
                problems.append(f"{where}: the listing does not cover the code")
            problems += [f"{where}: {ln.address:#x} {ln.text}" for ln in view.lines
                         if ln.role != JUMP_TABLE and ln.text.startswith(".byte")]  # fmt: skip
            gap = disassemble(code[pos : view.start], compiled.arch, pos)
            problems += [f"{path.name}: {i.address:#x} {i.text} between functions"
                         for i in gap if not i.mnemonic.startswith("nop")]  # fmt: skip
            pos = view.end
    assert not problems, problems[:20]
    assert compiled_count > 1000 and functions > compiled_count
