"""The validator (``wazaot/wasm/validator.py``).

Three layers:

- hand-built ``Module`` objects (no decoder involved), one rule per case, checking
  the message prefixes the spec test suite expects;
- small modules written in the text format, assembled by wasmtime's ``wat2wasm``
  and decoded by ``decode_module``;
- a differential test: random function bodies, valid or not, whose verdict must
  match wasmtime's validator (wasmparser) under the Core 2.0 + tail-call features.
"""

from __future__ import annotations

from typing import Any

import pytest

from wazaot.api import ValueType
from wazaot.errors import DecodeError, ValidationError
from wazaot.wasm.module import (
    Code,
    ConstExpr,
    Data,
    Element,
    Export,
    ExternKind,
    FuncType,
    Global,
    GlobalType,
    Import,
    Instr,
    Limits,
    MemoryType,
    Module,
    SegmentMode,
    TableType,
)
from wazaot.wasm.opcodes import IMMEDIATES, OP, Imm
from wazaot.wasm.validator import validate_module

I32, I64, F32, F64, V128 = (ValueType.I32, ValueType.I64, ValueType.F32, ValueType.F64,
                            ValueType.V128)  # fmt: skip
FUNCREF, EXTERNREF = ValueType.FUNCREF, ValueType.EXTERNREF

# -- builders -----------------------------------------------------------------------

Op = str | tuple[str, Any]


def instrs(ops: list[Op], start: int = 0) -> list[Instr]:
    """``["i32.add", ("local.get", 0)]`` -> instructions at offsets start, start+1, ..."""
    out = []
    for i, op in enumerate(ops):
        name, imm = (op, None) if isinstance(op, str) else op
        out.append(Instr(OP[name], imm, start + i))
    return out


_TYPE_NAMES = {str(t): t for t in ValueType}


def types_of(text: str) -> tuple[ValueType, ...]:
    return tuple(_TYPE_NAMES[word] for word in text.split())


def parse(text: str) -> list[Op]:
    """``"i32.const 1; block i32; br_table 0 1 1; end"`` -> ops for ``instrs``.

    Arguments are ints or value type names; several make a tuple, except for
    ``br_table`` (labels, default) and lane memory accesses ((align, offset), lane).
    """
    ops: list[Op] = []
    for item in filter(str.strip, text.split(";")):
        name, *words = item.split()
        args = [_TYPE_NAMES[w] if w in _TYPE_NAMES else int(w) for w in words]
        kind = IMMEDIATES[OP[name]]
        imm: Any
        if kind is Imm.BR_TABLE:
            imm = (tuple(args[:-1]), args[-1])
        elif kind is Imm.MEMARG_LANE:
            imm = ((args[0], args[1]), args[2])
        elif kind is Imm.SELECT_T or len(args) > 1:
            imm = tuple(args)
        else:
            imm = args[0] if args else None
        ops.append((name, imm))
    return ops


def const(op: Op) -> ConstExpr:
    return ConstExpr(instrs([op, "end"]), 0)


def module(
    body: list[Op] | None = None,
    params: tuple[ValueType, ...] = (),
    results: tuple[ValueType, ...] = (),
    local_types: tuple[ValueType, ...] = (),
    *,
    memory: bool = True,
    **fields: Any,
) -> Module:
    """A module whose function 0 has ``body`` (``end`` appended), type 0 = its type.

    ``fields`` go straight to ``Module`` (types given there are appended after
    type 0). A memory of one page is defined unless ``memory=False``.
    """
    types = [FuncType(params, results)] + fields.pop("types", [])
    m = Module(types=types, **fields)
    if memory and not m.memories:
        m.memories = [MemoryType(Limits(1))]
    if body is not None:
        m.functions.insert(0, 0)
        m.codes.insert(0, Code([(1, t) for t in local_types], instrs(list(body) + ["end"]), 0))
    return m


def invalid(m: Module) -> str:
    with pytest.raises(ValidationError) as info:
        validate_module(m)
    return info.value.message


# -- function bodies: valid ------------------------------------------------------------

