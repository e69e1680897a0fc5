"""The public entry points: ``Runtime``, ``RuntimeConfig``, ``CompiledModule`` (API.md).

A Runtime compiles wasm binaries (decode, validate, then native code generation
for every function, through its ``NativeEngine``) and instantiates them in its store
(``instance.py``). It knows no instruction set: the engine finds the backend of
``RuntimeConfig.arch``. An ``arch`` without a backend raises
``wazaot.UnsupportedError`` (a ``CompileError``) from ``compile``.

``CompiledModule`` describes a module without running it: its imported and exported
functions, memories, tables and globals as small definition objects, its custom
sections and its name from the ``name`` section.
"""

from __future__ import annotations

import gc
import os
import platform
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .api import FunctionDefinition, ValueType
from .engine import CompiledCode, NativeEngine, cache, host_arch
from .engine.builtins import DEFINITIONS as BUILTIN_DEFINITIONS
from .engine.parallel import default_workers
from .engine.serialize import Artifact, dumps
from .errors import CompileError, LinkError, UnsupportedError
from .instance import HostModule, ModuleInstance, instantiate
from .wasm.decoder import decode_module
from .wasm.limits import MAX_PARAMS, MAX_RESULTS, check_limits
from .wasm.module import CustomSection, ExternKind, Module
from .wasm.validator import validate_module

if TYPE_CHECKING:
    from types import TracebackType

ARCHES = ("amd64", "arm64")
"""The architectures wazaot generates code for, spelled as Go (and wazero) spell them."""

_ARCH_ALIASES = {
    "amd64": "amd64",
    "x86_64": "amd64",
    "x64": "amd64",
    "arm64": "arm64",
    "aarch64": "arm64",
}



def _default_arch() -> str:
    arch = host_arch()
    if arch is None:
        raise ValueError(
            f"wazaot does not run on {platform.machine()!r} hosts; "
            f"pass RuntimeConfig(arch=...) with one of {ARCHES} to compile for another machine"
        )
    return arch


@dataclass
class RuntimeConfig:
    """How a Runtime compiles and runs modules.

    ``arch``: the target architecture, ``"amd64"`` or ``"arm64"`` (``"x86_64"`` and
    ``"aarch64"`` are accepted and normalised); defaults to the host's.
    ``memory_limit_pages``: the most 64 KiB pages any linear memory may grow to
    (at most 65536, i.e. 4 GiB). ``listener_factory``: the
    ``FunctionListenerFactory`` used for modules compiled without one of their own.
    ``cache_dir``: a directory where ``Runtime.compile`` keeps compiled modules and
    looks them up (``~`` is expanded; made when first needed); None caches nothing.
    Modules compiled with a listener factory are not cached.
    ``compile_workers``: how many processes compile a large module (its functions
    split between them, to the same code as one process); default: the CPU count.
    1 compiles everything in this process. Small modules always are.
    ``canonicalize_nans``: every float result that is a NaN becomes the canonical
    quiet NaN (x86-64 and arm64 make different NaNs: with this, results are bit for
    bit the same on both), at the cost of a compare and branch per float operation.
    ``perf_map``: append every linked function and entry thunk to
    ``/tmp/perf-<pid>.map`` for Linux ``perf`` (also turned on by ``$WAZAOT_PERF_MAP=1``).
    """

    arch: str = field(default_factory=_default_arch)
    memory_limit_pages: int = 65536
    listener_factory: Any | None = None
    cache_dir: str | os.PathLike[str] | None = None
    compile_workers: int = field(default_factory=default_workers)
    perf_map: bool = False
    canonicalize_nans: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.arch, str) or self.arch.lower() not in _ARCH_ALIASES:
            raise ValueError(f"unknown arch {self.arch!r}: expected one of {ARCHES}")
        self.arch = _ARCH_ALIASES[self.arch.lower()]
        limit = self.memory_limit_pages
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= 65536:
            raise ValueError(f"memory_limit_pages must be an int in [0, 65536], got {limit!r}")
        if self.listener_factory is not None and not callable(
            getattr(self.listener_factory, "new_listener", None)
        ):
            raise TypeError("listener_factory must have a new_listener(definition) method")
        if self.cache_dir is not None and not isinstance(self.cache_dir, (str, os.PathLike)):
            raise TypeError(f"cache_dir must be a path or None, got {type(self.cache_dir).__name__}")
        workers = self.compile_workers
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"compile_workers must be an int >= 1, got {workers!r}")


