"""WebAssembly linear memory that never moves.

A ``LinearMemory`` reserves, once, the address range of the largest size it may ever
reach, followed by a guard region::

    base                      base + size          base + capacity      + guard
    |  committed (read-write)  |   reserved (PROT_NONE, no backing)  |  guard (PROT_NONE) |

``grow`` commits pages at the end of the committed part with ``mprotect``; the base
address therefore never changes, and compiled code may keep it in a register. The
reservation is ``PROT_NONE`` and ``MAP_NORESERVE``: it costs address space only, so a
4 GiB memory (65536 pages) is cheap to create on a 64-bit host. Committed pages are
anonymous memory the process has never touched, hence zero-filled, and take physical
memory only when first written. (Linux with ``vm.overcommit_memory=2`` charges each
page when it is committed; the ``mprotect`` then fails with ENOMEM and ``grow`` returns
-1, as ``memory.grow`` does when the host is out of memory.)

Compiled code checks every access against the size explicitly for now (docs/architecture.md);
the guard region is a safety net and the place a signal-based bounds check would use
later (it would then want a guard of 4 GiB or more, see ``guard_size``).

The reservation is owned by a ``rawmem.Mapping`` that every view from ``buffer()``
keeps alive. ``close()`` drops the memory's own reference: the range is unmapped at
once if no view is left, else when the last view is garbage collected. A view kept
after ``close()`` therefore still points at mapped memory, never at a hole (API.md,
"Teardown"); the memory's own ``read``/``write``/``grow`` raise ValueError.

Example::

    mem = LinearMemory(1, 10)          # 1 page now, at most 10
    mem.write(8, b"hi")
    mem.grow(2)                        # -> 1 (the old size in pages); now 3 pages
    mem.read(8, 2)                     # -> b"hi"
    view = mem.buffer()                # zero-copy memoryview of the 3 pages
    mem.close()
"""

from __future__ import annotations

import errno

from wazaot.native import libc
from wazaot.native.rawmem import (
    BytesLike,
    Mapping,
    as_byte_view,
    read_bytes,
    view_bytes,
    write_bytes,
)

__all__ = ["DEFAULT_GUARD_SIZE", "MAX_PAGES", "WASM_PAGE_SIZE", "LinearMemory"]

#: The size of a WebAssembly page.
WASM_PAGE_SIZE = 65536
#: The largest number of pages a 32-bit memory can have (4 GiB).
MAX_PAGES = 65536
#: The default size of the guard region after the reservation (one wasm page).
DEFAULT_GUARD_SIZE = WASM_PAGE_SIZE

assert WASM_PAGE_SIZE % libc.PAGE_SIZE == 0, "host pages larger than 64 KiB are not supported"


