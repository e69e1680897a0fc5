"""What the x86-64 processor running the code supports, asked with ``cpuid``.

Code generation needs to know, because some instructions do something else when
unsupported instead of faulting: without ABM, ``lzcnt`` executes as ``bsr``, and
without BMI1, ``tzcnt`` executes as ``bsf`` (different results for a zero input).
SSE4.1 (``roundss``/``roundsd``) and SSSE3 (``pshufb``) are required. SIMD code uses
SSE4.2 (``pcmpgtq``), AVX (the three-operand VEX forms) and AVX2 where they are
present.

``$WAZAOT_X86_FEATURES`` turns features off for testing, e.g. ``-avx,-avx2`` to
compile the SSE code on a processor with AVX (turning on one the processor lacks is
refused).
"""

from __future__ import annotations

import functools
import os
import platform
from dataclasses import dataclass, fields, replace

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
    ssse3: bool = True
    sse42: bool = True
    avx: bool = True
    avx2: bool = True

    def vector_features(self) -> frozenset[str]:
        """The features SIMD implementations choose by (``VectorTable`` ``when=``)."""
        return frozenset(name for name in _VECTOR if getattr(self, name))


_VECTOR = ("sse42", "avx", "avx2")
ALL = Features(lzcnt=True, tzcnt=True, popcnt=True, sse41=True)
FEATURES_ENV = "WAZAOT_X86_FEATURES"


def _xcr0() -> int:
    """The low word of XCR0 (which register states the OS saves); needs OSXSAVE."""
    asm = Assembler()  # uint32 f(void)
    asm.alu("xor", 32, rcx, rcx)
    asm.xgetbv()
    asm.ret()
    with CodeMemory.from_code(asm.finish()) as code:
        return int(ffi.cast("uint32_t (*)(void)", code.address)())


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
    """The features of this machine's processor (x86-64 hosts only), less those
    ``$WAZAOT_X86_FEATURES`` turns off."""
    return restrict(_detect(), os.environ.get(FEATURES_ENV, ""))


def restrict(features: Features, spec: str) -> Features:
    """``features`` with those named ``-name`` in the comma-separated ``spec`` off."""
    changes: dict[str, bool] = {}
    names = {f.name for f in fields(Features)}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name = item.lstrip("+-")
        if name not in names:
            raise ValueError(f"${FEATURES_ENV}: unknown x86 feature {name!r} "
                             f"(known: {', '.join(sorted(names))})")  # fmt: skip
        if not item.startswith("-"):
            if not getattr(features, name):
                raise ValueError(f"${FEATURES_ENV}: this processor has no {name}")
            continue
        changes[name] = False
        if name == "avx":
            changes["avx2"] = False  # AVX2 code is VEX code
    return replace(features, **changes)


@functools.cache
def _detect() -> Features:
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return ALL  # cross-compiling: assume a recent processor
    max_leaf = _cpuid(0)[0]
    _, _, ecx1, _ = _cpuid(1)
    ebx7 = _cpuid(7)[1] if max_leaf >= 7 else 0
    max_ext = _cpuid(0x8000_0000)[0]
    ecx_ext = _cpuid(0x8000_0001)[2] if max_ext >= 0x8000_0001 else 0
    # AVX needs the processor's support and the OS saving the XMM and YMM state.
    avx = bool(ecx1 & (1 << 28)) and bool(ecx1 & (1 << 27)) and _xcr0() & 6 == 6
    return Features(
        lzcnt=bool(ecx_ext & (1 << 5)),  # ABM
        tzcnt=bool(ebx7 & (1 << 3)),  # BMI1
        popcnt=bool(ecx1 & (1 << 23)),
        sse41=bool(ecx1 & (1 << 19)),
        ssse3=bool(ecx1 & (1 << 9)),
        sse42=bool(ecx1 & (1 << 20)),
        avx=avx,
        avx2=avx and bool(ebx7 & (1 << 5)),
    )


def require(features: Features) -> None:
    if not features.sse41 or not features.ssse3:
        raise UnsupportedError("the x86-64 backend needs SSE4.1 (roundss/roundsd) and SSSE3")
