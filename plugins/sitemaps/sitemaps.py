"""What search engines and news aggregators read: ``sitemap.xml``, a Google News sitemap and
``robots.txt``.

- ``sitemap.xml``: the home page, every published article and page, each category, each term of
  every taxonomy (units, campaigns, themes...) and their index pages, with ``lastmod`` (an
  article's ``Modified`` or date; a list page's newest article).
- ``sitemap-tin-moi.xml``: the articles of the last ``news_days`` days (Google News keeps two),
  with title, language and publication date.
- ``robots.txt``: allows everything except drafts, and names both sitemaps.

The pelican-sitemap package was tried first: it keeps its queue and the first Pelican object in
module-level state, so after one failed in-process build (the tests build many sites in one
process) it silently stops writing; it also gives list pages the build time as ``lastmod``. This
plugin reads the build's own context instead.

Settings (checked at start-up)::

    SITEMAPS = {
        "sitemap": "sitemap.xml",
        "news": "sitemap-tin-moi.xml",   # None: no news sitemap
        "news_days": 2,
        "news_max": 1000,
        "robots": "robots.txt",          # None: no robots.txt
        "now": None,                     # the build's "now" (datetime or "2020-05-07 10:00")
    }
"""
from __future__ import annotations

import datetime as dt
import logging
from itertools import chain
from pathlib import Path
from xml.sax.saxutils import escape

from pelican import signals
from pelican.generators import Generator

from newsroom.core.dates import TZ, local, parse_date
from newsroom.core.settings import absolute_base, plugin_settings

logger = logging.getLogger(__name__)

DEFAULTS = {
    "sitemap": "sitemap.xml",
    "news": "sitemap-tin-moi.xml",
    "news_days": 2,
    "news_max": 1000,
    "robots": "robots.txt",
    "now": None,
}

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


def sitemap_settings(settings) -> dict:
    """The ``SITEMAPS`` setting merged over :data:`DEFAULTS`, checked."""
    merged = plugin_settings(settings, "SITEMAPS", DEFAULTS, "plugins.sitemaps")
    if not merged["sitemap"]:
        raise ValueError("plugins.sitemaps: SITEMAPS['sitemap'] không được để trống")
    if not isinstance(merged["news_days"], (int, float)) or merged["news_days"] <= 0:
        raise ValueError("plugins.sitemaps: SITEMAPS['news_days'] phải là số ngày > 0")
    now = merged["now"]
    if now is None:
        merged["now"] = dt.datetime.now(TZ)
    elif isinstance(now, dt.datetime):
        merged["now"] = local(now)
    else:
        try:
            merged["now"] = parse_date(str(now))
        except ValueError as exc:
            raise ValueError(f"plugins.sitemaps: SITEMAPS['now']: {exc}") from None
    return merged


def w3c(value: dt.datetime) -> str:
    """``2020-05-06T08:30:00+07:00``."""
    return local(value).isoformat(timespec="seconds")


def _changed(article) -> dt.datetime:
    return getattr(article, "modified", None) or article.date


def sitemap_entries(context, settings) -> list[tuple[str, dt.datetime | None]]:
    """``(url, lastmod)`` of every page worth listing, home page first, each URL once."""
    articles = context.get("articles") or []
    changed = {id(a): _changed(a) for a in articles}  # once, not once per term it is in

    def _newest(items):
        if not isinstance(items, (list, tuple)):
            items = list(items)  # read twice if the fast path stops halfway
        try:  # in C: some 300,000 look-ups a build at 10,000 articles
            return max(map(changed.__getitem__, map(id, items)), default=None)
        except KeyError:  # an item that is not among the articles
            return max((changed.get(id(a)) or _changed(a) for a in items), default=None)

    entries = [("", _newest(articles))]
    entries += [(a.url, changed[id(a)]) for a in articles]
    entries += [(p.url, _changed(p) if getattr(p, "date", None) else None)
                for p in context.get("pages") or []]
    categories = context.get("categories") or []
    if categories and settings.get("CATEGORIES_SAVE_AS"):
        entries.append((settings.get("CATEGORIES_URL", ""), _newest(articles)))
    entries += [(cat.url, _newest(items)) for cat, items in categories]
    for info in (context.get("taxonomies") or {}).values():
        terms = info.get("terms") or []
        conf = info.get("conf") or {}
        if terms and conf.get("index_url"):
            entries.append((conf["index_url"].format(plural=conf.get("plural", "")),
                            _newest(chain.from_iterable(t.articles for t in terms))))
        entries += [(t.url, _newest(t.articles)) for t in terms]
    seen, unique = set(), []
    for url, lastmod in entries:
        if url not in seen:
            seen.add(url)
            unique.append((url, lastmod))
    return unique


