"""Page families that would multiply with the archive (themes, tags, authors, the home page's
older pages) keep only their newest pages (``PAGINATION_MAX_PAGES``, plugins/paging): the last
one leads to the year archive, every article stays linked from some list and the sitemap, and
the pages kept keep their addresses and articles."""
from __future__ import annotations

import re
from collections import Counter

import pytest
from pelican.settings import DEFAULT_CONFIG

from benchmarks import corpus
from newsroom.build import site
from plugins.paging.paging import StablePaginator

from tests.conftest import BuiltSite
from tests.helpers import article, write_files

CAPS = {"theme": 2, "tag": 2, "author": 2, "index": 3}
N = 60  # corpus articles: at 3 a page, the big themes and tags have many more than 2 pages


def _corpus_files(n: int) -> dict[str, str]:
    made = corpus.Corpus()
    files = {}
    for index in range(n):
        rel, source, info = made.article(index)
        if info["image"]:  # no photo files in this test: no cover either
            source = re.sub(r"(?m)^(Image|Image_alt): .*\n", "", source)
            source = re.sub(r"!\[[^\]]*\]\(\{static\}[^)]*\)", "", source)
        files[rel] = source
    return files


@pytest.fixture(scope="module")
def families(tmp_path_factory):
    """The corpus's first articles, 3 a page, each capped family kept to a few pages."""
    root = tmp_path_factory.mktemp("families")
    write_files(root / "content", _corpus_files(N))
    out = root / "output"
    settings = site.build("pelicanconf.py", PATH=root / "content", OUTPUT_PATH=out,
                          CACHE_PATH=root / "cache", NEWSROOM_STRICT=True, DEFAULT_PAGINATION=3,
                          PAGINATION_MAX_PAGES=CAPS)
    return BuiltSite(out, settings)


def _pages(built, prefix: str) -> Counter:
    """Pages written per term of a family (``chu-de/<term>/...``)."""
    found = Counter()
    for page in (built.output / prefix).glob("*/**/index.html"):
        found[page.relative_to(built.output / prefix).parts[0]] += 1
    return found


def test_capped_families_keep_their_newest_pages_and_lead_to_the_year_archive(families):
    themes = _pages(families, "chu-de")
    assert themes and max(themes.values()) == CAPS["theme"]  # some theme had more to cut
    assert max(_pages(families, "the").values()) <= CAPS["tag"]
    assert max(_pages(families, "tac-gia").values()) <= CAPS["author"]
    home = sorted(p.parent.name for p in (families.output / "trang").glob("*/index.html"))
    assert len(home) == CAPS["index"] - 1
    # Uncapped families: a category keeps every page, down to trang/2/.
    categories = _pages(families, "chuyen-muc")
    assert max(categories.values()) > CAPS["theme"]
    biggest = max(categories, key=categories.get)
    assert families.exists(f"chuyen-muc/{biggest}/trang/2/")
    # The oldest page kept of a cut theme: no "older" page, a link to the year archive.
    theme = max(themes, key=themes.get)
    first = families.html(f"chu-de/{theme}/")
    older = first.select_one('.pagination a[rel="next"]')["href"].split("localhost:8000")[-1]
    last = families.html(older)
    assert last.select_one('.pagination a[rel="next"]') is None
    onward = [a for a in last.select(".pagination a") if "lưu trữ năm" in a.get_text()]
    assert len(onward) == 1
    year = re.search(r"năm (\d{4})", onward[0].get_text())[1]
    assert onward[0]["href"].endswith(f"/{year}/") and families.exists(f"{year}/")
    oldest_shown = last.select_one(".pagination span").get_text(strip=True)[:10]
    assert oldest_shown.endswith(year)


def test_every_article_is_on_some_list_page_and_in_the_sitemap(families):
    articles = {p.parent.relative_to(families.output).as_posix() + "/"
                for p in families.output.glob("20[0-9][0-9]/[0-9][0-9]/*/index.html")}
    assert len(articles) == N
    linked = set()
    for page in families.output.rglob("index.html"):
        rel = page.parent.relative_to(families.output).as_posix() + "/"
        if rel in articles:
            continue
        for a in families.html(rel if rel != "./" else "").select("main a[href]"):
            linked.add(a["href"].split("localhost:8000")[-1].split("#")[0].lstrip("/"))
    assert articles <= linked, sorted(articles - linked)[:5]
    # A year's archive is one page listing all its articles; luu-tru/ leads to each year.
    years = sorted({url[:4] for url in articles})
    for year in years:
        listed = {a["href"].split("localhost:8000")[-1].lstrip("/")
                  for a in families.html(f"{year}/").select("main .headlines a")}
        assert listed == {url for url in articles if url.startswith(year + "/")}, year
        assert not families.exists(f"{year}/trang/2/")
    index = families.html("luu-tru/").select("main .archive-years a")
    assert [a["href"].rstrip("/").rsplit("/", 1)[-1] for a in index] == years[::-1]
    mapped = {loc.get_text().split("localhost:8000")[-1].lstrip("/")
              for loc in families.xml("sitemap.xml").select("loc")}
    assert articles <= mapped


