"""Static search with Pagefind, for readers who type without accents.

After every build (Pelican's ``finalized`` signal) Pagefind indexes the article pages in the
output folder into ``<output>/pagefind/``; the search page ``/tim-kiem/`` (written here through
Pelican's writer, template ``search.html``) and the header's search box query that index from the
browser. Templates mark what is indexed (``data-pagefind-body``), the filters (campaign, theme,
unit, category) and the date sort.

Pagefind matches "cong" with "công" by itself, but not "doan" with "đoàn": đ is a letter of its
own, not a letter with a mark. So each article carries ``article.search_folded``, the accent-free
spelling of every word of its text that has đ/Đ (printed in a hidden element of the page), and the
search page folds the query the same way (``newsroom.text.fold``) before searching.

Pagefind is handed only the article pages this build wrote (a temporary folder of links to
them, so the thousands of list and term pages are never read), reads only the
``data-pagefind-body`` element of each (``--root-selector``; the language still comes from each
page's ``<html lang>``, so translations keep an index of their own); the bundle it writes is then
put in a fixed order
(``bundle.stabilize``), so the same pages give the same files, names included. Pagefind starts
as soon as the article pages are written (``article_writer_finalized``) and works while the
build writes the list and term pages; the build waits for it at the end (``finalized``).

Settings (checked at start-up)::

    SEARCH = {
        "url": "tim-kiem/",                 # the search page
        "save_as": "tim-kiem/index.html",
        "bundle_dir": "pagefind",           # where Pagefind writes its index, under the output
        "index": True,                      # False: write the page but do not run Pagefind
    }
"""
from __future__ import annotations

import atexit
import html
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path

from pelican import signals
from pelican.generators import ArticlesGenerator, Generator

from newsroom.settings import plugin_settings
from newsroom.text import fold

from .bundle import UnknownBundle, stabilize

logger = logging.getLogger(__name__)

DEFAULTS = {
    "url": "tim-kiem/",
    "save_as": "tim-kiem/index.html",
    "bundle_dir": "pagefind",
    "index": True,
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
_PAGES: dict[str, list[str]] = {}
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


def add_folded_words(generators) -> None:
    """Give each article ``search_folded`` (after every plugin has read and tagged it), and
    note the pages Pagefind will index: the published articles and their translations."""
    for generator in generators:
        if isinstance(generator, ArticlesGenerator):
            pages = [item.save_as for item in [*generator.articles, *generator.translations]
                     if item.save_as]
            _PAGES[os.path.realpath(generator.output_path)] = list(dict.fromkeys(pages))
        for article in getattr(generator, "articles", None) or ():
            names = [str(getattr(article, "category", "") or "")]
            for plural in ("units", "campaigns", "themes", "tags", "authors"):
                names += [getattr(t, "name", str(t)) for t in getattr(article, plural, None) or ()]
            texts = (article.title, article.metadata.get("summary", ""), article._content,
                     article.metadata.get("question", ""), " ".join(names))
            # A live session keeps unchanged articles: fold only what changed.
            if article.__dict__.get("_search_texts") != texts:
                article.search_folded = folded_words(*texts)
                article._search_texts = texts


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
           ("unit", "Đơn vị"))


def search_filters(context) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """``(key, label, [(value, count), ...])`` for each filter with values: the same texts the
    article pages give Pagefind (category name, campaign and theme names, unit short name)."""
    values = {"category": [(str(cat), len(items)) for cat, items in context.get("categories") or []]}
    for key, plural, attribute in (("campaign", "campaigns", "name"), ("theme", "themes", "name"),
                                   ("unit", "units", "short")):
        values[key] = [(getattr(term, attribute), len(term.articles))
                       for term in context.get(plural) or [] if term.articles]
    return [(key, label, values[key]) for key, label in FILTERS if values.get(key)]


def pagefind_command(site: Path, bundle: Path, language: str | None = None) -> list[str]:
    """The Pagefind command that indexes ``site`` into ``bundle`` (the ``pagefind[bin]``
    binary), reading only the ``data-pagefind-body`` element of each page."""
    command = [sys.executable, "-m", "pagefind", "--site", str(site), "--output-path",
               str(bundle), "--root-selector", ROOT_SELECTOR, "--quiet"]
    if language:
        command += ["--force-language", language]
    return command


def link_pages(output: Path, pages, folder: Path) -> int:
    """Fill ``folder`` with links to ``pages`` (paths relative to ``output``) at the same
    relative paths, so Pagefind gives them the same URLs; return how many were linked."""
    root, into = os.path.realpath(output), str(folder)
    made: set[str] = set()
    linked = 0
    for page in pages:
        target = os.path.join(root, page)
        if not os.path.isfile(target):
            continue
        link = os.path.join(into, page)
        parent = os.path.dirname(link)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        os.symlink(target, link)
        linked += 1
    return linked