def render_sitemap(entries, siteurl: str) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{SITEMAP_NS}">']
    for url, lastmod in entries:
        lines.append(f"<url><loc>{escape(f'{siteurl}/{url}')}</loc>"
                     + (f"<lastmod>{w3c(lastmod)}</lastmod>" if lastmod else "") + "</url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def news_articles(articles, now: dt.datetime, days: float, limit: int) -> list:
    """Articles published in the ``days`` days before ``now`` (not in the future), newest first."""
    since = now - dt.timedelta(days=days)
    recent = [a for a in articles if since <= local(a.date) <= now]
    return sorted(recent, key=lambda a: a.date, reverse=True)[:limit]


def render_news(articles, siteurl: str, publication: str, lang: str) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<urlset xmlns="{SITEMAP_NS}" xmlns:news="{NEWS_NS}">']
    for a in articles:
        lines.append(
            f"<url><loc>{escape(f'{siteurl}/{a.url}')}</loc><news:news><news:publication>"
            f"<news:name>{escape(publication)}</news:name><news:language>{escape(lang)}"
            f"</news:language></news:publication><news:publication_date>{w3c(a.date)}"
            f"</news:publication_date><news:title>{escape(a.title)}</news:title>"
            "</news:news></url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def absolute_siteurl(settings) -> str:
    """Sitemaps need absolute URLs (a preview links from the root: its ``FEED_DOMAIN``)."""
    return absolute_base(settings) or settings.get("SITEURL", "")


def render_robots(settings, conf) -> str:
    siteurl = absolute_siteurl(settings)
    lines = ["User-agent: *"]
    draft_prefix = (settings.get("DRAFT_URL") or "").split("{")[0]
    lines.append(f"Disallow: /{draft_prefix}" if draft_prefix else "Disallow:")
    lines.append("")
    lines.append(f"Sitemap: {siteurl}/{conf['sitemap']}")
    if conf["news"]:
        lines.append(f"Sitemap: {siteurl}/{conf['news']}")
    return "\n".join(lines) + "\n"


class SitemapGenerator(Generator):
    """Writes the sitemaps and robots.txt from the build's context, after every page."""

    def generate_context(self):
        self.conf = sitemap_settings(self.settings)
        self.context["SITEMAP_URL"] = self.conf["sitemap"]

    def _write(self, name: str, text: str) -> None:
        path = Path(self.output_path) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        logger.info("Writing %s", path)

    def generate_output(self, writer):
        siteurl = absolute_siteurl(self.settings)
        self._write(self.conf["sitemap"],
                    render_sitemap(sitemap_entries(self.context, self.settings), siteurl))
        if self.conf["news"]:
            recent = news_articles(self.context.get("articles") or [], self.conf["now"],
                                   self.conf["news_days"], self.conf["news_max"])
            publication = self.settings.get("SITENAME_SHORT") or self.settings["SITENAME"]
            self._write(self.conf["news"], render_news(
                recent, siteurl, publication, self.settings.get("DEFAULT_LANG", "vi")))
        if self.conf["robots"]:
            self._write(self.conf["robots"], render_robots(self.settings, self.conf))


def check_settings(pelican) -> None:
    sitemap_settings(pelican.settings)


def get_generators(pelican):
    return SitemapGenerator


def register():
    signals.initialized.connect(check_settings)
    signals.get_generators.connect(get_generators)
