"""wazaot's packages import only downward, without circles, and no module imports inside a
function to get around one.

Layers, bottom up (a layer may import those below it)::

    api, errors, traps, vmctx, values, native      the contract and the native memory
    wasm                                           decode, validate
    machinst; regalloc (machinst only); lower      the shared compiler
    amd64 (and arm64)                              the backends
    engine                                         Engine / ModuleEngine / CallEngine
    instance                                       the store
    runtime; experimental                          the facade
    wasi                                           WASI preview1, over the facade
    cli                                            the command line
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "wazaot"

_BASE = {"api", "errors", "traps", "vmctx", "values", "native", "version"}
_FRONT = _BASE | {"wasm"}
_COMPILER = _FRONT | {"machinst", "lower"}
_BACKEND = _COMPILER | {"regalloc"}
_ENGINE = _FRONT | {"machinst", "engine"}  # backends are found by name, not imported
_STORE = _ENGINE | {"instance"}
_FACADE = _STORE | {"runtime", "experimental"}
ALLOWED: dict[str, set[str]] = {
    "api": {"api"},
    "version": {"version"},
    "errors": {"errors"},
    "traps": {"traps"},
    "native": {"native"},
    "vmctx": {"vmctx", "native"},
    "values": {"values", "api"},
    "wasm": _FRONT,
    "machinst": _FRONT | {"machinst"},
    "regalloc": {"machinst", "regalloc"},
    "lower": _COMPILER,
    "amd64": _BACKEND | {"amd64"},
    "arm64": _BACKEND | {"arm64"},
    "engine": _ENGINE,
    "instance": _STORE,
    "runtime": _FACADE,
    "experimental": _FACADE,
    "wasi": _FACADE | {"wasi"},
    "cli": _FACADE | {"cli", "wazaot", "wasi"},  # the package: for __version__
    "__main__": _FACADE | {"cli"},
    "wazaot": _FACADE,  # the package's __init__
}
CHECKED = sorted({p.relative_to(PKG).parts[0].removesuffix(".py") for p in PKG.glob("*")
                  if p.suffix == ".py" or (p / "__init__.py").exists()})  # fmt: skip


def _files(sub: str) -> list[Path]:
    if sub == "__init__":
        return [PKG / "__init__.py"]
    path = PKG / sub
    return sorted(path.rglob("*.py")) if path.is_dir() else [PKG / f"{sub}.py"]


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
        """``from mod import a, b``: the submodules a and b where they are modules,
        else ``mod`` itself (a name defined in it)."""
        if node.level:
            base = package.split(".")
            base = base[: len(base) - node.level + 1]
            mod = ".".join(base + ([node.module] if node.module else []))
        else:
            mod = node.module or ""
        out = []
        for a in node.names:
            sub = f"{mod}.{a.name}"
            rel = Path(*sub.split("."))
            is_module = (PKG.parent / rel).with_suffix(".py").exists() or (
                PKG.parent / rel / "__init__.py").exists()  # fmt: skip
            out.append(sub if is_module else mod)
        return out

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


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "wazaot"


def _graph() -> dict[str, set[str]]:
    files = [p for sub in CHECKED for p in _files(sub)]
    modules = {_module_name(p): p for p in files}
    graph: dict[str, set[str]] = {}
    for mod, path in modules.items():
        top, _ = _imports(path)
        graph[mod] = {m for m in top if m in modules}
    return graph


def test_every_module_has_a_layer() -> None:
    assert set(CHECKED) - {"__init__"} <= set(ALLOWED), set(CHECKED) - set(ALLOWED)


def test_imports_point_downward() -> None:
    bad = []
    for sub in CHECKED:
        for path in _files(sub):
            top, _ = _imports(path)
            own = _layer(_module_name(path))
            for m in top:
                if _layer(m) not in ALLOWED[own]:
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
    nested = [n for sub in CHECKED for p in _files(sub) for n in _imports(p)[1]]
    assert not nested, nested
