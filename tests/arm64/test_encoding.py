"""Tests of the arm64 encoders (wazaot.arm64.encoding*) against capstone and GNU as.

* Every encoding function has a case in ``cases_alu.py``, ``cases_ctl.py``, ``cases_mem_fp.py``,
  ``cases_simd.py`` or ``cases_simd_lanes.py`` (``CASES``, named after it) that draws its
  operands and says how the instruction must read: capstone's spelling (the Arm ARM's
  preferred disassembly, aliases included) and, where it differs, what GNU ``as`` is
  given (``ubfx`` rather than the ``lsr`` it prints as; ``.+8`` for a branch target).
  Hypothesis draws operands for each case, capstone decodes the word, and the texts must
  agree; where ``aarch64-linux-gnu-as`` is installed, a seeded sample of every case is
  assembled by it and the words must be equal.
* ``TABLE`` pins a dozen words to what GNU as makes of their text. Regenerate its hex
  column (rewrites this file in place) with::

      python3 -m tests.arm64.test_encoding --regen

* The :class:`Assembler`: labels, fixups of every PC-relative form, range errors,
  alignment, data.
"""

from __future__ import annotations

import inspect
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import capstone
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wazaot.arm64 import (
    encoding,
    encoding_alu,
    encoding_fp,
    encoding_mem,
    encoding_simd,
    encoding_simd_lanes,
)
from wazaot.arm64 import encoding_alu as alu
from wazaot.arm64 import encoding_fp as fpe
from wazaot.arm64 import encoding_mem as mem
from wazaot.arm64.args import CacheOp, Cond, Extend, Label, PairIndex, SysReg
from wazaot.arm64.encoding import Assembler, BranchRangeError
from wazaot.arm64.imms import (
    FpImm8,
    Imm12,
    LogicalImm,
    MoveWide,
    MoveWideOp,
    SImm7Scaled,
    UImm12Scaled,
)
from wazaot.arm64.regs import VECS, sp, x0, x1, x2, x29, x30

from . import cases_alu, cases_ctl, cases_mem_fp, cases_simd, cases_simd_lanes
from .cases import Case, DrawChooser, RandomChooser

CASES: dict[str, Case] = {
    **cases_alu.CASES, **cases_ctl.CASES, **cases_mem_fp.CASES, **cases_simd.CASES,
    **cases_simd_lanes.CASES,
}  # fmt: skip

CS = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)


# --------------------------------------------------------------------------------------
# Canonical text: capstone prints numbers freely (#8, #0x10, #-0x10, #0xffff...ff00,
# #1.00000000); both sides are reduced to one spelling before they are compared.

NUMBER = re.compile(r"#(-?(?:0x[0-9a-f]+|\d+))(?![.\d])")
FLOAT = re.compile(r"#(-?\d+\.\d+)")


def canon(text: str) -> str:
    """Immediates reduced modulo 2**32 for instructions on w registers, else 2**64;
    floats to Python's repr; whitespace collapsed."""
    text = " ".join(text.lower().split())
    mnemonic, _, rest = text.partition(" ")
    if mnemonic == "ins":  # capstone 4 (Debian's) does not print its alias mov
        mnemonic = "mov"
    bits = 32 if re.match(r"w(\d|zr|sp)", rest) else 64
    rest = NUMBER.sub(lambda m: f"#{int(m[1], 0) % (1 << bits):#x}", rest)
    rest = FLOAT.sub(lambda m: f"#{float(m[1])!r}", rest)
    return f"{mnemonic} {rest}".strip()


def decode(word: int) -> str:
    insns = list(CS.disasm(struct.pack("<I", word), 0))
    assert len(insns) == 1, f"capstone cannot decode {word:08x}"
    return f"{insns[0].mnemonic} {insns[0].op_str}"


# --------------------------------------------------------------------------------------
# Every case against capstone


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_case_round_trips_through_capstone(name: str, data: st.DataObject) -> None:
    sample = CASES[name](DrawChooser(data))
    assert 0 <= sample.word < 1 << 32
    assert canon(decode(sample.word)) == canon(sample.text), f"{sample.word:08x}"


ENCODER_MODULES = (encoding, encoding_alu, encoding_mem, encoding_fp, encoding_simd,
                   encoding_simd_lanes)  # fmt: skip


def test_every_encoding_function_has_a_case() -> None:
    public = {
        n
        for module in ENCODER_MODULES
        for n, f in vars(module).items()
        if inspect.isfunction(f) and f.__module__ == module.__name__ and not n.startswith("_")
    }
    assert len(public) > 80
    assert public - set(CASES) == set()


# --------------------------------------------------------------------------------------
# GNU as as a second oracle

AS = shutil.which("aarch64-linux-gnu-as")
OBJCOPY = shutil.which("aarch64-linux-gnu-objcopy")
needs_gas = pytest.mark.skipif(
    AS is None or OBJCOPY is None,
    reason="GNU as for aarch64 not installed (apt-get install binutils-aarch64-linux-gnu)",
)


