"""The ONNX backend node tests as a corpus of WASI-NN cases: which are in scope, and why not the rest.

The installed ``onnx`` package builds its node tests in memory (its wheel no longer ships them
on disk): every case is one small model, one set of inputs and ONNX's expected outputs. A case
is *in scope* for a revision when every input and output of its graph is a tensor whose element
type the revision's ``tensor_type`` enum names; every other case gets the reason it is not (the
first type it uses that the revision lacks: ``bool``, ``int8``, ``string``, ``sequence``,
``optional``, ...). Nothing is downloaded, and the corpus is the same on every run: the few
generators of the onnx package that draw from numpy's global random state without a seed of
their own draw from a state seeded here.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import TensorProto, numpy_helper

from conformance import fixture_models
from conformance.dtypes import NUMPY_DTYPES
from conformance.paths import cache_dir, write_atomically
from conformance.revisions import revision as find_revision

__all__ = ["Corpus", "CorpusCase", "CorpusIndex", "TensorInfo", "corpus_index", "load_corpus"]

#: The seed of numpy's global random state while the onnx package builds its cases.
_CASE_SEED = 0

#: The WITX tensor type of each ONNX element type a revision can name.
_WITX_TYPES: Mapping[int, str] = {element: name for name, element in fixture_models.ONNX_ELEMENT_TYPES.items()}

#: The nodes a model's summary shows: expanded functions run to hundreds, with long names.
_SUMMARY_NODES = 12

#: The default ONNX domain has two names.
_DEFAULT_DOMAINS = ("", "ai.onnx")


@dataclass(frozen=True, slots=True)
class TensorInfo:
    """An input or output of a case: its graph name, WITX tensor type and shape (for an input, exact)."""

    name: str
    type: str
    shape: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CorpusCase:
    """One in-scope node test: its model, inputs and ONNX's expected outputs.

    ``id`` is the onnx package's name for it (``test_relu``); ``operators`` the distinct
    operators its graph uses, in node order (``domain:Op`` outside the default domain);
    ``opset`` the default domain's opset version it imports.
    """

    id: str
    operators: tuple[str, ...]
    opset: int
    model: bytes
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    input_values: tuple[NDArray[Any], ...]
    expected: tuple[NDArray[Any], ...]

    def summary(self) -> str:
        """The model in a few lines: its opset, then a line per node (operator, inputs, outputs), the first few."""
        graph = onnx.load_from_string(self.model).graph
        lines = [f"opset {self.opset}, {len(graph.node)} node{'s' if len(graph.node) != 1 else ''}"]
        for node in graph.node[:_SUMMARY_NODES]:
            operator = _operator(node)
            attributes = f" {{{', '.join(a.name for a in node.attribute)}}}" if node.attribute else ""
            lines.append(f"{', '.join(node.output)} = {operator}({', '.join(node.input)}){attributes}")
        if len(graph.node) > _SUMMARY_NODES:
            lines.append(f"... and {len(graph.node) - _SUMMARY_NODES} more nodes")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Corpus:
    """The cases of one revision: those in scope, by id, and a count of the others per reason."""

    revision: str
    cases: Mapping[str, CorpusCase]
    out_of_scope: Mapping[str, int]
    onnx_version: str

    def sample(self) -> list[str]:
        """One case per operator: for each operator of a single-node case, its first such case by id.

        The first that native onnxruntime can judge, else the first: a fixed rule over the
        installed onnx and onnxruntime packages, so the sample changes only with them.
        """
        from conformance.corpus.oracle import native_outputs

        first: dict[str, str] = {}
        judged: dict[str, str] = {}
        for case_id, case in self.cases.items():
            if len(onnx.load_from_string(case.model).graph.node) != 1:
                continue
            first.setdefault(case.operators[0], case_id)
            if case.operators[0] not in judged and native_outputs(case).outputs is not None:
                judged[case.operators[0]] = case_id
        return sorted(judged.get(operator, case_id) for operator, case_id in first.items())


@cache
def _node_tests() -> tuple[Any, ...]:
    from onnx.backend.test.loader import load_node_model_tests

    state = np.random.get_state()
    np.random.seed(_CASE_SEED)
    try:
        # The generators overflow, divide by zero and warn on purpose (their expected outputs say so).
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return tuple(load_node_model_tests())
    finally:
        np.random.set_state(state)


def _type_reason(value_type: onnx.TypeProto, served: Sequence[str]) -> str | None:
    """Why a graph input or output is out of scope; ``None`` if it is a tensor of a served type."""
    kind = value_type.WhichOneof("value")
    if kind != "tensor_type":
        return {"sequence_type": "sequence", "optional_type": "optional", "map_type": "map"}.get(
            str(kind), str(kind).removesuffix("_type")
        )
    element = value_type.tensor_type.elem_type
    witx = _WITX_TYPES.get(element)
    if witx is None or witx not in served:
        return str(TensorProto.DataType.Name(element)).lower()
    return None


def _array(value: Any, slot: onnx.ValueInfoProto) -> NDArray[Any]:
    """A value of the data set as an array of the slot's type and, where the graph fixes it, shape."""
    if isinstance(value, TensorProto):
        value = numpy_helper.to_array(value)
    array = np.asarray(value, dtype=NUMPY_DTYPES[_WITX_TYPES[slot.type.tensor_type.elem_type]])
    tensor = slot.type.tensor_type
    declared = [int(dim.dim_value) for dim in tensor.shape.dim if dim.HasField("dim_value")]
    # ONNX's data gives some scalars as one-element arrays (its runner broadcasts); a host is
    # handed the shape the graph declares.
    fixed = tensor.HasField("shape") and len(declared) == len(tensor.shape.dim)
    if fixed and math.prod(declared) == array.size:
        array = array.reshape(declared)
    return np.asarray(array, order="C")  # ascontiguousarray would make a scalar one-dimensional


