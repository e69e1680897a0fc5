"""The exceptions of wazaot's public API (see API.md).

``CompileError`` and its subclasses (``DecodeError``, ``ValidationError``,
``LimitError``, ``UnsupportedError``) carry ``offset``, the byte offset in the
binary where the problem was found (None when it has no single place).
"""

from __future__ import annotations

from dataclasses import dataclass


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


@dataclass(frozen=True, slots=True)
class Frame:
    """One wasm frame of a trap's backtrace."""

    function: str
    func_index: int
    module: str | None
    offset: int | None  # byte offset of the instruction in the wasm binary

    def __str__(self) -> str:
        where = f"@{self.offset:#x}" if self.offset is not None else ""
        mod = f"{self.module}!" if self.module else ""
        return f"{mod}{self.function}{where}"


class Trap(RuntimeError):
    """A WebAssembly trap. ``wasm_backtrace`` lists the wasm frames, innermost first;
    ``frames_omitted`` counts the outer frames left out of it (deep recursions keep
    only the innermost ``MAX_BACKTRACE``)."""

    MAX_BACKTRACE = 200

    def __init__(self, message: str, wasm_backtrace: list[Frame] | None = None,
                 frames_omitted: int = 0):  # fmt: skip
        super().__init__(message)
        self.message = message
        self.wasm_backtrace = list(wasm_backtrace or [])
        self.frames_omitted = frames_omitted

    def __str__(self) -> str:
        if not self.wasm_backtrace:
            return self.message
        lines = [self.message, "wasm backtrace:"]
        lines += [f"  {i}: {frame}" for i, frame in enumerate(self.wasm_backtrace)]
        if self.frames_omitted:
            lines.append(f"  ... {self.frames_omitted} frames omitted")
        return "\n".join(lines)


class ExitError(Exception):
    """A WASI program called ``proc_exit(code)``. Not a ``Trap``: exiting is how a
    command ends, with any code (0 included). ``code`` is the guest's exit code, an
    unsigned 32-bit value."""

    def __init__(self, code: int):
        super().__init__(f"exit status {code}")
        self.code = code


class UnsupportedError(CompileError, NotImplementedError):
    """A valid module needs what this backend or machine cannot do: an ``arch`` with no
    backend, code for another architecture instantiated here, an x86-64 processor
    without SSE4.1, code too large for the architecture's calls and branches.

    A ``CompileError`` (``compile`` failed), and also a ``NotImplementedError`` so that
    code telling "not built yet" apart from "broken" can catch it as such. ``offset``
    is the byte offset of the first such instruction or declaration, or None.
    """

    def __init__(self, message: str, offset: int | None = None):
        super().__init__(message, offset)
