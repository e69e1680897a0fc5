"""Arguments, environment, clocks, randomness, ``poll_oneoff`` and ``proc_exit``."""

from __future__ import annotations

import os
import select
import struct
import time
from typing import Any

from ..errors import ExitError, Trap
from ..traps import TrapCode
from .abi import (
    EVENT_CLOCK,
    EVENT_FD_READ,
    EVENT_FD_WRITE,
    EVENT_SIZE,
    SUBCLOCK_ABSTIME,
    SUBSCRIPTION_SIZE,
    Errno,
    Filetype,
    WasiError,
)
from .context import HostFn, WasiContext
from .fds import HostFile, Stream
from .memory import Fault, put_u32, put_u64, span, write_bytes

_SUB_HEAD = struct.Struct("<QB")  # userdata, tag
_SUB_CLOCK = struct.Struct("<IxxxxQQH")  # id, timeout, precision, flags (at +16)
_EVENT = struct.Struct("<QHBxxxxxQH6x")  # userdata, error, type, nbytes, flags
assert _EVENT.size == EVENT_SIZE


_SLICE = 0.05  # seconds a wait lasts before it looks for an interrupt


class ProcCalls:
    """Everything but descriptors and paths, for one WASI instance."""

    def __init__(self, ctx: WasiContext):
        self.ctx = ctx

    def table(self) -> dict[str, HostFn]:
        return {
            "args_get": self.args_get,
            "args_sizes_get": self.args_sizes_get,
            "environ_get": self.environ_get,
            "environ_sizes_get": self.environ_sizes_get,
            "clock_res_get": self.clock_res_get,
            "clock_time_get": self.clock_time_get,
            "random_get": self.random_get,
            "poll_oneoff": self.poll_oneoff,
            "sched_yield": self.sched_yield,
            "proc_exit": self.proc_exit,
        }

    def _strings_get(self, caller: Any, strings: list[bytes], ptrs: int, buf: int) -> int:
        view = self.ctx.memory.view(caller)
        span(view, ptrs, 4 * len(strings))
        span(view, buf, sum(len(s) for s in strings))
        for i, s in enumerate(strings):
            put_u32(view, ptrs + 4 * i, buf)
            write_bytes(view, buf, s)
            buf += len(s)
        return 0

    def _sizes_get(self, caller: Any, strings: list[bytes], count: int, size: int) -> int:
        view = self.ctx.memory.view(caller)
        put_u32(view, count, len(strings))
        put_u32(view, size, sum(len(s) for s in strings))
        return 0

    def args_get(self, caller: Any, argv: int, buf: int) -> int:
        return self._strings_get(caller, self.ctx.args, argv, buf)

    def args_sizes_get(self, caller: Any, count: int, size: int) -> int:
        return self._sizes_get(caller, self.ctx.args, count, size)

    def environ_get(self, caller: Any, environ: int, buf: int) -> int:
        return self._strings_get(caller, self.ctx.env, environ, buf)

    def environ_sizes_get(self, caller: Any, count: int, size: int) -> int:
        return self._sizes_get(caller, self.ctx.env, count, size)

    def clock_res_get(self, caller: Any, clock: int, out: int) -> int:
        if not 0 <= clock < len(self.ctx.resolutions):
            raise WasiError(Errno.INVAL)
        put_u64(self.ctx.memory.view(caller), out, self.ctx.resolutions[clock])
        return 0

    def clock_time_get(self, caller: Any, clock: int, precision: int, out: int) -> int:
        put_u64(self.ctx.memory.view(caller), out, self.ctx.now(clock))
        return 0

    def random_get(self, caller: Any, buf: int, n: int) -> int:
        span(self.ctx.memory.view(caller), buf, n)[:] = os.urandom(n)
        return 0

    def sched_yield(self, caller: Any) -> int:
        time.sleep(0)
        return 0

    def proc_exit(self, caller: Any, code: int) -> None:
        raise ExitError(code)

    def poll_oneoff(self, caller: Any, subs: int, events: int, n_subs: int, n_events: int) -> int:
        if n_subs == 0:
            raise WasiError(Errno.INVAL)
        view = self.ctx.memory.view(caller)
        span(view, subs, n_subs * SUBSCRIPTION_SIZE)
        span(view, events, n_subs * EVENT_SIZE)
        if n_events + 4 > len(view):
            raise Fault
        ready: list[tuple[int, int, int, int]] = []  # userdata, error, type, nbytes
        clocks: list[tuple[int, int]] = []  # deadline (monotonic ns), userdata
        waiting: dict[int, list[int]] = {}  # host fd -> userdata of FD_READ waiting on it
        now = time.monotonic_ns()
        for i in range(n_subs):
            at = subs + i * SUBSCRIPTION_SIZE
            userdata, tag = _SUB_HEAD.unpack_from(view, at)
            if tag == EVENT_CLOCK:
                clock, timeout, _, flags = _SUB_CLOCK.unpack_from(view, at + 16)
                try:
                    delay = timeout - self.ctx.now(clock) if flags & SUBCLOCK_ABSTIME else timeout
                except WasiError as exc:
                    ready.append((userdata, exc.errno, EVENT_CLOCK, 0))
                    continue
                clocks.append((now + max(0, delay), userdata))
            elif tag in (EVENT_FD_READ, EVENT_FD_WRITE):
                fd = struct.unpack_from("<I", view, at + 16)[0]
                entry = self.ctx.fds.entries.get(fd)
                if entry is None:
                    ready.append((userdata, int(Errno.BADF), tag, 0))
                elif tag == EVENT_FD_READ and _must_wait(entry):
                    waiting.setdefault(_host_fd(entry), []).append(userdata)
                else:
                    ready.append(
                        (userdata, 0, tag, _readable(entry) if tag == EVENT_FD_READ else 0)
                    )
            else:
                raise WasiError(Errno.INVAL)
        if not ready:
            deadline = min((d for d, _ in clocks), default=None)
            wait = None if deadline is None else max(0.0, (deadline - time.monotonic_ns()) / 1e9)
            # Wait in slices, so that a timeout or Runtime.interrupt() stops the guest.
            end = None if wait is None else time.monotonic() + wait
            while True:
                left = None if end is None else max(0.0, end - time.monotonic())
                step = _SLICE if left is None else min(left, _SLICE)
                if waiting:
                    readable, _, _ = select.select(list(waiting), [], [], step)
                    for host_fd in readable:
                        ready += [(u, 0, EVENT_FD_READ, 1) for u in waiting[host_fd]]
                elif step:
                    time.sleep(step)
                if ready or (left is not None and left <= step):
                    break
                if self.ctx.interrupted():
                    raise Trap(TrapCode.INTERRUPTED.message)
            if not ready:
                now = time.monotonic_ns()
                ready += [(u, 0, EVENT_CLOCK, 0) for d, u in clocks if d <= now]
        for i, (userdata, error, kind, nbytes) in enumerate(ready):
            _EVENT.pack_into(view, events + i * EVENT_SIZE, userdata, error, kind, nbytes, 0)
        put_u32(view, n_events, len(ready))
        return 0


def _host_fd(entry: Stream | HostFile) -> int:
    return entry.host_fd if isinstance(entry, HostFile) else int(entry.file.fileno())


def _must_wait(entry: Stream | HostFile) -> bool:
    """Whether reading may block: a terminal or pipe behind a stream with a descriptor."""
    if isinstance(entry, HostFile):
        return False
    try:
        entry.file.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return entry.filetype != Filetype.REGULAR_FILE


def _readable(entry: Stream | HostFile) -> int:
    if isinstance(entry, HostFile) and entry.filetype == Filetype.REGULAR_FILE:
        st = os.fstat(entry.host_fd)
        return max(0, st.st_size - os.lseek(entry.host_fd, 0, os.SEEK_CUR))
    if isinstance(entry, Stream) and hasattr(entry.file, "getbuffer"):
        return max(0, len(entry.file.getbuffer()) - int(entry.file.tell()))
    return 1
