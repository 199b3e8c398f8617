"""The reference host: a strict implementation of ``wasi_ephemeral_nn`` over onnxruntime.

It implements the generated ``Protocol`` of a revision; :mod:`conformance.host.linker` does
the ABI half. Every invalid situation answers the errno of the table in
:mod:`conformance.host.situations`, every resource has a limit, and handles are never
reused, so a stale or forged handle is always recognised.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from conformance.bindings import GuestPointer
from conformance.dtypes import NUMPY_DTYPES
from conformance.host.backend import Backend, BackendFault, Graph, OnnxRuntimeBackend, TensorSlot
from conformance.host.situations import HostFault, Situation
from conformance.revisions import Bindings, revision

MiB = 1 << 20


@dataclass(frozen=True, slots=True)
class HostLimits:
    """Bounds on what a guest can make the host hold, so no argument allocates without bound."""

    max_graphs: int = 64
    max_contexts: int = 256
    max_model_bytes: int = 512 * MiB
    max_tensor_bytes: int = 512 * MiB


@dataclass(slots=True)
class _Context:
    graph: Graph
    inputs: list[npt.NDArray[np.generic] | None]
    outputs: list[npt.NDArray[np.generic]] | None = None


@dataclass(slots=True)
class _Tables:
    graphs: dict[int, Graph] = field(default_factory=dict)
    contexts: dict[int, _Context] = field(default_factory=dict)
    next_graph: int = 0
    next_context: int = 0


class ReferenceHost:
    """The reference host of one guest instance.

    ``graphs_by_name`` maps the names ``load_by_name`` knows to ONNX model files. Handles count
    up from 0 and are never reused.
    """

    def __init__(
        self,
        bindings: Bindings | None = None,
        backend: Backend | None = None,
        graphs_by_name: Mapping[str, Path] | None = None,
        limits: HostLimits | None = None,
    ) -> None:
        self.bindings = bindings or revision().bindings
        self.backend = backend or OnnxRuntimeBackend()
        self.graphs_by_name = dict(graphs_by_name or {})
        self.limits = limits or HostLimits()
        self._tables = _Tables()

    def fault(self, situation: Situation, detail: str) -> HostFault:
        """The error a call fails with in ``situation``."""
        return HostFault(situation, self.bindings, detail)

    # -- graphs ------------------------------------------------------------------------------

    def load(self, builder: Sequence[memoryview], encoding: enum.IntEnum, target: enum.IntEnum) -> int:
        """Load a graph. Checks: encoding served, model size, graph count, then the backend's own."""
        encoding_name = encoding.name.lower()
        if not self.backend.serves(encoding_name):
            raise self.fault(Situation.ENCODING_NOT_SERVED, f"no backend loads {encoding_name}")
        model_bytes = sum(len(buffer) for buffer in builder)
        if model_bytes > self.limits.max_model_bytes:
            raise self.fault(Situation.MODEL_TOO_LARGE, f"{model_bytes} bytes > {self.limits.max_model_bytes}")
        return self._add_graph(lambda: self.backend.load(builder, encoding_name, target.name.lower()))

    def load_by_name(self, name: str) -> int:
        """Load a graph registered under ``name`` for the cpu target."""
        path = self.graphs_by_name.get(name)
        if path is None:
            raise self.fault(Situation.NAME_NOT_FOUND, f"no graph named {name!r}")
        model = path.read_bytes()
        return self._add_graph(lambda: self.backend.load([memoryview(model)], "onnx", "cpu"))

    def _add_graph(self, load: Any) -> int:
        tables = self._tables
        if len(tables.graphs) >= self.limits.max_graphs:
            raise self.fault(Situation.TOO_MANY_GRAPHS, f"{len(tables.graphs)} graphs are loaded")
        try:
            graph: Graph = load()
        except BackendFault as error:
            raise self.fault(error.situation, str(error)) from None
        handle = tables.next_graph
        tables.next_graph += 1
        tables.graphs[handle] = graph
        return handle

    def init_execution_context(self, graph: int) -> int:
        """Create a context. Checks: graph handle, context count."""
        tables = self._tables
        loaded = tables.graphs.get(graph)
        if loaded is None:
            raise self.fault(Situation.GRAPH_UNKNOWN, f"graph {graph} was never loaded")
        if len(tables.contexts) >= self.limits.max_contexts:
            raise self.fault(Situation.TOO_MANY_CONTEXTS, f"{len(tables.contexts)} contexts exist")
        handle = tables.next_context
        tables.next_context += 1
        tables.contexts[handle] = _Context(loaded, [None] * len(loaded.inputs))
        return handle

    def _context(self, context: int) -> _Context:
        found = self._tables.contexts.get(context)
        if found is None:
            raise self.fault(Situation.CONTEXT_UNKNOWN, f"context {context} was never created")
        return found

    # -- inference -----------------------------------------------------------------------------

    def set_input(self, context: int, index: int, tensor: Any) -> None:
        """Bind an input. Checks: context, index, type, dimensions, data length, size limit.

        The data is copied once, into an array of the input's shape; the guest's memory is
        free again when the call returns.
        """
        state = self._context(context)
        if index >= len(state.inputs):
            raise self.fault(Situation.INPUT_INDEX, f"input {index} of {len(state.inputs)}")
        slot = state.graph.inputs[index]
        element = tensor.type.name.lower()
        if element != slot.element:
            raise self.fault(Situation.TENSOR_TYPE_MISMATCH, f"input {index} is {slot.element}, got {element}")
        shape = self._input_shape(slot, tuple(tensor.dimensions), index)
        dtype = NUMPY_DTYPES[element]
        expected_bytes = math.prod(shape) * dtype.itemsize
        if expected_bytes != len(tensor.data):
            raise self.fault(
                Situation.TENSOR_DATA_LENGTH,
                f"dimensions {list(tensor.dimensions)} of {element} need {expected_bytes} bytes, "
                f"got {len(tensor.data)}",
            )
        if expected_bytes > self.limits.max_tensor_bytes:
            raise self.fault(Situation.TENSOR_TOO_LARGE, f"{expected_bytes} bytes > {self.limits.max_tensor_bytes}")
        state.inputs[index] = np.frombuffer(tensor.data, dtype).reshape(shape).copy()

    def _input_shape(self, slot: TensorSlot, dimensions: tuple[int, ...], index: int) -> tuple[int, ...]:
        # The rank is the length of the dimension list, so a rank-0 input takes [] only
        # (set_input.scalar and set_input.shape-mismatch in the clause catalog).
        matches = len(dimensions) == len(slot.shape) and all(
            declared is None or declared == given for declared, given in zip(slot.shape, dimensions, strict=True)
        )
        if not matches:
            declared_shape = ["?" if size is None else size for size in slot.shape]
            raise self.fault(
                Situation.TENSOR_SHAPE_MISMATCH,
                f"input {index} has shape {declared_shape}, got dimensions {list(dimensions)}",
            )
        return dimensions

    def compute(self, context: int) -> None:
        """Run inference. Checks: context, every input set; backend failures are runtime errors."""
        state = self._context(context)
        missing = [index for index, value in enumerate(state.inputs) if value is None]
        if missing:
            raise self.fault(Situation.INPUTS_MISSING, f"inputs {missing} are not set")
        inputs = [value for value in state.inputs if value is not None]
        try:
            state.outputs = state.graph.run(inputs)
        except Exception as error:
            raise self.fault(Situation.BACKEND_FAILURE, f"inference failed: {error}") from error

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        """Copy an output into the guest. Checks: buffer in bounds, context, index, computed, size.

        Outputs stay those of the last ``compute`` until the next one.
        """
        memory = out_buffer.memory
        if out_buffer.address + out_buffer_max_size > len(memory):
            raise self.fault(
                Situation.GUEST_RANGE_OUT_OF_BOUNDS,
                f"{out_buffer_max_size} bytes at {out_buffer.address:#x} exceed the {len(memory):#x} bytes of memory",
            )
        state = self._context(context)
        if index >= len(state.graph.outputs):
            raise self.fault(Situation.OUTPUT_INDEX, f"output {index} of {len(state.graph.outputs)}")
        if state.outputs is None:
            raise self.fault(Situation.NOT_COMPUTED, f"context {context} has not computed")
        output = np.ascontiguousarray(state.outputs[index])
        if output.nbytes > out_buffer_max_size:
            raise self.fault(
                Situation.OUTPUT_BUFFER_TOO_SMALL, f"output {index} is {output.nbytes} bytes > {out_buffer_max_size}"
            )
        start = out_buffer.address
        memory[start : start + output.nbytes] = output.reshape(-1).view(np.uint8).data
        return output.nbytes
