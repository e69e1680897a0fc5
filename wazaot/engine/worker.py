"""Compile worker processes: what they run (``serve``) and how they talk.

It reads tasks from its standard input and writes results to its standard output,
each a length-prefixed pickle (the parent is the only peer: ``parallel.py``):

    task    (isa name, module key, wasm bytes or None if the key was sent before,
             type ids, listened function indexes, canonicalize_nans, function indexes,
             check: whether the bodies still need their decoding and validation checks)
    result  ("ok", ChunkCode) or ("error", the exception)

Workers are separate interpreters started as ``python -m wazaot.engine.worker_main``,
not ``multiprocessing`` children: those import the parent's main script again, which
a user's script without a ``__main__`` guard cannot survive.
"""

from __future__ import annotations

import pickle
import struct
import time
from typing import IO, Any

from ..wasm.decoder import data_count_missing, decode_bodies, decode_module
from ..wasm.module import Module
from ..wasm.validator import validate_bodies
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
    """Compile chunks until the input ends.

    A module is decoded without its function bodies when it arrives; each chunk's
    bodies are decoded when the chunk is compiled, so that every body is decoded once
    among the workers. With ``check`` the worker also does what the parent left to it:
    the body part of decoding's and validation's checks, in function order."""
    # key -> (the module, its bytes, the functions whose bodies are decoded, those of
    # them that use a data index)
    modules: dict[str, tuple[Module, bytes, set[int], set[int]]] = {}
    while True:
        try:
            isa_name, key, wasm, type_ids, listened, canonicalize_nans, indexes, check = receive(inp)
        except EOFError:
            return
        try:
            held = modules.get(key)
            if held is None:
                modules.clear()
                held = modules[key] = (decode_module(wasm, bodies=False), wasm, set(), set())
            module, wasm, decoded, data_users = held
            clock = time.perf_counter
            t0 = clock()
            data_users |= decode_bodies(wasm, module, [i for i in indexes if i not in decoded])
            decoded.update(indexes)
            t1 = clock()
            if check:
                error = data_count_missing(module, not data_users.isdisjoint(indexes))
                if error is not None:
                    raise error
                validate_bodies(module, indexes)
            t2 = clock()
            isa = target_isa(isa_name)
            assert isa is not None, f"no {isa_name} backend"
            chunk = isa.compile_chunk(module, type_ids, listened, indexes, canonicalize_nans)
            chunk.timings = {"decode": t1 - t0, "validate": t2 - t1, **chunk.timings}
            send(out, ("ok", chunk))
        except Exception as exc:  # noqa: BLE001 - the parent raises it
            send(out, ("error", exc))
