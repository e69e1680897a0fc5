"""The arm64 (AArch64) backend, to mirror ``wazaot/amd64/`` file for file (``regs``,
``encoding``, ``inst``, ``lower``, ``emit``, ``abi``) on the same machine IR and register
allocator.

Built so far: the encoder.

* ``regs``: ``x0``..``x30``, ``sp``/``xzr`` (register 31, told apart), ``v0``..``v31``.
* ``args``: conditions, shifts, extends, addressing modes, barriers, system registers,
  labels.
* ``imms``: the immediates as frozen types with ``try_from`` (bitmask, 12-bit arithmetic,
  move-wide and the shortest ``movz``/``movn``/``movk`` sequence, load/store and pair
  offsets, branch offsets, FMOV's 8-bit float).
* ``encoding`` (branches, system, the :class:`~wazaot.arm64.encoding.Assembler`),
  ``encoding_alu`` (integer data processing), ``encoding_mem`` (loads and stores),
  ``encoding_fp`` (floating point and SIMD): one pure function per encoding class of the
  Arm ARM, returning the 32-bit word.

Instruction selection, register allocation wiring, the ABI and emission come next.
"""
