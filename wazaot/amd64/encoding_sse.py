"""The SSE half of the x86-64 encoding table, and the named SSE methods of the assembler.

Scalar and move forms of SSE, SSE2 and SSE4.1 (no AVX), as rows in the notation of
:mod:`wazaot.amd64.encoding`, which parses them with the integer rows. The mandatory
prefix (66, F2, F3) is written first, as in the Intel manual, and is emitted before any
REX prefix. Instructions with a GPR operand (``movd``, ``movq``, ``cvtsi2sd``,
``cvttsd2si``) take that GPR's width as their size; REX.W follows from size 64.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from .args import Imm, Mem, Operand
from .regs import Gpr, Xmm

ARITH_OPCODES = {"add": 0x58, "mul": 0x59, "sub": 0x5C, "min": 0x5D, "div": 0x5E, "max": 0x5F,
                 "sqrt": 0x51}  # fmt: skip
"""The opcode (after 0F) of each arithmetic operation: scalar (F3: ss, F2: sd) and packed
(none: ps, 66: pd, in :mod:`wazaot.amd64.encoding_vec`)."""
_PACKED = {
    "andps": "0F 54", "andpd": "66 0F 54", "andnps": "0F 55", "andnpd": "66 0F 55",
    "orps": "0F 56", "orpd": "66 0F 56", "xorps": "0F 57", "xorpd": "66 0F 57",
    "pxor": "66 0F EF", "pand": "66 0F DB", "por": "66 0F EB", "pcmpeqd": "66 0F 76",
    "paddd": "66 0F FE",
}  # fmt: skip
# Full-register moves: (load form, store form).
_MOVES = {
    "movaps": ("0F 28", "0F 29"),
    "movups": ("0F 10", "0F 11"),
    "movapd": ("66 0F 28", "66 0F 29"),
    "movdqa": ("66 0F 6F", "66 0F 7F"),
    "movdqu": ("F3 0F 6F", "F3 0F 7F"),
}


def _sse_rows() -> list[tuple[str, str, str, str]]:
    rows = [
        ("movss", "-", "x, xm32", "F3 0F 10 /r"),
        ("movss", "-", "xm32, x", "F3 0F 11 /r"),
        ("movsd", "-", "x, xm64", "F2 0F 10 /r"),
        ("movsd", "-", "xm64, x", "F2 0F 11 /r"),
    ]
    for name, (load, store) in _MOVES.items():
        rows += [(name, "-", "x, xm128", f"{load} /r"), (name, "-", "xm128, x", f"{store} /r")]
    rows += [
        # GPR <-> XMM: the same opcodes at 32 bits (movd) and with REX.W (movq).
        ("movd", "32", "x, rm", "66 0F 6E /r"),
        ("movd", "32", "rm, x", "66 0F 7E /r"),
        ("movq", "64", "x, rm", "66 0F 6E /r"),
        ("movq", "64", "rm, x", "66 0F 7E /r"),
        ("movq", "-", "x, xm64", "F3 0F 7E /r"),  # zeroes bits 64-127
        ("movq", "-", "xm64, x", "66 0F D6 /r"),
    ]
    for name, op in ARITH_OPCODES.items():
        rows += [
            (f"{name}ss", "-", "x, xm32", f"F3 0F {op:02X} /r"),
            (f"{name}sd", "-", "x, xm64", f"F2 0F {op:02X} /r"),
        ]
    rows += [
        ("ucomiss", "-", "x, xm32", "0F 2E /r"),
        ("ucomisd", "-", "x, xm64", "66 0F 2E /r"),
        ("comiss", "-", "x, xm32", "0F 2F /r"),
        ("comisd", "-", "x, xm64", "66 0F 2F /r"),
        ("cvtsi2ss", "32 64", "x, rm", "F3 0F 2A /r"),
        ("cvtsi2sd", "32 64", "x, rm", "F2 0F 2A /r"),
        ("cvttss2si", "32 64", "r, xm32", "F3 0F 2C /r"),
        ("cvttsd2si", "32 64", "r, xm64", "F2 0F 2C /r"),
        ("cvtss2sd", "-", "x, xm32", "F3 0F 5A /r"),
        ("cvtsd2ss", "-", "x, xm64", "F2 0F 5A /r"),
        # SSE4.1; imm8 bits 0-1 rounding mode, bit 2 use MXCSR, bit 3 suppress precision.
        ("roundss", "-", "x, xm32, u4", "66 0F 3A 0A /r ib"),
        ("roundsd", "-", "x, xm64, u4", "66 0F 3A 0B /r ib"),
        # Predicates 0-7 (eq lt le unord neq nlt nle ord); 8-31 need VEX.
        ("cmpss", "-", "x, xm32, u3", "F3 0F C2 /r ib"),
        ("cmpsd", "-", "x, xm64, u3", "F2 0F C2 /r ib"),
    ]
    rows += [(name, "-", "x, xm128", f"{enc} /r") for name, enc in _PACKED.items()]
    return rows


def vex_twin(row: tuple[str, str, str, str], no_source: Collection[str]) -> list[tuple[str, str, str, str]]:
    """The AVX rows of an SSE row: ``v<mnemonic>``, VEX.128-encoded, one per size.

    The destination of a destructive form (``x, ...``: ``paddd x, xm128``) is also its
    first source; the twin takes that source separately, in VEX.vvvv (``vpaddd x, v,
    xm128``), unless the mnemonic is in ``no_source`` (the destination is only
    written: ``pshufd``, ``pmovsxbw``, moves). A shift by an immediate (``psrld xr, u8``,
    ``/2``) gets its destination in vvvv and its source in ModRM.rm (``vpsrld v, xr,
    u8``). Rows with other operands, or not in the 0F maps, have no twin."""
    name, sizes, kinds_text, encoding = row
    tokens = encoding.split()
    pp = tokens.pop(0) if tokens[0] in ("66", "F2", "F3") else ""
    if not tokens or tokens[0] != "0F":
        return []
    tokens.pop(0)
    opmap = "0F" + tokens.pop(0) if tokens[0] in ("38", "3A") else "0F"
    tokens = [t for t in tokens if t != "REX.W"]
    kinds = [k.strip() for k in kinds_text.split(",")]
    if any(k not in _VEX_KINDS for k in kinds):
        return []
    if kinds[0] == "x" and name not in no_source:
        kinds.insert(1, "v")
    elif kinds[0] == "xr" and any(len(t) == 2 and t[0] == "/" for t in tokens):
        kinds.insert(0, "v")
    head = f"VEX.128.{pp + '.' if pp else ''}{opmap}"
    body = " ".join(tokens)
    if sizes == "-":
        w = "W1" if "REX.W" in encoding.split() else "WIG"
        return [(f"v{name}", "-", ", ".join(kinds), f"{head}.{w} {body}")]
    return [(f"v{name}", size, ", ".join(kinds), f"{head}.{'W1' if size == '64' else 'W0'} {body}")
            for size in sizes.split()]  # fmt: skip


_VEX_KINDS = frozenset({"x", "xr", "rr", "xm32", "xm64", "xm128", "r", "rm", "rm8", "rm16",
                        "rm32", "rm64", "u8", "u3", "u4"})  # fmt: skip


def vex_twins(rows: Iterable[tuple[str, str, str, str]], no_source: Collection[str]
              ) -> list[tuple[str, str, str, str]]:  # fmt: skip
    """The AVX twins (:func:`vex_twin`) of ``rows``, skipping rows already VEX."""
    return [twin for row in rows if not row[3].startswith("VEX.")
            for twin in vex_twin(row, no_source)]  # fmt: skip


SSE_ROWS = tuple(_sse_rows())
"""The SSE rows of the encoding table: (mnemonic, sizes, operand kinds, encoding)."""

SCALAR_OPS = frozenset(f"{name}{suffix}" for name in ARITH_OPCODES for suffix in ("ss", "sd"))
"""The scalar arithmetic mnemonics (addss ... sqrtsd), for :meth:`SseInstructions.sse`."""

PACKED_OPS = frozenset(_PACKED)
"""The 128-bit logic and compare mnemonics (andps ... pcmpeqd)."""

PACKED_ROWS = tuple(row for row in SSE_ROWS if row[0] in PACKED_OPS or row[0] in _MOVES)
"""The rows of the 128-bit forms above, which get AVX twins (``vpxor``, ``vmovdqu``...)."""

MOVES = frozenset(_MOVES)
"""The full-register moves (only write their destination)."""


class SseInstructions:
    """The named SSE methods of :class:`wazaot.amd64.encoding.Assembler`.

    Destination first, as in Intel syntax; sources may be memory (:class:`Mem`).
    """

    def emit(self, mnemonic: str, size: int | None, *operands: Operand) -> None:
        """Implemented by the assembler."""
        raise NotImplementedError

    def sse(self, op: str, dst: Xmm, src: Xmm | Mem) -> None:
        """``op dst, src`` for the scalar arithmetic (``addss`` ... ``sqrtsd``: add,
        sub, mul, div, min, max, sqrt) and the 128-bit logic ops (``andps``, ``andnps``,
        ``orps``, ``xorps``, their ``pd`` twins, ``pxor``, ``pand``, ``por``,
        ``pcmpeqd``)."""
        if op not in SCALAR_OPS and op not in PACKED_OPS:
            raise ValueError(f"not an SSE arithmetic or logic operation: {op!r}")
        self.emit(op, None, dst, src)

    def movss(self, dst: Xmm | Mem, src: Xmm | Mem) -> None:
        """movss dst, src (a register-to-register move keeps dst's bits 32-127)."""
        self.emit("movss", None, dst, src)

    def movsd(self, dst: Xmm | Mem, src: Xmm | Mem) -> None:
        """movsd dst, src (a register-to-register move keeps dst's bits 64-127)."""
        self.emit("movsd", None, dst, src)

    def movaps(self, dst: Xmm | Mem, src: Xmm | Mem) -> None:
        """movaps dst, src (memory aligned to 16)."""
        self.emit("movaps", None, dst, src)

    def movups(self, dst: Xmm | Mem, src: Xmm | Mem) -> None:
        """movups dst, src."""
        self.emit("movups", None, dst, src)

    def movapd(self, dst: Xmm | Mem, src: Xmm | Mem) -> None:
        """movapd dst, src (memory aligned to 16)."""
        self.emit("movapd", None, dst, src)

    def movdqa(self, dst: Xmm | Mem, src: Xmm | Mem) -> None:
        """movdqa dst, src (memory aligned to 16)."""
        self.emit("movdqa", None, dst, src)

    def movdqu(self, dst: Xmm | Mem, src: Xmm | Mem) -> None:
        """movdqu dst, src."""
        self.emit("movdqu", None, dst, src)

    def movd(self, dst: Xmm | Gpr | Mem, src: Xmm | Gpr | Mem) -> None:
        """movd dst, src: 32 bits between a GPR (or memory) and an XMM register."""
        self.emit("movd", 32, dst, src)

    def movq(self, dst: Xmm | Gpr | Mem, src: Xmm | Gpr | Mem) -> None:
        """movq dst, src: 64 bits between XMM registers, GPRs and memory."""
        gpr = isinstance(dst, Gpr) or isinstance(src, Gpr)
        self.emit("movq", 64 if gpr else None, dst, src)

    def pinsrq(self, dst: Xmm, src: Gpr | Mem, lane: Imm | int) -> None:
        """pinsrq dst, src, lane (SSE4.1): 64-bit lane ``lane`` (0 or 1) of dst := src."""
        self.emit("pinsrq", 64, dst, src, lane)

    def ucomiss(self, a: Xmm, b: Xmm | Mem) -> None:
        """ucomiss a, b: unordered compare into ZF/PF/CF."""
        self.emit("ucomiss", None, a, b)

    def ucomisd(self, a: Xmm, b: Xmm | Mem) -> None:
        """ucomisd a, b: unordered compare into ZF/PF/CF."""
        self.emit("ucomisd", None, a, b)

    def comiss(self, a: Xmm, b: Xmm | Mem) -> None:
        """comiss a, b: ordered compare (signals on QNaN) into ZF/PF/CF."""
        self.emit("comiss", None, a, b)

    def comisd(self, a: Xmm, b: Xmm | Mem) -> None:
        """comisd a, b: ordered compare (signals on QNaN) into ZF/PF/CF."""
        self.emit("comisd", None, a, b)

    def cvtsi2ss(self, size: int, dst: Xmm, src: Gpr | Mem) -> None:
        """cvtsi2ss dst, src: convert a signed ``size``-bit integer to f32."""
        self.emit("cvtsi2ss", size, dst, src)

    def cvtsi2sd(self, size: int, dst: Xmm, src: Gpr | Mem) -> None:
        """cvtsi2sd dst, src: convert a signed ``size``-bit integer to f64."""
        self.emit("cvtsi2sd", size, dst, src)

    def cvttss2si(self, size: int, dst: Gpr, src: Xmm | Mem) -> None:
        """cvttss2si dst, src: truncate f32 to a signed ``size``-bit integer."""
        self.emit("cvttss2si", size, dst, src)

    def cvttsd2si(self, size: int, dst: Gpr, src: Xmm | Mem) -> None:
        """cvttsd2si dst, src: truncate f64 to a signed ``size``-bit integer."""
        self.emit("cvttsd2si", size, dst, src)

    def cvtss2sd(self, dst: Xmm, src: Xmm | Mem) -> None:
        """cvtss2sd dst, src: f32 to f64."""
        self.emit("cvtss2sd", None, dst, src)

    def cvtsd2ss(self, dst: Xmm, src: Xmm | Mem) -> None:
        """cvtsd2ss dst, src: f64 to f32."""
        self.emit("cvtsd2ss", None, dst, src)

    def roundss(self, dst: Xmm, src: Xmm | Mem, mode: Imm | int) -> None:
        """roundss dst, src, mode (SSE4.1; mode 0-15)."""
        self.emit("roundss", None, dst, src, mode)

    def roundsd(self, dst: Xmm, src: Xmm | Mem, mode: Imm | int) -> None:
        """roundsd dst, src, mode (SSE4.1; mode 0-15)."""
        self.emit("roundsd", None, dst, src, mode)

    def cmpss(self, dst: Xmm, src: Xmm | Mem, predicate: Imm | int) -> None:
        """cmpss dst, src, predicate (0-7): dst's low lane becomes an all-ones mask or 0."""
        self.emit("cmpss", None, dst, src, predicate)

    def cmpsd(self, dst: Xmm, src: Xmm | Mem, predicate: Imm | int) -> None:
        """cmpsd dst, src, predicate (0-7): dst's low lane becomes an all-ones mask or 0."""
        self.emit("cmpsd", None, dst, src, predicate)
