"""arm64 SIMD: the implementations of the wasm SIMD instructions (:data:`SIMD`), in
NEON.

The shared lowering (``wazaot.lower.vector``) turns each SIMD instruction into one
``VecOp`` carrying the implementation registered here for its name. NEON
instructions are three-address, so most implementations leave dst free
(``dst="late"``: it may share a register with a source).

Implementations are registered by :func:`implement`, which hands them the allocated
registers as :class:`~wazaot.arm64.regs.Vec` and :class:`~wazaot.arm64.regs.Gpr`
(by class), or, for the instructions that are one NEON instruction, by
:func:`implement_table` (wasm name -> operation). The helpers below are the short
sequences both files use: copies, NOT, the bitwise select, constants in registers.
v30 and v31 are the emitters' vector scratch registers (never allocated), x16 and
x17 the integer ones; constants are built in registers from immediates (through x16)
rather than loaded from memory.

The implementations are in ``simd_int.py`` (integer lanes: arithmetic, comparisons,
shifts, narrowing and widening, ``bitmask``/``all_true``) and ``simd_float.py`` (float
lanes and conversions, lane moves, shuffles, the bitwise instructions); ``backend.py``
imports both, which completes the table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..lower.vector import LANE_BITS, ConstsFn, DstMode, VecOp, VectorEmitFn, VectorTable
from ..machinst import PReg, RegClass
from .abi import gpr, vec
from .emit import Emitter
from .encoding_fp import FpIntOp, fp_int, vec_mov
from .encoding_simd import (
    MiscOp,
    SameOp,
    ShiftOp,
    VecFpOp1,
    VecFpOp2,
    VecLogicOp,
    simd_shift_imm,
    simd_three_same,
    simd_two_misc,
    vec_fp1,
    vec_fp3,
    vec_logic,
)
from .encoding_simd_lanes import vec_ins_gpr
from .regs import Gpr, Vec, x16
from .sequences import mov_imm

__all__ = [
    "LANE_BITS", "SIMD", "VecEmit", "const", "fmov_to_gpr", "implement", "implement_table",
    "invert", "lane_bits", "lane_size", "misc", "move", "same", "select", "shift",
]  # fmt: skip

SIMD = VectorTable("arm64")
"""The arm64 implementation of every SIMD instruction, by wasm name."""


def lane_bits(inst: VecOp) -> int:
    """The lane width of ``inst``'s shape (the prefix of its name)."""
    return LANE_BITS[inst.name[:5]]


def lane_size(inst: VecOp) -> int:
    """The ``size`` field of ``inst``'s lanes: 0 for i8x16 ... 3 for i64x2 and f64x2."""
    return lane_bits(inst).bit_length() - 4


# -- registration ---------------------------------------------------------------------------

VecEmit = Callable[[Emitter, VecOp, Any, Sequence[Any], Sequence[Any]], None]
"""An implementation: ``fn(e, inst, dst, srcs, temps)`` with the registers as
:class:`Vec` or :class:`Gpr` by class."""


def _reg(p: PReg) -> Vec | Gpr:
    return gpr(p) if p.cls is RegClass.INT else vec(p)


def implement(*names: str, dst: DstMode = "late", temps: str = "", imm_arg: int | None = None,
              consts: ConstsFn | None = None) -> Callable[[VecEmit], VecEmit]:  # fmt: skip
    """Register ``fn`` (a :data:`VecEmit`) for ``names`` in :data:`SIMD`; ``dst``,
    ``temps``, ``imm_arg`` and ``consts`` are those of :meth:`VectorTable.register`."""

    def register(fn: VecEmit) -> VecEmit:
        def emit(e: Emitter, inst: VecOp, d: PReg | None, srcs: Sequence[PReg],
                 temps: Sequence[PReg]) -> None:  # fmt: skip
            assert d is not None
            fn(e, inst, _reg(d), [_reg(s) for s in srcs], [_reg(t) for t in temps])

        emit.__name__ = emit.__qualname__ = fn.__name__
        adapted: VectorEmitFn = emit
        SIMD.register(*names, temps=temps, dst=dst, imm_arg=imm_arg, consts=consts)(adapted)
        return fn

    return register


Operation = SameOp | VecFpOp2 | VecLogicOp | MiscOp | VecFpOp1
"""One NEON instruction on whole registers: "three same" (integer, float, bitwise) or
"two-register miscellaneous" (integer, float)."""


