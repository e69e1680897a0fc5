"""The ``wazaot`` command line.

::

    wazaot --version
    wazaot compile FILE.wasm [--arch amd64|arm64] [-v]   decode, validate, print a summary
    wazaot run [--mount HOST[:GUEST][:ro]] [--env K=V] [--timeout S] [--trace] FILE.wasm [--] [ARG ...]
                                                          run a WASI command (_start)
    wazaot run FILE.wasm --invoke NAME [VALUE ...]        call an export natively
    wazaot disasm FILE.wasm [--func NAME|INDEX] [--stats]  machine code under its wasm
    wazaot explore FILE.wasm -o out.html                  the same as an HTML page

Both keep compiled code in the user's cache directory (``$XDG_CACHE_HOME/wazaot``,
``~/.cache/wazaot``, ``~/Library/Caches/wazaot`` on macOS), ``--no-cache`` to skip it.

Exit codes: 0 success, 1 the module is bad (or a trap / link error when running),
2 usage errors and features not built yet; a WASI command exits with its own code
(``proc_exit``, the low 8 bits).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from disasm_tools import explore as explore_page
from disasm_tools.annotate import (
    Compiled,
    FunctionView,
    ListingError,
    annotate,
    compile_for_listing,
)
from disasm_tools.listing import lower_for_listing, machine_ir_listing
from disasm_tools.report import SORT_KEYS, function_stats, function_text, stats_table

from . import __version__
from .api import ValueType
from .engine.cache import default_directory
from .errors import CompileError, ExitError, LinkError, Trap, UnsupportedError
from .experimental.logging import new_logging_listener_factory
from .runtime import ARCHES, CompiledModule, Runtime, RuntimeConfig
from .wasi import MODULE_NAME as WASI_MODULE
from .wasi import Mount, WasiConfig
from .wasi import instantiate as instantiate_wasi

_LIST_LIMIT = 10
_NO_CACHE_HELP = "compile without the cache of compiled code in the user's cache directory"


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    return Path(path).read_bytes()


def _human_size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB ({n} bytes)"
    return f"{n / (1024 * 1024):.2f} MiB ({n} bytes)"


def _limited(items: list[str], verbose: bool) -> str:
    if not items:
        return ""
    shown = items if verbose or len(items) <= _LIST_LIMIT else items[:_LIST_LIMIT]
    text = ", ".join(shown)
    if len(shown) < len(items):
        text += f", ... ({len(items) - len(shown)} more; -v lists all)"
    return text


def summarize(cm: CompiledModule, path: str, seconds: float, verbose: bool = False) -> str:
    """The human-readable summary ``wazaot compile`` prints for a compiled module."""
    m = cm.module
    n_imported = len(cm.imported_functions)
    n_defined = len(m.functions)
    size = m.size
    rate = f", {size / seconds / 1e6:.2f} MB/s" if seconds > 0 and size else ""
    lines = [f"{path}: ok, compiled in {seconds * 1e3:.1f} ms{rate}"]
    rows: list[tuple[str, str]] = [("size", _human_size(size))]
    if cm.name:
        rows.append(("module name", cm.name))
    code_bytes = sum(c.end_offset - c.offset for c in m.codes)
    rows.append(("types", str(len(m.types))))
    rows.append(
        (
            "functions",
            f"{n_imported + n_defined} ({n_imported} imported, {n_defined} defined, "
            f"{code_bytes} bytes of code)",
        )
    )
    imports = [f"{i.module}.{i.name} ({i.kind})" for i in m.imports]
    rows.append(
        ("imports", f"{len(imports)}" + (f": {_limited(imports, verbose)}" if imports else ""))
    )
    exports = [f"{e.name} ({e.kind})" for e in m.exports]
    rows.append(
        ("exports", f"{len(exports)}" + (f": {_limited(exports, verbose)}" if exports else ""))
    )
    rows.append(
        (
            "memories/tables/globals",
            f"{len(m.memory_types())}/{len(m.table_types())}/{len(m.global_types())}",
        )
    )
    rows.append(("data/element segments", f"{len(m.datas)}/{len(m.elements)}"))
    if m.start is not None:
        rows.append(("start function", cm.function_definitions[m.start].name))
    if cm.custom_sections:
        names = [f"{c.name} ({len(c.data)} bytes)" for c in cm.custom_sections]
        rows.append(("custom sections", _limited(names, verbose)))
    width = max(len(k) for k, _ in rows)
    lines += [f"  {k:<{width}}  {v}" for k, v in rows]
    return "\n".join(lines)


def _progress(err: TextIO) -> Callable[[int, int], None] | None:
    """A progress line on a terminal's stderr for long compiles (functions done)."""
    isatty = getattr(err, "isatty", None)
    if not (callable(isatty) and isatty()):
        return None
    start = time.perf_counter()
    shown = False

    def show(done: int, total: int) -> None:
        nonlocal shown
        if done < total and time.perf_counter() - start < 1.0:
            return  # short compiles stay quiet
        err.write(f"\rwazaot: compiling: {done}/{total} functions")
        if done == total and (shown or time.perf_counter() - start >= 1.0):
            err.write("\n")
        shown = True
        err.flush()

    return show


