"""Validation of a decoded module: the spec's "Validation" chapter (Core 2.0 with SIMD,
plus ``return_call`` / ``return_call_indirect`` from the tail-call proposal).

``validate_module`` checks the module-level rules first (imports, limits, globals,
exports, start, segments, constant expressions) and then every function body with the
operand-stack / control-stack algorithm of the spec's appendix ("Validation
Algorithm"). Errors are ``ValidationError`` whose message starts with the words the
spec test suite expects ("type mismatch", "unknown global 3", ...).

Function bodies, the hot part, are checked in one loop over the instructions:

- Types on the operand stack are plain ints (the ``ValueType`` codes); ``UNKNOWN`` (0)
  is the appendix's "Unknown" type, produced by pops below the base of an unreachable
  frame.
- Every control frame pushes a marker (``_MARK``, -1) onto the operand stack at its
  base, so an instruction with a fixed signature is checked by comparing the top
  entries with its parameter types: a marker or an ``UNKNOWN`` never matches, and any
  mismatch falls back to the general (slow) path that reports the error or applies
  the unreachable-code rules. The common case costs a few list operations and no
  bounds check.
- Instructions are grouped by how they are checked (``_BIN``, ``_UN``, ``_PUSH``,
  ``_LOAD``, ``_STORE``, ``_FIXED``, ``_LOCAL_*``, ``_CALL``), built from
  ``opcodes.SIGNATURES``; those typed by their immediates have a rule registered with
  ``@rule("wasm.name")``.

As a side effect each ``Code`` gets ``max_stack`` (the largest number of operand
values live at once, across all enclosing blocks) and ``uses_memory``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any

from ..api import ValueType
from ..errors import ValidationError
from .module import ConstExpr, ExternKind, Instr, Limits, Module, SegmentMode
from .opcodes import IMMEDIATES, LANES, MAX_ALIGN, OP, SIGNATURES, Imm

__all__ = ["validate_module"]

UNKNOWN = 0
"""The appendix's "Unknown" type: any type, found below the base of unreachable code."""
_MARK = -1
"""The operand-stack entry at the base of each control frame (never a valid type)."""

I32, I64, F32, F64, V128 = (int(t) for t in (ValueType.I32, ValueType.I64, ValueType.F32,
                                              ValueType.F64, ValueType.V128))  # fmt: skip
FUNCREF, EXTERNREF = int(ValueType.FUNCREF), int(ValueType.EXTERNREF)
_NUMERIC = frozenset((I32, I64, F32, F64, UNKNOWN))
_VECTOR = frozenset((V128, UNKNOWN))
_REFERENCE = frozenset((FUNCREF, EXTERNREF, UNKNOWN))

MAX_PAGES = 65536
_EMPTY: list[int] = []
# The one-value block types, shared (these lists are never mutated).
_SINGLE: dict[int, list[int]] = {int(t): [int(t)] for t in ValueType}

_BLOCK, _LOOP, _IF, _ELSE, _FUNC = OP["block"], OP["loop"], OP["if"], OP["else"], -1
_END = OP["end"]


def _type_name(t: int) -> str:
    return "unknown" if t == UNKNOWN else str(ValueType(t))


def _types_text(types: list[int]) -> str:
    return "[" + " ".join(map(_type_name, types)) + "]"


class _Frame:
    """An entry of the control stack (the appendix's ``ctrl_frame``)."""

    __slots__ = ("op", "params", "results", "labels", "height", "unreachable")

    def __init__(self, op: int, params: list[int], results: list[int], height: int):
        self.op = op
        self.params = params
        self.results = results
        # The types a branch to this frame carries: a loop's label is its start.
        self.labels = params if op == _LOOP else results
        self.height = height  # operand stack length at the frame's base (above its mark)
        self.unreachable = False


class _BigLocals:
    """The local types of a function with very many locals, without a list per local."""

    __slots__ = ("starts", "types", "count")

    def __init__(self, params: list[int], runs: list[tuple[int, ValueType]]):
        self.starts: list[int] = []
        self.types: list[int] = []
        n = 0
        for t in params:
            self.starts.append(n)
            self.types.append(t)
            n += 1
        for count, vt in runs:
            if count:
                self.starts.append(n)
                self.types.append(int(vt))
                n += count
        self.count = n

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> int:
        if not 0 <= index < self.count:
            raise IndexError(index)
        return self.types[bisect_right(self.starts, index) - 1]


_BIG_LOCALS = 1 << 16


