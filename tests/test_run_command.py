"""``wasi-nn-conformance run``: a WASI-NN guest on the reference host, from the command line.

Besides running guests: it explains what goes wrong: a refused call with the host's reason
(``-v``), an import the revision lacks (exit 126, with the revision that has it), a guest that
looks built for 2022-10; ``--trap-unknown-imports`` lets a guest run until it calls such an
import. The usage errors of every command are in tests/test_cli_errors.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import wasmtime

from conformance import cli, fixture_models
from conformance.host import GuestOptions, ReferenceHost, run_guest
from conformance.host.runner import LINK_ERROR_EXIT_CODE
from conformance.paths import GUESTS_DIR
from conformance.revisions import revision

ECHO_GUEST = """
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  ;; Copy stdin to stdout and stderr, then exit with the number of environment variables.
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 1024))
    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 4) (i32.load (i32.const 8)))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 12)))
    (drop (call $write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 12)))
    (drop (call $env_sizes (i32.const 16) (i32.const 20)))
    (call $exit (i32.load (i32.const 16)))))
"""

TRAPPING_GUEST = '(module (memory (export "memory") 1) (func (export "_start") unreachable))'

LOAD_BY_NAME_GUEST = """
(module
  (import "wasi_ephemeral_nn" "load_by_name" (func $load_by_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "mlp")
  ;; Exit with the errno of load_by_name("mlp").
  (func (export "_start")
    (call $exit (call $load_by_name (i32.const 16) (i32.const 3) (i32.const 32)))))
"""

ARGS_GUEST = """
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; Print every argument, argv[0] included, one a line.
  (func (export "_start")
    (local $at i32) (local $end i32)
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (drop (call $get (i32.const 16) (i32.const 1024)))
    (local.set $at (i32.const 1024))
    (local.set $end (i32.add (i32.const 1024) (i32.load (i32.const 4))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
      (if (i32.eqz (i32.load8_u (local.get $at))) (then (i32.store8 (local.get $at) (i32.const 10))))
      (local.set $at (i32.add (local.get $at) (i32.const 1)))
      (br $next)))
    (i32.store (i32.const 8) (i32.const 1024))
    (i32.store (i32.const 12) (i32.load (i32.const 4)))
    (drop (call $write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 0)))))
