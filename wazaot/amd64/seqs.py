"""Adapters from ``Seq`` pseudo-instructions (and ``DivRem``) to ``sequences.py``.

``SEQUENCES[name](emitter, args, dst, srcs, temps)`` emits the sequence a ``Seq``
instruction names, with its allocated registers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..machinst import PReg, RegClass
from . import sequences as S
from .abi import gpr, xmm

SeqFn = Callable[[Any, tuple, PReg, Sequence[PReg], Sequence[PReg]], None]
SEQUENCES: dict[str, SeqFn] = {}


def div_rem(e: Any, kind: str, size: int, dst: Any, lhs: Any, rhs: Any) -> None:
    S.div_rem(e.asm, kind, size, dst, lhs, rhs, e.trap)  # type: ignore[arg-type]


def _bit_count(op: str) -> SeqFn:
    native, fallback = {
        "clz": (S.clz_native, S.clz_fallback),
        "ctz": (S.ctz_native, S.ctz_fallback),
        "popcnt": (S.popcnt_native, S.popcnt_fallback),
    }[op]

    def emit(e: Any, args: tuple, dst: PReg, srcs: Sequence[PReg], temps: Sequence[PReg]) -> None:
        size, has_native = args
        (native if has_native else fallback)(e.asm, size, gpr(dst), gpr(srcs[0]))

    return emit


for _op in ("clz", "ctz", "popcnt"):
    SEQUENCES[_op] = _bit_count(_op)


def _float_op(fn: Callable[..., None]) -> SeqFn:
    def emit(e: Any, args: tuple, dst: PReg, srcs: Sequence[PReg], temps: Sequence[PReg]) -> None:
        (prec,) = args
        fn(e.asm, prec, xmm(dst), *[xmm(s) for s in srcs])

    return emit


for _name, _fn in {
    "fmin": S.fmin, "fmax": S.fmax, "fcopysign": S.fcopysign, "fsqrt": S.fsqrt,
    "fceil": S.fceil, "ffloor": S.ffloor, "ftrunc": S.ftrunc, "fnearest": S.fnearest,
    "fneg": S.fneg, "fabs": S.fabs,
}.items():  # fmt: skip
    SEQUENCES[_name] = _float_op(_fn)


def _trunc(e: Any, args: tuple, dst: PReg, srcs: Sequence[PReg], temps: Sequence[PReg]) -> None:
    src_prec, dst_size, signed, saturating = args
    if saturating:
        S.trunc_sat(e.asm, src_prec, dst_size, signed, gpr(dst), xmm(srcs[0]))
    else:
        S.trunc_checked(e.asm, src_prec, dst_size, signed, gpr(dst), xmm(srcs[0]), e.trap)


def _convert(e: Any, args: tuple, dst: PReg, srcs: Sequence[PReg], temps: Sequence[PReg]) -> None:
    src_size, signed, dst_prec = args
    S.convert(e.asm, src_size, signed, dst_prec, xmm(dst), gpr(srcs[0]))


def _demote(e: Any, args: tuple, dst: PReg, srcs: Sequence[PReg], temps: Sequence[PReg]) -> None:
    S.demote(e.asm, xmm(dst), xmm(srcs[0]))


def _promote(e: Any, args: tuple, dst: PReg, srcs: Sequence[PReg], temps: Sequence[PReg]) -> None:
    S.promote(e.asm, xmm(dst), xmm(srcs[0]))


def _reinterpret(e: Any, args: tuple, dst: PReg, srcs: Sequence[PReg],
                 temps: Sequence[PReg]) -> None:  # fmt: skip
    (dst_ty,) = args
    size = 32 if dst_ty in ("i32", "f32") else 64
    S.reinterpret(e.asm, size, _any_reg(dst), _any_reg(srcs[0]))


def _any_reg(p: PReg) -> Any:
    return gpr(p) if p.cls is RegClass.INT else xmm(p)


SEQUENCES.update({
    "trunc": _trunc, "convert": _convert, "demote": _demote, "promote": _promote,
    "reinterpret": _reinterpret,
})  # fmt: skip
