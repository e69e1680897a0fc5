"""The backends wazaot has, by architecture, and the host's architecture.

Each backend package has an ``isa`` module defining ``ISA``, its ``TargetISA``
(``wazaot.machinst.isa``); it is imported when first asked for, so a Runtime for one
architecture never loads the other's tables.
"""

from __future__ import annotations

import importlib
import platform

from ..machinst.isa import TargetISA

ISA_MODULES = {"amd64": "wazaot.amd64.isa", "arm64": "wazaot.arm64.isa"}
"""The backends, by architecture: each module defines ``ISA``, its ``TargetISA``."""

_HOST_ARCH = {"x86_64": "amd64", "amd64": "amd64", "arm64": "arm64", "aarch64": "arm64"}


def host_arch() -> str | None:
    """The host's architecture as ``"amd64"`` or ``"arm64"``, or None if it is neither."""
    return _HOST_ARCH.get(platform.machine().lower())


def target_isa(arch: str) -> TargetISA | None:
    """The backend for ``arch``, or None if wazaot has none (yet)."""
    name = ISA_MODULES.get(arch)
    if name is None:
        return None
    isa: TargetISA = importlib.import_module(name).ISA
    return isa
