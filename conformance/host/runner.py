"""Run a WASI preview1 command guest with a Python host of ``wasi_ephemeral_nn`` linked in."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType

import wasmtime

from conformance.host.linker import link

#: The exit status of a guest that trapped, as the Wasmtime CLI reports it (128 + SIGABRT).
TRAP_EXIT_CODE = 134

HostFactory = Callable[[ModuleType], object]


@dataclass(frozen=True, slots=True)
class GuestRun:
    """How a guest run ended: its exit code, captured output, and the trap if it trapped."""

    exit_code: int
    stdout: bytes = b""
    stderr: bytes = b""
    trap: str | None = None


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
    """Compile a guest given as ``.wasm``/``.wat`` bytes or a path to one; compiled once per content."""
    data = guest.read_bytes() if isinstance(guest, Path) else guest
    return _compile(data)


def run_guest(guest: bytes | Path, host_factory: HostFactory, bindings: ModuleType, options: GuestOptions) -> GuestRun:
    """Instantiate ``guest`` with WASI and the host ``host_factory(bindings)`` and run ``_start``."""
    module = load_module(guest)
    store = wasmtime.Store(_engine())
    linker = wasmtime.Linker(_engine())
    linker.define_wasi()
    link(linker, host_factory(bindings), bindings)
    with tempfile.TemporaryDirectory(prefix="wasi-nn-guest-") as scratch:
        config = wasmtime.WasiConfig()
        config.argv = list(options.argv)
        config.env = list(options.env.items())
        for host_dir, guest_dir in options.dirs:
            config.preopen_dir(host_dir, guest_dir)
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
        exit_code, trap = _start(linker, store, module)
        if options.stdin is None:
            return GuestRun(exit_code, trap=trap)
        return GuestRun(exit_code, (streams / "stdout").read_bytes(), (streams / "stderr").read_bytes(), trap)


def _start(linker: wasmtime.Linker, store: wasmtime.Store, module: wasmtime.Module) -> tuple[int, str | None]:
    try:
        instance = linker.instantiate(store, module)
        start = instance.exports(store)["_start"]
        assert isinstance(start, wasmtime.Func)
        start(store)
    except wasmtime.ExitTrap as exited:
        return exited.code, None
    except wasmtime.Trap as trap:
        return TRAP_EXIT_CODE, str(trap)
    except wasmtime.WasmtimeError as error:
        # Link errors (an import the host does not provide) and traps raised by WASI.
        return TRAP_EXIT_CODE, str(error)
    return 0, None


def run_command_line(
    guest: Path,
    arguments: Sequence[str],
    host_factory: HostFactory,
    bindings: ModuleType,
    dirs: Sequence[tuple[str, str]],
    env: Mapping[str, str],
) -> int:
    """Run ``guest`` with inherited stdio, as ``wasi-nn-conformance run`` does; returns its exit code."""
    options = GuestOptions(argv=(guest.name, *arguments), env=env, dirs=dirs, stdin=None)
    sys.stdout.flush()
    run = run_guest(guest, host_factory, bindings, options)
    if run.trap is not None:
        print(f"Error: the guest trapped:\n{run.trap}", file=sys.stderr)
    return run.exit_code
