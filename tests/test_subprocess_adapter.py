"""The command-line adapter: bounded runs of real small programs, and the outcome classification."""

from __future__ import annotations

import os
import resource
import shlex
import signal
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import wasmtime
from driving import TypedScript

import conformance
from conformance import fixture_models
from conformance.adapters.base import Capabilities
from conformance.adapters.inprocess import reference_adapter
from conformance.adapters.packaging import builders
from conformance.adapters.subprocess import (
    CommandAdapter,
    GraphArguments,
    OutcomeRules,
    classify,
    reference_command_adapter,
)
from conformance.guest.driver import driver_wasm, parse_transcript
from conformance.guest.encoder import ScriptResult
from conformance.revisions import revision

nn = revision("2023-08").bindings
PYTHON = shlex.quote(sys.executable)
GUEST = b"\0asm\x01\0\0\0"  # the programs below ignore it; the adapter still writes it to a file


def python_adapter(code: str, **options: Any) -> CommandAdapter:
    """A "host" that is a Python program given the guest path as its argument."""
    return CommandAdapter(
        "python", f"{PYTHON} -c {shlex.quote(textwrap.dedent(code))} {{wasm}}", Capabilities(), **options
    )


# --- classify, on its own -------------------------------------------------------------------

PANIC = (
    b"thread 'main' (77) panicked at crates/wasi-nn/src/backend/openvino.rs:103:16:\ncopy_from_slice: lengths differ\n"
)
TRAP = (
    b"Error: failed to run main module `driver.wasm`\n\nCaused by:\n    0: failed to invoke command default\n"
    b"    1: error while executing at wasm backtrace:\n    0:    0x259 - <unknown>!call.load\n"
    b"    2: wasm trap: wasm `unreachable` instruction executed\n"
)
HOST_ERROR = (
    b"Error: failed to run main module `driver.wasm`\n\nCaused by:\n    0: failed to invoke command default\n"
    b"    1: error while executing at wasm backtrace:\n    0:    0x259 - <unknown>!call.load\n"
    b"    2: In func wasi_ephemeral_nn::load at convert GraphEncoding: Invalid enum value GraphEncoding\n"
    b"    3: Invalid enum value GraphEncoding\n\nStack backtrace:\n   0: anyhow::error\n"
)


@pytest.mark.parametrize(
    ("returncode", "stderr", "timed_out", "kind", "message"),
    [
        (0, b"", False, "exited", ""),
        (0, PANIC + TRAP, False, "exited", ""),  # exit 0 is the guest's, whatever was printed
        (3, b"", False, "exited", ""),
        (134, b"", False, "exited", ""),  # a guest may proc_exit(134) itself
        (65, TRAP, False, "exited", ""),  # a trap report with an exit code a trap never has
        (-9, b"", True, "hung", "timeout"),
        (-11, b"", False, "crashed", "SIGSEGV"),
        (-6, PANIC, False, "crashed", "SIGABRT: thread 'main' (77) panicked at crates/"),
        (134, PANIC, False, "crashed", "copy_from_slice: lengths differ"),
        (101, PANIC, False, "crashed", "panicked at"),
        (1, b"Traceback (most recent call last):\n  File x\nValueError: boom\n", False, "crashed", "ValueError: boom"),
        (134, TRAP, False, "trapped", "wasm trap: wasm `unreachable` instruction executed"),
        (1, HOST_ERROR, False, "trapped", "Invalid enum value GraphEncoding"),
        (134, PANIC + TRAP, False, "trapped", "unreachable"),  # a guest's panic, then its trap
        (-6, b"memory allocation of 17179869184 bytes failed\n", False, "out_of_memory", "17179869184"),
        (1, b"Traceback (most recent call last):\nMemoryError\n", False, "out_of_memory", "MemoryError"),
        (-6, b"terminate called after throwing an instance of 'std::bad_alloc'\n", False, "out_of_memory", "bad_alloc"),
        (
            1,
            b"    1: mmap failed\n    2: Cannot allocate memory (os error 12)\n",
            False,
            "out_of_memory",
            "os error 12",
        ),
        (-9, b"", False, "out_of_memory", "SIGKILL"),  # a SIGKILL the adapter did not send
    ],
)
def test_classify(returncode: int, stderr: bytes, timed_out: bool, kind: str, message: str) -> None:
    found = classify(returncode, stderr, timed_out=timed_out)
    assert found.kind == kind
    assert message in found.message
    if kind in {"exited", "trapped"} or (kind == "crashed" and returncode > 0):
        assert (found.exit_code, found.signal) == (returncode, None)
    if returncode < 0 and kind != "hung":
        assert (found.exit_code, found.signal) == (None, -returncode)