# (name, body, params, results); the module also has types 1: [i32 i64] -> [i32 i64],
# 2: [i32] -> [i32] and 3: [i32] -> [i32], and one i32 local after the params.
VALID_BODIES = [
    ("empty", "", "", ""),
    ("add", "local.get 0; local.get 0; i32.add", "i32", "i32"),
    ("const", "f64.const 0", "", "f64"),
    ("load_store", "i32.const 0; i64.const 1; i64.store 3 0", "", ""),
    ("block_result", "block i32; i32.const 1; end", "", "i32"),
    ("block_multi", "i32.const 1; i64.const 2; block 1; end", "", "i32 i64"),
    ("loop_param", "i32.const 1; loop 2; i32.const 0; br_if 0; end; drop", "", ""),
    ("if_else", "i32.const 1; if i32; i32.const 2; else; i32.const 3; end", "", "i32"),
    ("if_param_no_else", "i32.const 1; i32.const 0; if 3; end", "", "i32"),
    ("br_value", "block i32; i32.const 1; br 0; end", "", "i32"),
    ("br_if_keeps", "block i32; i32.const 1; i32.const 0; br_if 0; end", "", "i32"),
    ("br_table", "block i32; block i32; i32.const 1; i32.const 0; br_table 0 1 1; end; end",
     "", "i32"),
    ("return", "i32.const 7; return", "", "i32"),
    ("unreachable_then_anything", "unreachable; i32.add; drop; f32.const 0", "", "f32"),
    ("unreachable_polymorphic_result", "unreachable", "", "i32 f64"),
    ("unreachable_select", "unreachable; select; drop", "", ""),
    ("unreachable_select_one", "unreachable; i64.const 0; i32.const 1; select; i64.eqz; drop",
     "", ""),
    ("br_table_unreachable_arity",
     "block f32; block i32; unreachable; br_table 0 1; end; unreachable; end", "", "f32"),
    ("br_after_unreachable_frame", "block i64; unreachable; br 0; end", "", "i64"),
    ("select", "i32.const 1; i32.const 2; i32.const 0; select", "", "i32"),
    ("select_v128", "v128.const 0; v128.const 0; i32.const 0; select", "", "v128"),
    ("select_t_ref", "ref.null funcref; ref.null funcref; i32.const 0; select_t funcref",
     "", "funcref"),
    ("locals", "local.get 1; local.tee 1; local.set 1", "i32", ""),
    ("ref_is_null", "ref.null externref; ref.is_null", "", "i32"),
    ("lanes", "v128.const 0; i8x16.extract_lane_u 15", "", "i32"),
    ("shuffle", "v128.const 0; v128.const 0; i8x16.shuffle " + " ".join(map(str, range(16, 32))),
     "", "v128"),
    ("load_lane", "i32.const 0; v128.const 0; v128.load64_lane 3 0 1", "", "v128"),
    ("memory_ops", "memory.size; memory.grow 0; i32.const 0; i32.const 0; memory.fill 0", "", ""),
    ("call", "i32.const 1; call 0", "i32", ""),
]  # fmt: skip


@pytest.mark.parametrize("name,body,params,results", VALID_BODIES, ids=[v[0] for v in VALID_BODIES])
def test_valid_body(name, body, params, results):
    m = module(parse(body), types_of(params), types_of(results), (I32,))
    m.types += [FuncType((I32, I64), (I32, I64)), FuncType((I32,), (I32,)),
                FuncType((I32,), (I32,)), FuncType((), (I32,))]  # fmt: skip
    validate_module(m)


# -- function bodies: invalid -----------------------------------------------------------

