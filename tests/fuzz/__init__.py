"""Differential fuzzing of wazaot against wasmtime (see ``differential.py``)."""
