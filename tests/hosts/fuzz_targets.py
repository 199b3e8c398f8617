"""Broken hosts a fuzz campaign or the soak must find, taken from the mutants (tests/mutants/) by module:factory.

The mutants import each other as ``mutants.*`` (their folder on the path); a campaign run from
the project folder names them here instead: ``--wasi-nn-host tests.hosts.fuzz_targets:unchecked_buffer``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mutants import bounds_off_by_one, get_output_buffer_unchecked, load_keeps_memory

unchecked_buffer = get_output_buffer_unchecked.factory
"""get_output trusts its buffer's size as far as guest memory goes."""

off_by_one = bounds_off_by_one.factory
"""Every guest range may reach one byte past the end of memory."""

keeping_loads = load_keeps_memory.factory
"""Every load, refused ones included, keeps 64 KiB for good."""
