"""Clauses no driver script can express: they need guests of their own.

- ``link.all-functions``: the driver, which imports every function of the revision, runs an
  empty script;
- ``link.older-revision-guest``: the driver built for the 2022-10 imports runs on the host;
- ``link.unknown-import``: ``fixtures/guests/unknown_import.wat`` imports a function no
  revision defines;
- ``memory.missing-export``: ``fixtures/guests/no_memory.wat`` calls load without a memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import wasmtime

from conformance.adapters.base import HostAdapter, RunOutcome
from conformance.catalog import CallOutcome, Facts, Judgement, judge, load_catalog
from conformance.guest.driver import driver_wasm, parse_transcript
from conformance.guest.encoder import ScriptEncoder
from conformance.paths import GUESTS_DIR
from conformance.revisions import Bindings, revision

TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class SpecialRun:
    """A special guest's run: the judgement of its clause and how to replay it."""

    judgement: Judgement
    run: RunOutcome
    wasm: bytes
    description: str


def _driver_ran(run: RunOutcome) -> CallOutcome:
    """The empty script's run as the outcome of linking: success when the driver ended cleanly."""
    if run.kind == "exited" and run.exit_code == 0 and parse_transcript(run.stdout).complete:
        return CallOutcome("returned", 0, "success")
    if run.kind in ("exited", "trapped"):
        detail = (run.message or run.stderr.decode("utf-8", "replace")).strip().splitlines()
        return CallOutcome("trapped", message=" / ".join(detail[-2:]) or f"exit code {run.exit_code}")
    return _host_died(run)


def _host_died(run: RunOutcome) -> CallOutcome:
    message = run.stderr.decode("utf-8", "replace")[-300:]
    if run.kind == "hung":
        return CallOutcome("hung", message=message)
    if run.kind == "out_of_memory":
        return CallOutcome("out_of_memory", message=message)
    return CallOutcome("crashed", message=message)


def _link(bindings_of_guest: Bindings) -> tuple[bytes, Callable[[RunOutcome], CallOutcome], str]:
    return driver_wasm(ScriptEncoder(bindings_of_guest).imports), _driver_ran, "the driver with an empty script"


def _missing_memory(run: RunOutcome, bindings: Bindings) -> CallOutcome:
    if run.kind == "exited" and run.exit_code == 0:
        return CallOutcome("returned", int(bindings.NnErrno.MISSING_MEMORY), "missing_memory")
    text = run.message + run.stderr.decode("utf-8", "replace")
    if "load_answered_success" in text:
        return CallOutcome("returned", 0, "success")
    if "load_answered_another_errno" in text:
        return CallOutcome("returned", -1, "an errno other than missing_memory")
    if run.kind in ("exited", "trapped"):
        return CallOutcome("trapped", message=text.strip().splitlines()[-1] if text.strip() else "")
    return _host_died(run)


def _unknown_import(run: RunOutcome) -> CallOutcome:
    """Exit 0: the host linked it (an extension); refused at instantiation: a trap-like end."""
    if run.kind == "exited" and run.exit_code == 0:
        return CallOutcome("returned", 0, "success")
    if run.kind in ("exited", "trapped"):
        detail = (run.message or run.stderr.decode("utf-8", "replace")).strip().splitlines()
        return CallOutcome("trapped", message=" / ".join(detail[:2]) or f"exit code {run.exit_code}")
    return _host_died(run)


SPECIAL_CLAUSES = ("link.all-functions", "link.older-revision-guest", "link.unknown-import", "memory.missing-export")


def run_special(clause_id: str, bindings: Bindings, host: HostAdapter, timeout: float = TIMEOUT) -> SpecialRun:
    """Run the guest of ``clause_id`` on ``host`` and judge the clause."""
    clause = load_catalog(host.capabilities.revision)[clause_id]
    if clause_id == "link.all-functions":
        wasm, interpret, description = _link(bindings)
    elif clause_id == "link.older-revision-guest":
        wasm, interpret, description = _link(revision("2022-10").bindings)
        description = "the driver built for the 2022-10 imports, with an empty script"
    elif clause_id == "link.unknown-import":
        wasm = bytes(wasmtime.wat2wasm((GUESTS_DIR / "unknown_import.wat").read_text()))
        interpret, description = _unknown_import, "fixtures/guests/unknown_import.wat"
    elif clause_id == "memory.missing-export":
        wasm = bytes(wasmtime.wat2wasm((GUESTS_DIR / "no_memory.wat").read_text()))
        interpret, description = (lambda run: _missing_memory(run, bindings)), "fixtures/guests/no_memory.wat"
    else:
        raise KeyError(clause_id)
    run = host.run(wasm, b"", {}, timeout)
    return SpecialRun(judge(clause, interpret(run), Facts()), run, wasm, description)
