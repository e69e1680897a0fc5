"""WASI preview1 (``wasi_snapshot_preview1``) as a host module (API.md, "WASI").

::

    from wazaot import wasi

    cfg = wasi.WasiConfig(args=["prog", "x"], env={"K": "V"}, preopens={"/data": "host/dir"},
                          stdin=b"input", stdout=open("out", "wb"))
    wasi.instantiate(rt, cfg)                 # before instantiating the program
    mod = rt.instantiate(rt.compile(wasm))
    try:
        mod.exported_function("_start")()
    except wazaot.ExitError as e:             # proc_exit(code)
        print(e.code)

Layout: ``abi`` (numbers, layouts, the signature of every function), ``memory``
(bounds-checked guest memory), ``fds`` (the descriptor table), ``paths`` (the sandbox),
``fd_calls``, ``path_calls`` and ``proc_calls`` (the functions), ``context`` (their
shared state and the guard that maps failures to errno values). Functions of
preview1 that are not implemented (sockets, ``proc_raise``) return ``ENOSYS``.
"""

from __future__ import annotations

import os
import sys
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ExitError
from ..instance import HostModule
from ..runtime import CompiledModule, Runtime
from .abi import MODULE_NAME, SIGNATURES, Errno
from .context import HostFn, WasiContext, guarded
from .fd_calls import SELF_GUARDED, FdCalls
from .fds import FdTable
from .path_calls import PathCalls
from .proc_calls import ProcCalls

__all__ = ["MODULE_NAME", "Errno", "Mount", "WasiConfig", "instantiate", "run_command"]


@dataclass(frozen=True)
class Mount:
    """A host directory to preopen; ``readonly`` refuses every change under it (EROFS)."""

    host: str | os.PathLike[str]
    readonly: bool = False


@dataclass
class WasiConfig:
    """What a WASI program sees. ``preopens`` maps guest paths to host directories
    (a path or a ``Mount``); ``stdin`` is ``bytes`` or a binary file, ``stdout`` and
    ``stderr`` binary files; None means the process's own stream."""

    args: Sequence[str | bytes] = ("wasm",)
    env: Mapping[str, str] = field(default_factory=dict)
    preopens: Mapping[str, str | os.PathLike[str] | Mount] = field(default_factory=dict)
    stdin: Any = None
    stdout: Any = None
    stderr: Any = None


def _encode(s: str | bytes) -> bytes:
    return (s if isinstance(s, bytes) else s.encode("utf-8", "surrogateescape")) + b"\0"


def _enosys(caller: Any, *args: int) -> int:
    return int(Errno.NOSYS)


def _default_streams() -> tuple[Any, Any, Any]:
    return tuple(getattr(s, "buffer", s) for s in (sys.stdin, sys.stdout, sys.stderr))  # type: ignore[return-value]


def instantiate(rt: Runtime, config: WasiConfig | None = None) -> HostModule:
    """Register the host module ``wasi_snapshot_preview1`` in ``rt``, serving ``config``.
    Every preview1 function is defined (the missing ones return ``ENOSYS``), so linking
    a WASI program never fails for want of one. Raises ``OSError`` if a preopened
    directory cannot be opened."""
    config = config or WasiConfig()
    fds = FdTable(config.stdin, config.stdout, config.stderr, _default_streams())
    try:
        for guest, host in config.preopens.items():
            mount = host if isinstance(host, Mount) else Mount(host)
            fds.preopen(guest, mount.host, mount.readonly)
    except BaseException:
        fds.close_all()
        raise
    env = [_encode(f"{k}={v}") for k, v in config.env.items()]
    ctx = WasiContext([_encode(a) for a in config.args], env, fds, rt.interrupt_pending)
    implemented: dict[str, HostFn] = {}
    implemented.update(FdCalls(ctx).table())
    implemented.update(PathCalls(ctx).table())
    implemented.update(ProcCalls(ctx).table())
    builder = rt.new_host_module_builder(MODULE_NAME)
    for name, (params, results) in SIGNATURES.items():
        fn: Callable[..., Any] = implemented.get(name, _enosys)
        if name != "proc_exit" and name not in SELF_GUARDED and fn is not _enosys:
            fn = guarded(fn)
        builder.function(name, fn, params=params, results=results)
    module = builder.instantiate()
    weakref.finalize(module, fds.close_all)
    return module


def run_command(rt: Runtime, compiled: CompiledModule, timeout: float | None = None) -> int:
    """Instantiate a WASI command and run its ``_start``; returns its exit code (0 when
    ``_start`` returns, else the code given to ``proc_exit``). ``wasi.instantiate``
    must have been called on ``rt``. Traps propagate as ``wazaot.Trap``."""
    mod = rt.instantiate(compiled)
    start = mod.exported_function("_start")
    if start is None:
        raise ValueError("the module exports no _start: it is not a WASI command")
    try:
        start.call(timeout=timeout)
    except ExitError as exc:
        return exc.code
    return 0