def test_classify_takes_other_rules() -> None:
    rules = OutcomeRules(trap_exit_codes=frozenset({2}), trap_patterns=(r"RuntimeError: unreachable",))
    assert classify(2, b"RuntimeError: unreachable\n", rules=rules).kind == "trapped"
    assert classify(134, TRAP, rules=rules).kind == "exited"


# --- real processes ---------------------------------------------------------------------------


def test_stdin_and_stdout_pass_through_larger_than_a_pipe() -> None:
    adapter = python_adapter("import sys; data = sys.stdin.buffer.read(); sys.stdout.buffer.write(data[::-1])")
    data = os.urandom(3 << 20)
    outcome = adapter.run(GUEST, data, {}, timeout=20)
    assert (outcome.kind, outcome.exit_code) == ("exited", 0)
    assert outcome.stdout == data[::-1]


def test_a_host_that_does_not_read_stdin_is_fine() -> None:
    outcome = python_adapter("print('ignored')").run(GUEST, os.urandom(1 << 20), {}, timeout=20)
    assert (outcome.kind, outcome.stdout) == ("exited", b"ignored\n")


def test_exit_code_and_stderr() -> None:
    outcome = python_adapter("import sys; sys.stderr.write('bye'); sys.exit(3)").run(GUEST, b"", {}, timeout=20)
    assert (outcome.kind, outcome.exit_code, outcome.signal, outcome.stderr) == ("exited", 3, None, b"bye")


@pytest.mark.parametrize("number", [signal.SIGSEGV, signal.SIGABRT])
def test_killed_by_a_signal_is_a_crash(number: signal.Signals) -> None:
    outcome = python_adapter(f"import os; os.kill(os.getpid(), {int(number)})").run(GUEST, b"", {}, timeout=20)
    assert (outcome.kind, outcome.signal, outcome.exit_code) == ("crashed", number, None)
    assert number.name in outcome.message


def test_a_host_that_never_exits_is_hung_and_killed_with_its_children() -> None:
    code = """
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        print(child.pid, flush=True)
        time.sleep(60)
    """
    outcome = python_adapter(code).run(GUEST, b"", {}, timeout=1.0)
    assert outcome.kind == "hung"
    assert outcome.seconds < 5
    assert "1 s" in outcome.message
    assert_gone(int(outcome.stdout))


def test_what_a_host_leaves_running_is_killed_when_it_exits() -> None:
    code = """
        import subprocess, sys
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        print(child.pid)
    """
    outcome = python_adapter(code).run(GUEST, b"", {}, timeout=20)
    assert (outcome.kind, outcome.exit_code) == ("exited", 0)
    assert outcome.seconds < 5  # the child holds the output pipes, yet the run does not wait for it
    assert_gone(int(outcome.stdout))


def assert_gone(pid: int) -> None:
    """The process is dead: absent, or a zombie nobody has reaped yet (no init in a container)."""
    status = Path(f"/proc/{pid}/stat")
    if not Path("/proc/self/stat").exists():
        pytest.skip("no /proc to look at processes")
    try:
        state = status.read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return
    assert state in {"Z", "X"}, f"process {pid} still running (state {state})"


def test_a_host_that_closes_its_output_early_is_still_awaited() -> None:
    code = "import os, sys, time; os.close(1); os.close(2); time.sleep(0.3); os._exit(5)"
    outcome = python_adapter(code).run(GUEST, b"", {}, timeout=20)
    assert (outcome.kind, outcome.exit_code) == ("exited", 5)


def test_allocating_past_the_address_space_limit_is_out_of_memory() -> None:
    code = """
        blocks = []
        while True:
            blocks.append(bytearray(64 << 20))
    """
    outcome = python_adapter(code, memory_limit=256 << 20).run(GUEST, b"", {}, timeout=20)
    assert outcome.kind == "out_of_memory"
    assert "MemoryError" in outcome.message


