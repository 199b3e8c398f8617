"""Where the suite's files are, what a file may be called, and writing files whole.

The project folder is that of a clone, when the package runs from one; the fixtures (the
handwritten guests, the models' manifest, the tolerances) ship inside the package. The cache
holds what the suite builds once (model files, host set-ups, the corpus index).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).parent
"""The package folder."""

PROJECT_ROOT = PACKAGE_DIR.resolve().parent
"""The project folder when the package runs from a clone (the package lies directly inside it)."""

FIXTURES_DIR = PACKAGE_DIR / "fixtures"
"""The fixtures shipped with the package: ``guests/``, ``models/manifest.json``, ``tolerances.toml``."""

GUESTS_DIR = FIXTURES_DIR / "guests"
"""The handwritten WAT guests: the driver's template and the guests of their own."""

CACHE_VARIABLE = "WASI_NN_CONFORMANCE_CACHE"
"""Set this environment variable to put the cache elsewhere."""


def cache_dir(*parts: str) -> Path:
    """The cache folder (``$WASI_NN_CONFORMANCE_CACHE``, else ``~/.cache/wasi-nn-conformance``), created."""
    root = (
        os.environ.get(CACHE_VARIABLE)
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wasi-nn-conformance"
    )
    folder = Path(root).joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def safe_name(host: str) -> str:
    """``host`` as a file or folder name: anything but letters, digits, ``.``, ``_`` and ``-`` becomes ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", host) or "host"


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename, so it is never half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        # mkstemp makes the file private; reports are for whoever reads the folder (CI artifacts).
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
