"""Rows of the x86-64 encoding table: the 128-bit packed forms of the float SIMD instructions, conversions, lane moves and shuffles (addps ... cvtdq2ps, pinsrb/pextrb, pshufd, shufps, pblendw ...).

Rows are in the notation of :mod:`wazaot.amd64.encoding` (mandatory prefix first, as in
the Intel manual): ``("paddd", "-", "x, xm128", "66 0F FE /r")``. Each row whose
operands start ``x, xm128`` also gets an AVX twin named ``v<mnemonic>`` (the VEX.128
encoding) with one more source: ``vpaddd x, v, xm128`` (``v``: the register in
VEX.vvvv), except the instructions of :data:`NO_VEX_SOURCE`, whose destination is not
also a source (``pshufd x, xm128, u8`` becomes ``vpshufd x, xm128, u8``). The rows in
VEX notation at the end exist only as AVX or AVX2 instructions (broadcasts, blends by a
fourth register).
"""

from __future__ import annotations

from .encoding_int import Row

# Two-source float arithmetic: ps (no prefix) and pd (66) share the opcode.
_FLOAT_ARITH = {"add": "58", "mul": "59", "sub": "5C", "min": "5D", "div": "5E", "max": "5F"}

# Two-source forms: "x, xm128". The integer forms the float code also uses (pandn,
# paddusb, psubd, pmaxsd, pshufb, punpck*, pshufd, ptest, shifts by an immediate) are
# rows of encoding_vec_int.
_PACKED = {"unpcklps": "0F 14", "unpcklpd": "66 0F 14"}

# Forms with an 8-bit immediate: (operands, encoding).
_WITH_IMM = {
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
    "sqrtps": ("x, xm128", "0F 51 /r"),
    "sqrtpd": ("x, xm128", "66 0F 51 /r"),
    "cvtdq2ps": ("x, xm128", "0F 5B /r"),
    "cvttps2dq": ("x, xm128", "F3 0F 5B /r"),
    "cvtps2pd": ("x, xm64", "0F 5A /r"),
    "cvtpd2ps": ("x, xm128", "66 0F 5A /r"),
    "cvtdq2pd": ("x, xm64", "F3 0F E6 /r"),
    "cvttpd2dq": ("x, xm128", "66 0F E6 /r"),
    "movddup": ("x, xm64", "F2 0F 12 /r"),
}


def _rows() -> list[Row]:
    rows: list[Row] = []
    for name, op in _FLOAT_ARITH.items():
        rows += [(f"{name}ps", "-", "x, xm128", f"0F {op} /r"),
                 (f"{name}pd", "-", "x, xm128", f"66 0F {op} /r")]  # fmt: skip
    rows += [(name, "-", "x, xm128", f"{enc} /r") for name, enc in _PACKED.items()]
    rows += [(name, "-", kinds, enc) for name, (kinds, enc) in _WITH_IMM.items()]
    rows += [(name, "-", kinds, enc) for name, (kinds, enc) in _UNARY.items()]
    rows += [
        # Lanes to and from GPRs (a 32-bit GPR for the 8- and 16-bit lanes).
        ("pinsrb", "32", "x, rr, u8", "66 0F 3A 20 /r ib"),
        ("pinsrw", "32", "x, rr, u8", "66 0F C4 /r ib"),
        ("pinsrd", "32", "x, rm, u8", "66 0F 3A 22 /r ib"),
        ("pinsrq", "64", "x, rm, u8", "66 0F 3A 22 /r ib"),  # as in encoding_sse, for its twin
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
    return rows


ROWS: list[Row] = _rows()
"""The rows (the SSE forms, and the AVX-only forms in VEX notation)."""

NO_VEX_SOURCE: set[str] = {"pshuflw", "roundps", "roundpd", *_UNARY}
"""Mnemonics whose SSE form does not read its destination (no extra VEX source)."""
