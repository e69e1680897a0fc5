"""Tests of the x86-64 encoder (wazaot.amd64.encoding) against capstone and GNU as.

* Every form of the table is encoded with Hypothesis-drawn operands, decoded by capstone
  and compared with the text the operands should print (built from the operands).
* Where GNU ``as`` and ``objcopy`` are installed, a deterministic sample of every form is
  assembled by ``as`` from the same text; both encodings must decode alike, and the
  bytes must be equal except for the documented cases where ``as`` picks another form.
* ``TABLE`` pins a dozen instructions to bytes produced by ``as``. Regenerate its hex
  column (rewrites this file in place) with::

      python3 -m tests.amd64.test_encoding --regen
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import capstone
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wazaot.amd64.encoding import (
    FORMS,
    Assembler,
    Cond,
    Form,
    Imm,
    Label,
    Mem,
    RelocKind,
    Symbol,
    nop_bytes,
    patch_abs64,
    patch_rel32,
)
from wazaot.amd64.regs import (
    GPRS,
    XMMS,
    Gpr,
    Xmm,
    r8,
    r9,
    r12,
    r13,
    r15,
    rax,
    rbp,
    rcx,
    rdi,
    rdx,
    rsi,
    rsp,
    xmm0,
    xmm1,
    xmm8,
    xmm15,
)

CS = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
ALL_FORMS = [form for forms in FORMS.values() for form in forms]
# Branch forms take labels; they are tested by the label tests below.
OPERAND_FORMS = [f for f in ALL_FORMS if not any(k.startswith("rel") for k in f.kinds)]
PTR = {8: "byte", 16: "word", 32: "dword", 64: "qword", 128: "xmmword"}
FIXED_SIZES = {"r8": 8, "rm8": 8, "r16": 16, "rm16": 16, "r32": 32, "rm32": 32, "r64": 64}
XMM_SIZES = {"xm32": 32, "xm64": 64, "xm128": 128}
CMP_PREDICATES = ("eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord")
CMP_MNEMONICS = ("cmpss", "cmpsd", "cmpps", "cmppd")
SPECIAL_BASES = [rsp, rbp, r12, r13]  # the ModRM/SIB special cases
T = TypeVar("T")
DISP_EDGES = [0, 1, -1, 9, 10, 127, -128, 128, -129, 0x7FFFFFFF, -0x80000000]


# --------------------------------------------------------------------------------------
# Operand generation, shared by Hypothesis (draws) and the deterministic `as` sample


class Chooser:
    """Picks operand parts; subclassed for Hypothesis and for a seeded RNG."""

    def pick(self, seq: Sequence[T]) -> T:
        raise NotImplementedError

    def integer(self, lo: int, hi: int) -> int:
        raise NotImplementedError

    def edgy(self, lo: int, hi: int, edges: Sequence[int]) -> int:
        """An edge value in [lo, hi] or any value in it."""
        inside = [e for e in edges if lo <= e <= hi] + [lo, hi]
        return self.pick(inside) if self.pick([True, False]) else self.integer(lo, hi)


class DrawChooser(Chooser):
    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def pick(self, seq: Sequence[T]) -> T:
        return self.data.draw(st.sampled_from(list(seq)))

    def integer(self, lo: int, hi: int) -> int:
        return self.data.draw(st.integers(lo, hi))


class RandomChooser(Chooser):
    def __init__(self, seed: str) -> None:
        self.rng = random.Random(seed)

    def pick(self, seq: Sequence[T]) -> T:
        return self.rng.choice(list(seq))

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


def imm_range(kind: str, size: int) -> tuple[int, int]:
    """The immediates kind ``kind`` accepts at ``size`` (both signed and unsigned)."""
    return {
        "i8": (-128, 127),
        "i": (-(1 << (size - 1)), (1 << size) - 1) if size < 64 else (-(1 << 31), (1 << 31) - 1),
        "u3": (0, 7),
        "u4": (0, 15),
        "u8": (0, 255),
        "u32": (0, (1 << 32) - 1),
        "i64": (-(1 << 63), (1 << 64) - 1),
        "one": (1, 1),
    }[kind]


def gen_mem(c: Chooser, rip: bool) -> Mem:
    if rip and c.pick([False] * 5 + [True]):
        return Mem.rip(Label(0), c.integer(-(1 << 20), 1 << 20))
    base = c.pick([None, c.pick(SPECIAL_BASES), c.pick(GPRS), c.pick(GPRS)])
    index = c.pick([None, c.pick([g for g in GPRS if g != rsp])])
    scale = c.pick([1, 2, 4, 8]) if index is not None else 1
    return Mem(base, index, scale, c.edgy(-(1 << 31), (1 << 31) - 1, DISP_EDGES))


def gen_operand(c: Chooser, form: Form, kind: str, rip: bool) -> object:
    if kind == "a":
        return rax
    if kind == "cl":
        return rcx
    if kind == "cc":
        return c.pick(list(Cond))
    if kind in ("r", "r8", "r16", "r32", "r64", "rr"):
        return c.pick(GPRS)
    if kind in ("x", "xr", "v", "x4"):  # x4: VEX is4, the register in the immediate byte
        return c.pick(XMMS)
    if kind == "m":
        return gen_mem(c, rip)
    if kind.startswith("rm"):
        return c.pick([c.pick(GPRS), gen_mem(c, rip)])
    if kind.startswith("xm"):
        return c.pick([c.pick(XMMS), gen_mem(c, rip)])
    size = form.size or 64
    lo, hi = imm_range(kind, size)
    value = c.edgy(lo, hi, [0, 1, -1, 127, -128, 128, 255, 0x7FFF, -0x8000, 0xFFFF])
    if kind in ("i8", "i") and c.pick([False, False, True]):
        value %= 1 << size  # the unsigned spelling of the same immediate
    return Imm(value)


def gen_operands(c: Chooser, form: Form, rip: bool = True) -> tuple:
    return tuple(gen_operand(c, form, kind, rip) for kind in form.kinds)


# --------------------------------------------------------------------------------------
# Expected text, from the operands (capstone's Intel syntax, or GNU as input)


def hexnum(value: int) -> str:
    return str(value) if -10 < value < 10 else f"{'-' if value < 0 else ''}{abs(value):#x}"


def mem_text(m: Mem, rip_disp: int | None, gas: bool) -> str:
    if m.target is not None:
        assert rip_disp is not None
        parts = ["rip"]
        disp = rip_disp
    else:
        parts = [m.base.name] if m.base is not None else []
        if m.index is not None:
            parts.append(m.index.name if m.scale == 1 else f"{m.index.name}*{m.scale}")
        disp = m.disp
    if not parts:  # absolute: capstone prints the 64-bit sign-extended address
        return f"[{hexnum(disp if gas else disp % (1 << 64))}]"
    text = " + ".join(parts)
    if disp:
        text += f" {'-' if disp < 0 else '+'} {hexnum(abs(disp))}"
    return f"[{text}]"


def operand_text(form: Form, kind: str, op: object, rip_disp: int | None, gas: bool) -> str:
    size = FIXED_SIZES.get(kind, XMM_SIZES.get(kind, form.op_size))
    if isinstance(op, Gpr):
        return op.sized(8 if kind == "cl" else size)
    if isinstance(op, Xmm):
        return op.name
    if isinstance(op, Mem):
        address = mem_text(op, rip_disp, gas)
        return address if kind == "m" else f"{PTR[size]} ptr {address}"
    assert isinstance(op, Imm)
    if gas and form.op_size and op.value >= 1 << (form.op_size - 1):
        return str(op.value - (1 << form.op_size))  # as wants the signed spelling
    return hexnum(op.value)


# Where capstone 5 prints a memory operand's size wrongly: (mnemonic, printed, right).
CAPSTONE_QUIRKS = {"comisd": ("xmmword ptr", "qword ptr")}


def mnemonic_text(form: Form, ops: tuple) -> str:
    name = form.mnemonic
    if name.startswith(("movzx", "movsx")) and name != "movsxd":
        return name[:5]
    if name.endswith("cc"):
        return name[:-2] + ops[0].name
    if form.kinds == ("r", "i64"):
        return "movabs"
    if name.removeprefix("v") in CMP_MNEMONICS:  # cmpltps, vcmpltps: the last operand
        return f"{name[:-5]}cmp{CMP_PREDICATES[ops[-1].value]}{name[-2:]}"
    return IMPLICIT_OPERANDS.get(name, name)


# String instructions have implicit operands that capstone prints.
IMPLICIT_OPERANDS = {
    "rep movsb": "rep movsb byte ptr [rdi], byte ptr [rsi]",
    "rep stosb": "rep stosb byte ptr [rdi], al",
}


def expected_text(form: Form, ops: tuple, rip_disp: int | None = None, gas: bool = False) -> str:
    shown = [
        operand_text(form, kind, op, rip_disp, gas)
        for kind, op in zip(form.kinds, ops)
        if kind != "cc" and not (form.mnemonic.removeprefix("v") in CMP_MNEMONICS and kind == "u3")
    ]
    return f"{mnemonic_text(form, ops)} {', '.join(shown)}".strip()


NUMBER = re.compile(r"-?(0x[0-9a-f]+|\d+)")


def canon(text: str, bits: int) -> str:
    """Immediates reduced modulo 2**bits (capstone prints -1, 0xffffffff, ... freely)."""
    mnemonic, _, rest = text.partition(" ")
    parts = [p.strip() for p in rest.split(",")] if rest.strip() else []
    parts = [hex(int(p, 0) % (1 << bits)) if NUMBER.fullmatch(p) else p for p in parts]
    return f"{mnemonic} {', '.join(parts)}".strip()


def capstone_text(insn: capstone.CsInsn) -> str:
    """Capstone's text of ``insn``, with its known misprints corrected."""
    text = f"{insn.mnemonic} {insn.op_str}"
    if insn.mnemonic in CAPSTONE_QUIRKS:
        text = text.replace(*CAPSTONE_QUIRKS[insn.mnemonic])
    return text


