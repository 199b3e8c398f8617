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

    arguments = parser.parse_args(argv)
    handler = arguments.handler
    status: int = handler(arguments)
    return status


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
