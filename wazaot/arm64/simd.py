"""arm64 SIMD: the implementations of the wasm SIMD instructions (:data:`SIMD`), in
NEON.

The shared lowering (``wazaot.lower.vector``) turns each SIMD instruction into one
``VecOp`` carrying the implementation registered here for its name. NEON
instructions are three-address, so most implementations leave dst free
(``dst="late"``: it may share a register with a source).

v30 and v31 are the emitters' vector scratch registers (never allocated), x16 and
x17 the integer ones.

The implementations are in ``simd_int.py`` (integer lanes: arithmetic, comparisons,
shifts, narrowing and widening, ``bitmask``/``all_true``) and ``simd_float.py`` (float
lanes and conversions, lane moves, shuffles, the bitwise instructions); ``backend.py``
imports both, which completes the table.
"""

from __future__ import annotations

from ..lower.vector import VectorTable

__all__ = ["SIMD"]

SIMD = VectorTable("arm64")
"""The arm64 implementation of every SIMD instruction, by wasm name."""
