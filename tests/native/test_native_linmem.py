"""LinearMemory: reservation, grow, limits, read/write, zero fill, buffer, guard."""

from __future__ import annotations

import gc
import resource
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from wazaot.native import libc
from wazaot.native.linmem import MAX_PAGES, WASM_PAGE_SIZE, LinearMemory

PAGE = WASM_PAGE_SIZE
REPO = Path(__file__).resolve().parents[2]


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


def _mapping_ref(mem: LinearMemory) -> weakref.ref:
    """A weak reference to the object that owns the memory's address range."""
    return weakref.ref(mem._mapping)


def test_buffer_keeps_the_mapping_alive() -> None:
    mem = LinearMemory(1)
    view = mem.buffer()
    mapping = _mapping_ref(mem)
    del mem
    gc.collect()
    assert mapping() is not None and mapping().mapped
    view[0] = 1
    assert view[0] == 1
    del view
    gc.collect()
    assert mapping() is None


def test_close_without_views_unmaps_at_once(maps) -> None:
    mem = LinearMemory(1, 2)
    base, mapping = mem.base, _mapping_ref(mem)
    assert maps(base) is not None
    mem.close()
    assert mapping() is None
    assert maps(base) is None


def test_a_view_kept_after_close_stays_valid_memory(maps) -> None:
    mem = LinearMemory(1, 4)
    mem.write(100, b"kept")
    view = mem.buffer()
    part = view[100:200]  # a slice is a view of its own, on the same buffer
    base, mapping = mem.base, _mapping_ref(mem)
    mem.close()
    assert mem.closed
    for call in (lambda: mem.read(0, 1), lambda: mem.write(0, b"a"), lambda: mem.buffer()):
        with pytest.raises(ValueError, match="closed"):
            call()
    gc.collect()
    assert bytes(view[100:104]) == b"kept"  # the pages are still mapped and readable
    view[0:3] = b"abc"
    assert bytes(view[0:3]) == b"abc"
    del view
    gc.collect()
    assert mapping() is not None  # the slice still holds the mapping
    assert bytes(part[:4]) == b"kept"
    del part
    gc.collect()
    assert mapping() is None
    assert maps(base) is None  # the last view gone, the range is unmapped


_VIEW_AFTER_CLOSE = """
import gc
from wazaot.native.linmem import LinearMemory

mem = LinearMemory(1, 4)
mem.grow(1)
mem.write(65536 * 2 - 4, b"tail")
view = mem.buffer()
mem.close()
del mem
gc.collect()
junk = [bytearray(1 << 20) for _ in range(64)]  # churn the allocator over the old range
assert bytes(view[-4:]) == b"tail", bytes(view[-4:])
view[0] = 7
view[-1] = 9
assert (view[0], view[-1], len(view)) == (7, 9, 2 * 65536)
print("ok")
"""


def test_view_after_close_in_a_subprocess() -> None:
    """A crash would kill pytest: run the use-after-close in a child process."""
    proc = subprocess.run([sys.executable, "-c", _VIEW_AFTER_CLOSE], capture_output=True,
                          text=True, timeout=60, cwd=REPO)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_view_outlives_the_memory_object() -> None:
    """No close(), the memory object dropped: its view still works."""

    def make() -> memoryview:
        mem = LinearMemory(1)
        mem.write(0, b"xy")
        return mem.buffer()

    view = make()
    gc.collect()
    assert bytes(view[:2]) == b"xy"


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


def test_nothing_is_unmapped_at_exit() -> None:
    """At interpreter exit a daemon thread may still run wasm code on the memory: the
    mapping's finalizer is not registered for atexit (the OS takes the pages back)."""
    with LinearMemory(1) as mem:
        assert mem._mapping._finalizer.atexit is False
