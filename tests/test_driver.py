"""The driver guest, run in-process under wasmtime-py against a stub wasi-nn host."""

from __future__ import annotations

import hashlib
import random
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from wasmtime import Caller, FuncType, ValType

from conformance.guest import (
    EXIT_IO_ERROR,
    EXIT_SCRIPT_ERROR,
    FIRST_FREE_ADDRESS,
    INITIAL_MEMORY_PAGES,
    BytesRead,
    CallAnnounced,
    CallReturned,
    Deref,
    DriverError,
    DriverFailed,
    Ended,
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

CURRENT = (
    ("load", 5),
    ("load_by_name", 3),
    ("init_execution_context", 2),
    ("set_input", 3),
    ("get_output", 5),
    ("compute", 1),
)
OLDER = tuple(entry for entry in CURRENT if entry[0] != "load_by_name")
LOAD, LOAD_BY_NAME, INIT, SET_INPUT, GET_OUTPUT, COMPUTE = range(6)
PAGE = 65536
BASE = FIRST_FREE_ADDRESS
MiB = 1 << 20

HostFn = Callable[..., int]
I32 = ValType.i32()


def mem_read(caller: Caller, address: int, length: int) -> bytes:
    memory = caller["memory"]
    assert isinstance(memory, wasmtime.Memory)
    return bytes(memory.read(caller, address, address + length))


def mem_write(caller: Caller, address: int, data: bytes) -> None:
    memory = caller["memory"]
    assert isinstance(memory, wasmtime.Memory)
    memory.write(caller, data, address)


@dataclass
class StubHost:
    """A wasi-nn host made of Python functions; records every call it gets."""

    functions: dict[str, HostFn] = field(default_factory=dict)
    calls: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)

    def define(self, linker: wasmtime.Linker, imports: Sequence[tuple[str, int]]) -> None:
        for name, params in imports:
            linker.define_func(
                "wasi_ephemeral_nn",
                name,
                FuncType([I32] * params, [I32]),
                self._wrap(name),
                access_caller=True,
            )

    def _wrap(self, name: str) -> HostFn:
        def call(caller: Caller, *args: int) -> int:
            self.calls.append((name, tuple(a & 0xFFFFFFFF for a in args)))
            fn = self.functions.get(name)
            return 0 if fn is None else fn(caller, *args)

        return call


@dataclass
class Run:
    exit_code: int | None  # None: trapped
    trap: str | None
    stdout: bytes
    transcript: Transcript


@pytest.fixture(scope="module")
def engine() -> wasmtime.Engine:
    return wasmtime.Engine()


_modules: dict[tuple[tuple[str, int], ...], wasmtime.Module] = {}


def run_driver(
    engine: wasmtime.Engine,
    tmp_path: Path,
    script: Script | bytes,
    host: StubHost | None = None,
    imports: Sequence[tuple[str, int]] = CURRENT,
    define_preview1: Callable[[wasmtime.Linker], None] | None = None,
) -> Run:
    key = tuple(imports)
    if key not in _modules:
        _modules[key] = wasmtime.Module(engine, driver_wasm(imports))
    stdin = tmp_path / "script.bin"
    stdout = tmp_path / "transcript.bin"
    stdin.write_bytes(script.to_bytes() if isinstance(script, Script) else script)
    stdout.write_bytes(b"")
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    if define_preview1 is None:
        linker.define_wasi()
        wasi = wasmtime.WasiConfig()
        wasi.stdin_file = str(stdin)
        wasi.stdout_file = str(stdout)
        store.set_wasi(wasi)
    else:
        define_preview1(linker)
    (host or StubHost()).define(linker, imports)
    instance = linker.instantiate(store, _modules[key])
    start = instance.exports(store)["_start"]
    assert isinstance(start, wasmtime.Func)
    exit_code: int | None = 0
    trap = None
    try:
        start(store)
    except wasmtime.ExitTrap as exc:
        exit_code = exc.code
    except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
        exit_code, trap = None, str(exc)
    data = stdout.read_bytes()
    return Run(exit_code, trap, data, parse_transcript(data))


# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------


def test_template_fills_every_placeholder() -> None:
    wat = driver_wat(CURRENT)
    assert "{{" not in wat
    assert '(import "wasi_ephemeral_nn" "load_by_name"' in wat
    assert '"load_by_name"' not in driver_wat(OLDER)
    assert '(import "other_nn" "compute"' in driver_wat([("compute", 1)], module="other_nn")