def decode_one(code: bytes) -> capstone.CsInsn:
    insns = list(CS.disasm(code, 0))
    assert len(insns) == 1 and insns[0].size == len(code), (code.hex(), insns)
    return insns[0]


def encode(form: Form, ops: tuple) -> tuple[bytes, int | None]:
    """Encode ``form`` at offset 0 with a label bound there; return the bytes and, for a
    RIP-relative operand, the displacement the CPU will see."""
    asm = Assembler()
    asm.bind(asm.new_label())
    asm.emit_form(form, *ops)
    code = asm.finish()
    rip = [op for op in ops if isinstance(op, Mem) and op.target is not None]
    return code, (rip[0].disp - len(code) if rip else None)


# --------------------------------------------------------------------------------------
# Every form against capstone


@pytest.mark.parametrize("form", OPERAND_FORMS, ids=str)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_form_round_trips_through_capstone(form: Form, data: st.DataObject) -> None:
    ops = gen_operands(DrawChooser(data), form)
    code, rip_disp = encode(form, ops)
    insn = decode_one(code)
    bits = form.op_size or 64
    want = canon(expected_text(form, ops, rip_disp), bits)
    assert canon(capstone_text(insn), bits) == want, (str(form), code.hex())


def test_every_mnemonic_has_forms() -> None:
    assert len(OPERAND_FORMS) > 350
    for name in ("mov", "movzx8", "lea", "imul", "cvtsi2sd", "roundsd", "pcmpeqd", "mfence"):
        assert FORMS[name]


