"""The one sanitiser of article HTML: an allowlist, applied to every body right after Markdown.

An article comes from a unit's computer or a shared folder, so its body may hold anything a
careless or hostile hand wrote in it: raw HTML, ``javascript:`` links, event handlers. What
Markdown makes of it passes through :func:`clean` (nh3, the Python binding of Ammonia), which
keeps exactly the elements and attributes the theme styles and the Markdown extensions of the
site produce, and links only to http, https, mailto, tel or relative addresses. Everything the
site prints from a body (pages, feeds, the search index, which reads the pages) comes from this
output; the markup the project's own plugins add afterwards (pictures, galleries, figures) is
built by the theme's macros from values they escape.

The friendly check of ``newsroom.core.schema`` (``_check_body``) still tells a reporter, with the
file and line, which HTML the site does not take; it is a message, not the defence.
"""
from __future__ import annotations

import nh3

from newsroom.core.text import printable

#: Elements a body may keep: text structure, lists, tables, quotes, code, photos and figures.
TAGS = frozenset({
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "a", "img", "figure", "figcaption",
    "em", "strong", "b", "i", "u", "s", "del", "ins", "sub", "sup", "mark", "small", "abbr",
    "blockquote", "q", "cite", "code", "pre", "kbd", "samp", "var",
    "ul", "ol", "li", "dl", "dt", "dd",
    "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
    "div", "span",
})

#: Attributes by element. ``id`` only where the Markdown extensions set one (headings of the
#: table of contents, footnotes), so a body cannot take the ids the page's own script uses.
#: No ``cite`` on quotes: it holds an address whose scheme nh3 does not check (it checks
#: ``href`` and ``src``), so ``<blockquote cite="javascript:...">`` would pass.
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
    "col": {"span"},
    "colgroup": {"span"},
    **{h: {"id"} for h in ("h1", "h2", "h3", "h4", "h5", "h6")},
    "li": {"id"},
    "sup": {"id"},
}

#: Classes kept, by exact name: those of Markdown's footnotes.
CLASSES = {
    "a": {"footnote-ref", "footnote-backref"},
    "div": {"footnote"},
}

#: Link schemes; an address without a scheme (relative, ``#anchor``, ``{static}anh.jpg``)
#: is kept as it is.
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


def clean(html: str) -> str:
    """``html`` with only the allowlisted elements, attributes, classes and URL schemes;
    the contents of ``script`` and ``style`` go with them, comments are dropped. A character
    reference to a control character (``&#14;``) is decoded by the parser: what no page or
    feed may hold is dropped from the result (a feed holding it is not XML)."""
    if not html:
        return ""
    return printable(nh3.clean(
        html,
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        allowed_classes={tag: set(names) for tag, names in CLASSES.items()},
        url_schemes=set(URL_SCHEMES),
        clean_content_tags={"script", "style"},
        strip_comments=True,
        link_rel=None,  # the body's own links stay as written; rel is no safety measure here
    ))
