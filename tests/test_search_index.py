"""The search index: what Pagefind is given (published article pages only) and that the same
pages give the same bundle, byte for byte, names included. Real strict builds, the index read
back from the files the browser downloads."""
from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from plugins.search import bundle
from tests.helpers import article

UNITS = ("than-ha-lam", "than-cao-son", "co-quan-cong-doan-tkv")
CATEGORIES = ("Tin tức", "Bài viết - Phóng sự", "Gương điển hình")


def _files(count: int = 9) -> dict[str, str]:
    files = {}
    for i in range(count):
        unit = UNITS[i % len(UNITS)]
        files[f"bai-viet/{unit}/2020/tin-{i}.md"] = article(
            title=f"Công đoàn đối thoại số {i}", date=f"2020-05-{i + 1:02d} 08:00", unit=unit,
            category=CATEGORIES[(i // 3) % len(CATEGORIES)], tags=f"đời sống, tin {i}",
            body=f"Đoàn viên lò {i} nêu kiến nghị về bữa ăn ca.")
    return files


def _bundle_files(output: Path) -> dict[str, bytes]:
    folder = output / "pagefind"
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _fragments(output: Path) -> list[dict]:
    found = []
    for path in sorted((output / "pagefind").glob("*/fragment/*.pf_fragment")):
        raw = gzip.decompress(path.read_bytes())
        assert raw.startswith(bundle.MAGIC)
        found.append(json.loads(raw[len(bundle.MAGIC):]))
    return found


def test_only_published_article_pages_are_indexed(make_site):
    files = _files(4)
    files["bai-viet/than-ha-lam/2020/ban-nhap.md"] = article(
        title="Bản nháp chưa đăng", date="2020-05-30 08:00", status="draft",
        body="Nội dung nháp về đoàn viên.")
    built = make_site(files, strict=True)
    # The draft page is written with the article template (marked for Pagefind, as a broken
    # article kept out as a draft is), yet only the published articles are handed to Pagefind;
    # list pages never are.
    (draft,) = built.output.glob("ban-nhap/*/index.html")
    assert "data-pagefind-body" in draft.read_text(encoding="utf-8")
    articles = {"/" + str(p.parent.relative_to(built.output)) + "/"
                for p in built.output.rglob("index.html")
                if "data-pagefind-body" in p.read_text(encoding="utf-8") and p != draft}
    assert len(articles) == 4
    fragments = _fragments(built.output)
    assert {f["url"] for f in fragments} == articles
    first = next(f for f in fragments if f["meta"]["title"] == "Công đoàn đối thoại số 0")
    assert first["filters"]["category"] == ["Tin tức"]
    assert "doan" in first["content"].split()  # the folded đ-words are indexed too
    entry = json.loads((built.output / "pagefind" / "2020" / "pagefind-entry.json").read_text())
    assert entry["languages"]["vi"]["page_count"] == 4  # the language of the pages
    assert first["filters"]["year"] == ["2020"]


def test_same_pages_give_the_same_bundle(tmp_path):
    from newsroom.build import site
    from tests.helpers import write_files

    write_files(tmp_path / "content", _files())
    bundles = []
    for run in ("a", "b"):
        out = tmp_path / run
        site.build("pelicanconf.py", PATH=tmp_path / "content", OUTPUT_PATH=out,
                   NEWSROOM_STRICT=True)
        bundles.append(_bundle_files(out))
    assert bundles[0] == bundles[1]
    # ...because each filter lists its values in order, and is named by its own hash
    filters = {}
    for name in (name for name in bundles[0] if name.startswith("2020/filter/")):
        body = gzip.decompress(bundles[0][name])[len(bundle.MAGIC):]
        key, values = bundle.decode(body)
        filters[key] = [value for value, pages in values]
        assert name == f"2020/filter/vi_{hashlib.sha1(body).hexdigest()[:7]}.pf_filter"
    assert len(filters["unit"]) == len(filters["category"]) == 3
    assert all(values == sorted(values) for values in filters.values()), filters


def test_cbor_round_trip_and_unknown_bundle_left_alone(tmp_path):
    value = ["1.5.2", [["vi_abc", 23], ["vi_def", 70000]], [], [["unit", "vi_1234567"]],
             {"k": -3}, b"\x00\x01", 2**40]
    assert bundle.decode(bundle.encode(value)) == value
    # A file that does not encode back to its own bytes (5 written in two bytes) is not ours
    # to rewrite: the bundle stays exactly as Pagefind left it.
    folder = tmp_path / "pagefind"
    (folder / "filter").mkdir(parents=True)
    meta = bundle.encode(["1.5.2", [], [], [["unit", "vi_1234567"]], []])
    odd = bundle.encode(["unit", []])[:-1] + b"\x98\x00"  # an empty array, in a long form
    (folder / "pagefind.vi_0123456789.pf_meta").write_bytes(gzip.compress(bundle.MAGIC + meta))
    (folder / "filter" / "vi_1234567.pf_filter").write_bytes(gzip.compress(bundle.MAGIC + odd))
    (folder / "pagefind-entry.json").write_text(
        '{"version":"1.5.2","languages":{"vi":{"hash":"vi_0123456789","wasm":null,'
        '"page_count":0}}}', encoding="utf-8")
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    with pytest.raises(bundle.UnknownBundle):
        bundle.stabilize(folder)
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def test_pagefind_starts_once_the_article_pages_are_written(make_site):
    """It runs while the build writes the other pages (pages, terms, sitemaps), not after."""
    from pelican import signals

    from plugins.search import search

    seen = []

    def later(generator, **kwargs):  # the pages generator writes after the articles one
        seen.extend(run.process is not None for run in search._RUNNING.values())

    signals.page_writer_finalized.connect(later)
    try:
        built = make_site(_files(3), strict=True)
    finally:
        signals.page_writer_finalized.disconnect(later)
    assert seen == [True]
    assert not search._RUNNING  # waited for, at the end of the build
    assert len(_fragments(built.output)) == 3


def test_a_run_stopped_before_it_ends_leaves_nothing_behind(tmp_path):
    """What a build that raises after Pagefind started does (next build, or exit)."""
    from plugins.search import search

    page = tmp_path / "site" / "2020" / "05" / "a" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text('<html lang="vi"><body><article data-pagefind-body><h1>Công đoàn</h1>'
                    '</article></body></html>', encoding="utf-8")
    run = search.PagefindRun(tmp_path / "site", "pagefind", ["2020/05/a/index.html"])
    assert run.start()
    links = Path(run._folder)
    assert (links / search.ALL / "2020" / "05" / "a" / "index.html").is_symlink()
    run.close()
    assert run.process.poll() is not None and not links.exists()


def _two_years() -> dict[str, str]:
    files = _files(4)
    for i in range(3):
        files[f"bai-viet/than-cao-son/2021/nam-sau-{i}.md"] = article(
            title=f"Thợ lò năm sau số {i}", date=f"2021-03-{i + 1:02d} 08:00", unit="than-cao-son",
            body=f"Tổ đội số {i} vượt kế hoạch than.")
    return files


def test_index_is_made_by_year_and_only_changed_years_again(tmp_path):
    """Parts listed newest first; an edit reindexes its own part only, and the index is then
    the same bytes as a clean build's; a part with no article left goes."""
    from newsroom.build import site
    from tests.helpers import write_files

    content, out, cache = tmp_path / "content", tmp_path / "out", tmp_path / "cache"
    write_files(content, _two_years())
    stale = out / "pagefind" / "pagefind.js"  # the old layout, one bundle for everything
    stale.parent.mkdir(parents=True)
    stale.write_text("// cũ", encoding="utf-8")

    def build(output=out, cache_path=cache):  # four articles a part: a part per year here
        site.build("pelicanconf.py", PATH=content, OUTPUT_PATH=output, CACHE_PATH=cache_path,
                   NEWSROOM_STRICT=True, SEARCH={"part_size": 4})

    build()
    folder = out / "pagefind"
    assert json.loads((folder / "shards.json").read_text()) == {"parts": ["2021", "2020"]}
    assert sorted(p.name for p in folder.iterdir()) == ["2020", "2021", "shards.json"]
    assert not list(folder.glob("*/pagefind-ui.js"))  # Pagefind's own interfaces: not used
    assert {f["url"].split("/")[1] for f in _fragments(out)} == {"2020", "2021"}
    made = {year: (folder / year / "pagefind-entry.json").stat().st_mtime_ns
            for year in ("2020", "2021")}

    edited = content / "bai-viet/than-ha-lam/2020/tin-0.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace(
        "bữa ăn ca", "nhà tắm giặt"), encoding="utf-8")
    build()
    again = {year: (folder / year / "pagefind-entry.json").stat().st_mtime_ns
             for year in ("2020", "2021")}
    assert again["2021"] == made["2021"] and again["2020"] != made["2020"]
    assert any("tắm" in f["content"] for f in _fragments(out))
    build(tmp_path / "clean", tmp_path / "cache-clean")
    assert _bundle_files(out) == _bundle_files(tmp_path / "clean")

    for path in (content / "bai-viet/than-cao-son/2021").glob("*.md"):
        path.unlink()
    build()
    assert json.loads((folder / "shards.json").read_text()) == {"parts": ["2020"]}
    assert not (folder / "2021").exists()


