"""Deterministic ONNX model fixtures, built in memory from code.

Every fixture is generated with ``onnx.helper`` and seeded numpy generators, so the
serialized bytes are identical on every run. ``fixtures/models/manifest.json`` records the
sha256 of each model's bytes; the test suite rebuilds every model and compares, so any
drift (a changed builder, a different onnx or numpy behaviour) is caught.

Tensor types are named as in the WITX ``tensor-type`` enum (``"f16"``, ``"f32"``, ...) so
the rest of the suite never needs ONNX's element-type numbers.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

from conformance.dtypes import NUMPY_DTYPES, TensorType
from conformance.paths import FIXTURES_DIR

Tag = Literal["elementwise", "multi_io", "dynamic", "scalar", "empty", "benchmark", "classifier", "runtime_failure"]
"""What a fixture is for; tests select fixtures by tag."""

Dim = int | str
"""A dimension: a fixed size, or the name of a symbolic (dynamic) dimension."""

TENSOR_TYPES: tuple[TensorType, ...] = ("f16", "f32", "f64", "u8", "i32", "i64")


ONNX_ELEMENT_TYPES: Mapping[TensorType, int] = MappingProxyType(
    {
        "f16": TensorProto.FLOAT16,
        "f32": TensorProto.FLOAT,
        "f64": TensorProto.DOUBLE,
        "u8": TensorProto.UINT8,
        "i32": TensorProto.INT32,
        "i64": TensorProto.INT64,
    }
)

# Pinned rather than taken from the installed onnx, so the bytes do not depend on it.
# Opset 14 is the first whose Add accepts uint8.
IR_VERSION = 8
OPSET_VERSION = 14
PRODUCER_NAME = "wasi-nn-conformance"
PRODUCER_VERSION = "1"

MANIFEST_PATH = FIXTURES_DIR / "models" / "manifest.json"
CLASSIFIER_INPUT_SHAPE = (1, 3, 224, 224)
CLASSIFIER_CLASSES = 1000


@dataclass(frozen=True)
class TensorSpec:
    """One declared input or output of a fixture model."""

    name: str
    tensor_type: TensorType
    shape: tuple[Dim, ...]

    @property
    def numpy_dtype(self) -> np.dtype[Any]:
        """The numpy dtype holding elements of this tensor."""
        return NUMPY_DTYPES[self.tensor_type]

    @property
    def is_dynamic(self) -> bool:
        """Whether any dimension is symbolic."""
        return any(isinstance(dim, str) for dim in self.shape)

    def concrete_shape(self, symbols: Mapping[str, int]) -> tuple[int, ...]:
        """Return the shape with each symbolic dimension replaced by ``symbols[dim]``."""
        return tuple(symbols[dim] if isinstance(dim, str) else dim for dim in self.shape)


class _Graph:
    """Collects the nodes and initializers of a graph, giving each tensor a unique name."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._names_used = 0

    def _fresh_name(self, prefix: str) -> str:
        self._names_used += 1
        return f"{prefix}_{self._names_used}"

    def constant(self, value: NDArray[Any], prefix: str = "const") -> str:
        """Add ``value`` as an initializer and return its name."""
        name = self._fresh_name(prefix)
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def op(self, op_type: str, inputs: Sequence[str], *, output: str | None = None, **attributes: Any) -> str:
        """Add a single-output node and return the name of its output."""
        output_name = output if output is not None else self._fresh_name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [output_name], name=output_name, **attributes))
        return output_name


InferenceFailure = Callable[[Sequence[NDArray[Any]]], str | None]
"""Given a fixture's inputs (in its order, each of its declared type and shape), why
inference must fail on them, or None when it computes."""


