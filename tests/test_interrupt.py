"""Interrupting calls (API.md "Interrupting calls"): timeouts, Runtime.interrupt().

A runaway loop, a loop of host calls and deep recursion in a loop all stop soon after
the deadline or the request, raise ``Trap("interrupted")``, and leave the Runtime
usable. (The bound asserted here is loose, for loaded CI machines; the figure itself,
well under 100 ms, is what ``bench/interrupt.py`` measures.)
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import wasmtime

import wazaot

LATE = 1.0  # seconds past the deadline that still count as "stopped" on a busy machine

WAT = """(module
  (import "env" "h" (func $h (param i32) (result i32)))
  (func (export "spin") (loop (br 0)))
  (func (export "spin_host") (loop (drop (call $h (i32.const 1))) (br 0)))
  (func $rec (export "rec") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))
      (else (i32.const 0))))
  (func (export "spin_rec") (loop (drop (call $rec (i32.const 50000))) (br 0)))
  (func (export "id") (param i32) (result i32) (local.get 0)))"""


@pytest.fixture
def mod() -> object:
    with wazaot.Runtime() as rt:
        rt.new_host_module_builder("env").function(
            "h", lambda caller, x: x, params=[wazaot.ValueType.I32], results=[wazaot.ValueType.I32]
        ).instantiate()
        yield rt.instantiate(rt.compile(wasmtime.wat2wasm(WAT)))


def _stopped_by_timeout(f: object, timeout: float, pythonic: bool = False) -> float:
    start = time.perf_counter()
    with pytest.raises(wazaot.Trap, match="interrupted") as info:
        if pythonic:
            f(timeout=timeout)  # type: ignore[operator]
        else:
            f.call(timeout=timeout)  # type: ignore[attr-defined]
    assert info.value.wasm_backtrace, "an interrupt has a backtrace like any trap"
    return time.perf_counter() - start


@pytest.mark.parametrize("name", ["spin", "spin_host", "spin_rec"])
def test_timeouts_stop_runaway_calls(mod: object, name: str) -> None:
    f = mod.exported_function(name)  # type: ignore[attr-defined]
    elapsed = _stopped_by_timeout(f, 0.1)
    assert 0.1 <= elapsed < 0.1 + LATE
    elapsed = _stopped_by_timeout(f, 0.05, pythonic=True)
    assert 0.05 <= elapsed < 0.05 + LATE


def test_a_call_that_ends_in_time_is_not_interrupted_later(mod: object) -> None:
    ident = mod.exported_function("id")  # type: ignore[attr-defined]
    rec = mod.exported_function("rec")  # type: ignore[attr-defined]
    for _ in range(100):
        assert ident.call(7, timeout=0.05) == [7]
    assert rec(1000, timeout=5) == 1000
    time.sleep(0.1)  # deadlines passed after the calls ended: nothing carries over
    assert rec(1000) == 1000
    assert ident(-1) == -1


def test_runtime_interrupt_from_another_thread(mod: object) -> None:
    rt_mod = mod
    spin = rt_mod.exported_function("spin")  # type: ignore[attr-defined]
    rt = rt_mod._inst.runtime  # type: ignore[attr-defined]
    timer = threading.Timer(0.1, rt.interrupt)
    timer.start()
    start = time.perf_counter()
    with pytest.raises(wazaot.Trap, match="interrupted"):
        spin()
    assert time.perf_counter() - start < 0.1 + LATE
    timer.join()
    assert rt_mod.exported_function("id")(5) == 5  # type: ignore[attr-defined]


def test_interrupt_stops_every_thread_and_nothing_else(mod: object) -> None:
    rt = mod._inst.runtime  # type: ignore[attr-defined]
    names = ["spin", "spin_host", "spin_rec"]
    errors: dict[str, BaseException] = {}

    def run(name: str) -> None:
        try:
            mod.exported_function(name)()  # type: ignore[attr-defined]
        except BaseException as e:  # noqa: BLE001
            errors[name] = e

    threads = [threading.Thread(target=run, args=(n,)) for n in names]
    for t in threads:
        t.start()
    time.sleep(0.2)
    rt.interrupt()
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads)
    assert sorted(errors) == names
    assert all(isinstance(e, wazaot.Trap) and "interrupted" in str(e) for e in errors.values())
    rt.interrupt()  # nothing runs: no effect on the next call
    assert mod.exported_function("rec")(10) == 10  # type: ignore[attr-defined]


def test_an_interrupt_reaches_through_host_reentry(mod: object) -> None:
    with wazaot.Runtime() as rt:
        inner: list[object] = []
        rt.new_host_module_builder("env").function(
            "h", lambda caller, x: inner[0].call() or x,  # type: ignore[attr-defined]
            params=[wazaot.ValueType.I32], results=[wazaot.ValueType.I32],
        ).instantiate()
        m = rt.instantiate(rt.compile(wasmtime.wat2wasm(WAT)))
        inner.append(m.exported_function("spin_rec"))
        with pytest.raises(wazaot.Trap, match="interrupted"):
            m.exported_function("spin_host").call(timeout=0.1)
        assert m.exported_function("id")(3) == 3


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), "1", True])
def test_bad_timeouts_are_rejected(mod: object, timeout: object) -> None:
    ident = mod.exported_function("id")  # type: ignore[attr-defined]
    with pytest.raises((TypeError, ValueError)):
        ident.call(1, timeout=timeout)


CTRL_C = """
import os, signal, sys, threading, time
import wasmtime, wazaot

rt = wazaot.Runtime()
rt.new_host_module_builder("env").function(
    "h", lambda caller, x: x, params=[wazaot.ValueType.I32], results=[wazaot.ValueType.I32]
).instantiate()
mod = rt.instantiate(rt.compile(wasmtime.wat2wasm(sys.argv[1])))
for name in ("spin", "spin_host", "spin_rec"):
    threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    start = time.perf_counter()
    try:
        mod.exported_function(name)()
    except KeyboardInterrupt:
        print(name, round(time.perf_counter() - start - 0.2, 3))
    else:
        print(name, "not interrupted")
print("usable", mod.exported_function("id")(9))
"""


def test_ctrl_c_raises_keyboard_interrupt_in_the_main_thread() -> None:
    repo = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-c", CTRL_C, WAT], capture_output=True, text=True,
                          timeout=60, cwd=repo, env={"PYTHONPATH": str(repo)})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1] == "usable 9", proc.stdout
    for line in lines[:-1]:
        name, late = line.split()
        assert float(late) < LATE, line  # stopped soon after the signal


def test_unknown_call_options_are_rejected(mod: object) -> None:
    ident = mod.exported_function("id")  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="timout"):
        ident.call(1, timout=1)
    with pytest.raises(TypeError, match="timout"):
        ident(1, timout=1)