class _Context:
    """What function bodies may refer to (the spec's context ``C``), as plain ints."""

    __slots__ = ("types", "funcs", "tables", "memories", "globals", "elems", "datas", "refs")

    def __init__(self, module: Module):
        self.types: list[tuple[list[int], list[int]]] = [
            ([int(t) for t in ft.params], [int(t) for t in ft.results]) for ft in module.types
        ]
        self.funcs: list[tuple[list[int], list[int]]] = []  # filled once indices are checked
        self.tables: list[int] = [int(t.elem_type) for t in module.table_types()]
        self.memories = len(module.memory_types())
        self.globals: list[tuple[int, bool]] = [
            (int(g.value_type), g.mutable) for g in module.global_types()
        ]
        self.elems: list[int] = [int(e.elem_type) for e in module.elements]
        self.datas = module.data_count if module.data_count is not None else len(module.datas)
        self.refs: set[int] = set()  # functions that ``ref.func`` may name in bodies


class _Func:
    """The state of one function body's validation."""

    __slots__ = ("ctx", "stack", "ctrls", "locals", "results", "max_height", "uses_memory",
                 "index")  # fmt: skip

    def __init__(self, ctx: _Context, index: int, locals_: Any, results: list[int]):
        self.ctx = ctx
        self.index = index
        self.locals = locals_
        self.results = results
        self.stack: list[int] = []
        self.ctrls: list[_Frame] = []
        self.max_height = 0
        self.uses_memory = False

    # -- errors ---------------------------------------------------------------------

    def error(self, message: str, offset: int) -> ValidationError:
        return ValidationError(message, offset=offset, func_index=self.index)

    def mismatch(self, expected: int | None, actual: int | None, offset: int) -> ValidationError:
        exp = "a value" if expected is None or expected == UNKNOWN else _type_name(expected)
        act = "nothing" if actual is None else _type_name(actual)
        return self.error(f"type mismatch: expected {exp}, found {act}", offset)

    # -- operand stack (the appendix's push_val / pop_val / pop_vals) ----------------

    def note_height(self) -> None:
        height = len(self.stack) - len(self.ctrls)
        if height > self.max_height:
            self.max_height = height

    def pop(self, expect: int, offset: int) -> int:
        stack = self.stack
        frame = self.ctrls[-1]
        if len(stack) == frame.height:
            if frame.unreachable:
                return UNKNOWN
            raise self.mismatch(expect, None, offset)
        actual = stack.pop()
        if actual != expect and actual != UNKNOWN and expect != UNKNOWN:
            raise self.mismatch(expect, actual, offset)
        return actual

    def pop_vals(self, types: list[int], offset: int) -> None:
        n = len(types)
        if not n:
            return
        stack = self.stack
        h = len(stack) - n
        if h >= self.ctrls[-1].height and stack[h:] == types:
            del stack[h:]
            return
        for t in reversed(types):
            self.pop(t, offset)

    def pop_vals_kept(self, types: list[int], offset: int) -> list[int]:
        """Pop ``types`` and return the types actually popped (``UNKNOWN`` kept)."""
        out = [self.pop(t, offset) for t in reversed(types)]
        out.reverse()
        return out

    def push_vals(self, types: list[int]) -> None:
        if types:
            self.stack += types
            self.note_height()

    def apply(self, params: list[int] | tuple[int, ...], results: list[int] | tuple[int, ...],
              offset: int) -> None:  # fmt: skip
        """The general path for an instruction of signature ``params -> results``."""
        for t in reversed(params):
            self.pop(t, offset)
        if results:
            self.stack += results
            self.note_height()

    # -- control stack --------------------------------------------------------------

    def push_ctrl(self, op: int, params: list[int], results: list[int]) -> None:
        stack = self.stack
        stack.append(_MARK)
        self.ctrls.append(_Frame(op, params, results, len(stack)))
        if params:
            stack += params
        self.note_height()

    def close_frame(self, offset: int) -> _Frame:
        """``end``: check the frame's results, pop it and push its results."""
        frame = self.ctrls[-1]
        stack = self.stack
        results = frame.results
        self.pop_vals(results, offset)
        if len(stack) != frame.height:
            raise self.error(
                f"type mismatch: {len(stack) - frame.height} values left at end of block",
                offset,
            )
        if frame.op == _IF and frame.params != results:
            # An ``if`` without ``else`` has an empty else branch: params must be results.
            raise self.error(
                f"type mismatch: if without else: {_types_text(frame.params)} -> "
                f"{_types_text(results)}",
                offset,
            )
        self.ctrls.pop()
        stack.pop()  # the frame's mark
        if results:
            stack += results
        return frame

    def set_unreachable(self) -> None:
        frame = self.ctrls[-1]
        del self.stack[frame.height :]
        frame.unreachable = True

    def label(self, depth: int, offset: int) -> _Frame:
        ctrls = self.ctrls
        if depth >= len(ctrls):
            raise self.error(f"unknown label {depth}", offset)
        return ctrls[-1 - depth]

    # -- index checks ---------------------------------------------------------------

    def block_type(self, imm: Any, offset: int) -> tuple[list[int], list[int]]:
        if imm is None:
            return _EMPTY, _EMPTY
        if isinstance(imm, ValueType):
            return _EMPTY, _SINGLE[imm]
        types = self.ctx.types
        if imm >= len(types):
            raise self.error(f"unknown type {imm}", offset)
        return types[imm]

    def table(self, index: int, offset: int) -> int:
        tables = self.ctx.tables
        if index >= len(tables):
            raise self.error(f"unknown table {index}", offset)
        return tables[index]

    def memory(self, index: int, offset: int) -> None:
        if index >= self.ctx.memories:
            raise self.error(f"unknown memory {index}", offset)
        self.uses_memory = True

    def elem(self, index: int, offset: int) -> int:
        elems = self.ctx.elems
        if index >= len(elems):
            raise self.error(f"unknown elem segment {index}", offset)
        return elems[index]

    def data(self, index: int, offset: int) -> None:
        if index >= self.ctx.datas:
            raise self.error(f"unknown data segment {index}", offset)

    def func(self, index: int, offset: int) -> tuple[list[int], list[int]]:
        funcs = self.ctx.funcs
        if index >= len(funcs):
            raise self.error(f"unknown function {index}", offset)
        return funcs[index]


