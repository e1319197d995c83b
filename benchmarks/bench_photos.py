"""``invoke bench --photos N``: what a union site really carries, photos in most articles.

The photo-heavy corpus (``benchmarks.corpus``, ``photos=True``: 80 % of the articles with 1–6
phone-camera photos) is built with the project's settings in a child process, as ``invoke bench``
builds (:func:`benchmarks.bench_build.measure`): cold (no output, no cache), again with nothing
changed (``invoke build``), and into an emptied output with the image cache warm (as
``invoke publish`` builds). Each gives the CPU seconds of its step "ảnh, thẻ chia sẻ" (photos and
cards) per photo.

Beside them, in the same run and on the same files, the floor Pillow itself allows on this
machine for one photo (:func:`floor`: JPEG draft decode, one resize, one JPEG encode), and what
the project's own function does for one photo in one process (:func:`project_photo`: every
file of an in-body photo, and of a cover), so the gap between the two is read per file made."""
from __future__ import annotations

import io
import json
import math
import shutil
import time
from pathlib import Path

from PIL import Image, ImageOps

from benchmarks import bench_build as bench
from benchmarks import corpus
from newsroom.core.paths import ROOT

STEP = "ảnh, thẻ chia sẻ"  # the step of bench.PHASES where photos and cards are made


def corpus_dir(workdir: Path, n: int, photo_size=corpus.PHOTO_SIZE) -> Path:
    """The content folder of the photo-heavy corpus of size ``n`` (generated on first use)."""
    folder = Path(workdir) / f"corpus-photos-{n}-{photo_size[0]}x{photo_size[1]}"
    stamp = folder / "done"
    if not stamp.exists():
        shutil.rmtree(folder, ignore_errors=True)
        corpus.generate(folder / "content", n, photos=True, photo_size=photo_size)
        stamp.write_text(str(n))
    return folder / "content"


def _photos(content: Path) -> list[Path]:
    return sorted(p for p in (content / "bai-viet").rglob("anh-*.jpg"))


def _cpu() -> float:
    return time.process_time()


def floor(paths: list[Path], width: int = 1600) -> float:
    """CPU seconds a photo, at the least, for the largest file the project makes: decode at
    the smallest draft scale that still gives ``width`` px upright (within the project's
    ``DRAFT_SLACK``), turn it upright, one Lanczos resize, one JPEG (quality 82) in memory."""
    from plugins.images.process import DRAFT_SLACK

    start = _cpu()
    for path in paths:
        with Image.open(path) as image:
            turned = image.getexif().get(0x0112, 1) in (5, 6, 7, 8)
            upright = image.height if turned else image.width
            scale = min(1.0, width * DRAFT_SLACK / upright)
            image.draft("RGB", (math.ceil(image.width * scale), math.ceil(image.height * scale)))
            image = ImageOps.exif_transpose(image)
        wide = min(width, image.width)
        small = image.resize((wide, round(wide * image.height / image.width)),
                             Image.Resampling.LANCZOS, reducing_gap=3.0)
        small.save(io.BytesIO(), "JPEG", quality=82)
    return (_cpu() - start) / len(paths)


def project_photo(content: Path, paths: list[Path], cover: bool,
                  workdir: Path) -> tuple[float, int]:
    """CPU seconds a photo for the project's own work on it in this process (every file of
    an in-body photo, or of a cover with its crops and card), and the files made a photo."""
    from plugins.images.images import DEFAULTS, Plan
    from plugins.images.process import Limits, render

    limits = Limits.from_conf(DEFAULTS)
    plan = Plan({"PATH": str(content)}, dict(DEFAULTS))
    jobs = []
    for path in paths:
        rel = path.relative_to(content).as_posix()
        jobs.append(plan.cover(rel, (0.5, 0.5), "anh/og/x") if cover else plan.sized(rel))
    files = 0
    start = _cpu()
    for n, job in enumerate(jobs):
        made = render(job.source, tuple(sorted(job.variants, key=repr)),
                      str(workdir / f"one-{n}"), limits)
        files = len(made["files"])
    spent = (_cpu() - start) / len(jobs)
    shutil.rmtree(workdir, ignore_errors=True)
    return spent, files


def _step_cpu(result: dict) -> float:
    """CPU seconds of the photo step; 0 when the build stopped before it (nothing changed:
    ``invoke build`` checks its stamp and returns)."""
    return next((cpu for label, _, cpu in result["phases"] if label == STEP), 0.0)


