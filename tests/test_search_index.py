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
    job = json.loads((links / "job.json").read_text(encoding="utf-8"))
    assert job["pages"] == {search.ALL: ["2020/05/a/index.html"]}
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


def test_the_newest_year_is_split_into_months_and_merges_back_when_the_year_turns():
    import datetime as dt

    from plugins.search.shards import part_names

    dates = [dt.datetime(2025, 3, 1)] * 5 + [dt.datetime(2026, m, 5) for m in (1, 1, 2, 5, 5, 5)]
    names = part_names(dates, size=6, recent=4)
    assert names == ["2025"] * 5 + ["2026-01"] * 2 + ["2026-02"] + ["2026-05"] * 3
    # newest first, as shards.json lists them and search.js reads them
    assert sorted(set(names), reverse=True) == ["2026-05", "2026-02", "2026-01", "2025"]
    # not past ``recent`` (or 0): the newest year is one part, as the older ones
    assert part_names(dates, size=6, recent=6) == ["2025"] * 5 + ["2026"] * 6
    assert part_names(dates, size=6) == part_names(dates, size=6, recent=0)
    # an article added in the newest month changes no other article's part
    assert part_names([*dates, dt.datetime(2026, 5, 20)], size=6, recent=4)[:11] == names
    # a new year: last year's months are one part again
    turned = part_names([*dates, dt.datetime(2027, 1, 2)], size=6, recent=4)
    assert turned == ["2025"] * 5 + ["2026"] * 6 + ["2027"]


def test_a_page_is_read_again_only_when_its_stat_moved_or_may_hide_a_second_write(tmp_path):
    """The hash of what Pagefind reads of each page is kept by (size, mtime_ns, inode): an
    unchanged page is not read again; a page written twice in one clock tick with the same
    size (same stat) is caught, because it was read less than 2 s after it was written."""
    import os
    import time

    from plugins.search.shards import RACY_NS, PageHashes, fingerprint

    page = tmp_path / "2026" / "05" / "tin" / "index.html"
    page.parent.mkdir(parents=True)
    rel = "2026/05/tin/index.html"

    def body(word: str) -> bytes:
        return f'<html lang="vi"><article data-pagefind-body>{word}</article></html>'.encode()

    page.write_bytes(body("than"))
    first = PageHashes(tmp_path, {}, 0)
    mark, present = fingerprint([rel, "2026/05/khong-co/index.html"], first, "salt")
    assert present == [rel] and first.read == 1 and mark == fingerprint([rel], first, "salt")[0]
    read = first.get(rel)
    written = page.stat().st_mtime_ns
    page.write_bytes(body("mỏ"))  # the same size (4 bytes)...
    os.utime(page, ns=(written, written))  # ...within the same tick: the same stat
    assert list(first.kept[rel][:3]) == [page.stat().st_size, written, page.stat().st_ino]
    second = PageHashes(tmp_path, first.kept, first.now)
    assert fingerprint([rel], second, "salt")[0] != mark and second.get(rel) != read
    assert second.read == 2

    old = time.time_ns() - 10 * RACY_NS  # a page written long before the run looked at it
    os.utime(page, ns=(old, old))
    third = PageHashes(tmp_path, second.kept, second.now)
    assert third.get(rel) == second.get(rel) and third.read == 1  # its stat moved: read
    fourth = PageHashes(tmp_path, third.kept, third.now)
    kept = fourth.get(rel)
    assert kept == third.get(rel) and fourth.read == 0  # unchanged: not read
    fresh = page.with_name("moi.html")  # written again through a new file: a new inode
    fresh.write_bytes(body("than"))
    os.utime(fresh, ns=(old, old))
    fresh.replace(page)
    fifth = PageHashes(tmp_path, fourth.kept, fourth.now)
    assert fifth.get(rel) != kept and fifth.read == 1


def _months() -> dict[str, str]:
    files = _files(3)  # May 2020
    for i, month in enumerate((1, 1, 3, 3, 5, 5)):
        files[f"bai-viet/than-cao-son/2021/thang-{i}.md"] = article(
            title=f"Thợ lò tháng {month} số {i}", date=f"2021-{month:02d}-{i + 1:02d} 08:00",
            unit="than-cao-son", body=f"Tổ đội số {i} vượt kế hoạch than tháng {month}.")
    return files


def test_an_edit_or_an_add_in_the_newest_year_remakes_its_month_only(tmp_path):
    """The newest year in parts of a month: an edit or an add remakes the part of its month
    (the other part folders are not written at all), the index is then the same bytes as a
    clean build's; when a new year begins, last year's months are one part again."""
    from newsroom.build import site
    from tests.helpers import write_files

    content, out, cache = tmp_path / "content", tmp_path / "out", tmp_path / "cache"
    write_files(content, _months())
    folder = out / "pagefind"

    def build(output=out, cache_path=cache):
        site.build("pelicanconf.py", PATH=content, OUTPUT_PATH=output, CACHE_PATH=cache_path,
                   NEWSROOM_STRICT=True, SEARCH={"part_size": 7, "recent_size": 4})

    def parts() -> dict[str, tuple]:
        listed = json.loads((folder / "shards.json").read_text())["parts"]
        return {name: tuple(sorted((str(p.relative_to(folder)), p.stat().st_mtime_ns,
                                    p.read_bytes()) for p in (folder / name).rglob("*")
                                   if p.is_file())) for name in listed}

    build()
    before = parts()
    assert list(before) == ["2021-05", "2021-03", "2021-01", "2020"]
    edited = content / "bai-viet/than-cao-son/2021/thang-2.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("vượt kế hoạch", "về đích"),
                      encoding="utf-8")
    build()
    after = parts()
    assert [name for name in before if after[name] != before[name]] == ["2021-03"]
    assert any("về đích" in f["content"] for f in _fragments(out))

    write_files(content, {"bai-viet/than-ha-lam/2021/moi.md": article(
        title="Tin mới tháng năm", date="2021-05-20 08:00", body="Giao ca an toàn.")})
    build()
    added = parts()
    assert [name for name in after if added[name] != after[name]] == ["2021-05"]
    build(tmp_path / "clean", tmp_path / "cache-clean")
    assert _bundle_files(out) == _bundle_files(tmp_path / "clean")

    write_files(content, {"bai-viet/than-ha-lam/2022/dau-nam.md": article(
        title="Tin đầu năm", date="2022-01-03 08:00", body="Ra quân đầu năm.")})
    build()
    assert list(parts()) == ["2022", "2021", "2020"]
    assert sorted(p.name for p in folder.iterdir()) == ["2020", "2021", "2022", "shards.json"]


def test_the_search_bench_reports_what_a_readers_search_downloads(sample_site):
    """``invoke bench.search`` opens the search page in Chromium as a phone would: it counts
    the requests and KB of the index a query needs, and the query really ran."""
    from benchmarks import bench_search

    parts = json.loads((sample_site.output / "pagefind" / "shards.json").read_text())["parts"]
    found = bench_search.downloads(sample_site.output, ("?q=cong+doan", "?q=zzqxwv"))
    common, none = found["?q=cong+doan"], found["?q=zzqxwv"]
    assert common["found"].startswith("Tìm thấy") and none["found"].startswith("Không tìm thấy")
    # the list, the entry, metadata and filters of each part, Pagefind's script and WebAssembly
    assert common["requests"] >= 4 + 3 * len(parts) and common["kb"] > 20
    assert 0 < common["results_s"] < 120
