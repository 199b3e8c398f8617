"""The driver guest: build it, write scripts for it, read its transcripts.

The driver (``fixtures/guests/driver.wat``) is a WASI preview1 command that reads a *script*
of raw wasi-nn ABI operations on stdin and streams a *transcript* on stdout. This module
fills in its template for a list of wasi-nn imports and compiles it, builds scripts, and
parses transcripts. ``fixtures/guests/README.md`` specifies both formats; the constants here
mirror it.
"""

from __future__ import annotations

import functools
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Self, TypeAlias

import wasmtime

from conformance.errors import ConformanceError
from conformance.paths import GUESTS_DIR

__all__ = [
    "EXIT_IO_ERROR",
    "EXIT_SCRIPT_ERROR",
    "FIRST_FREE_ADDRESS",
    "INITIAL_MEMORY_PAGES",
    "MAX_PARAMS",
    "TEMPLATE_PATH",
    "TRANSCRIPT_VERSION",
    "WASM_PAGE_SIZE",
    "ArgKind",
    "BytesRead",
    "Call",
    "CallAnnounced",
    "CallReturned",
    "CallStep",
    "Deref",
    "DriverError",
    "DriverFailed",
    "Ended",
    "Event",
    "ExitStep",
    "Exited",
    "GrowStep",
    "Grown",
    "Header",
    "Opcode",
    "ReadStep",
    "RecordTag",
    "Script",
    "Step",
    "Transcript",
    "TranscriptError",
    "WriteStep",
    "Written",
    "driver_wasm",
    "driver_wat",
    "parse_transcript",
]

TEMPLATE_PATH = GUESTS_DIR / "driver.wat"
"""The driver's WAT template."""

WASM_PAGE_SIZE = 65536
"""Bytes in one page of wasm memory."""

INITIAL_MEMORY_PAGES = 16
"""Pages of memory the driver starts with (1 MiB); scripts GROW for more."""

FIRST_FREE_ADDRESS = 0x1000
"""The lowest address a script may use freely; below it lies the driver's reserved region."""

WORKING_AREA_START = 0x0100
"""Start of the driver's own working memory, ``[WORKING_AREA_START, FIRST_FREE_ADDRESS)``;
below it the driver never reads or writes."""

MAX_PARAMS = 16
"""The most params a wasi-nn import may have for the driver to call it."""

TRANSCRIPT_VERSION = 1
"""The format version the driver writes in its header record."""

EXIT_SCRIPT_ERROR = 65
"""Exit code after a malformed script (an E record says what was wrong)."""

EXIT_IO_ERROR = 74
"""Exit code when stdin or stdout failed."""

_PARAM_COUNTS_CAPACITY = 0x100  # bytes of the PARAM_COUNTS data area (0x0200-0x02ff)
_IMPORT_TABLE_CAPACITY = 0xD00  # bytes of the IMPORT_TABLE data area (0x0300-0x0fff)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_U32 = 1 << 32


class Opcode(IntEnum):
    """First byte of each script step."""

    WRITE = 0x57  # 'W'
    CALL = 0x43  # 'C'
    READ = 0x52  # 'R'
    GROW = 0x47  # 'G'
    EXIT = 0x58  # 'X'


class ArgKind(IntEnum):
    """How the driver turns a CALL argument's u32 into the value passed to the import."""

    IMMEDIATE = 0
    """The u32 itself."""
    DEREF = 1
    """The u32 stored at that address when the call is made."""


class RecordTag(IntEnum):
    """First byte of each transcript record."""

    HEADER = 0x48  # 'H'
    WRITTEN = 0x77  # 'w'
    CALL_ANNOUNCED = 0x63  # 'c'
    CALL_RETURNED = 0x72  # 'r'
    DATA = 0x64  # 'd'
    GROWN = 0x67  # 'g'
    EXITING = 0x58  # 'X'
    END = 0x5A  # 'Z'
    ERROR = 0x45  # 'E'


class DriverError(IntEnum):
    """Error codes of the transcript's E record."""

    UNKNOWN_OPCODE = 1
    """detail: the opcode byte."""
    TRUNCATED = 2
    """Stdin ended inside a step; detail: how many more bytes the step needed."""
    NO_SUCH_IMPORT = 3
    """detail: the import index."""
    BAD_ARGUMENT_KIND = 4
    """detail: the kind byte."""
    OUT_OF_BOUNDS = 5
    """A WRITE, READ or DEREF range beyond the end of memory; detail: its address."""
    RESERVED_MEMORY = 6
    """A WRITE into the driver's working area; detail: its address."""
    STDIN_FAILED = 7
    """fd_read on stdin failed; detail: its errno, or 0xFFFFFFFF for an impossible count."""


