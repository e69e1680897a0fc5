"""The compilation cache: compiled modules kept on disk, keyed by what their code
depends on, so a module compiled once is loaded, not compiled, by later Runtimes and
processes (``RuntimeConfig(cache_dir=...)``, API.md "Compilation cache").

An entry is an artifact (``serialize.py``: a header with a key and the SHA-256 of the
body; the body holds the wasm bytes, the type ids and the ``ObjectCode``). Its file
name is the SHA-256 of

- the code key (``code_key``): the compiler (wazaot's version and a hash of its
  sources, so a development checkout never runs code an older checkout generated),
  the architecture, the CPU features the backend used (``TargetISA.features_key``)
  and whether a listener factory was given (the cache is bypassed then anyway);
- the module's bytes;
- the Runtime-wide type ids the code was compiled with.

Type ids. ``call_indirect`` checks the callee's type by comparing the id in its
funcref record with an immediate in the code (``cmp [r11 + TYPE_ID], imm`` on
amd64), and ids are numbered in the order a Runtime first meets each function type,
so the same module may get other ids in another Runtime. The immediate may be
encoded in 8 or 32 bits, so the code cannot be patched in place without the
emitter's help. Instead the ids are part of the key: a Runtime whose ids for the
module's types differ looks up (and fills) another entry, and ``Runtime.deserialize``
of an artifact compiled under other ids recompiles it from the wasm bytes it holds.
A process that compiles the same modules in the same order (a command line run, a
test suite) always gets the same ids, hence hits.

Loading checks, in order, before any byte becomes executable: the magic and format
version, the SHA-256 of the body, the key (equal to this Runtime's), then that the
body parses and describes code inside its buffer, holds the very wasm bytes being
compiled and the ids this Runtime gives its types. A failed check is a miss: the
module is compiled and the entry rewritten. The module itself is then decoded
without function bodies (the code is already there; nothing is validated again: the
entry was written only after the module validated and compiled). Entries are written
to a temporary file then renamed (``os.replace``), so concurrent processes see a
whole entry or none.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import tempfile
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import CompileError
from ..version import VERSION
from ..wasm.module import Module
from .engine import NativeEngine
from .serialize import Artifact, loads_body, read_key

SUFFIX = ".wazaot"

_PACKAGE = Path(__file__).resolve().parent.parent


@functools.cache
def compiler_id() -> str:
    """wazaot's version and a hash of its Python sources (computed once, ~3 ms)."""
    release = VERSION
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return f"{release}+{digest.hexdigest()[:16]}"


def code_key(engine: NativeEngine, listeners: bool) -> dict[str, Any]:
    """What code compiled by ``engine`` depends on, besides the module and its type
    ids. ``engine`` must have a backend (``engine.isa``)."""
    assert engine.isa is not None
    return {
        "compiler": compiler_id(),
        "arch": engine.arch,
        "features": engine.isa.features_key(),
        "listeners": listeners,
        "canonicalize_nans": engine.canonicalize_nans,
    }


def check_key(found: dict[str, Any], expected: dict[str, Any]) -> None:
    """Raise ``CompileError`` naming the first field where an artifact's key differs."""
    for name, want in expected.items():
        got = found.get(name)
        if got != want:
            raise CompileError(f"the artifact was compiled with {name} {got!r}, "
                               f"this Runtime needs {want!r}")  # fmt: skip
    if found.keys() != expected.keys():
        raise CompileError("the artifact's key has unknown fields")


def load(data: bytes, expected: dict[str, Any]) -> Artifact:
    """The artifact in ``data``, checked (hash, key, contents). Raises ``CompileError``
    for anything else."""
    key, body = read_key(data)
    check_key(key, expected)
    return loads_body(key, body)


def check_fits(artifact: Artifact, module: Module) -> None:
    """Raise ``CompileError`` unless ``artifact``'s code has every defined function of
    ``module`` (decoded from ``artifact.wasm``) and the entry thunk of its type."""
    obj = artifact.object_code
    func_types = module.func_types()
    defined = range(module.num_imported_funcs, len(func_types))
    if (
        len(artifact.type_ids) != len(module.types)
        or obj.functions.keys() != set(defined)
        or any(func_types[i] not in obj.thunks for i in defined)
    ):
        raise CompileError("the artifact's code does not match its module")


def entry_name(key: dict[str, Any], wasm: bytes, type_ids: Sequence[int]) -> str:
    """The file name of the entry of ``wasm`` compiled under ``key`` and ``type_ids``."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode())
    digest.update(hashlib.sha256(wasm).digest())
    digest.update(array("I", type_ids).tobytes())
    return digest.hexdigest() + SUFFIX


class DirectoryCache:
    """Entries as files in one directory (made on the first write; ``~`` expanded).

    Reading and writing never raise: an unreadable entry is a miss, an unwritable
    directory a cache that keeps nothing."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(os.path.expanduser(os.fspath(directory)))

    def read(self, name: str) -> bytes | None:
        try:
            return (self.directory / name).read_bytes()
        except OSError:
            return None

    def write(self, name: str, data: bytes) -> bool:
        """Store ``data`` as ``name`` atomically; False if the directory refuses."""
        tmp = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=SUFFIX, dir=self.directory)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, self.directory / name)
            return True
        except OSError:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            return False


def default_directory() -> Path:
    """The user's cache directory for wazaot: ``$XDG_CACHE_HOME/wazaot`` or
    ``~/.cache/wazaot``; ``~/Library/Caches/wazaot`` on macOS."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "wazaot"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "wazaot"
    return Path.home() / ".cache" / "wazaot"


__all__ = [
    "DirectoryCache",
    "check_fits",
    "check_key",
    "code_key",
    "compiler_id",
    "default_directory",
    "entry_name",
    "load",
]
