"""Benchmark of the image pipeline (``invoke bench.images``): N camera-size photos processed
cold (empty cache) and warm (nothing changed), per core, then with one photo changed and with
a clean output folder (as the publish build leaves it); with ``--cards N``, N social cards
drawn cold and warm (CPU per card, peak memory of the build and worker processes)."""
from __future__ import annotations

import os
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from plugins.images.batch import run
from plugins.images.cache import Cache
from plugins.images.images import DEFAULTS, Plan
from plugins.images.process import Limits

from benchmarks.bench_build import Peak
from benchmarks.corpus import camera_photo


def make_photos(folder: Path, count: int, size=(4000, 3000), distinct: int = 6) -> list[str]:
    """``count`` photos, each with its own bytes (a few distinct pictures, each copy with a
    unique trailer after the JPEG end, so every file has its own hash and is really decoded)."""
    bases = [camera_photo(size, seed) for seed in range(min(distinct, count))]
    rels = []
    for n in range(count):
        rel = f"bai-viet/bench/{n // 100:02d}/anh-{n:04d}.jpg"
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(bases[n % len(bases)] + f"anh-{n}".encode())
        rels.append(rel)
    return rels


def _jobs(content: Path, rels: list[str]):
    plan = Plan({"PATH": str(content)}, dict(DEFAULTS))
    for rel in rels:
        plan.sized(rel)
    return list(plan.jobs.values())


def bench(count: int = 1000, size=(4000, 3000), workers: int = 0, keep: str | None = None):
    """Run the benchmark; returns the figures as a dict (seconds, photos per second...)."""
    workers = workers or os.cpu_count() or 1
    root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="bench-images-"))
    content, output, cache_dir = root / "content", root / "output", root / "cache"
    limits = Limits.from_conf(DEFAULTS)
    figures = {"photos": count, "size": f"{size[0]}x{size[1]}", "cores": workers}
    try:
        started = time.perf_counter()
        rels = make_photos(content, count, size)
        megabytes = sum((content / r).stat().st_size for r in rels) / 1e6
        figures["source_mb"] = round(megabytes, 1)
        figures["generate_s"] = round(time.perf_counter() - started, 1)

        def timed(name, **expect):
            begin = time.perf_counter()
            _, stats = run(_jobs(content, rels), Cache(cache_dir), output, limits, workers)
            figures[name] = round(time.perf_counter() - begin, 3)
            for key, value in expect.items():
                assert getattr(stats, key) == value, (name, key, stats)
            return stats

        timed("cold_s", made=count)
        figures["cold_photos_per_s"] = round(count / figures["cold_s"], 2)
        figures["cold_s_per_photo_per_core"] = round(figures["cold_s"] * workers / count, 3)
        timed("warm_s", made=0, written=0)
        (content / rels[0]).write_bytes((content / rels[1]).read_bytes() + b"changed")
        timed("one_changed_s", made=1)
        shutil.rmtree(output)
        timed("clean_output_s", made=0)
        single = rels[: min(count, 12)]
        shutil.rmtree(cache_dir)
        begin = time.perf_counter()
        run(_jobs(content, single), Cache(cache_dir), root / "out1", limits, 1)
        figures["one_core_s_per_photo"] = round((time.perf_counter() - begin) / len(single), 3)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    return figures


LABELS = {
    "photos": "số ảnh", "size": "kích thước", "cores": "số lõi dùng",
    "source_mb": "dung lượng gốc (MB)",
    "generate_s": "tạo ảnh thử (giây)", "cold_s": "lần đầu, bộ đệm trống (giây)",
    "cold_photos_per_s": "lần đầu: ảnh/giây", "cold_s_per_photo_per_core": "lần đầu: giây/ảnh/lõi",
    "warm_s": "lần sau, không đổi gì (giây)", "one_changed_s": "đổi 1 ảnh (giây)",
    "clean_output_s": "output trống, lấy từ bộ đệm (giây)",
    "one_core_s_per_photo": "1 lõi: giây/ảnh",
}


def report(figures: dict) -> str:
    return "\n".join(f"{LABELS.get(k, k):42} {v}" for k, v in figures.items())


# ---------------------------------------------------------------- social cards

