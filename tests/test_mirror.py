"""The two backends mirror each other on the shared layers: every instruction either
can receive has an emitter, and both select every opcode the shared frontend hands
them (all of Core 2.0 apart from SIMD)."""

from __future__ import annotations

import dataclasses
import importlib
from types import ModuleType

import pytest

from wazaot.lower import common_inst
from wazaot.lower.ops import OPS
from wazaot.machinst import pseudo
from wazaot.machinst.condcodes import IntCC

ARCHS = ("amd64", "arm64")


def _backend(arch: str) -> tuple[ModuleType, ModuleType, ModuleType]:
    importlib.import_module(f"wazaot.{arch}.backend")  # registers the rules
    return tuple(importlib.import_module(f"wazaot.{arch}.{m}") for m in ("inst", "emit", "rules"))  # type: ignore[return-value]


def _instructions(*modules: ModuleType) -> set[type]:
    """The concrete instruction classes (dataclasses with an ``operands`` visitor and no
    leading underscore) the modules define or re-export."""
    found = set()
    for module in modules:
        for name, obj in vars(module).items():
            if (isinstance(obj, type) and dataclasses.is_dataclass(obj) and hasattr(obj, "operands")
                    and not name.startswith("_") and hasattr(obj, "is_terminator")):  # fmt: skip
                found.add(obj)
    return found


@pytest.mark.parametrize("arch", ARCHS)
def test_every_instruction_has_an_emitter(arch: str) -> None:
    inst, emit, _ = _backend(arch)
    classes = _instructions(inst, common_inst, pseudo)
    assert common_inst.WasmLoad in classes and pseudo.Call in classes
    missing = sorted(c.__name__ for c in classes if c not in emit.EMITTERS)
    assert not missing, f"{arch}: instructions without an emitter: {missing}"


def test_both_backends_select_the_same_opcodes() -> None:
    tables = {arch: set(_backend(arch)[2].RULES.table) for arch in ARCHS}
    assert tables["amd64"] == tables["arm64"], {
        arch: sorted(OPS[c].name for c in tables[arch] - tables[other])
        for arch, other in (("amd64", "arm64"), ("arm64", "amd64"))
    }
    # Every non-SIMD operation the decoder knows is selected (control flow, locals,
    # calls and constants are the frontend's, not rules).
    selected = {OPS[c].name for c in tables["amd64"]}
    assert {"i32.load", "f64.sqrt", "i64.trunc_sat_f32_u", "table.get", "memory.copy"} <= selected


@pytest.mark.parametrize("arch", ARCHS)
def test_condition_tables_agree_with_intcc(arch: str) -> None:
    """Each architecture names every ISA-neutral integer condition, with distinct codes,
    and its table commutes with negation (``invert``)."""
    table = importlib.import_module(f"wazaot.{arch}.lower").INT_CC
    assert set(table) == set(IntCC)
    assert len(set(table.values())) == len(IntCC)
    for cc in IntCC:
        assert cc.swap().swap() is cc and cc.invert().invert() is cc
        assert table[cc.invert()] is table[cc].invert()
