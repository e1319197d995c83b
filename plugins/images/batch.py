"""Run image jobs through the cache on every core: cached work is only copied into the output,
the rest goes to a pool of worker processes, one job per source photo (or drawn card)."""
from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import card as cards
from .cache import Cache, publish
from .process import ImageProblem, Limits, Variant, render


@dataclass
class Job:
    """Everything made from one source photo, or one drawn card (``source`` None).

    Files land at ``<prefix>-<file name>`` in the output, and also at each path in
    ``aliases[file name]`` (the social card of every article that uses the photo as cover)."""

    source: str | None
    prefix: str | None = None
    variants: set[Variant] = field(default_factory=set)
    card: dict | None = None
    aliases: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Outcome:
    manifest: dict | None = None
    message: str = ""
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.manifest is not None


@dataclass
class Stats:
    jobs: int = 0
    made: int = 0
    cached: int = 0
    failed: int = 0
    written: int = 0
    seconds: float = 0.0

    def add(self, other: "Stats") -> None:
        for name in ("jobs", "made", "cached", "failed", "written", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __str__(self) -> str:
        return (f"{self.jobs} ảnh: {self.made} xử lý mới, {self.cached} lấy từ bộ nhớ đệm, "
                f"{self.failed} lỗi; {self.written} tệp được ghi; {self.seconds:.2f} giây")


def _work(job: Job, folder: str, limits: Limits) -> tuple:
    """In a worker: make the job's files in a fresh folder, then move it into the cache."""
    target = Path(folder)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        if job.source is None:
            info = cards.draw(target=str(tmp / "og.jpg"), **job.card)
            manifest = {"size": list(job.card["size"]), "files": {"og.jpg": list(job.card["size"])},
                        "card": info}
        else:
            manifest = render(job.source, tuple(sorted(job.variants, key=repr)), str(tmp), limits)
    except ImageProblem as problem:
        shutil.rmtree(tmp, ignore_errors=True)
        return ("problem", problem.message, problem.fix)
    except Exception as exc:  # anything Pillow did not foresee: one bad photo, not a crash
        shutil.rmtree(tmp, ignore_errors=True)
        return ("problem", f"không xử lý được ảnh ({type(exc).__name__}: {exc})",
                "mở ảnh trên máy tính, lưu lại thành JPEG rồi gửi lại")
    (tmp / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(tmp, target)
    except OSError:  # another build made it first: theirs is the same
        shutil.rmtree(tmp, ignore_errors=True)
    return ("ok", manifest)


def _key(cache: Cache, job: Job, limits: Limits, digest: str | None) -> str:
    if job.source is None:
        fonts = [cache.digest(font) for font in job.card["fonts"]]
        return cache.key("card", {k: v for k, v in job.card.items() if k != "fonts"}, fonts)
    return cache.key("photo", digest, sorted(map(repr, job.variants)), limits)


def run(jobs: list[Job], cache: Cache, output: Path, limits: Limits, workers: int = 0):
    """Make or reuse every job's files and put them in ``output``.
    Returns ``({id(job): Outcome}, Stats)``."""
    started = time.perf_counter()
    stats = Stats(jobs=len(jobs))
    outcomes: dict[int, Outcome] = {}
    todo: list[tuple[Job, str]] = []
    for job in jobs:
        digest = None
        if job.source is not None:
            digest = cache.digest(job.source)
            if digest is None:
                outcomes[id(job)] = Outcome(
                    message="không tìm thấy tệp ảnh",
                    fix="kiểm tra tên tệp (cả chữ hoa, chữ thường, đuôi .jpg/.jpeg) và đặt ảnh "
                        "vào thư mục cùng tên bài viết, cạnh tệp bài")
                continue
        key = _key(cache, job, limits, digest)
        manifest = cache.get(key)
        if manifest is None:
            todo.append((job, key))
        else:
            stats.cached += 1
            outcomes[id(job)] = Outcome(manifest={**manifest, "key": key})

    workers = workers or os.cpu_count() or 1
    if len(todo) > 1 and workers > 1:
        # fork: workers start at once and need no re-import of the caller's __main__ (a script
        # without a main guard would run again in every spawned worker).
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        with concurrent.futures.ProcessPoolExecutor(min(workers, len(todo)), context) as pool:
            futures = {pool.submit(_work, job, str(cache.folder(key)), limits): (job, key)
                       for job, key in todo}
            done = [(futures[f], f.result()) for f in concurrent.futures.as_completed(futures)]
    else:
        done = [((job, key), _work(job, str(cache.folder(key)), limits)) for job, key in todo]
    for (job, key), result in done:
        if result[0] == "ok":
            stats.made += 1
            outcomes[id(job)] = Outcome(manifest={**result[1], "key": key})
        else:
            outcomes[id(job)] = Outcome(message=result[1], fix=result[2])

    for job in jobs:
        outcome = outcomes[id(job)]
        if not outcome.ok:
            stats.failed += 1
            continue
        folder = cache.folder(outcome.manifest["key"])
        for name in outcome.manifest["files"]:
            targets = list(job.aliases.get(name, ()))
            if job.prefix and name not in job.aliases:
                targets.append(f"{job.prefix}-{name}")
            for target in targets:
                stats.written += publish(folder / name, output / target)
    cache.save()
    stats.seconds = time.perf_counter() - started
    return outcomes, stats