@dataclass(frozen=True)
class ModelFixture:
    """A fixture model: its declared interface and the code that builds it.

    ``inputs`` and ``outputs`` are in the model's order, which is the order WASI-NN indexes
    them by. The builder adds the nodes between them; the declared specs become the graph's
    inputs and outputs, so the model cannot disagree with its declaration.

    ``inference_failure`` declares the inputs on which inference fails although every input
    matches its spec, so that the spec model predicts ``compute.inference-fails`` from the
    fixture rather than from an onnxruntime exception; None means it never fails. The test
    suite checks each declaration against native onnxruntime.
    """

    name: str
    description: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    tags: frozenset[Tag]
    add_nodes: Callable[[_Graph], None] = field(repr=False, compare=False)
    inference_failure: InferenceFailure | None = field(default=None, repr=False, compare=False)
    tensor_types: frozenset[TensorType] = field(init=False)

    def __post_init__(self) -> None:
        types = frozenset(spec.tensor_type for spec in (*self.inputs, *self.outputs))
        # Derived once so it can be read like a plain field; frozen forbids normal assignment.
        object.__setattr__(self, "tensor_types", types)

    def build(self) -> onnx.ModelProto:
        """Build a fresh model (uncached)."""
        graph = _Graph()
        self.add_nodes(graph)
        onnx_graph = helper.make_graph(
            graph.nodes,
            self.name,
            [_value_info(spec) for spec in self.inputs],
            [_value_info(spec) for spec in self.outputs],
            initializer=graph.initializers,
        )
        return helper.make_model(
            onnx_graph,
            ir_version=IR_VERSION,
            opset_imports=[helper.make_opsetid("", OPSET_VERSION)],
            producer_name=PRODUCER_NAME,
            producer_version=PRODUCER_VERSION,
            doc_string=self.description,
        )

    def build_bytes(self) -> bytes:
        """Build a fresh model and serialize it (uncached)."""
        serialized: bytes = self.build().SerializeToString(deterministic=True)
        return serialized

    def fails_on(self, inputs: Sequence[NDArray[Any]]) -> str | None:
        """Why inference on ``inputs`` fails, as the fixture declares; None when it computes."""
        return self.inference_failure(inputs) if self.inference_failure is not None else None


def _value_info(spec: TensorSpec) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(spec.name, ONNX_ELEMENT_TYPES[spec.tensor_type], list(spec.shape))


def _uniform(rng: np.random.Generator, shape: Sequence[int], bound: float) -> NDArray[np.float32]:
    # Float64 uniform draws are the most stable part of numpy's Generator stream.
    return rng.uniform(-bound, bound, size=tuple(shape)).astype(np.float32)


def _he_uniform(rng: np.random.Generator, shape: Sequence[int], fan_in: int, gain: float) -> NDArray[np.float32]:
    """Weights whose variance is ``gain / fan_in`` (He init: gain 2 before a ReLU)."""
    return _uniform(rng, shape, math.sqrt(3.0 * gain / fan_in))


# --- Small models ------------------------------------------------------------------------


def _add_and_max(graph: _Graph) -> None:
    graph.op("Add", ["a", "b"], output="sum")
    graph.op("Max", ["a", "b"], output="max")


def _elementwise_fixture(tensor_type: TensorType) -> ModelFixture:
    def operand(name: str) -> TensorSpec:
        return TensorSpec(name, tensor_type, (2, 3))

    return ModelFixture(
        name=f"add_{tensor_type}",
        description=f"sum = a + b and max = max(a, b) on {tensor_type} tensors of shape [2, 3]."
        + (" The sum wraps around on overflow." if tensor_type == "u8" else ""),
        inputs=(operand("a"), operand("b")),
        outputs=(operand("sum"), operand("max")),
        tags=frozenset({"elementwise"}),
        add_nodes=_add_and_max,
    )


def _multi_io(graph: _Graph) -> None:
    offsets = graph.op("Cast", ["offsets"], to=TensorProto.FLOAT)
    scale = graph.op("Cast", ["scale"], to=TensorProto.FLOAT)
    shifted = graph.op("Add", ["values", offsets])
    graph.op("Mul", [shifted, scale], output="scaled")
    graph.op("ArgMax", ["scaled"], output="argmax", axis=1, keepdims=0)


