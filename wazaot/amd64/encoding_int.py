"""The integer half of the x86-64 encoding table, and the named integer methods of the
assembler.

Rows in the notation of :mod:`wazaot.amd64.encoding`, which parses them with the SSE
rows of :mod:`wazaot.amd64.encoding_sse`. Families of one shape are generated from the
opcode extension of each operation (``/digit``); the table lists the shorter forms of a
mnemonic first, so the shortest correct encoding wins.
"""

from __future__ import annotations

from .args import Cond, Imm, Label, Mem, Operand, Symbol
from .regs import Gpr

Row = tuple[str, str, str, str]
"""(mnemonic, operand sizes, operand kinds, encoding in Intel-manual notation)."""

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
        ("xgetbv", "-", "", "0F 01 D0"),  # XCR[ecx] into edx:eax
        # String operations on rdi/rsi/rcx/al (memory.copy, memory.fill); DF picks the
        # direction: cld forward (the ABI's state), std backward.
        ("rep movsb", "-", "", "F3 A4"),
        ("rep stosb", "-", "", "F3 AA"),
        ("cld", "-", "", "FC"),
        ("std", "-", "", "FD"),
    ]


INT_ROWS = tuple(_integer_rows())
"""The integer rows of the encoding table: (mnemonic, sizes, operand kinds, encoding)."""


class IntInstructions:
    """The named integer and control-flow methods of :class:`wazaot.amd64.encoding.Assembler`.

    Each is ``emit`` with the mnemonic; the operand size first, then the operands in
    Intel order (destination first).
    """

    def emit(self, mnemonic: str, size: int | None, *operands: Operand) -> None:
        """Implemented by the assembler."""
        raise NotImplementedError

    def mov(self, size: int, dst: Gpr | Mem, src: Gpr | Mem | Imm | int) -> None:
        """mov dst, src (an immediate picks the shortest form; 64-bit: may be movabs)."""
        self.emit("mov", size, dst, src)

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

    def xgetbv(self) -> None:
        """xgetbv: the extended control register ``ecx`` into edx:eax."""
        self.emit("xgetbv", None)

    def cpuid(self) -> None:
        """cpuid: the processor's feature leaf ``eax`` (subleaf ``ecx``) into
        eax, ebx, ecx, edx."""
        self.emit("cpuid", None)
