"""Linked machine code: a module's ``ObjectCode`` mapped executable, and the map from
code addresses back to wasm functions that backtraces walk.

``link`` copies an ``ObjectCode`` (any architecture) into one W^X mapping and applies
its relocations. ``ModuleCode`` then knows where each function, entry thunk and wasm
instruction landed: what module engines (function addresses, thunks) and backtraces
(source maps) need. ``CodeMap`` finds the ``ModuleCode`` of an address.
"""

from __future__ import annotations

import bisect
import os
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from ..errors import Frame
from ..machinst.objcode import FunctionCode, ObjectCode
from ..native.execmem import CodeMemory
from ..wasm.module import FuncType, Module


@dataclass(eq=False)
class ModuleCode:
    """The code of a compiled module in one W^X mapping."""

    memory: CodeMemory
    functions: dict[int, FunctionCode]
    thunks: dict[FuncType, int]  # entry thunk offset per function type
    module: Module
    name: str | None = None
    code_size: int = 0
    definitions: list[Any] = field(default_factory=list)  # FunctionDefinition per function
    _starts: list[int] = field(init=False, repr=False)
    _ordered: list[FunctionCode] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ordered = sorted(self.functions.values(), key=lambda f: f.start)
        self._starts = [f.start for f in ordered]
        self._ordered = ordered

    @property
    def base(self) -> int:
        return self.memory.address

    @property
    def end(self) -> int:
        return self.memory.address + self.code_size

    def address_of(self, func_index: int) -> int:
        return self.base + self.functions[func_index].start

    def thunk_address(self, ft: FuncType) -> int:
        return self.base + self.thunks[ft]

    def function_at(self, pc: int) -> FunctionCode | None:
        offset = pc - self.base
        i = bisect.bisect(self._starts, offset) - 1
        if i >= 0 and offset < self._ordered[i].end:
            return self._ordered[i]
        return None

    def frame_at(self, pc: int) -> Frame:
        """The backtrace frame of machine address ``pc`` (inside a function)."""
        info = self.function_at(pc)
        if info is None:
            return Frame("<unknown>", -1, self.name, None)
        offset = pc - self.base
        srcmap = info.srcmap
        i = bisect.bisect(srcmap, (offset, 1 << 62)) - 1
        wasm_offset = srcmap[i][1] if i >= 0 else None
        return Frame(self.module.func_name(info.index), info.index, self.name, wasm_offset)

    def close(self) -> None:
        self.memory.close()


PERF_MAP_ENV = "WAZAOT_PERF_MAP"
"""Set to 1 to write perf maps for every linked module, as ``RuntimeConfig.perf_map``."""

_perf_map_lock = threading.Lock()


def perf_map_path() -> str:
    """Where ``perf`` looks for the symbols of this process's generated code."""
    return f"/tmp/perf-{os.getpid()}.map"


def write_perf_map(code: ModuleCode, obj: ObjectCode, path: str | None = None) -> None:
    """Append ``START SIZE name`` (hex) for every function and entry thunk of
    ``code`` to the perf map (Linux perf's format for JIT code; names
    ``wasm[module]::function`` and ``wasm[module]::thunk(types)``)."""
    module = code.name or "?"
    spans = [(f.start, f.end - f.start, f"wasm[{module}]::{code.module.func_name(f.index)}")
             for f in obj.functions.values()]  # fmt: skip
    ends = sorted([f.start for f in obj.functions.values()] + list(obj.thunks.values())
                  + [len(obj.code)])  # fmt: skip
    for ft, start in obj.thunks.items():
        end = ends[bisect.bisect_right(ends, start)]
        params = ",".join(map(str, ft.params))
        results = ",".join(map(str, ft.results))
        spans.append((start, end - start, f"wasm[{module}]::thunk({params})->({results})"))
    text = "".join(f"{code.base + s:x} {n:x} {name}\n" for s, n, name in sorted(spans))
    with _perf_map_lock, open(path or perf_map_path(), "a", encoding="utf-8") as f:
        f.write(text)


def link(obj: ObjectCode, module: Module, name: str | None, perf_map: bool = False) -> ModuleCode:
    """Map ``obj`` executable, with its relocations applied; with ``perf_map`` (or
    ``$WAZAOT_PERF_MAP=1``) say where its functions are in ``/tmp/perf-<pid>.map``."""
    memory = CodeMemory(max(len(obj.code), 1))
    try:
        memory.write(0, obj.linked(memory.address))
        memory.make_executable()
    except BaseException:
        memory.close()
        raise
    code = ModuleCode(memory, obj.functions, obj.thunks, module, name, len(obj.code))
    if perf_map or os.environ.get(PERF_MAP_ENV) == "1":
        write_perf_map(code, obj)
    return code


class CodeMap:
    """Maps machine-code addresses to their ``ModuleCode`` for backtraces.

    It holds the code weakly: a compiled module nobody references any more is
    unmapped by its finalizer, and its entry here goes with it. Compiling threads
    add entries while calling threads look addresses up, hence the lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._starts: list[int] = []
        self._entries: list[tuple[int, int, weakref.ref[ModuleCode]]] = []

    def add(self, code: ModuleCode) -> None:
        start, end = code.base, code.end
        with self._lock:
            live = [e for e in self._entries if e[2]() is not None and e[0] != start]
            i = bisect.bisect([s for s, _, _ in live], start)
            live.insert(i, (start, end, weakref.ref(code)))
            self._entries = live
            self._starts = [s for s, _, _ in live]

    def remove(self, code: ModuleCode) -> None:
        with self._lock:
            live = [e for e in self._entries if e[2]() is not code]
            self._entries = live
            self._starts = [s for s, _, _ in live]

    def lookup(self, pc: int) -> ModuleCode | None:
        starts, entries = self._starts, self._entries
        i = bisect.bisect(starts, pc) - 1
        if i >= 0 and i < len(entries):
            start, end, ref = entries[i]
            if start <= pc < end:
                return ref()
        return None

    def clear(self) -> None:
        with self._lock:
            self._entries = []
            self._starts = []
