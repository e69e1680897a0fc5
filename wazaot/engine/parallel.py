"""Compiling a large module in worker processes.

The defined functions are split into consecutive chunks of about equal body size;
worker processes (``worker.py``, kept between compiles) decode the module and
compile their chunks (``TargetISA.compile_chunk``), and the engine joins them
(``TargetISA.join_chunks``). Calls between chunks are relocated when they are
joined, so the result is byte for byte the code of a compile in one process.
Small modules stay in-process: starting workers and sending them the module would
cost more than they save.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence

from ..machinst.objcode import ChunkCode
from ..wasm.module import Module
from .worker import receive, send

MIN_PARALLEL_CODE = 192 * 1024
"""Bytes of function bodies from which a module is compiled in worker processes."""

CHUNKS_PER_WORKER = 3  # smaller chunks balance the load; each costs a decode per worker


def default_workers() -> int:
    return os.cpu_count() or 1


def worth_it(module: Module, workers: int) -> bool:
    """Whether ``module`` is large enough to compile in ``workers`` processes."""
    if workers < 2 or len(module.codes) < 2 * workers:
        return False
    return sum(c.end_offset - c.offset for c in module.codes) >= MIN_PARALLEL_CODE


def plan(module: Module, workers: int) -> list[list[int]]:
    """Consecutive chunks of the defined functions, of about equal body size."""
    n_imported = module.num_imported_funcs
    sizes = [c.end_offset - c.offset for c in module.codes]
    n_chunks = max(1, min(len(sizes), workers * CHUNKS_PER_WORKER))
    target = sum(sizes) / n_chunks
    chunks: list[list[int]] = [[]]
    filled = 0
    for i, size in enumerate(sizes):
        if filled >= target * len(chunks) and len(chunks) < n_chunks:
            chunks.append([])
        chunks[-1].append(n_imported + i)
        filled += size
    return [c for c in chunks if c]


class _WorkerProcess:
    """One ``python -m wazaot.engine.worker_main`` process and what it last got."""

    def __init__(self) -> None:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "wazaot.engine.worker_main"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, env=env,
        )  # fmt: skip
        self.key: str | None = None  # the module it holds

    def compile(self, isa_name: str, key: str, wasm: bytes, type_ids: list[int],
                listened: frozenset[int], canonicalize_nans: bool,
                indexes: list[int], check: bool) -> ChunkCode:  # fmt: skip
        assert self.proc.stdin is not None and self.proc.stdout is not None
        send(self.proc.stdin, (isa_name, key, None if key == self.key else wasm, type_ids,
                               listened, canonicalize_nans, indexes, check))  # fmt: skip
        self.key = key
        status, value = receive(self.proc.stdout)
        if status != "ok":
            raise value
        assert isinstance(value, ChunkCode)
        return value

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


_lock = threading.Lock()
_idle: list[_WorkerProcess] = []  # started workers not compiling now, kept for the next


def _take() -> _WorkerProcess:
    with _lock:
        while _idle:
            worker = _idle.pop()
            if worker.alive():
                return worker
    return _WorkerProcess()


def start_workers(n: int) -> None:
    """Have ``n`` workers idle, starting the missing ones now: they boot (about 0.2 s)
    while the caller decodes the module they will compile."""
    with _lock:
        _idle[:] = [w for w in _idle if w.alive()]
        missing = n - len(_idle)
    started = [_WorkerProcess() for _ in range(missing)]
    with _lock:
        _idle.extend(started)


def _give_back(worker: _WorkerProcess) -> None:
    with _lock:
        _idle.append(worker)


@atexit.register
def _close_workers() -> None:
    with _lock:
        workers = list(_idle)
        _idle.clear()
    for worker in workers:
        worker.close()


def compile_chunks(isa_name: str, wasm: bytes, type_ids: Sequence[int], listened: frozenset[int],
                   canonicalize_nans: bool, chunks: Sequence[Sequence[int]], workers: int,
                   progress: Callable[[int], None] | None = None,
                   check: bool = False) -> list[ChunkCode]:  # fmt: skip
    """Compile ``chunks`` of the module ``wasm`` in ``workers`` processes; ``progress``
    is told how many functions each finished chunk held. With ``check`` the workers
    also decode and validate the bodies (see ``worker.serve``)."""
    key = hashlib.sha256(wasm).hexdigest()
    results: list[ChunkCode | None] = [None] * len(chunks)
    errors: list[BaseException] = []
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in range(len(chunks)):
        todo.put(i)

    def drive(worker: _WorkerProcess) -> None:
        try:
            while not errors:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    break
                results[i] = worker.compile(isa_name, key, wasm, list(type_ids), listened,
                                            canonicalize_nans, list(chunks[i]), check)  # fmt: skip
                if progress is not None:
                    progress(len(chunks[i]))
        except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread
            errors.append(exc)
            worker.close()
            return
        _give_back(worker)

    threads = [threading.Thread(target=drive, args=(_take(),), daemon=True)
               for _ in range(min(workers, len(chunks)))]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return [r for r in results if r is not None]
