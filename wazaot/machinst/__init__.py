"""The machine IR shared by every backend: registers, operands, instructions, functions.

This package knows no architecture. ``wazaot/amd64/`` and ``wazaot/arm64/`` define
their instructions on top of it, and ``wazaot/regalloc/`` allocates registers through
it alone. The whole pipeline, with the stage each package owns::

    wasm bytes
      |  wazaot.wasm: decode, validate
      v
    Module (typed functions)
      |  wazaot.lower (shared): wasm stack machine -> generic IR
      v
    generic IR
      |  <arch>/lower.py: instruction selection
      v
    VCode: blocks of <arch>/inst.py instructions on VIRTUAL registers   <- this package
      |  wazaot.regalloc.allocate(vcode, RegisterEnv)
      v
    Allocation: a PReg per operand, edits (moves, spills, reloads) at program points,
      |         spill slot counts, callee-saved registers used
      |  <arch>/emit.py (+ abi.py for prologue/epilogue and frame layout)
      v
    machine code bytes + relocations + metadata
      |  link, mmap, run
      v
    native code

An arch instruction is a frozen dataclass with one ``operands(collector)`` visitor
(see :mod:`wazaot.machinst.operands`); for example an x86 two-address add::

    @dataclass(frozen=True, slots=True)
    class AluRR:
        op: AluOp
        size: int
        dst: Reg
        src1: Reg
        src2: Reg

        def operands(self, c: OperandCollector) -> None:
            c.reg_use(self.src1)          # operand 0
            c.reg_use(self.src2)          # operand 1
            c.reg_reuse_def(self.dst, 0)  # operand 2: same register as operand 0

        def is_move(self) -> tuple[Reg, Reg] | None:
            return None

        def is_terminator(self) -> bool:
            return False

and its emitter reads the allocation in the same order:
``src1, src2, dst = allocation.inst_allocs(i)`` (here ``dst is src1``).
"""

from __future__ import annotations

from wazaot.machinst.operands import (
    ConstraintKind,
    Operand,
    OperandCollector,
    OperandKind,
    OperandPos,
    RecordingCollector,
    operands_of,
)
from wazaot.machinst.regs import Loc, PReg, Reg, RegClass, SpillSlot, VReg, preg_count
from wazaot.machinst.vcode import Args, Block, MachInst, RegisterEnv, VCode

__all__ = [
    "Args",
    "Block",
    "ConstraintKind",
    "Loc",
    "MachInst",
    "Operand",
    "OperandCollector",
    "OperandKind",
    "OperandPos",
    "PReg",
    "RecordingCollector",
    "Reg",
    "RegClass",
    "RegisterEnv",
    "SpillSlot",
    "VCode",
    "VReg",
    "operands_of",
    "preg_count",
]
