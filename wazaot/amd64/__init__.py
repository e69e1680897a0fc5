"""The x86-64 backend.

Files mirror ``wazaot/arm64/`` role for role: ``regs`` (the registers, as the assembler
spells them), ``encoding``, ``encoding_sse`` and ``encoding_vec`` (the machine-code
encoder: a table of instruction forms and the :class:`~wazaot.amd64.encoding.Assembler`
that interprets it; ``args`` its operand types), ``abi`` (the calling convention as
data), ``inst``, ``lower`` (+ ``lower_int``, ``lower_float``, ``lower_mem`` and the
``rules`` registry), ``sequences`` (multi-instruction sequences), ``emit`` and
``backend`` (the pipeline).
What knows no ISA is shared: ``wazaot.lower`` (decoded operations, the lowering base
class, rule registries) and ``wazaot.machinst`` (pseudo-instructions, calling
convention assignment, frame layout, the emission driver). Nothing is imported here,
so that importing one piece does not pull in the others.
"""