def test_limits_apply_to_the_host() -> None:
    code = (
        "import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0], resource.getrlimit(resource.RLIMIT_CORE)[0])"
    )
    outcome = python_adapter(code, memory_limit=3 << 30).run(GUEST, b"", {}, timeout=20)
    assert outcome.stdout.split() == [str(3 << 30).encode(), b"0"]
    assert resource.getrlimit(resource.RLIMIT_AS)[0] != 3 << 30  # this process is untouched


def test_output_is_capped() -> None:
    code = "import sys; sys.stdout.buffer.write(b'x' * (3 << 20)); sys.stderr.buffer.write(b'y' * 10)"
    outcome = python_adapter(code, output_limit=1 << 20).run(GUEST, b"", {}, timeout=20)
    assert (outcome.kind, len(outcome.stdout), outcome.stderr) == ("exited", 1 << 20, b"y" * 10)
    assert "stdout cut at 1048576 bytes" in outcome.message


def test_a_rust_style_panic_then_exit_134_is_a_crash() -> None:
    code = f"import sys; sys.stderr.buffer.write({PANIC!r}); sys.exit(134)"
    outcome = python_adapter(code).run(GUEST, b"", {}, timeout=20)
    assert (outcome.kind, outcome.exit_code) == ("crashed", 134)
    assert "copy_from_slice" in outcome.message


def test_a_wasm_backtrace_then_exit_134_is_a_trap() -> None:
    code = f"import sys; sys.stdout.buffer.write(b'partial'); sys.stderr.buffer.write({TRAP!r}); sys.exit(134)"
    outcome = python_adapter(code).run(GUEST, b"", {}, timeout=20)
    assert (outcome.kind, outcome.exit_code, outcome.stdout) == ("trapped", 134, b"partial")
    assert outcome.message == "wasm trap: wasm `unreachable` instruction executed"


def test_environment_is_added() -> None:
    code = "import os; print(os.environ['CONFORMANCE_PROBE'], 'PATH' in os.environ)"
    outcome = python_adapter(code, env={"CONFORMANCE_PROBE": "yes"}).run(GUEST, b"", {}, timeout=20)
    assert outcome.stdout == b"yes True\n"


# --- the template ---------------------------------------------------------------------------


def test_the_guest_is_written_once_per_content() -> None:
    adapter = python_adapter("import sys; print(open(sys.argv[1], 'rb').read().hex())")
    first = adapter.guest_file(GUEST)
    assert adapter.guest_file(GUEST) == first
    assert adapter.guest_file(GUEST + b"\0") != first
    outcome = adapter.run(GUEST, b"", {}, timeout=20)
    assert outcome.stdout.strip() == GUEST.hex().encode()


def test_graphs_expand_into_words_where_the_placeholder_is() -> None:
    adapter = CommandAdapter(
        "cli",
        "mycli run {graphs} --guest={wasm}",
        Capabilities(),
        graph_arguments=lambda name, fixture: ["-G", f"{name}::{fixture}"],
    )
    assert adapter.command(Path("g.wasm"), {"a": "mlp", "b c": "add_f32"}) == [
        "mycli",
        "run",
        "-G",
        "a::mlp",
        "-G",
        "b c::add_f32",
        "--guest=g.wasm",
    ]
    assert adapter.command(Path("g.wasm"), {}) == ["mycli", "run", "--guest=g.wasm"]


