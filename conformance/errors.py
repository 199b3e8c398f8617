"""The suite's errors: one root, and a person's mistakes apart from the rest.

Every error the package raises on purpose is a :class:`ConformanceError`, so a program that
uses the package can catch them all at once. Under it:

- :class:`UsageError`: bad input from a person: an option, a host name, a revision, a command
  template, a file they wrote or pointed at (an expectations file, a report, a case folder).
  The command line and the pytest plugin say it in one line and exit with the usage status,
  never with a traceback. It is a :class:`ValueError` too: a value the suite cannot use.
- the domain errors, each beside the code that raises it: a WITX file that does not parse
  (:class:`~conformance.witx.WitxError`), a clause the host cannot be asked
  (:class:`~conformance.spec.NotAskable`), a host that could not be made or started
  (:class:`~conformance.plugin.HostUnavailable`), a call a host fails on purpose
  (:class:`~conformance.bindings.ErrnoError`), a transcript that does not parse
  (:class:`~conformance.guest.driver.TranscriptError`), and the like.

This module imports nothing of the package, so that every module can raise these.
"""

from __future__ import annotations

__all__ = ["ConformanceError", "UsageError"]


class ConformanceError(Exception):
    """The root of every error the suite raises on purpose."""


class UsageError(ConformanceError, ValueError):
    """A mistake in what a person asked for or handed over: said as one line, exit status 2.

    ``command`` is the program (and subcommand) whose ``--help`` explains the usage, when the
    mistake is one of syntax.
    """

    def __init__(self, message: str, command: str | None = None) -> None:
        super().__init__(message)
        self.command = command

    def __str__(self) -> str:
        # The message as given, also where another base (KeyError) would quote it.
        return str(self.args[0]) if self.args else ""
