"""Teardown, threads and limits through the public API (API.md, "Teardown" and around).

What the whole runtime must do when things end: ``Runtime.close()`` with a memoryview
still held or with another thread inside wasm, the interpreter exiting while a daemon
thread runs wasm, threads that die giving their stacks back, type ids made by
several threads at once, instance names, and backtraces of very deep stacks.

Every case that could crash the process runs in a child process (``run_python``), so
a segfault fails the test instead of killing pytest; the child reports what happened
on stdout and the test checks the exit code and the report.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import wazaot

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64"),
    reason="native execution needs the x86-64 backend",
)
wasmtime = pytest.importorskip("wasmtime", reason="pip install wasmtime (for wat2wasm)")


def wat(text: str) -> bytes:
    return wasmtime.wat2wasm(text)


def run_python(
    code: str, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``PRELUDE + code`` in a fresh interpreter that imports this checkout's wazaot."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    full_env = {**os.environ, "PYTHONPATH": path, **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=full_env,
    )


def report(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit code {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"


# The child's common part: a counted loop to keep a thread inside wasm for a while.
PRELUDE = textwrap.dedent(
    '''
    import gc, sys, threading, time
    import wasmtime, wazaot

    SPIN = wasmtime.wat2wasm("""(module
      (memory (export "memory") 1)
      (data (i32.const 16) "hello")
      (func (export "spin") (param $n i64) (result i64) (local $i i64)
        (block $done
          (loop $next
            (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
            (local.set $i (i64.add (local.get $i) (i64.const 1)))
            (br $next)))
        (local.get $i)))""")

    def iterations_for(spin, seconds):
        """How many iterations of ``spin`` take about ``seconds`` here."""
        n = 1 << 20
        while True:
            start = time.perf_counter()
            spin.call(n)
            elapsed = time.perf_counter() - start
            if elapsed > 0.05:
                return max(int(n * seconds / elapsed), 1)
            n *= 4
    '''
)


# -- a. a memoryview kept after close ---------------------------------------------------


def test_memory_view_used_after_runtime_close_never_dangles() -> None:
    proc = run_python(
        """
        rt = wazaot.Runtime()
        mod = rt.instantiate(rt.compile(SPIN), name="m")
        view = mod.exported_memory("memory").buffer()
        assert bytes(view[16:21]) == b"hello"
        rt.close()
        del mod, rt
        gc.collect()
        junk = [bytearray(1 << 20) for _ in range(64)]  # reuse any address range freed
        try:
            data = bytes(view[16:21])
            view[0] = 1
            assert view[0] == 1
        except (ValueError, RuntimeError) as exc:
            print("raised", type(exc).__name__)
        else:
            print("valid", data)
        """
    )
    assert proc.returncode == 0, report(proc)
    assert proc.stdout.strip() in ("valid b'hello'", "raised ValueError", "raised RuntimeError"), (
        report(proc)
    )


# -- b. close while another thread runs wasm --------------------------------------------


def test_close_while_another_thread_runs_wasm_interrupts_or_refuses() -> None:
    proc = run_python(
        """
        rt = wazaot.Runtime()
        spin = rt.instantiate(rt.compile(SPIN)).exported_function("spin")
        n = iterations_for(spin, 2.0)
        entered = threading.Event()
        outcome = {}

        def worker():
            entered.set()
            try:
                outcome["result"] = spin.call(n)
            except wazaot.Trap as trap:
                outcome["trap"] = str(trap)
            except BaseException as exc:
                outcome["other"] = repr(exc)

        thread = threading.Thread(target=worker)
        thread.start()
        entered.wait()
        time.sleep(0.3)  # well inside the ~2 s call
        try:
            rt.close()
        except RuntimeError as exc:
            closed = "refused"
        else:
            closed = "closed"
        thread.join(30)
        assert not thread.is_alive(), "the call never ended"
        if closed == "refused":
            # The call went on, undisturbed, and the Runtime can close once it is over.
            assert outcome == {"result": [n]}, outcome
            rt.close()
            print("close raised RuntimeError")
        else:
            assert "trap" in outcome and "interrupted" in outcome["trap"], outcome
            print("call interrupted")
        """
    )
    assert proc.returncode == 0, report(proc)
    assert proc.stdout.strip() in ("close raised RuntimeError", "call interrupted"), report(proc)


# -- c. the interpreter exits while a daemon thread is inside wasm ------------------------


def test_interpreter_exit_with_a_daemon_thread_inside_wasm_is_quiet() -> None:
    proc = run_python(
        """
        rt = wazaot.Runtime()
        spin = rt.instantiate(rt.compile(SPIN)).exported_function("spin")
        n = iterations_for(spin, 10.0)
        entered = threading.Event()

        def worker():
            entered.set()
            spin.call(n)

        threading.Thread(target=worker, daemon=True).start()
        entered.wait()
        time.sleep(0.3)
        print("exiting", time.time(), flush=True)
        """,
        timeout=60,
    )
    ended = time.time()
    assert proc.returncode == 0, report(proc)
    assert proc.stderr == "", report(proc)
    m = re.fullmatch(r"exiting (\S+)", proc.stdout.strip())
    assert m is not None, report(proc)
    assert ended - float(m.group(1)) < 5.0, "the process did not exit promptly"


# -- d. threads give their stacks back ---------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_short_lived_threads_give_their_memory_back() -> None:
    proc = run_python(
        """
        def vm_kib():
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmSize:"):
                        return int(line.split()[1])

        rt = wazaot.Runtime()
        spin = rt.instantiate(rt.compile(SPIN)).exported_function("spin")
        done = []

        def once():
            done.append(spin.call(10))

        for _ in range(4):  # warm up: the runtime's own lazily made parts, thread caches
            t = threading.Thread(target=once)
            t.start()
            t.join()
        gc.collect()
        before = vm_kib()
        for _ in range(100):  # 400 threads, at most 4 alive at once
            threads = [threading.Thread(target=once) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        gc.collect()
        after = vm_kib()
        assert done == [[10]] * 404, done
        print((after - before) // 1024)
        """,
        timeout=300,
        env={"MALLOC_ARENA_MAX": "2"},  # glibc's per-thread malloc arenas are not ours
    )
    assert proc.returncode == 0, report(proc)
    grown_mib = int(proc.stdout.strip())
    assert grown_mib < 200, f"VmSize grew by {grown_mib} MiB over 400 short-lived threads"


# -- e. type ids made by several threads at once ----------------------------------------


def test_type_ids_from_concurrent_compiles_are_unique_per_type() -> None:
    proc = run_python(
        """
        sys.setswitchinterval(1e-6)  # switch threads as often as possible
        THREADS, MODULES, TYPES = 4, 40, 1000
        VALUE_TYPES = ("i32", "i64", "f32", "f64")

        def params(t, m, i):
            # A distinct signature per (thread, module, index): its number in base 4.
            n = (t * MODULES + m) * TYPES + i
            return [VALUE_TYPES[(n >> (2 * k)) & 3] for k in range(10)]

        def module_text(t, m):
            types = "".join(
                f"(type (func (param {' '.join(params(t, m, i))}) (result i32)))"
                for i in range(TYPES)
            )
            # Type 0 of every module is the same signature: it must get one id.
            return f"(module (type (func (result i32))) {types} (func (type 0) (i32.const {t})))"

        rt = wazaot.Runtime()
        binaries = {(t, m): wasmtime.wat2wasm(module_text(t, m))
                    for t in range(THREADS) for m in range(MODULES)}
        compiled = {}
        errors = []
        start = threading.Barrier(THREADS)

        def compile_all(t):
            try:
                start.wait()
                for m in range(MODULES):
                    compiled[t, m] = rt.compile(binaries[t, m])
            except BaseException as exc:
                errors.append(repr(exc))

        threads = [threading.Thread(target=compile_all, args=(t,)) for t in range(THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        sys.setswitchinterval(0.005)
        assert not errors, errors

        shared = {cm.type_ids[0] for cm in compiled.values()}
        assert len(shared) == 1, f"one signature got the ids {sorted(shared)}"
        ids = [tid for cm in compiled.values() for tid in cm.type_ids[1:]]
        assert len(ids) == THREADS * MODULES * TYPES
        assert len(set(ids) | shared) == len(ids) + 1, "distinct signatures share an id"

        # call_indirect compares those ids: a wrong type traps, the right one works.
        picked = [params(t, 0, i) for t in range(THREADS) for i in (0, TYPES - 1)]
        sigs = "".join(f"(type $t{j} (func (param {' '.join(p)}) (result i32)))"
                       for j, p in enumerate(picked))
        funcs = "".join(f"(func $f{j} (type $t{j}) (i32.const {j}))" for j in range(len(picked)))
        callers = "".join(
            f'(func (export "call{j}") (param i32) (result i32) (call_indirect (type $t{j}) '
            + " ".join(f"({vt}.const 0)" for vt in p)
            + " (local.get 0)))"
            for j, p in enumerate(picked)
        )
        elems = " ".join(f"$f{j}" for j in range(len(picked)))
        check = rt.instantiate(rt.compile(wasmtime.wat2wasm(
            f"(module {sigs} (table {len(picked)} funcref) (elem (i32.const 0) {elems}) "
            f"{funcs} {callers})")))
        for j in range(len(picked)):
            call = check.exported_function(f"call{j}")
            assert call.call(j) == [j]
            for k in range(len(picked)):
                if k != j:
                    try:
                        call.call(k)
                    except wazaot.Trap as trap:
                        assert "indirect call type mismatch" in str(trap), str(trap)
                    else:
                        raise AssertionError(f"call{j} through type {k} did not trap")
        print("ok")
        """,
        timeout=600,
    )
    assert proc.returncode == 0, report(proc)
    assert proc.stdout.strip() == "ok", report(proc)


# -- h. instance names are unique -------------------------------------------------------


NAMED = """(module (func (export "f") (result i32) (i32.const 1)))"""


def test_a_name_in_use_cannot_be_taken_again() -> None:
    with wazaot.Runtime() as rt:
        cm = rt.compile(wat(NAMED))
        first = rt.instantiate(cm, name="m")
        with pytest.raises(wazaot.LinkError, match="m"):
            rt.instantiate(cm, name="m")
        other = rt.instantiate(cm, name="other")
        with pytest.raises(wazaot.LinkError):
            rt.register("m", other)
        with pytest.raises(wazaot.LinkError):
            rt.register("other", first)
        rt.register("alias", first)
        with pytest.raises(wazaot.LinkError):
            rt.register("alias", other)
        with pytest.raises(wazaot.LinkError):
            rt.instantiate(cm, name="alias")
        assert rt.module("m") is first and rt.module("alias") is first
        # Anonymous instances never clash.
        rt.instantiate(cm)
        rt.instantiate(cm)
        # Closing the first frees both of its names.
        first.close()
        again = rt.instantiate(cm, name="m")
        assert again.exported_function("f").call() == [1]
        rt.register("alias", again)
        assert rt.module("alias") is again


def test_a_host_module_name_in_use_cannot_be_taken_again() -> None:
    with wazaot.Runtime() as rt:
        rt.new_host_module_builder("env").function("f", lambda caller: None).instantiate()
        with pytest.raises(wazaot.LinkError):
            rt.new_host_module_builder("env").function("g", lambda caller: None).instantiate()
        with pytest.raises(wazaot.LinkError):
            rt.instantiate(rt.compile(wat(NAMED)), name="env")


# -- i. backtraces of very deep stacks ----------------------------------------------------


def test_a_capped_backtrace_says_how_many_frames_it_left_out() -> None:
    with wazaot.Runtime() as rt:
        mod = rt.instantiate(
            rt.compile(
                wat("""(module
                  (global $depth (export "depth") (mut i32) (i32.const 0))
                  (func $deep (export "deep") (param i64) (result i64)
                    (global.set $depth (i32.add (global.get $depth) (i32.const 1)))
                    (i64.add (call $deep (i64.add (local.get 0) (i64.const 1)))
                             (i64.const 1))))""")
            )
        )
        with pytest.raises(wazaot.Trap, match="call stack exhausted") as info:
            mod.exported_function("deep").call(0)
        depth = mod.exported_global("depth").get()  # wasm frames that began their body
        trap = info.value
        omitted_line = re.compile(r"\.\.\. (\d+) frames omitted$")

        last_line = str(trap).rstrip("\n").splitlines()[-1]
        m = omitted_line.search(last_line)
        assert m is not None, f"str(trap) ends with {last_line!r}"
        omitted = int(m.group(1))

        backtrace = trap.wasm_backtrace  # the frames shown; the rest are counted
        assert trap.frames_omitted == omitted
        shown = len(backtrace)
        assert 0 < shown <= 1000 and omitted > 0
        # Every frame is either shown or counted: the frames whose body ran, plus
        # perhaps the one whose prologue found the stack exhausted.
        assert shown + omitted in (depth, depth + 1), (shown, omitted, depth)
        assert all("deep" in str(frame) for frame in backtrace)


# -- calls after close, and close from inside wasm ---------------------------------------


def test_calls_after_runtime_close_raise_and_never_enter() -> None:
    proc = run_python(
        """
        def refused(f):
            try:
                f.call(3)
            except RuntimeError:
                return "refused"
            return "ran"

        rt = wazaot.Runtime()
        spin = rt.instantiate(rt.compile(SPIN)).exported_function("spin")
        assert spin.call(3) == [3]
        rt.close()
        assert refused(spin) == "refused"
        try:
            spin(3)
        except RuntimeError as e:
            assert "closed" in str(e), e
        else:
            raise AssertionError("a Pythonic call after close ran")
        out = []  # a thread that never called before is refused too
        t = threading.Thread(target=lambda: out.append(refused(spin)))
        t.start()
        t.join()
        assert out == ["refused"], out
        print("ok")
        """
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", report(proc)


def test_close_from_a_host_function_raises_and_the_runtime_stays_usable() -> None:
    with wazaot.Runtime() as rt:
        errors: list[BaseException] = []

        def close_me(caller: object, x: int) -> int:
            try:
                rt.close()
            except RuntimeError as e:
                errors.append(e)
            return x

        rt.new_host_module_builder("env").function(
            "close_me", close_me, params=[wazaot.ValueType.I32], results=[wazaot.ValueType.I32]
        ).instantiate()
        f = rt.instantiate(rt.compile(wat("""(module
            (import "env" "close_me" (func $c (param i32) (result i32)))
            (func (export "f") (param i32) (result i32) (call $c (local.get 0))))"""))
        ).exported_function("f")
        assert f(7) == 7
        assert len(errors) == 1 and "run wasm code" in str(errors[0])
        assert not rt.closed and f(8) == 8
    assert rt.closed


def test_a_module_closed_before_any_call_refuses_calls_from_python() -> None:
    with wazaot.Runtime() as rt:
        mod = rt.instantiate(rt.compile(wat('(module (func (export "f") (result i32) i32.const 1))')))
        f = mod.exported_function("f")
        mod.close()  # before this Runtime ran anything
        with pytest.raises(RuntimeError, match="closed"):
            f.call()
        with pytest.raises(RuntimeError, match="closed"):
            f()
