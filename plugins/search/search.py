"""Static search with Pagefind, for readers who type without accents.

After every build (Pelican's ``finalized`` signal) Pagefind indexes the article pages in the
output folder into ``<output>/pagefind/``, in parts by time; the search page ``/tim-kiem/``
(written here through Pelican's writer, template ``search.html``) and the header's search box
query that index from the browser. Templates mark what is indexed (``data-pagefind-body``), the
filters (campaign, theme, unit, category, year) and the date sort.

Pagefind matches "cong" with "công" by itself, but not "doan" with "đoàn": đ is a letter of its
own, not a letter with a mark. So each article carries ``article.search_folded``, the accent-free
spelling of every word of its text that has đ/Đ (printed in a hidden element of the page), and the
search page folds the query the same way (``newsroom.core.text.fold``) before searching.

Pagefind is handed only the article pages this build wrote (a temporary folder of links to
those of the parts made again, so the thousands of list and term pages are never read) and
reads only the ``data-pagefind-body`` element of each (``--root-selector``; the language still
comes from each page's ``<html lang>``, so translations keep an index of their own). The
index is made in parts of ``part_size`` articles at most (years shared or split by months; the
newest year a month a part once it has more than ``recent_size`` articles), one after the other
(:mod:`.shards`: Pagefind's memory grows with the pages of one run), each part put in a fixed
order (``bundle.stabilize``) so the same pages give the same files, and made again only when
its pages changed. The run starts as soon as the article pages are written
(``article_writer_finalized``) and works while the build writes the list and term pages; the
build waits for it at the end (``finalized``).

Settings (checked at start-up)::

    SEARCH = {
        "url": "tim-kiem/",                 # the search page
        "save_as": "tim-kiem/index.html",
        "bundle_dir": "pagefind",           # where the index goes, a folder per part
        "index": True,                      # False: write the page but do not run Pagefind
        "part_size": 1500,                  # a year with more articles is split by months
        "recent_size": 250,                 # the newest year with more: a part per month
    }
"""
from __future__ import annotations

import atexit
import functools
import hashlib
import html
import importlib.metadata
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from functools import partial
from pathlib import Path

from pelican import signals
from pelican.generators import ArticlesGenerator, Generator

from newsroom.core.settings import plugin_settings
from newsroom.core.text import fold
from plugins import fence

from .shards import part_names


logger = logging.getLogger(__name__)

DEFAULTS = {
    "url": "tim-kiem/",
    "save_as": "tim-kiem/index.html",
    "bundle_dir": "pagefind",
    "index": True,
    "part_size": 1500,
    "recent_size": 250,
}
TIMEOUT = 300
#: The element Pagefind reads on each page: the article (templates/article.html); Pagefind
#: skips the rest of the page (header, menus, JSON-LD, related stories) without looking at it.
ROOT_SELECTOR = "[data-pagefind-body]"

_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w+")
_FOLDED: dict[str, str] = {}  # word -> fold(word): the same few hundred đ-words everywhere
#: Output folder -> the article pages of the build in progress (set when every generator has
#: read its content, used and dropped when the build is finalized), and the Pagefind run
#: started once those pages were written.
_PAGES: dict[str, dict[str, str]] = {}  # output -> {page: its part}
_RUNNING: dict[str, "PagefindRun"] = {}
#: Runs in the background of a live session (stopped with the session, or at exit).
_BACKGROUND: set = set()


class SearchSettingsError(ValueError):
    """The SEARCH setting would make the search page or its index wrong."""


