"""The engine: the seam between the store (instances, memories, tables, globals) and
the compiler, after wazero's ``internal/wasm/engine.go``.

``interfaces.py`` states the seed's three interfaces as protocols; the rest is
``NativeEngine``, which implements them on any ``TargetISA``::

    engine.py         NativeEngine: compile_module (through the target ISA), ids,
                      runtime stubs, module engines, thread states, close
    module_engine.py  NativeModuleEngine: module context, funcref records
    call_engine.py    NativeCallEngine: the prepared call of one function;
                      HostCall / HostCallEngine: host functions from wasm / Python
    thread.py         ThreadState (execution context, wasm stack, slots) and the
                      exit callback that serves host calls, builtins and traps
    builtins.py       slow paths in Python (memory.grow, table.*, segments)
    code.py           linking an ObjectCode into executable memory; the code map
    serialize.py      a compiled module as bytes (the artifact format)
    cache.py          the compilation cache: keys, checks, the cache directory
    slots.py          values in the slot buffer
"""

from __future__ import annotations

from .engine import CompiledCode, NativeEngine
from .interfaces import CallEngine, Engine, ModuleEngine
from .isas import host_arch, target_isa

__all__ = [
    "CallEngine",
    "CompiledCode",
    "Engine",
    "ModuleEngine",
    "NativeEngine",
    "host_arch",
    "target_isa",
]
