"""The corpus runner against broken hosts: each fault shows, as what it is, on exactly the cases it touches.

The hosts of :mod:`tests.hosts.corpus_hosts` are the reference host except for the graphs that
use one operator: their outputs are one ulp off, their load is refused, crashes the process or
never returns. Whatever the fault, the cases of that operator must get its outcome and every
other case the verdict it gets on the unmodified reference host (the control, run over the
whole in-scope corpus once per module): a fault that leaks into the cases around it, or a case
that passes despite it, is the runner's own failure. A host that crashes or hangs takes its
process with it, so those two run as commands, one process per guest run, and the runner must
resume after the case that stopped a run. :class:`Recording` shows which cases each guest run
was asked, so the tests can tell a case that stopped a batch in its middle from one that came
first.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conformance.adapters.base import HostAdapter, RunOutcome
from conformance.adapters.inprocess import InProcessAdapter, reference_adapter, reference_capabilities
from conformance.adapters.subprocess import CommandAdapter
from conformance.corpus.cases import Corpus, CorpusCase, load_corpus
from conformance.corpus.oracle import native_outputs
from conformance.corpus.runner import CaseResult, CorpusRunner
from conformance.host import HostLimits, ReferenceHost
from conformance.revisions import Bindings, Revision, revision
from tests.hosts import corpus_hosts

NUDGED = "Sigmoid"
"""7 cases, f32 and f16, every output finite and non-empty: one ulp up changes every one of them."""

REFUSED = "Softplus"
SPILLED = "Tanh"
"""The operator whose graphs the spilling and over-counting hosts answer get_output wrongly for."""
CRASHING = "Elu"
HANGING = "Selu"

TIMEOUT = 10.0
"""Seconds a guest run may take beyond the runner's allowance per case; only command hosts enforce it."""

HANG_TIMEOUT = 2.5
"""The hang tests' timeout: the hung case alone is killed after 2.5 s and, with the runner's 2 s per
further case, a batch of two after 4.5 s, ample for a process start and two small cases."""

FLOAT_TYPES = ("f16", "f32", "f64")

Results = Mapping[str, CaseResult]


@pytest.fixture(scope="module")
def current() -> Revision:
    return revision("current")


@pytest.fixture(scope="module")
def corpus(current: Revision) -> Corpus:
    return load_corpus(current.name)


@pytest.fixture(scope="module")
def reference(corpus: Corpus, current: Revision) -> Results:
    """The control: every in-scope case on the unmodified reference host, in process (its oracles computed on the way)."""
    runner = CorpusRunner(
        reference_adapter(current.bindings, current.name), current.bindings, list(corpus.cases.values()), TIMEOUT
    )
    return {result.case: result for result in runner.run_all()}


@pytest.fixture(scope="module")
def nudged(corpus: Corpus, current: Revision) -> Results:
    """Every in-scope case on the reference host whose graphs using :data:`NUDGED` answer one ulp too high.

    Held to the reference host's capabilities: bit-exact, so the one ulp must show.
    """
    host = in_process(corpus_hosts.nudging(NUDGED), current)
    runner = CorpusRunner(host, current.bindings, list(corpus.cases.values()), TIMEOUT)
    return {result.case: result for result in runner.run_all()}


# -- hosts and slices of the corpus ---------------------------------------------------------------


def in_process(factory: corpus_hosts.HostFactory, current: Revision) -> InProcessAdapter:
    """A host of ``factory`` in this process, with the reference host's capabilities (bit-exact ones)."""
    return InProcessAdapter("broken", factory, reference_capabilities(current.bindings, current.name), current.bindings)


def command_host(kind: str, operator: str, current: Revision) -> CommandAdapter:
    """A broken host as a command, one process per guest run, with the reference host's capabilities."""
    # The child imports tests.hosts.corpus_hosts, and this copy of the package, from the project.
    python_path = os.pathsep.join(filter(None, [str(corpus_hosts.PROJECT), os.environ.get("PYTHONPATH")]))
    return CommandAdapter(
        f"{kind}-on-{operator}",
        corpus_hosts.command(kind, operator, current.name),
        reference_capabilities(current.bindings, current.name),
        env={"PYTHONPATH": python_path},
    )


@dataclass(frozen=True, slots=True)
class Run:
    """One guest run: the cases it asked, in order, and how it ended."""

    cases: tuple[str, ...]
    kind: str


