"""How long a guest run may take before the host counts as hung, and what a hang may cost a test.

A host that hangs on one class of input (every tensor with a zero-size dimension, say) hangs
on every example of that class, and with a fixed timeout each of them costs all of it, as does
each step of Hypothesis shrinking one. So the timeout adapts to the host
(:class:`TimeoutPolicy`): ``factor`` times the slowest run of the host that did not hang, never
below ``floor`` and never above the ceiling (``--wasi-nn-timeout-factor``,
``--wasi-nn-timeout-floor``, ``--wasi-nn-timeout``). Until a run has been measured it is the
ceiling, so the first runs are never cut short. And a test whose run hung fails at once with
:class:`HostHung`, which Hypothesis does not shrink.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from conformance.adapters.base import SCENARIO_TIMEOUT, RunOutcome
from conformance.errors import UsageError

__all__ = ["AFTER_HANG_FACTOR", "TIMEOUT_FACTOR", "TIMEOUT_FLOOR", "HostHung", "TimeoutPolicy"]

TIMEOUT_FACTOR = 10.0
"""Times the slowest run so far that a run may take, unless ``--wasi-nn-timeout-factor`` says."""

TIMEOUT_FLOOR = 10.0
"""Seconds a run may always take, unless ``--wasi-nn-timeout-floor`` says."""

AFTER_HANG_FACTOR = 3.0
"""Times the slowest run so far that a run may take in a test where a run hung already."""


@dataclass
class TimeoutPolicy:
    """The timeout of each guest run of a session, from the runs of the host so far.

    Callers ask for the most a run may take: the ceiling for a run of a scenario, or a multiple
    of it for a *heavy* run, such as a soak of 10,000 rounds. A run of a scenario adapts. A
    heavy run gets all its caller allows and is no measure of the others: how long a host
    takes for one scenario, mostly starting a process and loading a model, says nothing of how
    long it takes for 10,000 rounds (4 minutes for the Wasmtime CLI with OpenVINO, ten times a
    scenario's ceiling in the time a scenario takes). A *resumable* run, a batch of corpus
    cases that the runner resumes case by case when it is cut short, adapts whatever its
    weight (its allowance over the ceiling): a timeout too short for it costs a rerun, never a
    verdict; it is no measure of the others either. In a test where a run hung, later runs get
    :data:`AFTER_HANG_FACTOR` times the slowest run instead of ``factor`` (never less than the
    floor): the host is known to hang there, and each further example of the hang costs that
    much rather than the full timeout.
    """

    ceiling: float = SCENARIO_TIMEOUT
    factor: float = TIMEOUT_FACTOR
    floor: float = TIMEOUT_FLOOR
    slowest: float | None = None
    """Seconds of the slowest run so far that did not hang, as if it had been allowed the ceiling."""
    hung_in: set[str] = field(default_factory=set)
    """The tests in which a run hung."""

    def __post_init__(self) -> None:
        if self.ceiling <= 0:
            raise UsageError(f"the timeout must be positive, got {self.ceiling:g}")
        if self.factor < 1:
            # Below 1, a run exactly as slow as one that passed would count as hung.
            raise UsageError(f"the timeout factor must be at least 1, got {self.factor:g}")
        if self.floor < 0:
            raise UsageError(f"the timeout floor must not be negative, got {self.floor:g}")

    def timeout(self, allowed: float, test: str = "", resumable: bool = False) -> float:
        """The timeout of a run in ``test`` that its caller allows ``allowed`` seconds at most."""
        if self.slowest is None or (allowed > self.ceiling and not resumable):
            return allowed
        return min(allowed, max(self.floor, self._factor(test) * self.slowest) * allowed / self.ceiling)

    def settle(self, outcome: RunOutcome, allowed: float, test: str = "", resumable: bool = False) -> RunOutcome:
        """Learn from a finished run; a run cut short before ``allowed`` says by which timeout, and why."""
        if outcome.kind != "hung":
            if allowed <= self.ceiling and not resumable:
                pace = outcome.seconds * self.ceiling / allowed
                self.slowest = pace if self.slowest is None else max(self.slowest, pace)
            return outcome
        why = self._why(allowed, test, resumable)
        self.hung_in.add(test)
        return dataclasses.replace(outcome, message=f"{outcome.message} ({why})") if why else outcome

    def _factor(self, test: str) -> float:
        return min(self.factor, AFTER_HANG_FACTOR) if test in self.hung_in else self.factor

    def _why(self, allowed: float, test: str, resumable: bool) -> str:
        """Why the timeout of a run in ``test`` was what it was, when it was less than ``allowed``."""
        if self.slowest is None or self.timeout(allowed, test, resumable) >= allowed:
            return ""
        factor = self._factor(test)
        weight = allowed / self.ceiling
        heavier = f" x {weight:.3g} for a heavier run" if weight > 1 else ""
        if self.floor >= factor * self.slowest:
            reason = f"timeout: the floor{heavier}, --wasi-nn-timeout-floor"
        else:
            slowest = f"the slowest run so far, {self.slowest:.3g} s"
            reason = f"timeout: {factor:g} x {slowest}{heavier}, --wasi-nn-timeout-factor"
        if test in self.hung_in:
            reason += "; a run hung earlier in this test"
        return reason


class HostHung(BaseException):
    """A run of the test hung the host: the test fails at once, and Hypothesis does not shrink it.

    Hypothesis shrinks an example that fails with an :class:`Exception` by running smaller
    examples, and a smaller example of a hang hangs too: every step would wait out a
    timeout. Like pytest's own outcomes this is no :class:`Exception`, and Hypothesis lets it
    through at once (as it does ``KeyboardInterrupt``): a property test ends at its first
    hang. The hang is in the ledger before this is raised, at the safety level with its
    reproducer; pytest reports the test as failed, like any other failure.
    """
