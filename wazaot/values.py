"""Checking values that cross from Python into wasm (API.md "Values").

Values from Python are checked, never coerced. These prepared checkers are made once
per signature (a call engine keeps them) so that a call pays for no dispatch on
types. (Provisional: the full Pythonic conversions land with the values work.)
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any

from .api import ValueType, decode_value

RawChecker = Callable[[Sequence[Any]], list[int]]
FuncrefCheck = Callable[[int], bool]

_RANGES = {
    ValueType.I32: (-(1 << 31), 1 << 32, 0xFFFF_FFFF),
    ValueType.F32: (-(1 << 31), 1 << 32, 0xFFFF_FFFF),
    ValueType.I64: (-(1 << 63), 1 << 64, (1 << 64) - 1),
    ValueType.F64: (-(1 << 63), 1 << 64, (1 << 64) - 1),
    ValueType.V128: (-(1 << 127), 1 << 128, (1 << 128) - 1),
    ValueType.FUNCREF: (0, 1 << 64, (1 << 64) - 1),
    ValueType.EXTERNREF: (0, 1 << 64, (1 << 64) - 1),
}


def check_raw(what: str, vt: ValueType, value: Any, is_funcref: FuncrefCheck) -> int:
    """``value`` as a raw value of type ``vt``; ``what`` names it in errors."""
    if not isinstance(value, int):
        raise TypeError(f"{what}: expected an int (raw {vt}), got {type(value).__name__}")
    low, high, mask = _RANGES[vt]
    if not low <= value < high:
        raise OverflowError(f"{what}: {value} does not fit a raw {vt}")
    if vt == ValueType.FUNCREF and value and not is_funcref(value):
        raise ValueError(f"{what}: {value:#x} is not a funcref (use 0 or a value wazaot returned)")
    return value & mask


def raw_params_checker(name: str, types: Sequence[ValueType], is_funcref: FuncrefCheck) -> RawChecker:
    """A function checking a call's raw arguments against ``types``: the fast path
    accepts plain ints in range; anything else gets the full check and its error."""
    types = tuple(types)
    n = len(types)
    specs = tuple(_RANGES[t] for t in types)
    has_funcref = ValueType.FUNCREF in types

    def full(args: Sequence[Any]) -> list[int]:
        if len(args) != n:
            raise TypeError(f"{name} expects {n} arguments, got {len(args)}")
        return [check_raw(f"{name} parameter {i}", t, v, is_funcref)
                for i, (t, v) in enumerate(zip(types, args))]  # fmt: skip

    if has_funcref:
        return full
    if n == 1:
        ((low1, high1, mask1),) = specs

        def check1(args: Sequence[Any]) -> list[int]:
            if len(args) == 1:
                v = args[0]
                if type(v) is int and low1 <= v < high1:
                    return [v & mask1]
            return full(args)

        return check1

    def check(args: Sequence[Any]) -> list[int]:
        if len(args) == n:
            out = []
            for (low, high, mask), v in zip(specs, args):
                if type(v) is not int or not low <= v < high:
                    return full(args)
                out.append(v & mask)
            return out
        return full(args)

    return check


def host_results_checker(name: str, types: Sequence[ValueType],
                         is_funcref: FuncrefCheck) -> Callable[[Any], list[int]]:  # fmt: skip
    """A function checking what host function ``name`` returned (None, one raw int or
    a sequence of raw ints) against its result ``types``."""
    types = tuple(types)
    n = len(types)

    def check(out: Any) -> list[int]:
        if out is None:
            values: list[Any] = []
        elif isinstance(out, int):
            values = [out]
        elif isinstance(out, (list, tuple)):
            values = list(out)
        else:
            raise TypeError(f"host function {name} returned {type(out).__name__}, "
                            f"expected None, an int or a sequence of ints")  # fmt: skip
        if len(values) != n:
            raise TypeError(f"host function {name} returned {len(values)} values, "
                            f"its type has {n} results")  # fmt: skip
        return [check_raw(f"host function {name} result {i}", t, v, is_funcref)
                for i, (t, v) in enumerate(zip(types, values))]  # fmt: skip

    return check


_I_RANGE = {ValueType.I32: (-(1 << 31), 1 << 32, 0xFFFF_FFFF),
            ValueType.I64: (-(1 << 63), 1 << 64, (1 << 64) - 1)}  # fmt: skip


def _encode_f32(value: float) -> int:
    try:
        return struct.unpack("<I", struct.pack("<f", value))[0]
    except OverflowError:  # beyond the largest f32: IEEE rounds to infinity
        return 0x7F80_0000 if value > 0 else 0xFF80_0000


def _encode_f64(value: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", value))[0]


def pythonic_encoder(name: str, types: Sequence[ValueType]) -> RawChecker:
    """A function turning Python values (ints, floats, None for null references)
    into raw values of ``types``, checked (API.md "Values")."""
    types = tuple(types)
    n = len(types)

    def one(i: int, t: ValueType, v: Any) -> int:
        what = f"{name} parameter {i}"
        if t in _I_RANGE:
            if not isinstance(v, int):
                raise TypeError(f"{what}: expected an int ({t}), got {type(v).__name__}")
            low, high, mask = _I_RANGE[t]
            if not low <= v < high:
                raise OverflowError(f"{what}: {v} does not fit {t}")
            return v & mask
        if t in (ValueType.F32, ValueType.F64):
            if not isinstance(v, (int, float)):
                raise TypeError(f"{what}: expected a float ({t}), got {type(v).__name__}")
            f = float(v)
            return _encode_f32(f) if t == ValueType.F32 else _encode_f64(f)
        if t == ValueType.V128:
            return check_raw(what, t, v, _any_funcref)
        return 0 if v is None else check_raw(what, t, v, _any_funcref)

    def encode(args: Sequence[Any]) -> list[int]:
        if len(args) != n:
            raise TypeError(f"{name} takes {n} arguments, got {len(args)}")
        return [one(i, t, v) for i, (t, v) in enumerate(zip(types, args))]

    return encode


def _any_funcref(value: int) -> bool:
    return True  # the raw check behind the Pythonic one checks funcrefs


def pythonic_decoder(types: Sequence[ValueType]) -> Callable[[list[int]], Any]:
    """A function turning raw results into None, one Python value or a tuple."""
    types = tuple(types)
    if not types:
        return _none
    if len(types) == 1:
        (t,) = types
        return lambda raw: decode_value(t, raw[0])
    return lambda raw: tuple(decode_value(t, r) for t, r in zip(types, raw))


def _none(raw: list[int]) -> None:
    return None


def raw_range(vt: ValueType | None) -> tuple[int, int, int] | None:
    """(low, high, mask) of the raw ints of a numeric type (not v128), else None."""
    if vt in (ValueType.I32, ValueType.I64, ValueType.F32, ValueType.F64):
        return _RANGES[vt]
    return None


def int_range(vt: ValueType | None) -> tuple[int, int, int] | None:
    """(low, high, mask) of the Python ints an i32 or i64 accepts, else None."""
    return _I_RANGE.get(vt) if vt is not None else None