def test_driver_wasm_is_cached_and_imports_only_preview1_and_nn(engine: wasmtime.Engine) -> None:
    assert driver_wasm(CURRENT) is driver_wasm(list(CURRENT))
    module = wasmtime.Module(engine, driver_wasm(CURRENT))
    imported = {(i.module, i.name) for i in module.imports}
    assert imported == {
        ("wasi_snapshot_preview1", "fd_read"),
        ("wasi_snapshot_preview1", "fd_write"),
        ("wasi_snapshot_preview1", "proc_exit"),
        *(("wasi_ephemeral_nn", name) for name, _ in CURRENT),
    }
    for i in module.imports:
        if i.module == "wasi_ephemeral_nn":
            assert isinstance(i.type, FuncType)
            assert [str(p) for p in i.type.params] == ["i32"] * dict(CURRENT)[str(i.name)]
            assert [str(r) for r in i.type.results] == ["i32"]
    assert {e.name for e in module.exports} == {"_start", "memory"}


@pytest.mark.parametrize(
    ("imports", "module"),
    [
        ([("load", 5), ("load", 5)], "wasi_ephemeral_nn"),
        ([("lo ad", 5)], "wasi_ephemeral_nn"),
        ([("load", 17)], "wasi_ephemeral_nn"),
        ([("load", 5)], 'bad"module'),
    ],
)
def test_driver_wat_rejects_bad_import_lists(imports: list[tuple[str, int]], module: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        driver_wat(imports, module)


# --------------------------------------------------------------------------------------------
# Scripts and transcripts as bytes
# --------------------------------------------------------------------------------------------


def test_script_bytes_are_the_documented_format() -> None:
    script = Script().write(0x1000, b"ab").call(2, 7, Deref(0x1004)).call(5, -1).read(0x1000, 3).grow(2).exit(9)
    assert script.to_bytes() == (
        b"W\x00\x10\x00\x00\x02\x00\x00\x00ab"
        b"C\x02\x00\x07\x00\x00\x00\x01\x04\x10\x00\x00"
        b"C\x05\x00\xff\xff\xff\xff"
        b"R\x00\x10\x00\x00\x03\x00\x00\x00"
        b"G\x02\x00\x00\x00"
        b"X\x09\x00\x00\x00"
    )
    assert Script(CURRENT).call(INIT, Deref(BASE), BASE + 4).describe() == [
        "0: CALL init_execution_context(*0x1000, 4100)"
    ]
    assert script.describe()[0] == "0: WRITE 0x1000 <- 2 bytes"


def test_script_builder_refuses_what_the_driver_would_reject() -> None:
    with pytest.raises(ValueError, match="working area"):
        Script().write(FIRST_FREE_ADDRESS - 1, b"xy")
    with pytest.raises(ValueError, match="takes 5 arguments"):
        Script(CURRENT).call(LOAD, 1, 2)
    with pytest.raises(ValueError, match="only 5 imports"):
        Script(OLDER).call(5)
    with pytest.raises(ValueError, match="32 bits"):
        Script().call(0, 1 << 32)
    Script().write(0, b"\x00" * 0x100)  # the guard bytes below the working area are fine


def test_parser_rejects_bytes_that_are_not_a_transcript() -> None:
    with pytest.raises(TranscriptError):
        parse_transcript(b"hello world\n")


def test_parser_handles_a_transcript_cut_anywhere(engine: wasmtime.Engine, tmp_path: Path) -> None:
    host = StubHost({"load": lambda c, *a: 3})
    script = Script().write(BASE, b"xyz").call(LOAD, 1, 2, 3, 4, 5).read(BASE, 3).grow(1)
    full = run_driver(engine, tmp_path, script, host).stdout
    assert parse_transcript(full).complete
    boundaries = set()
    for cut in range(len(full)):
        transcript = parse_transcript(full[:cut])
        assert not transcript.complete
        if not transcript.partial_record:
            boundaries.add(cut)
        assert transcript.partial_record == full[cut - len(transcript.partial_record) : cut]
    # Record boundaries: the start, the end of the header, the ends of w c r d g (not Z).
    header_end = len(full) - (9 + 23 + 6 + 12 + 9 + 5)
    ends = [header_end + n for n in (0, 9, 32, 38, 50, 59)]
    assert sorted(boundaries) == [0, *ends]
    assert parse_transcript(full[: full.index(b"r\x00")]).interrupted_call == CallAnnounced(1, LOAD, (1, 2, 3, 4, 5))
    with pytest.raises(TranscriptError, match="after the driver's last record"):
        parse_transcript(full + b"w")


# --------------------------------------------------------------------------------------------
# Behaviour under wasmtime-py
# --------------------------------------------------------------------------------------------


def test_empty_script_gives_header_and_clean_end(engine: wasmtime.Engine, tmp_path: Path) -> None:
    run = run_driver(engine, tmp_path, b"")
    assert run.exit_code == 0
    assert run.transcript.header == Header(
        version=1,
        first_free_address=FIRST_FREE_ADDRESS,
        memory_pages=INITIAL_MEMORY_PAGES,
        module="wasi_ephemeral_nn",
        imports=CURRENT,
    )
    assert run.transcript.events == (Ended(0),)
    assert run.transcript.complete
    assert run.transcript.interrupted_call is None


def test_write_lands_at_the_address(engine: wasmtime.Engine, tmp_path: Path) -> None:
    seen: list[bytes] = []

    def load(caller: Caller, builders: int, count: int, *rest: int) -> int:
        for i in range(count):
            pointer, length = struct.unpack("<II", mem_read(caller, builders + 8 * i, 8))
            seen.append(mem_read(caller, pointer, length))
        return 0

    first, second = b"model-part-one", bytes(range(256)) * 3
    script = (
        Script(CURRENT)
        .write(BASE + 0x100, first)
        .write(BASE + 0x1001, second)  # unaligned on purpose
        .write(BASE, struct.pack("<IIII", BASE + 0x100, len(first), BASE + 0x1001, len(second)))
        .call(LOAD, BASE, 2, 1, 0, BASE + 0x80)
    )
    run = run_driver(engine, tmp_path, script, StubHost({"load": load}))
    assert run.exit_code == 0
    assert seen == [first, second]
    assert run.transcript.events[:3] == (
        Written(0, BASE + 0x100, len(first)),
        Written(1, BASE + 0x1001, len(second)),
        Written(2, BASE, 16),
    )
    assert run.transcript.calls[0].result == 0


def test_deref_passes_what_an_earlier_call_wrote(engine: wasmtime.Engine, tmp_path: Path) -> None:
    handle = random.Random(1).randrange(1 << 16, 1 << 32)  # a value the script never sees

    def load(caller: Caller, *args: int) -> int:
        mem_write(caller, args[4], struct.pack("<I", handle))
        return 0

    def init(caller: Caller, graph: int, out: int) -> int:
        mem_write(caller, out, struct.pack("<I", (graph + 1) & 0xFFFFFFFF))
        return 0

    host = StubHost({"load": load, "init_execution_context": init})
    graph_out, context_out = BASE + 0x40, BASE + 0x45  # unaligned Deref too
    script = (
        Script(CURRENT)
        .call(LOAD, 0, 0, 1, 0, graph_out)
        .call(INIT, Deref(graph_out), context_out)
        .call(COMPUTE, Deref(context_out))
    )
    run = run_driver(engine, tmp_path, script, host)
    assert run.exit_code == 0
    assert host.calls[1] == ("init_execution_context", (handle, context_out))
    assert host.calls[2] == ("compute", ((handle + 1) & 0xFFFFFFFF,))
    # The announcements show the resolved values, not the addresses.
    assert [c.args for c in run.transcript.calls] == [
        (0, 0, 1, 0, graph_out),
        (handle, context_out),
        ((handle + 1) & 0xFFFFFFFF,),
    ]


def test_read_returns_what_the_host_wrote(engine: wasmtime.Engine, tmp_path: Path) -> None:
    output = bytes(random.Random(2).randrange(256) for _ in range(1000))

    def get_output(caller: Caller, ctx: int, index: int, buf: int, size: int, out: int) -> int:
        mem_write(caller, buf, output[:size])
        mem_write(caller, out, struct.pack("<I", min(size, len(output))))
        return 0

    script = (
        Script(CURRENT).call(GET_OUTPUT, 1, 0, BASE + 0x10, 4096, BASE).read(BASE, 4).read(BASE + 0x10, len(output))
    )
    run = run_driver(engine, tmp_path, script, StubHost({"get_output": get_output}))
    assert run.exit_code == 0
    assert run.transcript.reads == (struct.pack("<I", len(output)), output)
    assert run.transcript.events[2] == BytesRead(1, BASE, struct.pack("<I", len(output)))


def test_call_result_is_recorded_after_the_call(engine: wasmtime.Engine, tmp_path: Path) -> None:
    host = StubHost({"compute": lambda caller, ctx: 8, "set_input": lambda caller, *a: -1})
    script = Script(CURRENT).call(COMPUTE, 4).call(SET_INPUT, 1, 2, 3)
    run = run_driver(engine, tmp_path, script, host)
    assert run.transcript.events[:4] == (
        CallAnnounced(0, COMPUTE, (4,)),
        CallReturned(0, COMPUTE, 8),
        CallAnnounced(1, SET_INPUT, (1, 2, 3)),
        CallReturned(1, SET_INPUT, 0xFFFFFFFF),
    )
    assert run.transcript.events[4] == Ended(2)


def test_grow_makes_memory_beyond_the_old_end_writable(engine: wasmtime.Engine, tmp_path: Path) -> None:
    old_end = INITIAL_MEMORY_PAGES * PAGE
    seen: list[bytes] = []

    def compute(caller: Caller, address: int) -> int:
        seen.append(mem_read(caller, address, 5))
        return 0

    too_early = run_driver(engine, tmp_path, Script().write(old_end, b"x"))
    assert too_early.transcript.failure == DriverFailed(0, 0, DriverError.OUT_OF_BOUNDS, old_end)

    script = (
        Script(CURRENT)
        .grow(2)
        .write(old_end + PAGE, b"grown")
        .call(COMPUTE, old_end + PAGE)
        .read(old_end + 2 * PAGE - 5, 5)
        .grow(0)
        .grow(0xFFFF)
    )
    run = run_driver(engine, tmp_path, script, StubHost({"compute": compute}))
    assert run.exit_code == 0
    events = run.transcript.events
    assert events[0] == Grown(0, 2, INITIAL_MEMORY_PAGES)
    assert seen == [b"grown"]
    assert run.transcript.reads == (b"\x00" * 5,)
    assert events[-3] == Grown(4, 0, INITIAL_MEMORY_PAGES + 2)
    assert events[-2] == Grown(5, 0xFFFF, -1)
    assert not events[-2].succeeded


def test_exit_gives_the_exit_code(engine: wasmtime.Engine, tmp_path: Path) -> None:
    host = StubHost()
    run = run_driver(engine, tmp_path, Script(CURRENT).exit(7).call(COMPUTE, 1), host)
    assert run.exit_code == 7
    assert run.transcript.events == (Exited(0, 7),)
    assert run.transcript.complete
    assert host.calls == []


def test_four_mib_write_arrives_intact(engine: wasmtime.Engine, tmp_path: Path) -> None:
    # 4 MiB is 64 times the driver's largest fd_read, so this goes round the read loop.
    blob = random.Random(3).randbytes(4 * MiB)
    digests: list[str] = []

    def load(caller: Caller, builders: int, count: int, *rest: int) -> int:
        pointer, length = struct.unpack("<II", mem_read(caller, builders, 8))
        digests.append(hashlib.sha256(mem_read(caller, pointer, length)).hexdigest())
        return 0

    data_at = BASE + 0x10
    script = (
        Script(CURRENT)
        .grow(64)
        .write(data_at, blob)
        .write(BASE, struct.pack("<II", data_at, len(blob)))
        .call(LOAD, BASE, 1, 1, 0, BASE + 8)
        .read(data_at, len(blob))
    )
    run = run_driver(engine, tmp_path, script, StubHost({"load": load}))
    assert run.exit_code == 0
    assert digests == [hashlib.sha256(blob).hexdigest()]
    assert run.transcript.reads == (blob,)


def test_trap_in_an_import_leaves_the_call_announced(engine: wasmtime.Engine, tmp_path: Path) -> None:
    def compute(caller: Caller, ctx: int) -> int:
        raise wasmtime.Trap("backend exploded")

    def init(caller: Caller, graph: int, out: int) -> int:
        mem_write(caller, out, struct.pack("<I", 42))
        return 0

    script = Script(CURRENT).call(INIT, 1, BASE).call(COMPUTE, Deref(BASE)).read(BASE, 4)
    host = StubHost({"init_execution_context": init, "compute": compute})
    run = run_driver(engine, tmp_path, script, host)
    assert run.exit_code is None
    assert run.trap is not None
    assert "backend exploded" in run.trap
    assert not run.transcript.complete
    assert run.transcript.interrupted_call == CallAnnounced(1, COMPUTE, (42,))
    assert run.transcript.events[-1] == run.transcript.interrupted_call
    assert run.transcript.partial_record == b""
    assert run.transcript.calls[-1].result is None


def _bad_call(index: int, *arg_bytes: bytes) -> bytes:
    return b"C" + bytes([index]) + b"".join(arg_bytes)


IMM = b"\x00\x05\x00\x00\x00"


@pytest.mark.parametrize(
    ("tail", "imports", "error", "detail"),
    [
        pytest.param(b"Q", CURRENT, DriverError.UNKNOWN_OPCODE, ord("Q"), id="unknown-opcode"),
        pytest.param(b"\x00", CURRENT, DriverError.UNKNOWN_OPCODE, 0, id="zero-opcode"),
        pytest.param(_bad_call(6, IMM), CURRENT, DriverError.NO_SUCH_IMPORT, 6, id="index-6"),
        pytest.param(_bad_call(5, IMM), OLDER, DriverError.NO_SUCH_IMPORT, 5, id="older-index-5"),
        pytest.param(_bad_call(5, IMM[:3]), CURRENT, DriverError.TRUNCATED, 2, id="cut-arg"),
        pytest.param(_bad_call(2, IMM), CURRENT, DriverError.TRUNCATED, 1, id="missing-arg"),
        pytest.param(b"C", CURRENT, DriverError.TRUNCATED, 1, id="cut-index"),
        pytest.param(b"W\x00\x20", CURRENT, DriverError.TRUNCATED, 2, id="cut-address"),
        pytest.param(
            b"W\x00\x20\x00\x00\x10\x00\x00\x00abc",
            CURRENT,
            DriverError.TRUNCATED,
            13,
            id="cut-write-data",
        ),
        pytest.param(
            _bad_call(5, b"\x02\x00\x00\x00\x00"),
            CURRENT,
            DriverError.BAD_ARGUMENT_KIND,
            2,
            id="arg-kind-2",
        ),
        pytest.param(
            _bad_call(5, b"\x01\xfe\xff\x0f\x00"),
            CURRENT,
            DriverError.OUT_OF_BOUNDS,
            0xFFFFE,
            id="deref-beyond-memory",
        ),
        pytest.param(
            b"R\x00\x00\x0f\x00\x00\x00\x02\x00",
            CURRENT,
            DriverError.OUT_OF_BOUNDS,
            0xF0000,
            id="read-beyond-memory",
        ),
        pytest.param(
            b"R\xff\xff\xff\xff\x02\x00\x00\x00",
            CURRENT,
            DriverError.OUT_OF_BOUNDS,
            0xFFFFFFFF,
            id="read-wrapping",
        ),
        pytest.param(
            b"W\xf0\x0f\x00\x00\x20\x00\x00\x00" + bytes(32),
            CURRENT,
            DriverError.RESERVED_MEMORY,
            0xFF0,
            id="write-into-working-area",
        ),
    ],
)
def test_malformed_script_gives_error_record_and_exit_code(
    engine: wasmtime.Engine,
    tmp_path: Path,
    tail: bytes,
    imports: Sequence[tuple[str, int]],
    error: DriverError,
    detail: int,
) -> None:
    head = Script().grow(0).to_bytes()  # one good step first, so step and offset are checked
    # After a complete bad step, a good one that must not run; a truncated step is the end.
    trailer = b"" if error == DriverError.TRUNCATED else Script().exit(0).to_bytes()
    host = StubHost()
    run = run_driver(engine, tmp_path, head + tail + trailer, host, imports)
    assert run.exit_code == EXIT_SCRIPT_ERROR
    assert run.transcript.complete
    assert run.transcript.events[0] == Grown(0, 0, INITIAL_MEMORY_PAGES)
    assert run.transcript.failure == DriverFailed(1, len(head), error, detail)
    assert len(run.transcript.events) == 2
    assert host.calls == []


# --------------------------------------------------------------------------------------------
# Short reads and short writes, with a stub preview1 that hands out a few bytes at a time
# --------------------------------------------------------------------------------------------


class ExitCalled(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def stingy_preview1(
    stdin: bytes,
    stdout: bytearray,
    read_sizes: Sequence[int],
    stdin_errno: int = 0,
    asked: list[int] | None = None,
) -> Callable[[wasmtime.Linker], None]:
    """fd_read and fd_write that move at most ``read_sizes[k]`` bytes on call k (cycling).

    ``asked`` collects the length of every iovec the driver hands over.
    """
    position = [0]
    turn = [0]

    def next_size() -> int:
        turn[0] += 1
        return read_sizes[turn[0] % len(read_sizes)]

    def iovec(caller: Caller, iovs: int, count: int) -> tuple[int, int]:
        assert count == 1, "the driver uses one iovec per call"
        base, length = struct.unpack("<II", mem_read(caller, iovs, 8))
        if asked is not None:
            asked.append(length)
        return base, length

    def fd_read(caller: Caller, fd: int, iovs: int, count: int, nread: int) -> int:
        assert fd == 0
        if stdin_errno:
            return stdin_errno
        base, length = iovec(caller, iovs, count)
        chunk = stdin[position[0] : position[0] + min(length, next_size())]
        position[0] += len(chunk)
        mem_write(caller, base, chunk)
        mem_write(caller, nread, struct.pack("<I", len(chunk)))
        return 0

    def fd_write(caller: Caller, fd: int, iovs: int, count: int, nwritten: int) -> int:
        assert fd == 1
        base, length = iovec(caller, iovs, count)
        n = min(length, next_size())
        stdout.extend(mem_read(caller, base, n))
        mem_write(caller, nwritten, struct.pack("<I", n))
        return 0

    def proc_exit(code: int) -> None:
        raise ExitCalled(code)

    def define(linker: wasmtime.Linker) -> None:
        functions: list[tuple[str, list[ValType], list[ValType], Any, bool]] = [
            ("fd_read", [I32] * 4, [I32], fd_read, True),
            ("fd_write", [I32] * 4, [I32], fd_write, True),
            ("proc_exit", [I32], [], proc_exit, False),
        ]
        for name, params, results, fn, caller in functions:
            linker.define_func("wasi_snapshot_preview1", name, FuncType(params, results), fn, access_caller=caller)

    return define


def test_short_reads_and_writes_give_the_same_transcript(engine: wasmtime.Engine, tmp_path: Path) -> None:
    def get_output(caller: Caller, ctx: int, index: int, buf: int, size: int, out: int) -> int:
        mem_write(caller, buf, bytes(range(size)))
        return 0

    script = (
        Script(CURRENT)
        .write(BASE, bytes(range(200)))
        .call(GET_OUTPUT, 1, 0, BASE + 0x100, 77, Deref(BASE))
        .grow(1)
        .read(BASE, 300)
        .to_bytes()
    )
    normal = run_driver(engine, tmp_path, script, StubHost({"get_output": get_output}))
    stdout = bytearray()
    stingy = stingy_preview1(script, stdout, [1, 2, 3, 5, 7, 4])
    run = run_driver(engine, tmp_path, script, StubHost({"get_output": get_output}), define_preview1=stingy)
    assert run.exit_code == 0  # returned from _start: no proc_exit, no trap
    assert bytes(stdout) == normal.stdout
    assert parse_transcript(bytes(stdout)).events[-1] == Ended(4)


def test_large_transfers_go_in_chunks_of_at_most_64_kib(engine: wasmtime.Engine, tmp_path: Path) -> None:
    # Even when the host would move everything at once, a 1 MiB WRITE and READ take several
    # fd_read and fd_write calls: the loops run on every host.
    blob = random.Random(4).randbytes(MiB)
    script = Script().grow(16).write(BASE, blob).read(BASE, len(blob)).to_bytes()
    stdout, asked = bytearray(), list[int]()
    generous = stingy_preview1(script, stdout, [1 << 30], asked=asked)
    run = run_driver(engine, tmp_path, script, define_preview1=generous)
    assert run.exit_code == 0
    assert max(asked) <= 64 * 1024
    assert sum(1 for n in asked if n == 64 * 1024) >= 2 * 16
    assert parse_transcript(bytes(stdout)).reads == (blob,)


def test_stdin_failure_gives_error_record_and_io_exit_code(engine: wasmtime.Engine, tmp_path: Path) -> None:
    stdout = bytearray()
    define = stingy_preview1(b"", stdout, [64], stdin_errno=29)  # EIO
    with pytest.raises(ExitCalled) as caught:
        run_driver(engine, tmp_path, b"", define_preview1=define)
    assert caught.value.code == EXIT_IO_ERROR
    transcript = parse_transcript(bytes(stdout))
    assert transcript.failure == DriverFailed(0, 0, DriverError.STDIN_FAILED, 29)
