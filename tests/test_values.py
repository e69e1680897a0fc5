"""Values crossing from Python into wasm are checked, never coerced (API.md, "Values").

The first part tests ``wazaot.values`` (the prepared converters) and the helpers of
``wazaot.api`` directly; the second part states the same rules through the public API:
``Function.call`` / ``Function.__call__``, ``Global.set``, host function results, and
that ``UnsupportedError`` is a ``CompileError``.
"""

from __future__ import annotations

import ctypes
import enum
import math
import platform
import struct
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import wazaot
from wazaot import ValueType
from wazaot.api import (
    decode_f32,
    decode_f64,
    decode_i32,
    decode_i64,
    encode_f32,
    encode_f64,
    encode_i32,
    encode_i64,
    encode_value,
    f32_bits,
)
from wazaot.values import (
    check_raw,
    encode_pythonic,
    host_results_checker,
    pythonic_decoder,
    pythonic_encoder,
    raw_params_checker,
    raw_range,
)

I32, I64, F32, F64 = ValueType.I32, ValueType.I64, ValueType.F32, ValueType.F64
V128, FUNCREF, EXTERNREF = ValueType.V128, ValueType.FUNCREF, ValueType.EXTERNREF
ALL_TYPES = (I32, I64, F32, F64, V128, FUNCREF, EXTERNREF)


class Color(enum.IntEnum):
    RED = 1


