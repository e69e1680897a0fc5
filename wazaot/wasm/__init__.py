"""The WebAssembly front end: binary decoding, the module model and validation.

Nothing here knows about machine code; ``decode_module`` and ``validate_module``
take bytes to a checked ``Module`` that the compiler lowers.
"""
