"""Value types and the raw value encoding shared by every API (see API.md).

A wasm value crosses the raw API as a Python int holding its bit pattern in an
unsigned 64-bit slot (128 bits for v128). The helpers convert between that
encoding and ordinary Python values.
"""

from __future__ import annotations

import enum
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


def encode_i32(value: int) -> int:
    """Signed or unsigned Python int -> raw i32 (the 32-bit pattern)."""
    return value & _MASK32


def decode_i32(raw: int) -> int:
    """Raw i32 -> signed Python int."""
    raw &= _MASK32
    return raw - (1 << 32) if raw & 0x8000_0000 else raw


def encode_i64(value: int) -> int:
    return value & _MASK64


def decode_i64(raw: int) -> int:
    raw &= _MASK64
    return raw - (1 << 64) if raw & 0x8000_0000_0000_0000 else raw


def encode_f32(value: float) -> int:
    """Python float -> raw f32 bits. NaN keeps its payload as far as Python can."""
    return struct.unpack("<I", struct.pack("<f", value))[0]


def decode_f32(raw: int) -> float:
    return struct.unpack("<f", struct.pack("<I", raw & _MASK32))[0]


def encode_f64(value: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", value))[0]


def decode_f64(raw: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", raw & _MASK64))[0]


def encode_value(vt: ValueType, value) -> int:
    """Pythonic value -> raw encoding for type ``vt``."""
    if vt == ValueType.I32:
        return encode_i32(int(value))
    if vt == ValueType.I64:
        return encode_i64(int(value))
    if vt == ValueType.F32:
        return encode_f32(float(value))
    if vt == ValueType.F64:
        return encode_f64(float(value))
    if vt == ValueType.V128:
        return int(value) & ((1 << 128) - 1)
    return 0 if value is None else int(value)


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
]
