"""The compilation cache and compiled-module artifacts (API.md "Compilation cache").

Round trips (jump-table relocations, ``call_indirect`` under other type ids, source
maps in backtraces), hits across Runtimes and processes, and what a damaged or
foreign artifact does: raise ``CompileError`` from ``deserialize``, be rebuilt by
the cache, never run or crash.
"""

from __future__ import annotations

import os
import platform
import random
import subprocess
import sys
import textwrap
from hashlib import sha256

import pytest

import wazaot
from wazaot import CompileError, Trap
from wazaot.cli import main as cli_main
from wazaot.engine import serialize
from wazaot.engine.engine import NativeEngine
from wazaot.engine.serialize import Artifact, dumps, loads_body, read_key
from wazaot.machinst.objcode import ObjectCode, Relocation, RelocKind

pytestmark = pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64"),
    reason="native execution needs the x86-64 backend (arm64 comes next)",
)

wasmtime = pytest.importorskip("wasmtime", reason="pip install wasmtime (for wat2wasm)")

MODULE = wasmtime.wat2wasm("""(module
  (type $ii (func (param i32) (result i32)))
  (type $v (func (result i32)))
  (table 3 funcref)
  (elem (i32.const 0) $double $seven $switch)
  (func $double (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (func $seven (type $v) (i32.const 7))
  (func $switch (export "switch") (type $ii)
    (block $d (block $c (block $b (block $a
      (br_table $a $b $c $d (local.get 0)))
      (return (i32.const 10)))
      (return (i32.const 20)))
      (return (i32.const 30)))
    (i32.const 40))
  (func (export "call_ii") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 1) (local.get 0)))
  (func (export "call_v") (param i32) (result i32)
    (call_indirect (type $v) (local.get 0)))
  (func $div (export "div") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1))))""")

# Compiled first, it gives the Runtime's ids to other types, and $v another id.
SHIFT = wasmtime.wat2wasm("""(module
  (type (func (param f64)))
  (type (func (result i32)))
  (func (type 0))
  (func (type 1) (i32.const 0)))""")


def check_module(rt: wazaot.Runtime, cm: wazaot.CompiledModule) -> None:
    """Every export of MODULE behaves, traps included, with a wasm backtrace."""
    mod = rt.instantiate(cm)
    switch = mod.exported_function("switch")
    assert [switch.call(i)[0] for i in range(6)] == [10, 20, 30, 40, 40, 40]
    call_ii, call_v = mod.exported_function("call_ii"), mod.exported_function("call_v")
    assert call_ii.call(0, 5) == [10]
    assert call_ii.call(2, 1) == [20]
    assert call_v.call(1) == [7]
    for fn, args in ((call_ii, (1, 5)), (call_v, (0,)), (call_v, (2,))):
        with pytest.raises(Trap, match="indirect call type mismatch"):
            fn.call(*args)
    with pytest.raises(Trap, match="integer divide by zero") as info:
        mod.exported_function("div").call(1, 0)
    frame = info.value.wasm_backtrace[0]
    assert frame.function == "div" and frame.offset is not None
    # the offset of the i32.div_s in the binary
    assert MODULE[frame.offset] == 0x6D


@pytest.fixture
def compile_calls(monkeypatch):
    """How many modules the engines compiled (rather than loaded) during a test."""
    calls: list[int] = []
    original = NativeEngine.compile_module

    def counting(self, module, listeners, *args, **kwargs):
        calls.append(1)
        return original(self, module, listeners, *args, **kwargs)

    monkeypatch.setattr(NativeEngine, "compile_module", counting)
    return calls


def entries(directory) -> list:
    return sorted(p for p in directory.iterdir() if p.suffix == ".wazaot")


def retagged(data: bytes, **changes) -> bytes:
    """``data`` (an intact artifact) with fields of its key changed, hash kept valid."""
    key, body = read_key(data)
    artifact = loads_body(key, body)
    return dumps(Artifact({**key, **changes}, artifact.type_ids, artifact.wasm,
                          artifact.object_code))  # fmt: skip


