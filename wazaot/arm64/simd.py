"""arm64 SIMD: the implementations of the wasm SIMD instructions (:data:`SIMD`), in
NEON.

The shared lowering (``wazaot.lower.vector``) turns each SIMD instruction into one
``VecOp`` carrying the implementation registered here for its name. NEON
instructions are three-address, so most implementations leave dst free
(``dst="late"``: it may share a register with a source).

v30 and v31 are the emitters' vector scratch registers (never allocated), x16 and
x17 the integer ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..lower.vector import VecOp, VectorTable
from ..machinst import PReg
from .abi import vec
from .emit import Emitter
from .encoding_simd import simd_three_same

__all__ = ["SIMD"]

SIMD = VectorTable("arm64")
"""The arm64 implementation of every SIMD instruction, by wasm name."""


@SIMD.register("i32x4.add")
def _add(e: Emitter, inst: VecOp, dst: PReg | None, srcs: Sequence[PReg],
         temps: Sequence[PReg]) -> None:  # fmt: skip
    assert dst is not None
    e.asm.emit(simd_three_same(False, 2, 0b10000, True, vec(dst), vec(srcs[0]), vec(srcs[1])))
