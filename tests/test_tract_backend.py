"""The reference host over tract: outputs within tolerance of native onnxruntime, and errnos for what tract cannot load."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
import pytest
from driving import TypedScript, encoder, run_on_reference
from onnx import TensorProto, helper

from conformance import fixture_models
from conformance.adapters.select import select_host
from conformance.guest.encoder import Region, ScriptResult
from conformance.host import Situation, make_backend
from conformance.host.backend import BackendFault
from conformance.host.tract_backend import TractBackend
from conformance.oracle import compare, native_outputs, tolerance
from conformance.paths import PROJECT_ROOT as PROJECT
from conformance.revisions import revision
from tests.hosts.runs import run_suite, start

nn = revision().bindings
ONNX = int(nn.GraphEncoding.ONNX)
CPU = int(nn.ExecutionTarget.CPU)
TYPE_NAMES = {"<f2": "F16", "<f4": "F32", "<f8": "F64", "|u1": "U8", "<i4": "I32", "<i8": "I64"}


def on_tract(script: TypedScript) -> ScriptResult:
    return run_on_reference(script, backend=TractBackend())


def finite_inputs(fixture: str, seed: int, size: int = 3) -> list[npt.NDArray[Any]]:
    """Finite values in every input of ``fixture`` (NaN is where tract departs; see expectations)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for spec in fixture_models.FIXTURES[fixture].inputs:
        shape = spec.concrete_shape({symbol: size for symbol in "NMK"})
        dtype = spec.numpy_dtype
        if dtype.kind == "f":
            arrays.append(np.asarray(rng.standard_normal(shape) * 10, dtype=dtype))
        else:
            info = np.iinfo(dtype)
            arrays.append(np.asarray(rng.integers(max(info.min, -100), min(info.max, 100), shape), dtype=dtype))
    return arrays


def infer(fixture: str, inputs: list[npt.NDArray[Any]]) -> tuple[ScriptResult, list[Region], int]:
    script = encoder()
    _, graph = script.load([fixture_models.model_bytes(fixture)], ONNX, CPU)
    _, context = script.init_execution_context(graph.deref())
    calls = 2
    for index, value in enumerate(inputs):
        tensor_type = int(nn.TensorType[TYPE_NAMES[value.dtype.str]])
        script.set_input(context.deref(), index, value.shape, tensor_type, value.tobytes())
        calls += 1
    script.compute(context.deref())
    buffers = []
    for index, expected in enumerate(native_outputs(fixture, inputs)):
        _, buffer, _ = script.get_output(context.deref(), index, expected.nbytes)
        buffers.append(script.read_back(buffer))
    return on_tract(script), buffers, calls + 1 + len(buffers)


@pytest.mark.parametrize(
    "fixture",
    ["add_f16", "add_f32", "add_f64", "add_u8", "add_i32", "add_i64", "multi_io", "mlp", "dynamic", "scalar", "empty"],
)
def test_outputs_are_native_onnxruntime_within_the_fixture_tolerance(fixture: str) -> None:
    inputs = finite_inputs(fixture, seed=7)
    result, buffers, calls = infer(fixture, inputs)
    assert result.returned == [0] * calls
    for index, (buffer, expected) in enumerate(zip(buffers, native_outputs(fixture, inputs), strict=True)):
        element = fixture_models.FIXTURES[fixture].outputs[index].tensor_type
        comparison = compare(expected, result.region(buffer).inside, tolerance(fixture, element))
        assert comparison.equal, f"{fixture} output {index}: {comparison.detail}"


@pytest.mark.parametrize("rows", [1, 4, 9])
def test_dynamic_dimensions_are_resolved_from_each_input(rows: int) -> None:
    inputs = finite_inputs("dynamic", seed=rows, size=rows)
    result, buffers, calls = infer("dynamic", inputs)
    assert result.returned == [0] * calls
    expected = native_outputs("dynamic", inputs)[0]
    assert compare(expected, result.region(buffers[0]).inside, tolerance("dynamic", "f32")).equal


