"""x86-64 machine instructions on virtual registers (the input of the allocator).

Each class is named by its operand format and has one ``operands`` visitor; the
emitter (``emit.py``) reads the allocated registers back in the same order. By
convention every visitor declares its uses first, then its defs, in field order.

Conditions are small operand groups of their own (``IntCond``, ``FloatCond``,
``NonZero``) so that a comparison and its consumer (a branch, ``setcc``, ``cmov``)
are one instruction: the flags never have to survive between two instructions,
whatever moves the allocator puts there.

Pseudo-instructions (``DivRem``, ``WasmLoad``, ``Seq``...) expand to several machine
instructions, possibly with an out-of-line trap; they keep whatever temporaries
they need as early defs so the allocator keeps them apart from the inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..machinst import ConstraintKind, Operand, OperandCollector, OperandKind, OperandPos, PReg
from ..machinst import Reg as R
from ..traps import TrapCode
from ..vmctx import Builtin
from .abi import CALL_CLOBBERS as _CALL_CLOBBERS
from .abi import EXIT_CLOBBERS as _EXIT_CLOBBERS
from .abi import rax as _RAX
from .abi import rcx as _RCX
from .abi import rdi as _RDI
from .abi import rdx as _RDX
from .abi import rsi as _RSI
from .encoding import Cond


class _Inst:
    """Defaults of the ``MachInst`` protocol."""

    __slots__ = ()

    def is_move(self) -> tuple[R, R] | None:
        return None

    def is_terminator(self) -> bool:
        return False


class _Term(_Inst):
    __slots__ = ()

    def is_terminator(self) -> bool:
        return True


def early_fixed_def(c: OperandCollector, reg: R, preg: PReg) -> None:
    c.operand(Operand(reg, OperandKind.DEF, OperandPos.EARLY, ConstraintKind.FIXED, preg))


# -- conditions --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntCond:
    """``cmp lhs, rhs`` (or ``cmp lhs, imm``) then condition ``cc``."""

    cc: Cond
    size: int
    lhs: R
    rhs: R | None = None
    imm: int = 0

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        if self.rhs is not None:
            c.reg_use(self.rhs)


@dataclass(frozen=True, slots=True)
class NonZero:
    """``test reg, reg`` then ``ne`` (``negate``: ``e``)."""

    reg: R
    size: int = 32
    negate: bool = False

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.reg)


@dataclass(frozen=True, slots=True)
class FloatCond:
    """A wasm float comparison: ``op`` in eq ne lt gt le ge, ``prec`` 32 or 64."""

    op: str
    prec: int
    lhs: R
    rhs: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_use(self.rhs)


Condition = IntCond | NonZero | FloatCond


# -- moves and constants -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MovRR(_Inst):
    """A register copy of either class (``mov r64, r64`` or ``movaps``)."""

    dst: R
    src: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)

    def is_move(self) -> tuple[R, R] | None:
        return (self.dst, self.src)


@dataclass(frozen=True, slots=True)
class MovImm(_Inst):
    """dst := imm (``size`` 32 zero-extends)."""

    size: int
    dst: R
    imm: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class FConst(_Inst):
    """An f32/f64 constant from its bit pattern."""

    prec: int
    dst: R
    bits: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_def(self.dst)


# -- integer arithmetic ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AluRRR(_Inst):
    """dst := lhs op rhs, op in add sub and or xor imul (two-address: dst reuses lhs)."""

    op: str
    size: int
    dst: R
    lhs: R
    rhs: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_use(self.rhs)
        c.reg_reuse_def(self.dst, 0)


@dataclass(frozen=True, slots=True)
class AluRRImm(_Inst):
    """dst := lhs op imm (imm fits a sign-extended 32-bit immediate)."""

    op: str
    size: int
    dst: R
    lhs: R
    imm: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_reuse_def(self.dst, 0)


@dataclass(frozen=True, slots=True)
class MulImm(_Inst):
    """dst := src * imm (``imul r, r/m, imm32``: three-address)."""

    size: int
    dst: R
    src: R
    imm: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class ShiftRR(_Inst):
    """dst := lhs op count, op in shl shr sar rol ror; the count in cl."""

    op: str
    size: int
    dst: R
    lhs: R
    count: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_fixed_use(self.count, _RCX)  # type: ignore[arg-type]
        c.reg_reuse_def(self.dst, 0)


@dataclass(frozen=True, slots=True)
class ShiftImm(_Inst):
    op: str
    size: int
    dst: R
    lhs: R
    imm: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_reuse_def(self.dst, 0)


@dataclass(frozen=True, slots=True)
class Unary(_Inst):
    """dst := op src, op in neg not (two-address)."""

    op: str
    size: int
    dst: R
    src: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_reuse_def(self.dst, 0)


@dataclass(frozen=True, slots=True)
class DivRem(_Inst):
    """Checked division: ``kind`` in div_s div_u rem_s rem_u. lhs in rax; the quotient
    comes out in rax, the remainder in rdx (defined early, so rhs avoids rdx)."""

    kind: str
    size: int
    dst: R
    lhs: R
    rhs: R
    scratch: R  # div: an early def pinned to rdx (keeps rhs out of it); rem: unused

    def operands(self, c: OperandCollector) -> None:
        c.reg_fixed_use(self.lhs, _RAX)  # type: ignore[arg-type]
        c.reg_use(self.rhs)
        if self.kind.startswith("div"):
            early_fixed_def(c, self.scratch, _RDX)
            c.reg_fixed_def(self.dst, _RAX)  # type: ignore[arg-type]
        else:
            early_fixed_def(c, self.dst, _RDX)
            c.reg_clobbers([_RAX])


@dataclass(frozen=True, slots=True)
class Extend(_Inst):
    """Sign or zero extension (``movsx``/``movzx``/``movsxd``/``mov r32, r32``):
    ``from_bits`` of src to ``size`` bits of dst."""

    signed: bool
    from_bits: int
    size: int
    dst: R
    src: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class FAlu(_Inst):
    """dst := lhs op rhs for op in add sub mul div (``addss``/``addsd``...): two-address."""

    op: str
    prec: int
    dst: R
    lhs: R
    rhs: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_use(self.rhs)
        c.reg_reuse_def(self.dst, 0)


@dataclass(frozen=True, slots=True)
class Seq(_Inst):
    """A sequence of ``sequences.py`` that computes ``dst`` from ``srcs``.

    ``name`` selects the emitting function, ``args`` are its non-register
    arguments; ``fixed`` pins sources (by position) to registers; temporaries are
    early defs so they differ from every source and from dst.
    """

    name: str
    args: tuple[Any, ...]
    dst: R
    srcs: tuple[R, ...]
    temps: tuple[R, ...] = ()

    def operands(self, c: OperandCollector) -> None:
        for s in self.srcs:
            c.reg_use(s)
        for t in self.temps:
            c.reg_early_def(t)
        c.reg_def(self.dst)


# -- conditions consumed ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetCond(_Inst):
    """dst := cond ? 1 : 0 (an i32)."""

    cond: Condition
    dst: R

    def operands(self, c: OperandCollector) -> None:
        self.cond.operands(c)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class Select(_Inst):
    """dst := cond ? a : b, for either register class (a cmov or a short branch)."""

    cond: Condition
    dst: R
    a: R
    b: R

    def operands(self, c: OperandCollector) -> None:
        self.cond.operands(c)
        c.reg_use(self.a)
        c.reg_use(self.b)
        c.reg_early_def(self.dst)


# -- memory ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WasmLoad(_Inst):
    """A bounds-checked linear-memory load. ``kind``: (bytes, signed, dst bits,
    float) as in ``lower_mem.LOADS``."""

    kind: tuple[int, bool, int, bool]
    dst: R
    addr: R
    offset: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.addr)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class WasmStore(_Inst):
    """A bounds-checked linear-memory store of ``width`` bytes (float: from an XMM)."""

    width: int
    is_float: bool
    src: R
    addr: R
    offset: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_use(self.addr)


@dataclass(frozen=True, slots=True)
class LoadCtx(_Inst):
    """dst := the 64-bit word at [module context + disp]; with ``deref``, then the
    ``width``-byte value at [that + field] (a global's cell, a table's size)."""

    dst: R
    disp: int
    deref: bool = False
    width: int = 8
    field: int = 0

    def operands(self, c: OperandCollector) -> None:
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class StoreGlobal(_Inst):
    """[[module context + disp]] := src (a global's cell)."""

    src: R
    disp: int
    width: int = 8

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)


