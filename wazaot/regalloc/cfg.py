"""Control-flow facts the allocator needs: predecessors, a postorder, loop depths."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["CfgInfo", "analyze_cfg"]

# Spill weights count an operand in a loop nested d deep as LOOP_WEIGHT ** d.
LOOP_WEIGHT = 8
MAX_LOOP_DEPTH = 6
LOOP_BUDGET_PER_BLOCK = 16


@dataclass(slots=True)
class CfgInfo:
    """Predecessors, reachability, a postorder of the reachable blocks, loop depths."""

    preds: list[list[int]]
    postorder: list[int]
    """Reachable blocks, each after all its successors except along back edges."""
    reachable: list[bool]
    loop_depth: list[int]
    freq: list[int]
    """Estimated execution frequency of each block (from loop depth)."""


def analyze_cfg(succs: Sequence[Sequence[int]], entry: int) -> CfgInfo:
    """Depth-first search from ``entry``, then natural loops from its back edges.

    An edge ``u -> h`` is a back edge when ``h`` is on the DFS stack at the time; the
    loop of header ``h`` is every block that reaches a back-edge source without passing
    through ``h``. Irreducible cycles are counted as loops of whichever block the
    search entered first, which is good enough for spill weights.
    """
    n = len(succs)
    preds: list[list[int]] = [[] for _ in range(n)]
    for b, ss in enumerate(succs):
        for s in ss:
            if not 0 <= s < n:
                raise ValueError(f"block {b} has successor {s} out of range")
            preds[s].append(b)

    reachable = [False] * n
    on_stack = [False] * n
    postorder: list[int] = []
    back_edges: dict[int, list[int]] = {}
    if n:
        reachable[entry] = True
        on_stack[entry] = True
        stack: list[tuple[int, int]] = [(entry, 0)]
        while stack:
            b, next_succ = stack[-1]
            ss = succs[b]
            if next_succ < len(ss):
                stack[-1] = (b, next_succ + 1)
                s = ss[next_succ]
                if on_stack[s]:
                    back_edges.setdefault(s, []).append(b)
                elif not reachable[s]:
                    reachable[s] = True
                    on_stack[s] = True
                    stack.append((s, 0))
            else:
                stack.pop()
                on_stack[b] = False
                postorder.append(b)

    loop_depth = [0] * n
    # Each loop costs the size of its body. Structured (wasm) control flow keeps the
    # total near n times the nesting depth; a budget guards against contrived graphs
    # with many large overlapping cycles, where later loops are simply not counted
    # (the depths only weigh spill choices).
    budget = LOOP_BUDGET_PER_BLOCK * n + 1000
    for header, tails in back_edges.items():
        body = {header}
        work = [t for t in tails if t != header]
        body.update(work)
        while work and budget > 0:
            b = work.pop()
            for p in preds[b]:
                if p not in body and reachable[p]:
                    body.add(p)
                    work.append(p)
            budget -= 1
        if work:
            break
        for b in body:
            loop_depth[b] += 1
    freq = [LOOP_WEIGHT ** min(d, MAX_LOOP_DEPTH) for d in loop_depth]
    return CfgInfo(preds, postorder, reachable, loop_depth, freq)
