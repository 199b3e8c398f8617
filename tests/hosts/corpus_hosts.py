"""Hosts broken on one ONNX operator: what the corpus runner's own tests run the node corpus through.

Each is the reference host except for the graphs whose model uses the chosen operator (a node
of the top-level graph with that ``op_type``, as :attr:`CorpusCase.operators` counts them):

- ``nudging``: every float output of such a graph is moved one unit in the last place up, a
  wrong answer no tolerance of a bit-exact host can hide and no crash or errno gives away;
- ``refusing``: loading such a graph fails with ``runtime_error``, as a backend without the
  operator's kernel does;
- ``crashing``: loading such a graph aborts the host process (SIGABRT), as a host panic does;
- ``hanging``: loading such a graph never returns.

A crash or a hang takes the process with it, so those two run as a command, one process per
guest run, the way the Wasmtime CLI does::

    python -m tests.hosts.corpus_hosts crash Elu [--revision REV] GUEST

(the project folder on ``PYTHONPATH``; :func:`command` builds that line). Every host here has
limits no corpus run reaches: a case must fail for the fault, never for a limit of the host.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx

from conformance.bindings import GuestPointer
from conformance.host import HostLimits, ReferenceHost
from conformance.host.backend import BackendFault, OnnxRuntimeBackend, OnnxRuntimeGraph
from conformance.host.situations import Situation
from conformance.paths import PROJECT_ROOT
from conformance.revisions import Bindings

PROJECT = PROJECT_ROOT
"""The project folder: on ``PYTHONPATH``, ``tests.hosts.corpus_hosts`` imports in a child process."""

KINDS = ("crash", "hang")
"""The faults a command-line host of this module can have."""

ROOMY = HostLimits(max_graphs=1 << 30, max_contexts=1 << 30)
"""Graph and context limits no corpus run reaches (a batch loads one graph per case)."""

HostFactory = Callable[[Bindings, Mapping[str, Path]], ReferenceHost]

#: The default ONNX domain has two names; CorpusCase.operators prefixes any other domain.
_DEFAULT_DOMAINS = ("", "ai.onnx")


def model_operators(model: bytes) -> set[str]:
    """The operators of the top-level graph of ONNX ``model``, named as :attr:`CorpusCase.operators` names them."""
    graph = onnx.load_from_string(model).graph
    return {node.op_type if node.domain in _DEFAULT_DOMAINS else f"{node.domain}:{node.op_type}" for node in graph.node}


def uses(builders: Sequence[memoryview], operator: str) -> bool:
    """Whether the ONNX model of ``builders`` uses ``operator``; bytes that are no ONNX model use none."""
    if len(builders) != 1:
        return False  # the reference refuses it anyway (one builder for onnx)
    try:
        return operator in model_operators(bytes(builders[0]))
    except Exception:  # a malformed model: the reference's own load answers for it
        return False


def nudged(value: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``value`` with every float element one unit in the last place up (toward +inf), in its own dtype."""
    if value.dtype.kind != "f":
        return value
    return np.asarray(np.nextafter(value, np.asarray(np.inf, value.dtype)), value.dtype)


class _NudgedGraph:
    """A graph whose float outputs are each one ulp above what onnxruntime computed."""

    def __init__(self, graph: OnnxRuntimeGraph) -> None:
        self.graph = graph
        self.inputs = graph.inputs
        self.outputs = graph.outputs

    def run(self, inputs: Sequence[npt.NDArray[np.generic]]) -> list[npt.NDArray[np.generic]]:
        """Infer with onnxruntime, then nudge every float output."""
        return [nudged(value) for value in self.graph.run(inputs)]


class _FaultyBackend(OnnxRuntimeBackend):
    """onnxruntime, except that graphs using ``operator`` get the fault of ``kind``."""

    def __init__(self, operator: str, kind: str) -> None:
        self.operator = operator
        self.kind = kind

    def load(self, builders: Sequence[memoryview], encoding: str, target: str) -> Any:
        """Load as the reference does; a graph using the operator is nudged, or kills or hangs the host."""
        if not uses(builders, self.operator):
            return super().load(builders, encoding, target)
        if self.kind == "refuse":
            raise BackendFault(Situation.BACKEND_FAILURE, f"no kernel for {self.operator}")
        if self.kind == "crash":
            # What a Rust host's panic looks like on stderr before the process aborts.
            print(f"thread 'main' panicked at corpus_hosts.py:\nno kernel for {self.operator}", file=sys.stderr)
            sys.stderr.flush()
            os.abort()
        if self.kind == "hang":
            threading.Event().wait()  # nothing ever sets it
        return _NudgedGraph(super().load(builders, encoding, target))


