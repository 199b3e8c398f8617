"""The subprocess path is real: the reference host through its command line gets the same verdicts."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any


def _verdicts(report_dir: Path, *host_options: str) -> dict[str, dict[str, str]]:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "conformance.tests",
            "-k",
            "test_clause",
            "-p",
            "no:cacheprovider",
            "--hypothesis-profile=dev",
            f"--wasi-nn-report={report_dir}",
            *host_options,
        ],
        cwd=report_dir.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
    report: dict[str, Any] = json.loads((report_dir / "report.json").read_text())
    return {clause["id"]: clause["verdicts"] for clause in report["clauses"]}


def test_the_reference_host_as_a_subprocess_gets_the_in_process_verdicts(tmp_path: Path) -> None:
    in_process = _verdicts(tmp_path / "in-process")
    command = f"{shlex.quote(sys.executable)} -m conformance run {{graphs}} {{wasm}}"
    subprocess_host = _verdicts(tmp_path / "subprocess", f"--wasi-nn-host-command={command}")
    asked_of_both = [
        clause
        for clause, verdicts in subprocess_host.items()
        if "skipped" not in verdicts.values() and "skipped" not in in_process[clause].values()
    ]
    assert len(asked_of_both) >= 50
    assert {clause: subprocess_host[clause] for clause in asked_of_both} == {
        clause: in_process[clause] for clause in asked_of_both
    }
    assert all(
        verdict in ("passed", "not_applicable") for clause in asked_of_both for verdict in in_process[clause].values()
    )
