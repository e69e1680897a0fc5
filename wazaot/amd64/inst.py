"""x86-64 machine instructions on virtual registers (the input of the allocator).

Each class is named by its operand format and has one ``operands`` visitor; the
emitter (``emit.py``) reads the allocated registers back in the same order. By
convention every visitor declares its uses first, then its defs, in field order.

Conditions are small operand groups of their own (``IntCond``, ``FloatCond``,
``NonZero``) so that a comparison and its consumer (a branch, ``setcc``, ``cmov``)
are one instruction: the flags never have to survive between two instructions,
whatever moves the allocator puts there.

Pseudo-instructions (``DivRem``, ``WasmLoad``, ``FMin``, ``TruncChecked``...) expand
to several machine instructions (``sequences.py``), possibly with an out-of-line trap;
each is a class of its own. The pseudo-instructions every architecture shares (calls,
returns, jumps, exits, stack slots) are in :mod:`wazaot.machinst.pseudo`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..lower.common_inst import (  # noqa: F401  (shared: re-exported)
    Convert,
    FAbs,
    FConst,
    FNeg,
    FRound,
    FSqrt,
    LoadCtx,
    MovImm,
    MovRR,
    StoreGlobal,
    TableAccess,
    TruncChecked,
    TruncSat,
    VConst,
    WasmLoad,
    WasmStore,
    _FUnary,
    _Trunc,
)
from ..lower.ops import Operation
from ..machinst import ConstraintKind, Operand, OperandCollector, OperandKind, OperandPos, PReg
from ..machinst import Reg as R
from ..machinst.pseudo import InstBase, TermBase
from .abi import rax as _RAX
from .abi import rcx as _RCX
from .abi import rdi as _RDI
from .abi import rdx as _RDX
from .abi import rsi as _RSI
from .args import Cond


class AluOp(enum.Enum):
    """The two-operand integer operations of ``AluRRR``/``AluRRImm`` (the mnemonic)."""

    ADD = "add"
    SUB = "sub"
    AND = "and"
    OR = "or"
    XOR = "xor"
    IMUL = "imul"

    def __repr__(self) -> str:
        return self.name


class ShiftOp(enum.Enum):
    """The shifts and rotations (the mnemonic)."""

    SHL = "shl"
    SHR = "shr"
    SAR = "sar"
    ROL = "rol"
    ROR = "ror"

    def __repr__(self) -> str:
        return self.name


class FAluOp(enum.Enum):
    """The scalar SSE arithmetic of ``FAlu`` (the mnemonic without ss/sd)."""

    ADD = "add"
    SUB = "sub"
    MUL = "mul"
    DIV = "div"

    def __repr__(self) -> str:
        return self.name


def early_fixed_def(c: OperandCollector, reg: R, preg: PReg) -> None:
    c.operand(Operand(reg, OperandKind.DEF, OperandPos.EARLY, ConstraintKind.FIXED, preg))


# -- conditions --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntCond:
    """``cmp lhs, rhs`` (or ``cmp lhs, imm``) then condition ``cc``."""

    cc: Cond
    size: int
    lhs: R
    rhs: R | None = None
    imm: int = 0

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        if self.rhs is not None:
            c.reg_use(self.rhs)


@dataclass(frozen=True, slots=True)
class NonZero:
    """``test reg, reg`` then ``ne`` (``negate``: ``e``)."""

    reg: R
    size: int = 32
    negate: bool = False

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.reg)


@dataclass(frozen=True, slots=True)
class FloatCond:
    """A wasm float comparison: ``op`` one of EQ NE LT GT LE GE, ``prec`` 32 or 64."""

    op: Operation
    prec: int
    lhs: R
    rhs: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_use(self.rhs)


Condition = IntCond | NonZero | FloatCond


# -- integer arithmetic ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AluRRR(InstBase):
    """dst := lhs op rhs (two-address: dst reuses lhs)."""

    op: AluOp
    size: int
    dst: R
    lhs: R
    rhs: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_use(self.rhs)
        c.reg_reuse_def(self.dst, 0)


@dataclass(frozen=True, slots=True)
class AluRRImm(InstBase):
    """dst := lhs op imm (imm fits a sign-extended 32-bit immediate)."""

    op: AluOp
    size: int
    dst: R
    lhs: R
    imm: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_reuse_def(self.dst, 0)


@dataclass(frozen=True, slots=True)
class MulImm(InstBase):
    """dst := src * imm (``imul r, r/m, imm32``: three-address)."""

    size: int
    dst: R
    src: R
    imm: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class ShiftRR(InstBase):
    """dst := lhs op count; the count in cl."""

    op: ShiftOp
    size: int
    dst: R
    lhs: R
    count: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_fixed_use(self.count, _RCX)  # type: ignore[arg-type]
        c.reg_reuse_def(self.dst, 0)


@dataclass(frozen=True, slots=True)
class ShiftImm(InstBase):
    """dst := lhs op imm."""

    op: ShiftOp
    size: int
    dst: R
    lhs: R
    imm: int

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_reuse_def(self.dst, 0)


@dataclass(frozen=True, slots=True)
class DivRem(InstBase):
    """Checked division (``rem``: the remainder), signed or not. lhs in rax; the
    quotient comes out in rax, the remainder in rdx (defined early, so rhs avoids rdx)."""

    rem: bool
    signed: bool
    size: int
    dst: R
    lhs: R
    rhs: R
    scratch: R  # div: an early def pinned to rdx (keeps rhs out of it); rem: unused

    def operands(self, c: OperandCollector) -> None:
        c.reg_fixed_use(self.lhs, _RAX)  # type: ignore[arg-type]
        c.reg_use(self.rhs)
        if not self.rem:
            early_fixed_def(c, self.scratch, _RDX)
            c.reg_fixed_def(self.dst, _RAX)  # type: ignore[arg-type]
        else:
            early_fixed_def(c, self.dst, _RDX)
            c.reg_clobbers([_RAX])


@dataclass(frozen=True, slots=True)
class Extend(InstBase):
    """Sign or zero extension (``movsx``/``movzx``/``movsxd``/``mov r32, r32``):
    ``from_bits`` of src to ``size`` bits of dst."""

    signed: bool
    from_bits: int
    size: int
    dst: R
    src: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class FAlu(InstBase):
    """dst := lhs op rhs (``addss``/``addsd``...): two-address."""

    op: FAluOp
    prec: int
    dst: R
    lhs: R
    rhs: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.lhs)
        c.reg_use(self.rhs)
        c.reg_reuse_def(self.dst, 0)


# -- multi-instruction sequences (sequences.py) ----------------------------------------------
#
# Each reads its sources, then writes dst (which may share a register with any source).


@dataclass(frozen=True, slots=True)
class _BitCount(InstBase):
    """``native``: the processor has the instruction (lzcnt, tzcnt, popcnt)."""

    size: int
    native: bool
    dst: R
    src: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class Clz(_BitCount):
    """i32/i64.clz: ``lzcnt``, or ``bsr`` and a fix-up."""


@dataclass(frozen=True, slots=True)
class Ctz(_BitCount):
    """i32/i64.ctz: ``tzcnt``, or ``bsf`` and a fix-up."""


@dataclass(frozen=True, slots=True)
class Popcnt(_BitCount):
    """i32/i64.popcnt: ``popcnt``, or a SWAR count."""


@dataclass(frozen=True, slots=True)
class _FBinary(InstBase):
    prec: int
    dst: R
    a: R
    b: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.a)
        c.reg_use(self.b)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class FMin(_FBinary):
    """f32/f64.min (NaNs and signed zeros as wasm wants)."""


@dataclass(frozen=True, slots=True)
class FMax(_FBinary):
    """f32/f64.max (NaNs and signed zeros as wasm wants)."""


@dataclass(frozen=True, slots=True)
class FCopysign(_FBinary):
    """f32/f64.copysign: a's magnitude, b's sign."""


@dataclass(frozen=True, slots=True)
class Demote(InstBase):
    """f32.demote_f64."""

    dst: R
    src: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class Promote(InstBase):
    """f64.promote_f32."""

    dst: R
    src: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class Reinterpret(InstBase):
    """A ``size``-bit move between a GPR and an XMM register (``movd``/``movq``)."""

    size: int
    dst: R
    src: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_use(self.src)
        c.reg_def(self.dst)


# -- conditions consumed ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetCond(InstBase):
    """dst := cond ? 1 : 0 (an i32)."""

    cond: Condition
    dst: R

    def operands(self, c: OperandCollector) -> None:
        self.cond.operands(c)
        c.reg_def(self.dst)


@dataclass(frozen=True, slots=True)
class Select(InstBase):
    """dst := cond ? a : b, for either register class (a cmov or a short branch)."""

    cond: Condition
    dst: R
    a: R
    b: R

    def operands(self, c: OperandCollector) -> None:
        self.cond.operands(c)
        c.reg_use(self.a)
        c.reg_use(self.b)
        c.reg_early_def(self.dst)


# -- memory ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemCopy(InstBase):
    """memory.copy of ``n`` bytes from ``src`` to ``dst`` (i32 addresses), bounds-checked,
    with ``rep movsb``: the operands travel in rdi, rsi and rcx, which it consumes."""

    dst: R
    src: R
    n: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_fixed_use(self.dst, _RDI)  # type: ignore[arg-type]
        c.reg_fixed_use(self.src, _RSI)  # type: ignore[arg-type]
        c.reg_fixed_use(self.n, _RCX)  # type: ignore[arg-type]
        c.reg_clobbers([_RDI, _RSI, _RCX])


@dataclass(frozen=True, slots=True)
class MemFill(InstBase):
    """memory.fill of ``n`` bytes at ``dst`` with the low byte of ``value``,
    bounds-checked, with ``rep stosb``: rdi, rax (al) and rcx, which it consumes."""

    dst: R
    value: R
    n: R

    def operands(self, c: OperandCollector) -> None:
        c.reg_fixed_use(self.dst, _RDI)  # type: ignore[arg-type]
        c.reg_fixed_use(self.value, _RAX)  # type: ignore[arg-type]
        c.reg_fixed_use(self.n, _RCX)  # type: ignore[arg-type]
        c.reg_clobbers([_RDI, _RCX])


# -- terminators (the shared ones are in wazaot.machinst.pseudo) ----------------------------


@dataclass(frozen=True, slots=True)
class JmpCond(TermBase):
    """Go to ``taken`` if ``cond`` holds, else to ``not_taken``."""

    cond: Condition
    taken: int
    not_taken: int

    def operands(self, c: OperandCollector) -> None:
        self.cond.operands(c)