@dataclass(frozen=True, slots=True)
class TableAccess(_Inst):
    """table.get (dst) or table.set (src) with the bounds check."""

    table_disp: int
    index: R
    dst: R | None = None
    src: R | None = None

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.index)
        if self.src is not None:
            c.reg_use(self.src)
        if self.dst is not None:
            c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class MemCopy(_Inst):
    """memory.copy of ``n`` bytes from ``src`` to ``dst`` (i32 addresses), bounds-checked,
    with ``rep movsb``: the operands travel in rdi, rsi and rcx, which it consumes."""

    dst: R
    src: R
    n: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_fixed_use(self.dst, _RDI)  # type: ignore[arg-type]
        c.reg_fixed_use(self.src, _RSI)  # type: ignore[arg-type]
        c.reg_fixed_use(self.n, _RCX)  # type: ignore[arg-type]
        c.reg_clobbers([_RDI, _RSI, _RCX])


@dataclass(frozen=True, slots=True)
class MemFill(_Inst):
    """memory.fill of ``n`` bytes at ``dst`` with the low byte of ``value``,
    bounds-checked, with ``rep stosb``: rdi, rax (al) and rcx, which it consumes."""

    dst: R
    value: R
    n: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_fixed_use(self.dst, _RDI)  # type: ignore[arg-type]
        c.reg_fixed_use(self.value, _RAX)  # type: ignore[arg-type]
        c.reg_fixed_use(self.n, _RCX)  # type: ignore[arg-type]
        c.reg_clobbers([_RDI, _RCX])