def _theme_article(i: int) -> dict[str, str]:
    return {f"bai-viet/than-ha-lam/2024/tin-{i}.md": article(
        title=f"Đối thoại số {i} ở Than Hà Lầm", date=f"2024-03-{i + 1:02d} 08:00",
        body="Hội nghị đối thoại tại nơi làm việc.")}


def _titles(built, url: str) -> list[str]:
    return [a.get_text(strip=True) for a in built.html(url).select(".card-title a")]


def test_kept_pages_keep_their_address_and_articles_when_news_is_added(make_site):
    """One theme, 2 articles a page, 3 pages kept. A new article changes the front page
    only; when a block fills, the oldest page kept is no longer written and the next one
    (its articles unchanged) becomes the last, leading to the year archive."""
    caps, base = {"theme": 3}, "chu-de/doi-thoai"
    files = {k: v for i in range(10) for k, v in _theme_article(i).items()}
    built = make_site(files, DEFAULT_PAGINATION=2, PAGINATION_MAX_PAGES=caps)
    # 10 articles in blocks of 2 from the oldest: the front page shows block 5, then
    # trang/5/ (block 4) and trang/4/ (block 3); blocks 1 and 2 are on no page of the theme.
    assert not built.exists(f"{base}/trang/3/") and not built.exists(f"{base}/trang/2/")
    assert _titles(built, f"{base}/trang/4/") == ["Đối thoại số 5 ở Than Hà Lầm",
                                                  "Đối thoại số 4 ở Than Hà Lầm"]
    last = built.html(f"{base}/trang/4/").select_one(".pagination")
    assert last.select_one('a[rel="next"]') is None and "lưu trữ năm 2024" in last.get_text()
    kept = {n: (built.output / base / f"trang/{n}/index.html").read_bytes() for n in (5, 4)}

    built = make_site(_theme_article(10), DEFAULT_PAGINATION=2, PAGINATION_MAX_PAGES=caps)
    assert {n: (built.output / base / f"trang/{n}/index.html").read_bytes()
            for n in (5, 4)} == kept
    assert _titles(built, base + "/")[0] == "Đối thoại số 10 ở Than Hà Lầm"

    built = make_site(_theme_article(11), DEFAULT_PAGINATION=2, PAGINATION_MAX_PAGES=caps)
    assert _titles(built, f"{base}/trang/6/") == ["Đối thoại số 9 ở Than Hà Lầm",
                                                  "Đối thoại số 8 ở Than Hà Lầm"]
    assert _titles(built, f"{base}/trang/5/") == ["Đối thoại số 7 ở Than Hà Lầm",
                                                  "Đối thoại số 6 ở Than Hà Lầm"]
    last = built.html(f"{base}/trang/5/").select_one(".pagination")
    assert last.select_one('a[rel="next"]') is None and "lưu trữ năm 2024" in last.get_text()
    assert built.html(f"{base}/trang/6/").select_one('.pagination a[rel="next"]')[
        "href"].endswith(f"/{base}/trang/5/")


@pytest.mark.parametrize("count,most,expected", [
    (7, None, [1, 2]), (7, 5, [1, 2]), (12, None, [1, 4, 3, 2]), (30, 3, [1, 10, 9]),
    (30, 1, [1]), (2, 1, [1]), (40, 2, [1, 13]),
])
def test_paginator_writes_the_front_page_and_the_newest_blocks(count, most, expected):
    settings = {**DEFAULT_CONFIG, "PAGINATION_PATTERNS": DEFAULT_CONFIG["PAGINATION_PATTERNS"]}
    paginator = StablePaginator("x.html", "x/", list(range(count)), settings, 3, most)
    pages = paginator.pages()
    assert [p.number for p in pages] == expected
    assert [p.cut for p in pages] == [p is pages[-1] and paginator.truncated for p in pages]
    assert pages[-1].has_next() is False
    shown = [item for p in pages for item in p.object_list]
    assert shown == list(range(len(shown)))  # newest first, no gap, none twice
    if most is None:
        assert len(shown) == count


def test_wrong_cap_is_refused_at_start(make_site):
    with pytest.raises(ValueError, match=r"PAGINATION_MAX_PAGES\['tag'\]"):
        make_site({}, PAGINATION_MAX_PAGES={"tag": 0})
