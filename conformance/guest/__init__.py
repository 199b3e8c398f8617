"""Guests the suite runs on WASI-NN hosts.

The central one is the *driver*, a WASI preview1 command that performs a script of raw
wasi-nn ABI operations read from stdin and writes a transcript of them to stdout; see
``fixtures/guests/README.md`` for the formats.
"""

from conformance.guest.driver import (
    EXIT_IO_ERROR,
    EXIT_SCRIPT_ERROR,
    FIRST_FREE_ADDRESS,
    INITIAL_MEMORY_PAGES,
    BytesRead,
    Call,
    CallAnnounced,
    CallReturned,
    Deref,
    DriverError,
    DriverFailed,
    Ended,
    Event,
    Exited,
    Grown,
    Header,
    Script,
    Transcript,
    TranscriptError,
    Written,
    driver_wasm,
    driver_wat,
    parse_transcript,
)

__all__ = [
    "EXIT_IO_ERROR",
    "EXIT_SCRIPT_ERROR",
    "FIRST_FREE_ADDRESS",
    "INITIAL_MEMORY_PAGES",
    "BytesRead",
    "Call",
    "CallAnnounced",
    "CallReturned",
    "Deref",
    "DriverError",
    "DriverFailed",
    "Ended",
    "Event",
    "Exited",
    "Grown",
    "Header",
    "Script",
    "Transcript",
    "TranscriptError",
    "Written",
    "driver_wasm",
    "driver_wat",
    "parse_transcript",
]
