"""The backends of the reference host: what loads a graph and runs it.

A backend turns builder buffers into a :class:`Graph` and runs it; it knows nothing of guest
memory or errnos beyond raising :class:`BackendFault` with a situation. onnxruntime (here)
and tract (:mod:`conformance.host.tract_backend`) serve the ``onnx`` encoding, and
``autodetect`` when the bytes are ONNX.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime

from conformance.errors import ConformanceError
from conformance.host.situations import Situation

log = logging.getLogger(__name__)

# Failures are reported through errnos and our own log; onnxruntime's console log would only
# repeat them on stderr.
onnxruntime.set_default_logger_severity(3)

#: The WITX tensor_type case name of each onnxruntime element type a WITX revision can name.
_ONNX_ELEMENT_TYPES = {
    "tensor(float16)": "f16",
    "tensor(float)": "f32",
    "tensor(double)": "f64",
    "tensor(uint8)": "u8",
    "tensor(int32)": "i32",
    "tensor(int64)": "i64",
}


class BackendFault(ConformanceError):
    """A backend refused or failed; the host turns the situation into an errno."""

    def __init__(self, situation: Situation, detail: str) -> None:
        super().__init__(detail)
        self.situation = situation


@dataclass(frozen=True, slots=True)
class TensorSlot:
    """An input or output of a graph.

    ``element`` is a WITX tensor_type case name (``None`` when no revision can express the
    type) and ``shape`` has ``None`` for a dynamic dimension.
    """

    name: str
    element: str | None
    shape: tuple[int | None, ...]


class Graph(Protocol):
    """A loaded graph: its inputs and outputs, and inference over them."""

    inputs: Sequence[TensorSlot]
    outputs: Sequence[TensorSlot]

    def run(self, inputs: Sequence[npt.NDArray[np.generic]]) -> list[npt.NDArray[np.generic]]:
        """Infer; ``inputs`` are in input order, the result in output order."""
        ...


class Backend(Protocol):
    """Loads graphs of the encodings it serves."""

    def serves(self, encoding: str) -> bool:
        """Whether this backend loads ``encoding`` (a WITX graph_encoding case name)."""
        ...

    def load(self, builders: Sequence[memoryview], encoding: str, target: str) -> Graph:
        """Load a graph; raise :class:`BackendFault` when it cannot be."""
        ...


class OnnxRuntimeGraph:
    """A graph loaded in an onnxruntime ``InferenceSession``."""

    def __init__(self, session: onnxruntime.InferenceSession) -> None:
        self.session = session
        self.inputs: Sequence[TensorSlot] = [_slot(node) for node in session.get_inputs()]
        self.outputs: Sequence[TensorSlot] = [_slot(node) for node in session.get_outputs()]
        self._input_names = [slot.name for slot in self.inputs]

    def run(self, inputs: Sequence[npt.NDArray[np.generic]]) -> list[npt.NDArray[np.generic]]:
        """Infer with onnxruntime."""
        feeds = dict(zip(self._input_names, inputs, strict=True))
        outputs: list[npt.NDArray[np.generic]] = self.session.run(None, feeds)
        return outputs


class OnnxRuntimeBackend:
    """onnxruntime: serves ``onnx``, and ``autodetect`` for ONNX bytes; cpu, and gpu with CUDA."""

    SERVED = frozenset({"onnx", "autodetect"})

    def serves(self, encoding: str) -> bool:
        """Whether ``encoding`` is one this backend loads."""
        return encoding in self.SERVED

    def load(self, builders: Sequence[memoryview], encoding: str, target: str) -> OnnxRuntimeGraph:
        """Create an inference session from the single builder buffer. Checks: target, builders, model."""
        providers = self._providers(target)
        if len(builders) != 1:
            raise BackendFault(Situation.BUILDER_COUNT, f"onnx takes 1 builder, got {len(builders)}")
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # Every graph has a thread pool whose threads spin after each compute by default: with
        # a guest holding many graphs they take the cores from the guest and from one another
        # (64 graphs held: 15.7 s of host time over 400 corpus cases; not spinning: 0.9 s).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        model = bytes(builders[0])
        try:
            # When a session cannot be made, onnxruntime prints a notice on stdout and tries
            # again; a host run as a command shares its stdout with the guest, whose output
            # the notice would corrupt.
            with contextlib.redirect_stdout(sys.stderr):
                session = onnxruntime.InferenceSession(model, options, providers=providers)
        except Exception as error:  # onnxruntime raises its own classes for every parse failure
            raise BackendFault(refusal(model, encoding), f"onnxruntime cannot load the model: {error}") from None
        # A run that fails would print the same notice and run again: it fails instead.
        session.disable_fallback()
        return OnnxRuntimeGraph(session)

    @staticmethod
    def _providers(target: str) -> list[str]:
        if target == "cpu":
            return ["CPUExecutionProvider"]
        if target == "gpu" and "CUDAExecutionProvider" in onnxruntime.get_available_providers():
            return ["CUDAExecutionProvider"]
        raise BackendFault(Situation.TARGET_UNAVAILABLE, f"onnxruntime has no provider for target {target}")


def refusal(model: bytes | memoryview, encoding: str) -> Situation:
    """Why a backend could not load ONNX bytes: not a valid model, or one it cannot run.

    Asked only once the backend has failed, so the happy path pays nothing. The onnx checker
    is the judge of validity: a model it accepts uses only operators and types ONNX defines,
    so the backend's failure is its own (unsupported), not the guest's (malformed).
    """
    try:
        onnx.checker.check_model(bytes(model))
    except Exception:  # the checker raises parse and validation errors of several classes
        return Situation.ENCODING_NOT_DETECTED if encoding == "autodetect" else Situation.MODEL_MALFORMED
    return Situation.MODEL_UNSUPPORTED


def _slot(node: onnxruntime.NodeArg) -> TensorSlot:
    shape = tuple(dimension if isinstance(dimension, int) else None for dimension in node.shape or ())
    return TensorSlot(node.name, _ONNX_ELEMENT_TYPES.get(node.type), shape)