def graph_of(node: onnx.NodeProto, inputs: list[onnx.ValueInfoProto], output: onnx.ValueInfoProto) -> bytes:
    model = helper.make_model(
        helper.make_graph([node], "case", inputs, [output]), opset_imports=[helper.make_opsetid("", 17)]
    )
    onnx.checker.check_model(model)  # valid ONNX: any refusal is the engine's own
    return model.SerializeToString()


# Det is an ONNX operator onnxruntime runs and tract does not implement.
DETERMINANT = graph_of(
    helper.make_node("Det", ["x"], ["y"]),
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
    helper.make_tensor_value_info("y", TensorProto.FLOAT, []),
)
# bfloat16 is an ONNX element type tract has no datum type for.
BFLOAT16_IDENTITY = graph_of(
    helper.make_node("Identity", ["x"], ["y"]),
    [helper.make_tensor_value_info("x", TensorProto.BFLOAT16, [2])],
    helper.make_tensor_value_info("y", TensorProto.BFLOAT16, [2]),
)


@pytest.mark.parametrize(
    ("builders", "encoding", "target", "errno"),
    [
        pytest.param([b"\x08\x01garbage"], ONNX, CPU, "INVALID_ARGUMENT", id="garbage"),
        pytest.param([b""], ONNX, CPU, "INVALID_ARGUMENT", id="empty"),
        pytest.param([b"not a model"], int(nn.GraphEncoding.AUTODETECT), CPU, "INVALID_ENCODING", id="autodetect"),
        pytest.param([DETERMINANT], ONNX, CPU, "UNSUPPORTED_OPERATION", id="operator-tract-lacks"),
        pytest.param([BFLOAT16_IDENTITY], ONNX, CPU, "UNSUPPORTED_OPERATION", id="type-tract-lacks"),
        pytest.param(
            [fixture_models.model_bytes("add_f32")], ONNX, int(nn.ExecutionTarget.GPU), "UNSUPPORTED_OPERATION"
        ),
        pytest.param([fixture_models.model_bytes("add_f32")] * 2, ONNX, CPU, "INVALID_ARGUMENT", id="two-builders"),
    ],
)
def test_what_tract_cannot_load_is_an_errno_never_a_crash(
    builders: list[bytes], encoding: int, target: int, errno: str
) -> None:
    script = encoder()
    load, graph = script.load(builders, encoding, target)
    handle = script.read_back(graph)
    result = on_tract(script)
    assert result.errno(load) == int(nn.NnErrno[errno])
    assert result.region(handle).untouched(), "a failed load wrote a graph handle"


def test_an_inference_tract_fails_is_a_runtime_error() -> None:
    # Both inputs of Add share the symbol N: sizes 2 and 3 cannot both be N (nor broadcast).
    model = graph_of(
        helper.make_node("Add", ["a", "b"], ["y"]),
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N"]) for name in "ab"],
        helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N"]),
    )
    script = encoder()
    _, graph = script.load([model], ONNX, CPU)
    _, context = script.init_execution_context(graph.deref())
    f32 = int(nn.TensorType.F32)
    script.set_input(context.deref(), 0, [2], f32, np.ones(2, np.float32).tobytes())
    script.set_input(context.deref(), 1, [3], f32, np.ones(3, np.float32).tobytes())
    compute = script.compute(context.deref())
    result = on_tract(script)
    assert result.returned[:compute] == [0] * compute
    assert result.errno(compute) == int(nn.NnErrno.RUNTIME_ERROR)


