"""Value types and the raw value encoding shared by every API (see API.md).

A wasm value crosses the raw API as a Python int holding its bit pattern in an
unsigned 64-bit slot (128 bits for v128). The helpers convert between that
encoding and ordinary Python values.
"""

from __future__ import annotations

import enum
import operator
import struct
from dataclasses import dataclass, field


class ValueType(enum.IntEnum):
    """A wasm value type; the number is its code in the binary format."""

    I32 = 0x7F
    I64 = 0x7E
    F32 = 0x7D
    F64 = 0x7C
    V128 = 0x7B
    FUNCREF = 0x70
    EXTERNREF = 0x6F

    @property
    def is_ref(self) -> bool:
        return self in (ValueType.FUNCREF, ValueType.EXTERNREF)

    @property
    def is_num(self) -> bool:
        return self in (ValueType.I32, ValueType.I64, ValueType.F32, ValueType.F64)

    def __str__(self) -> str:
        return self.name.lower()

    __repr__ = __str__


_MASK32 = 0xFFFF_FFFF
_MASK64 = 0xFFFF_FFFF_FFFF_FFFF
_MASK128 = (1 << 128) - 1
_SIGN32 = 1 << 31
_SIGN64 = 1 << 63
_SIGN128 = 1 << 127
_F32_INF = 0x7F80_0000
_F32_SIGN = 0x8000_0000

_pack_f32 = struct.Struct("<f").pack
_pack_f64 = struct.Struct("<d").pack
_pack_u32 = struct.Struct("<I").pack
_pack_u64 = struct.Struct("<Q").pack
_unpack_f32 = struct.Struct("<f").unpack
_unpack_f64 = struct.Struct("<d").unpack
_unpack_u32 = struct.Struct("<I").unpack
_unpack_u64 = struct.Struct("<Q").unpack


def as_int(value: object) -> int | None:
    """``value`` as a plain int if it is an integer (``__index__``: int, bool, IntEnum,
    numpy integers), else None. Floats, strings and None are not integers."""
    if type(value) is int:
        return value
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return None


def _checked_int(value: object, what: str, lo: int, hi: int) -> int:
    v = as_int(value)
    if v is None:
        raise TypeError(f"{what}: expected an int, got {type(value).__name__}")
    if not lo <= v <= hi:
        raise OverflowError(f"{what}: {v} is out of range [{lo}, {hi}]")
    return v


def encode_i32(value: int) -> int:
    """Signed or unsigned Python int -> raw i32 (the 32-bit pattern).

    TypeError when ``value`` is not an int, OverflowError outside [-2**31, 2**32).
    """
    return _checked_int(value, "i32", -_SIGN32, _MASK32) & _MASK32


def decode_i32(raw: int) -> int:
    """Raw i32 -> signed Python int."""
    return ((raw & _MASK32) ^ _SIGN32) - _SIGN32


def encode_i64(value: int) -> int:
    """Signed or unsigned Python int -> raw i64; TypeError / OverflowError as ``encode_i32``."""
    return _checked_int(value, "i64", -_SIGN64, _MASK64) & _MASK64


def decode_i64(raw: int) -> int:
    """Raw i64 -> signed Python int."""
    return ((raw & _MASK64) ^ _SIGN64) - _SIGN64


def f32_bits(x: float) -> int:
    """The bits of the float ``x`` rounded to f32 as a C ``(float)`` cast rounds it:
    to nearest, ties to even; beyond the f32 range it becomes +-inf. A NaN keeps its
    sign and the top 23 bits of its payload, quieted (what the hardware cast does)."""
    try:
        return _unpack_u32(_pack_f32(x))[0]
    except OverflowError:  # struct refuses exactly when the cast overflowed to inf
        return _F32_INF | _F32_SIGN if x < 0 else _F32_INF


def f64_bits(x: float) -> int:
    """The IEEE-754 bits of the float ``x`` (payloads of NaNs included)."""
    return _unpack_u64(_pack_f64(x))[0]


def _int_to_f32_bits(v: int) -> int:
    """Round the int ``v`` to f32 once (ties to even), as a C cast of a wide integer does;
    OverflowError if it is beyond float's range, as ``float(v)`` would raise."""
    if -(1 << 53) <= v <= 1 << 53:
        return f32_bits(float(v))  # exact in a double: one rounding only
    float(v)  # OverflowError for ints beyond the double range
    magnitude = abs(v)
    if magnitude.bit_length() > 128:  # at least 2**128: beyond f32 whatever the rounding
        return _F32_INF | _F32_SIGN if v < 0 else _F32_INF
    shift = magnitude.bit_length() - 24  # keep 24 significant bits
    q, r = divmod(magnitude, 1 << shift)
    half = 1 << (shift - 1)
    if r > half or (r == half and q & 1):
        q += 1
    bits = f32_bits(float(q << shift))  # exact: at most 25 significant bits
    return bits | _F32_SIGN if v < 0 else bits


