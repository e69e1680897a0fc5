"""The x86-64 machine-code encoder: instruction forms as data, and an :class:`Assembler`.

Every instruction form is one row of a table in the notation of the Intel manual
(``("add", "16 32 64", "rm, i8", "83 /0 ib")``). At import time the rows are expanded
into one :class:`Form` per operand size and indexed by mnemonic; a few helpers
(:func:`rex`, :func:`modrm`, :func:`sib`, :func:`modrm_sib_disp`) spell out the bit
layouts. Each form is then interpreted once, on first use, into an encoder closure
(:data:`ENCODERS`) that holds its constant bytes, so that emitting an instruction is
a memo lookup by operand shapes and one call that appends the bytes.
The integer rows and named methods live in :mod:`wazaot.amd64.encoding_int`, the SSE
ones in :mod:`wazaot.amd64.encoding_sse`; the operand types (:class:`Mem`,
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
``rm16`` ``rm32``: a GPR or memory of a fixed size; ``rr``: a GPR at the instruction's
size in ModRM.rm, never memory (``pinsrb xmm, r32``, whose memory form is a byte);
``m``: memory (lea); ``x``: an XMM register; ``xm32``/``xm64``/``xm128``: an XMM
register or memory of that many bits;
``cl``: rcx; ``one``: the immediate 1; ``i8``: an immediate that fits in a sign-extended
byte; ``i``: an immediate of the operand size (a sign-extended imm32 at 64 bits); ``u3``
``u4`` ``u8``: unsigned immediates; ``u32``: a 64-bit value below 2**32; ``i64``: any
64-bit value; ``cc``: a :class:`Cond`; ``rel8``/``rel32``: a :class:`Label` or
:class:`Symbol`.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..machinst.buffer import LabelBuffer
from . import encoding_vec
from .args import SCALE_BITS, Cond, Imm, Label, Mem, Operand, Symbol, fits_signed
from .encoding_int import INT_ROWS, IntInstructions, Row
from .encoding_sse import MOVES, PACKED_ROWS, SSE_ROWS, SseInstructions, vex_twins
from .regs import Gpr, Xmm

__all__ = [
    "ENCODERS", "FORMS", "Assembler", "Cond", "Encoder", "Form", "Imm", "Label", "Mem", "Operand", "Reloc",
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
    data, bits = _mem_bytes(reg & 7, rm)
    return Addressing(data, bits >> 1, bits & 1, None)


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


# What each operand kind fills in an encoding ("reg" becomes "opreg" in +r rows).
_ROLES = {
    **dict.fromkeys(("r", "r8", "r16", "r32", "r64", "x"), "reg"),
    **dict.fromkeys(("rm", "rm8", "rm16", "rm32", "rm64", "rr", "m", "xm32", "xm64", "xm128",
                     "xr"), "rm"),  # fmt: skip
    "v": "vvvv",  # VEX: the register in VEX.vvvv
    "x4": "is4",  # VEX: the register in bits 7:4 of the immediate byte
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
    vex: Vex | None = None  # a VEX-encoded form: its prefix fields

    def __str__(self) -> str:
        size = "" if self.size is None else f"{self.size} "
        return f"{self.mnemonic} {size}{', '.join(self.kinds)}: {self.encoding}"


class Vex(NamedTuple):
    """The fields of a VEX prefix that a form fixes (the rest come from operands)."""

    l: int  # vector length: 0 for 128 bits (and LIG, L0)
    pp: int  # the implied mandatory prefix: 0 none, 1 66, 2 F3, 3 F2
    mmmmm: int  # the opcode map: 1 0F, 2 0F38, 3 0F3A
    w: int  # VEX.W (WIG is encoded 0)


_VEX_PP = {"66": 1, "F3": 2, "F2": 3}
_VEX_MAPS = {"0F": 1, "0F38": 2, "0F3A": 3}


def parse_vex(header: str) -> Vex:
    """``VEX.128.66.0F38.W0`` (the Intel manual's notation) -> :class:`Vex`."""
    fields = header.split(".")
    assert fields[0] == "VEX" and fields[1] in ("128", "LIG", "L0", "LZ"), header
    rest = fields[2:]
    pp = _VEX_PP[rest.pop(0)] if rest[0] in _VEX_PP else 0
    mmmmm = _VEX_MAPS[rest.pop(0)]
    w = 1 if rest and rest[0] == "W1" else 0
    return Vex(0, pp, mmmmm, w)


def parse_row(row: Row) -> list[Form]:
    """Expand a table row into one :class:`Form` per operand size."""
    mnemonic, sizes_text, kinds_text, encoding = row
    kinds = tuple(k.strip() for k in kinds_text.split(",")) if kinds_text else ()
    sizes: list[int | None] = [None] if sizes_text == "-" else [int(s) for s in sizes_text.split()]
    tokens = encoding.split()
    vex = parse_vex(tokens.pop(0)) if tokens[0].startswith("VEX.") else None
    if vex is not None and "is4" in tokens:
        tokens[tokens.index("is4")] = "ib"  # the register's byte, with any immediate
    mandatory = bytearray()
    while vex is None and tokens and tokens[0] in ("66", "F2", "F3"):  # VEX: in pp
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
    assert roles.count("imm") + roles.count("is4") >= bool(imm_width), row
    assert roles.count("rel") == bool(rel_width), row
    assert vex is not None or roles.count("vvvv") + roles.count("is4") == 0, row
    forms = []
    for size in sizes:
        op_size = 32 if "o32" in flags else size
        prefixes = (b"\x66" if op_size == 16 else b"") + bytes(mandatory)
        rex_w = "REX.W" in flags or (op_size == 64 and "d64" not in flags)
        width = imm_width if imm_width != -1 else (2 if op_size == 16 else 4)
        byte_regs = tuple(
            k in ("r8", "rm8") or (k in ("r", "rm", "a") and op_size == 8) for k in kinds
        )
        if vex is not None:
            prefixes, rex_w = b"", bool(vex.w)
        forms.append(
            Form(mnemonic, size, kinds, roles, encoding, prefixes, rex_w,
                 bytes(opcode), modrm_field, width, rel_width, op_size, byte_regs, vex)
        )  # fmt: skip
    return forms


ROWS: tuple[Row, ...] = (
    *INT_ROWS, *SSE_ROWS, *encoding_vec.ROWS,
    *vex_twins((*PACKED_ROWS, *encoding_vec.ROWS), MOVES | encoding_vec.NO_VEX_SOURCE),
)  # fmt: skip
"""Every row of the encoding table: integer, scalar SSE, packed (SIMD) forms, and the
AVX (VEX.128) twins of the packed ones."""

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
    **{k: (Xmm,) for k in ("x", "xr", "v", "x4")},
    "rr": (Gpr,),
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
_IMM_SHAPES: dict[tuple[int, int | None], tuple[bool, ...]] = {}
"""The immediate kinds a value fits, by (value, operand size)."""


def _imm_shape(value: int, size: int | None) -> tuple[bool, ...]:
    shape = _IMM_SHAPES.get((value, size))
    if shape is None:
        shape = tuple(_imm_fits(k, value, size or 64) for k in _IMM_KINDS)
        _IMM_SHAPES[value, size] = shape
    return shape


# --------------------------------------------------------------------------------------
# Specialised encoders: each form interpreted once, at import, into a closure
#
# ``encoder(asm, ops)`` appends one instruction to ``asm.buf``; ``ops`` are the operands
# in Intel order with immediates as plain ints. The closure holds the form's prefixes,
# REX.W, opcode, ModRM digit and immediate width, and the positions of its operands;
# what is left at run time is what depends on the operands (register numbers, the
# addressing bytes of a memory operand, the immediate, the branch target).

Encoder = Callable[["Assembler", Sequence[Any]], None]


def _mem_bytes(reg3: int, m: Mem) -> tuple[bytes, int]:
    """ModRM + SIB + displacement of a memory operand that is not RIP-relative, and its
    REX.X/REX.B bits (``0b0XB0`` shifted as in the REX byte: X is 2, B is 1); see
    :func:`modrm_sib_disp` for the special cases."""
    base, index, disp = m.base, m.index, m.disp
    scale = m.scale
    if base is None and index is not None and scale == 1:
        base, index = index, None  # [index*1 + disp] needs no SIB and no disp32
    if index is None:
        bits, ix = 0, 4
    else:
        ix = index.num
        bits, ix = (ix >> 3) << 1, ix & 7
    if base is None:
        sib_byte = SCALE_BITS[scale] << 6 | ix << 3 | 5
        return bytes((reg3 << 3 | 4, sib_byte)) + disp.to_bytes(4, "little", signed=True), bits
    b = base.num
    bits |= b >> 3
    b &= 7
    if disp == 0 and b != 5:
        mod, tail = 0, b""
    elif -128 <= disp < 128:
        mod, tail = 0x40, disp.to_bytes(1, "little", signed=True)
    else:
        mod, tail = 0x80, disp.to_bytes(4, "little", signed=True)
    if index is None and b != 4:
        return bytes((mod | reg3 << 3 | b,)) + tail, bits
    return bytes((mod | reg3 << 3 | 4, SCALE_BITS[scale] << 6 | ix << 3 | b)) + tail, bits


def _byte_reg_check(form: Form) -> tuple[int, ...]:
    """Operands that are 8-bit GPRs: spl/bpl/sil/dil need a REX prefix (not ah..bh)."""
    return tuple(i for i, b in enumerate(form.byte_regs) if b)


def _rm_bytes(r: int, rm: Gpr | Xmm | Mem) -> tuple[bytes, int, Mem | None]:
    """The ModRM byte (``reg`` field ``r``), SIB and displacement of operand ``rm``;
    its REX.X/REX.B bits (``0b0XB0`` as in REX: X is 2, B is 1); and ``rm`` again if it
    is RIP-relative (its displacement is left 0 for :func:`_append`)."""
    if type(rm) is Mem:
        if rm.target is None:
            tail, bits = _mem_bytes(r & 7, rm)
            return tail, bits, None
        return bytes(((r & 7) << 3 | 5, 0, 0, 0, 0)), 0, rm
    n = rm.num
    return bytes((0xC0 | (r & 7) << 3 | n & 7,)), n >> 3, None


def _append(asm: Assembler, code: bytes, rip: Mem | None, imm_w: int) -> None:
    """Append an instruction; a RIP-relative operand's displacement (the 4 bytes before
    the ``imm_w`` bytes of immediate) becomes a reference to its target."""
    buf = asm.buf
    buf += code
    if rip is not None:
        end = len(buf)
        assert rip.target is not None
        asm._reference(rip.target, end - 4 - imm_w, end, rip.disp)


def _modrm_encoder(form: Form) -> Encoder:
    """A form with a ModRM byte: ``reg`` is an operand or the ``/digit``."""
    roles = form.roles
    prefix, opcode, w = form.prefixes, form.opcode, 8 if form.rex_w else 0
    rm_i = roles.index("rm")
    reg_i = roles.index("reg") if "reg" in roles else -1
    digit = form.modrm if form.modrm is not None and form.modrm >= 0 else 0
    cc_i = roles.index("cc") if "cc" in roles else -1
    imm_i = roles.index("imm") if "imm" in roles else -1
    imm_w = form.imm_width
    imm_mask = (1 << 8 * imm_w) - 1
    bytes8 = _byte_reg_check(form)
    head, last = opcode[:-1], opcode[-1]

    def encode(asm: Assembler, ops: Sequence[Any]) -> None:
        rm = ops[rm_i]
        r = ops[reg_i].num if reg_i >= 0 else digit
        op = opcode if cc_i < 0 else head + bytes((last | ops[cc_i].value,))
        tail, bits, rip = _rm_bytes(r, rm)
        rex_bits = w | (r & 8) >> 1 | bits
        if rex_bits or (bytes8 and any(type(ops[i]) is Gpr and 4 <= ops[i].num < 8 for i in bytes8)):
            code = prefix + bytes((0x40 | rex_bits,)) + op + tail
        else:
            code = prefix + op + tail
        if imm_i >= 0:
            code += (ops[imm_i] & imm_mask).to_bytes(imm_w, "little")
        _append(asm, code, rip, imm_w)

    return encode


def _plain_encoder(form: Form) -> Encoder:
    """A form without ModRM: register in the opcode (``+r``), condition in the opcode
    (``+cc``), an immediate, a branch displacement, or nothing at all."""
    roles = form.roles
    prefix, opcode, w = form.prefixes, form.opcode, 8 if form.rex_w else 0
    opreg_i = roles.index("opreg") if "opreg" in roles else -1
    cc_i = roles.index("cc") if "cc" in roles else -1
    imm_i = roles.index("imm") if "imm" in roles else -1
    rel_i = roles.index("rel") if "rel" in roles else -1
    imm_w, rel_w = form.imm_width, form.rel_width
    imm_mask = (1 << 8 * imm_w) - 1
    bytes8 = _byte_reg_check(form)
    head, last = opcode[:-1], opcode[-1]
    if opreg_i < 0 and cc_i < 0 and imm_i < 0 and rel_i < 0:
        constant = prefix + (bytes((0x40 | w,)) if w else b"") + opcode

        def encode_constant(asm: Assembler, ops: Sequence[Any]) -> None:
            asm.buf += constant

        return encode_constant

    def encode(asm: Assembler, ops: Sequence[Any]) -> None:
        rex_bits = w
        op = opcode
        if opreg_i >= 0:
            n = ops[opreg_i].num
            rex_bits |= n >> 3
            op = head + bytes((last | n & 7,))
        elif cc_i >= 0:
            op = head + bytes((last | ops[cc_i].value,))
        if rex_bits or (bytes8 and any(type(ops[i]) is Gpr and 4 <= ops[i].num < 8 for i in bytes8)):
            code = prefix + bytes((0x40 | rex_bits,)) + op
        else:
            code = prefix + op
        if imm_i >= 0:
            code += (ops[imm_i] & imm_mask).to_bytes(imm_w, "little")
        buf = asm.buf
        if rel_i < 0:
            buf += code
            return
        end = len(buf) + len(code) + rel_w
        target = ops[rel_i]
        if rel_w == 1:
            buf += code + bytes(((asm.label_offset(target) - end) & 0xFF,))
        else:
            buf += code + b"\0\0\0\0"
            asm._reference(target, end - 4, end, 0)

    return encode


def _vex_encoder(form: Form) -> Encoder:
    """A VEX-encoded form (always with ModRM): the prefix carries the inverted REX.R,
    X, B bits, the map, W, the inverted ``vvvv`` register, L and the implied prefix; the
    short two-byte form (C5) when map 0F, W0 and no X or B are enough. An ``is4``
    register goes in bits 7:4 of the immediate byte."""
    vex = form.vex
    assert vex is not None and form.modrm is not None, form
    roles = form.roles
    rm_i = roles.index("rm")
    reg_i = roles.index("reg") if "reg" in roles else -1
    v_i = roles.index("vvvv") if "vvvv" in roles else -1
    is4_i = roles.index("is4") if "is4" in roles else -1
    imm_i = roles.index("imm") if "imm" in roles else -1
    digit = form.modrm if form.modrm >= 0 else 0
    opcode = form.opcode
    short_ok = vex.mmmmm == 1 and not vex.w
    low = vex.l << 2 | vex.pp
    byte1_map = vex.mmmmm
    w7 = vex.w << 7

    def encode(asm: Assembler, ops: Sequence[Any]) -> None:
        rm = ops[rm_i]
        r = ops[reg_i].num if reg_i >= 0 else digit
        v = (~ops[v_i].num & 15) << 3 if v_i >= 0 else 0x78
        tail, xb, rip = _rm_bytes(r, rm)
        not_r = (~r & 8) << 4
        if short_ok and not xb:
            code = bytes((0xC5, not_r | v | low)) + opcode + tail
        else:
            code = bytes((0xC4, not_r | (~xb & 3) << 5 | byte1_map, w7 | v | low)) + opcode + tail
        imm_w = 0
        if is4_i >= 0:
            imm_w = 1
            code += bytes((ops[is4_i].num << 4 | (ops[imm_i] & 15 if imm_i >= 0 else 0),))
        elif imm_i >= 0:
            imm_w = 1
            code += bytes((ops[imm_i] & 0xFF,))
        _append(asm, code, rip, imm_w)

    return encode


def specialise(form: Form) -> Encoder:
    """The encoder of ``form`` (see above)."""
    if form.vex is not None:
        return _vex_encoder(form)
    return _modrm_encoder(form) if "rm" in form.roles else _plain_encoder(form)


class _Encoders(dict[Form, Encoder]):
    """Specialises a form the first time it is asked for: a program that emits a few
    instructions (or none) does not pay for the whole table at import."""

    def __missing__(self, form: Form) -> Encoder:
        encoder = self[form] = specialise(form)
        return encoder


ENCODERS: dict[Form, Encoder] = _Encoders()
"""Every form's specialised encoder (made on first use)."""


def _rel8_length(form: Form) -> int:
    """The length of a rel8 form (0 for any other): whether a label is in reach
    depends on the offset, so this form is tried anew at every use."""
    return len(form.prefixes) + len(form.opcode) + 1 if "rel8" in form.kinds else 0


_CHOSEN: dict[tuple[Any, ...], Encoder] = {}
_RAW_LIMIT = 200_000
_RAW: dict[tuple[Any, ...], bytes] = {}
"""(mnemonic, size, operands) -> the bytes of an instruction that has no label or symbol."""
"""emit's memo: (mnemonic, size, operand shapes) -> the encoder of the form it chose."""
_CHOSEN_REL: dict[tuple[Any, ...], tuple[tuple[Encoder, int, int], ...]] = {}
"""For operands with a label: the forms that accept the shapes, in table order, as
(encoder, index of the label, length of a rel8 form or 0)."""


def _normalise(size: int | None, operands: Sequence[Operand]) -> tuple[list[Any], list[Any]]:
    """The operands with immediates as ints, and emit's memo key of them: what decides
    which form encodes an operand (its class; whether it is rax or rcx, for the
    accumulator and shift-count forms; which immediate kinds it fits)."""
    ops: list[Any] = []
    key: list[Any] = []
    for op in operands:
        t = type(op)
        if t is Gpr:
            n = op.num  # type: ignore[union-attr]
            key.append(n if n < 2 else 2)
        elif t is int:
            key.append(_imm_shape(op, size))  # type: ignore[arg-type]
        elif t is Imm:
            op = op.value  # type: ignore[union-attr]
            key.append(_imm_shape(op, size))
        elif isinstance(op, int) and t is not bool:
            op = int(op)
            key.append(_imm_shape(op, size))
        elif t is bool:
            raise TypeError(f"not an operand: {op!r}")
        else:
            key.append(t)
        ops.append(op)
    return ops, key


def _fits_kinds(form: Form, ops: Sequence[Any]) -> bool:
    """Whether ``ops`` (immediates as ints) have the kinds of ``form``'s operands; a rel8
    operand's reach is not checked."""
    if len(ops) != len(form.kinds):
        return False
    for kind, op in zip(form.kinds, ops):
        if kind == "a" or kind == "cl":
            if not (type(op) is Gpr and op.num == (0 if kind == "a" else 1)):
                return False
        elif kind in _KIND_CLASSES:
            if not isinstance(op, _KIND_CLASSES[kind]):
                return False
        elif not (type(op) is int and _imm_fits(kind, op, form.size or 64)):
            return False
    return True


def _candidates(mnemonic: str, size: int | None,
                ops: Sequence[Any]) -> tuple[tuple[Encoder, int, int], ...]:  # fmt: skip
    """The forms of ``mnemonic`` at ``size`` whose kinds ``ops`` have, in table order,
    as (encoder, index of a rel8 operand, length of the rel8 form or 0)."""
    forms = FORMS.get(mnemonic)
    if forms is None:
        raise ValueError(f"unknown mnemonic {mnemonic!r}")
    found = tuple(
        (ENCODERS[f], f.kinds.index("rel8") if "rel8" in f.kinds else -1, _rel8_length(f))
        for f in forms
        if f.size == size and _fits_kinds(f, ops)
    )
    if not found:
        choices = "; ".join(str(f) for f in forms)
        raise ValueError(f"no form of {mnemonic} (size {size}) accepts {ops!r}; forms: {choices}")
    return found


class Assembler(LabelBuffer, IntInstructions, SseInstructions):
    """Appends encoded instructions to a buffer; resolves labels at :meth:`finish`.

    ``relocs`` lists the references to external symbols for the linker to patch.
    """

    def __init__(self) -> None:
        super().__init__()
        self.relocs: list[Reloc] = []
        self._fixups: list[_Fixup] = []
        self.external_refs: list[tuple[int, int]] = []  # see finish()

    # -- buffer, labels, data ----------------------------------------------------------

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

    def finish(self, external: Mapping[Label, int] | None = None) -> bytes:
        """Resolve every label reference and return the code.

        References to the labels in ``external`` (never bound here: functions compiled
        in another chunk, by function index) are left as ``external_refs``:
        (field offset, function index), each to hold ``start - (offset + 4)``."""
        self.external_refs: list[tuple[int, int]] = []
        for fixup in self._fixups:
            if external and fixup.target in external:
                assert fixup.origin == fixup.at + 4 and fixup.addend == 0, "a rel32 call"
                self.external_refs.append((fixup.at, external[fixup.target]))
                continue
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

        An instruction without a label or symbol is the same bytes wherever it is, so
        its encoding is remembered (``_RAW``) and copied the next time; registers
        compare by identity, so that looking one up is cheap. Immediates 0 and 1 are
        not remembered: they are equal to False and True, which ``_emit`` rejects."""
        key = (mnemonic, size, operands)
        raw = _RAW.get(key)
        if raw is not None:
            self.buf += raw
            return
        start = len(self.buf)
        self._emit(mnemonic, size, *operands)
        for op in operands:
            t = type(op)
            if t is int:
                if op == 0 or op == 1:  # equal to False and True, which are no immediates
                    return
            elif not (t is Gpr or t is Xmm or t is Cond or (t is Mem and op.target is None)):
                return
        if len(_RAW) >= _RAW_LIMIT:
            _RAW.clear()
        _RAW[key] = bytes(self.buf[start:])

    def _emit(self, mnemonic: str, size: int | None, *operands: Operand) -> None:
        """``emit`` without the memo. The choice of form depends only on the operands'
        shapes (see ``_normalise``) and, for a rel8 form, on whether the label is in
        reach; so the search runs once per (mnemonic, size, shapes) and its result, the
        specialised encoder of the form (``ENCODERS``), is remembered."""
        # _normalise, inlined: this runs once per instruction.
        ops: list[Any] = []
        shapes: list[Any] = [mnemonic, size]
        for op in operands:
            t = type(op)
            if t is Gpr:
                n = op.num  # type: ignore[union-attr]
                shapes.append(n if n < 2 else 2)
            elif t is int:
                shape = _IMM_SHAPES.get((op, size))  # type: ignore[arg-type]
                shapes.append(shape if shape is not None else _imm_shape(op, size))  # type: ignore[arg-type]
            elif t is Mem or t is Xmm or t is Cond or t is Label:
                shapes.append(t)
            else:  # Imm, Symbol, an int subclass, or not an operand
                ops, rest = _normalise(size, operands)
                shapes = [mnemonic, size, *rest]
                break
            ops.append(op)
        key = tuple(shapes)
        encoder = _CHOSEN.get(key)
        if encoder is None:
            candidates = _CHOSEN_REL.get(key)
            if candidates is None:
                candidates = _candidates(mnemonic, size, ops)
                if not any(type(op) is Label for op in ops):
                    _CHOSEN[key] = candidates[0][0]
                else:
                    _CHOSEN_REL[key] = candidates
            encoder = self._in_reach(candidates, ops, mnemonic, size)
        encoder(self, ops)

    def _in_reach(self, candidates: tuple[tuple[Encoder, int, int], ...], ops: list[Any],
                  mnemonic: str, size: int | None) -> Encoder:  # fmt: skip
        """The first candidate that can reach its label (any but a rel8 form can)."""
        for encoder, label_i, rel8_length in candidates:
            if not rel8_length:
                return encoder
            pos = self._position(ops[label_i])
            if pos is not None and -128 <= pos - (len(self.buf) + rel8_length) < 128:
                return encoder
        raise ValueError(f"no form of {mnemonic} (size {size}) reaches {ops!r}")

    def emit_form(self, form: Form, *operands: Operand) -> None:
        """Emit ``form`` itself (tests use this to reach forms ``emit`` would skip)."""
        ops, _ = _normalise(form.size, operands)
        if not self.accepts(form, ops):
            raise ValueError(f"{form} does not accept {ops!r}")
        ENCODERS[form](self, ops)

    def accepts(self, form: Form, ops: Sequence[Operand]) -> bool:
        """Whether ``form`` can encode ``ops`` here (rel8 depends on the offset)."""
        values, _ = _normalise(form.size, ops)
        if not _fits_kinds(form, values):
            return False
        if "rel8" not in form.kinds:
            return True
        pos = self._position(values[form.kinds.index("rel8")])
        return pos is not None and -128 <= pos - (len(self.buf) + _rel8_length(form)) < 128

    def _reference(self, target: Label | Symbol, at: int, end: int, addend: int) -> None:
        """Record a PC-relative 32-bit field at ``at`` (the next instruction is at
        ``end``) that must hold ``target + addend - end``."""
        if type(target) is Label:
            self._fixups.append(_Fixup(at, target, end, addend))
        else:
            # Reloc's convention is relative to the field's end: fold in what follows it.
            assert isinstance(target, Symbol)
            self.relocs.append(Reloc(at, target.name, RelocKind.REL32, addend - (end - at - 4)))

    def mov_abs64(self, dst: Gpr, symbol: str, addend: int = 0) -> None:
        """movabs dst, <address of symbol + addend>, left as an ABS64 relocation."""
        self.emit_form(_MOVABS, dst, 0)
        self.relocs.append(Reloc(self.offset - 8, symbol, RelocKind.ABS64, addend))

    def nop(self, n: int = 1) -> None:
        """``n`` bytes of NOPs, in as few instructions as possible."""
        self.buf += nop_bytes(n)


_MOVABS = next(f for f in FORMS["mov"] if f.kinds == ("r", "i64"))
