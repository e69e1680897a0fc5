"""The x86-64 pipeline for a whole module: lower, allocate, emit, link.

For each defined function::

    Amd64Lowering  <- lower_function (shared frontend)      wasm -> VCode
    allocate(vcode, REGISTER_ENV)                            VCode -> Allocation
    Emitter.emit_function                                    -> bytes in the module assembler

then the entry thunks of the module's function types, and the link: one mapping,
jump tables patched with absolute addresses, made read+execute.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..api import ValueType
from ..errors import UnsupportedError
from ..lower.frontend import lower_function
from ..lower.isel import CompileEnv, LoweredFunction
from ..machinst.emit import EmittedFunction, object_code
from ..machinst.objcode import ObjectCode
from ..regalloc import allocate
from ..wasm.module import Module
from . import cpu, lower_float, lower_int, lower_mem  # noqa: F401  (they register the rules)
from .abi import REGISTER_ENV
from .args import Label
from .emit import Emitter
from .encoding import Assembler
from .lower import Amd64Lowering
from .trampolines import entry_thunk

__all__ = ["compile_module", "lower"]


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
                   listened: frozenset[int] = frozenset()) -> ObjectCode:  # fmt: skip
    """Lower, allocate and emit every defined function of ``module``, then the entry
    thunks of their function types; jump tables become ABS64 relocations. Functions
    in ``listened`` notify their listener when called and when they return."""
    env = CompileEnv.of(module, type_ids, listened)
    func_types = env.func_types
    asm = Assembler()
    labels = [asm.new_label() for _ in func_types]
    functions: dict[int, EmittedFunction[Label]] = {}
    _reject_v128(module)
    for index in range(module.num_imported_funcs, len(func_types)):
        lowering = Amd64Lowering(env, index, features)
        lower_function(module, index, lowering, func_types)
        alloc = allocate(lowering.vcode, REGISTER_ENV)
        functions[index] = Emitter(asm, labels).emit_function(lowering.out, alloc, labels[index])
    thunks = {ft: entry_thunk(asm, ft.params, ft.results)
              for ft in dict.fromkeys(func_types[module.num_imported_funcs :])}  # fmt: skip
    return object_code(asm, bytes(asm.finish()), functions, thunks)
