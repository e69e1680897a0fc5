"""The native engine: compiles modules for a target ISA and runs them in this process.

``NativeEngine`` implements the seed's ``Engine`` (``interfaces.py``) on top of a
``TargetISA`` (``wazaot.machinst.isa``): it knows no instruction set. It owns

- the compiled modules (``CompiledCode``: linked code, type ids, listeners);
- the Runtime-wide ids of function types (``call_indirect`` compares them) and of
  host functions, assigned under a lock since modules may compile on any thread;
- the runtime stubs (entry and exit trampolines), mapped once;
- every module engine by the address of its module context (what an exit reports),
  and every funcref record it handed out (values from Python are checked against
  them);
- one ``ThreadState`` per thread that calls in, found through ``tls``.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..api import FunctionDefinition
from ..errors import UnsupportedError
from ..machinst.isa import TargetISA
from ..machinst.objcode import ChunkCode, ObjectCode
from ..native.call import ffi
from ..native.execmem import CodeMemory
from ..vmctx import EntryTail, ModuleLayout
from ..wasm.module import FuncType, Module
from . import parallel
from .call_engine import HostCall, host_call
from .code import CodeMap, ModuleCode, link
from .isas import host_arch, target_isa
from .module_engine import HostCode, NativeModuleEngine
from .thread import ThreadState


def _sum_timings(parts: Sequence[ChunkCode]) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in parts:
        for stage, seconds in part.timings.items():
            out[stage] = out.get(stage, 0.0) + seconds
    return out


def _plain_definitions(module: Module) -> list[FunctionDefinition]:
    """Definitions named from the module alone (for engines used without a Runtime)."""
    return [FunctionDefinition(module_name=module.names.module, index=i, name=module.func_name(i),
                               param_types=tuple(ft.params), result_types=tuple(ft.results),
                               export_names=(), import_=None)
            for i, ft in enumerate(module.func_types())]  # fmt: skip


@dataclass(eq=False)
class CompiledCode:
    """A module compiled by the engine: the engine's opaque compile result."""

    module: Module
    type_ids: list[int]
    listeners: list[Any | None]
    object_code: ObjectCode
    code: ModuleCode  # linked into this process
    builtin_listeners: dict[int, Any] = field(default_factory=dict)
    instances: int = 0  # module engines made from it
    closed: bool = False

    def close(self) -> None:
        self.closed = True


@dataclass(eq=False)
class _Stubs:
    """The runtime stubs of an engine (``TargetISA.runtime_stubs``), mapped."""

    memory: CodeMemory
    at: dict[str, int]  # address of each stub
    exit: int  # address of the exit stub
    closed_thunk: int  # the thunk of functions whose module was closed
    close_gate: Any  # ``void close_gate(uint64_t *gate)`` as a cffi function
    host_codes: list[HostCode] = field(default_factory=list)
    _entries: dict[tuple[int, EntryTail, bool], Any] = field(default_factory=dict)

    def entry(self, k: int, tail: EntryTail, signed: bool) -> Any:
        """``entry{k}_{tail}`` as a cffi function ``(void *exec_ctx, void *funcref,
        uint64_t a0 ... a(k-1)) -> int64_t if signed else uint64_t``."""
        key = (k, tail, signed)
        fn = self._entries.get(key)
        if fn is None:
            ret = "int64_t" if signed else "uint64_t"
            ctype = f"{ret}(*)(void *, void *{', uint64_t' * k})"
            fn = self._entries[key] = ffi.cast(ctype, self.at[f"entry{k}_{tail.value}"])
        return fn


