"""x86-64 instruction selection: the ``Backend`` the shared frontend drives.

``Amd64Lowering`` builds a ``VCode`` of ``inst.py`` instructions on virtual
registers for one function. The bookkeeping, the calling convention, calls, moves,
constants, conditions and most rules are shared (:class:`wazaot.lower.isel.Lowering`,
``wazaot.lower.common_rules``); this class gives them x86's tables (its condition
codes and the instructions of each shared format) and says what is x86's own: which
constants ``cmp`` and the ALU take as immediates (sign-extended 32 bits), and that a
shift count travels in a register of its own (it is pinned to cl). The rules that
are x86's alone live in ``lower_int.py``, ``lower_float.py`` and ``lower_mem.py`` and
are found through ``rules.RULES``.
"""

from __future__ import annotations

from functools import partial

from ..api import ValueType
from ..lower.backend import Operand, signed_const
from ..lower.isel import CompileEnv, LoweredFunction, Lowering
from ..lower.ops import Operation
from ..machinst import MachInst, VReg
from ..machinst.condcodes import IntCC
from .abi import CALL_CONV
from .args import Cond
from .cpu import ALL, Features
from .inst import (
    AddImm,
    AluOp,
    AluRRImm,
    AluRRR,
    Clz,
    Ctz,
    FAlu,
    FAluOp,
    FMax,
    FMin,
    MulImm,
    Popcnt,
    Select,
    ShiftImm,
    ShiftOp,
    ShiftRR,
)
from .rules import RULES
from .simd import SIMD

__all__ = ["Amd64Lowering", "CompileEnv", "LoweredFunction"]

INT_CC = {
    IntCC.EQ: Cond.e, IntCC.NE: Cond.ne, IntCC.LT_S: Cond.l, IntCC.LT_U: Cond.b,
    IntCC.GT_S: Cond.g, IntCC.GT_U: Cond.a, IntCC.LE_S: Cond.le, IntCC.LE_U: Cond.be,
    IntCC.GE_S: Cond.ge, IntCC.GE_U: Cond.ae,
}  # fmt: skip
"""The x86 condition code of each integer condition (after ``cmp lhs, rhs``)."""
ALU_OPS = {Operation.ADD: AluOp.ADD, Operation.SUB: AluOp.SUB, Operation.AND: AluOp.AND,
           Operation.OR: AluOp.OR, Operation.XOR: AluOp.XOR, Operation.MUL: AluOp.IMUL}  # fmt: skip
SHIFT_OPS = {
    (Operation.SHL, False): ShiftOp.SHL, (Operation.SHR, True): ShiftOp.SAR,
    (Operation.SHR, False): ShiftOp.SHR, (Operation.ROTL, False): ShiftOp.ROL,
    (Operation.ROTR, False): ShiftOp.ROR,
}  # fmt: skip
BIT_COUNTS = {Operation.CLZ: Clz, Operation.CTZ: Ctz, Operation.POPCNT: Popcnt}
FLOAT_BINARY = {
    Operation.ADD: partial(FAlu, FAluOp.ADD), Operation.SUB: partial(FAlu, FAluOp.SUB),
    Operation.MUL: partial(FAlu, FAluOp.MUL), Operation.DIV: partial(FAlu, FAluOp.DIV),
    Operation.MIN: FMin, Operation.MAX: FMax,  # sequences: wasm's NaNs and signed zeros
}  # fmt: skip


_IMM32_MIN, _IMM32_END = -(1 << 31), 1 << 31  # a sign-extended 32-bit immediate


class Amd64Lowering(Lowering):
    """Implements ``wazaot.lower.backend.Backend`` for x86-64."""

    call_conv = CALL_CONV
    rules = RULES
    isa_name = "x86-64"
    int_cc = INT_CC
    select_inst = Select
    alu_rrr = AluRRR
    alu_ops = ALU_OPS
    shift_rr = ShiftRR
    shift_imm = ShiftImm
    shift_ops = SHIFT_OPS
    float_binary = FLOAT_BINARY
    vector_table = SIMD
    vector_loads = frozenset(
        [f"v128.load{m}_{s}" for m in ("8x8", "16x4", "32x2") for s in "su"]
        + ["v128.load32_splat", "v128.load64_splat"]
    )  # pmovsx/pmovzx, (v)pshufd or vbroadcastss, movddup: one instruction from memory

    def __init__(self, env: CompileEnv, func_index: int, features: Features = ALL):
        super().__init__(env, func_index)
        self.features = features
        self.vector_features = features.vector_features()

    @staticmethod
    def cmp_imm(value: Operand, size: int) -> int | None:
        """The constant as the sign-extended 32-bit immediate of a ``size``-bit
        ``cmp``, or None (not a constant, or too wide)."""
        k = signed_const(value, size)
        return k if k is not None and _IMM32_MIN <= k < _IMM32_END else None

    def alu_imm(self, operation: Operation, size: int, dst: VReg, lhs: VReg,
                k: int) -> MachInst | None:  # fmt: skip
        if not _IMM32_MIN <= k < _IMM32_END:
            return None
        if operation is Operation.MUL:
            return MulImm(size, dst, lhs, k)  # three-address: imul r, r/m, imm32
        if operation is Operation.ADD or (operation is Operation.SUB and k != _IMM32_MIN):
            return AddImm(size, dst, lhs, k if operation is Operation.ADD else -k)  # lea
        return AluRRImm(ALU_OPS[operation], size, dst, lhs, k)

    def bit_count(self, operation: Operation, size: int, dst: VReg, src: VReg) -> MachInst:
        # lzcnt, tzcnt and popcnt where the processor has them, sequences where not.
        features = self.features
        native = {Operation.CLZ: features.lzcnt, Operation.CTZ: features.tzcnt,
                  Operation.POPCNT: features.popcnt}[operation]  # fmt: skip
        return BIT_COUNTS[operation](size, native, dst, src)

    def shift_count(self, count: Operand) -> VReg:
        # A count of its own, so that the value and the count are distinct vregs.
        return self.fresh(count, ValueType.I64)
