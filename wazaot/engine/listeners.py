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
from typing import TYPE_CHECKING, Any

from ..api import FunctionDefinition
from ..native.call import ffi
from . import slots as slot_io
from .builtins import BUILTINS, DEFINITIONS

if TYPE_CHECKING:
    from .thread import ThreadState


@dataclass(slots=True)
class ListenerFrame:
    """A listened call in progress."""

    listener: Any
    definition: FunctionDefinition
    module: Any  # the public module of the function's instance
    params: list[int]
    depth: int  # the entry it runs in (``exec_ctx.active`` at the call)
    fp: int  # its frame pointer (0 for a host function)
    ctx: Any = None  # what its ``before`` returned


@dataclass(slots=True)
class Segment:
    """Where wasm code stopped for an exit that runs Python (a host call, a listener
    notification); ``host`` is the host function called there, if any."""

    pc: int
    fp: int
    host: FunctionDefinition | None = None
    host_params: list[int] | None = None


# -- the iterator ---------------------------------------------------------------------


class NativeStackIterator:
    """Implements ``wazaot.experimental.StackIterator`` over one thread's frames."""

    __slots__ = ("_frames", "_current")

    def __init__(self, state: ThreadState):
        self._frames: Iterator[tuple[FunctionDefinition, list[int] | None, int | None]] = (
            _walk(state, state.segments[:], state.shadow, len(state.shadow)))
        self._current: tuple[FunctionDefinition, list[int] | None, int | None] | None = None

    def next(self) -> bool:
        """Move to the next frame outwards; False past the outermost."""
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


def _walk(state: ThreadState, segments: list[Segment], shadow: list[ListenerFrame], top: int
          ) -> Iterator[tuple[FunctionDefinition, list[int] | None, int | None]]:  # fmt: skip
    """The frames, innermost first. Listened wasm frames are matched with the shadow
    stack by frame pointer as both are walked outwards (the wasm stack grows down,
    so outer frames have higher frame pointers)."""
    j = top - 1  # the next shadow frame to match, walking outwards

    def params_at(fp: int) -> list[int] | None:
        nonlocal j
        while j >= 0 and (shadow[j].fp == 0 or shadow[j].fp < fp):
            j -= 1
        if j >= 0 and shadow[j].fp == fp:
            return shadow[j].params
        return None

    code_map = state.engine.code_map
    low, high = state.stack.bottom, state.stack.top
    words = ffi.cast("uint64_t *", low)
    for seg in reversed(segments):
        if seg.host is not None:
            yield seg.host, seg.host_params, None
        pc, fp, first = seg.pc, seg.fp, True
        if seg.host is not None and low <= fp < high - 8:
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
    me = state.engine.module_engine_by_ctx(ctx.exit_module)
    index, after = argument >> 1, argument & 1
    definition = me.definitions[index]
    listener = me.listeners[index - me.num_imported]
    ft = me.func_types[index]
    if after:
        frame = state.shadow.pop()
        assert frame.definition is definition, "listener notifications out of order"
        results = slot_io.loader(ft.results)(state.slots)
        listener.after(frame.ctx, frame.module, definition, None, results)
        return
    params = slot_io.loader(ft.params)(state.slots)
    module = state.engine.callers.get(ctx.exit_module)
    depth = ctx.active
    frame = ListenerFrame(listener, definition, module, params, depth, ctx.exit_fp)
    caller_ctx = context_for(state, depth)
    state.shadow.append(frame)
    try:
        frame.ctx = listener.before(caller_ctx, module, definition, params,
                                    NativeStackIterator(state))  # fmt: skip
    except BaseException:
        state.shadow.pop()  # no after for a before that failed
        raise


def context_for(state: ThreadState, depth: int) -> Any:
    """The listener context of a call made now in the entry at ``depth``."""
    shadow = state.shadow
    if shadow and shadow[-1].depth == depth:
        return shadow[-1].ctx
    return state.call_ctx if state.call_ctx_depth == depth else None


def unwind(state: ThreadState, error: BaseException) -> BaseException:
    """Give ``after`` to the listened calls of the entries that just ended with
    ``error``, innermost first; returns the error to raise (a listener's own
    exception replaces it)."""
    shadow = state.shadow
    depth = state.ctx.active
    while shadow and shadow[-1].depth > depth:
        frame = shadow.pop()
        try:
            frame.listener.after(frame.ctx, frame.module, frame.definition, error, None)
        except BaseException as exc:  # noqa: BLE001 - the newest error wins
            error = exc
    return error


def listened_host_call(state_call: Callable[[Any, Sequence[int]], Any], listener: Any,
                       definition: FunctionDefinition) -> Callable[..., Any]:  # fmt: skip
    """Wrap ``state_call(state, args) -> results`` of a host function with its
    listener's ``before``/``after``."""

    def call(state: ThreadState, caller: Any, args: list[int]) -> Any:
        depth = state.ctx.active
        frame = ListenerFrame(listener, definition, caller, args, depth, 0)
        caller_ctx = context_for(state, depth)
        state.shadow.append(frame)
        try:
            frame.ctx = listener.before(caller_ctx, caller, definition, args,
                                        NativeStackIterator(state))  # fmt: skip
        except BaseException:
            state.shadow.pop()
            raise
        try:
            results = state_call(caller, args)
        except BaseException as exc:
            state.shadow.pop()
            listener.after(frame.ctx, caller, definition, exc, None)
            raise
        state.shadow.pop()
        listener.after(frame.ctx, caller, definition, None, results)
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
    state.segments.append(Segment(state.ctx.exit_pc, state.ctx.exit_fp, definition, params))
    try:
        listened_host_call(run, listener, definition)(state, state.engine.callers.get(
            state.ctx.exit_module), params)  # fmt: skip
    finally:
        state.segments.pop()
