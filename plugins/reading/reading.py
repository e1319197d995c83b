"""What a reader sees around an article: related stories and the previous/next ones.

Runs once every generator has read and tagged the articles (``all_generators_finalized``), so
campaigns and themes given by other plugins count. Each article gets:

- ``related_articles``: up to ``READING["related"]`` other articles, those sharing the most
  campaigns and themes first, then shared tags, then the same unit or category; newer first
  among equals;
- ``previous_article`` (older) and ``next_article`` (newer) in publication order.

Settings: ``READING = {"related": 4}`` (checked at start-up), and those of the home page's
lists (:mod:`.front`).
"""
from __future__ import annotations

import logging

from pelican import signals

from newsroom.core import data
from newsroom.core.settings import plugin_settings

from . import front

logger = logging.getLogger(__name__)

DEFAULTS = {"related": 4, **front.DEFAULTS}

#: How much one shared term weighs when ranking related articles.
WEIGHTS = {"campaigns": 8, "themes": 4, "tags": 2, "units": 1}


def reading_settings(settings) -> dict:
    merged = plugin_settings(settings, "READING", DEFAULTS, "plugins.reading")
    for key, value in merged.items():
        if key != "latest_file" and (not isinstance(value, int) or value < 0):
            raise ValueError(f"plugins.reading: READING['{key}'] phải là số nguyên ≥ 0")
    return merged


def _keys(article, plural: str) -> set[str]:
    return {str(getattr(t, "slug", t)) for t in getattr(article, plural, None) or ()}


class RelatedIndex:
    """Articles by each campaign, theme, tag, unit and category, as bit sets over the
    articles ranked newest first, to rank neighbours without comparing every pair of
    articles. An article's scores against all the others are added up in bit slices (slice
    ``j`` holds bit ``j`` of every score: a few operations on integers of N bits per shared
    term, done in C), and the best are found by walking the slices from the highest bit,
    so a ten-year site of daily news ranks in seconds, not minutes."""

    def __init__(self, articles):
        self.articles = list(articles)  # newest first, as Pelican sorts them
        self.position = {id(a): i for i, a in enumerate(self.articles)}
        # Rank by date, newest first; equal dates keep the list's order (deterministic).
        self.by_rank = sorted(range(len(self.articles)), key=lambda i: self.articles[i].date,
                              reverse=True)
        self.rank = [0] * len(self.by_rank)  # position -> rank (0 = newest)
        for rank, i in enumerate(self.by_rank):
            self.rank[i] = rank
        members: dict = {}
        self.by_category: dict = {}
        for i, article in enumerate(self.articles):
            for plural in WEIGHTS:
                for key in _keys(article, plural):
                    members.setdefault((plural, key), []).append(self.rank[i])
            category = getattr(article, "category", None)
            self.by_category.setdefault(category, []).append(article)
            members.setdefault(("category", category), []).append(self.rank[i])
        self.bits = {term: _bitset(ranks, len(self.articles)) for term, ranks in members.items()}

    def related(self, article, limit: int) -> list:
        """The ``limit`` articles closest to ``article`` (see the module doc)."""
        return self.ranked(article, limit)[0]

    def scores(self, article) -> tuple[list[int], int]:
        """Every other article's score against ``article``, in bit slices over the ranks, and
        the bits of those with a score at all. Scores are symmetric: the score of ``other``
        here is the score of ``article`` when ``other`` is ranked."""
        slices: list[int] = []
        for plural, weight in WEIGHTS.items():
            for key in _keys(article, plural):
                _add(slices, self.bits.get((plural, key), 0), weight)
        position = self.position.get(id(article))
        if position is not None:
            others = ~(1 << self.rank[position])
            slices = [bits & others for bits in slices]
        scored = 0
        for bits in slices:
            scored |= bits
        category = getattr(article, "category", None)
        same = self.bits.get(("category", category), 0) & scored
        if same:  # one more point for the same category
            _add(slices, same, 1)
        return slices, scored

    def rank_of(self, article) -> int | None:
        position = self.position.get(id(article))
        return None if position is None else self.rank[position]

    def ranked(self, article, limit: int) -> tuple[list, bool, int]:
        """``related``; whether articles of the same category filled the list (then any
        article of that category may change it); and the lowest score another article needs
        to enter the list (1 when the list has room for any article sharing a term)."""
        if limit <= 0:
            return [], False, 1 << 30
        slices, scored = self.scores(article)
        best = _best(slices, scored, limit)
        found = [self.articles[self.by_rank[r]] for r in best]
        floor = score_at(slices, best[-1]) if len(best) >= limit else 1
        short = len(found) < limit
        category = getattr(article, "category", None)
        for other in self.by_category.get(category, ()):  # newest of the same category
            if len(found) >= limit:
                break
            if other is not article and other not in found:
                found.append(other)
        return found, short, floor


