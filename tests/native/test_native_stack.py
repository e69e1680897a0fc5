"""NativeStack: layout, guard page, red zone."""

from __future__ import annotations

import ctypes
import gc
import threading
import time
import weakref

import pytest

from wazaot.native import libc
from wazaot.native.stack import DEFAULT_RED_ZONE, DEFAULT_STACK_SIZE, NativeStack


def test_default_layout() -> None:
    with NativeStack() as stack:
        assert stack.size == DEFAULT_STACK_SIZE
        assert stack.guard_size == libc.PAGE_SIZE
        assert stack.bottom == stack.base + stack.guard_size
        assert stack.top == stack.bottom + DEFAULT_STACK_SIZE
        assert stack.top % 16 == 0
        assert stack.limit == stack.bottom + DEFAULT_RED_ZONE


def test_configured_sizes_are_page_rounded() -> None:
    with NativeStack(100_000, red_zone=4096, guard_size=3 * libc.PAGE_SIZE - 1) as stack:
        assert stack.size == libc.page_align(100_000)
        assert stack.guard_size == 3 * libc.PAGE_SIZE
        assert stack.limit - stack.bottom == 4096
        assert stack.top - stack.limit == stack.size - 4096


def test_stack_is_writable_from_bottom_to_top() -> None:
    with NativeStack(64 << 10, red_zone=0) as stack:
        ctypes.memmove(stack.bottom, b"lo", 2)
        ctypes.memmove(stack.top - 2, b"hi", 2)
        assert ctypes.string_at(stack.bottom, 2) == b"lo"
        assert ctypes.string_at(stack.top - 2, 2) == b"hi"


def test_guard_page_is_prot_none(maps) -> None:
    with NativeStack(1 << 20) as stack:
        assert maps(stack.base)[:4] == "---p"
        assert maps(stack.bottom - 1)[:4] == "---p"
        assert maps(stack.bottom)[:3] == "rw-"
        assert maps(stack.top - 1)[:3] == "rw-"


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        NativeStack(0)
    with pytest.raises(ValueError):
        NativeStack(64 << 10, red_zone=64 << 10)
    with pytest.raises(ValueError):
        NativeStack(64 << 10, red_zone=-1)


def test_close_is_idempotent() -> None:
    stack = NativeStack(256 << 10)
    stack.close()
    stack.close()
    assert stack.closed
    with pytest.raises(ValueError):
        stack.top  # noqa: B018


def test_close_unmaps_at_once(maps) -> None:
    stack = NativeStack(256 << 10)
    bottom = stack.bottom
    assert maps(bottom) is not None
    stack.close()
    assert maps(bottom) is None
    assert "closed" in repr(stack)


def test_a_dropped_stack_is_unmapped(maps) -> None:
    """A stack nobody closed is unmapped when it is collected (a dead thread's)."""
    stack = NativeStack(256 << 10)
    bottom, top = stack.bottom, stack.top
    ref = weakref.ref(stack)
    del stack
    gc.collect()
    assert ref() is None
    assert maps(bottom) is None and maps(top - 1) is None


def test_stacks_of_ended_threads_are_given_back() -> None:
    """Each thread makes a stack in a thread-local; when the threads end, every
    stack is dropped, and so unmapped by its finalizer. (Addresses are not checked:
    a later mapping, another thread's stack say, may take a freed range at once.)"""
    local = threading.local()
    alive: list[weakref.finalize] = []

    def work() -> None:
        local.stack = NativeStack(1 << 20)
        alive.append(local.stack._mapping._finalizer)  # the munmap, pending while mapped

    threads = [threading.Thread(target=work) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    deadline = time.monotonic() + 5  # a thread's locals go just after join() returns
    while any(f.alive for f in alive) and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.01)
    assert len(alive) == 20
    assert not any(f.alive for f in alive), "some stacks of ended threads are still mapped"


def test_nothing_is_unmapped_at_exit() -> None:
    """Finalizers do not run at interpreter exit (a daemon thread may still use the
    stack): the mapping's finalizer is not registered for atexit."""
    stack = NativeStack(256 << 10)
    assert stack._mapping._finalizer.atexit is False
    stack.close()
