"""``invoke bench.publish``: the local steps of a publish timed on the project's content (a
strict build, the checks, compression with an empty cache and again with it); nothing is sent."""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from newsroom.build import site
from newsroom.publish import assets, verify


def run(conf: str | Path = "publishconf.py", **overrides) -> dict:
    """Seconds spent by the local steps of a publish on the project's content (nothing is
    sent): build, verify, prepare with an empty compression cache, prepare again with it."""
    folder = Path(tempfile.mkdtemp(prefix="cdtkv-bench-"))
    try:
        figures: dict = {}
        clock = time.perf_counter()
        settings = site.build(conf, OUTPUT_PATH=folder / "output", **overrides)
        figures["build"] = time.perf_counter() - clock
        clock = time.perf_counter()
        findings = verify.verify(folder / "output", settings)
        figures["verify"] = time.perf_counter() - clock
        clean = folder / "clean"
        shutil.copytree(folder / "output", clean)
        clock = time.perf_counter()
        prepared = assets.prepare(folder / "output", settings, folder / "cache")
        figures["prepare_cold"] = time.perf_counter() - clock
        clock = time.perf_counter()
        assets.prepare(clean, settings, folder / "cache")
        figures["prepare_warm"] = time.perf_counter() - clock
        files = [p for p in (folder / "output").rglob("*") if p.is_file()]
        figures.update(files=len(files), compressed=prepared.compressed, findings=len(findings),
                       megabytes=sum(p.stat().st_size for p in files) / 1e6)
        return figures
    finally:
        shutil.rmtree(folder, ignore_errors=True)
