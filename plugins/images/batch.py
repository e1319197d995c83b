"""Run image jobs through the cache on every core: cached work is only copied into the output,
the rest goes to a pool of fresh worker processes, one task per source photo, drawn cards in
chunks; a worker puts what it made in the output itself, and results are taken as they come
with only a few tasks in flight."""
from __future__ import annotations

import concurrent.futures
import contextlib
import importlib.machinery
import json
import multiprocessing
import os
import shutil
import sys
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
    reused: int = 0  # items given what they got last build (``store``), without a job

    def add(self, other: "Stats") -> None:
        for name in ("jobs", "made", "cached", "failed", "written", "seconds", "reused"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __str__(self) -> str:
        return (f"{self.reused} bài dùng lại kết quả lần trước; "
                f"{self.jobs} ảnh: {self.made} xử lý mới, {self.cached} lấy từ bộ nhớ đệm, "
                f"{self.failed} lỗi; {self.written} tệp được ghi; {self.seconds:.2f} giây")


def _work(job: Job, folder: str, limits: Limits) -> tuple:
    """In a worker: make the job's files in a fresh folder, then move it into the cache."""
    target = Path(folder)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        if job.source is None:
            info = cards.draw(target=str(tmp / cards.FILE), **job.card)
            manifest = {"size": list(job.card["size"]),
                        "files": {cards.FILE: list(job.card["size"])},
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


def _publish(job: Job, files, folder: str, output: str) -> int:
    """Put the job's files (cached in ``folder``) in the output; returns how many were
    written (a file already there, the same, is left alone)."""
    written = 0
    for name in files:
        targets = list(job.aliases.get(name, ()))
        if job.prefix and name not in job.aliases:
            targets.append(f"{job.prefix}-{name}")
        for target in targets:
            written += publish(os.path.join(folder, name), os.path.join(output, target))
    return written


def _work_many(tasks: list, limits: Limits, output: str) -> list:
    """In a worker: make a few jobs (a chunk of cards, or one photo) and publish their files
    at once, while they are still in memory's page cache. Returns ``[(result, written)]``."""
    results = []
    for job, folder in tasks:
        result = _work(job, folder, limits)
        written = 0
        if result[0] == "ok":
            written = _publish(job, result[1]["files"], folder, output)
        results.append((result, written))
    return results


#: Cards per task sent to a worker: a card takes a few milliseconds, about what sending one
#: task costs, so they go in chunks. A photo goes alone (it takes a second or more).
CARD_CHUNK = 48
#: Below this much work (estimated, in seconds of one core) the jobs are done in the build
#: process: starting a worker costs more.
POOL_THRESHOLD_S = 0.6
_COST_S = {"card": 0.005, "photo": 0.3}


def _tasks(todo: list) -> list[list]:
    """Photos one per task, largest first; then the cards in chunks."""
    photos = [t for t in todo if t[0].source is not None]
    photos.sort(key=lambda t: -_size(t[0].source))
    drawn = [t for t in todo if t[0].source is None]
    return ([[t] for t in photos]
            + [drawn[i:i + CARD_CHUNK] for i in range(0, len(drawn), CARD_CHUNK)])


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _estimate(todo: list) -> float:
    return sum(_COST_S["card" if job.source is None else "photo"] for job, _ in todo)


def loaded(names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` are imported in this process (run in a worker: what it holds; the
    card tests ask it)."""
    return [name for name in names if name in sys.modules]


@contextlib.contextmanager
def _pool(workers: int):
    """A pool of fresh worker processes (``spawn``): they hold only what the jobs need, not a
    copy of the build's memory (10,000 articles read), as forked ones would.

    A fresh worker imports the ``__main__`` module again unless it has a module name: a script
    without a main guard (``python build.py``) would then run the whole build once more in
    every worker. So while workers start, ``__main__`` says it is ``__main__``, which
    :mod:`multiprocessing` leaves alone; the jobs need nothing from it."""
    main = sys.modules.get("__main__")
    faked = main is not None and getattr(main, "__spec__", None) is None
    if faked:
        main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)
    try:
        with concurrent.futures.ProcessPoolExecutor(
                workers, multiprocessing.get_context("spawn")) as pool:
            yield pool
    finally:
        if faked:
            main.__spec__ = None


def _key(cache: Cache, job: Job, limits: Limits, digest: str | None, fonts: dict) -> str:
    if job.source is None:
        known = fonts.get(job.card["fonts"])
        if known is None:  # once per run, not once per card
            known = fonts[job.card["fonts"]] = [cache.digest(f) for f in job.card["fonts"]]
        return cache.key("card", cards.VERSION,
                         {k: v for k, v in job.card.items() if k != "fonts"}, known)
    return cache.key("photo", digest, sorted(map(repr, job.variants)), limits)


def run(jobs: list[Job], cache: Cache, output: Path, limits: Limits, workers: int = 0):
    """Make or reuse every job's files and put them in ``output``.
    Returns ``({id(job): Outcome}, Stats)``."""
    started = time.perf_counter()
    stats = Stats(jobs=len(jobs))
    outcomes: dict[int, Outcome] = {}
    todo: list[tuple[Job, str]] = []
    fonts: dict = {}
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
        key = _key(cache, job, limits, digest, fonts)
        cache.used.add(key)
        manifest = cache.get(key)
        if manifest is None:
            todo.append((job, key))
        else:
            stats.cached += 1
            outcomes[id(job)] = Outcome(manifest={**manifest, "key": key})

    workers = workers or os.cpu_count() or 1
    published: set[int] = set()  # jobs whose files a worker has put in the output

    def done(task, results):
        for (job, key), (result, written) in zip(task, results):
            if result[0] == "ok":
                stats.made += 1
                stats.written += written
                published.add(id(job))
                outcomes[id(job)] = Outcome(manifest={**result[1], "key": key})
            else:
                outcomes[id(job)] = Outcome(message=result[1], fix=result[2])

    tasks = _tasks(todo)
    if workers > 1 and len(tasks) > 1 and _estimate(todo) >= POOL_THRESHOLD_S:
        # Bounded: a few tasks per worker in flight, results taken as they come.
        with _pool(min(workers, len(tasks))) as pool:
            pending: dict = {}
            queue = iter(tasks)
            while True:
                while len(pending) < 3 * workers:
                    task = next(queue, None)
                    if task is None:
                        break
                    chunk = [(job, cache.path(key)) for job, key in task]
                    pending[pool.submit(_work_many, chunk, limits, str(output))] = task
                if not pending:
                    break
                finished, _ = concurrent.futures.wait(
                    pending, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in finished:
                    done(pending.pop(future), future.result())
    else:
        for task in tasks:
            done(task, _work_many([(job, cache.path(key)) for job, key in task], limits,
                                  str(output)))

    for job in jobs:
        outcome = outcomes[id(job)]
        if not outcome.ok:
            stats.failed += 1
        elif id(job) not in published:
            stats.written += _publish(job, outcome.manifest["files"],
                                      cache.path(outcome.manifest["key"]), str(output))
    cache.save()
    stats.seconds = time.perf_counter() - started
    return outcomes, stats
