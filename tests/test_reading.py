"""Related stories (``plugins/reading``): the bit-set ranking equals scoring every pair, and a
build that starts from the last build's ranking (kept in the cache folder, ``store``) gives
every article the list a full ranking gives, after any change: an article added, its text,
terms, date, category or unit edited, an article removed; a damaged file or other settings
rank every list again."""
from __future__ import annotations

import copy
import itertools
import json
import random
import tempfile
from datetime import datetime, timedelta
from types import SimpleNamespace

from hypothesis import given, settings as hsettings, strategies as st

from plugins.reading import ranking as store, reading

Item = SimpleNamespace  # a stand-in term, or a generator


def _pairwise_related(articles, limit=4):
    """Reference ranking for the tests: score every pair (campaign 8, theme 4, tag 2, unit 1
    per shared term, one more for the same category when anything is shared), best first,
    newest first among equals (list order among equal dates); too few: the newest of the same
    category. Returns name -> list of names."""
    from plugins.reading.reading import WEIGHTS

    def keys(article, plural):
        return {t.slug for t in getattr(article, plural)}

    def score(mine, other):
        total = sum(weight * len(keys(mine, plural) & keys(other, plural))
                    for plural, weight in WEIGHTS.items())
        return total + 1 if total and mine.category == other.category else total

    newest = sorted(range(len(articles)), key=lambda i: articles[i].date, reverse=True)
    rank = {i: r for r, i in enumerate(newest)}
    lists = {}
    for i, article in enumerate(articles):
        scored = sorted((-score(article, other), rank[j], j) for j, other in enumerate(articles)
                        if j != i and score(article, other) > 0)
        expected = [articles[j].name for *_, j in scored[:limit]]
        for j in newest:  # too few: the newest of the same category
            if len(expected) >= limit:
                break
            other = articles[j]
            if other.category == article.category and other is not article \
                    and other.name not in expected:
                expected.append(other.name)
        lists[article.name] = expected
    return lists


class _Story(SimpleNamespace):
    """An article stand-in compared by identity, like Pelican's articles."""
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __repr__(self):
        return f"<bài {self.name}>"


def _random_articles(seed, count):
    rnd = random.Random(seed)

    def terms(prefix, count, most):
        return [Item(slug=f"{prefix}{rnd.randrange(count)}") for _ in range(rnd.randint(0, most))]

    articles = [_Story(name=i, source_path=f"/bai/{i}.md",
                       date=datetime(2024, 1, 1) + timedelta(days=rnd.randrange(60)),
                       category=rnd.choice(["Tin tức", "Ảnh", "Video"]),
                       campaigns=terms("c", 5, 2), themes=terms("t", 12, 3),
                       tags=terms("g", 40, 3), units=terms("u", 39, 1))
                for i in range(count)]
    articles.sort(key=lambda a: a.date, reverse=True)
    return articles, rnd, terms


def _build(items, conf: dict) -> list:
    """Link ``items`` (newest first) as a build does; return the articles whose list
    differs from the pairwise reference ranking."""
    generator = Item(articles=items, dates=items, path="/bai", settings=conf)
    reading.link_articles([generator])
    expected = _pairwise_related(items, conf["READING"]["related"])
    return [a.name for a in items if [o.name for o in a.related_articles] != expected[a.name]]


def test_related_ranking_matches_pairwise_scores_on_a_large_random_site():
    """The bit-sliced ranking gives, for every article, exactly the list that scoring every
    pair and sorting by score, then newest, gives."""
    articles, _, _ = _random_articles(9, 600)
    index = reading.RelatedIndex(articles)
    expected = _pairwise_related(articles)
    for article in articles:
        assert [a.name for a in index.related(article, 4)] == expected[article.name], article.name


def test_related_lists_after_an_edit_match_a_full_ranking():
    """A second build in the same process (``invoke livereload``, no cache folder here) ranks
    again only the articles an edit, a removal or an addition can change; every list equals
    the pairwise reference ranking."""
    articles, rnd, terms = _random_articles(5, 300)
    conf = {"READING": {"related": 4}}
    store._MEMORY.clear()
    try:
        assert not _build(articles, conf)
        for step in range(6):
            edited = copy.copy(articles)
            at = rnd.randrange(len(edited))
            changed = copy.copy(edited[at])
            changed.themes, changed.tags = terms("t", 12, 3), terms("g", 40, 3)
            if step % 2:
                changed.campaigns = terms("c", 5, 2)
            edited[at] = changed
            articles = edited
            assert not _build(articles, conf), step
            assert reading.LAST_COUNTS["ranked"] < len(articles) // 4
        del articles[rnd.randrange(len(articles))]  # an article removed
        assert not _build(articles, conf)
        for step, when in enumerate((datetime(2024, 3, 5), datetime(2024, 1, 20, 12),
                                     datetime(2023, 12, 1))):  # added: newest, middle, oldest
            added = _Story(name=f"moi-{step}", source_path=f"/bai/moi-{step}.md",
                           date=when + timedelta(minutes=step),
                           category=rnd.choice(["Tin tức", "Ảnh", "Video"]),
                           campaigns=terms("c", 5, 2), themes=terms("t", 12, 3),
                           tags=terms("g", 40, 3), units=terms("u", 39, 1))
            articles = sorted([*articles, added], key=lambda a: a.date, reverse=True)
            assert not _build(articles, conf), added.name
            assert reading.LAST_COUNTS["ranked"] < 10
    finally:
        store._MEMORY.clear()


