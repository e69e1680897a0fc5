"""The arm64 (AArch64) backend, mirroring ``wazaot/amd64/`` file for file on the same
machine IR and register allocator.

* ``regs``, ``args``, ``imms``: registers, operand kinds and immediates as frozen types
  with ``try_from``.
* ``encoding`` (branches, system, the :class:`~wazaot.arm64.encoding.Assembler`),
  ``encoding_alu``, ``encoding_mem``, ``encoding_fp``: one pure function per encoding
  class of the Arm ARM, returning the 32-bit word.
* ``abi``: register roles and the wasm calling convention as data (AAPCS64 only at
  the trampolines; x18 is never used).
* ``inst``: machine instructions on virtual registers; ``lower`` and the rules in
  ``lower_int``, ``lower_float``, ``lower_mem`` (registered in ``rules``).
* ``emit`` (one emitter per instruction class) and ``sequences`` (constants, loads
  and stores at any offset, checked division and conversion, bounds checks, the
  bulk memory loops, branches that reach any label).
* ``trampolines``: entry, exit, host stubs and the interrupt handler; ``backend``:
  the module pipeline; ``isa``: the ``TargetISA`` object.

Code for arm64 compiles on any host (``RuntimeConfig(arch="arm64")``); on x86-64 it
runs under emulation with ``scripts/arm64-root``.
"""
