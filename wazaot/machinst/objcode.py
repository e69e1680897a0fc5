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
import struct
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import overload

from ..errors import UnsupportedError
from ..wasm.module import FuncType


class RelocKind(enum.Enum):
    """How a relocation's value is computed and stored."""

    ABS64 = "abs64"
    """8 little-endian bytes at ``offset`` := code base address + ``addend``
    (jump tables of ``br_table``)."""

    FUNC_REL32 = "func_rel32"
    """4 bytes at ``offset`` := start of function ``addend`` - (``offset`` + 4): an x86-64
    direct call (``call rel32``) into another chunk of a module compiled in parts
    (resolved when the parts are joined; an ``ObjectCode`` never holds one)."""

    FUNC_CALL26 = "func_call26"
    """The low 26 bits of the 4-byte word at ``offset`` := (start of function ``addend``
    - ``offset``) / 4: an arm64 ``bl`` (imm26, ±128 MiB) into another chunk of a module
    compiled in parts (resolved when the parts are joined, as ``FUNC_REL32``)."""


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
            else:  # FUNC_REL32 and FUNC_CALL26 are resolved when chunks are joined
                raise AssertionError(f"unexpected {r.kind} relocation in linked code")
        return bytes(raw)


CALL26_REACH = 1 << 27
"""An arm64 ``bl`` reaches from -128 MiB to 128 MiB - 4 of itself (imm26 words)."""


def resolve_call(code: bytearray, at: int, kind: RelocKind, target: int) -> None:
    """Make the direct call whose field is at ``at`` in ``code`` (a ``FUNC_REL32`` or
    ``FUNC_CALL26`` relocation) reach offset ``target`` of ``code``. A call that cannot
    reach raises ``UnsupportedError``: the code is never left pointing elsewhere."""
    if kind is RelocKind.FUNC_REL32:
        distance = target - (at + 4)
        if not -(1 << 31) <= distance < 1 << 31:
            raise UnsupportedError(f"a call at {at:#x} cannot reach {target:#x} (rel32)")
        struct.pack_into("<i", code, at, distance)
    elif kind is RelocKind.FUNC_CALL26:
        distance = target - at
        if at % 4 or distance % 4:
            raise ValueError(f"a bl at {at:#x} to {target:#x}: both must be word-aligned")
        if not -CALL26_REACH <= distance < CALL26_REACH:
            raise UnsupportedError(
                f"the module's code is too large for arm64: a call at {at:#x} cannot reach "
                f"{target:#x} ({distance:+#x} bytes; bl reaches ±128 MiB)"
            )
        (word,) = struct.unpack_from("<I", code, at)
        empty_bl = word & 0xFC00_0000 == 0x9400_0000 and word & 0x03FF_FFFF == 0
        assert empty_bl, f"not a bl with an empty offset at {at:#x}: {word:#010x}"
        struct.pack_into("<I", code, at, word | (distance >> 2) & 0x03FF_FFFF)
    else:
        raise ValueError(f"{kind} is not a call relocation")


__all__ = [
    "CALL26_REACH", "ChunkCode", "FunctionCode", "ObjectCode", "PackedSourceMap", "RelocKind",
    "Relocation", "resolve_call",
]  # fmt: skip
