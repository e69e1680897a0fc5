"""Instruction-cache flushing and JIT write switching."""

from __future__ import annotations

import pytest

from wazaot.native import jit, libc
from wazaot.native.call import call_address
from wazaot.native.execmem import CodeMemory


def test_flush_method_matches_host() -> None:
    method = jit.flush_method()
    if libc.MACHINE == "amd64":
        assert method.startswith("none")
    elif libc.MACHINE == "arm64" and libc.IS_MACOS:
        assert method == "sys_icache_invalidate"
    elif libc.MACHINE == "arm64" and libc.IS_LINUX:
        assert method in ("libgcc __clear_cache", "wazaot arm64 flush routine")


def test_flush_of_nothing_and_of_a_mapping() -> None:
    jit.flush_icache(0, 0)
    with CodeMemory(libc.PAGE_SIZE) as code:
        code.write(0, b"\0" * 64)
        jit.flush_icache(code.address, code.size)


def test_jit_writable_context() -> None:
    with jit.jit_writable():
        pass
    assert jit.USES_MAP_JIT == (libc.IS_MACOS and libc.MACHINE == "arm64")


@pytest.mark.skipif(
    not (libc.IS_LINUX and libc.MACHINE == "arm64"),
    reason="runs arm64 code: run the tests on Linux arm64, or under emulation with "
    "`scripts/arm64-root -- tests/native` (README: 'Running the arm64 tests under emulation')",
)
def test_builtin_arm64_flush_routine_runs(host_code) -> None:
    """The fallback routine flushes a freshly written function, which then runs."""
    flush = jit._map_builtin_routine()
    sample = host_code("add")
    code = CodeMemory(libc.PAGE_SIZE)
    code.write(100 * 4, sample.code)
    flush(code.address, code.address + code.size)
    flush(code.address + 3, code.address + 5)  # unaligned, inside one line
    code.make_executable()
    assert call_address(code.address + 400, 2, 3) == 5
    code.close()