# (name, body, results, expected message prefix); the function takes no parameters.
INVALID_BODIES = [
    ("empty_stack", "i32.eqz; drop", "", "type mismatch"),
    ("wrong_operand", "i64.const 0; i32.eqz; drop", "", "type mismatch"),
    ("missing_result", "", "i32", "type mismatch"),
    ("extra_value", "i32.const 0", "", "type mismatch"),
    ("block_cannot_see_outer", "i32.const 0; block; drop; end; drop", "", "type mismatch"),
    ("block_leaves_value", "block; i32.const 0; end", "", "type mismatch"),
    ("if_without_else_result", "i32.const 0; if i32; i32.const 1; end; drop", "",
     "type mismatch"),
    ("else_result", "i32.const 0; if i32; i32.const 1; else; end; drop", "", "type mismatch"),
    ("else_outside_if", "block; else; end", "", "else without matching if"),
    ("br_value", "block i32; br 0; end; drop", "", "type mismatch"),
    ("unknown_label", "br 1", "", "unknown label"),
    ("br_table_arity", "block i32; block; i32.const 0; br_table 0 1; end; end; drop", "",
     "type mismatch"),
    ("br_table_unreachable_arity",
     "block f32; block; unreachable; br_table 0 1; end; end; drop", "", "type mismatch"),
    ("br_table_types", "block f32; block i32; i32.const 0; i32.const 0; br_table 0 1; end; "
     "drop; end; drop", "", "type mismatch"),
    ("unreachable_still_typed", "unreachable; i64.const 0; i32.eqz; drop", "", "type mismatch"),
    ("select_ref_untyped", "ref.null funcref; ref.null funcref; i32.const 0; select; drop", "",
     "type mismatch"),
    ("select_mixed", "i32.const 0; i64.const 0; i32.const 0; select; drop", "", "type mismatch"),
    ("select_t_arity", "i32.const 0; i32.const 0; i32.const 0; select_t i32 i32; drop", "",
     "invalid result arity"),
    ("unknown_local", "local.get 2; drop", "", "unknown local 2"),
    ("unknown_global", "global.get 0; drop", "", "unknown global 0"),
    ("unknown_function", "call 5", "", "unknown function 5"),
    ("unknown_type", "block 9; end", "", "unknown type 9"),
    ("alignment", "i32.const 0; i32.load 3 0; drop", "",
     "alignment must not be larger than natural"),
    ("alignment_lane", "i32.const 0; v128.const 0; v128.load16_lane 2 0 0; drop", "",
     "alignment must not be larger than natural"),
    ("lane", "v128.const 0; i32x4.extract_lane 4; drop", "", "invalid lane index"),
    ("store_lane", "i32.const 0; v128.const 0; v128.store32_lane 2 0 4", "",
     "invalid lane index"),
    ("shuffle_lane", "v128.const 0; v128.const 0; i8x16.shuffle " + "32 " * 16 + "; drop", "",
     "invalid lane index"),
    ("ref_is_null_num", "i32.const 0; ref.is_null; drop", "", "type mismatch"),
    ("unknown_table", "i32.const 0; table.get 0; drop", "", "unknown table 0"),
    ("call_indirect_no_table", "i32.const 0; call_indirect 0 0", "", "unknown table 0"),
    ("unknown_elem", "elem.drop 0", "", "unknown elem segment 0"),
    ("unknown_data", "data.drop 0", "", "unknown data segment 0"),
    ("undeclared_ref", "ref.func 0; drop", "", "undeclared function reference"),
    ("return_type", "return", "i32", "type mismatch"),
]  # fmt: skip


@pytest.mark.parametrize("name,body,results,message", INVALID_BODIES,
                         ids=[v[0] for v in INVALID_BODIES])  # fmt: skip
def test_invalid_body(name, body, results, message):
    assert invalid(module(parse(body), (), types_of(results))).startswith(message)


def test_error_carries_offset_and_function_index():
    m = module([("i32.const", 0), ("i32.const", 0), "i32.add", "f32.neg"], (), (F32,))
    m.imports = [Import("env", "f", ExternKind.FUNC, 0)]
    with pytest.raises(ValidationError) as info:
        validate_module(m)
    assert info.value.func_index == 1  # after the imported function
    assert info.value.offset == 3  # the f32.neg


def test_memory_instructions_need_a_memory():
    m = module([("i32.const", 0), ("i32.load", (2, 0)), "drop"], memory=False)
    assert invalid(m).startswith("unknown memory")
    assert invalid(module(["memory.size", "drop"], memory=False)).startswith("unknown memory")


def test_global_set_immutable():
    m = module([("i32.const", 1), ("global.set", 0)])
    m.globals = [Global(GlobalType(I32, False), const(("i32.const", 0)))]
    assert invalid(m) == "global is immutable"
    m.globals[0].type = GlobalType(I32, True)
    validate_module(m)


