"""Capstone is the oracle for every hand-written machine-code byte in the native tests."""

from __future__ import annotations

from wazaot.native import jit


def test_sample_disassembles_to_its_text(any_sample, disasm) -> None:
    assert disasm(any_sample.arch, any_sample.code) == any_sample.text


def test_arm64_flush_routine_disassembles_to_its_text(disasm) -> None:
    assert disasm("arm64", jit.ARM64_FLUSH_ROUTINE) == jit.ARM64_FLUSH_ROUTINE_TEXT