# -- rules for the instructions typed by their immediates ---------------------------

Rule = Callable[[_Func, Any, int], None]
_RULES: dict[int, Rule] = {}


def rule(*names: str) -> Callable[[Rule], Rule]:
    """Register the decorated function as the rule for the named instructions."""

    def register(fn: Rule) -> Rule:
        for name in names:
            code = OP[name]
            assert code not in _RULES and code not in SIGNATURES, name
            _RULES[code] = fn
        return fn

    return register


@rule("unreachable")
def unreachable(f: _Func, imm: Any, off: int) -> None:
    f.set_unreachable()


@rule("block")
def block(f: _Func, imm: Any, off: int) -> None:
    params, results = f.block_type(imm, off)
    f.pop_vals(params, off)
    f.push_ctrl(_BLOCK, params, results)


@rule("loop")
def loop(f: _Func, imm: Any, off: int) -> None:
    params, results = f.block_type(imm, off)
    f.pop_vals(params, off)
    f.push_ctrl(_LOOP, params, results)


@rule("if")
def if_(f: _Func, imm: Any, off: int) -> None:
    params, results = f.block_type(imm, off)
    f.pop(I32, off)
    f.pop_vals(params, off)
    f.push_ctrl(_IF, params, results)


@rule("else")
def else_(f: _Func, imm: Any, off: int) -> None:
    frame = f.ctrls[-1]
    if frame.op != _IF:
        raise f.error("else without matching if", off)
    f.pop_vals(frame.results, off)
    stack = f.stack
    if len(stack) != frame.height:
        raise f.error(
            f"type mismatch: {len(stack) - frame.height} values left at end of if branch", off
        )
    frame.op = _ELSE
    frame.unreachable = False
    if frame.params:
        stack += frame.params
        f.note_height()


@rule("end")
def end(f: _Func, imm: Any, off: int) -> None:
    # The function's own final ``end`` is checked by ``_validate_body``.
    if len(f.ctrls) == 1:
        raise f.error("function body ends before its last instruction", off)
    f.close_frame(off)


@rule("br")
def br(f: _Func, imm: Any, off: int) -> None:
    f.pop_vals(f.label(imm, off).labels, off)
    f.set_unreachable()


@rule("br_if")
def br_if(f: _Func, imm: Any, off: int) -> None:
    labels = f.label(imm, off).labels
    f.pop(I32, off)
    f.pop_vals(labels, off)
    f.push_vals(labels)


@rule("br_table")
def br_table(f: _Func, imm: Any, off: int) -> None:
    targets, default = imm
    f.pop(I32, off)
    want = f.label(default, off).labels
    arity = len(want)
    stack = f.stack
    floor = f.ctrls[-1].height
    for depth in targets:
        labels = f.label(depth, off).labels
        if len(labels) != arity:
            raise f.error(
                f"type mismatch: br_table labels {_types_text(labels)} and {_types_text(want)}",
                off,
            )
        h = len(stack) - arity
        if h >= floor and stack[h:] == labels:
            continue  # popping and pushing back the same values changes nothing
        f.stack += f.pop_vals_kept(labels, off)
    f.pop_vals(want, off)
    f.set_unreachable()


@rule("return")
def return_(f: _Func, imm: Any, off: int) -> None:
    f.pop_vals(f.results, off)
    f.set_unreachable()