class _MarkedGraph:
    """A graph using the chosen operator, as loaded; the host's get_output treats it wrongly."""

    def __init__(self, graph: OnnxRuntimeGraph) -> None:
        self.graph = graph
        self.inputs = graph.inputs
        self.outputs = graph.outputs
        self.run = graph.run


class _MarkingBackend(OnnxRuntimeBackend):
    """onnxruntime, with graphs using ``operator`` marked for the host."""

    def __init__(self, operator: str) -> None:
        self.operator = operator

    def load(self, builders: Sequence[memoryview], encoding: str, target: str) -> Any:
        """Load as the reference does, marking a graph that uses the operator."""
        graph = super().load(builders, encoding, target)
        return _MarkedGraph(graph) if uses(builders, self.operator) else graph


class _WrongOutputHost(ReferenceHost):
    """The reference host, except get_output of a marked graph: ``spill`` writes one byte past
    the buffer it was given, ``overcount`` says it wrote one byte more than it did."""

    def __init__(self, bindings: Bindings, graphs_by_name: Mapping[str, Path], operator: str, kind: str) -> None:
        super().__init__(bindings, _MarkingBackend(operator), graphs_by_name, ROOMY)
        self.kind = kind

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        """Copy the output as the reference host does, then get it wrong for a marked graph."""
        written = super().get_output(context, index, out_buffer, out_buffer_max_size)
        if not isinstance(self._context(context).graph, _MarkedGraph):
            return written
        if self.kind == "overcount":
            return written + 1
        end = out_buffer.address + written
        if end < len(out_buffer.memory):
            out_buffer.memory[end] = 0x5A
        return written


def spilling(operator: str) -> HostFactory:
    """A factory of the reference host whose get_output writes a byte past the buffer for graphs using ``operator``."""

    def factory(bindings: Bindings, graphs_by_name: Mapping[str, Path]) -> ReferenceHost:
        return _WrongOutputHost(bindings, graphs_by_name, operator, "spill")

    return factory


def overcounting(operator: str) -> HostFactory:
    """A factory of the reference host whose bytes_written is one too many for graphs using ``operator``."""

    def factory(bindings: Bindings, graphs_by_name: Mapping[str, Path]) -> ReferenceHost:
        return _WrongOutputHost(bindings, graphs_by_name, operator, "overcount")

    return factory


def _factory(operator: str, kind: str) -> HostFactory:
    def factory(bindings: Bindings, graphs_by_name: Mapping[str, Path]) -> ReferenceHost:
        return ReferenceHost(bindings, _FaultyBackend(operator, kind), graphs_by_name, ROOMY)

    factory.__doc__ = f"The reference host, except that a graph using {operator} is faulty ({kind})."
    return factory


def nudging(operator: str) -> HostFactory:
    """A factory of the reference host whose graphs using ``operator`` give every float output one ulp too high."""
    return _factory(operator, "nudge")


def refusing(operator: str) -> HostFactory:
    """A factory of the reference host that refuses (``runtime_error``) to load a graph using ``operator``."""
    return _factory(operator, "refuse")


def crashing(operator: str) -> HostFactory:
    """A factory of the reference host that aborts its process when it loads a graph using ``operator``."""
    return _factory(operator, "crash")


def hanging(operator: str) -> HostFactory:
    """A factory of the reference host that never returns from loading a graph using ``operator``."""
    return _factory(operator, "hang")


def command(kind: str, operator: str, revision: str) -> str:
    """The ``{wasm}`` command template that runs a guest on the ``kind`` host of ``operator``."""
    if kind not in KINDS:
        raise ValueError(f"no command-line host {kind!r}: one of {', '.join(KINDS)}")
    words = [sys.executable, "-m", "tests.hosts.corpus_hosts", kind, operator, "--revision", revision]
    return f"{shlex.join(words)} {{wasm}}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run a guest on a broken host with inherited stdio, as ``wasi-nn-conformance run`` does; its exit code."""
    from conformance.host.runner import run_command_line
    from conformance.revisions import revision

    parser = argparse.ArgumentParser(prog="corpus_hosts", description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=KINDS, help="the host's fault")
    parser.add_argument("operator", help="the operator whose graphs set it off")
    parser.add_argument("guest", type=Path, help="the guest module")
    parser.add_argument("--revision", default="current", help="the WITX revision to link (default: current)")
    arguments = parser.parse_args(argv)
    factory = crashing(arguments.operator) if arguments.kind == "crash" else hanging(arguments.operator)
    return run_command_line(
        arguments.guest, [], lambda bindings: factory(bindings, {}), revision(arguments.revision).bindings, (), {}
    )


if __name__ == "__main__":
    raise SystemExit(main())
