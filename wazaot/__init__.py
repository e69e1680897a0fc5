"""wazaot: an ahead-of-time compiler from WebAssembly to native x86-64 and arm64 code.

The public surface (API.md)::

    import wazaot

    with wazaot.Runtime() as rt:
        cm = rt.compile(wasm_bytes)        # decode, validate, compile
        mod = rt.instantiate(cm, name="m")
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

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


def _version() -> str:
    try:
        return version("wazaot")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.1.0"


__version__ = _version()

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
