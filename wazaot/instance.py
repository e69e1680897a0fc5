"""Module instances: the store objects behind ``Runtime.instantiate`` (arch-neutral).

An instance owns its functions, tables, memories and globals; what generated code
reads about it (the module context, a funcref record per function) belongs to its
``ModuleEngine`` (``wazaot.engine``), which the store fills in: a 16-byte cell per
global, a ``wazaot_table`` descriptor and element array per table, and a linear
memory. Imported objects are shared by reference, so a table or memory grown by one
instance is seen by all of them.

``instantiate`` follows the spec's instantiation algorithm (Core 2.0): resolve and
type-check imports, allocate, evaluate global initialisers, then apply the active
element and data segments in order (a trap keeps what earlier segments wrote); the
Runtime then runs the start function.

The public objects (``Function``, ``Global``, ``Memory``, ``Table``, ``Module``, API.md
"Module instances and exports") wrap these.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .api import FunctionDefinition, ValueType, decode_value
from .engine import NativeEngine
from .engine.module_engine import NativeModuleEngine
from .errors import LinkError, Trap
from .native.call import ffi
from .native.linmem import LinearMemory
from .traps import TrapCode
from .values import check_raw
from .wasm.module import (
    ConstExpr,
    ExternKind,
    FuncType,
    GlobalType,
    Limits,
    MemoryType,
    SegmentMode,
    TableType,
)
from .wasm.opcodes import OP

if TYPE_CHECKING:
    from .runtime import CompiledModule, Runtime

WASM_PAGE = 65536
TABLE_LIMIT = 10_000_000  # the largest table this runtime grows to (an implementation limit)


def _address(cdata: Any) -> int:
    return int(ffi.cast("uintptr_t", cdata))


class FunctionInstance:
    """A function of an instance or of a host module: its type and its engine
    reference (``address``, the funcref value)."""

    def __init__(self, definition: FunctionDefinition, func_type: FuncType, type_id: int,
                 owner: Any, owner_engine: NativeModuleEngine,
                 host: Callable[..., Any] | None = None):  # fmt: skip
        self.definition = definition
        self.type = func_type
        self.type_id = type_id
        self.owner = owner  # the ModuleInstance or HostModule that defines it
        self.owner_engine = owner_engine
        self.host = host
        self.address = owner_engine.function_instance_reference(definition.index)
        self._call_engine: Any = None

    def call_engine(self) -> Any:
        """The prepared call of this function (made once)."""
        ce = self._call_engine
        if ce is None:
            ce = self._call_engine = self.owner_engine.new_call_engine(None, self)
        return ce


class GlobalInstance:
    """A global's 16-byte cell in native memory."""

    def __init__(self, gtype: GlobalType, raw: int = 0):
        self.type = gtype
        self.cell = ffi.new("uint64_t[2]")
        self.address = _address(self.cell)
        self.set_raw(raw)

    def get_raw(self) -> int:
        if self.type.value_type == ValueType.V128:
            return self.cell[0] | self.cell[1] << 64
        if self.type.value_type in (ValueType.I32, ValueType.F32):
            return self.cell[0] & 0xFFFF_FFFF
        return int(self.cell[0])

    def set_raw(self, raw: int) -> None:
        self.cell[0] = raw & 0xFFFF_FFFF_FFFF_FFFF
        self.cell[1] = (raw >> 64) & 0xFFFF_FFFF_FFFF_FFFF