def _compile_file(rt: Runtime, path: str, err: TextIO) -> tuple[CompiledModule, float] | None:
    try:
        data = _read(path)
    except OSError as exc:
        print(f"wazaot: {path}: {exc.strerror or exc}", file=err)
        return None
    start = time.perf_counter()
    try:
        cm = rt.compile(data, progress=_progress(err))
    except (CompileError, UnsupportedError) as exc:
        kind = type(exc).__name__
        print(f"wazaot: {path}: {kind}: {exc}", file=err)
        return None
    return cm, time.perf_counter() - start


def _config(args: argparse.Namespace, err: TextIO | None = None) -> RuntimeConfig:
    config = RuntimeConfig(arch=args.arch) if args.arch else RuntimeConfig()
    if getattr(args, "trace", False) and err is not None:
        config.listener_factory = new_logging_listener_factory(err)
    if not args.no_cache:
        config.cache_dir = default_directory()
    return config


def _cmd_compile(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    status = 0
    with Runtime(_config(args)) as rt:
        for path in args.files:
            result = _compile_file(rt, path, err)
            if result is None:
                status = 1
                continue
            cm, seconds = result
            print(summarize(cm, path, seconds, args.verbose), file=out)
            if args.timings:
                print(timings_table(cm, seconds), file=out)
    return status


def timings_table(cm: CompiledModule, seconds: float) -> str:
    """Time per stage of a compile, and the code size (``wazaot compile --timings``)."""
    code = cm.code.object_code.code if cm.code is not None else b""
    wasm_code = sum(c.end_offset - c.offset for c in cm.module.codes)
    rows = [(stage, f"{t * 1e3:9.1f} ms") for stage, t in cm.timings.items() if stage != "total"]
    if not cm.timings:
        rows.append(("loaded from the cache", f"{seconds * 1e3:9.1f} ms"))
    rows.append(("total", f"{seconds * 1e3:9.1f} ms"))
    rows.append(("code section", f"{wasm_code:9,d} bytes, {wasm_code / 1e3 / max(seconds, 1e-9):,.0f} KB/s"))
    rows.append(("machine code", f"{len(code):9,d} bytes"))
    note = ("  (lower, regalloc and emit add up the time of every worker process)"
            if cm.timings.get("total", 0) < sum(v for k, v in cm.timings.items()
                                                if k in ("lower", "regalloc", "emit")) else "")  # fmt: skip
    width = max(len(k) for k, _ in rows)
    return "\n".join(["  timings:" + note] + [f"    {k:<{width}}  {v}" for k, v in rows])


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"a timeout must be positive, got {text}")
    return value


def _parse_arg(vt: ValueType, text: str) -> int | float:
    if vt in (ValueType.F32, ValueType.F64):
        return float(text)
    return int(text, 0)


