"""What a reader sees around an article: related stories and the previous/next ones.

Runs once every generator has read and tagged the articles (``all_generators_finalized``), so
campaigns and themes given by other plugins count. Each article gets:

- ``related_articles``: up to ``READING["related"]`` other articles, those sharing the most
  campaigns and themes first, then shared tags, then the same unit or category; newer first
  among equals;
- ``previous_article`` (older) and ``next_article`` (newer) in publication order.

Settings: ``READING = {"related": 4}`` (checked at start-up).
"""
from __future__ import annotations

import logging

from pelican import signals

logger = logging.getLogger(__name__)

DEFAULTS = {"related": 4}

#: How much one shared term weighs when ranking related articles.
WEIGHTS = {"campaigns": 8, "themes": 4, "tags": 2, "units": 1}


def reading_settings(settings) -> dict:
    conf = settings.get("READING") or {}
    if not isinstance(conf, dict) or set(conf) - set(DEFAULTS):
        raise ValueError(f"plugins.reading: READING phải là dict với các khóa {sorted(DEFAULTS)}")
    merged = {**DEFAULTS, **conf}
    if not isinstance(merged["related"], int) or merged["related"] < 0:
        raise ValueError("plugins.reading: READING['related'] phải là số nguyên ≥ 0")
    return merged


def _keys(article, plural: str) -> set[str]:
    return {str(getattr(t, "slug", t)) for t in getattr(article, plural, None) or ()}


class RelatedIndex:
    """Articles by each campaign, theme, tag and unit, to rank neighbours without comparing
    every pair of articles (a site of ten years of daily news stays quick)."""

    def __init__(self, articles):
        self.articles = list(articles)  # newest first, as Pelican sorts them
        self.by_term: dict[tuple[str, str], list] = {}
        self.by_category: dict = {}
        for article in self.articles:
            for plural in WEIGHTS:
                for key in _keys(article, plural):
                    self.by_term.setdefault((plural, key), []).append(article)
            self.by_category.setdefault(getattr(article, "category", None), []).append(article)

    def related(self, article, limit: int) -> list:
        """The ``limit`` articles closest to ``article`` (see the module doc)."""
        scores: dict[int, list] = {}
        for plural, weight in WEIGHTS.items():
            for key in _keys(article, plural):
                for other in self.by_term.get((plural, key), ()):
                    if other is not article:
                        entry = scores.setdefault(id(other), [0, other])
                        entry[0] += weight
        category = getattr(article, "category", None)
        for score_other in scores.values():
            if getattr(score_other[1], "category", None) == category:
                score_other[0] += 1
        ranked = sorted(scores.values(), key=lambda e: (e[0], e[1].date), reverse=True)
        found = [other for _, other in ranked[:limit]]
        for other in self.by_category.get(category, ()):  # newest of the same category
            if len(found) >= limit:
                break
            if other is not article and other not in found:
                found.append(other)
        return found


def link_articles(generators) -> None:
    conf = reading_settings(generators[0].settings)
    for generator in generators:
        articles = getattr(generator, "articles", None)
        if not articles or not hasattr(generator, "dates"):
            continue
        index = RelatedIndex(articles)
        ordered = sorted(articles, key=lambda a: a.date)
        for position, article in enumerate(ordered):
            article.previous_article = ordered[position - 1] if position else None
            article.next_article = ordered[position + 1] if position + 1 < len(ordered) else None
            article.related_articles = index.related(article, conf["related"])


def check_settings(pelican) -> None:
    reading_settings(pelican.settings)


def register():
    signals.initialized.connect(check_settings)
    signals.all_generators_finalized.connect(link_articles)
