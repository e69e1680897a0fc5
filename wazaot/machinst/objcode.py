"""What a backend hands to the engine: a module's machine code as plain data.

A target ISA compiles a module into an ``ObjectCode``: the bytes of every function
and entry thunk laid out in one buffer, where each function starts and ends, the
source map of each function (machine offset -> wasm byte offset, for backtraces and
listings) and the relocations to apply once the buffer's final address is known.
Nothing in it points at memory of this process, so it can be mapped anywhere (and,
later, cached on disk): the engine (``wazaot.engine``) copies the bytes into an
executable mapping and applies the relocations.
"""

from __future__ import annotations

import enum
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import overload

from ..wasm.module import FuncType


class RelocKind(enum.Enum):
    """How a relocation's value is computed and stored."""

    ABS64 = "abs64"
    """8 little-endian bytes at ``offset`` := code base address + ``addend``
    (jump tables of ``br_table``)."""

    FUNC_REL32 = "func_rel32"
    """4 bytes at ``offset`` := start of function ``addend`` - (``offset`` + 4): a direct
    call into another chunk of a module compiled in parts (resolved when the parts
    are joined; an ``ObjectCode`` never holds one)."""


@dataclass(frozen=True, slots=True)
class Relocation:
    offset: int  # where in the code buffer
    kind: RelocKind
    addend: int  # for ABS64: an offset in the code buffer


class PackedSourceMap(Sequence[tuple[int, int]]):
    """A source map held as two arrays, read as a sequence of (machine offset, wasm
    offset) pairs: what code loaded from the compilation cache carries, since making
    a tuple per entry would cost more than the rest of the load; only backtraces and
    listings read it."""

    __slots__ = ("machine", "wasm")

    def __init__(self, machine: array[int], wasm: array[int]) -> None:
        assert len(machine) == len(wasm)
        self.machine = machine
        self.wasm = wasm

    def __len__(self) -> int:
        return len(self.machine)

    @overload
    def __getitem__(self, i: int) -> tuple[int, int]: ...

    @overload
    def __getitem__(self, i: slice) -> list[tuple[int, int]]: ...

    def __getitem__(self, i: int | slice) -> tuple[int, int] | list[tuple[int, int]]:
        if isinstance(i, slice):
            return list(zip(self.machine[i], self.wasm[i]))
        return self.machine[i], self.wasm[i]


@dataclass(slots=True)
class FunctionCode:
    """Where function ``index`` (in the module's function index space) landed."""

    index: int
    start: int  # offsets in the code buffer
    end: int
    # (machine offset, wasm offset), sorted: a list, or packed when loaded from a cache
    srcmap: Sequence[tuple[int, int]] = field(default_factory=list)


@dataclass(slots=True)
class ChunkCode:
    """Some of a module's functions, compiled apart (in a worker process) to be joined
    with the others (``TargetISA.join_chunks``): offsets are relative to the chunk."""

    code: bytes
    functions: dict[int, FunctionCode]
    relocations: list[Relocation] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage


@dataclass(slots=True)
class ObjectCode:
    """A compiled module, position-independent apart from ``relocations``."""

    code: bytes
    functions: dict[int, FunctionCode]  # defined functions only, by function index
    thunks: dict[FuncType, int]  # offset of the entry thunk of each function type
    relocations: list[Relocation] = field(default_factory=list)

    def linked(self, base: int) -> bytes:
        """The code with every relocation applied for a mapping at ``base``."""
        if not self.relocations:
            return self.code
        raw = bytearray(self.code)
        for r in self.relocations:
            if r.kind is RelocKind.ABS64:
                raw[r.offset : r.offset + 8] = (base + r.addend).to_bytes(8, "little")
            else:  # FUNC_REL32 are resolved when chunks are joined
                raise AssertionError(f"unexpected {r.kind} relocation in linked code")
        return bytes(raw)


__all__ = ["ChunkCode", "FunctionCode", "ObjectCode", "PackedSourceMap", "RelocKind", "Relocation"]
