"""The public API shell (API.md): Runtime, RuntimeConfig, CompiledModule, host
module builder, engine protocols, and the ``wazaot`` command line."""

from __future__ import annotations

import io
import platform
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from spec import wasmgen as w

import wazaot
from wazaot import (
    CompiledModule,
    CompileError,
    DecodeError,
    LinkError,
    Runtime,
    RuntimeConfig,
    Trap,
    ValidationError,
    ValueType,
)
from wazaot.api import FunctionDefinition
from wazaot.cli import main as cli_main
from wazaot.engine import CallEngine, Engine, ModuleEngine
from wazaot.engine import isas as engine_isas
from wazaot.runtime import HostModuleBuilder, host_arch

REPO = Path(__file__).resolve().parent.parent
ADD_WASM = REPO / "examples" / "add.wasm"
ADD_WAT = REPO / "examples" / "add.wat"

I32, I64 = ValueType.I32, ValueType.I64


def imports_module() -> bytes:
    """Imports a function, a table, a memory and a global from "env" and re-exports them."""
    types = w.section(w.TYPE, w.vec([w.func_type([w.I32], []), w.func_type([], [w.I64])]))
    imports = w.section(
        w.IMPORT,
        w.vec(
            [
                w.name("env") + w.name("log") + bytes([w.FUNC_KIND]) + w.uleb(0),
                w.name("env") + w.name("tab") + bytes([w.TABLE_KIND, w.FUNCREF]) + w.limits(1, 5),
                w.name("env") + w.name("mem") + bytes([w.MEMORY_KIND]) + w.limits(2),
                w.name("env") + w.name("g") + bytes([w.GLOBAL_KIND, w.I32, 0]),
            ]
        ),
    )
    funcs = w.section(w.FUNCTION, w.vec([w.uleb(1)]))
    exports = w.section(
        w.EXPORT,
        w.vec(
            [
                w.name("log") + bytes([w.FUNC_KIND]) + w.uleb(0),
                w.name("seven") + bytes([w.FUNC_KIND]) + w.uleb(1),
                w.name("also_seven") + bytes([w.FUNC_KIND]) + w.uleb(1),
                w.name("mem") + bytes([w.MEMORY_KIND]) + w.uleb(0),
                w.name("tab") + bytes([w.TABLE_KIND]) + w.uleb(0),
                w.name("g") + bytes([w.GLOBAL_KIND]) + w.uleb(0),
            ]
        ),
    )
    code = w.section(w.CODE, w.vec([w.code(w.i64_const(7) + w.END)]))
    return w.module(types, imports, funcs, exports, code)


def invalid_module() -> bytes:
    """Well formed, but the function returns nothing where its type promises an i32."""
    return w.module(
        w.section(w.TYPE, w.vec([w.func_type([], [w.I32])])),
        w.section(w.FUNCTION, w.vec([w.uleb(0)])),
        w.section(w.CODE, w.vec([w.code(w.END)])),
    )


# -- package surface ----------------------------------------------------------------


def test_exports_and_version() -> None:
    for name in (
        "Runtime", "RuntimeConfig", "CompiledModule", "CompileError", "DecodeError",
        "ValidationError", "LinkError", "Trap", "ValueType", "__version__",
    ):  # fmt: skip
        assert name in wazaot.__all__
        assert hasattr(wazaot, name)
    assert wazaot.__version__ == "0.1.0"
    assert issubclass(DecodeError, CompileError) and issubclass(ValidationError, CompileError)
    assert issubclass(Trap, RuntimeError)
    assert not issubclass(LinkError, CompileError)


# -- RuntimeConfig ------------------------------------------------------------------


def test_config_defaults() -> None:
    if host_arch() is None:
        pytest.skip("host is neither x86-64 nor arm64")
    config = RuntimeConfig()
    assert config.arch == host_arch()
    assert config.memory_limit_pages == 65536
    assert config.listener_factory is None


@pytest.mark.parametrize(
    ("given", "arch"),
    [("amd64", "amd64"), ("x86_64", "amd64"), ("arm64", "arm64"), ("AArch64", "arm64")],
)
def test_config_arch_names(given: str, arch: str) -> None:
    assert RuntimeConfig(arch=given).arch == arch


