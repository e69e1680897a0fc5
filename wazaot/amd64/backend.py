"""The x86-64 pipeline for a whole module: lower, allocate, emit, link.

For each defined function::

    Amd64Lowering(...).lower()  (the shared frontend)        wasm -> VCode
    allocate(vcode, REGISTER_ENV)                            VCode -> Allocation
    Emitter.emit_function                                    -> bytes in the module assembler

then the entry thunks of the module's function types, and the link: one mapping,
jump tables patched with absolute addresses, made read+execute.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..lower.isel import CompileEnv, LoweredFunction
from ..machinst import chunks
from ..machinst.objcode import ChunkCode, ObjectCode, RelocKind
from ..regalloc import allocate
from ..wasm.module import Module
from . import cpu, lower_float, lower_int, lower_mem, simd_float, simd_int  # noqa: F401  (they register the rules)
from .abi import REGISTER_ENV
from .emit import Emitter
from .encoding import Assembler
from .lower import Amd64Lowering
from .trampolines import Amd64Trampolines

__all__ = ["compile_chunk", "compile_module", "join_chunks", "lower"]


def lower(env: CompileEnv, func_index: int, features: cpu.Features = cpu.ALL) -> LoweredFunction:
    """Defined function ``func_index`` in machine IR on virtual registers."""
    return Amd64Lowering(env, func_index, features).lower()


def compile_module(module: Module, type_ids: Sequence[int], features: cpu.Features,
                   listened: frozenset[int] = frozenset(),
                   canonicalize_nans: bool = False) -> ObjectCode:  # fmt: skip
    """Every defined function of ``module`` and the entry thunks of their types, for a
    processor with ``features``; the functions in ``listened`` notify their listener
    when called and when they return."""
    return chunks.compile_whole(
        module, lambda indexes: compile_chunk(module, type_ids, features, listened, indexes,
                                              canonicalize_nans=canonicalize_nans),
        join_chunks)  # fmt: skip


def compile_chunk(module: Module, type_ids: Sequence[int], features: cpu.Features,
                  listened: frozenset[int], indexes: Sequence[int],
                  progress: Callable[[int], None] | None = None,
                  canonicalize_nans: bool = False) -> ChunkCode:  # fmt: skip
    """Lower, allocate and emit the defined functions ``indexes`` (consecutive) into a
    chunk of their own (``machinst.chunks``): calls to functions outside it become
    FUNC_REL32 relocations. ``progress`` is told after each function."""
    env = CompileEnv.of(module, type_ids, listened, canonicalize_nans)
    asm = Assembler()
    labels = [asm.new_label() for _ in env.func_types]
    return chunks.compile_chunk(
        asm, labels, indexes,
        lambda index: lower(env, index, features),
        lambda vcode: allocate(vcode, REGISTER_ENV),
        lambda out, alloc, label: Emitter(asm, labels).emit_function(out, alloc, label),
        RelocKind.FUNC_REL32, progress,
    )  # fmt: skip


def join_chunks(module: Module, parts: Sequence[ChunkCode]) -> ObjectCode:
    """Lay ``parts`` (in function order) out as one module, as a single compile would,
    resolve the calls between them and append the entry thunks."""
    return chunks.join_chunks(module, parts, Assembler(), Amd64Trampolines.emit_entry_thunk)