# --------------------------------------------------------------------------------------
# GNU as as a second oracle

AS = shutil.which("as")
OBJCOPY = shutil.which("objcopy")
needs_gas = pytest.mark.skipif(
    AS is None or OBJCOPY is None,
    reason="GNU as/objcopy not installed (apt-get install binutils)",
)


def gas(lines: Sequence[str]) -> list[bytes]:
    """Assemble each line with GNU as (Intel syntax); one byte string per line."""
    assert AS is not None and OBJCOPY is not None
    with tempfile.TemporaryDirectory() as tmp:
        src, obj, raw = (Path(tmp) / n for n in ("in.s", "in.o", "in.bin"))
        # Each instruction gets a 16-byte slot (the longest is 15).
        src.write_text("".join(f"{line}\n.p2align 4, 0xcc\n" for line in lines))
        subprocess.run(
            [AS, "--64", "-msyntax=intel", "-mnaked-reg", "-o", str(obj), str(src)],
            check=True,
            capture_output=True,
        )
        subprocess.run([OBJCOPY, "-O", "binary", "--only-section=.text", str(obj), str(raw)])
        blob = raw.read_bytes()
    out = []
    for i in range(len(lines)):
        first = next(CS.disasm(blob[16 * i : 16 * i + 16], 0), None)
        assert first is not None, lines[i]
        out.append(bytes(first.bytes))
    return out


def text_of(code: bytes, bits: int) -> str:
    text = canon(capstone_text(decode_one(code)), bits)
    if text.startswith("xchg"):  # as picks 90+r, printed the other way round
        mnemonic, _, rest = text.partition(" ")
        text = f"{mnemonic} {', '.join(sorted(rest.split(', ')))}"
    return text


@needs_gas
def test_forms_match_gnu_as() -> None:
    """Each form's bytes decode like the bytes ``as`` makes from the form's text; where
    :meth:`Assembler.emit` would choose this very form, the bytes are ``as``'s too."""
    samples = []
    for form in OPERAND_FORMS:
        chooser = RandomChooser(str(form))
        for _ in range(6):
            ops = gen_operands(chooser, form, rip=False)
            ours = encode(form, ops)[0]
            asm = Assembler()
            asm.emit(form.mnemonic, form.size, *ops)
            samples.append((form, ops, ours, asm.finish() == ours))
    theirs = gas([expected_text(f, ops, gas=True) for f, ops, _, _ in samples])
    preferred = 0
    for (form, ops, ours, chosen), their in zip(samples, theirs):
        bits = form.op_size or 64
        assert text_of(ours, bits) == text_of(their, bits), (str(form), ours.hex(), their.hex())
        # movq with a 64-bit size and memory is the GPR opcode; movq() uses F3 0F 7E.
        # A VEX move between registers: as may take the store form, whose REX.R bit fits
        # the two-byte prefix where ours needs REX.B (same length or one byte more).
        swapped_move = form.vex is not None and form.mnemonic.startswith("vmov") and all(
            isinstance(op, Xmm) for op in ops)
        if chosen and not (form.mnemonic == "movq" and form.size == 64) and not swapped_move:
            preferred += 1
            assert ours == their, (str(form), ours.hex(), their.hex())
    assert preferred > len(samples) // 2, (preferred, len(samples))


# --------------------------------------------------------------------------------------
# A table of representative instructions: (text, bytes from `as`, how we emit it)