def test_an_arch_without_a_backend_raises_unsupported_from_compile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = "arm64" if host_arch() == "amd64" else "amd64"
    monkeypatch.delitem(engine_isas.ISA_MODULES, other)
    with Runtime(RuntimeConfig(arch=other)) as runtime:
        with pytest.raises(wazaot.UnsupportedError) as info:
            runtime.compile(ADD_WASM.read_bytes())
        assert isinstance(info.value, wazaot.CompileError)
        assert other in str(info.value)


def test_code_for_another_arch_compiles_but_does_not_instantiate() -> None:
    other = "arm64" if host_arch() == "amd64" else "amd64"
    with Runtime(RuntimeConfig(arch=other)) as runtime:
        compiled = runtime.compile(ADD_WASM.read_bytes())
        with pytest.raises(wazaot.UnsupportedError, match=f"cannot run {other} code"):
            runtime.instantiate(compiled)


def test_the_engine_implements_the_seed_interfaces(rt: Runtime) -> None:
    cm = rt.compile(ADD_WASM.read_bytes())
    assert isinstance(rt.engine, Engine) and rt.engine.compiled_module_count() >= 1
    mod = rt.instantiate(cm)
    inst = mod._inst
    assert isinstance(inst.engine, ModuleEngine)
    add = inst.exports["add"][1]
    ce = inst.engine.new_call_engine(None, add)
    assert isinstance(ce, CallEngine) and ce.call(None, mod, [2, 3]) == [5]
    assert inst.engine.function_instance_reference(add.definition.index) == add.address
    rt.engine.delete_compiled_module(cm.module)
    assert mod.exported_function("add")(2, 3) == 5  # instances keep their code


@pytest.mark.parametrize("arch", ["riscv64", "", "i386", 64])
def test_config_rejects_unknown_arch(arch: Any) -> None:
    with pytest.raises(ValueError, match="arch"):
        RuntimeConfig(arch=arch)


@pytest.mark.parametrize("pages", [-1, 65537, 1.5, True, "10"])
def test_config_rejects_bad_memory_limit(pages: Any) -> None:
    with pytest.raises(ValueError, match="memory_limit_pages"):
        RuntimeConfig(arch="amd64", memory_limit_pages=pages)


def test_config_rejects_listener_factory_without_new_listener() -> None:
    with pytest.raises(TypeError):
        RuntimeConfig(arch="amd64", listener_factory=object())


# -- Runtime.compile ----------------------------------------------------------------


@pytest.fixture
def rt() -> Runtime:
    with Runtime(RuntimeConfig(arch="amd64")) as runtime:
        yield runtime


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_compile_accepts_bytes_like(rt: Runtime, wrap: Any) -> None:
    cm = rt.compile(wrap(ADD_WASM.read_bytes()))
    assert isinstance(cm, CompiledModule)
    assert set(cm.exported_functions) == {"add", "factorial"}


@pytest.mark.parametrize("source", ["(module)", None, [0, 97, 115, 109], 42, ADD_WASM])
def test_compile_rejects_other_types(rt: Runtime, source: Any) -> None:
    with pytest.raises(TypeError, match="bytes"):
        rt.compile(source)


def test_compiled_module_describes_the_example(rt: Runtime) -> None:
    cm = rt.compile(ADD_WASM.read_bytes())
    assert cm.name == "add"
    assert cm.imported_functions == []
    add = cm.exported_functions["add"]
    assert isinstance(add, FunctionDefinition)
    assert (add.name, add.index, add.module_name) == ("add", 0, "add")
    assert add.param_types == (I32, I32) and add.result_types == (I32,)
    assert add.export_names == ("add",) and add.import_ is None
    assert str(add) == "add.add"
    fact = cm.exported_functions["factorial"]
    assert (fact.index, fact.param_types, fact.result_types) == (1, (I64,), (I64,))
    mem = cm.exported_memories["memory"]
    assert (mem.min, mem.max, mem.shared, mem.import_) == (1, None, False, None)
    calls = cm.exported_globals["calls"]
    assert (calls.type, calls.mutable) == (ValueType.I32, True)
    assert cm.exported_tables == {}
    assert [c.name for c in cm.custom_sections] == ["name"]
    assert isinstance(cm.custom_sections[0].data, bytes)
    assert "add" in repr(cm)


