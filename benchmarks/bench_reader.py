"""``invoke bench.reader``: what the reader features cost on a big site.

The sample content is copied ``copies`` times (each copy in its own folder, titles numbered so
every URL is new) and built without the search index; then Pagefind indexes the output on its
own. Reported: build time, indexing time, the time spent ranking related articles, the size of
the search index and what a reader downloads for a search (entry, WebAssembly, one index chunk),
and the weight of the theme's CSS and JS.
"""
from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path

from newsroom.build import site
from newsroom.core.paths import ROOT



def make_corpus(target: Path, copies: int, source: Path = ROOT / "content") -> int:
    """Copy the articles of ``source`` ``copies`` times under ``target``; return how many."""
    count = 0
    for md in sorted((source / "bai-viet").rglob("*.md")):
        rel = md.parent.relative_to(source)
        text = md.read_text(encoding="utf-8")
        for n in range(copies):
            folder = target / rel / f"ban-{n}"
            folder.mkdir(parents=True, exist_ok=True)
            copy = re.sub(r"^(Title:.*)$", rf"\1 (bản {n})", text, count=1, flags=re.M)
            copy = re.sub(r"^(Slug:\s*\S+)\s*$", rf"\1-ban-{n}", copy, count=1, flags=re.M)
            (folder / md.name).write_text(copy, encoding="utf-8")
            images = md.parent / md.stem
            if images.is_dir() and not (folder / md.stem).exists():
                shutil.copytree(images, folder / md.stem)
            count += 1
    shutil.copytree(source / "pages", target / "pages", dirs_exist_ok=True)
    for extra in ("images", "extra"):
        if (source / extra).is_dir():
            shutil.copytree(source / extra, target / extra, dirs_exist_ok=True)
    return count


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run(copies: int = 20) -> dict:
    from plugins.reading import reading
    from plugins.search import search

    figures: dict = {}
    timer = {"related": 0.0}
    original = reading.RelatedIndex.ranked  # what the build calls for each article

    def timed(self, article, limit):
        start = time.perf_counter()
        try:
            return original(self, article, limit)
        finally:
            timer["related"] += time.perf_counter() - start

    with tempfile.TemporaryDirectory(prefix="bench-reader-") as tmp:
        content, output = Path(tmp) / "content", Path(tmp) / "output"
        figures["articles"] = make_corpus(content, copies)
        reading.RelatedIndex.ranked = timed
        try:
            start = time.perf_counter()
            site.build("pelicanconf.py", PATH=content, OUTPUT_PATH=output,
                       SEARCH={"index": False}, NEWSROOM_STRICT=False)
            figures["build_s"] = round(time.perf_counter() - start, 2)
        finally:
            reading.RelatedIndex.ranked = original
        figures["related_ms_per_article"] = round(1000 * timer["related"] / figures["articles"], 3)
        start = time.perf_counter()
        search.run_pagefind(output)
        figures["pagefind_s"] = round(time.perf_counter() - start, 2)
        bundle = output / "pagefind" / search.ALL  # the whole output, in one part
        figures["index_kb"] = round(_size(bundle / "index") / 1024)
        figures["fragments_kb"] = round(_size(bundle / "fragment") / 1024)
        chunks = sorted(p.stat().st_size for p in (bundle / "index").glob("*.pf_index"))
        figures["index_chunk_kb_median"] = round(chunks[len(chunks) // 2] / 1024, 1)
        figures["search_first_load_kb"] = round(sum(
            p.stat().st_size for p in [bundle / "pagefind.js", bundle / "pagefind-entry.json",
                                       *bundle.glob("wasm.*.pagefind"), *bundle.glob("*.pf_meta")]
        ) / 1024 + figures["index_chunk_kb_median"], 1)
        theme = output / "theme"
        figures["css_kb"] = round((theme / "css" / "site.css").stat().st_size / 1024, 1)
        figures["site_js_kb"] = round((theme / "js" / "site.js").stat().st_size / 1024, 1)
        figures["search_js_kb"] = round((theme / "js" / "search.js").stat().st_size / 1024, 1)
    return figures