# -- serialize / deserialize -------------------------------------------------------------


def test_round_trip_same_results():
    with wazaot.Runtime() as rt:
        cm = rt.compile(MODULE)
        assert cm.code.object_code.relocations  # the br_table's jump table
        data = cm.serialize()
        assert isinstance(data, bytes) and data.startswith(serialize.MAGIC)
        cm2 = rt.deserialize(data)
        assert cm2.code.object_code.code == cm.code.object_code.code
        assert cm2.code.code.base != cm.code.code.base  # relocated for another mapping
        check_module(rt, cm2)
        assert cm2.serialize() == data
        assert rt.deserialize(bytearray(data)).exported_functions.keys() == cm.exported_functions.keys()


def test_round_trip_into_another_runtime():
    with wazaot.Runtime() as rt1:
        data = rt1.compile(MODULE).serialize()
    with wazaot.Runtime() as rt2:
        check_module(rt2, rt2.deserialize(data))


def test_call_indirect_under_other_type_ids(compile_calls):
    with wazaot.Runtime() as rt1:
        cm1 = rt1.compile(MODULE)
        data = cm1.serialize()
    with wazaot.Runtime() as rt2:
        rt2.compile(SHIFT)
        compile_calls.clear()
        cm2 = rt2.deserialize(data)
        assert cm2.type_ids != cm1.type_ids
        assert compile_calls == [1]  # compiled again with this Runtime's ids
        check_module(rt2, cm2)
        # ... and that artifact loads in a Runtime with the same ids
        data2 = cm2.serialize()
    with wazaot.Runtime() as rt3:
        rt3.compile(SHIFT)
        compile_calls.clear()
        check_module(rt3, rt3.deserialize(data2))
        assert compile_calls == []


def test_deserialize_checks_its_argument():
    with wazaot.Runtime() as rt:
        with pytest.raises(TypeError):
            rt.deserialize("not bytes")
        cm = rt.compile(MODULE)
        cm.close()
        assert rt.deserialize(cm.serialize())  # the object code outlives close()


# -- foreign and damaged artifacts -------------------------------------------------------


@pytest.fixture(scope="module")
def artifact() -> bytes:
    with wazaot.Runtime() as rt:
        return rt.compile(MODULE).serialize()


def test_every_flipped_byte_is_rejected(artifact):
    with wazaot.Runtime() as rt:
        for i in range(len(artifact)):
            bad = bytearray(artifact)
            bad[i] ^= 0x40 if i % 3 else 0x01
            with pytest.raises(CompileError):
                rt.deserialize(bytes(bad))


def test_every_truncation_and_extension_is_rejected(artifact):
    with wazaot.Runtime() as rt:
        for n in range(len(artifact)):
            with pytest.raises(CompileError):
                rt.deserialize(artifact[:n])
        with pytest.raises(CompileError):
            rt.deserialize(artifact + b"\0")


def test_foreign_data_is_rejected(artifact):
    rng = random.Random(7)
    header = len(serialize.MAGIC)
    with wazaot.Runtime() as rt:
        for n in (0, 1, 7, 8, 64, 4096):
            with pytest.raises(CompileError, match="not a wazaot"):
                rt.deserialize(rng.randbytes(n))
        with pytest.raises(CompileError, match="not a wazaot"):
            rt.deserialize(MODULE)
        other_version = bytearray(artifact)
        other_version[header : header + 4] = (serialize.FORMAT_VERSION + 1).to_bytes(4, "little")
        with pytest.raises(CompileError, match="format version"):
            rt.deserialize(bytes(other_version))
        with pytest.raises(CompileError, match="arch 'arm64'"):
            rt.deserialize(retagged(artifact, arch="arm64"))
        with pytest.raises(CompileError, match="compiler"):
            rt.deserialize(retagged(artifact, compiler="0.0.1+0000000000000000"))
        with pytest.raises(CompileError, match="features"):
            rt.deserialize(retagged(artifact, features="sse41"))
        with pytest.raises(CompileError, match="unknown fields"):
            rt.deserialize(retagged(artifact, extra=1))
        with pytest.raises(CompileError, match="listeners"):
            rt.deserialize(retagged(artifact, listeners=True))
        # a body with a valid hash but nonsense contents
        key, body = read_key(artifact)
        at = len(artifact) - len(body) - 40  # where the body length is
        for junk in (b"", rng.randbytes(100), bytes(body)[:-3], bytes(body) + b"\0\0\0\0"):
            forged = artifact[:at] + len(junk).to_bytes(8, "little") + sha256(junk).digest() + junk
            with pytest.raises(CompileError, match="corrupted"):
                rt.deserialize(forged)


