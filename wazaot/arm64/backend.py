"""The arm64 pipeline for a whole module: lower, allocate, emit.

For each defined function::

    Arm64Lowering  <- lower_function (shared frontend)      wasm -> VCode
    allocate(vcode, REGISTER_ENV)                            VCode -> Allocation
    Emitter.emit_function                                    -> words in the module assembler

then the entry thunks of the module's function types. Conditional branches reach
±1 MiB: a module whose code is too large for them is emitted again with every
conditional branch in its long form (``FarAssembler.long_branches``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..api import ValueType
from ..errors import UnsupportedError
from ..lower.frontend import lower_function
from ..lower.isel import CompileEnv, LoweredFunction
from ..machinst.emit import EmittedFunction, object_code
from ..machinst.objcode import ObjectCode
from ..regalloc import Allocation, allocate
from ..wasm.module import Module
from . import lower_float, lower_int, lower_mem  # noqa: F401  (they register the rules)
from .abi import REGISTER_ENV
from .args import Label
from .emit import Emitter
from .encoding import BranchRangeError
from .lower import Arm64Lowering
from .sequences import FarAssembler
from .trampolines import entry_thunk

__all__ = ["compile_module", "lower"]


def lower(env: CompileEnv, func_index: int) -> LoweredFunction:
    """Defined function ``func_index`` in machine IR on virtual registers."""
    lowering = Arm64Lowering(env, func_index)
    lower_function(env.module, func_index, lowering, env.func_types)
    return lowering.out


def _reject_v128(module: Module) -> None:
    """SIMD values are not compiled yet: say so before generating any code."""
    message = "the arm64 backend cannot compile v128 values yet"
    for ft in module.func_types()[: module.num_imported_funcs]:
        if ValueType.V128 in ft.params + ft.results:
            raise UnsupportedError(message, None)
    if any(gt.value_type == ValueType.V128 for gt in module.global_types()):
        raise UnsupportedError("the arm64 backend cannot compile v128 globals yet", None)
    n_imported = module.num_imported_funcs
    for i, ft in enumerate(module.func_types()[n_imported:]):
        code = module.codes[i]
        if ValueType.V128 in ft.params + ft.results or any(
            vt == ValueType.V128 for _, vt in code.local_runs
        ):
            raise UnsupportedError(message, code.offset)


def compile_module(module: Module, type_ids: Sequence[int],
                   listened: frozenset[int] = frozenset(),
                   canonicalize_nans: bool = False) -> ObjectCode:  # fmt: skip
    """Lower, allocate and emit every defined function of ``module``, then the entry
    thunks of their function types; jump tables become ABS64 relocations. Functions
    in ``listened`` notify their listener when called and when they return."""
    env = CompileEnv.of(module, type_ids, listened, canonicalize_nans)
    _reject_v128(module)
    lowered: list[tuple[LoweredFunction, Allocation]] = []
    for index in range(module.num_imported_funcs, len(env.func_types)):
        lowering = Arm64Lowering(env, index)
        lower_function(module, index, lowering, env.func_types)
        lowered.append((lowering.out, allocate(lowering.vcode, REGISTER_ENV)))
    try:
        return _emit(module, env, lowered, long_branches=False)
    except BranchRangeError:
        return _emit(module, env, lowered, long_branches=True)


def _emit(module: Module, env: CompileEnv, lowered: list[tuple[LoweredFunction, Allocation]],
          long_branches: bool) -> ObjectCode:  # fmt: skip
    func_types = env.func_types
    asm = FarAssembler(long_branches)
    labels: list[Label] = [asm.new_label() for _ in func_types]
    functions: dict[int, EmittedFunction[Label]] = {}
    for out, alloc in lowered:
        index = out.func_index
        functions[index] = Emitter(asm, labels).emit_function(out, alloc, labels[index])
    thunks = {ft: entry_thunk(asm, ft.params, ft.results)
              for ft in dict.fromkeys(func_types[module.num_imported_funcs :])}  # fmt: skip
    return object_code(asm, asm.finish(), functions, thunks)
