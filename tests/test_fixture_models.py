"""Tests for the deterministic ONNX model fixtures in conformance.fixture_models."""

from __future__ import annotations

import functools
import hashlib
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from numpy.typing import NDArray

from conformance import fixture_models
from conformance.fixture_models import FIXTURES, TENSOR_TYPES, ModelFixture, TensorSpec
from conformance.revisions import REVISIONS

FIXTURE_NAMES = sorted(fixture_models.CATALOG)
CLASSIFIER_NAMES = sorted(name for name, f in FIXTURES.items() if "classifier" in f.tags)
MULTI_IO_NAMES = sorted(name for name in fixture_models.CATALOG if "multi_io" in FIXTURES[name].tags)
FAILING_NAMES = sorted(name for name in fixture_models.CATALOG if FIXTURES[name].inference_failure is not None)
# The tensor types every revision has (2022-10 has no f64 or i64).
COMMON_TYPES = set.intersection(
    *({case.name.lower() for case in revision.bindings.TensorType} for revision in REVISIONS.values())
)
# Value given to every symbolic dimension when a dynamic model is run.
SYMBOLS = {"N": 6, "A": 2, "B": 3}


@functools.cache
def session(name: str) -> ort.InferenceSession:
    return ort.InferenceSession(fixture_models.model_bytes(name), providers=["CPUExecutionProvider"])


def load(name: str) -> onnx.ModelProto:
    return onnx.load_from_string(fixture_models.model_bytes(name))


def run(name: str, feeds: dict[str, NDArray[Any]]) -> list[NDArray[Any]]:
    outputs: list[NDArray[Any]] = session(name).run(None, feeds)
    return outputs


def random_array(spec: TensorSpec, rng: np.random.Generator) -> NDArray[Any]:
    shape = spec.concrete_shape(SYMBOLS)
    dtype = spec.numpy_dtype
    if np.issubdtype(dtype, np.floating):
        return rng.uniform(-10.0, 10.0, size=shape).astype(dtype)
    limits = np.iinfo(dtype)
    low, high = max(int(limits.min), -1000), min(int(limits.max), 1000)
    return rng.integers(low, high, size=shape, endpoint=True).astype(dtype)


def random_feeds(fixture: ModelFixture, seed: int = 0) -> dict[str, NDArray[Any]]:
    if "runtime_failure" in fixture.tags:  # the reshapes: x and the shape must agree
        shape = np.array([SYMBOLS["A"], SYMBOLS["B"]], fixture.inputs[1].numpy_dtype)
        return {"x": np.arange(SYMBOLS["N"], dtype=np.float32), "shape": shape}
    rng = np.random.default_rng(seed)
    return {spec.name: random_array(spec, rng) for spec in fixture.inputs}


def declared(value_info: onnx.ValueInfoProto) -> tuple[str, np.dtype[Any], tuple[int | str, ...]]:
    tensor_type = value_info.type.tensor_type
    assert tensor_type.HasField("shape"), f"{value_info.name} has no shape (unknown rank)"
    dims = tuple(dim.dim_param or dim.dim_value for dim in tensor_type.shape.dim)
    return value_info.name, onnx.helper.tensor_dtype_to_np_dtype(tensor_type.elem_type), dims


def spec_tuple(spec: TensorSpec) -> tuple[str, np.dtype[Any], tuple[int | str, ...]]:
    return spec.name, spec.numpy_dtype, spec.shape


# --- Determinism ---------------------------------------------------------------------------


def test_manifest_lists_exactly_the_fixtures() -> None:
    assert set(fixture_models.manifest()) == set(fixture_models.CATALOG)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_model_bytes_match_manifest(name: str) -> None:
    assert hashlib.sha256(fixture_models.model_bytes(name)).hexdigest() == fixture_models.manifest()[name]


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_building_twice_gives_same_bytes(name: str) -> None:
    first = FIXTURES[name].build_bytes()
    second = FIXTURES[name].build_bytes()
    assert first == second
    assert first == fixture_models.model_bytes(name)