# A small site with few terms, so that ties, full lists and lists the category fills are
# common; each step changes one thing, as an editor would.
_TERMS = st.lists(st.integers(0, 3), max_size=3, unique=True)
_ARTICLE = st.fixed_dictionaries({
    "day": st.integers(0, 6), "category": st.sampled_from(["Tin tức", "Ảnh", "Video"]),
    "campaigns": st.lists(st.integers(0, 1), max_size=1), "themes": _TERMS, "tags": _TERMS,
    "units": st.lists(st.integers(0, 2), max_size=1)})
_STEP = st.tuples(st.sampled_from(["add", "body", "tags", "delete", "date", "category",
                                   "unit", "campaign", "order"]),
                  st.integers(0, 10_000), _ARTICLE,
                  st.booleans())  # True: a new process (the kept file is read)


_ADDED = itertools.count()  # names of added articles: every file name new


def _story(name: str, fields: dict) -> _Story:
    return _Story(name=name, source_path=f"/bai/{name}.md", text="",
                  date=datetime(2024, 1, 1, 8) + timedelta(days=fields["day"]),
                  category=fields["category"],
                  **{plural: [Item(slug=f"{plural[0]}{i}") for i in fields[plural]]
                     for plural in ("campaigns", "themes", "tags", "units")})


def _change(articles: list, step) -> list:
    """``articles`` after one editor's change (or the same files read in another order);
    every object new, as in a new build."""
    kind, at, fields, _ = step
    articles = [copy.copy(a) for a in articles]
    if kind == "add" or not articles:
        articles.append(_story(f"moi-{next(_ADDED)}", fields))
    elif kind == "delete":
        del articles[at % len(articles)]
    elif kind == "order":  # files read in another order: articles of the same date swap
        articles.reverse()
    else:
        target = articles[at % len(articles)]
        if kind == "body":
            target.text += " Bản sửa."
        elif kind == "date":
            target.date = _story("x", fields).date + timedelta(hours=at % 5)
        elif kind == "category":
            target.category = fields["category"]
        else:
            plural = {"tags": "tags", "unit": "units", "campaign": "campaigns"}[kind]
            setattr(target, plural, getattr(_story("x", fields), plural))
    return sorted(articles, key=lambda a: a.date, reverse=True)  # as Pelican lists them


@hsettings(max_examples=60, deadline=None)
@given(start=st.lists(_ARTICLE, min_size=1, max_size=24), steps=st.lists(_STEP, max_size=8),
       limit=st.integers(1, 4))
def test_kept_ranking_after_any_change_equals_a_full_ranking(start, steps, limit):
    """After each change the lists equal the pairwise reference, and the ranking kept in
    the cache folder equals one made from nothing; a change of text ranks no list."""
    with tempfile.TemporaryDirectory() as folder:
        conf = {"READING": {"related": limit}, "CACHE_PATH": f"{folder}/cache",
                "OUTPUT_PATH": f"{folder}/out"}
        store._MEMORY.clear()
        articles = sorted((_story(f"bai-{i}", f) for i, f in enumerate(start)),
                          key=lambda a: a.date, reverse=True)
        assert not _build(articles, conf)
        for step in steps:
            edited = step[0] == "body" and bool(articles)  # (on no article: one added)
            articles = _change(articles, step)
            if step[3]:
                store._MEMORY.clear()
            assert not _build(articles, conf), step
            if edited:
                assert reading.LAST_COUNTS["ranked"] == 0
            store._MEMORY.clear()
            kept = store.load(conf, reading.ranking_key(limit))  # from the file
            if not articles:
                assert kept == {}
                continue
            kept, = kept.values()
            fresh = reading.relate([copy.copy(a) for a in articles], limit, None)
            assert kept.to_json() == fresh.to_json(), step
    store._MEMORY.clear()