class TableInstance:
    """A table: a ``wazaot_table`` descriptor and an element array of raw references."""

    def __init__(self, ttype: TableType):
        self.type = ttype
        self.desc = ffi.new("wazaot_table *")
        self.address = _address(self.desc)
        self.desc.max = ttype.limits.max if ttype.limits.max is not None else TABLE_LIMIT
        self.desc.elem_type = int(ttype.elem_type)
        self._elems: Any = None
        self._resize(ttype.limits.min)

    def _resize(self, n: int) -> None:
        new = ffi.new("uint64_t[]", max(n, 1))
        old = self._elems
        if old is not None:
            ffi.memmove(new, old, 8 * min(n, self.size))
        self._elems = new
        self.desc.elems = _address(new)
        self.desc.size = n

    @property
    def size(self) -> int:
        return int(self.desc.size)

    @property
    def elem_type(self) -> ValueType:
        return self.type.elem_type

    def get(self, i: int) -> int:
        if not 0 <= i < self.size:
            raise Trap(TrapCode.OUT_OF_BOUNDS_TABLE.message)
        return int(self._elems[i])

    def set(self, i: int, ref: int) -> None:
        if not 0 <= i < self.size:
            raise Trap(TrapCode.OUT_OF_BOUNDS_TABLE.message)
        self._elems[i] = ref

    def grow(self, delta: int, ref: int) -> int:
        old = self.size
        if delta < 0 or old + delta > int(self.desc.max) or old + delta > 0xFFFF_FFFF:
            return -1
        self._resize(old + delta)
        for i in range(old, old + delta):
            self._elems[i] = ref
        return old

    def fill(self, start: int, ref: int, n: int) -> None:
        if start + n > self.size:
            raise Trap(TrapCode.OUT_OF_BOUNDS_TABLE.message)
        for i in range(start, start + n):
            self._elems[i] = ref

    def write(self, start: int, refs: Sequence[int]) -> None:
        if start + len(refs) > self.size:
            raise Trap(TrapCode.OUT_OF_BOUNDS_TABLE.message)
        for i, ref in enumerate(refs):
            self._elems[start + i] = ref

    def copy_within(self, dst: int, src: TableInstance, src_start: int, n: int) -> None:
        if dst + n > self.size or src_start + n > src.size:
            raise Trap(TrapCode.OUT_OF_BOUNDS_TABLE.message)
        ffi.memmove(self._elems + dst, src._elems + src_start, 8 * n)


class MemoryInstance:
    """A linear memory and the module engines that must see its size."""

    def __init__(self, mtype: MemoryType, limit_pages: int):
        self.type = mtype
        self.linear = LinearMemory(mtype.limits.min, mtype.limits.max, limit_pages=limit_pages)
        self.engines: list[NativeModuleEngine] = []  # module contexts whose size follows

    @property
    def pages(self) -> int:
        return self.linear.pages

    @property
    def size(self) -> int:
        return self.linear.size

    def attach(self, me: NativeModuleEngine) -> None:
        me.set_memory(self.linear.base, self.linear.size)
        self.engines.append(me)

    def grow(self, delta: int) -> int:
        old = self.linear.grow(delta)
        if old >= 0:
            for me in self.engines:
                me.set_memory_size(self.linear.size)
        return old

    def read(self, offset: int, n: int) -> bytes:
        return self.linear.read(offset, n)

    def write(self, offset: int, data: bytes) -> None:
        self.linear.write(offset, data)

    def check(self, offset: int, n: int) -> None:
        if offset + n > self.linear.size:
            raise Trap(TrapCode.OUT_OF_BOUNDS_MEMORY.message)


Extern = FunctionInstance | TableInstance | MemoryInstance | GlobalInstance


class ModuleInstance:
    """What ``instantiate`` builds: the instance's objects and its module engine."""

    def __init__(self, runtime: Runtime, compiled: CompiledModule, name: str | None):
        self.runtime = runtime
        self.compiled = compiled
        self.module = compiled.module
        self.name = name
        self.functions: list[FunctionInstance] = []
        self.tables: list[TableInstance] = []
        self.memories: list[MemoryInstance] = []
        self.globals: list[GlobalInstance] = []
        self.exports: dict[str, tuple[ExternKind, Extern]] = {}
        self.elem_segments: list[list[int] | None] = []
        self.data_segments: list[bytes | None] = []
        self.engine: NativeModuleEngine | None = None
        self.closed = False
        self._api: Module | None = None

    def api_module(self) -> Module:
        """The public ``Module`` object of this instance."""
        if self._api is None:
            self._api = Module(self)
        return self._api

    def close(self) -> None:
        """Close the instance: its name is freed and its exports can no longer be
        called from Python. Its memory and code stay mapped until the Runtime closes,
        because other instances may still reach its functions (imports, tables) and
        must never jump into unmapped memory."""
        if self.closed:
            return
        self.closed = True
        if self.engine is not None:
            self.engine.close()
        self.runtime.unregister(self.api_module())

    def release(self) -> None:
        """Free the instance's own linear memories (the Runtime is closing)."""
        self.closed = True
        n_imported = len(self.module.imports_of(ExternKind.MEMORY))
        for memory in self.memories[n_imported:]:
            memory.linear.close()

    # -- constant expressions ------------------------------------------------------

    def eval_const(self, expr: ConstExpr) -> int:
        stack: list[int] = []
        for op, imm, _ in expr.instrs:
            if op in _CONST_OPS:
                stack.append(imm)
            elif op == _REF_NULL:
                stack.append(0)
            elif op == _REF_FUNC:
                stack.append(self.functions[imm].address)
            elif op == _GLOBAL_GET:
                stack.append(self.globals[imm].get_raw())
            elif op == _END:
                break
            else:  # extended constant expressions
                b, a = stack.pop(), stack.pop()
                stack.append(_EXTENDED[op](a, b))
        return stack[-1]