# -- definitions of what a module imports and exports ---------------------------------


@dataclass
class MemoryDefinition:
    """A memory in a module's memory index space. ``min``/``max`` are in 64 KiB pages."""

    min: int
    max: int | None
    shared: bool = False
    index: int = 0
    module_name: str | None = None
    export_names: tuple[str, ...] = ()
    import_: tuple[str, str] | None = None


@dataclass
class TableDefinition:
    """A table in a module's table index space. ``min``/``max`` count elements."""

    elem_type: ValueType
    min: int
    max: int | None
    index: int = 0
    module_name: str | None = None
    export_names: tuple[str, ...] = ()
    import_: tuple[str, str] | None = None


@dataclass
class GlobalDefinition:
    """A global in a module's global index space."""

    type: ValueType
    mutable: bool
    index: int = 0
    module_name: str | None = None
    export_names: tuple[str, ...] = ()
    import_: tuple[str, str] | None = None


def _debug_name(module_name: str | None, name: str) -> str:
    return f"{module_name}.{name}" if module_name else name


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (if it runs) for a compile: a compile
    makes millions of short-lived objects and few cycles, and each collection walks
    every object of the process, the code of earlier compiles included. Reference
    counting still frees what the compile drops; cycles wait for the next collection
    after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_serially(data: bytes) -> None:
    """Decode and validate ``data`` whole, as a compile in one process does (raises its
    first error)."""
    module = decode_module(data)
    validate_module(module)
    check_limits(module)


