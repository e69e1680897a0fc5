"""Text views of annotated code (``annotate.FunctionView``): the listing of
``wazaot disasm`` and its ``--stats`` table.

The listing puts each wasm instruction above the machine code it became. Wasm
instructions that became no code of their own (``local.get`` folded into an
operand, ``block``) are listed too, in order, so the whole body reads top to
bottom; trap stubs at the end of a function repeat the instruction they trap for.

The statistics count the listed code: bytes, machine instructions per wasm
instruction, memory bounds checks and interrupt checks (from the roles
``annotate`` found). Spills, reloads and register moves are not visible in the
bytes: they are counted on the register allocator's output for each function,
lowered and allocated again the way ``Runtime.compile`` did (x86-64 only; the
pipeline is deterministic, so the counts are those of the listed code).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wazaot.amd64 import cpu
from wazaot.amd64.abi import REGISTER_ENV
from wazaot.amd64.backend import lower as amd64_lower
from wazaot.lower.common_inst import MovRR
from wazaot.lower.isel import CompileEnv
from wazaot.machinst import PReg, SpillSlot
from wazaot.regalloc import allocate

from .annotate import BOUNDS_CHECK, INTERRUPT_CHECK, Compiled, FunctionView

_BYTES_WIDTH = 21  # hex of 7 bytes; longer instructions push their text right


def _wasm_text(view: FunctionView, offset: int) -> str:
    for off, text in view.wasm:
        if off == offset:
            return text
    return "(function entry)"


def function_text(view: FunctionView, show_wasm: bool = True) -> str:
    """One function: header, then wasm (``;;`` lines) above its machine code."""
    size = view.end - view.start
    kind = f"function {view.index} " if view.index is not None else ""
    out = [f"{kind}{view.name}:  ; {view.start:#x}..{view.end:#x}, {size} bytes"]
    wasm_offsets = [off for off, _ in view.wasm]
    done = -1  # the last body position printed
    last: int | None = None
    last_comment = ""
    for line in view.lines:
        if show_wasm and line.wasm is not None and line.wasm != last:
            last = line.wasm
            k = wasm_offsets.index(line.wasm) if line.wasm in wasm_offsets else None
            if k is not None and k > done:
                for off, text in view.wasm[done + 1 : k + 1]:
                    out.append(f"  ;; {off:#06x}  {text}")
                done = k
            else:
                out.append(f"  ;; {line.wasm:#06x}  {_wasm_text(view, line.wasm)}")
        comment = line.role + (f": {line.note}" if line.note else "")
        # A run of instructions with one role is labelled on its first line.
        shown, last_comment = ("" if comment == last_comment else comment), comment
        text = f"{line.text:<40}  ; {shown}" if shown else line.text
        out.append(f"  {line.address:8x}:  {line.raw.hex(' '):<{_BYTES_WIDTH}}  {text}".rstrip())
    if show_wasm:
        out.extend(f"  ;; {off:#06x}  {text}" for off, text in view.wasm[done + 1 :])
    return "\n".join(out)


# -- statistics ----------------------------------------------------------------------------


@dataclass(slots=True)
class FunctionStats:
    name: str
    bytes: int
    machine: int  # machine instructions (jump table entries left out)
    wasm: int  # wasm instructions of the body
    spills: int | None  # None: not counted for this architecture
    reloads: int | None
    moves: int | None
    bounds_checks: int
    interrupt_checks: int

    @property
    def ratio(self) -> float:
        return self.machine / self.wasm if self.wasm else 0.0


def amd64_alloc_counts(compiled: Compiled, index: int) -> tuple[int, int, int]:
    """(spills, reloads, moves) of defined function ``index``: the allocator's
    edits that store to or load from a spill slot, register-to-register edits and
    ``MovRR`` whose two registers differ (as ``bench/alloc_stats.py`` counts)."""
    env = CompileEnv.of(compiled.module, compiled.type_ids)
    lowered = amd64_lower(env, index, cpu.host_features())
    alloc = allocate(lowered.vcode, REGISTER_ENV)
    spills = reloads = moves = 0
    for _, move in alloc.edits:
        if isinstance(move.dst, SpillSlot):
            spills += 1
        elif isinstance(move.src, SpillSlot):
            reloads += 1
        elif move.src != move.dst:
            moves += 1
    n = 0
    for block in lowered.vcode.blocks:
        for inst in block.insts:
            if type(inst) is MovRR:
                src, dst = alloc.inst_allocs(n)
                assert isinstance(src, PReg)
                moves += src is not dst
            n += 1
    return spills, reloads, moves


ALLOC_COUNTERS: dict[str, Callable[[Compiled, int], tuple[int, int, int]]] = {
    "amd64": amd64_alloc_counts
}


def _is_branch(text: str) -> bool:
    return text.startswith(("j", "b.", "cbnz", "cbz"))


def function_stats(compiled: Compiled, view: FunctionView) -> FunctionStats:
    insns = view.instructions
    counter = ALLOC_COUNTERS.get(compiled.arch)
    spills = reloads = moves = None
    if counter is not None and view.index is not None:
        spills, reloads, moves = counter(compiled, view.index)
    # One per check: its branch (jcc on x86-64, b.cond / cbnz on arm64).
    bounds = sum(1 for ln in insns if ln.role == BOUNDS_CHECK and _is_branch(ln.text))
    checks = sum(1 for ln in insns if ln.role == INTERRUPT_CHECK and _is_branch(ln.text))
    return FunctionStats(view.name, view.end - view.start, len(insns), len(view.wasm),
                         spills, reloads, moves, bounds, checks)  # fmt: skip


SORT_KEYS: dict[str, Callable[[FunctionStats], float]] = {
    "bytes": lambda s: s.bytes,
    "ratio": lambda s: s.ratio,
    "spills": lambda s: s.spills or 0,
}


def _opt(n: int | None) -> str:
    return "-" if n is None else str(n)


def stats_table(rows: Sequence[FunctionStats], sort: str | None = None) -> str:
    """The ``--stats`` table, largest first by ``sort`` (else in index order), and a
    total row."""
    if sort is not None:
        rows = sorted(rows, key=SORT_KEYS[sort], reverse=True)
    header = ("function", "bytes", "insns", "wasm", "ratio", "spills", "reloads", "moves",
              "bounds", "interrupts")  # fmt: skip
    body = [(r.name, str(r.bytes), str(r.machine), str(r.wasm), f"{r.ratio:.2f}", _opt(r.spills),
             _opt(r.reloads), _opt(r.moves), str(r.bounds_checks), str(r.interrupt_checks))
            for r in rows]  # fmt: skip

    def total(get: Callable[[FunctionStats], int | None]) -> str:
        values = [get(r) for r in rows]
        return "-" if any(v is None for v in values) else str(sum(v or 0 for v in values))

    machine = sum(r.machine for r in rows)
    wasm = sum(r.wasm for r in rows)
    body.append((f"total ({len(rows)} functions)", total(lambda r: r.bytes),
                 str(machine), str(wasm), f"{machine / wasm if wasm else 0:.2f}",
                 total(lambda r: r.spills), total(lambda r: r.reloads), total(lambda r: r.moves),
                 total(lambda r: r.bounds_checks), total(lambda r: r.interrupt_checks)))  # fmt: skip
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    name_width = min(widths[0], 40)

    def fmt(row: Sequence[str]) -> str:
        name = row[0] if len(row[0]) <= name_width else row[0][: name_width - 1] + "…"
        cells = [f"{name:<{name_width}}"] + [f"{c:>{w}}" for c, w in zip(row[1:], widths[1:])]
        return "  ".join(cells)

    return "\n".join([fmt(header), *map(fmt, body)])