def test_inconsistent_code_is_rejected(artifact):
    key, body = read_key(artifact)
    good = loads_body(key, body)
    obj = good.object_code
    with wazaot.Runtime() as rt:
        relocation = Relocation(len(obj.code) - 4, RelocKind.ABS64, 0)
        for bad in (
            ObjectCode(obj.code, {}, obj.thunks, obj.relocations),  # no functions
            ObjectCode(obj.code, obj.functions, {}, obj.relocations),  # no thunks
            ObjectCode(obj.code, obj.functions, obj.thunks, [relocation]),
            ObjectCode(obj.code[:16], obj.functions, obj.thunks, obj.relocations),
        ):
            with pytest.raises(CompileError):
                rt.deserialize(dumps(Artifact(key, good.type_ids, good.wasm, bad)))
        with pytest.raises(CompileError):  # type ids for the wrong number of types
            rt.deserialize(dumps(Artifact(key, [0], good.wasm, obj)))


def test_listener_factory_must_match(artifact):
    class Factory:
        def new_listener(self, definition):
            return None

    with wazaot.Runtime(wazaot.RuntimeConfig(listener_factory=Factory())) as rt:
        with pytest.raises(CompileError, match="listeners"):
            rt.deserialize(artifact)
        assert rt.deserialize(rt.compile(MODULE).serialize())


# -- the cache directory -----------------------------------------------------------------


def test_cache_hit_in_a_second_runtime(tmp_path, compile_calls):
    config = wazaot.RuntimeConfig(cache_dir=tmp_path / "cache")
    with wazaot.Runtime(config) as rt:
        check_module(rt, rt.compile(MODULE))
    assert compile_calls == [1]
    [entry] = entries(tmp_path / "cache")
    with wazaot.Runtime(config) as rt:
        cm = rt.compile(MODULE)
        check_module(rt, cm)
        assert cm.serialize() == entry.read_bytes()
    assert compile_calls == [1]
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [entry.name]  # no temp files


def test_cache_hit_in_another_process(tmp_path, repo_root):
    (tmp_path / "m.wasm").write_bytes(MODULE)
    script = textwrap.dedent("""
        import sys, wazaot
        from wazaot.engine.engine import NativeEngine
        calls = []
        original = NativeEngine.compile_module
        NativeEngine.compile_module = lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
        rt = wazaot.Runtime(wazaot.RuntimeConfig(cache_dir=sys.argv[1]))
        mod = rt.instantiate(rt.compile(open(sys.argv[2], "rb").read()))
        print(len(calls), mod.exported_function("switch").call(2)[0])
    """)
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    args = [sys.executable, "-c", script, str(tmp_path / "cache"), str(tmp_path / "m.wasm")]
    runs = [subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout
            for _ in range(2)]  # fmt: skip
    assert runs == ["1 30\n", "0 30\n"]