TABLE: list[tuple[str, str, Callable[[Assembler], None]]] = [
    ("add rax, 1", "4883c001", lambda a: a.alu("add", 64, rax, 1)),
    ("add eax, 0x12345", "0545230100", lambda a: a.alu("add", 32, rax, 0x12345)),
    ("mov eax, dword ptr [r12 + 8]", "418b442408", lambda a: a.mov(32, rax, Mem(r12, disp=8))),
    ("mov qword ptr [r13], rdx", "49895500", lambda a: a.mov(64, Mem(r13), rdx)),
    ("mov byte ptr [rax + rcx*4 - 0x80], sil", "4088748880", lambda a: a.mov(8, Mem(rax, rcx, 4, -128), rsi)),
    ("movabs r8, 0x123456789abcdef0", "49b8f0debc9a78563412", lambda a: a.mov(64, r8, 0x123456789ABCDEF0)),
    ("movzx ecx, byte ptr [rsp]", "0fb60c24", lambda a: a.movzx(32, rcx, Mem(rsp), 8)),
    ("shl rdx, cl", "48d3e2", lambda a: a.shift("shl", 64, rdx, rcx)),
    ("imul rax, rcx, 0x3e8", "4869c1e8030000", lambda a: a.imul(64, rax, rcx, 1000)),
    ("cmovne r13d, dword ptr [rbp - 4]", "440f456dfc", lambda a: a.cmovcc(32, Cond.ne, r13, Mem(rbp, disp=-4))),
    ("cvtsi2sd xmm15, rax", "f24c0f2af8", lambda a: a.cvtsi2sd(64, xmm15, rax)),
    ("movq rax, xmm1", "66480f7ec8", lambda a: a.movq(rax, xmm1)),
    ("roundsd xmm0, qword ptr [rsi], 4", "660f3a0b0604", lambda a: a.roundsd(xmm0, Mem(rsi), 4)),
    ("xorps xmm0, xmm0", "0f57c0", lambda a: a.sse("xorps", xmm0, xmm0)),
]  # fmt: skip


@pytest.mark.parametrize("text, hexbytes, build", TABLE, ids=[t for t, _, _ in TABLE])
def test_table(text: str, hexbytes: str, build: Callable[[Assembler], None]) -> None:
    asm = Assembler()
    build(asm)
    code = asm.finish()
    assert code.hex() == hexbytes
    insn = decode_one(code)
    assert f"{insn.mnemonic} {insn.op_str}" == text


@needs_gas
def test_table_is_what_gas_assembles() -> None:
    assert [b.hex() for b in gas([t for t, _, _ in TABLE])] == [h for _, h, _ in TABLE]


def regenerate_table() -> None:
    """Rewrite TABLE's hex column in this file from GNU as."""
    path = Path(__file__)
    source = path.read_text()
    for (text, old, _), new in zip(TABLE, gas([t for t, _, _ in TABLE])):
        source = source.replace(f'("{text}", "{old}"', f'("{text}", "{new.hex()}"')
        print(f"{text:45} {new.hex()}" + ("" if new.hex() == old else f"  (was {old})"))
    path.write_text(source)


# --------------------------------------------------------------------------------------
# The named API, form selection and operand validation


def text(build: Callable[[Assembler], None]) -> list[str]:
    """Capstone's text of what ``build`` emits."""
    asm = Assembler()
    build(asm)
    return [f"{i.mnemonic} {i.op_str}".strip() for i in CS.disasm(asm.finish(), 0)]


