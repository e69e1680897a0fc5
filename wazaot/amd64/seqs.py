"""Adapters from ``Seq`` pseudo-instructions to the sequences of ``sequences*.py``.

``SEQUENCES[name](emitter, args, dst, srcs, temps)`` emits the sequence named by a
``Seq`` instruction with its allocated registers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..machinst import PReg

SeqFn = Callable[[Any, tuple, PReg, Sequence[PReg], Sequence[PReg]], None]
SEQUENCES: dict[str, SeqFn] = {}


def div_rem(e: Any, kind: str, size: int, dst: Any, lhs: Any, rhs: Any) -> None:
    raise NotImplementedError("div_rem sequence pending")