def gas(lines: Sequence[str]) -> list[int]:
    """Assemble each line with GNU as for aarch64; one instruction word per line."""
    assert AS is not None and OBJCOPY is not None
    with tempfile.TemporaryDirectory() as tmp:
        src, obj, raw = (Path(tmp) / n for n in ("in.s", "in.o", "in.bin"))
        src.write_text(".text\n" + "".join(f"{line}\n" for line in lines))
        proc = subprocess.run([AS, "-o", str(obj), str(src)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[:3000]
        subprocess.run([OBJCOPY, "-O", "binary", "-j", ".text", str(obj), str(raw)], check=True)
        blob = raw.read_bytes()
    assert len(blob) == 4 * len(lines)
    return list(struct.unpack(f"<{len(lines)}I", blob))


@needs_gas
def test_cases_match_gnu_as() -> None:
    samples = []
    for case_name, gen in sorted(CASES.items()):
        chooser = RandomChooser(case_name)
        samples += [(case_name, s) for s in (gen(chooser) for _ in range(12)) if s.gas != ""]
    theirs = gas([s.gas_text for _, s in samples])
    wrong = [
        f"{case_name}: {s.gas_text!r}: ours {s.word:08x}, as {their:08x}"
        for (case_name, s), their in zip(samples, theirs)
        if s.word != their
    ]
    assert not wrong, "\n".join(wrong[:30])


# --------------------------------------------------------------------------------------
# A table of representative instructions: (text, word from `as`, how we encode it)

TABLE: list[tuple[str, str, Callable[[], int]]] = [
    ("add x0, x1, #5", "91001420", lambda: alu.add_sub_imm(alu.AddSubOp.add, 64, x0, x1, Imm12(5))),
    ("sub sp, sp, #0x10, lsl #12", "d14043ff", lambda: alu.add_sub_imm(alu.AddSubOp.sub, 64, sp, sp, Imm12(16, True))),
    ("and w0, w1, #0xffffff00", "12185c20", lambda: alu.logical_imm(alu.LogicOp.and_, 32, x0, x1, LogicalImm.try_from(0xFFFFFF00, 32))),  # type: ignore[arg-type]
    ("movk x0, #0x1234, lsl #48", "f2e24680", lambda: alu.move_wide(MoveWideOp.movk, 64, x0, MoveWide(0x1234, 48))),
    ("lsl x0, x1, #3", "d37df020", lambda: alu.lsl_imm(64, x0, x1, 3)),
    ("csinc w0, wzr, wzr, ne", "1a9f17e0", lambda: alu.cset(32, x0, Cond.eq)),
    ("ldr x0, [x1, #8]", "f9400420", lambda: mem.ldst_uimm(mem.LdSt.ldr_x, x0, x1, UImm12Scaled(8, 8))),
    ("ldr w0, [x1, w2, sxtw #2]", "b862d820", lambda: mem.ldst_reg(mem.LdSt.ldr_w, x0, x1, x2, Extend.sxtw, True)),
    ("stp x29, x30, [sp, #-16]!", "a9bf7bfd", lambda: mem.ldst_pair(mem.PairOp.stp_x, PairIndex.pre, x29, x30, sp, SImm7Scaled(-16, 8))),
    ("fcvtzs w0, d1", "1e780020", lambda: fpe.fp_int(fpe.FpIntOp.fcvtzs, 32, 64, x0, VECS[1])),
    ("fmov d0, #1.0", "1e6e1000", lambda: fpe.fp_imm(64, VECS[0], FpImm8.try_from(1.0))),  # type: ignore[arg-type]
    ("cnt v0.8b, v0.8b", "0e205800", lambda: fpe.simd_cnt(False, VECS[0], VECS[0])),
    ("mov v1.16b, v2.16b", "4ea21c41", lambda: fpe.vec_mov(VECS[1], VECS[2])),
    ("movi v0.2d, #0000000000000000", "6f00e400", lambda: fpe.vec_zero(VECS[0])),
    ("mov v3.d[1], x1", "4e181c23", lambda: fpe.vec_ins_x(VECS[3], 1, x1)),
    ("ldr q0, [x1, #32]", "3dc00820", lambda: mem.ldst_uimm(mem.LdSt.ldr_q, VECS[0], x1, UImm12Scaled(32, 16))),
    ("dc cvau, x1", "d50b7b21", lambda: encoding.cache_maint(CacheOp.dc_cvau, x1)),
    ("mrs x0, ctr_el0", "d53b0020", lambda: encoding.mrs(x0, SysReg.ctr_el0)),
]  # fmt: skip


@pytest.mark.parametrize("text, hexword, build", TABLE, ids=[t for t, _, _ in TABLE])
def test_table(text: str, hexword: str, build: Callable[[], int]) -> None:
    assert f"{build():08x}" == hexword


@needs_gas
def test_table_is_what_gas_assembles() -> None:
    assert [f"{w:08x}" for w in gas([t for t, _, _ in TABLE])] == [h for _, h, _ in TABLE]


def regenerate_table() -> None:
    """Rewrite TABLE's hex column in this file from GNU as."""
    path = Path(__file__)
    source = path.read_text()
    for (text, old, _), new in zip(TABLE, gas([t for t, _, _ in TABLE])):
        source = source.replace(f'("{text}", "{old}"', f'("{text}", "{new:08x}"')
        print(f"{text:40} {new:08x}" + ("" if f"{new:08x}" == old else f"  (was {old})"))
    path.write_text(source)


# --------------------------------------------------------------------------------------
# The Assembler: labels and fixups


def listing(code: bytes | bytearray, address: int = 0) -> list[str]:
    """Capstone's text of ``code``, placed at ``address``."""
    return [f"{i.mnemonic} {i.op_str}".strip() for i in CS.disasm(bytes(code), address)]


FORMS: dict[str, tuple[Callable[[Assembler, Label], None], int]] = {
    "b": (lambda a, label: a.b(label), 26),
    "bl": (lambda a, label: a.bl(label), 26),
    "b.ne": (lambda a, label: a.b_cond(Cond.ne, label), 19),
    "cbz": (lambda a, label: a.cbz(64, x1, label), 19),
    "cbnz": (lambda a, label: a.cbnz(32, x1, label), 19),
    "tbz": (lambda a, label: a.tbz(x2, 33, label), 14),
    "tbnz": (lambda a, label: a.tbnz(x2, 3, label), 14),
    "adr": (lambda a, label: a.adr(x0, label), 21),
    "ldr": (lambda a, label: a.ldr_literal(mem.LiteralOp.ldr_d, VECS[7], label), 19),
}


@pytest.mark.parametrize("form", sorted(FORMS))
@settings(max_examples=20, deadline=None)
@given(gap=st.integers(0, 3000), backward=st.booleans())
def test_label_forms_reach_their_labels(form: str, gap: int, backward: bool) -> None:
    emit, _ = FORMS[form]
    asm = Assembler()
    label = asm.new_label()
    asm.emit(encoding.brk(0))
    if backward:
        asm.bind(label)
        asm.data(bytes(4 * gap))
        at = asm.offset
        emit(asm, label)
    else:
        at = asm.offset
        emit(asm, label)
        asm.data(bytes(4 * gap))
        asm.bind(label)
    code = asm.finish()
    text = listing(code[at : at + 4], at)[0]
    assert text.split()[0] == form
    assert int(text.rsplit("#", 1)[1], 0) == asm.label_offset(label)


def forward(form: str, distance: int) -> Assembler:
    """An assembler with ``form`` at 0 referring to a label ``distance`` bytes ahead."""
    asm = Assembler()
    label = asm.new_label()
    FORMS[form][0](asm, label)
    asm.data(bytes(distance - 4))
    asm.bind(label)
    return asm


@pytest.mark.parametrize("form", sorted(FORMS))
def test_out_of_range_labels_raise(form: str) -> None:
    bits = FORMS[form][1]
    if bits > 21:
        pytest.skip("±128 MiB: BranchOffset26's range is tested in test_imms")
    scale = 1 if form == "adr" else 4
    limit = scale << (bits - 1)  # the first distance out of range
    with pytest.raises(BranchRangeError, match="out of range") as info:
        forward(form, limit).finish()
    assert (info.value.distance, info.value.at) == (limit, 0)
    code = forward(form, limit - scale).finish()
    assert int(listing(code[:4])[0].rsplit("#", 1)[1], 0) == limit - scale


def test_unbound_and_foreign_labels_raise() -> None:
    asm = Assembler()
    asm.b(asm.new_label())
    with pytest.raises(ValueError, match="never bound"):
        asm.finish()
    with pytest.raises(ValueError, match="not made by this assembler"):
        Assembler().b(Label(5))


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
    asm.emit(encoding.nop())
    asm.bind(table)
    asm.data_label_delta32(one, table)
    asm.data_label_delta32(two, table)
    asm.emit(encoding.nop())
    asm.bind(two)
    code = asm.finish()
    assert struct.unpack_from("<2i", code, 4) == (-4, 12)


def test_alignment_and_data() -> None:
    asm = Assembler()
    asm.emit(encoding.ret())
    asm.align(16)
    assert asm.offset == 16 and listing(asm.buf[4:16]) == ["nop"] * 3
    asm.align(16)
    assert asm.offset == 16
    asm.data(b"\x01")
    asm.align(8, "udf")
    code = asm.finish()
    assert code[16:] == b"\x01\0\0\0" + bytes(4)
    assert listing(code[20:]) == ["udf #0"]
    for bad in (lambda: asm.align(3), lambda: asm.align(8, "zeros")):
        with pytest.raises(ValueError):
            bad()


def test_a_loop_assembles() -> None:
    asm = Assembler()
    top, done = asm.new_label(), asm.new_label()
    asm.bind(top)
    asm.cbz(64, x0, done)
    asm.emit(alu.add_sub_imm(alu.AddSubOp.sub, 64, x0, x0, Imm12(1)))
    asm.b(top)
    asm.bind(done)
    asm.emit(encoding.ret())
    assert listing(asm.finish()) == ["cbz x0, #0xc", "sub x0, x0, #1", "b #0", "ret"]


if __name__ == "__main__":
    if sys.argv[1:] != ["--regen"]:
        sys.exit("usage: python3 -m tests.arm64.test_encoding --regen")
    regenerate_table()
