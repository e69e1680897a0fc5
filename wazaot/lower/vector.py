"""SIMD (v128) instruction selection shared by every architecture.

Every SIMD instruction that computes on registers (``i32x4.add``, ``i8x16.shuffle``,
``f32x4.extract_lane``...) becomes one machine instruction, :class:`VecOp`, named by
the wasm instruction and carrying the architecture's :class:`VectorImpl` of it: the
function that emits its machine code, the scratch registers it needs and how its
result may share registers with its operands. Each architecture keeps a
:class:`VectorTable` of implementations (``<arch>/simd.py`` and the files it
imports), looked up by name and by the processor features the lowering has::

    SIMD = VectorTable("x86-64")

    @SIMD.register("i32x4.add", dst="reuse")             # SSE: paddd dst, b
    def _padd(e, inst, dst, srcs, temps): ...

    @SIMD.register("i32x4.add", when={"avx"})            # AVX: vpaddd dst, a, b
    def _vpadd(e, inst, dst, srcs, temps): ...

The memory instructions are built here, from the shared bounds-checked scalar
accesses (``WasmLoad``/``WasmStore``) and the lane instructions, so that no
architecture writes them:

- ``v128.load32_zero``/``load64_zero``: a float load into a vector register (``movss``
  and ``ldr s`` zero the rest of the register);
- ``v128.loadNxM_s/u``: a 64-bit zeroing load, then ``extend_low``;
- ``v128.loadN_splat``: an integer load, then ``splat``;
- (an architecture whose ``WasmLoad`` does one of these two kinds in one instruction
  names it in ``Lowering.vector_loads``: x86's ``pmovsxbw xmm, m64``, ``movddup``);
- ``v128.loadN_lane``: an integer load, then ``replace_lane``;
- ``v128.storeN_lane``: ``extract_lane`` (unsigned), then an integer store.

With ``CompileEnv.canonicalize_nans``, the float vector operations whose NaN results
differ between architectures are followed by ``f32x4.canonicalize_nans`` or
``f64x2.canonicalize_nans``, two instructions of no wasm name that every architecture
implements: each NaN lane becomes the canonical NaN.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..api import ValueType
from ..machinst.operands import OperandCollector
from ..machinst.pseudo import InstBase
from ..machinst.regs import PReg
from ..machinst.regs import Reg as R
from ..wasm.opcodes import NAMES, PREFIX_FD
from .backend import Const, Operand, Reg
from .ops import OPS, Op, Operation
from .rules import RuleSet

if TYPE_CHECKING:
    from .isel import Lowering

__all__ = [
    "CANONICALIZE", "LANE_BITS", "NAN_VARYING", "VECTOR_RULES", "ConstsFn", "VecOp", "VectorEmitFn", "VectorImpl",
    "VectorTable", "vector_op",
]  # fmt: skip

_V128, _I32, _I64, _F32, _F64 = (ValueType.V128, ValueType.I32, ValueType.I64, ValueType.F32,
                                 ValueType.F64)  # fmt: skip

DstMode = Literal["late", "early", "reuse"]

VectorEmitFn = Callable[[Any, "VecOp", "PReg | None", Sequence[PReg], Sequence[PReg]], None]
"""``emit(emitter, inst, dst, srcs, temps)``: the allocated registers of ``inst`` (dst
None for an instruction without a result)."""


ConstsFn = Callable[[str, Any], Sequence[int]]
"""``consts(name, imm)``: the constants an implementation wants as extra sources."""


@dataclass(frozen=True, slots=True)
class VectorImpl:
    """How one architecture computes one SIMD instruction.

    - ``emit``: writes the machine code (a :data:`VectorEmitFn`).
    - ``temps``: the scratch registers it needs, one letter each: ``v`` a vector
      register, ``g`` an integer one. They share no register with the sources or dst.
    - ``dst``: ``late`` (the default) lets dst share a register with any source, so the
      code must read every source it needs before writing dst; ``early`` gives dst a
      register of its own; ``reuse`` puts dst in the register of the first source (x86
      two-address forms; the allocator copies the source first if it stays live).
    - ``imm_arg``: the index of an argument that is passed as ``VecOp.imm`` instead of
      in a register when it is a constant (shift counts); that source is then absent.
    - ``consts``: ``consts(name, imm)`` -> the 128-bit constants the code needs in
      registers (shuffle masks, lookup tables); they follow the arguments in ``srcs``.
      The lowering makes each once per function, out of loops
      (:meth:`~wazaot.lower.isel.Lowering.vector_const`): the code only reads them.
    """

    emit: VectorEmitFn
    temps: str = ""
    dst: DstMode = "late"
    imm_arg: int | None = None
    consts: ConstsFn | None = None


@dataclass(frozen=True, slots=True)
class VecOp(InstBase):
    """A SIMD instruction: ``dst := name(srcs, imm)``, emitted by ``impl.emit``.

    ``imm`` is the instruction's immediate (a lane index, the 16 lane indices of a
    shuffle) or a constant argument (``impl.imm_arg``). The visitor declares the
    sources, then the temps (early defs), then dst.
    """

    impl: VectorImpl
    name: str
    dst: R | None
    srcs: tuple[R, ...]
    temps: tuple[R, ...] = ()
    imm: Any = None

    def operands(self, c: OperandCollector) -> None:
        for src in self.srcs:
            c.reg_use(src)
        for temp in self.temps:
            c.reg_early_def(temp)
        dst = self.dst
        if dst is not None:
            mode = self.impl.dst
            if mode == "late":
                c.reg_def(dst)
            elif mode == "reuse":
                c.reg_reuse_def(dst, 0)  # type: ignore[arg-type]
            else:
                c.reg_early_def(dst)


class VectorTable:
    """An architecture's implementations of the SIMD instructions, by name."""

    def __init__(self, name: str):
        self.name = name
        self.impls: dict[str, list[tuple[frozenset[str], VectorImpl]]] = {}

    def register(self, *names: str, temps: str = "", dst: DstMode = "late",
                 imm_arg: int | None = None, when: Collection[str] = (),
                 consts: ConstsFn | None = None,
                 ) -> Callable[[VectorEmitFn], VectorEmitFn]:  # fmt: skip
        """Decorator: the implementation of the instructions ``names`` (wasm names, or
        ``f32x4.canonicalize_nans``/``f64x2.canonicalize_nans``), used when the
        lowering has every feature of ``when`` (the implementation with the most
        such features wins)."""
        required = frozenset(when)
        for name in names:
            if name not in _KNOWN:
                raise ValueError(f"{self.name}: {name!r} is not a SIMD instruction")

        def register(fn: VectorEmitFn) -> VectorEmitFn:
            impl = VectorImpl(fn, temps, dst, imm_arg, consts)
            for name in names:
                entries = self.impls.setdefault(name, [])
                if any(req == required for req, _ in entries):
                    raise ValueError(f"{self.name}: two implementations of {name} for "
                                     f"{sorted(required)}")  # fmt: skip
                entries.append((required, impl))
                entries.sort(key=lambda entry: -len(entry[0]))
            return fn  # still callable: one emitter may use another

        return register

    def lookup(self, name: str, features: frozenset[str]) -> VectorImpl | None:
        """The implementation of ``name`` for a lowering with ``features``, or None."""
        for required, impl in self.impls.get(name, ()):
            if required <= features:
                return impl
        return None

    def missing(self) -> list[str]:
        """The SIMD instructions this table has no implementation of (any features)."""
        return sorted(name for name in PURE | set(CANONICALIZE.values()) if name not in self.impls)


