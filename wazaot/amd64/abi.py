"""x86-64 register roles and the calling convention between wasm functions, as data.

The assignment of values to registers and stack slots (``wazaot.machinst.abi``) and
the frame (``wazaot.machinst.frame``, with rbp as the frame pointer) are shared; this
file gives them the registers.

Register roles inside generated code::

    rsp  stack pointer              rbp  frame pointer (frames chain for backtraces)
    r15  execution context          r14  module context of the running instance
    r13  linear memory base         r11  emitter scratch (bounds checks, addresses)
    xmm15  emitter scratch          all other registers: allocatable

Callee-saved among the allocatable: rbx, r12. Everything else (and every XMM
register) is clobbered by a call. The registers of calls between wasm functions::

    integer parameters  rdi rsi rdx rcx r8 r9      results  rax rdx
    float parameters    xmm0 - xmm7                results  xmm0 xmm1
"""

from __future__ import annotations

from ..machinst import PReg, RegClass
from ..machinst.abi import wasm_convention
from .regs import GPRS, XMMS, Gpr, Xmm

__all__ = [
    "CALL_CONV", "CALLEE_SAVED", "EXEC_CTX", "GP", "MEMORY_BASE", "MODULE_CTX", "REGISTER_ENV",
    "SCRATCH", "FSCRATCH", "XMM", "gpr", "xmm",
]  # fmt: skip

GP = [PReg(RegClass.INT, r.num, r.name) for r in GPRS]
XMM = [PReg(RegClass.FLOAT, x.num, x.name) for x in XMMS]

(rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi,
 r8, r9, r10, r11, r12, r13, r14, r15) = GP  # fmt: skip

EXEC_CTX = r15
MODULE_CTX = r14
MEMORY_BASE = r13
SCRATCH = r11
FSCRATCH = XMM[15]

CALLEE_SAVED = (rbx, r12)
ALLOCATABLE_GP = (rax, rcx, rdx, rsi, rdi, r8, r9, r10, rbx, r12)
ALLOCATABLE_XMM = tuple(XMM[:15])

REGISTER_ENV, CALL_CONV = wasm_convention(
    ALLOCATABLE_GP, ALLOCATABLE_XMM, CALLEE_SAVED,
    int_args=(rdi, rsi, rdx, rcx, r8, r9), float_args=XMM[:8],
    int_results=(rax, rdx), float_results=XMM[:2],
)  # fmt: skip


def gpr(p: PReg) -> Gpr:
    """The encoder's register for an allocated INT register."""
    return GPRS[p.hw]


def xmm(p: PReg) -> Xmm:
    """The encoder's register for an allocated FLOAT register."""
    return XMMS[p.hw]
