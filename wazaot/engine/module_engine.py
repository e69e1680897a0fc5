"""Module engines: the engine's side of one module instance.

A ``NativeModuleEngine`` owns what generated code reads about an instance:

- the *module context* (``vmctx.ModuleCtx`` and ``ModuleLayout``): memory base and
  size, and pointers to the instance's globals, tables and funcref records;
- a *funcref record* per function defined by the instance (``vmctx.FuncRef``: code
  address, module context, type id, index, entry thunk). A funcref value is the
  address of a record; imported functions use their exporter's records.

Host modules get one too (``new_host_module_engine``): records whose code is a host
stub, in a mapping of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import Trap
from ..native.call import ffi
from ..native.execmem import CodeMemory
from ..traps import TrapCode
from ..vmctx import ModuleCtx, ModuleLayout
from ..wasm.module import FuncType
from .call_engine import HostCallEngine, NativeCallEngine

if TYPE_CHECKING:
    from .engine import CompiledCode, NativeEngine


def _address(cdata: Any) -> int:
    return int(ffi.cast("uintptr_t", cdata))


class NativeModuleEngine:
    """Implements ``interfaces.ModuleEngine`` for native code."""

    def __init__(self, engine: NativeEngine, name: str | None, layout: ModuleLayout,
                 compiled: CompiledCode | None, num_imported: int,
                 type_ids: Sequence[int], func_types: Sequence[FuncType]):  # fmt: skip
        self.engine = engine
        self._name = name
        self.compiled = compiled  # keeps the module's code mapped while this lives
        self.layout = layout
        self.num_imported = num_imported
        self.func_types = list(func_types)
        self.closed = False
        self.instance: Any = None  # the store's instance (InstanceState), set by the store
        self.definitions: list[Any] = compiled.code.definitions if compiled is not None else []
        self.listeners: list[Any] = compiled.listeners if compiled is not None else []
        self.listener_sites: dict[int, Any] = {}  # listeners.ListenerSite by function index
        self.builtin_listeners: dict[int, Any] = (
            compiled.builtin_listeners if compiled is not None else {})
        self._ctx_words = ffi.new("uint64_t[]", max(layout.size // 8, ModuleCtx.HEADER_SIZE // 8))
        self.ctx = ffi.cast("wazaot_module_ctx *", self._ctx_words)
        self.ctx_address = _address(self.ctx)
        n_defined = len(func_types) - num_imported
        self._records = ffi.new("wazaot_funcref[]", max(n_defined, 1))
        self._records_address = _address(self._records)
        self._imported: list[int] = [0] * num_imported  # funcref values of the imports
        self._imported_owners: list[Any] = [None] * num_imported
        for i in range(n_defined):
            index = num_imported + i
            record = self._records[i]
            record.module_ctx = self.ctx_address
            record.type_id = type_ids[i]
            record.func_index = index
            if compiled is not None:
                code = compiled.code
                record.code = code.address_of(index)
                record.thunk = code.thunk_address(func_types[index])
            self._set_word(layout.func_slot(index), self._records_address + i * ffi.sizeof("wazaot_funcref"))
        engine.register_module_engine(self)

    # -- what the store fills in -------------------------------------------------------

    def _set_word(self, offset: int, value: int) -> None:
        self._ctx_words[offset // 8] = value

    def set_import(self, index: int, funcref: int, owner: Any) -> None:
        """Function ``index`` is imported: the record at ``funcref`` (of ``owner``)."""
        self._imported[index] = funcref
        self._imported_owners[index] = owner
        self._set_word(self.layout.func_slot(index), funcref)

    def set_global(self, index: int, cell_address: int) -> None:
        self._set_word(self.layout.global_slot(index), cell_address)

    def set_table(self, index: int, descriptor_address: int) -> None:
        self._set_word(self.layout.table_slot(index), descriptor_address)

    def set_memory(self, base: int, size: int) -> None:
        self.ctx.memory_base = base
        self.set_memory_size(size)

    def set_memory_size(self, size: int) -> None:
        self.ctx.memory_limit = ModuleCtx.memory_limit(size)
        self.ctx.memory_size = size

    def set_host_code(self, index: int, code: int) -> None:
        """Host modules: function ``index`` runs the host stub at ``code``."""
        self._records[index - self.num_imported].code = code

    # -- the seed's ModuleEngine ----------------------------------------------------------

    def name(self) -> str:
        return self._name or ""

    def record_pointer(self, func_index: int) -> Any:
        """The funcref record of ``func_index`` as a pointer for the entry trampoline."""
        return ffi.cast("void *", self.function_instance_reference(func_index))

    def function_instance_reference(self, func_index: int) -> int:
        if func_index < self.num_imported:
            return self._imported[func_index]
        i = func_index - self.num_imported
        return self._records_address + i * ffi.sizeof("wazaot_funcref")

    def new_call_engine(self, call_ctx: Any, function: Any) -> Any:
        """The call engine of ``function`` (a store function instance of this instance
        or imported by it); host functions are called from Python directly."""
        d = function.definition
        host = getattr(function, "host", None)
        ft = function.type
        if host is not None:
            return HostCallEngine(self.engine, function.owner_engine, host, d.debug_name or d.name,
                                  ft.params, ft.results)  # fmt: skip
        owner = function.owner_engine
        return NativeCallEngine(self.engine, owner, d.index, d.debug_name or d.name,
                                ft.params, ft.results)  # fmt: skip

    def lookup_function(self, table: Any, type_id: int, table_offset: int) -> int:
        if not 0 <= table_offset < table.size:
            raise Trap(TrapCode.UNDEFINED_ELEMENT.message)
        ref = table.get(table_offset)
        if ref == 0:
            raise Trap(TrapCode.UNINITIALIZED_ELEMENT.message)
        record = ffi.cast("wazaot_funcref *", ref)
        if int(record.type_id) != type_id:
            raise Trap(TrapCode.INDIRECT_CALL_TYPE_MISMATCH.message)
        return int(record.func_index)

    def create_func_element_instance(self, indexes: Sequence[int | None]) -> list[int]:
        return [0 if i is None else self.function_instance_reference(i) for i in indexes]

    def initialize_funcref_globals(self, globals: Sequence[Any]) -> None:
        """Nothing to do: ``ref.func`` initialisers already evaluate to record
        addresses (``function_instance_reference``)."""

    def is_own_funcref(self, value: int) -> bool:
        n = len(self.func_types) - self.num_imported
        offset = value - self._records_address
        size = ffi.sizeof("wazaot_funcref")
        return 0 <= offset < n * size and offset % size == 0

    def set_thunks(self, thunk: int) -> None:
        for i in range(len(self.func_types) - self.num_imported):
            self._records[i].thunk = thunk

    def close(self) -> None:
        """Python can no longer call the instance's functions (wasm code still can);
        native memory stays until the Runtime closes."""
        self.closed = True
        self.engine.refuse_calls(self)


class HostCode:
    """The host stubs of a host module, in a mapping of their own."""

    def __init__(self, code: bytes):
        self.memory = CodeMemory.from_code(code)

    def close(self) -> None:
        self.memory.close()
