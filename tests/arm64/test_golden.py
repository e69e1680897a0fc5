"""Golden tests of arm64 code: for each ``tests/golden/NAME.wat``, the machine IR of
every function and its arm64 disassembly next to the wasm, compared with
``tests/golden/NAME.arm64.txt``. The code is compiled for arm64 on any host (it is
only disassembled, with capstone), so the files are checked on x86-64 too.

Refresh the expected files after an intended change with::

    WAZAOT_REGEN_GOLDEN=1 python -m pytest tests/arm64/test_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import wazaot
from disasm_tools.listing import function_listing, lower_for_listing, machine_ir_listing

GOLDEN = Path(__file__).parent.parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.wat"))


def render(wat_text: str) -> str:
    wasmtime = pytest.importorskip("wasmtime", reason="pip install wasmtime (for wat2wasm)")
    pytest.importorskip("capstone")
    with wazaot.Runtime(wazaot.RuntimeConfig(arch="arm64")) as rt:
        compiled = rt.compile(wasmtime.wat2wasm(wat_text))
        module = compiled.module
        parts = []
        for i in range(module.num_imported_funcs, len(module.func_types())):
            parts.append(f"== {module.func_name(i)}: machine IR ==")
            parts.append(machine_ir_listing(lower_for_listing(compiled, i, "arm64")))
            parts.append(f"== {module.func_name(i)}: arm64 ==")
            parts.append(function_listing(compiled, i, "arm64"))
        return "\n".join(parts) + "\n"


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str) -> None:
    got = render((GOLDEN / f"{name}.wat").read_text())
    expected_path = GOLDEN / f"{name}.arm64.txt"
    if os.environ.get("WAZAOT_REGEN_GOLDEN"):
        expected_path.write_text(got)
    assert expected_path.exists(), f"run WAZAOT_REGEN_GOLDEN=1 to create {expected_path.name}"
    assert got == expected_path.read_text(), (
        f"generated arm64 code for {name} changed; if intended, refresh with "
        "WAZAOT_REGEN_GOLDEN=1 python -m pytest tests/arm64/test_golden.py"
    )
