"""The per-thread side of running wasm code, and the exit callback.

A ``ThreadState`` belongs to one thread and one engine: the execution context that
generated code reads through r15/x28 (``vmctx.Exec``), the thread's wasm stack and its
slot buffer. It is made on the thread's first call, found again through a
``threading.local``, and released (stack unmapped) when the thread ends.

Generated code calls out to Python through ``exit_stub``: the stub switches to the
thread's own stack and calls ``serve_exit`` (one cffi callback for the process) with
the execution context's address and the exit code. ``serve_exit`` runs a host
function, a builtin slow path, or turns a trap into a ``wazaot.Trap``; it returns 0
to continue the wasm code, or 1 after leaving the exception in
``ThreadState.pending`` to unwind every wasm frame of the current entry, after which
the call engine raises it. Python thus never runs on the wasm stack, and a host
function may call wasm again (a nested entry starts below the suspended frames).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import Frame, Trap
from ..native.call import ffi
from ..native.stack import NativeStack
from ..traps import TrapCode
from ..vmctx import Exit
from . import listeners, sigint
from .builtins import BUILTINS
from .listeners import ListenerFrame, Segment
from .slots import MAX_SLOTS

if TYPE_CHECKING:
    from .code import CodeMap

DEFAULT_STACK_SIZE = 8 << 20


_WORD_MASK = 0xFFFF_FFFF_FFFF_FFFF


class ThreadState:
    """One thread's execution context, wasm stack and slot buffer for one engine."""

    __slots__ = ("engine", "host_calls", "stack", "ctx", "ctx_ptr", "address", "slots",
                 "thread_id", "pending", "call_ctx", "call_ctx_depth", "shadow", "segments",
                 "notifying", "__weakref__")  # fmt: skip

    def __init__(self, engine: Any, exit_stub: int, gate: int,
                 stack_size: int = DEFAULT_STACK_SIZE):  # fmt: skip
        self.engine = engine
        self.host_calls = engine.host_calls
        self.stack = NativeStack(stack_size)
        self.ctx = ffi.new("wazaot_exec_ctx *")
        self.ctx_ptr = ffi.cast("void *", self.ctx)
        self.address = int(ffi.cast("uintptr_t", self.ctx))
        self.slots = ffi.new("uint64_t[]", MAX_SLOTS)
        ctx = self.ctx
        ctx.slots = int(ffi.cast("uintptr_t", self.slots))
        ctx.stack_limit = ctx.real_limit = self.stack.limit
        ctx.stack_top = self.stack.top
        ctx.exit_stub = exit_stub
        ctx.callback = CALLBACK_ADDRESS
        ctx.gate = gate
        self.thread_id = threading.get_ident()
        self.pending: BaseException | None = None
        # The listener context given to the entry at depth call_ctx_depth.
        self.call_ctx: Any = None
        self.call_ctx_depth = 0
        self.shadow: list[ListenerFrame] = []  # listened calls in progress
        self.segments: list[Segment] = []  # suspended wasm code (while listeners exist)
        self.notifying: tuple[int, list[int]] | None = None  # the callee of a before
        address = self.address
        slot = sigint.watch(self.ctx, engine.isa) if engine.isa is not None else None

        def forget(_: object) -> None:
            _STATES.pop(address, None)
            if slot is not None:
                sigint.unwatch(slot)

        _STATES[address] = weakref.ref(self, forget)

    def failure(self, name: str) -> BaseException:
        """The exception for an entry of function ``name`` that did not return: the
        pending one, or the refusal to enter (``trampolines.REFUSED``)."""
        exc = self.pending or take_orphan()
        self.pending = None
        if exc is None:
            if self.engine.closed or self.engine.gate[0]:
                exc = RuntimeError("the Runtime is closed")
            else:
                exc = RuntimeError(f"{name}: its module is closed")
        if self.shadow:
            exc = listeners.unwind(self, exc)
        return exc

    def backtrace(self, code_map: CodeMap) -> tuple[list[Frame], int]:
        """The wasm frames from the latest exit outwards (at most
        ``Trap.MAX_BACKTRACE``), and how many more there were."""
        frames: list[Frame] = []
        omitted = 0
        pc, fp = int(self.ctx.exit_pc), int(self.ctx.exit_fp)
        low, high = self.stack.bottom, self.stack.top
        words = ffi.cast("uint64_t *", low)
        first = True
        while low <= fp < high - 8 and fp & 7 == 0:
            where = pc if first else pc - 1  # a return address is after its call
            code = code_map.lookup(where)
            if code is None or code.function_at(where) is None:
                return frames, 0  # left the wasm frames (an entry thunk or a host stub)
            frames.append(code.frame_at(where))
            i = (fp - low) >> 3
            fp, pc = int(words[i]), int(words[i + 1])
            first = False
            if len(frames) == Trap.MAX_BACKTRACE:
                break
        # Deep stacks: count the rest. Every frame up to the entry thunk's (the one
        # whose saved frame pointer is the entry's 0) is a wasm function's.
        while low <= fp < high - 8 and fp & 7 == 0:
            saved = int(words[(fp - low) >> 3])
            if saved == 0:
                break
            omitted += 1
            fp = saved
        return frames, omitted

    def interrupt(self) -> None:
        """Stop this thread's running calls: loop headers see the flag, prologues
        the raised limit (an entry that starts later clears both)."""
        ctx = self.ctx
        if ctx.active:
            ctx.interrupt = 1
            ctx.stack_limit = _WORD_MASK

    def trap(self, message: str) -> Trap:
        frames, omitted = self.backtrace(self.engine.code_map)
        return Trap(message, frames, omitted)