# --------------------------------------------------------------------------------------------
# Building the driver
# --------------------------------------------------------------------------------------------


def _escaped(data: bytes) -> str:
    """Bytes as a WAT string literal body, every byte escaped."""
    return "".join(f"\\{b:02x}" for b in data)


def _check_imports(imports: Sequence[tuple[str, int]], module: str) -> None:
    if not _NAME.match(module):
        raise ValueError(f"module name {module!r} is not a plain identifier")
    if len(imports) > 255:
        raise ValueError(f"{len(imports)} imports; a CALL index is one byte")
    seen: set[str] = set()
    for name, params in imports:
        if not _NAME.match(name):
            raise ValueError(f"import name {name!r} is not a plain identifier")
        if name in seen:
            raise ValueError(f"import {name!r} listed twice")
        seen.add(name)
        if not 0 <= params <= MAX_PARAMS:
            raise ValueError(f"import {name!r} has {params} params; the driver takes 0..16")


def _import_table(imports: Sequence[tuple[str, int]], module: str) -> tuple[bytes, str]:
    """The import table the header record carries, prefixed with its u16 length.

    Returned as bytes and as a WAT string literal body that keeps the names readable.
    """
    parts: list[tuple[bytes, bool]] = [(bytes([len(module)]), False), (module.encode(), True)]
    parts.append((bytes([len(imports)]), False))
    for name, params in imports:
        parts += [(bytes([len(name)]), False), (name.encode(), True), (bytes([params]), False)]
    table = b"".join(data for data, _ in parts)
    parts.insert(0, (struct.pack("<H", len(table)), False))
    literal = "".join(data.decode() if is_name else _escaped(data) for data, is_name in parts)
    return struct.pack("<H", len(table)) + table, literal


def driver_wat(imports: Sequence[tuple[str, int]], module: str = "wasi_ephemeral_nn") -> str:
    """Return the driver's WAT for these wasi-nn imports.

    ``imports`` lists ``(import name, number of i32 params)`` in the order of the bindings
    of the WITX revision under test; a script's CALL names an import by its index here.
    ``module`` is the import module they come from.
    """
    _check_imports(imports, module)
    table, table_literal = _import_table(imports, module)
    if len(table) > _IMPORT_TABLE_CAPACITY:
        raise ValueError("the import names do not fit in the driver's import table area")

    nn_imports = []
    nn_calls = []
    for index, (name, params) in enumerate(imports):
        sig = f" (param{' i32' * params})" if params else ""
        nn_imports.append(f'  (import "{module}" "{name}" (func $nn.{name}{sig} (result i32)))  ;; #{index}')
        args = "".join(f"\n      (call $arg (i32.const {i}))" for i in range(params))
        nn_calls.append(f"  (func $call.{name} (type $call_import)\n    (call $nn.{name}{args}))")
    elems = " ".join(f"$call.{name}" for name, _ in imports)
    nn_calls.append(f"  (table $calls funcref (elem {elems}))")

    param_counts = bytes([len(imports), *(params for _, params in imports)])
    assert len(param_counts) <= _PARAM_COUNTS_CAPACITY
    fills = {
        "NN_IMPORTS": "\n".join(nn_imports),
        "NN_CALLS": "\n".join(nn_calls),
        "PARAM_COUNTS": _escaped(param_counts),
        "IMPORT_TABLE": table_literal,
    }
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    for key, value in fills.items():
        placeholder = "{{" + key + "}}"
        if text.count(placeholder) != 1:
            raise RuntimeError(f"driver template: expected placeholder {placeholder} once")
        text = text.replace(placeholder, value)
    if "{{" in text:
        raise RuntimeError("driver template: unknown placeholder left after filling")
    return text


@functools.cache
def _compile(imports: tuple[tuple[str, int], ...], module: str) -> bytes:
    return bytes(wasmtime.wat2wasm(driver_wat(imports, module)))


def driver_wasm(imports: Sequence[tuple[str, int]], module: str = "wasi_ephemeral_nn") -> bytes:
    """Return the driver compiled to a wasm binary for these imports (cached).

    Arguments as for :func:`driver_wat`.
    """
    return _compile(tuple((str(name), int(params)) for name, params in imports), module)


# --------------------------------------------------------------------------------------------
# Scripts
# --------------------------------------------------------------------------------------------


def _u32(value: int, what: str) -> int:
    if not 0 <= value < _U32:
        raise ValueError(f"{what} {value} is not a u32")
    return value