API = [
    (lambda a: a.mov(64, rax, Mem(rsi, rcx, 8, 16)), "mov rax, qword ptr [rsi + rcx*8 + 0x10]"),
    (lambda a: a.movzx(64, rax, rcx, 16), "movzx rax, cx"),
    (lambda a: a.movsx(64, rax, Mem(rsp), 8), "movsx rax, byte ptr [rsp]"),
    (lambda a: a.movsx(64, rax, rcx, 32), "movsxd rax, ecx"),
    (lambda a: a.lea(32, rax, Mem(rax, rax, 2)), "lea eax, [rax + rax*2]"),
    (lambda a: a.alu("xor", 32, r8, r8), "xor r8d, r8d"),
    (lambda a: a.test(8, rsi, rsi), "test sil, sil"),
    (lambda a: a.imul(32, rax, Mem(rbp, disp=-8)), "imul eax, dword ptr [rbp - 8]"),
    (lambda a: a.imul(64, rcx), "imul rcx"),
    (lambda a: a.mul(64, rcx), "mul rcx"),
    (lambda a: a.div(32, Mem(rax)), "div dword ptr [rax]"),
    (lambda a: a.idiv(64, r12), "idiv r12"),
    (lambda a: a.unary("neg", 16, rdx), "neg dx"),
    (lambda a: a.unary("not", 64, Mem(r13)), "not qword ptr [r13]"),
    (lambda a: a.unary("inc", 8, rdx), "inc dl"),
    (lambda a: a.cdq(), "cdq"),
    (lambda a: a.cqo(), "cqo"),
    (lambda a: a.shift("sar", 32, rax, 31), "sar eax, 0x1f"),
    (lambda a: a.shift("rol", 64, rax, 1), "rol rax, 1"),
    (lambda a: a.bitcount("lzcnt", 64, rax, rcx), "lzcnt rax, rcx"),
    (lambda a: a.bitcount("popcnt", 32, rax, Mem(rdx)), "popcnt eax, dword ptr [rdx]"),
    (lambda a: a.bswap(64, r13), "bswap r13"),
    (lambda a: a.xchg(64, rax, rcx), "xchg rax, rcx"),
    (lambda a: a.setcc(Cond.p, rdi), "setp dil"),
    (lambda a: a.cmovcc(64, Cond.l, rax, rcx), "cmovl rax, rcx"),
    (lambda a: a.jmp(rax), "jmp rax"),
    (lambda a: a.call(Mem(r12, disp=8)), "call qword ptr [r12 + 8]"),
    (lambda a: a.push(r15), "push r15"),
    (lambda a: a.pop(rbp), "pop rbp"),
    (lambda a: a.push(-1), "push -1"),
    (lambda a: a.ret(), "ret"),
    (lambda a: a.ud2(), "ud2"),
    (lambda a: a.int3(), "int3"),
    (lambda a: a.mfence(), "mfence"),
    (lambda a: a.rep_movsb(), "rep movsb byte ptr [rdi], byte ptr [rsi]"),
    (lambda a: a.rep_stosb(), "rep stosb byte ptr [rdi], al"),
    (lambda a: a.cld(), "cld"),
    (lambda a: a.std(), "std"),
    (lambda a: a.sse("sqrtsd", xmm1, xmm15), "sqrtsd xmm1, xmm15"),
    (lambda a: a.sse("pcmpeqd", xmm0, xmm0), "pcmpeqd xmm0, xmm0"),
    (lambda a: a.movss(Mem(rsp), xmm1), "movss dword ptr [rsp], xmm1"),
    (lambda a: a.movsd(xmm1, Mem(rsp)), "movsd xmm1, qword ptr [rsp]"),
    (lambda a: a.movaps(xmm1, xmm0), "movaps xmm1, xmm0"),
    (lambda a: a.movups(Mem(rax), xmm8), "movups xmmword ptr [rax], xmm8"),
    (lambda a: a.movapd(xmm1, xmm0), "movapd xmm1, xmm0"),
    (lambda a: a.movdqa(xmm1, Mem(rax)), "movdqa xmm1, xmmword ptr [rax]"),
    (lambda a: a.movdqu(Mem(rax), xmm1), "movdqu xmmword ptr [rax], xmm1"),
    (lambda a: a.movdqu(XMMS[9], Mem(r13, GPRS[11])), "movdqu xmm9, xmmword ptr [r13 + r11]"),
    (lambda a: a.sse("pxor", XMMS[3], XMMS[3]), "pxor xmm3, xmm3"),
    (lambda a: a.pinsrq(xmm0, GPRS[11], 1), "pinsrq xmm0, r11, 1"),
    (lambda a: a.pinsrq(XMMS[12], Mem(rax), 0), "pinsrq xmm12, qword ptr [rax], 0"),
    (lambda a: a.movd(xmm0, rax), "movd xmm0, eax"),
    (lambda a: a.movd(r8, xmm15), "movd r8d, xmm15"),
    (lambda a: a.movq(xmm0, Mem(rax)), "movq xmm0, qword ptr [rax]"),
    (lambda a: a.movq(Mem(rax), xmm0), "movq qword ptr [rax], xmm0"),
    (lambda a: a.movq(xmm0, rax), "movq xmm0, rax"),
    (lambda a: a.movq(xmm1, xmm0), "movq xmm1, xmm0"),
    (lambda a: a.ucomiss(xmm0, xmm1), "ucomiss xmm0, xmm1"),
    (lambda a: a.ucomisd(xmm0, Mem(rax)), "ucomisd xmm0, qword ptr [rax]"),
    (lambda a: a.comiss(xmm0, xmm1), "comiss xmm0, xmm1"),
    (lambda a: a.comisd(xmm0, xmm1), "comisd xmm0, xmm1"),
    (lambda a: a.cvtsi2ss(32, xmm0, rax), "cvtsi2ss xmm0, eax"),
    (lambda a: a.cvttss2si(64, rax, xmm0), "cvttss2si rax, xmm0"),
    (lambda a: a.cvttsd2si(32, rax, xmm0), "cvttsd2si eax, xmm0"),
    (lambda a: a.cvtss2sd(xmm0, xmm1), "cvtss2sd xmm0, xmm1"),
    (lambda a: a.cvtsd2ss(xmm0, xmm1), "cvtsd2ss xmm0, xmm1"),
    (lambda a: a.roundss(xmm0, xmm1, 9), "roundss xmm0, xmm1, 9"),
    (lambda a: a.cmpss(xmm0, xmm1, 1), "cmpltss xmm0, xmm1"),
    (lambda a: a.cmpsd(xmm0, xmm1, 2), "cmplesd xmm0, xmm1"),
]  # fmt: skip


@pytest.mark.parametrize("build, expected", API, ids=[t for _, t in API])
def test_named_methods(build: Callable[[Assembler], None], expected: str) -> None:
    assert text(build) == [expected]


