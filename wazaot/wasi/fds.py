"""The guest's file descriptor table.

Two kinds of open file: ``Stream``, a Python binary stream standing for stdin, stdout
or stderr (``bytes`` for stdin become a ``BytesIO``); and ``HostFile``, a host file
descriptor owned by the table (files and directories under a preopen, and the
preopened directories themselves, which carry their guest name).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from .abi import (
    RIGHTS_ALL,
    RIGHTS_STDIN,
    RIGHTS_STDOUT,
    Errno,
    Filetype,
    WasiError,
    filetype_of,
)


@dataclass(eq=False)
class Stream:
    """stdin, stdout or stderr: a Python binary stream."""

    file: Any
    rights: int
    flush: bool = False  # the process's own streams are flushed after every write
    fdflags: int = 0
    host_fd: int | None = None  # never closed by the table
    filetype: int = Filetype.CHARACTER_DEVICE
    preopen: bytes | None = None

    def __post_init__(self) -> None:
        try:
            fileno = self.file.fileno()
        except (AttributeError, OSError, ValueError):
            return
        try:
            self.filetype = (Filetype.CHARACTER_DEVICE if os.isatty(fileno)
                             else filetype_of(os.fstat(fileno).st_mode))  # fmt: skip
        except OSError:
            pass

    def write(self, data: memoryview) -> int:
        n = self.file.write(data)
        if self.flush:
            self.file.flush()
        return len(data) if n is None else n

    def read(self, n: int) -> bytes:
        read1 = getattr(self.file, "read1", None)
        data = read1(n) if read1 is not None else self.file.read(n)
        return data or b""

    def close(self) -> None:
        pass


@dataclass(eq=False)
class HostFile:
    """A host file descriptor (file or directory) owned by the table."""

    host_fd: int
    filetype: int
    rights: int = RIGHTS_ALL
    inheriting: int = RIGHTS_ALL
    fdflags: int = 0
    preopen: bytes | None = None  # the guest path of a preopened directory
    readonly: bool = False  # under a read-only mount
    listing: list[tuple[bytes, int, int]] | None = field(default=None, repr=False)

    def write(self, data: memoryview) -> int:
        return os.write(self.host_fd, data)

    def read(self, n: int) -> bytes:
        return os.read(self.host_fd, n)

    def close(self) -> None:
        os.close(self.host_fd)


Entry = Stream | HostFile


def _stream(value: bytes | BinaryIO | None, default: Any, rights: int) -> Stream:
    if value is None:
        return Stream(default, rights, flush=True)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return Stream(io.BytesIO(bytes(value)), rights)
    return Stream(value, rights)


class FdTable:
    """fd number -> open file; 0, 1 and 2 are the streams, preopens follow from 3."""

    def __init__(self, stdin: Any, stdout: Any, stderr: Any, default_streams: tuple[Any, Any, Any]):
        self.entries: dict[int, Entry] = {
            0: _stream(stdin, default_streams[0], RIGHTS_STDIN),
            1: _stream(stdout, default_streams[1], RIGHTS_STDOUT),
            2: _stream(stderr, default_streams[2], RIGHTS_STDOUT),
        }

    def preopen(self, guest: str, host: str | os.PathLike[str], readonly: bool = False) -> None:
        fd = os.open(host, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self.add(HostFile(fd, Filetype.DIRECTORY, preopen=guest.encode(), readonly=readonly))

    def add(self, entry: Entry) -> int:
        fd = 3
        while fd in self.entries:
            fd += 1
        self.entries[fd] = entry
        return fd

    def get(self, fd: int) -> Entry:
        entry = self.entries.get(fd)
        if entry is None:
            raise WasiError(Errno.BADF)
        return entry

    def host(self, fd: int) -> HostFile:
        """An open host file; streams give ``EBADF`` (no host descriptor to act on)."""
        entry = self.entries.get(fd)
        if not isinstance(entry, HostFile):
            raise WasiError(Errno.BADF)
        return entry

    def directory(self, fd: int) -> HostFile:
        entry = self.entries.get(fd)
        if entry is None:
            raise WasiError(Errno.BADF)
        if not isinstance(entry, HostFile) or entry.filetype != Filetype.DIRECTORY:
            raise WasiError(Errno.NOTDIR)
        return entry

    def close(self, fd: int) -> None:
        entry = self.entries.pop(fd, None)
        if entry is None:
            raise WasiError(Errno.BADF)
        entry.close()

    def renumber(self, old: int, new: int) -> None:
        if old not in self.entries or new not in self.entries:
            raise WasiError(Errno.BADF)
        if old == new:
            return
        self.entries[new].close()
        self.entries[new] = self.entries.pop(old)

    def close_all(self) -> None:
        for fd in list(self.entries):
            self.entries.pop(fd).close()
