"""``path_*``: operations on names under a directory descriptor, inside the sandbox
of ``paths.resolve``."""

from __future__ import annotations

import errno
import os
from typing import Any

from .abi import (
    FDFLAG_APPEND,
    FDFLAG_DSYNC,
    FDFLAG_RSYNC,
    FDFLAG_SYNC,
    LOOKUP_SYMLINK_FOLLOW,
    O_CREAT,
    O_DIRECTORY,
    O_EXCL,
    O_TRUNC,
    RIGHT_FD_READ,
    RIGHT_FD_READDIR,
    RIGHTS_WRITE,
    Errno,
    WasiError,
    filetype_of,
)
from .context import HostFn, WasiContext
from .fd_calls import new_times, pack_filestat
from .fds import HostFile
from .memory import Fault, put_u32, read_bytes, span
from .paths import Resolved, resolve, symlink_stays_inside

_SYNC_FLAGS = (
    (FDFLAG_DSYNC, getattr(os, "O_DSYNC", 0)),
    (FDFLAG_RSYNC, getattr(os, "O_RSYNC", 0)),
    (FDFLAG_SYNC, getattr(os, "O_SYNC", 0)),
)


class PathCalls:
    """The ``path_*`` functions of one WASI instance."""

    def __init__(self, ctx: WasiContext):
        self.ctx = ctx
        self.fds = ctx.fds

    def table(self) -> dict[str, HostFn]:
        return {
            "path_create_directory": self.path_create_directory,
            "path_filestat_get": self.path_filestat_get,
            "path_filestat_set_times": self.path_filestat_set_times,
            "path_link": self.path_link,
            "path_open": self.path_open,
            "path_readlink": self.path_readlink,
            "path_remove_directory": self.path_remove_directory,
            "path_rename": self.path_rename,
            "path_symlink": self.path_symlink,
            "path_unlink_file": self.path_unlink_file,
        }

    def _resolve(self, caller: Any, fd: int, ptr: int, n: int, follow: bool,
                 write: bool = False) -> Resolved:  # fmt: skip
        directory = self.fds.directory(fd)
        if write and directory.readonly:
            raise WasiError(Errno.ROFS)
        path = read_bytes(self.ctx.memory.view(caller), ptr, n)
        return resolve(directory.host_fd, path, follow)

    def path_open(self, caller: Any, fd: int, dirflags: int, path: int, path_len: int,
                  oflags: int, rights: int, inheriting: int, fdflags: int, out: int) -> int:  # fmt: skip
        directory = self.fds.directory(fd)
        view = self.ctx.memory.view(caller)
        if out + 4 > len(view):
            raise Fault
        name = read_bytes(view, path, path_len)
        read = bool(rights & (RIGHT_FD_READ | RIGHT_FD_READDIR))
        write = bool(rights & RIGHTS_WRITE) or bool(oflags & O_TRUNC)
        if directory.readonly and (
            write or oflags & (O_CREAT | O_TRUNC) or fdflags & FDFLAG_APPEND
        ):
            raise WasiError(Errno.ROFS)
        flags = os.O_NOFOLLOW | os.O_CLOEXEC
        flags |= os.O_RDWR if read and write else os.O_WRONLY if write else os.O_RDONLY
        if oflags & O_CREAT:
            flags |= os.O_CREAT
        if oflags & O_EXCL:
            flags |= os.O_EXCL
        if oflags & O_TRUNC:
            flags |= os.O_TRUNC
        if oflags & O_DIRECTORY:
            flags |= os.O_DIRECTORY
        if fdflags & FDFLAG_APPEND:
            flags |= os.O_APPEND
        for wasi_flag, host_flag in _SYNC_FLAGS:
            if fdflags & wasi_flag:
                flags |= host_flag
        with resolve(directory.host_fd, name, bool(dirflags & LOOKUP_SYMLINK_FOLLOW)) as r:
            if r.trailing_slash:
                flags |= os.O_DIRECTORY
            try:
                host = os.open(r.name, flags, 0o666, dir_fd=r.parent)
            except OSError as exc:
                # A directory asked for with write rights (as some libcs do) opens read-only.
                if exc.errno != errno.EISDIR or oflags & (O_CREAT | O_TRUNC):
                    raise
                flags &= ~(os.O_RDWR | os.O_WRONLY | os.O_APPEND)
                host = os.open(r.name, flags, dir_fd=r.parent)
        try:
            kind = filetype_of(os.fstat(host).st_mode)
        except OSError:
            os.close(host)
            raise
        entry = HostFile(host, kind, rights=rights, inheriting=inheriting, fdflags=fdflags,
                         readonly=directory.readonly)  # fmt: skip
        put_u32(view, out, self.fds.add(entry))
        return 0

    def path_create_directory(self, caller: Any, fd: int, path: int, n: int) -> int:
        with self._resolve(caller, fd, path, n, False, write=True) as r:
            os.mkdir(r.name, 0o777, dir_fd=r.parent)
        return 0

    def path_remove_directory(self, caller: Any, fd: int, path: int, n: int) -> int:
        with self._resolve(caller, fd, path, n, False, write=True) as r:
            os.rmdir(r.name, dir_fd=r.parent)
        return 0

    def path_unlink_file(self, caller: Any, fd: int, path: int, n: int) -> int:
        with self._resolve(caller, fd, path, n, False, write=True) as r:
            if r.trailing_slash:
                raise WasiError(Errno.NOTDIR)
            os.unlink(r.name, dir_fd=r.parent)
        return 0

    def path_rename(self, caller: Any, fd: int, old: int, old_len: int,
                    new_fd: int, new: int, new_len: int) -> int:  # fmt: skip
        with self._resolve(caller, fd, old, old_len, False, write=True) as src:
            with self._resolve(caller, new_fd, new, new_len, False, write=True) as dst:
                os.rename(src.name, dst.name, src_dir_fd=src.parent, dst_dir_fd=dst.parent)
        return 0

    def path_link(self, caller: Any, old_fd: int, old_flags: int, old: int, old_len: int,
                  new_fd: int, new: int, new_len: int) -> int:  # fmt: skip
        follow = bool(old_flags & LOOKUP_SYMLINK_FOLLOW)
        with self._resolve(caller, old_fd, old, old_len, follow, write=True) as src:
            with self._resolve(caller, new_fd, new, new_len, False, write=True) as dst:
                os.link(src.name, dst.name, src_dir_fd=src.parent, dst_dir_fd=dst.parent,
                        follow_symlinks=False)  # fmt: skip
        return 0

    def path_symlink(
        self, caller: Any, old: int, old_len: int, fd: int, new: int, new_len: int
    ) -> int:
        target = read_bytes(self.ctx.memory.view(caller), old, old_len)
        with self._resolve(caller, fd, new, new_len, False, write=True) as r:
            if not symlink_stays_inside(r.depth, target):
                raise WasiError(Errno.NOTCAPABLE)
            os.symlink(target, r.name, dir_fd=r.parent)
        return 0

    def path_readlink(self, caller: Any, fd: int, path: int, n: int, buf: int, buf_len: int,
                      used: int) -> int:  # fmt: skip
        view = self.ctx.memory.view(caller)
        out = span(view, buf, buf_len)
        if used + 4 > len(view):
            raise Fault
        with self._resolve(caller, fd, path, n, False) as r:
            target = os.readlink(r.name, dir_fd=r.parent)
        k = min(len(target), buf_len)
        out[:k] = target[:k]
        put_u32(view, used, k)
        return 0

    def path_filestat_get(
        self, caller: Any, fd: int, flags: int, path: int, n: int, buf: int
    ) -> int:
        with self._resolve(caller, fd, path, n, bool(flags & LOOKUP_SYMLINK_FOLLOW)) as r:
            st = os.stat(r.name, dir_fd=r.parent, follow_symlinks=False)
        pack_filestat(self.ctx.memory.view(caller), buf, st)
        return 0

    def path_filestat_set_times(self, caller: Any, fd: int, flags: int, path: int, n: int,
                                atim: int, mtim: int, fst: int) -> int:  # fmt: skip
        follow = bool(flags & LOOKUP_SYMLINK_FOLLOW)
        with self._resolve(caller, fd, path, n, follow, write=True) as r:
            st = os.stat(r.name, dir_fd=r.parent, follow_symlinks=False)
            os.utime(r.name, ns=new_times(st, atim, mtim, fst), dir_fd=r.parent,
                     follow_symlinks=False)  # fmt: skip
        return 0