@dataclass(frozen=True, slots=True)
class StackSlot(_Inst):
    """A move between a register and a stack slot of the calling convention:
    ``area`` "in" ([rbp + 16 + 8k]) or "out" ([rsp + 8k]); ``store`` direction."""

    area: str
    store: bool
    reg: R
    slot: int

    def operands(self, c: OperandCollector) -> None:
        if self.store:
            c.reg_use(self.reg)
        else:
            c.reg_def(self.reg)


# -- calls and exits ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Call(_Inst):
    """A call. ``kind``: "direct" (``target`` a function index of this module),
    "import" (``target`` the funcs slot of the module context) or "indirect"
    (``target`` the table descriptor slot, ``index`` the element, ``type_id`` checked).
    Arguments and results travel in fixed registers."""

    kind: str
    target: int
    args: tuple[tuple[R, PReg], ...]
    results: tuple[tuple[R, PReg], ...]
    index: R | None = None
    type_id: int = 0

    def operands(self, c: OperandCollector) -> None:
        for reg, preg in self.args:
            c.reg_fixed_use(reg, preg)  # type: ignore[arg-type]
        if self.index is not None:
            c.reg_use(self.index)
        for reg, preg in self.results:
            c.reg_fixed_def(reg, preg)  # type: ignore[arg-type]
        c.reg_clobbers(_CALL_CLOBBERS)


@dataclass(frozen=True, slots=True)
class Exit(_Inst):
    """Leave to the runtime for builtin ``builtin`` with ``args`` (stored in the
    execution context's args[]); ``dst`` receives args[0] afterwards."""

    builtin: Builtin
    args: tuple[R, ...]
    dst: R | None = None

    def operands(self, c: OperandCollector) -> None:
        for a in self.args:
            c.reg_use(a)
        if self.dst is not None:
            c.reg_def(self.dst)
        c.reg_clobbers(_EXIT_CLOBBERS)


# -- terminators ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Jmp(_Term):
    target: int

    def operands(self, c: OperandCollector) -> None:
        pass


@dataclass(frozen=True, slots=True)
class JmpCond(_Term):
    cond: Condition
    taken: int
    not_taken: int

    def operands(self, c: OperandCollector) -> None:
        self.cond.operands(c)


@dataclass(frozen=True, slots=True)
class JmpTable(_Term):
    index: R
    targets: tuple[int, ...]
    default: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.index)


@dataclass(frozen=True, slots=True)
class Ret(_Term):
    values: tuple[tuple[R, PReg], ...]

    def operands(self, c: OperandCollector) -> None:
        for reg, preg in self.values:
            c.reg_fixed_use(reg, preg)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class TrapInst(_Term):
    code: TrapCode

    def operands(self, c: OperandCollector) -> None:
        pass
