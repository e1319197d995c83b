"""A build that starts in a new process renders only the pages whose inputs changed
(``plugins/fastbuild/pagestore.py``), and its output is byte for byte what a clean full build of
the same inputs makes: after an edit, an addition, a deletion, a template change, a data file
change and a settings change; ``invoke livereload`` shares what the builds keep."""
from __future__ import annotations

import shutil

import pytest

from benchmarks import corpus
from benchmarks.corpus import Changes
from newsroom.build import livereload, site
from newsroom.core.paths import DATA_DIR, ROOT, THEME
from plugins.fastbuild import pagestore

from tests.helpers import tree

N = 40


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A corpus, a theme and data files of this test's own, which it changes."""
    root = tmp_path_factory.mktemp("incremental")
    corpus.generate(root / "content", N)
    shutil.copytree(THEME, root / "theme")
    shutil.copytree(DATA_DIR, root / "data")
    return root


def settings(root, **more):
    return {"PATH": root / "content", "THEME": root / "theme", "NEWSROOM_DATA": root / "data",
            "NEWSROOM_STRICT": True, **more}


def incremental(root, **more) -> tuple[int, int]:
    """A build into the kept output folder; returns how many pages it rendered and skipped
    (as it logs them; Pelican's filter of repeated messages may drop the log line)."""
    site.build("pelicanconf.py", OUTPUT_PATH=root / "out", CACHE_PATH=root / "cache",
               FASTBUILD={"workers": 2}, **settings(root, **more))
    stats = pagestore.last_stats(root / "out")
    return stats["rendered"], stats["skipped"]


def assert_as_full_build(root, name, **more):
    """The kept output folder holds the same files, byte for byte, as a clean build made
    without the speed layer's caches. Photos the images plugin made for a deleted article
    stay (``anh/``), as with any build into an existing output folder."""
    full = root / f"full-{name}"
    site.build("pelicanconf.py", OUTPUT_PATH=full, CACHE_PATH=root / f"cache-{name}",
               FASTBUILD={"workers": 2, "cache": False}, **settings(root, **more))
    kept, clean = tree(root / "out"), tree(full)
    for extra in [n for n in kept if n not in clean and n.startswith("anh/")]:
        del kept[extra]
    assert sorted(kept) == sorted(clean), set(kept) ^ set(clean)
    assert [n for n in kept if kept[n] != clean[n]] == []
    shutil.rmtree(full)


@pytest.mark.speed
def test_fresh_process_builds_render_what_changed_and_equal_a_full_build(inputs):
    root = inputs
    first, skipped = incremental(root)
    assert first > N and skipped == 0
    # A build in a process of its own (as `invoke build` runs): the same digests, so the
    # next build here renders nothing.
    site.build_apart(ROOT, "pelicanconf.py", OUTPUT_PATH=root / "out", CACHE_PATH=root / "cache",
                     **{k: str(v) for k, v in settings(root).items() if k != "NEWSROOM_STRICT"},
                     NEWSROOM_STRICT=True)
    assert incremental(root)[0] == 0
    # `invoke livereload` starts from the same page store, and leaves it for the next build.
    live = livereload.Session(OUTPUT_PATH=root / "out", CACHE_PATH=root / "cache",
                              FASTBUILD={"workers": 2}, **settings(root))
    assert live.update()["rendered"] == 0
    live.close()
    assert incremental(root)[0] == 0

    changes = Changes(root / "content", N)
    changes.edit(0)
    assert 0 < incremental(root)[0] < first // 3
    assert_as_full_build(root, "edit")

    changes.add(0)
    assert 0 < incremental(root)[0] < first // 3
    assert_as_full_build(root, "add")

    victim = sorted((root / "content").glob("bai-viet/*/*/*.md"))[5]
    page = next(p for p in (root / "out").rglob("index.html")
                if victim.stem[:30] in str(p.parent))
    victim.unlink()
    shutil.rmtree(victim.with_suffix(""), ignore_errors=True)
    assert incremental(root)[0] < first // 3
    assert not page.exists() and not page.parent.exists()
    assert_as_full_build(root, "delete")

    # A page changed by hand in the output is made again, though its inputs did not change.
    home = root / "out" / "index.html"
    good = home.read_bytes()
    home.write_text("<p>sửa tay</p>", encoding="utf-8")
    assert incremental(root)[0] == 1
    assert home.read_bytes() == good

    base = root / "theme" / "templates" / "base.html"
    base.write_text(base.read_text(encoding="utf-8") + "<!-- mẫu đã sửa -->\n", encoding="utf-8")
    assert incremental(root)[1] == 0  # every page rendered
    assert_as_full_build(root, "template")

    units = root / "data" / "units.yml"
    units.write_text(units.read_text(encoding="utf-8").replace(
        "short: Cơ quan Công đoàn TKV", "short: Cơ quan CĐ TKV"), encoding="utf-8")
    assert incremental(root)[1] == 0
    assert_as_full_build(root, "data")

    assert incremental(root, FEED_MAX_ITEMS=5)[1] == 0
    assert_as_full_build(root, "settings", FEED_MAX_ITEMS=5)

    # The images plugin gives unchanged articles what they got last build (their photos,
    # social cards, rewritten bodies: plugins/images/store.py); a card removed from the
    # output is noticed and made again.
    stems = {p.stem for p in (root / "content").rglob("*.md")}
    card = next(p for p in sorted((root / "out" / "anh" / "og").glob("*.png"))
                if p.stem in stems)
    card.unlink()
    assert incremental(root, FEED_MAX_ITEMS=5)[0] == 0
    assert card.is_file()
    assert_as_full_build(root, "card", FEED_MAX_ITEMS=5)


