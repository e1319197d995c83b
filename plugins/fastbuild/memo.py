"""Markup that many pages of a batch share, rendered once per process.

An article's card is on every list page the article is in (home, category, tags, units,
campaigns, themes, author, year...): some twenty pages per article. While the writer renders
a batch (``FastWriter.flush``: the site no longer changes), a macro wrapped in the Jinja
global ``memo`` keeps what it returned for the same arguments and gives it back instead of
rendering it again::

    {% macro _card(article, level=3) %}...{% endmacro %}
    {% set card = memo(_card, reads=SITEURL) %}

``reads`` is what else of the page the macro reads (its context): here the address of the
site, which differs from page to page with ``RELATIVE_URLS``. Arguments count by their hash:
articles (and other objects without ``__eq__``) by identity, plain values by value; a call
with an unhashable argument is not kept. Outside a batch (Pelican's own writer,
``workers = 1``, a page written at once) ``memo`` gives back the macro itself, so a template
gives the same bytes with or without it.
"""
from __future__ import annotations

from plugins import fence

#: What macros returned in the batch being rendered, or None outside a batch.
_kept: dict | None = None


def start():
    """A batch begins rendering: from now on, markup is kept (each forked worker keeps its own)."""
    global _kept
    _kept = {}


def stop():
    global _kept
    _kept = None


def memo(macro, reads=None):
    """``macro``, or while a batch renders, a function that renders ``macro(*args, **kwargs)``
    once for the batch per arguments and ``reads``."""
    if _kept is None:
        return macro
    # Keyed on the macro's code: the same for every page whose template imports it.
    code = fence.macro_code(macro)

    def kept_macro(*args, **kwargs):
        kept = _kept
        if kept is None:  # a module made in a batch, used after it
            return macro(*args, **kwargs)
        key = (code, reads, args, tuple(sorted(kwargs.items())) if kwargs else ())
        try:
            found = kept.get(key)
        except TypeError:  # an unhashable argument
            return macro(*args, **kwargs)
        if found is None:
            # The key holds the arguments: no other object takes their ids meanwhile.
            found = kept[key] = macro(*args, **kwargs)
        return found

    return kept_macro
