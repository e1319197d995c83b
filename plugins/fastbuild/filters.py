"""Jinja filters that give what Jinja's own give, faster on a site's worth of pages.

``striptags``: an article page strips the tags of the same title five times (title, social
title, JSON-LD headline, breadcrumbs, share button) and every list page those of the site's
description; Jinja's filter runs its regular expressions and ``html.unescape`` each time.
This one keeps the last few thousand results (the filter depends on the text only). Jinja's
``striptags`` is ``Markup(value).striptags()`` (MarkupSafe's documented method), and so is
this one.
"""
from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup


@lru_cache(maxsize=4096)
def _striptags(text: str) -> str:
    return Markup(text).striptags()


def striptags(value) -> str:
    if hasattr(value, "__html__"):
        value = value.__html__()
    return _striptags(str(value))


FILTERS = {"striptags": striptags}
