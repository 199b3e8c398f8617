"""The ``wasi-nn-conformance`` command line.

Commands: ``run`` (a WASI-NN guest on the reference host), ``replay`` (one case of a report),
``report`` (several reports side by side), ``generate`` (bindings from WITX) and ``fixtures``
(the fixture models and the demo image). The suite itself runs under pytest; ``--help``
says how.

Exit statuses, the same for every command:

- 0: done; 1: the command's own "no" (``generate --check``: stale bindings; ``fixtures``:
  models that differ from the manifest; ``replay``: the recorded failures happen again);
- 2: a usage error: an unknown option, a malformed value, a file that is missing or is not
  what the command reads, an output folder that cannot be written. One line on stderr,
  ``wasi-nn-conformance: error: ...``, never a traceback;
- 70: a bug of this tool: one line naming the exception, and how to see its traceback
  (``-v`` or ``WASI_NN_CONFORMANCE_VERBOSE=1``) to report it; 130: interrupted.

``run`` exits with the guest's own exit code, so 1 and 2 can be the guest's too; besides it:
134 when the guest traps (the trap is printed, as by the Wasmtime CLI), and 126 when it
cannot be linked: it imports a function the revision lacks or with another type. The message
then names the import, the revision and its functions, and suggests ``--revision`` when
another revision has them all, or ``--trap-unknown-imports``, which links each missing
function to one that traps when called (as Wasmtime's option of that name does).
``replay`` has its own 3 (fails, but otherwise than recorded).

``run -v`` (or ``WASI_NN_CONFORMANCE_VERBOSE=1``) prints each wasi-nn call that did not
succeed as ``wasi-nn: FUNCTION -> ERRNO: REASON``: the reason is the reference host's, from
the table of ``conformance/host/situations.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from conformance.errors import UsageError
from conformance.paths import PROJECT_ROOT

PROG = "wasi-nn-conformance"
USAGE_EXIT_CODE = 2
INTERNAL_ERROR_EXIT_CODE = 70
INTERRUPTED_EXIT_CODE = 130

#: Set to 1 for ``run --verbose`` in every run, and the traceback of an internal error.
VERBOSE_ENV = "WASI_NN_CONFORMANCE_VERBOSE"

DESCRIPTION = """\
The conformance suite for hosts of WASI-NN in its WITX form (import module wasi_ephemeral_nn):
it tells, clause by clause and errno by errno, where a host departs from the spec. This command
holds the tools around it, and the reference host (wasmtime-py + onnxruntime) as a runner.

The suite itself runs under pytest:

  nox -s conformance                                             the reference host, each revision
  pytest --pyargs conformance.tests --wasi-nn-host reference     a named host: reference,
                                                                 reference-subprocess, wasmtime-cli,
                                                                 or a Python module:factory
  pytest --pyargs conformance.tests --wasi-nn-host-command 'mycli run --nn {graphs} {wasm}'

It writes reports/HOST/: report.json, junit.xml, summary.md, index.html and repro/ (one folder
per failing case, for the replay command). Each command below has its own --help."""

EPILOG = """\
exit status: 0 done; 1 the command's own "no" (stale bindings, models that differ, a failure
that happens again); 2 usage error (one line on stderr); 70 a bug of this tool. run exits with
the guest's exit code, 134 when it traps and 126 when it cannot be linked."""

RUN_DESCRIPTION = """\
Run a WASI preview1 command guest (.wasm or .wat) on the reference host: wasi-nn over
onnxruntime, linked as revision REV of wasi_ephemeral_nn. Standard streams pass through.

Arguments after GUEST go to the guest. Options of run may also follow GUEST, up to the first
word that is not one of them; put guest arguments that look like options of run after --."""

