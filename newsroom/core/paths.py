"""The project's folders, found once from this file (every module takes them from here)."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data"
CONTENT = ROOT / "content"
THEME = ROOT / "theme"
APT_PACKAGES = ROOT / ".ci" / "apt-packages.txt"
