"""A readable listing of a VCode with its allocation, for debugging and golden tests."""

from __future__ import annotations

from wazaot.machinst import VCode, operands_of
from wazaot.regalloc.output import Allocation, InstPosition, ProgPoint

__all__ = ["format_allocation"]


def format_allocation(vcode: VCode, alloc: Allocation) -> str:
    """One line per instruction (each operand with its register), and one per edit,
    placed before or after its instruction."""
    edits = alloc.edits_by_point()
    starts = vcode.inst_numbers()
    lines: list[str] = []
    for b, block in enumerate(vcode.blocks):
        lines.append(f"block{b}:  ; succs {block.succs}")
        for n, inst in enumerate(block.insts):
            i = starts[b] + n
            for move in edits.get(ProgPoint(i, InstPosition.BEFORE), ()):
                lines.append(f"        {move!r}")
            ops, clobbers = operands_of(inst)
            regs = ", ".join(f"{op!r}={preg.name}" for op, preg in zip(ops, alloc.inst_allocs(i)))
            clob = f" clobbers {[p.name for p in clobbers]}" if clobbers else ""
            lines.append(f"  {i:4}: {inst!r}  [{regs}]{clob}")
            for move in edits.get(ProgPoint(i, InstPosition.AFTER), ()):
                lines.append(f"        {move!r}")
    slots = ", ".join(f"{cls.name}: {n}" for cls, n in alloc.num_spill_slots.items())
    lines.append(f"spill slots: {slots}")
    lines.append(f"callee-saved used: {[p.name for p in alloc.callee_saved_used]}")
    return "\n".join(lines)