class _TextSink:
    """A binary stream over a text stream (``main``'s ``out``/``err`` may be StringIO)."""

    def __init__(self, text: TextIO):
        self.text = text

    def write(self, data: bytes | memoryview) -> int:
        self.text.write(bytes(data).decode("utf-8", "replace"))
        return len(data)

    def flush(self) -> None:
        self.text.flush()


def _binary(stream: TextIO) -> object:
    """The guest's stream for ``stream``: None (the process's own, flushed after every
    write, as a program's unbuffered stdout would be) or a binary adapter."""
    if stream is sys.stdout or stream is sys.stderr:
        return None
    return getattr(stream, "buffer", None) or _TextSink(stream)


def _mount(text: str) -> tuple[str, Mount]:
    """``HOST[:GUEST][:ro]`` -> (guest path, mount); the guest path defaults to HOST."""
    parts = text.split(":")
    readonly = len(parts) > 1 and parts[-1] == "ro"
    if readonly:
        parts.pop()
    if not 1 <= len(parts) <= 2 or not parts[0]:
        raise argparse.ArgumentTypeError(f"--mount takes HOST[:GUEST][:ro], got {text!r}")
    host = parts[0]
    guest = parts[1] if len(parts) == 2 and parts[1] else host
    return guest, Mount(host, readonly)


def _env(text: str) -> tuple[str, str]:
    key, eq, value = text.partition("=")
    if not eq or not key:
        raise argparse.ArgumentTypeError(f"--env takes K=V, got {text!r}")
    return key, value


def _wasi_config(args: argparse.Namespace, out: TextIO, err: TextIO) -> WasiConfig:
    return WasiConfig(
        args=[Path(args.file).name, *args.args],
        env=dict(args.env or []),
        preopens=dict(args.mount or []),
        stdout=_binary(out),
        stderr=_binary(err),
    )


def _cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with Runtime(_config(args, err)) as rt:
        result = _compile_file(rt, args.file, err)
        if result is None:
            return 1
        cm, _ = result
        uses_wasi = any(i.module == WASI_MODULE for i in cm.module.imports)
        if uses_wasi or args.invoke is None:
            try:
                instantiate_wasi(rt, _wasi_config(args, out, err))
            except OSError as exc:
                print(f"wazaot: --mount {exc.filename}: {exc.strerror or exc}", file=err)
                return 2
        if args.invoke is None:
            return _run_command(rt, cm, args, err)
        return _invoke(rt, cm, args, out, err)


def _run_command(rt: Runtime, cm: CompiledModule, args: argparse.Namespace, err: TextIO) -> int:
    if "_start" not in cm.exported_functions:
        print(f"wazaot: {args.file}: not a WASI command: no _start export "
              f"(use --invoke NAME to call one of its functions)", file=err)  # fmt: skip
        return 1
    try:
        mod = rt.instantiate(cm)
        mod.exported_function("_start")(timeout=args.timeout)
    except ExitError as exc:
        return exc.code & 0xFF
    except KeyboardInterrupt:
        print("wazaot: interrupted", file=err)
        return 130
    except (LinkError, Trap) as exc:
        print(f"wazaot: {args.file}: {type(exc).__name__}: {exc}", file=err)
        return 1
    return 0


def _invoke(rt: Runtime, cm: CompiledModule, args: argparse.Namespace, out: TextIO,
            err: TextIO) -> int:  # fmt: skip
    name = args.invoke
    if name not in cm.exported_functions:
        print(f"wazaot: {args.file}: no exported function {name!r} (use --invoke NAME)", file=err)
        return 1
    definition = cm.exported_functions[name]
    if len(args.args) != len(definition.param_types):
        print(
            f"wazaot: {name} takes {len(definition.param_types)} arguments "
            f"({', '.join(map(str, definition.param_types))}), got {len(args.args)}",
            file=err,
        )
        return 2
    try:
        params = [_parse_arg(vt, a) for vt, a in zip(definition.param_types, args.args)]
    except ValueError as exc:
        print(f"wazaot: bad argument: {exc}", file=err)
        return 2
    try:
        mod = rt.instantiate(cm)
        value = mod.exported_function(name)(*params, timeout=args.timeout)
    except ExitError as exc:
        return exc.code & 0xFF
    except KeyboardInterrupt:
        print("wazaot: interrupted", file=err)
        return 130
    except NotImplementedError as exc:
        print(f"wazaot: run: {exc}", file=err)
        return 2
    except (LinkError, Trap) as exc:
        print(f"wazaot: {args.file}: {type(exc).__name__}: {exc}", file=err)
        return 1
    if value is not None:
        print(" ".join(map(str, value)) if isinstance(value, tuple) else value, file=out)
    return 0


