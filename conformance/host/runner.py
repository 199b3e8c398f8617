"""Run a WASI preview1 command guest with a Python host of ``wasi_ephemeral_nn`` linked in.

:func:`run_guest` runs one guest and says how it ended; :func:`run_command_line` is
``wasi-nn-conformance run``: it runs a guest with the process's standard streams and explains
what went wrong in terms a user can act on: an import the linked revision lacks (with the
revision that has it), the reason of each refused call (``verbose``), and a guest that looks
built for another revision.
"""

from __future__ import annotations

import enum
import logging
import re
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import NoReturn

import wasmtime

from conformance.errors import ConformanceError, UsageError
from conformance.host import linker as linker_module
from conformance.host.linker import FailedCall, link
from conformance.revisions import REVISIONS, Bindings

#: The exit status of a guest that trapped, as the Wasmtime CLI reports it (128 + SIGABRT).
TRAP_EXIT_CODE = 134

#: The exit status of ``run`` when the guest cannot be linked: it imports a function the host
#: does not provide, or with another type. 126 is what a shell answers for a command it found
#: but cannot execute; a guest that exits by itself rarely picks it, unlike 1 or 3.
LINK_ERROR_EXIT_CODE = 126

#: What ``run --verbose`` puts before each line it adds, so the host's words stand apart from
#: the guest's own output on stderr.
HOST_PREFIX = "wasi-nn:"

HostFactory = Callable[[Bindings], object]

Linking = Callable[[wasmtime.Linker, object, Bindings], None]
"""What defines a host's ``wasi_ephemeral_nn`` functions in a linker (:func:`~conformance.host.linker.link`)."""

#: A function's core-wasm parameter and result types, e.g. ``(("i32", "i32"), ("i32",))``.
CoreSignature = tuple[tuple[str, ...], tuple[str, ...]]


