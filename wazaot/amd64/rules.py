"""The x86-64 instruction-selection rules, by opcode.

``lower_int.py``, ``lower_float.py`` and ``lower_mem.py`` register their rules into
:data:`RULES` explicitly (``@RULES.operations(...)``, ``@RULES.opcodes(...)``); the
rules every architecture shares (memory, globals, tables and exits to the runtime:
``wazaot.lower.common_rules``) are included. ``backend.py`` imports the three rule modules, which completes the table.
"""

from __future__ import annotations

from typing import Any

from ..lower.common_rules import COMMON_RULES
from ..lower.rules import RuleSet

RULES: RuleSet[Any] = RuleSet("x86-64", include=COMMON_RULES)
