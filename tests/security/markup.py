"""What a page of the site may hold, and the check of every output file against it.

The allowlist is what the theme legitimately writes (``theme/templates``: the elements and
attributes of every template and partial, kept in step by ``test_allowlist_covers_the_theme``)
and what the sanitiser of article bodies keeps (``newsroom/core/sanitise.py``). Nothing else:
no event handler, no ``style``, no ``<style>``, ``<iframe>``, ``<svg>``, ``<math>``, ``<object>``, ``<embed>``, ``<base>``,
``<template>``; URLs only http, https, mailto, tel or relative; ``<script>`` only the theme's
(a file of the site, or JSON-LD that parses); ``<meta>`` without ``http-equiv``; ``<form>``
only the site's search.

One check (:func:`element_problems`) serves two parsers: lxml over the files (:func:`check_file`),
and Chromium's own DOM (``test_chromium``), which parses as browsers do.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import lxml.etree
import lxml.html

from newsroom.core import sanitise
from newsroom.core.text import printable

#: Elements and attributes of theme/templates (besides :data:`GLOBAL`).
THEME = {
    "html": {"lang"}, "head": set(), "title": set(), "body": set(),
    "meta": {"charset", "name", "content", "property"},
    "link": {"rel", "href", "type", "title", "as", "crossorigin"},
    "script": {"src", "defer", "type"},
    "a": {"href", "rel", "target", "tabindex", "data-pagefind-filter", "data-url", "type"},
    "article": {"data-pagefind-body"}, "aside": set(), "footer": set(), "header": set(),
    "main": {"tabindex"}, "nav": set(), "noscript": set(),
    "section": {"data-latest", "data-current"},  # latest news, filled by site.js
    "details": {"open"}, "summary": set(),  # search.js opens the filters in use
    "div": {"data-pagefind-ignore", "data-pagefind-meta"},
    "button": {"type", "data-share", "data-url", "data-title"},
    "form": {"action", "method", "data-bundle"},
    "input": {"type", "name", "placeholder", "autocomplete", "enterkeyhint"},
    "label": {"for"}, "fieldset": set(), "legend": set(),
    "select": {"name", "data-filter"}, "option": {"value"},
    "figure": {"data-title", "data-video"}, "figcaption": set(),
    "picture": set(), "source": {"type", "srcset", "sizes"},
    "img": {"src", "srcset", "sizes", "alt", "width", "height", "loading", "decoding",
            "fetchpriority"},
    "h1": {"data-pagefind-meta"}, "h2": set(), "h3": set(), "h4": set(),
    "p": set(), "span": {"data-pagefind-filter", "data-pagefind-sort"},
    "strong": set(), "em": set(), "small": set(), "time": {"datetime", "data-pagefind-meta"},
    "ul": set(), "ol": set(), "li": set(),
    "table": set(), "thead": set(), "tbody": set(), "tr": set(), "th": {"scope"}, "td": set(),
}
#: What a body may hold: the allowlist of the one sanitiser (newsroom/core/sanitise.py). The
#: markup the project's plugins add after it (pictures, figures, galleries, the video
#: player) comes from the theme's macros, in :data:`THEME`.
BODY = {tag: set(sanitise.ATTRIBUTES.get(tag, ())) for tag in sanitise.TAGS}
#: Attributes any allowed element may carry: none of them can run anything.
GLOBAL = {"class", "id", "title", "lang", "dir", "hidden", "role"}
ALLOWED = {tag: THEME.get(tag, set()) | BODY.get(tag, set()) for tag in {*THEME, *BODY}}
#: A feed entry's content holds a body (and the photos the build makes of it), no page chrome.
FEED_ALLOWED = {tag: attrs for tag, attrs in ALLOWED.items() if tag in BODY or tag == "img"}
#: Attributes whose value is a URL (or, srcset, a list of them), wherever they are.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "cite", "data", "background",
                  "xlink:href", "longdesc", "usemap", "manifest", "codebase", "dynsrc", "lowsrc",
                  "ping", "data-url", "data-bundle", "data-latest", "icon", "profile", "classid",
                  "archive"}
SCHEMES = {"", "http", "https", "mailto", "tel"}
META_NAMES = {"description", "viewport", "theme-color", "twitter:card", "robots",
              "offline-worker"}
#: <meta> whose content is an address (of the page, its picture, the offline worker).
META_URLS = {"og:url", "og:image", "offline-worker"}
LINK_RELS = {"canonical", "stylesheet", "icon", "alternate", "preload"}
#: Signs that a template or a Markdown stash ran on hostile text (see corpus/xss.json).
TEXT_MARKS = {"ssti49": "mẫu trang đã chạy chữ của bài ({{ 'ssti' ~ 7*7 }} thành ssti49)",
              "klzzwxh": "chỗ giữ chỗ nội bộ của Markdown lọt ra trang"}
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def scheme(url: str) -> str:
    """The scheme a browser reads in ``url`` (WHATWG: C0 controls and spaces around it are
    dropped, tabs and newlines anywhere), lower case; "" for a relative URL."""
    cleaned = re.sub(r"[\t\n\r]", "", url.strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n"
                                                 "\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15"
                                                 "\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "))
    found = _SCHEME.match(cleaned)
    return found[1].lower() if found else ""


def site_path(url: str, site_url: str) -> str | None:
    """The path from the site's root that ``url`` names when it is the site's own (a path
    from the root, or an address under ``site_url``), else None."""
    if url.startswith("/") and not url.startswith("//"):
        return url
    base = site_url.rstrip("/")
    if base and url.startswith(base + "/"):
        return url[len(base):]
    return None


def srcset_urls(value: str) -> list[str]:
    return [part.split()[0] for part in value.split(",") if part.split()]


@dataclass(frozen=True)
class Violation:
    """Something a page may not hold: where (file, element), what, and the value seen."""

    file: str
    where: str
    what: str
    value: str = ""
    card: str = ""  # the address of the article it belongs to on a list page (card_of)
    first: str = ""  # the address of the page's first article card

    def __str__(self) -> str:
        value = self.value if len(self.value) <= 100 else self.value[:97] + "..."
        return f"{self.file}: {self.where}: {self.what}" + (f" “{value}”" if value else "")


def _url_problems(name: str, value: str) -> list[tuple[str, str]]:
    urls = srcset_urls(value) if name in ("srcset", "imagesrcset") else [value]
    return [(f"{name}: giao thức “{scheme(u)}:” không được phép", u)
            for u in urls if scheme(u) not in SCHEMES]


def _script_problems(attrs: dict, text: str, site_url: str) -> list[tuple[str, str]]:
    """A <script> is the theme's: a file of the site (no inline code) or JSON-LD that parses."""
    if attrs.get("type") == "application/ld+json" and "src" not in attrs:
        try:
            data = json.loads(text)
        except ValueError as exc:
            return [(f"JSON-LD không đọc được ({exc.msg}): thẻ script bị phá", text[:200])]
        if not isinstance(data, dict) or data.get("@context") != "https://schema.org":
            return [("JSON-LD không phải của giao diện", text[:200])]
        return [(f"JSON-LD: {key}: giao thức không được phép", url)
                for key, url in _json_urls(data) if scheme(url) not in ("http", "https", "")]
    src = attrs.get("src")
    if src is None:
        return [("<script> có mã viết thẳng trong trang", text[:200])]
    if text.strip():
        return [("<script src> có thêm mã bên trong", text[:200])]
    if not (site_path(src, site_url) or "").startswith("/theme/"):
        return [("<script> nạp tệp không phải của giao diện", src)]
    return []


