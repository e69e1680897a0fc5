"""Rows of the x86-64 encoding table: the 128-bit packed forms of the float SIMD instructions, conversions, lane moves and shuffles (addps ... cvtdq2ps, pinsrb/pextrb, pshufd, shufps, pblendvb ...).

Rows are in the notation of :mod:`wazaot.amd64.encoding` (mandatory prefix first, as in
the Intel manual): ``("paddd", "-", "x, xm128", "66 0F FE /r")``. Each row whose
operands start ``x, xm128`` also gets an AVX twin named ``v<mnemonic>`` (the VEX.128
encoding) with one more source: ``vpaddd x, v, xm128`` (``v``: the register in
VEX.vvvv), except the instructions of :data:`NO_VEX_SOURCE`, whose destination is not
also a source (``pshufd x, xm128, u8`` becomes ``vpshufd x, xm128, u8``).
"""

from __future__ import annotations

from .encoding_int import Row

ROWS: list[Row] = []
"""The rows (the SSE forms)."""

NO_VEX_SOURCE: set[str] = set()
"""Mnemonics whose SSE form does not read its destination (no extra VEX source)."""
