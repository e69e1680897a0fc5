"""x86-64 instruction selection: the ``Backend`` the shared frontend drives.

``Amd64Lowering`` builds a ``VCode`` of ``inst.py`` instructions on virtual
registers for one function. It handles what every instruction needs (operands,
constants, conditions, control flow, calls, returns); the per-opcode rules live
in ``lower_int.py``, ``lower_float.py`` and ``lower_mem.py`` and are found through
the registry in ``rules.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..api import ValueType
from ..errors import UnsupportedError
from ..lower.backend import Compare, Const, Operand, Reg
from ..machinst import Args, MachInst, VCode, VReg
from ..traps import TrapCode
from ..vmctx import ModuleLayout
from ..wasm.module import FuncType, GlobalType, Module, TableType
from ..wasm.opcodes import NAMES
from . import lower_float, lower_int, lower_mem  # noqa: F401  (they register rules)
from .abi import Signature, reg_class, signature
from .cpu import ALL, Features
from .encoding import Cond
from .inst import (
    Call,
    Condition,
    FConst,
    FloatCond,
    IntCond,
    Jmp,
    JmpCond,
    JmpTable,
    MovImm,
    MovRR,
    NonZero,
    Ret,
    Select,
    SetCond,
    StackSlot,
    TrapInst,
)
from .rules import RULES

_INT_CC = {
    "eq": Cond.e, "ne": Cond.ne, "lt_s": Cond.l, "lt_u": Cond.b, "gt_s": Cond.g,
    "gt_u": Cond.a, "le_s": Cond.le, "le_u": Cond.be, "ge_s": Cond.ge, "ge_u": Cond.ae,
}  # fmt: skip
_SWAPPED = {
    Cond.e: Cond.e, Cond.ne: Cond.ne, Cond.l: Cond.g, Cond.g: Cond.l, Cond.le: Cond.ge,
    Cond.ge: Cond.le, Cond.b: Cond.a, Cond.a: Cond.b, Cond.be: Cond.ae, Cond.ae: Cond.be,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CompileEnv:
    """What lowering needs to know about the module beyond one function."""

    module: Module
    func_types: list[FuncType]
    type_ids: list[int]  # canonical id of each type index
    layout: ModuleLayout
    global_types: list[GlobalType]
    table_types: list[TableType]
    features: Features = ALL


@dataclass(slots=True)
class LoweredFunction:
    """A function in machine IR, with what the emitter needs besides the VCode."""

    vcode: VCode
    srclocs: list[list[int]]  # per block, the wasm offset of each instruction
    signature: Signature
    outgoing_slots: int = 0
    calls_other_instances: bool = False
    func_index: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class Amd64Lowering:
    """Implements ``wazaot.lower.backend.Backend`` for x86-64."""

    def __init__(self, env: CompileEnv, func_index: int):
        self.env = env
        self.func_index = func_index
        ft = env.func_types[func_index]
        self.func_type = ft
        self.vcode = VCode()
        self.srclocs: list[list[int]] = []
        self.cur = -1
        self.src = 0
        self.sig = signature(ft.params, ft.results)
        self.out = LoweredFunction(self.vcode, self.srclocs, self.sig, func_index=func_index)

    # -- registers, blocks, instructions -------------------------------------------

    def new_vreg(self, vt: ValueType) -> VReg:
        return self.vcode.new_vreg(reg_class(vt))

    def new_block(self) -> int:
        self.srclocs.append([])
        return self.vcode.new_block()

    def set_block(self, block: int) -> None:
        self.cur = block

    def set_source(self, offset: int) -> None:
        self.src = offset

    def emit(self, inst: MachInst) -> None:
        self.vcode.blocks[self.cur].insts.append(inst)
        self.srclocs[self.cur].append(self.src)

    def terminate(self, inst: MachInst, succs: list[int]) -> None:
        self.emit(inst)
        self.vcode.blocks[self.cur].succs = list(dict.fromkeys(succs))

    # -- operands --------------------------------------------------------------------

    def reg(self, value: Operand) -> VReg:
        """The operand in a register (materialising a constant)."""
        if type(value) is Reg:
            return value.vreg
        dst = self.new_vreg(value.type)
        self.copy(dst, value)
        return dst

    @staticmethod
    def imm32(value: Operand, size: int) -> int | None:
        """The constant as a sign-extended 32-bit immediate for a ``size``-bit
        operation, or None (not a constant, or too wide)."""
        if type(value) is not Const:
            return None
        bits = value.bits
        if size == 32:
            bits &= 0xFFFF_FFFF
            return bits - (1 << 32) if bits >> 31 else bits
        signed = bits - (1 << 64) if bits >> 63 else bits
        return signed if -(1 << 31) <= signed < (1 << 31) else None

    def copy(self, dst: Any, src: Operand) -> None:
        if type(src) is Reg:
            if src.vreg is not dst:
                self.emit(MovRR(dst, src.vreg))
        elif src.type in (ValueType.F32, ValueType.F64):
            self.emit(FConst(32 if src.type == ValueType.F32 else 64, dst, src.bits))
        elif src.type == ValueType.V128:
            raise UnsupportedError("the x86-64 backend cannot compile v128 values yet", self.src)
        else:
            self.emit(MovImm(32 if src.type == ValueType.I32 else 64, dst, src.bits))

    # -- conditions ------------------------------------------------------------------

    def condition(self, cond: Operand | Compare) -> Condition:
        if type(cond) is not Compare:
            return NonZero(self.reg(cond))
        name = NAMES[cond.op]
        ty, op = name.split(".")
        if op == "eqz":
            return NonZero(self.reg(cond.args[0]), 32 if ty == "i32" else 64, negate=True)
        a, b = cond.args
        if ty in ("f32", "f64"):
            return FloatCond(op, int(ty[1:]), self.reg(a), self.reg(b))
        size = 32 if ty == "i32" else 64
        cc = _INT_CC[op]
        if type(a) is Const and type(b) is not Const:
            a, b, cc = b, a, _SWAPPED[cc]
        imm = self.imm32(b, size)
        if imm is not None:
            return IntCond(cc, size, self.reg(a), None, imm)
        return IntCond(cc, size, self.reg(a), self.reg(b))

    def compare(self, cmp: Compare) -> Operand:
        dst = self.new_vreg(ValueType.I32)
        self.emit(SetCond(self.condition(cmp), dst))
        return Reg(dst, ValueType.I32)

    def select(self, cond: Operand | Compare, a: Operand, b: Operand, vt: ValueType) -> Operand:
        condition = self.condition(cond)
        dst = self.new_vreg(vt)
        self.emit(Select(condition, dst, self.reg(a), self.reg(b)))
        return Reg(dst, vt)

    # -- control flow ----------------------------------------------------------------

    def jump(self, target: int) -> None:
        self.terminate(Jmp(target), [target])

    def branch(self, cond: Operand | Compare, then_block: int, else_block: int) -> None:
        self.terminate(JmpCond(self.condition(cond), then_block, else_block),
                       [then_block, else_block])  # fmt: skip

    def br_table(self, index: Operand, targets: list[int], default: int) -> None:
        self.terminate(JmpTable(self.reg(index), tuple(targets), default), targets + [default])

    def trap(self, code: TrapCode) -> None:
        self.terminate(TrapInst(code), [])

    # -- function boundary and calls ---------------------------------------------------

    def params(self, types: tuple[ValueType, ...]) -> list[Any]:
        vregs = [self.new_vreg(vt) for vt in types]
        fixed = tuple((v, loc.reg) for v, loc in zip(vregs, self.sig.params) if loc.reg)
        self.emit(Args(fixed))
        for v, loc in zip(vregs, self.sig.params):
            if loc.reg is None:
                self.emit(StackSlot("in", False, v, loc.slot))
        return vregs

    def ret(self, values: list[Operand]) -> None:
        fixed = []
        for value, loc in zip(values, self.sig.results):
            reg = self.reg(value)
            if loc.reg is None:
                self.emit(StackSlot("in", True, reg, loc.slot))
            else:
                fixed.append((reg, loc.reg))
        self.terminate(Ret(tuple(fixed)), [])

    def _call(self, kind: str, target: int, ft: FuncType, args: list[Operand],
              index: Operand | None = None, type_id: int = 0) -> list[Operand]:  # fmt: skip
        sig = signature(ft.params, ft.results)
        self.out.outgoing_slots = max(self.out.outgoing_slots, sig.stack_slots)
        fixed_args = []
        for value, loc in zip(args, sig.params):
            reg = self.reg(value)
            if loc.reg is None:
                self.emit(StackSlot("out", True, reg, loc.slot))
            else:
                fixed_args.append((reg, loc.reg))
        index_reg = self.reg(index) if index is not None else None
        results = [self.new_vreg(vt) for vt in ft.results]
        fixed_results = tuple((r, loc.reg) for r, loc in zip(results, sig.results) if loc.reg)
        self.emit(Call(kind, target, tuple(fixed_args), fixed_results, index_reg, type_id))
        for r, loc in zip(results, sig.results):
            if loc.reg is None:
                self.emit(StackSlot("out", False, r, loc.slot))
        if kind != "direct":
            self.out.calls_other_instances = True
        return [Reg(r, vt) for r, vt in zip(results, ft.results)]

    def call(self, func_index: int, args: list[Operand]) -> list[Operand]:
        env = self.env
        ft = env.func_types[func_index]
        if func_index < env.module.num_imported_funcs:
            return self._call("import", env.layout.func_slot(func_index), ft, args)
        return self._call("direct", func_index, ft, args)

    def call_indirect(self, type_index: int, table: int, index: Operand,
                      args: list[Operand]) -> list[Operand]:  # fmt: skip
        env = self.env
        return self._call("indirect", env.layout.table_slot(table), env.module.types[type_index],
                          args, index, env.type_ids[type_index])  # fmt: skip

    def return_call(self, func_index: int, args: list[Operand]) -> None:
        # Tail calls as call + return until the tail-call issue makes them constant-space.
        self.ret(self.call(func_index, args))

    def return_call_indirect(self, type_index: int, table: int, index: Operand,
                             args: list[Operand]) -> None:  # fmt: skip
        self.ret(self.call_indirect(type_index, table, index, args))

    # -- everything else -----------------------------------------------------------------

    def op(self, opcode: int, args: list[Operand], imm: Any) -> list[Operand]:
        fn = RULES.get(opcode)
        if fn is None:
            raise UnsupportedError(f"the x86-64 backend cannot compile {NAMES[opcode]} yet",
                                   self.src)  # fmt: skip
        return fn(self, opcode, args, imm)
