"""How a fixture model becomes the graph builders a host's ``load`` takes.

Each host declares, per graph encoding, a *packaging* (see
:data:`~conformance.adapters.base.PACKAGINGS`); :func:`builders` turns a fixture into the
builder buffers of that packaging, for any adapter:

- ``onnx``: one builder, the ONNX bytes;
- ``openvino-ir``: ``[model.xml, model.bin]``, the fixture converted by OpenVINO with weights
  kept in f32 (needs the ``openvino`` package); converted once and cached;
- ``openvino-onnx``: ``[ONNX bytes, b""]``: OpenVINO recognises ONNX in the model buffer and
  takes an empty weights buffer.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from conformance import fixture_models
from conformance.adapters.base import PACKAGINGS
from conformance.errors import UsageError
from conformance.paths import cache_dir

__all__ = [
    "ONNX_PACKAGINGS",
    "OPENVINO_IR_FILES",
    "builders",
    "model_sha256",
    "onnx_builders",
    "openvino_ir",
    "openvino_version",
]

OPENVINO_IR_FILES = ("model.xml", "model.bin")
"""The files of an OpenVINO IR model, in builder order (topology, then weights)."""


#: The packagings that hand a host the ONNX bytes themselves, with no conversion.
ONNX_PACKAGINGS = ("onnx", "openvino-onnx")


def onnx_builders(model: bytes, packaging: str) -> list[bytes]:
    """The builder buffers of ONNX bytes ``model`` in ``packaging``, one of :data:`ONNX_PACKAGINGS`."""
    if packaging == "onnx":
        return [model]
    if packaging == "openvino-onnx":
        return [model, b""]
    raise UsageError(f"packaging {packaging!r} converts the model; these hand over ONNX bytes: {ONNX_PACKAGINGS}")


def builders(fixture: str, packaging: str) -> list[bytes]:
    """The builder buffers of fixture model ``fixture`` in ``packaging`` (one of :data:`PACKAGINGS`)."""
    if packaging in ONNX_PACKAGINGS:
        return onnx_builders(fixture_models.model_bytes(fixture), packaging)
    if packaging == "openvino-ir":
        folder = openvino_ir(fixture)
        return [(folder / name).read_bytes() for name in OPENVINO_IR_FILES]
    raise UsageError(f"unknown packaging {packaging!r}; known: {', '.join(PACKAGINGS)}")


def model_sha256(fixture: str) -> str:
    """The sha256 of the fixture's ONNX bytes, in hex: the cache key of everything made from it."""
    return hashlib.sha256(fixture_models.model_bytes(fixture)).hexdigest()


def openvino_version() -> str:
    """The installed ``openvino`` distribution's version; :class:`ModuleNotFoundError` if absent."""
    try:
        return importlib.metadata.version("openvino")
    except importlib.metadata.PackageNotFoundError:
        raise ModuleNotFoundError(
            "the openvino-ir packaging needs the openvino package: pip install 'wasi-nn-conformance[wasmtime]'",
            name="openvino",
        ) from None


@cache
def openvino_ir(fixture: str) -> Path:
    """A cache folder holding the fixture as OpenVINO IR (``model.xml``, ``model.bin``).

    Converted once per fixture content and OpenVINO version. The folder is built under a
    temporary name and renamed into place, so a concurrent run never sees half of it.
    """
    parent = cache_dir("openvino-ir", openvino_version())
    folder = parent / f"{fixture}-{model_sha256(fixture)[:16]}"
    if folder.is_dir():
        return folder
    # Imported by name: openvino is an optional dependency and ships no type information.
    openvino: Any = importlib.import_module("openvino")
    staging = Path(tempfile.mkdtemp(prefix=f".{fixture}-", dir=parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the cache is readable like any other
    try:
        onnx_path = staging / "model.onnx"
        onnx_path.write_bytes(fixture_models.model_bytes(fixture))
        model = openvino.convert_model(str(onnx_path))
        # f16 weights would make OpenVINO's results differ from the ONNX model's.
        openvino.save_model(model, str(staging / OPENVINO_IR_FILES[0]), compress_to_fp16=False)
        onnx_path.unlink()
        try:
            os.rename(staging, folder)
        except OSError:
            # Another process renamed its copy first (the target exists and is not empty).
            if not folder.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
