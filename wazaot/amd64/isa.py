"""The x86-64 target ISA: the object the engine compiles and links through.

``AMD64`` implements ``wazaot.machinst.isa.TargetISA``: module compilation
(``backend.py``: shared lowering, this directory's instruction selection, the
shared register allocator, emission), the runtime trampolines and host stubs
(``trampolines.py``, over the shared :class:`~wazaot.machinst.trampolines.Trampolines`).
Processor features are read once with ``cpuid`` (``cpu.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

from ..machinst.objcode import ChunkCode, ObjectCode
from ..machinst.trampolines import StubsFromTrampolines
from ..wasm.module import Module
from . import backend, cpu
from .trampolines import Amd64Trampolines


class Amd64ISA(StubsFromTrampolines):
    """x86-64 (System V hosts: Linux, macOS)."""

    name = "amd64"
    compiles_in_parts = True
    trampolines = Amd64Trampolines

    def check_host(self) -> None:
        cpu.require(cpu.host_features())

    def features_key(self) -> str:
        features = cpu.host_features()
        return "+".join(f.name for f in fields(features) if getattr(features, f.name))

    def compile_module(self, module: Module, type_ids: Sequence[int],
                       listened: frozenset[int] = frozenset(),
                       canonicalize_nans: bool = False) -> ObjectCode:  # fmt: skip
        return backend.compile_module(module, list(type_ids), cpu.host_features(), listened,
                                      canonicalize_nans)  # fmt: skip

    def compile_chunk(self, module: Module, type_ids: Sequence[int], listened: frozenset[int],
                      indexes: Sequence[int], canonicalize_nans: bool = False) -> ChunkCode:  # fmt: skip
        return backend.compile_chunk(module, list(type_ids), cpu.host_features(), listened,
                                     indexes, canonicalize_nans=canonicalize_nans)  # fmt: skip

    def join_chunks(self, module: Module, chunks: Sequence[ChunkCode]) -> ObjectCode:
        return backend.join_chunks(module, chunks)


AMD64 = Amd64ISA()

ISA = AMD64
"""What the engine looks up (``wazaot.engine.isas.ISA_MODULES``)."""

__all__ = ["AMD64", "ISA", "Amd64ISA"]
