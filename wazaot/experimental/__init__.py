"""Function listeners: wazero's ``experimental/listener.go`` in Python.

A ``FunctionListenerFactory`` is asked, when a module is compiled (and when a host
module is instantiated), for a listener of each function; a function whose factory
returned None is compiled exactly as without listeners and pays nothing. For the
others the generated code notifies the runtime on entry and on return::

    class Timer:
        def before(self, ctx, mod, definition, params, stack_iterator):
            return time.perf_counter()            # becomes the ctx of this call
        def after(self, ctx, mod, definition, error, results):
            print(definition.name, time.perf_counter() - ctx, error)

    class Factory:
        def new_listener(self, definition):
            return Timer()

    rt = wazaot.Runtime(wazaot.RuntimeConfig(listener_factory=Factory()))

Semantics (API.md "Listeners"):

- ``ctx`` is the object given to ``Function.call(..., ctx=...)`` for the outermost
  listened call, and what the caller's ``before`` returned for the calls it makes;
  ``after`` gets the very object its own ``before`` returned.
- Every ``before`` is paired with exactly one ``after``, innermost first, also when
  the call traps, exhausts the stack, is interrupted or a host function raises: then
  ``error`` is that exception and ``results`` is None.
- ``stack_iterator`` walks the wasm frames from the called function (its first
  frame, whose parameters equal ``params``) to the outermost, across instances and
  host functions: ``next()``, ``function_definition()``, ``parameters()`` (the entry
  parameters of listened functions, None for others) and ``source_offset()`` (the
  byte offset in the binary of the frame's current instruction). It is valid during
  ``before`` only.
- Values are in the raw encoding (API.md "Values").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from ..api import FunctionDefinition


@runtime_checkable
class StackIterator(Protocol):
    """The wasm frames of the current call, from the innermost outwards."""

    def next(self) -> bool:
        """Move to the next frame (the first call moves to the called function);
        False past the outermost frame."""
        ...

    def function_definition(self) -> FunctionDefinition: ...

    def parameters(self) -> Sequence[int] | None: ...

    def source_offset(self) -> int | None: ...


@runtime_checkable
class FunctionListener(Protocol):
    """Told before and after each call of the functions it listens to."""

    def before(self, ctx: Any, mod: Any, definition: FunctionDefinition,
               params: Sequence[int], stack_iterator: StackIterator) -> Any: ...  # fmt: skip

    def after(self, ctx: Any, mod: Any, definition: FunctionDefinition,
              error: BaseException | None, results: Sequence[int] | None) -> None: ...  # fmt: skip


@runtime_checkable
class FunctionListenerFactory(Protocol):
    """Chooses a listener per function, or None."""

    def new_listener(self, definition: FunctionDefinition) -> FunctionListener | None: ...


class _MultiListener:
    """Several listeners of one function, each with its own context chain."""

    def __init__(self, listeners: Sequence[FunctionListener | None]):
        self.listeners = listeners

    def before(self, ctx: Any, mod: Any, definition: FunctionDefinition,
               params: Sequence[int], stack_iterator: StackIterator) -> Any:  # fmt: skip
        contexts = ctx if isinstance(ctx, _Contexts) else _Contexts([ctx] * len(self.listeners))
        shared = _SharedFrames(stack_iterator)  # each listener walks with its own iterator
        out = []
        for listener, c in zip(self.listeners, contexts.values):
            if listener is None:
                out.append(c)
            else:
                out.append(listener.before(c, mod, definition, params, _ListIterator(shared)))
        return _Contexts(out)

    def after(self, ctx: Any, mod: Any, definition: FunctionDefinition,
              error: BaseException | None, results: Sequence[int] | None) -> None:  # fmt: skip
        for listener, c in reversed(list(zip(self.listeners, ctx.values))):
            if listener is not None:
                listener.after(c, mod, definition, error, results)


class _Contexts:
    """The per-listener contexts a multi-listener threads through calls."""

    __slots__ = ("values",)

    def __init__(self, values: list[Any]):
        self.values = values


class _SharedFrames:
    """The frames of one stack iterator, read as far as any reader has asked."""

    def __init__(self, it: StackIterator):
        self._it: StackIterator | None = it
        self.frames: list[tuple[FunctionDefinition, Sequence[int] | None, int | None]] = []

    def has(self, i: int) -> bool:
        while len(self.frames) <= i and self._it is not None:
            it = self._it
            if it.next():
                self.frames.append((it.function_definition(), it.parameters(),
                                    it.source_offset()))  # fmt: skip
            else:
                self._it = None
        return i < len(self.frames)


class _ListIterator:
    """One reader's stack iterator over shared frames."""

    def __init__(self, shared: _SharedFrames):
        self._shared = shared
        self._i = -1

    def next(self) -> bool:
        self._i += 1
        return self._shared.has(self._i)

    def function_definition(self) -> FunctionDefinition:
        return self._shared.frames[self._i][0]

    def parameters(self) -> Sequence[int] | None:
        return self._shared.frames[self._i][1]

    def source_offset(self) -> int | None:
        return self._shared.frames[self._i][2]


class _MultiFactory:
    def __init__(self, factories: Sequence[FunctionListenerFactory]):
        self.factories = factories

    def new_listener(self, definition: FunctionDefinition) -> FunctionListener | None:
        listeners = [f.new_listener(definition) for f in self.factories]
        if all(li is None for li in listeners):
            return None
        present = [li for li in listeners if li is not None]
        if len(present) == 1 and len(self.factories) == 1:
            return present[0]
        return _MultiListener(listeners)


def multi_listener_factory(*factories: FunctionListenerFactory) -> FunctionListenerFactory:
    """A factory combining ``factories``: every listener they choose for a function
    listens to it, each with its own context chain and stack iterator."""
    for f in factories:
        if not callable(getattr(f, "new_listener", None)):
            raise TypeError(f"{f!r} has no new_listener(definition) method")
    return _MultiFactory(list(factories))


__all__ = [
    "FunctionListener",
    "FunctionListenerFactory",
    "StackIterator",
    "multi_listener_factory",
]
