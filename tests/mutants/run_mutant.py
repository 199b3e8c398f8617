"""Run a WASI guest on a mutant host from the command line, as ``wasi-nn-conformance run`` does.

    python tests/mutants/run_mutant.py NAME[:FACTORY] [--graph NAME=MODEL ...] [--revision REV] GUEST

The standard streams pass through and the exit code is the guest's; a trap prints the wasm
backtrace and exits 134. This is how the subprocess mutants (a host that crashes, one that
hangs) are tested: ``--wasi-nn-host-command 'python tests/mutants/run_mutant.py NAME {graphs} {wasm}'``.
Any mutant runs this way, as its module's ``factory`` builds it: with limits no run reaches.
``NAME:FACTORY`` runs another factory of the module (a mutant's control, say).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.host.runner import run_command_line
from conformance.revisions import revision


def main(argv: Sequence[str] | None = None) -> int:
    """Run the guest on the mutant; returns the exit status."""
    parser = argparse.ArgumentParser(prog="run_mutant.py", description=__doc__.splitlines()[0])
    parser.add_argument("mutant", help="the mutant's module name in tests/mutants, with :FACTORY for another factory")
    parser.add_argument("guest", type=Path, help="the guest module (.wasm or .wat)")
    parser.add_argument("--graph", action="append", default=[], metavar="NAME=MODEL", help="a model for load_by_name")
    parser.add_argument("--revision", default="current", help="the WITX revision to link (default: current)")
    arguments = parser.parse_args(argv)
    graphs = {}
    for graph in arguments.graph:
        name, found, model = graph.partition("=")
        if not found:
            parser.error(f"expected --graph NAME=MODEL, got {graph!r}")
        graphs[name] = Path(model)
    module, _, name = arguments.mutant.partition(":")
    factory = getattr(importlib.import_module(f"mutants.{module}"), name or "factory")
    return run_command_line(
        arguments.guest,
        [],
        lambda bindings: factory(bindings, graphs),
        revision(arguments.revision).bindings,
        dirs=(),
        env={},
    )


if __name__ == "__main__":
    raise SystemExit(main())
