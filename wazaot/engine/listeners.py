"""Function listeners at run time (wazero's ``experimental/listener.go``).

A function compiled with a listener notifies the runtime twice (``Exit.LISTENER``):
on entry, with its parameters in the slots, and before it returns, with its results.
``notify`` turns those exits into ``before``/``after`` calls. Each thread keeps a
*shadow stack* of the listened calls in progress (``ThreadState.shadow``), which

- gives each ``before`` its context: what the caller's ``before`` returned, or the
  ``ctx`` given to ``Function.call`` for the first listened call of an entry;
- pairs every ``before`` with exactly one ``after``, innermost first: when an entry
  ends with an exception (a trap, a host exception, an interrupt, stack
  exhaustion) its frames that are still on the shadow stack get ``after`` with that
  error (``unwind``);
- gives the stack iterator the entry parameters of listened frames.

``NativeStackIterator`` walks this thread's wasm frames from the innermost, over the
frame pointers of each *segment* of wasm code and through the host calls between
them (``ThreadState.segments``, recorded at each exit while listeners exist).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from ..api import FunctionDefinition
from ..native.call import ffi
from . import slots as slot_io
from .builtins import BUILTINS, DEFINITIONS

if TYPE_CHECKING:
    from .thread import ThreadState


ListenerFrame = tuple[Any, FunctionDefinition, Any, list[int], int, int, Any]
"""A listened call in progress, a plain tuple (made on every listened call):
(listener, definition, module, parameters, depth, frame pointer, context) where depth
is the entry it runs in (``exec_ctx.active`` at the call), the frame pointer is 0
for a host function, and the context is what its ``before`` returned."""
_DEPTH: Final = 4
_FP: Final = 5
_CTX: Final = 6

Segment = tuple[int, int, FunctionDefinition | None, list[int] | None]
"""Where wasm code stopped for an exit that runs Python (a host call, a listener
notification), a plain tuple: (pc, frame pointer, the host function called there or
None, its parameters)."""


@dataclass(slots=True)
class ListenerSite:
    """What a listened function's notifications need, prepared once."""

    listener: Any
    definition: FunctionDefinition
    module: Any
    load_params: Callable[[Any], list[int]]
    load_results: Callable[[Any], list[int]]


# -- the iterator ---------------------------------------------------------------------


class NativeStackIterator:
    """Implements ``wazaot.experimental.StackIterator`` over one thread's frames."""

    __slots__ = ("_state", "_first", "_frames", "_current")

    def __init__(self, state: ThreadState):
        # Made for every listened call: nothing is read until the listener asks (the
        # segments and shadow frames a nested call adds are gone again by then).
        self._state = state
        self._first = state.notifying  # (frame pointer, parameters) of a wasm callee
        self._frames: Iterator[tuple[FunctionDefinition, list[int] | None, int | None]] | None
        self._frames = None
        self._current: tuple[FunctionDefinition, list[int] | None, int | None] | None = None

    def next(self) -> bool:
        """Move to the next frame outwards; False past the outermost."""
        if self._frames is None:
            state = self._state
            self._frames = _walk(state, state.segments[:], state.shadow, len(state.shadow),
                                 self._first)  # fmt: skip
        self._current = next(self._frames, None)
        return self._current is not None

    def _frame(self) -> tuple[FunctionDefinition, list[int] | None, int | None]:
        if self._current is None:
            raise RuntimeError("call next() first (and only while it returns True)")
        return self._current

    def function_definition(self) -> FunctionDefinition:
        return self._frame()[0]

    def parameters(self) -> list[int] | None:
        """The frame's parameters at entry, for functions compiled with a listener."""
        params = self._frame()[1]
        return list(params) if params is not None else None

    def source_offset(self) -> int | None:
        """The byte offset in the wasm binary of the frame's current instruction."""
        return self._frame()[2]


def _walk(state: ThreadState, segments: list[Segment], shadow: list[ListenerFrame], top: int,
          callee: tuple[int, list[int]] | None,
          ) -> Iterator[tuple[FunctionDefinition, list[int] | None, int | None]]:  # fmt: skip
    """The frames, innermost first. Listened wasm frames are matched with the shadow
    stack by frame pointer as both are walked outwards (the wasm stack grows down,
    so outer frames have higher frame pointers)."""
    j = top - 1  # the next shadow frame to match, walking outwards

    def params_at(fp: int) -> list[int] | None:
        nonlocal j
        if callee is not None and callee[0] == fp:
            return callee[1]
        while j >= 0 and (shadow[j][_FP] == 0 or shadow[j][_FP] < fp):
            j -= 1
        if j >= 0 and shadow[j][_FP] == fp:
            return shadow[j][3]
        return None

    code_map = state.engine.code_map
    low, high = state.stack.bottom, state.stack.top
    words = ffi.cast("uint64_t *", low)
    for pc, fp, host, host_params in reversed(segments):
        first = True
        if host is not None:
            yield host, host_params, None
        if host is not None and low <= fp < high - 8:
            # A host call stopped in the host stub: start from the stub's caller.
            i = (fp - low) >> 3
            fp, pc, first = int(words[i]), int(words[i + 1]), False
        while low <= fp < high - 8 and fp & 7 == 0:
            where = pc if first else pc - 1  # a return address is after its call
            code = code_map.lookup(where)
            info = code.function_at(where) if code is not None else None
            if code is None or info is None:
                break  # the entry thunk: the segment's end
            frame = code.frame_at(where)
            yield code.definitions[info.index], params_at(fp), frame.offset
            i = (fp - low) >> 3
            fp, pc, first = int(words[i]), int(words[i + 1]), False


