"""What every host under test offers the suite: its capabilities, and a way to run a guest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

OutcomeKind = Literal["exited", "trapped", "crashed", "hung", "out_of_memory"]

SCENARIO_TIMEOUT = 120.0
"""Seconds one guest run may take before the host counts as hung, unless ``--wasi-nn-timeout`` says."""

PACKAGINGS = ("onnx", "openvino-ir", "openvino-onnx")
"""How a fixture's model bytes become builders: ``onnx`` (one builder, the ONNX bytes),
``openvino-ir`` (``model.xml`` and ``model.bin`` converted by OpenVINO), ``openvino-onnx``
(the ONNX bytes and an empty weights builder, which OpenVINO also accepts)."""


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a host can be asked. A clause outside them is skipped with the reason, never passed.

    ``encodings`` maps each WITX graph_encoding case the host loads to the packaging of the
    fixture models for it (see :data:`PACKAGINGS`). ``load_by_name`` says whether the host can
    preload graphs for ``load_by_name`` (the run passes it the names and fixture models).
    """

    revision: str = "2023-08"
    encodings: Mapping[str, str] = field(default_factory=lambda: {"onnx": "onnx"})
    targets: tuple[str, ...] = ("cpu",)
    tensor_types: tuple[str, ...] = ("f16", "f32", "f64", "u8", "i32", "i64")
    load_by_name: bool = True
    bit_exact: bool = False
    """Whether outputs must equal native onnxruntime's bytes (the reference host) rather than
    fall within the fixture's tolerance."""
    concurrency: bool = False
    """Whether guest instances may run on several threads of one process at once (in-process
    hosts that say so): state.concurrent-instances is asked only of those."""


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How one guest run on a host ended.

    ``exited``: the guest finished with ``exit_code``; ``trapped``: the wasm instance trapped
    (``message`` says why); ``crashed``: the host process died (``signal`` or an exit code the
    guest cannot produce); ``hung``: the run passed its timeout and was killed;
    ``out_of_memory``: the host ran into its address-space limit.
    """

    kind: OutcomeKind
    stdout: bytes = b""
    stderr: bytes = b""
    exit_code: int | None = None
    signal: int | None = None
    message: str = ""
    seconds: float = 0.0

    def last_words(self) -> str:
        """How the run ended, in one line: the signal or exit code, and the last lines the host printed."""
        text = (self.message or self.stderr.decode("utf-8", "replace")).strip()
        lines = [line for line in text.splitlines() if line.strip()]
        summary = " / ".join(lines[-3:]) if lines else ""
        if self.signal is not None:
            summary = f"signal {self.signal}" + (f": {summary}" if summary else "")
        elif self.kind == "exited" and self.exit_code is not None:
            summary = f"exit code {self.exit_code}" + (f": {summary}" if summary else "")
        return summary[:500]


class HostAdapter(Protocol):
    """A host under test, as the suite drives it."""

    name: str
    """A short name for reports (``reference``, ``wasmtime-cli``, ...)."""

    capabilities: Capabilities

    def version(self) -> str:
        """The host's version, for reports."""
        ...

    def run(self, wasm: bytes, stdin: bytes, graphs: Mapping[str, str], timeout: float) -> RunOutcome:
        """Run a WASI command guest once; ``graphs`` maps names for ``load_by_name`` to fixture models."""
        ...
