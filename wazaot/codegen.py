"""Compiled machine code of one module, as every architecture produces it.

``ModuleCode`` owns the module's executable mapping and knows where each function,
entry thunk and wasm instruction landed in it: what instantiation (function
addresses), calls from Python (thunks) and backtraces (source maps) need.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from .callengine import Frame
from .machinst.objcode import FunctionCode as FunctionInfo
from .machinst.objcode import ObjectCode
from .native.execmem import CodeMemory
from .wasm.module import FuncType, Module


@dataclass
class ModuleCode:
    """The code of a compiled module in one W^X mapping."""

    memory: CodeMemory
    functions: dict[int, FunctionInfo]
    thunks: dict[FuncType, int]  # entry thunk offset per function type
    module: Module
    name: str | None = None
    code_size: int = 0

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

    def function_at(self, pc: int) -> FunctionInfo | None:
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


def link(obj: ObjectCode, module: Module, name: str | None) -> ModuleCode:
    """Map ``obj`` executable, with its relocations applied."""
    memory = CodeMemory(max(len(obj.code), 1))
    try:
        memory.write(0, obj.linked(memory.address))
        memory.make_executable()
    except BaseException:
        memory.close()
        raise
    return ModuleCode(memory, obj.functions, obj.thunks, module, name, len(obj.code))