_CONST_OPS = {OP["i32.const"], OP["i64.const"], OP["f32.const"], OP["f64.const"], OP["v128.const"]}
_REF_NULL, _REF_FUNC, _GLOBAL_GET, _END = OP["ref.null"], OP["ref.func"], OP["global.get"], OP["end"]
_EXTENDED: dict[int, Callable[[int, int], int]] = {
    OP["i32.add"]: lambda a, b: (a + b) & 0xFFFF_FFFF,
    OP["i32.sub"]: lambda a, b: (a - b) & 0xFFFF_FFFF,
    OP["i32.mul"]: lambda a, b: (a * b) & 0xFFFF_FFFF,
    OP["i64.add"]: lambda a, b: (a + b) & 0xFFFF_FFFF_FFFF_FFFF,
    OP["i64.sub"]: lambda a, b: (a - b) & 0xFFFF_FFFF_FFFF_FFFF,
    OP["i64.mul"]: lambda a, b: (a * b) & 0xFFFF_FFFF_FFFF_FFFF,
}


def _limits_match(actual_min: int, actual_max: int | None, expected: Limits) -> bool:
    if actual_min < expected.min:
        return False
    if expected.max is not None:
        return actual_max is not None and actual_max <= expected.max
    return True


def _check_import(kind: ExternKind, desc: Any, extern: Extern, module: Any) -> bool:
    if kind == ExternKind.FUNC:
        return isinstance(extern, FunctionInstance) and extern.type == module.types[desc]
    if kind == ExternKind.TABLE:
        return (isinstance(extern, TableInstance) and extern.elem_type == desc.elem_type
                and _limits_match(extern.size, extern.type.limits.max, desc.limits))  # fmt: skip
    if kind == ExternKind.MEMORY:
        return (isinstance(extern, MemoryInstance)
                and _limits_match(extern.pages, extern.type.limits.max, desc.limits))  # fmt: skip
    return isinstance(extern, GlobalInstance) and extern.type == desc


