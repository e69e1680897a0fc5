"""``wazaot run`` for WASI commands: arguments, environment, mounts, exit codes."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from wazaot.cli import main

from .harness import PROGRAMS

REPO = Path(__file__).resolve().parents[2]
BASICS = str(PROGRAMS / "basics.wasm")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["run", "--no-cache", *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_arguments_environment_and_exit_code() -> None:
    code, out, err = run("--env", "GREETING=hey", "--env", "B=2", BASICS, "--", "exit", "42")
    assert code == 42
    assert out.startswith("argc=3\nargv[1]=exit\nargv[2]=42\nenv GREETING=hey\nenv B=2\n")
    assert err == "to stderr\n"
    code, out, _ = run(BASICS, "-x", "--flag")  # options after the module are the guest's
    assert code == 0 and "argv[1]=-x\nargv[2]=--flag\n" in out


def test_argv0_is_the_file_name() -> None:
    code, out, _ = run(str(REPO / "examples" / "wasi" / "hello.wasm"), "a", "b")
    assert code == 0 and out == "hello from hello.wasm\n  arg 1: a\n  arg 2: b\n"


def test_mount(tmp_path: Path) -> None:
    (tmp_path / "input.txt").write_text("1\n2\n")
    code, out, err = run("--mount", f"{tmp_path}:/data", str(PROGRAMS / "files.wasm"))
    assert code == 0, err
    assert "input lines=2" in out and (tmp_path / "out.txt").exists()
    code, out, _ = run("--mount", f"{tmp_path}:/data:ro", str(PROGRAMS / "files.wasm"))
    assert "input lines=2" in out  # reading works; writing fails and the program says so
    code, _, err = run("--mount", f"{tmp_path / 'missing'}:/x", BASICS)
    assert code == 2 and "missing" in err


def test_not_a_command(example_wasm: bytes) -> None:
    code, _, err = run(str(REPO / "examples" / "add.wasm"))
    assert code == 1 and "not a WASI command" in err and "--invoke" in err
    code, out, _ = run(str(REPO / "examples" / "add.wasm"), "--invoke", "add", "2", "3")
    assert code == 0 and out.strip() == "5"


def test_bad_options() -> None:
    try:
        run("--env", "NOEQUALS", BASICS)
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("--env without = accepted")


def test_python_dash_m_exit_code() -> None:
    proc = subprocess.run([sys.executable, "-m", "wazaot", "run", "--no-cache", BASICS, "--",
                           "exit", "3"], capture_output=True, cwd=REPO, timeout=60,
                          env={"PYTHONPATH": str(REPO)})  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout.startswith(b"argc=3\n") and proc.stderr == b"to stderr\n"
