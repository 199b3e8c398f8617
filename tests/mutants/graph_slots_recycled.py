"""Graph handles are slots of a small table that wraps around: a new load reuses an old handle.

The host keeps graphs in a fixed table of four slots and, when it is full, puts the next graph
in the oldest slot: the handle the guest holds for its first graph then names another one, and
contexts made from it run the wrong model. WasmEdge recycled freed handles with no generation,
so "a stale guest handle silently aliases a newer graph/context" (WasmEdge PR #5100), and WAMR's
TFLite backend has fixed slots (ten per instance). Notes: witx-and-hosts.md §3.3 and §4; the
catalog's state.graphs-independent cites the recycled slots.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"state.graphs-independent": "function"}
TESTS = ("test_clause[state.graphs-independent]", "test_state_machine")


SLOTS = 4
"""How many graphs the table holds before it wraps."""


class RecycledSlots(ReferenceHost):
    """Handles are ``loads % SLOTS``; the slot names the graph loaded into it last."""

    def __init__(self, *arguments: Any, **options: Any) -> None:
        super().__init__(*arguments, **options)
        self.loads = 0
        self.slots: dict[int, int] = {}

    def _occupy(self, graph: int) -> int:
        slot = self.loads % SLOTS
        self.loads += 1
        self.slots[slot] = graph
        return slot

    def load(self, builder: Sequence[memoryview], encoding: enum.IntEnum, target: enum.IntEnum) -> int:
        """Load a graph into the next slot."""
        return self._occupy(super().load(builder, encoding, target))

    def load_by_name(self, name: str) -> int:
        """Load a named graph into the next slot."""
        return self._occupy(super().load_by_name(name))

    def init_execution_context(self, graph: int) -> int:
        """A context of the graph now in slot ``graph``."""
        return super().init_execution_context(self.slots.get(graph, -1))


factory = factory_for(RecycledSlots)