def instantiate(runtime: Runtime, compiled: CompiledModule, name: str | None,
                resolve: Callable[[str, str], tuple[ExternKind, Extern] | None]) -> ModuleInstance:  # fmt: skip
    """Build an instance of ``compiled``; ``resolve(module, name)`` finds an import."""
    inst = ModuleInstance(runtime, compiled, name)
    mod = inst.module
    engine: NativeEngine = runtime.engine

    # Imports.
    for imp in mod.imports:
        found = resolve(imp.module, imp.name)
        if found is None:
            raise LinkError(f"unknown import: {imp.module}.{imp.name}")
        kind, extern = found
        if kind != imp.kind or not _check_import(imp.kind, imp.desc, extern, mod):
            raise LinkError(f"incompatible import type: {imp.module}.{imp.name}")
        if kind == ExternKind.FUNC:
            inst.functions.append(extern)  # type: ignore[arg-type]
        elif kind == ExternKind.TABLE:
            inst.tables.append(extern)  # type: ignore[arg-type]
        elif kind == ExternKind.MEMORY:
            inst.memories.append(extern)  # type: ignore[arg-type]
        else:
            inst.globals.append(extern)  # type: ignore[arg-type]

    # The module engine, then the functions defined here.
    me = engine.new_module_engine(name, mod, list(inst.functions), [])
    me.instance = inst
    inst.engine = me
    engine.set_caller(me, inst.api_module())
    definitions = compiled.function_definitions
    func_types = mod.func_types()
    type_indices = mod.func_type_indices()
    for index in range(mod.num_imported_funcs, len(func_types)):
        inst.functions.append(FunctionInstance(
            definitions[index], func_types[index],
            compiled.type_ids[type_indices[index]], inst, me))  # fmt: skip
    for ttype in mod.tables:
        inst.tables.append(TableInstance(ttype))
    for mtype in mod.memories:
        try:
            inst.memories.append(MemoryInstance(mtype, runtime.config.memory_limit_pages))
        except (ValueError, OSError) as e:
            raise LinkError(f"cannot allocate memory: {e}") from None
    for g in mod.globals:
        inst.globals.append(GlobalInstance(g.type, inst.eval_const(g.init)))

    # What generated code reads: memory, globals, tables.
    if inst.memories:
        inst.memories[0].attach(me)
    for i, g_inst in enumerate(inst.globals):
        me.set_global(i, g_inst.address)
    for i, t_inst in enumerate(inst.tables):
        me.set_table(i, t_inst.address)

    spaces: dict[ExternKind, list[Any]] = {
        ExternKind.FUNC: inst.functions, ExternKind.TABLE: inst.tables,
        ExternKind.MEMORY: inst.memories, ExternKind.GLOBAL: inst.globals,
    }  # fmt: skip
    for exp in mod.exports:
        space = spaces[exp.kind]
        inst.exports[exp.name] = (exp.kind, space[exp.index])

    # From here on, segments may put this instance's functions into imported tables
    # and a trap keeps those writes (Core 2.0): the Runtime must keep the instance,
    # whose records and memory they point at, alive even if instantiation fails.
    runtime.adopt_instance(inst)

    # Segments: evaluate, then apply the active ones in order.
    inst.elem_segments = [[inst.eval_const(e) for e in seg.init] for seg in mod.elements]
    inst.data_segments = [seg.init for seg in mod.datas]
    for i, seg in enumerate(mod.elements):
        if seg.mode == SegmentMode.ACTIVE:
            assert seg.offset_expr is not None
            start = inst.eval_const(seg.offset_expr)
            refs = inst.elem_segments[i] or []
            inst.tables[seg.table].write(start, refs)
        if seg.mode != SegmentMode.PASSIVE:
            inst.elem_segments[i] = None
    for i, dseg in enumerate(mod.datas):
        if dseg.mode == SegmentMode.ACTIVE:
            assert dseg.offset_expr is not None
            start = inst.eval_const(dseg.offset_expr)
            memory = inst.memories[dseg.memory]
            memory.check(start, len(dseg.init))
            memory.linear.write(start, dseg.init)
            inst.data_segments[i] = None
    return inst


class HostModule:
    """An instantiated host module: Python functions that wasm can import, called
    through host stubs (``NativeEngine.new_host_module_engine``)."""

    def __init__(self, runtime: Runtime, name: str,
                 functions: Sequence[tuple[FunctionDefinition, Callable[..., Any]]]):  # fmt: skip
        self.name = name
        self.runtime = runtime
        self.closed = False
        types = [FuncType(d.param_types, d.result_types) for d, _ in functions]
        factory = runtime.config.listener_factory
        listeners = [factory.new_listener(d) for d, _ in functions] if factory else []
        me = runtime.engine.new_host_module_engine(
            name, [(d, ft, fn) for (d, fn), ft in zip(functions, types)], listeners)
        me.instance = self
        self.engine = me
        self.exports: dict[str, tuple[ExternKind, Any]] = {}
        for (d, fn), ft in zip(functions, types):
            f = FunctionInstance(d, ft, runtime.engine.type_id(ft), self, me, host=fn)
            self.exports[d.name] = (ExternKind.FUNC, f)

    def api_module(self) -> HostModule:
        return self

    def exported_function(self, name: str) -> Function | None:
        found = self.exports.get(name)
        return Function(found[1]) if found else None

    def exported_global(self, name: str) -> None:
        return None

    def exported_memory(self, name: str) -> None:
        return None

    def exported_table(self, name: str) -> None:
        return None

    def close(self) -> None:
        """Unregister the module; its stubs stay mapped until the Runtime closes
        (wasm instances that imported its functions may still call them)."""
        self.closed = True
        self.engine.close()
        self.runtime.unregister(self)

    def __repr__(self) -> str:
        return f"<HostModule {self.name!r}>"


# -- the public objects (API.md "Module instances and exports") ---------------------------


