"""Register interning from several threads at once, and its bounds."""

from __future__ import annotations

import threading

import pytest

from wazaot.machinst import PReg, RegClass, VReg
from wazaot.machinst.regs import MAX_VREGS


def test_threads_get_one_object_per_register() -> None:
    base = 200_000  # indices no other test has interned yet
    n_threads, n = 8, 2000
    barrier = threading.Barrier(n_threads)
    results: list[list[VReg]] = [[] for _ in range(n_threads)]

    def work(k: int) -> None:
        barrier.wait()
        results[k] = [VReg(RegClass.FLOAT, base + i) for i in range(n)]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for other in results[1:]:
        assert all(a is b for a, b in zip(results[0], other))
    assert [v.index for v in results[0]] == list(range(base, base + n))


def test_bounds() -> None:
    with pytest.raises(ValueError):
        VReg(RegClass.INT, -1)
    with pytest.raises(ValueError):
        VReg(RegClass.INT, MAX_VREGS)
    with pytest.raises(ValueError):
        PReg(RegClass.INT, 256, "r256")
    assert PReg(RegClass.INT, 0, "rax") is PReg(RegClass.INT, 0, "rax")