def score_at(slices: list[int], rank: int) -> int:
    """The score of the article of ``rank`` in bit-sliced ``slices``."""
    return sum(((bits >> rank) & 1) << j for j, bits in enumerate(slices))


def _bitset(ranks, size: int) -> int:
    data = bytearray((size + 8) // 8)
    for rank in ranks:
        data[rank >> 3] |= 1 << (rank & 7)
    return int.from_bytes(data, "little")


def _add(slices: list[int], bits: int, weight: int) -> None:
    """Add ``weight`` to the score of every article in ``bits`` (bit-sliced addition)."""
    level = 0
    while weight:
        if weight & 1:
            carry, j = bits, level
            while carry:
                while j >= len(slices):
                    slices.append(0)
                current = slices[j]
                slices[j], carry = current ^ carry, current & carry
                j += 1
        weight >>= 1
        level += 1


def _ranks(bits: int):
    """The set bits of ``bits``, lowest (newest) first."""
    while bits:
        low = bits & -bits
        yield low.bit_length() - 1
        bits ^= low


def _best(slices: list[int], scored: int, limit: int) -> list[int]:
    """The ranks of the ``limit`` highest scores, highest first, newest first among equals."""
    if scored.bit_count() <= limit:
        chosen = list(_ranks(scored))
    else:
        above, equal = 0, scored  # above the limit-th score so far; equal to its bits so far
        for bits in reversed(slices):
            high = equal & bits
            if (above | high).bit_count() >= limit:
                equal = high
            else:
                above |= high
                equal &= ~bits
        chosen = list(_ranks(above))
        for rank in _ranks(equal):
            if len(chosen) >= limit:
                break
            chosen.append(rank)

    return sorted(chosen, key=lambda rank: (-score_at(slices, rank), rank))


def _entry(article) -> tuple:
    """Everything the ranking reads of one article: date, category, terms."""
    category = getattr(article, "category", None)
    return (article.date, getattr(category, "slug", category),
            *(tuple(sorted(_keys(article, plural))) for plural in WEIGHTS))


#: The last ranking, for a process that builds the same site again (``invoke livereload``):
#: source path -> entry, the order of the list, the related paths, the paths whose lists the
#: category filled, and each list's floor (the score another article needs to enter it). An
#: article is ranked again (by ``RelatedIndex``, the one ranking) only if its list held an
#: article whose entry changed (or was removed), its list was filled by the category of a
#: changed article, or a changed article now scores at least its floor against it; the others'
#: lists are the same, with the objects looked up again.
_last: dict = {}


def link_articles(generators) -> None:
    conf = reading_settings(generators[0].settings)
    limit = conf["related"]
    for generator in generators:
        articles = getattr(generator, "articles", None)
        if not articles or not hasattr(generator, "dates"):
            continue
        ordered = sorted(articles, key=lambda a: a.date)
        for position, article in enumerate(ordered):
            article.previous_article = ordered[position - 1] if position else None
            article.next_article = ordered[position + 1] if position + 1 < len(ordered) else None
        key = (type(generator).__name__, generator.path, limit)
        entries = {a.source_path: _entry(a) for a in articles}
        order = [a.source_path for a in articles]
        last = _last.get(key)
        changed = None
        if last is not None:
            old_entries, old_order, old_related, old_short, old_floor = last
            changed = {p for p in entries.keys() | old_entries.keys()
                       if entries.get(p) != old_entries.get(p)}
            if ([p for p in order if p not in changed]
                    != [p for p in old_order if p not in changed]):
                changed = None  # the others moved: rank everything again
        # Only text changed (or nothing): every list stays, no index needed.
        index = RelatedIndex(articles) if changed != set() else None
        related, short, floors = {}, set(), {}
        if changed is not None:
            categories = set()
            for p in changed:
                for entry in (entries.get(p), old_entries.get(p)):
                    if entry is not None:
                        categories.add(entry[1])
            by_path = {a.source_path: a for a in articles}
            # every article's score against each changed article as it is now
            against = [index.scores(by_path[p])[0] for p in changed if p in by_path]

        def same_list(article, path) -> bool:
            """The list of last time still holds: the article and every one in its list are
            unchanged, its category did not fill it (a changed article may belong there
            now), and no changed article now scores as high as its lowest entry."""
            return (path not in changed
                    and not (path in old_short and entries[path][1] in categories)
                    and not any(p in changed for p in old_related[path])
                    and not any(score_at(slices, index.rank_of(article)) >= old_floor[path]
                                for slices in against))

        for article in articles:
            path = article.source_path
            if changed is not None and same_list(article, path):
                article.related_articles = [by_path[p] for p in old_related[path]]
                related[path], floors[path] = old_related[path], old_floor[path]
                if path in old_short:
                    short.add(path)
                continue
            article.related_articles, filled, floors[path] = index.ranked(article, limit)
            related[path] = [o.source_path for o in article.related_articles]
            if filled:
                short.add(path)
        _last.clear()  # one site at a time: a new site (or a test's) starts afresh
        _last[key] = (entries, order, related, short, floors)


def home_lists(generators) -> None:
    """The home page's lists (``home``), each article's ``nearby`` (:mod:`.front`), and what
    the offline reader (sw.js) keeps first; the last also on a site without articles."""
    conf = reading_settings(generators[0].settings)
    settings = generators[0].settings
    shell, version = front.offline_shell(settings["THEME"], settings["THEME_STATIC_DIR"])
    generators[0].context.update(latest_file=conf["latest_file"], offline_shell=shell,
                                 offline_version=version, offline_budget=conf["offline_budget"])
    for generator in generators:
        if not getattr(generator, "articles", None) or not hasattr(generator, "dates"):
            continue
        articles = generator.articles  # newest first
        sizes = {**conf, "page_size": generator.settings.get("DEFAULT_PAGINATION") or 0}
        generator.context["home"] = front.front(
            articles, generator.categories, generator.settings.get("MENU") or (), sizes)
        close = front.nearby(articles, conf["nearby"])
        for article in articles:
            article.nearby = close.get(id(article), [])


def write_latest(generator, writer=None) -> None:
    """The newest articles as a small static file (:func:`front.write_latest`)."""
    conf = reading_settings(generator.settings)
    entries = front.latest_entries(generator.articles, generator.settings.get("SITEURL") or "",
                                   conf["latest_count"])
    front.write_latest(generator.output_path, conf["latest_file"], entries)


def check_settings(pelican) -> None:
    """The settings, and who runs the site (data/site.yml) for the footer as ``SITE_INFO``; a
    publish build (``NEWSROOM_STRICT``) warns when a required item is empty."""
    reading_settings(pelican.settings)
    try:
        info = data.site_info(pelican.settings.get("NEWSROOM_DATA"))
    except data.DataError as exc:
        logger.error("%s", exc)
        info = {}
    pelican.settings["SITE_INFO"] = info
    missing = data.site_missing(info) if info else []
    if missing and pelican.settings.get("NEWSROOM_STRICT"):
        logger.warning("data/site.yml: chân trang còn thiếu %s. Mở data/site.yml, điền các "
                       "mục đó (như trên giấy phép) rồi xuất bản lại.", ", ".join(missing))


def register():
    signals.initialized.connect(check_settings)
    signals.all_generators_finalized.connect(link_articles)
    signals.all_generators_finalized.connect(home_lists)
    signals.article_writer_finalized.connect(write_latest)
