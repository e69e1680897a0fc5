"""The arm64 target ISA: the object the engine compiles and links through.

``ARM64`` implements ``wazaot.machinst.isa.TargetISA``: module compilation, whole or
in parts (``backend.py``: shared lowering, this directory's instruction selection, the
shared register allocator, emission, the shared join of ``machinst.chunks``) and the
runtime trampolines and host stubs (``trampolines.py``, over the shared
:class:`~wazaot.machinst.trampolines.Trampolines`). The code needs only the base
ARMv8.0-A instruction set (no LSE atomics), so there are no processor features to
check.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..machinst.objcode import ChunkCode, ObjectCode
from ..machinst.trampolines import StubsFromTrampolines
from ..wasm.module import Module
from . import backend
from .trampolines import Arm64Trampolines


class Arm64ISA(StubsFromTrampolines):
    """arm64 (AAPCS64 hosts: Linux, macOS)."""

    name = "arm64"
    trampolines = Arm64Trampolines
    compiles_in_parts = True  # calls between chunks: FUNC_CALL26 relocations

    def check_host(self) -> None:
        pass

    def features_key(self) -> str:
        return "armv8.0"

    def compile_module(self, module: Module, type_ids: Sequence[int],
                       listened: frozenset[int] = frozenset(),
                       canonicalize_nans: bool = False) -> ObjectCode:  # fmt: skip
        return backend.compile_module(module, list(type_ids), listened, canonicalize_nans)

    def compile_chunk(self, module: Module, type_ids: Sequence[int], listened: frozenset[int],
                      indexes: Sequence[int], canonicalize_nans: bool = False) -> ChunkCode:  # fmt: skip
        return backend.compile_chunk(module, list(type_ids), listened, indexes,
                                     canonicalize_nans=canonicalize_nans)  # fmt: skip

    def join_chunks(self, module: Module, chunks: Sequence[ChunkCode]) -> ObjectCode:
        return backend.join_chunks(module, chunks)


ARM64 = Arm64ISA()

ISA = ARM64
"""What the engine looks up (``wazaot.engine.isas.ISA_MODULES``)."""

__all__ = ["ARM64", "ISA", "Arm64ISA"]