RUN_EPILOG = f"""\
exit status: the guest's own; 134 when it traps (the trap and its wasm backtrace are printed);
126 when it cannot be linked: it imports a function the revision lacks, or with another type
(the message names the import and the revision's functions, and suggests --revision when
another revision has them); 2 for a usage error: a bad option, a missing file, a file that is
no WebAssembly module, a module without _start, a missing --dir folder or --graph model.

With -v (or {VERBOSE_ENV}=1) each wasi-nn call that fails is printed on stderr, e.g.
  wasi-nn: set_input -> invalid_argument: input 0 has shape [1, 4], got dimensions [4]
When a guest that imports no load_by_name fails after a failed call, a hint says whether
--revision 2022-10 (which numbers tensor types otherwise) may be the one it was built for."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (argparse prints the whole usage first)."""

    def error(self, message: str) -> NoReturn:
        """Raise the error; :func:`main` prints it."""
        raise UsageError(message, self.prog)


#: The options of ``run``: how to spell them, whether they take a value, what argparse gets.
#: Kept as data because the words of ``run`` are split between it and the guest by them.
_RUN_OPTIONS: tuple[tuple[tuple[str, ...], bool, dict[str, Any]], ...] = (
    (
        ("-v", "--verbose"),
        False,
        {
            "action": "store_true",
            "help": f"print each wasi-nn call that fails, with the host's reason ({VERBOSE_ENV}=1)",
        },
    ),
    (
        ("--dir",),
        True,
        {
            "action": "append",
            "default": [],
            "metavar": "HOST[::GUEST]",
            "help": "preopen folder HOST as GUEST in the guest (as itself without ::GUEST; --dir . too)",
        },
    ),
    (("--env",), True, {"action": "append", "default": [], "metavar": "K=V", "help": "set an environment variable"}),
    (
        ("--graph",),
        True,
        {"action": "append", "default": [], "metavar": "NAME=MODEL", "help": "an ONNX model for load_by_name"},
    ),
    (
        ("--revision",),
        True,
        {"metavar": "REV", "help": "the WITX revision to link: 2023-08 (default, alias current) or 2022-10"},
    ),
    (
        ("--backend",),
        True,
        {
            "default": "onnxruntime",
            "metavar": "ENGINE",
            "help": "the engine that runs the graphs: onnxruntime (default) or tract",
        },
    ),
    (
        ("--trap-unknown-imports",),
        False,
        {
            "action": "store_true",
            "help": "link each function import the host lacks to one that traps when called, "
            "so a guest with optional imports runs until it calls one",
        },
    ),
)