def _float_of(value: object, what: str) -> float | int:
    if isinstance(value, float):
        return value
    v = as_int(value)
    if v is None:
        raise TypeError(f"{what}: expected a float or an int, got {type(value).__name__}")
    return v


def encode_f32(value: float) -> int:
    """Python float (or int) -> raw f32 bits, rounded as IEEE does (``1e40`` -> inf).

    An int is rounded once, directly to f32; one beyond float's range raises
    OverflowError (as ``float(x)`` does). Anything else raises TypeError. A float NaN
    keeps its payload as far as the f32 format can (see ``f32_bits``).
    """
    v = _float_of(value, "f32")
    if isinstance(v, float):
        return f32_bits(v)
    return _int_to_f32_bits(v)


def decode_f32(raw: int) -> float:
    """Raw f32 bits -> Python float (exact; a signalling NaN comes back quieted)."""
    return _unpack_f32(_pack_u32(raw & _MASK32))[0]


def encode_f64(value: float) -> int:
    """Python float (or int, converted as ``float(x)``) -> raw f64 bits.

    OverflowError for an int beyond float's range, TypeError for anything else.
    """
    v = _float_of(value, "f64")
    return f64_bits(v if isinstance(v, float) else float(v))


def decode_f64(raw: int) -> float:
    """Raw f64 bits -> Python float."""
    return _unpack_f64(_pack_u64(raw & _MASK64))[0]


def encode_value(vt: ValueType, value: object) -> int:
    """Pythonic value -> raw encoding for type ``vt``, checked (see ``wazaot.values``).

    i32/i64/v128 take ints in the signed or unsigned range; f32/f64 take floats or
    ints; references take None (null) or a raw non-negative 64-bit int.
    """
    if vt == ValueType.I32:
        return encode_i32(value)  # type: ignore[arg-type]
    if vt == ValueType.I64:
        return encode_i64(value)  # type: ignore[arg-type]
    if vt == ValueType.F32:
        return encode_f32(value)  # type: ignore[arg-type]
    if vt == ValueType.F64:
        return encode_f64(value)  # type: ignore[arg-type]
    if vt == ValueType.V128:
        return _checked_int(value, "v128", -_SIGN128, _MASK128) & _MASK128
    if value is None:
        return 0
    return _checked_int(value, str(vt), 0, _MASK64)


def decode_value(vt: ValueType, raw: int):
    """Raw encoding -> Pythonic value (signed ints, floats, None for null refs)."""
    if vt == ValueType.I32:
        return decode_i32(raw)
    if vt == ValueType.I64:
        return decode_i64(raw)
    if vt == ValueType.F32:
        return decode_f32(raw)
    if vt == ValueType.F64:
        return decode_f64(raw)
    if vt == ValueType.V128:
        return raw
    return None if raw == 0 else raw


def is_canonical_nan_f32(raw: int) -> bool:
    return raw & 0x7FFF_FFFF == 0x7FC0_0000


def is_arithmetic_nan_f32(raw: int) -> bool:
    return raw & 0x7FC0_0000 == 0x7FC0_0000


def is_canonical_nan_f64(raw: int) -> bool:
    return raw & 0x7FFF_FFFF_FFFF_FFFF == 0x7FF8_0000_0000_0000


def is_arithmetic_nan_f64(raw: int) -> bool:
    return raw & 0x7FF8_0000_0000_0000 == 0x7FF8_0000_0000_0000


@dataclass
class FunctionDefinition:
    """What is known of a function without running it (wazero's api.FunctionDefinition)."""

    module_name: str | None
    index: int
    name: str
    param_types: tuple[ValueType, ...]
    result_types: tuple[ValueType, ...]
    export_names: tuple[str, ...] = ()
    import_: tuple[str, str] | None = None
    debug_name: str = field(default="", repr=False)

    def __str__(self) -> str:
        return self.debug_name or self.name


__all__ = [
    "ValueType",
    "FunctionDefinition",
    "encode_i32",
    "decode_i32",
    "encode_i64",
    "decode_i64",
    "encode_f32",
    "decode_f32",
    "encode_f64",
    "decode_f64",
    "encode_value",
    "decode_value",
    "as_int",
    "f32_bits",
    "f64_bits",
]
