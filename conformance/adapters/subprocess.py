"""Any runtime's command line as a host under test: one process per guest run.

:class:`CommandAdapter` runs a command built from a template such as
``'mycli run --nn {wasm}'``, feeds the script on stdin and captures stdout and stderr.
Every run is bounded: a timeout (the whole process group is killed), an address-space limit
(``RLIMIT_AS``), no core dumps, and a cap on the captured output. How the process ended
becomes a :class:`~conformance.adapters.base.RunOutcome` through :func:`classify`, whose
rules (:class:`OutcomeRules`) follow the Wasmtime CLI's conventions by default.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import resource
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from conformance.adapters.base import Capabilities, OutcomeKind, RunOutcome
from conformance.errors import UsageError

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "DEFAULT_OUTPUT_LIMIT",
    "GRAPHS_PLACEHOLDER",
    "WASMTIME_RULES",
    "WASM_PLACEHOLDER",
    "Classification",
    "CommandAdapter",
    "GraphArguments",
    "OutcomeRules",
    "ProcessResult",
    "classify",
    "reference_command_adapter",
    "run_bounded",
]

WASM_PLACEHOLDER = "{wasm}"
"""Replaced, wherever it appears in a word of the template, by the path of the guest file."""

GRAPHS_PLACEHOLDER = "{graphs}"
"""A word of the template replaced by the words that preload each graph (possibly none)."""

DEFAULT_MEMORY_LIMIT = 8 << 30
"""Address-space limit of a run, in bytes. Wasmtime alone reserves 4 GiB per linear memory,
so much less than this keeps it from starting; much more lets a runaway host swap the machine."""

DEFAULT_OUTPUT_LIMIT = 64 << 20
"""Bytes kept of each of stdout and stderr; the rest is read and dropped."""

GraphArguments = Callable[[str, str], Sequence[str]]
"""Given a graph's ``load_by_name`` name and its fixture model, the command-line words that
preload it (for example ``["-S", "nn-graph=openvino::DIR"]``); they replace ``{graphs}``."""

_CHUNK = 1 << 16
_DRAIN_GRACE = 2.0  # seconds to collect output still buffered in the pipes after a kill
_MESSAGE_LIMIT = 500


# --------------------------------------------------------------------------------------------
# Classifying how a process ended
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutcomeRules:
    """What a runtime writes on stderr and exits with when a run does not simply end.

    The defaults are the Wasmtime CLI's, which the reference host's ``wasi-nn-conformance run``
    copies: a trap prints ``wasm backtrace`` and exits 134 (128 + SIGABRT), an error raised
    by a host function prints the same and exits 1. Patterns are regular expressions searched
    in stderr decoded as UTF-8 (invalid bytes replaced).
    """

    trap_exit_codes: frozenset[int] = frozenset({134, 1})
    """Exit codes that, with a trap pattern on stderr, mean the wasm instance trapped."""
    trap_patterns: tuple[str, ...] = (r"wasm backtrace",)
    """What the runtime prints when the instance traps."""
    crash_patterns: tuple[str, ...] = (r"panicked at", r"Traceback \(most recent call last\)")
    """A host panic (Rust) or an uncaught exception (Python host): the host itself failed."""
    out_of_memory_patterns: tuple[str, ...] = (
        r"memory allocation of \d+ bytes failed",  # Rust's allocation failure handler
        r"\bMemoryError\b",  # Python
        r"std::bad_alloc",  # C++
        r"Cannot allocate memory",  # strerror(ENOMEM), as Wasmtime reports a failed mmap
    )
    """Messages of an allocation that failed, in practice because of the address-space limit."""


WASMTIME_RULES = OutcomeRules()
"""The rules of the Wasmtime CLI and of ``wasi-nn-conformance run``."""


@dataclass(frozen=True, slots=True)
class Classification:
    """The outcome kind of a finished process, with the fields of :class:`RunOutcome` it fills."""

    kind: OutcomeKind
    exit_code: int | None
    signal: int | None
    message: str


def classify(
    returncode: int | None, stderr: bytes, *, timed_out: bool = False, rules: OutcomeRules = WASMTIME_RULES
) -> Classification:
    """Classify how a host process ended.

    The first rule that applies decides:

    1. it was killed at the timeout (``timed_out``) → ``hung``;
    2. exit code 0 → ``exited``, whatever stderr says;
    3. an out-of-memory pattern on stderr (with a signal or a nonzero exit code)
       → ``out_of_memory``;
    4. killed by SIGKILL (which the adapter sends only at the timeout, so the kernel's OOM
       killer or a cgroup memory limit sent it) → ``out_of_memory``;
    5. killed by any other signal (negative ``returncode``) → ``crashed``, ``signal`` set;
    6. a crash pattern (a Rust panic, a Python traceback) on stderr that no trap pattern
       follows → ``crashed`` with the exit code (a guest's own panic message comes before
       the runtime's trap report, so it does not count);
    7. an exit code of ``rules.trap_exit_codes`` and a trap pattern on stderr → ``trapped``;
    8. otherwise → ``exited`` with the exit code: the guest may exit with any code itself,
       134 included, so a bare exit code proves nothing.
    """
    text = stderr.decode("utf-8", "replace")
    if timed_out:
        return Classification("hung", None, None, "no exit before the timeout; the process group was killed")
    assert returncode is not None
    if returncode == 0:
        return Classification("exited", 0, None, "")
    killed_by = -returncode if returncode < 0 else None
    exit_code = None if killed_by is not None else returncode
    out_of_memory = _last_match(text, rules.out_of_memory_patterns)
    if out_of_memory is not None:
        return Classification("out_of_memory", exit_code, killed_by, _line_at(text, out_of_memory.start()))
    if killed_by == signal.SIGKILL:
        return Classification("out_of_memory", None, killed_by, "killed by SIGKILL (out of memory)")
    crash = _last_match(text, rules.crash_patterns)
    trap = _last_match(text, rules.trap_patterns)
    if killed_by is not None:
        detail = f": {_panic_message(text, crash.start())}" if crash is not None else ""
        return Classification("crashed", None, killed_by, f"killed by {_signal_name(killed_by)}{detail}")
    if crash is not None and (trap is None or trap.start() < crash.start()):
        return Classification("crashed", exit_code, None, _panic_message(text, crash.start()))
    if trap is not None and returncode in rules.trap_exit_codes:
        return Classification("trapped", exit_code, None, _trap_message(text))
    return Classification("exited", exit_code, None, "")


def _last_match(text: str, patterns: Sequence[str]) -> re.Match[str] | None:
    last: re.Match[str] | None = None
    for pattern in patterns:
        for match in re.finditer(pattern, text):
            if last is None or match.start() > last.start():
                last = match
    return last


def _line_at(text: str, position: int) -> str:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return _clip(text[start : end if end >= 0 else len(text)].strip())


def _panic_message(text: str, position: int) -> str:
    """The panic line and the one after it, which holds the message in Rust's format.

    Rust prints ``thread 'main' panicked at FILE:`` then the message; a Python traceback is
    summed up by its last unindented line instead.
    """
    if text.startswith("Traceback", position):
        lines = [line for line in text[position:].splitlines() if line.strip() and not line.startswith(" ")]
        return _clip(lines[-1].strip())
    lines = text[text.rfind("\n", 0, position) + 1 :].splitlines()
    return _clip(" ".join(line.strip() for line in lines[:2]))


# A frame of a wasm backtrace ("0:    0x259 - <unknown>!call.load"), not a cause.
_FRAME = re.compile(r"^\s*\d+:\s+0x[0-9a-f]+ - ")
_CAUSE = re.compile(r"^\s*\d+: (.+)$")


def _trap_message(text: str) -> str:
    """The trap's reason: the ``wasm trap:`` line, else the innermost cause of the runtime's error.

    Wasmtime prints ``Caused by:`` then numbered causes, the innermost last, with the wasm
    backtrace's frames among them; a Rust backtrace (``Stack backtrace:``) may follow.
    """
    report = text.split("Stack backtrace:", 1)[0]
    causes: list[str] = []
    for line in report.splitlines():
        if "wasm trap:" in line:
            return _clip(line[line.index("wasm trap:") :].strip())
        cause = _CAUSE.match(line)
        if cause and not _FRAME.match(line):
            causes.append(cause.group(1).strip())
    if causes:
        return _clip(causes[-1])
    lines = [line.strip() for line in report.splitlines() if line.strip()]
    return _clip(lines[-1]) if lines else ""


def _clip(message: str) -> str:
    return message if len(message) <= _MESSAGE_LIMIT else message[: _MESSAGE_LIMIT - 3] + "..."


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


# --------------------------------------------------------------------------------------------
# Running one bounded process
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """A finished process as :func:`run_bounded` saw it.

    ``returncode`` follows :mod:`subprocess` (negative: killed by that signal).
    """

    returncode: int
    stdout: bytes
    stderr: bytes
    timed_out: bool
    seconds: float
    stdout_truncated: bool = False
    stderr_truncated: bool = False


def _limit_resources(memory_limit: int) -> Callable[[], None]:
    """The function the child runs between fork and exec: address-space limit, no core dumps."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return limit


class _Capture:
    """The bytes of one output pipe, up to a limit; the rest is read and dropped."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.chunks: list[bytes] = []
        self.size = 0
        self.truncated = False

    def add(self, chunk: bytes) -> None:
        room = self.limit - self.size
        if len(chunk) > room:
            self.truncated = True
            chunk = chunk[: max(room, 0)]
        if chunk:
            self.chunks.append(chunk)
            self.size += len(chunk)

    def data(self) -> bytes:
        return b"".join(self.chunks)


def _kill_group(process_group: int) -> None:
    # The group outlives its leader only while one of its processes lives; either way a
    # group that is already gone is not an error.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process_group, signal.SIGKILL)


def run_bounded(
    command: Sequence[str],
    stdin: bytes,
    *,
    timeout: float,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
    output_limit: int = DEFAULT_OUTPUT_LIMIT,
    env: Mapping[str, str] | None = None,
) -> ProcessResult:
    """Run ``command`` once with ``stdin`` as its standard input, within bounds.

    The process runs in a session of its own under ``RLIMIT_AS = memory_limit`` and
    ``RLIMIT_CORE = 0``. At ``timeout`` seconds its whole process group is killed. When the
    process exits, whatever it left running in its group is killed too, so nothing of a run
    outlives it. Each output stream keeps its first ``output_limit`` bytes.
    """
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    process = subprocess.Popen(
        list(command),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env) if env is not None else None,
        start_new_session=True,
        preexec_fn=_limit_resources(memory_limit),
    )
    # start_new_session makes the child the leader of a new group with its own pid.
    group = process.pid
    try:
        stdout, stderr, timed_out = _exchange(process, stdin, deadline, output_limit)
    finally:
        # poll() reaps a process that has exited; one still running is killed with its group.
        if process.poll() is None:
            _kill_group(group)
        for pipe in (process.stdin, process.stdout, process.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        returncode = process.wait()
    return ProcessResult(
        returncode,
        stdout.data(),
        stderr.data(),
        timed_out,
        time.perf_counter() - started,
        stdout.truncated,
        stderr.truncated,
    )


def _exchange(
    process: subprocess.Popen[bytes], stdin: bytes, deadline: float, output_limit: int
) -> tuple[_Capture, _Capture, bool]:
    """Feed stdin and collect both outputs until the process exits or the deadline passes.

    One thread multiplexes the three pipes and the process's exit. The exit is watched
    through a pidfd where the system has one: it signals while the process is a zombie, so
    its group id cannot have been reused when the group is killed.
    """
    assert process.stdin is not None
    assert process.stdout is not None
    assert process.stderr is not None
    captures = {process.stdout.fileno(): _Capture(output_limit), process.stderr.fileno(): _Capture(output_limit)}
    selector = selectors.DefaultSelector()
    exit_watch: int | None = None
    try:
        if hasattr(os, "pidfd_open"):
            with contextlib.suppress(OSError):
                exit_watch = os.pidfd_open(process.pid)
                selector.register(exit_watch, selectors.EVENT_READ)
        for fd in captures:
            selector.register(fd, selectors.EVENT_READ)
        pending = memoryview(stdin)
        stdin_fd = process.stdin.fileno()
        if pending:
            os.set_blocking(stdin_fd, False)
            selector.register(stdin_fd, selectors.EVENT_WRITE)
        else:
            process.stdin.close()

        exited = False
        timed_out = False
        # Set once the process is gone (exited, or killed at the timeout): how long the
        # pipes may still take to deliver what is buffered in them.
        grace_deadline: float | None = None
        open_outputs = set(captures)
        while open_outputs or not exited:
            now = time.monotonic()
            limit = grace_deadline if grace_deadline is not None else deadline
            if now >= limit:
                if grace_deadline is not None:
                    break  # a pipe still open: something outside the group holds it
                timed_out = True
                _kill_group(process.pid)
                grace_deadline = now + _DRAIN_GRACE
                continue
            # Without a pidfd the exit is noticed by polling, ten times a second.
            wait = limit - now if exit_watch is not None else min(limit - now, 0.1)
            for key, _ in selector.select(wait):
                fd = int(key.fd)
                if fd == exit_watch:
                    selector.unregister(fd)
                    exited = True
                elif fd == stdin_fd:
                    try:
                        written = os.write(fd, pending[:_CHUNK])
                    except BlockingIOError:
                        written = 0
                    except BrokenPipeError:
                        written = len(pending)  # the host stopped reading; the rest is moot
                    pending = pending[written:]
                    if not pending:
                        selector.unregister(fd)
                        process.stdin.close()
                else:
                    chunk = os.read(fd, _CHUNK)
                    if chunk:
                        captures[fd].add(chunk)
                    else:
                        selector.unregister(fd)
                        open_outputs.discard(fd)
            if exit_watch is None and not exited and process.poll() is not None:
                exited = True
            if exited and grace_deadline is None:
                # The leader is gone: stop whatever it left behind in its group (safe only while
                # the unreaped leader keeps the group id taken), then drain the pipes.
                if exit_watch is not None:
                    _kill_group(process.pid)
                grace_deadline = time.monotonic() + _DRAIN_GRACE
        return captures[process.stdout.fileno()], captures[process.stderr.fileno()], timed_out
    finally:
        selector.close()
        if exit_watch is not None:
            os.close(exit_watch)


# --------------------------------------------------------------------------------------------
# The adapter
# --------------------------------------------------------------------------------------------


class CommandAdapter:
    """A host run through its command line: one bounded process per guest run.

    ``template`` is split with :func:`shlex.split`. ``{wasm}`` (required) is replaced
    wherever it occurs by the path of the guest, written to a private temporary folder once
    per distinct content. A word that is exactly ``{graphs}`` becomes the words
    ``graph_arguments(name, fixture)`` returns for each graph the run preloads, in order;
    without ``graph_arguments`` the host cannot preload graphs.

    ``env`` adds to (or overrides) this process's environment. ``version_command`` is what
    :meth:`version` runs, by default the template's program with ``--version``;
    ``version_suffix`` is appended to its answer (the version of a backend, say).
    """

    def __init__(
        self,
        name: str,
        template: str,
        capabilities: Capabilities,
        *,
        graph_arguments: GraphArguments | None = None,
        env: Mapping[str, str] | None = None,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        output_limit: int = DEFAULT_OUTPUT_LIMIT,
        rules: OutcomeRules = WASMTIME_RULES,
        version_command: Sequence[str] | None = None,
        version_suffix: str = "",
    ) -> None:
        self.name = name
        self.capabilities = capabilities
        self.words = shlex.split(template)
        if not self.words:
            raise UsageError("empty command template")
        if not any(WASM_PLACEHOLDER in word for word in self.words):
            raise UsageError(f"command template {template!r} has no {WASM_PLACEHOLDER} placeholder")
        if any(GRAPHS_PLACEHOLDER in word and word != GRAPHS_PLACEHOLDER for word in self.words):
            raise UsageError(f"{GRAPHS_PLACEHOLDER} must be a word of its own in {template!r}")
        has_graphs = GRAPHS_PLACEHOLDER in self.words
        if graph_arguments is not None and not has_graphs:
            raise UsageError(f"graph_arguments given but {template!r} has no {GRAPHS_PLACEHOLDER} word")
        if memory_limit <= 0:
            raise UsageError("the address-space limit must be positive")
        self.graph_arguments = graph_arguments
        self.env = dict(env or {})
        self.memory_limit = memory_limit
        self.output_limit = output_limit
        self.rules = rules
        self.version_command = list(version_command) if version_command is not None else [self.words[0], "--version"]
        self.version_suffix = version_suffix
        self._version: str | None = None
        self._guests: dict[str, Path] = {}
        self._guests_lock = threading.Lock()
        self._guest_folder: Path | None = None

    def command(self, wasm_path: Path, graphs: Mapping[str, str]) -> list[str]:
        """The command line of one run of the guest at ``wasm_path`` with ``graphs`` preloaded."""
        if graphs and self.graph_arguments is None:
            raise UsageError(f"host {self.name} cannot preload graphs for load_by_name")
        words: list[str] = []
        for word in self.words:
            if word == GRAPHS_PLACEHOLDER:
                assert self.graph_arguments is not None or not graphs
                for graph_name, fixture in graphs.items():
                    assert self.graph_arguments is not None
                    words.extend(self.graph_arguments(graph_name, fixture))
            else:
                words.append(word.replace(WASM_PLACEHOLDER, str(wasm_path)))
        return words

    def run(self, wasm: bytes, stdin: bytes, graphs: Mapping[str, str], timeout: float) -> RunOutcome:
        """Run the guest once in a fresh process and classify how it ended.

        A program that cannot be started at all raises :class:`OSError`: that is a set-up
        error, not an outcome of the host.
        """
        command = self.command(self.guest_file(wasm), graphs)
        environment = {**os.environ, **self.env} if self.env else None
        result = run_bounded(
            command,
            stdin,
            timeout=timeout,
            memory_limit=self.memory_limit,
            output_limit=self.output_limit,
            env=environment,
        )
        found = classify(result.returncode, result.stderr, timed_out=result.timed_out, rules=self.rules)
        message = found.message
        if found.kind == "hung":
            message = f"no exit within {timeout:g} s; the process group was killed"
        truncated = [
            name for name, cut in (("stdout", result.stdout_truncated), ("stderr", result.stderr_truncated)) if cut
        ]
        if truncated:
            note = f"{' and '.join(truncated)} cut at {self.output_limit} bytes"
            message = f"{message} ({note})" if message else note
        return RunOutcome(
            found.kind,
            result.stdout,
            result.stderr,
            exit_code=found.exit_code,
            signal=found.signal,
            message=message,
            seconds=result.seconds,
        )

    def guest_file(self, wasm: bytes) -> Path:
        """The guest written to this adapter's temporary folder, once per distinct content."""
        key = hashlib.sha256(wasm).hexdigest()
        with self._guests_lock:
            path = self._guests.get(key)
            if path is None:
                if self._guest_folder is None:
                    self._guest_folder = Path(tempfile.mkdtemp(prefix="wasi-nn-guests-"))
                    # Removed when the adapter is collected, or at interpreter exit.
                    weakref.finalize(self, shutil.rmtree, self._guest_folder, True)
                path = self._guest_folder / f"{key[:32]}.wasm"
                path.write_bytes(wasm)
                self._guests[key] = path
        return path

    def version(self) -> str:
        """The first line ``version_command`` prints (asked once), or ``unknown`` and why."""
        if self._version is None:
            self._version = self._ask_version() + self.version_suffix
        return self._version

    def _ask_version(self) -> str:
        environment = {**os.environ, **self.env} if self.env else None
        try:
            result = run_bounded(self.version_command, b"", timeout=30, memory_limit=self.memory_limit, env=environment)
        except OSError as error:
            return f"unknown ({error.strerror or error})"
        lines = (result.stdout or result.stderr).decode("utf-8", "replace").strip().splitlines()
        if result.timed_out or result.returncode != 0 or not lines:
            status = "timed out" if result.timed_out else f"exit {result.returncode}"
            return f"unknown ({shlex.join(self.version_command)}: {status})"
        return lines[0].strip()


def reference_command_adapter(
    revision: str = "2023-08", *, backend: str = "onnxruntime", memory_limit: int = DEFAULT_MEMORY_LIMIT
) -> CommandAdapter:
    """The reference host as a subprocess: ``python -m conformance run --revision R --backend B {graphs} {wasm}``.

    Graphs are preloaded as ONNX files with ``--graph NAME=FILE``. The child imports this very
    copy of the package (``PYTHONPATH`` points at it), whatever the current folder.
    """
    # Imported here: the in-process adapter loads the reference host, which this module
    # does not otherwise need.
    from conformance.adapters.inprocess import model_file, reference_capabilities, reference_host_name
    from conformance.revisions import revision as find_revision

    bindings = find_revision(revision).bindings
    package_parent = str(Path(__file__).resolve().parent.parent.parent)
    python_path = os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))
    python = shlex.quote(sys.executable)
    return CommandAdapter(
        f"{reference_host_name(backend)}-subprocess",
        f"{python} -m conformance run --revision {shlex.quote(revision)} --backend {shlex.quote(backend)} "
        f"{GRAPHS_PLACEHOLDER} {WASM_PLACEHOLDER}",
        reference_capabilities(bindings, revision, backend),
        graph_arguments=lambda name, fixture: ["--graph", f"{name}={model_file(fixture)}"],
        env={"PYTHONPATH": python_path},
        memory_limit=memory_limit,
        version_command=[
            sys.executable,
            "-c",
            "import conformance; print('wasi-nn-conformance', conformance.__version__)",
        ],
    )
