"""What the host-level mutants are built from: subclasses of the reference host.

A host-level mutant overrides one method of :class:`~conformance.host.ReferenceHost` (or the
errno of one situation) and defers to the reference for everything else, so the one fault is
the only difference a run can see. Every mutant host is built with :data:`UNREACHABLE` limits:
a mutant must be caught for its fault, never because a run hit a limit of the reference host.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import onnx
from onnx import helper, numpy_helper

from conformance.dtypes import NUMPY_DTYPES
from conformance.host import HostFault, HostLimits, ReferenceHost, Situation
from conformance.host.backend import OnnxRuntimeBackend, OnnxRuntimeGraph, TensorSlot
from conformance.revisions import Bindings

HostFactory = Callable[[Bindings, Mapping[str, Path]], object]
"""What ``--wasi-nn-host module:factory`` names: the host of one guest instance."""

UNREACHABLE = HostLimits(
    max_graphs=1 << 62,
    max_contexts=1 << 62,
    max_model_bytes=1 << 62,
    max_tensor_bytes=1 << 62,
)
"""Limits no run can reach. Models and tensors are read from guest memory, so they are bounded
by its 4 GiB anyway; graphs and contexts are bounded only by the calls a run makes."""


def mutant_host(
    host_class: type[ReferenceHost], bindings: Bindings, graphs_by_name: Mapping[str, Path], **options: Any
) -> ReferenceHost:
    """A ``host_class`` for one guest instance, with :data:`UNREACHABLE` limits."""
    return host_class(bindings, graphs_by_name=graphs_by_name, limits=UNREACHABLE, **options)


def factory_for(host_class: type[ReferenceHost], **options: Any) -> HostFactory:
    """The ``module:factory`` factory of a reference host subclass (``options`` go to its constructor)."""

    def factory(bindings: Bindings, graphs_by_name: Mapping[str, Path]) -> ReferenceHost:
        return mutant_host(host_class, bindings, graphs_by_name, **options)

    factory.__doc__ = f"A {host_class.__name__} for one guest instance, with limits no run reaches."
    return factory


def reference(bindings: Bindings, graphs_by_name: Mapping[str, Path]) -> ReferenceHost:
    """The unmodified reference host, its default limits included, through the ``module:factory`` path.

    The control run: the suite must fail none of its clauses.
    """
    return ReferenceHost(bindings, graphs_by_name=graphs_by_name)


class Misanswering(ReferenceHost):
    """The reference host, except that the situations of ``ANSWERS`` fail with another errno."""

    ANSWERS: ClassVar[Mapping[Situation, str]] = {}
    """The errno name each listed situation answers with instead of the reference's."""

    def fault(self, situation: Situation, detail: str) -> HostFault:
        """The reference's fault, carrying this host's errno for the listed situations."""
        error = super().fault(situation, detail)
        name = self.ANSWERS.get(situation)
        if name is not None:
            error.errno = self.bindings.NnErrno[name.upper()]
        return error


def computed_output(host: ReferenceHost, context: int, index: int) -> npt.NDArray[Any]:
    """Output ``index`` of the last compute of ``context``, as the reference would copy it."""
    outputs = host._context(context).outputs
    assert outputs is not None, "the reference checks that the context computed before the size"
    return np.ascontiguousarray(outputs[index])


def declared_zeros(slot: TensorSlot) -> npt.NDArray[Any]:
    """Zeros of a graph input's or output's declared type and shape (a dynamic dimension as 0).

    What a backend's freshly allocated tensor holds before anything was written into it.
    """
    shape = tuple(0 if size is None else size for size in slot.shape)
    assert slot.element is not None
    return np.zeros(shape, NUMPY_DTYPES[slot.element])


class _RetypedGraph:
    """A graph that shows its model's inputs and outputs but computes with another element type."""

    def __init__(
        self,
        shown: OnnxRuntimeGraph,
        computing: OnnxRuntimeGraph,
        stored: str,
        computed: str,
        store: Callable[[npt.NDArray[Any]], npt.NDArray[Any]],
    ) -> None:
        self.inputs = shown.inputs
        self.outputs = shown.outputs
        self.computing = computing
        self.stored = stored
        self.computed = NUMPY_DTYPES[computed]
        self.store = store

    def run(self, inputs: Sequence[npt.NDArray[np.generic]]) -> list[npt.NDArray[np.generic]]:
        """Infer in the computing type; outputs of the stored type are converted back with ``store``."""
        widened = [
            value.astype(self.computed) if slot.element == self.stored else value
            for slot, value in zip(self.inputs, inputs, strict=True)
        ]
        outputs = self.computing.run(widened)
        return [
            self.store(value) if slot.element == self.stored else value
            for slot, value in zip(self.outputs, outputs, strict=True)
        ]


class ComputingIn(OnnxRuntimeBackend):
    """onnxruntime, except that tensors of element type ``stored`` are computed as ``computed``.

    The model's tensors of the one type are retyped to the other (inputs, outputs, every value
    and constant, every Cast to it) before the session is made, inputs are converted on the way
    in, and outputs go back to the stored type through ``store``: what a backend does that has no
    kernels for a type, or computes it at another precision.
    """

    def __init__(self, stored: str, computed: str, store: Callable[[npt.NDArray[Any]], npt.NDArray[Any]]) -> None:
        self.stored = stored
        self.computed = computed
        self.store = store

    def load(self, builders: Sequence[memoryview], encoding: str, target: str) -> Any:
        """Load the graph as the reference does (its checks, its inputs and outputs), then retyped."""
        shown = super().load(builders, encoding, target)
        if not any(slot.element == self.stored for slot in (*shown.inputs, *shown.outputs)):
            return shown
        model = onnx.load_from_string(bytes(builders[0]))
        _retype(model.graph, _onnx_type(self.stored), _onnx_type(self.computed))
        computing = super().load([memoryview(model.SerializeToString())], encoding, target)
        return _RetypedGraph(shown, computing, self.stored, self.computed, self.store)


def _onnx_type(element: str) -> int:
    onnx_type: int = helper.np_dtype_to_tensor_dtype(NUMPY_DTYPES[element])
    return onnx_type


def _retype(graph: onnx.GraphProto, stored: int, computed: int) -> None:
    for value in (*graph.input, *graph.output, *graph.value_info):
        if value.type.tensor_type.elem_type == stored:
            value.type.tensor_type.elem_type = computed
    tensors = [*graph.initializer]
    for node in graph.node:
        for attribute in node.attribute:
            if node.op_type == "Cast" and attribute.name == "to" and attribute.i == stored:
                attribute.i = computed
            if attribute.type == onnx.AttributeProto.TENSOR:
                tensors.append(attribute.t)
    for tensor in tensors:
        if tensor.data_type == stored:
            retyped = numpy_helper.from_array(
                numpy_helper.to_array(tensor).astype(helper.tensor_dtype_to_np_dtype(computed)), tensor.name
            )
            tensor.CopyFrom(retyped)