def classify(backend: str, folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--backend",
            backend,
            str(PROJECT / "fixtures" / "guests" / "classify.wat"),
            "--dir",
            f"{folder}::/",
            "--",
            "mobilenet_v2.onnx",
            "demo_image.bin",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_the_classify_demo_prints_the_same_five_classes_on_both_backends(tmp_path: Path) -> None:
    (tmp_path / "mobilenet_v2.onnx").write_bytes(fixture_models.model_bytes("mobilenet_v2"))
    (tmp_path / "demo_image.bin").write_bytes(fixture_models.demo_image().astype("<f4").tobytes())
    runs = {backend: classify(backend, tmp_path) for backend in ("onnxruntime", "tract")}
    classes = {}
    for backend, run in runs.items():
        assert (run.returncode, run.stderr) == (0, ""), backend
        lines = run.stdout.splitlines()
        assert len(lines) == 5, run.stdout
        classes[backend] = [line.split(" score ")[0] for line in lines]
    assert classes["tract"] == classes["onnxruntime"]


def test_an_unknown_backend_is_a_usage_error() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--backend", "tvm", str(PROJECT / "fixtures/guests/classify.wat")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert run.stderr.strip().endswith("--backend: unknown backend 'tvm': one of onnxruntime, tract")
    with pytest.raises(ValueError, match="unknown backend"):
        make_backend("tvm")


def test_the_tract_hosts_are_held_to_tolerances_and_name_tract() -> None:
    in_process = select_host("reference-tract", None, "2023-08")
    command = select_host("reference-tract-subprocess", None, "2023-08")
    assert (in_process.name, command.name) == ("reference-tract", "reference-tract-subprocess")
    assert not in_process.capabilities.bit_exact
    assert not command.capabilities.bit_exact
    assert select_host("reference", None, "2023-08").capabilities.bit_exact
    assert "tract 0.23" in in_process.version()
    assert "tract" in getattr(command, "words", ())


def test_tracts_reason_reaches_the_log_on_one_line() -> None:
    with pytest.raises(BackendFault) as refused:
        TractBackend().load([memoryview(DETERMINANT)], "onnx", "cpu")
    assert refused.value.situation is Situation.MODEL_UNSUPPORTED
    message = str(refused.value)
    assert "Unimplemented(Det)" in message
    assert "\n" not in message
    assert "Caused by" not in message


CUT_SHORT = ("--wasi-nn-host=reference-tract", "--wasi-nn-corpus=none", "-k", "compute.inference-fails")

LISTING_THE_REFUSAL = """
[[departure]]
clause = "load.valid"
level = "function"
outcome = ["returned unsupported_operation"]
shown_by = ["test_clauses.py::test_clause[compute.inference-fails]"]
reason = "tract cannot load reshape_i32"
link = ""
"""


def test_a_clause_whose_example_a_listed_departure_cuts_short_is_skipped_never_passed(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # tract refuses the model compute.inference-fails computes: with the refusal listed, the
    # clause is skipped with why; unlisted, the run fails on the refusal itself.
    listed = tmp_path / "listed.toml"
    listed.write_text(LISTING_THE_REFUSAL, encoding="utf-8")
    unlisted = tmp_path / "unlisted.toml"
    unlisted.write_text("", encoding="utf-8")
    for expectations in (listed, unlisted):
        start(tmp_path_factory, *CUT_SHORT, f"--wasi-nn-expectations={expectations}")
    green = run_suite(tmp_path_factory, *CUT_SHORT, f"--wasi-nn-expectations={listed}")
    assert green.returncode == 0, green.output
    data = json.loads((green.report / "report.json").read_text())
    verdicts = {entry["id"]: entry for entry in data["clauses"]}
    assert verdicts["compute.inference-fails"]["verdict"] == "skipped"
    (reason,) = verdicts["compute.inference-fails"]["skipped"]
    assert "load.valid at function" in reason
    assert verdicts["load.valid"]["verdict"] == "expected_failure"
    red = run_suite(tmp_path_factory, *CUT_SHORT, f"--wasi-nn-expectations={unlisted}")
    assert red.returncode == 1, red.output
    assert "load.valid at #0 load(fixture=reshape_i32, target=cpu)" in red.output
