"""``fd_*``: reading, writing and inspecting open descriptors."""

from __future__ import annotations

import fcntl
import os
import struct
import time
from typing import Any

from .abi import (
    DIRENT_SIZE,
    FDFLAG_APPEND,
    FST_ATIM,
    FST_ATIM_NOW,
    FST_MTIM,
    FST_MTIM_NOW,
    PREOPEN_DIR,
    WHENCE_CUR,
    WHENCE_END,
    WHENCE_SET,
    Errno,
    Filetype,
    WasiError,
    errno_of,
    filetype_of,
)
from .context import HostFn, WasiContext
from .fds import HostFile, Stream
from .memory import Fault, iovecs, put_u32, put_u64, span, write_bytes

_IOVEC = struct.Struct("<II")
_U32 = struct.Struct("<I")
FDSTAT = struct.Struct("<BxHxxxxQQ")
FILESTAT = struct.Struct("<QQB7xQQQQQ")
PRESTAT = struct.Struct("<BxxxI")
DIRENT = struct.Struct("<QQIB3x")
assert FDSTAT.size == 24 and FILESTAT.size == 64 and DIRENT.size == DIRENT_SIZE

SELF_GUARDED = frozenset({"fd_write"})
"""Functions that map their own failures to errno values (no ``guarded`` wrapper)."""

_BADF = int(Errno.BADF)
_INVAL = int(Errno.INVAL)
_FAULT = int(Errno.FAULT)
_SPIPE = int(Errno.SPIPE)
_WHENCE = {WHENCE_SET: os.SEEK_SET, WHENCE_CUR: os.SEEK_CUR, WHENCE_END: os.SEEK_END}
_I64_MAX = (1 << 63) - 1


def signed64(raw: int) -> int:
    return raw - (1 << 64) if raw >> 63 else raw


def pack_filestat(view: memoryview, ptr: int, st: os.stat_result) -> None:
    if ptr + FILESTAT.size > len(view):
        raise Fault
    FILESTAT.pack_into(view, ptr, st.st_dev, st.st_ino, filetype_of(st.st_mode), st.st_nlink,
                       st.st_size, st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns)  # fmt: skip


def new_times(st: os.stat_result, atim: int, mtim: int, flags: int) -> tuple[int, int]:
    """``(atime, mtime)`` in ns for ``*_filestat_set_times``: given, now, or kept."""
    if (flags & FST_ATIM and flags & FST_ATIM_NOW) or (flags & FST_MTIM and flags & FST_MTIM_NOW):
        raise WasiError(Errno.INVAL)
    now = time.time_ns()
    a = now if flags & FST_ATIM_NOW else atim if flags & FST_ATIM else st.st_atime_ns
    m = now if flags & FST_MTIM_NOW else mtim if flags & FST_MTIM else st.st_mtime_ns
    return a, m


def _writable(entry: HostFile) -> HostFile:
    if entry.readonly:
        raise WasiError(Errno.ROFS)
    return entry


