"""Checking the values that cross from Python into wasm (API.md, "Values").

This is the one place that decides whether a Python object is an acceptable wasm
value; the runtime prepares converters here once per function (or global, table,
host function) and runs them on every call. Values are checked, never coerced:

==========================  ==============================================================
raw value (``Function.call``, ``Global.set``, ``Table.set``, host function results)
-----------------------------------------------------------------------------------------
i32, f32                    an int in [-2**31, 2**32): the low 32 bits are the value
i64, f64                    an int in [-2**63, 2**64): the low 64 bits
v128                        an int in [-2**127, 2**128): the low 128 bits
funcref, externref          an int in [0, 2**64); a non-null funcref must also pass the
                            caller's ``funcref_ok`` (ValueError "... is not a funcref")
==========================  ==============================================================

f32 and f64 raw values are bit patterns, and they follow the rule of the integers of
their width: the signed form (``struct.unpack("<i", ...)``) is accepted as well as the
unsigned one. References are opaque handles, so only their unsigned form is accepted.

==========================  ==============================================================
Pythonic value (``Function.__call__``, ``Global.value``)
-----------------------------------------------------------------------------------------
i32, i64, v128              as raw: an int in the signed or the unsigned range
f32, f64                    a float, or an int (f64: ``float(x)``; f32: rounded once,
                            directly); f32 rounds to nearest even as a C cast does, so
                            ``1e40`` becomes inf. An int beyond float's range:
                            OverflowError
funcref, externref          None (null) or a raw reference as above
==========================  ==============================================================

*An int* is anything with ``__index__``: ``int``, ``bool`` (it is an int in Python, and
wasm encodes booleans as i32), ``IntEnum`` members and numpy integers. ``float``,
``str``, ``None``, ``Decimal``, ``Fraction``... where an int is expected raise
TypeError naming the function, the parameter (its index) and both types; an int
out of range raises OverflowError. Only ``float`` (and subclasses) is a float: numpy's
``float32`` is not, convert it with ``float()`` first.

The prepared converters take their fast path when every value is exactly an ``int``
(or a ``float`` for f32/f64 in the Pythonic direction) in range, and fall back to a
slow path that accepts int subclasses and builds the error messages.

Example::

    check = raw_params_checker("add", (ValueType.I32, ValueType.I32))
    check((1, -1))                        # -> [1, 0xFFFF_FFFF]
    check(("1", 2))                       # TypeError: add() parameter 0 (i32): ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .api import (
    ValueType,
    as_int,
    decode_f32,
    decode_f64,
    decode_value,
    encode_f32,
    encode_f64,
    f32_bits,
    f64_bits,
)

__all__ = [
    "FuncrefCheck",
    "check_raw",
    "decode_pythonic",
    "encode_pythonic",
    "host_results_checker",
    "pythonic_decoder",
    "pythonic_encoder",
    "raw_params_checker",
    "raw_range",
]

#: A callback that says whether a non-null raw funcref is one the runtime handed out.
FuncrefCheck = Callable[[int], bool]

_M32 = 0xFFFF_FFFF
_M64 = 0xFFFF_FFFF_FFFF_FFFF
_M128 = (1 << 128) - 1
_S32 = 1 << 31
_S64 = 1 << 63

# (lowest, highest, mask) of a raw value of each type.
_RAW_RANGES: dict[ValueType, tuple[int, int, int]] = {
    ValueType.I32: (-(1 << 31), _M32, _M32),
    ValueType.F32: (-(1 << 31), _M32, _M32),
    ValueType.I64: (-(1 << 63), _M64, _M64),
    ValueType.F64: (-(1 << 63), _M64, _M64),
    ValueType.V128: (-(1 << 127), _M128, _M128),
    ValueType.FUNCREF: (0, _M64, _M64),
    ValueType.EXTERNREF: (0, _M64, _M64),
}

_FLOATS = (ValueType.F32, ValueType.F64)
_INTEGERS = (ValueType.I32, ValueType.I64, ValueType.V128)


def raw_range(vt: ValueType) -> tuple[int, int]:
    """The smallest and largest int accepted as a raw value of type ``vt``."""
    lo, hi, _ = _RAW_RANGES[vt]
    return lo, hi


def _types(types: Iterable[ValueType | int]) -> tuple[ValueType, ...]:
    return tuple(ValueType(t) for t in types)


def _show(value: object) -> str:
    """``type value`` for an error message, the repr cut short."""
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(value).__name__} {text}"


def _show_int(v: int) -> str:
    text = str(v)
    return text if len(text) <= 40 else f"an int of {v.bit_length()} bits"


def _count_error(name: str, n: int, given: int) -> TypeError:
    s = "" if n == 1 else "s"
    return TypeError(f"{name}() takes {n} argument{s} ({given} given)")


def _not_a_funcref(subject: str, v: int) -> ValueError:
    return ValueError(f"{subject}: {v:#x} is not a funcref (use 0 or a value wazaot returned)")


# -- single values (the slow paths; error messages are built here) ---------------------


def check_raw(
    vt: ValueType, value: object, subject: str, funcref_ok: FuncrefCheck | None = None
) -> int:
    """``value`` as the raw encoding of type ``vt`` (unsigned, masked to the width).

    ``subject`` opens the error messages (e.g. ``"global g"``, ``"add() parameter 0"``).
    TypeError when ``value`` is not an int, OverflowError out of the type's raw range,
    ValueError for a non-null funcref that ``funcref_ok`` rejects.
    """
    lo, hi, mask = _RAW_RANGES[vt]
    v = as_int(value)
    if v is None:
        raise TypeError(f"{subject} ({vt}): expected an int, got {_show(value)}")
    if not lo <= v <= hi:
        raise OverflowError(f"{subject} ({vt}): {_show_int(v)} is out of range [{lo}, {hi}]")
    if vt == ValueType.FUNCREF and v and funcref_ok is not None and not funcref_ok(v):
        raise _not_a_funcref(f"{subject} ({vt})", v)
    return v & mask


def encode_pythonic(
    vt: ValueType, value: object, subject: str, funcref_ok: FuncrefCheck | None = None
) -> int:
    """A Pythonic ``value`` (int, float, None for a null reference) as raw type ``vt``.

    Errors as ``check_raw``; f32/f64 also take floats, and an int too large for a
    float raises OverflowError.
    """
    if vt in _FLOATS:
        if not isinstance(value, float) and as_int(value) is None:
            raise TypeError(f"{subject} ({vt}): expected a float or an int, got {_show(value)}")
        try:
            return encode_f32(value) if vt == ValueType.F32 else encode_f64(value)  # type: ignore[arg-type]
        except OverflowError:
            raise OverflowError(
                f"{subject} ({vt}): {_show_int(value)} is too large for a float"  # type: ignore[arg-type]
            ) from None
    if value is None and vt in (ValueType.FUNCREF, ValueType.EXTERNREF):
        return 0
    return check_raw(vt, value, subject, funcref_ok)


def decode_pythonic(vt: ValueType, raw: int) -> Any:
    """A raw value as Python sees it: signed ints, floats, None for a null reference."""
    return decode_value(vt, raw)


# -- prepared converters (the per-call fast paths) --------------------------------------


def _with_funcref_checks(
    check: Callable[[Any], list[int]],
    types: tuple[ValueType, ...],
    funcref_ok: FuncrefCheck | None,
    subject: Callable[[int], str],
) -> Callable[[Any], list[int]]:
    """Wrap ``check`` to run ``funcref_ok`` on the funcref positions of its result."""
    positions = tuple(i for i, t in enumerate(types) if t == ValueType.FUNCREF)
    if not positions or funcref_ok is None:
        return check

    def checked(values: Any) -> list[int]:
        out = check(values)
        for i in positions:
            v = out[i]
            if v and not funcref_ok(v):
                raise _not_a_funcref(subject(i), v)
        return out

    return checked


def raw_params_checker(
    name: str, types: Iterable[ValueType | int], funcref_ok: FuncrefCheck | None = None
) -> Callable[[Sequence[object]], list[int]]:
    """A function that checks the raw arguments of a call to ``name`` (``Function.call``).

    It takes the argument tuple and returns the raw values as unsigned ints masked to
    their width, or raises TypeError (count or type; "add() parameter 0 (i32): ..."),
    OverflowError (range) or ValueError (a funcref ``funcref_ok`` rejects).
    """
    types = _types(types)
    n = len(types)

    def slow(args: Sequence[object]) -> list[int]:
        if len(args) != n:
            raise _count_error(name, n, len(args))
        return [
            check_raw(t, v, f"{name}() parameter {i}", funcref_ok)
            for i, (t, v) in enumerate(zip(types, args))
        ]

    return _with_funcref_checks(
        _raw_fast(types, slow), types, funcref_ok, lambda i: f"{name}() parameter {i} (funcref)"
    )


def _raw_fast(
    types: tuple[ValueType, ...], slow: Callable[[Any], list[int]]
) -> Callable[[Any], list[int]]:
    """The fast path of a raw checker of ``len(types)`` values held in a sequence."""
    n = len(types)
    bounds = tuple(_RAW_RANGES[t] for t in types)
    if n == 0:

        def check0(args: Any) -> list[int]:
            return [] if not args else slow(args)

        return check0
    if n == 1:
        ((lo, hi, mask),) = bounds

        def check1(args: Any) -> list[int]:
            if len(args) == 1:
                v = args[0]
                if type(v) is int and lo <= v <= hi:
                    return [v & mask]
            return slow(args)

        return check1
    if n == 2:
        (lo0, hi0, mask0), (lo1, hi1, mask1) = bounds

        def check2(args: Any) -> list[int]:
            if len(args) == 2:
                a, b = args
                if type(a) is int and type(b) is int and lo0 <= a <= hi0 and lo1 <= b <= hi1:
                    return [a & mask0, b & mask1]
            return slow(args)

        return check2

    def check_n(args: Any) -> list[int]:
        if len(args) != n:
            return slow(args)
        out = []
        for v, (lo, hi, mask) in zip(args, bounds):
            if type(v) is not int or not lo <= v <= hi:
                return slow(args)
            out.append(v & mask)
        return out

    return check_n


def _pythonic_fast(vt: ValueType) -> Callable[[object], int | None]:
    """The fast conversion of one Pythonic value: the raw value, or None to say
    "take the slow path" (which converts int subclasses or raises)."""
    if vt == ValueType.F32:

        def f32(v: object) -> int | None:
            if type(v) is float:
                return f32_bits(v)
            if type(v) is int and -(1 << 24) <= v <= 1 << 24:  # exact in an f32
                return f32_bits(float(v))
            return None

        return f32
    if vt == ValueType.F64:

        def f64(v: object) -> int | None:
            if type(v) is float:
                return f64_bits(v)
            if type(v) is int and -(1 << 53) <= v <= 1 << 53:  # exact in an f64
                return f64_bits(float(v))
            return None

        return f64
    lo, hi, mask = _RAW_RANGES[vt]
    if vt in (ValueType.FUNCREF, ValueType.EXTERNREF):

        def ref(v: object) -> int | None:
            if v is None:
                return 0
            return v & mask if type(v) is int and lo <= v <= hi else None

        return ref

    def integer(v: object) -> int | None:
        return v & mask if type(v) is int and lo <= v <= hi else None

    return integer


def pythonic_encoder(
    name: str, types: Iterable[ValueType | int], funcref_ok: FuncrefCheck | None = None
) -> Callable[[Sequence[object]], list[int]]:
    """A function that converts the Pythonic arguments of ``name(...)`` to raw values.

    Rules in the module docstring; errors as ``raw_params_checker``.
    """
    types = _types(types)
    n = len(types)

    def slow(args: Sequence[object]) -> list[int]:
        if len(args) != n:
            raise _count_error(name, n, len(args))
        return [
            encode_pythonic(t, v, f"{name}() parameter {i}", funcref_ok)
            for i, (t, v) in enumerate(zip(types, args))
        ]

    if all(t in _INTEGERS for t in types):
        encode = _raw_fast(types, slow)  # integers only: the raw fast path is the same
    elif n == 1:
        fast = _pythonic_fast(types[0])

        def encode(args: Sequence[object]) -> list[int]:
            if len(args) == 1:
                r = fast(args[0])
                if r is not None:
                    return [r]
            return slow(args)

    else:
        fasts = tuple(_pythonic_fast(t) for t in types)

        def encode(args: Sequence[object]) -> list[int]:
            if len(args) == n:
                out = [f(v) for f, v in zip(fasts, args)]
                if None not in out:
                    return out  # type: ignore[return-value]
            return slow(args)

    return _with_funcref_checks(
        encode, types, funcref_ok, lambda i: f"{name}() parameter {i} (funcref)"
    )


def _decoder(vt: ValueType) -> Callable[[int], Any]:
    if vt == ValueType.I32:
        return lambda r: ((r & _M32) ^ _S32) - _S32
    if vt == ValueType.I64:
        return lambda r: ((r & _M64) ^ _S64) - _S64
    if vt == ValueType.F32:
        return decode_f32
    if vt == ValueType.F64:
        return decode_f64
    if vt in (ValueType.FUNCREF, ValueType.EXTERNREF):
        return lambda r: r or None
    return lambda r: r & _M128  # v128


def pythonic_decoder(types: Iterable[ValueType | int]) -> Callable[[Sequence[int]], Any]:
    """A function that turns a call's raw results into its Pythonic result: None for
    no result, the value for one, a tuple for several (signed ints, floats, None for
    a null reference, an int for v128)."""
    types = _types(types)
    if not types:
        return lambda raw: None
    if len(types) == 1:
        if types[0] == ValueType.I32:  # the common case, without a second call
            return lambda raw: ((raw[0] & _M32) ^ _S32) - _S32
        one = _decoder(types[0])
        return lambda raw: one(raw[0])
    decoders = tuple(_decoder(t) for t in types)
    return lambda raw: tuple([d(r) for d, r in zip(decoders, raw)])


def host_results_checker(
    name: str, types: Iterable[ValueType | int], funcref_ok: FuncrefCheck | None = None
) -> Callable[[object], list[int]]:
    """A function that checks what the host function ``name`` returned.

    ``name`` is how messages call it (``"env.log"``: module and field). The host
    function returns None, one raw int, or a sequence (list, tuple...) of raw ints; a
    wrong count, or a value that is not an int (``1.5``, ``"x"``), raises TypeError
    ("host function env.log returned ..."), an out-of-range value OverflowError, a bad
    funcref ValueError. Returns the raw values, unsigned and masked to their width.
    """
    types = _types(types)
    n = len(types)
    prefix = f"host function {name} returned"
    expected = "None" if n == 0 else f"a sequence of {n} ints"

    def slow(out: object) -> list[int]:
        values: list[object]
        if out is None:
            values = []
        elif as_int(out) is not None or (n == 1 and _not_a_sequence(out)):
            values = [out]  # one value, checked below
        elif _not_a_sequence(out):
            raise TypeError(f"{prefix} {_show(out)}: expected {expected}")
        else:
            values = list(out)  # type: ignore[call-overload]
        if len(values) != n:
            got = "None" if out is None else f"{len(values)} value{'' if len(values) == 1 else 's'}"
            raise TypeError(f"{prefix} {got}, its type has {n} result{'' if n == 1 else 's'}")
        return [
            check_raw(t, v, f"{prefix} a bad result {i}", funcref_ok)
            for i, (t, v) in enumerate(zip(types, values))
        ]

    if n == 0:

        def check(out: object) -> list[int]:
            return [] if out is None else slow(out)

    elif n == 1:
        lo, hi, mask = _RAW_RANGES[types[0]]

        def check(out: object) -> list[int]:
            if type(out) is int and lo <= out <= hi:
                return [out & mask]
            return slow(out)

    else:
        fast = _raw_fast(types, slow)

        def check(out: object) -> list[int]:
            if type(out) is tuple or type(out) is list:
                return fast(out)
            return slow(out)

    return _with_funcref_checks(
        check, types, funcref_ok, lambda i: f"{prefix} a bad result {i} (funcref)"
    )


def _not_a_sequence(value: object) -> bool:
    """Whether ``value`` cannot be a host function's sequence of results."""
    return isinstance(value, (str, bytes, bytearray, memoryview)) or not isinstance(value, Sequence)


def raw_fast_range(vt: ValueType | None) -> tuple[int, int, int] | None:
    """(low, high exclusive, mask) of the raw ints a scalar numeric type accepts, for
    prepared calls' fast paths; None for references, v128 and no type."""
    if vt is None or vt not in (ValueType.I32, ValueType.I64, ValueType.F32, ValueType.F64):
        return None
    lo, hi, mask = _RAW_RANGES[vt]
    return lo, hi + 1, mask


def pythonic_fast_range(vt: ValueType | None) -> tuple[int, int, int] | None:
    """The same for Pythonic values: only i32 and i64 take ints as they are."""
    return raw_fast_range(vt) if vt in (ValueType.I32, ValueType.I64) else None