def run(n: int = 1000, workdir: Path | str | None = None, sample: int = 12,
        photo_size=corpus.PHOTO_SIZE, log=print) -> dict:
    """Measure; returns the figures (also added to ``<workdir>/photos.json``; :func:`report`
    prints them)."""
    workdir = Path(workdir or ROOT / "bench")
    workdir.mkdir(parents=True, exist_ok=True)
    log(f"— {n} bài nhiều ảnh: tạo kho bài mẫu…")
    content = corpus_dir(workdir, n, photo_size)
    photos = _photos(content)
    output, cache = workdir / f"out-photos-{n}", workdir / f"cache-photos-{n}"
    shutil.rmtree(output, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    figures = {"articles": n, "photos": len(photos),
               "source_mb": round(sum(p.stat().st_size for p in photos) / 1e6)}
    runs = {}
    for name in ("cold", "noop", "clean"):
        if name == "clean":  # as invoke publish builds: an emptied output, caches kept
            shutil.rmtree(output)
        log(f"— {n} bài nhiều ảnh: dựng ({LABELS[name + '_s']})…")
        runs[name] = result = bench.measure("project", content, output, cache)
        figures[f"{name}_s"] = round(result["seconds"], 1)
        figures[f"{name}_cpu_s"] = round(result["cpu"], 1)
        figures[f"{name}_images_cpu_s"] = round(_step_cpu(result), 1)
        figures[f"{name}_cpu_per_photo"] = round(_step_cpu(result) / len(photos), 4)
        figures[f"{name}_build_cpu_per_photo"] = round(result["cpu"] / len(photos), 4)
        figures[f"{name}_memory_mb"] = round(result["memory_mb"])
    # Files made from photos (sizes, crops, a cover's card cut from it), not drawn cards.
    made = [p for p in (output / "anh").rglob("*") if p.is_file() and not (
        p.parent.name == "og" and p.suffix == ".png")]
    pages = sum(p.stat().st_size for p in output.rglob("*") if p.is_file())
    figures["output_mb"] = round(pages / 1e6, 1)
    figures["photo_files_mb"] = round(sum(p.stat().st_size for p in made) / 1e6, 1)
    figures["kb_per_article_without_photos"] = round(
        (pages - figures["photo_files_mb"] * 1e6) / n / 1024, 1)
    picked = photos[:: max(1, len(photos) // sample)][:sample]
    figures["floor_cpu_per_photo"] = round(floor(picked), 4)
    for cover in (False, True):
        spent, files = project_photo(content, picked, cover, workdir / "one-photo")
        kind = "cover" if cover else "body"
        figures[f"one_{kind}_cpu_per_photo"] = round(spent, 4)
        figures[f"one_{kind}_files"] = files
    _save(workdir, figures)
    return figures


def _save(workdir: Path, figures: dict) -> None:
    path = workdir / "photos.json"
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        saved = {}
    saved[str(figures["articles"])] = figures
    path.write_text(json.dumps(saved, indent=1), encoding="utf-8")


LABELS = {
    "articles": "số bài", "photos": "số ảnh (80 % số bài có 1–6 ảnh)",
    "source_mb": "dung lượng ảnh gốc (MB)",
    "cold_s": "dựng mới, bộ đệm trống", "noop_s": "dựng lại, không đổi gì",
    "clean_s": "output trống, bộ đệm ảnh còn (như xuất bản)",
    "output_mb": "output (MB)", "photo_files_mb": "trong đó ảnh đã xử lý (MB)",
    "kb_per_article_without_photos": "KB mỗi bài, không kể ảnh",
    "floor_cpu_per_photo": "mức sàn của Pillow: giây CPU/ảnh (draft, xoay, 1 lần đổi cỡ, 1 JPEG)",
    "one_body_cpu_per_photo": "dự án, 1 ảnh trong bài, 1 tiến trình: giây CPU/ảnh",
    "one_body_files": "  số tệp làm từ 1 ảnh trong bài",
    "one_cover_cpu_per_photo": "dự án, 1 ảnh bìa, 1 tiến trình: giây CPU/ảnh",
    "one_cover_files": "  số tệp làm từ 1 ảnh bìa",
}
for _run in ("cold", "noop", "clean"):
    LABELS.update({f"{_run}_cpu_s": f"  {LABELS[_run + '_s']}: giây CPU cả bản dựng",
                   f"{_run}_images_cpu_s": f"  {LABELS[_run + '_s']}: giây CPU bước ảnh",
                   f"{_run}_cpu_per_photo": f"  {LABELS[_run + '_s']}: giây CPU/ảnh (bước ảnh)",
                   f"{_run}_build_cpu_per_photo":
                       f"  {LABELS[_run + '_s']}: giây CPU cả bản dựng chia số ảnh",
                   f"{_run}_memory_mb": f"  {LABELS[_run + '_s']}: bộ nhớ đỉnh (MB)"})


def report(figures: dict) -> str:
    rows = []
    for key, value in figures.items():
        label = LABELS.get(key, key)
        rows.append(f"{label:70} {value}" + (" giây" if key.endswith("_s") and
                                             not key.endswith("cpu_s") else ""))
    return "\n".join(rows)
