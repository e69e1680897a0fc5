"""Listings of compiled functions: the wasm next to the machine code.

``function_listing(compiled, func_index)`` disassembles one compiled function and
puts, before each run of machine instructions, the wasm instruction they came from
(through the source map the emitter records). ``machine_ir_listing`` prints a
function's machine IR on virtual registers, before register allocation.

Command line::

    python3 -m disasm_tools.listing FILE.wasm [FUNC ...] [--ir]

lists the named or numbered functions (all by default) of a module compiled for
this machine.
"""

from __future__ import annotations

import argparse
import bisect
import sys
from collections.abc import Sequence
from typing import Any

from wazaot.amd64 import backend as amd64_backend
from wazaot.arm64 import backend as arm64_backend
from wazaot.lower.isel import CompileEnv, LoweredFunction
from wazaot.wasm.module import Module
from wazaot.wasm.opcodes import NAMES

from .disasm import disassemble


def wasm_instruction_text(op: int, imm: Any) -> str:
    """``i32.add``, ``local.get 0``, ``i32.load offset=4 align=2``..."""
    name = NAMES.get(op, f"op{op:#x}")
    if imm is None:
        return name
    if name.endswith(("load", "store")) or "load" in name or "store" in name:
        if isinstance(imm, tuple) and len(imm) == 2 and not isinstance(imm[0], tuple):
            return f"{name} offset={imm[1]} align={1 << imm[0]}"
    if isinstance(imm, tuple):
        return f"{name} {' '.join(str(x) for x in imm)}"
    return f"{name} {imm}"


def _wasm_at(module: Module, func_index: int) -> dict[int, str]:
    code = module.codes[func_index - module.num_imported_funcs]
    return {offset: wasm_instruction_text(op, imm) for op, imm, offset in code.body}


def function_listing(compiled: Any, func_index: int, arch: str = "amd64") -> str:
    """The machine code of defined function ``func_index`` of ``compiled`` (a
    ``CompiledModule`` compiled for ``arch``), interleaved with its wasm instructions."""
    if compiled.code is None:
        raise ValueError("the module was not compiled")
    obj = compiled.code.object_code  # the bytes as compiled, before linking
    module: Module = compiled.module
    info = obj.functions[func_index]
    raw = obj.code[info.start : info.end]
    wasm = _wasm_at(module, func_index)
    starts = [m for m, _ in info.srcmap]
    lines = [f"function {func_index} {module.func_name(func_index)}:"]
    last = None
    for insn in disassemble(raw, arch, info.start):
        i = bisect.bisect(starts, insn.address) - 1
        wasm_offset = info.srcmap[i][1] if i >= 0 else None
        if wasm_offset != last and wasm_offset is not None:
            text = wasm.get(wasm_offset, "(prologue)" if wasm_offset not in wasm else "")
            lines.append(f"  ;; {wasm_offset:#06x}  {text}")
            last = wasm_offset
        rel = insn.address - info.start
        lines.append(f"    {rel:5x}:  {insn.mnemonic} {insn.op_str}".rstrip())
    return "\n".join(lines)


def machine_ir_listing(lowered: Any) -> str:
    """The blocks of a lowered function (``LoweredFunction.vcode``) as text."""
    lines = []
    for b, block in enumerate(lowered.vcode.blocks):
        succs = f" -> {', '.join(f'b{s}' for s in block.succs)}" if block.succs else ""
        lines.append(f"b{b}:{succs}")
        lines.extend(f"    {inst}" for inst in block.insts)
    return "\n".join(lines)


def lower_for_listing(compiled: Any, func_index: int, arch: str = "amd64") -> LoweredFunction:
    """Lower one function again (for ``arch``) to show its machine IR."""
    env = CompileEnv.of(compiled.module, compiled.type_ids)
    if arch == "arm64":
        return arm64_backend.lower(env, func_index)
    return amd64_backend.lower(env, func_index)


def main(argv: Sequence[str] | None = None) -> int:
    import wazaot

    parser = argparse.ArgumentParser(prog="python3 -m disasm_tools.listing",
                                     description=__doc__.split("\n")[0])  # fmt: skip
    parser.add_argument("file")
    parser.add_argument("functions", nargs="*", help="function names or indices (default: all)")
    parser.add_argument("--ir", action="store_true", help="also print the machine IR")
    args = parser.parse_args(argv)
    with open(args.file, "rb") as f:
        data = f.read()
    with wazaot.Runtime() as rt:
        compiled = rt.compile(data)
        module = compiled.module
        defined = range(module.num_imported_funcs, len(module.func_types()))
        wanted = [i for i in defined if not args.functions
                  or str(i) in args.functions or module.func_name(i) in args.functions]  # fmt: skip
        for i in wanted:
            if args.ir:
                print(machine_ir_listing(lower_for_listing(compiled, i, rt.arch)))
            print(function_listing(compiled, i, rt.arch))
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
