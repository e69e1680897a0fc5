"""Robustness of the front end: bad input only ever raises ``CompileError``.

Mutated spec modules (byte flips, truncations, insertions, deletions) and handcrafted
hostile binaries must compile or raise a ``CompileError`` subclass: never
IndexError, RecursionError, MemoryError, struct.error, UnicodeDecodeError or anything
else, never hang, and never allocate in proportion to a count the binary merely claims.

``WAZAOT_FUZZ_EXAMPLES`` scales the number of Hypothesis examples (default 1000 for
the mutation test, a third of that for truncations). Under ``CI`` the examples are
derandomised so that a run is reproducible. Every case runs under a SIGALRM time
limit (``time_limit``) rather than Hypothesis's deadline, which turns a load spike on
a busy machine into a flaky failure.
"""

from __future__ import annotations

import os
import signal
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spec import wasmgen as w
from spec.harness import spectest_dir

from wazaot import CompileError, Runtime, RuntimeConfig
from wazaot.errors import UnsupportedError

# -- what is under test -------------------------------------------------------------

_RT = Runtime(RuntimeConfig(arch="amd64"))


class Hang(BaseException):
    """Raised by the alarm: a BaseException so that no ``except Exception`` swallows it."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ``Hang`` if the block runs longer than ``seconds`` (SIGALRM, main thread)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def compile_or_compile_error(data: bytes, seconds: float = 5.0) -> CompileError | None:
    """Compile ``data``; return the CompileError it raised, or None if it compiled.

    ``Runtime.compile`` generates machine code too, so this also fuzzes the backend.
    ``UnsupportedError`` (a valid module using SIMD, which the backend does not compile
    yet) counts as compiled. Any other exception propagates and fails the test, as
    does running too long.
    """
    with time_limit(seconds):
        try:
            _RT.compile(data)
        except UnsupportedError:
            return None
        except CompileError as exc:
            if exc.offset is not None:
                assert 0 <= exc.offset <= len(data), (
                    f"offset {exc.offset} outside the binary: {exc}"
                )
            return exc
    return None


def check_cheap(
    data: bytes, max_seconds: float = 0.1, max_bytes: int = 4 << 20
) -> CompileError | None:
    """Compile ``data`` quickly and without allocating much; returns the error, if any."""
    compile_or_compile_error(data)  # warm up imports and caches outside the measurement
    start = time.perf_counter()
    result = compile_or_compile_error(data)
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    try:
        compile_or_compile_error(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < max_seconds, f"took {elapsed:.3f} s"
    assert peak < max_bytes, f"allocated {peak / 1e6:.1f} MB at peak"
    return result


# -- mutation fuzzing of spec modules -----------------------------------------------

_SAMPLE = [
    "address.2", "binary-leb128.81", "block.0", "bulk.10", "call_indirect.0", "conversions.0",
    "custom.1", "data.0", "elem.0", "exports.11", "float_exprs.62", "func.0", "global.0",
    "if.0", "imports.1", "linking.6", "memory_grow.4", "memory_init.3", "names.2",
    "ref_func.1", "select.0", "simd_lane.0", "simd_load.4", "simd_store8_lane.0", "start.3",
    "table_copy.50", "unreached-valid.0",
]  # fmt: skip


def _load_sample() -> list[bytes]:
    directory = spectest_dir()
    return [p.read_bytes() for name in _SAMPLE if (p := directory / f"{name}.wasm").exists()]


SAMPLE = _load_sample()
needs_sample = pytest.mark.skipif(
    len(SAMPLE) < 10, reason=f"spec modules not found in {spectest_dir()}"
)

EXAMPLES = int(os.environ.get("WAZAOT_FUZZ_EXAMPLES", "1000"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # hangs are caught by time_limit() in compile_or_compile_error
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# bytes that matter to the format: LEB continuation, section ids, opcodes, type codes
_INTERESTING = [0x00, 0x01, 0x02, 0x0B, 0x40, 0x41, 0x60, 0x6F, 0x70, 0x7B, 0x7F, 0x80, 0xFC, 0xFD, 0xFF]  # fmt: skip
_byte = st.one_of(st.integers(0, 255), st.sampled_from(_INTERESTING))


def _mutate(data: bytearray, draw: Callable, kind: str) -> None:
    n = len(data)
    if kind == "flip" and n:
        pos = draw(st.integers(0, n - 1))
        data[pos] ^= draw(st.integers(1, 255))
    elif kind == "set" and n:
        data[draw(st.integers(0, n - 1))] = draw(_byte)
    elif kind == "truncate":
        del data[draw(st.integers(0, n)) :]
    elif kind == "insert":
        pos = draw(st.integers(0, n))
        data[pos:pos] = bytes(draw(st.lists(_byte, min_size=1, max_size=8)))
    elif kind == "delete" and n:
        pos = draw(st.integers(0, n - 1))
        del data[pos : pos + draw(st.integers(1, 8))]
    elif kind == "duplicate" and n:
        pos = draw(st.integers(0, n - 1))
        chunk = data[pos : pos + draw(st.integers(1, 32))]
        at = draw(st.integers(0, n))
        data[at:at] = chunk


@needs_sample
@FUZZ
@given(st.data())
def test_mutated_modules_raise_only_compile_errors(data: st.DataObject) -> None:
    original = data.draw(st.sampled_from(SAMPLE), label="module")
    mutated = bytearray(original)
    kinds = data.draw(
        st.lists(
            st.sampled_from(["flip", "set", "truncate", "insert", "delete", "duplicate"]),
            min_size=1,
            max_size=4,
        ),
        label="mutations",
    )
    for kind in kinds:
        _mutate(mutated, data.draw, kind)
    compile_or_compile_error(bytes(mutated))


@needs_sample
@settings(FUZZ, max_examples=max(1, EXAMPLES // 3))
@given(module=st.sampled_from(SAMPLE), length=st.integers(0, 1 << 16))
def test_truncated_modules(module: bytes, length: int) -> None:
    compile_or_compile_error(module[: length % (len(module) + 1)])


@needs_sample
@pytest.mark.parametrize(
    "name", ["address.2", "data.0", "elem.0", "imports.1", "custom.1", "memory_init.3"]
)
@pytest.mark.parametrize("value", [0x00, 0x80, 0xFF])
def test_every_byte_set(name: str, value: int) -> None:
    """Deterministic sweep: each byte in turn replaced by ``value``; every prefix tried once.

    Valid modules from scripts that use every section kind between them.
    """
    path = spectest_dir() / f"{name}.wasm"
    original = path.read_bytes()
    compile_or_compile_error(original)
    for pos in range(len(original)):
        mutated = bytearray(original)
        mutated[pos] = value
        compile_or_compile_error(bytes(mutated))
        if value == 0x00:
            compile_or_compile_error(original[:pos])


def test_time_limit_stops_a_hang() -> None:
    with pytest.raises(Hang), time_limit(0.05):
        while True:
            pass


def test_sample_modules_are_valid() -> None:
    if not SAMPLE:
        pytest.skip(f"spec modules not found in {spectest_dir()}")
    for module in SAMPLE:
        assert compile_or_compile_error(module) is None


# -- handcrafted hostile binaries ---------------------------------------------------

HUGE = w.uleb(0xFFFF_FFFF)
VOID = w.section(w.TYPE, w.vec([w.func_type([], [])]))
ONE_FUNC = w.section(w.FUNCTION, w.vec([w.uleb(0)]))


def test_huge_function_count_fails_fast() -> None:
    data = w.module(w.section(w.FUNCTION, HUGE))
    assert len(data) < 20
    assert check_cheap(data) is not None


_VECTOR_SECTIONS = {
    "type": w.TYPE, "import": w.IMPORT, "function": w.FUNCTION, "table": w.TABLE,
    "memory": w.MEMORY, "global": w.GLOBAL, "export": w.EXPORT, "element": w.ELEMENT,
    "code": w.CODE, "data": w.DATA,
}  # fmt: skip


@pytest.mark.parametrize("section_id", _VECTOR_SECTIONS.values(), ids=list(_VECTOR_SECTIONS))
def test_huge_vector_count_in_every_section(section_id: int) -> None:
    assert check_cheap(w.module(w.section(section_id, HUGE))) is not None
    # the same count, with the section's size field claiming far more than the file has
    assert check_cheap(w.module(bytes([section_id]) + w.uleb(0xFFFF_FFFF) + HUGE)) is not None


def test_huge_data_count() -> None:
    data_count = w.section(w.DATA_COUNT, HUGE)
    assert check_cheap(w.module(data_count)) is not None
    assert check_cheap(w.module(data_count, w.section(w.DATA, HUGE))) is not None


def test_huge_segment_lengths() -> None:
    memory = w.section(w.MEMORY, w.vec([w.limits(1)]))
    data = w.section(w.DATA, w.vec([b"\x00" + w.i32_const(0) + w.END + HUGE + b"abc"]))
    assert check_cheap(w.module(memory, data)) is not None
    table = w.section(w.TABLE, w.vec([bytes([w.FUNCREF]) + w.limits(1)]))
    elem = w.section(w.ELEMENT, w.vec([b"\x00" + w.i32_const(0) + w.END + HUGE + b"\x00"]))
    assert check_cheap(w.module(VOID, ONE_FUNC, table, elem)) is not None


@pytest.mark.parametrize(
    "runs",
    [
        [(0xFFFF_FFFF, w.I32)],
        [(0x8000_0000, w.I32), (0x8000_0000, w.I64)],
        [(0xFFFF_FFFF, w.I32), (2, w.I64)],
    ],
    ids=["2^32-1", "2^31+2^31", "overflow"],
)
def test_huge_local_counts(runs: list[tuple[int, int]]) -> None:
    code = w.section(w.CODE, w.vec([w.code(w.END, runs)]))
    check_cheap(w.module(VOID, ONE_FUNC, code))


def test_huge_local_run_count() -> None:
    body = HUGE + bytes([1, w.I32]) + w.END
    code = w.section(w.CODE, w.vec([w.uleb(len(body)) + body]))
    assert check_cheap(w.module(VOID, ONE_FUNC, code)) is not None


@pytest.mark.parametrize(
    "body",
    [
        w.i32_const(0) + b"\x0e" + HUGE + b"\x00" + w.END,  # br_table with 2^32-1 labels
        w.i32_const(0) * 3 + b"\x1c" + HUGE + bytes([w.I32]) + w.END,  # select with 2^32-1 types
        b"\x0e" + HUGE,  # br_table cut short
    ],
    ids=["br_table", "select_t", "br_table-eof"],
)
def test_huge_immediate_vectors(body: bytes) -> None:
    code = w.section(w.CODE, w.vec([w.code(body)]))
    assert check_cheap(w.module(VOID, ONE_FUNC, code)) is not None


@pytest.mark.parametrize(
    "payload",
    [
        HUGE,  # custom section name length
        w.name("name") + b"\x01" + w.uleb(10) + HUGE,  # function name map count
        w.name("name") + b"\x01" + w.uleb(6) + w.uleb(1) + w.uleb(0) + HUGE,  # a name's length
        w.name("name") + b"\x02" + w.uleb(10) + HUGE,  # local name map count
        w.name("name") + b"\x00" + HUGE,  # module name subsection size
    ],
    ids=["custom-name", "func-names", "func-name-length", "local-names", "module-name"],
)
def test_huge_counts_in_custom_sections(payload: bytes) -> None:
    check_cheap(w.module(w.section(w.CUSTOM, payload), VOID, ONE_FUNC))


@pytest.mark.parametrize(
    "entry",
    [
        HUGE,  # import module-name length
        w.name("env") + HUGE,  # import field-name length
    ],
)
def test_huge_name_lengths(entry: bytes) -> None:
    assert check_cheap(w.module(w.section(w.IMPORT, w.vec([entry])))) is not None


def test_huge_function_type_arity() -> None:
    assert check_cheap(w.module(w.section(w.TYPE, w.vec([b"\x60" + HUGE])))) is not None
    assert check_cheap(w.module(w.section(w.TYPE, w.vec([b"\x60\x00" + HUGE])))) is not None


def test_huge_limits_and_indexes() -> None:
    memory = w.section(w.MEMORY, w.vec([w.limits(0xFFFF_FFFF, 0xFFFF_FFFF)]))
    assert check_cheap(w.module(memory)) is not None
    table = w.section(w.TABLE, w.vec([bytes([w.FUNCREF]) + w.limits(0xFFFF_FFFF)]))
    check_cheap(w.module(table))  # valid: tables may claim up to 2^32-1 elements
    call = w.section(w.CODE, w.vec([w.code(b"\x10" + HUGE + w.END)]))
    assert check_cheap(w.module(VOID, ONE_FUNC, call)) is not None


DEPTH = 100_000


def _function(body: bytes) -> bytes:
    return w.module(VOID, ONE_FUNC, w.section(w.CODE, w.vec([w.code(body)])))


@pytest.mark.parametrize(
    ("opening", "closing"),
    [
        (b"\x02\x40", w.END),  # block
        (b"\x03\x40", w.END),  # loop
        (w.i32_const(0) + b"\x04\x40", w.END),  # if
        (w.i32_const(0) + b"\x04\x40", b"\x05" + w.END),  # if ... else ... end
    ],
    ids=["block", "loop", "if", "if-else"],
)
def test_deeply_nested_blocks(opening: bytes, closing: bytes) -> None:
    start = time.perf_counter()
    error = compile_or_compile_error(
        _function(opening * DEPTH + closing * DEPTH + w.END), seconds=30
    )
    # The spec sets no nesting limit, but an implementation may (as a CompileError).
    if error is not None:
        assert "nest" in str(error) or "limit" in str(error), error
    assert time.perf_counter() - start < 30


def test_deeply_nested_blocks_without_ends() -> None:
    assert compile_or_compile_error(_function(b"\x02\x40" * DEPTH + w.END), seconds=30) is not None
    assert compile_or_compile_error(_function(b"\x02\x40" * DEPTH), seconds=30) is not None


def test_deeply_nested_results_and_branches() -> None:
    """Nested blocks each yielding an i32, with a ``br`` to the outermost label inside."""
    depth = 20_000
    body = (
        b"\x02\x7f" * depth
        + w.i32_const(1)
        + b"\x0c"
        + w.uleb(depth - 1)
        + w.END * depth
        + b"\x1a"
        + w.END
    )
    compile_or_compile_error(_function(body), seconds=30)


def test_many_functions_and_sections_in_bulk() -> None:
    """A valid module with 20,000 tiny functions decodes in reasonable time."""
    n = 20_000
    funcs = w.section(w.FUNCTION, w.vec([w.uleb(0)] * n))
    codes = w.section(w.CODE, w.vec([w.code(w.END)] * n))
    start = time.perf_counter()
    assert compile_or_compile_error(w.module(VOID, funcs, codes), seconds=30) is None
    assert time.perf_counter() - start < 10


def test_garbage_files() -> None:
    garbage = [b"", b"\x00", b"\x00asm", b"\x00asm\x01\x00\x00", b"\x7fELF" + bytes(60)]
    for data in [*garbage, os.urandom(4096)]:
        assert compile_or_compile_error(data) is not None