def test_tables():
    m = module([("i32.const", 0), ("ref.null", EXTERNREF), ("table.set", 1),
                ("ref.null", FUNCREF), ("i32.const", 1), ("table.grow", 0), "drop",
                ("i32.const", 0), ("i32.const", 0), ("i32.const", 0), ("table.copy", (0, 0)),
                ("i32.const", 0), ("i32.const", 0), ("i32.const", 0), ("table.init", (0, 0))])  # fmt: skip
    m.tables = [TableType(FUNCREF, Limits(1)), TableType(EXTERNREF, Limits(1))]
    m.elements = [Element(SegmentMode.PASSIVE, FUNCREF, [])]
    validate_module(m)
    m.codes[0].body[-8] = Instr(OP["table.copy"], (1, 0), 0)
    assert invalid(m).startswith("type mismatch")
    m.codes[0].body[-8] = Instr(OP["table.copy"], (0, 0), 0)
    m.elements[0].elem_type = EXTERNREF
    assert invalid(m).startswith("type mismatch")  # table.init: externref elems, funcref table


def test_call_indirect_needs_funcref_table():
    m = module([("i32.const", 0), ("call_indirect", (0, 0))])
    m.tables = [TableType(EXTERNREF, Limits(1))]
    assert invalid(m).startswith("type mismatch")
    m.tables = [TableType(FUNCREF, Limits(1))]
    validate_module(m)
    m.codes[0].body[1] = Instr(OP["call_indirect"], (3, 0), 1)
    assert invalid(m).startswith("unknown type 3")


def test_return_call_needs_same_results():
    m = module(parse("return_call 0"), (), (I32,), types=[FuncType((), (I64,))])
    m.imports = [Import("a", "f", ExternKind.FUNC, 1)]  # function 0: [] -> [i64]
    assert invalid(m).startswith("type mismatch")
    m.types[1] = FuncType((), (I32,))
    validate_module(m)


def test_return_call_indirect():
    m = module([("i32.const", 0), ("return_call_indirect", (0, 0))], (), (I32,))
    m.tables = [TableType(FUNCREF, Limits(1))]
    validate_module(m)  # callee type 0 is the function's own: [] -> [i32]
    m.types.append(FuncType((), (I64,)))
    m.codes[0].body[1] = Instr(OP["return_call_indirect"], (1, 0), 1)
    assert invalid(m).startswith("type mismatch")


def test_ref_func_declared_by_export_element_or_global():
    body = [("ref.func", 0), "drop"]
    m = module(body, exports=[Export("f", ExternKind.FUNC, 0)])
    validate_module(m)
    m = module(body, elements=[Element(SegmentMode.DECLARATIVE, FUNCREF, [const(("ref.func", 0))])])
    validate_module(m)
    m = module(body, globals=[Global(GlobalType(FUNCREF, False), const(("ref.func", 0)))])
    validate_module(m)


def test_memory_init_and_data_drop():
    body = [("i32.const", 0), ("i32.const", 0), ("i32.const", 0), ("memory.init", 0),
            ("data.drop", 0)]  # fmt: skip
    m = module(body, datas=[Data(SegmentMode.PASSIVE, b"x")], data_count=1)
    validate_module(m)
    assert invalid(module(body, memory=False, datas=m.datas, data_count=1)).startswith(
        "unknown memory 0"
    )
    m.datas, m.data_count = [], 0
    assert invalid(m).startswith("unknown data segment 0")


# -- module-level rules -------------------------------------------------------------------


def test_multiple_memories():
    m = module(memories=[MemoryType(Limits(0)), MemoryType(Limits(0))])
    assert invalid(m) == "multiple memories"
    m = module(memories=[MemoryType(Limits(0))],
               imports=[Import("a", "m", ExternKind.MEMORY, MemoryType(Limits(0)))])  # fmt: skip
    assert invalid(m) == "multiple memories"


@pytest.mark.parametrize(
    "limits,message",
    [
        (Limits(65537), "memory size must be at most 65536 pages (4GiB)"),
        (Limits(0, 65537), "memory size must be at most 65536 pages (4GiB)"),
        (Limits(2, 1), "size minimum must not be greater than maximum"),
    ],
)
def test_memory_limits(limits, message):
    assert invalid(module(memories=[MemoryType(limits)])) == message
    imp = Import("a", "m", ExternKind.MEMORY, MemoryType(limits))
    assert invalid(module(memory=False, imports=[imp])) == message


def test_memory_limits_at_bound():
    validate_module(module(memories=[MemoryType(Limits(65536, 65536))]))


def test_table_limits():
    m = module(tables=[TableType(FUNCREF, Limits(3, 2))])
    assert invalid(m) == "size minimum must not be greater than maximum"


