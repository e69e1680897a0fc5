"""The x86-64 backend.

Files mirror ``wazaot/arm64/`` role for role: ``regs`` (the registers, as the assembler
spells them), ``encoding`` and ``encoding_sse`` (the machine-code encoder: a table of
instruction forms and the :class:`~wazaot.amd64.encoding.Assembler` that interprets
it), ``abi``, ``inst``, ``lower`` and ``emit``. Nothing is imported here, so that
importing one piece does not pull in the others.
"""
