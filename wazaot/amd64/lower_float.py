"""Instruction selection for floating point: arithmetic, rounding, sign operations and
the conversions between integers and floats."""

from __future__ import annotations

from typing import Any

from ..api import ValueType
from ..lower.backend import Operand, Reg
from ..wasm.opcodes import NAMES
from .inst import FAlu, Seq
from .rules import rule

_VT = {"i32": ValueType.I32, "i64": ValueType.I64, "f32": ValueType.F32, "f64": ValueType.F64}


def _prec(ty: str) -> int:
    return int(ty[1:])


@rule("f32.add", "f32.sub", "f32.mul", "f32.div", "f64.add", "f64.sub", "f64.mul", "f64.div")
def arith(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    ty, op = NAMES[opcode].split(".")
    vt = _VT[ty]
    dst = lw.new_vreg(vt)
    lw.emit(FAlu(op, _prec(ty), dst, lw.reg(args[0]), lw.reg(args[1])))
    return [Reg(dst, vt)]


@rule("f32.min", "f32.max", "f32.copysign", "f64.min", "f64.max", "f64.copysign",
      "f32.sqrt", "f32.ceil", "f32.floor", "f32.trunc", "f32.nearest", "f32.neg", "f32.abs",
      "f64.sqrt", "f64.ceil", "f64.floor", "f64.trunc", "f64.nearest", "f64.neg", "f64.abs")  # fmt: skip
def float_seq(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    ty, op = NAMES[opcode].split(".")
    vt = _VT[ty]
    dst = lw.new_vreg(vt)
    lw.emit(Seq("f" + op, (_prec(ty),), dst, tuple(lw.reg(a) for a in args)))
    return [Reg(dst, vt)]


def _conversion(name: str) -> tuple[str, str, str]:
    """"i32.trunc_f64_s" -> ("i32", "trunc", "f64_s")."""
    dst, rest = name.split(".")
    op, src = rest.split("_", 1)
    return dst, op, src


@rule("i32.trunc_f32_s", "i32.trunc_f32_u", "i32.trunc_f64_s", "i32.trunc_f64_u",
      "i64.trunc_f32_s", "i64.trunc_f32_u", "i64.trunc_f64_s", "i64.trunc_f64_u",
      "i32.trunc_sat_f32_s", "i32.trunc_sat_f32_u", "i32.trunc_sat_f64_s", "i32.trunc_sat_f64_u",
      "i64.trunc_sat_f32_s", "i64.trunc_sat_f32_u", "i64.trunc_sat_f64_s", "i64.trunc_sat_f64_u")  # fmt: skip
def trunc(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    dst_ty, op, src = _conversion(NAMES[opcode])
    saturating = src.startswith("sat_")
    src = src.removeprefix("sat_")
    src_ty, sign = src.split("_")
    vt = _VT[dst_ty]
    dst = lw.new_vreg(vt)
    args_ = (_prec(src_ty), 32 if dst_ty == "i32" else 64, sign == "s", saturating)
    lw.emit(Seq("trunc", args_, dst, (lw.reg(args[0]),)))
    return [Reg(dst, vt)]


@rule("f32.convert_i32_s", "f32.convert_i32_u", "f32.convert_i64_s", "f32.convert_i64_u",
      "f64.convert_i32_s", "f64.convert_i32_u", "f64.convert_i64_s", "f64.convert_i64_u")  # fmt: skip
def convert(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    dst_ty, _, src = _conversion(NAMES[opcode])
    src_ty, sign = src.split("_")
    vt = _VT[dst_ty]
    dst = lw.new_vreg(vt)
    args_ = (32 if src_ty == "i32" else 64, sign == "s", _prec(dst_ty))
    lw.emit(Seq("convert", args_, dst, (lw.reg(args[0]),)))
    return [Reg(dst, vt)]


@rule("f32.demote_f64", "f64.promote_f32", "i32.reinterpret_f32", "i64.reinterpret_f64",
      "f32.reinterpret_i32", "f64.reinterpret_i64")  # fmt: skip
def change_type(lw: Any, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
    name = NAMES[opcode]
    dst_ty, rest = name.split(".")
    vt = _VT[dst_ty]
    dst = lw.new_vreg(vt)
    kind = rest.split("_")[0]  # demote, promote, reinterpret
    lw.emit(Seq(kind, (dst_ty,), dst, (lw.reg(args[0]),)))
    return [Reg(dst, vt)]
