"""Putting the reports on disk: atomically, at the end of a run, and every few seconds while it goes on.

A run that ends early still writes its reports, marked incomplete: SIGTERM (a CI job's
timeout) ends it as Ctrl-C does, and the checkpoints leave a report even when the run is
killed outright.
"""

from __future__ import annotations

import json
import shutil
import signal
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from conformance.adapters.base import HostAdapter
from conformance.paths import safe_name, write_atomically
from conformance.reports.cases import Cases
from conformance.reports.data import build, load_report
from conformance.reports.history import history_markdown, history_reports
from conformance.reports.junit import junit_xml
from conformance.reports.markdown import summary_markdown
from conformance.reports.page import html_page
from conformance.results import Ledger

CHECKPOINT_SECONDS = 5.0
"""How often a run in progress rewrites its reports."""


def default_report_dir(host: str) -> Path:
    """Where a host's reports go unless ``--wasi-nn-report`` says: ``reports/HOST``."""
    return Path("reports") / safe_name(host)


def write_reports(ledger: Ledger, host: HostAdapter, folder: Path) -> list[Path]:
    """Write the run's reports and reproducers into ``folder``; returns the report files written."""
    data, cases = build(ledger, host, folder)
    _write_cases(cases)
    files = {
        "report.json": json.dumps(data, indent=2, ensure_ascii=False).encode(),
        "junit.xml": junit_xml(data),
        "summary.md": summary_markdown(data).encode(),
        "index.html": html_page([data]).encode(),
    }
    written = []
    for name, content in files.items():
        write_atomically(folder / name, content)
        written.append(folder / name)
    ledger.reported_at = time.monotonic()
    return written


def checkpoint(ledger: Ledger, host: HostAdapter, folder: Path) -> bool:
    """Rewrite the reports of a run still going, at most every :data:`CHECKPOINT_SECONDS`; returns whether it did."""
    if ledger.reported_at and time.monotonic() - ledger.reported_at < CHECKPOINT_SECONDS:
        return False
    write_reports(ledger, host, folder)
    return True


def sigterm_as_interrupt() -> Callable[[], None]:
    """Make SIGTERM end the run as Ctrl-C does, so that a CI job's timeout still leaves reports.

    Returns what undoes it. Nothing changes when SIGTERM already has a handler of its own or
    this is not the main thread (where Python runs signal handlers).
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return lambda: None

    def interrupt(number: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {number}")

    def restore() -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    signal.signal(signal.SIGTERM, interrupt)
    return restore


def combine(paths: Sequence[Path], out: Path, history: bool = False) -> Path:
    """Write ``out/index.html``: the page of several reports side by side.

    With ``history`` the reports are one host's releases, oldest first: each column is named by
    its release and links to its own page, and the page lists what changed from one release to
    the next, as does ``out/history.md`` (:mod:`conformance.reports.history`).
    """
    reports = [load_report(path) for path in paths]
    target = out / "index.html"
    if history:
        folders = [path if path.is_dir() else path.parent for path in paths]
        write_atomically(out / "history.md", history_markdown(reports).encode())
        write_atomically(target, html_page(history_reports(reports, folders, out)).encode())
        return target
    write_atomically(target, html_page(reports).encode())
    return target


def _write_cases(cases: Cases) -> None:
    """Write every case folder, and remove those of earlier runs that this one no longer has."""
    from conformance.adapters.inprocess import model_file

    repro = cases.folder / "repro"
    for case in cases.by_digest.values():
        reproducer = case.first.reproducer
        assert reproducer is not None
        base = repro / case.name
        # The name holds a digest of the guest, stdin and graphs: a file already there is this one.
        for name, data in (("guest.wasm", reproducer.wasm), ("stdin.bin", reproducer.stdin)):
            if not (base / name).exists():
                write_atomically(base / name, data)
        for name, fixture in reproducer.graphs.items():
            if not (base / "graphs" / f"{name}.onnx").exists():
                write_atomically(base / "graphs" / f"{name}.onnx", model_file(fixture).read_bytes())
        write_atomically(base / "script.txt", "".join(f"{step}\n" for step in reproducer.steps).encode())
        write_atomically(base / "transcript.txt", "".join(f"{line}\n" for line in case.first.transcript).encode())
        write_atomically(base / "case.json", json.dumps(cases.case_json(case), indent=2).encode())
    for corpus_case in cases.corpus:
        base = repro / corpus_case.name
        write_atomically(base / "guest.wasm", corpus_case.wasm)
        write_atomically(base / "stdin.bin", corpus_case.stdin)
        write_atomically(base / "transcript.txt", "".join(f"{line}\n" for line in corpus_case.transcript).encode())
        write_atomically(base / "case.json", json.dumps(corpus_case.case_json, indent=2).encode())
    if repro.is_dir():
        current = {case.name for case in cases.by_digest.values()} | {corpus_case.name for corpus_case in cases.corpus}
        for stale in repro.iterdir():
            # Only folders with a case.json are cases: whatever else someone put there stays.
            if stale.name not in current and (stale / "case.json").is_file():
                shutil.rmtree(stale, ignore_errors=True)
