"""Markup that many pages of a batch share, rendered once per process.

An article's card is on every list page the article is in (home, category, tags, units,
campaigns, themes, author, year...): some twenty pages per article. While the writer renders
a batch (``FastWriter.flush``: the site no longer changes), the Jinja global ``memo`` keeps
what a macro returned for the same arguments and gives it back instead of rendering it again::

    {{ memo(_card, article, level, image, reads=SITEURL) }}

``reads`` names what else of the page the macro reads (its context): here the address of the
site, which differs from page to page with ``RELATIVE_URLS``. Arguments that are objects
(articles, pictures) count by identity, plain values by value. Outside a batch (Pelican's own
writer, ``workers = 1``, a page written at once) ``memo`` calls the macro every time, so a
template gives the same bytes with or without it.
"""
from __future__ import annotations

_PLAIN = (str, int, float, bool, type(None))

#: What macros returned in the batch being rendered, or None outside a batch.
_kept: dict | None = None


def start():
    """A batch begins rendering: from now on, markup is kept (each forked worker keeps its own)."""
    global _kept
    _kept = {}


def stop():
    global _kept
    _kept = None


def _part(value):
    return (type(value), value) if isinstance(value, _PLAIN) else (None, id(value))


def memo(macro, *args, reads=None):
    """``macro(*args)``, kept for the batch by the macro's code, ``args`` and ``reads``."""
    if _kept is None:
        return macro(*args)
    code = getattr(getattr(macro, "_func", None), "__code__", None)
    if code is None:  # not a Jinja macro: nothing to key it on
        return macro(*args)
    key = (code, _part(reads), *map(_part, args))
    found = _kept.get(key)
    if found is None:
        # The arguments are kept with the markup, so no other object takes their ids.
        found = _kept[key] = (args, reads, macro(*args))
    return found[2]
