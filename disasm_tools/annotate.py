"""A compiled module as data for listings: each function's machine instructions, the
wasm instruction each came from, and what role an instruction plays where that can
be told.

``compile_for_listing(wasm, arch)`` compiles a module as wazaot would run it: for the
host's architecture through a ``wazaot.Runtime`` (the host's CPU features), for another
through that architecture's target ISA alone, without linking (no code runs, so a
backend can be inspected before it runs anywhere). ``annotate(compiled)`` then
disassembles every defined function and entry thunk with capstone into
``FunctionView`` s.

Roles (``Line.role``) come from two sources, and only where they are certain:

- the source map: the machine code before the first wasm instruction is the
  *prologue* (frame, stack-limit check, zeroed locals);
- instruction patterns of the backend (x86-64 only so far), built from the offsets
  of ``wazaot.vmctx`` rather than typed in: the stack-limit check, interrupt checks
  at loop headers, memory bounds checks (a compare with the memory size in the
  module context), trap stubs, epilogues.

Jump tables of ``br_table`` are data after a function's code: the relocations mark
them, and they are listed as ``.quad`` entries, never disassembled.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import wazaot
from wazaot.engine import engine as native_engine
from wazaot.machinst.objcode import ObjectCode, RelocKind
from wazaot.traps import TrapCode
from wazaot.vmctx import Exec, Exit, ModuleCtx
from wazaot.wasm.decoder import decode_module
from wazaot.wasm.module import FuncType, Module
from wazaot.wasm.validator import validate_module

from .disasm import Insn, disassemble
from .listing import wasm_instruction_text

PROLOGUE = "prologue"
EPILOGUE = "epilogue"
STACK_CHECK = "stack check"
INTERRUPT_CHECK = "interrupt check"
BOUNDS_CHECK = "bounds check"
TRAP_STUB = "trap stub"
JUMP_TABLE = "jump table"
THUNK = "entry thunk"


class ListingError(Exception):
    """A module cannot be listed for the architecture asked for (say why)."""


@dataclass(frozen=True, slots=True)
class Compiled:
    """A module and its object code for ``arch`` (``isa`` names capstone's decoder)."""

    module: Module
    object_code: ObjectCode
    arch: str
    type_ids: list[int]


@dataclass(slots=True)
class Line:
    """One machine instruction (or one jump table entry) of a function."""

    address: int  # offset in the module's code buffer
    raw: bytes
    text: str
    wasm: int | None  # byte offset in the binary of the wasm instruction it came from
    role: str = ""  # PROLOGUE, BOUNDS_CHECK, ... or "" (plain code)
    note: str = ""  # e.g. the trap a stub raises


@dataclass(slots=True)
class FunctionView:
    """A defined function (or an entry thunk: ``index`` None) ready to print."""

    index: int | None
    name: str
    start: int
    end: int
    wasm: list[tuple[int, str]]  # (offset, text) of each instruction of the body
    lines: list[Line] = field(default_factory=list)

    @property
    def instructions(self) -> list[Line]:
        """The machine instructions (jump table entries left out)."""
        return [ln for ln in self.lines if ln.role != JUMP_TABLE]


def _type_ids(module: Module) -> list[int]:
    """What a fresh Runtime assigns: equal function types get equal ids, from 0."""
    ids: dict[FuncType, int] = {}
    return [ids.setdefault(ft, len(ids)) for ft in module.types]


def compile_for_listing(wasm: bytes, arch: str | None = None) -> Compiled:
    """Compile ``wasm`` for ``arch`` (default: the host's) as wazaot would run it.

    Raises ``ListingError`` when wazaot has no backend for ``arch``, and the
    compiler's own errors (``wazaot.CompileError``...) for a bad module."""
    arch = wazaot.RuntimeConfig(arch=arch).arch if arch else native_engine.host_arch()
    if arch is None:
        raise ListingError("this machine is neither amd64 nor arm64: pass --arch")
    isa = native_engine.target_isa(arch)
    if isa is None:
        raise ListingError(
            f"no {arch} backend yet (disasm lists {arch} code as soon as "
            f"wazaot.engine.engine.ISA_MODULES names one)"
        )
    if arch == native_engine.host_arch():
        with wazaot.Runtime(wazaot.RuntimeConfig(arch=arch)) as rt:
            cm = rt.compile(wasm)
            assert cm.code is not None
            return Compiled(cm.module, cm.code.object_code, arch, list(cm.code.type_ids))
    module = decode_module(wasm)
    validate_module(module)
    type_ids = _type_ids(module)
    return Compiled(module, isa.compile_module(module, type_ids), arch, type_ids)


def _segments(start: int, end: int, tables: Sequence[int]) -> list[tuple[int, int, bool]]:
    """[start, end) cut into (from, to, is_data) pieces around the 8-byte entries at
    ``tables``."""
    out: list[tuple[int, int, bool]] = []
    pos = start
    for t in tables:
        if t > pos:
            out.append((pos, t, False))
        out.append((t, t + 8, True))
        pos = t + 8
    if pos < end:
        out.append((pos, end, False))
    return out


def _decode(compiled: Compiled, start: int, end: int, tables: dict[int, int]) -> list[Line]:
    obj = compiled.object_code
    lines: list[Line] = []
    for lo, hi, is_data in _segments(start, end, sorted(tables)):
        if is_data:
            target = tables[lo]
            # The entry holds code base + target once linked; zero before.
            lines.append(Line(lo, obj.code[lo:hi], f".quad base + {target:#x}", None,
                              JUMP_TABLE, f"-> {target:#x}"))  # fmt: skip
            continue
        insns: list[Insn] = disassemble(obj.code[lo:hi], compiled.arch, lo)
        lines.extend(Line(i.address, i.bytes, i.text, None) for i in insns)
    return lines


def _wasm_body(module: Module, index: int) -> list[tuple[int, str]]:
    code = module.codes[index - module.num_imported_funcs]
    return [(offset, wasm_instruction_text(op, imm)) for op, imm, offset in code.body]


def annotate(compiled: Compiled) -> list[FunctionView]:
    """Every defined function, in index order, then the entry thunks."""
    obj, module = compiled.object_code, compiled.module
    tables = {r.offset: r.addend for r in obj.relocations if r.kind is RelocKind.ABS64}
    table_starts = sorted(tables)
    label_roles = ROLE_FINDERS.get(compiled.arch)
    views: list[FunctionView] = []
    for index in sorted(obj.functions):
        info = obj.functions[index]
        lo = bisect.bisect_left(table_starts, info.start)
        hi = bisect.bisect_left(table_starts, info.end)
        mine = {t: tables[t] for t in table_starts[lo:hi]}
        view = FunctionView(index, module.func_name(index), info.start, info.end,
                            _wasm_body(module, index), _decode(compiled, info.start, info.end, mine))  # fmt: skip
        srcmap = list(info.srcmap)
        starts = [m for m, _ in srcmap]
        body_offsets = {offset for offset, _ in view.wasm}
        for line in view.lines:
            i = bisect.bisect_right(starts, line.address) - 1
            line.wasm = srcmap[i][1] if i >= 0 and line.role != JUMP_TABLE else None
        # Before the first wasm instruction: the prologue.
        first = next((k for k, ln in enumerate(view.lines)
                      if ln.wasm in body_offsets or ln.wasm != srcmap[0][1]), len(view.lines))  # fmt: skip
        for line in view.lines[:first]:
            line.role = PROLOGUE
        if label_roles is not None:
            label_roles(view.lines)
        views.append(view)
    views.extend(_thunks(compiled))
    return views


def _thunks(compiled: Compiled) -> list[FunctionView]:
    obj = compiled.object_code
    ends = [f.end for f in obj.functions.values()]
    ordered = sorted(obj.thunks.items(), key=lambda kv: kv[1])
    out = []
    for k, (ft, start) in enumerate(ordered):
        end = ordered[k + 1][1] if k + 1 < len(ordered) else len(obj.code)
        end = min([end] + [e for e in ends if e > start])
        view = FunctionView(None, f"thunk {thunk_type_text(ft)}", start, end, [],
                            _decode(compiled, start, end, {}))  # fmt: skip
        for line in view.lines:
            line.role = THUNK
        out.append(view)
    return out


def thunk_type_text(ft: FuncType) -> str:
    """``(i32, i32) -> i64``."""
    params = ", ".join(str(v) for v in ft.params)
    results = ", ".join(str(v) for v in ft.results)
    return f"({params}) -> ({results})"


# -- x86-64 patterns -------------------------------------------------------------------


def _disp(n: int) -> str:
    """A displacement as capstone prints it: decimal below 10, else hex."""
    return str(n) if n < 10 else hex(n)


_STACK_LIMIT = f"cmp rsp, qword ptr [r15 + {_disp(Exec.STACK_LIMIT)}]"
_INTERRUPT = f"cmp qword ptr [r15 + {_disp(Exec.INTERRUPT)}], 0"
_MEMORY_SIZE = f"qword ptr [r14 + {_disp(ModuleCtx.MEMORY_SIZE)}]"
_EXIT_CODE = "mov qword ptr [r15], "
_EXIT_CALL = f"call qword ptr [r15 + {_disp(Exec.EXIT_STUB)}]"
_CALLEE_SAVED_RESTORE = ("mov rbx, qword ptr [rbp - ", "mov r12, qword ptr [rbp - ")


def _trap_code(text: str) -> TrapCode | None:
    if not text.startswith(_EXIT_CODE):
        return None
    try:
        value = int(text[len(_EXIT_CODE) :], 0)
    except ValueError:
        return None
    if value & 0xFF != Exit.TRAP:
        return None
    try:
        return TrapCode(value >> 8)
    except ValueError:
        return None


def amd64_roles(lines: list[Line]) -> None:
    """Label the x86-64 patterns of ``lines`` (see the module docstring)."""
    n = len(lines)
    texts = [ln.text for ln in lines]

    def mark(k: int, role: str, note: str = "") -> None:
        if 0 <= k < n and lines[k].role != JUMP_TABLE:
            lines[k].role, lines[k].note = role, note

    for k, text in enumerate(texts):
        nxt = texts[k + 1] if k + 1 < n else ""
        if text == _STACK_LIMIT:
            mark(k, STACK_CHECK)
            if nxt.startswith("j"):
                mark(k + 1, STACK_CHECK)
        elif text == _INTERRUPT:
            mark(k, INTERRUPT_CHECK)
            if nxt.startswith("j"):
                mark(k + 1, INTERRUPT_CHECK)
        elif text.startswith("cmp ") and text.endswith(", " + _MEMORY_SIZE):
            mark(k, BOUNDS_CHECK)
            if nxt.startswith("j"):
                mark(k + 1, BOUNDS_CHECK)
            reg = text[4:].split(",")[0]
            if k > 0 and texts[k - 1].startswith(f"lea {reg}, "):
                mark(k - 1, BOUNDS_CHECK)
        elif (code := _trap_code(text)) is not None and nxt == _EXIT_CALL:
            note = code.message
            mark(k, TRAP_STUB, note)
            mark(k + 1, TRAP_STUB, note)
            if k + 2 < n and texts[k + 2] == "ud2":
                mark(k + 2, TRAP_STUB, note)
            if k > 0 and texts[k - 1] == "mov rsp, rbp":
                mark(k - 1, TRAP_STUB, note)
        elif text == "ret" and k >= 2 and texts[k - 1] == "pop rbp" and texts[k - 2] == "mov rsp, rbp":
            j = k - 2
            while j > 0 and texts[j - 1].startswith(_CALLEE_SAVED_RESTORE):
                j -= 1
            for m in range(j, k + 1):
                mark(m, EPILOGUE)


# -- arm64 patterns --------------------------------------------------------------------


def _a64(reg: str, disp: int) -> str:
    """An arm64 memory operand as capstone prints it."""
    return f"[{reg}, #{_disp(disp)}]" if disp else f"[{reg}]"


_A64_STACK_LIMIT = f"ldr x16, {_a64('x28', Exec.STACK_LIMIT)}"
_A64_INTERRUPT = f"ldr x16, {_a64('x28', Exec.INTERRUPT)}"
_A64_MEMORY_SIZE = _a64("x27", ModuleCtx.MEMORY_SIZE)
_A64_EXIT_CODE = f"str x16, {_a64('x28', Exec.EXIT_CODE)}"
_A64_EXIT_STUB = f"ldr x16, {_a64('x28', Exec.EXIT_STUB)}"


def _a64_trap_code(text: str) -> TrapCode | None:
    """The trap of ``mov w16, #code`` when ``code`` is a trap's exit code."""
    if not text.startswith("mov w16, #"):
        return None
    return _trap_code(_EXIT_CODE + text[len("mov w16, #") :])


def arm64_roles(lines: list[Line]) -> None:
    """Label the arm64 patterns of ``lines``: the stack-limit and interrupt checks, the
    bounds checks (against the memory size at [x27 + 8]), trap stubs and epilogues."""
    n = len(lines)
    texts = [ln.text for ln in lines]

    def mark(k: int, role: str, note: str = "") -> None:
        if 0 <= k < n and lines[k].role != JUMP_TABLE:
            lines[k].role, lines[k].note = role, note

    for k, text in enumerate(texts):
        if text == _A64_STACK_LIMIT:
            for m in range(k, min(k + 4, n)):  # ldr, mov x17 sp, cmp, b.lo
                mark(m, STACK_CHECK)
        elif text == _A64_INTERRUPT and k + 1 < n and texts[k + 1].startswith("cbnz x16"):
            mark(k, INTERRUPT_CHECK)
            mark(k + 1, INTERRUPT_CHECK)
        elif text.endswith(", " + _A64_MEMORY_SIZE) and text.startswith("ldr "):
            mark(k, BOUNDS_CHECK)
            if k + 2 < n and texts[k + 1].startswith("cmp ") and texts[k + 2].startswith("b."):
                mark(k + 1, BOUNDS_CHECK)
                mark(k + 2, BOUNDS_CHECK)
        elif (code := _a64_trap_code(text)) is not None and texts[k + 1 : k + 3] == [
            _A64_EXIT_CODE, _A64_EXIT_STUB,
        ]:  # fmt: skip
            note = code.message
            for m in range(k, min(k + 5, n)):  # mov, str, ldr, blr, brk
                mark(m, TRAP_STUB, note)
            if k > 0 and texts[k - 1] == "mov sp, x29":
                mark(k - 1, TRAP_STUB, note)
        elif text == "ret" and k >= 2 and texts[k - 1].startswith("ldp x29, x30, [sp]"):
            j = k - 1
            while j > 0 and (texts[j - 1] == "mov sp, x29" or texts[j - 1].startswith(
                    ("ldp x19", "ldp x21", "ldp x23", "ldr x25", "ldp x25", "ldr x19",
                     "ldr x21", "ldr x23"))):  # fmt: skip
                j -= 1
            for m in range(j, k + 1):
                mark(m, EPILOGUE)


ROLE_FINDERS: dict[str, Callable[[list[Line]], None]] = {
    "amd64": amd64_roles,
    "arm64": arm64_roles,
}
"""Pattern labelling per architecture."""