def test_compiled_module_imports_and_reexports(rt: Runtime) -> None:
    cm = rt.compile(imports_module())
    assert cm.name is None
    [log] = cm.imported_functions
    assert log.import_ == ("env", "log") and log.index == 0
    assert log.param_types == (I32,) and log.result_types == ()
    assert log.name  # generated when the name section does not name it
    assert cm.exported_functions["log"] is log
    seven = cm.exported_functions["seven"]
    assert seven is cm.exported_functions["also_seven"]
    assert seven.export_names == ("seven", "also_seven") and seven.index == 1
    assert seven.result_types == (I64,)
    mem = cm.exported_memories["mem"]
    assert (mem.min, mem.max, mem.import_) == (2, None, ("env", "mem"))
    tab = cm.exported_tables["tab"]
    assert (tab.elem_type, tab.min, tab.max, tab.import_) == (
        ValueType.FUNCREF,
        1,
        5,
        ("env", "tab"),
    )
    g = cm.exported_globals["g"]
    assert (g.type, g.mutable, g.import_) == (ValueType.I32, False, ("env", "g"))


def test_type_ids_are_shared_across_modules(rt: Runtime) -> None:
    a = rt.compile(ADD_WASM.read_bytes())
    b = rt.compile(imports_module())
    c = rt.compile(ADD_WASM.read_bytes())
    assert len(a.type_ids) == len(a.module.types)
    assert a.type_ids == c.type_ids
    assert len(set(a.type_ids)) == len(a.module.types)  # the example's two types differ
    for ft, tid in zip(b.module.types, b.type_ids):
        assert rt.type_id(ft) == tid
    # () -> i64 of `b` is not in `a`; (i32) -> () is not either
    assert not set(b.type_ids) & set(a.type_ids)


def test_compile_raises_decode_error_with_offset(rt: Runtime) -> None:
    with pytest.raises(DecodeError) as info:
        rt.compile(b"\x00asm\x02\x00\x00\x00")
    assert isinstance(info.value, CompileError)
    assert info.value.offset is None or isinstance(info.value.offset, int)
    with pytest.raises(DecodeError) as info:
        rt.compile(ADD_WASM.read_bytes()[:-3])
    assert isinstance(info.value.offset, int)


def test_compile_raises_validation_error(rt: Runtime) -> None:
    with pytest.raises(ValidationError) as info:
        rt.compile(invalid_module())
    assert "type mismatch" in str(info.value)


def test_closed_runtime_refuses_work() -> None:
    with Runtime(RuntimeConfig(arch="amd64")) as runtime:
        cm = runtime.compile(ADD_WASM.read_bytes())
    assert runtime.closed and cm.closed
    runtime.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        runtime.compile(ADD_WASM.read_bytes())


# -- instantiate, register, host modules --------------------------------------------


def test_instantiate_and_call(rt: Runtime) -> None:
    cm = rt.compile(ADD_WASM.read_bytes())
    mod = rt.instantiate(cm, name="m")
    assert rt.module("m") is mod
    add = mod.exported_function("add")
    assert add.call(2, 0xFFFF_FFFF) == [1]  # raw: 2 + (-1)
    assert add(2, -3) == -1  # Pythonic
    assert mod.exported_global("calls").value == 2
    assert mod.exported_function("factorial")(20) == 2432902008176640000
    assert mod.exported_function("missing") is None
    with pytest.raises(TypeError):
        rt.instantiate(ADD_WASM.read_bytes())  # type: ignore[arg-type]


def test_register(rt: Runtime) -> None:
    sentinel = object()
    rt.register("alias", sentinel)
    assert rt.module("alias") is sentinel
    assert rt.module("other") is None
    with pytest.raises(TypeError):
        rt.register(1, sentinel)  # type: ignore[arg-type]


def test_host_module_builder_records_definitions(rt: Runtime) -> None:
    def log(caller: object, ptr: int, n: int) -> None:
        return None

    builder = rt.new_host_module_builder("env")
    assert isinstance(builder, HostModuleBuilder)
    assert builder.function("log", log, params=[I32, I32], results=[]) is builder
    builder.function("now", lambda caller: 0, results=[ValueType.I64])
    [d_log, d_now] = builder.definitions
    assert (d_log.module_name, d_log.name, d_log.index) == ("env", "log", 0)
    assert d_log.param_types == (I32, I32) and d_log.result_types == ()
    assert d_log.export_names == ("log",)
    assert (d_now.index, d_now.param_types, d_now.result_types) == (1, (), (I64,))
    assert builder.functions["log"].fn is log
    with pytest.raises(ValueError, match="already"):
        builder.function("log", log)
    with pytest.raises(TypeError):
        builder.function("x", "not callable")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        builder.function("y", log, params=["i32"])  # type: ignore[list-item]
    host = builder.instantiate()
    assert rt.module("env") is host
    assert host.exported_function("now").call() == [0]


