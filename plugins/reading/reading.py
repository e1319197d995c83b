"""What a reader sees around an article: related stories and the previous/next ones.

Runs once every generator has read and tagged the articles (``all_generators_finalized``), so
campaigns and themes given by other plugins count. Each article gets:

- ``related_articles``: up to ``READING["related"]`` other articles, those sharing the most
  campaigns and themes first, then shared tags, then the same unit or category; newer first
  among equals;
- ``previous_article`` (older) and ``next_article`` (newer) in publication order.

The ranking is kept in the cache folder (:mod:`.ranking`): the next build, in this process or a
new one, ranks again only the lists a change can alter (:func:`relate`), with the same result
as ranking every list.

Settings: ``READING = {"related": 4}`` (checked at start-up), and those of the home page's
lists (:mod:`.front`).
"""
from __future__ import annotations

import json
import logging
import operator

from pelican import signals

from newsroom.core import data
from newsroom.core.settings import plugin_settings

from . import front, ranking as store

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


def entry(article) -> tuple:
    """Everything the ranking reads of one article, as the kept ranking holds it: its date,
    its category's slug, and its campaigns, themes, tags and units (sorted slugs). Tuples of
    text, which the garbage collector stops tracking: ten thousand of them kept from one
    build to the next cost it nothing. Kept on the article with the very objects it was read
    from (a live session's kept article has the same date, category and lists of terms at
    every update: plugins.taxonomies keeps an unchanged list)."""
    sources = (article.date, getattr(article, "category", None),
               *(getattr(article, plural, None) for plural in WEIGHTS))
    memo = article.__dict__.get("_reading_entry")
    if memo is not None and all(map(operator.is_, memo[0], sources)):
        return memo[1]
    category = sources[1]
    if category is not None:
        category = str(getattr(category, "slug", category))
    found = (article.date.isoformat(), category,
             *(tuple(sorted(_keys(article, plural))) for plural in WEIGHTS))
    article.__dict__["_reading_entry"] = (sources, found)
    return found


class RelatedIndex:
    """Articles by each campaign, theme, tag, unit and category, as bit sets over the
    articles ranked newest first, to rank neighbours without comparing every pair of
    articles. An article's scores against all the others are added up in bit slices (slice
    ``j`` holds bit ``j`` of every score: a few operations on integers of N bits per shared
    term, done in C), and the best are found by walking the slices from the highest bit,
    so a ten-year site of daily news ranks in seconds, not minutes. A term's bit set is
    made when a ranking first needs it (a build that ranks a few lists needs a few)."""

    def __init__(self, articles, entries=None):
        self.articles = list(articles)  # newest first, as Pelican sorts them
        self.entries = entries if entries is not None else [entry(a) for a in self.articles]
        self.position = {id(a): i for i, a in enumerate(self.articles)}
        # Rank by date, newest first; equal dates keep the list's order (deterministic).
        self.by_rank = sorted(range(len(self.articles)), key=lambda i: self.articles[i].date,
                              reverse=True)
        self.rank = [0] * len(self.by_rank)  # position -> rank (0 = newest)
        for rank, i in enumerate(self.by_rank):
            self.rank[i] = rank
        self.members: dict = {}
        self.by_category: dict = {}
        for i, (article, found) in enumerate(zip(self.articles, self.entries)):
            for plural, keys in zip(WEIGHTS, found[2:]):
                for key in keys:
                    self.members.setdefault((plural, key), []).append(self.rank[i])
            self.by_category.setdefault(found[1], []).append(article)
            self.members.setdefault(("category", found[1]), []).append(self.rank[i])
        self._bits: dict = {}

    def bits(self, term) -> int:
        """The articles of ``term`` (``(plural, key)``), a bit per rank."""
        found = self._bits.get(term)
        if found is None:
            found = self._bits[term] = _bitset(self.members.get(term, ()), len(self.articles))
        return found

    def related(self, article, limit: int) -> list:
        """The ``limit`` articles closest to ``article`` (see the module doc)."""
        return self.ranked(article, limit)[0]

    def scores(self, article) -> tuple[list[int], int]:
        """Every other article's score against ``article``, in bit slices over the ranks, and
        the bits of those with a score at all. Scores are symmetric: the score of ``other``
        here is the score of ``article`` when ``other`` is ranked."""
        position = self.position.get(id(article))
        found = entry(article) if position is None else self.entries[position]
        slices: list[int] = []
        for (plural, weight), keys in zip(WEIGHTS.items(), found[2:]):
            for key in keys:
                _add(slices, self.bits((plural, key)), weight)
        if position is not None:
            others = ~(1 << self.rank[position])
            slices = [bits & others for bits in slices]
        scored = 0
        for bits in slices:
            scored |= bits
        same = self.bits(("category", found[1])) & scored
        if same:  # one more point for the same category
            _add(slices, same, 1)
        return slices, scored

    def rank_of(self, article) -> int | None:
        position = self.position.get(id(article))
        return None if position is None else self.rank[position]

    def ranked(self, article, limit: int) -> tuple[list, list[int], bool]:
        """``related``, the score of each (0 for those only of the same category), and
        whether the newest of its category filled the list (fewer than ``limit`` articles
        share a term with it: then any article of that category may change it)."""
        if limit <= 0:
            return [], [], False
        slices, scored = self.scores(article)
        best, scores = _best(slices, scored, limit)
        found = [self.articles[self.by_rank[r]] for r in best]
        filled = len(found) < limit
        position = self.position.get(id(article))
        category = entry(article)[1] if position is None else self.entries[position][1]
        for other in self.by_category.get(category, ()):  # newest of the same category
            if len(found) >= limit:
                break
            if other is not article and other not in found:
                found.append(other)
                scores.append(0)
        return found, scores, filled