def test_build_all_writes_every_model(tmp_path: Path) -> None:
    digests = fixture_models.build_all(tmp_path / "out")
    assert digests == fixture_models.manifest()
    written = {path.name: path.read_bytes() for path in (tmp_path / "out").iterdir()}
    assert set(written) == {f"{name}.onnx" for name in fixture_models.CATALOG}
    for name, digest in digests.items():
        assert hashlib.sha256(written[f"{name}.onnx"]).hexdigest() == digest


def test_write_manifest_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    written = fixture_models.write_manifest(path)
    assert fixture_models.manifest(path) == written == fixture_models.manifest()
    assert list(written) == sorted(written)


# --- Well-formed models --------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_model_metadata_is_pinned(name: str) -> None:
    model = load(name)
    assert model.producer_name == fixture_models.PRODUCER_NAME
    assert model.producer_version == fixture_models.PRODUCER_VERSION
    assert model.ir_version == fixture_models.IR_VERSION
    assert [(o.domain, o.version) for o in model.opset_import] == [("", fixture_models.OPSET_VERSION)]


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_checker_accepts_model(name: str) -> None:
    onnx.checker.check_model(load(name), full_check=True)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_graph_interface_matches_declaration(name: str) -> None:
    fixture = FIXTURES[name]
    graph = load(name).graph
    assert [declared(v) for v in graph.input] == [spec_tuple(s) for s in fixture.inputs]
    assert [declared(v) for v in graph.output] == [spec_tuple(s) for s in fixture.outputs]


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_runs_with_declared_types_and_shapes(name: str) -> None:
    fixture = FIXTURES[name]
    feeds = {"image": fixture_models.demo_image()} if "classifier" in fixture.tags else random_feeds(fixture)
    assert [i.name for i in session(name).get_inputs()] == [s.name for s in fixture.inputs]
    assert [o.name for o in session(name).get_outputs()] == [s.name for s in fixture.outputs]
    assert fixture.fails_on(list(feeds.values())) is None
    outputs = run(name, feeds)
    assert len(outputs) == len(fixture.outputs)
    for spec, output in zip(fixture.outputs, outputs, strict=True):
        assert output.dtype == spec.numpy_dtype, spec.name
        assert output.shape == spec.concrete_shape(SYMBOLS), spec.name


def test_elementwise_chains_are_built_on_the_fly_and_found_by_name() -> None:
    name = fixture_models.elementwise_chain(["Relu", "Add", "Neg"], (2, 2), 1.5)
    assert fixture_models.elementwise_chain(["Relu", "Add", "Neg"], (2, 2), 1.5) == name
    assert name not in fixture_models.CATALOG
    x = np.array([[-1.0, 2.0], [0.5, -3.0]], np.float32)
    (y,) = run(name, {"x": x})
    np.testing.assert_array_equal(y, -(np.maximum(x, 0) + np.float32(1.5)))


@pytest.mark.parametrize("name", FAILING_NAMES)
def test_reshape_fails_at_inference_on_a_shape_that_does_not_hold_the_data(name: str) -> None:
    shape = np.array([5, 5], FIXTURES[name].inputs[1].numpy_dtype)
    assert FIXTURES[name].fails_on([np.ones(3, np.float32), shape]) == (
        "the product of the shape differs from the element count of x"
    )
    with pytest.raises(Exception, match="cannot be reshaped"):
        run(name, {"x": np.ones(3, np.float32), "shape": shape})


# x's length, then the shape: agreeing, disagreeing, and every special size Reshape knows
# (0 copies x's dimension at that position, -1 is inferred, anything below -1 is invalid).
RESHAPE_CASES = [
    (6, (2, 3)),
    (6, (3, 2)),
    (3, (5, 5)),
    (6, (-1, 3)),
    (6, (-1, 4)),
    (6, (-1, -1)),
    (6, (-2, -3)),
    (6, (0, 1)),
    (6, (0, 6)),
    (6, (1, 0)),
    (6, (0, -1)),
    (0, (0, 5)),
    (0, (0, -1)),
    (0, (-1, 3)),
    (7, (2**31 - 1, 2**31 - 1)),
]


