"""Rows of the x86-64 encoding table: the 128-bit packed forms of the integer SIMD instructions (paddb ... pmovmskb, packs, pmovsx, pshufb used by integer code).

Rows are in the notation of :mod:`wazaot.amd64.encoding` (mandatory prefix first, as in
the Intel manual): ``("paddd", "-", "x, xm128", "66 0F FE /r")``. Each row whose
operands start ``x, xm128`` also gets an AVX twin named ``v<mnemonic>`` (the VEX.128
encoding) with one more source: ``vpaddd x, v, xm128`` (``v``: the register in
VEX.vvvv), except the instructions of :data:`NO_VEX_SOURCE`, whose destination is not
also a source (``pshufd x, xm128, u8`` becomes ``vpshufd x, xm128, u8``).

``paddd``, ``pcmpeqd``, ``pand``, ``por`` and ``pxor`` are rows of
:mod:`wazaot.amd64.encoding_sse`.
"""

from __future__ import annotations

from .encoding_int import Row

# Two-operand forms ``op x, xm128``: SSE2 (66 0F xx).
_SSE2 = {
    "paddb": 0xFC, "paddw": 0xFD, "paddq": 0xD4,
    "psubb": 0xF8, "psubw": 0xF9, "psubd": 0xFA, "psubq": 0xFB,
    "pmullw": 0xD5, "pmulhw": 0xE5, "pmulhuw": 0xE4, "pmuludq": 0xF4, "pmaddwd": 0xF5,
    "paddsb": 0xEC, "paddsw": 0xED, "paddusb": 0xDC, "paddusw": 0xDD,
    "psubsb": 0xE8, "psubsw": 0xE9, "psubusb": 0xD8, "psubusw": 0xD9,
    "pminsw": 0xEA, "pminub": 0xDA, "pmaxsw": 0xEE, "pmaxub": 0xDE,
    "pavgb": 0xE0, "pavgw": 0xE3,
    "pcmpeqb": 0x74, "pcmpeqw": 0x75, "pcmpgtb": 0x64, "pcmpgtw": 0x65, "pcmpgtd": 0x66,
    "packsswb": 0x63, "packssdw": 0x6B, "packuswb": 0x67,
    "punpcklbw": 0x60, "punpcklwd": 0x61, "punpckldq": 0x62, "punpcklqdq": 0x6C,
    "punpckhbw": 0x68, "punpckhwd": 0x69, "punpckhdq": 0x6A, "punpckhqdq": 0x6D,
    "pandn": 0xDF,
    # Shifts of every lane by the count in the low 64 bits of the source.
    "psllw": 0xF1, "pslld": 0xF2, "psllq": 0xF3,
    "psrlw": 0xD1, "psrld": 0xD2, "psrlq": 0xD3, "psraw": 0xE1, "psrad": 0xE2,
}  # fmt: skip

# Two-operand forms ``op x, xm128``: SSSE3, SSE4.1 and (pcmpgtq) SSE4.2 (66 0F 38 xx).
_0F38 = {
    "pshufb": 0x00, "pmaddubsw": 0x04, "pmulhrsw": 0x0B,
    "pmuldq": 0x28, "pcmpeqq": 0x29, "packusdw": 0x2B, "pcmpgtq": 0x37,
    "pminsb": 0x38, "pminsd": 0x39, "pminuw": 0x3A, "pminud": 0x3B,
    "pmaxsb": 0x3C, "pmaxsd": 0x3D, "pmaxuw": 0x3E, "pmaxud": 0x3F, "pmulld": 0x40,
}  # fmt: skip

# One-source forms (66 0F 38 xx): the destination is not read.
_UNARY = {"pabsb": 0x1C, "pabsw": 0x1D, "pabsd": 0x1E, "ptest": 0x17}
_WIDEN = {
    "pmovsxbw": 0x20, "pmovsxwd": 0x23, "pmovsxdq": 0x25,
    "pmovzxbw": 0x30, "pmovzxwd": 0x33, "pmovzxdq": 0x35,
}  # fmt: skip
"""Sign- or zero-extend the low 64 bits of the source (memory: 64 bits)."""

# Shifts by an immediate: (opcode, /digit) of ``op xr, u8`` (the register in ModRM.rm).
_SHIFT_IMM = {
    "psrlw": (0x71, 2), "psraw": (0x71, 4), "psllw": (0x71, 6),
    "psrld": (0x72, 2), "psrad": (0x72, 4), "pslld": (0x72, 6),
    "psrlq": (0x73, 2), "psllq": (0x73, 6),
}  # fmt: skip


def _rows() -> list[Row]:
    rows: list[Row] = [(name, "-", "x, xm128", f"66 0F {op:02X} /r") for name, op in _SSE2.items()]
    rows += [(name, "-", "x, xm128", f"66 0F 38 {op:02X} /r") for name, op in _0F38.items()]
    rows += [(name, "-", "x, xm128", f"66 0F 38 {op:02X} /r") for name, op in _UNARY.items()]
    rows += [(name, "-", "x, xm64", f"66 0F 38 {op:02X} /r") for name, op in _WIDEN.items()]
    rows += [(name, "-", "xr, u8", f"66 0F {op:02X} /{digit} ib")
             for name, (op, digit) in _SHIFT_IMM.items()]  # fmt: skip
    return rows + [
        ("pshufd", "-", "x, xm128, u8", "66 0F 70 /r ib"),
        # The sign bit of each lane into a GPR (bit i: lane i), upper bits zero.
        ("pmovmskb", "32", "r, xr", "66 0F D7 /r"),
        ("movmskps", "32", "r, xr", "0F 50 /r"),
        ("movmskpd", "32", "r, xr", "66 0F 50 /r"),
    ]


ROWS: list[Row] = _rows()
"""The rows (the SSE forms)."""

NO_VEX_SOURCE: set[str] = {*_UNARY, *_WIDEN, "pshufd"}
"""Mnemonics whose SSE form does not read its destination (no extra VEX source)."""
