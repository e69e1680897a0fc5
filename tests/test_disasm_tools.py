"""Tests of disasm_tools: capstone-backed listings for amd64 and arm64.

The amd64 bytes come from wazaot's own assembler; the arm64 words are built from their
encoding fields (Arm ARM C6.2), so no test holds hand-typed machine code.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from disasm_tools import ARCHES, Insn, disassemble, format_listing
from disasm_tools.disasm import main
from wazaot.amd64.encoding import Assembler, Mem
from wazaot.amd64.regs import rax, rcx, rsp

REPO_ROOT = Path(__file__).resolve().parent.parent


def amd64_sample() -> bytes:
    asm = Assembler()
    asm.alu("add", 64, rax, 1)
    asm.mov(32, rcx, Mem(rsp, disp=8))
    asm.ret()
    return asm.finish()


def arm64_movz(rd: int, imm16: int) -> int:
    """MOVZ Xd, #imm16 (C6.2.225): sf=1 opc=10 100101 hw=00 imm16 Rd."""
    return 0xD2800000 | imm16 << 5 | rd


def arm64_add(rd: int, rn: int, rm: int) -> int:
    """ADD Xd, Xn, Xm (shifted register, C6.2.5): sf=1 0 0 01011 shift=00 0 Rm imm6=0 Rn Rd."""
    return 0x8B000000 | rm << 16 | rn << 5 | rd


ARM64_RET = 0xD65F0000 | 30 << 5  # RET (C6.2.254): 1101011 0 0 10 11111 000000 Rn=x30 00000


def arm64_sample() -> bytes:
    words = [arm64_movz(0, 42), arm64_add(0, 0, 1), ARM64_RET]
    return b"".join(w.to_bytes(4, "little") for w in words)


def test_amd64() -> None:
    insns = disassemble(amd64_sample())
    assert [i.text for i in insns] == ["add rax, 1", "mov ecx, dword ptr [rsp + 8]", "ret"]
    assert [i.address for i in insns] == [0, 4, 8]
    assert b"".join(i.bytes for i in insns) == amd64_sample()
    assert insns[2] == Insn(8, b"\xc3", "ret", "")


def test_arm64() -> None:
    insns = disassemble(arm64_sample(), arch="arm64", address=0x1000)
    assert [i.text for i in insns] == ["mov x0, #0x2a", "add x0, x0, x1", "ret"]
    assert [i.address for i in insns] == [0x1000, 0x1004, 0x1008]


def test_arch_aliases_and_errors() -> None:
    assert set(ARCHES) == {"amd64", "arm64"}
    assert disassemble(amd64_sample(), "x86_64") == disassemble(amd64_sample())
    assert disassemble(arm64_sample(), "aarch64") == disassemble(arm64_sample(), "arm64")
    with pytest.raises(ValueError, match="unknown architecture"):
        disassemble(b"\x90", "mips")


def test_undecodable_bytes_do_not_stop_the_listing() -> None:
    code = b"\x06" + amd64_sample()  # 06 (push es) is invalid in 64-bit mode
    insns = disassemble(code)
    assert insns[0].mnemonic == ".byte"
    assert [i.text for i in insns[1:]] == [i.text for i in disassemble(amd64_sample(), address=1)]


def test_format_listing() -> None:
    lines = format_listing(disassemble(amd64_sample(), address=0x400)).splitlines()
    assert len(lines) == 3
    fields = re.fullmatch(r" *([0-9a-f]+):  ((?:[0-9a-f]{2} ?)+) +(.*)", lines[1])
    assert fields is not None, lines[1]
    assert int(fields[1], 16) == 0x404
    assert bytes.fromhex(fields[2]) == amd64_sample()[4:8]
    assert fields[3] == "mov ecx, dword ptr [rsp + 8]"
    # The text column is aligned.
    assert len({line.index(t) for line, t in zip(lines, ["add", "mov", "ret"])}) == 1
    assert format_listing([]) == ""


def test_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "code.bin"
    path.write_bytes(arm64_sample())
    assert main([str(path), "--arch", "arm64", "--address", "0x10"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:2] == ["10:", "40"]
    assert out.rstrip().endswith("ret")


def test_command_line(tmp_path: Path) -> None:
    path = tmp_path / "code.bin"
    path.write_bytes(amd64_sample())
    result = subprocess.run(
        [sys.executable, "-m", "disasm_tools.disasm", str(path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == format_listing(disassemble(amd64_sample())) + "\n"