def test_duplicate_export_name():
    exports = [Export("a", ExternKind.MEMORY, 0), Export("a", ExternKind.MEMORY, 0)]
    assert invalid(module(exports=exports)).startswith("duplicate export name")


@pytest.mark.parametrize(
    "kind,message",
    [
        (ExternKind.FUNC, "unknown function 1"),
        (ExternKind.TABLE, "unknown table 1"),
        (ExternKind.MEMORY, "unknown memory 1"),
        (ExternKind.GLOBAL, "unknown global 1"),
    ],
)
def test_export_unknown_index(kind, message):
    assert invalid(module([], exports=[Export("x", kind, 1)])) == message


def test_start_function():
    assert invalid(module([], start=1)) == "unknown function 1"
    validate_module(module([], start=0))
    assert invalid(module([], (I32,), start=0)).startswith("start function")
    assert invalid(module([("i32.const", 0)], (), (I32,), start=0)).startswith("start function")


def test_function_type_index():
    m = module()
    m.functions, m.codes = [4], [Code([], instrs(["end"]), 0)]
    assert invalid(m) == "unknown type 4"
    m = module(imports=[Import("a", "f", ExternKind.FUNC, 4)])
    assert invalid(m) == "unknown type 4"


IMPORTED_I32 = Import("a", "g", ExternKind.GLOBAL, GlobalType(I32, False))
IMPORTED_MUT = Import("a", "g", ExternKind.GLOBAL, GlobalType(I32, True))


@pytest.mark.parametrize(
    "imports,init,message",
    [
        ([], [("i32.const", 0), "nop"], "constant expression required"),
        ([], [("i32.const", 0), "i32.ctz"], "constant expression required"),
        ([], [("f32.const", 0)], "type mismatch"),
        ([], [("i32.const", 0), ("i32.const", 0)], "type mismatch"),
        ([], [], "type mismatch"),
        ([], [("global.get", 0)], "unknown global 0"),
        ([IMPORTED_I32], [("global.get", 1)], "unknown global 1"),  # global 1: not imported
        ([IMPORTED_MUT], [("global.get", 0)], "constant expression required"),
        ([], [("ref.func", 3)], "type mismatch"),  # the function exists; the type is wrong
        ([], [("ref.func", 4)], "unknown function 4"),
    ],
)
def test_global_initializer(imports, init, message):
    m = module([], imports=imports)
    m.globals = [Global(GlobalType(I32, False), ConstExpr(instrs(init + ["end"]), 0)),
                 Global(GlobalType(I32, False), const(("i32.const", 0)))]  # fmt: skip
    m.functions += [0, 0, 0]
    m.codes += [Code([], instrs(["end"]), 0) for _ in range(3)]
    assert invalid(m).startswith(message)


def test_global_initializer_may_read_imported_immutable_global():
    m = module([], imports=[IMPORTED_I32])
    m.globals = [Global(GlobalType(I32, True), const(("global.get", 0)))]
    validate_module(m)


def test_element_segments():
    table = [TableType(FUNCREF, Limits(1))]
    seg = Element(SegmentMode.ACTIVE, FUNCREF, [const(("ref.func", 0))], 0,
                  const(("i32.const", 0)))  # fmt: skip
    validate_module(module([], tables=table, elements=[seg]))
    assert invalid(module([], elements=[seg])) == "unknown table 0"
    seg.offset_expr = const(("i64.const", 0))
    assert invalid(module([], tables=table, elements=[seg])).startswith("type mismatch")
    seg.offset_expr = const(("i32.const", 0))
    seg.init = [const(("ref.null", EXTERNREF))]
    assert invalid(module([], tables=table, elements=[seg])).startswith("type mismatch")
    seg.elem_type = EXTERNREF  # now the segment does not fit the funcref table
    assert invalid(module([], tables=table, elements=[seg])).startswith("type mismatch")


def test_data_segments():
    seg = Data(SegmentMode.ACTIVE, b"", 0, const(("i32.const", 0)))
    validate_module(module(datas=[seg]))
    assert invalid(module(memory=False, datas=[seg])) == "unknown memory 0"
    seg.offset_expr = const("nop")
    assert invalid(module(datas=[seg])) == "constant expression required"


# -- facts recorded for the compiler ------------------------------------------------------


