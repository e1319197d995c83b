"""What the search index costs on a built site (``invoke bench.search``).

Takes an output folder that a build wrote (left untouched: the pages are linked into a
temporary folder) and measures, as ``plugins/search`` runs them:

- Pagefind over the article pages only, in parts as the build makes them (wall, CPU of
  Pagefind, peak memory of the largest part), twice: the two bundles must be the same bytes
  (``bundle.stabilize``);
- with ``compare=True``, Pagefind as it was run before: over every page of the output, the
  whole of each page read;
- the folding of đ-words (``folded_words``) over the title and body of every article page;
- what a reader's search downloads (:func:`downloads`): the search page opened with a query
  in Debian's Chromium, as a phone on a slow 4G line (150 ms, 1.6 Mbit/s, CPU four times
  slower), a fresh cache each time: requests and KB of the index (as sent, gzip), and the
  time until the first results are shown; with ``compare=True`` also for the index in a part
  per year (``recent_size`` 0, as it was before the newest year was split by month).
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


def article_parts(articles: list[str], texts: dict[str, str], size: int,
                  recent: int | None = None) -> dict[str, str]:
    """Each article page (of :func:`pages_of`) with the part of the search index it falls
    in, parts of about ``size`` articles, from the date the page gives Pagefind; the newest
    year by month past ``recent`` articles (by default in the proportion of the site's
    settings: 250 for 1,500)."""
    from plugins.search.search import DEFAULTS  # noqa: PLC0415 (a plugin)
    from plugins.search.shards import part_names  # noqa: PLC0415

    if recent is None:
        recent = max(1, size * DEFAULTS["recent_size"] // DEFAULTS["part_size"])
    dates = [dt.datetime.fromisoformat(_DATE.search(texts[page]).group(1)) for page in articles]
    return dict(zip(articles, part_names(dates, size, recent)))


#: What the download is measured with: a common word in every part, a phrase, a rare word,
#: and the common word sorted by date (a search in each part, one after the other).
QUERIES = ("?q=cong+doan", "?q=b%E1%BB%AFa+%C4%83n+ca", "?q=ATVSL%C4%90", "?q=cong+doan&sort=moi")
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "vi-VN"}
SLOW_4G = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8,
           "uploadThroughput": 750e3 / 8}


def downloads(site: Path, queries=QUERIES) -> dict:
    """Each query of ``queries`` on the search page of ``site`` (served on 127.0.0.1), in a
    fresh browser context: requests and KB under ``/pagefind/`` until the results are
    shown, and the seconds until then."""
    from playwright.sync_api import expect, sync_playwright  # noqa: PLC0415

    from newsroom.build.preview import serve  # noqa: PLC0415
    from newsroom.core.chromium import CHROME_FLAGS, CHROMIUM  # noqa: PLC0415

    figures = {}
    with serve(site) as base, sync_playwright() as play:
        browser = play.chromium.launch(executable_path=CHROMIUM, args=CHROME_FLAGS,
                                       headless=True)
        try:
            for query in queries:
                context = browser.new_context(**PHONE)
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.emulateNetworkConditions", SLOW_4G)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
                got = []
                page.on("requestfinished", lambda request, got=got: got.append(request))
                start = time.perf_counter()
                page.goto(f"{base}/tim-kiem/{query}")
                expect(page.locator("#search-status")).to_have_text(
                    re.compile(r"^(Tìm thấy|Không tìm thấy)"), timeout=120_000)
                seconds = time.perf_counter() - start
                index = [r for r in got if "/pagefind/" in r.url]
                size = sum(max(r.sizes()["responseBodySize"], 0) for r in index)  # -1: none
                figures[query] = {"requests": len(index), "kb": round(size / 1024),
                                  "results_s": round(seconds, 2),
                                  "found": page.locator("#search-status").inner_text()}
                context.close()
        finally:
            browser.close()
    return figures


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def run(output: Path, compare: bool = False, language: str | None = None) -> dict:
    from plugins.search import search  # noqa: PLC0415 (a plugin, imported when measured)
    from plugins.search.shards import link_pages  # noqa: PLC0415

    output = Path(output)
    every, articles, texts = pages_of(output)
    figures: dict = {"pages": len(every), "article_pages": len(articles)}
    parts = article_parts(articles, texts, search.DEFAULTS["part_size"])
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        bundles = []
        for run_name in ("a", "b"):
            site = Path(tmp) / run_name
            link_pages(output, every, site)  # the output, writable: Pagefind writes in it
            figures[f"articles_only_{run_name}"] = _timed(
                lambda site=site: search.run_pagefind(site, "pagefind", parts, language))
            bundles.append(_tree(site / "pagefind"))
        figures["same_bytes_twice"] = bundles[0] == bundles[1]
        figures["bundle_files"] = len(bundles[0])
        figures["bundle_mb"] = round(sum(map(len, bundles[0].values())) / 2**20, 1)
        figures["parts"] = len(set(parts.values()))
        site = Path(tmp) / "a"
        # the search page's script and style
        os.symlink(os.path.realpath(output / "theme"), site / "theme")
        figures["download"] = downloads(site)
        if compare:  # the index in a part per year, on the same pages
            yearly = Path(tmp) / "y"
            link_pages(output, articles + ["tim-kiem/index.html"], yearly)
            os.symlink(os.path.realpath(output / "theme"), yearly / "theme")
            by_year = article_parts(articles, texts, search.DEFAULTS["part_size"], recent=0)
            search.run_pagefind(yearly, "pagefind", by_year, language)
            figures["parts_by_year"] = len(set(by_year.values()))
            figures["download_by_year"] = downloads(yearly)
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
