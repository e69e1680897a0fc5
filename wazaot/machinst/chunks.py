"""Compiling a module in chunks, the same way for every architecture.

A backend compiles consecutive defined functions into a ``ChunkCode`` with
:func:`compile_chunk` (its own lowering, the allocator and its own emitter, given as
three callables): offsets relative to the chunk, jump tables as ABS64 relocations, and
each direct call to a function outside the chunk left as a relocation of the
architecture's call kind (``FUNC_REL32`` for x86-64 ``call``, ``FUNC_CALL26`` for arm64
``bl``). :func:`join_chunks` lays chunks out one after the other as one compile would
have (each chunk's first function aligns to 16 bytes), resolves the calls between them
(``objcode.resolve_call``, which refuses a call out of reach) and appends the entry
thunks. A backend's whole-module compile is one chunk of every function, joined, so a
module compiled in parts in worker processes is byte for byte the module compiled in
one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from ..api import ValueType
from ..wasm.module import FuncType, Module
from .emit import AllocationView, CodeBuffer, EmittedFunction, LoweredView, object_code
from .objcode import ChunkCode, FunctionCode, ObjectCode, Relocation, RelocKind, resolve_call
from .vcode import VCode

__all__ = ["ChunkAssembler", "compile_chunk", "compile_whole", "join_chunks"]

LabelT = TypeVar("LabelT")
LoweredT = TypeVar("LoweredT", bound=LoweredView)
AsmT = TypeVar("AsmT", bound="ChunkAssembler[Any]")


class ChunkAssembler(CodeBuffer[LabelT], Protocol):
    """An architecture's assembler, as the chunk driver uses it."""

    external_refs: list[tuple[int, int]]
    """After ``finish(external)``: (offset, function index) of each call to a label of
    ``external``, left unresolved."""

    def finish(self, external: Mapping[LabelT, int] | None = None) -> bytes:
        """Resolve every label reference but the calls to the labels in ``external``
        (functions of other chunks, by index) and return the code."""
        ...


def compile_chunk(asm: ChunkAssembler[LabelT], labels: Sequence[LabelT], indexes: Sequence[int],
                  lower: Callable[[int], LoweredT],
                  allocate: Callable[[VCode], AllocationView],
                  emit: Callable[[LoweredT, AllocationView, LabelT], EmittedFunction[LabelT]],
                  call_kind: RelocKind,
                  progress: Callable[[int], None] | None = None) -> ChunkCode:  # fmt: skip
    """Lower, allocate and emit the defined functions ``indexes`` (consecutive) into
    ``asm``, whose ``labels`` are one per function of the module (imports included):
    the functions outside ``indexes`` are never bound, and calls to them become
    ``call_kind`` relocations. ``progress`` is told after each function; the chunk's
    ``timings`` get the seconds of each stage."""
    functions: dict[int, EmittedFunction[LabelT]] = {}
    lower_s = alloc_s = emit_s = 0.0
    clock = time.perf_counter
    for index in indexes:
        t0 = clock()
        lowered = lower(index)
        t1 = clock()
        alloc = allocate(lowered.vcode)
        t2 = clock()
        functions[index] = emit(lowered, alloc, labels[index])
        t3 = clock()
        lower_s, alloc_s, emit_s = lower_s + t1 - t0, alloc_s + t2 - t1, emit_s + t3 - t2
        if progress is not None:
            progress(index)
    external = {label: i for i, label in enumerate(labels) if i not in functions}
    code = asm.finish(external)
    obj = object_code(asm, code, functions, {})
    calls = [Relocation(at, call_kind, index) for at, index in asm.external_refs]
    timings = {"lower": lower_s, "regalloc": alloc_s, "emit": emit_s}
    return ChunkCode(code, obj.functions, obj.relocations + calls, timings)


def join_chunks(module: Module, chunks: Sequence[ChunkCode], asm: AsmT,
                entry_thunk: Callable[[AsmT, Sequence[ValueType], Sequence[ValueType]], LabelT],
                ) -> ObjectCode:  # fmt: skip
    """Lay ``chunks`` (in function order) out in ``asm`` (a fresh assembler) as one
    module, as a single compile would, resolve the calls between them and append the
    entry thunk of each function type of a defined function (``entry_thunk(asm,
    params, results)`` emits one and gives its label)."""
    functions: dict[int, FunctionCode] = {}
    relocs: list[Relocation] = []
    calls: list[Relocation] = []
    for chunk in chunks:
        asm.align(16)  # where the chunk's first function would have aligned itself
        base = asm.offset
        asm.data(chunk.code)
        for index, f in chunk.functions.items():
            srcmap = [(m + base, w) for m, w in f.srcmap]
            functions[index] = FunctionCode(index, f.start + base, f.end + base, srcmap)
        for r in chunk.relocations:
            if r.kind is RelocKind.ABS64:
                relocs.append(Relocation(r.offset + base, r.kind, r.addend + base))
            else:
                calls.append(Relocation(r.offset + base, r.kind, r.addend))
    func_types: list[FuncType] = module.func_types()
    thunks = {ft: entry_thunk(asm, ft.params, ft.results)
              for ft in dict.fromkeys(func_types[module.num_imported_funcs :])}  # fmt: skip
    raw = bytearray(asm.finish())
    for r in calls:
        resolve_call(raw, r.offset, r.kind, functions[r.addend].start)
    return ObjectCode(bytes(raw), functions, {ft: asm.label_offset(lb) for ft, lb in thunks.items()},
                      relocs)  # fmt: skip


def compile_whole(module: Module, compile_part: Callable[[Sequence[int]], ChunkCode],
                  join: Callable[[Module, Sequence[ChunkCode]], ObjectCode]) -> ObjectCode:  # fmt: skip
    """A whole module: one chunk of every defined function (``compile_part(indexes)``),
    joined (``join``), so that it is the same code as a compile in parts."""
    defined = range(module.num_imported_funcs, len(module.func_types()))
    return join(module, [compile_part(defined)])
