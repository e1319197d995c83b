"""Feed entries as feed readers show them: every feed the build writes (Pelican's own, the
taxonomies' and campaigns' term feeds) goes through Pelican's writer, which sends
``feed_generated`` with the finished feed before writing it; this is the one place that fixes
its entries.

Feed readers run none of the site's CSS or script, so the body's photo markup is made plain:

- a gallery (grid of thumbnails plus a larger view of each photo, see ``gallery`` in
  ``partials/picture.html``) becomes one ``<figure>`` per photo, each photo once;
- every ``<picture>`` becomes its ``<img>`` (the middle size), without ``srcset``/``sizes``
  written for the site's layout;
- every URL (entry link, images, links in the text) is absolute: a preview build has
  ``SITEURL = ""`` (root-relative links), so URLs are completed with ``FEED_DOMAIN`` there, as
  Pelican does for the feed's own address; a published build has absolute URLs already;
- an entry's title and summary are the article's plain text: Pelican treats a title as markup
  (it strips tags, which decodes entities) and a summary as HTML, but the site's metadata is
  plain text (``newsroom.core.schema``), so the title is given back as written (the feed escapes
  it) and a written summary is escaped into the HTML the feed's summary holds;
- a feed without entries is dated by the site's newest article, not by the clock.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup
from feedgenerator import get_tag_uri

from newsroom.core.settings import absolute_base

#: Attributes holding one URL, and attributes a plain <img> does not need in a feed.
URL_ATTRIBUTES = ("href", "src", "poster", "cite")
LAYOUT_ATTRIBUTES = ("srcset", "sizes", "loading", "decoding", "fetchpriority")
#: What may need work; an entry without any of it (a published text-only story) is not parsed.
_WORK = re.compile(r"<picture|<img|\b(?:href|src|poster|cite|srcset)=[\"']?(?![a-z][a-z0-9+.-]*:)",
                   re.I)


def _absolute(url: str) -> bool:
    return bool(urlsplit(url).scheme)


@lru_cache(maxsize=1024)  # the same article sits in several feeds (site, category, unit...)
def plain_html(html: str, base: str) -> str:
    """``html`` of an entry with each photo once as a plain ``<img>`` and every URL made
    absolute against ``base`` (the entry's address; "" leaves URLs as they are)."""
    if not html or not _WORK.search(html):
        return html
    soup = BeautifulSoup(html, "html.parser")
    for gallery in soup.select("div.gallery"):
        figures = []
        for figure in gallery.select(".gallery-grid > li > figure"):
            for link in figure.select("a.gallery-thumb"):  # led to the larger view, on the site
                link.unwrap()
            figures.append(figure.extract())
        if figures:
            gallery.replace_with(*figures)  # the larger views go with the gallery
        else:
            gallery.decompose()
    for picture in soup.find_all("picture"):
        img = picture.find("img")
        if img is None:
            picture.decompose()
        else:
            picture.replace_with(img.extract())
    for img in soup.find_all("img"):
        for name in LAYOUT_ATTRIBUTES:
            img.attrs.pop(name, None)
    if base:
        for tag in soup.find_all(True):
            for name in URL_ATTRIBUTES:
                value = tag.get(name)
                if isinstance(value, str) and not _absolute(value):
                    tag[name] = urljoin(base, value)
            if isinstance(tag.get("srcset"), str):  # <source> of a video, audio
                tag["srcset"] = ", ".join(
                    " ".join([urljoin(base, part.split()[0]), *part.split()[1:]])
                    for part in tag["srcset"].split(",") if part.strip())
    return str(soup)


#: The articles of the build being written, by URL: (the list they came from, the index).
_by_url: tuple[list | None, dict] = (None, {})
_newest: tuple[list | None, object] = (None, None)  # the articles, the date of the newest


def forget(_pelican=None) -> None:
    """The build is done: its articles are let go (a live session's next update has its own)."""
    global _by_url, _newest
    _by_url, _newest = (None, {}), (None, None)


def _article(context, link: str):
    """The article an entry links to (its URL is the path of the link)."""
    global _by_url
    articles = context.get("articles") or []
    if _by_url[0] is not articles:
        _by_url = (articles, {a.url: a for a in articles})
    return _by_url[1].get(urlsplit(link).path.lstrip("/"))


def _plain_text(item, article) -> None:
    item["title"] = article.title
    summary = article.metadata.get("summary")
    if summary and item.get("description"):
        item["description"] = html.escape(summary)


def feed_entries(context, feed) -> None:
    """``feed_generated`` receiver: make the feed's links and its entries' content stand
    alone (see the module's docstring)."""
    base = absolute_base(context)
    if base:
        old = feed.feed.get("link") or ""
        if not _absolute(old):
            feed.feed["link"] = urljoin(base + "/", old)
            if feed.feed.get("id") == old:
                feed.feed["id"] = feed.feed["link"]
    for item in feed.items:
        link = item.get("link") or ""
        if base and link and not _absolute(link):
            item["link"] = urljoin(base + "/", link)
            if item.get("unique_id") == get_tag_uri(link, item.get("pubdate")):
                item["unique_id"] = get_tag_uri(item["link"], item.get("pubdate"))
        article = _article(context, item.get("link") or "")
        if article is not None:
            _plain_text(item, article)
        entry = item.get("link") if _absolute(item.get("link") or "") else ""
        for key in ("content", "description"):
            if item.get(key):
                item[key] = plain_html(item[key], entry)
    _date_if_empty(context, feed)


def _date_if_empty(context, feed) -> None:
    """A feed without entries (a new campaign's, a unit's with nothing yet) is dated by the
    newest article of the site, not by the clock (feedgenerator's default): its bytes stay the
    same from one build to the next."""
    global _newest
    if feed.items:
        return
    articles = context.get("articles") or []
    if _newest[0] is not articles:  # once per build, not once per empty feed
        dates = [a.date for a in articles if getattr(a, "date", None)]
        _newest = (articles, max(dates) if dates else None)
    newest = _newest[1]
    if newest is not None:
        feed.latest_post_date = lambda: newest