def _one_instruction(op: Operation, bits: int, d: Vec, a: Vec, b: Vec | None) -> int:
    """The word of ``d := a op b`` (or ``d := op(a)``) on lanes of ``bits``."""
    size = bits.bit_length() - 4
    if isinstance(op, SameOp):
        assert b is not None
        return simd_three_same(op.u, size, op.opcode, True, d, a, b)
    if isinstance(op, VecFpOp2):
        assert b is not None
        return vec_fp3(op, True, bits, d, a, b)
    if isinstance(op, VecLogicOp):
        assert b is not None
        return vec_logic(op, True, d, a, b)
    if isinstance(op, MiscOp):
        return simd_two_misc(op.u, size, op.opcode, True, d, a)
    return vec_fp1(op, True, bits, d, a)


def implement_table(table: Mapping[str, Operation], swapped: bool = False) -> None:
    """Register the instructions of ``table`` (wasm name -> operation) that are one
    NEON instruction on the lanes of their shape: ``d := a op b``, ``d := b op a``
    with ``swapped`` (``lt`` as ``gt``), or ``d := op(a)`` for the one-operand
    classes. ``d`` is free (``dst="late"``): the instructions read their sources
    first."""

    def one_instruction(e: Emitter, inst: VecOp, d: Vec, srcs: Sequence[Vec],
                        temps: Sequence[Vec]) -> None:  # fmt: skip
        a, b = srcs[0], srcs[1] if len(srcs) > 1 else None
        if swapped:
            a, b = srcs[1], srcs[0]
        bits = LANE_BITS.get(inst.name[:5], 8)  # v128: the bitwise ones, on bytes
        e.asm.emit(_one_instruction(table[inst.name], bits, d, a, b))

    implement(*table)(one_instruction)


# -- instructions by class ---------------------------------------------------------------------


def same(e: Emitter, op: SameOp, size: int, rd: Vec, rn: Vec, rm: Vec) -> None:
    """``op`` of "three same" on lanes of ``size`` (0 for bytes ... 3), 128 bits."""
    e.asm.emit(simd_three_same(op.u, size, op.opcode, True, rd, rn, rm))


def misc(e: Emitter, op: MiscOp, size: int, rd: Vec, rn: Vec, q: bool = True) -> None:
    """``op`` of "two-register miscellaneous" on lanes of ``size``."""
    e.asm.emit(simd_two_misc(op.u, size, op.opcode, q, rd, rn))


def shift(e: Emitter, op: ShiftOp, esize: int, count: int, rd: Vec, rn: Vec,
          q: bool = True) -> None:  # fmt: skip
    """``op`` of "shift by immediate" on lanes of ``esize`` bits."""
    e.asm.emit(simd_shift_imm(op.u, op.opcode, q, esize, count, rd, rn))


def fmov_to_gpr(e: Emitter, size: int, rd: Gpr, rn: Vec) -> None:
    """``fmov wd, sn`` / ``fmov xd, dn``: the low 32 or 64 bits of ``rn``."""
    e.asm.emit(fp_int(FpIntOp.fmov_to_gpr, size, size, rd, rn))


# -- short sequences ------------------------------------------------------------------------


def move(e: Emitter, d: Vec, a: Vec) -> None:
    """``d := a`` (nothing when they are one register)."""
    if d is not a:
        e.asm.emit(vec_mov(d, a))


def invert(e: Emitter, d: Vec, a: Vec) -> None:
    """``d := ~a``: NOT (printed ``mvn``)."""
    misc(e, MiscOp.not_, 0, d, a)


def select(e: Emitter, d: Vec, mask: Vec, if_true: Vec, if_false: Vec) -> None:
    """``d :=`` ``if_true`` where ``mask`` has ones, ``if_false`` where it has zeros
    (BSL on the mask, or BIT/BIF on the source ``d`` already is)."""
    asm = e.asm
    if d is mask:
        asm.emit(vec_logic(VecLogicOp.bsl, True, d, if_true, if_false))
    elif d is if_true:
        asm.emit(vec_logic(VecLogicOp.bif, True, d, if_false, mask))
    elif d is if_false:
        asm.emit(vec_logic(VecLogicOp.bit, True, d, if_true, mask))
    else:
        asm.emit(vec_mov(d, mask))
        asm.emit(vec_logic(VecLogicOp.bsl, True, d, if_true, if_false))


def const(e: Emitter, d: Vec, value: int) -> None:
    """``d :=`` the 128-bit ``value``, built through x16: FMOV of the low half (which
    clears the high one), INS of the high half unless it is zero."""
    low, high = value & (1 << 64) - 1, value >> 64
    mov_imm(e.asm, 64, x16, low)
    e.asm.emit(fp_int(FpIntOp.fmov_from_gpr, 64, 64, d, x16))
    if high:
        mov_imm(e.asm, 64, x16, high)
        e.asm.emit(vec_ins_gpr(64, d, 1, x16))
