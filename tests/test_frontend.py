"""The shared lowering (``wazaot/lower/frontend.py``) against an interpreting backend.

``InterpBackend`` implements the ``Backend`` protocol by recording Python closures
per block instead of machine instructions, for a subset of integer instructions.
Running the recorded code and comparing with wasmtime checks the frontend's
handling of the value stack, lazy locals, pending comparisons, block results,
branches and unreachable code, independently of any architecture.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess

import pytest

from wazaot.api import ValueType
from wazaot.lower.backend import Compare, Const, Reg
from wazaot.lower.frontend import lower_function
from wazaot.lower.ops import Op, Operation
from wazaot.traps import TrapCode
from wazaot.wasm.decoder import decode_module

M32, M64 = 0xFFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF


def _signed(v: int, bits: int) -> int:
    return v - (1 << bits) if v >> (bits - 1) else v


def _binop(op: Op):
    """The Python function of a decoded integer operation."""
    bits = op.size
    mask = M32 if bits == 32 else M64
    s = (lambda v: _signed(v, bits)) if op.signed else (lambda v: v)
    O = Operation
    table = {
        O.ADD: lambda a, b: (a + b) & mask,
        O.SUB: lambda a, b: (a - b) & mask,
        O.MUL: lambda a, b: (a * b) & mask,
        O.AND: lambda a, b: a & b,
        O.OR: lambda a, b: a | b,
        O.XOR: lambda a, b: a ^ b,
        O.SHL: lambda a, b: (a << (b % bits)) & mask,
        O.SHR: lambda a, b: (s(a) >> (b % bits)) & mask,
        O.EQ: lambda a, b: int(a == b),
        O.NE: lambda a, b: int(a != b),
        O.LT: lambda a, b: int(s(a) < s(b)),
        O.GT: lambda a, b: int(s(a) > s(b)),
        O.LE: lambda a, b: int(s(a) <= s(b)),
        O.GE: lambda a, b: int(s(a) >= s(b)),
        O.EQZ: lambda a: int(a == 0),
    }
    return table[op.operation]


class _Block:
    def __init__(self, n: int):
        self.n = n
        self.ops: list = []
        self.term = None


class InterpBackend:
    def __init__(self, module, funcs: dict):
        self.module = module
        self.funcs = funcs
        self.blocks: list[_Block] = []
        self.cur: _Block | None = None
        self.nvregs = itertools.count()
        self.param_vregs: list[int] = []

    # registers and blocks
    def new_vreg(self, vt):
        return next(self.nvregs)

    def new_block(self):
        b = _Block(len(self.blocks))
        self.blocks.append(b)
        return b

    def set_block(self, block):
        assert not block.ops and block.term is None, "a block is entered once"
        self.cur = block

    def set_source(self, offset):
        pass

    def loop_header(self):
        pass

    def _emit(self, fn):
        assert self.cur is not None and self.cur.term is None, "code after a terminator"
        self.cur.ops.append(fn)

    def _end(self, term):
        assert self.cur is not None and self.cur.term is None
        self.cur.term = term
        self.cur = None

    @staticmethod
    def _val(regs, v):
        return v.bits if type(v) is Const else regs[v.vreg]

    def _cond(self, regs, c):
        if type(c) is Compare:
            return self._compute(regs, c)
        return self._val(regs, c)

    def _compute(self, regs, c):
        return _binop(c.op)(*[self._val(regs, a) for a in c.args])

    # function boundary
    def params(self, types):
        self.param_vregs = [self.new_vreg(t) for t in types]
        return self.param_vregs

    def ret(self, values):
        self._end(("ret", values))

    # data movement, control flow
    def copy(self, dst, src):
        self._emit(lambda regs: regs.__setitem__(dst, self._val(regs, src)))

    def jump(self, target):
        self._end(("jump", target))

    def branch(self, cond, then_block, else_block):
        self._end(("branch", cond, then_block, else_block))

    def br_table(self, index, targets, default):
        self._end(("br_table", index, targets, default))

    def trap(self, code):
        self._end(("trap", code))

    def op(self, op, args, imm):
        vt = op.type
        dst = self.new_vreg(vt)
        fn = _binop(op)
        self._emit(lambda regs: regs.__setitem__(dst, fn(*[self._val(regs, a) for a in args])))
        return [Reg(dst, vt)]

    def compare(self, cmp):
        dst = self.new_vreg(ValueType.I32)
        self._emit(lambda regs: regs.__setitem__(dst, self._compute(regs, cmp)))
        return Reg(dst, ValueType.I32)

    def select(self, cond, a, b, vt):
        dst = self.new_vreg(vt)
        self._emit(lambda regs: regs.__setitem__(
            dst, self._val(regs, a) if self._cond(regs, cond) else self._val(regs, b)))
        return Reg(dst, vt)

    def call(self, func_index, args):
        results = self.module.func_types()[func_index].results
        dsts = [self.new_vreg(t) for t in results]

        def do(regs):
            out = run(self.funcs[func_index], [self._val(regs, a) for a in args])
            for d, v in zip(dsts, out):
                regs[d] = v

        self._emit(do)
        return [Reg(d, t) for d, t in zip(dsts, results)]


class _Trap(Exception):
    pass


def run(backend: InterpBackend, args: list[int]) -> list[int]:
    regs: dict[int, int] = dict(zip(backend.param_vregs, args))
    block = backend.blocks[0]
    for _ in range(1_000_000):
        for fn in block.ops:
            fn(regs)
        term = block.term
        assert term is not None, f"block {block.n} has no terminator"
        kind = term[0]
        if kind == "ret":
            return [backend._val(regs, v) for v in term[1]]
        if kind == "trap":
            raise _Trap(term[1])
        if kind == "jump":
            block = term[1]
        elif kind == "branch":
            block = term[2] if backend._cond(regs, term[1]) else term[3]
        elif kind == "br_table":
            i = backend._val(regs, term[1])
            block = term[2][i] if i < len(term[2]) else term[3]
    raise AssertionError("did not terminate")


def compile_wat(wat: str) -> tuple:
    wasm = _wat2wasm(wat)
    module = decode_module(wasm)
    funcs: dict[int, InterpBackend] = {}
    for i in range(len(module.codes)):
        b = InterpBackend(module, funcs)
        lower_function(module, i, b)
        funcs[i] = b
    return module, funcs, wasm


def _wat2wasm(wat: str) -> bytes:
    try:
        import wasmtime

        return wasmtime.wat2wasm(wat)
    except ImportError:
        if shutil.which("wat2wasm") is None:
            pytest.skip("needs wasmtime (pip install wasmtime) or wabt's wat2wasm")
        return subprocess.run(["wat2wasm", "-", "-o", "/dev/stdout"], input=wat.encode(),
                              capture_output=True, check=True).stdout


WAT = """
(module
  (func (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call 0 (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "swap_loop") (param i32 i32 i32) (result i32)
    ;; loop with two params swapped each iteration: a parallel copy into loop vregs
    (local.get 0) (local.get 1)
    (loop (param i32 i32) (result i32 i32)
      (local.set 0) (local.set 1)            ;; swap via the locals
      (local.get 0) (local.get 1)
      (local.set 2 (i32.sub (local.get 2) (i32.const 1)))
      (br_if 0 (i32.ne (local.get 2) (i32.const 0))))
    (i32.sub))
  (func (export "lazy_local") (param i32) (result i32)
    ;; the pushed local.get must keep the old value across local.set
    (local.get 0)
    (local.set 0 (i32.const 100))
    (local.get 0)
    (i32.add))
  (func (export "lazy_compare") (param i32) (result i32)
    ;; a pending comparison of a local, then the local changes before br_if consumes it
    (block (result i32)
      (i32.const 7)
      (i32.lt_s (local.get 0) (i32.const 10))
      (local.set 0 (i32.const 50))
      (br_if 0)
      (drop) (local.get 0)))
  (func (export "br_table") (param i32) (result i32)
    (block (result i32)
      (block (result i32)
        (block (result i32)
          (i32.const 10) (local.get 0) (br_table 0 1 2))
        (i32.const 1) (i32.add) (br 1))
      (i32.const 2) (i32.add)))
  (func (export "dead_code") (param i32) (result i32)
    (block (result i32)
      (br 0 (local.get 0))
      (i32.const 1) (i32.add)
      (block (drop (i32.const 3)))
      (unreachable)))
  (func (export "if_no_else") (param i32 i32) (result i32)
    (local.get 1)
    (if (param i32) (result i32) (local.get 0)
      (then (i32.const 5) (i32.mul)))
    )
  (func (export "select") (param i32 i32 i32) (result i32)
    (select (local.get 0) (local.get 1) (i32.gt_u (local.get 2) (i32.const 3))))
  (func (export "tee") (param i32) (result i32)
    (i32.add (local.get 0) (local.tee 0 (i32.const 9))))
  (func (export "tee_compare") (param i32) (result i32)
    ;; a pending compare of local 0 consumed by local.tee 0, then a lazy read of
    ;; local 0 that a second local.tee 0 must still detach (found by fuzzing)
    local.get 0
    i32.const -28380
    block (result i32)
      local.get 0 i32.const -114 i32.eq
      local.tee 0
      i32.const 77
      local.tee 0
      i32.const 34094
      select
    end
    select)
  (func (export "multi") (param i32) (result i32 i32)
    (block (result i32 i32)
      (i32.const 1) (i32.const 2)
      (br_if 0 (local.get 0))
      (drop) (drop) (i32.const 3) (i32.const 4)))
)
"""

CASES = [
    ("fac", [5]), ("fac", [0]), ("fac", [20]),
    ("swap_loop", [3, 10, 1]), ("swap_loop", [3, 10, 2]), ("swap_loop", [3, 10, 5]),
    ("lazy_local", [1]), ("lazy_compare", [3]), ("lazy_compare", [30]),
    ("br_table", [0]), ("br_table", [1]), ("br_table", [2]), ("br_table", [99]),
    ("dead_code", [41]), ("if_no_else", [0, 7]), ("if_no_else", [1, 7]),
    ("select", [1, 2, 9]), ("select", [1, 2, 0]), ("tee", [1]),
    ("multi", [0]), ("multi", [1]),
    ("tee_compare", [0]), ("tee_compare", [5]), ("tee_compare", [0xFFFF_FF8E]),
]  # fmt: skip


@pytest.mark.parametrize("name,args", CASES)
def test_frontend_matches_wasmtime(name, args):
    wasmtime = pytest.importorskip("wasmtime", reason="pip install wasmtime")
    module, funcs, wasm = compile_wat(WAT)
    index = next(e.index for e in module.exports if e.name == name)
    ours = run(funcs[index], args)

    store = wasmtime.Store()
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, wasm), [])
    ref = inst.exports(store)[name](store, *args)
    ref = list(ref) if isinstance(ref, (list, tuple)) else [ref]
    bits = [32 if t == ValueType.I32 else 64 for t in module.func_types()[index].results]
    assert ours == [r & ((1 << b) - 1) for r, b in zip(ref, bits)]


def test_unreachable_traps():
    _, funcs, _ = compile_wat('(module (func (export "f") unreachable))')
    with pytest.raises(_Trap) as info:
        run(funcs[0], [])
    assert info.value.args[0] == TrapCode.UNREACHABLE
