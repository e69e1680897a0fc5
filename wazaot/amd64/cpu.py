"""What the x86-64 processor running the code supports, asked with ``cpuid``.

Code generation needs to know, because some instructions do something else when
unsupported instead of faulting: without ABM, ``lzcnt`` executes as ``bsr``, and
without BMI1, ``tzcnt`` executes as ``bsf`` (different results for a zero input).
SSE4.1 (``roundss``/``roundsd``) is required.
"""

from __future__ import annotations

import functools
import platform
from dataclasses import dataclass

from ..errors import UnsupportedError
from ..native.call import ffi
from ..native.execmem import CodeMemory
from .args import Mem
from .encoding import Assembler
from .regs import r8, rax, rbx, rcx, rdi, rdx, rsi


@dataclass(frozen=True, slots=True)
class Features:
    lzcnt: bool
    tzcnt: bool
    popcnt: bool
    sse41: bool


ALL = Features(lzcnt=True, tzcnt=True, popcnt=True, sse41=True)


def _cpuid(leaf: int, subleaf: int = 0) -> tuple[int, int, int, int]:
    """Run ``cpuid`` natively: returns (eax, ebx, ecx, edx)."""
    asm = Assembler()  # void f(uint32 leaf, uint32 subleaf, uint32 out[4]) (SysV)
    asm.push(rbx)
    asm.mov(64, r8, rdx)
    asm.mov(32, rax, rdi)
    asm.mov(32, rcx, rsi)
    asm.cpuid()
    for i, reg in enumerate((rax, rbx, rcx, rdx)):
        asm.mov(32, Mem(r8, disp=4 * i), reg)
    asm.pop(rbx)
    asm.ret()
    out = ffi.new("uint32_t[4]")
    with CodeMemory.from_code(asm.finish()) as code:
        ffi.cast("void (*)(uint32_t, uint32_t, uint32_t *)", code.address)(leaf, subleaf, out)
    return out[0], out[1], out[2], out[3]


@functools.cache
def host_features() -> Features:
    """The features of this machine's processor (x86-64 hosts only)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return ALL  # cross-compiling: assume a recent processor
    max_leaf = _cpuid(0)[0]
    _, _, ecx1, _ = _cpuid(1)
    ebx7 = _cpuid(7)[1] if max_leaf >= 7 else 0
    max_ext = _cpuid(0x8000_0000)[0]
    ecx_ext = _cpuid(0x8000_0001)[2] if max_ext >= 0x8000_0001 else 0
    return Features(
        lzcnt=bool(ecx_ext & (1 << 5)),  # ABM
        tzcnt=bool(ebx7 & (1 << 3)),  # BMI1
        popcnt=bool(ecx1 & (1 << 23)),
        sse41=bool(ecx1 & (1 << 19)),
    )


def require(features: Features) -> None:
    if not features.sse41:
        raise UnsupportedError("the x86-64 backend needs SSE4.1 (roundss/roundsd)")
