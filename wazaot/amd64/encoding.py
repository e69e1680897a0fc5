"""The x86-64 machine-code encoder: instruction forms as data, and an :class:`Assembler`.

Every instruction form is one row of a table in the notation of the Intel manual
(``("add", "16 32 64", "rm, i8", "83 /0 ib")``). At import time the rows are expanded
into one :class:`Form` per operand size and indexed by mnemonic; a few helpers
(:func:`rex`, :func:`modrm`, :func:`sib`, :func:`modrm_sib_disp`) interpret a form.
The SSE rows live in :mod:`wazaot.amd64.encoding_sse`; the operand types (:class:`Mem`,
:class:`Imm`, :class:`Label`, :class:`Cond`) in :mod:`wazaot.amd64.args`.

Calling convention of the API
-----------------------------
Integer instructions take the operand size first (8, 16, 32 or 64), then the operands
in Intel order (destination first). Registers come from :mod:`wazaot.amd64.regs` and
name the whole register; the size picks ``rax``/``eax``/``ax``/``al``. Immediates are
plain ints or :class:`Imm`. SSE instructions take no size unless a GPR is involved
(``cvtsi2sd``, ``cvttsd2si``: the GPR's width)::

    asm = Assembler()
    const = asm.new_label()                   # bound later, before 8 bytes of data()
    top = asm.new_label()
    asm.bind(top)
    asm.mov(64, rax, Mem(rdi, rsi, 8, 16))    # mov rax, qword ptr [rdi + rsi*8 + 0x10]
    asm.alu("add", 32, rax, 1)                # add eax, 1            (83 /0 ib)
    asm.movzx(32, rcx, Mem(rsp, disp=-8), 8)  # movzx ecx, byte ptr [rsp - 8]
    asm.shift("shl", 64, rdx, rcx)            # shl rdx, cl
    asm.cvtsi2sd(64, xmm0, rax)               # cvtsi2sd xmm0, rax
    asm.sse("addsd", xmm0, Mem.rip(const))    # addsd xmm0, qword ptr [rip + const]
    asm.jcc(Cond.ne, top)                     # jne top (rel8: bound and near)
    asm.call_rel32("memory_grow")             # e8 + a Reloc for the linker
    code = asm.finish()                       # resolves labels; asm.relocs: the rest

Families of one shape take the operation as a string: ``alu`` (add or adc sbb and sub
xor cmp), ``shift`` (shl shr sar rol ror), ``unary`` (not neg inc dec), ``bitcount``
(lzcnt tzcnt popcnt bsr bsf) and ``sse`` (scalar arithmetic, 128-bit logic). Every
named method is a one-line call of :meth:`Assembler.emit`, which may be used directly:
``asm.emit("add", 64, rax, Imm(1))``. ``emit`` takes the first form of the
mnemonic whose operand kinds accept the operands, and the table lists the shorter
forms first, so the shortest correct encoding wins (imm8 before imm32, the accumulator
forms, ``mov r32, imm32`` for a 64-bit move of an unsigned 32-bit value). Operands that
no form accepts raise ``ValueError``; nothing is ever silently re-encoded.

Operand kinds used in the table
-------------------------------
``r``/``rm``/``a``: a GPR (or memory, or rax) at the instruction's size; ``r8`` ``rm8``
``rm16`` ``rm32``: a GPR or memory of a fixed size; ``m``: memory (lea); ``x``: an XMM
register; ``xm32``/``xm64``/``xm128``: an XMM register or memory of that many bits;
``cl``: rcx; ``one``: the immediate 1; ``i8``: an immediate that fits in a sign-extended
byte; ``i``: an immediate of the operand size (a sign-extended imm32 at 64 bits); ``u3``
``u4`` ``u8``: unsigned immediates; ``u32``: a 64-bit value below 2**32; ``i64``: any
64-bit value; ``cc``: a :class:`Cond`; ``rel8``/``rel32``: a :class:`Label` or
:class:`Symbol`.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import NamedTuple

from .args import SCALE_BITS, Cond, Imm, Label, Mem, Operand, Symbol, fits_signed
from .encoding_sse import SSE_ROWS, SseInstructions
from .regs import Gpr, Xmm, rax, rcx

__all__ = [
    "FORMS", "Assembler", "Cond", "Form", "Imm", "Label", "Mem", "Operand", "Reloc",
    "RelocKind", "Symbol", "fits_signed", "modrm", "modrm_sib_disp", "nop_bytes",
    "patch_abs64", "patch_rel32", "rex", "sib",
]  # fmt: skip

# --------------------------------------------------------------------------------------
# Bit-level helpers


def rex(w: int, r: int, x: int, b: int) -> int:
    """The REX prefix byte.

    ::

          7   6   5   4   3   2   1   0
        +---+---+---+---+---+---+---+---+
        | 0   1   0   0 | W | R | X | B |
        +---+---+---+---+---+---+---+---+
        W: 64-bit operand size   R: extends ModRM.reg
        X: extends SIB.index     B: extends ModRM.rm, SIB.base or opcode+r
    """
    assert all(bit in (0, 1) for bit in (w, r, x, b))
    return 0x40 | w << 3 | r << 2 | x << 1 | b


def modrm(mod: int, reg: int, rm: int) -> int:
    """The ModRM byte (``reg`` and ``rm`` keep their low three bits).

    ::

          7   6   5   4   3   2   1   0
        +---+---+---+---+---+---+---+---+
        |  mod  |    reg    |    rm     |
        +---+---+---+---+---+---+---+---+
        mod 00: [rm]  01: [rm + disp8]  10: [rm + disp32]  11: rm is a register
        rm 100 (mod != 11): a SIB byte follows
        rm 101 (mod == 00): [rip + disp32]
    """
    assert 0 <= mod < 4
    return mod << 6 | (reg & 7) << 3 | (rm & 7)


def sib(scale: int, index: int, base: int) -> int:
    """The SIB byte for ``[base + index*scale]`` (``scale`` is 1, 2, 4 or 8).

    ::

          7   6   5   4   3   2   1   0
        +---+---+---+---+---+---+---+---+
        | scale |   index   |   base    |
        +---+---+---+---+---+---+---+---+
        scale: log2 of 1/2/4/8        index 100 (no REX.X): no index
        base 101 with mod 00: no base, a disp32 follows
    """
    return SCALE_BITS[scale] << 6 | (index & 7) << 3 | (base & 7)




class Addressing(NamedTuple):
    """The ModRM/SIB/displacement bytes of an operand and the REX bits they need."""

    data: bytes
    rex_x: int
    rex_b: int
    rip_at: int | None  # offset of a RIP-relative disp32 inside ``data``


def modrm_sib_disp(reg: int, rm: Gpr | Xmm | Mem) -> Addressing:
    """Encode ModRM (+ SIB + displacement) for ``reg`` (a field value) and ``rm``.

    ::

        ModRM  [SIB]  [disp8 | disp32]
        special cases of 64-bit mode:
          base rsp/r12 (rm=100)     -> SIB with index=100 (none)
          base rbp/r13 (rm=101)     -> mod=01 with disp8=0 when disp is 0
          no base                   -> SIB base=101, mod=00, disp32
                                       ([index*1] is encoded as [index])
          RIP-relative              -> mod=00 rm=101, disp32 patched later
    """
    if isinstance(rm, (Gpr, Xmm)):
        return Addressing(bytes([modrm(3, reg, rm.low3)]), 0, rm.high, None)
    if rm.target is not None:
        return Addressing(bytes([modrm(0, reg, 5)]) + bytes(4), 0, 0, 1)
    base, index, disp = rm.base, rm.index, rm.disp
    if base is None and index is not None and rm.scale == 1:
        base, index = index, None  # [index*1 + disp] needs no SIB and no disp32
    index_bits = index.low3 if index is not None else 4
    rex_x = index.high if index is not None else 0
    if base is None:
        out = bytes([modrm(0, reg, 4), sib(rm.scale, index_bits, 5)])
        return Addressing(out + struct.pack("<i", disp), rex_x, 0, None)
    if disp == 0 and base.low3 != 5:
        mod, tail = 0, b""
    elif fits_signed(disp, 8):
        mod, tail = 1, struct.pack("<b", disp)
    else:
        mod, tail = 2, struct.pack("<i", disp)
    if index is None and base.low3 != 4:
        return Addressing(bytes([modrm(mod, reg, base.low3)]) + tail, 0, base.high, None)
    out = bytes([modrm(mod, reg, 4), sib(rm.scale, index_bits, base.low3)])
    return Addressing(out + tail, rex_x, base.high, None)


# --------------------------------------------------------------------------------------
# Forms: the table's rows, parsed


class RelocKind(enum.Enum):
    """How a linker patches a :class:`Reloc`."""

    REL32 = "rel32"  # write target + addend - (offset + 4) as a signed 32-bit value
    ABS64 = "abs64"  # write target + addend as a 64-bit value


@dataclass(frozen=True, slots=True)
class Reloc:
    """A reference to an external symbol left for the linker to patch at ``offset``."""

    offset: int
    symbol: str
    kind: RelocKind
    addend: int = 0


def patch_rel32(code: bytearray, at: int, target: int, addend: int = 0) -> None:
    """Patch a 32-bit PC-relative field at ``at`` to reach ``target`` (both offsets in
    ``code``'s address space): the CPU adds the field to the address after it."""
    value = target + addend - (at + 4)
    if not fits_signed(value, 32):
        raise ValueError(f"rel32 target out of range: {value:#x}")
    struct.pack_into("<i", code, at, value)


def patch_abs64(code: bytearray, at: int, value: int) -> None:
    """Patch a 64-bit absolute field (as left by :meth:`Assembler.mov_abs64`)."""
    struct.pack_into("<Q", code, at, value & (1 << 64) - 1)


Row = tuple[str, str, str, str]
"""(mnemonic, operand sizes, operand kinds, encoding in Intel-manual notation)."""

# What each operand kind fills in an encoding ("reg" becomes "opreg" in +r rows).
_ROLES = {
    **dict.fromkeys(("r", "r8", "r16", "r32", "r64", "x"), "reg"),
    **dict.fromkeys(("rm", "rm8", "rm16", "rm32", "rm64", "m", "xm32", "xm64", "xm128"), "rm"),
    **dict.fromkeys(("i8", "i", "u3", "u4", "u8", "u32", "i64"), "imm"),
    **dict.fromkeys(("rel8", "rel32"), "rel"),
    **dict.fromkeys(("a", "cl", "one"), "fixed"),
    "cc": "cc",
}
_IMM_TOKENS = {"ib": 1, "iw": 2, "id": 4, "iq": 8, "iz": -1}  # iz: imm16 or imm32 by size
_REL_TOKENS = {"cb": 1, "cd": 4}


@dataclass(frozen=True, slots=True)
class Form:
    """One encoding of one instruction at one operand size, parsed from a table row."""

    mnemonic: str
    size: int | None  # the operand size the caller passes (None: no GPR size)
    kinds: tuple[str, ...]  # operand kinds, Intel order
    roles: tuple[str, ...]  # per operand: reg, rm, opreg, imm, rel, cc or fixed
    encoding: str  # the row's encoding text, for messages
    prefixes: bytes  # legacy prefixes: 66 for 16-bit, then mandatory 66/F2/F3
    rex_w: bool
    opcode: bytes
    modrm: int | None  # None: no ModRM; -1: /r; 0-7: the /digit
    imm_width: int  # bytes of immediate
    rel_width: int  # bytes of branch displacement
    op_size: int | None  # the operand size the CPU sees ("o32" rows narrow 64 to 32)
    byte_regs: tuple[bool, ...]  # operands that are 8-bit GPRs (spl..dil need REX)

    def __str__(self) -> str:
        size = "" if self.size is None else f"{self.size} "
        return f"{self.mnemonic} {size}{', '.join(self.kinds)}: {self.encoding}"


def parse_row(row: Row) -> list[Form]:
    """Expand a table row into one :class:`Form` per operand size."""
    mnemonic, sizes_text, kinds_text, encoding = row
    kinds = tuple(k.strip() for k in kinds_text.split(",")) if kinds_text else ()
    sizes: list[int | None] = [None] if sizes_text == "-" else [int(s) for s in sizes_text.split()]
    tokens = encoding.split()
    mandatory = bytearray()
    while tokens and tokens[0] in ("66", "F2", "F3"):
        mandatory.append(int(tokens.pop(0), 16))
    flags = {t for t in tokens if t in ("REX.W", "o32", "d64")}
    opcode = bytearray()
    modrm_field: int | None = None
    plus: str | None = None
    imm_width = rel_width = 0
    for token in tokens:
        if token in flags:
            continue
        if token == "/r":
            modrm_field = -1
        elif len(token) == 2 and token[0] == "/":
            modrm_field = int(token[1])
        elif token in _IMM_TOKENS:
            imm_width = _IMM_TOKENS[token]
        elif token in _REL_TOKENS:
            rel_width = _REL_TOKENS[token]
        elif "+" in token:
            byte, plus = token.split("+")
            opcode.append(int(byte, 16))
        else:
            opcode.append(int(token, 16))
    unknown = [k for k in kinds if k not in _ROLES]
    assert not unknown, f"unknown operand kinds {unknown} in {row}"
    roles = tuple("opreg" if _ROLES[k] == "reg" and plus == "r" else _ROLES[k] for k in kinds)
    # Each field of the encoding is filled by exactly one operand.
    assert roles.count("rm") == (modrm_field is not None), row
    assert roles.count("reg") == (modrm_field == -1), row
    assert roles.count("opreg") == (plus == "r"), row
    assert roles.count("cc") == (plus == "cc"), row
    assert roles.count("imm") == bool(imm_width), row
    assert roles.count("rel") == bool(rel_width), row
    forms = []
    for size in sizes:
        op_size = 32 if "o32" in flags else size
        prefixes = (b"\x66" if op_size == 16 else b"") + bytes(mandatory)
        rex_w = "REX.W" in flags or (op_size == 64 and "d64" not in flags)
        width = imm_width if imm_width != -1 else (2 if op_size == 16 else 4)
        byte_regs = tuple(
            k in ("r8", "rm8") or (k in ("r", "rm", "a") and op_size == 8) for k in kinds
        )
        forms.append(
            Form(mnemonic, size, kinds, roles, encoding, prefixes, rex_w,
                 bytes(opcode), modrm_field, width, rel_width, op_size, byte_regs)
        )  # fmt: skip
    return forms


# --------------------------------------------------------------------------------------
# The integer table (the SSE table is in encoding_sse.py)

_ALU = {"add": 0, "or": 1, "adc": 2, "sbb": 3, "and": 4, "sub": 5, "xor": 6, "cmp": 7}
_SHIFT = {"rol": 0, "ror": 1, "shl": 4, "shr": 5, "sar": 7}
_GROUP3 = {"not": 2, "neg": 3, "mul": 4, "imul": 5, "div": 6, "idiv": 7}


def _integer_rows() -> list[Row]:
    rows: list[Row] = []
    for name, n in _ALU.items():
        op = 8 * n  # add=00, or=08, ..., cmp=38: four /r forms, then the accumulator
        rows += [
            (name, "8", "rm, r", f"{op:02X} /r"),
            (name, "16 32 64", "rm, r", f"{op + 1:02X} /r"),
            (name, "8", "r, rm", f"{op + 2:02X} /r"),
            (name, "16 32 64", "r, rm", f"{op + 3:02X} /r"),
            (name, "16 32 64", "rm, i8", f"83 /{n} ib"),
            (name, "8", "a, i", f"{op + 4:02X} ib"),
            (name, "16 32 64", "a, i", f"{op + 5:02X} iz"),
            (name, "8", "rm, i", f"80 /{n} ib"),
            (name, "16 32 64", "rm, i", f"81 /{n} iz"),
        ]
    for name, n in _SHIFT.items():
        rows += [
            (name, "8", "rm, one", f"D0 /{n}"),
            (name, "16 32 64", "rm, one", f"D1 /{n}"),
            (name, "8", "rm, cl", f"D2 /{n}"),
            (name, "16 32 64", "rm, cl", f"D3 /{n}"),
            (name, "8", "rm, u8", f"C0 /{n} ib"),
            (name, "16 32 64", "rm, u8", f"C1 /{n} ib"),
        ]
    for name, n in _GROUP3.items():
        rows += [(name, "8", "rm", f"F6 /{n}"), (name, "16 32 64", "rm", f"F7 /{n}")]
    return rows + [
        # The 64-bit immediate moves, shortest first: mov r32, imm32 zero-extends (5 or 6
        # bytes), then the sign-extended imm32 (7), then movabs (10).
        ("mov", "8", "rm, r", "88 /r"),
        ("mov", "16 32 64", "rm, r", "89 /r"),
        ("mov", "8", "r, rm", "8A /r"),
        ("mov", "16 32 64", "r, rm", "8B /r"),
        ("mov", "8", "r, i", "B0+r ib"),
        ("mov", "16 32", "r, i", "B8+r iz"),
        ("mov", "64", "r, u32", "o32 B8+r id"),
        ("mov", "8", "rm, i", "C6 /0 ib"),
        ("mov", "16 32 64", "rm, i", "C7 /0 iz"),
        ("mov", "64", "r, i64", "B8+r iq"),
        # The source width is part of the name: a register source cannot tell it.
        ("movzx8", "16 32 64", "r, rm8", "0F B6 /r"),
        ("movzx16", "32 64", "r, rm16", "0F B7 /r"),
        ("movsx8", "16 32 64", "r, rm8", "0F BE /r"),
        ("movsx16", "32 64", "r, rm16", "0F BF /r"),
        ("movsxd", "64", "r, rm32", "63 /r"),
        ("lea", "16 32 64", "r, m", "8D /r"),
        ("test", "8", "rm, r", "84 /r"),
        ("test", "16 32 64", "rm, r", "85 /r"),
        ("test", "8", "a, i", "A8 ib"),
        ("test", "16 32 64", "a, i", "A9 iz"),
        ("test", "8", "rm, i", "F6 /0 ib"),
        ("test", "16 32 64", "rm, i", "F7 /0 iz"),
        ("imul", "16 32 64", "r, rm", "0F AF /r"),
        ("imul", "16 32 64", "r, rm, i8", "6B /r ib"),
        ("imul", "16 32 64", "r, rm, i", "69 /r iz"),
        ("inc", "8", "rm", "FE /0"),
        ("inc", "16 32 64", "rm", "FF /0"),
        ("dec", "8", "rm", "FE /1"),
        ("dec", "16 32 64", "rm", "FF /1"),
        ("cdq", "32", "", "99"),  # edx:eax = sign-extend(eax)
        ("cqo", "64", "", "99"),  # rdx:rax = sign-extend(rax)
        ("lzcnt", "16 32 64", "r, rm", "F3 0F BD /r"),
        ("tzcnt", "16 32 64", "r, rm", "F3 0F BC /r"),
        ("popcnt", "16 32 64", "r, rm", "F3 0F B8 /r"),
        ("bsr", "16 32 64", "r, rm", "0F BD /r"),
        ("bsf", "16 32 64", "r, rm", "0F BC /r"),
        ("bswap", "32 64", "r", "0F C8+r"),
        ("xchg", "8", "rm, r", "86 /r"),
        ("xchg", "16 32 64", "rm, r", "87 /r"),
        ("setcc", "8", "cc, rm", "0F 90+cc /0"),
        ("cmovcc", "16 32 64", "cc, r, rm", "0F 40+cc /r"),
        ("jcc", "-", "cc, rel8", "70+cc cb"),
        ("jcc", "-", "cc, rel32", "0F 80+cc cd"),
        ("jmp", "-", "rel8", "EB cb"),
        ("jmp", "-", "rel32", "E9 cd"),
        ("jmp", "64", "rm", "d64 FF /4"),
        ("call", "-", "rel32", "E8 cd"),
        ("call", "64", "rm", "d64 FF /2"),
        ("ret", "-", "", "C3"),
        ("push", "64", "r", "d64 50+r"),
        ("push", "64", "rm", "d64 FF /6"),
        ("push", "64", "i8", "d64 6A ib"),
        ("push", "64", "i", "d64 68 id"),
        ("pop", "64", "r", "d64 58+r"),
        ("pop", "64", "rm", "d64 8F /0"),
        ("ud2", "-", "", "0F 0B"),
        ("int3", "-", "", "CC"),
        ("nop", "-", "", "90"),
        ("mfence", "-", "", "0F AE F0"),
        ("cpuid", "-", "", "0F A2"),  # eax, ecx in; eax, ebx, ecx, edx out
        # String operations on rdi/rsi/rcx/al (memory.copy, memory.fill); DF picks the
        # direction: cld forward (the ABI's state), std backward.
        ("rep movsb", "-", "", "F3 A4"),
        ("rep stosb", "-", "", "F3 AA"),
        ("cld", "-", "", "FC"),
        ("std", "-", "", "FD"),
    ]


ROWS: tuple[Row, ...] = (*_integer_rows(), *SSE_ROWS)
"""Every row of the encoding table, integer then SSE."""

FORMS: dict[str, tuple[Form, ...]] = {}
"""The parsed forms by mnemonic, in table order (the order :meth:`Assembler.emit`
tries them)."""

for _row in ROWS:
    FORMS[_row[0]] = (*FORMS.get(_row[0], ()), *parse_row(_row))
del _row

# Intel's recommended multi-byte NOPs (SDM vol. 2B, NOP), by length.
_NOPS = (
    b"",
    b"\x90",
    b"\x66\x90",
    b"\x0f\x1f\x00",
    b"\x0f\x1f\x40\x00",
    b"\x0f\x1f\x44\x00\x00",
    b"\x66\x0f\x1f\x44\x00\x00",
    b"\x0f\x1f\x80\x00\x00\x00\x00",
    b"\x0f\x1f\x84\x00\x00\x00\x00\x00",
    b"\x66\x0f\x1f\x84\x00\x00\x00\x00\x00",
)


def nop_bytes(n: int) -> bytes:
    """``n`` bytes of padding made of as few NOP instructions as possible."""
    out = bytearray()
    while n > 0:
        k = min(n, len(_NOPS) - 1)
        out += _NOPS[k]
        n -= k
    return bytes(out)


# --------------------------------------------------------------------------------------
# The assembler

_KIND_CLASSES: dict[str, tuple[type, ...]] = {
    **{k: (Gpr,) for k in ("r", "r8", "r16", "r32", "r64")},
    **{k: (Gpr, Mem) for k in ("rm", "rm8", "rm16", "rm32", "rm64")},
    "m": (Mem,),
    "x": (Xmm,),
    **{k: (Xmm, Mem) for k in ("xm32", "xm64", "xm128")},
    "cc": (Cond,),
    "rel32": (Label, Symbol),
    "rel8": (Label,),
}
_UNSIGNED_BITS = {"u3": 3, "u4": 4, "u8": 8}


def _imm_fits(kind: str, value: int, size: int) -> bool:
    """Whether immediate ``value`` suits operand kind ``kind`` at operand size ``size``.

    A value of the operand size may be given signed or unsigned (``0xffffffff`` and
    ``-1`` are the same 32-bit immediate), and is then checked for sign extension.
    """
    if kind in _UNSIGNED_BITS:
        return 0 <= value < 1 << _UNSIGNED_BITS[kind]
    if not -(1 << (size - 1)) <= value < 1 << size:
        return False
    signed = value - (1 << size) if value >= 1 << (size - 1) else value
    if kind == "one":
        return value == 1
    if kind == "i8":
        return fits_signed(signed, 8)
    if kind == "i":
        return fits_signed(signed, min(size, 32))
    if kind == "u32":
        return 0 <= value % (1 << 64) < 1 << 32
    return kind == "i64"


class _Fixup(NamedTuple):
    """A 32-bit field at ``at`` to hold ``target + addend - origin`` at finish time."""

    at: int
    target: Label
    origin: int | Label
    addend: int


_IMM_KINDS = ("one", "i8", "i", "u32", "i64", *_UNSIGNED_BITS)
_CHOSEN: dict[tuple, Form] = {}
"""emit's memo: (mnemonic, size, operand shapes) -> the form it chose."""


def _shape(op: object, size: int | None) -> object:
    """What of an operand decides which form encodes it: its class, whether it is rax
    or rcx (accumulator and shift-count forms), which immediate kinds it fits."""
    t = type(op)
    if t is Gpr:
        return 0 if op.num == 0 else 1 if op.num == 1 else 2  # type: ignore[attr-defined]
    if t is Imm:
        v = op.value  # type: ignore[attr-defined]
        return tuple(_imm_fits(k, v, size or 64) for k in _IMM_KINDS)
    return t


def _coerce(op: Operand) -> Gpr | Xmm | Mem | Imm | Label | Symbol | Cond:
    if isinstance(op, bool):
        raise TypeError(f"not an operand: {op!r}")
    return Imm(op) if isinstance(op, int) else op


class Assembler(SseInstructions):
    """Appends encoded instructions to a buffer; resolves labels at :meth:`finish`.

    ``relocs`` lists the references to external symbols for the linker to patch.
    """

    def __init__(self) -> None:
        self.buf = bytearray()
        self.relocs: list[Reloc] = []
        self._labels: list[int | None] = []
        self._fixups: list[_Fixup] = []

    # -- buffer, labels, data ----------------------------------------------------------

    @property
    def offset(self) -> int:
        """The offset the next instruction will be emitted at."""
        return len(self.buf)

    def new_label(self) -> Label:
        """A fresh, unbound label."""
        self._labels.append(None)
        return Label(len(self._labels) - 1)

    def bind(self, label: Label) -> None:
        """Bind ``label`` to the current offset (once)."""
        if self._position(label) is not None:
            raise ValueError(f"label {label} is already bound")
        self._labels[label.id] = self.offset

    def label_offset(self, label: Label) -> int:
        """The offset ``label`` is bound to (ValueError if unbound)."""
        pos = self._position(label)
        if pos is None:
            raise ValueError(f"label {label} was never bound")
        return pos

    def _position(self, label: Label) -> int | None:
        if not 0 <= label.id < len(self._labels):
            raise ValueError(f"label {label} was not made by this assembler")
        return self._labels[label.id]

    def data(self, raw: bytes) -> None:
        """Append raw bytes (constants, jump tables)."""
        self.buf += raw

    def data_label_delta32(self, target: Label, base: Label) -> None:
        """Append 4 bytes holding ``offset(target) - offset(base)`` (jump tables)."""
        self._fixups.append(_Fixup(self.offset, target, base, 0))
        self.buf += bytes(4)

    def align(self, n: int, fill: str = "nop") -> None:
        """Pad to a multiple of ``n`` (a power of two) with NOPs or ``int3`` bytes."""
        if n <= 0 or n & (n - 1):
            raise ValueError(f"alignment must be a power of two, not {n}")
        pad = -self.offset % n
        if fill == "nop":
            self.buf += nop_bytes(pad)
        elif fill == "int3":
            self.buf += b"\xcc" * pad
        else:
            raise ValueError(f"fill must be 'nop' or 'int3', not {fill!r}")

    def finish(self) -> bytes:
        """Resolve every label reference and return the code."""
        for fixup in self._fixups:
            origin = fixup.origin
            if isinstance(origin, Label):
                origin = self.label_offset(origin)
            value = self.label_offset(fixup.target) + fixup.addend - origin
            if not fits_signed(value, 32):
                raise ValueError(f"label {fixup.target} out of rel32 range")
            struct.pack_into("<i", self.buf, fixup.at, value)
        return bytes(self.buf)

    # -- the table interpreter ---------------------------------------------------------

    def emit(self, mnemonic: str, size: int | None, *operands: Operand) -> None:
        """Emit the first form of ``mnemonic`` at ``size`` that accepts ``operands``.

        The choice depends only on the operands' shapes (``_shape``), so it is
        remembered per (mnemonic, size, shapes): the search runs once per shape."""
        ops = tuple(_coerce(op) for op in operands)
        key = (mnemonic, size, tuple(_shape(op, size) for op in ops))
        form = _CHOSEN.get(key)
        if form is not None:
            self._encode(form, ops)
            return
        forms = FORMS.get(mnemonic)
        if forms is None:
            raise ValueError(f"unknown mnemonic {mnemonic!r}")
        for form in forms:
            if form.size == size and self.accepts(form, ops):
                if not any(isinstance(op, Label) for op in ops):
                    _CHOSEN[key] = form
                self._encode(form, ops)
                return
        choices = "; ".join(str(f) for f in forms)
        raise ValueError(f"no form of {mnemonic} (size {size}) accepts {ops!r}; forms: {choices}")

    def emit_form(self, form: Form, *operands: Operand) -> None:
        """Emit ``form`` itself (tests use this to reach forms ``emit`` would skip)."""
        ops = tuple(_coerce(op) for op in operands)
        if not self.accepts(form, ops):
            raise ValueError(f"{form} does not accept {ops!r}")
        self._encode(form, ops)

    def accepts(self, form: Form, ops: tuple[object, ...]) -> bool:
        """Whether ``form`` can encode ``ops`` here (rel8 depends on the offset)."""
        if len(ops) != len(form.kinds):
            return False
        for kind, op in zip(form.kinds, ops):
            if kind == "a" or kind == "cl":
                if op != (rax if kind == "a" else rcx):
                    return False
            elif kind in _KIND_CLASSES:
                if not isinstance(op, _KIND_CLASSES[kind]):
                    return False
                if kind == "rel8":
                    assert isinstance(op, Label)
                    pos = self._position(op)
                    length = len(form.prefixes) + len(form.opcode) + 1
                    if pos is None or not fits_signed(pos - (self.offset + length), 8):
                        return False
            elif not (isinstance(op, Imm) and _imm_fits(kind, op.value, form.size or 64)):
                return False
        return True

    def _encode(self, form: Form, ops: tuple[object, ...]) -> None:
        start = self.offset
        opcode = bytearray(form.opcode)
        reg = form.modrm if form.modrm is not None and form.modrm >= 0 else 0
        rex_r = rex_b = 0
        force_rex = False
        rm: Gpr | Xmm | Mem | None = None
        imm: int | None = None
        rel: Label | Symbol | None = None
        for role, op, byte_reg in zip(form.roles, ops, form.byte_regs):
            if byte_reg and isinstance(op, Gpr) and 4 <= op.num < 8:
                force_rex = True  # spl/bpl/sil/dil, not ah/ch/dh/bh
            if role == "reg":
                assert isinstance(op, (Gpr, Xmm))
                reg, rex_r = op.low3, op.high
            elif role == "rm":
                assert isinstance(op, (Gpr, Xmm, Mem))
                rm = op
            elif role == "opreg":
                assert isinstance(op, Gpr)
                opcode[-1] |= op.low3
                rex_b = op.high
            elif role == "cc":
                assert isinstance(op, Cond)
                opcode[-1] |= op.value
            elif role == "imm":
                assert isinstance(op, Imm)
                imm = op.value
            elif role == "rel":
                assert isinstance(op, (Label, Symbol))
                rel = op
        addressing = modrm_sib_disp(reg, rm) if rm is not None else None
        rex_x = 0
        if addressing is not None:
            rex_x, rex_b = addressing.rex_x, addressing.rex_b
        insn = bytearray(form.prefixes)
        if form.rex_w or rex_r or rex_x or rex_b or force_rex:
            insn.append(rex(int(form.rex_w), rex_r, rex_x, rex_b))
        insn += opcode
        rip_at = None
        if addressing is not None:
            if addressing.rip_at is not None:
                rip_at = start + len(insn) + addressing.rip_at
            insn += addressing.data
        if imm is not None:
            insn += (imm & ((1 << 8 * form.imm_width) - 1)).to_bytes(form.imm_width, "little")
        if rel is not None:
            insn += bytes(form.rel_width)
        end = start + len(insn)
        self.buf += insn
        if rel is not None and form.rel_width == 1:
            assert isinstance(rel, Label)
            self.buf[-1] = (self.label_offset(rel) - end) & 0xFF
        elif rel is not None:
            self._reference(rel, end - 4, end, 0)
        if rip_at is not None:
            assert isinstance(rm, Mem) and rm.target is not None
            self._reference(rm.target, rip_at, end, rm.disp)

    def _reference(self, target: Label | Symbol, at: int, end: int, addend: int) -> None:
        """Record a PC-relative 32-bit field at ``at`` (the next instruction is at
        ``end``) that must hold ``target + addend - end``."""
        if isinstance(target, Label):
            self._fixups.append(_Fixup(at, target, end, addend))
        else:
            # Reloc's convention is relative to the field's end: fold in what follows it.
            self.relocs.append(Reloc(at, target.name, RelocKind.REL32, addend - (end - at - 4)))

    # -- integer instructions ----------------------------------------------------------
    # Each is ``emit`` with the mnemonic; size first, then operands in Intel order.

    def mov(self, size: int, dst: Gpr | Mem, src: Gpr | Mem | Imm | int) -> None:
        """mov dst, src (an immediate picks the shortest form; 64-bit: may be movabs)."""
        self.emit("mov", size, dst, src)

    def mov_abs64(self, dst: Gpr, symbol: str, addend: int = 0) -> None:
        """movabs dst, <address of symbol + addend>, left as an ABS64 relocation."""
        self.emit_form(_MOVABS, dst, 0)
        self.relocs.append(Reloc(self.offset - 8, symbol, RelocKind.ABS64, addend))

    def movzx(self, size: int, dst: Gpr, src: Gpr | Mem, src_size: int) -> None:
        """movzx dst, src: zero-extend an 8- or 16-bit ``src`` to ``size`` bits."""
        self.emit(f"movzx{src_size}", size, dst, src)

    def movsx(self, size: int, dst: Gpr, src: Gpr | Mem, src_size: int) -> None:
        """movsx dst, src: sign-extend an 8- or 16-bit (or, to 64, 32-bit) ``src``."""
        self.emit("movsxd" if src_size == 32 else f"movsx{src_size}", size, dst, src)

    def lea(self, size: int, dst: Gpr, src: Mem) -> None:
        """lea dst, [address]."""
        self.emit("lea", size, dst, src)

    def alu(self, op: str, size: int, dst: Gpr | Mem, src: Gpr | Mem | Imm | int) -> None:
        """``op dst, src`` for op in add, or, adc, sbb, and, sub, xor, cmp."""
        if op not in _ALU:
            raise ValueError(f"not an ALU operation: {op!r}")
        self.emit(op, size, dst, src)

    def test(self, size: int, dst: Gpr | Mem, src: Gpr | Imm | int) -> None:
        """test dst, src."""
        self.emit("test", size, dst, src)

    def imul(self, size: int, *operands: Gpr | Mem | Imm | int) -> None:
        """imul src (rdx:rax = rax * src) | imul dst, src | imul dst, src, imm."""
        self.emit("imul", size, *operands)

    def mul(self, size: int, src: Gpr | Mem) -> None:
        """mul src: rdx:rax = rax * src, unsigned."""
        self.emit("mul", size, src)

    def div(self, size: int, src: Gpr | Mem) -> None:
        """div src: rax, rdx = rdx:rax divmod src, unsigned."""
        self.emit("div", size, src)

    def idiv(self, size: int, src: Gpr | Mem) -> None:
        """idiv src: rax, rdx = rdx:rax divmod src, signed."""
        self.emit("idiv", size, src)

    def unary(self, op: str, size: int, dst: Gpr | Mem) -> None:
        """``op dst`` for op in not, neg, inc, dec."""
        if op not in ("not", "neg", "inc", "dec"):
            raise ValueError(f"not a unary operation: {op!r}")
        self.emit(op, size, dst)

    def cdq(self) -> None:
        """cdq: edx = sign of eax (before a 32-bit idiv)."""
        self.emit("cdq", 32)

    def cqo(self) -> None:
        """cqo: rdx = sign of rax (before a 64-bit idiv)."""
        self.emit("cqo", 64)

    def shift(self, op: str, size: int, dst: Gpr | Mem, count: Gpr | Imm | int) -> None:
        """``op dst, cl`` or ``op dst, imm8`` for op in shl, shr, sar, rol, ror."""
        if op not in _SHIFT:
            raise ValueError(f"not a shift or rotate: {op!r}")
        self.emit(op, size, dst, count)

    def bitcount(self, op: str, size: int, dst: Gpr, src: Gpr | Mem) -> None:
        """``op dst, src`` for op in lzcnt, tzcnt, popcnt, bsr, bsf."""
        if op not in ("lzcnt", "tzcnt", "popcnt", "bsr", "bsf"):
            raise ValueError(f"not a bit-count operation: {op!r}")
        self.emit(op, size, dst, src)

    def bswap(self, size: int, dst: Gpr) -> None:
        """bswap dst (32 or 64 bits)."""
        self.emit("bswap", size, dst)

    def xchg(self, size: int, a: Gpr | Mem, b: Gpr) -> None:
        """xchg a, b."""
        self.emit("xchg", size, a, b)

    def setcc(self, cond: Cond, dst: Gpr | Mem) -> None:
        """set<cond> dst8."""
        self.emit("setcc", 8, cond, dst)

    def cmovcc(self, size: int, cond: Cond, dst: Gpr, src: Gpr | Mem) -> None:
        """cmov<cond> dst, src (16, 32 or 64 bits)."""
        self.emit("cmovcc", size, cond, dst, src)

    # -- control flow ------------------------------------------------------------------

    def jcc(self, cond: Cond, target: Label | Symbol) -> None:
        """j<cond> target (rel8 to a bound, near label; rel32 otherwise)."""
        self.emit("jcc", None, cond, target)

    def jmp(self, target: Label | Symbol | Gpr | Mem) -> None:
        """jmp target: a label or symbol (relative) or a register/memory (indirect)."""
        self.emit("jmp", 64 if isinstance(target, (Gpr, Mem)) else None, target)

    def call(self, target: Label | Symbol | Gpr | Mem) -> None:
        """call target: a label or symbol (rel32) or a register/memory (indirect)."""
        self.emit("call", 64 if isinstance(target, (Gpr, Mem)) else None, target)

    def call_rel32(self, symbol: str) -> None:
        """call symbol, left as a REL32 relocation (see :func:`patch_rel32`)."""
        self.call(Symbol(symbol))

    def jmp_rel32(self, symbol: str) -> None:
        """jmp symbol, left as a REL32 relocation (see :func:`patch_rel32`)."""
        self.emit("jmp", None, Symbol(symbol))

    def ret(self) -> None:
        """ret."""
        self.emit("ret", None)

    def push(self, src: Gpr | Mem | Imm | int) -> None:
        """push src (64-bit; an immediate is sign-extended from 8 or 32 bits)."""
        self.emit("push", 64, src)

    def pop(self, dst: Gpr | Mem) -> None:
        """pop dst (64-bit)."""
        self.emit("pop", 64, dst)

    def ud2(self) -> None:
        """ud2: a guaranteed invalid-opcode trap."""
        self.emit("ud2", None)

    def int3(self) -> None:
        """int3: a breakpoint."""
        self.emit("int3", None)

    def nop(self, n: int = 1) -> None:
        """``n`` bytes of NOPs, in as few instructions as possible."""
        self.buf += nop_bytes(n)

    def mfence(self) -> None:
        """mfence."""
        self.emit("mfence", None)

    def rep_movsb(self) -> None:
        """rep movsb: copy rcx bytes from [rsi] to [rdi] (backwards when DF is set)."""
        self.emit("rep movsb", None)

    def rep_stosb(self) -> None:
        """rep stosb: store al into rcx bytes from [rdi]."""
        self.emit("rep stosb", None)

    def cld(self) -> None:
        """cld: string operations count upwards (DF = 0, as the ABI requires)."""
        self.emit("cld", None)

    def std(self) -> None:
        """std: string operations count downwards (DF = 1)."""
        self.emit("std", None)

    def cpuid(self) -> None:
        """cpuid: the processor's feature leaf ``eax`` (subleaf ``ecx``) into
        eax, ebx, ecx, edx."""
        self.emit("cpuid", None)


_MOVABS = next(f for f in FORMS["mov"] if f.kinds == ("r", "i64"))