# Names are chosen so that alphabetical order differs from model order: a host that
# indexes inputs or outputs by sorted name instead of position gets them wrong.
_MULTI_IO = ModelFixture(
    name="multi_io",
    description=(
        "Three inputs of different types and shapes, two outputs of different types: "
        "scaled = (values + offsets) * scale (offsets, scale cast to f32, broadcast), "
        "argmax = argmax(scaled, axis=1)."
    ),
    inputs=(
        TensorSpec("values", "f32", (2, 4)),
        TensorSpec("offsets", "i64", (4,)),
        TensorSpec("scale", "f64", (2, 1)),
    ),
    outputs=(
        TensorSpec("scaled", "f32", (2, 4)),
        TensorSpec("argmax", "i64", (2,)),
    ),
    tags=frozenset({"multi_io"}),
    add_nodes=_multi_io,
)


def _multi_io_common(graph: _Graph) -> None:
    offsets = graph.op("Cast", ["offsets"], to=TensorProto.FLOAT)
    shift = graph.op("Cast", ["shift"], to=TensorProto.FLOAT)
    scale = graph.op("Cast", ["scale"], to=TensorProto.FLOAT)
    shifted = graph.op("Add", [graph.op("Add", ["values", offsets]), shift])
    graph.op("Mul", [shifted, scale], output="scaled")
    # ArgMax gives int64 whatever its input; the cast keeps the output in the older revision's types.
    graph.op("Cast", [graph.op("ArgMax", ["scaled"], axis=1, keepdims=0)], output="argmax", to=TensorProto.INT32)


# The same idea in the tensor types of every revision (2022-10 has no f64 or i64): four
# inputs, one of each type, and two outputs, whose names again sort unlike their positions.
_MULTI_IO_COMMON = ModelFixture(
    name="multi_io_common",
    description=(
        "Four inputs, one per tensor type of every revision (f32, i32, f16, u8), of different shapes, "
        "and two outputs of different types: scaled = (values + offsets + shift) * scale (the others "
        "cast to f32, broadcast), argmax = argmax(scaled, axis=1) as i32."
    ),
    inputs=(
        TensorSpec("values", "f32", (2, 4)),
        TensorSpec("offsets", "i32", (4,)),
        TensorSpec("scale", "f16", (2, 1)),
        TensorSpec("shift", "u8", (1, 4)),
    ),
    outputs=(
        TensorSpec("scaled", "f32", (2, 4)),
        TensorSpec("argmax", "i32", (2,)),
    ),
    tags=frozenset({"multi_io"}),
    add_nodes=_multi_io_common,
)


def _affine(graph: _Graph) -> None:
    two = graph.constant(np.array(2.0, dtype=np.float32))
    one = graph.constant(np.array(1.0, dtype=np.float32))
    graph.op("Add", [graph.op("Mul", ["x", two]), one], output="y")


def _affine_fixture(name: str, shape: tuple[Dim, ...], tag: Tag, what: str) -> ModelFixture:
    return ModelFixture(
        name=name,
        description=f"y = 2 * x + 1 on {what} f32 tensor of shape {list(shape)}.",
        inputs=(TensorSpec("x", "f32", shape),),
        outputs=(TensorSpec("y", "f32", shape),),
        tags=frozenset({tag}),
        add_nodes=_affine,
    )


def _reshape_i32(graph: _Graph) -> None:
    # ONNX Reshape takes an int64 shape; the cast lets the shape be an i32 tensor, which
    # every revision has.
    graph.op("Reshape", ["x", graph.op("Cast", ["shape"], to=TensorProto.INT64)], output="y")


def _reshape_failure(inputs: Sequence[NDArray[Any]]) -> str | None:
    """Why ONNX Reshape (allowzero 0) of the rank-1 ``x`` to ``shape`` fails, if it does.

    A 0 in the shape copies x's dimension at that position, which exists only at position 0;
    one -1 takes whatever size makes the element counts agree.
    """
    x, shape = inputs
    sizes = [int(size) for size in shape]
    if any(size < -1 for size in sizes):
        return "the shape has a negative size other than -1"
    if sizes.count(-1) > 1:
        return "the shape has more than one -1"
    copied = []
    for position, size in enumerate(sizes):
        if size == 0:
            if position >= x.ndim:
                return f"the shape copies dimension {position} of x, which x does not have"
            size = x.shape[position]
        copied.append(size)
    known = math.prod(size for size in copied if size != -1)
    if -1 in copied:
        if known == 0 or x.size % known:
            return "no size for the -1 makes the product of the shape the element count of x"
        return None
    if known != x.size:
        return "the product of the shape differs from the element count of x"
    return None