# -- the instructions ---------------------------------------------------------------------

_MEMORY = {name for name in (NAMES[c] for c in NAMES if c >= PREFIX_FD)
           if name.startswith(("v128.load", "v128.store"))}  # fmt: skip
PURE = frozenset(NAMES[c] for c in NAMES if c >= PREFIX_FD) - _MEMORY - {"v128.const"}
"""The SIMD instructions every architecture implements in its :class:`VectorTable`."""

NAN_VARYING = frozenset(
    f"{shape}.{op}" for shape in ("f32x4", "f64x2")
    for op in ("add", "sub", "mul", "div", "sqrt", "min", "max", "ceil", "floor", "trunc",
               "nearest")
) | {"f32x4.demote_f64x2_zero", "f64x2.promote_low_f32x4"}  # fmt: skip
"""The float vector instructions whose NaN results differ between architectures."""

CANONICALIZE = {_F32: "f32x4.canonicalize_nans", _F64: "f64x2.canonicalize_nans"}
"""Lane type -> the instruction that makes each NaN lane the canonical NaN."""

_KNOWN = PURE | set(CANONICALIZE.values())

LANE_BITS = {"i8x16": 8, "i16x8": 16, "i32x4": 32, "i64x2": 64, "f32x4": 32, "f64x2": 64}
"""The width of a lane, by shape (the prefix of an instruction's name)."""


def vector_op(lw: Lowering, name: str, args: Sequence[Operand], imm: Any,
              result: ValueType | None) -> Reg | None:  # fmt: skip
    """Emit the SIMD instruction ``name`` of ``args`` (and immediate ``imm``) through
    the architecture's implementation; its result (of type ``result``), or None."""
    impl = lw.vector_impl(name)
    if impl is None:
        raise lw.unsupported(name)
    lw.out.vectors = True
    k = impl.imm_arg
    if k is not None and type(args[k]) is Const:
        imm = args[k].bits  # type: ignore[union-attr]
        args = [a for i, a in enumerate(args) if i != k]
    srcs = tuple(lw.reg(a) for a in args)
    if impl.consts is not None:
        srcs += tuple(lw.vector_const(c) for c in impl.consts(name, imm))
    temps = tuple(lw.new_vreg(_V128 if t == "v" else _I64) for t in impl.temps)
    dst = lw.new_vreg(result) if result is not None else None
    lw.emit(VecOp(impl, name, dst, srcs, temps, imm))
    if dst is None or result is None:
        return None
    value = Reg(dst, result)
    if lw.env.canonicalize_nans and name in NAN_VARYING:
        lane = _F32 if name.startswith("f32x4") else _F64
        canon = vector_op(lw, CANONICALIZE[lane], [value], None, _V128)
        assert canon is not None
        return canon
    return value