def score_at(slices: list[int], rank: int) -> int:
    """The score of the article of ``rank`` in bit-sliced ``slices``."""
    return sum(((bits >> rank) & 1) << j for j, bits in enumerate(slices))


def at_least(slices: list[int], scored: int, floor: int) -> int:
    """The bits of the articles whose score in bit-sliced ``slices`` is ``floor`` (≥ 1) or
    more (``scored``: those with a score at all)."""
    if floor >> len(slices):
        return 0
    above, equal = 0, scored  # above floor; equal to it in the bits seen so far
    for j in range(len(slices) - 1, -1, -1):
        if floor >> j & 1:
            equal &= slices[j]
        else:
            above |= equal & slices[j]
            equal &= ~slices[j]
    return above | equal


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


def _best(slices: list[int], scored: int, limit: int) -> tuple[list[int], list[int]]:
    """The ranks of the ``limit`` highest scores, highest first, newest first among equals,
    and their scores."""
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
    best = sorted((-score_at(slices, rank), rank) for rank in chosen)
    return [rank for _, rank in best], [-score for score, _ in best]


def link_neighbours(articles) -> None:
    """``previous_article`` (older) and ``next_article`` (newer) of every article."""
    ordered = sorted(articles, key=lambda a: a.date)
    for position, article in enumerate(ordered):
        article.previous_article = ordered[position - 1] if position else None
        article.next_article = ordered[position + 1] if position + 1 < len(ordered) else None


#: How the last :func:`link_articles` of this process made the related lists (for tests and
#: benchmarks): ``articles``, lists ``ranked`` again, lists a changed article ``entered``.
LAST_COUNTS: dict[str, int] = {}


def ranking_key(limit: int) -> str:
    """The settings a kept ranking was made with: other settings rank every list again."""
    return json.dumps({"related": limit})


def link_articles(generators) -> None:
    """Previous/next and related stories of every generator's articles; the related lists
    from the last build's (:mod:`.ranking`) where no change can alter them (:func:`relate`)."""
    settings = generators[0].settings
    limit = reading_settings(settings)["related"]
    key = ranking_key(limit)
    kept = store.load(settings, key)
    LAST_COUNTS.update(articles=0, ranked=0, entered=0)
    rankings = {}
    for generator in generators:
        articles = getattr(generator, "articles", None)
        if not articles or not hasattr(generator, "dates"):
            continue
        link_neighbours(articles)
        LAST_COUNTS["articles"] += len(articles)
        name = f"{type(generator).__name__}:{generator.path}"
        ranking = relate(articles, limit, kept.get(name))
        if ranking is not None:
            rankings[name] = ranking
    if rankings.keys() != kept.keys() or any(rankings[n] is not kept[n] for n in rankings):
        store.save(settings, key, rankings)


