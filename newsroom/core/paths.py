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
    """(path, size, mtime_ns) of every file under ``folder``, in a fixed order (each folder's
    files by name, then its folders by name), ``__pycache__`` left out: what the build's
    stamps compare to know whether a folder changed. One ``scandir`` per folder: at 10,000
    articles the output folder holds some 40,000 files, listed after every build."""
    rows: list[tuple[str, int, int]] = []
    _rows(os.fspath(folder), rows)
    return rows


def _rows(top: str, rows: list) -> None:
    try:
        with os.scandir(top) as found:
            entries = sorted(found, key=lambda entry: entry.name)
    except OSError:
        return
    folders = []
    for entry in entries:
        try:
            if entry.is_dir():
                # os.walk lists a linked folder as a folder, and does not go down it
                if entry.name != "__pycache__" and not entry.is_symlink():
                    folders.append(entry.path)
                continue
            st = entry.stat()
        except OSError:
            continue
        rows.append((entry.path, st.st_size, st.st_mtime_ns))
    for path in folders:
        _rows(path, rows)