class SetupError(UsageError):
    """The run cannot start: the guest is no WASI command module, or a folder cannot be preopened.

    The message is one line naming the file or folder; these are mistakes of whoever started
    the run, not outcomes of the guest.
    """


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One import of the guest the host cannot satisfy.

    ``provided`` is the signature the host has under that name, or ``None`` when it has none.
    Signatures are written ``(i32, i32) -> (i32)``; an import that is not a function (a memory,
    a table, a global) has its kind instead, and ``function`` is false.
    """

    module: str
    name: str
    imported: str
    provided: str | None
    function: bool = True

    @property
    def qualified(self) -> str:
        """``module::name``, as Wasmtime names an import."""
        return f"{self.module}::{self.name}"


class LinkError(ConformanceError):
    """The guest imports functions the host lacks, or with other types; ``str()`` is one line."""

    def __init__(self, problems: Sequence[ImportProblem], bindings: Bindings, fitting: Sequence[str]) -> None:
        self.problems = tuple(problems)
        self.revision = revision_name(bindings)
        self.module_name: str = bindings.MODULE_NAME
        self.functions: tuple[str, ...] = tuple(bindings.FUNCTIONS)
        #: The other revisions every ``wasi_ephemeral_nn`` import of the guest would link with.
        self.fitting = tuple(fitting)
        super().__init__(self._describe())

    def _describe(self) -> str:
        nn, revision = self.module_name, f"revision {self.revision}"
        clauses = []
        missing_nn = [p.qualified for p in self.problems if p.module == nn and p.provided is None]
        if missing_nn:
            clauses.append(
                f"it imports {_and(missing_nn)}, which {revision} does not define (it has {', '.join(self.functions)})"
            )
        missing = [p.qualified for p in self.problems if p.module != nn and p.provided is None]
        if missing:
            clauses.append(f"it imports {_and(missing)}, which this host does not provide")
        for problem in self.problems:
            if problem.provided is not None:
                owner = revision if problem.module == nn else "this host"
                clauses.append(
                    f"it imports {problem.qualified} as {problem.imported}, but {owner} has {problem.provided}"
                )
        return "cannot link the guest: " + "; ".join(clauses)

    def hints(self, unknown_imports_trap: bool) -> list[str]:
        """What the user can do about it, one line each."""
        hints = [
            f"revision {name} has every {self.module_name} function the guest imports: try --revision {name}"
            for name in self.fitting
        ]
        if not unknown_imports_trap and any(problem.provided is None and problem.function for problem in self.problems):
            hints.append(
                "--trap-unknown-imports links each missing function to one that traps when called, "
                "so the guest runs until it calls one"
            )
        return hints


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


@dataclass(frozen=True, slots=True)
class GuestRun:
    """How a guest run ended: its exit code, captured output, and the trap if it trapped.

    A guest that could not be linked ends as a trap (exit code :data:`TRAP_EXIT_CODE`, the
    reason as the trap), as the suite judges it; ``link_error`` then says what is missing.
    """

    exit_code: int
    stdout: bytes = b""
    stderr: bytes = b""
    trap: str | None = None
    link_error: LinkError | None = None


@dataclass(frozen=True, slots=True)
class GuestOptions:
    """The WASI environment of a run: arguments, environment, preopened directories, stdin.

    ``stdin`` is the bytes to feed; ``None`` inherits the process's standard streams and
    captures nothing, as a command line runner does.
    """

    argv: Sequence[str] = ("guest",)
    env: Mapping[str, str] = field(default_factory=dict)
    dirs: Sequence[tuple[str, str]] = ()
    stdin: bytes | None = b""


@cache
def _engine() -> wasmtime.Engine:
    return wasmtime.Engine()


@cache
def _compile(wasm: bytes) -> wasmtime.Module:
    return wasmtime.Module(_engine(), wasm)


def load_module(guest: bytes | Path) -> wasmtime.Module:
    """Compile a guest given as ``.wasm``/``.wat`` bytes or a path to one; compiled once per content.

    :class:`SetupError` says, in one line, why a file cannot be read or is no module.
    """
    shown = str(guest) if isinstance(guest, Path) else "the guest"
    try:
        data = guest.read_bytes() if isinstance(guest, Path) else guest
    except OSError as error:
        raise SetupError(f"cannot read {shown}: {error.strerror or error}") from None
    try:
        return _compile(data)
    except wasmtime.WasmtimeError as error:
        raise SetupError(_compile_error(shown, data, str(error))) from None


def _compile_error(shown: str, data: bytes, message: str) -> str:
    """Wasmtime's multi-line compile or parse error as one line naming the file."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if not data.startswith(b"\0asm"):
        # Not binary wasm, so wasmtime read it as WAT text.
        located = re.search(r"--> <anon>:(\d+):(\d+)", message)
        looks_like_text = data.lstrip()[:1] in (b"(", b";") or shown.endswith(".wat")
        if located and looks_like_text:
            return f"{shown}:{located[1]}:{located[2]}: {lines[0]}"
        if not lines or located or "utf-8" in message:
            return f"{shown} is not a WebAssembly module: neither binary wasm nor WAT text"
    # The last cause is the specific one; wasmtime numbers a chain of them "0: ...", "1: ...".
    causes = [re.sub(r"^\d+: ", "", line) for line in lines if line != "Caused by:"]
    return f"{shown}: invalid WebAssembly module: {': '.join(dict.fromkeys([causes[0], causes[-1]]))}"


def revision_name(bindings: Bindings) -> str:
    """The name of the revision whose generated module ``bindings`` is (its module name otherwise)."""
    module = bindings.__name__.rpartition(".")[2]
    return next((name for name, known in REVISIONS.items() if known.module_name == module), bindings.__name__)


def _signature(func_type: wasmtime.FuncType) -> CoreSignature:
    return tuple(str(param) for param in func_type.params), tuple(str(result) for result in func_type.results)


def _shown(signature: CoreSignature) -> str:
    params, results = signature
    return f"({', '.join(params)}) -> ({', '.join(results)})"


def _kind(extern_type: object) -> str:
    """How an import that is not a function is named in messages: ``memory``, ``table``, ..."""
    return type(extern_type).__name__.removesuffix("Type").lower()


def nn_imports(module: wasmtime.Module, bindings: Bindings) -> dict[str, CoreSignature | None]:
    """The guest's imports of ``wasi_ephemeral_nn``: name -> core signature (``None``: not a function)."""
    imports: dict[str, CoreSignature | None] = {}
    for imported in module.imports:
        if imported.module == bindings.MODULE_NAME:
            kind = imported.type
            imports[imported.name or ""] = _signature(kind) if isinstance(kind, wasmtime.FuncType) else None
    return imports