def test_type_ids_are_part_of_the_key(tmp_path, compile_calls):
    config = wazaot.RuntimeConfig(cache_dir=tmp_path)
    with wazaot.Runtime(config) as rt:
        check_module(rt, rt.compile(MODULE))
    for _ in range(2):
        with wazaot.Runtime(config) as rt:
            rt.compile(SHIFT)
            check_module(rt, rt.compile(MODULE))
    # MODULE under two sets of ids, SHIFT once; the third Runtime compiled nothing
    assert len(entries(tmp_path)) == 3
    assert len(compile_calls) == 3


def test_damaged_entries_are_rebuilt(tmp_path, compile_calls):
    config = wazaot.RuntimeConfig(cache_dir=tmp_path)
    with wazaot.Runtime(config) as rt:
        rt.compile(MODULE)
    [entry] = entries(tmp_path)
    good = entry.read_bytes()
    rng = random.Random(11)
    damaged = [good[:n] for n in sorted(rng.sample(range(len(good)), 12))]
    for i in sorted(rng.sample(range(len(good)), 24)) + [0, 9, 20, len(good) - 1]:
        bad = bytearray(good)
        bad[i] ^= 1 << rng.randrange(8)
        damaged.append(bytes(bad))
    damaged += [b"", rng.randbytes(len(good)), retagged(good, arch="arm64")]
    with wazaot.Runtime(config) as rt:
        for data in damaged:
            entry.write_bytes(data)
            compile_calls.clear()
            check_module(rt, rt.compile(MODULE))
            assert compile_calls == [1]
            assert entry.read_bytes() == good


def test_no_cache_with_a_listener_factory(tmp_path):
    class Factory:
        def new_listener(self, definition):
            return None

    config = wazaot.RuntimeConfig(cache_dir=tmp_path, listener_factory=Factory())
    with wazaot.Runtime(config) as rt:
        rt.compile(MODULE)
    with wazaot.Runtime(wazaot.RuntimeConfig(cache_dir=tmp_path)) as rt:
        rt.compile(MODULE, listener_factory=Factory())
    assert entries(tmp_path) == []


def test_cache_dir_expands_user(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    with wazaot.Runtime(wazaot.RuntimeConfig(cache_dir="~/wz")) as rt:
        rt.compile(MODULE)
    assert len(entries(tmp_path / "wz")) == 1


def test_unwritable_cache_dir_still_compiles(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with wazaot.Runtime(wazaot.RuntimeConfig(cache_dir=blocker / "sub")) as rt:
        check_module(rt, rt.compile(MODULE))


def test_invalid_modules_are_reported_not_cached(tmp_path):
    with wazaot.Runtime(wazaot.RuntimeConfig(cache_dir=tmp_path)) as rt:
        with pytest.raises(wazaot.DecodeError):
            rt.compile(MODULE[:-3])
        with pytest.raises(CompileError):
            rt.compile(b"\0asm\1\0\0\0\x01\x04\x01\x60\x00\x00\x03\x02\x01\x05")
    assert entries(tmp_path) == []


def test_cache_dir_type_is_checked():
    with pytest.raises(TypeError):
        wazaot.RuntimeConfig(cache_dir=42)


# -- command line ------------------------------------------------------------------------


def test_cli_caches_in_the_user_cache_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "m.wasm"
    path.write_bytes(MODULE)
    assert cli_main(["run", "--no-cache", str(path), "--invoke", "switch", "1"]) == 0
    assert not (tmp_path / "xdg").exists()
    for _ in range(2):
        assert cli_main(["run", str(path), "--invoke", "switch", "1"]) == 0
    assert capsys.readouterr().out == "20\n" * 3
    assert len(entries(tmp_path / "xdg" / "wazaot")) == 1
    assert cli_main(["compile", str(path)]) == 0
    assert cli_main(["compile", "--no-cache", str(path)]) == 0
    assert len(entries(tmp_path / "xdg" / "wazaot")) == 1


def test_bench_quick_runs(repo_root):
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    proc = subprocess.run([sys.executable, str(repo_root / "bench" / "cache.py"), "--quick"],
                          env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for label in ("cold compile", "warm load", "deserialize", "cold compile / warm load"):
        assert label in proc.stdout