@dataclass(frozen=True)
class Deref:
    """A CALL argument meaning "the u32 stored at ``address`` when the call is made".

    Lets a script pass a handle an earlier call wrote to an out-pointer without knowing it.
    """

    address: int

    def __post_init__(self) -> None:
        _u32(self.address, "Deref address")

    def __str__(self) -> str:
        return f"*{self.address:#x}"


@dataclass(frozen=True)
class WriteStep:
    """WRITE: copy ``data`` from the script into memory at ``address``."""

    address: int
    data: bytes

    def to_bytes(self) -> bytes:
        """Encode the step in the script format."""
        return struct.pack("<BII", Opcode.WRITE, self.address, len(self.data)) + self.data

    def __str__(self) -> str:
        return f"WRITE {self.address:#x} <- {len(self.data)} bytes"


@dataclass(frozen=True)
class CallStep:
    """CALL: call import ``import_index`` with ``args``; ``name`` is for reports only."""

    import_index: int
    args: tuple[int | Deref, ...]
    name: str | None = None

    def to_bytes(self) -> bytes:
        """Encode the step in the script format."""
        out = bytearray(struct.pack("<BB", Opcode.CALL, self.import_index))
        for arg in self.args:
            if isinstance(arg, Deref):
                out += struct.pack("<BI", ArgKind.DEREF, arg.address)
            else:
                out += struct.pack("<BI", ArgKind.IMMEDIATE, arg % _U32)
        return bytes(out)

    def __str__(self) -> str:
        callee = self.name if self.name is not None else f"#{self.import_index}"
        return f"CALL {callee}({', '.join(str(a) for a in self.args)})"


@dataclass(frozen=True)
class ReadStep:
    """READ: copy ``length`` bytes at ``address`` into the transcript."""

    address: int
    length: int

    def to_bytes(self) -> bytes:
        """Encode the step in the script format."""
        return struct.pack("<BII", Opcode.READ, self.address, self.length)

    def __str__(self) -> str:
        return f"READ {self.address:#x} ({self.length} bytes)"


@dataclass(frozen=True)
class GrowStep:
    """GROW: ``memory.grow`` by ``pages``."""

    pages: int

    def to_bytes(self) -> bytes:
        """Encode the step in the script format."""
        return struct.pack("<BI", Opcode.GROW, self.pages)

    def __str__(self) -> str:
        return f"GROW {self.pages} pages"


@dataclass(frozen=True)
class ExitStep:
    """EXIT: ``proc_exit(code)``."""

    code: int

    def to_bytes(self) -> bytes:
        """Encode the step in the script format."""
        return struct.pack("<BI", Opcode.EXIT, self.code)

    def __str__(self) -> str:
        return f"EXIT {self.code}"


Step: TypeAlias = WriteStep | CallStep | ReadStep | GrowStep | ExitStep
"""One operation of a script."""


@dataclass
class Script:
    """A driver script, built step by step.

    Give ``imports`` (the list the driver was built from) to have CALL checked against it
    and named in :meth:`describe`. Methods return the script, so calls chain.
    """

    imports: Sequence[tuple[str, int]] | None = None
    steps: list[Step] = field(default_factory=list)

    def write(self, address: int, data: bytes) -> Self:
        """Write ``data`` into guest memory at ``address``."""
        _u32(address, "WRITE address")
        _u32(address + len(data), "WRITE end")
        if data and address < FIRST_FREE_ADDRESS and address + len(data) > WORKING_AREA_START:
            raise ValueError(
                f"WRITE {address:#x}+{len(data)} overlaps the driver's working area "
                f"[{WORKING_AREA_START:#x}, {FIRST_FREE_ADDRESS:#x})"
            )
        self.steps.append(WriteStep(address, bytes(data)))
        return self

    def call(self, import_index: int, *args: int | Deref) -> Self:
        """Call import ``import_index``; an ``int`` is passed as is, a :class:`Deref` resolved.

        Integers may be given signed (``-1``) or unsigned (``0xFFFFFFFF``).
        """
        if not 0 <= import_index <= 255:
            raise ValueError(f"import index {import_index} is not a u8")
        for arg in args:
            if isinstance(arg, int) and not -(1 << 31) <= arg < _U32:
                raise ValueError(f"argument {arg} does not fit in 32 bits")
        name = None
        if self.imports is not None:
            if import_index >= len(self.imports):
                raise ValueError(f"import index {import_index}: only {len(self.imports)} imports")
            name, params = self.imports[import_index]
            if len(args) != params:
                raise ValueError(f"{name} takes {params} arguments, got {len(args)}")
        self.steps.append(CallStep(import_index, tuple(args), name))
        return self

    def read(self, address: int, length: int) -> Self:
        """Copy ``length`` bytes of guest memory at ``address`` into the transcript."""
        _u32(address, "READ address")
        _u32(length, "READ length")
        self.steps.append(ReadStep(address, length))
        return self

    def grow(self, pages: int) -> Self:
        """Grow guest memory by ``pages`` pages of 64 KiB."""
        self.steps.append(GrowStep(_u32(pages, "GROW pages")))
        return self

    def exit(self, code: int) -> Self:
        """End the run with ``proc_exit(code)``."""
        self.steps.append(ExitStep(_u32(code, "EXIT code")))
        return self

    def to_bytes(self) -> bytes:
        """The script in the driver's binary format, ready for its stdin."""
        return b"".join(step.to_bytes() for step in self.steps)

    def describe(self) -> list[str]:
        """One readable line per step, numbered as the transcript numbers steps."""
        return [f"{i}: {step}" for i, step in enumerate(self.steps)]