def _json_urls(data, key=""):
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _json_urls(v, k)
    elif isinstance(data, list):
        for v in data:
            yield from _json_urls(v, key)
    elif isinstance(data, str) and key in ("url", "@id", "item", "image", "sameAs"):
        yield key, data


def element_problems(tag: str, attrs: dict, text: str = "", *, site_url: str = "",
                     allowed: dict = ALLOWED, namespace: str = "") -> list[tuple[str, str]]:
    """What is wrong with one element: ``[(what, value)]``, empty when it may be there."""
    if namespace and namespace != "http://www.w3.org/1999/xhtml":
        return [(f"phần tử <{tag}> ngoài không gian tên HTML", namespace)]
    if tag not in allowed:
        return [(f"phần tử <{tag}> không được phép", "")]
    found = []
    for name, value in attrs.items():
        name = name.lower()
        if name.startswith("on"):
            found.append((f"thuộc tính sự kiện {name}", value))
        elif name not in allowed[tag] and name not in GLOBAL and not name.startswith("aria-"):
            found.append((f"thuộc tính {name} không được phép trên <{tag}>", value))
        if name in URL_ATTRIBUTES or name in ("srcset", "imagesrcset"):
            found.extend(_url_problems(name, value))
    if tag == "script":
        found.extend(_script_problems(attrs, text, site_url))
    elif tag == "meta":
        key = attrs.get("name") or attrs.get("property") or ""
        if key and key not in META_NAMES and not key.startswith(("og:", "article:")):
            found.append(("<meta> lạ", key))
        if key in META_URLS and scheme(attrs.get("content", "")) not in ("http", "https", ""):
            found.append((f"<meta {key}>: giao thức không được phép", attrs.get("content", "")))
    elif tag == "link":
        rels = set((attrs.get("rel") or "").lower().split())
        if not rels or not rels <= LINK_RELS:
            found.append(("<link rel> lạ", attrs.get("rel", "")))
        elif rels & {"stylesheet", "preload"} and not (
                site_path(attrs.get("href", ""), site_url) or "").startswith("/theme/"):
            found.append((f"<link {' '.join(sorted(rels))}> không phải của giao diện",
                          attrs.get("href", "")))
    elif tag == "form":
        action = attrs.get("action", "")
        if action and not re.search(r"(?:^|/)tim-kiem/$", action):
            found.append(("<form> không gửi tới trang tìm kiếm của trang", action))
        if attrs.get("method", "get").lower() != "get":
            found.append(("<form method> khác get", attrs.get("method", "")))
    return found


