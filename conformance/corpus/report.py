"""The corpus in the reports: the ``corpus`` section of ``report.json``, and a reproducer per failing case.

A failing case's folder (``repro/corpus-CASE/``) holds the driver guest and the script that
run the case alone (``guest.wasm``, ``stdin.bin``), its transcript, and ``case.json`` (kind
``corpus``), which ``wasi-nn-conformance replay`` reads to run the case again and judge it
against native onnxruntime once more.
"""

from __future__ import annotations

import importlib.metadata
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from conformance.corpus.cases import CorpusCase, TensorInfo
from conformance.corpus.ledger import CorpusLedger, RecordedCase
from conformance.corpus.oracle import native_outputs
from conformance.corpus.runner import case_script
from conformance.revisions import Bindings

__all__ = ["CORPUS_PREFIX", "CorpusReproducer", "corpus_section"]

CORPUS_PREFIX = "corpus-"
"""What the folder of a corpus case's reproducer is called before the case id."""


@dataclass(frozen=True, slots=True)
class CorpusReproducer:
    """What goes into a failing corpus case's folder."""

    name: str
    wasm: bytes
    stdin: bytes
    case_json: dict[str, Any]
    transcript: tuple[str, ...]


def _tensors(infos: tuple[TensorInfo, ...]) -> list[dict[str, Any]]:
    return [{"name": info.name, "type": info.type, "shape": list(info.shape)} for info in infos]


def _number(value: float | None) -> float | None:
    # JSON has no NaN or infinity: a comparison that found no distance (bytes differ) says so as null.
    return value if value is not None and math.isfinite(value) else None


def corpus_section(
    corpus: CorpusLedger | None,
    bindings: Bindings,
    encodings: Mapping[str, str],
    describe_host: Callable[[str], dict[str, Any]],
) -> tuple[dict[str, Any] | None, list[CorpusReproducer]]:
    """The ``corpus`` section of the report and the reproducers of its failing cases.

    ``describe_host(folder)`` gives what ``case.json`` records of the host and the replay
    command of a case folder (relative to the report folder).
    """
    if corpus is None:
        return None, []
    reproducers: list[CorpusReproducer] = []
    cases = []
    for case_id, test in corpus.selected.items():
        case = corpus.corpus.cases[case_id]
        recorded = corpus.recorded.get(case_id)
        reproducer = None
        if recorded is not None and recorded.result.judged and not recorded.result.passed:
            made = _reproducer(recorded, bindings, encodings, describe_host)
            reproducers.append(made)
            reproducer = {"folder": f"repro/{made.name}", "command": made.case_json["command"]}
        cases.append(_case(case, test, recorded, corpus.verdict(case_id), reproducer))
    section = {
        "selection": corpus.selection,
        "onnx_version": corpus.corpus.onnx_version,
        "onnxruntime_version": importlib.metadata.version("onnxruntime"),
        "packaging": corpus.packaging,
        "seconds": round(corpus.seconds, 3),
        "processes": corpus.processes,
        "outcomes": corpus.outcome_counts(),
        "verdicts": corpus.verdict_counts(),
        "out_of_scope": {
            "total": sum(corpus.corpus.out_of_scope.values()),
            "reasons": dict(corpus.corpus.out_of_scope),
        },
        "operators": corpus.operator_rows(),
        "cases": sorted(cases, key=lambda entry: entry["id"]),
        "departures": [
            {
                "entry": entry.key,
                "outcomes": list(entry.outcomes),
                "reason": entry.reason,
                "link": entry.link,
                "status": corpus.departure_status(entry),
            }
            for entry in corpus.expectations.corpus
        ],
    }
    return section, reproducers


def _case(
    case: CorpusCase, test: str, recorded: RecordedCase | None, verdict: str, reproducer: dict[str, Any] | None
) -> dict[str, Any]:
    result = recorded.result if recorded is not None else None
    departure = recorded.departure if recorded is not None else None
    return {
        "id": case.id,
        "test": test,
        "operators": list(case.operators),
        "opset": case.opset,
        "outcome": result.outcome if result else None,
        "verdict": verdict,
        "call": result.call if result else None,
        "errno": result.errno if result else None,
        "max_error": _number(result.max_error) if result else None,
        "tolerance": result.tolerance if result else None,
        "detail": result.detail if result else "the run ended before this case",
        "model": case.summary(),
        "inputs": _tensors(case.inputs),
        "outputs": _tensors(case.outputs),
        "transcript": list(result.transcript) if result else [],
        "reproducer": reproducer,
        "departure": {"entry": departure.key, "reason": departure.reason, "link": departure.link}
        if departure
        else None,
    }


def _reproducer(
    recorded: RecordedCase,
    bindings: Bindings,
    encodings: Mapping[str, str],
    describe_host: Callable[[str], dict[str, Any]],
) -> CorpusReproducer:
    case, result = recorded.case, recorded.result
    outputs = native_outputs(case).outputs
    assert outputs is not None, "only cases with an oracle fail"
    wasm, stdin = case_script(case, outputs, bindings, encodings)
    name = f"{CORPUS_PREFIX}{case.id}"
    host = describe_host(f"repro/{name}")
    case_json = {
        "kind": "corpus",
        "case": case.id,
        "operators": list(case.operators),
        "test": recorded.test,
        "outcome": result.outcome,
        "call": result.call,
        "errno": result.errno,
        "detail": result.detail,
        "transcript": list(result.transcript),
        **host,
    }
    return CorpusReproducer(name, wasm, stdin, case_json, result.transcript)