def test_max_stack_and_uses_memory():
    m = module([("i32.const", 1), ("block", None), ("i32.const", 2), ("i32.const", 3),
                "i32.add", "drop", "end", "drop"])  # fmt: skip
    validate_module(m)
    assert m.codes[0].max_stack == 3  # the outer value plus two inside the block
    assert not m.codes[0].uses_memory
    m = module([("i32.const", 0), ("i32.load8_u", (0, 0)), "drop"])
    validate_module(m)
    assert m.codes[0].max_stack == 1
    assert m.codes[0].uses_memory


def test_unknown_opcode():
    m = module([])
    m.codes[0].body.insert(0, Instr(0xFF, None, 0))
    assert invalid(m).startswith("unknown instruction")


def test_many_locals():
    m = module([("local.get", 99_999), ("local.set", 70_000)])
    m.codes[0].local_runs = [(50_000, I64), (50_000, I32)]
    validate_module(m)
    m.codes[0].body[0] = Instr(OP["local.get"], 100_000, 0)
    assert invalid(m) == "unknown local 100000"


# -- text-format modules through the decoder ------------------------------------------------

wasmtime = pytest.importorskip("wasmtime")
decoder = pytest.importorskip("wazaot.wasm.decoder")


def check_wat(text: str) -> None:
    validate_module(decoder.decode_module(bytes(wasmtime.wat2wasm(text))))


def test_wat_valid_program():
    check_wat("""
      (module
        (type $t (func (param i32) (result i32)))
        (memory 1)
        (table 2 funcref)
        (elem (i32.const 0) $fac)
        (global $g (mut i32) (i32.const 0))
        (func $fac (export "fac") (type $t)
          (if (result i32) (i32.le_s (local.get 0) (i32.const 1))
            (then (i32.const 1))
            (else (i32.mul (local.get 0)
                           (call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1))
                                                    (i32.const 0))))))
        (func (param i32 i64) (result i64 i32)
          (local.get 1) (local.get 0)
          (block (param i64 i32) (result i64 i32)
            (br_table 0 0 (local.get 0)))
          (global.set $g (i32.load offset=4 (i32.const 0)))))
    """)


@pytest.mark.parametrize(
    "text,message",
    [
        ("(func (result i32) (i64.const 0))", "type mismatch"),
        ("(func (local.get 0) drop)", "unknown local 0"),
        ("(memory 1) (func (drop (i32.load align=8 (i32.const 0))))",
         "alignment must not be larger than natural"),
        ("(func (drop (i8x16.extract_lane_s 16 (v128.const i64x2 0 0))))", "invalid lane index"),
        ("(func (ref.func 0) drop)", "undeclared function reference"),
        ("(global i32 (global.get 0))", "unknown global 0"),
    ],
)  # fmt: skip
def test_wat_invalid(text, message):
    with pytest.raises(ValidationError) as info:
        check_wat(f"(module {text})")
    assert info.value.message.startswith(message)


# -- differential test against wasmtime ---------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


def _uleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _vec(items: list[bytes]) -> bytes:
    return _uleb(len(items)) + b"".join(items)


def _section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + _uleb(len(payload)) + payload


# Straight-line instructions (encodings) with varied stack effects and types.
_SIMPLE = [
    b"\x41\x00", b"\x42\x00", b"\x43\x00\x00\x00\x00", b"\x44" + bytes(8),  # consts
    b"\x6a", b"\x7c", b"\x92", b"\x45", b"\x50", b"\xa7", b"\xad", b"\xbb",  # arith / conv
    b"\x1a", b"\x1b", b"\x1c\x01\x7f", b"\x1c\x01\x70",  # drop, select, select t
    b"\x20\x00", b"\x20\x01", b"\x21\x00", b"\x21\x01", b"\x22\x01",  # locals (i32, i64)
    b"\x00", b"\x0f", b"\x01",  # unreachable, return, nop
    b"\xd0\x70", b"\xd0\x6f", b"\xd1", b"\xd2\x00",  # ref.null, ref.is_null, ref.func
    b"\x28\x02\x00", b"\x36\x02\x00", b"\x10\x00", b"\x10\x01",  # load, store, calls
    b"\xfd\x0c" + bytes(16), b"\xfd\x6e", b"\xfd\x15\x03",  # v128.const, i8x16.add, lane
]  # fmt: skip
# What the generator knows of each type: a constant, a [t] -> [t] and a [t t] -> [t] op.
_I, _L, _FUNC, _EXT = 0x7F, 0x7E, 0x70, 0x6F
_CONST = {_I: b"\x41\x00", _L: b"\x42\x00", 0x7D: b"\x43" + bytes(4), 0x7C: b"\x44" + bytes(8),
          0x7B: b"\xfd\x0c" + bytes(16), _FUNC: b"\xd0\x70", _EXT: b"\xd0\x6f"}  # fmt: skip
