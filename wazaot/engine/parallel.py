"""Compiling a large module in worker processes.

The defined functions are split into consecutive chunks of about equal body size;
worker processes (a pool kept for the life of the process) decode the module and
compile their chunks (``TargetISA.compile_chunk``), and the engine joins them
(``TargetISA.join_chunks``). Calls between chunks are relocated when they are
joined, so the result is byte for byte the code of a compile in one process.
Small modules stay in-process: starting workers and sending them the module would
cost more than they save.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from ..machinst.objcode import ChunkCode
from ..wasm.decoder import decode_module
from ..wasm.module import Module
from .isas import target_isa

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


_pool_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def _executor(workers: int) -> ProcessPoolExecutor:
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size != workers:
            if _pool is not None:
                _pool.shutdown(wait=False)
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("forkserver" if "forkserver" in methods
                                                  else "spawn")  # fmt: skip
            _pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
            _pool_size = workers
        return _pool


def compile_chunks(isa_name: str, wasm: bytes, type_ids: Sequence[int], listened: frozenset[int],
                   chunks: Sequence[Sequence[int]], workers: int,
                   progress: Callable[[int], None] | None = None) -> list[ChunkCode]:  # fmt: skip
    """Compile ``chunks`` of the module ``wasm`` in ``workers`` processes; ``progress``
    is told how many functions each finished chunk held."""
    pool = _executor(workers)
    key = hashlib.sha256(wasm).hexdigest()
    futures: dict[Future[ChunkCode], int] = {
        pool.submit(_compile_in_worker, isa_name, key, wasm, list(type_ids), listened, list(c)): i
        for i, c in enumerate(chunks)
    }  # fmt: skip
    results: list[ChunkCode | None] = [None] * len(chunks)
    pending = set(futures)
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            i = futures[future]
            results[i] = future.result()
            if progress is not None:
                progress(len(chunks[i]))
    return [r for r in results if r is not None]


_modules: dict[str, Module] = {}  # in a worker: the latest module decoded, by hash


def _compile_in_worker(isa_name: str, key: str, wasm: bytes, type_ids: list[int],
                       listened: frozenset[int], indexes: list[int]) -> ChunkCode:  # fmt: skip
    module = _modules.get(key)
    if module is None:
        _modules.clear()
        module = _modules[key] = decode_module(wasm)
    isa = target_isa(isa_name)
    assert isa is not None, f"no {isa_name} backend"
    return isa.compile_chunk(module, type_ids, listened, indexes)