def fitting_revisions(module: wasmtime.Module, bindings: Bindings) -> list[str]:
    """The revisions other than that of ``bindings`` with every ``wasi_ephemeral_nn`` import of ``module``.

    A guest that imports nothing of ``wasi_ephemeral_nn`` fits none: nothing tells its revision.
    """
    imports = nn_imports(module, bindings)
    own = revision_name(bindings)
    fitting = []
    for name, known in REVISIONS.items():
        functions = known.bindings.FUNCTIONS
        if (
            name != own
            and imports
            and all(
                function in functions
                and signature == (functions[function].core_params, functions[function].core_results)
                for function, signature in imports.items()
            )
        ):
            fitting.append(name)
    return fitting


def _problem(linker: wasmtime.Linker, store: wasmtime.Store, imported: wasmtime.ImportType) -> ImportProblem | None:
    """What is wrong with one import of the guest: ``linker`` lacks it or has it with another type."""
    name = imported.name or ""
    wanted = imported.type
    function = isinstance(wanted, wasmtime.FuncType)
    shown = _shown(_signature(wanted)) if isinstance(wanted, wasmtime.FuncType) else _kind(wanted)
    try:
        defined = linker.get(store, imported.module, name)
    except wasmtime.WasmtimeError:
        return ImportProblem(imported.module, name, shown, None, function)
    if isinstance(wanted, wasmtime.FuncType) and isinstance(defined, wasmtime.Func):
        provided = _signature(defined.type(store))
        if provided != _signature(wanted):
            return ImportProblem(imported.module, name, shown, _shown(provided))
    return None


def _import_problems(linker: wasmtime.Linker, store: wasmtime.Store, module: wasmtime.Module) -> list[ImportProblem]:
    """Each import of ``module`` that ``linker`` lacks, or has with another function type."""
    return [problem for imported in module.imports if (problem := _problem(linker, store, imported))]


def _define_traps(linker: wasmtime.Linker, store: wasmtime.Store, module: wasmtime.Module, bindings: Bindings) -> None:
    """Define every function import ``linker`` lacks as one that traps, naming itself, when called.

    Wasmtime's ``--trap-unknown-imports`` does the same with a generic message; here the trap
    says which import was called and why it is missing, since that call is what the user
    wants to find. An import of another type stays undefined, so instantiation reports it.
    """
    for imported in module.imports:
        problem = _problem(linker, store, imported)
        if problem is None or problem.provided is not None or not isinstance(imported.type, wasmtime.FuncType):
            continue
        if problem.module == bindings.MODULE_NAME:
            why = f"revision {revision_name(bindings)} does not define it"
        else:
            why = "this host does not provide it"
        message = f"the guest called {problem.qualified}, but {why} (unknown imports were linked to trap)"
        linker.define_func(problem.module, problem.name, imported.type, _trap_with(message))


def _trap_with(message: str) -> Callable[..., NoReturn]:
    def trap(*_arguments: object) -> NoReturn:
        raise wasmtime.Trap(message)

    return trap


def run_guest(
    guest: bytes | Path,
    host_factory: HostFactory,
    bindings: Bindings,
    options: GuestOptions,
    *,
    trap_unknown_imports: bool = False,
    linking: Linking = link,
) -> GuestRun:
    """Instantiate ``guest`` with WASI and the host ``host_factory(bindings)`` and run ``_start``.

    With ``trap_unknown_imports``, function imports the host lacks are linked to functions
    that trap when called. ``linking`` defines the host's functions in the linker: the
    reference glue by default (the benchmark also measures the calls without it).
    :class:`SetupError` is raised when the guest is no module or has no ``_start`` or a
    folder cannot be preopened.
    """
    module = load_module(guest)
    store = wasmtime.Store(_engine())
    linker = wasmtime.Linker(_engine())
    linker.define_wasi()
    linking(linker, host_factory(bindings), bindings)
    if trap_unknown_imports:
        _define_traps(linker, store, module, bindings)
    with tempfile.TemporaryDirectory(prefix="wasi-nn-guest-") as scratch:
        config = wasmtime.WasiConfig()
        config.argv = list(options.argv)
        config.env = list(options.env.items())
        for host_dir, guest_dir in options.dirs:
            try:
                config.preopen_dir(host_dir, guest_dir)
            except wasmtime.WasmtimeError:
                raise SetupError(f"cannot preopen {host_dir} as {guest_dir}") from None
        streams = Path(scratch)
        if options.stdin is None:
            config.inherit_stdin()
            config.inherit_stdout()
            config.inherit_stderr()
        else:
            (streams / "stdin").write_bytes(options.stdin)
            config.stdin_file = str(streams / "stdin")
            config.stdout_file = str(streams / "stdout")
            config.stderr_file = str(streams / "stderr")
        store.set_wasi(config)
        exit_code, trap, link_error = _start(linker, store, module, bindings)
        if options.stdin is None:
            return GuestRun(exit_code, trap=trap, link_error=link_error)
        stdout, stderr = (streams / "stdout").read_bytes(), (streams / "stderr").read_bytes()
        return GuestRun(exit_code, stdout, stderr, trap, link_error)


