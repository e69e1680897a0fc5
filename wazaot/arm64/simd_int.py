"""arm64 SIMD, integer lanes: arithmetic, comparisons, shifts, narrowing and widening,
``bitmask`` and ``all_true`` (registered into :data:`wazaot.arm64.simd.SIMD`)."""

from __future__ import annotations

from collections.abc import Sequence

from ..lower.vector import VecOp
from ..machinst import PReg
from .abi import vec
from .emit import Emitter
from .encoding_simd import simd_three_same
from .simd import SIMD


@SIMD.register("i32x4.add")
def _add(e: Emitter, inst: VecOp, dst: PReg | None, srcs: Sequence[PReg],
         temps: Sequence[PReg]) -> None:  # fmt: skip
    assert dst is not None
    e.asm.emit(simd_three_same(False, 2, 0b10000, True, vec(dst), vec(srcs[0]), vec(srcs[1])))
