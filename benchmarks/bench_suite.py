"""``invoke bench``: the build, the publish and the photo-heavy site measured in one run, one
report.

- the build at each size (:mod:`benchmarks.bench_build`): the project, stock Pelican and stock
  + Pagefind over its output step by step, the cold build with the derived images kept, the
  goals of the cold builds, livereload;
- the publish of one new article at each size (:mod:`benchmarks.bench_publish`: daily and
  ``--full`` through a real sshd on 127.0.0.1; the first publish is a setup step, kept for
  the next run);
- the photo-heavy corpus at its own size (:mod:`benchmarks.bench_photos`).

Progress lines are printed as the run goes; the report comes at the end, with the machine's
load (it is shared: CPU seconds stand beside wall seconds everywhere). The figures go to
``<bench>/results.json`` (by size; the publish under ``"publish"``, the photos under
``"photos"``), as each part ends, so a run stopped half-way keeps what it measured.
"""
from __future__ import annotations

import os
from pathlib import Path

from benchmarks import bench_build, bench_photos, bench_publish
from newsroom.core.paths import ROOT


def run(sizes=(1000, 10000), repeat: int = 1, stock: bool = True, live: bool = True,
        publish: bool = True, photos: int = 0, fresh: bool = False,
        workdir: Path | str | None = None, log=print) -> dict:
    """Measure what is asked; return the figures and log the combined report last."""
    workdir = Path(workdir or ROOT / "bench")
    load = [os.getloadavg()]
    results: dict = {}
    if sizes:
        variants = ("project", "stock") if stock else ("project",)
        results = bench_build.run(sizes=sizes, repeat=repeat, workdir=workdir,
                                  variants=variants, livereload=live, log=log)
    for n in sizes if publish else ():
        results.setdefault(n, {})["publish"] = bench_publish.run(n, workdir, log=log,
                                                                 fresh=fresh)
        bench_build.save(workdir, {n: results[n]})
    if photos:
        results["photos"] = {photos: bench_photos.run(photos, workdir, log=log)}
        bench_build.save(workdir, {"photos": results["photos"]})
    load.append(os.getloadavg())
    log(report(results, load))
    return results


def report(results: dict, load: list[tuple] | None = None) -> str:
    """The combined report of :func:`run`'s figures."""
    parts = ["══ invoke bench: kết quả ══"]
    if load:
        parts.append(f"Máy {os.cpu_count()} lõi, dùng chung; tải trung bình (1 phút) lúc bắt "
                     f"đầu {load[0][0]:.1f}, lúc xong {load[-1][0]:.1f}.")
    for n, figures in results.items():
        if n == "photos":
            continue
        if any(key in figures for key, _ in bench_build.COLUMNS):
            parts.append(bench_build.table(n, figures))
        if figures.get("publish"):
            parts.append(bench_publish.table(n, figures["publish"]))
    for n, figures in (results.get("photos") or {}).items():
        parts.append(f"Kho bài nhiều ảnh, {n} bài\n{bench_photos.report(figures)}")
    return "\n\n".join(parts)
