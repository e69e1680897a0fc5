"""The WASI preview1 ABI: errno values, flags, rights, struct layouts and the
signature of every function of ``wasi_snapshot_preview1``.

Numbers and layouts follow ``wasi_snapshot_preview1.witx`` (WebAssembly/WASI,
``legacy/preview1``); struct offsets are those of the wasm32 C ABI.
"""

from __future__ import annotations

import errno as _errno
import stat
from enum import IntEnum

from ..api import ValueType

MODULE_NAME = "wasi_snapshot_preview1"


class Errno(IntEnum):
    """``errno``: what every WASI function returns."""

    SUCCESS = 0
    TOOBIG = 1
    ACCES = 2
    ADDRINUSE = 3
    ADDRNOTAVAIL = 4
    AFNOSUPPORT = 5
    AGAIN = 6
    ALREADY = 7
    BADF = 8
    BADMSG = 9
    BUSY = 10
    CANCELED = 11
    CHILD = 12
    CONNABORTED = 13
    CONNREFUSED = 14
    CONNRESET = 15
    DEADLK = 16
    DESTADDRREQ = 17
    DOM = 18
    DQUOT = 19
    EXIST = 20
    FAULT = 21
    FBIG = 22
    HOSTUNREACH = 23
    IDRM = 24
    ILSEQ = 25
    INPROGRESS = 26
    INTR = 27
    INVAL = 28
    IO = 29
    ISCONN = 30
    ISDIR = 31
    LOOP = 32
    MFILE = 33
    MLINK = 34
    MSGSIZE = 35
    MULTIHOP = 36
    NAMETOOLONG = 37
    NETDOWN = 38
    NETRESET = 39
    NETUNREACH = 40
    NFILE = 41
    NOBUFS = 42
    NODEV = 43
    NOENT = 44
    NOEXEC = 45
    NOLCK = 46
    NOLINK = 47
    NOMEM = 48
    NOMSG = 49
    NOPROTOOPT = 50
    NOSPC = 51
    NOSYS = 52
    NOTCONN = 53
    NOTDIR = 54
    NOTEMPTY = 55
    NOTRECOVERABLE = 56
    NOTSOCK = 57
    NOTSUP = 58
    NOTTY = 59
    NXIO = 60
    OVERFLOW = 61
    OWNERDEAD = 62
    PERM = 63
    PIPE = 64
    PROTO = 65
    PROTONOSUPPORT = 66
    PROTOTYPE = 67
    RANGE = 68
    ROFS = 69
    SPIPE = 70
    SRCH = 71
    STALE = 72
    TIMEDOUT = 73
    TXTBSY = 74
    XDEV = 75
    NOTCAPABLE = 76


def _host_errno_table() -> dict[int, int]:
    table: dict[int, int] = {}
    for e in Errno:
        name = "E2BIG" if e is Errno.TOOBIG else f"E{e.name}"
        host = getattr(_errno, name, None)
        if host is not None:
            table.setdefault(host, int(e))
    if hasattr(_errno, "EOPNOTSUPP"):
        table.setdefault(_errno.EOPNOTSUPP, int(Errno.NOTSUP))
    if hasattr(_errno, "EWOULDBLOCK"):
        table.setdefault(_errno.EWOULDBLOCK, int(Errno.AGAIN))
    return table


_FROM_HOST = _host_errno_table()


def errno_of(exc: OSError) -> int:
    """The WASI errno for a host ``OSError`` (``EIO`` when the host's has no match)."""
    return _FROM_HOST.get(exc.errno or 0, int(Errno.IO))


class WasiError(Exception):
    """Raised inside the implementation to return ``errno`` to the guest."""

    def __init__(self, errno: int):
        super().__init__(Errno(errno).name)
        self.errno = int(errno)


class Filetype(IntEnum):
    UNKNOWN = 0
    BLOCK_DEVICE = 1
    CHARACTER_DEVICE = 2
    DIRECTORY = 3
    REGULAR_FILE = 4
    SOCKET_DGRAM = 5
    SOCKET_STREAM = 6
    SYMBOLIC_LINK = 7


def filetype_of(mode: int) -> int:
    """The WASI filetype of a host ``st_mode``."""
    if stat.S_ISREG(mode):
        return Filetype.REGULAR_FILE
    if stat.S_ISDIR(mode):
        return Filetype.DIRECTORY
    if stat.S_ISLNK(mode):
        return Filetype.SYMBOLIC_LINK
    if stat.S_ISCHR(mode):
        return Filetype.CHARACTER_DEVICE
    if stat.S_ISBLK(mode):
        return Filetype.BLOCK_DEVICE
    if stat.S_ISSOCK(mode):
        return Filetype.SOCKET_STREAM
    return Filetype.UNKNOWN


# fdflags
FDFLAG_APPEND = 1
FDFLAG_DSYNC = 2
FDFLAG_NONBLOCK = 4
FDFLAG_RSYNC = 8
FDFLAG_SYNC = 16
# oflags
O_CREAT = 1
O_DIRECTORY = 2
O_EXCL = 4
O_TRUNC = 8
# lookupflags
LOOKUP_SYMLINK_FOLLOW = 1
# fstflags
FST_ATIM = 1
FST_ATIM_NOW = 2
FST_MTIM = 4
FST_MTIM_NOW = 8
# whence
WHENCE_SET, WHENCE_CUR, WHENCE_END = 0, 1, 2
# clockid
CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME, CLOCK_THREAD_CPUTIME = 0, 1, 2, 3
# eventtype
EVENT_CLOCK, EVENT_FD_READ, EVENT_FD_WRITE = 0, 1, 2
SUBCLOCK_ABSTIME = 1
# preopentype
PREOPEN_DIR = 0

