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

Settings (checked at start-up)::

    SEARCH = {
        "url": "tim-kiem/",                 # the search page
        "save_as": "tim-kiem/index.html",
        "bundle_dir": "pagefind",           # where Pagefind writes its index, under the output
        "index": True,                      # False: write the page but do not run Pagefind
    }
"""
from __future__ import annotations

import html
import logging
import re
import shutil
import subprocess
import sys
from functools import partial
from pathlib import Path

from pelican import signals
from pelican.generators import Generator

from newsroom.settings import plugin_settings
from newsroom.text import fold

logger = logging.getLogger(__name__)

DEFAULTS = {
    "url": "tim-kiem/",
    "save_as": "tim-kiem/index.html",
    "bundle_dir": "pagefind",
    "index": True,
}
TIMEOUT = 300

_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w+")


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
        plain = html.unescape(_TAG.sub(" ", text or ""))
        for word in _WORD.findall(plain):
            if "đ" in word or "Đ" in word:
                seen.setdefault(fold(word), None)
    return " ".join(seen)


def add_folded_words(generators) -> None:
    """Give each article ``search_folded`` (after every plugin has read and tagged it)."""
    for generator in generators:
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


def pagefind_command(output: Path, bundle_dir: str) -> list[str]:
    """The Pagefind command for an output folder (the binary from ``pagefind[bin]``)."""
    return [sys.executable, "-m", "pagefind", "--site", str(output),
            "--output-subdir", bundle_dir.strip("/"), "--quiet"]


def run_pagefind(output: Path, bundle_dir: str = DEFAULTS["bundle_dir"]) -> None:
    """Index ``output`` with Pagefind; raise RuntimeError (in Vietnamese) if it fails."""
    command = pagefind_command(output, bundle_dir)
    # Pagefind names its files by content and never deletes old ones: start from nothing, so
    # the index holds only this build's pages.
    shutil.rmtree(output / bundle_dir.strip("/"), ignore_errors=True)
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"không chạy được Pagefind ({exc}); hãy cài lại gói "
                           "“pagefind[bin]” trong requirements.txt") from None
    if result.returncode != 0:
        raise RuntimeError("Pagefind báo lỗi khi tạo chỉ mục tìm kiếm:\n"
                           + (result.stderr or result.stdout).strip())
    if not (output / bundle_dir.strip("/") / "pagefind.js").is_file():
        raise RuntimeError(f"Pagefind không tạo ra {bundle_dir}/pagefind.js trong {output}")


def index_site(pelican) -> None:
    conf = search_settings(pelican.settings)
    if not conf["index"]:
        return
    output = Path(pelican.settings["OUTPUT_PATH"])
    defer = getattr(pelican, "defer_search_index", None)
    if defer is not None:  # a live session indexes after the pages are served, in the background
        defer(partial(_index, output, conf["bundle_dir"]))
        return
    _index(output, conf["bundle_dir"])


def _index(output: Path, bundle_dir: str) -> None:
    try:
        run_pagefind(output, bundle_dir)
    except RuntimeError as exc:
        logger.error("Tìm kiếm: %s", exc)
        return
    logger.info("Tìm kiếm: đã tạo chỉ mục Pagefind trong %s", output / bundle_dir)


def check_settings(pelican) -> None:
    search_settings(pelican.settings)


def get_generators(pelican):
    return SearchPageGenerator


def register():
    signals.initialized.connect(check_settings)
    signals.get_generators.connect(get_generators)
    signals.all_generators_finalized.connect(add_folded_words)
    signals.finalized.connect(index_site)
