"""x86-64 SIMD: the implementations of the wasm SIMD instructions (:data:`SIMD`).

The shared lowering (``wazaot.lower.vector``) turns each SIMD instruction into one
``VecOp`` carrying the implementation registered here for its name. SSE4.1 (with
SSSE3) is the baseline; an implementation registered ``when={"avx"}`` (or ``avx2``,
``sse42``) replaces it on processors that have the feature (``cpu.Features``;
``$WAZAOT_X86_FEATURES=-avx`` turns AVX off to test the SSE code).

The SSE forms are two-address (``paddd dst, src``): their implementations register
``dst="reuse"`` so that dst is the first source's register. The AVX forms
(``vpaddd dst, a, b``) are three-address and leave dst free (``dst="late"``).

xmm15 is the emitters' vector scratch register (never allocated), r11 the integer one.

The implementations are in ``simd_int.py`` (integer lanes: arithmetic, comparisons,
shifts, narrowing and widening, ``bitmask``/``all_true``) and ``simd_float.py`` (float
lanes and conversions, lane moves, shuffles, the bitwise instructions); ``backend.py``
imports both, which completes the table.
"""

from __future__ import annotations

from ..lower.vector import VectorTable

__all__ = ["SIMD"]

SIMD = VectorTable("x86-64")
"""The x86-64 implementation of every SIMD instruction, by wasm name."""