_UNARY = {_I: b"\x67", _L: b"\x79", 0x7D: b"\x8c", 0x7C: b"\x9a", 0x7B: b"\xfd\x4d"}
_BINARY = {_I: b"\x6a", _L: b"\x7c", 0x7D: b"\x92", 0x7C: b"\xa0", 0x7B: b"\xfd\x6e"}
_LOCAL = {_I: 0, _L: 1}  # local 0 is the i32 parameter, local 1 an i64
# (encoding, params, results): [], [i32], [i64], type 0 [i32] -> [i32], type 1 [] -> [i64 i32]
_BLOCK_TYPES = [(b"\x40", [], []), (b"\x7f", [], [_I]), (b"\x7e", [], [_L]),
                (b"\x00", [_I], [_I]), (b"\x01", [], [_L, _I])]  # fmt: skip


class _BodyGen:
    """Draws a mostly well-typed function body; now and then it inserts an arbitrary
    instruction from ``_SIMPLE`` without adjusting its model, which usually (not
    always) makes the body invalid. The oracle decides which."""

    def __init__(self, data: Any, results: list[int]):
        self.draw = data.draw
        self.out = bytearray()
        self.labels: list[list[int]] = [results]  # innermost last
        self.results = results

    def push(self, stack: list[int], types: list[int]) -> None:
        for t in types:
            self.out += _CONST[t]
        stack += types

    def seq(self, stack: list[int], results: list[int], depth: int) -> None:
        """Instructions that take this frame's ``stack`` to ``results``."""
        draw, out = self.draw, self.out
        for _ in range(draw(st.integers(0, 5))):
            if draw(st.integers(0, 24)) == 0:
                out += draw(st.sampled_from(_SIMPLE))
                continue
            top = stack[-1] if stack else None
            moves = ["const", "const"]
            moves += ["drop"] if stack else []
            moves += ["unary"] if top in _UNARY else []
            moves += ["binary"] if top in _BINARY and stack[-2:] == [top, top] else []
            moves += ["select"] if top == _I and len(stack) >= 3 and stack[-3] == stack[-2] else []
            moves += ["set", "tee"] if top in _LOCAL else []
            moves += ["get", "is_null", "branch", "unreachable"]
            moves += ["block", "if"] if depth < 3 else []
            move = draw(st.sampled_from(moves))
            if move == "const":
                self.push(stack, [draw(st.sampled_from(sorted(_CONST)))])
            elif move == "drop":
                out += b"\x1a"
                stack.pop()
            elif move == "unary":
                out += _UNARY[top]
            elif move == "binary":
                out += _BINARY[top]
                stack.pop()
            elif move == "select":
                if stack[-2] in _BINARY:
                    out += b"\x1b"
                else:
                    out += b"\x1c\x01" + bytes([stack[-2]])
                del stack[-2:]
            elif move in ("set", "tee"):
                out += (b"\x21" if move == "set" else b"\x22") + bytes([_LOCAL[top]])
                if move == "set":
                    stack.pop()
            elif move == "get":
                t = draw(st.sampled_from([_I, _L]))
                out += b"\x20" + bytes([_LOCAL[t]])
                stack.append(t)
            elif move == "is_null":
                self.push(stack, [draw(st.sampled_from([_FUNC, _EXT]))])
                out += b"\xd1"
                stack[-1] = _I
            elif move == "unreachable":
                out += draw(st.sampled_from([b"\x00", b"\x0f"]))
                if out[-1] == 0x0F:  # return: give it the function's results first
                    out[-1:] = b""
                    self.push(stack, self.results)
                    out += b"\x0f"
                stack.clear()
            elif move == "branch":
                self.branch(stack)
            else:
                self.block(stack, move, depth)
        # Reach the frame's results: drop what is left, push constants.
        out += b"\x1a" * len(stack)
        stack.clear()
        self.push(stack, results)

    def branch(self, stack: list[int]) -> None:
        draw, out = self.draw, self.out
        depth = draw(st.integers(0, len(self.labels) - 1))
        want = self.labels[-1 - depth]
        kind = draw(st.sampled_from(["br", "br_if", "br_table"]))
        self.push(stack, want)
        if kind == "br":
            out += b"\x0c" + _uleb(depth)
        else:
            self.push(stack, [_I])
            stack.pop()
            if kind == "br_if":
                out += b"\x0d" + _uleb(depth)
                return  # the label's values stay
            same = [d for d, ts in enumerate(reversed(self.labels)) if ts == want]
            targets = draw(st.lists(st.sampled_from(same), max_size=3))
            out += b"\x0e" + _vec([_uleb(d) for d in targets]) + _uleb(depth)
        stack.clear()

    def block(self, stack: list[int], kind: str, depth: int) -> None:
        draw, out = self.draw, self.out
        encoding, params, results = draw(st.sampled_from(_BLOCK_TYPES))
        self.push(stack, params)
        del stack[len(stack) - len(params) :]
        if kind == "if":
            self.push(stack, [_I])
            stack.pop()
            out += b"\x04"
        else:
            kind = draw(st.sampled_from(["block", "loop"]))
            out += b"\x02" if kind == "block" else b"\x03"
        out += encoding
        self.labels.append(params if kind == "loop" else results)
        self.seq(list(params), results, depth + 1)
        if kind == "if" and (params != results or draw(st.booleans())):
            out += b"\x05"
            self.seq(list(params), results, depth + 1)
        self.labels.pop()
        out += b"\x0b"
        stack += results