def where(element) -> str:
    """A short path to an lxml element: its nearest ancestors with an id or a class."""
    parts = []
    for node in [element, *element.iterancestors()]:
        if not isinstance(node.tag, str):
            continue
        label = node.tag
        if node.get("id"):
            label += "#" + node.get("id")
        elif node.get("class"):
            label += "." + ".".join(node.get("class").split()[:2])
        if node is element or "#" in label or "." in label:
            parts.append(label)
        if len(parts) == 4:
            break
    return " < ".join(parts)


def card_of(element) -> str:
    """The address of the article an element belongs to on a page that shows several: the
    article card it is in, else the link it is in (a headline, the next article...); ""."""
    for path in ("ancestor-or-self::article[contains(@class, 'card')][1]//h2//a/@href",
                 "ancestor-or-self::article[contains(@class, 'card')][1]//h3//a/@href",
                 "ancestor-or-self::a[@href][1]/@href"):
        links = element.xpath(path)
        if links:
            return str(links[0])
    return ""


def check_tree(root, rel: str, *, site_url: str = "", allowed: dict = ALLOWED) -> list[Violation]:
    found = []
    first = None
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments, processing instructions
        tag = element.tag.lower()
        text = element.text or "" if tag == "script" else ""
        problems = element_problems(tag, dict(element.items()), text, site_url=site_url,
                                    allowed=allowed)
        if problems:
            if first is None:
                links = root.xpath("(//article[contains(@class, 'card')])[1]//a/@href")
                first = str(links[-1]) if links else ""
            card = card_of(element)
            found.extend(Violation(rel, where(element), what, value, card, first)
                         for what, value in problems)
    return found


def check_html(text: str, rel: str, site_url: str = "") -> list[Violation]:
    root = lxml.html.document_fromstring(text)
    return check_tree(root, rel, site_url=site_url)