#: What is wrong with a module that is no WASI command.
_NO_START = "exports no _start function without parameters: it is no WASI command (a library or a reactor?)"


def _is_command(module: wasmtime.Module) -> bool:
    return any(
        export.name == "_start" and isinstance(export.type, wasmtime.FuncType) and not export.type.params
        for export in module.exports
    )


def _start(
    linker: wasmtime.Linker, store: wasmtime.Store, module: wasmtime.Module, bindings: Bindings
) -> tuple[int, str | None, LinkError | None]:
    try:
        instance = linker.instantiate(store, module)
    except wasmtime.ExitTrap as exited:  # a start function that called proc_exit
        return exited.code, None, None
    except wasmtime.Trap as trap:
        return TRAP_EXIT_CODE, str(trap), None
    except wasmtime.WasmtimeError as error:
        # Looked into only now: a run that links pays nothing for the diagnosis.
        problems = _import_problems(linker, store, module)
        if not problems:
            return TRAP_EXIT_CODE, str(error), None
        link_error = LinkError(problems, bindings, fitting_revisions(module, bindings))
        return TRAP_EXIT_CODE, str(link_error), link_error
    start = instance.exports(store).get("_start")
    if not isinstance(start, wasmtime.Func) or start.type(store).params:
        raise SetupError(f"the guest {_NO_START}")
    try:
        start(store)
    except wasmtime.ExitTrap as exited:
        return exited.code, None, None
    except wasmtime.Trap as trap:
        return TRAP_EXIT_CODE, str(trap), None
    except wasmtime.WasmtimeError as error:
        # Traps raised by WASI functions.
        return TRAP_EXIT_CODE, str(error), None
    return 0, None, None


# -- the run command ----------------------------------------------------------------------------


class FailedCallLog(logging.Handler):
    """The calls the linker logs as failed during a run, printed as they happen when ``verbose``.

    A call the host failed on unexpectedly (a bug of the host) is always printed, on one
    line; ``verbose`` adds its traceback. ``note`` adds a remark to a call's line.
    """

    def __init__(self, verbose: bool, note: Callable[[FailedCall], str] = lambda call: "") -> None:
        super().__init__(logging.DEBUG)
        self.verbose = verbose
        self.note = note
        self.calls: list[FailedCall] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Record the failed call a record carries, and print it if asked to."""
        call = getattr(record, "failed_call", None)
        if not isinstance(call, FailedCall):
            return
        self.calls.append(call)
        if not (self.verbose or call.unexpected):
            return
        errno = call.errno.name.lower()
        if call.unexpected:
            line = f"{HOST_PREFIX} {call.function} -> {errno}: the host failed: {call.reason} (a bug of the host)"
        else:
            line = f"{HOST_PREFIX} {call.function} -> {errno}" + (f": {call.reason}" if call.reason else "")
        print(line + self.note(call), file=sys.stderr, flush=True)
        if self.verbose and record.exc_info and record.exc_info[1] is not None:
            sys.stderr.write("".join(traceback.format_exception(record.exc_info[1])))
            sys.stderr.flush()


@contextmanager
def watching_failed_calls(log: FailedCallLog) -> Iterator[FailedCallLog]:
    """Route the linker's failed-call records to ``log`` alone while the block runs."""
    logger = logging.getLogger(linker_module.__name__)
    level, propagate = logger.level, logger.propagate
    logger.addHandler(log)
    logger.setLevel(logging.DEBUG)
    # Not passed on: logging's last-resort handler would print a traceback for unexpected failures.
    logger.propagate = False
    try:
        yield log
    finally:
        logger.removeHandler(log)
        logger.setLevel(level)
        logger.propagate = propagate


