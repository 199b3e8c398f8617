"""Hosts under test: how the suite runs a guest on each, and what each can be asked.

- :mod:`~conformance.adapters.base`: the interface (:class:`HostAdapter`), :class:`Capabilities`
  and the outcome kinds of a run;
- :mod:`~conformance.adapters.inprocess`: the reference host and ``module:factory`` Python hosts;
- :mod:`~conformance.adapters.subprocess`: any runtime's command line, bounded in time and memory;
- :mod:`~conformance.adapters.wasmtime_cli`: the Wasmtime CLI with its OpenVINO backend;
- :mod:`~conformance.adapters.packaging`: fixture models as the builders each encoding takes;
- :mod:`~conformance.adapters.select`: the host the suite's options name.
"""

from conformance.adapters.base import PACKAGINGS, Capabilities, HostAdapter, OutcomeKind, RunOutcome

__all__ = ["PACKAGINGS", "Capabilities", "HostAdapter", "OutcomeKind", "RunOutcome"]