_RUN_VALUE_OPTIONS = {"--mount", "--env", "--timeout", "--arch", "--invoke"}


def _split_run(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """Split ``run``'s arguments at the module file: wazaot's options come before it,
    the guest's arguments after it (``--`` optional). ``FILE --invoke NAME VALUES``
    keeps its old form: returns (argv, None) and argparse sorts it out."""
    i = 1
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            return argv, None
        if tok.startswith("-"):
            i += 2 if tok in _RUN_VALUE_OPTIONS else 1
            continue
        rest = argv[i + 1 :]
        if rest[:1] == ["--invoke"]:
            return argv, None
        return argv[: i + 1], rest[1:] if rest[:1] == ["--"] else rest
    return argv, None


# -- disasm and explore ------------------------------------------------------------------


def _compile_for_listing(path: str, arch: str | None, err: TextIO) -> tuple[Compiled | None, int]:
    """(the compiled module, 0), or (None, exit code) after saying why not."""
    try:
        return compile_for_listing(_read(path), arch), 0
    except OSError as exc:
        print(f"wazaot: {path}: {exc.strerror or exc}", file=err)
        return None, 1
    except ListingError as exc:
        print(f"wazaot: {exc}", file=err)
        return None, 2
    except (CompileError, UnsupportedError) as exc:
        print(f"wazaot: {path}: {type(exc).__name__}: {exc}", file=err)
        return None, 1


def _select(views: list[FunctionView], wanted: str | None) -> list[FunctionView] | str:
    """The functions named (or numbered) ``wanted``, all without one; an error message
    naming the functions when none matches."""
    functions = [v for v in views if v.index is not None]
    if wanted is None:
        return views
    chosen = [v for v in functions if v.name == wanted or str(v.index) == wanted]
    if chosen:
        return chosen
    names = [f"{v.index} {v.name}" for v in functions]
    shown = ", ".join(names[:30]) + (f", ... ({len(names) - 30} more)" if len(names) > 30 else "")
    return f"no function {wanted!r}; defined functions: {shown or 'none'}"


def _cmd_disasm(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    compiled, status = _compile_for_listing(args.file, args.arch, err)
    if compiled is None:
        return status
    if args.ir and compiled.arch != "amd64":
        print(f"wazaot: --ir is only available for amd64 code, not {compiled.arch}", file=err)
        return 2
    views = _select(annotate(compiled), args.func)
    if isinstance(views, str):
        print(f"wazaot: {args.file}: {views}", file=err)
        return 1
    if args.stats:
        rows = [function_stats(compiled, v) for v in views if v.index is not None]
        print(stats_table(rows, args.sort), file=out)
        return 0
    for view in views:
        if args.ir and view.index is not None:
            print(machine_ir_listing(lower_for_listing(compiled, view.index)), file=out)
        print(function_text(view, show_wasm=not args.no_wasm), file=out)
        print(file=out)
    return 0


def _cmd_explore(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    compiled, status = _compile_for_listing(args.file, args.arch, err)
    if compiled is None:
        return status
    page = explore_page.html_page(annotate(compiled), title=Path(args.file).name,
                                  arch=compiled.arch)  # fmt: skip
    try:
        Path(args.output).write_text(page, encoding="utf-8")
    except OSError as exc:
        print(f"wazaot: {args.output}: {exc.strerror or exc}", file=err)
        return 1
    print(f"wrote {args.output} ({len(page)} bytes)", file=out)
    return 0


def _add_inspect_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("disasm", help="list the machine code of each function under its wasm")
    p.add_argument("file", metavar="FILE.wasm")
    p.add_argument("--func", metavar="NAME|INDEX", help="only this function (default: all)")
    p.add_argument("--arch", choices=ARCHES, help="target architecture (default: the host)")
    p.add_argument("--ir", action="store_true", help="also print the machine IR (amd64)")
    p.add_argument("--no-wasm", action="store_true", help="machine code only")
    p.add_argument("--stats", action="store_true",
                   help="per function: bytes, instructions per wasm instruction, spills...")  # fmt: skip
    p.add_argument("--sort", choices=sorted(SORT_KEYS), help="order of --stats (largest first)")
    p.set_defaults(handler=_cmd_disasm)

    p = sub.add_parser("explore", help="write an HTML page: wasm beside machine code")
    p.add_argument("file", metavar="FILE.wasm")
    p.add_argument("-o", "--output", required=True, metavar="OUT.html")
    p.add_argument("--arch", choices=ARCHES, help="target architecture (default: the host)")
    p.set_defaults(handler=_cmd_explore)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and documentation tools)."""
    parser = argparse.ArgumentParser(
        prog="wazaot",
        description="Ahead-of-time compiler from WebAssembly to native x86-64/arm64 code.",
    )
    parser.add_argument("--version", action="version", version=f"wazaot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("compile", help="decode and validate modules and print a summary")
    p.add_argument("files", nargs="+", metavar="FILE.wasm", help="wasm binaries ('-' is stdin)")
    p.add_argument("--arch", choices=ARCHES, help="target architecture (default: the host)")
    p.add_argument("-v", "--verbose", action="store_true", help="list every import and export")
    p.add_argument("--timings", action="store_true", help="time per compile stage, code size")
    p.add_argument("--no-cache", action="store_true", help=_NO_CACHE_HELP)
    p.set_defaults(handler=_cmd_compile)

    p = sub.add_parser("run", help="run a WASI command, or call an exported function natively")
    p.add_argument("file", metavar="FILE.wasm")
    p.add_argument("--invoke", metavar="NAME", help="export to call (default: _start, as WASI)")
    p.add_argument("--mount", type=_mount, action="append", metavar="HOST[:GUEST][:ro]",
                   help="preopen the host directory HOST as GUEST (default: HOST); "
                        ":ro refuses changes")  # fmt: skip
    p.add_argument("--env", type=_env, action="append", metavar="K=V",
                   help="set an environment variable of the guest")  # fmt: skip
    p.add_argument("--arch", choices=ARCHES, help="target architecture (default: the host)")
    p.add_argument("--no-cache", action="store_true", help=_NO_CACHE_HELP)
    p.add_argument("--timeout", type=_seconds, metavar="S",
                   help="stop the call after S seconds (a trap: interrupted)")  # fmt: skip
    p.add_argument("--trace", action="store_true",
                   help="log every function call and its result to stderr")  # fmt: skip
    p.add_argument("args", nargs="*", metavar="ARG",
                   help="the command's arguments (after --), or --invoke's values")  # fmt: skip
    p.set_defaults(handler=_cmd_run)
    _add_inspect_parsers(sub)
    return parser


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    guest_args = None
    if argv[:1] == ["run"]:
        argv, guest_args = _split_run(argv)
    args, extra = parser.parse_known_args(argv)
    if guest_args is not None:
        args.args = guest_args
    if extra and args.command == "run" and "--" in extra:
        extra.remove("--")
    if extra:
        # argparse cannot put `run`'s arguments after an option (`run F --invoke f 1 2`)
        # into the positional list it already filled; they arrive here instead.
        if args.command != "run" or any(e.startswith("--") for e in extra):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.args += extra
    if args.command is None:
        parser.print_help(out or sys.stdout)
        return 2
    return args.handler(args, out or sys.stdout, err or sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
