"""The project's folders, found once from this file (every module takes them from here)."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data"
CONTENT = ROOT / "content"
THEME = ROOT / "theme"
APT_PACKAGES = ROOT / ".ci" / "apt-packages.txt"
#: The code a build runs (Pelican loads the plugins, they use the core): what the read cache and
#: the "nothing changed" stamp hash. The intake, the reports, the publishing code and the
#: benchmarks are not in it, so editing them builds nothing again.
BUILD_CODE = (ROOT / "newsroom" / "core", ROOT / "plugins")


def tree_rows(folder) -> list[tuple[str, int, int]]:
    """(path, size, mtime_ns) of every file under ``folder``, in a fixed order, ``__pycache__``
    left out: what the build's stamps compare to know whether a folder changed."""
    rows = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            rows.append((path, st.st_size, st.st_mtime_ns))
    return rows
