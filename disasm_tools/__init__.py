"""Disassembly helpers for inspecting wazaot's generated code (capstone-based).

See :mod:`disasm_tools.disasm`; ``python3 -m disasm_tools.disasm FILE`` lists a raw
binary file.
"""

from __future__ import annotations

from disasm_tools.disasm import ARCHES, Insn, disassemble, format_listing

__all__ = ["ARCHES", "Insn", "disassemble", "format_listing"]
