"""The site's typeface, Be Vietnam Pro (SIL Open Font License), served from the site itself.

Taken from the npm package ``@fontsource/be-vietnam-pro`` (its woff2 files of the
``vietnamese`` and ``latin`` subsets, weights :data:`WEIGHTS`), cut down with fontTools to the
letters Vietnamese text uses (the Latin-1 letters of Vietnamese, ASCII, the punctuation the
site prints) and without hinting, so two weights weigh about 24 KB. The files and the licence
live in ``theme/static/fonts/``; the build needs no network. ``invoke fonts`` fetches the
pinned package again (``npm pack``) and remakes them.
"""
from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from newsroom.core.paths import THEME

PACKAGE = "@fontsource/be-vietnam-pro@5.3.0"
WEIGHTS = (400, 700)
TARGET = THEME / "static" / "fonts"
#: What each subset keeps. "latin": ASCII, the Latin-1 letters of Vietnamese, quotes,
#: dashes, ellipsis, bullets, arrows and the đồng sign; "vietnamese": the whole subset.
UNICODES = {
    "latin": ("U+0020-007E,U+00A0,U+00A9,U+00AB,U+00B0,U+00B7,U+00BB,U+00C0-00C3,U+00C8-00CA,"
              "U+00CC-00CD,U+00D2-00D5,U+00D9-00DA,U+00DD,U+00E0-00E3,U+00E8-00EA,U+00EC-00ED,"
              "U+00F2-00F5,U+00F9-00FA,U+00FD,U+2013-2014,U+2018-2019,U+201C-201D,U+2022,"
              "U+2026,U+2039-203A,U+2190,U+2192"),
    "vietnamese": "*",
}
FEATURES = "kern,mark,mkmk,ccmp,locl"


def subset(source: Path, target: Path, unicodes: str) -> None:
    """``source`` cut to ``unicodes`` (and :data:`FEATURES`), unhinted woff2 at ``target``."""
    from fontTools import subset as ft

    options = ft.Options()
    options.flavor = "woff2"
    options.hinting = False
    options.layout_features = FEATURES.split(",")
    font = ft.load_font(str(source), options)
    cutter = ft.Subsetter(options)
    if unicodes == "*":
        cutter.populate(unicodes=font.getBestCmap().keys())
    else:
        cutter.populate(unicodes=ft.parse_unicodes(unicodes))
    cutter.subset(font)
    ft.save_font(font, str(target), options)


def refresh(target: Path = TARGET) -> list[Path]:
    """Fetch :data:`PACKAGE` with npm and remake the woff2 files and the licence."""
    npm = shutil.which("npm")
    if not npm:
        raise RuntimeError("thiếu npm: chạy “apt-get install -y nodejs npm”")
    made = []
    with tempfile.TemporaryDirectory(prefix="fonts-") as tmp:
        subprocess.run([npm, "pack", PACKAGE, "--silent"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        archive = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        files = Path(tmp) / "package" / "files"
        target.mkdir(parents=True, exist_ok=True)
        for name, unicodes in UNICODES.items():
            for weight in WEIGHTS:
                out = target / f"be-vietnam-pro-{name}-{weight}.woff2"
                subset(files / f"be-vietnam-pro-{name}-{weight}-normal.woff2", out, unicodes)
                made.append(out)
        shutil.copyfile(Path(tmp) / "package" / "LICENSE", target / "OFL.txt")
    return made
