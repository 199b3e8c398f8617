"""The README's demo works as shown."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from conformance.paths import PROJECT_ROOT as PROJECT


def _demo() -> tuple[list[str], str]:
    text = (PROJECT / "README.md").read_text()
    block = text.split("<!-- demo", 1)[1].split("<!-- end demo -->", 1)[0]
    commands, output = re.findall(r"```(?:sh)?\n(.*?)```", block, flags=re.DOTALL)
    return [line for line in commands.splitlines() if line.strip()], output


def test_the_readme_demo_prints_what_the_readme_shows(tmp_path: Path) -> None:
    commands, expected = _demo()
    assert commands[0] == "python3 -m pip install ."  # the test environment has the package already
    (tmp_path / "fixtures").symlink_to(PROJECT / "fixtures")
    printed = ""
    for command in commands[1:]:
        words = shlex.split(command)
        assert words[0] == "wasi-nn-conformance"
        completed = subprocess.run(
            [sys.executable, "-m", "conformance", *words[1:]], cwd=tmp_path, capture_output=True, text=True, check=False
        )
        assert completed.returncode == 0, completed.stderr
        printed = completed.stdout
    assert printed == expected