class FdCalls:
    """The ``fd_*`` functions of one WASI instance."""

    def __init__(self, ctx: WasiContext):
        self.ctx = ctx
        self.fds = ctx.fds

    def table(self) -> dict[str, HostFn]:
        return {
            "fd_advise": self.fd_advise,
            "fd_allocate": self.fd_allocate,
            "fd_close": self.fd_close,
            "fd_datasync": self.fd_datasync,
            "fd_fdstat_get": self.fd_fdstat_get,
            "fd_fdstat_set_flags": self.fd_fdstat_set_flags,
            "fd_fdstat_set_rights": self.fd_fdstat_set_rights,
            "fd_filestat_get": self.fd_filestat_get,
            "fd_filestat_set_size": self.fd_filestat_set_size,
            "fd_filestat_set_times": self.fd_filestat_set_times,
            "fd_pread": self.fd_pread,
            "fd_prestat_get": self.fd_prestat_get,
            "fd_prestat_dir_name": self.fd_prestat_dir_name,
            "fd_pwrite": self.fd_pwrite,
            "fd_read": self.fd_read,
            "fd_readdir": self.fd_readdir,
            "fd_renumber": self.fd_renumber,
            "fd_seek": self.fd_seek,
            "fd_sync": self.fd_sync,
            "fd_tell": self.fd_tell,
            "fd_write": self.fd_write,
        }

    # -- the hot pair --------------------------------------------------------------

    def fd_write(self, caller: Any, fd: int, iovs: int, n_iovs: int, nwritten: int) -> int:
        # Guards itself (it is in SELF_GUARDED): programs call it more than anything else.
        entry = self.fds.entries.get(fd)
        if entry is None:
            return _BADF
        view = self.ctx.memory.view(caller)
        size = len(view)
        if nwritten + 4 > size:
            return _FAULT
        try:
            if n_iovs == 1 and iovs + 8 <= size:
                buf, n = _IOVEC.unpack_from(view, iovs)
                if buf + n > size:
                    return _FAULT
                written = entry.write(view[buf : buf + n])
            else:
                bufs = iovecs(view, iovs, n_iovs)
                if isinstance(entry, HostFile):
                    written = os.writev(entry.host_fd, bufs)
                else:
                    written = entry.write(memoryview(b"".join(bufs)))
        except Fault:
            return _FAULT
        except OSError as exc:
            return errno_of(exc)
        except (ValueError, OverflowError):
            return _INVAL
        _U32.pack_into(view, nwritten, written)
        return 0

    def fd_read(self, caller: Any, fd: int, iovs: int, n_iovs: int, nread: int) -> int:
        entry = self.fds.get(fd)
        view = self.ctx.memory.view(caller)
        bufs = iovecs(view, iovs, n_iovs)
        if nread + 4 > len(view):
            raise Fault
        if isinstance(entry, HostFile):
            if entry.filetype == Filetype.DIRECTORY:
                raise WasiError(Errno.ISDIR)
            n = os.readv(entry.host_fd, bufs)
        else:
            data = entry.read(sum(len(b) for b in bufs))
            n = len(data)
            pos = 0
            for b in bufs:
                chunk = data[pos : pos + len(b)]
                b[: len(chunk)] = chunk
                pos += len(chunk)
                if pos >= n:
                    break
        _U32.pack_into(view, nread, n)
        return 0

    # -- positioned I/O and seeking ------------------------------------------------

    def _positioned(
        self, caller: Any, fd: int, iovs: int, n_iovs: int, offset: int
    ) -> tuple[HostFile, memoryview, list[memoryview]]:
        """The checks fd_pread and fd_pwrite share: a seekable host file (else
        SPIPE), an offset that fits an off_t, the iovecs in memory."""
        entry = self.fds.get(fd)
        if not isinstance(entry, HostFile):
            raise WasiError(Errno.SPIPE)
        if offset > _I64_MAX:
            raise WasiError(Errno.INVAL)
        view = self.ctx.memory.view(caller)
        return entry, view, iovecs(view, iovs, n_iovs)

    def fd_pread(
        self, caller: Any, fd: int, iovs: int, n_iovs: int, offset: int, nread: int
    ) -> int:
        entry, view, bufs = self._positioned(caller, fd, iovs, n_iovs, offset)
        if entry.filetype == Filetype.DIRECTORY:
            raise WasiError(Errno.ISDIR)
        put_u32(view, nread, os.preadv(entry.host_fd, bufs, offset))
        return 0

    def fd_pwrite(
        self, caller: Any, fd: int, iovs: int, n_iovs: int, offset: int, nwritten: int
    ) -> int:
        entry, view, bufs = self._positioned(caller, fd, iovs, n_iovs, offset)
        put_u32(view, nwritten, os.pwritev(entry.host_fd, bufs, offset))
        return 0

    def fd_seek(self, caller: Any, fd: int, offset: int, whence: int, new_offset: int) -> int:
        entry = self.fds.get(fd)
        if not isinstance(entry, HostFile):
            return _SPIPE
        if whence not in _WHENCE:
            raise WasiError(Errno.INVAL)
        if entry.filetype == Filetype.DIRECTORY:
            raise WasiError(Errno.BADF)
        view = self.ctx.memory.view(caller)
        if new_offset + 8 > len(view):
            raise Fault
        put_u64(view, new_offset, os.lseek(entry.host_fd, signed64(offset), _WHENCE[whence]))
        return 0

    def fd_tell(self, caller: Any, fd: int, offset: int) -> int:
        entry = self.fds.get(fd)
        if not isinstance(entry, HostFile):
            return _SPIPE
        view = self.ctx.memory.view(caller)
        if offset + 8 > len(view):
            raise Fault
        put_u64(view, offset, os.lseek(entry.host_fd, 0, os.SEEK_CUR))
        return 0

    # -- descriptor management -----------------------------------------------------

    def fd_close(self, caller: Any, fd: int) -> int:
        self.fds.close(fd)
        return 0

    def fd_renumber(self, caller: Any, fd: int, to: int) -> int:
        self.fds.renumber(fd, to)
        return 0

    def fd_sync(self, caller: Any, fd: int) -> int:
        entry = self.fds.get(fd)
        if isinstance(entry, Stream):
            entry.file.flush()
        elif entry.filetype != Filetype.DIRECTORY:
            os.fsync(entry.host_fd)
        return 0

    def fd_datasync(self, caller: Any, fd: int) -> int:
        entry = self.fds.get(fd)
        if isinstance(entry, Stream):
            entry.file.flush()
        elif entry.filetype != Filetype.DIRECTORY:
            getattr(os, "fdatasync", os.fsync)(entry.host_fd)
        return 0

    def fd_advise(self, caller: Any, fd: int, offset: int, length: int, advice: int) -> int:
        entry = self.fds.get(fd)
        if advice > 5:
            raise WasiError(Errno.INVAL)
        if isinstance(entry, HostFile) and entry.filetype == Filetype.DIRECTORY:
            raise WasiError(Errno.BADF)
        return 0  # advice is a hint: taking none is allowed

    def fd_allocate(self, caller: Any, fd: int, offset: int, length: int) -> int:
        entry = _writable(self.fds.host(fd))
        if offset > _I64_MAX or length > _I64_MAX:
            raise WasiError(Errno.INVAL)
        size = os.fstat(entry.host_fd).st_size
        if offset + length > size:
            os.ftruncate(entry.host_fd, offset + length)
        return 0

    def fd_fdstat_get(self, caller: Any, fd: int, buf: int) -> int:
        entry = self.fds.get(fd)
        view = self.ctx.memory.view(caller)
        if buf + FDSTAT.size > len(view):
            raise Fault
        inheriting = entry.inheriting if isinstance(entry, HostFile) else 0
        FDSTAT.pack_into(view, buf, entry.filetype, entry.fdflags, entry.rights, inheriting)
        return 0

    def fd_fdstat_set_flags(self, caller: Any, fd: int, flags: int) -> int:
        entry = self.fds.get(fd)
        if isinstance(entry, HostFile) and entry.filetype != Filetype.DIRECTORY:
            current = fcntl.fcntl(entry.host_fd, fcntl.F_GETFL)
            wanted = (current | os.O_APPEND) if flags & FDFLAG_APPEND else (current & ~os.O_APPEND)
            fcntl.fcntl(entry.host_fd, fcntl.F_SETFL, wanted)
        entry.fdflags = flags  # NONBLOCK and the sync flags are recorded, not applied
        return 0

    def fd_fdstat_set_rights(self, caller: Any, fd: int, base: int, inheriting: int) -> int:
        entry = self.fds.get(fd)
        if base & ~entry.rights:
            raise WasiError(Errno.NOTCAPABLE)
        entry.rights = base
        if isinstance(entry, HostFile):
            if inheriting & ~entry.inheriting:
                raise WasiError(Errno.NOTCAPABLE)
            entry.inheriting = inheriting
        return 0

    # -- metadata --------------------------------------------------------------------

    def fd_filestat_get(self, caller: Any, fd: int, buf: int) -> int:
        entry = self.fds.get(fd)
        view = self.ctx.memory.view(caller)
        host_fd = entry.host_fd if isinstance(entry, HostFile) else _fileno(entry)
        if host_fd is None:
            if buf + FILESTAT.size > len(view):
                raise Fault
            FILESTAT.pack_into(view, buf, 0, 0, entry.filetype, 1, 0, 0, 0, 0)
        else:
            pack_filestat(view, buf, os.fstat(host_fd))
        return 0

    def fd_filestat_set_size(self, caller: Any, fd: int, size: int) -> int:
        entry = _writable(self.fds.host(fd))
        if size > _I64_MAX:
            raise WasiError(Errno.INVAL)
        os.ftruncate(entry.host_fd, size)
        return 0

    def fd_filestat_set_times(self, caller: Any, fd: int, atim: int, mtim: int, flags: int) -> int:
        entry = _writable(self.fds.host(fd))
        st = os.fstat(entry.host_fd)
        os.utime(entry.host_fd, ns=new_times(st, atim, mtim, flags))
        return 0

    # -- preopens and directories ------------------------------------------------------

    def fd_prestat_get(self, caller: Any, fd: int, buf: int) -> int:
        entry = self.fds.get(fd)
        if entry.preopen is None:
            return _BADF
        view = self.ctx.memory.view(caller)
        if buf + PRESTAT.size > len(view):
            raise Fault
        PRESTAT.pack_into(view, buf, PREOPEN_DIR, len(entry.preopen))
        return 0

    def fd_prestat_dir_name(self, caller: Any, fd: int, path: int, path_len: int) -> int:
        entry = self.fds.get(fd)
        if entry.preopen is None:
            return _BADF
        name = entry.preopen
        if path_len < len(name):
            raise WasiError(Errno.NAMETOOLONG)
        write_bytes(self.ctx.memory.view(caller), path, name)
        return 0

    def fd_readdir(
        self, caller: Any, fd: int, buf: int, buf_len: int, cookie: int, used: int
    ) -> int:
        entry = self.fds.directory(fd)
        view = self.ctx.memory.view(caller)
        out = span(view, buf, buf_len)
        if used + 4 > len(view):
            raise Fault
        if cookie == 0 or entry.listing is None:
            entry.listing = _listing(entry.host_fd)
        listing = entry.listing
        data = bytearray()
        for i in range(cookie, len(listing)):
            name, ino, kind = listing[i]
            data += DIRENT.pack(i + 1, ino, len(name), kind)
            data += name
            if len(data) >= buf_len:
                break
        n = min(len(data), buf_len)
        out[:n] = data[:n]
        put_u32(view, used, n)
        return 0


def _fileno(stream: Stream) -> int | None:
    try:
        return int(stream.file.fileno())
    except (AttributeError, OSError, ValueError):
        return None


def _listing(host_fd: int) -> list[tuple[bytes, int, int]]:
    """The entries of a directory, ``.`` and ``..`` first: (name, inode, filetype)."""
    ino = os.fstat(host_fd).st_ino
    entries = [(b".", ino, int(Filetype.DIRECTORY)), (b"..", ino, int(Filetype.DIRECTORY))]
    with os.scandir(host_fd) as it:
        for e in it:
            kind: int
            if e.is_symlink():
                kind = Filetype.SYMBOLIC_LINK
            elif e.is_dir(follow_symlinks=False):
                kind = Filetype.DIRECTORY
            elif e.is_file(follow_symlinks=False):
                kind = Filetype.REGULAR_FILE
            else:
                kind = filetype_of(e.stat(follow_symlinks=False).st_mode)
            entries.append((os.fsencode(e.name), e.inode(), int(kind)))
    return entries
