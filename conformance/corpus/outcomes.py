"""How a corpus case can end: the names the runner, the expectations and the reports share."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["FAILURES", "OUTCOMES", "CaseOutcome"]

CaseOutcome = Literal[
    "passed", "wrong_values", "refused", "crashed", "hung", "out_of_memory", "stray_write", "oracle_unavailable"
]
"""How a case fared: ``refused``, a call returned an errno (the host does not serve the case);
``crashed``, the host died or the guest trapped; ``stray_write``, the host wrote outside a
buffer it was given; ``oracle_unavailable``, native onnxruntime cannot judge the case."""

OUTCOMES: tuple[CaseOutcome, ...] = get_args(CaseOutcome)
"""Every outcome, in the order reports list them."""

FAILURES: tuple[CaseOutcome, ...] = tuple(
    outcome for outcome in OUTCOMES if outcome not in ("passed", "oracle_unavailable")
)
"""The outcomes that count against a host: what an expectations entry may list."""
