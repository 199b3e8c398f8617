"""Re-run one failing case of a report on a host, and judge it again.

A case folder (``reports/HOST/repro/CASE/``, written by :mod:`conformance.reports`) holds the
guest (``guest.wasm``), its stdin (``stdin.bin``), the models it preloads (``graphs/``), the
script in words (``script.txt``), and ``case.json`` (format: :mod:`conformance.reproducers`):
the scenario as data, how the host was chosen, and the failures seen.
``wasi-nn-conformance replay CASE`` runs the scenario once
more through :func:`conformance.scenario.run_scenario`, prints the transcript, and compares
the new judgements with the recorded ones.

Exit status: 0 when no clause fails now, 1 when every recorded failure happens again (the
case reproduces), 3 when it fails, but otherwise than recorded.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from conformance.adapters.base import SCENARIO_TIMEOUT
from conformance.catalog import Facts, Judgement, Level, at_levels, judge, load_catalog
from conformance.errors import UsageError
from conformance.reproducers import FailureKey, failure_key, load_case, scenario_from_json

REPRODUCED = 1
FAILS_OTHERWISE = 3

# -- printing a run -------------------------------------------------------------------------


def _errno_name(errnos: Any, value: int) -> str:
    try:
        return str(errnos(value).name.lower())
    except ValueError:
        return "not an errno of the revision"


def transcript_text(stdout: bytes, bindings: Any) -> list[str]:
    """The driver's transcript in words: every write, call, result, read and how it ended."""
    from conformance.guest.driver import (
        BytesRead,
        CallAnnounced,
        CallReturned,
        DriverFailed,
        Ended,
        Exited,
        Grown,
        TranscriptError,
        Written,
        parse_transcript,
    )

    try:
        transcript = parse_transcript(stdout)
    except TranscriptError as error:
        return [f"(stdout is not a driver transcript: {error}; {len(stdout)} bytes)"]
    if transcript.header is None:
        return ["(no transcript: the guest wrote nothing before it ended)"]
    imports = transcript.header.imports
    lines = []
    for event in transcript.events:
        if isinstance(event, Written):
            lines.append(f"step {event.step}: wrote {event.length} bytes at {event.address:#x}")
        elif isinstance(event, CallAnnounced):
            arguments = ", ".join(f"{argument:#x}" for argument in event.args)
            lines.append(f"step {event.step}: call {imports[event.import_index][0]}({arguments})")
        elif isinstance(event, CallReturned):
            lines.append(f"step {event.step}:   -> {event.result} ({_errno_name(bindings.NnErrno, event.result)})")
        elif isinstance(event, BytesRead):
            shown = event.data[:32].hex(" ")
            more = f" ... ({len(event.data)} bytes)" if len(event.data) > 32 else ""
            lines.append(f"step {event.step}: read {event.address:#x}: {shown}{more}")
        elif isinstance(event, Grown):
            lines.append(f"step {event.step}: memory.grow({event.pages}) -> {event.result}")
        elif isinstance(event, Exited):
            lines.append(f"step {event.step}: exit({event.code})")
        elif isinstance(event, Ended):
            lines.append(f"end of script after {event.steps} steps")
        elif isinstance(event, DriverFailed):
            lines.append(f"the driver rejected step {event.step}: {event.error} (detail {event.detail})")
    if transcript.interrupted_call is not None:
        lines.append("the transcript stops inside the call above: it never returned")
    elif not transcript.complete:
        lines.append("the transcript is cut off")
    return lines


def _run_ended(run: Any) -> str:
    parts = [run.kind]
    if run.exit_code is not None:
        parts.append(f"exit code {run.exit_code}")
    if run.signal is not None:
        parts.append(f"signal {run.signal}")
    if run.message:
        parts.append(run.message.strip().splitlines()[-1])
    return ", ".join(parts) + f" after {run.seconds:.2f} s"


def _section(out: TextIO, title: str, lines: Sequence[str]) -> None:
    out.write(f"\n{title}\n")
    for line in lines:
        out.write(f"  {line}\n")


# -- the command ----------------------------------------------------------------------------


