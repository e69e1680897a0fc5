"""Path resolution inside a directory capability: the sandbox.

A guest path is resolved one component at a time from the directory descriptor the
guest named (a preopen, or a directory opened under one), with ``openat`` on
``O_NOFOLLOW`` descriptors. That directory is the root: an absolute path, a ``..``
above the root and a symbolic link whose target is absolute are ``ENOTCAPABLE``; the
targets of relative symbolic links are resolved the same way, at most ``MAX_SYMLINKS``
of them. The final operation always acts on ``(parent descriptor, name)`` without
following a link in the name, so a link swapped in after resolution is not followed.
"""

from __future__ import annotations

import errno
import os

from .abi import Errno, WasiError

MAX_SYMLINKS = 40
_O_PATH = getattr(os, "O_PATH", os.O_RDONLY)
_DIR_FLAGS = _O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Resolved:
    """The parent directory (a host descriptor) and the last component of a path.

    ``depth`` is how many directories below the root the parent is; ``trailing_slash``
    says the path ended in ``/`` (it must name a directory). A context manager that
    closes the descriptors resolution opened.
    """

    __slots__ = ("_owned", "depth", "name", "parent", "trailing_slash")

    def __init__(self, parent: int, name: bytes, depth: int, owned: list[int], trailing: bool):
        self.parent = parent
        self.name = name
        self.depth = depth
        self.trailing_slash = trailing
        self._owned = owned

    def __enter__(self) -> Resolved:
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in self._owned:
            os.close(fd)
        self._owned = []


def _components(path: bytes) -> list[bytes]:
    return [c for c in path.split(b"/") if c]


def resolve(root: int, path: bytes, follow: bool) -> Resolved:
    """Resolve ``path`` under the directory descriptor ``root``; ``follow`` follows a
    symbolic link in the last component too. Raises ``WasiError`` or ``OSError``."""
    if not path:
        raise WasiError(Errno.NOENT)
    if path.startswith(b"/"):
        raise WasiError(Errno.NOTCAPABLE)
    if b"\0" in path:
        raise WasiError(Errno.INVAL)
    trailing = path.endswith(b"/")
    pending = _components(path)[::-1] or [b"."]
    stack = [root]
    links = 0
    try:
        while pending:
            comp = pending.pop()
            last = not pending
            if comp == b".":
                if last:
                    return Resolved(stack[-1], b".", len(stack) - 1, stack[1:], trailing)
                continue
            if comp == b"..":
                if len(stack) == 1:
                    raise WasiError(Errno.NOTCAPABLE)
                os.close(stack.pop())
                if last:
                    return Resolved(stack[-1], b".", len(stack) - 1, stack[1:], trailing)
                continue
            if last and not follow and not trailing:
                return Resolved(stack[-1], comp, len(stack) - 1, stack[1:], trailing)
            target = _link_target(stack[-1], comp, last)
            if target is None:
                if last:
                    return Resolved(stack[-1], comp, len(stack) - 1, stack[1:], trailing)
                stack.append(os.open(comp, _DIR_FLAGS, dir_fd=stack[-1]))
                continue
            links += 1
            if links > MAX_SYMLINKS:
                raise WasiError(Errno.LOOP)
            if target.startswith(b"/"):
                raise WasiError(Errno.NOTCAPABLE)
            parts = _components(target)
            if not parts:
                raise WasiError(Errno.NOENT)
            pending.extend(parts[::-1])
        raise AssertionError("unreachable")  # pragma: no cover
    except BaseException:
        for fd in stack[1:]:
            os.close(fd)
        raise


def _link_target(parent: int, name: bytes, last: bool) -> bytes | None:
    """The target of ``name`` if it is a symbolic link, else None (also when it does
    not exist and is the last component: it may be about to be created)."""
    try:
        return os.readlink(name, dir_fd=parent)
    except OSError as exc:
        if exc.errno == errno.EINVAL or (last and exc.errno == errno.ENOENT):
            return None
        raise


def symlink_stays_inside(depth: int, target: bytes) -> bool:
    """Whether a link ``depth`` directories below the root, pointing at ``target``,
    stays inside the root (targets are checked lexically when links are made)."""
    if not target or target.startswith(b"/") or b"\0" in target:
        return False
    level = depth
    for comp in _components(target):
        if comp == b"..":
            level -= 1
            if level < 0:
                return False
        elif comp != b".":
            level += 1
    return True
