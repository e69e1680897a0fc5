"""Shared fixtures for the native-memory tests: tiny machine-code functions and maps.

The machine code below is hand-written; ``test_native_samples.py`` disassembles every
sample with capstone and compares it with ``text``, which is the oracle for the bytes
(``PYTHONPATH=. python tests/native/conftest.py`` prints capstone's text for all).
"""

from __future__ import annotations

import re
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from wazaot.native import libc


@dataclass(frozen=True)
class CodeSample:
    """A small function in machine code, with the text capstone prints for it."""

    arch: str  # "amd64" or "arm64"
    name: str
    code: bytes
    text: tuple[str, ...]


def _arm64(*words: int) -> bytes:
    return b"".join(struct.pack("<I", w) for w in words)


SAMPLES: dict[tuple[str, str], CodeSample] = {
    (s.arch, s.name): s
    for s in (
        # int64_t add(int64_t a, int64_t b) { return a + b; }
        CodeSample(
            "amd64",
            "add",
            bytes.fromhex("4889f84801f0c3"),
            ("mov rax, rdi", "add rax, rsi", "ret"),
        ),
        CodeSample(
            "arm64",
            "add",
            _arm64(0x8B010000, 0xD65F03C0),
            ("add x0, x0, x1", "ret"),
        ),
        # int64_t spin(int64_t n) { while (--n) ; return 0; }   (n >= 1)
        CodeSample(
            "amd64",
            "spin",
            bytes.fromhex("4889f84883e80175fac3"),
            ("mov rax, rdi", "sub rax, 1", "jne 3", "ret"),
        ),
        CodeSample(
            "arm64",
            "spin",
            _arm64(0xF1000400, 0x54FFFFE1, 0xD65F03C0),
            ("subs x0, x0, #1", "b.ne #0", "ret"),
        ),
        # A stand-in for the entry trampoline's signature:
        # int64_t f(void *exec, void *module, void *code, uint64_t *slots)
        # { slots[0] = slots[0] + slots[1]; return 0; }
        CodeSample(
            "amd64",
            "entry",
            bytes.fromhex("488b014803410848890131c0c3"),
            (
                "mov rax, qword ptr [rcx]",
                "add rax, qword ptr [rcx + 8]",
                "mov qword ptr [rcx], rax",
                "xor eax, eax",
                "ret",
            ),
        ),
        CodeSample(
            "arm64",
            "entry",
            _arm64(0xA9401464, 0x8B050084, 0xF9000064, 0xD2800000, 0xD65F03C0),
            ("ldp x4, x5, [x3]", "add x4, x4, x5", "str x4, [x3]", "mov x0, #0", "ret"),
        ),
    )
}


_CAPSTONE4_MOVZ = re.compile(r"movz (\w+), #(0x[0-9a-f]+|\d+)$")


def _capstone5_spelling(text: str) -> str:
    """Spell capstone 4's ``movz x3, #0x4`` as capstone 5 does (``mov x3, #4``).

    Debian bookworm's python3-capstone (4.0.2, the one in the arm64 root of scripts/arm64-root)
    does not print the MOV alias of an unshifted MOVZ; this is the only difference the
    samples here meet.
    """
    m = _CAPSTONE4_MOVZ.match(text)
    if m is None:
        return text
    value = int(m.group(2), 0)
    return f"mov {m.group(1)}, #{value if value < 10 else hex(value)}"


def disassemble(arch: str, code: bytes) -> tuple[str, ...]:
    """The instructions of ``code`` as capstone (5) prints them, one string each."""
    import capstone

    if arch == "amd64":
        md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    else:
        md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    return tuple(
        _capstone5_spelling(f"{i.mnemonic} {i.op_str}".strip()) for i in md.disasm(code, 0)
    )


def under_emulation() -> bool:
    """Whether this arm64 Python runs under qemu-user on an x86-64 host.

    qemu-user passes the host's /proc/cpuinfo through, and only x86 kernels print
    ``vendor_id`` there. Memory figures of such a process are qemu's, not the guest's.
    """
    if libc.MACHINE != "arm64" or not sys.platform.startswith("linux"):
        return False
    try:
        with open("/proc/cpuinfo") as f:
            return "vendor_id" in f.read()
    except OSError:
        return False


def host_sample(name: str) -> CodeSample:
    """The sample ``name`` for the host architecture; skips on other hosts."""
    sample = SAMPLES.get((libc.MACHINE, name))
    if sample is None:
        pytest.skip(f"no {name!r} machine code for host {libc.MACHINE}")
    return sample


def mapping_perms(address: int) -> str | None:
    """The permissions (``"r-xp"``...) of the mapping containing ``address``, from
    /proc/self/maps, or None when nothing is mapped there."""
    with open("/proc/self/maps") as f:
        for line in f:
            span, perms = line.split()[:2]
            start, end = (int(x, 16) for x in span.split("-"))
            if start <= address < end:
                return perms
    return None


@pytest.fixture
def maps() -> Callable[[int], str | None]:
    """``mapping_perms``; skips where there is no /proc/self/maps."""
    if not sys.platform.startswith("linux"):
        pytest.skip("needs /proc/self/maps (Linux)")
    return mapping_perms


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run a test taking ``any_sample`` once per machine-code sample, on any host."""
    if "any_sample" in metafunc.fixturenames:
        values = list(SAMPLES.values())
        metafunc.parametrize("any_sample", values, ids=[f"{s.arch}-{s.name}" for s in values])


@pytest.fixture
def host_code() -> Callable[[str], CodeSample]:
    """``host_sample``: look up a sample for the host architecture."""
    return host_sample


@pytest.fixture
def emulated() -> bool:
    """``under_emulation()``."""
    return under_emulation()


@pytest.fixture
def disasm() -> Callable[[str, bytes], tuple[str, ...]]:
    """``disassemble``: capstone's text for (arch, code)."""
    return disassemble


if __name__ == "__main__":
    for sample in SAMPLES.values():
        print(f"{sample.arch} {sample.name}:")
        for line in disassemble(sample.arch, sample.code):
            print(f"    {line}")