def relate(articles, limit: int, last: store.Ranking | None) -> store.Ranking | None:
    """Give each article its ``related_articles``; return the ranking to keep (``last``
    itself when no list changed; None when there is nothing to keep).

    With the last build's ranking (``last``) an article is ranked again only if it changed,
    its list held an article that changed (or was removed), or the newest of its category
    filled its list and an article of that category changed; a changed article that now
    scores at least the lowest entry of another list goes into it by score, then date (the
    score is symmetric). Every other list stays: a change of text ranks nothing."""
    order = [a.source_path for a in articles]
    ranking = store.Ranking(order=order, entries={p: entry(a) for p, a in zip(order, articles)})
    if limit <= 0 or len(ranking.entries) < len(order):  # no lists; or a path twice
        index = RelatedIndex(articles) if limit > 0 else None
        for article in articles:
            article.related_articles = index.related(article, limit) if index else []
        return None  # nothing to keep
    changed = _changed(ranking, last)
    by_path = {a.source_path: a for a in articles}
    if changed is not None and not changed:  # only text changed, or nothing
        for article in articles:
            article.related_articles = [by_path[p] for p in last.related[article.source_path]]
        return last
    index = RelatedIndex(articles, [ranking.entries[p] for p in order])
    redo = set(order) if changed is None else _rank_again(ranking, last, changed)
    for article in articles:
        path = article.source_path
        if path in redo:
            found, scores, filled = index.ranked(article, limit)
            ranking.related[path] = tuple(a.source_path for a in found)
            ranking.scores[path] = tuple(scores)
            if filled:
                ranking.filled.add(path)
        else:
            ranking.related[path], ranking.scores[path] = last.related[path], last.scores[path]
            if path in last.filled:
                ranking.filled.add(path)
    LAST_COUNTS["ranked"] += len(redo)
    if changed is not None:
        _enter(ranking, last, changed, index, redo, by_path, limit)
    for article in articles:
        article.related_articles = [by_path[p] for p in ranking.related[article.source_path]]
    return ranking


def _changed(ranking: store.Ranking, last: store.Ranking | None) -> set | None:
    """The paths whose entry differs from ``last``'s (added, removed, edited terms or date);
    None when there is no last ranking, too much changed to be worth it, or the unchanged
    articles are no longer in the same order."""
    if last is None:
        return None
    now, before = ranking.entries, last.entries
    changed = {p for p in now.keys() | before.keys() if now.get(p) != before.get(p)}
    if len(changed) > max(16, len(now) // 8):
        return None
    if changed:
        if ([p for p in ranking.order if p not in changed]
                != [p for p in last.order if p not in changed]):
            return None
    elif ranking.order != last.order:
        return None
    return changed


def _rank_again(ranking, last, changed: set) -> set:
    """The articles whose list a change may alter in any way: those changed, those whose
    list held a changed (or removed) article, and those the newest of a changed article's
    category (as it is now or was) filled."""
    categories = {found[1] for p in changed
                  for found in (ranking.entries.get(p), last.entries.get(p)) if found}
    redo = {p for p in changed if p in ranking.entries}
    for path in ranking.order:
        if path not in redo and (
                (path in last.filled and ranking.entries[path][1] in categories)
                or any(p in changed for p in last.related[path])):
            redo.add(path)
    return redo


def _enter(ranking, last, changed, index, redo, by_path, limit) -> None:
    """Put each changed article into the other lists it now reaches: those whose lowest
    entry it scores at least (then by score, newer first among equals, as
    :meth:`RelatedIndex.ranked`); a list the newest of its category filled is ranked again."""
    floors: dict[int, list[int]] = {}  # lowest score to enter -> ranks of those lists
    for path in ranking.order:
        if path not in redo:
            floors.setdefault(ranking.floor(path), []).append(index.rank_of(by_path[path]))
    floor_bits = {f: _bitset(ranks, len(index.articles)) for f, ranks in floors.items()}
    entering: dict[str, list] = {}
    for path in changed:
        if path not in by_path:
            continue
        slices, scored = index.scores(by_path[path])
        for floor, bits in floor_bits.items():
            for rank in _ranks(at_least(slices, scored, floor) & bits):
                other = index.articles[index.by_rank[rank]].source_path
                entering.setdefault(other, []).append((path, score_at(slices, rank)))
    LAST_COUNTS["entered"] += len(entering)
    for path, new in entering.items():
        article = by_path[path]
        if path in ranking.filled:
            found, scores, filled = index.ranked(article, limit)
            ranking.related[path] = tuple(a.source_path for a in found)
            ranking.scores[path] = tuple(scores)
            if not filled:
                ranking.filled.discard(path)
            continue
        best = sorted((-score, index.rank_of(by_path[p]), p) for p, score in
                      [*zip(ranking.related[path], ranking.scores[path]), *new])[:limit]
        ranking.related[path] = tuple(p for _, _, p in best)
        ranking.scores[path] = tuple(-score for score, _, _ in best)


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