class Recording:
    """A host adapter that passes every guest run through and notes which cases the run asked.

    A batch script carries each case's model bytes as they are, in the order of its cases, so
    the cases of a run are the models its stdin holds, by where they are.
    """

    def __init__(self, host: HostAdapter, cases: Sequence[CorpusCase]) -> None:
        assert len({case.model for case in cases}) == len(cases), (
            "two cases share a model: a run cannot tell them apart"
        )
        self.host = host
        self.name = host.name
        self.capabilities = host.capabilities
        self.cases = list(cases)
        self.runs: list[Run] = []

    def version(self) -> str:
        return self.host.version()

    def run(self, wasm: bytes, stdin: bytes, graphs: Mapping[str, str], timeout: float) -> RunOutcome:
        asked = sorted((stdin.find(case.model), case.id) for case in self.cases if case.model in stdin)
        outcome = self.host.run(wasm, stdin, graphs, timeout)
        self.runs.append(Run(tuple(case_id for _, case_id in asked), outcome.kind))
        return outcome

    def asked_after(self, number: int, case_id: str) -> bool:
        """Whether a run after the ``number``-th asked ``case_id``."""
        return any(case_id in run.cases for run in self.runs[number + 1 :])


def spread(corpus: Corpus, reference: Results, count: int, avoiding: str | None = None) -> list[CorpusCase]:
    """``count`` cases from all over the corpus that pass on the reference host and do not use ``avoiding``."""
    usable = [case for case in corpus.cases.values() if reference[case.id].passed and avoiding not in case.operators]
    step = max(1, len(usable) // count)
    picked = usable[::step][:count]
    assert len(picked) == count
    return picked


def unjudged(corpus: Corpus, reference: Results, count: int) -> list[CorpusCase]:
    """``count`` cases native onnxruntime cannot judge: the runner never hands them to a host."""
    return [case for case in corpus.cases.values() if not reference[case.id].judged][:count]


def using(corpus: Corpus, operator: str, reference: Results) -> list[CorpusCase]:
    """The cases whose graph uses ``operator``; each must pass on the reference host (else the test proves little)."""
    cases = [case for case in corpus.cases.values() if operator in case.operators]
    assert cases, f"no case of the corpus uses {operator}"
    assert all(reference[case.id].passed for case in cases), f"a case of {operator} fails on the reference host"
    return cases


def interleave(others: Sequence[CorpusCase], inserted: Mapping[int, CorpusCase]) -> list[CorpusCase]:
    """``others`` with each case of ``inserted`` at its position (positions of the result)."""
    order = list(others)
    for position in sorted(inserted):
        order.insert(position, inserted[position])
    return order


def run(
    host: HostAdapter, current: Revision, order: Sequence[CorpusCase], batch_size: int, timeout: float = TIMEOUT
) -> tuple[CorpusRunner, dict[str, CaseResult]]:
    """Every case of ``order`` through ``host``, ``batch_size`` cases a guest run at first: the runner and the results."""
    runner = CorpusRunner(host, current.bindings, order, timeout, batch_size=batch_size)
    return runner, {result.case: result for result in runner.run_all()}


def departures(results: Results, reference: Results, skip: set[str]) -> dict[str, str]:
    """The cases (outside ``skip``) whose outcome differs from the reference host's, with both outcomes."""
    return {
        case_id: f"{result.outcome} ({result.call}: {result.detail}), on the reference host {reference[case_id].outcome}"
        for case_id, result in results.items()
        if case_id not in skip and result.outcome != reference[case_id].outcome
    }


# -- the control ----------------------------------------------------------------------------------


def test_the_reference_host_passes_every_case_of_the_corpus_that_has_an_oracle(
    corpus: Corpus, reference: Results
) -> None:
    assert list(reference) == list(corpus.cases)
    failing = {
        result.case: f"{result.outcome} in {result.call}: {result.detail}"
        for result in reference.values()
        if result.judged and not result.passed
    }
    assert not failing
    # The corpus must judge the host on most of its cases, or every test here proves little.
    assert sum(result.passed for result in reference.values()) >= 0.9 * len(corpus.cases)


# -- wrong values ---------------------------------------------------------------------------------


def nudged_cases(corpus: Corpus, reference: Results) -> list[CorpusCase]:
    """The cases the nudging host gets wrong: those using :data:`NUDGED` with an oracle, each with a float output."""
    cases = using(corpus, NUDGED, reference)
    assert len(cases) >= 5
    for case in cases:
        assert any(output.type in FLOAT_TYPES for output in case.outputs), f"{case.id} has no float output to nudge"
    return cases


def test_a_host_one_ulp_off_on_one_operator_gives_wrong_values_on_exactly_its_cases(
    corpus: Corpus, reference: Results, nudged: Results
) -> None:
    touched = {case.id for case in nudged_cases(corpus, reference)}
    wrong = {result.case for result in nudged.values() if result.outcome == "wrong_values"}
    assert wrong == touched
    for case_id in touched:
        result = nudged[case_id]
        assert result.call == "get_output", result
        assert result.tolerance == "exact", "the reference host's capabilities are bit-exact"
        assert "differ" in result.detail, result
    assert not departures(nudged, reference, touched)
    assert {result.outcome for case_id, result in nudged.items() if case_id not in touched} <= {
        "passed",
        "oracle_unavailable",
    }


def test_a_host_one_ulp_off_is_reported_one_ulp_off(corpus: Corpus, reference: Results, nudged: Results) -> None:
    for case in nudged_cases(corpus, reference):
        oracle = native_outputs(case).outputs
        assert oracle is not None
        # The largest distance over the outputs of the nudged values from native onnxruntime's.
        distance = max(
            float(np.max(np.abs(corpus_hosts.nudged(native).astype(np.float64) - native.astype(np.float64))))
            for native in oracle
            if native.dtype.kind == "f" and native.size
        )
        assert distance > 0
        assert nudged[case.id].max_error == pytest.approx(distance, rel=1e-12), nudged[case.id]


# -- writes outside the buffer, and bytes_written ----------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "outcome", "detail"),
    [
        (corpus_hosts.spilling, "stray_write", "wrote outside"),
        (corpus_hosts.overcounting, "wrong_values", "bytes_written"),
    ],
)
def test_a_host_that_gets_get_output_wrong_on_one_operator_fails_exactly_its_cases(
    corpus: Corpus, reference: Results, current: Revision, factory: Any, outcome: str, detail: str
) -> None:
    touched = using(corpus, SPILLED, reference)
    assert len(touched) >= 2
    order = interleave(spread(corpus, reference, 30, SPILLED), {3: touched[0], 17: touched[1]})
    _, results = run(in_process(factory(SPILLED), current), current, order, 8)
    for case in touched[:2]:
        result = results[case.id]
        assert (result.outcome, result.call) == (outcome, "get_output"), result
        assert detail in result.detail, result
    assert not departures(results, reference, {case.id for case in touched})