_HOST_CALL, _BUILTIN, _TRAP = int(Exit.HOST_CALL), int(Exit.BUILTIN), int(Exit.TRAP)
_LISTENER = int(Exit.LISTENER)

_STATES: dict[int, weakref.ref[ThreadState]] = {}
"""Every live thread state by the address of its execution context (weakly: a
state goes when its thread ends)."""


def serve_exit(exec_ctx: int, code: int) -> int:
    """Serve one exit of generated code (see the module docstring)."""
    ref = _STATES.get(exec_ctx)
    state = ref() if ref is not None else None
    if state is None:  # pragma: no cover - a state outlives its running calls
        return 1
    try:
        kind = code & 0xFF
        if kind == _HOST_CALL:
            if not state.engine.listening:
                state.host_calls[code >> 8](state)
                return 0
            ctx = state.ctx
            segment = (ctx.exit_pc, ctx.exit_fp, state.engine.host_definitions[code >> 8], None)
            state.segments.append(segment)
            try:
                state.host_calls[code >> 8](state)
            finally:
                state.segments.pop()
            return 0
        if kind == _LISTENER:
            ctx = state.ctx
            state.segments.append((ctx.exit_pc, ctx.exit_fp, None, None))
            try:
                listeners.notify(state, code >> 8)
            finally:
                state.segments.pop()
            return 0
        if kind == _BUILTIN:
            me = state.engine.module_engine_by_ctx(state.ctx.exit_module)
            listener = me.builtin_listeners.get(code >> 8) if me.builtin_listeners else None
            try:
                if listener is None:
                    BUILTINS[code >> 8](me.instance, state.ctx.args)
                else:
                    listeners.listened_builtin(state, me, code >> 8, listener)
            except Trap as trap:
                trap.wasm_backtrace, trap.frames_omitted = state.backtrace(state.engine.code_map)
                raise
            return 0
        if kind == _TRAP:
            trap_code = TrapCode(code >> 8)
            if state.ctx.interrupt:  # a raised stack limit makes prologues trap too
                trap_code = TrapCode.INTERRUPTED
            state.pending = state.trap(trap_code.message)
            return 1
        raise AssertionError(f"unknown exit code {code:#x}")
    except BaseException as exc:  # noqa: BLE001 - everything unwinds to the caller
        state.pending = exc
        return 1


_orphans = threading.local()  # exceptions raised before serve_exit could catch them


def _keep_orphan(exc_type: Any, exc: BaseException | None, tb: Any) -> None:
    """cffi's ``onerror``: an exception escaped ``serve_exit`` itself (a signal
    handler's ``KeyboardInterrupt`` raised as it starts): the callback returns 1 and
    the exception is raised by the call that entered."""
    _orphans.exc = exc if exc is not None else exc_type()


def take_orphan() -> BaseException | None:
    exc: BaseException | None = getattr(_orphans, "exc", None)
    _orphans.exc = None
    return exc


# One callback for the process, never freed: a daemon thread may still be inside
# wasm code when the interpreter exits, and must not jump into freed memory. Should
# the function raise, the callback returns 1: unwind.
_CALLBACK: Callable[..., Any] = ffi.callback("int64_t(uint64_t, uint64_t)", serve_exit,
                                             error=1, onerror=_keep_orphan)  # fmt: skip
CALLBACK_ADDRESS = int(ffi.cast("uintptr_t", _CALLBACK))