def _operators(graph: onnx.GraphProto) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_operator(node) for node in graph.node))


def _operator(node: onnx.NodeProto) -> str:
    """A node's operator as the corpus names it: ``Relu``, or ``domain:Op`` outside the default domain."""
    return node.op_type if node.domain in _DEFAULT_DOMAINS else f"{node.domain}:{node.op_type}"


def _opset(model: onnx.ModelProto) -> int:
    return max((entry.version for entry in model.opset_import if entry.domain in _DEFAULT_DOMAINS), default=0)


def _case(test: Any, served: Sequence[str]) -> CorpusCase | str:
    """The case of an onnx node test, or why it is out of scope."""
    model: onnx.ModelProto = test.model
    graph = model.graph
    if len(test.data_sets) != 1:
        return "several data sets"
    for value in (*graph.input, *graph.output):
        reason = _type_reason(value.type, served)
        if reason is not None:
            return reason
    given, wanted = test.data_sets[0]
    if len(given) != len(graph.input) or len(wanted) != len(graph.output):
        return "data that does not match the graph"

    def typed(values: Sequence[Any], slots: Sequence[onnx.ValueInfoProto]) -> list[NDArray[Any]]:
        return [_array(value, slot) for value, slot in zip(values, slots, strict=True)]

    inputs, expected = typed(given, graph.input), typed(wanted, graph.output)

    def info(slots: Sequence[onnx.ValueInfoProto], arrays: Sequence[NDArray[Any]]) -> tuple[TensorInfo, ...]:
        return tuple(
            TensorInfo(slot.name, _WITX_TYPES[slot.type.tensor_type.elem_type], tuple(array.shape))
            for slot, array in zip(slots, arrays, strict=True)
        )

    return CorpusCase(
        id=test.name,
        operators=_operators(graph),
        opset=_opset(model),
        model=model.SerializeToString(),
        inputs=info(graph.input, inputs),
        outputs=info(graph.output, expected),
        input_values=tuple(inputs),
        expected=tuple(expected),
    )


@cache
def load_corpus(revision: str = "current") -> Corpus:
    """The node tests of the installed onnx package, as a corpus for ``revision``'s tensor types."""
    found = find_revision(revision)
    served = [case.name.lower() for case in found.bindings.TensorType]
    cases: dict[str, CorpusCase] = {}
    out_of_scope: Counter[str] = Counter()
    for test in _node_tests():
        case = _case(test, served)
        if isinstance(case, str):
            out_of_scope[case] += 1
        else:
            cases[case.id] = case
    ordered = {case_id: cases[case_id] for case_id in sorted(cases)}
    return Corpus(found.name, ordered, dict(sorted(out_of_scope.items())), onnx.__version__)


@dataclass(frozen=True, slots=True)
class CorpusIndex:
    """What collecting the corpus tests needs: every in-scope case's operators, and the sample."""

    operators: Mapping[str, tuple[str, ...]]
    sample: tuple[str, ...]


@cache
def corpus_index(revision: str = "current") -> CorpusIndex:
    """The index of :func:`load_corpus`, kept in the cache per onnx and onnxruntime version.

    Building the corpus takes seconds, and every run of the suite collects its tests, even one
    that then runs none of them; the index is built once.
    """
    name = find_revision(revision).name
    versions = f"onnx-{onnx.__version__}-onnxruntime-{importlib.metadata.version('onnxruntime')}"
    path = cache_dir("corpus-index", versions) / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return CorpusIndex({key: tuple(value) for key, value in data["operators"].items()}, tuple(data["sample"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass  # not built yet, or unreadable: build it again
    corpus = load_corpus(name)
    index = CorpusIndex({case.id: case.operators for case in corpus.cases.values()}, tuple(corpus.sample()))
    write_atomically(path, json.dumps({"operators": index.operators, "sample": index.sample}).encode())
    return index
