"""Runs the WebAssembly spec test suite's ``.json`` scripts (from ``wast2json``).

Each command gets one outcome: passed, failed, not run or skipped.

- ``module``: compile (category ``module``) then instantiate (``instantiate``).
- ``assert_malformed`` (binary) must raise ``DecodeError``, ``assert_invalid`` must
  raise ``ValidationError``. The exception class decides pass or fail; a message that
  does not start with the script's ``text`` is also counted as a wording mismatch,
  which is reported but does not fail. Text-format ``assert_malformed`` entries need a
  ``.wat`` parser and are skipped.
- Execution commands (``assert_return``, ``assert_trap``, ``action``,
  ``assert_exhaustion``, ``register``, ``assert_unlinkable``,
  ``assert_uninstantiable``) really run through the public API. Where the runtime
  cannot execute code at all (no native backend for this machine) they are recorded
  as *not run*, never as passed. Every valid module must compile: an
  ``UnsupportedError`` fails its command. The modules of
  ``assert_unlinkable``/``assert_uninstantiable`` are valid and must still compile.

The ``spectest`` module the scripts import is built from the public API too: a host
module of no-op ``print*`` functions, re-exported with the globals, table and memory
by a small wasm module (``wasmgen.spectest_module``) registered as ``spectest``.

Values follow the spec suite's JSON: integers and floats as unsigned decimal bit
patterns, ``nan:canonical``/``nan:arithmetic``, v128 as lanes, ``externref`` as small
integers (raw encoding ``n + 1``, so that 0 stays null) and ``funcref`` as null or
any non-null reference.
"""

from __future__ import annotations

import enum
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wazaot import DecodeError, LinkError, Runtime, Trap, ValidationError
from wazaot.api import (
    ValueType,
    is_arithmetic_nan_f32,
    is_arithmetic_nan_f64,
    is_canonical_nan_f32,
    is_canonical_nan_f64,
)

from . import wasmgen

SPECTEST_DIR_ENV = "WAZAOT_SPECTEST_DIR"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPECTEST_DIR = REPO_ROOT.parent / "shared" / "spectest" / "core2"

HOST_PRINT_MODULE = "wazaot_spectest_print"
EXTERNREF_BIAS = 1
"""Script externref ``n`` travels as raw ``n + 1``: raw 0 is the null reference."""


def spectest_dir() -> Path:
    """Where the spec ``.json`` files are: ``$WAZAOT_SPECTEST_DIR`` or ``../shared/spectest/core2``."""
    env = os.environ.get(SPECTEST_DIR_ENV)
    return Path(env) if env else DEFAULT_SPECTEST_DIR


def spec_files(directory: Path | None = None) -> list[Path]:
    """The ``.json`` scripts of ``directory`` (default ``spectest_dir()``), sorted."""
    directory = directory or spectest_dir()
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


