"""The output oracle: native onnxruntime on the fixture models, and tolerance as data.

Independent of every host: it runs the fixture's ONNX bytes in an ``InferenceSession`` of
its own and compares a host's output bytes with the result, exactly or within the tolerance
``fixtures/tolerances.toml`` gives for the fixture and tensor type, NaN-aware.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime

from conformance import fixture_models
from conformance.paths import FIXTURES_DIR

# Inference failures the oracle predicts are expected; keep onnxruntime's log off stderr.
onnxruntime.set_default_logger_severity(3)

TOLERANCES_PATH = FIXTURES_DIR / "tolerances.toml"


def native_session(model: bytes, threads: int = 0, log_severity: int = 3) -> onnxruntime.InferenceSession:
    """A native onnxruntime session of ``model`` (ONNX bytes) on the CPU; onnxruntime's errors pass through.

    ``threads`` is the size of its intra-op thread pool (0: onnxruntime's default, a thread per
    core); ``log_severity`` the least severe message it logs (3: errors, 4: fatal ones only).
    """
    options = onnxruntime.SessionOptions()
    options.log_severity_level = log_severity
    options.intra_op_num_threads = threads
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


@cache
def _session(fixture: str) -> onnxruntime.InferenceSession:
    return native_session(fixture_models.model_bytes(fixture))


def native_outputs(fixture: str, inputs: Sequence[npt.NDArray[Any]]) -> list[npt.NDArray[Any]]:
    """The outputs native onnxruntime computes for ``fixture`` on ``inputs`` (in input order)."""
    session = _session(fixture)
    feeds = {node.name: value for node, value in zip(session.get_inputs(), inputs, strict=True)}
    outputs: list[npt.NDArray[Any]] = session.run(None, feeds)
    return outputs


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How close an output must be: exact bytes, or ``|a - b| <= atol + rtol * |b|``."""

    exact: bool
    rtol: float = 0.0
    atol: float = 0.0

    def __str__(self) -> str:
        return "exact" if self.exact else f"rtol {self.rtol:g}, atol {self.atol:g}"


EXACT = Tolerance(exact=True)


@cache
def _tolerance_table() -> dict[str, Any]:
    return tomllib.loads(TOLERANCES_PATH.read_text(encoding="utf-8"))


def tolerance(fixture: str, tensor_type: str, table_name: str = "fixtures") -> Tolerance:
    """The tolerance for outputs of ``tensor_type`` of ``fixture``, for hosts that are not bit-exact.

    ``table_name`` is the table of ``fixtures/tolerances.toml`` that names it: ``fixtures``, or
    ``corpus`` for the cases of the ONNX node corpus (whose defaults are ``corpus.default``).
    """
    table = _tolerance_table()
    section = table.get(table_name, {})
    defaults = section.get("default", table["default"]) if table_name != "fixtures" else table["default"]
    entry = section.get(fixture, {}).get(tensor_type, defaults[tensor_type])
    if entry == "exact":
        return EXACT
    return Tolerance(False, float(entry["rtol"]), float(entry["atol"]))


@dataclass(frozen=True, slots=True)
class Comparison:
    """The result of comparing an output with the oracle's."""

    equal: bool
    max_error: float
    detail: str = ""


def compare(expected: npt.NDArray[Any], actual: bytes, limit: Tolerance) -> Comparison:
    """Compare a host's output bytes with the expected array under ``limit``."""
    want = np.ascontiguousarray(expected)
    if len(actual) != want.nbytes:
        return Comparison(False, float("inf"), f"{len(actual)} bytes, expected {want.nbytes}")
    got = np.frombuffer(actual, want.dtype).reshape(want.shape)
    if limit.exact:
        same = got.tobytes() == want.tobytes()
        differing = int(np.count_nonzero(got.view(np.uint8) != want.view(np.uint8)))
        return Comparison(same, 0.0 if same else float("nan"), "" if same else f"{differing} bytes differ")
    if want.dtype.kind != "f":
        same = bool(np.array_equal(got, want))
        largest = 0.0 if want.size == 0 else float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64))))
        return Comparison(same, largest, "" if same else f"largest difference {largest:g}")
    wanted = want.astype(np.float64)
    given = got.astype(np.float64)
    nan_mismatch = np.isnan(wanted) != np.isnan(given)
    finite = ~np.isnan(wanted) & ~np.isnan(given)
    # Infinities must match exactly; their difference is NaN, not a size.
    infinite = finite & (np.isinf(wanted) | np.isinf(given))
    inf_mismatch = infinite & (wanted != given)
    close = finite & ~infinite
    # Only finite pairs have a distance; infinities and NaN were compared above.
    error = np.abs(given[close] - wanted[close])
    too_far = error > limit.atol + limit.rtol * np.abs(wanted[close])
    max_error = float(np.max(error)) if error.size else 0.0
    problems = int(np.count_nonzero(nan_mismatch | inf_mismatch)) + int(np.count_nonzero(too_far))
    return Comparison(problems == 0, max_error, "" if problems == 0 else f"{problems} elements outside {limit}")
