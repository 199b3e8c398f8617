"""``junit.xml``: a report as JUnit XML for CI systems, a testcase per clause.

A failed clause or an unexpected pass is a failure, whose message is the clause's most severe
failure; a clause not run (the host could not be asked) is an error; an expected failure, a
skipped clause (a capability the host does not declare) and one not selected are skipped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from typing import Any


def junit_xml(data: Mapping[str, Any]) -> bytes:
    """JUnit XML of a report: a testcase per clause (class ``wasi-nn.CALL``)."""
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
    for name, value in counts.items():
        suites.set(name, str(value))
    suites.append(suite)
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