# --------------------------------------------------------------------------------------------
# Transcripts
# --------------------------------------------------------------------------------------------


class TranscriptError(ConformanceError, ValueError):
    """The bytes are not a driver transcript (as opposed to one cut off early)."""


@dataclass(frozen=True)
class Header:
    """What the driver says about itself before the first step."""

    version: int
    first_free_address: int
    memory_pages: int
    module: str
    imports: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Written:
    """A WRITE step completed."""

    step: int
    address: int
    length: int


@dataclass(frozen=True)
class CallAnnounced:
    """The driver is about to call an import with these (resolved) arguments."""

    step: int
    import_index: int
    args: tuple[int, ...]


@dataclass(frozen=True)
class CallReturned:
    """The import returned ``result`` (the errno, as a u32)."""

    step: int
    import_index: int
    result: int


@dataclass(frozen=True)
class BytesRead:
    """A READ step: ``data`` is guest memory at ``address``."""

    step: int
    address: int
    data: bytes


@dataclass(frozen=True)
class Grown:
    """A GROW step; ``result`` is what memory.grow returned: old size in pages, or -1."""

    step: int
    pages: int
    result: int

    @property
    def succeeded(self) -> bool:
        """Whether memory did grow."""
        return self.result != -1


@dataclass(frozen=True)
class Exited:
    """An EXIT step: the driver is about to ``proc_exit(code)``."""

    step: int
    code: int


@dataclass(frozen=True)
class Ended:
    """Stdin ended after ``steps`` steps; the driver returns, exit code 0."""

    steps: int


@dataclass(frozen=True)
class DriverFailed:
    """The driver rejected the script (or stdin failed) in step ``step``, and exits."""

    step: int
    offset: int
    """Script offset of the failing step's opcode."""
    error: DriverError | int
    detail: int


Event: TypeAlias = Written | CallAnnounced | CallReturned | BytesRead | Grown | Exited | Ended | DriverFailed
"""One transcript record after the header."""


@dataclass(frozen=True)
class Call:
    """A call as announced, with its result (``None``: the call never returned)."""

    step: int
    import_index: int
    args: tuple[int, ...]
    result: int | None


@dataclass(frozen=True)
class Transcript:
    """A parsed transcript.

    ``partial_record`` holds the bytes of a last record cut off midway (usually empty).
    """

    header: Header | None
    events: tuple[Event, ...]
    partial_record: bytes = b""

    @property
    def complete(self) -> bool:
        """Whether the driver finished: the last record is Z (end), X (exit) or E (error)."""
        return bool(self.events) and isinstance(self.events[-1], Ended | Exited | DriverFailed)

    @property
    def interrupted_call(self) -> CallAnnounced | None:
        """The call the transcript stops in (announced, never returned), if any."""
        if self.events and isinstance(self.events[-1], CallAnnounced):
            return self.events[-1]
        return None

    @property
    def failure(self) -> DriverFailed | None:
        """The driver's error record, if it rejected the script."""
        if self.events and isinstance(self.events[-1], DriverFailed):
            return self.events[-1]
        return None

    # Cached: a long script's judging asks for them once per call.
    @functools.cached_property
    def calls(self) -> tuple[Call, ...]:
        """Every announced call with its result."""
        calls: list[Call] = []
        for event in self.events:
            if isinstance(event, CallAnnounced):
                calls.append(Call(event.step, event.import_index, event.args, None))
            elif isinstance(event, CallReturned):
                last = calls[-1]
                calls[-1] = Call(last.step, last.import_index, last.args, event.result)
        return tuple(calls)

    @functools.cached_property
    def reads(self) -> tuple[bytes, ...]:
        """The data of every READ, in order."""
        return tuple(e.data for e in self.events if isinstance(e, BytesRead))


