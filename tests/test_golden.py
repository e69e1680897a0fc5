"""Golden tests of generated code: for each ``tests/golden/NAME.wat``, the machine IR of
every function and its x86-64 disassembly next to the wasm, compared with
``tests/golden/NAME.amd64.txt``. A change in code generation shows as a readable diff.

Refresh the expected files after an intended change with::

    WAZAOT_REGEN_GOLDEN=1 python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

import pytest

import wazaot
from disasm_tools.listing import function_listing, lower_for_listing, machine_ir_listing

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.wat"))

pytestmark = pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64"),
    reason="the x86-64 golden files are produced on an x86-64 host",
)


def render(wat_text: str) -> str:
    wasmtime = pytest.importorskip("wasmtime", reason="pip install wasmtime (for wat2wasm)")
    with wazaot.Runtime() as rt:
        compiled = rt.compile(wasmtime.wat2wasm(wat_text))
        module = compiled.module
        parts = []
        for i in range(module.num_imported_funcs, len(module.func_types())):
            parts.append(f"== {module.func_name(i)}: machine IR ==")
            parts.append(machine_ir_listing(lower_for_listing(compiled, i)))
            parts.append(f"== {module.func_name(i)}: x86-64 ==")
            parts.append(function_listing(compiled, i))
        return "\n".join(parts) + "\n"


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str) -> None:
    got = render((GOLDEN / f"{name}.wat").read_text())
    expected_path = GOLDEN / f"{name}.amd64.txt"
    if os.environ.get("WAZAOT_REGEN_GOLDEN"):
        expected_path.write_text(got)
    assert expected_path.exists(), f"run WAZAOT_REGEN_GOLDEN=1 to create {expected_path.name}"
    assert got == expected_path.read_text(), (
        f"generated code for {name} changed; if intended, refresh with "
        "WAZAOT_REGEN_GOLDEN=1 python -m pytest tests/test_golden.py"
    )
