"""Turn typed wasi-nn operations into driver scripts, laid out with the generated bindings.

A :class:`ScriptEncoder` places builders, tensor records, dimensions, data and output buffers
in guest memory, growing it as needed, and calls the driver's imports by name. Every output
buffer and result slot is surrounded by canary bytes and read back after the call, so a host
that writes where it may not is seen. Hostile arguments are just other integers: every
typed helper has a raw form (:meth:`ScriptEncoder.call`) that takes any i32 values.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from conformance.bindings import FunctionSignature, GuestList, TypeInfo
from conformance.guest.driver import (
    FIRST_FREE_ADDRESS,
    INITIAL_MEMORY_PAGES,
    WASM_PAGE_SIZE,
    Deref,
    Script,
    Transcript,
)
from conformance.revisions import Bindings

#: Bytes written around every region a host may write, and into the region itself beforehand;
#: no value a host legitimately writes looks like this run.
CANARY = bytes(range(0xC0, 0xD0))


def canary_fill(size: int) -> bytes:
    """What a guarded region holds before the host writes: the canary pattern, repeated."""
    return (CANARY * (size // len(CANARY) + 1))[:size]


@dataclass(frozen=True, slots=True)
class Region:
    """A guarded region of guest memory: ``size`` bytes at ``address`` with canaries around it.

    ``read`` is the index of the READ step that reads it back, canaries included.
    """

    address: int
    size: int
    read: int | None = None

    @property
    def guarded_start(self) -> int:
        """Where the leading canary starts."""
        return self.address - len(CANARY)

    @property
    def guarded_size(self) -> int:
        """The size of region and both canaries."""
        return self.size + 2 * len(CANARY)

    def deref(self) -> Deref:
        """The u32 stored at the start of the region, as a CALL argument."""
        return Deref(self.address)


@dataclass(frozen=True, slots=True)
class RegionContents:
    """What a guarded region held after the run."""

    before: bytes
    inside: bytes
    after: bytes

    @property
    def canaries_intact(self) -> bool:
        """Whether nothing was written outside the region."""
        return self.before == CANARY and self.after == CANARY

    def untouched(self, start: int = 0) -> bool:
        """Whether the region still holds its fill from byte ``start`` on."""
        fill = canary_fill(len(self.inside))
        return self.inside[start:] == fill[start:]

    @property
    def u32(self) -> int:
        """The region's first four bytes as a little-endian u32."""
        value: int = struct.unpack_from("<I", self.inside)[0]
        return value


class ScriptEncoder:
    """Builds a driver script for one revision of the bindings.

    Calls are numbered in the order they are added; :class:`ScriptResult` answers by number.
    """

    def __init__(self, bindings: Bindings) -> None:
        self.bindings = bindings
        self.functions: dict[str, FunctionSignature] = dict(bindings.FUNCTIONS)
        self.imports = [(name, len(signature.core)) for name, signature in self.functions.items()]
        self._index = {name: position for position, (name, _) in enumerate(self.imports)}
        self.script = Script(self.imports)
        self.next_free = FIRST_FREE_ADDRESS
        self.memory_size = INITIAL_MEMORY_PAGES * WASM_PAGE_SIZE
        self.calls = 0
        self.reads = 0

    # -- memory --------------------------------------------------------------------------------

    def alloc(self, size: int, align: int = 8) -> int:
        """Reserve ``size`` bytes aligned to ``align``, growing memory when needed."""
        address = -(-self.next_free // align) * align
        end = address + size
        if end > self.memory_size:
            pages = -(-(end - self.memory_size) // WASM_PAGE_SIZE)
            self.script.grow(pages)
            self.memory_size += pages * WASM_PAGE_SIZE
        self.next_free = end
        return address

    def alloc_at_end(self, size: int) -> int:
        """Reserve the last ``size`` bytes of memory (growing it if needed); later allocations grow it."""
        while self.memory_size - size < self.next_free:
            self.script.grow(1)
            self.memory_size += WASM_PAGE_SIZE
        self.next_free = self.memory_size
        return self.memory_size - size

    def place(self, data: bytes, align: int = 8) -> int:
        """Write ``data`` into fresh memory and return its address."""
        address = self.alloc(len(data), align)
        self.script.write(address, data)
        return address

    def region(self, size: int) -> Region:
        """A guarded region for a host to write into: canary, ``size`` filled bytes, canary.

        The region is 8-aligned (the canary is 16 bytes), enough for every WITX type.
        """
        start = self.alloc(size + 2 * len(CANARY), 8)
        fill = canary_fill(size)
        self.script.write(start, CANARY + fill + CANARY)
        return Region(start + len(CANARY), size)

    def read(self, address: int, length: int) -> int:
        """Read ``length`` bytes at ``address`` into the transcript; returns the READ's index."""
        self.script.read(address, length)
        self.reads += 1
        return self.reads - 1

    def read_back(self, region: Region) -> Region:
        """Read ``region`` and its canaries into the transcript; returns it with its READ index."""
        return Region(region.address, region.size, self.read(region.guarded_start, region.guarded_size))

    def result_slot(self, signature: FunctionSignature) -> Region:
        """A guarded region the size of ``signature``'s result."""
        assert signature.result is not None
        return self.region(signature.result.size)

    # -- calls ---------------------------------------------------------------------------------

    def call(self, name: str, *arguments: int | Deref) -> int:
        """Call ``name`` with raw core arguments; returns the call's number."""
        self.script.call(self._index[name], *arguments)
        self.calls += 1
        return self.calls - 1

    def info(self, name: str) -> TypeInfo:
        """The type information of typename ``name``."""
        info: TypeInfo = self.bindings.TYPES[name]
        return info

    def builders(self, buffers: Sequence[bytes], at_end: bool = False) -> GuestList:
        """Place each buffer and the array of (pointer, length) entries describing them.

        With ``at_end`` the array's last byte is the last byte of memory.
        """
        entry = self.info("graph_builder_array").element
        assert entry is not None
        entries = b"".join(
            struct.pack("<" + entry.format, self.place(buffer, 8) if buffer else 0, len(buffer)) for buffer in buffers
        )
        if not at_end:
            return GuestList(self.place(entries, entry.align), len(buffers))
        pointer = self.alloc_at_end(len(entries))
        self.script.write(pointer, entries)
        return GuestList(pointer, len(buffers))


@dataclass(frozen=True, slots=True)
class ScriptResult:
    """A transcript read by call number and READ number."""

    transcript: Transcript

    def errno(self, call: int) -> int | None:
        """The value call ``call`` returned; ``None`` if it never returned (trap or crash)."""
        calls = self.transcript.calls
        if call >= len(calls):
            return None
        return calls[call].result

    def reached(self, call: int) -> bool:
        """Whether call ``call`` was at least announced."""
        return call < len(self.transcript.calls)

    def region(self, region: Region) -> RegionContents:
        """What a region read back with :meth:`ScriptEncoder.read_back` held."""
        assert region.read is not None
        data = self.transcript.reads[region.read]
        canary = len(CANARY)
        return RegionContents(data[:canary], data[canary:-canary], data[-canary:])

    @property
    def returned(self) -> list[int | None]:
        """Every call's result in order."""
        return [call.result for call in self.transcript.calls]