"""

PREOPEN_GUEST = """
(module
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  ;; Print the guest path of the first preopened folder (fd 3); exit 1 without one.
  (func (export "_start")
    (if (call $prestat (i32.const 3) (i32.const 0)) (then (call $exit (i32.const 1))))
    (drop (call $name (i32.const 3) (i32.const 64) (i32.load (i32.const 4))))
    (i32.store (i32.const 16) (i32.const 64))
    (i32.store (i32.const 20) (i32.load (i32.const 4)))
    (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))
"""

REFUSED_GUEST = """
(module
  (import "wasi_ephemeral_nn" "load" (func $load (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_ephemeral_nn" "init_execution_context" (func $init (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  ;; load with encoding 99, then init_execution_context of graph 7, never loaded; exit with its errno.
  (func (export "_start")
    (drop (call $load (i32.const 0) (i32.const 0) (i32.const 99) (i32.const 0) (i32.const 32)))
    (call $exit (call $init (i32.const 7) (i32.const 32)))))
"""

# A guest as built for 2022-10: no load_by_name. It loads a tensorflow model, which the
# reference host does not serve: unsupported_operation (6) in 2023-08, an errno 2022-10
# lacks (it answers invalid_encoding, 2).
OLDER_REVISION_GUEST = """
(module
  (import "wasi_ephemeral_nn" "load" (func $load (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  ;; One empty builder at 0; encoding 2 (tensorflow in both revisions), target cpu.
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (call $exit (call $load (i32.const 0) (i32.const 1) (i32.const 2) (i32.const 0) (i32.const 32)))))
"""

# WasmEdge's extensions: neither revision has them. The guest prints before it calls one.
EXTENSION_GUEST = """
(module
  (import "wasi_ephemeral_nn" "unload" (func $unload (param i32) (result i32)))
  (import "wasi_ephemeral_nn" "load_by_name_with_config" (func $with_config (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "before unload\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 14))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (call $unload (i32.const 0)))))
"""

WRONG_SIGNATURE_GUEST = """
(module
  (import "wasi_ephemeral_nn" "load_by_name" (func $load_by_name (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))
"""

NN_FUNCTIONS_2023_08 = "load, load_by_name, init_execution_context, set_input, get_output, compute"


def run(
    *arguments: str, stdin: bytes = b"", cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    environment = {key: value for key, value in os.environ.items() if key != "WASI_NN_CONFORMANCE_VERBOSE"}
    return subprocess.run(
        [sys.executable, "-m", "conformance", "run", *arguments],
        input=stdin,
        capture_output=True,
        check=False,
        cwd=cwd,
        env=environment | (env or {}),
    )


def guest(folder: Path, text: str, name: str = "guest.wasm") -> Path:
    """The guest written as binary wasm (or as WAT text for a .wat name)."""
    path = folder / name
    if name.endswith(".wat"):
        path.write_text(text)
    else:
        path.write_bytes(bytes(wasmtime.wat2wasm(text)))
    return path


def lines(stream: bytes) -> list[str]:
    return stream.decode().splitlines()


def test_streams_pass_through_and_the_exit_code_is_the_guests(tmp_path: Path) -> None:
    completed = run(str(guest(tmp_path, ECHO_GUEST, "echo.wat")), "--env", "A=1", "--env", "B=2", stdin=b"hello guest")
    assert completed.stdout == b"hello guest"
    assert completed.stderr == b"hello guest"
    assert completed.returncode == 2


def test_a_trap_prints_the_backtrace_and_exits_134(tmp_path: Path) -> None:
    completed = run(str(guest(tmp_path, TRAPPING_GUEST, "trap.wat")))
    assert completed.returncode == 134
    assert b"wasm backtrace" in completed.stderr
    assert b"unreachable" in completed.stderr


def test_graph_registers_a_model_for_load_by_name(tmp_path: Path) -> None:
    named = guest(tmp_path, LOAD_BY_NAME_GUEST)
    (tmp_path / "mlp.onnx").write_bytes(fixture_models.model_bytes("mlp"))
    assert run(str(named), "--graph", f"mlp={tmp_path / 'mlp.onnx'}").returncode == 0
    assert run(str(named)).returncode == 8  # not_found without it


def test_the_classify_demo_runs_from_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(fixture_models.model_bytes("squeezenet_1_1"))
    (tmp_path / "image.bin").write_bytes(fixture_models.demo_image().astype("<f4").tobytes())
    classify = GUESTS_DIR / "classify.wat"
    # --dir . preopens the current folder as itself, and the guest's arguments need no --.
    completed = run(str(classify), "--dir", ".", "model.onnx", "image.bin", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    printed = lines(completed.stdout)
    assert len(printed) == 5
    assert all(line.startswith(f"{rank}. class ") for rank, line in enumerate(printed, 1))
    scores = [float(line.rsplit(" ", 1)[1]) for line in printed]
    assert scores == sorted(scores, reverse=True)
    assert np.all(np.array(scores) > 0)


@pytest.mark.parametrize(
    ("words", "guests"),
    [
        (["g.wasm", "a", "b"], ["a", "b"]),
        (["g.wasm", "--", "-v", "x"], ["-v", "x"]),
        # Options of run right after the guest are still run's (the form documented first), up to the first other word.
        (["g.wasm", "--dir", "d::/", "--env=A=1", "-v", "--", "a"], ["a"]),
        (["g.wasm", "--env", "A=1", "a", "--env", "b"], ["a", "--env", "b"]),
        (["g.wasm", "--unknown", "a"], ["--unknown", "a"]),  # the guest's, as in the Wasmtime CLI
        (["--revision", "2022-10", "g.wasm", "-v", "x", "-v"], ["x", "-v"]),
        (["--env", "A=1", "--", "g.wasm", "--env"], ["--env"]),
    ],
)
def test_the_words_after_the_guest_are_the_guests(words: list[str], guests: list[str]) -> None:
    parsed = cli._parse(["run", *words])
    assert parsed.guest == Path("g.wasm")
    assert parsed.arguments == guests


def test_guest_arguments_reach_the_guest_without_a_double_dash(tmp_path: Path) -> None:
    completed = run(str(guest(tmp_path, ARGS_GUEST)), "a", "--env", "b")
    assert lines(completed.stdout) == ["guest.wasm", "a", "--env", "b"]


def test_dir_preopens_a_path_as_itself(tmp_path: Path) -> None:
    preopen = str(guest(tmp_path, PREOPEN_GUEST))
    assert run("--dir", str(tmp_path), preopen).stdout.decode() == str(tmp_path)
    assert run("--dir", ".", preopen, cwd=tmp_path).stdout == b"."


def test_verbose_prints_each_refused_call_with_the_hosts_reason(tmp_path: Path) -> None:
    refused = str(guest(tmp_path, REFUSED_GUEST))
    expected = [
        "wasi-nn: load -> invalid_encoding: 99 is not a graph_encoding",
        "wasi-nn: init_execution_context -> invalid_argument: graph 7 was never loaded",
    ]
    completed = run("-v", "--revision", "2023-08", refused)
    assert completed.returncode == 1  # invalid_argument, which the guest exits with
    assert lines(completed.stderr) == expected
    assert lines(run("--revision", "2023-08", refused, env={"WASI_NN_CONFORMANCE_VERBOSE": "1"}).stderr) == expected
    quiet = run("--revision", "2023-08", refused)
    assert quiet.returncode == 1
    assert quiet.stderr == b""


def test_a_guest_of_the_older_revision_gets_a_hint_after_a_failed_call(tmp_path: Path) -> None:
    older = str(guest(tmp_path, OLDER_REVISION_GUEST))
    completed = run("-v", older)
    assert completed.returncode == 6  # unsupported_operation, which 2022-10 does not have
    call, hint = lines(completed.stderr)
    assert call == (
        "wasi-nn: load -> unsupported_operation: no backend loads tensorflow (errno 6; revision 2022-10 has no errno 6)"
    )
    assert hint.startswith("wasi-nn-conformance: hint: the guest imports no load_by_name, like guests built for")
    assert "1 wasi-nn call failed under revision 2023-08" in hint
    assert "u8 is 2, not 3" in hint
    assert hint.endswith("try --revision 2022-10")
    # Under the revision it was built for: the errno of that revision, and nothing to hint.
    chosen = run("--revision", "2022-10", older)
    assert chosen.returncode == 2  # invalid_encoding
    assert chosen.stderr == b""


def test_an_import_the_revision_lacks_is_a_link_error_that_names_it(tmp_path: Path) -> None:
    extension = str(guest(tmp_path, EXTENSION_GUEST))
    completed = run(extension)
    assert completed.returncode == LINK_ERROR_EXIT_CODE == 126
    assert completed.stdout == b""
    assert lines(completed.stderr) == [
        "wasi-nn-conformance: cannot link the guest: it imports wasi_ephemeral_nn::unload and "
        "wasi_ephemeral_nn::load_by_name_with_config, which revision 2023-08 does not define "
        f"(it has {NN_FUNCTIONS_2023_08})",
        "wasi-nn-conformance: hint: --trap-unknown-imports links each missing function to one that traps when "
        "called, so the guest runs until it calls one",
    ]


def test_a_link_error_suggests_the_revision_that_has_every_import(tmp_path: Path) -> None:
    completed = run("--revision", "2022-10", str(guest(tmp_path, LOAD_BY_NAME_GUEST)))
    assert completed.returncode == 126
    message, suggestion, _ = lines(completed.stderr)
    assert "it imports wasi_ephemeral_nn::load_by_name, which revision 2022-10 does not define" in message
    assert suggestion == (
        "wasi-nn-conformance: hint: revision 2023-08 has every wasi_ephemeral_nn function the guest imports: "
        "try --revision 2023-08"
    )


def test_an_import_of_another_signature_is_a_link_error(tmp_path: Path) -> None:
    completed = run(str(guest(tmp_path, WRONG_SIGNATURE_GUEST)))
    assert completed.returncode == 126
    assert lines(completed.stderr) == [
        "wasi-nn-conformance: cannot link the guest: it imports wasi_ephemeral_nn::load_by_name as "
        "(i32, i32) -> (i32), but revision 2023-08 has (i32, i32, i32) -> (i32)"
    ]


def test_trap_unknown_imports_runs_the_guest_until_it_calls_one(tmp_path: Path) -> None:
    completed = run("--trap-unknown-imports", str(guest(tmp_path, EXTENSION_GUEST)))
    assert completed.stdout == b"before unload\n"
    assert completed.returncode == 134
    assert lines(completed.stderr) == [
        "Error: the guest trapped:",
        "the guest called wasi_ephemeral_nn::unload, but revision 2023-08 does not define it "
        "(unknown imports were linked to trap)",
    ]


def test_run_guest_still_reports_a_link_error_as_a_trap() -> None:
    # The suite judges link.unknown-import from this: refused at instantiation, like a trap.
    bindings = revision().bindings
    wasm = bytes(wasmtime.wat2wasm(EXTENSION_GUEST))
    ended = run_guest(wasm, ReferenceHost, bindings, GuestOptions())
    assert ended.exit_code == 134
    assert ended.link_error is not None
    assert [problem.qualified for problem in ended.link_error.problems] == [
        "wasi_ephemeral_nn::unload",
        "wasi_ephemeral_nn::load_by_name_with_config",
    ]
    assert ended.trap == str(ended.link_error)
    assert ended.stdout == b""
