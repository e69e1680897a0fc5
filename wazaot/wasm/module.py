"""The decoded form of a WebAssembly module (the spec's abstract syntax).

The decoder (``decoder.py``) builds a ``Module``; the validator (``validator.py``)
checks it and fills ``Module.validated``-only facts such as each function's
maximum stack height. Everything downstream (lowering, instantiation) reads it.

Instructions are triples ``(opcode, immediate, offset)``: ``opcode`` as numbered in
``opcodes.py``, ``immediate`` shaped as its ``Imm`` kind says, ``offset`` the byte
offset of the instruction in the binary (for errors, traps and source maps). The
decoder builds plain tuples (several times cheaper than a named tuple; code unpacks
them); ``Instr`` names the fields and builds equal triples by hand.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..api import ValueType


class Instr(NamedTuple):
    """One instruction: opcode number, immediate, byte offset in the binary."""

    op: int
    imm: Any
    offset: int


class ExternKind(enum.IntEnum):
    """What an import or export names; the number is its code in the binary."""

    FUNC = 0
    TABLE = 1
    MEMORY = 2
    GLOBAL = 3

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class FuncType:
    params: tuple[ValueType, ...]
    results: tuple[ValueType, ...]

    def __str__(self) -> str:
        p = " ".join(map(str, self.params))
        r = " ".join(map(str, self.results))
        return f"[{p}] -> [{r}]"


@dataclass(frozen=True, slots=True)
class Limits:
    min: int
    max: int | None = None


@dataclass(frozen=True, slots=True)
class TableType:
    elem_type: ValueType
    limits: Limits


@dataclass(frozen=True, slots=True)
class MemoryType:
    limits: Limits
    shared: bool = False


@dataclass(frozen=True, slots=True)
class GlobalType:
    value_type: ValueType
    mutable: bool


ImportDesc = int | TableType | MemoryType | GlobalType
"""A function import's type index, or the type of an imported table/memory/global."""


@dataclass(frozen=True, slots=True)
class Import:
    module: str
    name: str
    kind: ExternKind
    desc: ImportDesc


@dataclass(frozen=True, slots=True)
class Export:
    name: str
    kind: ExternKind
    index: int


@dataclass(slots=True)
class ConstExpr:
    """A constant expression (global initialisers, segment offsets and elements)."""

    instrs: list[Instr]
    offset: int


@dataclass(slots=True)
class Global:
    type: GlobalType
    init: ConstExpr


class SegmentMode(enum.Enum):
    ACTIVE = "active"
    PASSIVE = "passive"
    DECLARATIVE = "declarative"


@dataclass(slots=True)
class Element:
    """An element segment: ``init`` holds one constant expression per element."""

    mode: SegmentMode
    elem_type: ValueType
    init: list[ConstExpr]
    table: int = 0
    offset_expr: ConstExpr | None = None
    offset: int = 0  # byte offset of the segment in the binary


@dataclass(slots=True)
class Data:
    mode: SegmentMode
    init: bytes
    memory: int = 0
    offset_expr: ConstExpr | None = None
    offset: int = 0


@dataclass(slots=True)
class Code:
    """A function body: local declarations as (count, type) runs, and the instructions."""

    local_runs: list[tuple[int, ValueType]]
    body: list[Instr]
    offset: int  # byte offset of the body (its size field) in the binary
    body_offset: int = 0  # byte offset of the first local declaration
    end_offset: int = 0  # byte offset just past the body
    max_stack: int = 0  # filled by the validator
    uses_memory: bool = False  # filled by the validator

    def local_types(self) -> list[ValueType]:
        out: list[ValueType] = []
        for count, vt in self.local_runs:
            out.extend([vt] * count)
        return out


@dataclass(slots=True)
class CustomSection:
    name: str
    data: bytes
    offset: int


@dataclass(slots=True)
class Names:
    """The contents of the ``name`` custom section (all optional)."""

    module: str | None = None
    functions: dict[int, str] = field(default_factory=dict)
    locals: dict[int, dict[int, str]] = field(default_factory=dict)


@dataclass(slots=True)
class Module:
    """A decoded module. Index spaces put imports first, as in the spec."""

    types: list[FuncType] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    functions: list[int] = field(default_factory=list)  # type index of each defined function
    tables: list[TableType] = field(default_factory=list)
    memories: list[MemoryType] = field(default_factory=list)
    globals: list[Global] = field(default_factory=list)
    exports: list[Export] = field(default_factory=list)
    start: int | None = None
    elements: list[Element] = field(default_factory=list)
    data_count: int | None = None
    codes: list[Code] = field(default_factory=list)
    datas: list[Data] = field(default_factory=list)
    customs: list[CustomSection] = field(default_factory=list)
    names: Names = field(default_factory=Names)
    size: int = 0  # length of the binary in bytes

    # -- index spaces (imports first) --------------------------------------------

    def imports_of(self, kind: ExternKind) -> list[Import]:
        return [imp for imp in self.imports if imp.kind == kind]

    @property
    def num_imported_funcs(self) -> int:
        return sum(1 for imp in self.imports if imp.kind == ExternKind.FUNC)

    def func_type_indices(self) -> list[int]:
        """The type index of every function in the function index space."""
        out = [imp.desc for imp in self.imports if imp.kind == ExternKind.FUNC]
        return out + self.functions  # type: ignore[operator]

    def func_types(self) -> list[FuncType]:
        return [self.types[i] for i in self.func_type_indices()]

    def table_types(self) -> list[TableType]:
        out = [imp.desc for imp in self.imports if imp.kind == ExternKind.TABLE]
        return out + self.tables  # type: ignore[operator]

    def memory_types(self) -> list[MemoryType]:
        out = [imp.desc for imp in self.imports if imp.kind == ExternKind.MEMORY]
        return out + self.memories  # type: ignore[operator]

    def global_types(self) -> list[GlobalType]:
        out = [imp.desc for imp in self.imports if imp.kind == ExternKind.GLOBAL]
        return out + [g.type for g in self.globals]  # type: ignore[operator]

    def func_name(self, index: int) -> str:
        """The function's debug name, from the name section or generated."""
        name = self.names.functions.get(index)
        if name is not None:
            return name
        if index < self.num_imported_funcs:
            imp = self.imports_of(ExternKind.FUNC)[index]
            return f"{imp.module}.{imp.name}"
        return f"$func{index}"
