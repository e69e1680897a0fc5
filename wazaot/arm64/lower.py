"""arm64 instruction selection: the ``Backend`` the shared frontend drives.

``Arm64Lowering`` builds a ``VCode`` of ``inst.py`` instructions on virtual registers
for one function. The bookkeeping, the calling convention, calls, moves, constants,
conditions and most rules are shared (:class:`wazaot.lower.isel.Lowering`,
``wazaot.lower.common_rules``); this class gives them arm64's tables (its condition
codes and the instructions of each shared format) and says what is arm64's own: which
constants ``cmp``/``cmn`` and the ALU take as immediates (12-bit add/sub immediates,
bitmask immediates for the logical operations). The rules that are arm64's alone live
in ``lower_int.py``, ``lower_float.py`` and ``lower_mem.py`` and are found through
``rules.RULES``.
"""

from __future__ import annotations

from functools import partial

from ..lower.backend import Operand, signed_const
from ..lower.isel import CompileEnv, LoweredFunction, Lowering
from ..lower.ops import Operation
from ..machinst import MachInst, VReg
from ..machinst.condcodes import IntCC
from .abi import CALL_CONV
from .args import Cond
from .imms import Imm12, LogicalImm
from .inst import (
    AluOp,
    AluRRImm12,
    AluRRImmLogic,
    AluRRR,
    Clz,
    Ctz,
    FAlu,
    FAluOp,
    Popcnt,
    Select,
    ShiftImm,
    ShiftOp,
    ShiftRR,
)
from .rules import RULES
from .simd import SIMD

__all__ = ["Arm64Lowering", "CompileEnv", "LoweredFunction"]

INT_CC = {
    IntCC.EQ: Cond.eq, IntCC.NE: Cond.ne, IntCC.LT_S: Cond.lt, IntCC.LT_U: Cond.lo,
    IntCC.GT_S: Cond.gt, IntCC.GT_U: Cond.hi, IntCC.LE_S: Cond.le, IntCC.LE_U: Cond.ls,
    IntCC.GE_S: Cond.ge, IntCC.GE_U: Cond.hs,
}  # fmt: skip
"""The arm64 condition code of each integer condition (after ``cmp lhs, rhs``)."""
ALU_OPS = {Operation.ADD: AluOp.ADD, Operation.SUB: AluOp.SUB, Operation.AND: AluOp.AND,
           Operation.OR: AluOp.ORR, Operation.XOR: AluOp.EOR, Operation.MUL: AluOp.MUL}  # fmt: skip
SHIFT_OPS = {
    (Operation.SHL, False): ShiftOp.LSL, (Operation.SHR, True): ShiftOp.ASR,
    (Operation.SHR, False): ShiftOp.LSR, (Operation.ROTL, False): ShiftOp.ROL,
    (Operation.ROTR, False): ShiftOp.ROR,
}  # fmt: skip
BIT_COUNTS = {Operation.CLZ: Clz, Operation.CTZ: Ctz, Operation.POPCNT: Popcnt}
# fmin/fmax are wasm's min and max (NaN in, NaN out; -0 < +0): one instruction each.
FLOAT_BINARY = {operation: partial(FAlu, FAluOp[operation.name])
                for operation in (Operation.ADD, Operation.SUB, Operation.MUL, Operation.DIV,
                                  Operation.MIN, Operation.MAX)}  # fmt: skip
_LOGIC = (Operation.AND, Operation.OR, Operation.XOR)


class Arm64Lowering(Lowering):
    """Implements ``wazaot.lower.backend.Backend`` for arm64."""

    call_conv = CALL_CONV
    rules = RULES
    isa_name = "arm64"
    int_cc = INT_CC
    select_inst = Select
    alu_rrr = AluRRR
    alu_ops = ALU_OPS
    shift_rr = ShiftRR
    shift_imm = ShiftImm
    shift_ops = SHIFT_OPS
    float_binary = FLOAT_BINARY
    vector_table = SIMD

    @staticmethod
    def cmp_imm(value: Operand, size: int) -> int | None:
        """The constant as the signed immediate of ``cmp``/``cmn`` (its magnitude fits
        an Imm12), or None."""
        k = signed_const(value, size)
        if k is None or k == -(1 << (size - 1)):
            return None
        return k if Imm12.try_from(abs(k)) is not None else None

    def alu_imm(self, operation: Operation, size: int, dst: VReg, lhs: VReg,
                k: int) -> MachInst | None:  # fmt: skip
        if operation is Operation.ADD or operation is Operation.SUB:
            # sub x, #k is add x, #-k: whichever magnitude fits.
            neg = k < 0
            imm12 = Imm12.try_from(-k if neg else k)
            if imm12 is None:
                return None
            is_add = (operation is Operation.ADD) != neg
            return AluRRImm12(AluOp.ADD if is_add else AluOp.SUB, size, dst, lhs, imm12)
        if operation in _LOGIC:
            logical = LogicalImm.try_from(k & ((1 << size) - 1), size)
            if logical is not None:
                return AluRRImmLogic(ALU_OPS[operation], size, dst, lhs, logical)
        return None

    def bit_count(self, operation: Operation, size: int, dst: VReg, src: VReg) -> MachInst:
        return BIT_COUNTS[operation](size, dst, src)
