"""x86-64 SIMD, integer lanes: arithmetic, comparisons, shifts, narrowing and widening,
``bitmask`` and ``all_true`` (registered into :data:`wazaot.amd64.simd.SIMD`)."""

from __future__ import annotations

from collections.abc import Sequence

from ..lower.vector import VecOp
from ..machinst import PReg
from .abi import xmm
from .emit import Emitter
from .simd import SIMD


@SIMD.register("i32x4.add", dst="reuse")
def _add(e: Emitter, inst: VecOp, dst: PReg | None, srcs: Sequence[PReg],
         temps: Sequence[PReg]) -> None:  # fmt: skip
    assert dst is not None and dst == srcs[0]
    e.asm.emit("paddd", None, xmm(dst), xmm(srcs[1]))
