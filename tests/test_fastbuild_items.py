"""Finished items kept between builds (plugins/fastbuild/itemcache.py): an unchanged article
is not made again by Pelican, a changed one is, the pages are those of a build without any
cache, and the cache steps aside when a plugin listens to items being made or when an
article dated later waits for its hour."""
from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
from pelican import signals
from pelican.contents import Article

from benchmarks import corpus
from benchmarks.corpus import Changes
from newsroom.build import livereload, site
from tests.helpers import tree

pytestmark = pytest.mark.speed

N = 6
#: Seconds until an article "dated soon" is due: more than two builds of N articles take.
SOON = 8


@pytest.fixture()
def made(monkeypatch):
    """How many articles Pelican's reader made in each build (it still makes them)."""
    from pelican.readers import Readers

    counts = []
    original = Readers.read_file

    def read_file(self, *args, **kwargs):
        if kwargs.get("content_class") is Article:
            counts[-1] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Readers, "read_file", read_file)
    return counts


def _build(root, made, **more):
    made.append(0)
    site.build("pelicanconf.py", PATH=root / "content", OUTPUT_PATH=root / "out",
               CACHE_PATH=root / "cache", NEWSROOM_STRICT=True,
               FASTBUILD={"workers": 1}, **more)
    return made[-1]


def test_unchanged_articles_come_back_whole_and_pages_equal_a_build_without_cache(
        tmp_path, made):
    corpus.generate(tmp_path / "content", N)
    assert _build(tmp_path, made) == N
    assert _build(tmp_path, made) == 0  # every article from the cache
    changes = Changes(tmp_path / "content", N)
    changes.edit(0)
    assert _build(tmp_path, made) == 1
    changes.add(0)
    assert _build(tmp_path, made) == 1
    site.build("pelicanconf.py", PATH=tmp_path / "content", OUTPUT_PATH=tmp_path / "full",
               CACHE_PATH=tmp_path / "cache-full", NEWSROOM_STRICT=True,
               FASTBUILD={"workers": 1, "cache": False})
    kept, clean = tree(tmp_path / "out"), tree(tmp_path / "full")
    for extra in [n for n in kept if n not in clean and n.startswith("anh/")]:
        del kept[extra]
    assert sorted(kept) == sorted(clean)
    assert [n for n in kept if kept[n] != clean[n]] == []
    # Settings the items are made with: every article is made again.
    assert _build(tmp_path, made, DEFAULT_DATE_FORMAT="%d-%m-%Y") == N + 1


def test_the_cache_steps_aside_for_plugins_that_change_items_as_they_are_made(tmp_path, made):
    corpus.generate(tmp_path / "content", N)
    _build(tmp_path, made)
    seen = []

    def receiver(item):
        seen.append(item)

    signals.content_object_init.connect(receiver)
    try:
        assert _build(tmp_path, made) == N
    finally:
        signals.content_object_init.disconnect(receiver)
    assert sum(isinstance(item, Article) for item in seen) == N


def _dated(content, slug: str, when: dt.datetime) -> None:
    """An article of its own, dated ``when`` (the site's time zone)."""
    source = sorted((content / "bai-viet").rglob("*.md"))[-1]
    text = source.read_text(encoding="utf-8")
    head, body = text.split("\n\n", 1)
    lines = [line for line in head.splitlines() if not line.startswith(("Date:", "Slug:",
                                                                        "Image"))]
    lines += [f"Date: {when:%Y-%m-%d %H:%M:%S}", f"Slug: {slug}"]
    (source.parent / f"{slug}.md").write_text("\n".join(lines) + "\n\n" + body,
                                              encoding="utf-8")


def _pages_of(root, slug: str) -> list[str]:
    """The article's published pages (a draft's preview is under ban-nhap/)."""
    return [name for name in tree(root / "out")
            if f"/{slug}/" in name and not name.startswith("ban-nhap/")]