# -- refusals and limits (in process) -------------------------------------------------------------


def test_a_host_that_refuses_one_operator_has_those_cases_refused_and_keeps_its_batches(
    corpus: Corpus, reference: Results, current: Revision
) -> None:
    refused = using(corpus, REFUSED, reference)
    assert len(refused) >= 3
    # Mid-batch, last of the same batch (a refusal with nothing after it looks like a limit reached,
    # so the runner asks it again alone), and in a later batch.
    order = interleave(spread(corpus, reference, 30, REFUSED), {2: refused[0], 7: refused[1], 20: refused[2]})
    order += unjudged(corpus, reference, 2)
    batch = 8
    runner, results = run(in_process(corpus_hosts.refusing(REFUSED), current), current, order, batch)
    for case in refused[:3]:
        result = results[case.id]
        assert (result.outcome, result.call, result.errno) == ("refused", "load", "runtime_error"), result
    assert not departures(results, reference, {case.id for case in refused})
    # A case the host cannot load is refused on its own: it says nothing of how many fit in a run.
    assert runner.batch_size == batch


def test_a_host_that_refuses_every_load_after_a_few_graphs_gets_batches_that_fit(
    corpus: Corpus, reference: Results, current: Revision
) -> None:
    limit, batch = 3, 8
    order = [*spread(corpus, reference, 40), *unjudged(corpus, reference, 3)]

    def factory(bindings: Bindings, graphs: Mapping[str, Path]) -> ReferenceHost:
        return ReferenceHost(bindings, graphs_by_name=graphs, limits=HostLimits(max_graphs=limit))

    host = Recording(in_process(factory, current), order)
    runner, results = run(host, current, order, batch)
    assert not departures(results, reference, set())
    assert all(result.passed for result in results.values() if result.judged)
    assert runner.batch_size <= limit
    assert len(host.runs[0].cases) == batch, "the first run is asked a whole batch"
    # Once the limit is found every run fits in it.
    first_fitting = next(number for number, run in enumerate(host.runs) if len(run.cases) <= limit)
    assert all(len(run.cases) <= limit for run in host.runs[first_fitting:])
    assert runner.processes == len(host.runs) <= math.ceil(40 / limit) + 3


# -- crashes and hangs (one process per guest run) ---------------------------------------------------