class Function(functools.partial[Any]):
    """An exported (or host) function: ``f.call(*raw)`` with raw values, returning the
    raw results as a list, or ``f(*values)`` with Python values, returning None, a
    value or a tuple (API.md "Values").

    Both are the call engine's prepared closures: ``call`` is the raw one, an
    attribute of the instance, and calling the object itself runs the Pythonic one
    through ``functools.partial``'s C-level ``__call__``, which saves a Python frame
    on every call.
    """

    _func: FunctionInstance
    definition: FunctionDefinition
    call: Callable[..., list[int]]
    """``call(*raw_args, ctx=None) -> list[int]``: call with raw-encoded arguments."""

    def __new__(cls, func: FunctionInstance) -> Function:
        ce = func.call_engine()
        self = super().__new__(cls, ce.call_pythonic)
        self._func = func
        self.definition = func.definition
        self.call = ce.call_raw
        return self

    def __repr__(self) -> str:
        return f"<Function {self.definition.debug_name or self.definition.name}>"

    def __reduce__(self) -> Any:
        raise TypeError("a wazaot Function cannot be pickled")


class Global:
    def __init__(self, g: GlobalInstance, is_funcref: Callable[[int], bool]):
        self._g = g
        self._is_funcref = is_funcref
        self.type = g.type.value_type
        self.mutable = g.type.mutable

    def get(self) -> int:
        return self._g.get_raw()

    def set(self, raw: int) -> None:
        if not self.mutable:
            raise AttributeError("the global is immutable")
        self._g.set_raw(check_raw(self.type, raw, "Global.set", self._is_funcref))

    @property
    def value(self) -> Any:
        return decode_value(self.type, self.get())


class Memory:
    def __init__(self, m: MemoryInstance):
        self._m = m

    @property
    def size(self) -> int:
        return self._m.linear.size

    def grow(self, delta_pages: int) -> int:
        return self._m.grow(delta_pages)

    def read(self, offset: int, n: int) -> bytes:
        return self._m.linear.read(offset, n)

    def write(self, offset: int, data: bytes) -> None:
        self._m.linear.write(offset, data)

    def buffer(self) -> memoryview:
        return self._m.linear.buffer()


class Table:
    def __init__(self, t: TableInstance, is_funcref: Callable[[int], bool]):
        self._t = t
        self._is_funcref = is_funcref
        self.elem_type = t.elem_type

    def size(self) -> int:
        return self._t.size

    def get(self, i: int) -> int:
        if not 0 <= i < self._t.size:
            raise IndexError(f"table index {i} out of range")
        return self._t.get(i)

    def set(self, i: int, raw: int) -> None:
        if not 0 <= i < self._t.size:
            raise IndexError(f"table index {i} out of range")
        self._t.set(i, check_raw(self.elem_type, raw, "Table.set", self._is_funcref))

    def grow(self, n: int, raw: int = 0) -> int:
        return self._t.grow(n, check_raw(self.elem_type, raw, "Table.grow", self._is_funcref))


class Module:
    """An instance, as users see it (wazero's ``api.Module``)."""

    def __init__(self, inst: ModuleInstance):
        self._inst = inst
        self.name = inst.name

    def _export(self, name: str, kind: ExternKind) -> Any:
        found = self._inst.exports.get(name)
        if found is None or found[0] != kind:
            return None
        return found[1]

    def exported_function(self, name: str) -> Function | None:
        f = self._export(name, ExternKind.FUNC)
        return Function(f) if f is not None else None

    def exported_global(self, name: str) -> Global | None:
        g = self._export(name, ExternKind.GLOBAL)
        return Global(g, self._inst.runtime.engine.is_funcref) if g is not None else None

    def exported_memory(self, name: str) -> Memory | None:
        m = self._export(name, ExternKind.MEMORY)
        return Memory(m) if m is not None else None

    def exported_table(self, name: str) -> Table | None:
        t = self._export(name, ExternKind.TABLE)
        return Table(t, self._inst.runtime.engine.is_funcref) if t is not None else None

    @property
    def exports(self) -> dict[str, tuple[ExternKind, Extern]]:
        return self._inst.exports

    def close(self) -> None:
        self._inst.close()

    def __repr__(self) -> str:
        return f"<Module {self.name!r}>"
