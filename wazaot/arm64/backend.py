"""The arm64 pipeline for a module or a chunk of it: lower, allocate, emit.

For each defined function::

    Arm64Lowering(...).lower()  (the shared frontend)        wasm -> VCode
    allocate(vcode, REGISTER_ENV)                            VCode -> Allocation
    Emitter.emit_function                                    -> words in the chunk assembler

then (``machinst.chunks``) the chunks are joined, the ``bl`` between them relocated,
and the entry thunks of the module's function types appended. Conditional branches
reach ±1 MiB: a function too large for them is emitted again with every conditional
branch in its long form (``FarAssembler.long_branches``); ``bl`` reaches ±128 MiB, and
a module whose code is larger raises ``UnsupportedError``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..errors import UnsupportedError
from ..lower.isel import CompileEnv, LoweredFunction
from ..machinst import chunks
from ..machinst.emit import AllocationView, EmittedFunction
from ..machinst.objcode import ChunkCode, ObjectCode, RelocKind
from ..regalloc import allocate
from ..wasm.module import Module
from . import lower_float, lower_int, lower_mem, simd_float, simd_int  # noqa: F401  (they register the rules)
from .abi import REGISTER_ENV
from .args import Label
from .emit import Emitter
from .encoding import BranchRangeError
from .lower import Arm64Lowering
from .sequences import FarAssembler
from .trampolines import Arm64Trampolines

__all__ = ["compile_chunk", "compile_module", "emit_function", "join_chunks", "lower"]


def lower(env: CompileEnv, func_index: int) -> LoweredFunction:
    """Defined function ``func_index`` in machine IR on virtual registers."""
    return Arm64Lowering(env, func_index).lower()


def compile_module(module: Module, type_ids: Sequence[int],
                   listened: frozenset[int] = frozenset(),
                   canonicalize_nans: bool = False) -> ObjectCode:  # fmt: skip
    """Every defined function of ``module`` (``UnsupportedError`` if its code is too
    large for ``bl``) and the entry thunks of their types; the functions in
    ``listened`` notify their listener when called and when they return."""
    return chunks.compile_whole(
        module, lambda indexes: compile_chunk(module, type_ids, listened, indexes,
                                              canonicalize_nans=canonicalize_nans),
        join_chunks)  # fmt: skip


def compile_chunk(module: Module, type_ids: Sequence[int], listened: frozenset[int],
                  indexes: Sequence[int], progress: Callable[[int], None] | None = None,
                  canonicalize_nans: bool = False) -> ChunkCode:  # fmt: skip
    """Lower, allocate and emit the defined functions ``indexes`` (consecutive) into a
    chunk of their own (``machinst.chunks``): calls to functions outside it become
    FUNC_CALL26 relocations. ``progress`` is told after each function."""
    env = CompileEnv.of(module, type_ids, listened, canonicalize_nans)
    asm = FarAssembler()
    labels = [asm.new_label() for _ in env.func_types]
    try:
        return chunks.compile_chunk(
            asm, labels, indexes,
            lambda index: lower(env, index),
            lambda vcode: allocate(vcode, REGISTER_ENV),
            lambda out, alloc, label: emit_function(asm, labels, out, alloc, label),
            RelocKind.FUNC_CALL26, progress,
        )  # fmt: skip
    except BranchRangeError as e:  # only a call can be out of range by now
        raise UnsupportedError(f"the module's code is too large for arm64: {e}") from None


def join_chunks(module: Module, parts: Sequence[ChunkCode]) -> ObjectCode:
    """Lay ``parts`` (in function order) out as one module, as a single compile would,
    resolve the calls between them (``bl`` reaches ±128 MiB: ``UnsupportedError``
    past that) and append the entry thunks."""
    return chunks.join_chunks(module, parts, FarAssembler(), Arm64Trampolines.emit_entry_thunk)


def emit_function(asm: FarAssembler, labels: Sequence[Label], out: LoweredFunction,
                  alloc: AllocationView, label: Label) -> EmittedFunction[Label]:  # fmt: skip
    """Emit one function into ``asm``; a function with a branch out of its range (a
    conditional branch reaches ±1 MiB) is emitted again with long branches. What a
    function becomes depends on it alone, never on where it lands."""
    mark = asm.mark()
    try:
        emitted = Emitter(asm, labels).emit_function(out, alloc, label)
        asm.check_range(mark)
        return emitted
    except BranchRangeError as e:
        if asm.long_branches:
            message = f"function {out.func_index} is too large for arm64 branches: {e}"
            raise UnsupportedError(message) from None
    asm.rollback(mark, [label])
    asm.long_branches = True
    try:
        return emit_function(asm, labels, out, alloc, label)
    finally:
        asm.long_branches = False
