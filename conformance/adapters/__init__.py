"""Hosts under test: how the suite runs a guest on each, and what each can be asked.

- :class:`~conformance.adapters.base.HostAdapter` is the interface, with
  :class:`~conformance.adapters.base.Capabilities` and the outcome kinds of a run;
- :mod:`conformance.adapters.inprocess`: the reference host and ``module:factory`` Python hosts;
"""

from conformance.adapters.base import PACKAGINGS, Capabilities, HostAdapter, OutcomeKind, RunOutcome

__all__ = ["PACKAGINGS", "Capabilities", "HostAdapter", "OutcomeKind", "RunOutcome"]