@rule("call_indirect")
def call_indirect(f: _Func, imm: Any, off: int) -> None:
    params, results = _indirect_callee(f, imm, off)
    f.pop_vals(params, off)
    f.push_vals(results)


@rule("return_call")
def return_call(f: _Func, imm: Any, off: int) -> None:
    params, results = f.func(imm, off)
    _tail_call(f, params, results, off)


@rule("return_call_indirect")
def return_call_indirect(f: _Func, imm: Any, off: int) -> None:
    params, results = _indirect_callee(f, imm, off)
    _tail_call(f, params, results, off)


def _indirect_callee(f: _Func, imm: Any, off: int) -> tuple[list[int], list[int]]:
    type_index, table = imm
    if f.table(table, off) != FUNCREF:
        raise f.error(f"type mismatch: call_indirect through table {table} of externref", off)
    types = f.ctx.types
    if type_index >= len(types):
        raise f.error(f"unknown type {type_index}", off)
    f.pop(I32, off)
    return types[type_index]


def _tail_call(f: _Func, params: list[int], results: list[int], off: int) -> None:
    if results != f.results:
        raise f.error(
            f"type mismatch: tail call returns {_types_text(results)}, "
            f"function returns {_types_text(f.results)}",
            off,
        )
    f.pop_vals(params, off)
    f.set_unreachable()


@rule("drop")
def drop(f: _Func, imm: Any, off: int) -> None:
    f.pop(UNKNOWN, off)


@rule("select")
def select(f: _Func, imm: Any, off: int) -> None:
    f.pop(I32, off)
    t1 = f.pop(UNKNOWN, off)
    t2 = f.pop(UNKNOWN, off)
    if not ((t1 in _NUMERIC and t2 in _NUMERIC) or (t1 in _VECTOR and t2 in _VECTOR)):
        raise f.error("type mismatch: select without a type needs numeric or vector values", off)
    if t1 != t2 and t1 != UNKNOWN and t2 != UNKNOWN:
        raise f.mismatch(t1, t2, off)
    f.stack.append(t2 if t1 == UNKNOWN else t1)


@rule("select_t")
def select_t(f: _Func, imm: Any, off: int) -> None:
    if len(imm) != 1:
        raise f.error("invalid result arity", off)
    t = int(imm[0])
    f.apply((I32,), (), off)
    f.apply((t, t), (t,), off)


@rule("global.get")
def global_get(f: _Func, imm: Any, off: int) -> None:
    globals_ = f.ctx.globals
    if imm >= len(globals_):
        raise f.error(f"unknown global {imm}", off)
    f.stack.append(globals_[imm][0])
    f.note_height()


@rule("global.set")
def global_set(f: _Func, imm: Any, off: int) -> None:
    globals_ = f.ctx.globals
    if imm >= len(globals_):
        raise f.error(f"unknown global {imm}", off)
    t, mutable = globals_[imm]
    if not mutable:
        raise f.error("global is immutable", off)
    f.pop(t, off)


@rule("table.get")
def table_get(f: _Func, imm: Any, off: int) -> None:
    f.apply((I32,), (f.table(imm, off),), off)


@rule("table.set")
def table_set(f: _Func, imm: Any, off: int) -> None:
    f.apply((I32, f.table(imm, off)), (), off)


@rule("table.grow")
def table_grow(f: _Func, imm: Any, off: int) -> None:
    f.apply((f.table(imm, off), I32), (I32,), off)


@rule("table.fill")
def table_fill(f: _Func, imm: Any, off: int) -> None:
    f.apply((I32, f.table(imm, off), I32), (), off)


@rule("ref.null")
def ref_null(f: _Func, imm: Any, off: int) -> None:
    f.stack.append(int(imm))
    f.note_height()


@rule("ref.is_null")
def ref_is_null(f: _Func, imm: Any, off: int) -> None:
    t = f.pop(UNKNOWN, off)
    if t not in _REFERENCE:
        raise f.error(f"type mismatch: expected a reference, found {_type_name(t)}", off)
    f.stack.append(I32)


@rule("ref.func")
def ref_func(f: _Func, imm: Any, off: int) -> None:
    f.func(imm, off)
    if imm not in f.ctx.refs:
        raise f.error(f"undeclared function reference {imm}", off)
    f.stack.append(FUNCREF)
    f.note_height()


# -- immediate checks of the instructions with a fixed signature ---------------------

Check = Callable[[_Func, int, Any, int], None]


def _check_memarg(f: _Func, op: int, imm: Any, off: int) -> None:
    f.memory(0, off)
    if imm[0] > MAX_ALIGN[op]:
        raise f.error("alignment must not be larger than natural", off)