@pytest.mark.parametrize(
    "value, expected, length",
    [
        (0, "mov eax, 0", 5),
        (0xFFFFFFFF, "mov eax, 0xffffffff", 5),
        (0x80000000, "mov eax, 0x80000000", 5),
        (-1, "mov rax, 0xffffffffffffffff", 7),
        ((1 << 64) - 1, "mov rax, 0xffffffffffffffff", 7),
        (-(1 << 31), "mov rax, 0xffffffff80000000", 7),
        (1 << 32, "movabs rax, 0x100000000", 10),
        (-(1 << 31) - 1, "movabs rax, 0xffffffff7fffffff", 10),
        (-(1 << 63), "movabs rax, 0x8000000000000000", 10),
    ],
)
def test_mov64_immediate_picks_the_shortest_form(value: int, expected: str, length: int) -> None:
    asm = Assembler()
    asm.mov(64, rax, value)
    code = asm.finish()
    assert (text(lambda a: a.data(code)), len(code)) == ([expected], length)


@pytest.mark.parametrize(
    "build, length",
    [
        (lambda a: a.alu("add", 64, rcx, 127), 4),  # 83 /0 ib
        (lambda a: a.alu("add", 64, rcx, 128), 7),  # 81 /0 id
        (lambda a: a.alu("add", 64, rax, 128), 6),  # 05 id
        (lambda a: a.alu("add", 64, rax, -128), 4),  # 83 /0 ib beats the accumulator form
        (lambda a: a.alu("and", 32, rcx, 0xFFFFFF80), 3),  # unsigned spelling of -128
        (lambda a: a.alu("cmp", 16, rcx, 0xFFFF), 4),  # 66 83 /7 ib
        (lambda a: a.alu("sub", 8, rax, 200), 2),  # 2C ib
        (lambda a: a.shift("shl", 32, rcx, 1), 2),  # D1 /4
        (lambda a: a.test(32, rax, 1), 5),  # A9 id
        (lambda a: a.push(127), 2),  # 6A ib
        (lambda a: a.push(128), 5),  # 68 id
        (lambda a: a.mov(32, r9, 7), 6),  # 41 B9 id
        (lambda a: a.mov(64, Mem(rbp), rax), 4),  # [rbp] is [rbp + 0] with a disp8
        (lambda a: a.mov(64, rax, Mem(None, rcx, 1, 8)), 4),  # [rcx + 8], no SIB
    ],
)
def test_shortest_form(build: Callable[[Assembler], None], length: int) -> None:
    asm = Assembler()
    build(asm)
    assert len(asm.finish()) == length


def test_byte_registers_get_a_rex_prefix() -> None:
    for build, expected in [
        (lambda a: a.mov(8, rsi, rax), "mov sil, al"),
        (lambda a: a.setcc(Cond.e, rsp), "sete spl"),
        (lambda a: a.movzx(32, rax, rbp, 8), "movzx eax, bpl"),
        (lambda a: a.test(8, rax, rdx), "test al, dl"),
    ]:
        asm = Assembler()
        build(asm)
        code = asm.finish()
        assert text(lambda a, c=code: a.data(c)) == [expected]
        assert (code[0] == 0x40) == any(r in expected for r in ("spl", "bpl", "sil", "dil"))


BAD = [
    lambda a: a.alu("add", 64, xmm0, rax),
    lambda a: a.alu("add", 8, rax, 256),
    lambda a: a.alu("add", 8, rax, -129),
    lambda a: a.alu("add", 64, rax, 1 << 31),
    lambda a: a.alu("add", 32, rax, 1 << 32),
    lambda a: a.alu("add", 128, rax, rcx),
    lambda a: a.alu("frob", 64, rax, rcx),
    lambda a: a.alu("add", 64, Mem(rax), Mem(rcx)),
    lambda a: a.mov(64, rax, 1 << 64),
    lambda a: a.mov(64, rax, -(1 << 63) - 1),
    lambda a: a.mov(32, Mem(rax), 1 << 32),
    lambda a: a.lea(64, rax, rcx),
    lambda a: a.lea(8, rax, Mem(rax)),
    lambda a: a.movzx(64, rax, rcx, 32),
    lambda a: a.movsx(32, rax, rcx, 32),
    lambda a: a.movzx(32, Mem(rax), rcx, 8),
    lambda a: a.bswap(16, rax),
    lambda a: a.shift("shl", 64, rax, rdx),
    lambda a: a.shift("shl", 64, rax, 256),
    lambda a: a.shift("add", 64, rax, 1),
    lambda a: a.unary("add", 64, rax),
    lambda a: a.bitcount("add", 64, rax, rcx),
    lambda a: a.test(64, rax, Mem(rax)),
    lambda a: a.imul(64, rax, rcx, 1 << 31),
    lambda a: a.setcc(Cond.e, xmm0),
    lambda a: a.cmovcc(8, Cond.e, rax, rcx),
    lambda a: a.push(xmm0),
    lambda a: a.push(1 << 31),
    lambda a: a.jmp(xmm0),
    lambda a: a.roundsd(xmm0, xmm1, 16),
    lambda a: a.cmpss(xmm0, xmm1, 8),
    lambda a: a.sse("addsd", xmm0, rax),
    lambda a: a.sse("frob", xmm0, xmm1),
    lambda a: a.movd(rax, rcx),
    lambda a: a.movss(Mem(rax), Mem(rcx)),
    lambda a: a.cvtsi2sd(16, xmm0, rax),
    lambda a: a.cvttsd2si(64, xmm0, xmm1),
    lambda a: a.emit("frob", 64),
    lambda a: a.emit("jcc", None, 4, a.new_label()),
    lambda a: a.jmp(Label(7)),
    lambda a: a.bind(Label(0)),
    lambda a: a.align(3),
    lambda a: a.align(8, "zeros"),
    lambda a: Mem(rax, rsp),
    lambda a: Mem(rax, rcx, 3),
    lambda a: Mem(rax, None, 2),
    lambda a: Mem(rax, disp=1 << 31),
    lambda a: Mem(xmm0),
    lambda a: Mem(rax, target=Label(0)),
]


