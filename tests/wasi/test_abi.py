"""Every preview1 function links; bad pointers and lengths from the guest give EFAULT,
never a Python exception; errno values; proc_exit."""

from __future__ import annotations

import io
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import wasmtime

import wazaot
from wazaot import wasi
from wazaot.wasi.abi import SIGNATURES, Errno

FAULT, BADF, NOSYS = int(Errno.FAULT), int(Errno.BADF), int(Errno.NOSYS)
TOP = 0xFFFF_FFF0  # far beyond the one page of memory


def _proxy_wat() -> str:
    """A module that imports every preview1 function and exports a wrapper of each
    (same name and signature), with one page of memory."""
    lines = ["(module"]
    for name, (params, results) in SIGNATURES.items():
        p = " ".join(str(t).split(".")[-1].lower() for t in params)
        r = " ".join(str(t).split(".")[-1].lower() for t in results)
        sig = (f"(param {p})" if p else "") + (f" (result {r})" if r else "")
        lines.append(f'  (import "wasi_snapshot_preview1" "{name}" (func ${name} {sig}))')
    lines.append('  (memory (export "memory") 1)')
    for name, (params, results) in SIGNATURES.items():
        p = " ".join(str(t).split(".")[-1].lower() for t in params)
        r = " ".join(str(t).split(".")[-1].lower() for t in results)
        sig = (f"(param {p})" if p else "") + (f" (result {r})" if r else "")
        gets = " ".join(f"(local.get {i})" for i in range(len(params)))
        lines.append(f'  (func (export "{name}") {sig} (call ${name} {gets}))')
    return "\n".join(lines + [")"])


class Guest:
    def __init__(self, mod: wazaot.instance.Module):
        self.mod = mod
        self.memory = mod.exported_memory("memory")

    def __getattr__(self, name: str) -> object:
        f = self.mod.exported_function(name)
        return lambda *args: f.call(*args)[0] if f.definition.result_types else f.call(*args)

    def put(self, offset: int, data: bytes) -> int:
        self.memory.write(offset, data)
        return offset


@pytest.fixture
def guest(tmp_path: Path) -> Iterator[Guest]:
    (tmp_path / "f.txt").write_bytes(b"contents")
    with wazaot.Runtime() as rt:
        wasi.instantiate(rt, wasi.WasiConfig(args=["p", "arg"], env={"K": "V"}, stdin=b"in",
                                             stdout=io.BytesIO(), preopens={"/d": str(tmp_path)}))  # fmt: skip
        yield Guest(rt.instantiate(rt.compile(wasmtime.wat2wasm(_proxy_wat()))))


def test_all_46_functions_link(guest: Guest) -> None:
    assert len(SIGNATURES) == 46
    assert guest.sock_accept(3, 0, 0) == NOSYS
    assert guest.sock_shutdown(3, 0) == NOSYS
    assert guest.proc_raise(9) == NOSYS


def test_bad_pointers_give_efault(guest: Guest) -> None:
    iov = guest.put(64, struct.pack("<II", 128, 4))
    bad_iov = guest.put(96, struct.pack("<II", TOP, 4))
    path = guest.put(200, b"f.txt")
    assert guest.fd_write(1, TOP, 1, 0) == FAULT
    assert guest.fd_write(1, bad_iov, 1, 0) == FAULT
    assert guest.fd_write(1, iov, 1, TOP) == FAULT
    assert guest.fd_write(1, iov, 0x1000_0000, 0) == FAULT
    assert guest.fd_read(0, bad_iov, 1, 0) == FAULT
    assert guest.args_get(TOP, 0) == FAULT
    assert guest.args_sizes_get(0, TOP) == FAULT
    assert guest.environ_get(0, TOP) == FAULT
    assert guest.clock_time_get(0, 0, TOP) == FAULT
    assert guest.clock_res_get(1, 65533) == FAULT
    assert guest.random_get(TOP, 16) == FAULT
    assert guest.random_get(0, 0xFFFF_FFFF) == FAULT
    assert guest.fd_prestat_get(3, TOP) == FAULT
    assert guest.fd_prestat_dir_name(3, TOP, 2) == FAULT
    assert guest.fd_fdstat_get(1, TOP) == FAULT
    assert guest.fd_filestat_get(3, TOP) == FAULT
    assert guest.path_open(3, 0, TOP, 5, 0, 2, 0, 0, 0) == FAULT
    assert guest.path_open(3, 0, path, 0xFFFF_FFFF, 0, 2, 0, 0, 0) == FAULT
    assert guest.path_open(3, 0, path, 5, 0, 2, 0, 0, TOP) == FAULT
    assert guest.path_filestat_get(3, 0, path, 5, TOP) == FAULT
    assert guest.path_readlink(3, path, 5, TOP, 10, 0) == FAULT
    assert guest.fd_readdir(3, TOP, 100, 0, 0) == FAULT
    assert guest.fd_readdir(3, 0, 100, 0, TOP) == FAULT
    assert guest.poll_oneoff(0, 0, 0x0100_0000, 0) == FAULT
    assert guest.fd_pread(3, bad_iov, 1, 0, 0) in (FAULT, int(Errno.ISDIR))
    assert guest.fd_seek(1, 0, 0, TOP) == int(Errno.SPIPE)


