"""The output depends only on the input: same bytes on every run, from a cold build or a warm
cache, read on one core or two, and from a live session updated file by file."""
from __future__ import annotations

import gc
import logging
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from benchmarks import corpus
from benchmarks.corpus import Changes
from newsroom.build import livereload, site

from tests.helpers import article, tree

N = 100


def assert_same(left: Path, right: Path, extra_left=()):
    a, b = tree(left), tree(right)
    for name in [n for n in a if n not in b and n.startswith(tuple(extra_left))]:
        del a[name]
    assert sorted(a) == sorted(b), (set(a) ^ set(b))
    different = [name for name in a if a[name] != b[name]]
    assert not different, different[:10]


@pytest.fixture(scope="module")
def content(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus") / "content"
    corpus.generate(folder, N)
    return folder


def build(content, out, cache_path, settings=None, skip_unchanged=False, **fast):
    options = {"workers": 2, "cache": True, **fast}
    site.build("pelicanconf.py", PATH=content, OUTPUT_PATH=out, CACHE_PATH=cache_path,
               NEWSROOM_STRICT=True, FASTBUILD=options, skip_unchanged=skip_unchanged,
               **(settings or {}))


def build_without_fastbuild(content, out, **settings):
    """Pelican's own reader loop and writer (the plugin not listed at all)."""
    plugins = [p for p in site.settings_for("pelicanconf.py")["PLUGINS"]
               if p != "plugins.fastbuild"]
    site.build("pelicanconf.py", PATH=content, OUTPUT_PATH=out, NEWSROOM_STRICT=True,
               PLUGINS=plugins, **settings)


@pytest.mark.speed
def test_same_bytes_cold_warm_and_as_pelican_alone(content, tmp_path):
    build(content, tmp_path / "cold", tmp_path / "cache")  # read and rendered on two cores
    build(content, tmp_path / "warm", tmp_path / "cache")  # everything read from the cache
    build_without_fastbuild(content, tmp_path / "plain")  # Pelican's own code paths
    build(content, tmp_path / "classic", tmp_path / "cache", {"PAGINATION_STABLE": False})
    build_without_fastbuild(content, tmp_path / "plain-classic", PAGINATION_STABLE=False)
    assert len(list((tmp_path / "cold").rglob("index.html"))) > N
    assert_same(tmp_path / "cold", tmp_path / "warm")
    # Stable paging (plugins.paging) and every feed: the same bytes without the speed layer.
    assert_same(tmp_path / "cold", tmp_path / "plain")
    assert_same(tmp_path / "classic", tmp_path / "plain-classic")
    # The pages of a paginated list follow each other.
    assert (tmp_path / "cold" / "trang" / "2" / "index.html").is_file()


@pytest.mark.speed
def test_translations_are_grouped_as_pelican_alone_groups_them(tmp_path, caplog):
    """The speed layer's grouping of translations (linear, most articles alone) picks the
    same originals and translations, and says the same warnings, as Pelican's own."""
    work = tmp_path / "content" / "bai-viet" / "than-ha-lam" / "2026"
    work.mkdir(parents=True)
    files = {
        "mot-minh.md": article(title="Tin một mình", date="2026-01-02 07:00"),
        "ban-goc.md": article(title="Tin có bản dịch", date="2026-01-03 07:00",
                              slug="tin-co-ban-dich"),
        "ban-dich.md": article(title="News with a translation", date="2026-01-03 07:00",
                               slug="tin-co-ban-dich", lang="en", translation="true"),
        "chi-ban-dich.md": article(title="Only a translation", date="2026-01-04 07:00",
                                   lang="en", translation="true"),
    }
    for name, text in files.items():
        (work / name).write_text(text, encoding="utf-8")
    said = {}
    plugins = site.settings_for("pelicanconf.py")["PLUGINS"]
    for label, listed in (("fast", plugins), ("plain", [p for p in plugins
                                                      if p != "plugins.fastbuild"])):
        # a folder of its own: Pelican says a message once per process (its LimitFilter)
        shutil.copytree(tmp_path / "content", tmp_path / f"content-{label}")
        caplog.clear()
        with caplog.at_level("WARNING"):  # not strict: Pelican's warnings are the point
            site.build("pelicanconf.py", PATH=tmp_path / f"content-{label}",
                       OUTPUT_PATH=tmp_path / label, CACHE_PATH=tmp_path / f"cache-{label}",
                       PLUGINS=listed)
        said[label] = sorted(r.getMessage().replace(f"content-{label}", "content")
                             for r in caplog.records if "translation" in r.getMessage())
    assert_same(tmp_path / "fast", tmp_path / "plain")
    assert said["fast"] == said["plain"] and said["fast"]  # "All items ... are translations"
    page = tmp_path / "fast" / "2026" / "01" / "tin-co-ban-dich" / "index.html"
    assert "Tin có bản dịch" in page.read_text(encoding="utf-8")


@pytest.mark.speed
def test_live_updates_equal_a_full_build(content, tmp_path):
    work = tmp_path / "content"
    shutil.copytree(content, work)
    # An article that links to another by its file: the link follows the other's move.
    target = sorted(work.glob("bai-viet/*/*/*.md"))[5]
    linking = work / "bai-viet" / "than-ha-lam" / "2026" / "xem-them.md"
    linking.parent.mkdir(parents=True, exist_ok=True)
    linking.write_text(article(
        title="Xem thêm bài cũ", date="2026-01-01 06:00",
        body=f"Đọc [bài trước]({{filename}}/{target.relative_to(work).as_posix()}), tải "
             "[biểu mẫu]({static}/tai-lieu/bieu-mau.pdf)."), encoding="utf-8")
    (work / "tai-lieu").mkdir()  # outside the static folders: copied because it is linked
    (work / "tai-lieu" / "bieu-mau.pdf").write_bytes(b"%PDF-1.4 bieu mau\n")
    session = livereload.Session(PATH=work, OUTPUT_PATH=tmp_path / "live",
                                 CACHE_PATH=tmp_path / "cache", NEWSROOM_STRICT=True)
    indexed = []  # the seconds of each background search index run
    session.on_background_done = indexed.append
    first = session.update()
    assert first["rendered"] > N
    again = session.update()
    assert again["rendered"] == 0 and again["written"] == 0

    linked = tmp_path / "live" / "2026" / "01" / "xem-them-bai-cu" / "index.html"
    before = re.search(r'href="([^"]+)">bài trước', linked.read_text(encoding="utf-8"))[1]
    text = target.read_text(encoding="utf-8")
    target.write_text(re.sub(r"^Date: \d{4}-\d\d", "Date: 2019-12", text, flags=re.M),
                      encoding="utf-8")
    session.update(files_changed=False, paths=[target])
    after = re.search(r'href="([^"]+)">bài trước', linked.read_text(encoding="utf-8"))[1]
    assert after != before and "/2019/12/" in after
    assert (tmp_path / "live" / "tai-lieu" / "bieu-mau.pdf").is_file()

    changes = Changes(work, N)
    changes.edit(0)
    edited = session.update()
    assert 0 < edited["rendered"] < 40 and edited["written"] >= 1
    changes.edit(1)  # as the watcher reports it: only this file looked at again
    edited = session.update(files_changed=False, paths=[changes.edited])
    assert 0 < edited["rendered"] < 40 and edited["written"] >= 1
    changes.add(0)
    added = session.update()
    assert added["written"] >= 1
    # Added as the watcher reports it: only the new file is looked at, not the whole tree.
    plain = work / "bai-viet" / "than-ha-lam" / "2026" / "tin-moi-truc-tiep.md"
    plain.parent.mkdir(parents=True, exist_ok=True)
    plain.write_text(article(title="Tin mới đăng khi đang xem trước", date="2026-01-02 07:00"),
                     encoding="utf-8")
    added = session.update(files_changed=True, paths=[plain])
    assert added["written"] >= 1 and 0 < added["rendered"] < 120
    photo = sorted(work.glob("bai-viet/*/*/*/anh-bia.jpg"))[0]
    photo.write_bytes(corpus.image_bytes(9999))  # a photo replaced, its article untouched
    replaced = session.update(files_changed=False, paths=[photo])
    assert replaced["rendered"] >= 1  # its article was read again (new photos, same text)
    # A folder moved in whole (the watcher reports the folder alone): the article in it and
    # its photo folder are read; the folder moved out again takes its page with it.
    staged = tmp_path / "staged" / "2027"
    (staged / "tin-ca-thu-muc").mkdir(parents=True)
    (staged / "tin-ca-thu-muc.md").write_text(
        article(title="Tin chuyển vào cả thư mục", date="2026-01-03 07:00",
                image="tin-ca-thu-muc/anh-bia.jpg", image_alt="Ảnh bìa",
                body="![Ảnh trong bài]({static}tin-ca-thu-muc/anh-bia.jpg)"), encoding="utf-8")
    (staged / "tin-ca-thu-muc" / "anh-bia.jpg").write_bytes(corpus.image_bytes(4242))
    moved_in = work / "bai-viet" / "than-ha-lam" / "2027"
    staged.rename(moved_in)
    came = session.update(files_changed=True, paths=[moved_in])
    page = tmp_path / "live" / "2026" / "01" / "tin-chuyen-vao-ca-thu-muc" / "index.html"
    shown = page.read_text(encoding="utf-8")
    assert "Tin chuyển vào cả thư mục" in shown and 'alt="Ảnh trong bài"' in shown
    assert came["written"] >= 1 and 0 < came["rendered"] < 120
    # Replaced by another folder of the same name in one go (one event for the watcher): the
    # article that went with the old folder goes too.
    other = tmp_path / "other" / "2027"
    other.mkdir(parents=True)
    (other / "tin-thay-the.md").write_text(
        article(title="Tin thay thế cả thư mục", date="2026-01-04 07:00"), encoding="utf-8")
    moved_in.rename(staged)
    other.rename(moved_in)
    swapped = session.update(files_changed=True, paths=[moved_in])
    assert swapped["removed"] >= 1 and not page.exists()
    assert (tmp_path / "live" / "2026" / "01" / "tin-thay-the-ca-thu-muc" / "index.html").is_file()
    shutil.rmtree(moved_in)
    session.update(files_changed=True, paths=[moved_in])
    # An article's photo folder replaced whole by one with another photo: the article is read
    # again (its folder, not a file in it, is what the watcher names).
    folder = sorted(p for p in work.glob("bai-viet/*/*/*") if p.is_dir()
                    and (p / "anh-bia.jpg").is_file() and p.with_suffix(".md").is_file())[1]
    fresh = tmp_path / "fresh-photos"
    fresh.mkdir()
    (fresh / "anh-bia.jpg").write_bytes(corpus.image_bytes(7777))
    folder.rename(tmp_path / "old-photos")
    fresh.rename(folder)
    again_read = session.update(files_changed=True, paths=[folder])
    assert again_read["rendered"] >= 1
    # Moved out whole: the article is read again, and its missing photo said (strict: the
    # update stops); moved back, the session goes on.
    folder.rename(tmp_path / "photos-gone")
    with pytest.raises(Exception, match="không tìm thấy ảnh"):
        session.update(files_changed=True, paths=[folder])
    (tmp_path / "photos-gone").rename(folder)
    session.update(files_changed=True, paths=[folder])  # its page as before: nothing to render
    victim = sorted(work.glob("bai-viet/*/*/*.md"))[3]
    victim.unlink()
    removed = session.update(files_changed=True, paths=[victim])
    assert removed["removed"] >= 1

    # The search index follows each update in the background, after the pages are served.
    session.wait()
    index = tmp_path / "live" / "pagefind" / "shards.json"
    assert index.is_file() and indexed  # and, below, the same bytes as a full build's index
    build(work, tmp_path / "full", tmp_path / "cache-full", workers=1, cache=False)  # one core
    # Photos the images plugin made for the deleted article stay until a clean build, as with
    # any build into an existing output folder; every page and feed is as a full build makes it.
    images = session.settings.get("IMAGES", {}).get("output_dir", "anh") + "/"
    assert_same(tmp_path / "live", tmp_path / "full", extra_left=[images])
    new = changes.added[0].stem
    assert any(new in name for name in tree(tmp_path / "live"))


@pytest.mark.speed
def test_a_live_session_lets_go_of_the_articles_an_edit_replaced(content, tmp_path):
    """A reporter saves the same article all day: the session holds the article as last read,
    not every earlier reading of it (Pelican caches each article's body for good)."""
    import weakref

    work = tmp_path / "content"
    shutil.copytree(content, work)
    session = livereload.Session(PATH=work, OUTPUT_PATH=tmp_path / "live",
                                 CACHE_PATH=tmp_path / "cache")
    try:
        session.update()
        session.settle()
        changes = Changes(work, N)
        path = os.path.relpath(changes.edited, work)
        first = weakref.ref(next(data for (_, name), (_, data) in session.items.items()
                                 if name == path))
        assert first() is not None and first().content  # its body cached by Pelican
        for round_ in range(3):
            changes.edit(round_)
            session.update(files_changed=False, paths=[changes.edited], settle_next=True)
            session.settle()
        gc.collect()
        assert first() is None
    finally:
        session.close()


@pytest.mark.speed
def test_a_live_edit_moving_an_article_to_other_terms_and_back_equals_a_full_build(tmp_path):
    """A live session keeps an unchanged term, an article's unchanged list of terms and its
    ranking entry from one update to the next: an article moved to another unit and other
    themes, then back, is on the right term pages, feeds and related lists each time."""
    work = tmp_path / "content"
    corpus.generate(work, 12)
    session = livereload.Session(PATH=work, OUTPUT_PATH=tmp_path / "live",
                                 CACHE_PATH=tmp_path / "cache", NEWSROOM_STRICT=True)
    session.update()
    moved = sorted(work.glob("bai-viet/*/*/*.md"))[2]
    original = moved.read_text(encoding="utf-8")
    unit = next(line for line in original.splitlines() if line.startswith("Unit: "))
    other = "Unit: than-ha-lam" if unit != "Unit: than-ha-lam" else "Unit: than-mao-khe"
    edited = original.replace(unit, other).replace(
        "Tags: ", "Tags: An toàn vệ sinh lao động, Tháng Công nhân, ", 1)
    try:
        for text, label in ((edited, "moved"), (original, "back")):
            moved.write_text(text, encoding="utf-8")
            session.update(files_changed=False, paths=[moved])
            session.wait()  # the search index too
            session.settle()
            full = tmp_path / f"full-{label}"
            build(work, full, tmp_path / f"cache-{label}", workers=1, cache=False)
            images = session.settings.get("IMAGES", {}).get("output_dir", "anh") + "/"
            assert_same(tmp_path / "live", full, extra_left=[images])
    finally:
        session.close()
        gc.unfreeze()  # settle() froze this process's objects


@pytest.mark.speed
def test_unchanged_build_is_skipped(content, tmp_path, caplog):
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(content, out, cache, skip_unchanged=True)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.html")}
    with caplog.at_level(logging.INFO):
        build(content, out, cache, skip_unchanged=True)
    assert "không có gì thay đổi" in caplog.text
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.html")} == before

    caplog.clear()
    article = sorted(content.glob("bai-viet/*/*/*.md"))[0]
    stat = article.stat()
    os.utime(article, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    try:
        with caplog.at_level(logging.INFO):
            build(content, out, cache, skip_unchanged=True)
        assert "không có gì thay đổi" not in caplog.text
        # Rebuilt, yet no file changed: nothing was rewritten.
        assert {p: p.stat().st_mtime_ns for p in out.rglob("*.html")} == before
    finally:
        os.utime(article, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    # Something else wrote into the output (a hand edit, a publish preparing it): build again.
    home = out / "index.html"
    good = home.read_bytes()
    home.write_text("<p>sửa tay</p>", encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        build(content, out, cache, skip_unchanged=True)
    assert "không có gì thay đổi" not in caplog.text
    assert home.read_bytes() == good
    # A build that empties the output first is never skipped, and the next one runs too.
    for delete in (True, False):
        caplog.clear()
        with caplog.at_level(logging.INFO):
            site.build("pelicanconf.py", PATH=content, OUTPUT_PATH=out, CACHE_PATH=cache,
                       NEWSROOM_STRICT=True, DELETE_OUTPUT_DIRECTORY=delete,
                       FASTBUILD={"workers": 2}, skip_unchanged=True)
        assert "không có gì thay đổi" not in caplog.text