def _check_lane(f: _Func, op: int, imm: Any, off: int) -> None:
    if imm >= LANES[op]:
        raise f.error("invalid lane index", off)


def _check_memarg_lane(f: _Func, op: int, imm: Any, off: int) -> None:
    _check_memarg(f, op, imm[0], off)
    _check_lane(f, op, imm[1], off)


def _check_shuffle(f: _Func, op: int, imm: Any, off: int) -> None:
    if max(imm) >= 32:
        raise f.error("invalid lane index", off)


def _check_memory(f: _Func, op: int, imm: Any, off: int) -> None:
    f.memory(0, off)  # the immediate is the reserved zero byte(s)


def _check_memory_init(f: _Func, op: int, imm: Any, off: int) -> None:
    f.memory(0, off)
    f.data(imm, off)


def _check_data(f: _Func, op: int, imm: Any, off: int) -> None:
    f.data(imm, off)


def _check_table(f: _Func, op: int, imm: Any, off: int) -> None:
    f.table(imm, off)


def _check_table_init(f: _Func, op: int, imm: Any, off: int) -> None:
    elem, table = imm
    t = f.table(table, off)
    if f.elem(elem, off) != t:
        raise f.error(f"type mismatch: elem segment {elem} does not fit table {table}", off)


def _check_elem(f: _Func, op: int, imm: Any, off: int) -> None:
    f.elem(imm, off)


def _check_table_copy(f: _Func, op: int, imm: Any, off: int) -> None:
    dst, src = imm
    if f.table(dst, off) != f.table(src, off):
        raise f.error(f"type mismatch: table.copy from table {src} to table {dst}", off)


_IMM_CHECKS: dict[Imm, Check | None] = {
    Imm.NONE: None,
    Imm.I32: None,
    Imm.I64: None,
    Imm.F32: None,
    Imm.F64: None,
    Imm.V128: None,
    Imm.MEMARG: _check_memarg,
    Imm.LANE: _check_lane,
    Imm.MEMARG_LANE: _check_memarg_lane,
    Imm.SHUFFLE: _check_shuffle,
    Imm.MEMORY: _check_memory,
    Imm.MEMORY_INIT: _check_memory_init,
    Imm.DATA: _check_data,
    Imm.MEMORY_COPY: _check_memory,
    Imm.TABLE: _check_table,
    Imm.TABLE_INIT: _check_table_init,
    Imm.ELEM: _check_elem,
    Imm.TABLE_COPY: _check_table_copy,
}

# -- the dispatch table --------------------------------------------------------------

# How the body loop checks an instruction (entry[0] of _DISPATCH[op]):
_BIN = 0  # (kind, a, b, r, params, results): [a b] -> [r], no immediate to check
_UN = 1  # (kind, a, r, params, results): [a] -> [r], no immediate to check
_PUSH = 2  # (kind, r): [] -> [r], no immediate to check (constants)
_LOCAL_GET, _LOCAL_SET, _LOCAL_TEE = 3, 4, 5  # (kind,)
_LOAD = 6  # (kind, max_align, r, params, results): [i32] -> [r], memarg
_STORE = 7  # (kind, max_align, t, params, results): [i32 t] -> [], memarg
_CALL = 8  # (kind,)
_RULE = 9  # (kind, rule)
_FIXED = 10  # (kind, check or None, params, results)
_DROP, _END_BLOCK = 11, 12  # (kind, rule): a fast path for the common case, else the rule

_DISPATCH: dict[int, tuple[Any, ...]] = {}


def _build_dispatch() -> None:
    for op, (p, r) in SIGNATURES.items():
        params, results = tuple(int(t) for t in p), tuple(int(t) for t in r)
        imm = IMMEDIATES[op]
        check = _IMM_CHECKS[imm]
        shape = (len(params), len(results))
        if check is None and shape == (2, 1):
            _DISPATCH[op] = (_BIN, params[0], params[1], results[0], params, results)
        elif check is None and shape == (1, 1):
            _DISPATCH[op] = (_UN, params[0], results[0], params, results)
        elif check is None and shape == (0, 1):
            _DISPATCH[op] = (_PUSH, results[0])
        elif imm is Imm.MEMARG and shape == (1, 1):
            _DISPATCH[op] = (_LOAD, MAX_ALIGN[op], results[0], params, results)
        elif imm is Imm.MEMARG and shape == (2, 0):
            _DISPATCH[op] = (_STORE, MAX_ALIGN[op], params[1], params, results)
        else:
            _DISPATCH[op] = (_FIXED, check, params, results)
    for op, fn in _RULES.items():
        _DISPATCH[op] = (_RULE, fn)
    _DISPATCH[OP["local.get"]] = (_LOCAL_GET,)
    _DISPATCH[OP["local.set"]] = (_LOCAL_SET,)
    _DISPATCH[OP["local.tee"]] = (_LOCAL_TEE,)
    _DISPATCH[OP["call"]] = (_CALL,)
    _DISPATCH[OP["drop"]] = (_DROP, drop)
    _DISPATCH[OP["end"]] = (_END_BLOCK, end)
    missing = set(IMMEDIATES) - set(_DISPATCH)
    assert not missing, sorted(missing)


