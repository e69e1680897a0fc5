"""Differential fuzzing of wazaot against wasmtime (see ``differential.py``), and of
wazaot on x86-64 against wazaot on arm64 (``crossarch.py``)."""
