"""The failure-case format: what a report's ``repro/CASE/case.json`` holds, which replay reads.

The reports write a case folder per failing case (:mod:`conformance.reports.cases`);
``wasi-nn-conformance replay`` runs it again (:mod:`conformance.replay`). Both speak the
format defined here: the scenario as JSON (each operation with its fields, bytes in base64,
the recipe of graphs built on the fly), a failure as replay compares it, the version of the
format, and the command line that replays a case.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
from collections.abc import Mapping
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from conformance import fixture_models
from conformance.adapters.wasmtime_cli import WASMTIME_VERSION_VARIABLE
from conformance.catalog import Judgement
from conformance.errors import UsageError
from conformance.expectations import outcome_summary
from conformance.results import Ledger
from conformance.revisions import revision as find_revision
from conformance.spec import (
    Compute,
    Forged,
    GetOutput,
    InitExecutionContext,
    Load,
    LoadByName,
    Made,
    Operation,
    Scenario,
    SetInput,
    call_name,
)

CASE_VERSION = 1
"""Version of the ``case.json`` format."""


_OPERATIONS: dict[str, type[Operation]] = {
    kind.__name__: kind for kind in (Load, LoadByName, InitExecutionContext, SetInput, Compute, GetOutput)
}

FailureKey = tuple[str, tuple[str, ...], str]
"""A failure as replay compares it: the clause, the levels it failed, and how the call ended."""


# -- the scenario as JSON -------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Made):
        return {"made": value.op}
    if isinstance(value, Forged):
        return {"forged": value.value}
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "base64" in value:
            return base64.b64decode(value["base64"])
        if "made" in value:
            return Made(int(value["made"]))
        if "forged" in value:
            return Forged(int(value["forged"]))
        raise ValueError(f"not an encoded value: {value!r}")
    if isinstance(value, list):
        # Every sequence field of an operation is a tuple (dimensions, builders, demonstrates).
        return tuple(_decode(item) for item in value)
    return value


def scenario_to_json(scenario: Scenario) -> dict[str, Any]:
    """A JSON-ready form of ``scenario``: each operation with its fields, bytes in base64.

    How the scenario runs (scenarios run before it or alongside it, its memory bound, limits
    and rounds) is kept where it differs from a plain run.
    """
    operations = []
    for operation in scenario.operations:
        encoded: dict[str, Any] = {"operation": type(operation).__name__, "call": call_name(operation)}
        for item in fields(operation):
            encoded[item.name] = _encode(getattr(operation, item.name))
        operations.append(encoded)
    data: dict[str, Any] = {"operations": operations, "graphs": dict(scenario.graphs)}
    # Graphs built on the fly exist only in the process that built them: their recipe goes along.
    used = {getattr(operation, "fixture", "") for operation in scenario.operations} | set(scenario.graphs.values())
    chains = {
        name: asdict(chain) for name in sorted(used) if (chain := fixture_models.chain_definition(name)) is not None
    }
    if chains:
        data["chains"] = chains
    for name in ("earlier", "alongside"):
        if getattr(scenario, name):
            data[name] = [scenario_to_json(other) for other in getattr(scenario, name)]
    plain = Scenario(())
    for name in _HOW_IT_RUNS:
        if getattr(scenario, name) != getattr(plain, name):
            data[name] = getattr(scenario, name)
    return data


def scenario_from_json(data: Mapping[str, Any]) -> Scenario:
    """The scenario :func:`scenario_to_json` describes; graphs it built on the fly are built again."""
    for name, chain in data.get("chains", {}).items():
        rebuilt = fixture_models.elementwise_chain(chain["ops"], tuple(chain["shape"]), chain["constant"])
        if rebuilt != name:
            raise ValueError(f"the recipe of {name} builds {rebuilt}")
    operations = []
    for encoded in data["operations"]:
        kind = _OPERATIONS[encoded["operation"]]
        arguments = {name: _decode(value) for name, value in encoded.items() if name not in ("operation", "call")}
        operations.append(kind(**arguments))
    return Scenario(
        tuple(operations),
        dict(data.get("graphs", {})),
        earlier=tuple(scenario_from_json(earlier) for earlier in data.get("earlier", ())),
        alongside=tuple(scenario_from_json(other) for other in data.get("alongside", ())),
        **{name: data[name] for name in _HOW_IT_RUNS if name in data},
    )


#: The fields of a scenario that say how it runs, beyond its operations, graphs and other scenarios.
_HOW_IT_RUNS = ("memory_bound", "within_limits", "rounds")


def failure_key(judgement: Judgement) -> FailureKey:
    """How replay compares a failure with the recorded one."""
    levels = tuple(level.name.lower() for level, verdict in judgement.verdicts.items() if not verdict.passed)
    return judgement.clause.id, levels, outcome_summary(judgement.outcome)


def load_case(folder: Path) -> dict[str, Any]:
    """The ``case.json`` of a case folder; :class:`~conformance.errors.UsageError` says why it cannot be replayed."""
    path = folder / "case.json"
    try:
        case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"{folder} is not a case folder of a report: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{path}: {error}") from None
    if case.get("case_version") != CASE_VERSION:
        raise UsageError(f"{path}: case format {case.get('case_version')!r}, this suite reads {CASE_VERSION}")
    return case


def replay_command(case_folder: Path, ledger: Ledger) -> str:
    """The command line that re-runs a case on the host of ``ledger``, chosen the same way."""
    words = ["wasi-nn-conformance", "replay", str(case_folder)]
    if ledger.host_command:
        if ledger.host_option != "reference":
            words += ["--wasi-nn-host", ledger.host_option]
        words += ["--wasi-nn-host-command", ledger.host_command]
    else:
        words += ["--wasi-nn-host", ledger.host_option]
    if ledger.revision != find_revision().name:
        words += ["--wasi-nn-revision", ledger.revision]
    # A Wasmtime release named for the run is named for the replay too (the adapter reads it).
    release = os.environ.get(WASMTIME_VERSION_VARIABLE, "").strip()
    if release and ledger.host_option.startswith("wasmtime-cli") and not ledger.host_command:
        return f"{WASMTIME_VERSION_VARIABLE}={shlex.quote(release)} {shlex.join(words)}"
    return shlex.join(words)