_build_dispatch()


def _validate_body(f: _Func, body: list[Instr], end_offset: int) -> None:  # noqa: C901
    """Run the appendix's algorithm over ``body`` (which ends with the function's end).

    One branch per kind of ``_DISPATCH`` entry, the most frequent first; each tries
    the common case inline and leaves anything else to ``_Func``'s general methods
    or the instruction's rule, which also report the errors.
    """
    if not body or body[-1][0] != _END:
        raise f.error("END opcode expected", end_offset)
    stack = f.stack
    ctrls = f.ctrls
    locals_ = f.locals
    n_locals = len(locals_)
    funcs = f.ctx.funcs
    has_memory = f.ctx.memories > 0
    dispatch = _DISPATCH
    uses_memory = False
    f.push_ctrl(_FUNC, _EMPTY, f.results)
    # The stack (marks included) may hold a new maximum height once it outgrows
    # ``limit``. The general paths keep ``f.max_height`` themselves (``note_height``),
    # which only raises it, so a stale ``limit`` costs a recheck, never a miss; it is
    # recomputed whenever the number of frames (marks) changes.
    limit = f.max_height + len(ctrls)
    op = off = -1
    try:
        for op, imm, off in islice(body, len(body) - 1):
            entry = dispatch[op]
            kind = entry[0]
            if kind == _LOCAL_GET:
                if imm >= n_locals:
                    raise f.error(f"unknown local {imm}", off)
                stack.append(locals_[imm])
                if len(stack) > limit:
                    f.note_height()
                    limit = f.max_height + len(ctrls)
            elif kind == _BIN:
                if stack[-1] == entry[2] and stack[-2] == entry[1]:
                    del stack[-1]
                    stack[-1] = entry[3]
                else:
                    f.apply(entry[4], entry[5], off)
            elif kind == _LOCAL_SET:
                if imm >= n_locals:
                    raise f.error(f"unknown local {imm}", off)
                t = locals_[imm]
                if stack[-1] == t:
                    del stack[-1]
                else:
                    f.pop(t, off)
            elif kind == _PUSH:
                stack.append(entry[1])
                if len(stack) > limit:
                    f.note_height()
                    limit = f.max_height + len(ctrls)
            elif kind == _RULE:
                entry[1](f, imm, off)
                limit = f.max_height + len(ctrls)
            elif kind == _END_BLOCK:
                frame = ctrls[-1]
                height = frame.height
                if stack[height:] == frame.results and frame.op != _IF and len(ctrls) > 1:
                    del stack[height - 1]  # the mark; the results move down onto it
                    del ctrls[-1]
                else:
                    entry[1](f, imm, off)
                limit = f.max_height + len(ctrls)
            elif kind == _LOAD:
                if not has_memory:
                    raise f.error("unknown memory 0", off)
                if imm[0] > entry[1]:
                    raise f.error("alignment must not be larger than natural", off)
                uses_memory = True
                if stack[-1] == I32:
                    stack[-1] = entry[2]
                else:
                    f.apply(entry[3], entry[4], off)
            elif kind == _LOCAL_TEE:
                if imm >= n_locals:
                    raise f.error(f"unknown local {imm}", off)
                t = locals_[imm]
                if stack[-1] != t:
                    f.pop(t, off)
                    stack.append(t)
            elif kind == _DROP:
                if stack[-1] > 0:  # a value: not UNKNOWN (0) nor a frame's mark (-1)
                    del stack[-1]
                else:
                    f.pop(UNKNOWN, off)
            elif kind == _UN:
                if stack[-1] == entry[1]:
                    stack[-1] = entry[2]
                else:
                    f.apply(entry[3], entry[4], off)
            elif kind == _STORE:
                if not has_memory:
                    raise f.error("unknown memory 0", off)
                if imm[0] > entry[1]:
                    raise f.error("alignment must not be larger than natural", off)
                uses_memory = True
                if stack[-1] == entry[2] and stack[-2] == I32:
                    del stack[-2:]
                else:
                    f.apply(entry[3], entry[4], off)
            elif kind == _CALL:
                if imm >= len(funcs):
                    raise f.error(f"unknown function {imm}", off)
                params, results = funcs[imm]
                f.pop_vals(params, off)
                f.push_vals(results)
            else:  # _FIXED
                check = entry[1]
                if check is not None:
                    check(f, op, imm, off)
                f.apply(entry[2], entry[3], off)
    except KeyError:
        if op in dispatch:
            raise
        raise f.error(f"unknown instruction {op:#x}", off) from None
    final = body[-1]
    if len(ctrls) != 1:
        raise f.error("END opcode expected", final[2])
    f.close_frame(final[2])
    f.uses_memory = f.uses_memory or uses_memory


