"""Real C programs (clang + wasi-libc, built by programs/build.sh) run under wazaot
and under wasmtime: same stdout, stderr, files and exit code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .harness import Outcome, program, run_wasmtime, run_wazaot


def both(name: str, args: list[str], **kw: object) -> tuple[Outcome, Outcome]:
    wasm = program(name)
    return run_wazaot(wasm, args, **kw), run_wasmtime(wasm, args, **kw)  # type: ignore[arg-type]


def test_printf_malloc_args_env() -> None:
    ours, ref = both("basics", ["basics", "one", "two words"], env={"GREETING": "héllo", "A": "1"})
    assert ours == ref
    assert b"argv[2]=two words" in ours.stdout and "GREETING=héllo".encode() in ours.stdout
    assert ours.stderr == b"to stderr\n"


def test_exit_code() -> None:
    ours, ref = both("basics", ["basics", "exit", "42"])
    assert ours.code == ref.code == 42
    assert ours == ref


def test_stdin() -> None:
    data = b"the quick brown fox\njumps over\n\nthe lazy dog"
    ours, ref = both("stdin", ["stdin"], stdin=data)
    assert ours == ref
    assert ours.stdout.endswith(b"3 9 44\n")


def test_clocks_and_random() -> None:
    ours, ref = both("clocks", ["clocks"])
    assert ours.code == 0, ours
    # wasmtime has no process CPU-time clock; wazaot does.
    assert b"cpu clock ok: 1" in ours.stdout
    strip = lambda o: [ln for ln in o.stdout.splitlines() if not ln.startswith(b"cpu")]  # noqa: E731
    assert strip(ours) == strip(ref)


def _data_dir(root: Path) -> str:
    root.mkdir()
    (root / "input.txt").write_text("first\nsecond\nthird\n")
    return str(root)


def test_files_in_a_mounted_directory(tmp_path: Path) -> None:
    mine, theirs = _data_dir(tmp_path / "a"), _data_dir(tmp_path / "b")
    ours = run_wazaot(program("files"), ["files"], mounts={"/data": mine})
    ref = run_wasmtime(program("files"), ["files"], mounts={"/data": theirs})
    assert ours == ref
    assert b"ls /data: . .. input.txt out.txt" in ours.stdout
    assert sorted(os.listdir(mine)) == sorted(os.listdir(theirs))
    assert (Path(mine) / "out.txt").read_bytes() == (Path(theirs) / "out.txt").read_bytes()


def _escape_tree(top: Path) -> Path:
    top.mkdir()
    data = top / "data"
    data.mkdir()
    (data / "sub").mkdir()
    (top / "secret.txt").write_text("secret")
    (data / "inside.txt").write_text("inside")
    os.symlink("../secret.txt", data / "outside_link")
    os.symlink(str(top / "secret.txt"), data / "abs_link")
    return data


def test_no_escape_from_a_mount(tmp_path: Path) -> None:
    data = _escape_tree(tmp_path / "ours")
    ours = run_wazaot(program("escape"), ["escape"], mounts={"/data": str(data)})
    ref = run_wasmtime(program("escape"), ["escape"],
                       mounts={"/data": str(_escape_tree(tmp_path / "ref"))})  # fmt: skip
    assert ours.code == 0
    lines = ours.stdout.decode().splitlines()
    assert not [ln for ln in lines if "OPENED" in ln and "ok_link" not in ln], lines
    assert not [ln for ln in lines if "MADE" in ln or "SEEN" in ln], lines
    assert "open /data/ok_link: OPENED" in lines and "symlink inside: made" in lines
    assert not (tmp_path / "ours" / "newdir").exists()
    # wasmtime agrees on everything but making a link that points outside (it lets the
    # link be made, then refuses to follow it; wazaot refuses to make it).
    differ = [(a, b) for a, b in zip(lines, ref.stdout.decode().splitlines()) if a != b]
    assert differ == [("symlink ../x: refused", "symlink ../x: MADE")]


@pytest.mark.parametrize("size", [0, 1, 5000])
def test_many_writes(size: int) -> None:
    ours, ref = both("bench", ["bench", str(size)])
    assert ours == ref
    assert ours.stdout.count(b"\n") == size
