"""Calling conventions as data, and where a function type's values travel.

An architecture describes its convention between wasm functions with one
:class:`CallConv`: which registers carry integer and float parameters and results,
and what a call or an exit to the host clobbers (:func:`wasm_convention` makes it,
with the allocator's ``RegisterEnv``, from the lists of registers). Every function
uses the same convention, exported or not, so that any function can be called
through a table. :func:`signature` assigns each parameter and result of a function
type a register or an 8-byte stack slot; the shared lowering (``wazaot.lower.isel``)
and the trampolines read the result. Nothing here knows an instruction set::

    params  (i32, f64, i64)  with int_args (rdi rsi ...) float_args (xmm0 ...)
         -> rdi, xmm0, rsi
    stack slots: 8 bytes each, numbered from 0 in the caller's outgoing area at [sp]
    when it calls, parameters first, then results (the callee writes them there);
    a v128 takes two.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from ..api import ValueType
from .regs import PReg, RegClass
from .vcode import RegisterEnv

__all__ = ["CallConv", "Location", "Signature", "reg_class", "signature", "wasm_convention"]


@dataclass(frozen=True, slots=True)
class CallConv:
    """The registers of a calling convention (all other values go on the stack)."""

    int_args: tuple[PReg, ...]
    float_args: tuple[PReg, ...]
    int_results: tuple[PReg, ...]
    float_results: tuple[PReg, ...]
    call_clobbers: tuple[PReg, ...]  # what a call to a wasm function may overwrite
    exit_clobbers: tuple[PReg, ...]  # what an exit to the host may overwrite


def wasm_convention(allocatable_int: Sequence[PReg], allocatable_float: Sequence[PReg],
                    callee_saved: Sequence[PReg], int_args: Sequence[PReg],
                    float_args: Sequence[PReg], int_results: Sequence[PReg],
                    float_results: Sequence[PReg]) -> tuple[RegisterEnv, CallConv]:  # fmt: skip
    """An architecture's registers for the allocator (``allocatable_*`` in order of
    preference) and its convention between wasm functions, with the rules every
    architecture follows: a call clobbers every allocatable register but
    ``callee_saved``, and an exit to the host preserves nothing."""
    env = RegisterEnv(
        allocatable={RegClass.INT: tuple(allocatable_int), RegClass.FLOAT: tuple(allocatable_float)},
        callee_saved=frozenset(callee_saved),
    )
    conv = CallConv(tuple(int_args), tuple(float_args), tuple(int_results), tuple(float_results),
                    call_clobbers=env.caller_saved(),
                    exit_clobbers=tuple(allocatable_int) + tuple(allocatable_float))  # fmt: skip
    return env, conv


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


def reg_class(vt: ValueType) -> RegClass:
    """The register file that holds values of type ``vt``."""
    return RegClass.FLOAT if vt in (ValueType.F32, ValueType.F64, ValueType.V128) else RegClass.INT


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


@functools.lru_cache(maxsize=1024)
def signature(cc: CallConv, params: tuple[ValueType, ...],
              results: tuple[ValueType, ...]) -> Signature:  # fmt: skip
    """The locations of ``params`` and ``results`` under ``cc`` (cached: a module
    calls the same few types again and again)."""
    p, n = _assign(params, cc.int_args, cc.float_args, 0)
    r, n = _assign(results, cc.int_results, cc.float_results, n)
    return Signature(tuple(p), tuple(r), n)
