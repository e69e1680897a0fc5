"""arm64 register roles and the calling convention between wasm functions, as data.

The assignment of values to registers and stack slots (``wazaot.machinst.abi``) and
the frame (``wazaot.machinst.frame``, with x29 as the frame pointer and x30 saved as
the return address in the frame record) are shared; this file gives them the
registers (the roles mirror ``wazaot/amd64/abi.py``).

Register roles inside generated code::

    sp   stack pointer              x29  frame pointer (frame records chain for backtraces)
    x30  link register (saved in the frame record; a third scratch between calls)
    x28  execution context          x27  module context of the running instance
    x26  linear memory base         x16 x17  emitter scratch (IP0/IP1)
    x18  never touched (the platform register on macOS)
    v30 v31  emitter scratch        all other registers: allocatable

Callee-saved among the allocatable: x19-x25 (callee-saved in AAPCS64 too, so a host
callback preserves them, as it preserves x26-x29). Every SIMD&FP register is
clobbered by a call. The registers of calls between wasm functions::

    integer parameters  x0 - x7       results  x0 x1
    float parameters    v0 - v7       results  v0 v1
"""

from __future__ import annotations

from ..machinst import PReg, RegClass
from ..machinst.abi import wasm_convention
from .regs import GPRS, VECS, Gpr, Vec

__all__ = [
    "CALL_CONV", "CALLEE_SAVED", "EXEC_CTX", "GP", "MEMORY_BASE", "MODULE_CTX", "REGISTER_ENV",
    "VEC", "gpr", "vec",
]  # fmt: skip

GP = [PReg(RegClass.INT, r.num, r.name) for r in GPRS]
VEC = [PReg(RegClass.FLOAT, v.num, v.name) for v in VECS]

EXEC_CTX = GP[28]
MODULE_CTX = GP[27]
MEMORY_BASE = GP[26]

CALLEE_SAVED = tuple(GP[19:26])
ALLOCATABLE_GP = tuple(GP[0:16]) + CALLEE_SAVED
ALLOCATABLE_VEC = tuple(VEC[:30])

REGISTER_ENV, CALL_CONV = wasm_convention(
    ALLOCATABLE_GP, ALLOCATABLE_VEC, CALLEE_SAVED,
    int_args=GP[0:8], float_args=VEC[0:8], int_results=GP[0:2], float_results=VEC[0:2],
)


def gpr(p: PReg) -> Gpr:
    """The encoder's register for an allocated INT register."""
    return GPRS[p.hw]


def vec(p: PReg) -> Vec:
    """The encoder's register for an allocated FLOAT register."""
    return VECS[p.hw]