class _Cut(Exception):
    """The data ends inside a record."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise _Cut
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        value: int = struct.unpack("<H", self.take(2))[0]
        return value

    def u32(self) -> int:
        value: int = struct.unpack("<I", self.take(4))[0]
        return value

    def u64(self) -> int:
        value: int = struct.unpack("<Q", self.take(8))[0]
        return value

    def name(self) -> str:
        return self.take(self.u8()).decode("ascii")


def _parse_header(r: _Reader) -> Header:
    if r.u8() != RecordTag.HEADER:
        raise TranscriptError("transcript does not start with the driver's H record")
    version = r.u8()
    if version != TRANSCRIPT_VERSION:
        raise TranscriptError(f"transcript version {version}, expected {TRANSCRIPT_VERSION}")
    first_free = r.u32()
    pages = r.u32()
    table = _Reader(r.take(r.u16()))
    try:
        module = table.name()
        imports = []
        for _ in range(table.u8()):
            name = table.name()
            imports.append((name, table.u8()))
    except (_Cut, UnicodeDecodeError) as exc:
        raise TranscriptError("malformed import table in the H record") from exc
    if table.pos != len(table.data):
        raise TranscriptError("trailing bytes in the H record's import table")
    return Header(version, first_free, pages, module, tuple(imports))


def _parse_record(r: _Reader, header: Header, step: int, pending: CallAnnounced | None) -> Event:
    at = r.pos
    tag = r.u8()
    if tag == RecordTag.WRITTEN:
        return Written(step, r.u32(), r.u32())
    if tag == RecordTag.CALL_ANNOUNCED:
        index, count = r.u8(), r.u8()
        if index >= len(header.imports) or count != header.imports[index][1]:
            raise TranscriptError(f"call record at offset {at} does not match the imports")
        return CallAnnounced(step, index, tuple(r.u32() for _ in range(count)))
    if tag == RecordTag.CALL_RETURNED:
        index, result = r.u8(), r.u32()
        if pending is None or pending.import_index != index:
            raise TranscriptError(f"result record at offset {at} answers no announced call")
        return CallReturned(pending.step, index, result)
    if tag == RecordTag.DATA:
        address, length = r.u32(), r.u32()
        return BytesRead(step, address, r.take(length))
    if tag == RecordTag.GROWN:
        pages, result = r.u32(), r.u32()
        return Grown(step, pages, result - _U32 if result >= 1 << 31 else result)
    if tag == RecordTag.EXITING:
        return Exited(step, r.u32())
    if tag == RecordTag.END:
        return Ended(r.u32())
    if tag == RecordTag.ERROR:
        code, failed_step, offset, detail = r.u8(), r.u32(), r.u64(), r.u32()
        error: DriverError | int
        try:
            error = DriverError(code)
        except ValueError:
            error = code
        return DriverFailed(failed_step, offset, error, detail)
    raise TranscriptError(f"unknown record tag {tag:#04x} at offset {at}")


def parse_transcript(data: bytes) -> Transcript:
    """Parse the driver's stdout.

    A transcript cut off early (the driver trapped, the host crashed) parses fine: see
    :attr:`Transcript.complete`, :attr:`Transcript.interrupted_call` and
    :attr:`Transcript.partial_record`. Bytes that cannot come from the driver raise
    :class:`TranscriptError`.
    """
    r = _Reader(bytes(data))
    try:
        header = _parse_header(r)
    except _Cut:
        return Transcript(None, (), bytes(data))
    events: list[Event] = []
    step = 0
    pending: CallAnnounced | None = None
    while r.pos < len(r.data):
        if events and isinstance(events[-1], Ended | Exited | DriverFailed):
            raise TranscriptError(f"bytes after the driver's last record, at offset {r.pos}")
        start = r.pos
        try:
            event = _parse_record(r, header, step, pending)
        except _Cut:
            return Transcript(header, tuple(events), r.data[start:])
        if pending is not None and not isinstance(event, CallReturned):
            raise TranscriptError(f"record at offset {start} follows a call with no result")
        if isinstance(event, CallAnnounced):
            pending = event
        elif isinstance(event, CallReturned):
            pending = None
            step += 1
        elif isinstance(event, Written | BytesRead | Grown):
            step += 1
        elif isinstance(event, Ended | DriverFailed) and (
            (event.steps if isinstance(event, Ended) else event.step) != step
        ):
            raise TranscriptError(f"record at offset {start} counts steps differently")
        events.append(event)
    return Transcript(header, tuple(events), b"")
