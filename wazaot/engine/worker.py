"""Compile worker processes: what they run (``serve``) and how they talk.

It reads tasks from its standard input and writes results to its standard output,
each a length-prefixed pickle (the parent is the only peer: ``parallel.py``):

    task    (isa name, module key, wasm bytes or None if the key was sent before,
             type ids, listened function indexes, canonicalize_nans, function indexes)
    result  ("ok", ChunkCode) or ("error", the exception)

Workers are separate interpreters started as ``python -m wazaot.engine.worker_main``,
not ``multiprocessing`` children: those import the parent's main script again, which
a user's script without a ``__main__`` guard cannot survive.
"""

from __future__ import annotations

import pickle
import struct
from typing import IO, Any

from ..wasm.decoder import decode_module
from ..wasm.module import Module
from .isas import target_isa

_LENGTH = struct.Struct("<Q")


def send(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def receive(stream: IO[bytes]) -> Any:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError("the peer closed the pipe")
    (n,) = _LENGTH.unpack(head)
    data = stream.read(n)
    if len(data) < n:
        raise EOFError("the peer closed the pipe")
    return pickle.loads(data)


def serve(inp: IO[bytes], out: IO[bytes]) -> None:
    """Compile chunks until the input ends."""
    modules: dict[str, Module] = {}
    while True:
        try:
            isa_name, key, wasm, type_ids, listened, canonicalize_nans, indexes = receive(inp)
        except EOFError:
            return
        try:
            module = modules.get(key)
            if module is None:
                modules.clear()
                module = modules[key] = decode_module(wasm)
            isa = target_isa(isa_name)
            assert isa is not None, f"no {isa_name} backend"
            chunk = isa.compile_chunk(module, type_ids, listened, indexes, canonicalize_nans)
            send(out, ("ok", chunk))
        except Exception as exc:  # noqa: BLE001 - the parent raises it
            send(out, ("error", exc))
