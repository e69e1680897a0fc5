"""The arm64 (AArch64) backend: will mirror ``wazaot/amd64/`` file for file
(``regs``, ``encoding``, ``inst``, ``lower``, ``emit``, ``abi``) on the same machine IR
and register allocator. Not built yet."""