def _replay_corpus(case: Mapping[str, Any], adapter: Any, revision: str, bindings: Any, out: TextIO) -> int:
    """Run an ONNX node corpus case alone on ``adapter`` and judge it against native onnxruntime again."""
    from conformance.corpus.cases import load_corpus
    from conformance.corpus.runner import CorpusRunner

    corpus = load_corpus(revision)
    if case["case"] not in corpus.cases:
        raise UsageError(f"the installed onnx {corpus.onnx_version} has no in-scope case {case['case']!r}")
    out.write(f"corpus case {case['case']} ({', '.join(case['operators'])}), from {case['test']}\n")
    out.write(f"host {adapter.name} {adapter.version()}, revision {revision}, onnx {corpus.onnx_version}\n")
    runner = CorpusRunner(adapter, bindings, [corpus.cases[case["case"]]], SCENARIO_TIMEOUT, batch_size=1)
    result = runner.result(case["case"])
    _section(out, "transcript", result.transcript)
    where = f" in {result.call}" if result.call else ""
    _section(out, "now", [f"{result.outcome}{where}: {result.detail}" if result.detail else result.outcome])
    _section(out, "recorded", [f"{case['outcome']}: {case['detail']}"])
    if result.passed:
        out.write("\nPASSES NOW: the host computes what native onnxruntime does.\n")
        return 0
    if (result.outcome, result.call) == (case["outcome"], case["call"]):
        out.write("\nREPRODUCED: the case fails the same way as in the report.\n")
        return REPRODUCED
    out.write("\nFAILS OTHERWISE: the case fails, but not as recorded.\n")
    return FAILS_OTHERWISE


def replay(
    folder: Path,
    host: str | None = None,
    host_command: str | None = None,
    revision: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the case in ``folder`` once on a host and judge it; returns the exit status (see the module).

    Without ``host`` and ``host_command`` the case's own host is chosen again, as the run that
    wrote it chose it. The transcript goes to ``out`` (default: standard output).
    """
    from conformance.adapters.select import select_host
    from conformance.revisions import revision as find_revision

    out = out or sys.stdout
    case = load_case(folder)
    import onnxruntime

    # The oracle runs models on inputs that must fail (that is the point of some clauses);
    # onnxruntime would log each such failure as an error on stderr, amid the transcript.
    onnxruntime.set_default_logger_severity(4)
    if host is None and host_command is None:
        host, host_command = case["host"]["option"], case["host"]["command"]
    host = host or "reference"
    if ":" in host and not host_command and os.getcwd() not in sys.path:
        # A module:factory host is imported as `python -m pytest` would: from the current folder too.
        sys.path.insert(0, os.getcwd())
    chosen = find_revision(revision or case["revision"])
    adapter = select_host(host, host_command, chosen.name)
    if case["kind"] == "corpus":
        return _replay_corpus(case, adapter, chosen.name, chosen.bindings, out)
    out.write(f"case {folder.name}: {', '.join(case['clauses'])} (from {case['test']})\n")
    out.write(f"host {adapter.name} {adapter.version()}, revision {chosen.name}\n")
    judgements: list[Judgement]
    if case["kind"] == "special":
        from conformance.special import run_special

        special = run_special(case["special"], chosen.bindings, adapter)
        _section(out, "guest", [special.description])
        _section(out, "run", [_run_ended(special.run)])
        judgements = [special.judgement]
    else:
        from conformance.scenario import run_scenario

        scenario = scenario_from_json(case["scenario"])
        run = run_scenario(scenario, chosen.bindings, adapter)
        _section(out, "script", run.steps)
        _section(out, "transcript", transcript_text(run.run.stdout, chosen.bindings))
        stderr = run.run.stderr.decode("utf-8", "replace").strip().splitlines()
        _section(out, "run", [_run_ended(run.run), *(f"stderr: {line}" for line in stderr[-10:])])
        _section(out, "calls judged", run.transcript_lines())
        judgements = run.judgements
        stopped = next((call.outcome for call in run.calls if call.outcome.kind != "returned"), None)
        if stopped is not None:
            # As the suite judges it: a recorded clause whose call the host never reached
            # fails with how the host stopped.
            catalog = load_catalog(chosen.name)
            judged = {judgement.clause.id for judgement in judgements}
            for clause_id in case["clauses"]:
                if clause_id not in judged and clause_id in catalog.clauses:
                    judgements.append(judge(catalog[clause_id], stopped, Facts()))
    if "levels" in case:  # judged at these levels only when recorded (a fuzz campaign: safety)
        judged_at = [Level[name.upper()] for name in case["levels"]]
        judgements = [at_levels(judgement, judged_at) for judgement in judgements]
    failed = [judgement for judgement in judgements if not judgement.passed]
    _section(
        out,
        "failures now",
        [f"{judgement.clause.id}: {'; '.join(judgement.failures())}" for judgement in failed] or ["none"],
    )
    recorded: set[FailureKey] = {
        (failure["clause"], tuple(failure["levels"]), failure["outcome"]) for failure in case["failures"]
    }
    now = {failure_key(judgement) for judgement in failed}
    if not now:
        out.write("\nPASSES NOW: no clause fails on this host any more.\n")
        return 0
    if recorded <= now:
        out.write("\nREPRODUCED: the case fails the same way as in the report.\n")
        return REPRODUCED
    missing = sorted(f"{clause} ({', '.join(levels)}; {outcome})" for clause, levels, outcome in recorded - now)
    out.write(f"\nFAILS OTHERWISE: recorded but not seen now: {'; '.join(missing)}\n")
    return FAILS_OTHERWISE