# rights (bit numbers from the witx)
RIGHT_FD_DATASYNC = 1 << 0
RIGHT_FD_READ = 1 << 1
RIGHT_FD_SEEK = 1 << 2
RIGHT_FD_FDSTAT_SET_FLAGS = 1 << 3
RIGHT_FD_SYNC = 1 << 4
RIGHT_FD_TELL = 1 << 5
RIGHT_FD_WRITE = 1 << 6
RIGHT_FD_ADVISE = 1 << 7
RIGHT_FD_ALLOCATE = 1 << 8
RIGHT_FD_READDIR = 1 << 14
RIGHT_FD_FILESTAT_SET_SIZE = 1 << 22
RIGHT_POLL_FD_READWRITE = 1 << 27
RIGHTS_ALL = (1 << 30) - 1
RIGHTS_WRITE = RIGHT_FD_WRITE | RIGHT_FD_ALLOCATE | RIGHT_FD_FILESTAT_SET_SIZE
RIGHTS_STDIN = RIGHT_FD_READ | RIGHT_POLL_FD_READWRITE | RIGHT_FD_FDSTAT_SET_FLAGS
RIGHTS_STDOUT = RIGHT_FD_WRITE | RIGHT_POLL_FD_READWRITE | RIGHT_FD_FDSTAT_SET_FLAGS

# struct sizes
FDSTAT_SIZE = 24  # u8 filetype, u16 flags @2, u64 rights_base @8, u64 rights_inheriting @16
FILESTAT_SIZE = 64  # dev, ino, u8 filetype @16, nlink @24, size, atim, mtim, ctim
DIRENT_SIZE = 24  # u64 d_next, u64 d_ino, u32 d_namlen @16, u8 d_type @20
SUBSCRIPTION_SIZE = 48
EVENT_SIZE = 32

_I32, _I64 = ValueType.I32, ValueType.I64

# Every function of wasi_snapshot_preview1: name -> (params, results).
SIGNATURES: dict[str, tuple[tuple[ValueType, ...], tuple[ValueType, ...]]] = {
    "args_get": ((_I32, _I32), (_I32,)),
    "args_sizes_get": ((_I32, _I32), (_I32,)),
    "environ_get": ((_I32, _I32), (_I32,)),
    "environ_sizes_get": ((_I32, _I32), (_I32,)),
    "clock_res_get": ((_I32, _I32), (_I32,)),
    "clock_time_get": ((_I32, _I64, _I32), (_I32,)),
    "fd_advise": ((_I32, _I64, _I64, _I32), (_I32,)),
    "fd_allocate": ((_I32, _I64, _I64), (_I32,)),
    "fd_close": ((_I32,), (_I32,)),
    "fd_datasync": ((_I32,), (_I32,)),
    "fd_fdstat_get": ((_I32, _I32), (_I32,)),
    "fd_fdstat_set_flags": ((_I32, _I32), (_I32,)),
    "fd_fdstat_set_rights": ((_I32, _I64, _I64), (_I32,)),
    "fd_filestat_get": ((_I32, _I32), (_I32,)),
    "fd_filestat_set_size": ((_I32, _I64), (_I32,)),
    "fd_filestat_set_times": ((_I32, _I64, _I64, _I32), (_I32,)),
    "fd_pread": ((_I32, _I32, _I32, _I64, _I32), (_I32,)),
    "fd_prestat_get": ((_I32, _I32), (_I32,)),
    "fd_prestat_dir_name": ((_I32, _I32, _I32), (_I32,)),
    "fd_pwrite": ((_I32, _I32, _I32, _I64, _I32), (_I32,)),
    "fd_read": ((_I32, _I32, _I32, _I32), (_I32,)),
    "fd_readdir": ((_I32, _I32, _I32, _I64, _I32), (_I32,)),
    "fd_renumber": ((_I32, _I32), (_I32,)),
    "fd_seek": ((_I32, _I64, _I32, _I32), (_I32,)),
    "fd_sync": ((_I32,), (_I32,)),
    "fd_tell": ((_I32, _I32), (_I32,)),
    "fd_write": ((_I32, _I32, _I32, _I32), (_I32,)),
    "path_create_directory": ((_I32, _I32, _I32), (_I32,)),
    "path_filestat_get": ((_I32, _I32, _I32, _I32, _I32), (_I32,)),
    "path_filestat_set_times": ((_I32, _I32, _I32, _I32, _I64, _I64, _I32), (_I32,)),
    "path_link": ((_I32, _I32, _I32, _I32, _I32, _I32, _I32), (_I32,)),
    "path_open": ((_I32, _I32, _I32, _I32, _I32, _I64, _I64, _I32, _I32), (_I32,)),
    "path_readlink": ((_I32, _I32, _I32, _I32, _I32, _I32), (_I32,)),
    "path_remove_directory": ((_I32, _I32, _I32), (_I32,)),
    "path_rename": ((_I32, _I32, _I32, _I32, _I32, _I32), (_I32,)),
    "path_symlink": ((_I32, _I32, _I32, _I32, _I32), (_I32,)),
    "path_unlink_file": ((_I32, _I32, _I32), (_I32,)),
    "poll_oneoff": ((_I32, _I32, _I32, _I32), (_I32,)),
    "proc_exit": ((_I32,), ()),
    "proc_raise": ((_I32,), (_I32,)),
    "sched_yield": ((), (_I32,)),
    "random_get": ((_I32, _I32), (_I32,)),
    "sock_accept": ((_I32, _I32, _I32), (_I32,)),
    "sock_recv": ((_I32, _I32, _I32, _I32, _I32, _I32), (_I32,)),
    "sock_send": ((_I32, _I32, _I32, _I32, _I32), (_I32,)),
    "sock_shutdown": ((_I32, _I32), (_I32,)),
}