# -- listeners chosen at compile time -----------------------------------------------


class RecordingFactory:
    def __init__(self, listen_to: str) -> None:
        self.listen_to = listen_to
        self.seen: list[FunctionDefinition] = []

    def new_listener(self, definition: FunctionDefinition) -> object | None:
        if definition.module_name == "wazaot":  # the builtins are offered too
            return None
        self.seen.append(definition)
        return ("listener", definition.name) if definition.name == self.listen_to else None


def test_listener_factory_from_config_and_override() -> None:
    config_factory = RecordingFactory("add")
    with Runtime(RuntimeConfig(arch="amd64", listener_factory=config_factory)) as runtime:
        cm = runtime.compile(ADD_WASM.read_bytes())
        assert [d.name for d in config_factory.seen] == ["add", "factorial"]
        assert cm.listeners == [("listener", "add"), None]
        assert cm.listener_factory is config_factory

        override = RecordingFactory("factorial")
        cm2 = runtime.compile(ADD_WASM.read_bytes(), listener_factory=override)
        assert cm2.listeners == [None, ("listener", "factorial")]
        assert len(config_factory.seen) == 2


def test_listeners_skip_imported_functions(rt: Runtime) -> None:
    factory = RecordingFactory("nothing")
    cm = rt.compile(imports_module(), listener_factory=factory)
    assert [d.index for d in factory.seen] == [1]
    assert cm.listeners == [None]


# -- engine protocols ---------------------------------------------------------------


class FakeCallEngine:
    def call(self, ctx: Any, module: Any, params: Sequence[int]) -> list[int]:
        return list(params)


class FakeModuleEngine:
    def name(self) -> str:
        return "m"

    def new_call_engine(self, call_ctx: Any, function: Any) -> CallEngine:
        return FakeCallEngine()

    def lookup_function(self, table: Any, type_id: int, table_offset: int) -> int:
        return 0

    def create_func_element_instance(self, indexes: Sequence[int | None]) -> list[int]:
        return [0 if i is None else i + 1 for i in indexes]

    def initialize_funcref_globals(self, globals: Sequence[Any]) -> None:
        return None

    def function_instance_reference(self, func_index: int) -> int:
        return func_index + 1


class FakeEngine:
    def compile_module(self, module: Any, listeners: Sequence[Any]) -> Any:
        return module

    def compiled_module_count(self) -> int:
        return 0

    def delete_compiled_module(self, module: Any) -> None:
        return None

    def new_module_engine(
        self, name: str, module: Any, imported_functions: Any, module_functions: Any
    ) -> ModuleEngine:
        return FakeModuleEngine()


def test_engine_protocols_are_structural() -> None:
    engine: Engine = FakeEngine()
    assert isinstance(engine, Engine)
    module_engine = engine.new_module_engine("m", None, [], [])
    assert isinstance(module_engine, ModuleEngine)
    assert isinstance(module_engine.new_call_engine(None, None), CallEngine)
    assert not isinstance(FakeCallEngine(), Engine)
    assert not isinstance(object(), CallEngine)


# -- command line -------------------------------------------------------------------


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli_main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"wazaot {wazaot.__version__}"


def test_cli_compile_summary() -> None:
    code, out, err = run_cli("compile", str(ADD_WASM))
    assert code == 0, err
    assert "ok, compiled in" in out
    assert "2 (0 imported, 2 defined" in out
    assert "add (func)" in out and "memory (memory)" in out
    assert "module name" in out and f"{len(ADD_WASM.read_bytes())} bytes" in out


def test_cli_compile_bad_modules(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"\x00asm\x01\x00\x00\x00\x01\xff")
    invalid = tmp_path / "invalid.wasm"
    invalid.write_bytes(invalid_module())
    code, out, err = run_cli("compile", str(bad), str(ADD_WASM), str(invalid))
    assert code == 1
    assert f"{bad}: DecodeError:" in err
    assert f"{invalid}: ValidationError: type mismatch" in err
    assert str(ADD_WASM) in out
    code, _, err = run_cli("compile", str(tmp_path / "missing.wasm"))
    assert code == 1 and "missing.wasm" in err


