"""The suite inside pytest: bad options are one line, and sessions that do not run the suite are left alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

#: A test that fails if anything of the suite was imported into its session.
UNTOUCHED = """
import sys

def test_the_suite_stayed_out():
    loaded = [name for name in ("onnxruntime", "wasmtime", "numpy", "conformance.plugin") if name in sys.modules]
    assert not loaded, loaded
"""


def _pytest(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *arguments],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_session_that_does_not_run_the_suite_imports_nothing_of_it(tmp_path: Path) -> None:
    (tmp_path / "test_other.py").write_text(UNTOUCHED)
    completed = _pytest(tmp_path, "test_other.py")
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        (["--wasi-nn-host", "nosuchhost"], "unknown host 'nosuchhost'"),
        (["--wasi-nn-revision", "1999"], "unknown WITX revision '1999'"),
        (["--wasi-nn-host-command", "mycli run"], "has no {wasm}"),
        (["--wasi-nn-host-command", "mycli 'run {wasm}"], "does not parse as a command line"),
        (["--wasi-nn-host", "no_such_module_here:make"], "does not import: ModuleNotFoundError"),
        (["--wasi-nn-host", "json:no_such_factory"], "has no 'no_such_factory'"),
        (["--wasi-nn-host", ":make"], "expected a Python host as module:factory"),
        (["--wasi-nn-corpus", "every"], "invalid choice: 'every'"),
        (["--wasi-nn-timeout-factor", "0.5"], "the timeout factor must be at least 1, got 0.5"),
        (["--wasi-nn-timeout", "0"], "the timeout must be positive, got 0"),
    ],
)
def test_a_bad_option_is_one_line_and_a_usage_error(tmp_path: Path, options: list[str], complaint: str) -> None:
    completed = _pytest(tmp_path, "--pyargs", "conformance.tests", *options)
    output = completed.stdout + completed.stderr
    assert completed.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert complaint in output
    assert "Traceback" not in output
    # One line of ours; pytest frames its own argument errors with its usage, inifile and rootdir.
    assert len([line for line in completed.stderr.splitlines() if line.strip()]) <= 4, completed.stderr
