"""Instruction selection for integer arithmetic, bit counting and extensions."""

from __future__ import annotations

from typing import Any

from ..api import ValueType
from ..lower.backend import Const, Operand, Reg
from ..wasm.opcodes import NAMES
from .inst import AluRRImm, AluRRR, DivRem, Extend, MovRR, MulImm, Seq, ShiftImm, ShiftRR
from .rules import rule

_ALU = {"add": "add", "sub": "sub", "and": "and", "or": "or", "xor": "xor", "mul": "imul"}
_COMMUTATIVE = {"add", "and", "or", "xor", "mul"}
_SHIFTS = {"shl": "shl", "shr_s": "sar", "shr_u": "shr", "rotl": "rol", "rotr": "ror"}


def _split(opcode: int) -> tuple[ValueType, int, str]:
    ty, op = NAMES[opcode].split(".", 1)
    vt = ValueType.I32 if ty == "i32" else ValueType.I64
    return vt, 32 if vt == ValueType.I32 else 64, op


@rule("i32.add", "i32.sub", "i32.and", "i32.or", "i32.xor", "i32.mul",
      "i64.add", "i64.sub", "i64.and", "i64.or", "i64.xor", "i64.mul")  # fmt: skip
def alu(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    vt, size, op = _split(opcode)
    a, b = args
    if op in _COMMUTATIVE and type(a) is Const and type(b) is not Const:
        a, b = b, a
    dst = lw.new_vreg(vt)
    k = lw.imm32(b, size)
    if k is not None:
        if op == "mul":
            lw.emit(MulImm(size, dst, lw.reg(a), k))
        else:
            lw.emit(AluRRImm(_ALU[op], size, dst, lw.reg(a), k))
    else:
        lw.emit(AluRRR(_ALU[op], size, dst, lw.reg(a), lw.reg(b)))
    return [Reg(dst, vt)]


@rule("i32.shl", "i32.shr_s", "i32.shr_u", "i32.rotl", "i32.rotr",
      "i64.shl", "i64.shr_s", "i64.shr_u", "i64.rotl", "i64.rotr")  # fmt: skip
def shift(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    vt, size, op = _split(opcode)
    a, b = args
    dst = lw.new_vreg(vt)
    if type(b) is Const:
        lw.emit(ShiftImm(_SHIFTS[op], size, dst, lw.reg(a), b.bits & (size - 1)))
    else:
        # A count of its own, so that the value and the count are distinct vregs.
        count = lw.new_vreg(ValueType.I64)
        lw.emit(MovRR(count, lw.reg(b)))
        lw.emit(ShiftRR(_SHIFTS[op], size, dst, lw.reg(a), count))
    return [Reg(dst, vt)]


@rule("i32.div_s", "i32.div_u", "i32.rem_s", "i32.rem_u",
      "i64.div_s", "i64.div_u", "i64.rem_s", "i64.rem_u")  # fmt: skip
def div_rem(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    vt, size, op = _split(opcode)
    a, b = args
    lhs = lw.new_vreg(vt)
    lw.copy(lhs, a)
    rhs = lw.new_vreg(vt)
    lw.copy(rhs, b)
    dst = lw.new_vreg(vt)
    lw.emit(DivRem(op, size, dst, lhs, rhs, lw.new_vreg(vt)))
    return [Reg(dst, vt)]


@rule("i32.clz", "i32.ctz", "i32.popcnt", "i64.clz", "i64.ctz", "i64.popcnt")
def bit_count(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    vt, size, op = _split(opcode)
    dst = lw.new_vreg(vt)
    features = lw.env.features
    native = {"clz": features.lzcnt, "ctz": features.tzcnt, "popcnt": features.popcnt}[op]
    lw.emit(Seq(op, (size, native), dst, (lw.reg(args[0]),)))
    return [Reg(dst, vt)]


_EXTENDS = {
    "i32.extend8_s": (True, 8, 32), "i32.extend16_s": (True, 16, 32),
    "i64.extend8_s": (True, 8, 64), "i64.extend16_s": (True, 16, 64),
    "i64.extend32_s": (True, 32, 64), "i64.extend_i32_s": (True, 32, 64),
    "i64.extend_i32_u": (False, 32, 64), "i32.wrap_i64": (False, 32, 32),
}  # fmt: skip


@rule(*_EXTENDS)
def extend(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    signed, from_bits, size = _EXTENDS[NAMES[opcode]]
    vt = ValueType.I32 if size == 32 else ValueType.I64
    dst = lw.new_vreg(vt)
    lw.emit(Extend(signed, from_bits, size, dst, lw.reg(args[0])))
    return [Reg(dst, vt)]
