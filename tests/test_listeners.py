"""Function listeners (API.md "Listeners"; the seed's ``experimental/listener.go``).

The seed's three TODOs are resolved here: contexts nest through ``call`` and
``call_indirect`` in a tree three deep with several calls per level; errors reach
``after``; ``after`` gets the very object its ``before`` returned.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
import wasmtime

import wazaot
from wazaot.experimental import StackIterator, multi_listener_factory
from wazaot.experimental.logging import new_logging_listener_factory

I32 = wazaot.ValueType.I32

# A tree: root calls mid twice directly and once through the table; each mid calls
# leaf three times (twice directly, once indirectly); leaf may trap.
TREE = """(module
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $mid $leaf)
  (func $leaf (export "leaf") (param i32) (result i32)
    (if (i32.eq (local.get 0) (i32.const 99)) (then unreachable))
    (i32.add (local.get 0) (i32.const 1)))
  (func $mid (param i32) (result i32)
    (i32.add (call $leaf (local.get 0))
      (i32.add (call $leaf (i32.const 10))
               (call_indirect (type $t) (local.get 0) (i32.const 1)))))
  (func $root (export "root") (param i32) (result i32)
    (i32.add (call $mid (local.get 0))
      (i32.add (call $mid (i32.const 1))
               (call_indirect (type $t) (local.get 0) (i32.const 0))))))"""


class Node:
    """The context objects: each call's node is a child of its caller's."""

    def __init__(self, name: str, parent: Node | None):
        self.name, self.parent, self.children = name, parent, []
        self.after_ctx: Any = None
        self.error: BaseException | None = None
        self.results: Any = None
        if parent is not None:
            parent.children.append(self)

    def shape(self) -> Any:
        return (self.name, [c.shape() for c in self.children])


class TreeListener:
    def __init__(self) -> None:
        self.events: list[str] = []

    def before(self, ctx: Any, mod: Any, definition: Any, params: Any, it: StackIterator) -> Node:
        self.events.append(f"before {definition.name}")
        return Node(definition.name, ctx)

    def after(self, ctx: Any, mod: Any, definition: Any, error: Any, results: Any) -> None:
        self.events.append(f"after {definition.name}")
        ctx.after_ctx, ctx.error, ctx.results = ctx, error, results


class Factory:
    def __init__(self, listener: Any, only: set[str] | None = None):
        self.listener, self.only = listener, only

    def new_listener(self, definition: Any) -> Any:
        if self.only is not None and definition.name not in self.only:
            return None
        return self.listener


def _runtime(factory: Any) -> wazaot.Runtime:
    return wazaot.Runtime(wazaot.RuntimeConfig(listener_factory=factory))


def test_contexts_nest_through_call_and_call_indirect() -> None:
    listener = TreeListener()
    with _runtime(Factory(listener)) as rt:
        mod = rt.instantiate(rt.compile(wasmtime.wat2wasm(TREE)))
        root_ctx = Node("outer", None)
        assert mod.exported_function("root").call(0, ctx=root_ctx) == [41]
    mid = ("mid", [("leaf", [])] * 3)
    assert root_ctx.shape() == ("outer", [("root", [mid, mid, mid])])
    # after got the very object before returned, for every call
    def check(node: Node) -> None:
        for c in node.children:
            assert c.after_ctx is c and c.error is None and c.results is not None
            check(c)
    check(root_ctx)
    # each before has one after, innermost first
    assert listener.events.count("before leaf") == listener.events.count("after leaf") == 9
    assert listener.events[-1] == "after root"


def test_errors_reach_after_innermost_first_and_pairs_stay_whole() -> None:
    listener = TreeListener()
    with _runtime(Factory(listener)) as rt:
        mod = rt.instantiate(rt.compile(wasmtime.wat2wasm(TREE)))
        top = Node("outer", None)
        with pytest.raises(wazaot.Trap, match="unreachable") as info:
            mod.exported_function("root").call(99, ctx=top)
        trap = info.value
        assert listener.events[-3:] == ["after leaf", "after mid", "after root"]
        (root,) = top.children
        (mid,) = root.children
        (leaf,) = mid.children
        assert leaf.error is trap and mid.error is trap and root.error is trap
        assert leaf.results is None
        # the runtime is usable and the shadow stack is empty afterwards
        listener.events.clear()
        assert mod.exported_function("leaf")(1) == 2
        assert listener.events == ["before leaf", "after leaf"]


def test_host_exceptions_and_stack_exhaustion_reach_after() -> None:
    listener = TreeListener()
    boom = ValueError("boom")

    def fail(caller: Any, x: int) -> int:
        raise boom

    with _runtime(Factory(listener)) as rt:
        rt.new_host_module_builder("env").function(
            "fail", fail, params=[I32], results=[I32]).instantiate()  # fmt: skip
        mod = rt.instantiate(rt.compile(wasmtime.wat2wasm("""(module
          (import "env" "fail" (func $fail (param i32) (result i32)))
          (func $f (export "f") (param i32) (result i32) (call $fail (local.get 0)))
          (func $deep (export "deep") (param i32) (result i32)
            (i32.add (call $deep (local.get 0)) (i32.const 1))))""")))
        top = Node("outer", None)
        with pytest.raises(ValueError) as info:
            mod.exported_function("f").call(1, ctx=top)
        assert info.value is boom
        (f,) = top.children
        (host,) = f.children
        assert host.name == "fail" and host.error is boom and f.error is boom
        listener.events.clear()
        with pytest.raises(wazaot.Trap, match="call stack exhausted"):
            mod.exported_function("deep")(0)
        befores = listener.events.count("before deep")
        assert befores > 1000 and listener.events.count("after deep") == befores


def test_unlistened_functions_pay_nothing() -> None:
    wasm = wasmtime.wat2wasm(TREE)
    # Only root, the last function, listens: the code before it keeps its layout, so
    # leaf and mid (calls between functions are PC-relative) are byte-identical.
    with wazaot.Runtime() as plain, _runtime(Factory(TreeListener(), only={"root"})) as rt:
        a = plain.compile(wasm).code.object_code
        b = rt.compile(wasm).code.object_code
        for index in (0, 1):
            fa, fb = a.functions[index], b.functions[index]
            assert (fa.start, fa.end) == (fb.start, fb.end)
            assert a.code[fa.start : fa.end] == b.code[fb.start : fb.end]
        fa, fb = a.functions[2], b.functions[2]
        assert a.code[fa.start : fa.end] != b.code[fb.start : fb.end]


class FramesListener:
    def __init__(self) -> None:
        self.stacks: list[list[tuple[str, Any, Any]]] = []

    def before(self, ctx: Any, mod: Any, definition: Any, params: Any, it: StackIterator) -> Any:
        frames = []
        while it.next():
            frames.append((it.function_definition().name, it.parameters(), it.source_offset()))
        assert frames[0][1] == list(params)
        self.stacks.append(frames)
        return ctx

    def after(self, ctx: Any, mod: Any, definition: Any, error: Any, results: Any) -> None:
        pass


def test_the_stack_iterator_walks_every_frame_across_instances_and_host_reentry() -> None:
    listener = FramesListener()
    inner: list[Any] = []
    with _runtime(Factory(listener, only={"leaf", "top", "reenter"})) as rt:
        rt.new_host_module_builder("env").function(
            "reenter", lambda caller, x: inner[0].call(x + 1)[0], params=[I32], results=[I32]
        ).instantiate()
        lib = rt.instantiate(rt.compile(wasmtime.wat2wasm("""(module
          (func $leaf (export "leaf") (param i32) (result i32) (local.get 0))
          (func $middle (export "middle") (param i32) (result i32) (call $leaf (local.get 0))))""")),
            name="lib")  # fmt: skip
        inner.append(lib.exported_function("middle"))
        app = rt.instantiate(rt.compile(wasmtime.wat2wasm("""(module
          (import "env" "reenter" (func $reenter (param i32) (result i32)))
          (func $top (export "top") (param i32) (result i32) (call $reenter (local.get 0))))""")))
        assert app.exported_function("top").call(5) == [6]
    top, host, leaf = listener.stacks
    assert [f[0] for f in top] == ["top"] and top[0][1] == [5]
    assert [f[0] for f in host] == ["reenter", "top"] and host[0][1] == [5]
    # leaf <- middle (not listened: no parameters) <- host reenter <- top
    assert [f[0] for f in leaf] == ["leaf", "middle", "reenter", "top"]
    assert leaf[0][1] == [6] and leaf[1][1] is None and leaf[3][1] == [5]
    assert all(isinstance(f[2], int) for f in leaf if f[0] != "reenter")


def test_multi_listener_factory_gives_each_its_own_contexts() -> None:
    a, b = TreeListener(), TreeListener()
    with _runtime(multi_listener_factory(Factory(a), Factory(b, only={"leaf"}))) as rt:
        mod = rt.instantiate(rt.compile(wasmtime.wat2wasm(TREE)))
        assert mod.exported_function("root")(0) == 41
    assert a.events.count("before mid") == 3 and a.events.count("before leaf") == 9
    assert b.events == ["before leaf", "after leaf"] * 9


def test_logging_listener_traces_calls_with_python_values() -> None:
    out = io.StringIO()
    with _runtime(new_logging_listener_factory(out)) as rt:
        rt.new_host_module_builder("env").function(
            "neg", lambda caller, x: (-x) & 0xFFFF_FFFF, params=[I32], results=[I32]
        ).instantiate()
        mod = rt.instantiate(rt.compile(wasmtime.wat2wasm("""(module
          (import "env" "neg" (func $neg (param i32) (result i32)))
          (func $f (export "f") (param i32) (result i32) (call $neg (local.get 0))))""")))
        assert mod.exported_function("f")(3) == -3
    assert out.getvalue().splitlines() == [
        "--> f(3)", "  --> env.neg(3)", "  <-- -3", "<-- -3",
    ]  # fmt: skip


def test_interrupts_reach_every_after() -> None:
    listener = TreeListener()
    with _runtime(Factory(listener)) as rt:
        mod = rt.instantiate(rt.compile(wasmtime.wat2wasm("""(module
          (func $spin (export "spin") (loop (br 0)))
          (func (export "outer") (call $spin)))""")))
        top = Node("outer", None)
        with pytest.raises(wazaot.Trap, match="interrupted") as info:
            mod.exported_function("outer").call(ctx=top, timeout=0.05)
        (outer,) = top.children
        (spin,) = outer.children
        assert spin.error is info.value and outer.error is info.value


def test_builtins_can_be_listened_to() -> None:
    listener = TreeListener()
    seen: list[Any] = []

    class Builtins:
        def new_listener(self, definition: Any) -> Any:
            if definition.module_name == "wazaot":
                seen.append(definition.name)
                return listener if definition.name in ("memory.grow", "table.grow") else None
            return None

    with _runtime(Builtins()) as rt:
        mod = rt.instantiate(rt.compile(wasmtime.wat2wasm("""(module
          (memory 1 5) (table 1 funcref)
          (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
          (func (export "tgrow") (param i32) (result i32)
            (table.grow (ref.null func) (local.get 0))))""")))
        top = Node("outer", None)
        assert mod.exported_function("grow").call(2, ctx=top) == [1]
        assert mod.exported_function("grow").call(9) == [0xFFFF_FFFF]
        assert mod.exported_function("tgrow")(3) == 1
    assert {"memory.grow", "table.grow", "memory.init", "table.copy"} <= set(seen)
    (grow,) = top.children
    assert grow.name == "memory.grow" and grow.results == [1] and grow.error is None
    assert listener.events == ["before memory.grow", "after memory.grow"] * 2 + [
        "before table.grow", "after table.grow"]  # fmt: skip


class ValuesListener:
    def __init__(self) -> None:
        self.seen: list[Any] = []

    def before(self, ctx: Any, mod: Any, definition: Any, params: Any, it: StackIterator) -> None:
        self.seen.append(("before", list(params)))

    def after(self, ctx: Any, mod: Any, definition: Any, error: Any, results: Any) -> None:
        self.seen.append(("after", list(results)))


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_listeners_of_many_values_compile_and_see_them_all(arch: str) -> None:
    # 100 parameters and 30 results of mixed classes, more than there are registers:
    # the listener is told through several Notify instructions.
    types = ["i32", "i64", "f32", "f64"]
    params = [types[i % 4] for i in range(100)]
    results = [types[(i + 1) % 4] for i in range(30)]
    # result i is the first parameter of its type from (7 * i) % 100 on
    picks = [next(j % 100 for j in range(7 * i % 100, 200) if params[j % 100] == t)
             for i, t in enumerate(results)]  # fmt: skip
    body = " ".join(f"(local.get {j})" for j in picks)
    wat = (f"(module (func (export \"f\") (param {' '.join(params)}) (result {' '.join(results)}) "
           f"{body}))")  # fmt: skip
    listener = ValuesListener()
    config = wazaot.RuntimeConfig(listener_factory=Factory(listener), arch=arch)
    with wazaot.Runtime(config) as rt:
        cm = rt.compile(wasmtime.wat2wasm(wat))
        if arch != wazaot.runtime.host_arch():
            return  # compiled (the register allocator coped); it cannot run here
        width = {"i32": 24, "f32": 24, "i64": 56, "f64": 56}
        args = [(i + 1) << width[p] | i for i, p in enumerate(params)]
        out = rt.instantiate(cm).exported_function("f").call(*args)
    assert listener.seen[0] == ("before", args)
    assert listener.seen[1] == ("after", list(out))
    assert list(out) == [args[j] for j in picks]
