"""Register allocation quality per kernel: spills, reloads and moves.

    PYTHONPATH=. python3 bench/alloc_stats.py [--json] [FILE.wasm ...]

For each kernel of ``bench/kernels`` (and any extra ``.wasm`` given), every defined
function is lowered and allocated as ``Runtime.compile`` does, and the allocator's
output is counted:

- ``spills``: edits that store a register into a spill slot;
- ``reloads``: edits that load a spill slot into a register;
- ``moves``: register-to-register edits, plus ``MovRR`` instructions whose source and
  destination landed in different registers (both become a ``mov`` in the code);
- ``slots``: spill slots used, summed over the functions.

The figures do not depend on the machine: compare them before and after a change to
the allocator or the lowering (allocation quality must not drop for speed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import wasmtime  # noqa: E402  (wat2wasm only)

from wazaot.amd64 import cpu  # noqa: E402
from wazaot.amd64.abi import REGISTER_ENV  # noqa: E402
from wazaot.amd64.backend import lower  # noqa: E402
from wazaot.lower.common_inst import MovRR  # noqa: E402
from wazaot.lower.isel import CompileEnv  # noqa: E402
from wazaot.machinst import PReg, SpillSlot  # noqa: E402
from wazaot.regalloc import allocate  # noqa: E402
from wazaot.wasm.decoder import decode_module  # noqa: E402
from wazaot.wasm.validator import validate_module  # noqa: E402

KERNEL_DIR = Path(__file__).resolve().parent / "kernels"


def module_stats(wasm: bytes) -> dict[str, int]:
    """Spills, reloads, moves and slots summed over the module's defined functions."""
    module = decode_module(wasm)
    validate_module(module)
    env = CompileEnv.of(module, list(range(len(module.types))))
    stats = {"spills": 0, "reloads": 0, "moves": 0, "slots": 0}
    for index in range(module.num_imported_funcs, len(env.func_types)):
        lowered = lower(env, index, cpu.ALL)
        alloc = allocate(lowered.vcode, REGISTER_ENV)
        for _, move in alloc.edits:
            if isinstance(move.dst, SpillSlot):
                stats["spills"] += 1
            elif isinstance(move.src, SpillSlot):
                stats["reloads"] += 1
            elif move.src != move.dst:
                stats["moves"] += 1
        n = 0
        for block in lowered.vcode.blocks:
            for inst in block.insts:
                if type(inst) is MovRR:
                    src, dst = alloc.inst_allocs(n)
                    assert isinstance(src, PReg)
                    stats["moves"] += src is not dst
                n += 1
        stats["slots"] += sum(alloc.num_spill_slots.values())
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="extra .wasm modules")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    inputs = [(p.stem, wasmtime.wat2wasm(p.read_text())) for p in sorted(KERNEL_DIR.glob("*.wat"))]
    inputs += [(p.name, p.read_bytes()) for p in args.files]
    results = {name: module_stats(wasm) for name, wasm in inputs}
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    print(f"{'module':<16} {'spills':>7} {'reloads':>8} {'moves':>7} {'slots':>6}")
    for name, s in results.items():
        print(f"{name:<16} {s['spills']:>7} {s['reloads']:>8} {s['moves']:>7} {s['slots']:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