class LinearMemory:
    """A WebAssembly linear memory at a fixed address, committed up to ``size`` bytes."""

    def __init__(
        self,
        min_pages: int,
        max_pages: int | None = None,
        *,
        limit_pages: int = MAX_PAGES,
        guard_size: int = DEFAULT_GUARD_SIZE,
    ) -> None:
        """Reserve room for ``max_pages`` pages and commit ``min_pages`` of them.

        ``max_pages`` is the memory type's maximum (None: no maximum); ``limit_pages`` is
        the runtime's own cap (``RuntimeConfig.memory_limit_pages``). The memory can grow
        to the smaller of the two, its *capacity*, and that much is reserved, plus
        ``guard_size`` bytes (rounded up to host pages) of guard. Raises ValueError when
        ``min_pages`` exceeds the capacity and OSError when the address space cannot be
        reserved or the initial pages committed.
        """
        if min_pages < 0 or (max_pages is not None and max_pages < 0) or limit_pages < 0:
            raise ValueError("page counts must not be negative")
        if max_pages is not None and max_pages < min_pages:
            raise ValueError(f"maximum {max_pages} pages is below the minimum {min_pages}")
        if guard_size < 0:
            raise ValueError("guard_size must not be negative")
        capacity = limit_pages if max_pages is None else min(max_pages, limit_pages)
        if min_pages > capacity:
            raise ValueError(f"minimum {min_pages} pages exceeds the limit of {capacity} pages")
        self._max_pages = max_pages
        self._capacity = capacity
        self._guard_size = libc.page_align(guard_size)
        # A memory of capacity 0 without a guard still gets one page, so that ``base``
        # is a real address that nothing else can be mapped at.
        self._reserved = max(capacity * WASM_PAGE_SIZE + self._guard_size, libc.PAGE_SIZE)
        self._mapping: Mapping | None = Mapping(
            self._reserved,
            libc.PROT_NONE,
            libc.MAP_PRIVATE | libc.MAP_ANONYMOUS | libc.MAP_NORESERVE,
        )
        self._base = self._mapping.address
        self._pages = 0
        if min_pages:
            try:
                self._commit(self._mapping, 0, min_pages)
            except BaseException:
                self.close()
                raise
        self._pages = min_pages

    @property
    def base(self) -> int:
        """The address of byte 0; it never changes while the memory is open."""
        self._check_open()
        return self._base

    @property
    def size(self) -> int:
        """The current size in bytes (``pages * 65536``)."""
        return self._pages * WASM_PAGE_SIZE

    @property
    def pages(self) -> int:
        """The current size in wasm pages."""
        return self._pages

    @property
    def max_pages(self) -> int | None:
        """The maximum of the memory type, as given (None when it has none)."""
        return self._max_pages

    @property
    def capacity_pages(self) -> int:
        """How many pages ``grow`` can reach: the maximum capped by the runtime's limit."""
        return self._capacity

    @property
    def reserved_size(self) -> int:
        """Bytes of address space reserved, guard included."""
        return self._reserved

    @property
    def guard_size(self) -> int:
        """Bytes of ``PROT_NONE`` guard after the capacity."""
        return self._guard_size

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called (views from ``buffer()`` may still be alive)."""
        return self._mapping is None

    def grow(self, delta_pages: int) -> int:
        """Add ``delta_pages`` zero-filled pages; return the old size in pages, or -1.

        Returns -1, changing nothing, when the new size would exceed the capacity or the
        host refuses to commit the memory (ENOMEM). The base address stays the same.
        """
        mapping = self._check_open()  # held until the end: no unmapping under mprotect
        if delta_pages < 0:
            raise ValueError(f"cannot grow by a negative number of pages ({delta_pages})")
        old = self._pages
        if delta_pages == 0:
            return old
        if old + delta_pages > self._capacity:
            return -1
        try:
            self._commit(mapping, old, delta_pages)
        except OSError as exc:
            if exc.errno in (errno.ENOMEM, errno.EAGAIN):
                return -1
            raise
        self._pages = old + delta_pages
        return old

    def read(self, offset: int, n: int) -> bytes:
        """Copy ``n`` bytes from ``offset``; IndexError when out of range."""
        mapping = self._check_range(offset, n, "read")  # held while copying
        return read_bytes(mapping.address + offset, n)

    def write(self, offset: int, data: BytesLike) -> None:
        """Copy ``data`` to ``offset``; IndexError (and no change) when out of range."""
        view = as_byte_view(data)
        mapping = self._check_range(offset, view.nbytes, "write")  # held while copying
        write_bytes(mapping.address + offset, view)

    def buffer(self) -> memoryview:
        """A writable memoryview of the committed bytes, without copying.

        It covers the size at the time of the call and stays valid until the next
        ``grow`` (API.md); in this implementation it stays valid memory for as long as
        it lives, since pages are never moved or decommitted and the view keeps the
        mapping itself alive, also after ``close()``. Take a new one after a grow to
        see the new pages.
        """
        mapping = self._check_open()
        return view_bytes(mapping.address, self.size, owner=mapping)

    def close(self) -> None:
        """Close the memory. Idempotent. Its address range is unmapped now, or, if views
        from ``buffer()`` are still alive, when the last of them is collected."""
        self._mapping = None

    @staticmethod
    def _commit(mapping: Mapping, first_page: int, n_pages: int) -> None:
        libc.mprotect(
            mapping.address + first_page * WASM_PAGE_SIZE,
            n_pages * WASM_PAGE_SIZE,
            libc.PROT_READ | libc.PROT_WRITE,
        )

    def _check_open(self) -> Mapping:
        mapping = self._mapping
        if mapping is None:
            raise ValueError("LinearMemory is closed")
        return mapping

    def _check_range(self, offset: int, n: int, what: str) -> Mapping:
        mapping = self._check_open()
        if n < 0:
            raise ValueError(f"cannot {what} a negative number of bytes ({n})")
        if offset < 0 or offset + n > self.size:
            raise IndexError(
                f"{what} of {n} bytes at offset {offset} is outside a memory of {self.size} bytes"
            )
        return mapping

    def __enter__(self) -> LinearMemory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if getattr(self, "_mapping", None) is None:
            return "<LinearMemory closed>"
        return (
            f"<LinearMemory {self._base:#x} {self._pages}/{self._capacity} pages, "
            f"{self._reserved:#x} bytes reserved>"
        )
