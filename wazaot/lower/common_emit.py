"""Emitters shared by every architecture: the instructions whose machine code takes the
same steps everywhere, written over the hooks of the architecture's
:class:`~wazaot.machinst.emit.EmitDriver` (a register copy, a jump, a conditional
branch, a float constant...).

Each architecture's emitter table includes them (``EmitterTable(COMMON_EMITTERS)`` in
``<arch>/emit.py``) and adds one emitter for each of its own instructions and for the
shared instructions whose code differs (loads, stores, calls, exits...). Like every
emitter they receive the allocated registers in the order of the instruction's
``operands()`` visitor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..machinst import PReg
from ..machinst import pseudo as P
from ..machinst.emit import EmitDriver, EmitterTable
from .common_inst import Condition, FConst, FloatCond, IntCond, JmpCond, MovRR, NonZero, VConst
from .vector import VecOp

__all__ = ["COMMON_EMITTERS", "cond_regs"]

COMMON_EMITTERS = EmitterTable()
emits = COMMON_EMITTERS.register

Driver = EmitDriver[Any]

_MASK64 = (1 << 64) - 1


def cond_regs(cond: Condition) -> int:
    """How many of an instruction's registers its condition takes (they come first)."""
    if type(cond) is IntCond:
        return 1 if cond.rhs is None else 2
    assert type(cond) is NonZero or type(cond) is FloatCond
    return 1 if type(cond) is NonZero else 2


@emits(MovRR)
def _mov_rr(e: Driver, inst: MovRR, regs: Sequence[PReg]) -> None:
    src, dst = regs
    if src is not dst:
        e.move_reg(dst, src)


@emits(FConst)
def _fconst(e: Driver, inst: FConst, regs: Sequence[PReg]) -> None:
    e.load_fconst(inst.prec, regs[0], inst.bits)


@emits(VConst)
def _vconst(e: Driver, inst: VConst, regs: Sequence[PReg]) -> None:
    dst = regs[0]
    lo, hi = inst.bits & _MASK64, inst.bits >> 64 & _MASK64
    if lo:
        e.vector_low(dst, lo)
    else:
        e.vector_zero(dst)
    if hi:
        e.vector_high(dst, hi)


@emits(VecOp)
def _vec_op(e: Driver, inst: VecOp, regs: Sequence[PReg]) -> None:
    n, t = len(inst.srcs), len(inst.temps)
    dst = regs[n + t] if inst.dst is not None else None
    inst.impl.emit(e, inst, dst, regs[:n], regs[n : n + t])


@emits(P.CanonNaN)
def _canon_nan(e: Driver, inst: P.CanonNaN, regs: Sequence[PReg]) -> None:
    src, dst = regs
    assert dst is src
    ordered = e.asm.new_label()
    e.jump_if_ordered(inst.prec, dst, ordered)  # not a NaN: unchanged
    e.load_fconst(inst.prec, dst, P.CANONICAL_NAN[inst.prec])
    e.asm.bind(ordered)


@emits(JmpCond)
def _jmp_cond(e: Driver, inst: JmpCond, regs: Sequence[PReg]) -> None:
    if inst.taken == e.next_block:
        e.branch(inst.cond, regs, False, e.block_labels[inst.not_taken])
    else:
        e.branch(inst.cond, regs, True, e.block_labels[inst.taken])
        e.jump_to_block(inst.not_taken)


@emits(P.Jmp)
def _jmp(e: Driver, inst: P.Jmp, regs: Sequence[PReg]) -> None:
    e.jump_to_block(inst.target)


@emits(P.Ret)
def _ret(e: Driver, inst: P.Ret, regs: Sequence[PReg]) -> None:
    e.epilogue()


@emits(P.TrapInst)
def _trap(e: Driver, inst: P.TrapInst, regs: Sequence[PReg]) -> None:
    e.jump(e.trap(inst.code))
