"""What the search index costs on a built site (``invoke bench.search``).

Takes an output folder that a build wrote (left untouched: the pages are linked into a
temporary folder) and measures, as ``plugins/search`` runs them:

- Pagefind over the article pages only, in parts as the build makes them (wall, CPU of
  Pagefind, peak memory of the largest part), twice: the two bundles must be the same bytes
  (``bundle.stabilize``);
- with ``compare=True``, Pagefind as it was run before: over every page of the output, the
  whole of each page read;
- the folding of đ-words (``folded_words``) over the title and body of every article page.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_BODY = re.compile(r'<div class="article-body">(.*?)</div>\s*(?:<aside|<p class="search-folded"'
                   r'|<footer)', re.S)
_TITLE = re.compile(r'<h1 data-pagefind-meta="title">(.*?)</h1>', re.S)
_DATE = re.compile(r'data-pagefind-sort="date">([^<]+)<')


def pages_of(output: Path) -> tuple[list[str], list[str], dict[str, str]]:
    """Every HTML page of ``output`` (but the search bundle), the article pages among them
    (marked ``data-pagefind-body``), and the text of each article page."""
    every, articles, texts = [], [], {}
    for folder, dirs, files in os.walk(output):
        if folder == str(output):
            dirs[:] = [d for d in dirs if d != "pagefind"]
        for name in files:
            if name.endswith(".html"):
                path = os.path.join(folder, name)
                page = os.path.relpath(path, output)
                every.append(page)
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
                if "data-pagefind-body" in text:
                    articles.append(page)
                    texts[page] = text
    return sorted(every), sorted(articles), texts


def _children() -> tuple[float, int]:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def _timed(action) -> dict:
    cpu, _ = _children()
    start = time.perf_counter()
    action()
    wall = time.perf_counter() - start
    cpu_after, peak = _children()
    return {"wall_s": round(wall, 2), "pagefind_cpu_s": round(cpu_after - cpu, 2),
            "peak_mb_so_far": round(peak / 1024)}


def article_parts(articles: list[str], texts: dict[str, str], size: int) -> dict[str, str]:
    """Each article page (of :func:`pages_of`) with the part of the search index it falls
    in, parts of about ``size`` articles, from the date the page gives Pagefind."""
    from plugins.search.shards import part_names  # noqa: PLC0415 (a plugin)

    dates = [dt.datetime.fromisoformat(_DATE.search(texts[page]).group(1)) for page in articles]
    return dict(zip(articles, part_names(dates, size)))


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def run(output: Path, compare: bool = False, language: str | None = None) -> dict:
    from plugins.search import search  # noqa: PLC0415 (a plugin, imported when measured)

    output = Path(output)
    every, articles, texts = pages_of(output)
    figures: dict = {"pages": len(every), "article_pages": len(articles)}
    parts = article_parts(articles, texts, search.DEFAULTS["part_size"])
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        bundles = []
        for run_name in ("a", "b"):
            site = Path(tmp) / run_name
            search.link_pages(output, every, site)  # the output, writable: Pagefind writes in it
            figures[f"articles_only_{run_name}"] = _timed(
                lambda site=site: search.run_pagefind(site, "pagefind", parts, language))
            bundles.append(_tree(site / "pagefind"))
        figures["same_bytes_twice"] = bundles[0] == bundles[1]
        figures["bundle_files"] = len(bundles[0])
        figures["bundle_mb"] = round(sum(map(len, bundles[0].values())) / 2**20, 1)
        if compare:  # as before: every page, whole pages, files as Pagefind named them
            site = Path(tmp) / "a"
            command = [sys.executable, "-m", "pagefind", "--site", str(site),
                       "--output-subdir", "pagefind-before", "--quiet"]
            figures["before_every_page"] = _timed(
                lambda: subprocess.run(command, check=True, capture_output=True))
    start = time.process_time()
    for text in texts.values():
        body, title = _BODY.search(text), _TITLE.search(text)
        search.folded_words(title.group(1) if title else "", body.group(1) if body else text)
    figures["fold_cpu_s"] = round(time.process_time() - start, 2)
    return figures
