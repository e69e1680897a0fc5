"""wazaot: an ahead-of-time compiler from WebAssembly to native x86-64 and arm64 code.

The public surface (API.md)::

    import wazaot

    with wazaot.Runtime() as rt:
        cm = rt.compile(wasm_bytes)        # decode, validate, compile
        mod = rt.instantiate(cm, name="m")
"""

from __future__ import annotations

from .api import ValueType
from .errors import (
    CompileError,
    DecodeError,
    ExitError,
    LimitError,
    LinkError,
    Trap,
    UnsupportedError,
    ValidationError,
)
from .runtime import CompiledModule, Runtime, RuntimeConfig
from .version import VERSION

__version__ = VERSION

__all__ = [
    "CompileError",
    "CompiledModule",
    "DecodeError",
    "ExitError",
    "LimitError",
    "LinkError",
    "Runtime",
    "RuntimeConfig",
    "Trap",
    "UnsupportedError",
    "ValidationError",
    "ValueType",
    "__version__",
]
