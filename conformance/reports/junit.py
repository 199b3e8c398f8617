"""``junit.xml``: a report as JUnit XML for CI systems, a testcase per clause.

A failed clause or an unexpected pass is a failure, whose message is the clause's most severe
failure; a clause not run (the host could not be asked) is an error; an expected failure, a
skipped clause (a capability the host does not declare) and one not selected are skipped.

The ONNX node corpus, when the run selected any of it, is a second testsuite, ``corpus``: a
testcase per case (class ``corpus.OPERATOR``, its first operator), failed or an unexpected pass
as a failure, not run as an error, an expected failure and an unavailable oracle as skipped;
an operator entry of the expectations that no case matched is a failing testcase of its own.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from typing import Any


def junit_xml(data: Mapping[str, Any]) -> bytes:
    """JUnit XML of a report: a testcase per clause (class ``wasi-nn.CALL``), then one per corpus case."""
    host, run = data["host"], data["run"]
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    suite = ElementTree.Element("testsuite", name=f"wasi-nn conformance: {host['name']} ({data['revision']['name']})")
    properties = ElementTree.SubElement(suite, "properties")
    for name, value in (
        ("host", host["name"]),
        ("host_version", host["version"]),
        ("revision", data["revision"]["name"]),
        ("witx_sha256", data["revision"]["witx_sha256"]),
        ("suite_version", data["suite"]["version"]),
        ("status", run["status"]),
        ("expectations", data["expectations"]["file"] or ""),
    ):
        ElementTree.SubElement(properties, "property", name=name, value=str(value))
    for clause in data["clauses"]:
        counts["tests"] += 1
        case = ElementTree.SubElement(suite, "testcase", classname=f"wasi-nn.{clause['call']}", name=clause["id"])
        verdict = clause["verdict"]
        if verdict == "failed":
            counts["failures"] += 1
            # Failures come worst first: the message is the most severe one no expectation covers.
            failures = [failure for failure in clause["failures"] if not failure["expected"]]
            first = failures[0]["reasons"][0] if failures and failures[0]["reasons"] else "failed"
            element = ElementTree.SubElement(case, "failure", message=first, type="clause")
            element.text = "\n\n".join(_failure_text(failure) for failure in failures) or first
        elif verdict == "unexpected_pass":
            counts["failures"] += 1
            gone = [departure for departure in clause["departures"] if departure["status"] == "unexpected_pass"]
            listed = "; ".join(f"at {departure['level']}: {departure['reason']}" for departure in gone)
            ElementTree.SubElement(
                case,
                "failure",
                type="unexpected pass",
                message=f"listed as a departure ({listed}) yet no failure matched it: remove it from the expectations",
            )
        elif verdict == "not_run":
            counts["errors"] += 1
            ElementTree.SubElement(case, "error", type="not run", message="not run: " + "; ".join(clause["not_run"]))
        elif verdict == "expected_failure":
            counts["skipped"] += 1
            shown = [departure for departure in clause["departures"] if departure["status"] == "expected_failure"]
            reasons = "; ".join(
                departure["reason"] + (f" ({departure['link']})" if departure["link"] else "") for departure in shown
            )
            ElementTree.SubElement(case, "skipped", message=f"expected failure: {reasons}")
        elif verdict in ("skipped", "not_selected"):
            counts["skipped"] += 1
            reason = "; ".join(clause["skipped"]) if verdict == "skipped" else "not selected (left out by -k or -m)"
            ElementTree.SubElement(case, "skipped", message=reason)
        ElementTree.SubElement(case, "system-out").text = clause["statement"]
    suite.set("tests", str(counts["tests"]))
    suite.set("failures", str(counts["failures"]))
    suite.set("errors", str(counts["errors"]))
    suite.set("skipped", str(counts["skipped"]))
    suite.set("time", str(run["duration_seconds"]))
    suite.set("timestamp", run["started"])
    suites = ElementTree.Element("testsuites", name="wasi-nn conformance")
    suites.append(suite)
    # Reports written before the corpus existed have no such key: the same as a run without it.
    corpus = data.get("corpus")
    totals = dict(counts)
    if corpus is not None:
        corpus_suite, corpus_counts = _corpus_suite(corpus, run)
        suites.append(corpus_suite)
        totals = {name: value + corpus_counts[name] for name, value in totals.items()}
    for name, value in totals.items():
        suites.set(name, str(value))
    ElementTree.indent(suites)
    body: bytes = ElementTree.tostring(suites, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body + b"\n"


def _failure_text(failure: Mapping[str, Any]) -> str:
    lines = [f"{failure['test']}, call #{failure['call']}: {failure['outcome']}"]
    lines += [f"  {reason}" for reason in failure["reasons"]]
    lines += ["transcript:", *(f"  {line}" for line in failure["transcript"])]
    if failure["reproducer"]:
        lines += ["reproducer:", f"  {failure['reproducer']}"]
    return "\n".join(lines)


def _corpus_suite(corpus: Mapping[str, Any], run: Mapping[str, Any]) -> tuple[ElementTree.Element, dict[str, int]]:
    """The testsuite of the corpus cases, and its counts."""
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    suite = ElementTree.Element("testsuite", name="corpus")
    properties = ElementTree.SubElement(suite, "properties")
    scope = corpus["out_of_scope"]
    out_of_scope = ", ".join(f"{reason} {count}" for reason, count in sorted(scope["reasons"].items()))
    for name, value in (
        ("selection", corpus["selection"]),
        ("onnx_version", corpus["onnx_version"]),
        ("onnxruntime_version", corpus["onnxruntime_version"]),
        ("packaging", corpus["packaging"]),
        ("processes", corpus["processes"]),
        ("out_of_scope", f"{scope['total']}" + (f" ({out_of_scope})" if out_of_scope else "")),
    ):
        ElementTree.SubElement(properties, "property", name=name, value=str(value))
    for case in corpus["cases"]:
        counts["tests"] += 1
        operators = case["operators"]
        classname = f"corpus.{operators[0]}" if operators else "corpus"
        element = ElementTree.SubElement(suite, "testcase", classname=classname, name=case["id"])
        verdict = case["verdict"]
        if verdict == "failed":
            counts["failures"] += 1
            where = f" at {case['call']}" if case["call"] else ""
            failure = ElementTree.SubElement(
                element, "failure", message=f"{case['outcome']}{where}: {case['detail']}", type=case["outcome"]
            )
            failure.text = _case_text(case)
        elif verdict == "unexpected_pass":
            counts["failures"] += 1
            ElementTree.SubElement(
                element,
                "failure",
                type="unexpected pass",
                message=f"listed as a departure ({_entry_text(case['departure'] or {})}) yet it passed: "
                "remove it from the expectations",
            )
        elif verdict == "not_run":
            counts["errors"] += 1
            ElementTree.SubElement(element, "error", type="not run", message=f"not run: {case['detail']}")
        elif verdict == "expected_failure":
            counts["skipped"] += 1
            reason = _entry_text(case["departure"]) if case["departure"] else case["detail"]
            ElementTree.SubElement(element, "skipped", message=f"expected failure: {reason}")
        elif verdict == "oracle_unavailable":
            # Native onnxruntime could not judge the case: nothing is known against the host.
            counts["skipped"] += 1
            ElementTree.SubElement(element, "skipped", message=f"oracle unavailable: {case['detail']}")
        ElementTree.SubElement(element, "system-out").text = case["model"]
    # A stale case entry shows on its case; an operator entry has no testcase but this one.
    for departure in corpus["departures"]:
        if departure["status"] != "unexpected_pass" or not departure["entry"].startswith("operator "):
            continue
        counts["tests"] += 1
        counts["failures"] += 1
        element = ElementTree.SubElement(suite, "testcase", classname="corpus.expectations", name=departure["entry"])
        ElementTree.SubElement(
            element,
            "failure",
            type="unexpected pass",
            message=f"listed as a departure ({_entry_text(departure)}) yet no case of it failed that way "
            "although some ran: remove it from the expectations",
        )
    for name, value in counts.items():
        suite.set(name, str(value))
    suite.set("time", str(corpus["seconds"]))
    suite.set("timestamp", run["started"])
    return suite, counts


def _entry_text(departure: Mapping[str, Any]) -> str:
    """An expectations entry in words: its reason, and its link when it has one."""
    reason = departure.get("reason") or "an expectations entry"
    return reason + (f" ({departure['link']})" if departure.get("link") else "")


def _case_text(case: Mapping[str, Any]) -> str:
    lines = [f"{case['test']}: {case['outcome']}" + (f" at {case['call']}" if case["call"] else "")]
    lines.append(f"  {case['detail']}")
    if case["errno"]:
        lines.append(f"  errno: {case['errno']}")
    if case["max_error"] is not None:
        lines.append(f"  max error: {case['max_error']:g} (tolerance {case['tolerance'] or 'none'})")
    lines += ["transcript:", *(f"  {line}" for line in case["transcript"])]
    if case["reproducer"]:
        lines += ["reproducer:", f"  {case['reproducer']['command']}"]
    return "\n".join(lines)