VECTOR_RULES: RuleSet[Lowering] = RuleSet("vector")


@VECTOR_RULES.opcodes(*sorted(PURE))
def vector(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    value = vector_op(lw, op.name, args, imm, op.type)
    return [] if value is None else [value]


def _access(op: Op, operation: Operation, vt: ValueType, bits: int) -> Op:
    """``op`` as the scalar load or store of ``bits`` it starts with (unsigned)."""
    size = 32 if vt in (_I32, _F32) else 64
    return dataclasses.replace(op, operation=operation, type=vt, size=size, signed=False,
                               bits=bits)  # fmt: skip


def _load(lw: Lowering, op: Op, vt: ValueType, bits: int, result: ValueType, addr: Operand,
          imm: Any) -> Reg:  # fmt: skip
    dst = lw.new_vreg(result)
    lw.wasm_load(_access(op, Operation.LOAD, vt, bits), dst, addr, imm[1])
    return Reg(dst, result)


_SHAPES = {LANE_BITS[shape]: shape for shape in ("i8x16", "i16x8", "i32x4", "i64x2")}
_EXTENDS = {"8x8": "i16x8.extend_low_i8x16", "16x4": "i32x4.extend_low_i16x8",
            "32x2": "i64x2.extend_low_i32x4"}  # fmt: skip


@VECTOR_RULES.opcodes("v128.load32_zero", "v128.load64_zero")
def load_zero(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    lw.out.vectors = True
    vt = _F32 if op.bits == 32 else _F64
    return [_load(lw, op, vt, op.bits, _V128, args[0], imm)]


def _fused(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> Reg:
    """``op`` itself as the ``WasmLoad`` (the architecture loads and widens or splats in
    one instruction: ``Lowering.vector_loads``)."""
    lw.out.vectors = True
    dst = lw.new_vreg(_V128)
    lw.wasm_load(op, dst, args[0], imm[1])
    return Reg(dst, _V128)


@VECTOR_RULES.opcodes(*(f"v128.load{m}_{s}" for m in _EXTENDS for s in "su"))
def load_extend(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    if op.name in lw.vector_loads:
        return [_fused(lw, op, args, imm)]
    lw.out.vectors = True
    low = _load(lw, op, _F64, 64, _V128, args[0], imm)
    shape = op.name.removeprefix("v128.load")  # "8x8_s"
    value = vector_op(lw, f"{_EXTENDS[shape[:-2]]}_{shape[-1]}", [low], None, _V128)
    assert value is not None
    return [value]


@VECTOR_RULES.opcodes(*(f"v128.load{n}_splat" for n in _SHAPES))
def load_splat(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    if op.name in lw.vector_loads:
        return [_fused(lw, op, args, imm)]
    vt = _I64 if op.bits == 64 else _I32
    scalar = _load(lw, op, vt, op.bits, vt, args[0], imm)
    value = vector_op(lw, f"{_SHAPES[op.bits]}.splat", [scalar], None, _V128)
    assert value is not None
    return [value]


@VECTOR_RULES.opcodes(*(f"v128.load{n}_lane" for n in _SHAPES))
def load_lane(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = _I64 if op.bits == 64 else _I32
    memarg, lane = imm
    scalar = _load(lw, op, vt, op.bits, vt, args[0], (None, memarg[1]))
    value = vector_op(lw, f"{_SHAPES[op.bits]}.replace_lane", [args[1], scalar], lane, _V128)
    assert value is not None
    return [value]


@VECTOR_RULES.opcodes(*(f"v128.store{n}_lane" for n in _SHAPES))
def store_lane(lw: Lowering, op: Op, args: list[Operand], imm: Any) -> list[Operand]:
    vt = _I64 if op.bits == 64 else _I32
    memarg, lane = imm
    shape = _SHAPES[op.bits]
    name = f"{shape}.extract_lane_u" if op.bits < 32 else f"{shape}.extract_lane"
    scalar = vector_op(lw, name, [args[1]], lane, vt)
    assert scalar is not None
    lw.wasm_store(_access(op, Operation.STORE, vt, op.bits), lw.reg(scalar), args[0], memarg[1])
    return []


def _check_complete() -> None:
    covered = PURE | {"v128.load", "v128.store"} | {
        NAMES[c] for c in VECTOR_RULES.table}  # fmt: skip
    missing = sorted(n for n in (NAMES[c] for c in OPS if c >= PREFIX_FD)
                     if n not in covered and n != "v128.const")  # fmt: skip
    assert not missing, f"SIMD instructions without a rule: {missing}"


_check_complete()
