"""The home page's lists and the small file of the newest articles.

Runs with the other reader-facing lists (``all_generators_finalized``). The home page gets
``home`` (:class:`Front`): a lead story, the stories beside it, the latest news and a block per
section, no article twice. Editors choose the lead with ``Featured: yes``: the newest featured
article wins; otherwise the newest with a photo (or simply the newest).

Each article gets ``nearby``: the stories of the same unit, or else the same section, closest
to it in time, older first. An older story never changes, so publishing news does not change
these lists on every article page; the site-wide "newest" list is a small static file
(``READING["latest_file"]``, written when the build ends) that the article page and the
offline reader (theme/static/js/sw.js) read after load.

Settings, in ``READING``: ``"second"`` (4) stories beside the lead, ``"per_section"`` (4) items per section block, ``"nearby"`` (4),
``"latest_count"`` (30) articles in the newest file, ``"latest_file"`` ("tin-moi.json"),
``"offline_budget"`` (15 MB) what the offline reader may keep of articles and pictures.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from dataclasses import dataclass, field

from newsroom.core import dates

logger = logging.getLogger(__name__)

DEFAULTS = {"second": 4, "per_section": 4, "nearby": 4, "latest_count": 30,
            "latest_file": "tin-moi.json", "offline_budget": 15_000_000}

#: What the offline reader keeps first (theme/templates/sw.js): paths from the site root, the
#: theme's files from its static folder.
SHELL_PAGES = ("", "doc-ngoai-tuyen/")
SHELL_STATIC = ("css/site.css", "js/site.js", "img/favicon.svg")


@dataclass
class Front:
    """What the first page of the home page shows, each article once."""
    lead: object = None
    second: list = field(default_factory=list)
    sections: list = field(default_factory=list)  # (category, [articles])
    shown: set = field(default_factory=set)

    def take(self, articles, count: int) -> list:
        chosen = [a for a in articles if id(a) not in self.shown][:count]
        self.shown.update(id(a) for a in chosen)
        return chosen


def has_photo(article) -> bool:
    return bool(getattr(article, "cover", None) or getattr(article, "image", None))


def choose_lead(articles):
    """The newest featured article; else the newest with a photo; else the newest."""
    for test in (lambda a: getattr(a, "featured", False) is True, has_photo, lambda a: True):
        found = next((a for a in articles if test(a)), None)
        if found is not None:
            return found
    return None


def front(articles, categories, menu, conf) -> Front:
    """The home page's lists from ``articles`` (newest first) and ``categories`` (as Pelican
    groups them); section blocks in the order of the menu."""
    page = Front()
    page.lead = choose_lead(articles)
    if page.lead is not None:
        page.shown.add(id(page.lead))
    page.second = page.take(articles, conf["second"])
    by_url = {c.url: (c, items) for c, items in categories}
    ordered = [by_url[link] for _, link in menu if link in by_url]
    ordered += [pair for pair in categories if pair not in ordered]
    # The latest news is the first page of the home list (the template leaves out the lead
    # and those beside it), so "older news" goes on from it; a section block is chosen in
    # the template among these, leaving out what that page shows.
    spare = conf["per_section"] + 2 * conf["page_size"]
    for category, items in ordered:
        chosen = [a for a in items[:spare + len(page.shown)] if id(a) not in page.shown][:spare]
        if chosen:
            page.sections.append((category, chosen))
    return page


def nearby(articles, limit: int) -> dict[int, list]:
    """id(article) -> up to ``limit`` stories of its first unit (else of its section) closest
    to it in time: the older ones first, then the oldest newer ones if it has fewer."""
    groups: dict = {}
    for article in sorted(articles, key=lambda a: a.date):
        units = getattr(article, "units", None) or ()
        key = ("unit", units[0].slug) if units else ("category", article.category.slug)
        groups.setdefault(key, []).append(article)
    found = {}
    for group in groups.values():
        for i, article in enumerate(group):
            older = group[max(0, i - limit):i][::-1]
            found[id(article)] = older + group[i + 1:i + 1 + limit - len(older)]
    return found


def _thumb(article, siteurl: str) -> str:
    cover = getattr(article, "cover", None)
    if not cover:
        return ""
    crop = cover.crops.get("4x3", cover)
    return f"{siteurl}/{crop.fallback[0].url}"


def latest_entries(articles, siteurl: str, count: int) -> list[dict]:
    """The newest ``count`` articles as the static file lists them."""
    return [{"url": f"{siteurl}/{a.url}", "title": str(a.title),
             "date": a.date.isoformat(), "when": dates.vn_datetime(a.date),
             "section": str(a.category), "image": _thumb(a, siteurl)}
            for a in articles[:count]]


def write_latest(output: str, name: str, entries: list[dict]) -> str:
    """Write the newest file at the output root (a plain name: never outside it)."""
    if os.path.basename(name) != name or not name.endswith(".json"):
        raise ValueError(f"plugins.reading: READING['latest_file'] “{name}” phải là tên tệp "
                         ".json, không có thư mục")
    path = os.path.join(output, name)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"articles": entries}, handle, ensure_ascii=False, separators=(",", ":"))
    return path


def offline_shell(theme: str, static_dir: str) -> tuple[list[str], str]:
    """The offline reader's shell (paths from the site root) and a version that changes when
    one of the theme's files in it changes (so readers get the new worker)."""
    static = Path(theme) / "static"
    files = [*SHELL_STATIC, *sorted(p.relative_to(static).as_posix()
                                    for p in (static / "fonts").glob("*.woff2"))]
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode())
        digest.update((static / name).read_bytes())
    shell = [*SHELL_PAGES, *(f"{static_dir.strip('/')}/{name}" for name in files)]
    return shell, digest.hexdigest()[:12]
