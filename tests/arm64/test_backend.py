"""The arm64 backend on any host: every non-SIMD spec module compiles for arm64 and
capstone decodes every word of its code; the runtime stubs decode too; the long
branch forms. (Execution is tested under emulation: ``scripts/arm64-root -- tests/spec``.)
"""

from __future__ import annotations

import capstone
import pytest
from spec.harness import spectest_dir

from wazaot.api import ValueType as V
from wazaot.arm64 import backend
from wazaot.arm64.args import Cond
from wazaot.arm64.isa import ARM64
from wazaot.arm64.sequences import FarAssembler
from wazaot.arm64.trampolines import Arm64Trampolines
from wazaot.errors import CompileError, UnsupportedError
from wazaot.machinst.objcode import ObjectCode
from wazaot.wasm.decoder import decode_module
from wazaot.wasm.module import FuncType
from wazaot.wasm.validator import validate_module

CS = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
WASM_FILES = sorted(spectest_dir().glob("*.wasm"))


def undecodable(code: bytes, start: int = 0) -> int | None:
    """The offset of the first word capstone cannot decode, or None."""
    decoded = sum(4 for _ in CS.disasm(code, start))
    return None if decoded == len(code) else start + decoded


def check_object(obj: ObjectCode) -> None:
    tables = sorted(r.offset for r in obj.relocations)
    for f in obj.functions.values():
        end = min([t for t in tables if f.start <= t < f.end], default=f.end)
        at = undecodable(obj.code[f.start : end], f.start)
        assert at is None, f"function {f.index}: undecodable word at {at:#x}"


@pytest.mark.skipif(not WASM_FILES, reason=f"no spec modules in {spectest_dir()}")
def test_every_non_simd_spec_module_compiles_to_decodable_code() -> None:
    compiled = 0
    for path in WASM_FILES:
        try:
            module = decode_module(path.read_bytes())
            validate_module(module)
        except CompileError:
            continue  # assert_invalid / assert_malformed modules
        try:
            obj = ARM64.compile_module(module, list(range(len(module.types))))
        except UnsupportedError:
            continue  # SIMD
        check_object(obj)
        compiled += 1
    assert compiled > 1000


def test_runtime_stubs_decode() -> None:
    stubs = ARM64.runtime_stubs()
    assert undecodable(stubs.code) is None
    for name in ("exit", "closed_thunk", "close_gate", "entry0_u64", "entry4_s32"):
        assert stubs.offsets[name] % 4 == 0
    handler = ARM64.interrupt_handler(0x1234_5678_9ABC)
    assert undecodable(handler.code) is None


def test_long_branches_jump_over_an_unconditional_branch() -> None:
    asm = FarAssembler(long_branches=True)
    target = asm.new_label()
    asm.bcc(Cond.eq, target)
    asm.bind(target)
    text = [f"{i.mnemonic} {i.op_str}" for i in CS.disasm(asm.finish(), 0)]
    assert text == ["b.ne #8", "b #8"]


def test_a_module_emitted_with_long_branches_decodes(monkeypatch: pytest.MonkeyPatch) -> None:
    # The long forms of backend.emit_function's retry, forced from the first emission
    # (tests/arm64/test_parts.py forces the retry itself).
    monkeypatch.setattr(backend, "FarAssembler", lambda: FarAssembler(long_branches=True))
    path = spectest_dir() / "br_table.0.wasm"
    if not path.exists():
        pytest.skip("no spec modules")
    module = decode_module(path.read_bytes())
    validate_module(module)
    check_object(ARM64.compile_module(module, list(range(len(module.types)))))


def test_host_stubs_decode() -> None:
    ft = FuncType((V.I32, V.F64) + (V.I64,) * 9, (V.F32, V.I64))
    stubs = ARM64.host_stubs([(3, ft), (4, FuncType((), ()))])
    assert undecodable(stubs.code) is None and set(stubs.offsets) == {"3", "4"}
    asm = FarAssembler()
    Arm64Trampolines(asm).entry_thunk(ft.params, ft.results)
    assert undecodable(asm.finish()) is None