def errno_note(bindings: Bindings, others: Sequence[str]) -> Callable[[FailedCall], str]:
    """A note for an errno that revisions ``others`` read otherwise (another name, or none)."""

    def note(call: FailedCall) -> str:
        value = int(call.errno)
        remarks = []
        for name in others:
            errnos: type[enum.IntEnum] = REVISIONS[name].bindings.NnErrno
            there = next((member.name.lower() for member in errnos if member.value == value), None)
            if there is None:
                remarks.append(f"revision {name} has no errno {value}")
            elif there != call.errno.name.lower():
                remarks.append(f"revision {name} reads errno {value} as {there}")
        return f" (errno {value}; {'; '.join(remarks)})" if remarks else ""

    return note


def revision_hint(bindings: Bindings, other: str, failed: int) -> str:
    """Why a guest that failed under ``bindings`` may be built for revision ``other``."""
    here, there = revision_name(bindings), REVISIONS[other].bindings
    absent = [name for name in bindings.FUNCTIONS if name not in there.FUNCTIONS]
    reason = f"the guest imports no {_and(absent)}, like guests built for revision {other}, and " if absent else ""
    calls = "1 wasi-nn call" if failed == 1 else f"{failed} wasi-nn calls"
    hint = f"{reason}{calls} failed under revision {here}"
    for enum_name in ("TensorType", "GraphEncoding", "ExecutionTarget", "NnErrno"):
        ours: type[enum.IntEnum] | None = getattr(bindings, enum_name, None)
        theirs: type[enum.IntEnum] | None = getattr(there, enum_name, None)
        if ours is None or theirs is None:
            continue
        moved = [
            f"{member.name.lower()} is {theirs[member.name].value}, not {member.value}"
            for member in ours
            if member.name in theirs.__members__ and theirs[member.name].value != member.value
        ]
        if moved:
            words = re.sub(r"(?<!^)(?=[A-Z])", " ", enum_name).lower()
            hint += f"; {other} numbers {words}s otherwise ({'; '.join(moved)})"
    return f"{hint}: try --revision {other}"


def run_command_line(
    guest: Path,
    arguments: Sequence[str],
    host_factory: HostFactory,
    bindings: Bindings,
    dirs: Sequence[tuple[str, str]],
    env: Mapping[str, str],
    *,
    verbose: bool = False,
    trap_unknown_imports: bool = False,
    revision_chosen: bool = True,
) -> int:
    """Run ``guest`` with inherited stdio, as ``wasi-nn-conformance run`` does; returns its exit code.

    Besides the guest's own exit code: :data:`TRAP_EXIT_CODE` when it traps (the trap is
    printed), :data:`LINK_ERROR_EXIT_CODE` when it cannot be linked (what is missing is
    printed, with the revision that has it). ``trap_unknown_imports`` is that of
    :func:`run_guest`. ``verbose`` prints each call that failed with the
    host's reason. Unless the user chose the revision (``revision_chosen``), a guest that
    failed after a failed call and whose imports fit another revision gets a hint to try it.
    :class:`SetupError` is raised for a guest that is no WASI command or a folder that cannot
    be preopened.
    """
    module = load_module(guest)
    if not _is_command(module):  # checked here too, to name the file
        raise SetupError(f"{guest} {_NO_START}")
    others = fitting_revisions(module, bindings)
    options = GuestOptions(argv=(guest.name, *arguments), env=env, dirs=dirs, stdin=None)
    sys.stdout.flush()
    with watching_failed_calls(FailedCallLog(verbose, errno_note(bindings, others))) as failed:
        run = run_guest(guest, host_factory, bindings, options, trap_unknown_imports=trap_unknown_imports)
    if run.link_error is not None:
        print(f"wasi-nn-conformance: {run.link_error}", file=sys.stderr)
        for hint in run.link_error.hints(trap_unknown_imports):
            print(f"wasi-nn-conformance: hint: {hint}", file=sys.stderr)
        return LINK_ERROR_EXIT_CODE
    if run.trap is not None:
        print(f"Error: the guest trapped:\n{run.trap}", file=sys.stderr)
    if not revision_chosen and failed.calls and run.exit_code != 0:
        for other in others:
            print(f"wasi-nn-conformance: hint: {revision_hint(bindings, other, len(failed.calls))}", file=sys.stderr)
    return run.exit_code