class NativeEngine:
    """Implements ``interfaces.Engine`` with machine code for ``arch``."""

    def __init__(self, arch: str, compile_workers: int | None = None, perf_map: bool = False,
                 canonicalize_nans: bool = False):  # fmt: skip
        self.arch = arch
        self.canonicalize_nans = canonicalize_nans  # NaN results made canonical in the code
        self.compile_workers = compile_workers or parallel.default_workers()
        self.last_timings: dict[str, float] = {}  # seconds per stage of the latest compile
        self.perf_map = perf_map  # write /tmp/perf-<pid>.map entries when linking
        self.isa = target_isa(arch)
        self.runs_here = arch == host_arch()
        self.code_map = CodeMap()
        self.tls = threading.local()
        self.closed = False
        self._lock = threading.RLock()
        self._type_ids: dict[FuncType, int] = {}
        self.host_calls: list[HostCall] = []  # by host function id
        self.host_definitions: list[FunctionDefinition] = []  # by host function id
        self.listening = False  # some function has a listener: record exit segments
        self.callers: dict[int, Any] = {}  # module context address -> public Module
        self._compiled: dict[int, CompiledCode] = {}
        self.module_engines: dict[int, NativeModuleEngine] = {}  # by module context address
        self._funcrefs: dict[int, NativeModuleEngine] = {}  # record address -> owner
        self._threads: weakref.WeakSet[ThreadState] = weakref.WeakSet()
        self._stubs: _Stubs | None = None
        # Non-zero once closing: the entry trampoline then refuses (see close()).
        self.gate = ffi.new("uint64_t *")
        self.gate_address = int(ffi.cast("uintptr_t", self.gate))

    # -- ids ---------------------------------------------------------------------------

    def type_id(self, func_type: FuncType) -> int:
        """The Runtime-wide id of ``func_type``: equal types get equal ids (from 0)."""
        ids = self._type_ids
        found = ids.get(func_type)
        if found is not None:
            return found
        with self._lock:
            return ids.setdefault(func_type, len(ids))

    def is_funcref(self, value: int) -> bool:
        """Whether ``value`` is a funcref this engine handed out."""
        return value in self._funcrefs

    # -- the seed's Engine ---------------------------------------------------------------

    def compile_module(self, module: Module, listeners: Sequence[Any | None],
                       definitions: Sequence[FunctionDefinition] = (),
                       builtin_listeners: dict[int, Any] | None = None,
                       source: bytes | None = None,
                       progress: Callable[[int, int], None] | None = None,
                       bodies_checked: bool = True) -> CompiledCode:  # fmt: skip
        """``listeners``: one per defined function (None: not listened), compiled in;
        ``definitions``: one per function, imports first (what listeners and the
        stack iterator name functions with); ``builtin_listeners``: listeners of the
        builtins the code exits to (``builtins.DEFINITIONS``), by ``Builtin``.
        Code for another machine compiles too; instantiating it raises
        ``UnsupportedError``.

        With ``source`` (the module's bytes) a large module is compiled in worker
        processes (``parallel.py``; ``compile_workers``), to the same code, on the
        backends that compile in parts. ``progress(done, total)`` is told how many
        functions are compiled. ``bodies_checked=False`` (only where
        ``compiles_in_workers(module)``): the function bodies of ``module`` are not
        decoded nor validated yet, and the workers do it, each for its chunks."""
        self._check_open()
        isa = self._isa()
        if self.runs_here:
            isa.check_host()
        type_ids = [self.type_id(ft) for ft in module.types]
        n_imported = module.num_imported_funcs
        listened = frozenset(n_imported + i for i, li in enumerate(listeners) if li is not None)
        total = len(module.codes)
        canon = self.canonicalize_nans
        if not bodies_checked and (source is None or not self.compiles_in_workers(module)):
            raise ValueError("only a compile in worker processes checks the bodies")
        if not isa.compiles_in_parts:
            obj = isa.compile_module(module, type_ids, listened, canon)
            self.last_timings = {}
            if progress is not None:
                progress(total, total)
        elif source is not None and self.compiles_in_workers(module):
            chunks = parallel.plan(module, self.compile_workers)
            done = 0

            def chunk_done(n: int) -> None:
                nonlocal done
                done += n
                if progress is not None:
                    progress(done, total)

            parts = parallel.compile_chunks(self.arch, source, type_ids, listened, canon, chunks,
                                            self.compile_workers, chunk_done,
                                            check=not bodies_checked)  # fmt: skip
            obj = isa.join_chunks(module, parts)
            self.last_timings = _sum_timings(parts)
        else:
            defined = range(n_imported, n_imported + total)
            part = isa.compile_chunk(module, type_ids, listened, defined, canon)
            obj = isa.join_chunks(module, [part])
            self.last_timings = dict(part.timings)
            if progress is not None:
                progress(total, total)
        return self._link(module, type_ids, listeners, obj, definitions, builtin_listeners)

    def might_compile_in_workers(self, size: int) -> bool:
        """Whether a binary of ``size`` bytes may hold a module ``compiles_in_workers``."""
        isa = self.isa
        return (isa is not None and isa.compiles_in_parts and self.compile_workers >= 2
                and size >= parallel.MIN_PARALLEL_CODE)  # fmt: skip

    def start_workers(self) -> None:
        """Start the compile workers now, for a module that ``might_compile_in_workers``."""
        parallel.start_workers(self.compile_workers)

    def compiles_in_workers(self, module: Module) -> bool:
        """Whether ``compile_module`` (given the source) compiles ``module`` in worker
        processes: a module large enough, on a backend that compiles in parts."""
        isa = self.isa
        return isa is not None and isa.compiles_in_parts and parallel.worth_it(module, self.compile_workers)

    def load_module(self, module: Module, listeners: Sequence[Any | None], obj: ObjectCode,
                    definitions: Sequence[FunctionDefinition] = ()) -> CompiledCode:  # fmt: skip
        """Like ``compile_module``, with code compiled before (the compilation cache):
        ``obj`` must come from this ISA, these CPU features and the type ids this
        engine gives ``module.types`` (``call_indirect`` compares them as immediates),
        without listeners."""
        self._runnable_isa()
        if any(li is not None for li in listeners):
            raise ValueError("code with listeners is compiled, never loaded")
        type_ids = [self.type_id(ft) for ft in module.types]
        return self._link(module, type_ids, listeners, obj, definitions, None)

    def _runnable_isa(self) -> TargetISA:
        self._check_open()
        isa = self._isa()
        if not self.runs_here:
            raise UnsupportedError(
                f"code compiled for {self.arch} cannot run on this {host_arch()} machine")
        isa.check_host()
        return isa

    def _link(self, module: Module, type_ids: list[int], listeners: Sequence[Any | None],
              obj: ObjectCode, definitions: Sequence[FunctionDefinition],
              builtin_listeners: dict[int, Any] | None) -> CompiledCode:  # fmt: skip
        code = link(obj, module, module.names.module, self.perf_map)
        code.definitions = list(definitions) or _plain_definitions(module)
        if builtin_listeners or any(li is not None for li in listeners):
            self.listening = True
        compiled = CompiledCode(module, type_ids, list(listeners), obj, code,
                                builtin_listeners=dict(builtin_listeners or {}))  # fmt: skip
        with self._lock:
            self._check_open()
            self.code_map.add(code)
            self._compiled[id(module)] = compiled
        return compiled

    def compiled_module_count(self) -> int:
        return len(self._compiled)

    def delete_compiled_module(self, module: Module) -> None:
        """Forget ``module``'s code; unmap it now if no instance was made from it
        (instances keep theirs until the Runtime closes)."""
        with self._lock:
            compiled = self._compiled.pop(id(module), None)
            if compiled is None:
                return
            compiled.close()
            if compiled.instances == 0:
                self.code_map.remove(compiled.code)
                compiled.code.close()

    def new_module_engine(self, name: str | None, module: Module,
                          imported_functions: Sequence[Any],
                          module_functions: Sequence[Any]) -> NativeModuleEngine:  # fmt: skip
        self._check_open()
        compiled = self._compiled.get(id(module))
        if compiled is None or compiled.closed:
            raise ValueError("the module is not compiled by this engine (or was deleted)")
        if not self.runs_here:
            raise UnsupportedError(f"cannot run {self.arch} code on this {host_arch()} machine")
        func_types = module.func_types()
        layout = ModuleLayout(len(module.global_types()), len(module.table_types()),
                              len(func_types))  # fmt: skip
        indices = module.func_type_indices()
        n_imported = module.num_imported_funcs
        type_ids = [compiled.type_ids[indices[i]] for i in range(n_imported, len(func_types))]
        with self._lock:
            compiled.instances += 1
        me = NativeModuleEngine(self, name, layout, compiled, n_imported, type_ids, func_types)
        for i, f in enumerate(imported_functions):
            me.set_import(i, f.address, f.owner_engine)
        return me

    # -- host modules ----------------------------------------------------------------------

    def new_host_module_engine(
        self, name: str, functions: Sequence[tuple[FunctionDefinition, FuncType, Callable[..., Any]]],
        listeners: Sequence[Any | None] = (),
    ) -> NativeModuleEngine:
        """A module engine for Python functions ``(definition, type, fn)``: their
        records point at host stubs that call them through the exit callback.
        ``listeners`` (one per function, or empty) listen to them."""
        self._check_open()
        isa = self._isa()
        types = [ft for _, ft, _ in functions]
        listeners = list(listeners) or [None] * len(functions)
        with self._lock:
            first = len(self.host_calls)
            for (d, ft, fn), listener in zip(functions, listeners):
                self.host_calls.append(host_call(self, fn, d, ft.params, ft.results, listener))
                self.host_definitions.append(d)
            if any(li is not None for li in listeners):
                self.listening = True
        type_ids = [self.type_id(ft) for ft in types]
        me = NativeModuleEngine(self, name, ModuleLayout(0, 0, len(types)), None, 0, type_ids,
                                types)  # fmt: skip
        if self.runs_here:
            stubs = isa.host_stubs([(first + i, ft) for i, ft in enumerate(types)])
            host_code = HostCode(stubs.code)
            with self._lock:
                self._runtime_stubs().host_codes.append(host_code)
            for i in range(len(types)):
                me.set_host_code(i, host_code.memory.address + stubs.offsets[str(first + i)])
        return me

    # -- module engines -------------------------------------------------------------------

    def register_module_engine(self, me: NativeModuleEngine) -> None:
        n = len(me.func_types) - me.num_imported
        with self._lock:
            self.module_engines[me.ctx_address] = me
            for i in range(n):
                self._funcrefs[me.function_instance_reference(me.num_imported + i)] = me

    def module_engine_by_ctx(self, ctx_address: int) -> NativeModuleEngine:
        return self.module_engines[ctx_address]

    def set_caller(self, me: NativeModuleEngine, module: Any) -> None:
        """``module`` is what host functions get as ``caller`` when ``me``'s code
        calls them."""
        self.callers[me.ctx_address] = module

    # -- threads and calls -----------------------------------------------------------------

    @property
    def stubs(self) -> _Stubs:
        """The runtime stubs (``stubs.entry(...)`` gives an entry trampoline). Whoever
        keeps a function of them keeps this object: the mapping is unmapped only
        when nothing does."""
        return self._runtime_stubs()

    def thread_state(self) -> ThreadState:
        """This thread's state (made on its first call)."""
        state: ThreadState | None = getattr(self.tls, "state", None)
        if state is None:
            self._check_open()
            state = ThreadState(self, self._runtime_stubs().exit, self.gate_address)
            self.tls.state = state
            with self._lock:
                self._threads.add(state)
        return state

    def _runtime_stubs(self) -> _Stubs:
        """Made once under the lock: threads racing here must all get the same
        mapping, or the loser's would be unmapped while a call engine uses it."""
        stubs = self._stubs
        if stubs is not None:
            return stubs
        with self._lock:
            if self._stubs is None:
                self._check_open()
                code = self._isa().runtime_stubs()
                memory = CodeMemory.from_code(code.code)
                at = {name: memory.address + offset for name, offset in code.offsets.items()}
                self._stubs = _Stubs(
                    memory,
                    at,
                    at["exit"],
                    at["closed_thunk"],
                    ffi.cast("void(*)(uint64_t *)", at["close_gate"]),
                )
            return self._stubs

    def _isa(self) -> TargetISA:
        if self.isa is None:
            raise UnsupportedError(f"wazaot has no {self.arch} backend yet")
        return self.isa

    def _check_open(self) -> None:
        if self.closed:
            raise RuntimeError("the Runtime is closed")

    def refuse_calls(self, me: NativeModuleEngine) -> None:
        """From now on the entry trampoline refuses to run ``me``'s functions for
        Python (their records' thunks become ``closed_thunk``); wasm code still calls
        them (other instances may import them)."""
        if not self.closed:
            me.set_thunks(self._runtime_stubs().closed_thunk)

    # -- teardown ---------------------------------------------------------------------------

    def interrupt(self) -> None:
        """Stop every call now running in this engine, on every thread: each raises
        ``Trap("interrupted")`` promptly."""
        for state in list(self._threads):
            state.interrupt()

    def interrupt_pending(self) -> bool:
        """Whether this thread's running calls have been interrupted."""
        state: ThreadState | None = getattr(self.tls, "state", None)
        return state is not None and bool(state.ctx.interrupt)

    def running_threads(self) -> list[ThreadState]:
        return [s for s in list(self._threads) if s.ctx.active]

    def close(self) -> None:
        """Refuse further calls and free the code, stubs and stacks.

        Raises RuntimeError, changing nothing, if a thread (this one included, from a
        host function) is running wasm code of this engine. The gate and the entry
        trampoline's count of running entries work like Dekker's flags: the gate is
        set with a locked exchange before the counts are read, and an entry is
        counted with a locked increment before the gate is read, so either the entry
        is refused or close() sees it."""
        with self._lock:
            if self.closed:
                return
            if self._stubs is not None:
                self._stubs.close_gate(self.gate)
            running = self.running_threads()
            if running:
                self.gate[0] = 0
                raise RuntimeError(
                    f"cannot close the Runtime while {len(running)} thread(s) run wasm code in it")
            self.closed = True
            for compiled in self._compiled.values():
                compiled.close()
            for me in self.module_engines.values():
                me.close()
                if me.compiled is not None and not me.compiled.code.memory.closed:
                    me.compiled.code.close()
            for compiled in self._compiled.values():
                compiled.code.close()
            self._compiled.clear()
            self.module_engines.clear()
            self._funcrefs.clear()
            self.callers.clear()
            self.code_map.clear()
            for state in list(self._threads):
                state.stack.close()
            # The runtime stubs stay mapped while call engines refer to them (the
            # gate now refuses every entry); their finalizer unmaps them.
