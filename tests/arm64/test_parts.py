"""arm64 modules compiled in parts: the ``bl`` between chunks (``FUNC_CALL26``
relocations, ±128 MiB), joined chunks byte for byte the whole-module code, the long
branch forms chosen per function, and a module compiled in worker processes that runs
(on an arm64 host: ``scripts/arm64-root -- tests/arm64/test_parts.py``; elsewhere it
only compiles). The module is built here byte by byte: the arm64 root has no wat2wasm.
"""

from __future__ import annotations

import struct

import capstone
import pytest

import wazaot
from wazaot.arm64 import backend
from wazaot.arm64.imms import BranchOffset19
from wazaot.arm64.isa import ARM64
from wazaot.engine import parallel
from wazaot.engine.isas import host_arch
from wazaot.errors import UnsupportedError
from wazaot.machinst.objcode import (
    CALL26_REACH,
    ChunkCode,
    ObjectCode,
    RelocKind,
    resolve_call,
)
from wazaot.wasm.decoder import decode_module
from wazaot.wasm.module import Module

CS = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
BL = 0x94000000  # bl with an empty imm26


def _uleb(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _vec(items: list[bytes]) -> bytes:
    return _uleb(len(items)) + b"".join(items)


def _section(ident: int, payload: bytes) -> bytes:
    return bytes([ident]) + _uleb(len(payload)) + payload


def chain_module(n: int, padding: int = 0) -> bytes:
    """``n`` functions ``(param i32) (result i32)`` exported as ``f0``...: ``f0`` calls
    the last one (a call forward over every chunk), ``f1`` returns its argument and
    each later ``fi`` returns ``f(i-1)(x) + 1`` (calls backward), after ``padding``
    dropped constant adds (to make functions larger)."""
    i32 = 0x7F
    types = _vec([bytes([0x60, 1, i32, 1, i32])])
    funcs = _vec([b"\x00"] * n)
    exports = _vec([_uleb(len(f"f{i}")) + f"f{i}".encode() + b"\x00" + _uleb(i)
                    for i in range(n)])  # fmt: skip
    local_get_0, add_one, end = b"\x20\x00", b"\x41\x01\x6a", b"\x0b"
    pad = b"\x41\x07\x41\x05\x6a\x1a" * padding  # i32.const 7, i32.const 5, i32.add, drop
    bodies = []
    for i in range(n):
        if i == 0:
            body = local_get_0 + b"\x10" + _uleb(n - 1)
        elif i == 1:
            body = local_get_0
        else:
            body = pad + local_get_0 + b"\x10" + _uleb(i - 1) + add_one
        code = b"\x00" + body + end  # no locals
        bodies.append(_uleb(len(code)) + code)
    return (b"\x00asm\x01\x00\x00\x00" + _section(1, types) + _section(3, funcs)
            + _section(7, exports) + _section(10, _vec(bodies)))  # fmt: skip


def _in_parts(module: Module, chunks: list[list[int]]) -> tuple[list[ChunkCode], ObjectCode]:
    type_ids = list(range(len(module.types)))
    parts = [ARM64.compile_chunk(module, type_ids, frozenset(), c) for c in chunks]
    return parts, ARM64.join_chunks(module, parts)


def _same(a: ObjectCode, b: ObjectCode) -> None:
    assert a.code == b.code
    assert a.relocations == b.relocations and a.thunks == b.thunks
    assert {i: (f.start, f.end, list(f.srcmap)) for i, f in a.functions.items()} == {
        i: (f.start, f.end, list(f.srcmap)) for i, f in b.functions.items()
    }


def _calls(obj: ObjectCode) -> list[tuple[int, int]]:
    """(offset, target) of every ``bl`` in the functions' code."""
    found = []
    for f in obj.functions.values():
        for insn in CS.disasm(obj.code[f.start : f.end], f.start):
            if insn.mnemonic == "bl":
                found.append((insn.address, int(insn.op_str.lstrip("#"), 16)))
    return found


# -- the relocation ------------------------------------------------------------------------


@pytest.mark.parametrize("distance", [0, 4, -4, 0x0123_4568, -0x40_0000,
                                      CALL26_REACH - 4, -CALL26_REACH])  # fmt: skip
def test_call26_relocation_reaches_plus_minus_128_mib(distance: int) -> None:
    at = 0x100
    code = bytearray(0x100) + bytearray(struct.pack("<I", BL))
    resolve_call(code, at, RelocKind.FUNC_CALL26, at + distance)
    (insn,) = CS.disasm(bytes(code[at:]), at)
    assert insn.mnemonic == "bl" and int(insn.op_str.lstrip("#"), 16) == (at + distance) % 2**64


@pytest.mark.parametrize("distance", [CALL26_REACH, -CALL26_REACH - 4, 1 << 31])
def test_a_call26_out_of_reach_is_refused(distance: int) -> None:
    code = bytearray(struct.pack("<I", BL))
    with pytest.raises(UnsupportedError, match="too large for arm64.*±128 MiB"):
        resolve_call(code, 0, RelocKind.FUNC_CALL26, distance)
    assert code == struct.pack("<I", BL)  # left as it was


def test_a_call26_must_be_word_aligned() -> None:
    code = bytearray(8) + bytearray(struct.pack("<I", BL))
    with pytest.raises(ValueError, match="word-aligned"):
        resolve_call(code, 8, RelocKind.FUNC_CALL26, 0x102)
    with pytest.raises(ValueError, match="word-aligned"):
        resolve_call(code, 6, RelocKind.FUNC_CALL26, 0x100)


def test_a_module_larger_than_bl_reaches_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if the chunks lay 128 MiB apart: the join says so instead of emitting a bad bl.
    module = decode_module(chain_module(8))
    parts, _ = _in_parts(module, [[0, 1, 2, 3], [4, 5, 6, 7]])
    parts[1].code = bytes(CALL26_REACH) + parts[1].code
    for f in parts[1].functions.values():
        f.start += CALL26_REACH
        f.end += CALL26_REACH
    with pytest.raises(UnsupportedError, match="too large for arm64"):
        ARM64.join_chunks(module, parts)


# -- chunks ---------------------------------------------------------------------------------


def test_calls_between_chunks_are_relocated_to_the_callee() -> None:
    module = decode_module(chain_module(12))
    whole = ARM64.compile_module(module, list(range(len(module.types))))
    parts, joined = _in_parts(module, [[0, 1, 2], [3, 4, 5, 6, 7], [8, 9, 10, 11]])
    kinds = [r.kind for p in parts for r in p.relocations]
    assert kinds.count(RelocKind.FUNC_CALL26) == 3  # f0 -> f11, f3 -> f2, f8 -> f7
    _same(joined, whole)
    calls = _calls(joined)
    assert len(calls) == 11
    starts = {f.start for f in joined.functions.values()}
    assert all(target in starts for _, target in calls)
    assert (joined.functions[0].start < calls[0][0] < joined.functions[0].end
            and calls[0][1] == joined.functions[11].start)  # fmt: skip


def test_long_branches_are_chosen_per_function(monkeypatch: pytest.MonkeyPatch) -> None:
    # Conditional branches made to reach ±512 bytes: only the large functions (their
    # stack check and trap stubs lie far apart) are emitted again with long branches,
    # and a compile in parts gives the same code.
    data = chain_module(6, padding=100)
    module = decode_module(data)
    normal = ARM64.compile_module(module, list(range(len(module.types))))
    fits = BranchOffset19.fits
    monkeypatch.setattr(BranchOffset19, "fits",
                        classmethod(lambda cls, v: fits(v) and -512 <= v < 512))  # fmt: skip
    whole = ARM64.compile_module(module, list(range(len(module.types))))
    _same(_in_parts(module, [[0, 1, 2], [3, 4, 5]])[1], whole)

    def body(obj: ObjectCode, i: int) -> bytes:
        return obj.code[obj.functions[i].start : obj.functions[i].end]

    assert body(whole, 0) == body(normal, 0) and body(whole, 1) == body(normal, 1)
    for i in range(2, 6):
        assert len(body(whole, i)) > len(body(normal, i))
        assert all(abs(t - a) < 512 for a, t in _conditional_branches(whole, i))


def _conditional_branches(obj: ObjectCode, i: int) -> list[tuple[int, int]]:
    f = obj.functions[i]
    return [(insn.address, int(insn.op_str.split("#")[-1], 16))
            for insn in CS.disasm(obj.code[f.start : f.end], f.start)
            if insn.mnemonic.startswith(("b.", "cbz", "cbnz"))]  # fmt: skip


def test_the_retry_emits_a_function_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # A function emitted again leaves nothing of its first emission behind.
    module = decode_module(chain_module(3, padding=100))
    fits = BranchOffset19.fits
    monkeypatch.setattr(BranchOffset19, "fits",
                        classmethod(lambda cls, v: fits(v) and -512 <= v < 512))  # fmt: skip
    obj = ARM64.compile_module(module, list(range(len(module.types))))
    f = obj.functions[2]
    assert obj.functions[1].end <= f.start and f.end <= min(obj.thunks.values())
    assert len(list(CS.disasm(obj.code[f.start : f.end], f.start))) == (f.end - f.start) // 4
    assert backend.FarAssembler().long_branches is False


# -- in worker processes, and run -----------------------------------------------------------


def test_a_module_compiled_in_parts_is_the_same_and_runs_on_arm64(
        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    n = 40
    data = chain_module(n)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_CODE", 0)
    assert len(parallel.plan(decode_module(data), 2)) > 2
    codes = []
    for workers in (1, 2):
        seen: list[tuple[int, int]] = []
        with wazaot.Runtime(wazaot.RuntimeConfig(arch="arm64", compile_workers=workers)) as rt:
            cm = rt.compile(data, progress=lambda done, total, seen=seen: seen.append((done, total)))
            codes.append(cm.code.object_code.code)  # type: ignore[union-attr]
            assert seen[-1] == (n, n) and (workers == 1 or len(seen) > 1)
            if host_arch() != "arm64":
                continue
            mod = rt.instantiate(cm)
            assert mod.exported_function("f1")(5) == 5
            assert mod.exported_function(f"f{n - 1}")(5) == 5 + n - 2  # backward, chunk to chunk
            assert mod.exported_function("f0")(7) == 7 + n - 2  # forward, over every chunk
    assert codes[0] == codes[1]
