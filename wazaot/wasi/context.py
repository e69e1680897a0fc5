"""The state one WASI host module serves: arguments, environment, descriptors, clocks,
and the guard that turns failures into errno values."""

from __future__ import annotations

import functools
import struct
import time
from collections.abc import Callable
from typing import Any

from .abi import Errno, WasiError, errno_of
from .fds import FdTable
from .memory import Fault, MemoryCache

HostFn = Callable[..., Any]


def _clock_res(clock: int) -> int:
    try:
        return max(1, round(time.clock_getres(clock) * 1e9))
    except (AttributeError, OSError):  # pragma: no cover - not on Linux
        return 1000


class WasiContext:
    """What every WASI function of one instance shares."""

    def __init__(self, args: list[bytes], env: list[bytes], fds: FdTable,
                 interrupted: Callable[[], bool] = lambda: False):  # fmt: skip
        self.args = args
        self.interrupted = interrupted  # the calling wasm code was asked to stop
        self.env = env
        self.fds = fds
        self.memory = MemoryCache()
        self.clocks: tuple[Callable[[], int], ...] = (
            time.time_ns, time.monotonic_ns, time.process_time_ns, time.thread_time_ns,
        )  # fmt: skip
        self.resolutions = tuple(
            _clock_res(c) for c in (time.CLOCK_REALTIME, time.CLOCK_MONOTONIC,
                                    time.CLOCK_PROCESS_CPUTIME_ID, time.CLOCK_THREAD_CPUTIME_ID)
        )  # fmt: skip

    def now(self, clock: int) -> int:
        if not 0 <= clock < len(self.clocks):
            raise WasiError(Errno.INVAL)
        return self.clocks[clock]()


_FAULT = int(Errno.FAULT)
_ILSEQ = int(Errno.ILSEQ)
_INVAL = int(Errno.INVAL)


def guarded(fn: HostFn) -> HostFn:
    """``fn`` with every failure returned to the guest as an errno: ``WasiError`` as
    itself, a bad pointer as ``EFAULT``, a host ``OSError`` mapped, bad values as
    ``EINVAL``. Nothing but ``ExitError`` and interrupts reaches the caller."""

    @functools.wraps(fn)
    def call(caller: Any, *args: int) -> int:
        try:
            return fn(caller, *args)
        except WasiError as exc:
            return exc.errno
        except (Fault, struct.error):
            return _FAULT
        except OSError as exc:
            return errno_of(exc)
        except UnicodeError:
            return _ILSEQ
        except (ValueError, OverflowError, IndexError, MemoryError):
            return _INVAL

    return call