@pytest.mark.parametrize("name", FAILING_NAMES)
@pytest.mark.parametrize(("length", "shape"), RESHAPE_CASES)
def test_the_declared_inference_failure_is_native_onnxruntimes(name: str, length: int, shape: tuple[int, int]) -> None:
    fixture = FIXTURES[name]
    inputs = [np.arange(length, dtype=np.float32), np.array(shape, fixture.inputs[1].numpy_dtype)]
    declared = fixture.fails_on(inputs)
    native: str | None = None
    try:
        run(name, dict(zip([spec.name for spec in fixture.inputs], inputs, strict=True)))
    except Exception as error:  # onnxruntime's own error classes
        native = str(error)
    assert (declared is None) == (native is None), f"the fixture declares {declared!r}; onnxruntime: {native!r}"


def test_only_the_reshapes_declare_inference_failures() -> None:
    assert sorted(name for name in fixture_models.CATALOG if "runtime_failure" in FIXTURES[name].tags) == FAILING_NAMES
    assert "reshape_i32" in FAILING_NAMES


@pytest.mark.parametrize("name", ["reshape_i32", "multi_io_common"])
def test_some_fixtures_use_only_the_tensor_types_every_revision_has(name: str) -> None:
    assert FIXTURES[name].tensor_types <= COMMON_TYPES


def test_tensor_types_cover_the_witx_enum() -> None:
    for tensor_type in TENSOR_TYPES:
        assert FIXTURES[f"add_{tensor_type}"].tensor_types == {tensor_type}
    every_type = set().union(*(f.tensor_types for f in FIXTURES.values()))
    assert every_type == set(TENSOR_TYPES)


# --- Values --------------------------------------------------------------------------------


@pytest.mark.parametrize("tensor_type", TENSOR_TYPES)
def test_elementwise_values(tensor_type: str) -> None:
    name = f"add_{tensor_type}"
    rng = np.random.default_rng(3)
    a, b = (random_array(spec, rng) for spec in FIXTURES[name].inputs)
    if tensor_type == "u8":
        assert (a.astype(np.int64) + b > 255).any(), "inputs should exercise wrap-around"
    total, largest = run(name, {"a": a, "b": b})
    if tensor_type == "f16":
        np.testing.assert_allclose(total, a + b, rtol=1e-3)
    else:
        np.testing.assert_array_equal(total, a + b)
    np.testing.assert_array_equal(largest, np.maximum(a, b))


@pytest.mark.parametrize("name", MULTI_IO_NAMES)
def test_multi_io_values_follow_model_order(name: str) -> None:
    fixture = FIXTURES[name]
    input_names = [spec.name for spec in fixture.inputs]
    output_names = [spec.name for spec in fixture.outputs]
    # Positional order must differ from name order, or index mix-ups would go unnoticed.
    assert input_names != sorted(input_names)
    assert output_names != sorted(output_names)
    assert len({spec.shape for spec in fixture.inputs}) == len(fixture.inputs)
    assert len({spec.tensor_type for spec in fixture.outputs}) == len(fixture.outputs)

    feeds = random_feeds(fixture, seed=4)
    scaled, argmax = run(name, feeds)
    shifted = feeds["values"] + feeds["offsets"].astype(np.float32)
    if "shift" in feeds:
        shifted = shifted + feeds["shift"].astype(np.float32)
    expected = shifted * feeds["scale"].astype(np.float32)
    np.testing.assert_allclose(scaled, expected, rtol=1e-6)
    np.testing.assert_array_equal(argmax, expected.argmax(axis=1))


def test_a_multi_io_fixture_has_every_tensor_type_of_every_revision() -> None:
    assert FIXTURES["multi_io_common"].tensor_types == COMMON_TYPES


@pytest.mark.parametrize("rows", [0, 1, 7])
def test_dynamic_model_accepts_any_leading_dimension(rows: int) -> None:
    assert FIXTURES["dynamic"].inputs[0].is_dynamic
    x = np.arange(rows * 3, dtype=np.float32).reshape(rows, 3)
    (y,) = run("dynamic", {"x": x})
    assert y.shape == (rows, 3)
    np.testing.assert_array_equal(y, 2 * x + 1)


