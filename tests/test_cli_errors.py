"""No command of ``wasi-nn-conformance`` shows a traceback for bad input.

A usage error of any command exits 2 with one line on stderr, ``wasi-nn-conformance: error:
...``, naming the problem (1 is what a guest of ``run`` exits with for its own failures). A
malformed WITX file keeps its ``FILE:LINE:COL: ...`` line. An unexpected exception is a bug:
one line and how to get its traceback, exit 70.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import wasmtime

from conformance import cli
from tests.test_report_corpus import corpus_report

Arguments = Callable[[Path], list[str]]

NO_START = '(module (memory (export "memory") 1) (func (export "main")))'
EMPTY_COMMAND = '(module (memory (export "memory") 1) (func (export "_start")))'


def conformance(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != cli.VERBOSE_ENV}
    return subprocess.run(
        [sys.executable, "-m", "conformance", *arguments],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=environment,
    )


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    return path


def command_guest(folder: Path) -> str:
    return str(write(folder / "guest.wasm", bytes(wasmtime.wat2wasm(EMPTY_COMMAND))))


def a_file(folder: Path) -> str:
    """A regular file, under which no folder can be made, so writing there fails even as root."""
    return str(write(folder / "file", "x"))


def case_folder(folder: Path, case: object) -> str:
    write(folder / "case" / "case.json", case if isinstance(case, str) else json.dumps(case))
    return str(folder / "case")


def a_report(folder: Path) -> str:
    return str(write(folder / "report.json", json.dumps(corpus_report())))


# (id, the command's arguments, what the one line of stderr says)
USAGE_ERRORS: list[tuple[str, Arguments, str]] = [
    ("no-command", lambda tmp: [], "the following arguments are required: COMMAND"),
    ("unknown-command", lambda tmp: ["bogus"], "invalid choice: 'bogus'"),
    ("run-no-guest", lambda tmp: ["run"], "the following arguments are required: GUEST"),
    ("run-unknown-option", lambda tmp: ["run", "--bogus", command_guest(tmp)], "unrecognized arguments: --bogus"),
    ("run-missing-guest", lambda tmp: ["run", str(tmp / "missing.wasm")], "no such guest file"),
    ("run-guest-is-a-folder", lambda tmp: ["run", str(tmp)], "no such guest file"),
    (
        "run-not-wasm",
        lambda tmp: ["run", str(write(tmp / "photo.wasm", b"\x89PNG\r\n\x1a\n"))],
        "photo.wasm is not a WebAssembly module: neither binary wasm nor WAT text",
    ),
    (
        "run-text-not-wat",
        lambda tmp: ["run", str(write(tmp / "notes.wasm", "hello"))],
        "notes.wasm is not a WebAssembly module",
    ),
    ("run-malformed-wat", lambda tmp: ["run", str(write(tmp / "broken.wat", "(module\n  (func"))], "broken.wat:2:"),
    (
        "run-truncated-wasm",
        lambda tmp: ["run", str(write(tmp / "cut.wasm", b"\0asm\1\0\0\0\1"))],
        "cut.wasm: invalid WebAssembly module: failed to parse WebAssembly module: unexpected end-of-file",
    ),
    (
        "run-no-start",
        lambda tmp: ["run", str(write(tmp / "library.wat", NO_START))],
        "library.wat exports no _start function",
    ),
    (
        "run-dir-missing",
        lambda tmp: ["run", "--dir", "/nonexistent::/", command_guest(tmp)],
        "--dir /nonexistent::/: no such folder /nonexistent",
    ),
    ("run-dir-empty-guest", lambda tmp: ["run", "--dir", f"{tmp}::", command_guest(tmp)], "--dir expects"),
    (
        "run-graph-missing",
        lambda tmp: ["run", "--graph", f"mlp={tmp / 'mlp.onnx'}", command_guest(tmp)],
        "no such file",
    ),
    ("run-graph-malformed", lambda tmp: ["run", "--graph", "mlp", command_guest(tmp)], "--graph expects NAME=MODEL"),
    ("run-env-malformed", lambda tmp: ["run", "--env", "FOO", command_guest(tmp)], "--env expects K=V, got 'FOO'"),
    ("run-revision-unknown", lambda tmp: ["run", "--revision", "1999", command_guest(tmp)], "unknown WITX revision"),
    ("replay-not-a-case", lambda tmp: ["replay", str(tmp)], "is not a case folder of a report"),
    ("replay-not-json", lambda tmp: ["replay", case_folder(tmp, "{")], "case.json"),
    ("replay-not-an-object", lambda tmp: ["replay", case_folder(tmp, [1])], "the JSON is no object"),
    (
        "replay-fields-missing",
        lambda tmp: ["replay", case_folder(tmp, {"case_version": 1, "kind": "scenario"})],
        "malformed case: no 'host.option'",
    ),
    (
        "replay-scenario-malformed",
        lambda tmp: [
            "replay",
            case_folder(
                tmp,
                {
                    "case_version": 1,
                    "kind": "scenario",
                    "host": {"option": "reference", "command": None},
                    "revision": "2023-08",
                    "test": "t",
                    "clauses": [],
                    "scenario": {"operations": [{"operation": "no_such_operation"}]},
                },
            ),
        ],
        "malformed scenario",
    ),
    ("report-not-a-report", lambda tmp: ["report", a_file(tmp), "-o", str(tmp / "out")], "not JSON"),
    (
        "report-out-unwritable",
        lambda tmp: ["report", a_report(tmp), "-o", f"{a_file(tmp)}/out"],
        "cannot write to",
    ),
    ("report-no-out", lambda tmp: ["report", a_report(tmp)], "the following arguments are required: -o/--out"),
    (
        "generate-out-unwritable",
        lambda tmp: ["generate", "--out", f"{a_file(tmp)}/out"],
        "cannot write to",
    ),
    ("fixtures-out-unwritable", lambda tmp: ["fixtures", "--out", f"{a_file(tmp)}/out"], "cannot write to"),
]


@pytest.mark.parametrize(
    ("arguments", "problem"), [case[1:] for case in USAGE_ERRORS], ids=[c[0] for c in USAGE_ERRORS]
)
def test_a_usage_error_is_one_line_and_exit_2(tmp_path: Path, arguments: Arguments, problem: str) -> None:
    completed = conformance(*arguments(tmp_path))
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr
    [line] = completed.stderr.splitlines()
    assert line.startswith("wasi-nn-conformance: error: ")
    assert problem in line
    assert len(line) < 300


@pytest.mark.parametrize(
    ("witx", "problem"),
    [
        (None, "expected a readable WITX file, found No such file or directory"),
        ("(typename $a u32)\n(typename $b\n  (record (field $x $nope)))\n", ":3:21: expected a defined type name"),
        ("garbage", ":1:1: expected a top-level form"),
    ],
    ids=["missing", "undefined-type", "garbage"],
)
def test_a_bad_witx_file_is_one_file_line_column_line_and_exit_2(
    tmp_path: Path, witx: str | None, problem: str
) -> None:
    path = tmp_path / "my.witx"
    if witx is not None:
        path.write_text(witx)
    completed = conformance("generate", "--witx", str(path), "--out", str(tmp_path / "out"))
    assert completed.returncode == 2
    [line] = completed.stderr.splitlines()
    assert line.startswith(f"{path}:")
    assert problem in line


def test_the_help_says_what_the_tool_is_and_how_to_run_the_suite() -> None:
    completed = conformance("--help")
    assert completed.returncode == 0
    text = completed.stdout
    assert "conformance suite for hosts of WASI-NN" in text
    assert "nox -s conformance" in text
    assert "pytest --pyargs conformance.tests --wasi-nn-host" in text
    for command in ("run", "replay", "report", "generate", "fixtures"):
        assert f"\n    {command} " in text
    assert "``" not in text  # no reStructuredText


def test_run_help_documents_its_exit_statuses() -> None:
    text = conformance("run", "--help").stdout
    assert "134 when it traps" in text
    assert "126 when it cannot be linked" in text
    assert "--trap-unknown-imports" in text
    assert "HOST[::GUEST]" in text


def test_an_unexpected_exception_is_one_line_and_a_request_to_report_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(arguments: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "_generate", broken)
    monkeypatch.delenv(cli.VERBOSE_ENV, raising=False)
    assert cli.main(["generate"]) == 70
    error, hint = capsys.readouterr().err.splitlines()
    assert error == "wasi-nn-conformance: internal error: RuntimeError: boom"
    assert "bug" in hint
    assert cli.VERBOSE_ENV in hint
    monkeypatch.setenv(cli.VERBOSE_ENV, "1")
    assert cli.main(["generate"]) == 70
    assert "Traceback (most recent call last)" in capsys.readouterr().err
