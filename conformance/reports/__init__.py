"""Reports of a conformance run, written from the ledger into ``reports/HOST/``.

- ``report.json``: everything, in the format ``report.schema.json`` documents (version
  :data:`SCHEMA_VERSION`); the other files are rendered from this very data, so they agree
  (:mod:`conformance.reports.data`).
- ``junit.xml``: a testcase per clause and per ONNX node corpus case, for CI systems
  (:mod:`conformance.reports.junit`).
- ``summary.md``: pass rate per level, failures with their one-line reproducer, every clause,
  and the corpus by operator (:mod:`conformance.reports.markdown`).
- ``index.html``: one self-contained page (inline CSS and JS, no network): the matrix of
  clauses by level and the matrix of operators, with filters; a failing cell opens to its
  transcript and reproducer (:mod:`conformance.reports.page`). ``wasi-nn-conformance report A/report.json B/report.json
  -o DIR`` builds it for several hosts side by side (:func:`combine`).
- ``repro/CASE/``: per failing case, the guest, its stdin, its graphs and ``case.json``,
  which ``wasi-nn-conformance replay`` re-runs (:mod:`conformance.reports.cases`, in the
  format of :mod:`conformance.reproducers`, read by :mod:`conformance.replay`);
  ``repro/corpus-ID/`` likewise per failing corpus case (:mod:`conformance.corpus.report`).

Every file is written atomically. A run that ends early still writes them, marked
incomplete; while a run goes on, they are rewritten every few seconds as a checkpoint, so
even a run killed outright leaves a report saying it is incomplete
(:mod:`conformance.reports.files`).
"""

from __future__ import annotations

from conformance.paths import write_atomically
from conformance.reports.data import SCHEMA_PATH, SCHEMA_VERSION
from conformance.reports.files import (
    checkpoint,
    combine,
    default_report_dir,
    sigterm_as_interrupt,
    write_reports,
)
from conformance.reports.markdown import summary_markdown

__all__ = [
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "checkpoint",
    "combine",
    "default_report_dir",
    "sigterm_as_interrupt",
    "summary_markdown",
    "write_atomically",
    "write_reports",
]
