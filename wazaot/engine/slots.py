"""Values in the slot buffer: how arguments and results cross the entry trampoline.

Generated code and Python exchange values through a ``uint64_t`` buffer per thread
(``exec_ctx.slots``): one slot per value, two for a v128 (low half first). Every
value is stored masked to its type's width, because generated code relies on i32
registers having a zero upper half.

``SlotLayout`` is prepared once per signature (a call engine keeps it): storing
checks each raw value (``wazaot.values``) and loading masks it, with no per-value
dispatch on the type.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..api import ValueType
from ..native.call import ffi
from ..values import pythonic_decoder
from ..wasm.limits import MAX_PARAMS, MAX_RESULTS

MAX_SLOTS = 2 * max(MAX_PARAMS, MAX_RESULTS)
"""Slots a thread's buffer holds: enough for any signature this runtime compiles."""

_M32 = 0xFFFF_FFFF
_M64 = 0xFFFF_FFFF_FFFF_FFFF


def slot_count(types: Sequence[ValueType]) -> int:
    return sum(2 if t == ValueType.V128 else 1 for t in types)


def store(slots: Any, types: Sequence[ValueType], values: Sequence[int]) -> None:
    """Write raw values (already checked) into ``slots``."""
    i = 0
    for t, v in zip(types, values):
        if t == ValueType.V128:
            slots[i] = v & _M64
            slots[i + 1] = (v >> 64) & _M64
            i += 2
        else:
            slots[i] = v
            i += 1


def loader(types: Sequence[ValueType]) -> Callable[[Any], list[int]]:
    """A function reading values of ``types`` from a slot buffer as raw ints."""
    types = tuple(types)
    if not types:
        return _load_none
    if len(types) == 1 and types[0] != ValueType.V128:
        if types[0] in (ValueType.I32, ValueType.F32):
            return _load_one32
        return _load_one64
    n = len(types)
    if ValueType.V128 not in types and ValueType.F32 not in types:
        # Generated code keeps i32 values zero-extended in their 64-bit registers, so
        # the slots need no masking: one C-level read of them all.
        return lambda slots: ffi.unpack(slots, n)
    masks = tuple(_M32 if t in (ValueType.I32, ValueType.F32) else _M64 for t in types)
    if ValueType.V128 not in types:

        def load_many(slots: Any) -> list[int]:
            return [slots[i] & m for i, m in enumerate(masks)]

        return load_many

    def load_wide(slots: Any) -> list[int]:
        out = []
        i = 0
        for t in types:
            if t == ValueType.V128:
                out.append(slots[i] | slots[i + 1] << 64)
                i += 2
            else:
                out.append(slots[i] & (_M32 if t in (ValueType.I32, ValueType.F32) else _M64))
                i += 1
        return out

    return load_wide


def _load_none(slots: Any) -> list[int]:
    return []


def _load_one32(slots: Any) -> list[int]:
    return [slots[0] & _M32]


def _load_one64(slots: Any) -> list[int]:
    return [slots[0]]


def pythonic_loader(types: Sequence[ValueType]) -> Callable[[Any], Any]:
    """A function reading results of ``types`` from a slot buffer as Python values
    (None, one value or a tuple)."""
    types = tuple(types)
    if not types:
        return _load_nothing
    if types == (ValueType.I32,):
        return _load_i32
    if types == (ValueType.I64,):
        return _load_i64
    decode = pythonic_decoder(types)
    load = loader(types)
    return lambda slots: decode(load(slots))


def _load_i32(slots: Any) -> int:
    v = slots[0] & 0xFFFF_FFFF
    return v - 0x1_0000_0000 if v & 0x8000_0000 else v


def _load_i64(slots: Any) -> int:
    v = slots[0]
    return v - (1 << 64) if v >> 63 else v


def _load_nothing(slots: Any) -> None:
    return None
