"""The project's folders, found once from this file (every module takes them from here)."""
from __future__ import annotations

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