class Outcome(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not run"
    SKIPPED = "skipped"


COMPILE_CATEGORIES = ("module", "assert_invalid", "assert_malformed")
"""Categories whose failures fail a file's test today (the compile-time expectations)."""

EXEC_CATEGORIES = (
    "instantiate",
    "assert_return",
    "assert_trap",
    "action",
    "assert_exhaustion",
    "register",
    "assert_unlinkable",
    "assert_uninstantiable",
)


@dataclass
class FileReport:
    """What happened to the commands of one ``.json`` script."""

    name: str
    counts: Counter[tuple[str, Outcome]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    compile_failures: list[str] = field(default_factory=list)
    wording: list[str] = field(default_factory=list)
    wording_by_category: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def record(self, category: str, outcome: Outcome, line: int, detail: str = "") -> None:
        self.counts[(category, outcome)] += 1
        if outcome is Outcome.FAILED:
            message = f"{self.name}:{line}: {category}: {detail}"
            self.failures.append(message)
            if category in COMPILE_CATEGORIES or detail.startswith("compile:"):
                self.compile_failures.append(message)

    def mismatch(self, category: str, line: int, expected: str, got: str) -> None:
        self.wording_by_category[category] += 1
        self.wording.append(f"{self.name}:{line}: {category}: expected {expected!r}, got {got!r}")

    def total(self, outcome: Outcome) -> int:
        return sum(n for (_, o), n in self.counts.items() if o is outcome)

    def summary_line(self) -> str:
        parts = [f"{self.total(o)} {o.value}" for o in Outcome]
        line = f"{self.name}: " + ", ".join(parts)
        if self.wording:
            line += f", {len(self.wording)} wording mismatches"
        return line + f" ({self.seconds:.2f} s)"


# -- values -------------------------------------------------------------------------

_LANES = {
    "i8": (8, 16),
    "i16": (16, 8),
    "i32": (32, 4),
    "i64": (64, 2),
    "f32": (32, 4),
    "f64": (64, 2),
}
_WIDTH = {"i32": 32, "i64": 64, "f32": 32, "f64": 64}


def _lanes_to_int(lane_type: str, lanes: list[str]) -> int:
    bits, count = _LANES[lane_type]
    if len(lanes) != count:
        raise ValueError(f"v128 {lane_type} needs {count} lanes, got {len(lanes)}")
    mask = (1 << bits) - 1
    out = 0
    for i, lane in enumerate(lanes):
        out |= (int(lane) & mask) << (i * bits)
    return out


def encode_value(value: dict[str, Any]) -> int:
    """A script argument -> the raw encoding of API.md."""
    vt = value["type"]
    raw: Any = value.get("value")
    if vt in _WIDTH:
        return int(raw) & ((1 << _WIDTH[vt]) - 1)
    if vt == "v128":
        return _lanes_to_int(value["lane_type"], raw)
    if vt in ("externref", "funcref"):
        if raw is None or raw == "null":
            return 0
        return int(raw) + EXTERNREF_BIAS if vt == "externref" else int(raw)
    raise ValueError(f"unknown value type {vt!r}")


def _float_matches(bits: int, expected: str, raw: int) -> bool:
    if bits == 32:
        raw &= 0xFFFF_FFFF
        if expected == "nan:canonical":
            return is_canonical_nan_f32(raw)
        if expected == "nan:arithmetic":
            return is_arithmetic_nan_f32(raw)
    else:
        raw &= 0xFFFF_FFFF_FFFF_FFFF
        if expected == "nan:canonical":
            return is_canonical_nan_f64(raw)
        if expected == "nan:arithmetic":
            return is_arithmetic_nan_f64(raw)
    return raw == int(expected) & ((1 << bits) - 1)


def value_matches(expected: dict[str, Any], raw: int) -> bool:
    """Whether the raw result ``raw`` is what the script's ``expected`` entry allows."""
    vt = expected["type"]
    want: Any = expected.get("value")
    if vt == "either":
        return any(value_matches(alt, raw) for alt in expected["values"])
    if vt in ("i32", "i64"):
        bits = _WIDTH[vt]
        return raw & ((1 << bits) - 1) == int(want) & ((1 << bits) - 1)
    if vt in ("f32", "f64"):
        return _float_matches(_WIDTH[vt], want, raw)
    if vt == "v128":
        lane_type = expected["lane_type"]
        bits, count = _LANES[lane_type]
        mask = (1 << bits) - 1
        for i, lane in enumerate(want):
            got = (raw >> (i * bits)) & mask
            if lane_type in ("f32", "f64"):
                if not _float_matches(bits, lane, got):
                    return False
            elif got != int(lane) & mask:
                return False
        return True
    if vt in ("externref", "funcref"):
        if want is None:
            return raw != 0
        if want == "null":
            return raw == 0
        return raw == (int(want) + EXTERNREF_BIAS if vt == "externref" else int(want))
    raise ValueError(f"unknown value type {vt!r}")


def format_value(value: dict[str, Any]) -> str:
    if "value" not in value:
        return f"{value['type']}:non-null"
    if value["type"] == "v128":
        return f"v128 {value['lane_type']}x[{' '.join(value['value'])}]"
    return f"{value['type']}:{value['value']}"


# -- running a script ---------------------------------------------------------------


class NotRun(Exception):
    """A command cannot run because execution is not available (yet)."""


class Broken(Exception):
    """A command cannot run because the module it needs failed to compile or instantiate."""


class CommandFailed(Exception):
    """A command ran and did not do what the script expects."""


TRAP_WORDS = (
    "unreachable",
    "integer divide by zero",
    "integer overflow",
    "invalid conversion to integer",
    "out of bounds memory access",
    "out of bounds table access",
    "indirect call type mismatch",
    "undefined element",
    "uninitialized element",
    "call stack exhausted",
)
"""The trap messages API.md promises (the spec's wording)."""


def trap_matches(expected: str, message: str) -> bool:
    """Whether a trap's ``message`` says what the script's ``expected`` text says.

    The script's text is the reference interpreter's message, sometimes with details
    after the spec's wording (``uninitialized element 2``); the wording is what counts.
    """
    if expected in message:
        return True
    return any(expected.startswith(word) and word in message for word in TRAP_WORDS)


def _error_text(exc: BaseException) -> str:
    return getattr(exc, "message", None) or str(exc)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class SpecRunner:
    """Runs one script's commands against a fresh ``Runtime``, filling a ``FileReport``."""

    def __init__(self, path: Path, runtime_factory: Callable[[], Runtime] = Runtime) -> None:
        self.path = path
        self.directory = path.parent
        self.report = FileReport(path.stem)
        self.rt = runtime_factory()
        self.instances: dict[str, Any] = {}
        self.current: Any = Broken("no module defined yet")
        self.execution_error: BaseException | None = None
        self.handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "module": self.module,
            "register": self.register,
            "action": self.action,
            "assert_return": self.assert_return,
            "assert_trap": self.assert_trap,
            "assert_exhaustion": self.assert_exhaustion,
            "assert_invalid": self.assert_invalid,
            "assert_malformed": self.assert_malformed,
            "assert_unlinkable": self.assert_unlinkable,
            "assert_uninstantiable": self.assert_uninstantiable,
        }

    # -- setup -----------------------------------------------------------------------

    def setup_spectest(self) -> None:
        """Instantiate and register the ``spectest`` module, if execution is available.

        A failure other than ``NotImplementedError`` is recorded (category
        ``instantiate``, line 0); the script still runs, and the modules that import
        ``spectest`` then fail to link.
        """
        try:
            builder = self.rt.new_host_module_builder(HOST_PRINT_MODULE)
            for fname, params in wasmgen.SPECTEST_PRINTS.items():
                builder.function(fname, _print, params=[ValueType(p) for p in params], results=[])
            builder.instantiate()
            cm = self.rt.compile(wasmgen.spectest_module(HOST_PRINT_MODULE))
            self.rt.register("spectest", self.rt.instantiate(cm))
        except NotImplementedError as exc:
            self.execution_error = exc
        except Exception as exc:
            self.report.record(
                "instantiate", Outcome.FAILED, 0, f"spectest module: {_describe(exc)}"
            )

    # -- the loop --------------------------------------------------------------------

    def run(self) -> FileReport:
        start = time.perf_counter()
        try:
            self.setup_spectest()
            commands = json.loads(self.path.read_text())["commands"]
            for cmd in commands:
                handler = self.handlers.get(cmd["type"])
                if handler is None:
                    self.report.record(cmd["type"], Outcome.SKIPPED, cmd.get("line", 0))
                    continue
                handler(cmd)
        finally:
            self.rt.close()
            self.report.seconds = time.perf_counter() - start
        return self.report

    def _execute(self, category: str, cmd: dict[str, Any], body: Callable[[], None]) -> None:
        """Run ``body`` and record its outcome under ``category``."""
        line = cmd.get("line", 0)
        try:
            body()
        except (NotRun, NotImplementedError):
            self.report.record(category, Outcome.NOT_RUN, line)
        except Broken as exc:
            self.report.record(category, Outcome.FAILED, line, f"module unavailable: {exc}")
        except CommandFailed as exc:
            self.report.record(category, Outcome.FAILED, line, str(exc))
        except Exception as exc:  # any other exception is a failure to report
            self.report.record(category, Outcome.FAILED, line, f"unexpected {_describe(exc)}")
        else:
            self.report.record(category, Outcome.PASSED, line)

    def _read_module(self, cmd: dict[str, Any]) -> bytes:
        return (self.directory / cmd["filename"]).read_bytes()

    def _compile(self, cmd: dict[str, Any]) -> Any:
        """Compile a module the script expects to be valid; raises CommandFailed otherwise."""
        data = self._read_module(cmd)
        try:
            return self.rt.compile(data)
        except Exception as exc:  # UnsupportedError too: every valid module compiles
            raise CommandFailed(f"compile: {cmd['filename']}: {_describe(exc)}") from exc

    def _instantiate(self, cm: Any) -> Any:
        if self.execution_error is not None:
            raise NotRun(str(self.execution_error))
        return self.rt.instantiate(cm)

    def _target(self, action: dict[str, Any]) -> Any:
        name = action.get("module")
        target = (
            self.current if name is None else self.instances.get(name, Broken(f"no module {name}"))
        )
        if isinstance(target, (NotRun, Broken)):
            raise target
        return target

    def _run_action(self, action: dict[str, Any]) -> list[int]:
        target = self._target(action)
        field_name = action["field"]
        if action["type"] == "invoke":
            fn = target.exported_function(field_name)
            if fn is None:
                raise CommandFailed(f"no exported function {field_name!r}")
            args = [encode_value(a) for a in action.get("args", [])]
            return list(fn.call(*args))
        if action["type"] == "get":
            glob = target.exported_global(field_name)
            if glob is None:
                raise CommandFailed(f"no exported global {field_name!r}")
            return [glob.get()]
        raise CommandFailed(f"unknown action type {action['type']!r}")

    def _check_results(
        self, action: dict[str, Any], expected: list[dict[str, Any]], got: list[int]
    ) -> None:
        ok = len(got) == len(expected) and all(value_matches(e, r) for e, r in zip(expected, got))
        if not ok:
            want = ", ".join(format_value(e) for e in expected)
            have = ", ".join(hex(r) for r in got)
            raise CommandFailed(f"{action['field']}: expected [{want}], got [{have}]")

    def _expect_trap(self, run: Callable[[], object], text: str, what: str) -> None:
        try:
            run()
        except Trap as exc:
            message = _error_text(exc)
            if not trap_matches(text, message):
                raise CommandFailed(
                    f"{what}: expected trap {text!r}, got trap {message!r}"
                ) from exc
            return
        except (NotRun, Broken, NotImplementedError, CommandFailed):
            raise
        except Exception as exc:
            raise CommandFailed(f"{what}: expected trap {text!r}, got {_describe(exc)}") from exc
        raise CommandFailed(f"{what}: expected trap {text!r}, returned normally")

    # -- commands --------------------------------------------------------------------

    def module(self, cmd: dict[str, Any]) -> None:
        line = cmd.get("line", 0)
        try:
            cm = self._compile(cmd)
        except CommandFailed as exc:
            self.report.record("module", Outcome.FAILED, line, str(exc))
            self._bind(cmd, Broken(f"the module at line {line} did not compile"))
            return
        except NotRun as exc:
            self.report.record("module", Outcome.PASSED, line)
            self.report.record("instantiate", Outcome.NOT_RUN, line)
            self._bind(cmd, exc)
            return
        self.report.record("module", Outcome.PASSED, line)
        try:
            instance = self._instantiate(cm)
        except (NotRun, NotImplementedError) as exc:
            self.report.record("instantiate", Outcome.NOT_RUN, line)
            self._bind(cmd, NotRun(str(exc)))
        except Exception as exc:
            self.report.record("instantiate", Outcome.FAILED, line, _describe(exc))
            self._bind(cmd, Broken(f"the module at line {line} did not instantiate"))
        else:
            self.report.record("instantiate", Outcome.PASSED, line)
            self._bind(cmd, instance)

    def _bind(self, cmd: dict[str, Any], instance: Any) -> None:
        self.current = instance
        if "name" in cmd:
            self.instances[cmd["name"]] = instance

    def register(self, cmd: dict[str, Any]) -> None:
        def body() -> None:
            target = self._target({"module": cmd["name"]} if "name" in cmd else {})
            self.rt.register(cmd["as"], target)

        self._execute("register", cmd, body)

    def action(self, cmd: dict[str, Any]) -> None:
        def body() -> None:
            got = self._run_action(cmd["action"])
            if cmd.get("expected"):
                self._check_results(cmd["action"], cmd["expected"], got)

        self._execute("action", cmd, body)

    def assert_return(self, cmd: dict[str, Any]) -> None:
        def body() -> None:
            got = self._run_action(cmd["action"])
            self._check_results(cmd["action"], cmd.get("expected", []), got)

        self._execute("assert_return", cmd, body)

    def assert_trap(self, cmd: dict[str, Any]) -> None:
        if "action" not in cmd:  # a module whose instantiation traps
            self.assert_uninstantiable(cmd, category="assert_trap")
            return

        def body() -> None:
            self._expect_trap(
                lambda: self._run_action(cmd["action"]), cmd["text"], cmd["action"]["field"]
            )

        self._execute("assert_trap", cmd, body)

    def assert_exhaustion(self, cmd: dict[str, Any]) -> None:
        def body() -> None:
            self._expect_trap(
                lambda: self._run_action(cmd["action"]), cmd["text"], cmd["action"]["field"]
            )

        self._execute("assert_exhaustion", cmd, body)

    def assert_invalid(self, cmd: dict[str, Any]) -> None:
        self._expect_compile_error(cmd, "assert_invalid", ValidationError)

    def assert_malformed(self, cmd: dict[str, Any]) -> None:
        if cmd.get("module_type") != "binary":
            self.report.record("assert_malformed(text)", Outcome.SKIPPED, cmd.get("line", 0))
            return
        self._expect_compile_error(cmd, "assert_malformed", DecodeError)

    def _expect_compile_error(
        self, cmd: dict[str, Any], category: str, expected: type[Exception]
    ) -> None:
        line = cmd.get("line", 0)
        text = cmd.get("text", "")
        try:
            self.rt.compile(self._read_module(cmd))
        except expected as exc:
            self.report.record(category, Outcome.PASSED, line)
            message = _error_text(exc)
            if not message.startswith(text):
                self.report.mismatch(category, line, text, message)
        except Exception as exc:
            self.report.record(
                category, Outcome.FAILED, line,
                f"{cmd['filename']}: expected {expected.__name__} ({text!r}), got {_describe(exc)}",
            )  # fmt: skip
        else:
            self.report.record(
                category, Outcome.FAILED, line,
                f"{cmd['filename']}: expected {expected.__name__} ({text!r}), compiled fine",
            )  # fmt: skip

    def assert_unlinkable(self, cmd: dict[str, Any]) -> None:
        def body() -> None:
            cm = self._compile(cmd)
            try:
                self._instantiate(cm)
            except LinkError as exc:
                message = _error_text(exc)
                if not message.startswith(cmd["text"]):
                    self.report.mismatch(
                        "assert_unlinkable", cmd.get("line", 0), cmd["text"], message
                    )
                return
            except (NotRun, NotImplementedError):
                raise
            except Exception as exc:
                raise CommandFailed(
                    f"expected LinkError ({cmd['text']!r}), got {_describe(exc)}"
                ) from exc
            raise CommandFailed(f"expected LinkError ({cmd['text']!r}), instantiated fine")

        self._execute("assert_unlinkable", cmd, body)

    def assert_uninstantiable(
        self, cmd: dict[str, Any], category: str = "assert_uninstantiable"
    ) -> None:
        def body() -> None:
            cm = self._compile(cmd)
            self._expect_trap(lambda: self._instantiate(cm), cmd["text"], cmd["filename"])

        self._execute(category, cmd, body)


def _print(caller: object, *params: int) -> None:
    """The spectest ``print*`` functions: they print nothing."""


def run_file(path: Path, runtime_factory: Callable[[], Runtime] = Runtime) -> FileReport:
    """Run one ``.json`` script and return its report."""
    return SpecRunner(path, runtime_factory).run()


# -- summaries ------------------------------------------------------------------------

_LABELS = {
    "module": ("compiled", "module"),
    "assert_malformed": ("", "assert_malformed(binary)"),
}


def _category_totals(reports: Iterable[FileReport]) -> dict[str, Counter[Outcome]]:
    out: dict[str, Counter[Outcome]] = {}
    for report in reports:
        for (category, outcome), n in report.counts.items():
            out.setdefault(category, Counter())[outcome] += n
    return out


def format_totals(reports: list[FileReport]) -> list[str]:
    """Summary lines over many files: per category passed/total, not run, wording."""
    totals = _category_totals(reports)
    compile_parts = []
    for category in COMPILE_CATEGORIES:
        c = totals.get(category, Counter())
        suffix, label = _LABELS.get(category, ("", category))
        total = sum(c.values())
        part = f"{label} {c[Outcome.PASSED]}/{total}" + (f" {suffix}" if suffix else "")
        if c[Outcome.FAILED]:
            part += f" ({c[Outcome.FAILED]} FAILED)"
        compile_parts.append(part)
    skipped_text = totals.get("assert_malformed(text)", Counter())[Outcome.SKIPPED]
    compile_parts.append(f"assert_malformed(text) {skipped_text} skipped")
    lines = ["spec: " + ", ".join(compile_parts)]

    exec_parts = []
    not_run = 0
    for category in EXEC_CATEGORIES:
        c = totals.get(category, Counter())
        total = sum(c.values())
        if not total:
            continue
        not_run += c[Outcome.NOT_RUN]
        part = f"{category} {c[Outcome.PASSED]}/{total}"
        extra = [f"{c[o]} {o.value}" for o in (Outcome.FAILED, Outcome.NOT_RUN) if c[o]]
        if extra:
            part += f" ({', '.join(extra)})"
        exec_parts.append(part)
    lines.append("spec: execution: " + ", ".join(exec_parts))
    if not_run:
        lines.append(f"spec: not run: {not_run:,} execution commands (no native backend here)")

    wording: Counter[str] = Counter()
    for report in reports:
        wording.update(report.wording_by_category)
    if wording:
        detail = ", ".join(f"{k} {v}" for k, v in sorted(wording.items()))
        lines.append(
            f"spec: wording mismatches (class right, message differs): {sum(wording.values())} ({detail})"
        )
    failed_files = [r.name for r in reports if r.failures]
    lines.append(
        f"spec: {len(reports)} files, {len(reports) - len(failed_files)} without failures"
        + (f", failures in: {' '.join(failed_files)}" if failed_files else "")
    )
    return lines
