"""Time every call of a wasm module with a function listener.

Each ``before`` returns the start time; wazaot hands that very object to the
matching ``after``, so the listener needs no stack of its own. ``Function.call``'s
``ctx`` starts the chain (here: a label).

    python examples/timing_listener.py
"""

from __future__ import annotations

import time
from pathlib import Path

import wazaot

HERE = Path(__file__).resolve().parent


class CallTimer:
    def __init__(self) -> None:
        self.calls: list[tuple[str, float, str]] = []

    def before(self, ctx, mod, definition, params, stack_iterator):
        return (ctx, time.perf_counter())  # the ctx of this call: (caller's ctx, start)

    def after(self, ctx, mod, definition, error, results):
        label, start = ctx
        outer = label if isinstance(label, str) else label[0]
        self.calls.append((definition.name, time.perf_counter() - start, outer))


class TimeEverything:
    def __init__(self) -> None:
        self.timer = CallTimer()

    def new_listener(self, definition):
        return self.timer if definition.module_name != "wazaot" else None


def main() -> None:
    factory = TimeEverything()
    with wazaot.Runtime(wazaot.RuntimeConfig(listener_factory=factory)) as rt:
        mod = rt.instantiate(rt.compile((HERE / "add.wasm").read_bytes()))
        print("factorial(10) =", mod.exported_function("factorial").call(10, ctx="demo")[0])
    for name, seconds, label in factory.timer.calls:
        print(f"{name:<10} {seconds * 1e6:8.1f} us  (started by {label!r})")


if __name__ == "__main__":
    main()