def test_the_publish_keeps_past_articles_and_makes_future_ones_again_until_their_hour(
        tmp_path, made):
    """The publish hides articles dated later (WITH_FUTURE_DATES off): those already due come
    from the cache; one dated later is made in every build and appears when its hour comes."""
    content = tmp_path / "content"
    corpus.generate(content, N)
    now = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(tzinfo=None)
    _dated(content, "bai-nam-sau", now + dt.timedelta(days=400))
    soon = now + dt.timedelta(seconds=SOON)
    _dated(content, "bai-sap-dang", soon)
    assert _build(tmp_path, made, WITH_FUTURE_DATES=False) == N + 2
    assert _build(tmp_path, made, WITH_FUTURE_DATES=False) == 2  # only the two dated later
    assert _pages_of(tmp_path, "bai-sap-dang") == [] == _pages_of(tmp_path, "bai-nam-sau")
    time.sleep(max(0.0, (soon - dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
                         .replace(tzinfo=None)).total_seconds() + 0.5))
    assert _build(tmp_path, made, WITH_FUTURE_DATES=False) == 2
    assert _pages_of(tmp_path, "bai-sap-dang") != []  # its hour came: it is published
    assert _pages_of(tmp_path, "bai-nam-sau") == []
    assert _build(tmp_path, made, WITH_FUTURE_DATES=False) == 1  # now kept; next year's not


def test_a_build_and_a_live_update_collect_garbage_less_often_and_put_the_collector_back(
        tmp_path):
    import gc

    corpus.generate(tmp_path / "content", 2)
    before = gc.get_threshold()
    during = []

    def receiver(pelican):
        during.append(gc.get_threshold() if gc.isenabled() else "off")

    signals.finalized.connect(receiver)
    try:
        site.build("pelicanconf.py", PATH=tmp_path / "content", OUTPUT_PATH=tmp_path / "out",
                   CACHE_PATH=tmp_path / "cache")
        # and so does each update of a live session (`invoke livereload`)
        live = livereload.Session(PATH=str(tmp_path / "content"),
                                  OUTPUT_PATH=str(tmp_path / "live"),
                                  CACHE_PATH=str(tmp_path / "cache"))
        live.update()
        # a later update (one saved file) collects nothing until it is done
        (tmp_path / "content" / "pages" / "gioi-thieu.md").touch()
        assert gc.isenabled()
        live.update(files_changed=False, settle_next=True)
        assert not gc.isenabled()  # nor just after it, while the page is served (serve)
        live.settle()  # as the browser reloads: collected, and the collector back
        gc.unfreeze()
        assert gc.isenabled()
        live.update(files_changed=False)  # a caller that does not settle: back at once
        assert gc.isenabled()
        live.close()
    finally:
        signals.finalized.disconnect(receiver)
    assert len(during) == 4
    for seen in during[:2]:
        assert seen[0] >= site.GC_THRESHOLD > before[0]
        assert seen[1:] == before[1:]
    assert during[2:] == ["off", "off"]
    assert gc.get_threshold() == before and gc.isenabled()


def test_an_article_whose_hour_comes_while_it_is_made_is_not_kept_as_a_draft(
        tmp_path, monkeypatch):
    """Pelican makes an article a draft when its hour has not come; if the hour comes before
    the cache keeps it (a loaded machine; here its reader is slow), the draft is not kept:
    the next publish build publishes it."""
    from pelican.readers import Readers

    content = tmp_path / "content"
    corpus.generate(content, 2)
    when = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(tzinfo=None) + \
        dt.timedelta(seconds=SOON)
    _dated(content, "bai-dung-gio", when)
    original, drafted = Readers.read_file, []

    def read_file(self, *args, **kwargs):
        item = original(self, *args, **kwargs)
        if getattr(item, "slug", None) == "bai-dung-gio" and item.status == "draft":
            drafted.append(item)
            time.sleep(max(0.0, (item.date - dt.datetime.now(dt.UTC)).total_seconds() + 0.5))
        return item

    monkeypatch.setattr(Readers, "read_file", read_file)
    _build(tmp_path, [], WITH_FUTURE_DATES=False)
    assert drafted and _pages_of(tmp_path, "bai-dung-gio") == []  # made before its hour
    monkeypatch.setattr(Readers, "read_file", original)
    _build(tmp_path, [], WITH_FUTURE_DATES=False)
    assert _pages_of(tmp_path, "bai-dung-gio") != []