def test_cli_usage() -> None:
    code, out, _ = run_cli()
    assert code == 2 and "compile" in out
    with pytest.raises(SystemExit) as info:
        run_cli("compile")
    assert info.value.code == 2


def test_cli_run() -> None:
    code, out, err = run_cli("run", str(ADD_WASM), "--invoke", "add", "1", "2")
    assert code == 0 and out.strip() == "3", err
    code, out, err = run_cli("run", str(ADD_WASM), "--invoke", "factorial", "20")
    assert code == 0 and out.strip() == "2432902008176640000", err
    code, _, err = run_cli("run", str(ADD_WASM), "--invoke", "add", "1")
    assert code == 2 and "takes 2 arguments" in err
    code, _, err = run_cli("run", str(ADD_WASM))
    assert code == 1 and "--invoke" in err


def test_python_dash_m() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "wazaot", "compile", str(ADD_WASM)],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "ok" in proc.stdout


# -- the README's example -----------------------------------------------------------


def test_example_wasm_is_up_to_date(tmp_path: Path) -> None:
    wat2wasm = shutil.which("wat2wasm")
    if wat2wasm is None:
        pytest.skip("wat2wasm (wabt) not installed")
    out = tmp_path / "add.wasm"
    subprocess.run([wat2wasm, "--debug-names", str(ADD_WAT), "-o", str(out)], check=True)
    assert out.read_bytes() == ADD_WASM.read_bytes(), "regenerate examples/add.wasm (see add.wat)"


def test_readme_commands() -> None:
    readme = (REPO / "README.md").read_text()
    assert "pip install . && wazaot run examples/add.wasm --invoke add 2 3" in readme
    assert "pip install '.[test]' && python -m pytest" in readme
    ci = (REPO / ".ci" / "run").read_text()
    assert "pip install '.[test]' && python -m pytest" in ci


def test_readme_python_example_runs() -> None:
    import re

    readme = (REPO / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", readme, re.S)
    assert code is not None
    proc = subprocess.run([sys.executable, "-c", code.group(1)], capture_output=True,
                          text=True, cwd=REPO, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == ["5", "[2432902008176640000]"]


def test_cli_reports_unsupported_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    from wazaot.amd64 import cpu

    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("pretends to be an x86-64 processor without SSE4.1")
    monkeypatch.setenv(cpu.FEATURES_ENV, "-sse41")
    cpu.host_features.cache_clear()
    try:
        code, _, err = run_cli("compile", "--no-cache", str(ADD_WASM))
    finally:
        monkeypatch.delenv(cpu.FEATURES_ENV)
        cpu.host_features.cache_clear()
    assert code == 1 and "UnsupportedError" in err and "SSE4.1" in err and "Traceback" not in err


@pytest.mark.parametrize("example", ["timing_listener.py", "interrupt.py"])
def test_examples_run(example: str) -> None:
    proc = subprocess.run([sys.executable, str(REPO / "examples" / example)], capture_output=True,
                          text=True, timeout=60, cwd=REPO, env={"PYTHONPATH": str(REPO)})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()


def test_cli_run_trace_and_timeout(tmp_path: Path) -> None:
    code, out, err = run_cli("run", "--no-cache", "--trace", str(ADD_WASM), "--invoke", "factorial", "3")
    assert code == 0 and out.strip() == "6"
    assert err.splitlines()[0].endswith("factorial(3)") and err.splitlines()[-1] == "<-- 6"
    spin = tmp_path / "spin.wasm"
    spin.write_bytes(wasmtime.wat2wasm('(module (func (export "spin") (loop (br 0))))'))
    code, out, err = run_cli("run", "--no-cache", "--timeout", "0.1", str(spin), "--invoke", "spin")
    assert code == 1 and "interrupted" in err


def test_cli_compile_timings() -> None:
    code, out, err = run_cli("compile", "--no-cache", "--timings", str(ADD_WASM))
    assert code == 0, err
    for stage in ("decode", "validate", "lower", "regalloc", "emit", "total", "machine code"):
        assert stage in out, out
