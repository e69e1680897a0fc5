"""Executable memory for compiled modules: one mapping per module, W^X.

A ``CodeMemory`` is born writable (read-write), receives the linked machine code, and
is then switched once to read-execute by ``make_executable()``. It is never writable and
executable at the same time:

- Linux and macOS x86-64: ``mmap`` read-write, then ``mprotect`` read-execute.
- macOS arm64: a ``MAP_JIT`` mapping, Apple's documented way to generate code on Apple
  silicon ("Porting just-in-time compilers to Apple silicon"; a hardened-runtime
  process also needs the ``com.apple.security.cs.allow-jit`` entitlement). The calling
  thread's view of it is switched from executable to writable and back by
  ``pthread_jit_write_protect_np`` around each write (see ``jit.jit_writable``).

``make_executable()`` also flushes the instruction cache where the architecture needs it
(arm64; see ``jit``). ``close()`` unmaps; a ``weakref.finalize`` unmaps a mapping that
was dropped without ``close()``. The caller must make sure no thread is running the code
when it is closed.

Example::

    with CodeMemory.from_code(b"\\x48\\x89\\xf8\\xc3") as code:   # mov rax, rdi; ret
        call_address(code.address, 42)                       # -> 42 (wazaot.native.call)
"""

from __future__ import annotations

import weakref

from wazaot.native import jit, libc
from wazaot.native.rawmem import BytesLike, as_byte_view, read_bytes, write_bytes

__all__ = ["CodeMemory"]


class CodeMemory:
    """A page-aligned mapping that holds the machine code of one compiled module."""

    def __init__(self, size: int) -> None:
        """Map ``size`` bytes (rounded up to whole pages), readable and writable."""
        if size <= 0:
            raise ValueError(f"CodeMemory size must be positive, not {size}")
        self._size = libc.page_align(size)
        flags = libc.MAP_PRIVATE | libc.MAP_ANONYMOUS
        if jit.USES_MAP_JIT:
            prot = libc.PROT_READ | libc.PROT_WRITE | libc.PROT_EXEC
            flags |= libc.MAP_JIT
        else:
            prot = libc.PROT_READ | libc.PROT_WRITE
        self._address = libc.mmap(self._size, prot, flags)
        self._executable = False
        self._finalizer = weakref.finalize(self, libc.munmap, self._address, self._size)
        # Never unmap at interpreter exit: a daemon thread may still be running the
        # code; the process's end frees it anyway.
        self._finalizer.atexit = False

    @classmethod
    def from_code(cls, code: BytesLike) -> CodeMemory:
        """Map ``code`` at offset 0 and make it executable, in one step."""
        view = as_byte_view(code)
        memory = cls(max(view.nbytes, 1))
        try:
            memory.write(0, view)
            memory.make_executable()
        except BaseException:
            memory.close()
            raise
        return memory

    @property
    def address(self) -> int:
        """The address of the first byte of the mapping."""
        self._check_open()
        return self._address

    @property
    def size(self) -> int:
        """The size of the mapping in bytes (whole pages)."""
        return self._size

    @property
    def executable(self) -> bool:
        """Whether ``make_executable()`` has been called."""
        return self._executable

    @property
    def closed(self) -> bool:
        """Whether the mapping has been unmapped."""
        return not self._finalizer.alive

    def write(self, offset: int, data: BytesLike) -> None:
        """Copy ``data`` into the mapping at ``offset``.

        Raises IndexError when it does not fit, and RuntimeError once the mapping is
        executable (W^X: code is never changed in place).
        """
        self._check_open()
        if self._executable:
            raise RuntimeError("CodeMemory is executable: it can no longer be written")
        view = as_byte_view(data)
        if offset < 0 or offset + view.nbytes > self._size:
            raise IndexError(
                f"write of {view.nbytes} bytes at offset {offset} outside a "
                f"{self._size}-byte CodeMemory"
            )
        with jit.jit_writable():
            write_bytes(self._address + offset, view)

    def read(self, offset: int, n: int) -> bytes:
        """Copy ``n`` bytes from ``offset`` (for disassembly and tests)."""
        self._check_open()
        if offset < 0 or n < 0 or offset + n > self._size:
            raise IndexError(
                f"read of {n} bytes at offset {offset} outside a {self._size}-byte CodeMemory"
            )
        return read_bytes(self._address + offset, n)

    def make_executable(self) -> None:
        """Flush the instruction cache and switch the mapping to read-execute.

        Idempotent. After it, ``write`` raises.
        """
        self._check_open()
        if self._executable:
            return
        jit.flush_icache(self._address, self._size)
        if not jit.USES_MAP_JIT:
            libc.mprotect(self._address, self._size, libc.PROT_READ | libc.PROT_EXEC)
        self._executable = True

    def close(self) -> None:
        """Unmap the code. Idempotent; afterwards every other method raises ValueError."""
        self._finalizer()

    def _check_open(self) -> None:
        if not self._finalizer.alive:
            raise ValueError("CodeMemory is closed")

    def __enter__(self) -> CodeMemory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        finalizer = getattr(self, "_finalizer", None)
        if finalizer is None or not finalizer.alive:
            return "<CodeMemory closed>"
        state = "r-x" if self._executable else "rw-"
        return f"<CodeMemory {self._address:#x} {self._size:#x} bytes {state}>"