def _set_line(path, field: str, value: str) -> None:
    """Set the ``field: value`` line of an article's header."""
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith(f"{field}:"))
    lines[at] = f"{field}: {value}"
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.speed
def test_kept_related_ranking_builds_what_a_full_build_builds(tmp_path, caplog):
    """The related lists kept in the cache folder (``plugins/reading/ranking.py``), read as a
    new process reads them: after an edit of the text (no list ranked), of the tags, of the
    date, a deletion and an addition, the output is byte for byte a clean full build's; a
    damaged file gives a warning and every list is ranked again."""
    from plugins.reading import ranking as store, reading

    root = tmp_path
    corpus.generate(root / "content", N)
    shutil.copytree(THEME, root / "theme")
    shutil.copytree(DATA_DIR, root / "data")

    def fresh_build():
        store._MEMORY.clear()  # what a new process knows: the file
        incremental(root)
        return reading.LAST_COUNTS

    assert fresh_build()["ranked"] == N
    articles = sorted((root / "content").glob("bai-viet/*/*/*.md"))
    changes = Changes(root / "content", N)
    changes.edit(0)
    assert fresh_build()["ranked"] == 0

    tags = next(line for line in articles[1].read_text(encoding="utf-8").split("\n")
                if line.startswith("Tags:"))
    _set_line(articles[7], "Tags", tags[5:].strip() + ", than sạch")
    assert 0 < fresh_build()["ranked"] < N
    assert_as_full_build(root, "tags")

    _set_line(articles[3], "Date", "2021-03-08 07:30")
    assert 0 < fresh_build()["ranked"] < N
    assert_as_full_build(root, "date")

    articles[11].unlink()
    shutil.rmtree(articles[11].with_suffix(""), ignore_errors=True)
    assert fresh_build()["ranked"] < N
    assert_as_full_build(root, "delete")

    changes.add(0)
    assert 0 < fresh_build()["ranked"] < N
    assert_as_full_build(root, "add")

    kept = store.ranking_file({"CACHE_PATH": root / "cache", "OUTPUT_PATH": root / "out"})
    kept.write_text('{"schema": 1, "code": "hỏng', encoding="utf-8")
    changes.edit(1)
    with caplog.at_level("WARNING"):
        assert fresh_build()["ranked"] == N  # every list, as a full ranking
    warned = [r.getMessage() for r in caplog.records if "Bài liên quan" in r.getMessage()]
    assert warned and str(kept) in warned[0] and "xếp lại bài liên quan của mọi bài" in warned[0]


@pytest.mark.speed
def test_a_deletion_and_an_addition_in_one_year_in_one_build_equal_a_full_build(tmp_path):
    """The year's list keeps its length when one article of the year goes and another comes
    in the same build: its pages must show the new one, not the old."""
    root = tmp_path
    corpus.generate(root / "content", N)
    shutil.copytree(THEME, root / "theme")
    shutil.copytree(DATA_DIR, root / "data")
    incremental(root)
    year = str(corpus.END.year)
    victim = sorted((root / "content").glob(f"bai-viet/*/{year}/*.md"))[0]
    victim.unlink()
    shutil.rmtree(victim.with_suffix(""), ignore_errors=True)
    Changes(root / "content", N).add(0)
    assert 0 < incremental(root)[0]
    assert_as_full_build(root, "delete-add")