@st.composite
def _body(draw: Any) -> tuple[bytes, bytes]:
    """(function body without its final end, encoded result type or b"")."""
    result = draw(st.sampled_from([b"", b"\x7f", b"\x7e", b"\x70"]))
    gen = _BodyGen(draw(st.data()), list(result))
    gen.seq([], list(result), 0)
    return bytes(gen.out), result


def _wrap(body: bytes, result: bytes) -> bytes:
    types = _vec([b"\x60" + _vec([b"\x7f"]) + _vec([b"\x7f"]),  # type 0: [i32] -> [i32]
                  b"\x60" + _vec([]) + _vec([b"\x7e", b"\x7f"]),  # type 1: [] -> [i64 i32]
                  b"\x60" + _vec([b"\x7f"]) + _vec([result] if result else [])])  # fmt: skip
    code = _vec([b"\x01\x7e"]) + body + b"\x0b"  # local 1: i64
    return (b"\0asm\1\0\0\0" + _section(1, types) + _section(3, _vec([b"\x02", b"\x00"]))
            + _section(5, _vec([b"\x00\x01"])) + _section(7, _vec([b"\x01f\x00\x00"]))
            + _section(10, _vec([_uleb(len(code)) + code, b"\x04\x00\x20\x00\x0b"])))  # fmt: skip


_ENGINE = None


def _engine() -> Any:
    global _ENGINE
    if _ENGINE is None:
        config = wasmtime.Config()
        for feature in ("gc", "function_references", "multi_memory", "threads", "exceptions",
                        "memory64", "relaxed_simd", "custom_page_sizes", "wide_arithmetic",
                        "stack_switching"):  # fmt: skip
            try:
                setattr(config, f"wasm_{feature}", False)
            except AttributeError:  # an older wasmtime without that switch
                pass
        config.wasm_tail_call = True
        _ENGINE = wasmtime.Engine(config)
    return _ENGINE


@hypothesis.settings(max_examples=400, deadline=None,
                     suppress_health_check=list(hypothesis.HealthCheck))  # fmt: skip
@hypothesis.given(_body())
def test_agrees_with_wasmtime(generated):
    data = _wrap(*generated)
    try:
        m = decoder.decode_module(data)
    except DecodeError:
        hypothesis.assume(False)
    try:
        wasmtime.Module.validate(_engine(), data)
        expected = None
    except wasmtime.WasmtimeError as e:
        expected = str(e)
    try:
        validate_module(m)
        got = None
    except ValidationError as e:
        got = str(e)
    assert (got is None) == (expected is None), (got, expected)
