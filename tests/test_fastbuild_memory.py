"""What keeps a large build's memory down (plugins/fastbuild): the read cache holds no pickle once
a row is loaded or written, loads the values that items share (campaign and theme decisions,
tags, categories, authors) as one object each, and gives back the same items as Pelican's own
reading."""
from __future__ import annotations

import os
import sqlite3

import pytest

from benchmarks import corpus
from newsroom.build import site
from newsroom.core.tagging import Decision
from plugins.fastbuild.readcache import ReadCache

pytestmark = pytest.mark.speed  # the read cache itself


def _settings(content, cache):
    return site.settings_for("pelicanconf.py", PATH=content, CACHE_PATH=cache)


def _value(settings, n):
    from pelican.urlwrappers import Author, Category, Tag

    metadata = {"title": f"Bài {n}", "tags": [Tag("An toàn lao động", settings),
                                               Tag(f"Từ khóa {n}", settings)],
                "category": Category("Tin tức", settings),
                "authors": [Author("Ban Tuyên giáo", settings)],
                "tagging": {"campaign": [Decision("thang-cong-nhan-2020", "từ khóa “x”")],
                            "theme": [Decision("su-kien", "chủ đề cha của “y”", True)]}}
    return (f"<p>Nội dung {n}</p>", metadata)


def test_rows_share_values_and_drop_pickles(tmp_path):
    content = tmp_path / "content"
    (content / "bai-viet").mkdir(parents=True)
    paths = []
    for n in range(3):
        path = content / "bai-viet" / f"bai-{n}.md"
        path.write_text(f"Title: Bài {n}\n\nNội dung {n}\n", encoding="utf-8")
        paths.append(str(path))
    settings = _settings(content, tmp_path / "cache")

    cache = ReadCache(settings)
    for n, path in enumerate(paths):
        cache.put(path, _value(settings, n))
    cache.save()
    assert all(cache.rows[p][1] is None for p in paths)  # written: no pickle kept
    assert cache.get(paths[0])[1]["title"] == "Bài 0"  # this build's own value

    warm = ReadCache(_settings(content, tmp_path / "cache"))
    # Stamps only: a row's pickle is fetched from the disk when its file is asked for.
    assert all(warm.rows[p][0] and warm.rows[p][1] is None for p in paths)
    values = [warm.get(p) for p in paths]
    assert all(warm.rows[p][1] is None for p in paths)  # read: the pickle is dropped
    assert [v[0] for v in values] == [f"<p>Nội dung {n}</p>" for n in range(3)]
    first, second = values[0][1], values[1][1]
    # Equal values are one object; different ones stay apart.
    assert first["tagging"]["campaign"][0] is second["tagging"]["campaign"][0]
    assert first["tagging"]["theme"][0] is second["tagging"]["theme"][0]
    assert first["tagging"]["theme"][0] == Decision("su-kien", "chủ đề cha của “y”", True)
    assert first["tags"][0] is second["tags"][0]
    assert first["tags"][1] is not second["tags"][1]
    assert [t.name for t in second["tags"]] == ["An toàn lao động", "Từ khóa 1"]
    assert first["category"] is second["category"] and first["authors"][0] is second["authors"][0]
    assert first["category"].settings is warm.settings  # the build's settings, by reference
    assert first["tags"][0].slug == "an-toan-lao-dong"
    # A second ask in the same build gives the same value without the pickle.
    assert warm.get(paths[1]) is values[1]


def test_gone_files_are_dropped_and_a_changed_file_read_again(tmp_path):
    content = tmp_path / "content"
    corpus.generate(content, 3)
    out, cache = tmp_path / "out", tmp_path / "cache"
    options = {"workers": 1, "cache": True}
    site.build("pelicanconf.py", PATH=content, OUTPUT_PATH=out, CACHE_PATH=cache,
               FASTBUILD=options)
    db = cache / "fastbuild.sqlite"
    with sqlite3.connect(db) as conn:
        stored = sorted(p for (p,) in conn.execute("SELECT path FROM items"))
    assert len(stored) >= 3
    gone = next(p for p in stored if "/bai-viet/" in p)
    os.remove(gone)
    edited = next(p for p in stored if "/bai-viet/" in p and p != gone)
    with open(edited, "a", encoding="utf-8") as handle:
        handle.write("\nThêm một câu mới cho bài.\n")
    site.build("pelicanconf.py", PATH=content, OUTPUT_PATH=out, CACHE_PATH=cache,
               FASTBUILD=options)
    with sqlite3.connect(db) as conn:
        now = dict(conn.execute("SELECT path, stamp FROM items"))
    assert gone not in now and edited in now
    size = os.stat(edited).st_size
    assert now[edited].split(":")[0] == str(size)  # the edited file's row was written again
    page = next(out.rglob("index.html"))
    assert page.is_file()
    assert any("Thêm một câu mới cho bài." in p.read_text(encoding="utf-8")
               for p in out.rglob("index.html") if "/20" in str(p))