# -- notifications from generated code -------------------------------------------------


def notify(state: ThreadState, argument: int) -> None:
    """Serve ``Exit.LISTENER``: ``argument`` is the function index << 1, | 1 after."""
    ctx = state.ctx
    me = state.engine.module_engines[ctx.exit_module]
    index = argument >> 1
    site = me.listener_sites.get(index)
    if site is None:
        site = me.listener_sites[index] = _site(state, me, index)
    if argument & 1:
        frame = state.shadow.pop()
        site.listener.after(frame[_CTX], site.module, site.definition, None,
                            site.load_results(state.slots))  # fmt: skip
        return
    params = site.load_params(state.slots)
    depth = ctx.active
    shadow = state.shadow
    if shadow and shadow[-1][_DEPTH] == depth:
        caller_ctx = shadow[-1][_CTX]
    else:
        caller_ctx = state.call_ctx if state.call_ctx_depth == depth else None
    fp = ctx.exit_fp
    # The frame is on the shadow stack once before has returned; meanwhile the
    # iterator finds the parameters of this first frame in ``state.notifying``.
    state.notifying = (fp, params)
    out = site.listener.before(caller_ctx, site.module, site.definition, params,
                               NativeStackIterator(state))  # fmt: skip
    shadow.append((site.listener, site.definition, site.module, params, depth, fp, out))


def _site(state: ThreadState, me: Any, index: int) -> ListenerSite:
    ft = me.func_types[index]
    return ListenerSite(me.listeners[index - me.num_imported], me.definitions[index],
                        state.engine.callers.get(me.ctx_address), slot_io.loader(ft.params),
                        slot_io.loader(ft.results))  # fmt: skip


def context_for(state: ThreadState, depth: int) -> Any:
    """The listener context of a call made now in the entry at ``depth``."""
    shadow = state.shadow
    if shadow and shadow[-1][_DEPTH] == depth:
        return shadow[-1][_CTX]
    return state.call_ctx if state.call_ctx_depth == depth else None


def unwind(state: ThreadState, error: BaseException) -> BaseException:
    """Give ``after`` to the listened calls of the entries that just ended with
    ``error``, innermost first; returns the error to raise (a listener's own
    exception replaces it)."""
    shadow = state.shadow
    depth = state.ctx.active
    while shadow and shadow[-1][_DEPTH] > depth:
        listener, definition, module, _, _, _, ctx = shadow.pop()
        try:
            listener.after(ctx, module, definition, error, None)
        except BaseException as exc:  # noqa: BLE001 - the newest error wins
            error = exc
    return error


def listened_host_call(state_call: Callable[[Any, Sequence[int]], Any], listener: Any,
                       definition: FunctionDefinition) -> Callable[..., Any]:  # fmt: skip
    """Wrap ``state_call(state, args) -> results`` of a host function with its
    listener's ``before``/``after``."""

    def call(state: ThreadState, caller: Any, args: list[int]) -> Any:
        depth = state.ctx.active
        state.notifying = None
        ctx = listener.before(context_for(state, depth), caller, definition, args,
                              NativeStackIterator(state))  # fmt: skip
        state.shadow.append((listener, definition, caller, args, depth, 0, ctx))
        try:
            results = state_call(caller, args)
        except BaseException as exc:
            state.shadow.pop()
            listener.after(ctx, caller, definition, exc, None)
            raise
        state.shadow.pop()
        listener.after(ctx, caller, definition, None, results)
        return results

    return call


def listened_builtin(state: ThreadState, me: Any, builtin: int, listener: Any) -> None:
    """Run ``builtin`` for ``me``'s instance between its listener's ``before`` and
    ``after`` (with the execution context's ``args`` as parameters and result)."""
    definition = DEFINITIONS[builtin]
    args = state.ctx.args

    def run(caller: Any, params: Sequence[int]) -> list[int]:
        BUILTINS[builtin](me.instance, args)
        return [int(args[0]) & 0xFFFF_FFFF] if definition.result_types else []

    params = [int(args[i]) for i in range(len(definition.param_types))]
    state.segments.append((state.ctx.exit_pc, state.ctx.exit_fp, definition, params))
    try:
        listened_host_call(run, listener, definition)(state, state.engine.callers.get(
            state.ctx.exit_module), params)  # fmt: skip
    finally:
        state.segments.pop()
