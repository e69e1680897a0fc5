"""Disassemble x86-64 or arm64 machine code with capstone.

    >>> from disasm_tools.disasm import disassemble, format_listing
    >>> print(format_listing(disassemble(bytes.fromhex("4883c001c3"))))
           0:  48 83 c0 01  add rax, 1
           4:  c3           ret

x86-64 is printed in Intel syntax. Bytes that do not decode are listed as ``.byte``
directives (capstone's skip-data mode) so that a listing never stops early.

Command line: ``python3 -m disasm_tools.disasm FILE [--arch amd64|arm64] [--address N]``
disassembles a raw binary file (for example one written by ``objcopy -O binary``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import capstone

ARCHES = ("amd64", "arm64")
"""The architectures :func:`disassemble` accepts (``x86_64`` and ``aarch64`` also work)."""

_ALIASES = {"amd64": "amd64", "x86_64": "amd64", "x86-64": "amd64",
            "arm64": "arm64", "aarch64": "arm64"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Insn:
    """One decoded instruction."""

    address: int
    bytes: bytes
    mnemonic: str
    op_str: str

    @property
    def text(self) -> str:
        """``mnemonic op_str``, the assembler's spelling of the instruction."""
        return f"{self.mnemonic} {self.op_str}".rstrip()


def _capstone_arch(arch: str) -> tuple[int, int]:
    """(capstone architecture, mode) for ``arch``."""
    name = _ALIASES.get(arch.lower())
    if name == "amd64":
        return capstone.CS_ARCH_X86, capstone.CS_MODE_64
    if name == "arm64":
        # Capstone 6 renamed ARM64 to AARCH64; 5 only has the old name.
        cs_arch = getattr(capstone, "CS_ARCH_AARCH64", None)
        if cs_arch is None:
            cs_arch = capstone.CS_ARCH_ARM64
        return cs_arch, capstone.CS_MODE_ARM
    raise ValueError(f"unknown architecture {arch!r}; expected one of {ARCHES}")


@cache
def _disassembler(arch: str) -> capstone.Cs:
    cs = capstone.Cs(*_capstone_arch(arch))
    cs.skipdata = True
    return cs


def disassemble(code: bytes, arch: str = "amd64", address: int = 0) -> list[Insn]:
    """Decode all of ``code`` as if loaded at ``address``."""
    cs = _disassembler(_ALIASES.get(arch.lower(), arch))
    return [
        Insn(i.address, bytes(i.bytes), i.mnemonic, i.op_str)
        for i in cs.disasm(bytes(code), address)
    ]


def format_listing(insns: Iterable[Insn]) -> str:
    """One line per instruction: address, hex bytes, assembler text."""
    insns = list(insns)
    width = max((3 * len(i.bytes) - 1 for i in insns), default=0)
    return "\n".join(
        f"{i.address:8x}:  {i.bytes.hex(' '):<{width}}  {i.text}".rstrip() for i in insns
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python3 -m disasm_tools.disasm``."""
    parser = argparse.ArgumentParser(
        prog="python3 -m disasm_tools.disasm", description="Disassemble a raw binary file."
    )
    parser.add_argument("file", help="raw machine code (not an ELF or Mach-O file)")
    parser.add_argument("--arch", default="amd64", choices=sorted(_ALIASES))
    parser.add_argument(
        "--address", default="0", type=lambda s: int(s, 0), help="load address (0x... ok)"
    )
    args = parser.parse_args(argv)
    with open(args.file, "rb") as f:
        code = f.read()
    listing = format_listing(disassemble(code, args.arch, args.address))
    if listing:
        print(listing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