def card_jobs(count: int, mixed: bool = True, seed: int = 2020):
    """``count`` card jobs as the plugin makes them for articles without a cover: titles,
    units and campaigns of the benchmark corpus (:mod:`benchmarks.corpus`); with ``mixed``,
    every other title is made of words drawn at random from the corpus's sentences, so the
    words of the titles are as varied as a real archive's."""
    from benchmarks import corpus as make
    from newsroom.core.paths import ROOT
    from plugins.images.images import _card_job

    settings = {"PATH": str(ROOT / "content"), "THEME": str(ROOT / "theme"),
                "SITEURL": "https://congdoantkv.vn",
                "SITENAME": "Công đoàn Than – Khoáng sản Việt Nam"}
    plan = Plan(settings, dict(DEFAULTS))
    articles = make.Corpus(seed)
    rnd = random.Random(seed)
    words = " ".join(make.SENTENCES).replace("{", " ").replace("}", " ").split()
    campaigns = [None, None, None, "thang-cong-nhan-2020"]
    jobs = []
    for n in range(count):
        _, _, info = articles.article(n)
        title = info["title"]
        if mixed and n % 2:
            title = " ".join(rnd.choice(words) for _ in range(rnd.randint(6, 28)))
        unit = articles.units[n % len(articles.units)]["slug"]
        item = SimpleNamespace(title=title, metadata={"unit": unit, "campaign": campaigns[n % 4]},
                               source_path=f"bench/{n}.md", slug=f"the-{n}")
        jobs.append(_card_job(plan, item, f"anh/og/the-{n}"))
    return jobs


def bench_cards(count: int = 10000, workers: int = 0, mixed: bool = True,
                keep: str | None = None) -> dict:
    """Draw ``count`` social cards cold (empty cache and output), then again warm (all
    cached, all in the output): wall and CPU seconds of the build process and of the worker
    processes, CPU milliseconds per card, peak memory (MB) of the processes together."""
    workers = workers or os.cpu_count() or 1
    root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="bench-cards-"))
    limits = Limits.from_conf(DEFAULTS)
    figures = {"cards": count, "cores": workers}
    try:
        jobs = card_jobs(count, mixed)
        for name in ("cold", "warm"):
            me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
                resource.RUSAGE_CHILDREN)
            begin = time.perf_counter()
            with Peak() as peak:
                _, stats = run(jobs, Cache(root / "cache"), root / "output", limits, workers)
            wall = time.perf_counter() - begin
            me2, kids2 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
                resource.RUSAGE_CHILDREN)
            main = me2.ru_utime + me2.ru_stime - me.ru_utime - me.ru_stime
            pool = kids2.ru_utime + kids2.ru_stime - kids.ru_utime - kids.ru_stime
            assert stats.failed == 0, stats
            assert stats.made == (count if name == "cold" else 0), stats
            figures[f"{name}_wall_s"] = round(wall, 2)
            figures[f"{name}_cpu_main_s"] = round(main, 2)
            figures[f"{name}_cpu_workers_s"] = round(max(pool, 0.0), 2)
            figures[f"{name}_cpu_ms_per_card"] = round((main + pool) * 1000 / count, 2)
            figures[f"{name}_peak_pss_mb"] = round(peak.pss / 1024)
            figures[f"{name}_peak_rss_mb"] = round(peak.rss / 1024)
        sizes = [p.stat().st_size for p in (root / "output").rglob("*.png")]
        figures["card_kb"] = round(sum(sizes) / len(sizes) / 1024, 1)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    return figures


LABELS.update({
    "cards": "số thẻ chia sẻ", "card_kb": "dung lượng trung bình một thẻ (KB)",
    **{f"{run}_{key}": f"{label} {text}" for run, label in (("cold", "lần đầu:"),
                                                              ("warm", "lần sau:"))
       for key, text in (("wall_s", "thời gian (giây)"),
                         ("cpu_main_s", "CPU tiến trình dựng (giây)"),
                         ("cpu_workers_s", "CPU các tiến trình con (giây)"),
                         ("cpu_ms_per_card", "CPU mỗi thẻ (ms)"),
                         ("peak_pss_mb", "bộ nhớ đỉnh, PSS (MB)"),
                         ("peak_rss_mb", "bộ nhớ đỉnh, RSS cộng dồn (MB)"))},
})
