"""The x86-64 pipeline for a whole module: lower, allocate, emit, link.

For each defined function::

    Amd64Lowering  <- lower_function (shared frontend)      wasm -> VCode
    allocate(vcode, REGISTER_ENV)                            VCode -> Allocation
    Emitter.emit_function                                    -> bytes in the module assembler

then the entry thunks of the module's function types, and the link: one mapping,
jump tables patched with absolute addresses, made read+execute.
"""

from __future__ import annotations

from ..api import ValueType
from ..errors import UnsupportedError
from ..lower.frontend import lower_function
from ..machinst.objcode import FunctionCode, ObjectCode, Relocation, RelocKind
from ..regalloc import allocate
from ..vmctx import ModuleLayout
from ..wasm.module import Module
from . import cpu
from .abi import REGISTER_ENV
from .emit import Emitter
from .encoding import Assembler
from .lower import Amd64Lowering, CompileEnv
from .trampolines import entry_thunk

__all__ = ["compile_module"]


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


def compile_module(module: Module, type_ids: list[int], features: cpu.Features) -> ObjectCode:
    """Lower, allocate and emit every defined function of ``module``, then the entry
    thunks of their function types; jump tables become ABS64 relocations."""
    func_types = module.func_types()
    global_types, table_types = module.global_types(), module.table_types()
    layout = ModuleLayout(len(global_types), len(table_types), len(func_types))
    env = CompileEnv(module, func_types, type_ids, layout, global_types, table_types, features)
    asm = Assembler()
    labels = [asm.new_label() for _ in func_types]
    infos: dict[int, FunctionCode] = {}
    tables = []
    _reject_v128(module)
    for index in range(module.num_imported_funcs, len(func_types)):
        lowering = Amd64Lowering(env, index)
        lower_function(module, index, lowering, func_types)
        alloc = allocate(lowering.vcode, REGISTER_ENV)
        code = Emitter(asm, labels).emit_function(lowering.out, alloc, labels[index])
        infos[index] = FunctionCode(index, code.start, code.end, code.srcmap)
        tables.extend(code.jump_tables)
    thunk_labels = {}
    for ft in dict.fromkeys(func_types[module.num_imported_funcs :]):
        thunk_labels[ft] = entry_thunk(asm, ft.params, ft.results)
    raw = asm.finish()
    relocs = [
        Relocation(offset + 8 * k, RelocKind.ABS64, asm.label_offset(label))
        for offset, targets in tables
        for k, label in enumerate(targets)
    ]
    thunks = {ft: asm.label_offset(label) for ft, label in thunk_labels.items()}
    return ObjectCode(bytes(raw), infos, thunks, relocs)
