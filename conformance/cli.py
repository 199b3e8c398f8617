"""The ``wasi-nn-conformance`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from conformance import codegen
from conformance.witx import WitxError

#: The project folder when running from a clone (the package lies directly inside it).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="wasi-nn-conformance", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    generate = commands.add_parser(
        "generate",
        help="generate the typed bindings from WITX",
        description="Generate typed Python bindings from WITX files. Without --witx, every "
        "witx/*.witx of the project is generated into generated/.",
    )
    generate.add_argument("--witx", type=Path, action="append", metavar="FILE", help="a WITX file (repeatable)")
    generate.add_argument("--out", type=Path, metavar="DIR", help="where the modules go (default: generated/)")
    generate.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 with a diff if the output is stale"
    )
    generate.set_defaults(handler=_generate)

    run = commands.add_parser(
        "run",
        usage="wasi-nn-conformance run GUEST [--dir HOST::GUEST] [--env K=V] [--graph NAME=MODEL] "
        "[--revision REV] [-- ARGS...]",
        help="run a WASI-NN guest on the reference host",
        description="Run a WASI preview1 command guest (.wasm or .wat) on the reference host: wasi-nn over "
        "onnxruntime. Standard streams pass through and the exit code is the guest's; a trap prints the wasm "
        "backtrace and exits 134.",
    )
    run.add_argument("guest", type=Path, help="the guest module")
    run.add_argument("--dir", action="append", default=[], metavar="HOST::GUEST", help="preopen a directory")
    run.add_argument("--env", action="append", default=[], metavar="K=V", help="set an environment variable")
    run.add_argument(
        "--graph", action="append", default=[], metavar="NAME=MODEL", help="an ONNX model for load_by_name"
    )
    run.add_argument("--revision", default="current", help="the WITX revision to link (default: current)")
    run.set_defaults(handler=_run)

    report = commands.add_parser(
        "report",
        help="build one HTML page of several hosts' reports side by side",
        description="Build index.html showing the clause matrices of several runs side by side, from their "
        "report.json files (or the folders holding them).",
    )
    report.add_argument("reports", nargs="+", type=Path, metavar="REPORT", help="a report.json or its folder")
    report.add_argument("-o", "--out", type=Path, required=True, metavar="DIR", help="where index.html goes")
    report.set_defaults(handler=_report)

    replay = commands.add_parser(
        "replay",
        help="re-run one failing case of a report and judge it again",
        description="Re-run a reproducer folder (reports/HOST/repro/CASE) once on a host, print its transcript, "
        "and judge it again. Without host options the case's own host is chosen again. Exit status: 0 when "
        "nothing fails now, 1 when the recorded failures happen again, 3 when it fails otherwise.",
    )
    replay.add_argument("case", type=Path, help="the case folder")
    replay.add_argument("--wasi-nn-host", "--host", dest="host", help="as the pytest option (module:factory too)")
    replay.add_argument("--wasi-nn-host-command", "--host-command", dest="host_command", metavar="TEMPLATE")
    replay.add_argument("--wasi-nn-revision", "--revision", dest="revision", help="default: the case's revision")
    replay.set_defaults(handler=_replay)

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

    # Everything after the first "--" belongs to the guest, whatever it looks like.
    words = list(sys.argv[1:] if argv is None else argv)
    split = words.index("--") if "--" in words else len(words)
    arguments = parser.parse_args(words[:split])
    arguments.arguments = words[split + 1 :]
    handler = arguments.handler
    status: int = handler(arguments)
    return status


def _pairs(values: Sequence[str], separator: str, what: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        left, found, right = value.partition(separator)
        if not found or not left:
            raise SystemExit(f"wasi-nn-conformance: expected {what}, got {value!r}")
        pairs.append((left, right))
    return pairs


def _run(arguments: argparse.Namespace) -> int:
    from conformance.host import ReferenceHost
    from conformance.host.runner import run_command_line
    from conformance.revisions import revision

    try:
        bindings = revision(arguments.revision).bindings
    except KeyError as error:
        raise SystemExit(f"wasi-nn-conformance: {error.args[0]}") from None
    graphs = {name: Path(model) for name, model in _pairs(arguments.graph, "=", "--graph NAME=MODEL")}
    for name, model in graphs.items():
        if not model.is_file():
            raise SystemExit(f"wasi-nn-conformance: --graph {name}: no such file {model}")
    dirs = _pairs(arguments.dir, "::", "--dir HOST::GUEST")
    env = dict(_pairs(arguments.env, "=", "--env K=V"))
    if not arguments.guest.is_file():
        raise SystemExit(f"wasi-nn-conformance: no such guest {arguments.guest}")
    return run_command_line(
        arguments.guest,
        arguments.arguments,
        lambda bindings: ReferenceHost(bindings, graphs_by_name=graphs),
        bindings,
        dirs,
        env,
    )


def _fixtures(arguments: argparse.Namespace) -> int:
    from conformance import models

    if arguments.write_manifest:
        written = models.write_manifest()
        print(f"recorded {len(written)} models in {models.MANIFEST_PATH}")
        return 0
    hashes = models.build_all(arguments.out)
    drifted = sorted(name for name, digest in hashes.items() if models.manifest().get(name) != digest)
    (arguments.out / "demo_image.bin").write_bytes(models.demo_image().astype("<f4").tobytes())
    print(f"wrote {len(hashes)} models and demo_image.bin to {arguments.out}")
    if drifted:
        print(f"wasi-nn-conformance: these models differ from the manifest: {', '.join(drifted)}", file=sys.stderr)
        return 1
    return 0


def _report(arguments: argparse.Namespace) -> int:
    from conformance.reports import combine

    try:
        page = combine(arguments.reports, arguments.out)
    except ValueError as error:
        raise SystemExit(f"wasi-nn-conformance: {error}") from None
    print(f"wrote {page} ({len(arguments.reports)} reports)")
    return 0


def _replay(arguments: argparse.Namespace) -> int:
    from conformance.replay import replay

    try:
        return replay(arguments.case, arguments.host, arguments.host_command, arguments.revision)
    except (ValueError, KeyError) as error:
        raise SystemExit(f"wasi-nn-conformance: {error}") from None


def _generate(arguments: argparse.Namespace) -> int:
    out_dir: Path = arguments.out or PROJECT_ROOT / "generated"
    try:
        if arguments.witx:
            files = [codegen.generate_module(path, str(path)) for path in arguments.witx]
        else:
            witx_dir = PROJECT_ROOT / "witx"
            paths = sorted(witx_dir.glob("*.witx"))
            if not paths:
                print(f"wasi-nn-conformance: no WITX files in {witx_dir}; pass --witx", file=sys.stderr)
                return 2
            files = codegen.generate_package(paths, "witx")
    except WitxError as error:
        print(error, file=sys.stderr)
        return 2
    if arguments.check:
        diff = codegen.stale(files, out_dir)
        if diff:
            sys.stdout.write(diff)
            print("wasi-nn-conformance: generated bindings are stale; run `nox -s generate`", file=sys.stderr)
            return 1
        print(f"generated bindings are fresh: {len(files)} files in {out_dir}")
        return 0
    codegen.write(files, out_dir)
    print(f"wrote {len(files)} files to {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