@pytest.mark.parametrize("build", BAD)
def test_invalid_operands_raise(build: Callable[[Assembler], None]) -> None:
    asm = Assembler()
    asm.nop()
    with pytest.raises(ValueError):
        build(asm)
    assert asm.finish() == b"\x90"  # nothing half-emitted


def test_bool_is_not_an_immediate() -> None:
    with pytest.raises(TypeError):
        Assembler().alu("add", 64, rax, True)


def test_cond_invert() -> None:
    pairs = {"o": "no", "b": "ae", "e": "ne", "be": "a", "s": "ns", "p": "np", "l": "ge", "le": "g"}
    for cond in Cond:
        assert cond.invert().invert() is cond
        assert {cond.name, cond.invert().name} in [{k, v} for k, v in pairs.items()]


# --------------------------------------------------------------------------------------
# Labels, relocations, padding


def branch_target(insn: capstone.CsInsn) -> int:
    return int(insn.op_str, 0)


@settings(max_examples=80, deadline=None)
@given(
    kind=st.sampled_from(["jmp", "call", *Cond]),
    gap=st.one_of(st.integers(0, 300), st.sampled_from([122, 123, 124, 125, 126, 127, 128, 129])),
    backward=st.booleans(),
)
def test_branches_reach_their_labels(kind: object, gap: int, backward: bool) -> None:
    asm = Assembler()
    label = asm.new_label()

    def branch() -> None:
        if kind == "jmp":
            asm.jmp(label)
        elif kind == "call":
            asm.call(label)
        else:
            assert isinstance(kind, Cond)
            asm.jcc(kind, label)

    asm.int3()
    if backward:
        asm.bind(label)
        asm.nop(gap)
        at = asm.offset
        branch()
    else:
        at = asm.offset
        branch()
        asm.nop(gap)
        asm.bind(label)
    asm.int3()
    code = asm.finish()
    insn = next(CS.disasm(code[at:], at))
    name = kind if isinstance(kind, str) else f"j{kind.name}"
    assert (insn.mnemonic, branch_target(insn)) == (name, asm.label_offset(label))
    short = backward and kind != "call" and gap + 2 <= 128
    long = 5 if kind in ("jmp", "call") else 6
    assert insn.size == (2 if short else long)


def test_rip_relative_operands_reach_their_labels() -> None:
    asm = Assembler()
    before = asm.new_label()
    after = asm.new_label()
    asm.bind(before)
    asm.data(bytes(8))
    asm.mov(32, Mem.rip(after, 4), 0x12345678)  # an imm32 follows the disp32
    asm.lea(64, r13, Mem.rip(before))
    asm.movsd(xmm1, Mem.rip(after, -8))
    asm.cmpsd(xmm1, Mem.rip(before, 1), 3)  # an imm8 follows
    asm.bind(after)
    code = asm.finish()
    wanted = [(after, 4), (before, 0), (after, -8), (before, 1)]
    insns = list(CS.disasm(code[8:], 8))
    assert len(insns) == len(wanted)
    for insn, (label, disp) in zip(insns, wanted):
        found = re.search(r"\[rip ([+-]) (\w+)\]", insn.op_str)
        assert found, insn.op_str
        rel = int(found[2], 0) * (-1 if found[1] == "-" else 1)
        assert insn.address + insn.size + rel == asm.label_offset(label) + disp


def test_unbound_label_raises() -> None:
    asm = Assembler()
    asm.jmp(asm.new_label())
    with pytest.raises(ValueError, match="never bound"):
        asm.finish()
    asm = Assembler()
    asm.lea(64, rax, Mem.rip(asm.new_label()))
    with pytest.raises(ValueError, match="never bound"):
        asm.finish()


def test_label_binds_once() -> None:
    asm = Assembler()
    label = asm.new_label()
    asm.bind(label)
    with pytest.raises(ValueError, match="already bound"):
        asm.bind(label)