class CompiledModule:
    """A decoded, validated (and, with a backend, compiled) module, ready to instantiate.

    Attributes:
        module: the validated ``wazaot.wasm.module.Module``.
        name: the module name from the ``name`` section, or None.
        function_definitions: a ``FunctionDefinition`` per function, imports first.
        imported_functions: the definitions of the imported functions, in import order.
        exported_functions: export name -> ``FunctionDefinition``.
        exported_memories / exported_tables / exported_globals: export name ->
            ``MemoryDefinition`` / ``TableDefinition`` / ``GlobalDefinition``.
        custom_sections: the custom sections in binary order, ``name`` section
            included, as ``CustomSection`` objects (``.name``, ``.data`` bytes and
            ``.offset`` of the section in the binary).
        listener_factory: the factory the module was compiled with, or None.
        listeners: per defined function (imports excluded), the ``FunctionListener``
            the factory chose, or None.
        type_ids: per entry of the type section, the Runtime-wide id of that function
            type (``Runtime.type_id``): equal types get equal ids in every module of
            the Runtime, which is what ``call_indirect`` compares.
    """

    def __init__(
        self,
        module: Module,
        listener_factory: Any | None = None,
        type_ids: list[int] | None = None,
    ) -> None:
        self.module = module
        self.type_ids: list[int] = list(type_ids) if type_ids is not None else []
        self.name: str | None = module.names.module
        self.listener_factory = listener_factory
        self._closed = False
        self.code: CompiledCode | None = None  # the engine's compiled code
        self.timings: dict[str, float] = {}  # seconds per stage of the compile (none if loaded)
        self._runtime: Runtime | None = None
        self._wasm = b""  # the binary, for serialize()

        export_names: dict[tuple[ExternKind, int], list[str]] = {}
        for exp in module.exports:
            export_names.setdefault((exp.kind, exp.index), []).append(exp.name)

        def exports_of(kind: ExternKind, index: int) -> tuple[str, ...]:
            return tuple(export_names.get((kind, index), ()))

        imports = {
            kind: [(i.module, i.name) for i in module.imports_of(kind)] for kind in ExternKind
        }

        def import_of(kind: ExternKind, index: int) -> tuple[str, str] | None:
            return imports[kind][index] if index < len(imports[kind]) else None

        func_defs: list[FunctionDefinition] = []
        for index, ft in enumerate(module.func_types()):
            fname = module.func_name(index)
            func_defs.append(
                FunctionDefinition(
                    module_name=self.name,
                    index=index,
                    name=fname,
                    param_types=tuple(ft.params),
                    result_types=tuple(ft.results),
                    export_names=exports_of(ExternKind.FUNC, index),
                    import_=import_of(ExternKind.FUNC, index),
                    debug_name=_debug_name(self.name, fname),
                )
            )
        self.function_definitions = func_defs
        n_imported = len(imports[ExternKind.FUNC])
        self.imported_functions: list[FunctionDefinition] = func_defs[:n_imported]

        memories = [
            MemoryDefinition(
                min=mt.limits.min,
                max=mt.limits.max,
                shared=mt.shared,
                index=i,
                module_name=self.name,
                export_names=exports_of(ExternKind.MEMORY, i),
                import_=import_of(ExternKind.MEMORY, i),
            )
            for i, mt in enumerate(module.memory_types())
        ]
        tables = [
            TableDefinition(
                elem_type=tt.elem_type,
                min=tt.limits.min,
                max=tt.limits.max,
                index=i,
                module_name=self.name,
                export_names=exports_of(ExternKind.TABLE, i),
                import_=import_of(ExternKind.TABLE, i),
            )
            for i, tt in enumerate(module.table_types())
        ]
        globals_ = [
            GlobalDefinition(
                type=gt.value_type,
                mutable=gt.mutable,
                index=i,
                module_name=self.name,
                export_names=exports_of(ExternKind.GLOBAL, i),
                import_=import_of(ExternKind.GLOBAL, i),
            )
            for i, gt in enumerate(module.global_types())
        ]

        self.exported_functions: dict[str, FunctionDefinition] = {}
        self.exported_memories: dict[str, MemoryDefinition] = {}
        self.exported_tables: dict[str, TableDefinition] = {}
        self.exported_globals: dict[str, GlobalDefinition] = {}
        for exp in module.exports:
            if exp.kind == ExternKind.FUNC:
                self.exported_functions[exp.name] = func_defs[exp.index]
            elif exp.kind == ExternKind.MEMORY:
                self.exported_memories[exp.name] = memories[exp.index]
            elif exp.kind == ExternKind.TABLE:
                self.exported_tables[exp.name] = tables[exp.index]
            else:
                self.exported_globals[exp.name] = globals_[exp.index]

        self.custom_sections: list[CustomSection] = list(module.customs)

        self.listeners: list[Any | None] = [None] * (len(func_defs) - n_imported)
        if listener_factory is not None:
            self.listeners = [listener_factory.new_listener(d) for d in func_defs[n_imported:]]

    @property
    def closed(self) -> bool:
        return self._closed or (self._runtime is not None and self._runtime.closed)

    def close(self) -> None:
        """Close the module: it can no longer be instantiated. Its machine code is
        unmapped now if no instance was made from it, else when the Runtime closes
        (instances may still be called through other instances' tables)."""
        if self.closed:
            return
        self._closed = True
        if self._runtime is not None:
            self._runtime.engine.delete_compiled_module(self.module)

    def serialize(self) -> bytes:
        """The compiled module as bytes, for ``Runtime.deserialize`` in a Runtime of
        the same configuration on a machine with the same CPU features (any
        process). The format is wazaot's own (``wazaot.engine.serialize``)."""
        runtime = self._runtime
        if self.code is None or runtime is None:
            raise ValueError("the CompiledModule has no compiled code")
        key = cache.code_key(runtime.engine, self.listener_factory is not None)
        return dumps(Artifact(key, self.type_ids, self._wasm, self.code.object_code))

    def __repr__(self) -> str:
        name = f" {self.name!r}" if self.name else ""
        return (
            f"<CompiledModule{name}: {len(self.function_definitions)} functions, "
            f"{len(self.module.exports)} exports, {self.module.size} bytes>"
        )


# -- host modules ---------------------------------------------------------------------


@dataclass
class HostFunction:
    """A Python function to export from a host module, with its wasm signature."""

    definition: FunctionDefinition
    fn: Callable[..., Any]


def _value_types(types: Iterable[ValueType | int], what: str) -> tuple[ValueType, ...]:
    try:
        return tuple(ValueType(t) for t in types)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{what} must be wazaot.ValueType values: {exc}") from None


