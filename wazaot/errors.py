"""The exceptions of wazaot's public API (see API.md).

``CompileError`` and its subclasses (``DecodeError``, ``ValidationError``,
``LimitError``, ``UnsupportedError``) carry ``offset``, the byte offset in the
binary where the problem was found (None when it has no single place).
"""

from __future__ import annotations


class CompileError(Exception):
    """A module could not be compiled."""

    def __init__(self, message: str, offset: int | None = None, func_index: int | None = None):
        self.message = message
        self.offset = offset
        self.func_index = func_index
        where = []
        if func_index is not None:
            where.append(f"function {func_index}")
        if offset is not None:
            where.append(f"offset {offset:#x}")
        super().__init__(f"{message} ({', '.join(where)})" if where else message)


class DecodeError(CompileError):
    """The binary is malformed: it does not follow the binary format."""


class ValidationError(CompileError):
    """The binary is well formed but not valid."""


class LimitError(CompileError):
    """A valid module exceeds one of this runtime's implementation limits
    (``wazaot.wasm.limits``), which the spec allows implementations to have."""


class LinkError(Exception):
    """Instantiation failed while resolving imports."""


class Trap(RuntimeError):
    """A WebAssembly trap. ``wasm_backtrace`` lists the wasm frames, innermost first."""

    def __init__(self, message: str, wasm_backtrace: list | None = None):
        super().__init__(message)
        self.message = message
        self.wasm_backtrace = list(wasm_backtrace or [])

    def __str__(self) -> str:
        if not self.wasm_backtrace:
            return self.message
        lines = [self.message, "wasm backtrace:"]
        lines += [f"  {i}: {frame}" for i, frame in enumerate(self.wasm_backtrace)]
        return "\n".join(lines)


class UnsupportedError(CompileError, NotImplementedError):
    """A valid module uses a feature this backend cannot compile yet (SIMD for now).

    A ``CompileError`` (``compile`` failed), and also a ``NotImplementedError`` so that
    code telling "not built yet" apart from "broken" can catch it as such. ``offset``
    is the byte offset of the first such instruction or declaration, or None.
    """

    def __init__(self, message: str, offset: int | None = None):
        super().__init__(message, offset)
