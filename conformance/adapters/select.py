"""Choose the host under test from the suite's options."""

from __future__ import annotations

import importlib
import shlex

from conformance.adapters.base import Capabilities, HostAdapter
from conformance.adapters.inprocess import model_file, python_host_adapter, reference_adapter
from conformance.adapters.subprocess import GRAPHS_PLACEHOLDER, WASM_PLACEHOLDER, CommandAdapter
from conformance.errors import UsageError
from conformance.revisions import revision as find_revision

NAMED_HOSTS = (
    "reference",
    "reference-subprocess",
    "reference-tract",
    "reference-tract-subprocess",
    "wasmtime-cli",
    "wasmtime-cli-onnx",
)
"""Hosts known by name; anything else with a colon is a ``module:factory`` Python host."""


COMMAND_HOSTS = ("reference-subprocess", "reference-tract-subprocess", "wasmtime-cli", "wasmtime-cli-onnx")
"""Named hosts that run each guest in a process of their own."""


def check_host_options(host: str, command: str | None, revision_name: str) -> bool:
    """Check ``--wasi-nn-host``, ``--wasi-nn-host-command`` and ``--wasi-nn-revision`` before anything runs.

    Returns whether the host runs guests through a command line (a process per run).
    :class:`~conformance.errors.UsageError` says, in one line, what is wrong with the options: an unknown revision
    or host name, a command template that does not parse or has no ``{wasm}``, a
    ``module:factory`` whose module does not import or has no such factory.
    """
    find_revision(revision_name)
    if command:
        try:
            words = shlex.split(command)
        except ValueError as error:
            raise UsageError(f"--wasi-nn-host-command {command!r} does not parse as a command line: {error}") from None
        if not any(WASM_PLACEHOLDER in word for word in words):
            raise UsageError(f"--wasi-nn-host-command {command!r} has no {WASM_PLACEHOLDER} for the guest")
        return True
    if host in NAMED_HOSTS:
        return host in COMMAND_HOSTS
    module_name, colon, factory = host.partition(":")
    if not colon:
        raise UsageError(
            f"unknown host {host!r}: one of {', '.join(NAMED_HOSTS)}, or module:factory, or --wasi-nn-host-command"
        )
    if not module_name or not factory:
        raise UsageError(f"expected a Python host as module:factory, got {host!r}")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # whatever importing the user's module raises, the run cannot use it
        raise UsageError(f"the host module {module_name!r} does not import: {type(error).__name__}: {error}") from None
    if not hasattr(module, factory):
        raise UsageError(f"the host module {module_name!r} has no {factory!r}")
    return False


def select_host(host: str, command: str | None, revision_name: str) -> HostAdapter:
    """The adapter for ``--wasi-nn-host`` / ``--wasi-nn-host-command`` and ``--wasi-nn-revision``.

    A command template runs any runtime's command line: ``{wasm}`` is the guest; a word
    ``{graphs}`` becomes ``--graph NAME=MODEL.onnx`` for each graph ``load_by_name`` needs
    (without it, load_by_name clauses are skipped). Such a host is assumed to load ONNX models
    (encoding onnx), on cpu, for every tensor type of the revision.
    """
    revision = find_revision(revision_name)
    bindings = revision.bindings
    if command:
        words = shlex.split(command)
        capabilities = Capabilities(
            revision=revision.name,
            encodings={"onnx": "onnx"},
            tensor_types=tuple(case.name.lower() for case in bindings.TensorType),
            load_by_name=GRAPHS_PLACEHOLDER in words and "load_by_name" in bindings.FUNCTIONS,
        )
        return CommandAdapter(
            host if host != "reference" else words[0].rsplit("/", 1)[-1],
            command,
            capabilities,
            graph_arguments=(lambda name, fixture: ["--graph", f"{name}={model_file(fixture)}"])
            if GRAPHS_PLACEHOLDER in words
            else None,
        )
    backend = "tract" if host.startswith("reference-tract") else "onnxruntime"
    if host in ("reference", "reference-tract"):
        return reference_adapter(bindings, revision.name, backend)
    if host in ("reference-subprocess", "reference-tract-subprocess"):
        from conformance.adapters.subprocess import reference_command_adapter

        return reference_command_adapter(revision.name, backend=backend)
    if host in ("wasmtime-cli", "wasmtime-cli-onnx"):
        from conformance.adapters.wasmtime_cli import wasmtime_cli_adapter

        return wasmtime_cli_adapter("openvino-onnx" if host.endswith("onnx") else "openvino-ir")
    if ":" in host:
        return python_host_adapter(host, bindings, revision.name)
    raise UsageError(
        f"unknown host {host!r}: one of {', '.join(NAMED_HOSTS)}, or module:factory, or --wasi-nn-host-command"
    )
