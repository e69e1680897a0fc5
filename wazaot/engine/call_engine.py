"""Call engines: the prepared way into one function from Python.

A call engine is made once per function (wazero's ``NewCallEngine``) and keeps
everything a call needs, so a call does no lookups: the function's funcref record
(code, module context and entry thunk, which the entry trampoline reads), the checks
of its parameters and the loading of its results. The per-thread part, a
``ThreadState``, is found through one thread-local::

    state = the engine's thread-local state (made on the thread's first call)
    check the arguments, store them in state.slots
    status = entry(state.exec_ctx, funcref)      # cffi; the GIL is released
    if status: raise state.failure(status)       # a trap, a host exception, closed
    return the results loaded from state.slots

The two ways in, ``call_raw`` (raw values, ``Function.call``) and ``call_pythonic``
(Python values, ``Function.__call__``), are closures specialised once for the
signature: everything they use is a local of the closure, and the common case of
plain ints in range takes no function call besides the entry itself. Running entries
are counted by the entry trampoline itself (``Exec.ACTIVE``), which also refuses to
enter once the Runtime is closing or the function's module is closed.

``HostCallEngine`` calls a host function from Python directly; ``HostCall`` is
the other direction, a host function called by wasm code through ``exit_stub``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..api import FunctionDefinition, ValueType
from ..values import (
    host_results_checker,
    pythonic_decoder,
    pythonic_encoder,
    pythonic_fast_range,
    raw_fast_range,
    raw_params_checker,
)
from ..vmctx import FAILED, MAX_ENTRY_ARGS, EntryTail
from . import listeners
from . import slots as slot_io
from .watchdog import WATCHDOG

if TYPE_CHECKING:
    from .engine import NativeEngine
    from .module_engine import NativeModuleEngine
    from .thread import ThreadState

CallFn = Callable[..., Any]
CheckFn = Callable[[Sequence[Any]], list[int]]


# How a call returns what the entry trampoline gave back (slot 0 as its tail reads
# it), inline in the common cases (see ``_make_call``).
_LOAD, _NONE_RAW, _NONE_PY, _ONE_RAW, _SAME, _DECODE = range(6)
_NO_ARG: Any = object()  # a missing positional argument
_OPTIONS = frozenset({"ctx", "timeout"})  # the keyword arguments of a call


def _result_plan(results: Sequence[ValueType], pythonic: bool) -> tuple[int, EntryTail, bool]:
    """(mode, entry tail, signed return type) for results of ``results``."""
    if not results:
        return (_NONE_PY if pythonic else _NONE_RAW), EntryTail.U64, False
    if len(results) == 1 and results[0] != ValueType.V128:
        t = results[0]
        narrow = t in (ValueType.I32, ValueType.F32)
        if not pythonic:
            return _ONE_RAW, EntryTail.U32 if narrow else EntryTail.U64, False
        if t == ValueType.I32:
            return _SAME, EntryTail.S32, True
        if t == ValueType.I64:
            return _SAME, EntryTail.U64, True
        return _DECODE, EntryTail.U32 if narrow else EntryTail.U64, False
    return _LOAD, EntryTail.U64, False


def _make_call(engine: NativeEngine, record: Any, name: str, params: Sequence[ValueType],
               fast_range: tuple[int, int, int] | None, check: CheckFn,
               results: Sequence[ValueType], pythonic: bool) -> CallFn:  # fmt: skip
    """The prepared call: ``call(*args) -> results``.

    ``check`` is the full check of the arguments (raw or Pythonic values in, raw
    values out); a single argument that is a plain int in ``fast_range`` (low,
    high, mask) skips it. Up to four scalar arguments travel as arguments of the
    entry trampoline (no slot writes from Python), and the first result comes back
    as its return value, already zero- or sign-extended (``EntryTail``)."""
    tls, new_state = engine.tls, engine.thread_state
    stubs = engine.stubs  # kept by the closures: the trampolines stay mapped
    mode, tail, signed = _result_plan(results, pythonic)
    direct = len(params) <= MAX_ENTRY_ARGS and ValueType.V128 not in params
    entry = stubs.entry(len(params) if direct else 0, tail, signed)
    load = slot_io.pythonic_loader(results) if pythonic else slot_io.loader(results)
    decode = pythonic_decoder(results)

    def enter_checked(state: ThreadState, args: Sequence[Any]) -> int:
        values = check(args)
        if direct:
            return entry(state.ctx_ptr, record, *values)
        slot_io.store(state.slots, params, values)
        return entry(state.ctx_ptr, record)

    def enter_with(state: ThreadState, args: Sequence[Any], options: dict[str, Any]) -> int:
        """An entry with ``ctx`` (the listener context) or ``timeout`` (the slow path)."""
        unknown = set(options) - _OPTIONS
        if unknown:
            raise TypeError(f"{name}() got an unexpected keyword argument {sorted(unknown)[0]!r}")
        ctx, timeout = options.get("ctx"), options.get("timeout")
        token = WATCHDOG.arm(state, timeout) if timeout is not None else None
        saved = state.call_ctx, state.call_ctx_depth
        state.call_ctx, state.call_ctx_depth = ctx, state.ctx.active + 1
        try:
            return enter_checked(state, args)
        finally:
            state.call_ctx, state.call_ctx_depth = saved
            if token is not None:
                WATCHDOG.disarm(token)

    def finish(state: ThreadState, r: int) -> Any:
        if r == FAILED and state.ctx.status:
            raise state.failure(name)
        if mode == _ONE_RAW:
            return [r]
        if mode == _SAME:
            return r
        if mode == _DECODE:
            return decode([r])
        if mode == _LOAD:
            return load(state.slots)
        return [] if mode == _NONE_RAW else None

    if len(params) == 1 and direct and fast_range is not None:
        low, high, mask = fast_range
        # Two copies of the fast path, one per common result shape: a test of the
        # mode on every call costs as much as the rest of the Python work.
        if mode == _SAME:  # a Pythonic i32 or i64: the entry's return value is it

            def call1_same(v: Any = _NO_ARG, /, *rest: Any, **options: Any) -> Any:
                try:
                    state = tls.state
                except AttributeError:
                    state = new_state()
                if type(v) is int and low <= v < high and not rest and not options:
                    r = entry(state.ctx_ptr, record, v & mask)
                else:
                    r = enter_with(state, rest if v is _NO_ARG else (v, *rest), options)
                return r if r != FAILED else finish(state, r)

            call1_same.stubs = stubs  # type: ignore[attr-defined]
            return call1_same

        def call1(v: Any = _NO_ARG, /, *rest: Any, **options: Any) -> Any:
            try:
                state = tls.state
            except AttributeError:
                state = new_state()
            if type(v) is int and low <= v < high and not rest and not options:
                r = entry(state.ctx_ptr, record, v & mask)
            else:
                r = enter_with(state, rest if v is _NO_ARG else (v, *rest), options)
            if r != FAILED and mode == _ONE_RAW:
                return [r]
            return finish(state, r)

        call1.stubs = stubs  # type: ignore[attr-defined]
        return call1

    def call(*args: Any, **options: Any) -> Any:
        try:
            state = tls.state
        except AttributeError:
            state = new_state()
        if not options:
            return finish(state, enter_checked(state, args))
        return finish(state, enter_with(state, args, options))

    call.stubs = stubs  # type: ignore[attr-defined]
    return call


class NativeCallEngine:
    """Runs one wasm function from Python (implements ``interfaces.CallEngine``).

    ``call_raw(*args)`` takes and returns raw values; ``call_pythonic(*args)`` takes
    Python values and returns None, a value or a tuple (API.md "Values")."""

    __slots__ = ("call_raw", "call_pythonic", "name")

    def __init__(self, engine: NativeEngine, owner: NativeModuleEngine, func_index: int,
                 name: str, params: Sequence[ValueType],
                 results: Sequence[ValueType]):  # fmt: skip
        record = owner.record_pointer(func_index)
        self.name = name
        first = params[0] if params else None
        self.call_raw = _make_call(engine, record, name, params, raw_fast_range(first),
                                   raw_params_checker(name, params, engine.is_funcref),
                                   results, pythonic=False)  # fmt: skip
        self.call_pythonic = _make_call(engine, record, name, params, pythonic_fast_range(first),
                                        pythonic_encoder(name, params, engine.is_funcref),
                                        results, pythonic=True)  # fmt: skip

    def call(self, ctx: Any, module: Any, params: Sequence[int]) -> list[int]:
        return self.call_raw(*params)


class HostCallEngine:
    """Calls a host function from Python (an exported or re-exported import)."""

    __slots__ = ("_fn", "_check", "_results", "_owner", "name", "call_pythonic")

    def __init__(self, engine: NativeEngine, owner: Any, fn: Callable[..., Any], name: str,
                 params: Sequence[ValueType], results: Sequence[ValueType]):  # fmt: skip
        self._fn = fn
        self._owner = owner
        self.name = name
        self._check = raw_params_checker(name, params, engine.is_funcref)
        self._results = host_results_checker(name, results, engine.is_funcref)
        encode = pythonic_encoder(name, params, engine.is_funcref)
        decode = pythonic_decoder(results)
        self.call_pythonic: CallFn = lambda *args: decode(self.call_raw(*encode(args)))

    def call(self, ctx: Any, module: Any, params: Sequence[int]) -> list[int]:
        return self.call_raw(*params)

    def call_raw(self, *args: int, ctx: Any = None) -> list[int]:
        if self._owner is not None and self._owner.closed:
            raise RuntimeError(f"{self.name}: its module is closed")
        return self._results(self._fn(None, *self._check(args)))


HostCall = Callable[["ThreadState"], None]
"""A host function as wasm code calls it (through ``exit_stub`` and the exit
callback): parameters from the thread's slots, the caller from the exit's module
context, results checked and stored back in the slots."""


def host_call(engine: NativeEngine, fn: Callable[..., Any], definition: FunctionDefinition,
              params: Sequence[ValueType], results: Sequence[ValueType],
              listener: Any = None) -> HostCall:  # fmt: skip
    """The prepared ``HostCall`` of ``fn``; one scalar parameter and result (the
    common case) take no function call besides ``fn`` itself. With a ``listener``,
    its ``before``/``after`` surround every call."""
    name = definition.debug_name or definition.name
    callers = engine.callers  # module context address -> the public Module
    load = slot_io.loader(params)
    check = host_results_checker(name, results, engine.is_funcref)
    types = tuple(results)
    one_in = raw_fast_range(params[0]) if len(params) == 1 else None
    one_out = raw_fast_range(results[0]) if len(results) == 1 else None

    if listener is not None:

        def run(caller: Any, args: Sequence[int]) -> list[int]:
            return check(fn(caller, *args))

        listened = listeners.listened_host_call(run, listener, definition)

        def invoke_listened(state: ThreadState) -> None:
            slots = state.slots
            args = load(slots)
            if state.segments:
                pc, fp, host, _ = state.segments[-1]
                state.segments[-1] = (pc, fp, host, args)
            values = listened(state, callers.get(state.ctx.exit_module), args)
            slot_io.store(slots, types, values)

        return invoke_listened

    if one_in is not None and one_out is not None:
        in_mask = one_in[2]
        low, high, mask = one_out

        def invoke1(state: ThreadState) -> None:
            slots = state.slots
            out = fn(callers.get(state.ctx.exit_module), slots[0] & in_mask)
            if type(out) is int and low <= out < high:
                slots[0] = out & mask
            else:
                slots[0] = check(out)[0]

        return invoke1

    if one_out is not None:
        low, high, mask = one_out

        def invoke_n(state: ThreadState) -> None:
            slots = state.slots
            out = fn(callers.get(state.ctx.exit_module), *load(slots))
            if type(out) is int and low <= out < high:
                slots[0] = out & mask
            else:
                slots[0] = check(out)[0]

        return invoke_n

    def invoke(state: ThreadState) -> None:
        slots = state.slots
        out = fn(callers.get(state.ctx.exit_module), *load(slots))
        slot_io.store(slots, types, check(out))

    return invoke
