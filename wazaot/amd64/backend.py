"""The x86-64 pipeline for a whole module: lower, allocate, emit, link.

For each defined function::

    Amd64Lowering  <- lower_function (shared frontend)      wasm -> VCode
    allocate(vcode, REGISTER_ENV)                            VCode -> Allocation
    Emitter.emit_function                                    -> bytes in the module assembler

then the entry thunks of the module's function types, and the link: one mapping,
jump tables patched with absolute addresses, made read+execute.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Sequence

from ..api import ValueType
from ..errors import UnsupportedError
from ..lower.frontend import lower_function
from ..lower.isel import CompileEnv, LoweredFunction
from ..machinst.emit import EmittedFunction, object_code
from ..machinst.objcode import ChunkCode, FunctionCode, ObjectCode, Relocation, RelocKind
from ..regalloc import allocate
from ..wasm.module import Module
from . import cpu, lower_float, lower_int, lower_mem  # noqa: F401  (they register the rules)
from .abi import REGISTER_ENV
from .args import Label
from .emit import Emitter
from .encoding import Assembler
from .lower import Amd64Lowering
from .trampolines import entry_thunk

__all__ = ["compile_chunk", "compile_module", "join_chunks", "lower"]


def lower(env: CompileEnv, func_index: int, features: cpu.Features = cpu.ALL) -> LoweredFunction:
    """Defined function ``func_index`` in machine IR on virtual registers."""
    lowering = Amd64Lowering(env, func_index, features)
    lower_function(env.module, func_index, lowering, env.func_types)
    return lowering.out


def _reject_v128(module: Module) -> None:
    """SIMD values are not compiled yet: say so before generating any code."""
    for ft in module.func_types()[: module.num_imported_funcs]:
        if ValueType.V128 in ft.params + ft.results:
            raise UnsupportedError("the x86-64 backend cannot compile v128 values yet", None)
    if any(gt.value_type == ValueType.V128 for gt in module.global_types()):
        raise UnsupportedError("the x86-64 backend cannot compile v128 globals yet", None)
    n_imported = module.num_imported_funcs
    for i, ft in enumerate(module.func_types()[n_imported:]):
        code = module.codes[i]
        if ValueType.V128 in ft.params + ft.results or any(
            vt == ValueType.V128 for _, vt in code.local_runs
        ):
            raise UnsupportedError("the x86-64 backend cannot compile v128 values yet",
                                   code.offset)  # fmt: skip


def compile_module(module: Module, type_ids: Sequence[int], features: cpu.Features,
                   listened: frozenset[int] = frozenset(),
                   canonicalize_nans: bool = False) -> ObjectCode:  # fmt: skip
    """Lower, allocate and emit every defined function of ``module``, then the entry
    thunks of their function types; jump tables become ABS64 relocations. Functions
    in ``listened`` notify their listener when called and when they return. (One
    chunk of every function, joined: the same code as a compile in parts.)"""
    defined = range(module.num_imported_funcs, len(module.func_types()))
    chunk = compile_chunk(module, type_ids, features, listened, defined,
                          canonicalize_nans=canonicalize_nans)  # fmt: skip
    return join_chunks(module, [chunk])


def compile_chunk(module: Module, type_ids: Sequence[int], features: cpu.Features,
                  listened: frozenset[int], indexes: Sequence[int],
                  progress: Callable[[int], None] | None = None,
                  canonicalize_nans: bool = False) -> ChunkCode:  # fmt: skip
    """Lower, allocate and emit the defined functions ``indexes`` (consecutive) into a
    chunk of their own: calls to functions outside it become FUNC_REL32 relocations.
    ``progress`` is told after each function; ``timings`` gets seconds per stage."""
    env = CompileEnv.of(module, type_ids, listened, canonicalize_nans)
    func_types = env.func_types
    asm = Assembler()
    labels = [asm.new_label() for _ in func_types]
    functions: dict[int, EmittedFunction[Label]] = {}
    _reject_v128(module)
    lower_s = alloc_s = emit_s = 0.0
    clock = time.perf_counter
    for index in indexes:
        t0 = clock()
        lowering = Amd64Lowering(env, index, features)
        lower_function(module, index, lowering, func_types)
        t1 = clock()
        alloc = allocate(lowering.vcode, REGISTER_ENV)
        t2 = clock()
        functions[index] = Emitter(asm, labels).emit_function(lowering.out, alloc, labels[index])
        t3 = clock()
        lower_s, alloc_s, emit_s = lower_s + t1 - t0, alloc_s + t2 - t1, emit_s + t3 - t2
        if progress is not None:
            progress(index)
    inside = set(indexes)
    external = {label: i for i, label in enumerate(labels) if i not in inside}
    code = bytes(asm.finish(external))
    obj = object_code(asm, code, functions, {})
    relocs = obj.relocations + [Relocation(at, RelocKind.FUNC_REL32, index)
                                for at, index in asm.external_refs]  # fmt: skip
    timings = {"lower": lower_s, "regalloc": alloc_s, "emit": emit_s}
    return ChunkCode(code, obj.functions, relocs, timings)


def join_chunks(module: Module, chunks: Sequence[ChunkCode]) -> ObjectCode:
    """Lay ``chunks`` (in function order) out as one module, as a single compile would,
    resolve the calls between them and append the entry thunks."""
    asm = Assembler()
    functions: dict[int, FunctionCode] = {}
    relocs: list[Relocation] = []
    calls: list[tuple[int, int]] = []
    for chunk in chunks:
        asm.align(16)  # where the chunk's first function would have aligned itself
        base = asm.offset
        asm.data(chunk.code)
        for index, f in chunk.functions.items():
            srcmap = [(m + base, w) for m, w in f.srcmap]
            functions[index] = FunctionCode(index, f.start + base, f.end + base, srcmap)
        for r in chunk.relocations:
            if r.kind is RelocKind.FUNC_REL32:
                calls.append((r.offset + base, r.addend))
            else:
                relocs.append(Relocation(r.offset + base, r.kind, r.addend + base))
    func_types = module.func_types()
    thunks = {ft: entry_thunk(asm, ft.params, ft.results)
              for ft in dict.fromkeys(func_types[module.num_imported_funcs :])}  # fmt: skip
    raw = bytearray(asm.finish())
    for at, index in calls:
        struct.pack_into("<i", raw, at, functions[index].start - (at + 4))
    return ObjectCode(bytes(raw), functions, {ft: asm.label_offset(lb) for ft, lb in thunks.items()},
                      relocs)  # fmt: skip
