"""LinearMemory: reservation, grow, limits, read/write, zero fill, buffer, guard."""

from __future__ import annotations

import gc
import resource
import sys

import pytest

from wazaot.native import libc
from wazaot.native.linmem import MAX_PAGES, WASM_PAGE_SIZE, LinearMemory

PAGE = WASM_PAGE_SIZE


def test_initial_state() -> None:
    with LinearMemory(2, 5) as mem:
        assert (mem.pages, mem.size, mem.max_pages, mem.capacity_pages) == (2, 2 * PAGE, 5, 5)
        assert mem.base % libc.PAGE_SIZE == 0
        assert mem.reserved_size == 5 * PAGE + mem.guard_size
        assert mem.read(0, 2 * PAGE) == bytes(2 * PAGE)


def test_grow_keeps_base_and_contents_and_zero_fills() -> None:
    with LinearMemory(1, 4) as mem:
        base = mem.base
        mem.write(PAGE - 3, b"abc")
        assert mem.grow(2) == 1
        assert mem.base == base
        assert (mem.pages, mem.size) == (3, 3 * PAGE)
        assert mem.read(PAGE - 3, 3) == b"abc"
        assert mem.read(PAGE, 2 * PAGE) == bytes(2 * PAGE)
        mem.write(3 * PAGE - 1, b"z")
        assert mem.grow(0) == 3
        assert mem.grow(1) == 3
        assert mem.grow(1) == -1  # beyond the maximum of 4
        assert mem.pages == 4
        with pytest.raises(ValueError):
            mem.grow(-1)


def test_runtime_limit_caps_growth() -> None:
    with LinearMemory(1, None, limit_pages=3) as mem:
        assert mem.max_pages is None
        assert mem.capacity_pages == 3
        assert mem.grow(3) == -1
        assert mem.grow(2) == 1
        assert mem.grow(1) == -1
    with LinearMemory(0, 100, limit_pages=2) as mem:
        assert mem.capacity_pages == 2
    with pytest.raises(ValueError):
        LinearMemory(4, None, limit_pages=3)
    with pytest.raises(ValueError):
        LinearMemory(2, 1)
    with pytest.raises(ValueError):
        LinearMemory(-1)


def test_out_of_range_access_raises_index_error() -> None:
    with LinearMemory(1, 2) as mem:
        for offset, n in [(PAGE, 1), (PAGE - 1, 2), (-1, 1), (0, PAGE + 1)]:
            with pytest.raises(IndexError):
                mem.read(offset, n)
            with pytest.raises(IndexError):
                mem.write(offset, b"x" * n)
        assert mem.read(PAGE, 0) == b""
        mem.write(PAGE, b"")
        with pytest.raises(ValueError):
            mem.read(0, -1)
        assert mem.read(0, PAGE) == bytes(PAGE)  # the failed writes changed nothing
        mem.grow(1)
        mem.write(PAGE, b"now fine")
        assert mem.read(PAGE, 8) == b"now fine"


def test_write_accepts_buffers() -> None:
    import array

    with LinearMemory(1) as mem:
        mem.write(0, bytearray(b"\x01\x02"))
        mem.write(2, memoryview(b"\x03\x04"))
        words = array.array("I", [0x08070605, 0x0C0B0A09])
        mem.write(4, words)
        assert mem.read(0, 12) == b"\x01\x02\x03\x04" + words.tobytes()


def test_buffer_is_a_zero_copy_view() -> None:
    with LinearMemory(1, 3) as mem:
        view = mem.buffer()
        assert (len(view), view.format, view.readonly) == (PAGE, "B", False)
        view[10:13] = b"xyz"
        assert mem.read(10, 3) == b"xyz"
        mem.write(20, b"\x7f")
        assert view[20] == 0x7F
        mem.grow(1)
        assert len(view) == PAGE  # the old view still covers the old size
        new_view = mem.buffer()
        assert len(new_view) == 2 * PAGE
        new_view[PAGE] = 5
        assert mem.read(PAGE, 1) == b"\x05"
        del view, new_view


def test_buffer_keeps_the_memory_alive() -> None:
    mem = LinearMemory(1)
    view = mem.buffer()
    finalizer = mem._finalizer
    del mem
    gc.collect()
    assert finalizer.alive
    view[0] = 1
    assert view[0] == 1
    del view
    gc.collect()
    assert not finalizer.alive


def test_zero_page_memory() -> None:
    with LinearMemory(0, 0) as mem:
        assert (mem.pages, mem.size, mem.capacity_pages) == (0, 0, 0)
        assert mem.base != 0
        assert mem.read(0, 0) == b""
        assert len(mem.buffer()) == 0
        with pytest.raises(IndexError):
            mem.read(0, 1)
        assert mem.grow(0) == 0
        assert mem.grow(1) == -1
    with LinearMemory(0, 0, guard_size=0) as mem:
        assert mem.reserved_size == libc.PAGE_SIZE
    with LinearMemory(0, 2) as mem:
        assert mem.grow(1) == 0
        mem.write(0, b"a")


def test_close_is_idempotent() -> None:
    mem = LinearMemory(1)
    mem.close()
    mem.close()
    assert mem.closed
    assert "closed" in repr(mem)
    for call in (lambda: mem.read(0, 1), lambda: mem.write(0, b"a"), lambda: mem.grow(1)):
        with pytest.raises(ValueError):
            call()


def test_reservation_and_guard_are_prot_none(maps) -> None:
    with LinearMemory(1, 4, guard_size=2 * PAGE) as mem:
        assert maps(mem.base)[:3] == "rw-"
        assert maps(mem.base + PAGE - 1)[:3] == "rw-"
        assert maps(mem.base + PAGE)[:3] == "---"  # reserved, not committed
        assert maps(mem.base + 4 * PAGE)[:3] == "---"  # guard
        assert maps(mem.base + 6 * PAGE - 1)[:3] == "---"
        mem.grow(3)
        assert maps(mem.base + 4 * PAGE - 1)[:3] == "rw-"
        assert maps(mem.base + 4 * PAGE)[:3] == "---"


def _vm_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
def test_ten_4gib_memories_reserve_without_committing(emulated: bool) -> None:
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY and soft < 64 << 30:
        pytest.skip("address space is limited by RLIMIT_AS")
    rss0, virt0 = _vm_kib("VmRSS"), _vm_kib("VmSize")
    mems = [LinearMemory(1, MAX_PAGES) for _ in range(10)]
    try:
        assert len({m.base for m in mems}) == 10
        for m in mems:
            assert m.reserved_size >= 4 << 30
            m.write(m.size - 1, b"\x01")
            assert m.grow(16) == 1  # 1 MiB more, committed but untouched
            m.write(m.size - 1, b"\x02")
        assert _vm_kib("VmSize") - virt0 >= 40 << 20  # 40 GiB of address space, in KiB
        if not emulated:  # qemu-user 7 spends resident memory per guest page mapped
            assert _vm_kib("VmRSS") - rss0 < 8 << 10  # ...but under 8 MiB resident
    finally:
        for m in mems:
            m.close()
    assert _vm_kib("VmSize") - virt0 < 1 << 20
