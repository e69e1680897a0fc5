"""Decoded wasm operations: what instruction selection needs to know about an opcode.

Every instruction that reaches ``Backend.op`` (arithmetic, comparisons, conversions,
loads and stores, memory, table, global and reference instructions) has one frozen
:class:`Op` record in :data:`OPS`, built once at import from the opcode table
(:mod:`wazaot.wasm.opcodes`): the operation as an enum, its value type, width,
signedness and the few other facts rules branch on. Rules read the record; no
backend parses an opcode's name::

    OPS[OP["i64.shr_u"]]       -> Op(SHR, type=I64, size=64, signed=False)
    OPS[OP["i32.load16_s"]]    -> Op(LOAD, type=I32, size=32, signed=True, bits=16)
    OPS[OP["i32.trunc_sat_f64_u"]]
                               -> Op(TRUNC, type=I32, from_type=F64, saturating=True)

SIMD opcodes are decoded as :attr:`Operation.VECTOR` with ``type`` their result type
(V128, a scalar for ``extract_lane``/``any_true``/``bitmask``..., None for the lane
stores), ``size`` 128 and, for the memory ones, ``bits`` accessed; rules know them by
name (``wazaot.lower.vector``). ``v128.load`` and ``v128.store`` are a LOAD and a STORE
of type V128, 128 bits, lowered by the shared rules like the scalar ones.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..api import ValueType
from ..wasm.opcodes import MAX_ALIGN, NAMES, PREFIX_FD, SIGNATURES

__all__ = ["OPS", "Op", "Operation", "Rounding"]


class Operation(enum.Enum):
    """What an instruction computes, whatever its types."""

    # integer arithmetic and bits
    ADD = enum.auto()
    SUB = enum.auto()
    MUL = enum.auto()
    DIV = enum.auto()  # integer (signed or not) and float division
    REM = enum.auto()
    AND = enum.auto()
    OR = enum.auto()
    XOR = enum.auto()
    SHL = enum.auto()
    SHR = enum.auto()  # signed: arithmetic shift
    ROTL = enum.auto()
    ROTR = enum.auto()
    CLZ = enum.auto()
    CTZ = enum.auto()
    POPCNT = enum.auto()
    # comparisons (i32 results; ``signed`` for the integer orderings)
    EQZ = enum.auto()
    EQ = enum.auto()
    NE = enum.auto()
    LT = enum.auto()
    GT = enum.auto()
    LE = enum.auto()
    GE = enum.auto()
    # float arithmetic
    ABS = enum.auto()
    NEG = enum.auto()
    SQRT = enum.auto()
    ROUND = enum.auto()  # ceil floor trunc nearest: see ``Op.rounding``
    MIN = enum.auto()
    MAX = enum.auto()
    COPYSIGN = enum.auto()
    # conversions (``type`` the result, ``from_type`` the operand)
    WRAP = enum.auto()
    EXTEND = enum.auto()  # sign or zero extension from ``bits``
    TRUNC = enum.auto()  # float -> integer, trapping or ``saturating``
    CONVERT = enum.auto()  # integer -> float
    DEMOTE = enum.auto()
    PROMOTE = enum.auto()
    REINTERPRET = enum.auto()
    # memory (``bits`` accessed; loads: ``signed`` extension)
    LOAD = enum.auto()
    STORE = enum.auto()
    MEMORY_SIZE = enum.auto()
    MEMORY_GROW = enum.auto()
    MEMORY_FILL = enum.auto()
    MEMORY_COPY = enum.auto()
    MEMORY_INIT = enum.auto()
    DATA_DROP = enum.auto()
    # tables, globals, references
    TABLE_GET = enum.auto()
    TABLE_SET = enum.auto()
    TABLE_SIZE = enum.auto()
    TABLE_GROW = enum.auto()
    TABLE_FILL = enum.auto()
    TABLE_COPY = enum.auto()
    TABLE_INIT = enum.auto()
    ELEM_DROP = enum.auto()
    GLOBAL_GET = enum.auto()
    GLOBAL_SET = enum.auto()
    REF_FUNC = enum.auto()
    REF_IS_NULL = enum.auto()
    # 128-bit SIMD: known by name (``Op.name``), see ``wazaot.lower.vector``
    VECTOR = enum.auto()

    # Members are singletons compared by identity: hash them the same way, in C
    # (``Enum.__hash__`` is a Python call, and rules look operations up per instruction).
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return self.name


class Rounding(enum.Enum):
    """The rounding of a float ``ROUND``: the wasm names."""

    NEAREST = enum.auto()  # to nearest, ties to even
    FLOOR = enum.auto()
    CEIL = enum.auto()
    TRUNC = enum.auto()  # toward zero

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Op:
    """One decoded opcode. ``type`` is the type the operation works on: the operand
    type of arithmetic and comparisons, the result type of conversions and loads, the
    stored type of stores (None for instructions typed by their immediates).
    ``size`` is its width in bits (32, 64, or 128 for v128; 0 for references and untyped
    ones)."""

    opcode: int
    name: str
    operation: Operation
    n_params: int  # values popped (for instructions typed by immediates: see frontend)
    n_results: int
    type: ValueType | None = None
    size: int = 0
    signed: bool = False
    from_type: ValueType | None = None  # conversions: the operand type
    bits: int = 0  # loads/stores: bits accessed; EXTEND: bits extended from
    saturating: bool = False  # TRUNC: saturating instead of trapping
    rounding: Rounding | None = None  # ROUND

    @property
    def from_size(self) -> int:
        """The width in bits of ``from_type`` (0 without one)."""
        return _SIZES.get(self.from_type, 0) if self.from_type is not None else 0

    @property
    def is_float(self) -> bool:
        """Whether ``type`` is f32 or f64."""
        return self.type is ValueType.F32 or self.type is ValueType.F64

    def __repr__(self) -> str:
        return self.name


_TYPES = {"i32": ValueType.I32, "i64": ValueType.I64, "f32": ValueType.F32, "f64": ValueType.F64}
_SIZES = {ValueType.I32: 32, ValueType.I64: 64, ValueType.F32: 32, ValueType.F64: 64}

_BINARY = {
    "add": Operation.ADD, "sub": Operation.SUB, "mul": Operation.MUL, "div": Operation.DIV,
    "rem": Operation.REM, "and": Operation.AND, "or": Operation.OR, "xor": Operation.XOR,
    "shl": Operation.SHL, "shr": Operation.SHR, "rotl": Operation.ROTL, "rotr": Operation.ROTR,
    "clz": Operation.CLZ, "ctz": Operation.CTZ, "popcnt": Operation.POPCNT,
    "eqz": Operation.EQZ, "eq": Operation.EQ, "ne": Operation.NE, "lt": Operation.LT,
    "gt": Operation.GT, "le": Operation.LE, "ge": Operation.GE, "abs": Operation.ABS,
    "neg": Operation.NEG, "sqrt": Operation.SQRT, "min": Operation.MIN, "max": Operation.MAX,
    "copysign": Operation.COPYSIGN,
}  # fmt: skip
_ROUNDINGS = {"ceil": Rounding.CEIL, "floor": Rounding.FLOOR, "trunc": Rounding.TRUNC,
              "nearest": Rounding.NEAREST}  # fmt: skip
_CONVERSIONS = {
    "wrap": Operation.WRAP, "extend": Operation.EXTEND, "trunc": Operation.TRUNC,
    "convert": Operation.CONVERT, "demote": Operation.DEMOTE, "promote": Operation.PROMOTE,
    "reinterpret": Operation.REINTERPRET,
}  # fmt: skip
_V128_ACCESS = {"v128.load": Operation.LOAD, "v128.store": Operation.STORE}
# Instructions named by their whole name: (operation, params, results).
_WHOLE = {
    "memory.size": (Operation.MEMORY_SIZE, 0, 1),
    "memory.grow": (Operation.MEMORY_GROW, 1, 1),
    "memory.fill": (Operation.MEMORY_FILL, 3, 0),
    "memory.copy": (Operation.MEMORY_COPY, 3, 0),
    "memory.init": (Operation.MEMORY_INIT, 3, 0),
    "data.drop": (Operation.DATA_DROP, 0, 0),
    "table.get": (Operation.TABLE_GET, 1, 1),
    "table.set": (Operation.TABLE_SET, 2, 0),
    "table.size": (Operation.TABLE_SIZE, 0, 1),
    "table.grow": (Operation.TABLE_GROW, 2, 1),
    "table.fill": (Operation.TABLE_FILL, 3, 0),
    "table.copy": (Operation.TABLE_COPY, 3, 0),
    "table.init": (Operation.TABLE_INIT, 3, 0),
    "elem.drop": (Operation.ELEM_DROP, 0, 0),
    "global.get": (Operation.GLOBAL_GET, 0, 1),
    "global.set": (Operation.GLOBAL_SET, 1, 0),
    "ref.func": (Operation.REF_FUNC, 0, 1),
    "ref.is_null": (Operation.REF_IS_NULL, 1, 1),
}


def _decode(opcode: int, name: str) -> Op | None:
    """The record of ``name``, or None for instructions that never reach ``Backend.op``
    (control, locals, constants, ``select``...)."""
    sig = SIGNATURES.get(opcode)
    n_params, n_results = (len(sig[0]), len(sig[1])) if sig is not None else (0, 0)
    if name in _WHOLE:
        operation, n_params, n_results = _WHOLE[name]
        return Op(opcode, name, operation, n_params, n_results)
    if name in _V128_ACCESS:  # a whole v128 moved like a scalar: the shared load/store
        return Op(opcode, name, _V128_ACCESS[name], n_params, n_results, ValueType.V128, 128,
                  bits=128)  # fmt: skip
    if opcode >= PREFIX_FD:
        results = sig[1] if sig is not None else ()
        return Op(opcode, name, Operation.VECTOR, n_params, n_results,
                  results[0] if results else None, 128,
                  bits=8 << MAX_ALIGN[opcode] if opcode in MAX_ALIGN else 0)  # fmt: skip
    prefix, _, rest = name.partition(".")
    vt = _TYPES.get(prefix)
    if vt is None or sig is None or rest == "const":
        return None
    size = _SIZES[vt]
    head, _, tail = rest.partition("_")  # "load16_s" -> "load16", "s"
    if rest.startswith(("load", "store")):
        operation = Operation.LOAD if rest.startswith("load") else Operation.STORE
        digits = head.removeprefix("load").removeprefix("store")
        bits = int(digits) if digits else size
        return Op(opcode, name, operation, n_params, n_results, vt, size, tail == "s", bits=bits)
    if head in _ROUNDINGS and vt in (ValueType.F32, ValueType.F64) and not tail:
        return Op(opcode, name, Operation.ROUND, n_params, n_results, vt, size,
                  rounding=_ROUNDINGS[head])  # fmt: skip
    if head in _CONVERSIONS or head.startswith("extend"):
        # i32.wrap_i64, i64.extend_i32_u, i32.extend8_s, i32.trunc_sat_f64_u, ...
        parts = rest.split("_")
        signed = parts[-1] == "s"
        saturating = "sat" in parts
        from_type = _TYPES.get(next((p for p in parts if p in _TYPES), ""), None)
        if head.startswith("extend") and head != "extend":
            return Op(opcode, name, Operation.EXTEND, n_params, n_results, vt, size, True,
                      vt, bits=int(head.removeprefix("extend")))  # fmt: skip
        operation = _CONVERSIONS[head]
        bits = 32 if operation is Operation.EXTEND else 0
        return Op(opcode, name, operation, n_params, n_results, vt, size, signed, from_type,
                  bits, saturating)  # fmt: skip
    operation = _BINARY[head]
    return Op(opcode, name, operation, n_params, n_results, vt, size, tail == "s")


def _build() -> dict[int, Op]:
    table: dict[int, Op] = {}
    for opcode, name in NAMES.items():
        op = _decode(opcode, name)
        if op is not None:
            table[opcode] = op
    return table


OPS: dict[int, Op] = _build()
"""The decoded record of every opcode that reaches ``Backend.op``, by opcode."""
