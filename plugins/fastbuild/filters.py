"""Jinja filters that give what Jinja's own give, faster on a site's worth of pages.

``striptags``: an article page strips the tags of the same title five times (title, social
title, JSON-LD headline, breadcrumbs, share button) and every list page those of the site's
description; Jinja's filter runs its regular expressions and ``html.unescape`` each time.
This one keeps the last few thousand results (the filter depends on the text only).
"""
from __future__ import annotations

from functools import lru_cache

from jinja2.filters import FILTERS as JINJA
from jinja2.filters import do_striptags


@lru_cache(maxsize=4096)
def _striptags(text: str) -> str:
    return do_striptags(text)


def striptags(value) -> str:
    if hasattr(value, "__html__"):
        value = value.__html__()
    return _striptags(str(value))


FILTERS = {"striptags": striptags}
