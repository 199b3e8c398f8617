"""Run a driver script on the reference host in-process, for the suite's own tests."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from conformance.guest.driver import driver_wasm, parse_transcript
from conformance.guest.encoder import ScriptEncoder, ScriptResult
from conformance.host import GuestOptions, ReferenceHost, run_guest
from conformance.revisions import revision


def encoder(name: str = "current") -> ScriptEncoder:
    """A script encoder for revision ``name``."""
    return ScriptEncoder(revision(name).bindings)


def run_on_reference(script: ScriptEncoder, **host_options: Any) -> ScriptResult:
    """Run ``script`` through the driver guest on a fresh reference host."""
    bindings: ModuleType = script.bindings

    def factory(bindings: ModuleType) -> ReferenceHost:
        return ReferenceHost(bindings, **host_options)

    run = run_guest(driver_wasm(script.imports), factory, bindings, GuestOptions(stdin=script.script.to_bytes()))
    transcript = parse_transcript(run.stdout)
    assert run.trap is None, f"the reference host let the guest trap: {run.trap}"
    assert transcript.complete, f"transcript cut off (exit {run.exit_code}): {transcript.events[-3:]}"
    assert transcript.failure is None, f"the driver rejected the script: {transcript.failure}"
    return ScriptResult(transcript)