# -- module-level rules -------------------------------------------------------------


def _fail(message: str, offset: int | None = None) -> ValidationError:
    return ValidationError(message, offset=offset)


def _check_limits(limits: Limits, bound: int, too_big: str, offset: int | None) -> None:
    if limits.min > bound:
        raise _fail(too_big, offset)
    if limits.max is not None:
        if limits.max > bound:
            raise _fail(too_big, offset)
        if limits.min > limits.max:
            raise _fail("size minimum must not be greater than maximum", offset)


_MEMORY_TOO_BIG = "memory size must be at most 65536 pages (4GiB)"
_TABLE_TOO_BIG = "table size must be at most 2^32-1"

_CONST_OPS = {
    OP["i32.const"]: I32,
    OP["i64.const"]: I64,
    OP["f32.const"]: F32,
    OP["f64.const"]: F64,
    OP["v128.const"]: V128,
}
_REF_NULL, _REF_FUNC, _GLOBAL_GET = OP["ref.null"], OP["ref.func"], OP["global.get"]


def _const_expr(ctx: _Context, n_imported_globals: int, expr: ConstExpr, expected: int) -> None:
    """A constant expression of type ``expected``.

    ``global.get`` may name only imported immutable globals (Core 2.0: constant
    expressions are validated in a context holding just the imported globals).
    """
    types: list[int] = []
    instrs = expr.instrs
    if instrs and instrs[-1][0] == _END:
        instrs = instrs[:-1]
    for op, imm, off in instrs:
        t = _CONST_OPS.get(op)
        if t is not None:
            types.append(t)
        elif op == _REF_NULL:
            types.append(int(imm))
        elif op == _REF_FUNC:
            if imm >= len(ctx.funcs):
                raise _fail(f"unknown function {imm}", off)
            types.append(FUNCREF)
        elif op == _GLOBAL_GET:
            if imm >= n_imported_globals:
                raise _fail(f"unknown global {imm}", off)
            gtype, mutable = ctx.globals[imm]
            if mutable:
                raise _fail("constant expression required: global.get of a mutable global", off)
            types.append(gtype)
        else:
            raise _fail("constant expression required", off)
    if types != [expected]:
        raise _fail(
            f"type mismatch: constant expression of {_types_text(types)}, "
            f"expected [{_type_name(expected)}]",
            expr.offset,
        )


def _declared_refs(module: Module) -> set[int]:
    """The functions a ``ref.func`` in a body may name (the spec's ``C.refs``)."""
    refs = {e.index for e in module.exports if e.kind == ExternKind.FUNC}
    exprs: list[ConstExpr] = [g.init for g in module.globals]
    for seg in module.elements:
        exprs += seg.init
        if seg.offset_expr is not None:
            exprs.append(seg.offset_expr)
    for data in module.datas:
        if data.offset_expr is not None:
            exprs.append(data.offset_expr)
    for expr in exprs:
        for op, imm, _ in expr.instrs:
            if op == _REF_FUNC:
                refs.add(imm)
    return refs


def _validate_imports(module: Module) -> None:
    n_types = len(module.types)
    for imp in module.imports:
        desc: Any = imp.desc
        if imp.kind == ExternKind.FUNC:
            if desc >= n_types:
                raise _fail(f"unknown type {desc}")
        elif imp.kind == ExternKind.TABLE:
            _check_limits(desc.limits, 0xFFFF_FFFF, _TABLE_TOO_BIG, None)
        elif imp.kind == ExternKind.MEMORY:
            _check_limits(desc.limits, MAX_PAGES, _MEMORY_TOO_BIG, None)
            if desc.shared and desc.limits.max is None:
                raise _fail("shared memory must have maximum")


_KIND_WORDS = {
    ExternKind.FUNC: "function",
    ExternKind.TABLE: "table",
    ExternKind.MEMORY: "memory",
    ExternKind.GLOBAL: "global",
}