def _mlp(graph: _Graph) -> None:
    rng = np.random.default_rng(16)
    hidden = graph.op("Relu", [_dense(graph, rng, "features", 16, 32, gain=2.0)])
    _dense(graph, rng, hidden, 32, 4, gain=1.0, output="scores")


def _dense(
    graph: _Graph,
    rng: np.random.Generator,
    x: str,
    in_features: int,
    out_features: int,
    *,
    gain: float,
    output: str | None = None,
) -> str:
    weight = graph.constant(_he_uniform(rng, (out_features, in_features), in_features, gain), "weight")
    bias = graph.constant(_uniform(rng, (out_features,), 0.1), "bias")
    return graph.op("Gemm", [x, weight, bias], output=output, transB=1)


# --- Classifiers -------------------------------------------------------------------------

_IMAGE = TensorSpec("image", "f32", CLASSIFIER_INPUT_SHAPE)
_PROBABILITIES = TensorSpec("probabilities", "f32", (1, CLASSIFIER_CLASSES))

_Activation = Literal["relu", "relu6", "linear"]


class _ConvNet:
    """Adds convolutions with seeded weights to a graph."""

    def __init__(self, graph: _Graph, seed: int) -> None:
        self.graph = graph
        self.rng = np.random.default_rng(seed)
        self._relu6_bounds: tuple[str, str] | None = None

    def conv(
        self,
        x: str,
        in_channels: int,
        out_channels: int,
        *,
        kernel: int,
        activation: _Activation,
        stride: int = 1,
        padding: int = 0,
        groups: int = 1,
        gain: float | None = None,
    ) -> str:
        """Add a convolution with bias (batch norm folded in) and its activation."""
        fan_in = in_channels // groups * kernel * kernel
        if gain is None:
            gain = 1.0 if activation == "linear" else 2.0
        weight = _he_uniform(self.rng, (out_channels, in_channels // groups, kernel, kernel), fan_in, gain)
        bias = _uniform(self.rng, (out_channels,), 0.05)
        y = self.graph.op(
            "Conv",
            [x, self.graph.constant(weight, "weight"), self.graph.constant(bias, "bias")],
            kernel_shape=[kernel, kernel],
            strides=[stride, stride],
            pads=[padding] * 4,
            group=groups,
        )
        if activation == "relu":
            return self.graph.op("Relu", [y])
        if activation == "relu6":
            return self.graph.op("Clip", [y, *self._relu6()])
        return y

    def _relu6(self) -> tuple[str, str]:
        if self._relu6_bounds is None:
            self._relu6_bounds = (
                self.graph.constant(np.array(0.0, dtype=np.float32), "relu6_min"),
                self.graph.constant(np.array(6.0, dtype=np.float32), "relu6_max"),
            )
        return self._relu6_bounds


# (expansion factor, output channels, repeats, stride of the first repeat), as in the paper.
_MOBILENET_V2_STAGES = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)

# The pooled features have a mean square below 1, so plain He scaling (gain 1 for a
# linear layer) leaves the logits so close together that the softmax is near uniform.
_MOBILENET_V2_LOGIT_GAIN = 8.0
# Each residual Add sums two branches of similar variance; shrinking the added branch keeps
# the 10 residual blocks from compounding into saturated ReLU6s.
_RESIDUAL_BRANCH_GAIN = 0.25


def _mobilenet_v2(graph: _Graph) -> None:
    net = _ConvNet(graph, seed=2)
    x = net.conv(_IMAGE.name, 3, 32, kernel=3, stride=2, padding=1, activation="relu6")
    channels = 32
    for expansion, out_channels, repeats, first_stride in _MOBILENET_V2_STAGES:
        for repeat in range(repeats):
            stride = first_stride if repeat == 0 else 1
            residual = stride == 1 and channels == out_channels
            hidden_channels = channels * expansion
            y = x
            if expansion != 1:
                y = net.conv(y, channels, hidden_channels, kernel=1, activation="relu6")
            y = net.conv(
                y,
                hidden_channels,
                hidden_channels,
                kernel=3,
                stride=stride,
                padding=1,
                groups=hidden_channels,
                activation="relu6",
            )
            y = net.conv(
                y,
                hidden_channels,
                out_channels,
                kernel=1,
                activation="linear",
                gain=_RESIDUAL_BRANCH_GAIN if residual else 1.0,
            )
            x = graph.op("Add", [x, y]) if residual else y
            channels = out_channels
    x = net.conv(x, channels, 1280, kernel=1, activation="relu6")
    features = graph.op("Flatten", [graph.op("GlobalAveragePool", [x])], axis=1)
    logits = _dense(graph, net.rng, features, 1280, CLASSIFIER_CLASSES, gain=_MOBILENET_V2_LOGIT_GAIN)
    graph.op("Softmax", [logits], output=_PROBABILITIES.name, axis=1)


# Fire modules as (squeeze channels, channels of each expand branch); a max pool precedes
# each stage.
_SQUEEZENET_1_1_STAGES = (
    ((16, 64), (16, 64)),
    ((32, 128), (32, 128)),
    ((48, 192), (48, 192), (64, 256), (64, 256)),
)
# With plain He scaling one class, whose filter happens to follow the average activation,
# takes nearly all the probability; half the gain keeps the softmax spread out.
_SQUEEZENET_LOGIT_GAIN = 1.0


def _squeezenet_1_1(graph: _Graph) -> None:
    net = _ConvNet(graph, seed=11)
    x = net.conv(_IMAGE.name, 3, 64, kernel=3, stride=2, activation="relu")
    channels = 64
    for stage in _SQUEEZENET_1_1_STAGES:
        x = graph.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
        for squeeze_channels, expand_channels in stage:
            squeezed = net.conv(x, channels, squeeze_channels, kernel=1, activation="relu")
            expanded_1x1 = net.conv(squeezed, squeeze_channels, expand_channels, kernel=1, activation="relu")
            expanded_3x3 = net.conv(squeezed, squeeze_channels, expand_channels, kernel=3, padding=1, activation="relu")
            x = graph.op("Concat", [expanded_1x1, expanded_3x3], axis=1)
            channels = 2 * expand_channels
    x = net.conv(x, channels, CLASSIFIER_CLASSES, kernel=1, activation="relu", gain=_SQUEEZENET_LOGIT_GAIN)
    logits = graph.op("Flatten", [graph.op("GlobalAveragePool", [x])], axis=1)
    graph.op("Softmax", [logits], output=_PROBABILITIES.name, axis=1)


def _classifier_fixture(name: str, description: str, add_nodes: Callable[[_Graph], None]) -> ModelFixture:
    return ModelFixture(
        name=name,
        description=description,
        inputs=(_IMAGE,),
        outputs=(_PROBABILITIES,),
        tags=frozenset({"classifier", "benchmark"}),
        add_nodes=add_nodes,
    )


# --- Catalog -----------------------------------------------------------------------------


def _catalog() -> dict[str, ModelFixture]:
    fixtures = [
        *(_elementwise_fixture(tensor_type) for tensor_type in TENSOR_TYPES),
        _MULTI_IO,
        _MULTI_IO_COMMON,
        _affine_fixture("dynamic", ("N", 3), "dynamic", "a dynamic-size"),
        _affine_fixture("scalar", (), "scalar", "a rank-0"),
        _affine_fixture("empty", (0, 3), "empty", "an empty"),
        ModelFixture(
            name="reshape_i32",
            description="y = reshape(x, shape), the shape an i32 tensor given at run time and cast to int64 "
            "in the graph: a shape that does not hold x's elements makes inference fail after set_input "
            "succeeded, in every revision.",
            inputs=(TensorSpec("x", "f32", ("N",)), TensorSpec("shape", "i32", (2,))),
            outputs=(TensorSpec("y", "f32", ("A", "B")),),
            tags=frozenset({"runtime_failure"}),
            add_nodes=_reshape_i32,
            inference_failure=_reshape_failure,
        ),
        ModelFixture(
            name="mlp",
            description="Tiny MLP for benchmarks: 16 -> Gemm 32 -> Relu -> Gemm 4.",
            inputs=(TensorSpec("features", "f32", (1, 16)),),
            outputs=(TensorSpec("scores", "f32", (1, 4)),),
            tags=frozenset({"benchmark"}),
            add_nodes=_mlp,
        ),
        _classifier_fixture(
            "mobilenet_v2",
            "MobileNetV2 topology with seeded weights (batch norm folded): "
            "image [1, 3, 224, 224] -> softmax probabilities [1, 1000].",
            _mobilenet_v2,
        ),
        _classifier_fixture(
            "squeezenet_1_1",
            "SqueezeNet 1.1 topology with seeded weights: image [1, 3, 224, 224] -> softmax probabilities [1, 1000].",
            _squeezenet_1_1,
        ),
    ]
    return {fixture.name: fixture for fixture in fixtures}


_ALL: dict[str, ModelFixture] = _catalog()

CATALOG: frozenset[str] = frozenset(_ALL)
"""The fixture models built by this module, whose hashes the manifest records."""

FIXTURES: Mapping[str, ModelFixture] = MappingProxyType(_ALL)
"""Every fixture model by name: the catalog and the graphs built on the fly (see :func:`elementwise_chain`)."""

ELEMENTWISE_OPS = ("Abs", "Neg", "Relu", "Sigmoid", "Tanh", "Add", "Sub", "Mul", "Max", "Min")
"""The ONNX operators :func:`elementwise_chain` draws from; binary ones take a constant."""

_BINARY = frozenset({"Add", "Sub", "Mul", "Max", "Min"})


@dataclass(frozen=True)
class ChainDefinition:
    """The arguments :func:`elementwise_chain` built a graph from; a reproducer keeps them."""

    ops: tuple[str, ...]
    shape: tuple[int, ...]
    constant: float


_CHAINS: dict[str, ChainDefinition] = {}


def chain_definition(name: str) -> ChainDefinition | None:
    """How fixture ``name`` was built on the fly, if :func:`elementwise_chain` built it."""
    return _CHAINS.get(name)


def elementwise_chain(ops: Sequence[str], shape: tuple[int, ...], constant: float) -> str:
    """A small f32 graph applying ``ops`` in turn to its input (binary ones with ``constant``).

    Registered among :data:`FIXTURES` under a name derived from its definition, so property
    tests can build graphs on the fly and every part of the suite finds them by name.
    """
    unknown = set(ops) - set(ELEMENTWISE_OPS)
    if unknown or not ops:
        raise ValueError(f"expected a non-empty chain of {ELEMENTWISE_OPS}, got {list(ops)}")
    definition = f"{'-'.join(ops)}:{'x'.join(map(str, shape))}:{constant!r}"
    name = f"chain-{hashlib.sha256(definition.encode()).hexdigest()[:12]}"
    _CHAINS[name] = ChainDefinition(tuple(ops), tuple(shape), constant)
    if name not in _ALL:

        def add_nodes(graph: _Graph) -> None:
            value = "x"
            for position, op in enumerate(ops):
                last = position == len(ops) - 1
                inputs = [value, graph.constant(np.array(constant, np.float32))] if op in _BINARY else [value]
                value = graph.op(op, inputs, output="y" if last else None)

        _ALL[name] = ModelFixture(
            name=name,
            description=f"{' then '.join(ops)} on an f32 tensor of shape {list(shape)} (constant {constant!r}).",
            inputs=(TensorSpec("x", "f32", shape),),
            outputs=(TensorSpec("y", "f32", shape),),
            tags=frozenset({"elementwise"}),
            add_nodes=add_nodes,
        )
    return name


@functools.cache
def model_bytes(name: str) -> bytes:
    """Return the serialized ONNX model of fixture ``name``, built once per process."""
    return FIXTURES[name].build_bytes()


@functools.cache
def nul_terminated_model_bytes(name: str) -> bytes:
    """Fixture ``name`` serialized so that its last byte is 0.

    It is the same graph with a metadata entry whose value is one NUL. A host whose bounds
    check lets a buffer run one byte past the end of memory, where it reads a zero, then finds
    a valid model instead of garbage, and shows its fault by succeeding.
    """
    model = FIXTURES[name].build()
    entry = model.metadata_props.add()
    entry.key, entry.value = "nul", "\0"
    data: bytes = model.SerializeToString(deterministic=True)
    # Fields serialize in number order and metadata_props is the last one the fixtures have.
    assert data.endswith(b"\0"), "the metadata entry did not come last"
    return data


def sha256_hex(data: bytes) -> str:
    """Return the hex sha256 digest of ``data``, as recorded in the manifest."""
    return hashlib.sha256(data).hexdigest()


def build_all(out_dir: Path) -> dict[str, str]:
    """Write every fixture to ``out_dir/<name>.onnx``; return name -> sha256 of its bytes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    digests: dict[str, str] = {}
    for name in sorted(CATALOG):
        data = model_bytes(name)
        (out_dir / f"{name}.onnx").write_bytes(data)
        digests[name] = sha256_hex(data)
    return digests


def manifest(path: Path = MANIFEST_PATH) -> dict[str, str]:
    """Read the recorded name -> sha256 of every fixture model."""
    recorded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return recorded


def write_manifest(path: Path = MANIFEST_PATH) -> dict[str, str]:
    """Rebuild every fixture, record its sha256 in ``path`` and return the new manifest."""
    digests = {name: sha256_hex(model_bytes(name)) for name in sorted(CATALOG)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(digests, indent=2) + "\n", encoding="utf-8")
    return digests


def demo_image(seed: int = 0) -> NDArray[np.float32]:
    """Return a deterministic, image-like classifier input: float32 of shape (1, 3, 224, 224).

    A colour gradient with a few soft-edged ellipses on it, normalized with the usual
    ImageNet mean and standard deviation. Only arithmetic and clipping are used (no
    transcendental functions), so the pixels do not depend on the platform's math library.
    """
    rng = np.random.default_rng(seed)
    _, _, height, width = CLASSIFIER_INPUT_SHAPE
    rows = (np.arange(height, dtype=np.float64) / (height - 1))[:, None]
    cols = (np.arange(width, dtype=np.float64) / (width - 1))[None, :]

    base, slope_rows, slope_cols = (rng.uniform(-0.5, 0.5, size=3) for _ in range(3))
    rgb = np.empty((3, height, width), dtype=np.float64)
    for channel in range(3):
        rgb[channel] = 0.5 + base[channel] + slope_rows[channel] * rows + slope_cols[channel] * cols

    for _ in range(4):
        center_row, center_col = rng.uniform(0.2, 0.8, size=2)
        radius_row, radius_col = rng.uniform(0.08, 0.3, size=2)
        colour = rng.uniform(0.0, 1.0, size=3)
        distance = ((rows - center_row) / radius_row) ** 2 + ((cols - center_col) / radius_col) ** 2
        # 1 inside, 0 outside, with a linear ramp as the edge softens.
        coverage = np.clip((1.2 - distance) / 0.4, 0.0, 1.0)
        rgb = rgb * (1.0 - coverage) + colour[:, None, None] * coverage

    mean = np.array([0.485, 0.456, 0.406])[:, None, None]
    std = np.array([0.229, 0.224, 0.225])[:, None, None]
    normalized = (np.clip(rgb, 0.0, 1.0) - mean) / std
    image: NDArray[np.float32] = normalized[None].astype(np.float32)
    return image
