"""``index.html``: one self-contained page of one or more reports, side by side.

The page is ``page.html`` with ``page.css`` and ``page.js`` put inline and the reports as JSON,
so it needs no network and no file beside it. ``page.html`` marks what is filled in as
``$name`` (:class:`string.Template`): ``title``, ``version``, ``style``, ``data`` and ``script``.

It has two views: the clauses by level, and, when a report has an ONNX node corpus, its
operators by report, each cell opening to the cases of that operator on that host (outcome,
verdict, call, errno, largest error and tolerance, model, tensors, transcript, reproducer).
The fragment of the address holds the view, the filters and what is open
(``#view=operators&operator=HOST:OPERATOR``, ``#case=HOST:CASE``), so a view can be shared.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from string import Template
from typing import Any

from conformance import __version__


@functools.cache
def _template(name: str) -> str:
    return resources.files("conformance.reports").joinpath(name).read_text(encoding="utf-8")


def html_page(reports: Sequence[Mapping[str, Any]]) -> str:
    """The self-contained page of one or more reports, side by side."""
    # The page needs the clauses and the corpus, not the per-test records; a "<" inside a JSON
    # string could end the script element, so every one is escaped.
    trimmed = [{key: value for key, value in report.items() if key != "tests"} for report in reports]
    payload = json.dumps(trimmed, ensure_ascii=False).replace("<", "\\u003c")
    hosts = ", ".join(str(report["host"]["name"]) for report in reports)
    title = f"WASI-NN conformance: {hosts}"
    escaped_title = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    suite_version = reports[0]["suite"]["version"] if reports else __version__
    return Template(_template("page.html")).substitute(
        title=escaped_title,
        version=suite_version,
        style=_template("page.css"),
        data=payload,
        script=_template("page.js"),
    )
