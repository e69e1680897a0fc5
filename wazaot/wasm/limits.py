"""Implementation limits: what a valid module may not exceed to be compiled here.

The spec lets implementations bound sizes (its appendix "Implementation
Limitations"). These are wazaot's, close to wasmtime's; a module beyond them raises
``wazaot.LimitError`` from ``Runtime.compile`` instead of exhausting memory.
"""

from __future__ import annotations

from ..errors import LimitError
from .module import Module

MAX_LOCALS = 50_000  # per function, parameters included
MAX_PARAMS = 1_000  # per function type
MAX_RESULTS = 1_000  # per function type


def check_limits(module: Module) -> None:
    for i, ft in enumerate(module.types):
        if len(ft.params) > MAX_PARAMS or len(ft.results) > MAX_RESULTS:
            raise LimitError(f"type {i} has more than {MAX_PARAMS} parameters or results")
    func_types = module.func_types()
    n_imported = module.num_imported_funcs
    for i, code in enumerate(module.codes):
        total = len(func_types[n_imported + i].params) + sum(n for n, _ in code.local_runs)
        if total > MAX_LOCALS:
            raise LimitError(f"{total} locals exceed the limit of {MAX_LOCALS}", code.offset,
                             n_imported + i)  # fmt: skip
