"""The call engine: runs compiled wasm functions from Python (arch-neutral part).

One ``CallEngine`` per thread per Runtime owns an execution context, a wasm stack
and argument slot buffers. ``call`` enters machine code through the architecture's
entry trampoline and then serves the *exits* the code makes until it returns:

    status = entry(exec_ctx, module_ctx, thunk, slots)
    while status != RETURNED:
        exit_code -> TRAP:       raise Trap(message, backtrace from the frame chain)
                     HOST_CALL:  call the Python host function, store its results
                     BUILTIN:    memory.grow, table.*, memory.init, ... in Python
        status = resume(exec_ctx)       # continue the wasm code after the exit

Python never runs on the wasm stack: at an exit the code's frames stay where they
are and the trampoline returns to Python on the thread's own stack. A host function
that calls wasm again starts a *nested* entry below the suspended frames; the
fields of the execution context that describe the suspended state are saved around
it. An exception from a host function, or a trap, abandons the suspended frames
(they are never resumed) and propagates to the caller of ``Function.call``.
"""

from __future__ import annotations

import bisect
import ctypes
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .api import ValueType
from .errors import Trap
from .instance import check_ref
from .native.stack import NativeStack
from .traps import TrapCode
from .vmctx import Builtin, Exit, ffi

if TYPE_CHECKING:
    from .instance import FunctionInstance, ModuleInstance

RETURNED = 0  # the entry/resume trampolines' status when the called function returned
EXITED = 1  # ... when the code left through an exit (exit_code says why)

DEFAULT_STACK_SIZE = 8 << 20
MAX_BACKTRACE = 200

_SAVED_FIELDS = ("exit_code", "exit_pc", "exit_fp", "exit_sp", "exit_module", "slots",
                 "stack_top")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Frame:
    """One wasm frame of a trap's backtrace."""

    function: str
    func_index: int
    module: str | None
    offset: int | None  # byte offset of the instruction in the wasm binary

    def __str__(self) -> str:
        where = f"@{self.offset:#x}" if self.offset is not None else ""
        mod = f"{self.module}!" if self.module else ""
        return f"{mod}{self.function}{where}"