def test_a_damaged_kept_ranking_warns_and_ranks_every_list(tmp_path, caplog):
    """A kept file that cannot be read (cut short, not JSON, lists of the wrong shape, a
    position past the end, bytes that are not UTF-8) never stops the build: a warning in
    Vietnamese names the file, and every list is ranked as from nothing."""
    articles, _, _ = _random_articles(3, 60)
    conf = {"READING": {"related": 4}, "CACHE_PATH": str(tmp_path / "cache"),
            "OUTPUT_PATH": str(tmp_path / "out")}
    store._MEMORY.clear()
    assert not _build(articles, conf)
    kept = store.ranking_file(conf)
    good = kept.read_text(encoding="utf-8")
    found = json.loads(good)
    ranking, = found["rankings"].values()
    shapes = [good[:len(good) // 2], "không phải JSON", "[]", b"\xff\xfe{}",
              json.dumps({**found, "rankings": {"x": {**ranking, "related": [[10 ** 6]] * 60}}}),
              json.dumps({**found, "rankings": {"x": {**ranking, "scores": "hỏng"}}}),
              json.dumps({**found, "rankings": {"x": {**ranking, "paths": [1] * 60}}})]
    for damaged in shapes:
        store._MEMORY.clear()
        if isinstance(damaged, bytes):
            kept.write_bytes(damaged)
        else:
            kept.write_text(damaged, encoding="utf-8")
        caplog.clear()
        with caplog.at_level("WARNING", logger="plugins.reading.ranking"):
            assert not _build([copy.copy(a) for a in articles], conf), damaged[:40]
        assert reading.LAST_COUNTS["ranked"] == len(articles), damaged[:40]
        said = [r.getMessage() for r in caplog.records]
        if damaged != "[]":  # valid JSON of another shape: simply another version
            assert len(said) == 1 and str(kept) in said[0] and "không đọc được" in said[0]
    store._MEMORY.clear()


def test_a_kept_ranking_is_read_once_per_process_and_again_when_the_file_changes(tmp_path,
                                                                                  caplog):
    """A live session reads the kept file at its first build only (an edit of text alone
    writes nothing, and used to read it again at every save); a file replaced since, by
    another process, is read again."""
    articles, _, _ = _random_articles(5, 60)
    conf = {"READING": {"related": 4}, "CACHE_PATH": str(tmp_path / "cache"),
            "OUTPUT_PATH": str(tmp_path / "out")}
    store._MEMORY.clear()
    assert not _build(articles, conf)
    store._MEMORY.clear()  # a new process: the file is all there is
    kept = store.ranking_file(conf)
    read = store.load(conf, reading.ranking_key(4))
    assert store.load(conf, reading.ranking_key(4)) is read  # not read again
    assert not _build([copy.copy(a) for a in articles], conf)
    assert reading.LAST_COUNTS["ranked"] == 0
    kept.write_text("không phải JSON", encoding="utf-8")  # another process wrote it
    with caplog.at_level("WARNING", logger="plugins.reading.ranking"):
        assert not _build([copy.copy(a) for a in articles], conf)
    assert reading.LAST_COUNTS["ranked"] == len(articles)
    assert any(str(kept) in r.getMessage() for r in caplog.records)
    store._MEMORY.clear()


def test_other_settings_or_an_unwritable_cache_rank_every_list(tmp_path, caplog):
    """Another ``READING["related"]`` ranks every list (with the new length); a cache
    folder that cannot be written, or a path the file cannot hold, gives a warning, and the
    next build ranks every list."""
    articles, _, _ = _random_articles(4, 80)
    conf = {"READING": {"related": 4}, "CACHE_PATH": str(tmp_path / "cache"),
            "OUTPUT_PATH": str(tmp_path / "out")}
    store._MEMORY.clear()
    assert not _build(articles, conf)
    store._MEMORY.clear()
    assert not _build([copy.copy(a) for a in articles], conf)
    assert reading.LAST_COUNTS["ranked"] == 0
    store._MEMORY.clear()
    assert not _build(articles, {**conf, "READING": {"related": 3}})
    assert reading.LAST_COUNTS["ranked"] == len(articles)
    assert all(len(a.related_articles) <= 3 for a in articles)

    blocked = tmp_path / "tep"
    blocked.write_text("một tệp, không phải thư mục", encoding="utf-8")
    conf = {**conf, "CACHE_PATH": str(blocked)}
    with caplog.at_level("WARNING", logger="plugins.reading.ranking"):
        assert not _build(articles, conf)
    assert any("không ghi được" in r.getMessage() for r in caplog.records)
    store._MEMORY.clear()
    assert not _build([copy.copy(a) for a in articles], conf)
    assert reading.LAST_COUNTS["ranked"] == len(articles)

    odd = copy.copy(articles[0])  # a file name that is not UTF-8 (from a shared folder)
    odd.source_path, odd.name = "/bai/t\udcffn.md", "odd"
    conf = {**conf, "CACHE_PATH": str(tmp_path / "cache-2")}
    caplog.clear()
    with caplog.at_level("WARNING", logger="plugins.reading.ranking"):
        assert not _build([odd, *articles[1:]], conf)
    assert any("không ghi được" in r.getMessage() for r in caplog.records)
    store._MEMORY.clear()
