"""A ready listener factory that logs calls: ``new_logging_listener_factory(stream)``.

Every function call is written to ``stream`` as an indented trace, parameters and
results shown as Python values::

    --> fib.fib(3)
      --> fib.fib(2)
      <-- 1
      ...
    <-- 2

A call that ends with an error shows ``<-- error: <the exception>``. The depth comes
from the listener context, so the trace of each thread is indented on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

from ..api import FunctionDefinition, decode_value
from . import StackIterator


def _show(types: Sequence[Any], values: Sequence[int]) -> str:
    return ", ".join(repr(decode_value(t, v)) for t, v in zip(types, values))


class LoggingListener:
    """Writes ``--> name(params)`` before and ``<-- results`` after each call."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def before(self, ctx: Any, mod: Any, definition: FunctionDefinition,
               params: Sequence[int], stack_iterator: StackIterator) -> Any:  # fmt: skip
        depth = ctx if isinstance(ctx, int) and not isinstance(ctx, bool) else 0
        name = definition.debug_name or definition.name
        self.stream.write(f"{'  ' * depth}--> {name}({_show(definition.param_types, params)})\n")
        return depth + 1

    def after(self, ctx: Any, mod: Any, definition: FunctionDefinition,
              error: BaseException | None, results: Sequence[int] | None) -> None:  # fmt: skip
        indent = "  " * (ctx - 1)
        if error is not None:
            self.stream.write(f"{indent}<-- error: {error}\n")
        else:
            shown = _show(definition.result_types, results or ())
            self.stream.write(f"{indent}<--{' ' + shown if shown else ''}\n")


class LoggingListenerFactory:
    """Gives every function the same ``LoggingListener``."""

    def __init__(self, stream: TextIO):
        self.listener = LoggingListener(stream)

    def new_listener(self, definition: FunctionDefinition) -> LoggingListener:
        return self.listener


def new_logging_listener_factory(stream: TextIO) -> LoggingListenerFactory:
    """A factory whose listeners log every call to ``stream`` (a text stream)."""
    return LoggingListenerFactory(stream)


__all__ = ["LoggingListener", "LoggingListenerFactory", "new_logging_listener_factory"]
