"""Call engines: the prepared way into one function from Python.

A call engine is made once per function (wazero's ``NewCallEngine``) and keeps
everything a call needs, so ``Function.call`` does no lookups: the function's
funcref record (code, module context and entry thunk, read by the entry
trampoline), the checks of its parameters and the loading of its results. The
per-thread part, a ``ThreadState``, is found through one thread-local::

    state = engine's thread-local state (made on the thread's first call)
    check the arguments, store them in state.slots
    status = entry(state.exec_ctx, funcref)      # cffi; the GIL is released
    if status: raise state.pending               # a trap or a host exception
    return the results loaded from state.slots

``HostCallEngine`` calls a host function from Python directly; ``HostCall`` is
the other direction, a host function called by wasm code through ``exit_stub``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..api import ValueType
from ..values import RawChecker, host_results_checker, raw_params_checker
from . import slots as slot_io
from .thread import ThreadState

if TYPE_CHECKING:
    from .engine import NativeEngine
    from .module_engine import NativeModuleEngine


class NativeCallEngine:
    """Runs one wasm function from Python (implements ``interfaces.CallEngine``)."""

    __slots__ = ("_engine", "_tls", "_entry", "_record", "_owner", "_check", "_types",
                 "_load", "_name", "_single")  # fmt: skip

    def __init__(self, engine: NativeEngine, owner: NativeModuleEngine, func_index: int,
                 name: str, params: Sequence[ValueType],
                 results: Sequence[ValueType]):  # fmt: skip
        self._engine = engine
        self._tls = engine.tls
        self._entry = engine.entry
        self._record = owner.record_pointer(func_index)
        self._owner = owner
        self._name = name
        self._types = tuple(params)
        self._check: RawChecker = raw_params_checker(name, params, engine.is_funcref)
        self._load = slot_io.loader(results)
        self._single = ValueType.V128 not in self._types

    def call(self, ctx: Any, module: Any, params: Sequence[int]) -> list[int]:
        return self.call_raw(params)

    def call_raw(self, args: Sequence[int]) -> list[int]:
        """Call with raw arguments (checked here); returns the raw results."""
        try:
            state: ThreadState = self._tls.state
        except AttributeError:
            state = self._engine.thread_state()
        if self._owner.closed:
            raise RuntimeError(f"{self._name}: its module is closed")
        values = self._check(args)
        slots = state.slots
        if self._single:
            for i, v in enumerate(values):
                slots[i] = v
        else:
            slot_io.store(slots, self._types, values)
        state.depth += 1
        try:
            # After depth: Runtime.close() sees this call or we see it closed.
            if self._engine.closed:
                raise RuntimeError("the Runtime is closed")
            status = self._entry(state.ctx_ptr, self._record)
        finally:
            state.depth -= 1
        if status:
            raise state.take_pending()
        return self._load(slots)


class HostCallEngine:
    """Calls a host function from Python (an exported or re-exported import)."""

    __slots__ = ("_fn", "_check", "_results", "_owner", "_name")

    def __init__(self, engine: NativeEngine, owner: Any, fn: Callable[..., Any], name: str,
                 params: Sequence[ValueType], results: Sequence[ValueType]):  # fmt: skip
        self._fn = fn
        self._owner = owner
        self._name = name
        self._check = raw_params_checker(name, params, engine.is_funcref)
        self._results = host_results_checker(name, results, engine.is_funcref)

    def call(self, ctx: Any, module: Any, params: Sequence[int]) -> list[int]:
        return self.call_raw(params)

    def call_raw(self, args: Sequence[int]) -> list[int]:
        if self._owner is not None and self._owner.closed:
            raise RuntimeError(f"{self._name}: its module is closed")
        return self._results(self._fn(None, *self._check(args)))


class HostCall:
    """A host function as wasm code calls it: parameters from the slots, results back."""

    __slots__ = ("_fn", "_load", "_results", "_types", "_engine")

    def __init__(self, engine: NativeEngine, fn: Callable[..., Any], name: str,
                 params: Sequence[ValueType], results: Sequence[ValueType]):  # fmt: skip
        self._engine = engine
        self._fn = fn
        self._load = slot_io.loader(params)
        self._types = tuple(results)
        self._results = host_results_checker(name, results, engine.is_funcref)

    def invoke(self, state: ThreadState) -> None:
        caller = self._engine.instance_by_ctx(int(state.ctx.exit_module))
        slots = state.slots
        out = self._fn(caller.api_module() if caller is not None else None, *self._load(slots))
        slot_io.store(slots, self._types, self._results(out))
