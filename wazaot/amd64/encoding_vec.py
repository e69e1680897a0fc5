"""Rows of the x86-64 encoding table: the 128-bit packed SIMD forms (integer and float
arithmetic, comparisons, shifts, conversions, lane moves, shuffles) and the forms that
exist only with AVX.

Rows are in the notation of :mod:`wazaot.amd64.encoding` (mandatory prefix first, as in
the Intel manual): ``("paddb", "-", "x, xm128", "66 0F FC /r")``. Each row whose
operands start ``x, xm128`` also gets an AVX twin named ``v<mnemonic>``
(:func:`wazaot.amd64.encoding_sse.vex_twin`) with one more source, ``vpaddb x, v,
xm128``, except the instructions of :data:`NO_VEX_SOURCE`, whose destination is not also
a source (``pshufd x, xm128, u8`` becomes ``vpshufd x, xm128, u8``). The rows in VEX
notation at the end exist only as AVX or AVX2 instructions.

The packed logic forms (``pand``, ``por``, ``pxor``, ``andps`` ... ``xorpd``), ``paddd``,
``pcmpeqd``, the moves and ``movd``/``movq`` are rows of :mod:`wazaot.amd64.encoding_sse`,
whose scalar arithmetic shares its opcodes with the packed float arithmetic.
"""

from __future__ import annotations

from .encoding_int import Row
from .encoding_sse import ARITH_OPCODES

# -- integer lanes ------------------------------------------------------------------------

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
_UNARY_0F38 = {"pabsb": 0x1C, "pabsw": 0x1D, "pabsd": 0x1E, "ptest": 0x17}
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

# -- float lanes, conversions, shuffles ---------------------------------------------------

# Two-source forms: "x, xm128".
_PACKED = {"unpcklps": "0F 14", "unpcklpd": "66 0F 14"}

# Forms with an 8-bit immediate: (operands, encoding).
_WITH_IMM = {
    "pshufd": ("x, xm128, u8", "66 0F 70 /r ib"),
    "pshuflw": ("x, xm128, u8", "F2 0F 70 /r ib"),
    "shufps": ("x, xm128, u8", "0F C6 /r ib"),
    "palignr": ("x, xm128, u8", "66 0F 3A 0F /r ib"),
    "pblendw": ("x, xm128, u8", "66 0F 3A 0E /r ib"),
    "blendpd": ("x, xm128, u8", "66 0F 3A 0D /r ib"),
    "insertps": ("x, xm32, u8", "66 0F 3A 21 /r ib"),
    # Predicates 0-7 (eq lt le unord neq nlt nle ord).
    "cmpps": ("x, xm128, u3", "0F C2 /r ib"),
    "cmppd": ("x, xm128, u3", "66 0F C2 /r ib"),
    # imm8 bits 0-1 rounding mode (nearest, floor, ceil, trunc), bit 3 no precision trap.
    "roundps": ("x, xm128, u4", "66 0F 3A 08 /r ib"),
    "roundpd": ("x, xm128, u4", "66 0F 3A 09 /r ib"),
}

# Forms that only write their destination: (operands, encoding).
_UNARY = {
    "cvtdq2ps": ("x, xm128", "0F 5B /r"),
    "cvttps2dq": ("x, xm128", "F3 0F 5B /r"),
    "cvtps2pd": ("x, xm64", "0F 5A /r"),
    "cvtpd2ps": ("x, xm128", "66 0F 5A /r"),
    "cvtdq2pd": ("x, xm64", "F3 0F E6 /r"),
    "cvttpd2dq": ("x, xm128", "66 0F E6 /r"),
    "movddup": ("x, xm64", "F2 0F 12 /r"),
}


def _rows() -> list[Row]:
    rows: list[Row] = [(name, "-", "x, xm128", f"66 0F {op:02X} /r") for name, op in _SSE2.items()]
    rows += [(name, "-", "x, xm128", f"66 0F 38 {op:02X} /r")
             for name, op in (*_0F38.items(), *_UNARY_0F38.items())]  # fmt: skip
    rows += [(name, "-", "x, xm64", f"66 0F 38 {op:02X} /r") for name, op in _WIDEN.items()]
    rows += [(name, "-", "xr, u8", f"66 0F {op:02X} /{digit} ib")
             for name, (op, digit) in _SHIFT_IMM.items()]  # fmt: skip
    # Float arithmetic (sqrt too): ps (no prefix) and pd (66), the opcodes of ss and sd.
    for name, op in ARITH_OPCODES.items():
        rows += [(f"{name}ps", "-", "x, xm128", f"0F {op:02X} /r"),
                 (f"{name}pd", "-", "x, xm128", f"66 0F {op:02X} /r")]  # fmt: skip
    rows += [(name, "-", "x, xm128", f"{enc} /r") for name, enc in _PACKED.items()]
    rows += [(name, "-", kinds, enc)
             for name, (kinds, enc) in (*_WITH_IMM.items(), *_UNARY.items())]  # fmt: skip
    return rows + [
        # The sign bit of each lane into a GPR (bit i: lane i), upper bits zero.
        ("pmovmskb", "32", "r, xr", "66 0F D7 /r"),
        ("movmskps", "32", "r, xr", "0F 50 /r"),
        ("movmskpd", "32", "r, xr", "66 0F 50 /r"),
        # Lanes to and from GPRs (a 32-bit GPR for the 8- and 16-bit lanes).
        ("pinsrb", "32", "x, rr, u8", "66 0F 3A 20 /r ib"),
        ("pinsrw", "32", "x, rr, u8", "66 0F C4 /r ib"),
        ("pinsrd", "32", "x, rm, u8", "66 0F 3A 22 /r ib"),
        ("pinsrq", "64", "x, rm, u8", "66 0F 3A 22 /r ib"),
        ("pextrb", "32", "rr, x, u8", "66 0F 3A 14 /r ib"),
        ("pextrw", "32", "r, xr, u8", "66 0F C5 /r ib"),
        ("pextrd", "32", "rm, x, u8", "66 0F 3A 16 /r ib"),
        ("pextrq", "64", "rm, x, u8", "66 0F 3A 16 /r ib"),
        # AVX only: blends by the sign bits of a fourth register, broadcasts (the
        # register forms of the broadcasts are AVX2).
        ("vblendvps", "-", "x, v, xm128, x4", "VEX.128.66.0F3A.W0 4A /r is4"),
        ("vblendvpd", "-", "x, v, xm128, x4", "VEX.128.66.0F3A.W0 4B /r is4"),
        ("vpblendvb", "-", "x, v, xm128, x4", "VEX.128.66.0F3A.W0 4C /r is4"),
        ("vbroadcastss", "-", "x, xm32", "VEX.128.66.0F38.W0 18 /r"),
        ("vpbroadcastb", "-", "x, xr", "VEX.128.66.0F38.W0 78 /r"),
        ("vpbroadcastw", "-", "x, xr", "VEX.128.66.0F38.W0 79 /r"),
        ("vpbroadcastd", "-", "x, xm32", "VEX.128.66.0F38.W0 58 /r"),
        ("vpbroadcastq", "-", "x, xm64", "VEX.128.66.0F38.W0 59 /r"),
    ]


ROWS: list[Row] = _rows()
"""The rows (the SSE forms, and the AVX-only forms in VEX notation)."""

NO_VEX_SOURCE: frozenset[str] = frozenset({
    *_UNARY_0F38, *_WIDEN, *_UNARY, "pshufd", "pshuflw", "roundps", "roundpd", "sqrtps",
    "sqrtpd",
})  # fmt: skip
"""Mnemonics whose SSE form does not read its destination (no extra VEX source)."""
