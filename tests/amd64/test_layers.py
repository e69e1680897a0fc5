"""The compiler's packages import only downward, without circles, and no module imports
inside a function to get around one.

Layers, bottom up: api/errors/traps/vmctx/wasm; machinst; regalloc (machinst only);
lower (machinst, not the allocator or an ISA); amd64 (any of those, and ``native`` for
running ``cpuid``).
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "wazaot"
CHECKED = ("machinst", "regalloc", "lower", "amd64")
ALLOWED = {
    "machinst": {"api", "errors", "traps", "vmctx", "wasm", "machinst"},
    "regalloc": {"machinst", "regalloc"},
    "lower": {"api", "errors", "traps", "vmctx", "wasm", "machinst", "lower"},
    "amd64": {"api", "errors", "traps", "vmctx", "wasm", "machinst", "regalloc", "lower",
              "amd64", "native"},
}  # fmt: skip


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> tuple[set[str], list[str]]:
    """The wazaot modules ``path`` imports at top level, and the imports found inside
    functions."""
    tree = ast.parse(path.read_text())
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    top: set[str] = set()
    nested: list[str] = []

    def resolve(node: ast.ImportFrom) -> list[str]:
        if node.level:
            base = package.split(".")
            base = base[: len(base) - node.level + 1]
            mod = ".".join(base + ([node.module] if node.module else []))
        else:
            mod = node.module or ""
        return [f"{mod}.{a.name}" for a in node.names] + [mod]

    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    nested.append(f"{name}:{inner.lineno}")
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            top.update(m for m in resolve(node) if m.startswith("wazaot"))
        elif isinstance(node, ast.Import):
            top.update(a.name for a in node.names if a.name.startswith("wazaot"))
    return top, nested


def _graph() -> dict[str, set[str]]:
    files = [p for sub in CHECKED for p in (PKG / sub).rglob("*.py")]
    modules = {_module_name(p): p for p in files}
    graph: dict[str, set[str]] = {}
    for mod, path in modules.items():
        top, _ = _imports(path)
        graph[mod] = {m for m in top if m in modules}
    return graph


def test_imports_point_downward() -> None:
    bad = []
    for sub in CHECKED:
        for path in (PKG / sub).rglob("*.py"):
            top, _ = _imports(path)
            for m in top:
                layer = m.split(".")[1] if m.count(".") >= 1 else m
                if layer not in ALLOWED[sub]:
                    bad.append(f"{_module_name(path)} imports {m}")
    assert not bad, bad


def test_no_import_circles() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(mod: str, stack: list[str]) -> None:
        state[mod] = 1
        for dep in sorted(graph[mod]):
            if state.get(dep) == 1:
                cycles.append(stack[stack.index(dep) :] + [dep])
            elif dep not in state:
                visit(dep, stack + [dep])
        state[mod] = 2

    for mod in sorted(graph):
        if mod not in state:
            visit(mod, [mod])
    assert not cycles, cycles


def test_no_imports_inside_functions() -> None:
    nested = [n for sub in CHECKED for p in (PKG / sub).rglob("*.py") for n in _imports(p)[1]]
    assert not nested, nested
