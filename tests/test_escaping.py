"""Metadata is plain text and bodies pass one allowlist: what a hostile article writes shows as
text, never as markup, on its page, on list pages and in the feeds (a real build each time).
The wide attack corpus lives in tests/security/; these are the cases that broke out before."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from newsroom.core import sanitise
from tests.helpers import article

PATH = "bai-viet/than-ha-lam/2020/{}.md"
TITLE = "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; Q&amp;A <b>đậm</b>"
SUMMARY = "Tóm tắt &lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt; <img src=x onerror=alert(3)>"
BODY = """Đoạn đầu có [liên kết xấu][x], [liên kết tốt](https://congdoan.vn/) và
[tương đối](../../chuyen-muc/tin-tuc/).

<img src="x" onerror="alert(4)"> <a href="java&#x09;script:alert(5)">bấm</a>
<svg><script>alert(6)</script></svg> <iframe srcdoc="<script>alert(7)</script>"></iframe>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCg4KTwvc2NyaXB0Pg==">dữ liệu</a>
<p style="background:url(javascript:alert(9))" class="x">kiểu</p>

| Cột trái | Cột phải |
|:--|--:|
| 1 | 2 |

[x]: javascript:alert(10)
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    from newsroom.build import site
    from tests.conftest import BuiltSite
    from tests.helpers import write_files

    root = tmp_path_factory.mktemp("hostile")
    write_files(root / "content", {
        PATH.format("xau"): article(title=TITLE, summary=SUMMARY, body=BODY,
                                   tags="&lt;b&gt;thẻ&lt;/b&gt;, an toàn",
                                   author="<i>Nguyễn</i> &amp; Cộng sự"),
        # Control characters pasted from a broken program (and as references): a feed or a
        # sitemap holding one is not XML, and every reader of it stops.
        PATH.format("ky-tu-dieu-khien"): article(
            title="Tin có ký\x0btự\x01 điều khiển", date="2020-06-09 09:00",
            summary="Tóm\x1b tắt\x00", body="Đoạn\x0c một\x08 có ký tự lạ.\n"),
    })
    out = root / "output"
    settings = site.build("pelicanconf.py", PATH=root / "content", OUTPUT_PATH=out)
    return BuiltSite(out, settings)


def _article_page(built):
    return next(p for p in built.output.glob("2020/*/*/index.html")
                if "Q&A" in BeautifulSoup(p.read_text(encoding="utf-8"), "lxml").h1.get_text())


def test_title_is_text_everywhere_it_is_printed(hostile):
    page = BeautifulSoup(_article_page(hostile).read_text(encoding="utf-8"), "lxml")
    shown = "</title><script>alert(1)</script> Q&A <b>đậm</b>"
    assert page.title.get_text().startswith(shown)
    assert page.h1.get_text() == shown
    assert page.find("meta", property="og:title")["content"] == shown
    assert not [s for s in page.find_all("script") if "alert" in (s.string or "")
                and s.get("type") != "application/ld+json"]
    home = hostile.html("/")
    assert shown in [a.get_text() for a in home.select(".lead-title a, .row-title a, .headlines a")]


def test_summary_and_tags_and_authors_are_text(hostile):
    page = BeautifulSoup(_article_page(hostile).read_text(encoding="utf-8"), "lxml")
    lead = page.select_one(".lead")
    assert lead.get_text() == "Tóm tắt </script><script>alert(2)</script> <img src=x onerror=alert(3)>"
    assert not lead.find_all(True)
    assert page.find("meta", attrs={"name": "description"})["content"].startswith("Tóm tắt </script>")
    assert "<b>thẻ</b>" in [a.get_text() for a in page.select(".tags a")]
    assert "<i>Nguyễn</i> & Cộng sự" in [a.get_text() for a in page.select(".authors a")]
    assert not page.select(".article i, .article b")


def test_body_keeps_only_the_allowlist(hostile):
    page = BeautifulSoup(_article_page(hostile).read_text(encoding="utf-8"), "lxml")
    body = page.select_one(".article-body")
    assert not body.find_all(["script", "svg", "iframe", "style"])
    for tag in body.find_all(True):
        assert not [name for name in tag.attrs if name.startswith("on") or name in
                    ("style", "srcdoc")], tag
        for name in ("href", "src"):
            value = tag.get(name, "")
            assert not value.lower().startswith(("javascript", "data:", "java")), tag
    links = {a.get_text(): a.get("href") for a in body.find_all("a")}
    assert links["liên kết tốt"] == "https://congdoan.vn/"
    assert links["tương đối"] == "../../chuyen-muc/tin-tuc/"
    assert links["liên kết xấu"] is None and links["bấm"] is None and links["dữ liệu"] is None
    assert [th["align"] for th in body.select("th")] == ["left", "right"]


def test_feeds_and_sitemaps_are_well_formed_xml(hostile):
    from lxml import etree

    for url in ("feeds/tat-ca.atom.xml", "sitemap.xml", "sitemap-tin-moi.xml"):
        if hostile.exists(url) or url == "feeds/tat-ca.atom.xml":
            etree.fromstring(hostile.path(url).read_bytes())  # raises on a stray control
    titles = [e.title.get_text() for e in hostile.xml("feeds/tat-ca.atom.xml").find_all("entry")]
    assert "Tin có kýtự điều khiển" in titles


def test_feed_entries_are_plain_text_and_sanitised(hostile):
    feed = hostile.xml("feeds/tat-ca.atom.xml")
    entry = feed.find("entry")
    assert entry.title.get_text() == "</title><script>alert(1)</script> Q&A <b>đậm</b>"
    summary = BeautifulSoup(entry.summary.get_text(), "lxml")  # what a feed reader renders
    assert not summary.find_all(["script", "img"])
    assert "alert(2)" in summary.get_text()
    content = BeautifulSoup(entry.content.get_text(), "lxml")
    assert not content.find_all(["script", "svg", "iframe"])
    assert not [t for t in content.find_all(True) if any(n.startswith("on") for n in t.attrs)]


@pytest.mark.parametrize("markup", [
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" &#106;avascript:alert(1)">x</a>',
    '<img src=x:alert(1) onerror=eval(src)>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<object data="javascript:alert(1)"></object>',
    '<div id="search-form">chiếm id của trang</div>',
    '<a href="vbscript:msgbox(1)">x</a>',
])
def test_sanitiser_drops_script_vectors(markup):
    out = BeautifulSoup(sanitise.clean(markup), "html.parser")
    for tag in out.find_all(True):
        assert tag.name in sanitise.TAGS
        assert set(tag.attrs) <= sanitise.ATTRIBUTES.get(tag.name, set()) | {"class"}
        for name in ("href", "src"):
            assert ":" not in tag.get(name, "") or tag[name].startswith(("http", "mailto", "tel"))