def test_bad_descriptors_and_values(guest: Guest) -> None:
    assert guest.fd_write(99, 0, 0, 0) == BADF
    assert guest.fd_close(99) == BADF
    assert guest.fd_prestat_get(1, 0) == BADF
    assert guest.clock_time_get(7, 0, 0) == int(Errno.INVAL)
    assert guest.path_open(1, 0, 0, 1, 0, 0, 0, 0, 0) == int(Errno.NOTDIR)
    path = guest.put(300, b"missing")
    assert guest.path_open(3, 0, path, 7, 0, 2, 0, 0, 0) == int(Errno.NOENT)
    nul = guest.put(320, b"a\0b")
    assert guest.path_open(3, 0, nul, 3, 0, 2, 0, 0, 0) == int(Errno.INVAL)
    assert guest.fd_renumber(3, 50) == BADF


def test_args_env_and_preopen(guest: Guest) -> None:
    assert guest.args_sizes_get(0, 4) == 0
    assert guest.memory.read(0, 8) == struct.pack("<II", 2, 6)
    assert guest.args_get(16, 64) == 0
    assert guest.memory.read(64, 6) == b"p\0arg\0"
    assert struct.unpack("<II", guest.memory.read(16, 8)) == (64, 66)
    assert guest.environ_sizes_get(0, 4) == 0 and guest.memory.read(0, 8) == struct.pack(
        "<II", 1, 4
    )
    assert guest.fd_prestat_get(3, 0) == 0 and guest.memory.read(0, 8) == struct.pack(
        "<BxxxI", 0, 2
    )
    assert guest.fd_prestat_dir_name(3, 8, 2) == 0 and guest.memory.read(8, 2) == b"/d"


def test_read_a_file_and_readdir(guest: Guest) -> None:
    path = guest.put(200, b"f.txt")
    assert guest.path_open(3, 0, path, 5, 0, 2, 0, 0, 0) == 0
    fd = struct.unpack("<I", guest.memory.read(0, 4))[0]
    iov = guest.put(64, struct.pack("<II", 128, 100))
    assert guest.fd_read(fd, iov, 1, 8) == 0
    n = struct.unpack("<I", guest.memory.read(8, 4))[0]
    assert guest.memory.read(128, n) == b"contents"
    assert guest.fd_close(fd) == 0
    assert guest.fd_readdir(3, 1024, 4096, 0, 8) == 0
    used = struct.unpack("<I", guest.memory.read(8, 4))[0]
    blob = guest.memory.read(1024, used)
    names, at = [], 0
    while at < len(blob):
        _, _, namlen, _ = struct.unpack_from("<QQIB3x", blob, at)
        names.append(blob[at + 24 : at + 24 + namlen])
        at += 24 + namlen
    assert sorted(names) == [b".", b"..", b"f.txt"]
    # a small buffer is filled completely (the guest asks again with the cookie)
    assert guest.fd_readdir(3, 1024, 30, 0, 8) == 0
    assert struct.unpack("<I", guest.memory.read(8, 4))[0] == 30


def test_proc_exit_raises_exit_error(guest: Guest) -> None:
    with pytest.raises(wazaot.ExitError) as info:
        guest.proc_exit(7)
    assert info.value.code == 7 and not isinstance(info.value, wazaot.Trap)
    with pytest.raises(wazaot.ExitError) as info:
        guest.proc_exit(0)
    assert info.value.code == 0


def test_readonly_mount(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    with wazaot.Runtime() as rt:
        wasi.instantiate(
            rt, wasi.WasiConfig(preopens={"/d": wasi.Mount(str(tmp_path), readonly=True)})
        )
        g = Guest(rt.instantiate(rt.compile(wasmtime.wat2wasm(_proxy_wat()))))
        path = g.put(200, b"f.txt")
        assert g.path_open(3, 0, path, 5, 0, 2, 0, 0, 0) == 0  # reading is fine
        assert g.path_open(3, 0, path, 5, 0, 64, 0, 0, 0) == int(Errno.ROFS)
        assert g.path_unlink_file(3, path, 5) == int(Errno.ROFS)
        assert g.path_create_directory(3, g.put(220, b"new"), 3) == int(Errno.ROFS)
    assert (tmp_path / "f.txt").exists() and not (tmp_path / "new").exists()


def test_a_long_sleep_is_interrupted_by_a_timeout() -> None:
    # poll_oneoff on one clock subscription of 10 s (relative, monotonic clock).
    wat = """(module
      (import "wasi_snapshot_preview1" "poll_oneoff"
        (func $poll (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "sleep") (result i32)
        (i64.store (i32.const 0) (i64.const 7))            ;; userdata
        (i32.store8 (i32.const 8) (i32.const 0))           ;; tag: clock
        (i32.store (i32.const 16) (i32.const 1))           ;; monotonic
        (i64.store (i32.const 24) (i64.const 10000000000)) ;; 10 s
        (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128))))"""
    with wazaot.Runtime() as rt:
        wasi.instantiate(rt, wasi.WasiConfig())
        sleep = rt.instantiate(rt.compile(wasmtime.wat2wasm(wat))).exported_function("sleep")
        start = time.perf_counter()
        with pytest.raises(wazaot.Trap, match="interrupted"):
            sleep(timeout=0.2)
        assert time.perf_counter() - start < 2.0
