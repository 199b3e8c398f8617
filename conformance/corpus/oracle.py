"""What a corpus case must compute: native onnxruntime's outputs, when they can be trusted.

The oracle of a case is native onnxruntime on the case's model and inputs (the same session
settings as the fixtures' oracle, :func:`conformance.oracle.native_session`). ONNX's own
expected outputs are a second opinion: where onnxruntime cannot load or run the case, gives
different outputs on two runs, or disagrees with ONNX beyond the ONNX backend tests' bounds,
the oracle is *unavailable* and the case never counts against a host.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from conformance.oracle import Tolerance, compare, native_session

__all__ = ["AGREEMENT", "JudgedCase", "Oracle", "native_outputs"]

AGREEMENT = Tolerance(False, rtol=1e-3, atol=1e-5)
"""How close native onnxruntime must come to ONNX's expected outputs to serve as the oracle."""


@dataclass(frozen=True, slots=True)
class Oracle:
    """Native onnxruntime's outputs of a case, or why there are none to judge a host by."""

    outputs: tuple[NDArray[Any], ...] | None
    unavailable: str = ""


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class JudgedCase(Protocol):
    """What the oracle reads of a case (a :class:`~conformance.corpus.cases.CorpusCase`).

    :mod:`conformance.corpus.cases` imports the oracle (the sample prefers cases it can
    judge), so the oracle does not import it back: it names only what it reads.
    """

    @property
    def id(self) -> str:
        """The case's id, which its oracle is kept under."""
        ...

    @property
    def model(self) -> bytes:
        """The ONNX model."""
        ...

    @property
    def input_values(self) -> Sequence[NDArray[Any]]:
        """The inputs, in the graph's order."""
        ...

    @property
    def expected(self) -> Sequence[NDArray[Any]]:
        """ONNX's expected outputs."""
        ...

    @property
    def outputs(self) -> Sequence[_Named]:
        """The graph's outputs, each with its name."""
        ...


#: Every case's oracle, once computed: a case is the same in every revision that has it.
_ORACLES: dict[str, Oracle] = {}


def native_outputs(case: JudgedCase) -> Oracle:
    """The oracle of ``case``: run twice in native onnxruntime (once per process), checked against ONNX's outputs."""
    if case.id not in _ORACLES:
        _ORACLES[case.id] = _judge_natively(case)
    return _ORACLES[case.id]


def _judge_natively(case: JudgedCase) -> Oracle:
    try:
        # One thread: a pool per session costs more to start and stop than these small graphs take
        # to run. Its errors are this module's verdicts, not news for stderr.
        session = native_session(case.model, threads=1, log_severity=4)
        feeds = {slot.name: value for slot, value in zip(session.get_inputs(), case.input_values, strict=True)}
        first: list[NDArray[Any]] = session.run(None, feeds)
        second: list[NDArray[Any]] = session.run(None, feeds)
    except Exception as error:  # onnxruntime has an exception class per failure; all mean "no oracle"
        return Oracle(None, f"native onnxruntime cannot run it: {_first_line(error)}")
    for position, (native, again, expected, slot) in enumerate(
        zip(first, second, case.expected, case.outputs, strict=True)
    ):
        native = np.asarray(native)
        # ONNX's own runner broadcasts a scalar against a one-element array; so does this check.
        if (
            native.dtype != expected.dtype
            or native.size != expected.size
            or (native.size != 1 and native.shape != expected.shape)
        ):
            return Oracle(
                None,
                f"native onnxruntime gives output {position} ({slot.name}) as {native.dtype}{list(native.shape)}, "
                f"ONNX expects {expected.dtype}{list(expected.shape)}",
            )
        if native.tobytes() != np.asarray(again).tobytes():
            return Oracle(None, f"native onnxruntime gives output {position} ({slot.name}) differently on two runs")
        agreement = compare(expected.reshape(native.shape), native.tobytes(), AGREEMENT)
        if not agreement.equal:
            return Oracle(
                None,
                f"native onnxruntime disagrees with ONNX's output {position} ({slot.name}): {agreement.detail}",
            )
    return Oracle(tuple(np.asarray(native, order="C") for native in first))


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
