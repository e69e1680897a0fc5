"""CodeMemory: write, make executable (W^X), call, close, no leaks."""

from __future__ import annotations

import gc
import sys

import pytest

from wazaot.native import libc
from wazaot.native.call import call_address
from wazaot.native.execmem import CodeMemory

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")


def test_call_add(host_code) -> None:
    sample = host_code("add")
    with CodeMemory.from_code(sample.code) as code:
        assert code.executable
        assert code.read(0, len(sample.code)) == sample.code
        assert call_address(code.address, 40, 2) == 42
        assert call_address(code.address, -5, 3) == -2
        assert call_address(code.address, (1 << 64) - 1, 1) == 0  # unsigned in, wraps


def test_write_in_pieces_then_execute(host_code) -> None:
    sample = host_code("add")
    code = CodeMemory(3 * libc.PAGE_SIZE + 1)
    assert code.size == 4 * libc.PAGE_SIZE
    assert code.address % libc.PAGE_SIZE == 0
    entry = 2 * libc.PAGE_SIZE - 4  # straddles a page boundary; 4-aligned for arm64
    code.write(entry, bytearray(sample.code[:3]))
    code.write(entry + 3, memoryview(sample.code)[3:])
    code.make_executable()
    code.make_executable()  # idempotent
    assert call_address(code.address + entry, 1, 2) == 3
    code.close()


def test_w_xor_x_in_proc_maps(maps) -> None:
    code = CodeMemory(libc.PAGE_SIZE)
    try:
        code.write(0, b"\xc3")
        assert maps(code.address)[:3] == "rw-"
        code.make_executable()
        assert maps(code.address)[:3] == "r-x"
    finally:
        code.close()


def test_write_after_make_executable_raises() -> None:
    with CodeMemory(16) as code:
        code.make_executable()
        with pytest.raises(RuntimeError):
            code.write(0, b"\x90")


def test_out_of_range_write_and_read() -> None:
    with CodeMemory(libc.PAGE_SIZE) as code:
        with pytest.raises(IndexError):
            code.write(libc.PAGE_SIZE - 1, b"ab")
        with pytest.raises(IndexError):
            code.write(-1, b"a")
        with pytest.raises(IndexError):
            code.read(libc.PAGE_SIZE, 1)
        code.write(libc.PAGE_SIZE - 2, b"ab")
        assert code.read(libc.PAGE_SIZE - 2, 2) == b"ab"


def test_bad_size() -> None:
    with pytest.raises(ValueError):
        CodeMemory(0)


def test_close_is_idempotent_and_final(maps) -> None:
    code = CodeMemory.from_code(b"\xc3")
    address = code.address
    code.close()
    code.close()
    assert code.closed
    assert "closed" in repr(code)
    with pytest.raises(ValueError):
        code.address  # noqa: B018
    with pytest.raises(ValueError):
        code.read(0, 1)
    assert maps(address) is None or maps(address)[:3] != "r-x"


def test_finalizer_unmaps_a_forgotten_mapping(maps) -> None:
    code = CodeMemory.from_code(b"\xc3" * 100)
    address = code.address
    finalizer = code._finalizer
    del code
    gc.collect()
    assert not finalizer.alive
    perms = maps(address)
    assert perms is None or perms[:3] != "r-x"


def _statm() -> tuple[int, int]:
    """(virtual size, resident size) of this process in bytes."""
    with open("/proc/self/statm") as f:
        size, resident = (int(x) for x in f.read().split()[:2])
    return size * libc.PAGE_SIZE, resident * libc.PAGE_SIZE


@linux_only
def test_thousand_mappings_keep_rss_flat(host_code) -> None:
    sample = host_code("add")
    size = 64 << 10  # 16 pages each: a leak would show as 64 MiB virtual, 8 MiB resident
    tail = b"\xcc" * libc.PAGE_SIZE  # touch the last page too

    def one() -> None:
        code = CodeMemory(size)
        code.write(0, sample.code)
        code.write(size - libc.PAGE_SIZE, tail)
        code.make_executable()
        assert call_address(code.address, 2, 3) == 5
        code.close()

    for _ in range(50):  # warm up allocator caches
        one()
    gc.collect()
    virt0, rss0 = _statm()
    for _ in range(1000):
        one()
    gc.collect()
    virt1, rss1 = _statm()
    assert virt1 - virt0 < 8 << 20, (virt0, virt1)
    assert rss1 - rss0 < 4 << 20, (rss0, rss1)