def check_fragment(html: str, rel: str, where_: str) -> list[Violation]:
    """An HTML fragment a feed reader shows (an entry's content or summary)."""
    if not html.strip():
        return []
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return [Violation(rel, f"{where_} > {v.where}", v.what, v.value)
            for v in check_tree(root, rel, allowed={**FEED_ALLOWED, "div": FEED_ALLOWED["div"]})]


ATOM = "{http://www.w3.org/2005/Atom}"


def check_feed(data: bytes, rel: str) -> list[Violation]:
    """An Atom feed: well-formed XML, links http(s), and every text of type html checked as
    the HTML a feed reader shows."""
    try:
        root = lxml.etree.fromstring(data)
    except lxml.etree.XMLSyntaxError as exc:
        return [Violation(rel, "feed", f"XML hỏng: {exc}")]
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = element.tag.replace(ATOM, "")
        if name == "link" and scheme(element.get("href", "")) not in ("http", "https"):
            found.append(Violation(rel, "feed > link", "liên kết không phải http(s)",
                                   element.get("href", "")))
        if element.get("type") in ("html", "xhtml"):
            entry = element.getparent()
            ident = entry.findtext(f"{ATOM}id") or "" if entry is not None else ""
            found.extend(check_fragment(element.text or "", rel, f"{ident} {name}"))
    return found


def check_sitemap(data: bytes, rel: str) -> list[Violation]:
    try:
        root = lxml.etree.fromstring(data)
    except lxml.etree.XMLSyntaxError as exc:
        return [Violation(rel, "sitemap", f"XML hỏng: {exc}")]
    return [Violation(rel, "loc", "địa chỉ không phải http(s)", e.text or "")
            for e in root.iter() if isinstance(e.tag, str) and e.tag.endswith("}loc")
            and scheme(e.text or "") not in ("http", "https")]


_ROBOTS = re.compile(r"^(?:#.*|(?:User-agent|Disallow|Allow|Sitemap|Crawl-delay):[ -~]*|)$")


def check_robots(text: str, rel: str) -> list[Violation]:
    return [Violation(rel, f"dòng {n}", "dòng lạ trong robots.txt", line)
            for n, line in enumerate(text.split("\n"), 1) if not _ROBOTS.match(line)]


def check_text(text: str, rel: str) -> list[Violation]:
    """Signs of a template or Markdown run on the content, and characters no page or feed may
    hold (a feed with one is not XML; newsroom.core.text.printable drops them)."""
    found = [Violation(rel, "nội dung tệp", what, mark)
             for mark, what in TEXT_MARKS.items() if mark in text]
    if printable(text) != text:
        found.append(Violation(rel, "nội dung tệp", "ký tự điều khiển trong tệp",
                               repr(sorted(set(text) - set(printable(text))))))
    return found


def check_file(path: Path, rel: str, site_url: str = "") -> list[Violation]:
    """Every problem of one output file (HTML, Atom, sitemap, robots.txt, JSON); other files
    (images, CSS, the theme's and Pagefind's scripts, the index's binary parts) are not text
    the content reaches."""
    suffix = path.suffix
    if suffix not in (".html", ".xml", ".txt", ".json"):
        return []
    data = path.read_bytes()
    text = data.decode("utf-8", errors="replace")
    found = check_text(text, rel)
    if suffix == ".html":
        found += check_html(text, rel, site_url)
    elif suffix == ".xml" and b"<feed" in data[:500]:
        found += check_feed(data, rel)
    elif suffix == ".xml":
        found += check_sitemap(data, rel)
    elif path.name == "robots.txt":
        found += check_robots(text, rel)
    elif suffix == ".json":
        found += check_json(text, rel)
    return found


def check_json(text: str, rel: str) -> list[Violation]:
    """A JSON file the site's scripts read (latest news, the search index's lists): it
    parses, and its addresses are http(s) or relative (site.js makes links of them)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        return [Violation(rel, "JSON", f"JSON hỏng: {exc}")]
    return [Violation(rel, f"JSON {key}", "địa chỉ có giao thức không được phép", url)
            for key, url in _json_urls(data) if scheme(url) not in ("http", "https", "")]
