"""Shared lowering: one validated wasm function -> calls on an architecture ``Backend``.

This is the half of instruction selection that every architecture shares: the
wasm operand stack, locals, control frames, block results and branches. It runs in
one pass over the instructions, like wazero's and V8 Liftoff's front ends, but it
produces virtual-register code for a real register allocator rather than code
that spills the stack machine.

How values flow:

- ``local.get`` pushes a lazy ``_Local`` reference instead of copying the local;
  a ``local.set``/``local.tee`` first materialises every stack entry that still
  refers to that local, so the pushed value keeps its old contents.
- Comparisons push a pending ``Compare`` so that ``br_if``/``if``/``select``
  consume the flags directly; any other consumer materialises it.
- At a control-flow boundary (entering a block, loop or if) the stack is
  *stabilised*: lazy entries become registers, so that no value's meaning depends
  on which path was taken.
- Blocks that are branched to get result vregs; every branch copies its values into
  them (through temporaries when sources and destinations overlap, since a branch's
  copies are a parallel assignment). A block that is only fallen out of needs
  neither a new machine block nor copies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..api import ValueType
from ..traps import TrapCode
from ..wasm.module import FuncType, Module
from ..wasm.opcodes import OP
from .backend import Backend, Compare, Const, Operand, Reg
from .ops import OPS


@dataclass(frozen=True, slots=True)
class _Local:
    """A lazy read of local ``index`` (resolved to the local's vreg when consumed)."""

    index: int
    type: ValueType


_StackValue = Reg | Const | Compare | _Local

_FIRST_COMPARE, _LAST_COMPARE = OP["i32.eqz"], OP["f64.ge"]


@dataclass(slots=True)
class _Frame:
    kind: str  # "func", "block", "loop", "if"
    params: tuple[ValueType, ...]
    results: tuple[ValueType, ...]
    height: int  # operand stack height below the frame's params
    live: bool  # the frame's entry was reachable
    end_block: Any = None
    header: Any = None  # loop: the branch target
    label_vregs: list[Any] | None = None  # vregs a branch to this label fills
    branched: bool = False  # some branch targets this frame's end
    else_block: Any = None  # if: the else arm
    saved_params: list[Operand] = field(default_factory=list)  # if: params for the else arm
    has_else: bool = False


class FunctionLowering:
    """Lowers function ``func_index`` of ``module`` through ``backend``."""

    def __init__(self, module: Module, func_index: int, backend: Backend,
                 func_types: Sequence[FuncType] | None = None):  # fmt: skip
        self.module = module
        self.func_index = func_index
        self.backend = backend
        self.types = module.types
        self.func_types = func_types if func_types is not None else module.func_types()
        code = module.codes[func_index - module.num_imported_funcs]
        self.code = code
        self.func_type: FuncType = self.func_types[func_index]
        self.local_types = list(self.func_type.params) + code.local_types()
        self.local_vregs: list[Any] = []
        # Per local: its lazy read, and its vreg as an operand (a local keeps one vreg).
        self.local_reads = [_Local(i, vt) for i, vt in enumerate(self.local_types)]
        self.local_regs: list[Reg] = []
        self.stack: list[_StackValue] = []
        self.frames: list[_Frame] = []
        self.reachable = True
        # How many stack entries refer to each local lazily (avoids scanning on set).
        self.local_refs = [0] * len(self.local_types)

    # -- driver --------------------------------------------------------------------

    def lower(self) -> None:
        b = self.backend
        entry = b.new_block()
        b.set_block(entry)
        b.set_source(self.code.body_offset)
        self.local_vregs = list(b.params(self.func_type.params))
        for vt in self.local_types[len(self.func_type.params) :]:
            vreg = b.new_vreg(vt)
            b.copy(vreg, Const(vt, 0))
            self.local_vregs.append(vreg)
        self.local_regs = [Reg(v, vt) for v, vt in zip(self.local_vregs, self.local_types)]
        ft = self.func_type
        self.frames.append(_Frame("func", ft.params, ft.results, 0, True))
        handlers = _HANDLERS
        set_source = b.set_source
        generic = self.generic
        for op, imm, offset in self.code.body:
            if not self.reachable:
                self.skip(op, imm)
                continue
            set_source(offset)
            handler = handlers.get(op)
            if handler is not None:
                handler(self, imm)
            elif _FIRST_COMPARE <= op <= _LAST_COMPARE:
                self.push_compare(op)
            else:
                generic(op, imm)

    def skip(self, op: int, imm: Any) -> None:
        """Unreachable code: track nesting only, until an ``else``/``end`` revives it."""
        if op in _OPENERS:
            self.frames.append(_Frame("dead", (), (), len(self.stack), False))
        elif op == _ELSE:
            frame = self.frames[-1]
            if frame.live:
                self.op_else(imm)
        elif op == _END:
            self.op_end(imm)

    # -- the operand stack ---------------------------------------------------------

    def _count(self, value: _StackValue, delta: int) -> None:
        """Adjust the count of lazy local reads for ``value`` entering (+1) or leaving
        (-1) the stack. ``local_refs[i]`` is exactly the number of ``_Local(i)`` on
        the stack, standing alone or inside a pending ``Compare``."""
        if type(value) is _Local:
            self.local_refs[value.index] += delta
        elif type(value) is Compare:
            for a in value.args:
                if type(a) is _Local:
                    self.local_refs[a.index] += delta

    def push(self, value: _StackValue) -> None:
        self._count(value, +1)
        self.stack.append(value)

    def pop(self) -> _StackValue:
        value = self.stack.pop()
        self._count(value, -1)
        return value

    def truncate(self, height: int) -> None:
        """Drop the stack entries above ``height`` (code that became unreachable)."""
        while len(self.stack) > height:
            self.pop()

    def resolve(self, cmp: Compare) -> Compare:
        """``cmp`` with its lazy local operands read now (it is off the stack)."""
        if not any(type(a) is _Local for a in cmp.args):
            return cmp
        args = tuple(self.local_regs[a.index] if type(a) is _Local else a
                     for a in cmp.args)  # fmt: skip
        return Compare(cmp.op, args, cmp.type)

    def operand(self, value: _StackValue) -> Operand:
        """A popped stack value as a backend operand (materialising comparisons)."""
        if type(value) is _Local:
            return self.local_regs[value.index]
        if type(value) is Compare:
            return self.backend.compare(self.resolve(value))
        return value  # type: ignore[return-value]

    def pop_operand(self) -> Operand:
        return self.operand(self.pop())

    def pop_operands(self, n: int) -> list[Operand]:
        if n == 0:
            return []
        stack = self.stack
        values = stack[-n:]
        del stack[-n:]
        for value in values:
            if type(value) is not Reg and type(value) is not Const:
                self._count(value, -1)
        return [self.operand(v) for v in values]

    def pop_condition(self) -> Operand | Compare:
        value = self.pop()
        if type(value) is Compare:
            return self.resolve(value)
        return self.operand(value)

    def push_compare(self, opcode: int) -> None:
        """Push a pending comparison of the top values. Lazy local reads stay lazy
        inside it (and counted), so a later ``local.set`` still detaches them."""
        op = OPS[opcode]
        args = []
        for _ in range(op.n_params):
            value = self.pop()
            if type(value) is Compare:
                value = self.backend.compare(self.resolve(value))
            args.append(value)
        args.reverse()
        self.push(Compare(op, tuple(args)))  # type: ignore[arg-type]

    def stabilise(self, start: int = 0) -> None:
        """Turn lazy stack entries from ``start`` up into registers of their own."""
        stack = self.stack
        for i in range(start, len(stack)):
            value = stack[i]
            if type(value) is _Local:
                self.local_refs[value.index] -= 1
                vreg = self.backend.new_vreg(value.type)
                self.backend.copy(vreg, self.local_regs[value.index])
                stack[i] = Reg(vreg, value.type)
            elif type(value) is Compare:
                self._count(value, -1)
                stack[i] = self.backend.compare(self.resolve(value))

    def detach_local(self, index: int) -> None:
        """Before local ``index`` changes, give its lazy readers a copy of the old value."""
        if not self.local_refs[index]:
            return
        vt = self.local_types[index]
        copy: list[Reg] = []

        def old_value() -> Reg:
            if not copy:
                vreg = self.backend.new_vreg(vt)
                self.backend.copy(vreg, self.local_regs[index])
                copy.append(Reg(vreg, vt))
            return copy[0]

        stack = self.stack
        for i, value in enumerate(stack):
            if type(value) is _Local and value.index == index:
                stack[i] = old_value()
            elif type(value) is Compare and any(type(a) is _Local and a.index == index for a in value.args):
                args = tuple(old_value() if type(a) is _Local and a.index == index else a
                             for a in value.args)  # fmt: skip
                stack[i] = Compare(value.op, args, value.type)
        self.local_refs[index] = 0  # every lazy read of it on the stack was replaced

    # -- branches ------------------------------------------------------------------

    def assign(self, dsts: list[Any], values: list[Operand]) -> None:
        """The parallel copy dsts := values, as sequential copies."""
        b = self.backend
        dst_set = set(dsts)
        if any(type(v) is Reg and v.vreg in dst_set for v in values):
            temps: list[Operand] = []
            for v in values:
                if type(v) is Reg:
                    t = b.new_vreg(v.type)
                    b.copy(t, v)
                    temps.append(Reg(t, v.type))
                else:
                    temps.append(v)
            values = temps
        for d, v in zip(dsts, values):
            if not (type(v) is Reg and v.vreg is d):
                b.copy(d, v)

    def label_target(self, depth: int) -> tuple[_Frame, Any, list[Any]]:
        """The frame a branch of ``depth`` goes to, its block and the vregs to fill."""
        frame = self.frames[-1 - depth]
        if frame.kind == "loop":
            return frame, frame.header, frame.label_vregs or []
        if frame.label_vregs is None:
            frame.label_vregs = [self.backend.new_vreg(vt) for vt in frame.results]
        if frame.end_block is None:
            frame.end_block = self.backend.new_block()
        frame.branched = True
        return frame, frame.end_block, frame.label_vregs

    def branch_to(self, depth: int, values: list[Operand]) -> None:
        """Emit the jump of ``br depth`` with ``values`` (the label's arity)."""
        frame = self.frames[-1 - depth]
        if frame.kind == "func":
            self.backend.ret(values)
            return
        _, block, vregs = self.label_target(depth)
        self.assign(vregs, values)
        self.backend.jump(block)

    def label_arity(self, depth: int) -> int:
        frame = self.frames[-1 - depth]
        return len(frame.params if frame.kind == "loop" else frame.results)

    def peek_operands(self, n: int) -> list[Operand]:
        """The top ``n`` stack values as operands, left on the stack (stabilised)."""
        if n == 0:
            return []
        self.stabilise(len(self.stack) - n)
        return [self.operand(v) for v in self.stack[-n:]]

    # -- control instructions ------------------------------------------------------

    def block_type(self, imm: Any) -> FuncType:
        if imm is None:
            return FuncType((), ())
        if isinstance(imm, ValueType):
            return FuncType((), (imm,))
        return self.types[imm]

    def op_unreachable(self, imm: Any) -> None:
        self.backend.trap(TrapCode.UNREACHABLE)
        self.reachable = False

    def op_nop(self, imm: Any) -> None:
        pass

    def op_block(self, imm: Any) -> None:
        bt = self.block_type(imm)
        self.stabilise()
        height = len(self.stack) - len(bt.params)
        self.frames.append(_Frame("block", bt.params, bt.results, height, True))

    def op_loop(self, imm: Any) -> None:
        bt = self.block_type(imm)
        b = self.backend
        params = self.pop_operands(len(bt.params))
        self.stabilise()
        vregs = [b.new_vreg(vt) for vt in bt.params]
        self.assign(vregs, params)
        header = b.new_block()
        b.jump(header)
        b.set_block(header)
        b.loop_header()
        frame = _Frame("loop", bt.params, bt.results, len(self.stack), True)
        frame.header = header
        frame.label_vregs = vregs
        self.frames.append(frame)
        for vreg, vt in zip(vregs, bt.params):
            self.push(Reg(vreg, vt))

    def op_if(self, imm: Any) -> None:
        bt = self.block_type(imm)
        b = self.backend
        cond = self.pop_condition()
        self.stabilise()
        params = self.peek_operands(len(bt.params))
        then_block, else_block = b.new_block(), b.new_block()
        b.branch(cond, then_block, else_block)
        b.set_block(then_block)
        frame = _Frame("if", bt.params, bt.results, len(self.stack) - len(params), True)
        frame.else_block = else_block
        frame.saved_params = params
        self.frames.append(frame)

    def finish_arm(self, frame: _Frame) -> None:
        """Leave the current arm of ``frame`` by branching to its end with its results."""
        if self.reachable:
            values = self.pop_operands(len(frame.results))
            self.branch_to(0, values)
        self.truncate(frame.height)

    def op_else(self, imm: Any) -> None:
        frame = self.frames[-1]
        self.finish_arm(frame)
        frame.has_else = True
        self.backend.set_block(frame.else_block)
        self.stack.extend(frame.saved_params)
        self.reachable = True

    def op_end(self, imm: Any) -> None:
        frame = self.frames[-1]
        b = self.backend
        if frame.kind == "dead":
            self.frames.pop()
            self.truncate(frame.height)
            return
        if frame.kind == "func":
            if self.reachable:
                b.ret(self.pop_operands(len(frame.results)))
            self.frames.pop()
            self.reachable = False
            return
        if frame.kind == "if" and not frame.has_else:
            # The missing else arm passes the params through as results.
            self.finish_arm(frame)
            b.set_block(frame.else_block)
            self.stack.extend(frame.saved_params)
            self.reachable = True
        if frame.kind == "if" or frame.branched:
            self.finish_arm(frame)
            self.frames.pop()
            if frame.branched:
                b.set_block(frame.end_block)
                for vreg, vt in zip(frame.label_vregs or [], frame.results):
                    self.push(Reg(vreg, vt))
                self.reachable = True
            return
        # A block or loop only fallen out of: its results are already on the stack.
        self.frames.pop()
        if not self.reachable:
            self.truncate(frame.height)

    def op_br(self, depth: int) -> None:
        self.branch_to(depth, self.pop_operands(self.label_arity(depth)))
        self.reachable = False

    def op_br_if(self, depth: int) -> None:
        b = self.backend
        cond = self.pop_condition()
        arity = self.label_arity(depth)
        frame = self.frames[-1 - depth]
        cont = b.new_block()
        if arity == 0 and frame.kind != "func":
            _, target, _ = self.label_target(depth)
            b.branch(cond, target, cont)
        else:
            values = self.peek_operands(arity)
            taken = b.new_block()
            b.branch(cond, taken, cont)
            b.set_block(taken)
            self.branch_to(depth, values)
        b.set_block(cont)

    def op_br_table(self, imm: Any) -> None:
        labels, default = imm
        b = self.backend
        index = self.pop_operand()
        arity = self.label_arity(default)
        values = self.peek_operands(arity)
        blocks: dict[int, Any] = {}
        for depth in set(labels) | {default}:
            frame = self.frames[-1 - depth]
            if arity == 0 and frame.kind != "func":
                blocks[depth] = self.label_target(depth)[1]
            else:
                blocks[depth] = b.new_block()
        b.br_table(index, [blocks[d] for d in labels], blocks[default])
        for depth, block in blocks.items():
            frame = self.frames[-1 - depth]
            if arity == 0 and frame.kind != "func":
                continue
            b.set_block(block)
            self.branch_to(depth, values)
        self.reachable = False

    def op_return(self, imm: Any) -> None:
        self.backend.ret(self.pop_operands(len(self.func_type.results)))
        self.reachable = False

    def op_call(self, func_index: int) -> None:
        ft = self.func_types[func_index]
        args = self.pop_operands(len(ft.params))
        for r in self.backend.call(func_index, args):
            self.push(r)

    def op_call_indirect(self, imm: Any) -> None:
        type_index, table = imm
        ft = self.types[type_index]
        index = self.pop_operand()
        args = self.pop_operands(len(ft.params))
        for r in self.backend.call_indirect(type_index, table, index, args):
            self.push(r)

    def op_return_call(self, func_index: int) -> None:
        ft = self.func_types[func_index]
        self.backend.return_call(func_index, self.pop_operands(len(ft.params)))
        self.reachable = False

    def op_return_call_indirect(self, imm: Any) -> None:
        type_index, table = imm
        index = self.pop_operand()
        args = self.pop_operands(len(self.types[type_index].params))
        self.backend.return_call_indirect(type_index, table, index, args)
        self.reachable = False

    # -- parametric and variable instructions --------------------------------------

    def op_drop(self, imm: Any) -> None:
        self.pop()

    def op_select(self, imm: Any) -> None:
        cond = self.pop_condition()
        b_val = self.pop_operand()
        a_val = self.pop_operand()
        vt = imm[0] if imm else a_val.type
        self.push(self.backend.select(cond, a_val, b_val, vt))

    def op_local_get(self, index: int) -> None:
        self.stack.append(self.local_reads[index])
        self.local_refs[index] += 1

    def op_local_set(self, index: int) -> None:
        value = self.stack.pop()
        if type(value) is _Local:
            self.local_refs[value.index] -= 1
            if value.index == index:
                return  # x := x
        elif type(value) is Compare:
            self._count(value, -1)
        if self.local_refs[index]:
            self.detach_local(index)
        self.backend.copy(self.local_vregs[index], self.operand(value))

    def op_local_tee(self, index: int) -> None:
        self.op_local_set(index)
        self.stack.append(self.local_reads[index])
        self.local_refs[index] += 1

    def op_const(self, vt: ValueType, bits: int) -> None:
        self.stack.append(Const(vt, bits))

    def op_ref_null(self, vt: ValueType) -> None:
        self.stack.append(Const(vt, 0))

    def generic(self, opcode: int, imm: Any) -> None:
        """An instruction with a fixed stack effect, lowered by ``Backend.op``. Its
        results are registers or constants, which need no lazy-read counting."""
        op = OPS[opcode]
        n = op.n_params
        stack = self.stack
        args: list[Operand]
        a: Any
        b: Any
        if n == 2:
            b = stack.pop()
            a = stack.pop()
            if type(a) is _Local:
                self.local_refs[a.index] -= 1
                a = self.local_regs[a.index]
            elif type(a) is Compare:
                self._count(a, -1)
                a = self.operand(a)
            if type(b) is _Local:
                self.local_refs[b.index] -= 1
                b = self.local_regs[b.index]
            elif type(b) is Compare:
                self._count(b, -1)
                b = self.operand(b)
            args = [a, b]
        elif n == 1:
            a = stack.pop()
            if type(a) is _Local:
                self.local_refs[a.index] -= 1
                a = self.local_regs[a.index]
            elif type(a) is Compare:
                self._count(a, -1)
                a = self.operand(a)
            args = [a]
        else:
            args = self.pop_operands(n)
        results = self.backend.op(op, args, imm)
        assert len(results) == op.n_results, (op, results)
        stack.extend(results)


_OPENERS = {OP["block"], OP["loop"], OP["if"]}
_ELSE, _END = OP["else"], OP["end"]

_HANDLERS: dict[int, Any] = {
    OP["unreachable"]: FunctionLowering.op_unreachable,
    OP["nop"]: FunctionLowering.op_nop,
    OP["block"]: FunctionLowering.op_block,
    OP["loop"]: FunctionLowering.op_loop,
    OP["if"]: FunctionLowering.op_if,
    OP["else"]: FunctionLowering.op_else,
    OP["end"]: FunctionLowering.op_end,
    OP["br"]: FunctionLowering.op_br,
    OP["br_if"]: FunctionLowering.op_br_if,
    OP["br_table"]: FunctionLowering.op_br_table,
    OP["return"]: FunctionLowering.op_return,
    OP["call"]: FunctionLowering.op_call,
    OP["call_indirect"]: FunctionLowering.op_call_indirect,
    OP["return_call"]: FunctionLowering.op_return_call,
    OP["return_call_indirect"]: FunctionLowering.op_return_call_indirect,
    OP["drop"]: FunctionLowering.op_drop,
    OP["select"]: FunctionLowering.op_select,
    OP["select_t"]: FunctionLowering.op_select,
    OP["local.get"]: FunctionLowering.op_local_get,
    OP["local.set"]: FunctionLowering.op_local_set,
    OP["local.tee"]: FunctionLowering.op_local_tee,
    OP["i32.const"]: lambda self, imm: self.stack.append(Const(ValueType.I32, imm)),
    OP["i64.const"]: lambda self, imm: self.stack.append(Const(ValueType.I64, imm)),
    OP["f32.const"]: lambda self, imm: self.stack.append(Const(ValueType.F32, imm)),
    OP["f64.const"]: lambda self, imm: self.stack.append(Const(ValueType.F64, imm)),
    OP["v128.const"]: lambda self, imm: self.stack.append(Const(ValueType.V128, imm)),
    OP["ref.null"]: FunctionLowering.op_ref_null,
}


def lower_function(module: Module, func_index: int, backend: Backend,
                   func_types: Sequence[FuncType] | None = None) -> None:  # fmt: skip
    """Lower defined function ``func_index`` (function index space) into ``backend``.
    ``func_types`` is ``module.func_types()``, computed once by callers that lower
    many functions."""
    FunctionLowering(module, func_index, backend, func_types).lower()