def test_a_part_is_fingerprinted_by_what_pagefind_reads():
    """Related stories, menus, previous/next links change often and are not indexed: they do
    not make a year's index again; the article (nested articles too) and its language do."""
    from plugins.search.shards import body_bytes

    page = ('<html lang="vi"><body><nav>Menu</nav><article class="article" data-pagefind-body>'
            '<h1>Tin</h1><article class="embed">Trích</article><p>Nội dung</p></article>'
            '<nav class="prev-next">Bài sau</nav><section class="related">Liên quan</section>'
            '</body></html>')

    def read(text: str) -> bytes:
        return body_bytes(text.encode("utf-8"))

    outside = page.replace("Bài sau", "Bài khác").replace("Liên quan", "Tin khác")
    assert read(outside) == read(page)
    for inside in (page.replace("Trích", "Trích dẫn"), page.replace("Nội dung", "Nội dung mới"),
                   page.replace('lang="vi"', 'lang="en"')):
        assert read(inside) != read(page)
    # A page laid out otherwise counts whole
    assert body_bytes(b"<html><body><p>Tin</p></body></html>") == b"<html><body><p>Tin</p></body></html>"


def test_a_large_year_is_split_into_runs_of_months():
    import datetime as dt

    from plugins.search.shards import part_names

    busy = [dt.datetime(2025, month, 10) for month in range(1, 13) for _ in range(3)]  # 36
    quiet = [dt.datetime(year, 5, 1) for year in (2020, 2021, 2022, 2023, 2024, 2026)]
    names = part_names(busy + quiet, size=10)
    # 36 articles, at most about 10 a part: four runs of three months, named by their first
    assert sorted(set(names[:36])) == ["2025-01", "2025-04", "2025-07", "2025-10"]
    assert names[:36].count("2025-04") == 9
    # quiet years share a part, but never across the split year: parts follow in time
    assert names[36:] == ["2020-2024"] * 5 + ["2026"]
    assert set(part_names(busy, size=36)) == {"2025"}
    assert set(part_names(busy, size=20)) == {"2025-01", "2025-07"}
    assert part_names(quiet, size=2) == ["2020-2021", "2020-2021", "2022-2023", "2022-2023",
                                         "2024-2026", "2024-2026"]


def test_builds_into_two_outputs_keep_each_its_own_fingerprints(tmp_path):
    """Two outputs built with one cache folder (a preview and a publish, or tests side by side):
    each keeps what it knows, and a second build of either remakes nothing."""
    from newsroom.build import site
    from tests.helpers import write_files

    write_files(tmp_path / "content", _files(3))
    cache = tmp_path / "cache"
    outputs = (tmp_path / "a", tmp_path / "b")
    made = {}
    for output in (*outputs, *outputs):
        site.build("pelicanconf.py", PATH=tmp_path / "content", OUTPUT_PATH=output,
                   CACHE_PATH=cache, NEWSROOM_STRICT=True)
        entry = output / "pagefind" / "2020" / "pagefind-entry.json"
        made.setdefault(output, entry.stat().st_mtime_ns)
        assert entry.stat().st_mtime_ns == made[output]  # the second build remade nothing
    assert len(list((cache / "search").glob("*.json"))) == 2
