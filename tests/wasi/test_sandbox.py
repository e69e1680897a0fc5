"""The sandbox of preopened directories (wazaot.wasi.paths), escape by escape."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from wazaot.wasi.abi import Errno, WasiError
from wazaot.wasi.paths import resolve, symlink_stays_inside


@pytest.fixture
def root(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    top = tmp_path / "top"
    box = top / "box"
    (box / "a" / "b").mkdir(parents=True)
    (top / "secret").write_text("secret")
    (box / "a" / "file").write_text("file")
    os.symlink("a/b", box / "to_b")  # inside
    os.symlink("../..", box / "a" / "b" / "up2")  # back to the root: fine
    os.symlink("../../..", box / "a" / "b" / "up3")  # one above the root
    os.symlink("../secret", box / "rel_out")
    os.symlink(str(top / "secret"), box / "abs_out")
    os.symlink("loop2", box / "loop1")
    os.symlink("loop1", box / "loop2")
    os.symlink("a/file", box / "to_file")
    fd = os.open(box, os.O_RDONLY | os.O_DIRECTORY)
    yield box, fd
    os.close(fd)


def _open(fd: int, path: bytes, follow: bool = True) -> bytes:
    """The contents of the file ``path`` names under ``fd``."""
    with resolve(fd, path, follow) as r:
        f = os.open(r.name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=r.parent)
    try:
        return os.read(f, 100)
    finally:
        os.close(f)


def _errno(fd: int, path: bytes, follow: bool = True) -> int:
    with pytest.raises((WasiError, OSError)) as info:
        _open(fd, path, follow)
    exc = info.value
    return exc.errno if isinstance(exc, WasiError) else -(exc.errno or 0)


NOTCAPABLE = int(Errno.NOTCAPABLE)


def test_inside_paths_resolve(root: tuple[Path, int]) -> None:
    _, fd = root
    assert _open(fd, b"a/file") == b"file"
    assert _open(fd, b"./a/./b/../file") == b"file"
    assert _open(fd, b"to_file") == b"file"
    assert _open(fd, b"to_b/../file") == b"file"  # .. after a link: from the target
    assert _open(fd, b"a/b/up2/a/file") == b"file"


@pytest.mark.parametrize("path", [b"..", b"../secret", b"a/../../secret", b"a/b/../../../secret",
                                  b"/etc/passwd", b"/", b"rel_out", b"abs_out", b"a/b/up3/secret",
                                  b"to_b/up3/top/secret"])  # fmt: skip
def test_escapes_are_refused(root: tuple[Path, int], path: bytes) -> None:
    assert _errno(root[1], path) == NOTCAPABLE


def test_links_are_not_followed_unless_asked(root: tuple[Path, int]) -> None:
    _, fd = root
    assert _errno(fd, b"rel_out", follow=False) == -errno.ELOOP  # O_NOFOLLOW on the link itself
    assert _errno(fd, b"loop1") == int(Errno.LOOP)


def test_bad_paths(root: tuple[Path, int]) -> None:
    _, fd = root
    assert _errno(fd, b"") == int(Errno.NOENT)
    assert _errno(fd, b"a\0b") == int(Errno.INVAL)


def test_symlinks_made_must_stay_inside() -> None:
    assert symlink_stays_inside(0, b"a/b")
    assert symlink_stays_inside(1, b"../x")
    assert not symlink_stays_inside(0, b"../x")
    assert not symlink_stays_inside(1, b"a/../../../x")
    assert not symlink_stays_inside(0, b"/etc/passwd")
    assert not symlink_stays_inside(0, b"")