def _parser() -> _Parser:
    parser = _Parser(
        prog=PROG, description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        usage=f"{PROG} run [-v] [--dir HOST[::GUEST]] [--env K=V] [--graph NAME=MODEL] [--revision REV] "
        "[--backend ENGINE] [--trap-unknown-imports] GUEST [ARGS...]",
        help="run a WASI-NN guest on the reference host",
        description=RUN_DESCRIPTION,
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,  # the split between run's words and the guest's knows whole names only
    )
    run.add_argument("guest", type=Path, metavar="GUEST", help="the guest module (.wasm or .wat)")
    # Listed for --help only: _parse hands the guest's words over before argparse sees them.
    run.add_argument("arguments", nargs="*", metavar="ARGS", help="the guest's arguments (argv[1:])")
    for names, _, settings in _RUN_OPTIONS:
        run.add_argument(*names, **settings)
    run.set_defaults(handler=_run)

    replay = commands.add_parser(
        "replay",
        help="re-run one failing case of a report and judge it again",
        description="Re-run a reproducer folder (reports/HOST/repro/CASE) once on a host, print its transcript, "
        "and judge it again. Without host options the case's own host is chosen again. Exit status: 0 when "
        "nothing fails now, 1 when the recorded failures happen again, 3 when it fails otherwise, 2 when the "
        "folder is no case.",
    )
    replay.add_argument("case", type=Path, help="the case folder")
    replay.add_argument("--wasi-nn-host", "--host", dest="host", help="as the pytest option (module:factory too)")
    replay.add_argument("--wasi-nn-host-command", "--host-command", dest="host_command", metavar="TEMPLATE")
    replay.add_argument("--wasi-nn-revision", "--revision", dest="revision", help="default: the case's revision")
    replay.set_defaults(handler=_replay)

    report = commands.add_parser(
        "report",
        help="build one HTML page of several hosts' reports side by side",
        description="Build index.html showing the clause matrices of several runs side by side, from their "
        "report.json files (or the folders holding them).",
    )
    report.add_argument("reports", nargs="+", type=Path, metavar="REPORT", help="a report.json or its folder")
    report.add_argument("-o", "--out", type=Path, required=True, metavar="DIR", help="where index.html goes")
    report.add_argument(
        "--history",
        action="store_true",
        help="the reports are one host's releases, oldest first: name the columns by release, mark and list "
        "every verdict that changed from one release to the next (also in history.md)",
    )
    report.set_defaults(handler=_report)

    generate = commands.add_parser(
        "generate",
        help="generate the typed bindings from WITX",
        description="Generate typed Python bindings from WITX files. Without --witx, every "
        "witx/*.witx of the project is generated into generated/. A malformed WITX file is reported as "
        "FILE:LINE:COL: ... (exit 2).",
    )
    generate.add_argument("--witx", type=Path, action="append", metavar="FILE", help="a WITX file (repeatable)")
    generate.add_argument("--out", type=Path, metavar="DIR", help="where the modules go (default: generated/)")
    generate.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 with a diff if the output is stale"
    )
    generate.set_defaults(handler=_generate)

    fixtures = commands.add_parser(
        "fixtures",
        help="write the fixture models and the demo image",
        description="Write every fixture model as NAME.onnx (built deterministically, checked against "
        "fixtures/models/manifest.json) and the demo image as demo_image.bin (raw f32, 1x3x224x224).",
    )
    fixtures.add_argument("--out", type=Path, required=True, metavar="DIR", help="where the files go")
    fixtures.add_argument(
        "--write-manifest", action="store_true", help="record the models' hashes in the manifest instead"
    )
    fixtures.set_defaults(handler=_fixtures)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    arguments: argparse.Namespace | None = None
    try:
        arguments = _parse(words)
        status: int = arguments.handler(arguments)
        return status
    except UsageError as error:
        see = f" (see '{error.command} --help')" if error.command else ""
        print(f"{PROG}: error: {error}{see}", file=sys.stderr)
        return USAGE_EXIT_CODE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return INTERRUPTED_EXIT_CODE
    except Exception as error:
        # The last resort: every mistake of the user is caught where it arises, as a
        # UsageError; what reaches here is a bug, which its traceback helps to fix.
        print(f"{PROG}: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        if _verbose(arguments):
            traceback.print_exc()
            print(f"{PROG}: this is a bug; please report it with the command and the traceback", file=sys.stderr)
        else:
            print(
                f"{PROG}: this is a bug; please report it with the command and the traceback that "
                f"{VERBOSE_ENV}=1 prints",
                file=sys.stderr,
            )
        return INTERNAL_ERROR_EXIT_CODE


def _parse(words: list[str]) -> argparse.Namespace:
    """Parse ``words``; the guest's arguments of ``run`` land in ``arguments``."""
    parser = _parser()
    guest_arguments: list[str] = []
    if words[:1] == ["run"]:
        own, guest_arguments = _split_run(words[1:])
        words = ["run", *own]
    arguments, unknown = parser.parse_known_args(words)
    if unknown:  # reported here, to point at the subcommand's --help rather than the program's
        raise UsageError(f"unrecognized arguments: {' '.join(unknown)}", f"{PROG} {arguments.command}")
    arguments.arguments = guest_arguments
    return arguments


def _split_run(words: list[str]) -> tuple[list[str], list[str]]:
    """Split the words after ``run`` into run's own (its options and GUEST) and the guest's.

    As in the Wasmtime CLI, the words after GUEST are the guest's; options of run right after
    GUEST (``run guest.wasm --dir x -- a b``, the form documented first) are still run's, up to
    the first word that is not one, or ``--``. An unknown option before GUEST stays with run,
    so argparse reports it.
    """
    takes_value = {name: value for names, value, _ in _RUN_OPTIONS for name in names} | {"-h": False, "--help": False}
    index, guest_seen = 0, False
    while index < len(words):
        word = words[index]
        if word == "--":
            if guest_seen:
                return words[:index], words[index + 1 :]
            return words[: index + 2], words[index + 2 :]  # the word after -- is GUEST
        name = word.split("=", 1)[0]
        if word.startswith("-") and word != "-":
            if name in takes_value:
                index += 2 if takes_value[name] and "=" not in word else 1
                continue
            if guest_seen:
                return words[:index], words[index:]
            index += 1
            continue
        if guest_seen:
            return words[:index], words[index:]
        guest_seen = True
        index += 1
    return words, []


def _verbose(arguments: argparse.Namespace | None) -> bool:
    """Whether the user asked for everything: ``-v``, or the environment variable set to a true value."""
    chosen = os.environ.get(VERBOSE_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")
    return chosen or bool(getattr(arguments, "verbose", False))


def _pairs(values: Sequence[str], separator: str, option: str, form: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        left, found, right = value.partition(separator)
        if not found or not left:
            raise UsageError(f"{option} expects {form}, got {value!r}")
        pairs.append((left, right))
    return pairs


def _dirs(values: Sequence[str]) -> list[tuple[str, str]]:
    """``--dir`` values as (host, guest) pairs: ``HOST::GUEST``, or ``PATH`` preopened as itself."""
    dirs = []
    for value in values:
        host, found, guest = value.partition("::")
        if not found:
            guest = host
        if not host or not guest:
            raise UsageError(f"--dir expects HOST::GUEST or a folder, got {value!r}")
        if not Path(host).is_dir():
            raise UsageError(f"--dir {value}: no such folder {host}")
        dirs.append((host, guest))
    return dirs


def _run(arguments: argparse.Namespace) -> int:
    from conformance.revisions import UnknownRevision, revision

    try:
        bindings = revision(arguments.revision or "current").bindings
    except UnknownRevision as error:
        raise UsageError(f"--revision: {error}") from None
    graphs = {name: Path(model) for name, model in _pairs(arguments.graph, "=", "--graph", "NAME=MODEL")}
    for name, model in graphs.items():
        if not model.is_file():
            raise UsageError(f"--graph {name}={model}: no such file {model}")
    dirs = _dirs(arguments.dir)
    env = dict(_pairs(arguments.env, "=", "--env", "K=V"))
    if not arguments.guest.is_file():
        raise UsageError(f"no such guest file {arguments.guest}")

    # Imported only now: the host loads onnxruntime, which a usage error need not wait for.
    from conformance.host import ReferenceHost, make_backend
    from conformance.host.runner import run_command_line

    try:
        backend = make_backend(arguments.backend)
    except UsageError as error:
        raise UsageError(f"--backend: {error}") from None
    # A guest that is no WASI command, or a folder that cannot be preopened, is a SetupError:
    # a UsageError, said by main as one line.
    return run_command_line(
        arguments.guest,
        arguments.arguments,
        lambda bindings: ReferenceHost(bindings, backend, graphs_by_name=graphs),
        bindings,
        dirs,
        env,
        verbose=_verbose(arguments),
        trap_unknown_imports=arguments.trap_unknown_imports,
        revision_chosen=arguments.revision is not None,
    )


def _written(error: OSError, folder: Path) -> UsageError:
    """A failed write as a usage error naming the file (the output folder the user chose)."""
    where = f"{folder}" if error.filename in (None, str(folder)) else f"{folder}: {error.filename}"
    return UsageError(f"cannot write to {where}: {error.strerror or error}")


def _fixtures(arguments: argparse.Namespace) -> int:
    from conformance import fixture_models

    if arguments.write_manifest:
        try:
            written = fixture_models.write_manifest()
        except OSError as error:
            raise _written(error, fixture_models.MANIFEST_PATH.parent) from None
        print(f"recorded {len(written)} models in {fixture_models.MANIFEST_PATH}")
        return 0
    try:
        hashes = fixture_models.build_all(arguments.out)
        (arguments.out / "demo_image.bin").write_bytes(fixture_models.demo_image().astype("<f4").tobytes())
    except OSError as error:
        raise _written(error, arguments.out) from None
    drifted = sorted(name for name, digest in hashes.items() if fixture_models.manifest().get(name) != digest)
    print(f"wrote {len(hashes)} models and demo_image.bin to {arguments.out}")
    if drifted:
        print(f"{PROG}: these models differ from the manifest: {', '.join(drifted)}", file=sys.stderr)
        return 1
    return 0


def _report(arguments: argparse.Namespace) -> int:
    from conformance.reports import combine

    try:
        page = combine(arguments.reports, arguments.out, history=arguments.history)
    except OSError as error:  # a report that is no report this suite reads is a UsageError already
        raise _written(error, arguments.out) from None
    print(f"wrote {page} ({len(arguments.reports)} reports)")
    return 0


def _replay(arguments: argparse.Namespace) -> int:
    from conformance.replay import replay

    _check_case(arguments.case)
    try:
        return replay(arguments.case, arguments.host, arguments.host_command, arguments.revision)
    except UsageError:
        raise
    except (ValueError, KeyError) as error:  # a host command that does not parse, a clause the catalog lacks
        raise UsageError(str(error.args[0] if isinstance(error, KeyError) else error)) from None


def _check_case(folder: Path) -> None:
    """Refuse a folder replay cannot read, before any host starts: no case.json, or a malformed one."""
    from conformance.reproducers import load_case, scenario_from_json

    path = folder / "case.json"
    try:
        case = load_case(folder)  # no case.json, not JSON, another format: a UsageError
    except AttributeError:  # JSON, but not an object: load_case reads its fields
        raise UsageError(f"{path}: not a case: the JSON is no object") from None
    required = ["host.option", "host.command", "revision", "kind", "test"]
    kind = case.get("kind")
    if kind == "special":
        required.append("special")
    elif kind == "corpus":
        required += ["case", "operators", "outcome", "call", "detail"]
    else:
        required += ["scenario", "clauses"]
    for dotted in required:
        value: Any = case
        for key in dotted.split("."):
            if not isinstance(value, dict) or key not in value:
                raise UsageError(f"{path}: malformed case: no {dotted!r}")
            value = value[key]
    if kind not in ("special", "corpus"):
        try:
            scenario_from_json(case["scenario"])
        except KeyError as error:
            raise UsageError(f"{path}: malformed scenario: no {error.args[0]!r}") from None
        except (TypeError, ValueError, AttributeError) as error:
            raise UsageError(f"{path}: malformed scenario: {error}") from None


def _generate(arguments: argparse.Namespace) -> int:
    # Imported here, as every command's heavy imports are: a usage error need not wait for them.
    from conformance import codegen
    from conformance.witx import WitxError

    out_dir: Path = arguments.out or PROJECT_ROOT / "generated"
    try:
        if arguments.witx:
            files = [codegen.generate_module(path, str(path)) for path in arguments.witx]
        else:
            witx_dir = PROJECT_ROOT / "witx"
            paths = sorted(witx_dir.glob("*.witx"))
            if not paths:
                raise UsageError(f"no WITX files in {witx_dir}; pass --witx")
            files = codegen.generate_package(paths, "witx")
    except WitxError as error:
        # Already one line, FILE:LINE:COL: expected ..., found ...: the form editors jump to.
        print(error, file=sys.stderr)
        return USAGE_EXIT_CODE
    if arguments.check:
        diff = codegen.stale(files, out_dir)
        if diff:
            sys.stdout.write(diff)
            print(f"{PROG}: generated bindings are stale; run `nox -s generate`", file=sys.stderr)
            return 1
        print(f"generated bindings are fresh: {len(files)} files in {out_dir}")
        return 0
    try:
        codegen.write(files, out_dir)
    except OSError as error:
        raise _written(error, out_dir) from None
    print(f"wrote {len(files)} files to {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