def search_settings(settings) -> dict:
    """The ``SEARCH`` setting merged over :data:`DEFAULTS`, checked."""
    merged = plugin_settings(settings, "SEARCH", DEFAULTS, "plugins.search", SearchSettingsError)
    for key in ("url", "save_as", "bundle_dir"):
        if not isinstance(merged[key], str) or not merged[key].strip("/"):
            raise SearchSettingsError(f"plugins.search: SEARCH['{key}'] phải là đường dẫn")
    size = merged["part_size"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise SearchSettingsError("plugins.search: SEARCH['part_size'] phải là số nguyên dương "
                                  "(số bài tối đa của một phần chỉ mục, ví dụ 1500)")
    recent = merged["recent_size"]
    if isinstance(recent, bool) or not isinstance(recent, int) or recent < 0:
        raise SearchSettingsError("plugins.search: SEARCH['recent_size'] phải là số nguyên không "
                                  "âm (năm mới nhất có nhiều bài hơn số này thì chia mỗi tháng "
                                  "một phần chỉ mục, ví dụ 250; 0 là không chia)")
    return merged


def folded_words(*texts: str) -> str:
    """The accent-free spelling of each distinct word with đ/Đ in ``texts`` (HTML allowed),
    in order of first appearance: "Công đoàn ATVSLĐ" -> "doan atvsld"."""
    seen: dict[str, None] = {}
    for text in texts:
        if not text or ("đ" not in text and "Đ" not in text and "&" not in text):
            continue
        plain = _TAG.sub(" ", text)
        if "&" in plain:
            plain = html.unescape(plain)
        # Distinct space-separated pieces first (in C), then words only in pieces with đ: the
        # same words in the same order as splitting the whole text into words.
        for piece in dict.fromkeys(plain.split()):
            if "đ" in piece or "Đ" in piece:
                for word in _WORD.findall(piece):
                    if "đ" in word or "Đ" in word:
                        folded = _FOLDED.get(word)
                        if folded is None:
                            if len(_FOLDED) > 100_000:  # a long live session: stay small
                                _FOLDED.clear()
                            folded = _FOLDED[word] = fold(word)
                        seen.setdefault(folded, None)
    return " ".join(seen)


class _KeptFolds:
    """The folded words of each article's texts, kept in the cache folder between builds
    (``<CACHE_PATH>/search-folds/<output>.json``, a file per output folder): folding every article again costs some 0.4 s of
    CPU per 1,000 articles, most of a build that changed one. Keyed by a digest of the
    texts; the file holds what the last build used, and is dropped when the folding code
    (this module, ``newsroom.core.text``) changes."""

    def __init__(self, settings):
        self.path = _folds_file(settings)
        self.code = hashlib.blake2b(b"".join(
            Path(module.__file__).read_bytes() for module in (sys.modules[__name__],
                                                              sys.modules[fold.__module__])),
            digest_size=16).hexdigest()
        self.kept: dict[str, str] = {}
        self.used: dict[str, str] = {}
        try:
            found = json.loads(self.path.read_text(encoding="utf-8")) if self.path else {}
            if found.get("code") == self.code:
                self.kept = found["folded"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass

    @staticmethod
    def _key(texts: tuple) -> str:
        return hashlib.blake2b("\x00".join(texts).encode("utf-8", "surrogatepass"),
                               digest_size=16).hexdigest()

    def fold(self, texts: tuple) -> tuple[str, str]:
        """The folded words of ``texts``, and the key they are kept under."""
        key = self._key(texts)
        found = self.kept.get(key)
        if found is None:
            found = folded_words(*texts)
        self.used[key] = found
        return found, key

    def keep(self, key: str, folded: str) -> None:
        """An article a live session folded at an earlier update: kept as it is."""
        self.used[key] = folded

    def next_build(self) -> "_KeptFolds":
        """The same store for the next update of a live session: what this one used, without
        reading the file again."""
        self.kept, self.used = self.used, {}
        return self

    def save(self) -> None:
        if self.path is None or self.used.keys() == self.kept.keys():
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"code": self.code, "folded": self.used},
                                      ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            logger.debug("Tìm kiếm: không lưu được %s (%s)", self.path, exc)


_KEPT_FOLDS: dict = {}  # output folder -> its _KeptFolds, between a live session's updates


def _folds_file(settings) -> Path | None:
    cache = settings.get("CACHE_PATH")
    if not cache:
        return None
    name = hashlib.blake2b(os.path.realpath(settings["OUTPUT_PATH"]).encode(),
                           digest_size=8).hexdigest()
    return Path(cache) / "search-folds" / f"{name}.json"


def _kept_folds(settings) -> _KeptFolds:
    """The kept folds for a build into this output folder: read from the cache folder once
    per process, then carried from one build (a live session's update) to the next."""
    key = os.path.realpath(settings["OUTPUT_PATH"])
    found = _KEPT_FOLDS.get(key)
    if found is None or found.path != _folds_file(settings):
        found = _KEPT_FOLDS[key] = _KeptFolds(settings)
        return found
    return found.next_build()


def add_folded_words(generators) -> None:
    """Give each article ``search_folded`` (after every plugin has read and tagged it), and
    note the pages Pagefind will index: the published articles and their translations."""
    kept = _kept_folds(generators[0].settings) if generators else None
    for generator in generators:
        if isinstance(generator, ArticlesGenerator):
            # each page goes to the index's part of its year or months (plugins/search/shards.py)
            # an address is formatted from the settings at each use: once per item here
            items = [(item.save_as, item.date)
                     for item in [*generator.articles, *generator.translations]]
            items = [(save_as, date) for save_as, date in items if save_as]
            conf = search_settings(generator.settings)
            _PAGES[os.path.realpath(generator.output_path)] = dict(zip(
                (save_as for save_as, _ in items),
                part_names([date for _, date in items], conf["part_size"],
                           conf["recent_size"])))
        for article in getattr(generator, "articles", None) or ():
            # A live session keeps the objects of unchanged articles (their file unchanged, so
            # their text and terms too: a data change restarts it): nothing to fold again.
            seen = article.__dict__.get("_search_texts")
            if seen is not None and seen[2] is fence.raw_content(article) and seen[0] == article.title:
                kept.keep(seen[5], article.search_folded)
                continue
            names = [str(getattr(article, "category", "") or "")]
            for plural in ("units", "campaigns", "themes", "tags", "authors"):
                names += [getattr(t, "name", str(t)) for t in getattr(article, plural, None) or ()]
            texts = (article.title, article.metadata.get("summary", ""), fence.raw_content(article),
                     article.metadata.get("question", ""), " ".join(names))
            if seen is None or seen[:5] != texts:
                article.search_folded, key = kept.fold(texts)
                article._search_texts = (*texts, key)
            else:
                kept.keep(seen[5], article.search_folded)
    if kept is not None:
        kept.save()


class SearchPageGenerator(Generator):
    """Writes the search page and tells every template where it is (``SEARCH_URL``)."""

    def generate_context(self):
        self.conf = search_settings(self.settings)
        self.context["SEARCH_URL"] = self.conf["url"]
        self.context["SEARCH_BUNDLE"] = self.conf["bundle_dir"].strip("/") + "/"

    def generate_output(self, writer):
        filters = search_filters(self.context)
        writer.write_file(
            self.conf["save_as"], self.get_template("search"), self.context,
            self.settings["RELATIVE_URLS"], template_name="search", url=self.conf["url"],
            page_name=self.conf["save_as"].rsplit("/", 1)[0] + "/index",
            search_filters=filters,
            # a plain text of the options, so a writer that skips unchanged pages sees them
            search_filters_text=repr(filters),
        )


#: The filters of the search page: key, label, and where the values come from.
FILTERS = (("category", "Chuyên mục"), ("campaign", "Chiến dịch"), ("theme", "Chủ đề"),
           ("unit", "Đơn vị"), ("year", "Năm"))


def search_filters(context) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """``(key, label, [(value, count), ...])`` for each filter with values: the same texts the
    article pages give Pagefind (category name, campaign and theme names, unit short name)."""
    values = {"category": [(str(cat), len(items)) for cat, items in context.get("categories") or []]}
    for key, plural, attribute in (("campaign", "campaigns", "name"), ("theme", "themes", "name"),
                                   ("unit", "units", "short")):
        values[key] = [(getattr(term, attribute), len(term.articles))
                       for term in context.get(plural) or [] if term.articles]
    years = Counter(str(article.date.year) for article in context.get("articles") or ())
    values["year"] = sorted(years.items(), reverse=True)  # newest first
    return [(key, label, values[key]) for key, label in FILTERS if values.get(key)]


def pagefind_options(language: str | None = None) -> list[str]:
    """Pagefind's options: read only the ``data-pagefind-body`` element of each page."""
    options = ["--root-selector", ROOT_SELECTOR, "--quiet"]
    if language:
        options += ["--force-language", language]
    return options


def pagefind_command(language: str | None = None) -> list[str]:
    """The Pagefind command (the ``pagefind[bin]`` binary); :mod:`.shards` adds the folders."""
    return [sys.executable, "-m", "pagefind", *pagefind_options(language)]


def _link_dir() -> str | None:
    """Where the folder of links goes: memory (/dev/shm) when there is one, ten times faster
    than a disk for 20,000 small entries; else the usual temporary folder."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


#: The one part of pages given without parts (benchmarks, whole folders).
ALL = "tat-ca"
SHARDS = Path(__file__).with_name("shards.py")


def _every_page(output: Path, bundle: Path) -> dict[str, str]:
    """Every HTML page of ``output`` but the bundle's own, in one part."""
    return {str(p.relative_to(output)): ALL for p in sorted(output.rglob("*.html"))
            if bundle not in p.parents}


class PagefindRun:
    """One run of the search index into ``output/bundle_dir``, part by part
    (:mod:`.shards`, in a process of its own): :meth:`start` launches it (in the background),
    :meth:`finish` waits for it and reports what it said.

    ``pages`` maps each page (path relative to ``output``) to its part; a plain list of pages
    makes one part, ``None`` indexes every page of the output. With ``state`` (a folder in
    the cache) the parts whose pages did not change are kept as they are."""

    def __init__(self, output: Path, bundle_dir: str = DEFAULTS["bundle_dir"], pages=None,
                 language: str | None = None, background: bool = False,
                 state: Path | None = None):
        self.output = Path(output)
        self.bundle = self.output / bundle_dir.strip("/")
        self.pages, self.language, self.state = pages, language, state
        # In the background of a live session: at low priority, so the next update comes first.
        self.background = background
        self.process: subprocess.Popen | None = None
        self._folder = self._log = None
        self._owner = os.getpid()  # a forked child (render workers) must not stop or clean up

    def start(self) -> bool:
        """Launch the run; False if there is nothing to index (the old index is removed)."""
        pages = self.pages
        if pages is None:
            pages = _every_page(self.output, self.bundle)
        elif not isinstance(pages, dict):
            pages = dict.fromkeys(pages, ALL)
        by_part: dict[str, list[str]] = {}
        for page, part in pages.items():
            by_part.setdefault(str(part), []).append(page)
        if not by_part:
            shutil.rmtree(self.bundle, ignore_errors=True)
            logger.info("Tìm kiếm: chưa có bài nào, không tạo chỉ mục")
            return False
        # mkdtemp, not TemporaryDirectory: its finalizer would also run in a forked child
        self._folder = tempfile.mkdtemp(prefix="pagefind-", dir=_link_dir())
        folder = Path(self._folder)
        job = folder / "job.json"
        job.write_text(json.dumps({
            "links": str(folder), "bundle": str(self.bundle.resolve()),
            "output": os.path.realpath(self.output), "pages": by_part,
            "parts": sorted(by_part, reverse=True),
            "command": pagefind_command(self.language), "salt": [_pagefind_version(), pagefind_options(self.language)],
            "state": str(Path(self.state).resolve()) if self.state else None,
            "background": self.background, "parent": os.getpid()}), encoding="utf-8")
        # Its few lines of output go to a file: a pipe nobody reads while the build goes on
        # could fill up and stop it.
        self._log = tempfile.TemporaryFile()
        try:
            self.process = subprocess.Popen(
                [sys.executable, str(SHARDS), str(job)], stdout=self._log,
                stderr=subprocess.STDOUT, start_new_session=True)  # stopped with its Pagefind
        except OSError as exc:
            self.close()
            raise RuntimeError(f"không chạy được Pagefind ({exc}); hãy cài lại gói "
                               "“pagefind[bin]” trong requirements.txt") from None
        if self.background:
            _BACKGROUND.add(self)
        return True

    def finish(self) -> str:
        """Wait for the run; return what it did ("2/7": parts made of all), raise RuntimeError
        (in Vietnamese) if it failed."""
        try:
            try:
                returncode = self.process.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                raise RuntimeError(f"Pagefind chạy quá {TIMEOUT} giây") from None
            self._log.seek(0)
            said = self._log.read().decode("utf-8", "replace").strip()
        finally:
            self.close()
        for line in said.splitlines():
            if line.startswith("CẢNH BÁO: "):
                logger.warning("Tìm kiếm: %s", line.removeprefix("CẢNH BÁO: "))
        if returncode != 0:
            error = [line.removeprefix("LỖI: ") for line in said.splitlines()
                     if not line.startswith("CẢNH BÁO: ")]
            raise RuntimeError("\n".join(error) or f"tạo chỉ mục không thành công (mã thoát {returncode})")
        return next((line.removeprefix("XONG: ") for line in said.splitlines()
                     if line.startswith("XONG: ")), "")

    def close(self) -> None:
        """Stop the run if it still goes on (its Pagefind too), remove the links."""
        if os.getpid() != self._owner:
            return
        _BACKGROUND.discard(self)
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                self.process.kill()
            self.process.wait()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        if self._log is not None:
            self._log.close()
        self._folder = self._log = None


def run_pagefind(output: Path, bundle_dir: str = DEFAULTS["bundle_dir"], pages=None,
                 language: str | None = None, background: bool = False,
                 state: Path | None = None) -> str:
    """Index ``output`` into ``output/bundle_dir`` (see :class:`PagefindRun` for ``pages``);
    return what was done ("2/7": parts made again of all). Raise RuntimeError (in Vietnamese)
    if it fails."""
    run = PagefindRun(output, bundle_dir, pages, language, background, state)
    return run.finish() if run.start() else ""


@functools.cache
def _pagefind_version() -> str:
    try:
        return importlib.metadata.version("pagefind_bin")
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _state(settings) -> Path | None:
    """Where the fingerprints of the index's parts are kept: the cache folder."""
    cache = settings.get("CACHE_PATH")
    return Path(cache) / "search" if cache else None


#: Output folders whose search index a live session runs itself (:func:`defer_index`).
_DEFERRED: dict = {}


def defer_index(output_path, sink) -> None:
    """Builds into ``output_path`` hand their index job to ``sink`` (a callable taking a
    callable) instead of running Pagefind: a live session (``newsroom.build.livereload``)
    serves the pages first and indexes in the background. Pagefind is not started early there
    either, since a live session writes every page at the end of its update."""
    _DEFERRED[os.path.realpath(output_path)] = sink


def undefer(output_path) -> None:
    """Builds into ``output_path`` index as usual again."""
    _DEFERRED.pop(os.path.realpath(output_path), None)


def start_early(generator, writer) -> None:
    """Start Pagefind as soon as the article pages are on disk (``article_writer_finalized``),
    so it runs while the build writes the other pages; :func:`index_site` waits for it. Not
    into an output folder of :func:`defer_index`."""
    key = os.path.realpath(generator.output_path)
    pages = _PAGES.get(key)
    if pages is None or key in _DEFERRED:
        return
    conf = search_settings(generator.settings)
    if not conf["index"]:
        return
    _stop(key)
    run = PagefindRun(Path(generator.output_path), conf["bundle_dir"], pages,
                      state=_state(generator.settings))
    try:
        if run.start():
            _RUNNING[key] = run
    except RuntimeError as exc:
        logger.error("Tìm kiếm: %s", exc)


def _stop(key: str) -> None:
    """Stop a run left from a build of this output that did not finish."""
    stale = _RUNNING.pop(key, None)
    if stale is not None:
        stale.close()


def stop_background() -> None:
    """Stop the search index runs of a live session (it stops or restarts itself)."""
    for run in list(_BACKGROUND):
        run.close()


@atexit.register
def _stop_all() -> None:  # a build that raised after Pagefind started: no process left behind
    for key in list(_RUNNING):
        _stop(key)
    stop_background()


def index_site(pelican) -> None:
    conf = search_settings(pelican.settings)
    output = Path(pelican.settings["OUTPUT_PATH"])
    key = os.path.realpath(output)
    pages = _PAGES.pop(key, None)
    running = _RUNNING.pop(key, None)
    if running is not None:  # started when the article pages were written
        try:
            done = running.finish()
        except RuntimeError as exc:
            logger.error("Tìm kiếm: %s", exc)
        else:
            _done(running.bundle, done)
        return
    if not conf["index"]:
        return
    defer = _DEFERRED.get(key)
    if defer is not None:  # a live session indexes after the pages are served, in the background
        defer(partial(_index, output, conf["bundle_dir"], pages, background=True,
                      state=_state(pelican.settings)))
        return
    _index(output, conf["bundle_dir"], pages, state=_state(pelican.settings))


def _index(output: Path, bundle_dir: str, pages=None, background: bool = False,
           state: Path | None = None) -> None:
    try:
        done = run_pagefind(output, bundle_dir, pages, background=background, state=state)
    except RuntimeError as exc:
        logger.error("Tìm kiếm: %s", exc)
        return
    _done(output / bundle_dir, done)


def _done(bundle: Path, done: str) -> None:
    if done == "0/0":
        logger.info("Tìm kiếm: chưa có trang bài viết nào, không tạo chỉ mục")
    elif done:
        made, _, parts = done.partition("/")
        logger.info("Tìm kiếm: chỉ mục Pagefind ở %s gồm %s phần (chia theo thời gian), tạo lại %s phần",
                    bundle, parts, made)


def check_settings(pelican) -> None:
    search_settings(pelican.settings)
    key = os.path.realpath(pelican.settings["OUTPUT_PATH"])
    _PAGES.pop(key, None)  # left by a build of this output that failed
    _stop(key)


def get_generators(pelican):
    return SearchPageGenerator


def register():
    signals.initialized.connect(check_settings)
    signals.get_generators.connect(get_generators)
    signals.all_generators_finalized.connect(add_folded_words)
    signals.article_writer_finalized.connect(start_early)
    signals.finalized.connect(index_site)
