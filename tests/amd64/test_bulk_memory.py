"""memory.copy and memory.fill in machine code (``rep movsb``/``rep stosb``), run through
the public API and checked against a Python model of linear memory: overlap in both
directions, zero lengths, the exact end of memory, out-of-bounds traps (which write
nothing), fill values wider than a byte, and memory that has grown."""

from __future__ import annotations

import platform
import random

import pytest

import wazaot
from wazaot import Trap

pytestmark = pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64"),
    reason="native execution needs the x86-64 backend",
)

wasmtime = pytest.importorskip("wasmtime", reason="pip install wasmtime (for wat2wasm)")

PAGE = 65536
OOB = "out of bounds memory access"

WAT = """(module
  (memory (export "memory") 1 2)
  (data (i32.const 0) "\\00\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f")
  (func (export "copy") (param i32 i32 i32)
    (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill") (param i32 i32 i32)
    (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy_same") (param i32 i32)
    ;; one value as both addresses: two fixed registers for one operand
    (memory.copy (local.get 0) (local.get 0) (local.get 1)))
  (func (export "fill_const") (param i32)
    (memory.fill (local.get 0) (i32.const 0x1ab) (i32.const 5)))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "copy_live") (param i32 i32 i32) (result i32)
    ;; the operands stay live after the copy (they must survive rdi/rsi/rcx)
    (memory.copy (local.get 0) (local.get 1) (local.get 2))
    (i32.add (i32.add (local.get 0) (local.get 1)) (local.get 2))))
"""


class Model:
    """The module's exports beside a bytearray that should hold the same bytes."""

    def __init__(self, runtime: wazaot.Runtime):
        inst = runtime.instantiate(runtime.compile(wasmtime.wat2wasm(WAT)))
        self.f = {name: inst.exported_function(name) for name in
                  ("copy", "fill", "copy_same", "fill_const", "load", "store", "grow",
                   "copy_live")}  # fmt: skip
        self.mem = bytearray(PAGE)
        self.mem[:16] = bytes(range(16))

    def copy(self, d: int, s: int, n: int) -> None:
        self.f["copy"].call(d, s, n)
        self.mem[d : d + n] = self.mem[s : s + n]

    def fill(self, d: int, v: int, n: int) -> None:
        self.f["fill"].call(d, v, n)
        self.mem[d : d + n] = bytes([v & 0xFF]) * n

    def check(self, start: int, end: int) -> None:
        got = bytes(self.f["load"].call(a)[0] for a in range(start, end))
        assert got == bytes(self.mem[start:end])


@pytest.fixture
def model():
    with wazaot.Runtime() as runtime:
        yield Model(runtime)


def test_copy_without_overlap(model):
    model.copy(100, 0, 16)
    model.check(0, 128)


def test_copy_overlapping_forwards_and_backwards(model):
    model.copy(4, 0, 12)  # dst above src: must copy backwards
    model.check(0, 32)
    model.copy(0, 3, 13)  # dst below src: forwards
    model.check(0, 32)
    model.copy(1, 0, 1)
    model.copy(5, 5, 8)  # dst == src
    model.check(0, 32)


def test_copy_same_register_operand(model):
    model.f["copy_same"].call(3, 10)
    model.check(0, 32)


def test_operands_survive_the_copy(model):
    assert model.f["copy_live"].call(40, 2, 7) == [49]
    model.mem[40:47] = model.mem[2:9]
    model.check(0, 64)


def test_zero_length_at_and_past_the_end(model):
    model.copy(PAGE, 0, 0)
    model.copy(0, PAGE, 0)
    model.fill(PAGE, 7, 0)
    for args in ((PAGE + 1, 0, 0), (0, PAGE + 1, 0), (0xFFFF_FFFF, 0, 0)):
        with pytest.raises(Trap, match=OOB):
            model.f["copy"].call(*args)
    with pytest.raises(Trap, match=OOB):
        model.f["fill"].call(PAGE + 1, 0, 0)


def test_exact_end_and_one_past(model):
    model.copy(PAGE - 16, 0, 16)
    model.fill(PAGE - 3, 0xEE, 3)
    model.check(PAGE - 20, PAGE)
    for args in ((PAGE - 15, 0, 16), (0, PAGE - 15, 16), (0, 0, PAGE + 1),
                 (1, 0, 0xFFFF_FFFF), (0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF)):  # fmt: skip
        with pytest.raises(Trap, match=OOB):
            model.f["copy"].call(*args)
    for args in ((PAGE - 2, 1, 3), (0, 1, PAGE + 1), (0xFFFF_FFFF, 1, 2)):
        with pytest.raises(Trap, match=OOB):
            model.f["fill"].call(*args)
    # A trapping copy or fill writes nothing.
    model.check(0, 32)
    model.check(PAGE - 32, PAGE)


def test_fill_stores_the_low_byte(model):
    model.fill(20, 0x1234, 3)
    model.fill(30, 0xFFFF_FF80, 2)
    model.f["fill_const"].call(40)
    model.mem[40:45] = b"\xab" * 5
    model.check(16, 48)


def test_whole_memory(model):
    model.fill(0, 0x5A, PAGE)
    model.copy(1, 0, PAGE - 1)
    model.check(0, 8)
    model.check(PAGE - 8, PAGE)


def test_after_grow(model):
    with pytest.raises(Trap, match=OOB):
        model.f["copy"].call(PAGE, 0, 1)
    assert model.f["grow"].call(1) == [1]
    model.mem.extend(bytes(PAGE))
    model.copy(2 * PAGE - 16, 0, 16)
    model.fill(PAGE, 9, 4)
    model.check(PAGE - 4, PAGE + 8)
    model.check(2 * PAGE - 16, 2 * PAGE)
    with pytest.raises(Trap, match=OOB):
        model.f["copy"].call(2 * PAGE - 15, 0, 16)


def test_random_operations_match_memmove(model):
    rng = random.Random(1234)
    for i in range(300):
        model.f["store"].call(i % 200, rng.randrange(256))
        model.mem[i % 200] = model.f["load"].call(i % 200)[0]
    for _ in range(300):
        n = rng.choice((0, 1, 2, 3, 7, 8, 15, 16, 17, 33, 64))
        d, s = rng.randrange(200), rng.randrange(200)
        if rng.random() < 0.7:
            model.copy(d, s, n)
        else:
            model.fill(d, rng.randrange(1 << 32), n)
    model.check(0, 300)
