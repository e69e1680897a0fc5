"""Instruction selection shared by every architecture: the ``Backend`` bookkeeping.

:class:`Lowering` implements the parts of ``wazaot.lower.backend.Backend`` that know
no instruction set, for one function:

- virtual registers, blocks, the current source offset, appending instructions
  (:meth:`Lowering.emit`, :meth:`Lowering.terminate`) and the source map they feed;
- operands: :meth:`Lowering.reg` materialises a constant through the architecture's
  :meth:`Lowering.gen_const` hook, :meth:`Lowering.copy` moves through
  :meth:`Lowering.gen_move`;
- parameters, results and calls over the architecture's calling convention (a
  :class:`~wazaot.machinst.abi.CallConv`, data only), with the shared
  pseudo-instructions of :mod:`wazaot.machinst.pseudo`;
- jumps, jump tables, traps, and the dispatch of every other instruction to the
  architecture's :class:`~wazaot.lower.rules.RuleSet`;
- conditions: a wasm comparison (or any i32, tested for non-zero) becomes an
  ``IntCond``, ``FloatCond`` or ``NonZero`` fused into its consumer, a branch
  (``JmpCond``), a 0/1 result (``SetCond``) or a ``Select``. Integer comparisons are
  named by the ISA-neutral :class:`~wazaot.machinst.condcodes.IntCC` (a constant on
  the left swaps the operands and the condition), then mapped to the architecture's
  condition code by its ``int_cc`` table.

An architecture subclasses it (``<arch>/lower.py``) with its tables: ``call_conv``,
``rules``, its condition codes (``int_cc``) and the instruction classes the shared
conditions and rules build (``select_inst``, ``alu_rrr``, ``shift_rr``...), and the
hooks that say which constants its instructions take as immediates (``cmp_imm``,
``alu_imm``), where a shift count must be (``shift_count``) and how it counts bits
(``bit_count``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..api import ValueType
from ..errors import UnsupportedError
from ..machinst import Args, MachInst, VCode, VReg
from ..machinst.abi import CallConv, Signature, reg_class, signature
from ..machinst.condcodes import IntCC
from ..machinst.formats import _OpRImm, _OpRRR, _ShiftRR
from ..machinst.pseudo import (
    NOTIFY_GROUP,
    Call,
    CallKind,
    CanonNaN,
    Exit,
    InterruptCheck,
    Jmp,
    JmpTable,
    Notify,
    Ret,
    SlotArea,
    StackSlot,
    TrapInst,
)
from ..traps import TrapCode
from ..vmctx import Builtin, ModuleLayout, exit_code
from ..vmctx import Exit as ExitKind
from ..wasm.module import FuncType, GlobalType, Module, TableType
from .backend import Compare, Const, Operand, Reg
from .common_inst import (
    Condition,
    FConst,
    FloatCond,
    IntCond,
    JmpCond,
    MovImm,
    MovRR,
    NonZero,
    SetCond,
    VConst,
    WasmLoad,
    WasmStore,
    _Select,
)
from .frontend import lower_function
from .ops import Op, Operation
from .rules import RuleSet
from .vector import VectorImpl, VectorTable

__all__ = ["NAN_RESULTS", "CompileEnv", "LoweredFunction", "Lowering"]

NAN_RESULTS = frozenset({
    Operation.ADD, Operation.SUB, Operation.MUL, Operation.DIV, Operation.SQRT,
    Operation.ROUND, Operation.MIN, Operation.MAX, Operation.DEMOTE, Operation.PROMOTE,
})  # fmt: skip
"""Float operations whose NaN results differ between architectures (the bitwise
ones, abs, neg and copysign, and the conversions from integers never do)."""
_FLOATS = (ValueType.F32, ValueType.F64)
_V128 = ValueType.V128

_REG_CLASS = {vt: reg_class(vt) for vt in ValueType}

# (operation, signed) -> the condition of a wasm integer comparison ``lhs ? rhs``.
_INT_CC = {
    (Operation.EQ, False): IntCC.EQ, (Operation.NE, False): IntCC.NE,
    (Operation.LT, True): IntCC.LT_S, (Operation.LT, False): IntCC.LT_U,
    (Operation.GT, True): IntCC.GT_S, (Operation.GT, False): IntCC.GT_U,
    (Operation.LE, True): IntCC.LE_S, (Operation.LE, False): IntCC.LE_U,
    (Operation.GE, True): IntCC.GE_S, (Operation.GE, False): IntCC.GE_U,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CompileEnv:
    """What lowering needs to know about the module beyond one function."""

    module: Module
    func_types: Sequence[FuncType]
    type_ids: Sequence[int]  # canonical id of each type index
    layout: ModuleLayout
    global_types: Sequence[GlobalType]
    table_types: Sequence[TableType]
    listened: frozenset[int] = frozenset()  # functions that notify a listener
    canonicalize_nans: bool = False  # float results that are NaN become the canonical NaN

    @classmethod
    def of(cls, module: Module, type_ids: Sequence[int], listened: frozenset[int] = frozenset(),
           canonicalize_nans: bool = False) -> CompileEnv:  # fmt: skip
        """The environment of ``module`` (its types and context layout)."""
        fts, gts, tts = module.func_types(), module.global_types(), module.table_types()
        layout = ModuleLayout(len(gts), len(tts), len(fts))
        return cls(module, fts, type_ids, layout, gts, tts, listened, canonicalize_nans)


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
    vectors: bool = False
    """The function holds v128 values: its FLOAT registers must be moved, spilled and
    reloaded 128 bits wide. Set where a v128 value first appears (a parameter, a
    constant or zeroed local, a load, a global, a call's result, a SIMD instruction). (x86-64 moves and spills 128 bits anyway; arm64 uses
    the 64-bit forms in functions without v128, so that their code stays as it was.)"""


class Lowering:
    """The ISA-neutral half of a ``Backend``: see the module docstring."""

    call_conv: ClassVar[CallConv]
    rules: ClassVar[RuleSet[Any]]
    isa_name: ClassVar[str]  # for messages: "the <isa_name> backend cannot compile ..."
    # The architecture's condition codes and instructions, for the shared conditions
    # (below) and rules (``common_rules.py``): each an instruction class of the format
    # named, or a table from the wasm operation to the ``op`` of one.
    int_cc: ClassVar[Mapping[IntCC, Any]]  # the condition code of each IntCC
    select_inst: ClassVar[type[_Select]]
    alu_rrr: ClassVar[type[_OpRRR[Any]]]
    alu_ops: ClassVar[Mapping[Operation, Any]]  # ADD SUB AND OR XOR MUL
    shift_rr: ClassVar[type[_ShiftRR[Any]]]
    shift_imm: ClassVar[type[_OpRImm[Any, int]]]
    shift_ops: ClassVar[Mapping[tuple[Operation, bool], Any]]  # (SHL..ROTR, signed)
    float_binary: ClassVar[Mapping[Operation, Callable[[int, VReg, VReg, VReg], MachInst]]]
    """ADD SUB MUL DIV MIN MAX -> ``make(prec, dst, lhs, rhs)``."""
    vector_table: ClassVar[VectorTable]  # the SIMD instructions (``vector.py``)
    vector_features: frozenset[str] = frozenset()
    """The processor features the SIMD implementations may use (x86: ``avx``...)."""
    vector_loads: ClassVar[frozenset[str]] = frozenset()
    """The SIMD loads (``v128.load8x8_s``...) the architecture's ``WasmLoad`` does in
    one instruction; the others are built from a plain load and a lane instruction."""

    _int_conds: ClassVar[Mapping[tuple[Operation, bool], tuple[Any, Any]]]
    """(operation, signed) -> the condition code of ``lhs ? rhs`` and of the swapped
    ``rhs ? lhs``, from ``int_cc`` (one lookup per comparison)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        int_cc = cls.__dict__.get("int_cc")
        if int_cc is not None:
            cls._int_conds = {key: (int_cc[cc], int_cc[cc.swap()]) for key, cc in _INT_CC.items()}

    def __init__(self, env: CompileEnv, func_index: int):
        self.env = env
        self.func_index = func_index
        ft = env.func_types[func_index]
        self.func_type = ft
        self.vcode = VCode()
        self.srclocs: list[list[int]] = []
        self.cur = -1
        # The current block's instruction and source lists (appended to by ``emit``).
        self._insts: list[MachInst] = []
        self._srcs: list[int] = []
        self.src = 0
        self.sig = signature(self.call_conv, ft.params, ft.results)
        self.out = LoweredFunction(self.vcode, self.srclocs, self.sig, func_index=func_index)
        self._vconsts: dict[int, VReg] = {}  # v128 constants made at the entry, by bits
        self._checked: dict[Any, int] = {}  # address vreg -> the end checked in this block

    def lower(self) -> LoweredFunction:
        """Lower the function (the shared frontend drives this backend); its machine IR."""
        lower_function(self.env.module, self.func_index, self, self.env.func_types)
        return self.out

    # -- hooks of the architecture ---------------------------------------------------

    def gen_move(self, dst: VReg, src: VReg) -> MachInst:
        """A register copy of either class (the shared ``MovRR``)."""
        return MovRR(dst, src)

    def gen_const(self, dst: VReg, value: Const) -> MachInst:
        """dst := the constant ``value`` (the shared ``FConst``, ``VConst`` or ``MovImm``)."""
        vt = value.type
        if vt is ValueType.F32 or vt is ValueType.F64:
            return FConst(32 if vt is ValueType.F32 else 64, dst, value.bits)
        if vt is ValueType.V128:
            self.out.vectors = True
            return VConst(dst, value.bits)
        return MovImm(32 if vt is ValueType.I32 else 64, dst, value.bits)

    @staticmethod
    def cmp_imm(value: Operand, size: int) -> int | None:
        """The constant ``value`` as the immediate of a ``size``-bit compare, or None
        (not a constant, or one the compare cannot take)."""
        raise NotImplementedError

    def alu_imm(self, operation: Operation, size: int, dst: VReg, lhs: VReg,
                k: int) -> MachInst | None:  # fmt: skip
        """``dst := lhs operation k`` with ``k`` (signed) as an immediate, or None if the
        architecture has no such form for it (then both operands are registers)."""
        raise NotImplementedError

    def bit_count(self, operation: Operation, size: int, dst: VReg, src: VReg) -> MachInst:
        """``dst := operation(src)`` for CLZ, CTZ or POPCNT (``size`` bits)."""
        raise NotImplementedError

    def shift_count(self, count: Operand) -> VReg:
        """The register that holds a shift's ``count`` (the operand's own, by default)."""
        return self.reg(count)

    # -- registers, blocks, instructions -------------------------------------------

    def new_vreg(self, vt: ValueType) -> VReg:
        return self.vcode.new_vreg(_REG_CLASS[vt])

    def new_block(self) -> int:
        self.srclocs.append([])
        return self.vcode.new_block()

    def set_block(self, block: int) -> None:
        self._checked.clear()
        self.cur = block
        self._insts = self.vcode.blocks[block].insts
        self._srcs = self.srclocs[block]

    def set_source(self, offset: int) -> None:
        self.src = offset

    def emit(self, inst: MachInst) -> None:
        self._insts.append(inst)
        self._srcs.append(self.src)

    def terminate(self, inst: MachInst, succs: list[int]) -> None:
        self.emit(inst)
        self.vcode.blocks[self.cur].succs = list(dict.fromkeys(succs))

    def vector_impl(self, name: str) -> VectorImpl | None:
        """The architecture's implementation of the SIMD instruction ``name``."""
        return self.vector_table.lookup(name, self.vector_features)

    def unsupported(self, what: str) -> UnsupportedError:
        """The error for something this backend cannot compile yet."""
        return UnsupportedError(f"the {self.isa_name} backend cannot compile {what} yet", self.src)

    # -- operands --------------------------------------------------------------------

    def reg(self, value: Operand) -> VReg:
        """The operand in a register (materialising a constant; a v128 constant once per
        function, see :meth:`vector_const`)."""
        if type(value) is Reg:
            return value.vreg
        if value.type is _V128:
            return self.vector_const(value.bits)  # type: ignore[union-attr]
        dst = self.new_vreg(value.type)
        self.copy(dst, value)
        return dst

    def wasm_load(self, op: Op, dst: VReg, addr: Operand, offset: int) -> None:
        """dst := the ``op.bits`` at ``addr + offset`` in linear memory (a ``WasmLoad``:
        bounds-checked, unless :meth:`_bounds_known`)."""
        reg = self.reg(addr)
        self.emit(WasmLoad(op, dst, reg, offset, self._bounds_known(reg, offset + op.bits // 8)))

    def wasm_store(self, op: Op, src: VReg, addr: Operand, offset: int) -> None:
        """The ``op.bits`` at ``addr + offset`` in linear memory := src (a ``WasmStore``:
        bounds-checked, unless :meth:`_bounds_known`)."""
        reg = self.reg(addr)
        self.emit(WasmStore(op, src, reg, offset, self._bounds_known(reg, offset + op.bits // 8)))

    def _bounds_known(self, addr: VReg, end: int) -> bool:
        """Whether an earlier access of this block already checked ``[addr, addr +
        end)`` against the memory size (which only grows); else this access's check
        counts for the accesses after it. Locals are the only vregs that change value
        (``copy``); a new block forgets everything."""
        if end <= self._checked.get(addr, 0):
            return True
        if end < 1 << 31:
            self._checked[addr] = end
        return False

    def vector_const(self, bits: int) -> VReg:
        """A register holding the v128 constant ``bits``, made once per function, in the
        entry block: out of any loop. (Building one takes up to four instructions and a
        GPR; a constant that cannot stay in a register is reloaded from its spill slot,
        still cheaper.) Only read: instructions that overwrite an operand take a copy."""
        vreg = self._vconsts.get(bits)
        if vreg is not None:
            return vreg
        vreg = self._vconsts[bits] = self.new_vreg(_V128)
        self.out.vectors = True
        inst = VConst(vreg, bits)
        entry, srcs = self.vcode.blocks[0].insts, self.srclocs[0]
        at = len(entry) - 1 if entry and entry[-1].is_terminator() else len(entry)
        entry.insert(at, inst)  # before the entry block's jump, if it has one
        srcs.insert(at, self.src if at == len(srcs) else srcs[at])
        return vreg

    def fresh(self, value: Operand, vt: ValueType) -> VReg:
        """A vreg of its own holding ``value``: for an operand an instruction overwrites
        (or that must sit in a fixed register while its value lives on elsewhere)."""
        vreg = self.new_vreg(vt)
        self.copy(vreg, value)
        return vreg

    def copy(self, dst: Any, src: Operand) -> None:
        self._checked.pop(dst, None)  # a local's vreg gets a new value
        if type(src) is Reg:
            if src.vreg is not dst:
                self.emit(self.gen_move(dst, src.vreg))
        else:
            self.emit(self.gen_const(dst, src))  # type: ignore[arg-type]

    # -- control flow ----------------------------------------------------------------

    def jump(self, target: int) -> None:
        self.terminate(Jmp(target), [target])

    def br_table(self, index: Operand, targets: list[int], default: int) -> None:
        self.terminate(JmpTable(self.reg(index), tuple(targets), default), targets + [default])

    def trap(self, code: TrapCode) -> None:
        self.terminate(TrapInst(code), [])

    def exit(self, builtin: Builtin, args: Sequence[Operand],
             result: ValueType | None) -> list[Operand]:  # fmt: skip
        """Leave to the runtime for ``builtin``; returns its result, if any."""
        dst = self.new_vreg(result) if result is not None else None
        self.emit(Exit(builtin, tuple(self.reg(a) for a in args), dst,
                       self.call_conv.exit_clobbers))  # fmt: skip
        return [Reg(dst, result)] if dst is not None and result is not None else []

    # -- function boundary and calls ---------------------------------------------------

    def params(self, types: tuple[ValueType, ...]) -> list[Any]:
        vregs = [self.new_vreg(vt) for vt in types]
        fixed = tuple((v, loc.reg) for v, loc in zip(vregs, self.sig.params) if loc.reg)
        self.emit(Args(fixed))
        for v, loc, vt in zip(vregs, self.sig.params, types):
            if loc.reg is None:
                self.emit(StackSlot(SlotArea.INCOMING, False, v, loc.slot, vt is _V128))
        if _V128 in types:
            self.out.vectors = True
        if self.func_index in self.env.listened:
            self.notify(after=False, values=vregs)
        return vregs

    def notify(self, after: bool, values: Sequence[VReg]) -> None:
        """Tell this function's listener it was called with (``after``: returns)
        ``values``."""
        code = exit_code(ExitKind.LISTENER, self.func_index << 1 | int(after))
        ft = self.func_type
        types = ft.results if after else ft.params
        slot = 0
        for first in range(0, max(len(values), 1), NOTIFY_GROUP):
            group = tuple(values[first : first + NOTIFY_GROUP])
            exits = first + NOTIFY_GROUP >= len(values)
            wide = frozenset(i for i, vt in enumerate(types[first : first + len(group)])
                             if vt is _V128)  # fmt: skip
            clobbers = self.call_conv.exit_clobbers if exits else ()
            self.emit(Notify(code, group, clobbers, wide, slot, exits))
            slot += len(group) + len(wide)

    def loop_header(self) -> None:
        """The start of a loop's body: where a runaway loop is interrupted."""
        self.emit(InterruptCheck())

    def ret(self, values: list[Operand]) -> None:
        if self.func_index in self.env.listened:
            regs = [self.reg(v) for v in values]
            self.notify(after=True, values=regs)
            values = [Reg(r, v.type) for r, v in zip(regs, values)]
        fixed = []
        for value, loc in zip(values, self.sig.results):
            reg = self.reg(value)
            if loc.reg is None:
                self.emit(StackSlot(SlotArea.INCOMING, True, reg, loc.slot, value.type is _V128))
            else:
                fixed.append((reg, loc.reg))
        self.terminate(Ret(tuple(fixed)), [])

    def _call(self, kind: CallKind, target: int, ft: FuncType, args: list[Operand],
              index: Operand | None = None, type_id: int = 0) -> list[Operand]:  # fmt: skip
        sig = signature(self.call_conv, ft.params, ft.results)
        self.out.outgoing_slots = max(self.out.outgoing_slots, sig.stack_slots)
        fixed_args = []
        for value, loc in zip(args, sig.params):
            reg = self.reg(value)
            if loc.reg is None:
                self.emit(StackSlot(SlotArea.OUTGOING, True, reg, loc.slot, value.type is _V128))
            else:
                fixed_args.append((reg, loc.reg))
        index_reg = self.reg(index) if index is not None else None
        results = [self.new_vreg(vt) for vt in ft.results]
        fixed_results = tuple((r, loc.reg) for r, loc in zip(results, sig.results) if loc.reg)
        self.emit(Call(kind, target, tuple(fixed_args), fixed_results, index_reg, type_id,
                       self.call_conv.call_clobbers))  # fmt: skip
        for r, loc, vt in zip(results, sig.results, ft.results):
            if loc.reg is None:
                self.emit(StackSlot(SlotArea.OUTGOING, False, r, loc.slot, vt is _V128))
        if _V128 in ft.results:
            self.out.vectors = True
        if kind is not CallKind.DIRECT:
            self.out.calls_other_instances = True
        return [Reg(r, vt) for r, vt in zip(results, ft.results)]

    def call(self, func_index: int, args: list[Operand]) -> list[Operand]:
        env = self.env
        ft = env.func_types[func_index]
        if func_index < env.module.num_imported_funcs:
            return self._call(CallKind.IMPORT, env.layout.func_slot(func_index), ft, args)
        return self._call(CallKind.DIRECT, func_index, ft, args)

    def call_indirect(self, type_index: int, table: int, index: Operand,
                      args: list[Operand]) -> list[Operand]:  # fmt: skip
        env = self.env
        return self._call(CallKind.INDIRECT, env.layout.table_slot(table),
                          env.module.types[type_index], args, index,
                          env.type_ids[type_index])  # fmt: skip

    def return_call(self, func_index: int, args: list[Operand]) -> None:
        # Tail calls as call + return until the tail-call issue makes them constant-space.
        self.ret(self.call(func_index, args))

    def return_call_indirect(self, type_index: int, table: int, index: Operand,
                             args: list[Operand]) -> None:  # fmt: skip
        self.ret(self.call_indirect(type_index, table, index, args))

    # -- everything else -----------------------------------------------------------------

    def op(self, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
        fn = self.rules.table.get(op.opcode)
        if fn is None:
            raise self.unsupported(op.name)
        results = fn(self, op, args, imm)
        if self.env.canonicalize_nans and op.operation in NAN_RESULTS and op.type in _FLOATS:
            return [self.canonicalize(r) for r in results]
        return results

    def canonicalize(self, value: Operand) -> Operand:
        """``value`` (a float) with any NaN replaced by the canonical NaN."""
        prec = 32 if value.type == ValueType.F32 else 64
        dst = self.new_vreg(value.type)
        self.emit(CanonNaN(prec, dst, self.reg(value)))
        return Reg(dst, value.type)

    # -- conditions ------------------------------------------------------------------

    def condition(self, cond: Operand | Compare) -> Condition:
        """The condition that holds when ``cond`` (a comparison, or an i32 tested for
        non-zero) does."""
        if type(cond) is not Compare:
            return NonZero(self.reg(cond))  # type: ignore[arg-type]
        op = cond.op
        if op.operation is Operation.EQZ:
            return NonZero(self.reg(cond.args[0]), op.size, negate=True)
        a, b = cond.args
        if op.is_float:
            return FloatCond(op.operation, op.size, self.reg(a), self.reg(b))
        size = op.size
        cc, swapped = self._int_conds[op.operation, op.signed]
        if type(a) is Const and type(b) is not Const:
            a, b, cc = b, a, swapped
        imm = self.cmp_imm(b, size)
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
        self.emit(self.select_inst(condition, dst, self.reg(a), self.reg(b), vt is _V128))
        return Reg(dst, vt)

    def branch(self, cond: Operand | Compare, then_block: int, else_block: int) -> None:
        self.terminate(JmpCond(self.condition(cond), then_block, else_block),
                       [then_block, else_block])  # fmt: skip
