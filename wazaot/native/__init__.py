"""Native memory for wazaot: the architecture-neutral layer under both backends.

Every piece of native memory the runtime uses has one owner object here, with a
``close()`` (idempotent) and a ``weakref.finalize`` for when ``close()`` is forgotten:

==========================  ===========================================================
module                      what it owns / provides
==========================  ===========================================================
``libc``                    ctypes bindings of ``mmap``, ``munmap``, ``mprotect``,
                            ``madvise``; ``PROT_*``/``MAP_*`` constants per platform
``jit``                     instruction-cache flushing and ``MAP_JIT`` write switching
``execmem.CodeMemory``      the machine code of one compiled module (W^X)
``linmem.LinearMemory``     a wasm linear memory reserved at its maximum, never moving
``stack.NativeStack``       a stack for wasm code, with a guard page and a limit
``call``                    the cffi ``ffi``, the entry-trampoline type, C structs for
                            the context blocks, ``call_address`` for tests
``rawmem``                  copying to and from raw addresses, zero-copy views
==========================  ===========================================================

Supported hosts: 64-bit Linux and macOS on x86-64 and arm64. Everything imports on
other platforms; the mapping calls raise ``OSError(ENOSYS)`` there.
"""

from __future__ import annotations

from wazaot.native.execmem import CodeMemory
from wazaot.native.linmem import WASM_PAGE_SIZE, LinearMemory
from wazaot.native.stack import NativeStack

__all__ = ["WASM_PAGE_SIZE", "CodeMemory", "LinearMemory", "NativeStack"]