class HostModuleBuilder:
    """Collects Python functions to instantiate as a module that wasm can import.

    ``rt.new_host_module_builder("env").function("log", fn, params=[...], results=[])``
    then ``.instantiate()``. ``fn`` is called as ``fn(caller, *raw_params)`` and returns
    None, one raw int or a sequence of raw ints (API.md "Host modules").
    """

    def __init__(self, runtime: Runtime, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"host module name must be a str, got {type(name).__name__}")
        self.runtime = runtime
        self.name = name
        self.functions: dict[str, HostFunction] = {}

    def function(
        self,
        name: str,
        fn: Callable[..., Any],
        params: Sequence[ValueType | int] = (),
        results: Sequence[ValueType | int] = (),
    ) -> HostModuleBuilder:
        """Export ``fn`` as ``name`` with the given wasm signature; returns the builder."""
        if not isinstance(name, str):
            raise TypeError(f"function name must be a str, got {type(name).__name__}")
        if not callable(fn):
            raise TypeError(f"host function {name!r} is not callable")
        if name in self.functions:
            raise ValueError(f"host module {self.name!r} already exports {name!r}")
        param_types = _value_types(params, "params")
        result_types = _value_types(results, "results")
        if len(param_types) > MAX_PARAMS or len(result_types) > MAX_RESULTS:
            raise ValueError(f"host function {name!r} has more than {MAX_PARAMS} parameters "
                             f"or results")  # fmt: skip
        definition = FunctionDefinition(
            module_name=self.name,
            index=len(self.functions),
            name=name,
            param_types=param_types,
            result_types=result_types,
            export_names=(name,),
            import_=None,
            debug_name=_debug_name(self.name, name),
        )
        self.functions[name] = HostFunction(definition, fn)
        return self

    @property
    def definitions(self) -> list[FunctionDefinition]:
        """The definitions of the functions added so far, in order."""
        return [hf.definition for hf in self.functions.values()]

    def instantiate(self) -> HostModule:
        """Instantiate the host module and register it under its name in the Runtime.
        Raises ``LinkError`` if a module of that name is already there."""
        rt = self.runtime
        with rt._lock:
            rt._check_open()
            rt._check_name_free(self.name)
            module = HostModule(rt, self.name, [(hf.definition, hf.fn) for hf in self.functions.values()])
            rt._modules[self.name] = module
        return module


# -- the runtime ----------------------------------------------------------------------