def test_a_host_that_crashes_on_one_operator_crashes_those_cases_in_load_and_resumes_after_each(
    corpus: Corpus, reference: Results, current: Revision
) -> None:
    crashing = using(corpus, CRASHING, reference)
    assert len(crashing) >= 3
    batch = 12
    others = spread(corpus, reference, 45, CRASHING)
    # Positions 3, 14, 30 and 41 fall in the middle of a batch; 15 comes first in the batch that resumes after 14.
    order = interleave(others, dict(zip((3, 14, 15, 30, 41), crashing, strict=False)))
    order += unjudged(corpus, reference, 3)
    crashed = {case.id for case in order if CRASHING in case.operators}
    host = Recording(command_host("crash", CRASHING, current), order)
    runner, results = run(host, current, order, batch)

    for case_id in crashed:
        result = results[case_id]
        assert (result.outcome, result.call) == ("crashed", "load"), result
        assert f"no kernel for {CRASHING}" in result.detail, "the host's last words are the verdict's detail"
    assert not departures(results, reference, crashed)

    # A run of this host stops at its first case of the operator: what came before it keeps the
    # verdicts that run gave, what came after it is asked again; a case that stopped a run in its
    # middle is asked again alone first (its verdict is its own, not the batch's), and crashes there too.
    stopped_in_the_middle = stopped_first = 0
    for number, guest_run in enumerate(host.runs):
        stopper = next((index for index, case_id in enumerate(guest_run.cases) if case_id in crashed), None)
        if stopper is None:
            assert guest_run.kind == "exited", guest_run
            continue
        assert guest_run.kind == "crashed", guest_run
        assert not any(host.asked_after(number, case_id) for case_id in guest_run.cases[:stopper])
        assert all(host.asked_after(number, case_id) for case_id in guest_run.cases[stopper + 1 :])
        if stopper > 0:
            stopped_in_the_middle += 1
            assert host.runs[number + 1] == Run((guest_run.cases[stopper],), "crashed")
        elif len(guest_run.cases) > 1:
            stopped_first += 1
    assert stopped_in_the_middle >= 2
    assert stopped_first >= 1
    judged = sum(result.judged for result in results.values())
    assert runner.processes == len(host.runs) > math.ceil(judged / batch)


def test_a_host_that_hangs_on_one_operator_hangs_that_case_and_judges_the_others(
    corpus: Corpus, reference: Results, current: Revision
) -> None:
    hanging = using(corpus, HANGING, reference)[0]
    others = spread(corpus, reference, 4, HANGING)
    order = interleave(others, {1: hanging})
    host = Recording(command_host("hang", HANGING, current), order)
    runner, results = run(host, current, order, batch_size=2, timeout=HANG_TIMEOUT)
    result = results[hanging.id]
    assert (result.outcome, result.call) == ("hung", "load"), result
    assert not departures(results, reference, {hanging.id})
    # The first run stops at the hang; the case is asked again alone, then the rest resume after it.
    assert host.runs == [
        Run((others[0].id, hanging.id), "hung"),
        Run((hanging.id,), "hung"),
        Run((others[1].id, others[2].id), "exited"),
        Run((others[3].id,), "exited"),
    ]
    assert runner.processes == 4


def test_a_batch_cut_short_at_its_first_case_asks_that_case_again_alone_through_the_host(
    corpus: Corpus, reference: Results, current: Revision
) -> None:
    """In the suite a batch may be cut at the host's adaptive timeout, shorter than a case's own.

    So a batch that hangs at its first case is no verdict yet: the case runs alone, through the
    host's own ``run`` (the suite's times it like a scenario), and is hung only if it hangs there
    too. Batches of several cases go through ``run_batch``.
    """
    hanging = using(corpus, HANGING, reference)[0]
    others = spread(corpus, reference, 3, HANGING)
    order = interleave(others, {0: hanging})
    host = Recording(command_host("hang", HANGING, current), order)
    batches: list[int] = []

    def run_batch(wasm: bytes, stdin: bytes, graphs: Mapping[str, str], timeout: float) -> RunOutcome:
        batches.append(len(host.runs))
        return host.run(wasm, stdin, graphs, timeout)

    runner = CorpusRunner(host, current.bindings, order, HANG_TIMEOUT, batch_size=2, run_batch=run_batch)
    results = {result.case: result for result in runner.run_all()}
    assert (results[hanging.id].outcome, results[hanging.id].call) == ("hung", "load")
    assert not departures(results, reference, {hanging.id})
    assert host.runs == [
        Run((hanging.id, others[0].id), "hung"),
        Run((hanging.id,), "hung"),
        Run((others[0].id, others[1].id), "exited"),
        Run((others[2].id,), "exited"),
    ]
    # Only the runs of two cases went through run_batch: the first and the third.
    assert batches == [0, 2]
