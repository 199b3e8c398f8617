"""Hosts that run inside this Python process.

The reference host, or any Python object that implements the generated ``Protocol``, linked
into wasmtime-py by the suite.
"""

from __future__ import annotations

import dataclasses
import importlib
import time
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

from conformance import __version__, fixture_models
from conformance.adapters.base import Capabilities, RunOutcome
from conformance.errors import UsageError
from conformance.host import GuestOptions, ReferenceHost, make_backend, run_guest
from conformance.paths import cache_dir
from conformance.revisions import Bindings

PythonHostFactory = Callable[[Bindings, Mapping[str, Path]], object]
"""Makes a host for one guest instance from the revision's bindings and the model files that
``load_by_name`` should know by name."""


@cache
def model_file(fixture: str) -> Path:
    """The fixture model as an ONNX file in the cache, written once per process."""
    path = cache_dir("models") / f"{fixture}.onnx"
    data = fixture_models.model_bytes(fixture)
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
    return path


class InProcessAdapter:
    """A Python host linked into wasmtime-py in this process.

    There is no timeout: a host that hangs here hangs the run, so hosts that may hang or
    crash belong in a subprocess (:mod:`conformance.adapters.subprocess`).
    """

    def __init__(self, name: str, factory: PythonHostFactory, capabilities: Capabilities, bindings: Bindings):
        self.name = name
        self.factory = factory
        self.capabilities = capabilities
        self.bindings = bindings

    def version(self) -> str:
        """The suite's version (and tract's) for the reference host; the factory's module otherwise."""
        if self.name == "reference":
            return __version__
        if self.name == "reference-tract":
            from conformance.host.tract_backend import tract_version

            return f"{__version__} (tract {tract_version()})"
        return getattr(self.factory, "__module__", "?")

    def run(self, wasm: bytes, stdin: bytes, graphs: Mapping[str, str], timeout: float) -> RunOutcome:
        """Run the guest once on a fresh host instance."""
        files = {name: model_file(fixture) for name, fixture in graphs.items()}
        started = time.perf_counter()
        result = run_guest(
            wasm, lambda bindings: self.factory(bindings, files), self.bindings, GuestOptions(stdin=stdin)
        )
        seconds = time.perf_counter() - started
        if result.trap is not None:
            return RunOutcome("trapped", result.stdout, result.stderr, message=result.trap, seconds=seconds)
        return RunOutcome("exited", result.stdout, result.stderr, exit_code=result.exit_code, seconds=seconds)


def reference_capabilities(bindings: Bindings, revision: str, backend: str = "onnxruntime") -> Capabilities:
    """What the reference host serves: ONNX (and autodetect of it), cpu, every tensor type.

    Over onnxruntime its outputs must be native onnxruntime's bytes; over tract, another
    engine, they are held to the fixtures' tolerances. Its instances may run on several
    threads of the process at once.
    """
    return Capabilities(
        revision=revision,
        encodings={"onnx": "onnx", "autodetect": "onnx"},
        tensor_types=tuple(case.name.lower() for case in bindings.TensorType),
        load_by_name="load_by_name" in bindings.FUNCTIONS,
        bit_exact=backend == "onnxruntime",
        concurrency=True,
    )


def reference_adapter(bindings: Bindings, revision: str, backend: str = "onnxruntime") -> InProcessAdapter:
    """The reference host over ``backend``, in this process: ``reference`` or ``reference-tract``."""
    make_backend(backend)  # a backend that cannot start fails here, before any test
    return InProcessAdapter(
        reference_host_name(backend),
        lambda bindings, graphs: ReferenceHost(bindings, make_backend(backend), graphs_by_name=graphs),
        reference_capabilities(bindings, revision, backend),
        bindings,
    )


def reference_host_name(backend: str) -> str:
    """The reference host's name in reports for a backend: ``reference``, ``reference-tract``."""
    return "reference" if backend == "onnxruntime" else f"reference-{backend}"


def python_host_adapter(spec: str, bindings: Bindings, revision: str) -> InProcessAdapter:
    """A host named ``module:factory``: ``factory(bindings, graphs_by_name)`` returns the host object.

    The factory may carry ``capabilities`` (a :class:`Capabilities`) as an attribute;
    otherwise the reference host's are assumed.
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise UsageError(f"expected a Python host as module:factory, got {spec!r}")
    factory = getattr(importlib.import_module(module_name), attribute)
    # The reference host's capabilities, but held to tolerances rather than to the bytes.
    default = dataclasses.replace(reference_capabilities(bindings, revision), bit_exact=False)
    capabilities = getattr(factory, "capabilities", None) or default
    return InProcessAdapter(spec, factory, capabilities, bindings)
