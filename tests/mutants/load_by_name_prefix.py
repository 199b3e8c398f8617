"""load_by_name compares only as many bytes as the guest's name has: any prefix of a registered name matches.

The host compares names the C way, ``strncmp(registered, name, name_len)`` with the guest's
length, so "ad" and the empty name both match "add". WAMR's load_by_name had a run of length
faults (buffer overruns fixed in wasm-micro-runtime#4491, witx-and-hosts.md §6 item 10); this is
their mirror image, a length that is trusted too little. The guest is given a graph it did not
name, with success. A name the host does not know must answer not_found.
"""

from __future__ import annotations

from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"load_by_name.unknown-name": "safety"}


class PrefixMatching(ReferenceHost):
    """A name matches every registered name it begins."""

    def load_by_name(self, name: str) -> int:
        """Load the first registered graph whose name begins with ``name``."""
        for known in self.graphs_by_name:
            if known.startswith(name):
                return super().load_by_name(known)
        return super().load_by_name(name)


factory = factory_for(PrefixMatching)
