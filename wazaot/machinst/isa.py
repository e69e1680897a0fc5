"""The target-ISA seam: what an architecture gives the engine.

The engine (``wazaot.engine``) knows no instruction set. For each architecture it
holds one object implementing ``TargetISA`` (``wazaot.amd64.isa.AMD64``, later
``wazaot.arm64.isa.ARM64``) and asks it for:

- the machine code of a whole module (``compile_module``: lowering, register
  allocation and emission, as a relocatable ``ObjectCode``);
- the runtime-wide trampolines between the host and wasm code (``runtime_stubs``);
- the stubs that make Python host functions callable as wasm functions
  (``host_stubs``).

Every piece of code it returns is plain bytes plus offsets, so the engine maps,
links and (later) caches it the same way for every architecture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..wasm.module import FuncType, Module
from .objcode import ChunkCode, ObjectCode


@dataclass(frozen=True, slots=True)
class StubCode:
    """Position-independent stubs: the bytes and the offset of each entry point."""

    code: bytes
    offsets: dict[str, int]


class TargetISA(Protocol):
    """An architecture the engine can generate code for."""

    @property
    def name(self) -> str:
        """As Go and wazero spell it: ``"amd64"`` or ``"arm64"``."""
        ...

    def check_host(self) -> None:
        """Raise ``wazaot.UnsupportedError`` if this machine cannot run the code
        (a missing CPU feature the backend has no fallback for)."""
        ...

    def features_key(self) -> str:
        """The processor features the generated code depends on, as a short stable
        string: part of the key of compiled code in the compilation cache."""
        ...

    def compile_module(self, module: Module, type_ids: Sequence[int],
                       listened: frozenset[int] = frozenset(),
                       canonicalize_nans: bool = False) -> ObjectCode:  # fmt: skip
        """Compile every defined function of a validated ``module``, and an entry
        thunk per function type of a defined function. ``type_ids`` gives the
        Runtime-wide id of each entry of the type section (``call_indirect``);
        the functions in ``listened`` (indexes) notify their function listener
        (``Exit.LISTENER``) on entry with their parameters and on return with their
        results; the others get the same code as without listeners. With
        ``canonicalize_nans`` every float result that is a NaN is the canonical NaN
        (``machinst.pseudo.CANONICAL_NAN``), the same bits on every architecture."""
        ...

    @property
    def compiles_in_parts(self) -> bool:
        """Whether ``compile_chunk`` and ``join_chunks`` work: a module may then be
        compiled in parts, in worker processes."""
        ...

    def compile_chunk(self, module: Module, type_ids: Sequence[int], listened: frozenset[int],
                      indexes: Sequence[int], canonicalize_nans: bool = False) -> ChunkCode:  # fmt: skip
        """Compile the consecutive defined functions ``indexes`` apart from the others
        (in a worker process), to be joined with ``join_chunks``."""
        ...

    def join_chunks(self, module: Module, chunks: Sequence[ChunkCode]) -> ObjectCode:
        """The module's code from chunks covering every defined function, in order:
        byte for byte what ``compile_module`` gives."""
        ...

    def runtime_stubs(self) -> StubCode:
        """The trampolines shared by every module of a Runtime (entry, resume, exit,
        host callback), by name."""
        ...

    def interrupt_handler(self, table: int) -> StubCode:
        """A C signal handler (offset ``"handler"``) that interrupts the running calls
        of the execution contexts listed in the ``uint64_t`` array at ``table`` (the
        handler it replaced, a slot count, one context address or 0 per slot), then
        jumps to the replaced handler."""
        ...

    def host_stubs(self, functions: Sequence[tuple[int, FuncType]]) -> StubCode:
        """One stub per ``(host function id, type)``, offsets keyed by ``str(id)``: a
        function of the wasm calling convention that calls that host function."""
        ...


__all__ = ["StubCode", "TargetISA"]