def test_scalar_model_gives_rank_0_output() -> None:
    (y,) = run("scalar", {"x": np.array(1.5, dtype=np.float32)})
    assert y.ndim == 0
    assert y.dtype == np.float32
    assert float(y) == 4.0


def test_empty_model_gives_empty_output() -> None:
    assert FIXTURES["empty"].inputs[0].shape == (0, 3)
    (y,) = run("empty", {"x": np.zeros((0, 3), dtype=np.float32)})
    assert y.shape == (0, 3)
    assert y.size == 0


# --- Classifiers ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", CLASSIFIER_NAMES)
def test_classifier_gives_a_distinct_top_5(name: str) -> None:
    (probabilities,) = run(name, {"image": fixture_models.demo_image()})
    assert probabilities.shape == (1, fixture_models.CLASSIFIER_CLASSES)
    assert np.isfinite(probabilities).all()
    assert (probabilities >= 0).all()
    assert float(probabilities.sum(dtype=np.float64)) == pytest.approx(1.0, abs=1e-5)

    top_6 = np.sort(probabilities[0])[::-1][:6]
    uniform = 1.0 / fixture_models.CLASSIFIER_CLASSES
    assert 10 * uniform < top_6[0] < 0.5, "softmax is near uniform or collapsed onto one class"
    # Each of the top 5 beats the next by a margin that rounding in another runtime cannot
    # close, so the ranking is stable.
    margins = -np.diff(top_6) / top_6[0]
    assert (margins > 0.01).all(), margins


@pytest.mark.parametrize("name", CLASSIFIER_NAMES)
def test_classifier_output_depends_on_the_image(name: str) -> None:
    (first,) = run(name, {"image": fixture_models.demo_image(seed=0)})
    (second,) = run(name, {"image": fixture_models.demo_image(seed=1)})
    assert np.abs(first - second).max() > 1e-3


def op_counts(name: str) -> Counter[str]:
    return Counter(node.op_type for node in load(name).graph.node)


def parameter_count(name: str) -> int:
    graph = load(name).graph
    return sum(int(np.prod(tensor.dims)) for tensor in graph.initializer)


def test_mobilenet_v2_topology() -> None:
    graph = load("mobilenet_v2").graph
    counts = op_counts("mobilenet_v2")
    assert counts["Conv"] == 52
    assert counts["Clip"] == 35
    assert counts["Add"] == 10  # one per stride-1 block whose channels match
    assert counts["GlobalAveragePool"] == counts["Flatten"] == counts["Gemm"] == 1
    assert counts["Softmax"] == 1
    depthwise = [
        node
        for node in graph.node
        if node.op_type == "Conv" and any(a.name == "group" and a.i > 1 for a in node.attribute)
    ]
    assert len(depthwise) == 17
    assert 3_300_000 < parameter_count("mobilenet_v2") < 3_600_000


def test_squeezenet_1_1_topology() -> None:
    counts = op_counts("squeezenet_1_1")
    assert counts["Conv"] == 26  # first conv, 8 fire modules of 3, final classifier conv
    assert counts["Concat"] == 8
    assert counts["MaxPool"] == 3
    assert counts["GlobalAveragePool"] == counts["Softmax"] == 1
    assert 1_200_000 < parameter_count("squeezenet_1_1") < 1_300_000


@pytest.mark.parametrize("name", CLASSIFIER_NAMES)
def test_classifier_builds_quickly(name: str) -> None:
    start = time.perf_counter()
    FIXTURES[name].build_bytes()
    assert time.perf_counter() - start < 2.0


def test_demo_image_is_deterministic_and_image_like() -> None:
    image = fixture_models.demo_image()
    assert image.shape == fixture_models.CLASSIFIER_INPUT_SHAPE
    assert image.dtype == np.float32
    assert np.isfinite(image).all()
    np.testing.assert_array_equal(image, fixture_models.demo_image())
    assert not np.array_equal(image, fixture_models.demo_image(seed=1))
    # Smooth: neighbouring pixels differ far less than pixels overall (noise would not).
    assert np.abs(np.diff(image, axis=-1)).mean() < 0.1 * image.std()
    # Within the range of ImageNet-normalized pixels in [0, 1].
    assert image.min() > -2.2
    assert image.max() < 2.7
