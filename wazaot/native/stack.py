"""A stack of wazaot's own for running wasm code.

The entry trampoline switches from the Python thread's stack to a ``NativeStack``
(docs/architecture.md, "The runtime model"), so the depth wasm code may reach does not depend on the
thread it is called from (macOS gives secondary threads 512 KiB). Layout, addresses
growing upwards::

    base          bottom                  limit                                   top
    | guard (---) | red zone (rw-)         | usable by wasm frames (rw-)             |
                  <------------------------- size ------------------------------->

- The guard (at least one host page) is ``PROT_NONE``: running off the low end faults
  instead of overwriting a neighbouring mapping.
- ``limit`` is what compiled prologues compare the stack pointer with; a frame that
  would go below it traps with ``call stack exhausted``. The red zone between
  ``bottom`` and ``limit`` leaves room for the code that runs after the check and for
  the trampolines' own frames, so the guard is never touched in normal operation.

The mapping is owned by a ``rawmem.Mapping``: ``close()`` unmaps it at once, and a
stack dropped without ``close()`` is unmapped when it is garbage collected (a thread's
call engine, and its stack, go when the thread ends). Nothing is unmapped at
interpreter exit, when a daemon thread may still be running wasm code on it.

Example::

    with NativeStack(1 << 20) as stack:   # 1 MiB
        stack.top, stack.limit             # addresses for the execution context
"""

from __future__ import annotations

from wazaot.native import libc
from wazaot.native.rawmem import Mapping

__all__ = ["DEFAULT_RED_ZONE", "DEFAULT_STACK_SIZE", "NativeStack"]

#: The default usable size of a wasm stack (guard not included).
DEFAULT_STACK_SIZE = 8 << 20
#: The default distance between the lowest usable address and ``limit``.
DEFAULT_RED_ZONE = 64 << 10

_STACK_ALIGNMENT = 16  # both the SysV x86-64 and the AAPCS64 ABIs


class NativeStack:
    """An mmap'd stack with a ``PROT_NONE`` guard at its low end."""

    def __init__(
        self,
        size: int = DEFAULT_STACK_SIZE,
        *,
        red_zone: int = DEFAULT_RED_ZONE,
        guard_size: int = 0,
    ) -> None:
        """Map a stack of ``size`` usable bytes (rounded up to host pages).

        ``guard_size`` is rounded up to host pages, with a minimum of one page.
        ``red_zone`` must leave some of the stack usable: ``0 <= red_zone < size``.
        """
        self._size = libc.page_align(size)
        if self._size <= 0:
            raise ValueError(f"stack size must be positive, not {size}")
        if not 0 <= red_zone < self._size:
            raise ValueError(f"red zone {red_zone} must be in [0, {self._size})")
        self._guard_size = max(libc.page_align(guard_size), libc.PAGE_SIZE)
        self._red_zone = red_zone
        total = self._guard_size + self._size
        # Map everything read-write, then take the guard away: the stack part keeps
        # the normal commit accounting of a thread stack (no MAP_NORESERVE).
        self._mapping = Mapping(
            total,
            libc.PROT_READ | libc.PROT_WRITE,
            libc.MAP_PRIVATE | libc.MAP_ANONYMOUS | libc.MAP_STACK,
        )
        self._base = self._mapping.address
        try:
            libc.mprotect(self._base, self._guard_size, libc.PROT_NONE)
        except BaseException:
            self.close()
            raise

    @property
    def base(self) -> int:
        """The lowest address of the mapping: the start of the guard."""
        self._check_open()
        return self._base

    @property
    def bottom(self) -> int:
        """The lowest usable address (just above the guard)."""
        return self.base + self._guard_size

    @property
    def top(self) -> int:
        """The initial stack pointer: one past the highest usable byte, 16-byte aligned."""
        top = self.bottom + self._size
        return top & ~(_STACK_ALIGNMENT - 1)

    @property
    def limit(self) -> int:
        """The lowest stack-pointer value compiled code may reach: ``bottom + red_zone``."""
        return self.bottom + self._red_zone

    @property
    def size(self) -> int:
        """Usable bytes, from ``bottom`` to ``top``."""
        return self._size

    @property
    def guard_size(self) -> int:
        """Bytes of ``PROT_NONE`` guard below ``bottom``."""
        return self._guard_size

    @property
    def red_zone(self) -> int:
        """Bytes between ``bottom`` and ``limit``."""
        return self._red_zone

    @property
    def closed(self) -> bool:
        """Whether the stack has been unmapped."""
        return not self._mapping.mapped

    def close(self) -> None:
        """Unmap the stack. Idempotent; no code may be running on it."""
        self._mapping.unmap()

    def _check_open(self) -> None:
        if not self._mapping.mapped:
            raise ValueError("NativeStack is closed")

    def __enter__(self) -> NativeStack:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mapping = getattr(self, "_mapping", None)
        if mapping is None or not mapping.mapped:
            return "<NativeStack closed>"
        return f"<NativeStack top={self.top:#x} limit={self.limit:#x} size={self._size:#x}>"
