"""The engine interfaces (wazero's ``internal/wasm/engine.go``) as Python protocols.

An engine turns validated modules into something it can run; the store and the
Runtime only ever talk to it through these three protocols, so the native compiler
(``NativeEngine``) and, say, an interpreter could be swapped without touching the
store or ``wazaot.runtime``::

    Engine            one per Runtime: compiles modules and caches the results
      └─ ModuleEngine one per module instance: function references, call_indirect
           └─ CallEngine   one per exported function: the prepared call

Go's ``(result, error)`` pairs become return values and raised exceptions: a trap is
a ``wazaot.Trap``, a host function's exception propagates unchanged.

The store-side objects the engine receives (function, table, memory and global
instances, and the instance's mutable state for the slow paths) are described by the
small structural protocols below; they name only what an engine may rely on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ..api import FunctionDefinition, ValueType
    from ..wasm.module import FuncType, Module


class FunctionInstance(Protocol):
    """A function in a module instance's function index space (wasm or host)."""

    @property
    def definition(self) -> FunctionDefinition:
        """The function's static description (names, types, import)."""
        ...

    @property
    def type(self) -> FuncType:
        """The function's signature."""
        ...

    @property
    def address(self) -> int:
        """The function's engine reference (its funcref value)."""
        ...


class TableInstance(Protocol):
    """A table of raw references (0 for null)."""

    @property
    def elem_type(self) -> ValueType: ...

    @property
    def size(self) -> int: ...

    @property
    def address(self) -> int:
        """The address of its native descriptor (``vmctx.Table``)."""
        ...

    def get(self, i: int) -> int: ...
    def grow(self, delta: int, ref: int) -> int: ...
    def fill(self, start: int, ref: int, n: int) -> None: ...
    def write(self, start: int, refs: Sequence[int]) -> None: ...
    def copy_within(self, dst: int, src: Any, src_start: int, n: int) -> None: ...


class MemoryInstance(Protocol):
    """A linear memory."""

    @property
    def size(self) -> int:
        """Its size in bytes."""
        ...

    def grow(self, delta_pages: int) -> int: ...
    def read(self, offset: int, n: int) -> bytes: ...
    def write(self, offset: int, data: bytes) -> None: ...


class GlobalInstance(Protocol):
    """A global: ``address`` of its 16-byte cell; ``get_raw``/``set_raw`` its value."""

    @property
    def address(self) -> int: ...

    def get_raw(self) -> int: ...
    def set_raw(self, raw: int) -> None: ...


class InstanceState(Protocol):
    """What the engine's slow paths (``builtins.py``) change in an instance, and how
    a host function is told its caller."""

    @property
    def memories(self) -> Sequence[Any]: ...

    @property
    def tables(self) -> Sequence[Any]: ...

    @property
    def elem_segments(self) -> list[list[int] | None]: ...

    @property
    def data_segments(self) -> list[bytes | None]: ...

    def api_module(self) -> Any:
        """The public ``Module`` object (a host function's ``caller``)."""
        ...


@runtime_checkable
class CallEngine(Protocol):
    """Runs one function (wazero's ``CallEngine``), made once per function.

    Separate calls may run on separate threads: the per-thread part (execution
    context, wasm stack) is found through the engine's thread-local state.
    """

    def call(self, ctx: Any, module: Any, params: Sequence[int]) -> list[int]:
        """Call the function with ``params`` in the raw encoding and return its results.

        ``ctx`` is the listener context of the outermost call (any Python object, see
        API.md "Listeners"); ``module`` is the calling module instance. Raises
        ``wazaot.Trap`` for a trap; an exception raised by a host function reaches the
        caller unchanged.
        """
        ...


@runtime_checkable
class ModuleEngine(Protocol):
    """The engine's side of one module instance (wazero's ``ModuleEngine``)."""

    def name(self) -> str:
        """The name of the module instance this engine belongs to."""
        ...

    def new_call_engine(self, call_ctx: Any, function: Any) -> CallEngine:
        """A call engine that runs ``function`` (an export, or a start function)."""
        ...

    def lookup_function(self, table: Any, type_id: int, table_offset: int) -> int:
        """The function index of ``table[table_offset]``, checked as ``call_indirect`` does.

        Raises ``wazaot.Trap`` ("undefined element" past the end, "uninitialized
        element" for null, "indirect call type mismatch" when the function's type id is
        not ``type_id``).
        """
        ...

    def create_func_element_instance(self, indexes: Sequence[int | None]) -> list[int]:
        """Engine-specific function references for an element segment's function indexes.

        ``None`` stands for a null reference and maps to 0.
        """
        ...

    def initialize_funcref_globals(self, globals: Sequence[Any]) -> None:
        """Turn funcref globals initialised by ``ref.func`` into engine references."""
        ...

    def function_instance_reference(self, func_index: int) -> int:
        """The engine-specific reference (a non-zero int) of function ``func_index``."""
        ...


@runtime_checkable
class Engine(Protocol):
    """Compiles modules and makes module engines (wazero's ``Engine``, one per Runtime)."""

    def compile_module(self, module: Module, listeners: Sequence[Any | None]) -> Any:
        """Compile every function of a validated ``module`` and cache the result.

        ``listeners`` has one entry per function defined in the module (imports
        excluded): the ``FunctionListener`` chosen for it, or None. The result is the
        engine's compiled artefact; the runtime keeps it opaque.
        """
        ...

    def compiled_module_count(self) -> int:
        """How many compiled modules the cache holds (for tests)."""
        ...

    def delete_compiled_module(self, module: Module) -> None:
        """Drop ``module``'s compiled code from the cache.

        Safe while instances of the module still have calls in flight: their code stays
        mapped until the last of them is closed.
        """
        ...

    def new_module_engine(
        self,
        name: str,
        module: Module,
        imported_functions: Sequence[Any],
        module_functions: Sequence[Any],
    ) -> ModuleEngine:
        """A module engine for a new instance named ``name`` of a compiled ``module``.

        ``imported_functions`` are the resolved imports (in import order) and
        ``module_functions`` the instance's own functions; both are already validated
        and linked.
        """
        ...


__all__ = [
    "CallEngine",
    "Engine",
    "FunctionInstance",
    "GlobalInstance",
    "InstanceState",
    "MemoryInstance",
    "ModuleEngine",
    "TableInstance",
]