class Index:
    """An integer that is not an int: it only has ``__index__``."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


def c_float_bits(x: float) -> int:
    """What a C ``(float)`` cast gives, as bits (the oracle for f32 rounding)."""
    return struct.unpack("<I", bytes(ctypes.c_float(x)))[0]


# -- raw values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vt", "lo", "hi"),
    [
        (I32, -(2**31), 2**32 - 1),
        (F32, -(2**31), 2**32 - 1),
        (I64, -(2**63), 2**64 - 1),
        (F64, -(2**63), 2**64 - 1),
        (V128, -(2**127), 2**128 - 1),
        (FUNCREF, 0, 2**64 - 1),
        (EXTERNREF, 0, 2**64 - 1),
    ],
)
def test_raw_ranges(vt: ValueType, lo: int, hi: int) -> None:
    assert raw_range(vt) == (lo, hi)
    bits = hi.bit_length()
    check = raw_params_checker("f", [vt])
    assert check((lo,)) == [lo & hi]
    assert check((hi,)) == [hi]
    assert check((0,)) == [0]
    if lo < 0:
        assert check((-1,)) == [2**bits - 1]  # the signed form gives the bit pattern
    for bad in (lo - 1, hi + 1, 2**200, -(2**200)):
        with pytest.raises(OverflowError, match=rf"f\(\) parameter 0 \({vt}\)"):
            check((bad,))


@pytest.mark.parametrize("bad", ["1", None, 1.5, 1.0, Decimal(1), Fraction(1), b"\x01", [1]])
@pytest.mark.parametrize("vt", ALL_TYPES)
def test_raw_rejects_what_is_not_an_int(vt: ValueType, bad: object) -> None:
    check = raw_params_checker("add", [I32, vt])
    with pytest.raises(TypeError) as info:
        check((1, bad))
    message = str(info.value)
    assert "add" in message and "parameter 1" in message
    assert str(vt) in message and type(bad).__name__ in message


@pytest.mark.parametrize("value", [True, False, Color.RED, Index(7)])
def test_raw_accepts_int_like_objects(value: Any) -> None:
    want = [int(value.__index__())]
    for n in (1, 2, 3):  # the 1-, 2- and n-parameter fast paths fall back alike
        assert raw_params_checker("f", [I32] * n)((value,) * n) == want * n


def test_raw_accepts_numpy_integers() -> None:
    np = pytest.importorskip("numpy")
    assert raw_params_checker("f", [I32, I64])((np.int32(-1), np.uint64(2**64 - 1))) == [
        2**32 - 1,
        2**64 - 1,
    ]
    with pytest.raises(TypeError):
        raw_params_checker("f", [I32])((np.float64(1.0),))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_raw_argument_count(n: int) -> None:
    check = raw_params_checker("g", [I64] * n)
    assert check((1,) * n) == [1] * n
    for wrong in (n - 1, n + 1):
        if wrong < 0:
            continue
        with pytest.raises(TypeError, match=rf"g\(\) takes {n} argument"):
            check((1,) * wrong)


def test_raw_funcref_callback() -> None:
    good = {0x1000, 0x2000}
    check = raw_params_checker("take", [I32, FUNCREF, EXTERNREF], good.__contains__)
    assert check((1, 0x1000, 0x3000)) == [1, 0x1000, 0x3000]  # externrefs are opaque
    assert check((1, 0, 0)) == [1, 0, 0]  # null is always fine
    with pytest.raises(ValueError, match="parameter 1.*not a funcref"):
        check((1, 0x3000, 0))
    with pytest.raises(OverflowError):
        check((1, -1, 0))  # references have no signed form
    assert check_raw(FUNCREF, 0x2000, "table t", good.__contains__) == 0x2000
    with pytest.raises(ValueError, match="table t.*not a funcref"):
        check_raw(FUNCREF, 0x2001, "table t", good.__contains__)


def test_check_raw_names_its_subject() -> None:
    assert check_raw(I32, -1, "global g") == 0xFFFF_FFFF
    with pytest.raises(TypeError, match=r"global g \(i32\).*str"):
        check_raw(I32, "x", "global g")
    with pytest.raises(OverflowError, match=r"global g \(i32\)"):
        check_raw(I32, 2**40, "global g")
    with pytest.raises(OverflowError, match="an int of 201 bits"):  # no 60-digit numbers
        check_raw(I32, 2**200, "global g")


_raw_values = st.one_of(
    st.integers(-(2**130), 2**130),
    st.sampled_from([True, Color.RED, 1.0, "1", None, -(2**31) - 1, 2**32, 2**64]),
)


@given(st.lists(st.tuples(st.sampled_from(ALL_TYPES), _raw_values), max_size=5))
def test_prepared_raw_checker_agrees_with_check_raw(params: list[tuple[ValueType, Any]]) -> None:
    """Every fast path gives what the value-by-value rules give, or the same error."""
    types = [t for t, _ in params]
    args = tuple(v for _, v in params)
    try:
        want: Any = [check_raw(t, v, "p") for t, v in params]
    except (TypeError, OverflowError) as exc:
        want = type(exc)
    try:
        got: Any = raw_params_checker("p", types)(args)
    except (TypeError, OverflowError) as exc:
        got = type(exc)
    assert got == want


# -- Pythonic values ---------------------------------------------------------------------


def test_pythonic_integers() -> None:
    enc = pythonic_encoder("f", [I32, I64])
    assert enc((-1, -1)) == [2**32 - 1, 2**64 - 1]
    assert enc((2**32 - 1, 2**64 - 1)) == [2**32 - 1, 2**64 - 1]
    assert enc((True, Color.RED)) == [1, 1]
    with pytest.raises(OverflowError, match=r"f\(\) parameter 0 \(i32\)"):
        enc((2**32, 0))
    with pytest.raises(TypeError, match=r"f\(\) parameter 1 \(i64\).*float"):
        enc((0, 1.0))


def test_pythonic_floats() -> None:
    enc = pythonic_encoder("f", [F32, F64])
    assert enc((1.5, 1.5)) == [0x3FC0_0000, 0x3FF8_0000_0000_0000]
    assert enc((1, 2)) == [0x3F80_0000, 0x4000_0000_0000_0000]  # ints are taken as floats
    assert enc((1e40, 1e300)) == [0x7F80_0000, f64(1e300)]  # f32 overflows to inf
    assert enc((-1e40, -0.0)) == [0xFF80_0000, 0x8000_0000_0000_0000]
    assert enc((Color.RED, True)) == [0x3F80_0000, 0x3FF0_0000_0000_0000]
    for bad in ("1.5", None, Decimal("1.5"), Fraction(1, 2), 1j):
        with pytest.raises(TypeError, match=r"f\(\) parameter 0 \(f32\)"):
            enc((bad, 1.0))
    with pytest.raises(OverflowError, match=r"f\(\) parameter 1 \(f64\)"):
        enc((1.0, 2**1024))
    with pytest.raises(OverflowError, match=r"f\(\) parameter 0 \(f32\)"):
        enc((2**1024, 1.0))


def f64(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


@given(st.floats(allow_nan=False) | st.integers(-(2**64), 2**64).map(float))
def test_f32_rounds_like_a_c_cast(x: float) -> None:
    assert f32_bits(x) == c_float_bits(x)
    assert encode_f32(x) == c_float_bits(x)
    assert pythonic_encoder("f", [F32])((x,)) == [c_float_bits(x)]


@pytest.mark.parametrize(
    "x",
    [
        3.4028234663852886e38,  # FLT_MAX
        3.4028235677973362e38,  # just below the halfway point: FLT_MAX
        3.4028235677973366e38,  # the halfway point: ties to even, which is inf
        1e39,
        -1e39,
        float("inf"),
        1.401298464324817e-45,  # the smallest subnormal
        7.006492321624085e-46,  # half of it: ties to even, which is 0
        7.006492321624087e-46,  # just above half: the subnormal
        1 + 2**-24,  # a tie between 1 and 1 + 2**-23: to even, 1
        1 + 3 * 2**-24,  # a tie: to even, 1 + 2**-22
    ],
)
def test_f32_rounding_edges(x: float) -> None:
    assert encode_f32(x) == c_float_bits(x)


def test_f32_from_large_ints_rounds_once() -> None:
    # float(x) would round this to 2**53 + 2**29 first, then to 2**53 (a tie, to even);
    # the nearest f32 is 2**53 + 2**30.
    x = 2**53 + 2**29 + 1
    assert decode_f32(encode_f32(x)) == 2**53 + 2**30
    assert decode_f32(encode_f32(-x)) == -(2**53 + 2**30)
    assert encode_f32(2**128) == 0x7F80_0000
    assert encode_f32(2**128 - 2**104) == 0x7F7F_FFFF  # FLT_MAX exactly
    assert encode_f32(-(2**500)) == 0xFF80_0000
    with pytest.raises(OverflowError):
        encode_f32(2**1024)


def test_float_nans() -> None:
    # A Python float NaN's payload survives f64, and the top of it survives f32.
    nan = struct.unpack("<d", struct.pack("<Q", 0x7FF8_0000_DEAD_0000))[0]
    assert encode_f64(nan) == 0x7FF8_0000_DEAD_0000
    assert f32_bits(nan) == c_float_bits(nan)
    assert math.isnan(decode_f32(0x7FC0_0001)) and math.isnan(decode_f64(0x7FF0_0000_0000_0001))


def test_pythonic_references() -> None:
    enc = pythonic_encoder("f", [FUNCREF, EXTERNREF], {0x40}.__contains__)
    assert enc((None, None)) == [0, 0]
    assert enc((0x40, 0x99)) == [0x40, 0x99]
    with pytest.raises(ValueError, match="not a funcref"):
        enc((0x41, None))
    with pytest.raises(TypeError):
        enc(("x", None))
    assert encode_pythonic(EXTERNREF, None, "global g") == 0


def test_pythonic_argument_count() -> None:
    for types in ([], [I32], [F32], [F32, F64], [I32, F64, EXTERNREF]):
        with pytest.raises(TypeError, match=rf"h\(\) takes {len(types)} argument"):
            pythonic_encoder("h", types)((1.0,) * (len(types) + 1))


def test_pythonic_decoder() -> None:
    assert pythonic_decoder([])([]) is None
    assert pythonic_decoder([I32])([0xFFFF_FFFF]) == -1
    assert pythonic_decoder([I64])([2**64 - 1]) == -1
    assert pythonic_decoder([F32])([0x7F80_0000]) == math.inf
    assert pythonic_decoder([F64])([0x3FF8_0000_0000_0000]) == 1.5
    assert pythonic_decoder([FUNCREF])([0]) is None
    assert pythonic_decoder([EXTERNREF])([7]) == 7
    assert pythonic_decoder([V128])([2**128 - 1]) == 2**128 - 1
    out = pythonic_decoder([I32, F32, EXTERNREF])([0x8000_0000, 0x3F80_0000, 0])
    assert out == (-(2**31), 1.0, None) and type(out) is tuple


# -- host function results -------------------------------------------------------------


@pytest.mark.parametrize(
    ("types", "out", "want"),
    [
        ([], None, []),
        ([], [], []),
        ([], (), []),
        ([I32], 5, [5]),
        ([I32], -1, [0xFFFF_FFFF]),
        ([I32], [5], [5]),
        ([I32], (True,), [1]),
        ([I32], Color.RED, [1]),
        ([I64, F32], [-1, 0x7FA0_0001], [2**64 - 1, 0x7FA0_0001]),
        ([I64, F32, F64], (1, 2, 3), [1, 2, 3]),
    ],
)
def test_host_results_accepted(types: list[ValueType], out: object, want: list[int]) -> None:
    assert host_results_checker("env.f", types)(out) == want


@pytest.mark.parametrize(
    ("types", "out", "error"),
    [
        ([I32], 1.5, TypeError),
        ([I32], "x", TypeError),
        ([I32], b"x", TypeError),
        ([I32], None, TypeError),
        ([I32], [], TypeError),
        ([I32], [1, 2], TypeError),
        ([I32], [1.5], TypeError),
        ([], 0, TypeError),
        ([], "x", TypeError),
        ([], 1.5, TypeError),
        ([I32, I32], 1, TypeError),
        ([I32, I32], 1.5, TypeError),
        ([I32, I32], "ab", TypeError),
        ([I32, I32], [1, None], TypeError),
        ([I32, I32], {1: 2, 3: 4}, TypeError),
        ([I32], 2**32, OverflowError),
        ([I32, I64], (0, 2**64), OverflowError),
        ([EXTERNREF], -1, OverflowError),
    ],
)
def test_host_results_rejected(types: list[ValueType], out: object, error: type) -> None:
    with pytest.raises(error, match="host function env.f returned"):
        host_results_checker("env.f", types)(out)


def test_host_results_funcrefs() -> None:
    check = host_results_checker("env.f", [FUNCREF], {0x40}.__contains__)
    assert check(0x40) == [0x40] and check(0) == [0]
    with pytest.raises(ValueError, match="host function env.f returned.*not a funcref"):
        check(0x41)


# -- the wazaot.api helpers --------------------------------------------------------------


def test_api_integer_helpers_check() -> None:
    assert encode_i32(-1) == 0xFFFF_FFFF and decode_i32(0xFFFF_FFFF) == -1
    assert encode_i64(-1) == 2**64 - 1 and decode_i64(2**63) == -(2**63)
    for encode, bits in ((encode_i32, 32), (encode_i64, 64)):
        with pytest.raises(OverflowError):
            encode(2**bits)
        with pytest.raises(OverflowError):
            encode(-(2 ** (bits - 1)) - 1)
        for bad in ("1", 1.0, None):
            with pytest.raises(TypeError):
                encode(bad)  # type: ignore[arg-type]


def test_api_encode_value() -> None:
    assert encode_value(I32, -1) == 0xFFFF_FFFF
    assert encode_value(F32, 1e40) == 0x7F80_0000
    assert encode_value(F64, 1) == 0x3FF0_0000_0000_0000
    assert encode_value(FUNCREF, None) == 0
    assert encode_value(V128, -1) == 2**128 - 1
    with pytest.raises(TypeError):
        encode_value(I64, 1.5)
    with pytest.raises(OverflowError):
        encode_value(EXTERNREF, -1)


# -- through the public API ---------------------------------------------------------------

native = pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64"),
    reason="native execution needs the x86-64 backend",
)
wasmtime = pytest.importorskip("wasmtime", reason="pip install wasmtime (for wat2wasm)")


def wat(text: str) -> bytes:
    return wasmtime.wat2wasm(text)


@pytest.fixture
def rt():
    with wazaot.Runtime() as runtime:
        yield runtime


VALUES_MODULE = """(module
  (func $add (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func $id32 (export "id32") (param f32) (result f32) (local.get 0))
  (func $id64 (export "id64") (param f64) (result f64) (local.get 0))
  (func $wide (export "wide") (param i64) (result i64) (local.get 0))
  (global $g (export "g") (mut i32) (i32.const 0))
  (global $gf (export "gf") (mut f32) (f32.const 0))
  (global $gd (export "gd") (mut f64) (f64.const 0)))"""


@pytest.fixture
def values_module(rt):
    return rt.instantiate(rt.compile(wat(VALUES_MODULE)))


@native
def test_pythonic_call_rejects_a_str(values_module) -> None:
    add = values_module.exported_function("add")
    with pytest.raises(TypeError) as info:
        add("1", 2)
    message = str(info.value)
    assert "add" in message and "parameter 0" in message and "str" in message
    with pytest.raises(TypeError, match="parameter 1"):
        add(1, None)
    with pytest.raises(TypeError, match="parameter 0"):
        add(1.0, 2)  # a float is not an i32, even a whole one


@native
def test_raw_call_rejects_what_is_not_an_int(values_module) -> None:
    add = values_module.exported_function("add")
    for bad in ("1", None, 1.5):
        with pytest.raises(TypeError) as info:
            add.call(bad, 2)
        assert "add" in str(info.value) and "parameter 0" in str(info.value)


@native
def test_out_of_range_ints_overflow(values_module) -> None:
    add = values_module.exported_function("add")
    with pytest.raises(OverflowError):
        add(2**70, 1)
    with pytest.raises(OverflowError):
        add.call(2**70, 1)
    with pytest.raises(OverflowError):
        add.call(2**32, 0)
    with pytest.raises(OverflowError):
        add(1, -(2**31) - 1)
    wide = values_module.exported_function("wide")
    with pytest.raises(OverflowError):
        wide.call(2**64)
    assert wide.call(-1) == [2**64 - 1]
    assert wide(2**64 - 1) == -1


@native
def test_signed_and_unsigned_forms(values_module) -> None:
    add = values_module.exported_function("add")
    assert add.call(-1, 0) == [0xFFFF_FFFF]
    assert add.call(0xFFFF_FFFF, 1) == [0]
    assert add(-1, 0) == -1
    assert add(0xFFFF_FFFF, 0) == -1
    assert add(2**31 - 1, 1) == -(2**31)
    assert add(True, Color.RED) == 2  # bool and IntEnum are ints


@native
def test_argument_count_is_checked(values_module) -> None:
    add = values_module.exported_function("add")
    with pytest.raises(TypeError):
        add(1)
    with pytest.raises(TypeError):
        add.call(1, 2, 3)


@native
def test_global_set_is_checked(values_module) -> None:
    g = values_module.exported_global("g")
    with pytest.raises(OverflowError):
        g.set(2**40)
    with pytest.raises(TypeError):
        g.set("x")
    with pytest.raises(TypeError):
        g.set(1.5)
    g.set(-1)
    assert g.get() == 0xFFFF_FFFF and g.value == -1
    g.set(7)
    assert g.get() == 7 and g.value == 7


@native
def test_float_globals_keep_nan_payloads(values_module) -> None:
    gf, gd = values_module.exported_global("gf"), values_module.exported_global("gd")
    for bits in (0x7FA0_0001, 0xFFC0_1234, 0x7F80_0001):
        gf.set(bits)
        assert gf.get() == bits
    for bits in (0x7FF0_0000_0000_0001, 0xFFF8_DEAD_BEEF_0001):
        gd.set(bits)
        assert gd.get() == bits
    with pytest.raises(OverflowError):
        gf.set(2**32)


@native
def test_f32_arguments_round_as_ieee(values_module) -> None:
    id32 = values_module.exported_function("id32")
    assert id32(1e40) == math.inf
    assert id32(-1e40) == -math.inf
    assert id32(0.1) == struct.unpack("<f", struct.pack("<f", 0.1))[0]
    assert id32(3) == 3.0
    with pytest.raises(TypeError):
        id32("1.0")
    id64 = values_module.exported_function("id64")
    assert id64(1e300) == 1e300
    with pytest.raises(OverflowError):
        id64(2**1024)


@native
def test_nan_payloads_round_trip_through_raw_calls(values_module) -> None:
    id32, id64 = values_module.exported_function("id32"), values_module.exported_function("id64")
    for bits in (0x7FA0_0001, 0x7FC0_0000, 0xFFFF_FFFF, 0x7F80_0001, 0xFFC1_2345):
        assert id32.call(bits) == [bits]
    for bits in (0x7FF0_0000_0000_0001, 0x7FF8_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF):
        assert id64.call(bits) == [bits]
    # The signed form of the pattern is accepted too (as for i32/i64).
    assert id32.call(-1) == [0xFFFF_FFFF]


HOST_USER = """(module
  (import "env" "f" (func $f (result i32)))
  (func $inner (result i32) (call $f))
  (func (export "run") (result i32) (call $inner)))"""


@native
@pytest.mark.parametrize("returned", [1.5, "x", None, [1, 2], b"\x01"])
def test_a_host_function_returning_a_bad_value_raises_type_error(rt, returned: object) -> None:
    rt.new_host_module_builder("env").function(
        "f", lambda caller: returned, results=[I32]
    ).instantiate()
    run = rt.instantiate(rt.compile(wat(HOST_USER))).exported_function("run")
    with pytest.raises(TypeError, match="host function env.f returned"):
        run.call()
    with pytest.raises(TypeError, match="host function env.f returned"):
        run()


@native
def test_a_host_function_returning_an_out_of_range_int_overflows(rt) -> None:
    rt.new_host_module_builder("env").function(
        "f", lambda caller: 2**32, results=[I32]
    ).instantiate()
    run = rt.instantiate(rt.compile(wat(HOST_USER))).exported_function("run")
    with pytest.raises(OverflowError, match="host function env.f returned"):
        run.call()


@native
def test_a_host_function_may_return_either_form(rt) -> None:
    answers = iter([-1, 0xFFFF_FFFF, [7], (8,)])
    rt.new_host_module_builder("env").function(
        "f", lambda caller: next(answers), results=[I32]
    ).instantiate()
    run = rt.instantiate(rt.compile(wat(HOST_USER))).exported_function("run")
    assert [run.call() for _ in range(4)] == [[0xFFFF_FFFF], [0xFFFF_FFFF], [7], [8]]


@native
def test_the_runtime_is_usable_after_a_bad_value(rt) -> None:
    answers = iter([1.5, 3])
    rt.new_host_module_builder("env").function(
        "f", lambda caller: next(answers), results=[I32]
    ).instantiate()
    run = rt.instantiate(rt.compile(wat(HOST_USER))).exported_function("run")
    with pytest.raises(TypeError):
        run.call()
    assert run.call() == [3]


# -- errors -----------------------------------------------------------------------------


def test_unsupported_error_is_a_compile_error(rt, monkeypatch) -> None:
    assert issubclass(wazaot.UnsupportedError, wazaot.CompileError)
    assert issubclass(wazaot.UnsupportedError, NotImplementedError)
    zero = "(v128.const i64x2 0 0)"
    simd = wat(f"(module (func (result v128) (i32x4.add {zero} {zero})))")
    if rt.arch != "amd64" or platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("checks the x86-64 backend")
    from wazaot.amd64.simd import SIMD

    monkeypatch.delitem(SIMD.impls, "i32x4.add")  # as if the backend lacked it
    with pytest.raises(wazaot.UnsupportedError) as info:
        rt.compile(simd)
    assert isinstance(info.value, wazaot.CompileError)
    assert info.value.offset is None or 0 <= info.value.offset < len(simd)
    with pytest.raises(wazaot.CompileError):
        rt.compile(simd)