@pytest.mark.parametrize(
    ("template", "graph_arguments", "error"),
    [
        ("mycli run", None, "no {wasm}"),
        ("mycli run --graphs={graphs} {wasm}", None, "word of its own"),
        ("mycli run {wasm}", lambda name, fixture: [], "no {graphs} word"),
        ("", None, "empty"),
    ],
)
def test_bad_templates_are_refused(template: str, graph_arguments: GraphArguments | None, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        CommandAdapter("cli", template, Capabilities(), graph_arguments=graph_arguments)


def test_graphs_need_graph_arguments() -> None:
    with pytest.raises(ValueError, match="cannot preload"):
        python_adapter("pass").run(GUEST, b"", {"g": "mlp"}, timeout=20)


def test_version_asks_the_program_once() -> None:
    adapter = CommandAdapter("python", f"{PYTHON} {{wasm}}", Capabilities(), version_suffix=" (probe)")
    assert adapter.version() == f"Python {sys.version.split()[0]} (probe)"
    assert adapter.version() is adapter.version()
    silent = CommandAdapter(
        "python", f"{PYTHON} {{wasm}}", Capabilities(), version_command=[sys.executable, "-c", "raise SystemExit(2)"]
    )
    assert silent.version().startswith("unknown (")
    assert "exit 2" in silent.version()
    missing = CommandAdapter("none", "wasi-nn-conformance-no-such-host {wasm}", Capabilities())
    assert missing.version().startswith("unknown (")


# --- the reference host as a subprocess -------------------------------------------------------


def add_f32_script(load_by_name: bytes | None = None) -> tuple[TypedScript, list[npt.NDArray[np.float32]]]:
    """Load add_f32 (ONNX, or by name), set both inputs, compute, read both outputs back."""
    rng = np.random.default_rng(7)
    inputs = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(2)]
    script = TypedScript(nn)
    if load_by_name is None:
        _, graph = script.load(builders("add_f32", "onnx"), int(nn.GraphEncoding.ONNX), int(nn.ExecutionTarget.CPU))
    else:
        _, graph = script.load_by_name(load_by_name)
    _, context = script.init_execution_context(graph.deref())
    for index, value in enumerate(inputs):
        script.set_input(context.deref(), index, value.shape, int(nn.TensorType.F32), value.tobytes())
    script.compute(context.deref())
    for index in range(2):
        _, buffer, written = script.get_output(context.deref(), index, 24)
        script.read_back(buffer)
        script.read_back(written)
    return script, inputs


@pytest.fixture(scope="module")
def reference_subprocess() -> CommandAdapter:
    return reference_command_adapter("2023-08")


def test_the_reference_host_as_a_subprocess_matches_it_in_process(reference_subprocess: CommandAdapter) -> None:
    script, inputs = add_f32_script()
    wasm = driver_wasm(script.imports)
    outcome = reference_subprocess.run(wasm, script.script.to_bytes(), {}, timeout=60)
    in_process = reference_adapter(nn, "2023-08").run(wasm, script.script.to_bytes(), {}, timeout=60)
    assert (outcome.kind, outcome.exit_code) == ("exited", 0), outcome.stderr
    assert outcome.stdout == in_process.stdout
    result = ScriptResult(parse_transcript(outcome.stdout))
    assert result.returned == [0] * 7
    expected = inputs[0] + inputs[1]
    assert np.array_equal(np.frombuffer(result.transcript.reads[0][16:-16], np.float32).reshape(2, 3), expected)


def test_the_reference_subprocess_preloads_graphs(reference_subprocess: CommandAdapter) -> None:
    script, _ = add_f32_script(load_by_name=b"adder")
    wasm = driver_wasm(script.imports)
    outcome = reference_subprocess.run(wasm, script.script.to_bytes(), {"adder": "add_f32"}, timeout=60)
    in_process = reference_adapter(nn, "2023-08").run(wasm, script.script.to_bytes(), {"adder": "add_f32"}, timeout=60)
    assert outcome.kind == "exited", outcome.stderr
    assert outcome.stdout == in_process.stdout
    assert ScriptResult(parse_transcript(outcome.stdout)).returned == [0] * 7


def test_the_reference_subprocess_reports_a_trap(reference_subprocess: CommandAdapter) -> None:
    wasm = wasmtime.wat2wasm('(module (memory (export "memory") 1) (func (export "_start") unreachable))')
    outcome = reference_subprocess.run(bytes(wasm), b"", {}, timeout=60)
    assert (outcome.kind, outcome.exit_code) == ("trapped", 134)
    assert "unreachable" in outcome.message
    assert reference_subprocess.version() == f"wasi-nn-conformance {conformance.__version__}"


def test_model_fixtures_are_untouched_by_packaging() -> None:
    assert builders("mlp", "onnx") == [fixture_models.model_bytes("mlp")]
    assert builders("mlp", "openvino-onnx") == [fixture_models.model_bytes("mlp"), b""]
    with pytest.raises(ValueError, match="unknown packaging"):
        builders("mlp", "tflite")