class Runtime:
    """Compiles and instantiates WebAssembly modules (wazero's ``Runtime``).

    Use it as a context manager, or call ``close()``, to free every instance and its
    executable memory. A Runtime may be shared between threads, for compiling and for
    calling: each thread gets its own execution context and wasm stack.
    """

    def __init__(self, config: RuntimeConfig | None = None) -> None:
        if config is not None and not isinstance(config, RuntimeConfig):
            raise TypeError(f"config must be a RuntimeConfig, got {type(config).__name__}")
        self.config = config if config is not None else RuntimeConfig()
        self.engine = NativeEngine(self.config.arch, self.config.compile_workers,
                                   self.config.perf_map, self.config.canonicalize_nans)  # fmt: skip
        cache_dir = self.config.cache_dir
        self._cache = cache.DirectoryCache(cache_dir) if cache_dir is not None else None
        self._modules: dict[str, Any] = {}  # name -> Module or HostModule
        self._instances: list[ModuleInstance] = []
        self._closed = False
        self._lock = threading.RLock()

    @property
    def arch(self) -> str:
        """The target architecture, ``"amd64"`` or ``"arm64"``."""
        return self.config.arch

    @property
    def closed(self) -> bool:
        return self._closed

    def type_id(self, func_type: Any) -> int:
        """The Runtime-wide id of a function type: equal types get equal ids (from 0)."""
        return self.engine.type_id(func_type)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the Runtime is closed")

    def _check_name_free(self, name: str) -> None:
        if name in self._modules:
            raise LinkError(f"a module named {name!r} is already in this Runtime; "
                            f"close it first to reuse the name")  # fmt: skip

    def compile(
        self, source: bytes | bytearray | memoryview, listener_factory: Any | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> CompiledModule:
        """Decode and validate ``source``, then compile every function.

        Raises ``DecodeError`` for a malformed binary, ``ValidationError`` for an
        invalid one and ``UnsupportedError`` for what the backend cannot compile, all
        ``CompileError`` with the byte ``offset``. ``listener_factory`` overrides the
        one in ``RuntimeConfig`` for this module. ``progress(done, total)`` is told
        how many functions are compiled as the work goes on. The result's
        ``timings`` gives the seconds spent per stage.
        """
        if not isinstance(source, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"compile() takes bytes, bytearray or memoryview, not {type(source).__name__}"
            )
        self._check_open()
        data = source if isinstance(source, bytes) else bytes(source)
        factory = listener_factory if listener_factory is not None else self.config.listener_factory
        entry = None
        if self._cache is not None and factory is None and self._can_cache():
            entry, compiled = self._compile_cached(data)
            if compiled is not None:
                return compiled
        with _collector_paused():
            compiled = self._compile(data, factory, progress)
        if entry is not None and self._cache is not None:
            self._cache.write(entry, compiled.serialize())
        return compiled

    def _compile(self, data: bytes, factory: Any | None,
                 progress: Callable[[int, int], None] | None = None) -> CompiledModule:  # fmt: skip
        clock = time.perf_counter
        t0 = clock()
        module = self._outline(data)
        t1 = clock()
        in_workers = module is not None
        if module is None:
            module = decode_module(data)
            t1 = clock()
            validate_module(module)
            check_limits(module)
        t2 = clock()
        type_ids = [self.engine.type_id(ft) for ft in module.types]
        compiled = CompiledModule(module, listener_factory=factory, type_ids=type_ids)
        builtin_listeners = {}
        if factory is not None:
            for builtin, definition in BUILTIN_DEFINITIONS.items():
                listener = factory.new_listener(definition)
                if listener is not None:
                    builtin_listeners[builtin] = listener
        try:
            compiled.code = self.engine.compile_module(module, compiled.listeners,
                                                       compiled.function_definitions,
                                                       builtin_listeners, data, progress,
                                                       bodies_checked=not in_workers)  # fmt: skip
        except CompileError:
            if in_workers:
                _check_serially(data)  # the error a compile in one process raises first
            raise
        timings = dict(self.engine.last_timings)
        compiled.timings = {"decode": t1 - t0 + timings.pop("decode", 0.0),
                            "validate": t2 - t1 + timings.pop("validate", 0.0), **timings,
                            "total": clock() - t0}  # fmt: skip
        compiled._runtime = self
        compiled._wasm = data
        return compiled

    def _outline(self, data: bytes) -> Module | None:
        """For a module the engine compiles in worker processes: the module decoded and
        validated but for its function bodies, which the workers decode and validate,
        each its own (None for any other module). Errors are those of a compile in one
        process: on any, the whole module is decoded and validated here."""
        if not self.engine.might_compile_in_workers(len(data)):
            return None
        self.engine.start_workers()  # they boot while the module is decoded here
        try:
            module = decode_module(data, bodies=False)
            if not self.engine.compiles_in_workers(module):
                return None
            validate_module(module, bodies=False)
            check_limits(module)
        except CompileError:
            _check_serially(data)
            raise
        return module

    def _can_cache(self) -> bool:
        return self.engine.isa is not None and self.engine.runs_here

    def _compile_cached(self, data: bytes) -> tuple[str | None, CompiledModule | None]:
        """Look ``data`` up in the cache: (the entry's name, the module loaded from
        it or None on a miss). A bad entry is a miss (``engine/cache.py``)."""
        assert self._cache is not None
        try:
            module = decode_module(data, bodies=False)
        except CompileError:
            return None, None  # compiling reports the error
        type_ids = [self.engine.type_id(ft) for ft in module.types]
        key = cache.code_key(self.engine, False)
        name = cache.entry_name(key, data, type_ids)
        raw = self._cache.read(name)
        if raw is None:
            return name, None
        try:
            artifact = cache.load(raw, key)
            cache.check_fits(artifact, module)
        except CompileError:
            return name, None
        if artifact.wasm != data or artifact.type_ids != type_ids:
            return name, None
        return name, self._load(module, artifact, None)

    def _load(self, module: Module, artifact: Artifact, factory: Any | None) -> CompiledModule:
        """A CompiledModule of ``module`` (decoded from ``artifact.wasm``, without
        bodies) with the artifact's code (``cache.check_fits``), whose type ids this
        Runtime's must equal."""
        compiled = CompiledModule(module, listener_factory=factory, type_ids=artifact.type_ids)
        compiled.code = self.engine.load_module(module, compiled.listeners, artifact.object_code,
                                                compiled.function_definitions)  # fmt: skip
        compiled._runtime = self
        compiled._wasm = artifact.wasm
        return compiled

    def deserialize(self, data: bytes | bytearray | memoryview) -> CompiledModule:
        """The module ``CompiledModule.serialize`` returned ``data`` for, ready to
        instantiate in this Runtime. Raises ``CompileError`` if ``data`` is not an
        intact artifact of this wazaot for this Runtime's architecture, CPU features
        and listener factory (set or not). An artifact compiled under other type
        ids than this Runtime's (``engine/cache.py``) is compiled again from the
        wasm bytes it holds."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"deserialize() takes bytes, bytearray or memoryview, not {type(data).__name__}"
            )
        self._check_open()
        factory = self.config.listener_factory
        if not self._can_cache():
            raise UnsupportedError(f"this Runtime cannot run {self.arch} code on this machine")
        key = cache.code_key(self.engine, factory is not None)
        artifact = cache.load(bytes(data), key)
        module = decode_module(artifact.wasm, bodies=False)
        cache.check_fits(artifact, module)
        type_ids = [self.engine.type_id(ft) for ft in module.types]
        if artifact.type_ids != type_ids or factory is not None:
            # Other ids, or listeners to compile in: compile the wasm it holds.
            return self._compile(artifact.wasm, factory)
        return self._load(module, artifact, factory)

    def instantiate(self, compiled: CompiledModule, name: str | None = None) -> Any:
        """Instantiate ``compiled``, resolving imports against this Runtime's modules.

        ``name`` (None: anonymous) makes the instance importable under that name.
        Raises ``LinkError`` for an unresolvable import or a name already in use, and
        ``Trap`` if initialisation or the start function traps.
        """
        if not isinstance(compiled, CompiledModule):
            raise TypeError(f"instantiate() takes a CompiledModule, not {type(compiled).__name__}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"module name must be a str or None, got {type(name).__name__}")
        self._check_open()
        if compiled.closed:
            raise ValueError("the CompiledModule is closed")
        if compiled._runtime is not self:
            raise ValueError("the CompiledModule was compiled by another Runtime")
        if name is not None:
            self._check_name_free(name)

        def resolve(module_name: str, field: str) -> Any:
            mod = self._modules.get(module_name)
            return mod.exports.get(field) if mod is not None else None

        inst = instantiate(self, compiled, name, resolve)
        module = inst.api_module()
        start = compiled.module.start
        if start is not None:
            # A trap here fails the instantiation, but the instance stays in the
            # Runtime: tables it wrote into may still reference its functions.
            inst.functions[start].call_engine().call_raw()
        if name is not None:
            with self._lock:
                self._check_name_free(name)
                self._modules[name] = module
        return module

    def adopt_instance(self, inst: ModuleInstance) -> None:
        """Keep ``inst`` (and so its functions' records and its memory) until the
        Runtime closes, whether or not its instantiation completes."""
        with self._lock:
            self._instances.append(inst)

    def unregister(self, module: Any) -> None:
        """Drop every name under which ``module`` is importable."""
        with self._lock:
            for name in [n for n, m in self._modules.items() if m is module]:
                del self._modules[name]

    def register(self, alias: str, module: Any) -> None:
        """Make ``module``'s exports importable under the module name ``alias``
        (``LinkError`` if the name is in use)."""
        if not isinstance(alias, str):
            raise TypeError(f"alias must be a str, got {type(alias).__name__}")
        with self._lock:
            self._check_open()
            self._check_name_free(alias)
            self._modules[alias] = module

    def interrupt(self) -> None:
        """From any thread: every call now running in this Runtime stops and raises
        ``wazaot.Trap`` ("interrupted"). Calls that start afterwards run normally."""
        self.engine.interrupt()

    def interrupt_pending(self) -> bool:
        """For host functions that wait (a sleep, a blocking read): whether the wasm
        call of this thread that called them has been asked to stop (a timeout,
        ``interrupt()``, Ctrl-C). Such a function should then return soon, or raise
        ``wazaot.Trap("interrupted")``."""
        return self.engine.interrupt_pending()

    def module(self, name: str) -> Any | None:
        """The instance registered or instantiated under ``name``, or None."""
        return self._modules.get(name)

    def new_host_module_builder(self, name: str) -> HostModuleBuilder:
        """A builder for a module of Python functions named ``name``."""
        self._check_open()
        return HostModuleBuilder(self, name)

    def close(self) -> None:
        """Free every instance and compiled module. Idempotent.

        Raises RuntimeError, changing nothing, while a thread is running wasm code
        of this Runtime (another thread, or this one from inside a host function)."""
        with self._lock:
            if self._closed:
                return
            self.engine.close()
            self._closed = True
            self._modules.clear()
            for inst in self._instances:
                inst.release()
            self._instances.clear()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


__all__ = [
    "ARCHES",
    "CompiledModule",
    "GlobalDefinition",
    "HostFunction",
    "HostModuleBuilder",
    "MemoryDefinition",
    "Runtime",
    "RuntimeConfig",
    "TableDefinition",
    "host_arch",
]
