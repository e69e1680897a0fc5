"""The ctypes libc bindings: constants, results, errno."""

from __future__ import annotations

import ctypes
import errno
import mmap
import sys

import pytest

from wazaot.native import libc

posix_only = pytest.mark.skipif(not (libc.IS_LINUX or libc.IS_MACOS), reason="Linux/macOS only")


@pytest.mark.parametrize(
    "name",
    ["PROT_READ", "PROT_WRITE", "PROT_EXEC", "MAP_SHARED", "MAP_PRIVATE", "MAP_ANONYMOUS"],
)
def test_constants_agree_with_the_mmap_module(name: str) -> None:
    if not hasattr(mmap, name):
        pytest.skip(f"mmap.{name} is not defined here")
    assert getattr(libc, name) == getattr(mmap, name)


def test_platform_specific_values() -> None:
    if libc.IS_LINUX and libc.MACHINE in ("amd64", "arm64"):
        assert (libc.MAP_ANONYMOUS, libc.MAP_NORESERVE, libc.MAP_JIT) == (0x20, 0x4000, 0)
    elif libc.IS_MACOS:
        assert (libc.MAP_ANONYMOUS, libc.MAP_NORESERVE, libc.MAP_JIT) == (0x1000, 0x40, 0x800)
    else:
        pytest.skip(f"no expected values for {sys.platform}/{libc.MACHINE}")


def test_page_size_and_align() -> None:
    assert libc.PAGE_SIZE == mmap.PAGESIZE
    assert libc.page_align(0) == 0
    assert libc.page_align(1) == libc.PAGE_SIZE
    assert libc.page_align(libc.PAGE_SIZE) == libc.PAGE_SIZE
    assert libc.page_align(libc.PAGE_SIZE + 1) == 2 * libc.PAGE_SIZE


@posix_only
def test_mmap_mprotect_munmap_round_trip() -> None:
    size = 2 * libc.PAGE_SIZE
    addr = libc.mmap(size, libc.PROT_READ | libc.PROT_WRITE, libc.MAP_PRIVATE | libc.MAP_ANONYMOUS)
    try:
        assert addr % libc.PAGE_SIZE == 0
        assert ctypes.string_at(addr, 16) == bytes(16)
        ctypes.memmove(addr, b"wazaot", 6)
        libc.mprotect(addr, size, libc.PROT_READ)
        assert ctypes.string_at(addr, 6) == b"wazaot"
        libc.madvise(addr, size, libc.MADV_WILLNEED)
    finally:
        libc.munmap(addr, size)


@posix_only
def test_errors_raise_oserror_with_errno() -> None:
    addr = libc.mmap(libc.PAGE_SIZE, libc.PROT_READ, libc.MAP_PRIVATE | libc.MAP_ANONYMOUS)
    try:
        with pytest.raises(OSError) as info:
            libc.mprotect(addr + 1, libc.PAGE_SIZE, libc.PROT_READ)  # not page aligned
        assert info.value.errno == errno.EINVAL
        assert "mprotect" in str(info.value)
    finally:
        libc.munmap(addr, libc.PAGE_SIZE)
    with pytest.raises(OSError) as info:
        libc.mmap(libc.PAGE_SIZE, libc.PROT_READ, libc.MAP_ANONYMOUS)  # neither private nor shared
    assert info.value.errno == errno.EINVAL
    with pytest.raises(ValueError):
        libc.mmap(0, libc.PROT_READ, libc.MAP_PRIVATE | libc.MAP_ANONYMOUS)


@posix_only
def test_huge_mapping_fails_with_enomem() -> None:
    with pytest.raises(OSError) as info:
        libc.mmap(1 << 62, libc.PROT_NONE, libc.MAP_PRIVATE | libc.MAP_ANONYMOUS)
    assert info.value.errno == errno.ENOMEM
