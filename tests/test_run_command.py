"""``wasi-nn-conformance run``: a WASI-NN guest on the reference host, from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from conformance import models

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


def run(*arguments: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", "run", *arguments], input=stdin, capture_output=True, check=False
    )


def test_streams_pass_through_and_the_exit_code_is_the_guests(tmp_path: Path) -> None:
    guest = tmp_path / "echo.wat"
    guest.write_text(ECHO_GUEST)
    completed = run(str(guest), "--env", "A=1", "--env", "B=2", stdin=b"hello guest")
    assert completed.stdout == b"hello guest"
    assert completed.stderr == b"hello guest"
    assert completed.returncode == 2


def test_a_trap_prints_the_backtrace_and_exits_134(tmp_path: Path) -> None:
    guest = tmp_path / "trap.wat"
    guest.write_text(TRAPPING_GUEST)
    completed = run(str(guest))
    assert completed.returncode == 134
    assert b"wasm backtrace" in completed.stderr
    assert b"unreachable" in completed.stderr


def test_graph_registers_a_model_for_load_by_name(tmp_path: Path) -> None:
    guest = tmp_path / "named.wat"
    guest.write_text(LOAD_BY_NAME_GUEST)
    (tmp_path / "mlp.onnx").write_bytes(models.model_bytes("mlp"))
    assert run(str(guest), "--graph", f"mlp={tmp_path / 'mlp.onnx'}").returncode == 0
    assert run(str(guest)).returncode == 8  # not_found without it


def test_the_classify_demo_runs_from_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(models.model_bytes("squeezenet_1_1"))
    (tmp_path / "image.bin").write_bytes(models.demo_image().astype("<f4").tobytes())
    guest = Path(__file__).resolve().parent.parent / "fixtures" / "guests" / "classify.wat"
    completed = run(str(guest), "--dir", f"{tmp_path}::/", "--", "model.onnx", "image.bin")
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.decode().splitlines()
    assert len(lines) == 5
    assert all(line.startswith(f"{rank}. class ") for rank, line in enumerate(lines, 1))
    scores = [float(line.rsplit(" ", 1)[1]) for line in lines]
    assert scores == sorted(scores, reverse=True)
    assert np.all(np.array(scores) > 0)


def test_bad_arguments_are_reported_without_a_traceback(tmp_path: Path) -> None:
    completed = run(str(tmp_path / "missing.wasm"))
    assert completed.returncode != 0
    assert b"no such guest" in completed.stderr
    assert b"Traceback" not in completed.stderr
    completed = run(str(tmp_path / "missing.wasm"), "--revision", "1999-01")
    assert b"unknown WITX revision" in completed.stderr
