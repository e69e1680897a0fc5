"""arm64 SIMD, float lanes and conversions, lane moves (splat, extract, replace),
shuffles and the bitwise instructions (registered into
:data:`wazaot.arm64.simd.SIMD`)."""

from __future__ import annotations

from .simd import SIMD  # noqa: F401
