"""The folder where the suite keeps what it builds once: model files, host set-ups."""

from __future__ import annotations

import os
from pathlib import Path

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
