"""The WebAssembly spec test suite, run through wazaot's public API (see harness.py)."""
