"""x86-64 register roles, the calling convention between wasm functions, and frames.

Register roles inside generated code::

    rsp  stack pointer              rbp  frame pointer (frames chain for backtraces)
    r15  execution context          r14  module context of the running instance
    r13  linear memory base         r11  emitter scratch (bounds checks, addresses)
    xmm15  emitter scratch          all other registers: allocatable

Callee-saved among the allocatable: rbx, r12. Everything else (and every XMM
register) is clobbered by a call.

Calls between wasm functions (the same convention for every function, exported or
not, so any function can be called through a table)::

    integer parameters  rdi rsi rdx rcx r8 r9      results  rax rdx
    float parameters    xmm0 - xmm7                results  xmm0 xmm1
    the rest: 8-byte slots in the caller's outgoing area at [rsp] when calling,
              parameters first, then results (the callee writes them there)

Frame of a function, from high to low addresses::

    [rbp + 16 + 8k]   incoming stack slot k (parameters, then results)
    [rbp + 8]         return address
    [rbp]             caller's rbp
    [rbp - 8]...      saved callee-saved registers, the saved module context
                      (functions that call another instance), spill slots
    [rsp + 8k]        outgoing stack slot k
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..api import ValueType
from ..machinst import PReg, RegClass, RegisterEnv
from .regs import GPRS, XMMS, Gpr, Xmm

_GPR_NAMES = ("rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
              "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")  # fmt: skip

GP = [PReg(RegClass.INT, i, name) for i, name in enumerate(_GPR_NAMES)]
XMM = [PReg(RegClass.FLOAT, i, f"xmm{i}") for i in range(16)]

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

REGISTER_ENV = RegisterEnv(
    allocatable={RegClass.INT: ALLOCATABLE_GP, RegClass.FLOAT: ALLOCATABLE_XMM},
    callee_saved=frozenset(CALLEE_SAVED),
)
CALL_CLOBBERS = REGISTER_ENV.caller_saved()
EXIT_CLOBBERS = ALLOCATABLE_GP + ALLOCATABLE_XMM  # an exit to the host preserves nothing

INT_ARGS = (rdi, rsi, rdx, rcx, r8, r9)
FLOAT_ARGS = tuple(XMM[:8])
INT_RESULTS = (rax, rdx)
FLOAT_RESULTS = (XMM[0], XMM[1])


def gpr(p: PReg) -> Gpr:
    """The encoder's register for an allocated INT register."""
    return GPRS[p.hw]


def xmm(p: PReg) -> Xmm:
    """The encoder's register for an allocated FLOAT register."""
    return XMMS[p.hw]


def reg_class(vt: ValueType) -> RegClass:
    return RegClass.FLOAT if vt in (ValueType.F32, ValueType.F64, ValueType.V128) else RegClass.INT


@dataclass(frozen=True, slots=True)
class Location:
    """Where one parameter or result travels: a register, or stack slot ``slot``."""

    reg: PReg | None
    slot: int = -1


@dataclass(frozen=True, slots=True)
class Signature:
    """The locations of a function type's parameters and results."""

    params: tuple[Location, ...]
    results: tuple[Location, ...]
    stack_slots: int  # outgoing slots the caller reserves (parameters + results)


def _assign(types: Sequence[ValueType], ints: Sequence[PReg], floats: Sequence[PReg],
            first_slot: int) -> tuple[list[Location], int]:  # fmt: skip
    out = []
    ni = nf = 0
    slot = first_slot
    for vt in types:
        if reg_class(vt) is RegClass.INT and ni < len(ints):
            out.append(Location(ints[ni]))
            ni += 1
        elif reg_class(vt) is RegClass.FLOAT and nf < len(floats) and vt != ValueType.V128:
            out.append(Location(floats[nf]))
            nf += 1
        else:
            out.append(Location(None, slot))
            slot += 2 if vt == ValueType.V128 else 1
    return out, slot


def signature(params: Sequence[ValueType], results: Sequence[ValueType]) -> Signature:
    p, n = _assign(params, INT_ARGS, FLOAT_ARGS, 0)
    r, n = _assign(results, INT_RESULTS, FLOAT_RESULTS, n)
    return Signature(tuple(p), tuple(r), n)


def frame_slot_bytes(n: int) -> int:
    """Bytes for ``n`` outgoing 8-byte slots, keeping rsp 16-byte aligned."""
    return (8 * n + 15) & ~15