def _link_dir() -> str | None:
    """Where the folder of links goes: memory (/dev/shm) when there is one, ten times faster
    than a disk for 20,000 small entries; else the usual temporary folder."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


class PagefindRun:
    """One Pagefind run into ``output/bundle_dir``: :meth:`start` launches it (in the
    background), :meth:`finish` waits for it, checks it and puts the bundle in order."""

    def __init__(self, output: Path, bundle_dir: str = DEFAULTS["bundle_dir"], pages=None,
                 language: str | None = None, background: bool = False):
        self.output, self.bundle_dir = Path(output), bundle_dir
        self.bundle = self.output / bundle_dir.strip("/")
        self.pages, self.language = pages, language
        # In the background of a live session: at low priority (the next update comes
        # first), into a folder beside the bundle that replaces it when done (the search page
        # keeps working meanwhile).
        self.background = background
        self.target = self.bundle
        if background:
            self.bundle = self.bundle.with_name(self.bundle.name + ".moi")
        self.process: subprocess.Popen | None = None
        self._folder = self._log = None
        self._owner = os.getpid()  # a forked child (render workers) must not stop or clean up

    def start(self) -> bool:
        """Launch Pagefind; False if there is nothing to index."""
        # Pagefind names its files by content and never deletes old ones: start from nothing,
        # so the index holds only this build's pages.
        shutil.rmtree(self.bundle, ignore_errors=True)
        site = self.output
        if self.pages is not None:
            # mkdtemp, not TemporaryDirectory: its finalizer would also run in a forked child
            self._folder = tempfile.mkdtemp(prefix="pagefind-", dir=_link_dir())
            site = Path(self._folder)
            if not link_pages(self.output, self.pages, site):
                self.close()
                logger.info("Tìm kiếm: chưa có bài nào, không tạo chỉ mục")
                return False
        # Its few lines of output go to a file: a pipe nobody reads while the build goes on
        # could fill up and stop it.
        self._log = tempfile.TemporaryFile()
        try:
            self.process = subprocess.Popen(
                pagefind_command(site, self.bundle.resolve(), self.language),
                stdout=self._log, stderr=subprocess.STDOUT)
        except OSError as exc:
            self.close()
            raise RuntimeError(f"không chạy được Pagefind ({exc}); hãy cài lại gói "
                               "“pagefind[bin]” trong requirements.txt") from None
        if self.background:  # set from here: preexec_fn is unsafe in a process with threads
            try:
                os.setpriority(os.PRIO_PROCESS, self.process.pid, 10)
            except (OSError, AttributeError):
                pass  # not on this system: it runs at normal priority
            _BACKGROUND.add(self)
        return True

    def finish(self) -> None:
        """Wait for Pagefind; raise RuntimeError (in Vietnamese) if it failed."""
        try:
            try:
                returncode = self.process.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                raise RuntimeError(f"Pagefind chạy quá {TIMEOUT} giây") from None
            self._log.seek(0)
            said = self._log.read().decode("utf-8", "replace").strip()
        finally:
            self.close()
        if returncode != 0:
            raise RuntimeError(f"Pagefind báo lỗi khi tạo chỉ mục tìm kiếm:\n{said}")
        if not (self.bundle / "pagefind.js").is_file():
            raise RuntimeError(f"Pagefind không tạo ra {self.bundle_dir}/pagefind.js "
                               f"trong {self.output}")
        try:
            stabilize(self.bundle)
        except UnknownBundle as exc:  # another Pagefind: its bundle works, only names vary
            logger.warning("Tìm kiếm: không sắp lại được chỉ mục Pagefind (%s); tên tệp bộ lọc "
                           "sẽ đổi sau mỗi lần dựng", exc)
        if self.bundle != self.target:
            old = self.target.with_name(self.target.name + ".cu")
            shutil.rmtree(old, ignore_errors=True)
            if self.target.exists():
                os.rename(self.target, old)
            os.rename(self.bundle, self.target)
            shutil.rmtree(old, ignore_errors=True)
            self.bundle = self.target

    def close(self) -> None:
        """Stop Pagefind if it still runs, remove the links."""
        if os.getpid() != self._owner:
            return
        _BACKGROUND.discard(self)
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
            if self.bundle != self.target:  # a half-made background index
                shutil.rmtree(self.bundle, ignore_errors=True)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        if self._log is not None:
            self._log.close()
        self._folder = self._log = None


def run_pagefind(output: Path, bundle_dir: str = DEFAULTS["bundle_dir"], pages=None,
                 language: str | None = None, background: bool = False) -> None:
    """Index ``output`` with Pagefind into ``output/bundle_dir``; only ``pages`` (paths
    relative to ``output``) when given. Raise RuntimeError (in Vietnamese) if it fails."""
    run = PagefindRun(output, bundle_dir, pages, language, background)
    if run.start():
        run.finish()


def start_early(generator, writer) -> None:
    """Start Pagefind as soon as the article pages are on disk (``article_writer_finalized``),
    so it runs while the build writes the other pages; :func:`index_site` waits for it. Not in
    a live session, whose writer keeps every page until the end of the update (it has
    ``fingerprints``) and which indexes in the background anyway."""
    key = os.path.realpath(generator.output_path)
    pages = _PAGES.get(key)
    if pages is None or getattr(writer, "fingerprints", None) is not None:
        return
    conf = search_settings(generator.settings)
    if not conf["index"]:
        return
    _stop(key)
    run = PagefindRun(Path(generator.output_path), conf["bundle_dir"], pages)
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
            running.finish()
        except RuntimeError as exc:
            logger.error("Tìm kiếm: %s", exc)
        else:
            logger.info("Tìm kiếm: đã tạo chỉ mục Pagefind trong %s", running.bundle)
        return
    if not conf["index"]:
        return
    defer = getattr(pelican, "defer_search_index", None)
    if defer is not None:  # a live session indexes after the pages are served, in the background
        defer(partial(_index, output, conf["bundle_dir"], pages, background=True))
        return
    _index(output, conf["bundle_dir"], pages)


def _index(output: Path, bundle_dir: str, pages=None, background: bool = False) -> None:
    try:
        run_pagefind(output, bundle_dir, pages, background=background)
    except RuntimeError as exc:
        logger.error("Tìm kiếm: %s", exc)
        return
    logger.info("Tìm kiếm: đã tạo chỉ mục Pagefind trong %s", output / bundle_dir)


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