def _validate_exports(module: Module, ctx: _Context) -> None:
    sizes = {
        ExternKind.FUNC: len(ctx.funcs),
        ExternKind.TABLE: len(ctx.tables),
        ExternKind.MEMORY: ctx.memories,
        ExternKind.GLOBAL: len(ctx.globals),
    }
    seen: set[str] = set()
    for exp in module.exports:
        if exp.name in seen:
            raise _fail(f"duplicate export name {exp.name!r}")
        seen.add(exp.name)
        if exp.index >= sizes[exp.kind]:
            raise _fail(f"unknown {_KIND_WORDS[exp.kind]} {exp.index}")


def _validate_segments(module: Module, ctx: _Context, n_imported_globals: int) -> None:
    for seg in module.elements:
        etype = int(seg.elem_type)
        if seg.mode is SegmentMode.ACTIVE:
            if seg.table >= len(ctx.tables):
                raise _fail(f"unknown table {seg.table}", seg.offset)
            if seg.offset_expr is None:
                raise _fail("active element segment without offset", seg.offset)
            _const_expr(ctx, n_imported_globals, seg.offset_expr, I32)
            if ctx.tables[seg.table] != etype:
                raise _fail(
                    f"type mismatch: {ValueType(etype)} segment for table {seg.table}", seg.offset
                )
        for expr in seg.init:
            _const_expr(ctx, n_imported_globals, expr, etype)
    for data in module.datas:
        if data.mode is SegmentMode.ACTIVE:
            if data.memory >= ctx.memories:
                raise _fail(f"unknown memory {data.memory}", data.offset)
            if data.offset_expr is None:
                raise _fail("active data segment without offset", data.offset)
            _const_expr(ctx, n_imported_globals, data.offset_expr, I32)


def validate_module(module: Module, bodies: bool = True) -> None:
    """Check ``module`` against the spec's validation rules; raise ``ValidationError``.

    Also fills each ``Code``'s ``max_stack`` and ``uses_memory``. With ``bodies=False``
    only what lies outside the function bodies is checked: compile workers check the
    bodies (``validate_bodies``), each its own functions.
    """
    ctx = _module_context(module)
    if bodies:
        _validate_codes(ctx, module, range(module.num_imported_funcs, len(ctx.funcs)))


def validate_bodies(module: Module, indexes: Iterable[int]) -> None:
    """Check the bodies of the defined functions ``indexes`` (function indices, imports
    first) of a module that passed ``validate_module(module, bodies=False)``; raise the
    ``ValidationError`` of the first invalid one."""
    ctx = _Context(module)
    ctx.funcs = [ctx.types[i] for i in module.func_type_indices()]
    ctx.refs = _declared_refs(module)
    _validate_codes(ctx, module, indexes)


def _module_context(module: Module) -> _Context:
    """Validate everything but the function bodies; the context the bodies are checked in."""
    ctx = _Context(module)
    _validate_imports(module)
    n_types = len(module.types)
    for type_index in module.functions:
        if type_index >= n_types:
            raise _fail(f"unknown type {type_index}")
    ctx.funcs = [ctx.types[i] for i in module.func_type_indices()]
    for table in module.tables:
        _check_limits(table.limits, 0xFFFF_FFFF, _TABLE_TOO_BIG, None)
    if ctx.memories > 1:
        raise _fail("multiple memories")
    for mem in module.memories:
        _check_limits(mem.limits, MAX_PAGES, _MEMORY_TOO_BIG, None)
        if mem.shared and mem.limits.max is None:
            raise _fail("shared memory must have maximum")
    n_imported_globals = len(ctx.globals) - len(module.globals)
    for g in module.globals:
        _const_expr(ctx, n_imported_globals, g.init, int(g.type.value_type))
    _validate_exports(module, ctx)
    if module.start is not None:
        if module.start >= len(ctx.funcs):
            raise _fail(f"unknown function {module.start}")
        params, results = ctx.funcs[module.start]
        if params or results:
            raise _fail(f"start function {module.start} must have type [] -> []")
    _validate_segments(module, ctx, n_imported_globals)
    ctx.refs = _declared_refs(module)
    if len(module.codes) != len(module.functions):
        raise _fail("function and code section have inconsistent lengths")
    return ctx


def _validate_codes(ctx: _Context, module: Module, indexes: Iterable[int]) -> None:
    first = module.num_imported_funcs
    for index in indexes:
        code = module.codes[index - first]
        params, results = ctx.funcs[index]
        total = len(params) + sum(count for count, _ in code.local_runs)
        locals_: Any
        if total > _BIG_LOCALS:
            locals_ = _BigLocals(params, code.local_runs)
        else:
            locals_ = list(params)
            for count, vt in code.local_runs:
                locals_ += [int(vt)] * count
        f = _Func(ctx, index, locals_, results)
        _validate_body(f, code.body, code.end_offset or code.offset)
        code.max_stack = f.max_height
        code.uses_memory = f.uses_memory