class CodeMap:
    """Maps machine-code addresses to (module, function, wasm offset) for backtraces.

    It holds its ``ModuleCode`` objects weakly: a compiled module nobody references
    any more is unmapped by its finalizer, and its entry here goes with it."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._entries: list[tuple[int, int, Any]] = []  # (start, end, weakref to the code)

    def add(self, start: int, end: int, code: Any) -> None:
        live = [(s, e, ref) for s, e, ref in self._entries if ref() is not None and s != start]
        self._entries = live
        self._starts = [s for s, _, _ in live]
        i = bisect.bisect(self._starts, start)
        self._starts.insert(i, start)
        self._entries.insert(i, (start, end, weakref.ref(code)))

    def remove(self, start: int) -> None:
        i = bisect.bisect_left(self._starts, start)
        if i < len(self._starts) and self._starts[i] == start:
            del self._starts[i]
            del self._entries[i]

    def lookup(self, pc: int) -> Any:
        i = bisect.bisect(self._starts, pc) - 1
        if i >= 0:
            start, end, ref = self._entries[i]
            if start <= pc < end:
                return ref()
        return None


class CallEngine:
    """Runs wasm functions for one thread of a Runtime."""

    def __init__(self, runtime: Any, entry_address: int, resume_address: int,
                 stack_size: int = DEFAULT_STACK_SIZE):  # fmt: skip
        self.runtime = runtime
        self.stack = NativeStack(stack_size)
        self.ctx = ffi.new("wazaot_exec_ctx *")
        self.ctx_ptr = ffi.cast("void *", self.ctx)
        self.ctx.stack_limit = self.stack.limit
        self.entry = ffi.cast("int64_t(*)(void *, void *, void *, uint64_t *)", entry_address)
        self.resume = ffi.cast("int64_t(*)(void *)", resume_address)
        self.depth = 0
        self._slot_buffers: list[Any] = []

    def close(self) -> None:
        self.stack.close()

    def _slots(self, n: int) -> Any:
        """The slot buffer of the current nesting depth, with room for ``n`` values."""
        while len(self._slot_buffers) <= self.depth:
            self._slot_buffers.append(ffi.new("uint64_t[]", 16))
        buf = self._slot_buffers[self.depth]
        if len(buf) < n:
            buf = ffi.new("uint64_t[]", max(n, 2 * len(buf)))
            self._slot_buffers[self.depth] = buf
        return buf

    # -- calling -------------------------------------------------------------------

    def call(self, func: FunctionInstance, args: Sequence[int]) -> list[int]:
        ft = func.type
        if len(args) != len(ft.params):
            raise TypeError(f"{func.definition.name} expects {len(ft.params)} arguments, "
                            f"got {len(args)}")  # fmt: skip
        if func.host is not None:
            return self.call_host(func, None, list(args))
        slots = self._slots(max(func.slot_width, self.runtime.max_slots))
        store_values(slots, ft.params, args)
        ctx = self.ctx
        saved = None
        if self.depth:
            saved = {name: getattr(ctx, name) for name in _SAVED_FIELDS}
            # Start below the suspended frames, 16-byte aligned.
            ctx.stack_top = (int(ctx.exit_sp) - 256) & ~15
        else:
            ctx.stack_top = self.stack.top
        ctx.slots = int(ffi.cast("uintptr_t", slots))
        ctx.call_target = func.record.code
        assert func.owner is not None
        thunk = func.owner.compiled.code.thunk_address(ft)
        self.depth += 1
        try:
            status = self.entry(self.ctx_ptr, ffi.cast("void *", func.record.module_ctx),
                                ffi.cast("void *", thunk), slots)  # fmt: skip
            while status != RETURNED:
                self.serve_exit()
                status = self.resume(self.ctx_ptr)
            return load_values(slots, ft.results)
        finally:
            self.depth -= 1
            if saved is not None:
                for name, value in saved.items():
                    setattr(ctx, name, value)

    def serve_exit(self) -> None:
        ctx = self.ctx
        code = int(ctx.exit_code)
        kind, arg = code & 0xFF, code >> 8
        if kind == Exit.TRAP:
            raise Trap(TrapCode(arg).message, self.backtrace())
        if kind == Exit.HOST_CALL:
            func = self.runtime.host_function(arg)
            caller = self.runtime.instance_by_ctx(int(ctx.exit_module))
            slots = ffi.cast("uint64_t *", ctx.slots)
            params = load_values(slots, func.type.params)
            results = self.call_host(func, caller, params)
            store_values(ffi.cast("uint64_t *", ctx.slots), func.type.results, results)
            return
        if kind == Exit.BUILTIN:
            instance = self.runtime.instance_by_ctx(int(ctx.exit_module))
            try:
                _BUILTINS[Builtin(arg)](instance, ctx.args)
            except Trap as trap:
                trap.wasm_backtrace = self.backtrace()
                raise
            return
        raise AssertionError(f"unknown exit code {code:#x}")

    def call_host(self, func: FunctionInstance, caller: ModuleInstance | None,
                  params: list[int]) -> list[int]:  # fmt: skip
        assert func.host is not None
        out = func.host(caller.api_module() if caller is not None else None, *params)
        return normalise_results(func, out)

    # -- backtraces ----------------------------------------------------------------

    def backtrace(self) -> list[Frame]:
        """Walk the frame-pointer chain from the exit point."""
        frames: list[Frame] = []
        pc, fp = int(self.ctx.exit_pc), int(self.ctx.exit_fp)
        first = True
        code_map: CodeMap = self.runtime.code_map
        while fp and len(frames) < MAX_BACKTRACE:
            code = code_map.lookup(pc if first else pc - 1)
            if code is None or code.function_at(pc if first else pc - 1) is None:
                break  # left the wasm frames (an entry thunk or the host)
            frames.append(code.frame_at(pc if first else pc - 1))
            words = ffi.cast("uint64_t *", fp)
            fp, pc = int(words[0]), int(words[1])
            first = False
        return frames


def slot_count(types: Sequence[ValueType]) -> int:
    return sum(2 if t == ValueType.V128 else 1 for t in types)


_MASKS = {ValueType.I32: 0xFFFF_FFFF, ValueType.F32: 0xFFFF_FFFF}


def store_values(slots: Any, types: Sequence[ValueType], values: Sequence[int]) -> None:
    """Write raw values into slots, each masked to its type's width: generated code
    relies on i32 registers having a zero upper half (a host may return -1)."""
    i = 0
    for t, v in zip(types, values):
        if t == ValueType.V128:
            slots[i] = v & 0xFFFF_FFFF_FFFF_FFFF
            slots[i + 1] = (v >> 64) & 0xFFFF_FFFF_FFFF_FFFF
            i += 2
        else:
            slots[i] = v & _MASKS.get(t, 0xFFFF_FFFF_FFFF_FFFF)
            i += 1


def load_values(slots: Any, types: Sequence[ValueType]) -> list[int]:
    out = []
    i = 0
    for t in types:
        if t == ValueType.V128:
            out.append(int(slots[i]) | int(slots[i + 1]) << 64)
            i += 2
        else:
            out.append(int(slots[i]) & _MASKS.get(t, 0xFFFF_FFFF_FFFF_FFFF))
            i += 1
    return out


def normalise_results(func: FunctionInstance, out: Any) -> list[int]:
    n = len(func.type.results)
    if out is None:
        values: list[int] = []
    elif isinstance(out, int):
        values = [out]
    else:
        values = list(out)
    if len(values) != n:
        raise TypeError(f"host function {func.definition.name} returned {len(values)} "
                        f"values, its type has {n} results")  # fmt: skip
    return [check_ref(t, int(v)) for t, v in zip(func.type.results, values)]


# -- builtins: slow paths served in Python ---------------------------------------------

_U32 = 0xFFFF_FFFF


def _memory_grow(inst: ModuleInstance, args: Any) -> None:
    args[0] = inst.memories[0].grow(int(args[0]) & _U32) & _U32


def _table_grow(inst: ModuleInstance, args: Any) -> None:
    table = inst.tables[int(args[0])]
    args[0] = table.grow(int(args[2]) & _U32, int(args[1])) & _U32


def _table_fill(inst: ModuleInstance, args: Any) -> None:
    inst.tables[int(args[0])].fill(int(args[1]) & _U32, int(args[2]), int(args[3]) & _U32)


def _table_copy(inst: ModuleInstance, args: Any) -> None:
    dst, src = inst.tables[int(args[0])], inst.tables[int(args[1])]
    dst.copy_within(int(args[2]) & _U32, src, int(args[3]) & _U32, int(args[4]) & _U32)


def _table_init(inst: ModuleInstance, args: Any) -> None:
    table = inst.tables[int(args[0])]
    seg = inst.elem_segments[int(args[1])] or []
    dst, src, n = (int(args[i]) & _U32 for i in (2, 3, 4))
    if src + n > len(seg) or dst + n > table.size:
        raise Trap(TrapCode.OUT_OF_BOUNDS_TABLE.message)
    table.write(dst, seg[src : src + n])


def _elem_drop(inst: ModuleInstance, args: Any) -> None:
    inst.elem_segments[int(args[0])] = None


def _memory_init(inst: ModuleInstance, args: Any) -> None:
    seg = inst.data_segments[int(args[0])] or b""
    dst, src, n = (int(args[i]) & _U32 for i in (1, 2, 3))
    memory = inst.memories[0]
    if src + n > len(seg) or dst + n > memory.linear.size:
        raise Trap(TrapCode.OUT_OF_BOUNDS_MEMORY.message)
    memory.linear.write(dst, seg[src : src + n])


def _data_drop(inst: ModuleInstance, args: Any) -> None:
    inst.data_segments[int(args[0])] = None


def _memory_copy(inst: ModuleInstance, args: Any) -> None:
    dst, src, n = (int(args[i]) & _U32 for i in (0, 1, 2))
    memory = inst.memories[0]
    size = memory.linear.size
    if src + n > size or dst + n > size:
        raise Trap(TrapCode.OUT_OF_BOUNDS_MEMORY.message)
    base = memory.linear.base
    ffi.memmove(ffi.cast("char *", base + dst), ffi.cast("char *", base + src), n)


def _memory_fill(inst: ModuleInstance, args: Any) -> None:
    dst, value, n = (int(args[i]) & _U32 for i in (0, 1, 2))
    memory = inst.memories[0]
    if dst + n > memory.linear.size:
        raise Trap(TrapCode.OUT_OF_BOUNDS_MEMORY.message)
    ctypes.memset(memory.linear.base + dst, value & 0xFF, n)


_BUILTINS: dict[Builtin, Callable[[Any, Any], None]] = {
    Builtin.MEMORY_GROW: _memory_grow,
    Builtin.TABLE_GROW: _table_grow,
    Builtin.TABLE_FILL: _table_fill,
    Builtin.TABLE_COPY: _table_copy,
    Builtin.TABLE_INIT: _table_init,
    Builtin.ELEM_DROP: _elem_drop,
    Builtin.MEMORY_INIT: _memory_init,
    Builtin.DATA_DROP: _data_drop,
    Builtin.MEMORY_COPY: _memory_copy,
    Builtin.MEMORY_FILL: _memory_fill,
}
