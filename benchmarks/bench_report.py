"""Benchmark of ``invoke report`` on a large synthetic newsroom (``invoke bench.report``).

Writes ``articles`` articles (spread over every unit, the whole of 2020, every category, some
sent to the portal) and ``clips`` clippings into a temporary folder, then times reading, tagging
and computing the report, and writing the HTML and CSV files. Figures, not a pass/fail test.
"""
from __future__ import annotations

import random
import resource
import shutil
import tempfile
import time
from pathlib import Path

from newsroom.core import data
from newsroom.editorial import clippings, report

WORDS = ("an toàn lao động", "Tháng Công nhân", "đối thoại", "thỏa ước lao động tập thể",
         "chăm lo Tết", "Covid-19", "thợ mỏ", "công đoàn cơ sở", "sáng kiến")


def make_corpus(folder: Path, articles: int, clips: int, seed: int = 2020) -> tuple[Path, Path]:
    rnd = random.Random(seed)
    content, data_dir = folder / "content", folder / "data"
    shutil.copytree(data.DATA_DIR, data_dir, ignore=shutil.ignore_patterns("clippings"))
    units = list(data.units())
    categories = [c["name"] for c in data.categories().values() if not c.get("question_required")]
    for index in range(articles):
        unit = rnd.choice(units)
        day = 1 + rnd.randrange(366)
        when = f"2020-{1 + (day - 1) * 12 // 366:02d}-{1 + rnd.randrange(28):02d} 08:30"
        words = rnd.sample(WORDS, 3)
        extra = "Sent_to: cong-doan-viet-nam\n" if rnd.random() < 0.1 else ""
        path = content / "bai-viet" / unit / "2020" / f"tin-{index:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Title: Tin {index}: {words[0]}\nDate: {when}\nUnit: {unit}\n"
                        f"Author: Phóng viên\nCategory: {rnd.choice(categories)}\n{extra}\n"
                        + " ".join(words) + " trong hoạt động công đoàn.\n" * 20,
                        encoding="utf-8")
    lines = []
    for index in range(clips):
        lines.append(f"- date: 2020-{1 + index % 12:02d}-{1 + index % 28:02d}\n"
                     f"  source: {rnd.choice(['bao-lao-dong', 'facebook', 'Báo Quảng Ninh'])}\n"
                     f"  url: https://example.vn/{index}\n  title: Tin {index}\n"
                     f"  tone: {rnd.choice(list(clippings.TONES))}\n")
    (data_dir / "clippings").mkdir()
    (data_dir / "clippings" / "2020.yml").write_text("\n".join(lines), encoding="utf-8")
    return content, data_dir


def run(articles: int = 5000, clips: int = 2000) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        content, data_dir = make_corpus(folder, articles, clips)
        start = time.perf_counter()
        made = report.build("2020-01-01", "2020-12-31", content_dir=content, data_dir=data_dir)
        built = time.perf_counter()
        index = report.write(made, folder / "out")
        written = time.perf_counter()
        size = sum(p.stat().st_size for p in index.parent.iterdir())
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (f"{articles} bài, {clips} tin báo chí, 53 tuần, {len(data.units())} đơn vị: "
            f"đọc + gắn nhãn + tính {built - start:.2f} s, ghi HTML + CSV {written - built:.2f} s, "
            f"thư mục báo cáo {size / 1024:.0f} KB, bộ nhớ đỉnh {peak:.0f} MB")
