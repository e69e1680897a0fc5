"""The platform branches import (and choose the right path) on hosts we cannot run.

Each case runs in a fresh interpreter with ``sys.platform`` and ``platform.machine()``
replaced before wazaot.native is imported. This proves only that the branches are
importable and pick the intended path; the real calls need real hosts.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(prelude: str, body: str) -> None:
    script = textwrap.dedent(prelude) + textwrap.dedent(body)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="simulated from Linux")
def test_unsupported_platform_imports_and_raises_enosys() -> None:
    _run(
        """
        import sys
        sys.platform = "freebsd14"
        """,
        """
        import errno
        import wazaot.native, wazaot.native.call, wazaot.native.jit
        from wazaot.native import libc
        assert not (libc.IS_LINUX or libc.IS_MACOS)
        try:
            wazaot.native.CodeMemory(16)
        except OSError as e:
            assert e.errno == errno.ENOSYS, e
        else:
            raise AssertionError("expected ENOSYS")
        """,
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="simulated from Linux")
def test_simulated_macos_arm64_chooses_map_jit() -> None:
    # libSystem does not exist here: the process's own libc stands in for it.
    _run(
        """
        import ctypes, platform, sys
        sys.platform = "darwin"
        platform.machine = lambda: "arm64"
        _real_cdll = ctypes.CDLL
        ctypes.CDLL = lambda name, *args, **kwargs: _real_cdll(None, *args, **kwargs)
        """,
        """
        import wazaot.native, wazaot.native.call
        from wazaot.native import jit, libc
        assert libc.IS_MACOS and libc.MACHINE == "arm64"
        assert jit.USES_MAP_JIT
        assert libc.MAP_JIT == 0x800
        with jit.jit_writable():
            pass
        """,
    )