def test_jump_table_of_label_deltas() -> None:
    asm = Assembler()
    table, one, two = asm.new_label(), asm.new_label(), asm.new_label()
    asm.bind(one)
    asm.nop(5)
    asm.bind(table)
    asm.data_label_delta32(one, table)
    asm.data_label_delta32(two, table)
    asm.nop(3)
    asm.bind(two)
    code = asm.finish()
    assert [int.from_bytes(code[i : i + 4], "little", signed=True) for i in (5, 9)] == [-5, 11]


def test_relocations_patch_to_their_targets() -> None:
    asm = Assembler()
    asm.nop(3)
    asm.call_rel32("f")
    asm.jmp_rel32("g")
    asm.jcc(Cond.ne, Symbol("h"))
    asm.mov_abs64(r8, "data", 16)
    asm.mov(32, Mem.rip(Symbol("data"), 4), 0x1234)
    code = bytearray(asm.finish())
    where = {"f": 0x1000, "g": 0x40, "h": 0x3, "data": 0x2000}
    for r in asm.relocs:
        if r.kind is RelocKind.REL32:
            patch_rel32(code, r.offset, where[r.symbol], r.addend)
        else:
            patch_abs64(code, r.offset, where[r.symbol] + r.addend)
    insns = list(CS.disasm(bytes(code), 0))[1:]  # after the 3-byte nop
    assert [(i.mnemonic, i.op_str) for i in insns[:4]] == [
        ("call", "0x1000"),
        ("jmp", "0x40"),
        ("jne", "3"),
        ("movabs", "r8, 0x2010"),
    ]
    last = insns[4]
    rel = int(re.search(r"rip \+ (\w+)", last.op_str)[1], 0)  # type: ignore[index]
    assert last.address + last.size + rel == 0x2000 + 4
    with pytest.raises(ValueError):
        patch_rel32(code, 0, 1 << 32)


def test_nops_and_alignment() -> None:
    for n in range(40):
        insns = list(CS.disasm(nop_bytes(n), 0))
        assert sum(i.size for i in insns) == n
        assert {i.mnemonic for i in insns} <= {"nop"}
        assert len(insns) == -(-n // 9)
    asm = Assembler()
    asm.int3()
    asm.align(16)
    assert asm.offset == 16
    asm.align(16)
    assert asm.offset == 16
    asm.ret()
    asm.align(8, "int3")
    assert asm.finish()[17:] == b"\xcc" * 7


if __name__ == "__main__":
    if sys.argv[1:] != ["--regen"]:
        sys.exit("usage: python3 -m tests.amd64.test_encoding --regen")
    regenerate_table()


# --------------------------------------------------------------------------------------
# VEX: the twins made from SSE rows, and rows written in VEX notation


VEX_SAMPLE_ROWS = [
    ("psrld", "-", "xr, u8", "66 0F 72 /2 ib"),  # twin: vpsrld v, xr, u8 (dst in vvvv)
    ("pinsrq", "64", "x, rm, u8", "66 0F 3A 22 /r ib"),  # twin: W1, a GPR source
    ("pinsrd", "32", "x, rm, u8", "66 0F 3A 22 /r ib"),
    ("pshufd", "-", "x, xm128, u8", "66 0F 70 /r ib"),  # no extra source
    ("pmovsxbw", "-", "x, xm64", "66 0F 38 20 /r"),
    ("pmaddwd", "-", "x, xm128", "66 0F F5 /r"),
    ("cvtdq2ps", "-", "x, xm128", "0F 5B /r"),  # no mandatory prefix
]


def vex_sample_forms() -> list[Form]:
    from wazaot.amd64.encoding import parse_row
    from wazaot.amd64.encoding_sse import vex_twins

    rows = vex_twins(VEX_SAMPLE_ROWS, {"pshufd", "pmovsxbw", "cvtdq2ps"}) + [
        ("vblendvps", "-", "x, v, xm128, x4", "VEX.128.66.0F3A.W0 4A /r is4"),
        ("vpbroadcastd", "-", "x, xm32", "VEX.128.66.0F38.W0 58 /r"),
        ("vpermilps", "-", "x, xm128, u8", "VEX.128.66.0F3A.W0 04 /r ib"),
    ]
    assert [r[2] for r in rows[:3]] == ["v, xr, u8", "x, v, rm, u8", "x, v, rm, u8"]
    return [form for row in rows for form in parse_row(row)]


@pytest.mark.parametrize("form", vex_sample_forms(), ids=str)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_vex_sample_forms_round_trip_through_capstone(form: Form, data: st.DataObject) -> None:
    ops = gen_operands(DrawChooser(data), form)
    code, rip_disp = encode(form, ops)
    want = canon(expected_text(form, ops, rip_disp), form.op_size or 64)
    assert canon(capstone_text(decode_one(code)), form.op_size or 64) == want, code.hex()


@needs_gas
def test_vex_sample_forms_match_gnu_as() -> None:
    samples = []
    for form in vex_sample_forms():
        chooser = RandomChooser(str(form))
        samples += [(form, gen_operands(chooser, form, rip=False)) for _ in range(20)]
    theirs = gas([expected_text(f, ops, gas=True) for f, ops in samples])
    for (form, ops), their in zip(samples, theirs):
        assert encode(form, ops)[0] == their, (str(form), ops)
