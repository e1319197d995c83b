"""What readers, search engines and social networks get: search index, sitemaps, feeds,
canonical URLs, Open Graph, JSON-LD, share links, video, related stories. Real strict builds of a
small site written here, checked in the output."""
from __future__ import annotations

import json
import urllib.parse
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup

from newsroom.build import site
from newsroom.core.text import fold
from plugins.search.search import folded_words
from tests.conftest import BuiltSite
from tests.helpers import article, jpeg, write_files

SITEURL = "https://congdoantkv.vn"
VIDEO_ID = "dQw4w9WgXcQ"

Item = SimpleNamespace  # a stand-in article or term for the ranking tests


FILES = {
    "bai-viet/than-ha-lam/2020/doi-thoai.md": article(
        title="Công đoàn Than Hà Lầm đối thoại với người lao động", date="2020-05-06 08:30",
        modified="2020-05-08 10:00", tags="đối thoại, an toàn lao động",
        summary="Hội nghị đối thoại giải đáp 17 kiến nghị của thợ lò.",
        image="doi-thoai/anh-bia.jpg", image_alt="Công nhân phát biểu tại hội nghị",
        body="Đại diện người lao động nêu kiến nghị về nhà tắm và bữa ăn ca ATVSLĐ."),
    "bai-viet/than-ha-lam/2020/doi-thoai/anh-bia.jpg": jpeg((800, 450), (90, 100, 110), quality=75),
    "bai-viet/than-ha-lam/2020/bua-an-ca.md": article(
        title="Than Hà Lầm nâng chất lượng bữa ăn ca", date="2020-05-20 09:00",
        tags="an toàn lao động", body="Bữa ăn giữa ca trong lò có thêm rau, hoa quả."),
    "bai-viet/co-quan-cong-doan-tkv/2020/phep-nam.md": article(
        title="Nghỉ việc có được trả lương ngày phép chưa nghỉ?", date="2020-06-20 09:00",
        unit="co-quan-cong-doan-tkv", category="Tư vấn pháp luật",
        question="Anh Đ.V.H hỏi: tôi còn 6 ngày phép năm chưa nghỉ thì có được trả lương?",
        laws="Bộ luật Lao động 2019, Điều 113; Nghị định 145/2020/NĐ-CP",
        body="Theo khoản 3 Điều 113, người lao động được thanh toán tiền lương."),
    "bai-viet/than-cao-son/2020/video-thi-dua.md": article(
        title="Video: công nhân Cao Sơn thi đua", date="2020-05-15 07:00", unit="than-cao-son",
        category="Video", video=f"https://www.youtube.com/watch?v={VIDEO_ID}",
        body="Không khí thi đua trên công trường."),
}
NOW = "2020-06-21 10:00"  # the news sitemap keeps the last two days: only the legal item


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> BuiltSite:
    root = tmp_path_factory.mktemp("reader-site")
    content = root / "content"
    write_files(content, FILES)
    settings = site.build("pelicanconf.py", PATH=content, OUTPUT_PATH=root / "output",
                          NEWSROOM_STRICT=True, SITEURL=SITEURL, FEED_DOMAIN=SITEURL,
                          SITEMAPS={"now": NOW})
    return BuiltSite(root / "output", settings)


def _ld(page: BeautifulSoup) -> dict[str, dict]:
    found = {}
    for script in page.select('script[type="application/ld+json"]'):
        data = json.loads(script.string)
        found[data["@type"]] = data
    return found


def _meta(page: BeautifulSoup, prop: str) -> str:
    tag = page.select_one(f'meta[property="{prop}"], meta[name="{prop}"]')
    assert tag is not None, f"thiếu thẻ meta {prop}"
    return tag["content"]


# --- search -------------------------------------------------------------------------------

def test_folded_words_keep_only_words_with_d_bar():
    assert folded_words("Công <b>đoàn</b> ATVSLĐ, Đông Triều; đoàn") == "doan atvsld dong"
    assert folded_words("Thợ mỏ nhận quà") == ""
    assert fold("ĐOÀN") == "doan"


def test_article_pages_are_marked_for_pagefind(built):
    page = built.html("2020/05/cong-doan-than-ha-lam-doi-thoai-voi-nguoi-lao-dong/")
    body = page.select_one("[data-pagefind-body]")
    assert body is not None and body.name == "article"
    assert body.select_one('[data-pagefind-filter="category"]').get_text() == "Tin tức"
    assert body.select_one('[data-pagefind-filter="unit"]').get_text() == "Than Hà Lầm"
    assert body.select_one('[data-pagefind-sort="date"]').get_text() == "2020-05-06T08:30:00+07:00"
    assert body.select_one('[data-pagefind-meta="title"]').get_text().startswith("Công đoàn")
    hidden = body.select_one("p.search-folded[hidden]").get_text().split()
    # đ-words of the title, text and tags, folded: what an accent-free query is matched against
    assert {"doan", "doi", "dai", "dong", "atvsld"} <= set(hidden)
    assert body.select_one(".share")["data-pagefind-ignore"] == "all"
    # Lists, the home page and the search page itself are not indexed
    assert built.html("").select_one("[data-pagefind-body]") is None


def test_search_page_and_index(built):
    page = built.html("tim-kiem/")
    form = page.select_one("#search-form")
    assert form["data-bundle"] == f"{SITEURL}/pagefind/"
    labels = {page.select_one(f'label[for="{s["id"]}"]').get_text() for s in form.select("select")}
    assert {"Chuyên mục", "Đơn vị", "Sắp xếp"} <= labels
    # Options are written at build time, with the values the article pages give Pagefind
    options = {s["data-filter"]: {o["value"]: o.get_text() for o in s.select("option")}
               for s in form.select("select[data-filter]")}
    assert options["category"] == {"": "Tất cả", "Tin tức": "Tin tức (2)",
                                   "Tư vấn pháp luật": "Tư vấn pháp luật (1)", "Video": "Video (1)"}
    assert options["unit"]["Than Hà Lầm"] == "Than Hà Lầm (2)"
    sort = [o["value"] for o in form.select("#sap-xep option")]
    assert sort == ["", "moi", "cu"]
    assert page.select_one('script[type="module"]')["src"] == f"{SITEURL}/theme/js/search.js"
    parts = json.loads((built.output / "pagefind" / "shards.json").read_text())["parts"]
    assert parts == ["2020"]  # the index in parts by year (few articles: one part)
    assert built.exists("pagefind/2020/pagefind.js")
    assert list((built.output / "pagefind" / "2020").glob("pagefind.vi_*.pf_meta")), \
        "chỉ mục tiếng Việt"
    assert options["year"] == {"": "Tất cả", "2020": "2020 (4)"}
    # Every page's header has a search box that leads to the search page
    header_form = built.html("").select_one(".site-header form[role=search]")
    assert header_form["action"] == f"{SITEURL}/tim-kiem/"
    assert header_form.select_one("input")["name"] == "q"


def test_bad_search_setting_stops_the_build(make_site):
    with pytest.raises(ValueError, match="plugins.search: SEARCH có khóa lạ"):
        make_site({"bai-viet/than-ha-lam/2020/a.md": article()}, SEARCH={"urll": "tim/"})


# --- sitemaps, robots.txt, feeds -------------------------------------------------------------

def test_sitemap_lists_pages_with_lastmod(built):
    xml = built.xml("sitemap.xml")
    entries = {u.loc.get_text(): u.lastmod.get_text() if u.lastmod else None
               for u in xml.find_all("url")}
    assert entries[f"{SITEURL}/"] == "2020-06-20T09:00:00+07:00"
    assert entries[f"{SITEURL}/2020/05/cong-doan-than-ha-lam-doi-thoai-voi-nguoi-lao-dong/"] == \
        "2020-05-08T10:00:00+07:00"  # Modified wins over Date
    assert entries[f"{SITEURL}/chuyen-muc/tin-tuc/"] == "2020-05-20T09:00:00+07:00"
    assert entries[f"{SITEURL}/don-vi/than-ha-lam/"] == "2020-05-20T09:00:00+07:00"
    assert f"{SITEURL}/don-vi/" in entries
    assert not [u for u in entries if "404" in u or "tim-kiem" in u or "pagefind" in u]
    assert len(xml.find_all("url")) == len(entries)  # each URL once


def test_a_taxonomy_index_in_the_sitemap_has_the_newest_date_of_all_its_terms():
    """The index of a taxonomy (don-vi/) is as new as the newest article of any of its terms,
    also when a term holds an item that is not in the site's article list (the slow path)."""
    import datetime as dt

    from plugins.sitemaps.sitemaps import sitemap_entries
    from plugins.taxonomies.taxonomies import DEFAULTS, Term

    def item(url, day):
        return SimpleNamespace(url=url, date=dt.datetime(2020, 5, day, 9, tzinfo=dt.UTC))

    newest, other, older = item("moi/", 20), item("khac/", 10), item("cu/", 1)
    conf = {**DEFAULTS, "plural": "don-vi"}
    first, second = (Term("unit", slug, {}, conf, {}) for slug in ("a", "b"))
    first.articles, second.articles = [newest, other], [older]
    context = {"articles": [newest, older],
               "taxonomies": {"unit": {"conf": conf, "terms": [first, second]}}}
    lastmod = dict(sitemap_entries(context, {}))
    assert lastmod["don-vi/"] == newest.date


def test_news_sitemap_keeps_the_last_two_days(built):
    xml = built.xml("sitemap-tin-moi.xml")
    urls = xml.find_all("url")
    assert [u.loc.get_text() for u in urls] == [
        f"{SITEURL}/2020/06/nghi-viec-co-duoc-tra-luong-ngay-phep-chua-nghi/"]
    news = urls[0].find("news")
    assert news.find("language").get_text() == "vi"
    assert news.find("publication_date").get_text() == "2020-06-20T09:00:00+07:00"
    assert news.find("title").get_text() == "Nghỉ việc có được trả lương ngày phép chưa nghỉ?"


def test_robots_txt(built):
    lines = built.text("robots.txt").splitlines()
    assert lines[:2] == ["User-agent: *", "Disallow: /ban-nhap/"]
    assert f"Sitemap: {SITEURL}/sitemap.xml" in lines
    assert f"Sitemap: {SITEURL}/sitemap-tin-moi.xml" in lines


@pytest.mark.parametrize("url, feed", [
    ("", "feeds/tat-ca.atom.xml"),
    ("chuyen-muc/tu-van-phap-luat/", "chuyen-muc/tu-van-phap-luat/feed.xml"),
    ("don-vi/than-ha-lam/", "don-vi/than-ha-lam/feed.xml"),
])
def test_each_list_links_its_feed(built, url, feed):
    links = [a["href"] for a in built.html(url).select('link[rel=alternate][type="application/atom+xml"]')]
    assert f"{SITEURL}/{feed}" in links
    entries = built.xml(feed).find_all("entry")
    assert entries, f"{feed} không có mục nào"


# --- metadata -------------------------------------------------------------------------------

def test_open_graph_twitter_and_canonical(built):
    url = "2020/05/cong-doan-than-ha-lam-doi-thoai-voi-nguoi-lao-dong/"
    page = built.html(url)
    assert page.select_one("link[rel=canonical]")["href"] == f"{SITEURL}/{url}"
    assert _meta(page, "og:locale") == "vi_VN"
    assert _meta(page, "og:type") == "article"
    assert _meta(page, "og:url") == f"{SITEURL}/{url}"
    assert _meta(page, "og:title") == "Công đoàn Than Hà Lầm đối thoại với người lao động"
    og_image = _meta(page, "og:image")
    if "plugins.images" in built.settings["PLUGINS"]:  # its social card comes first
        assert og_image.startswith(f"{SITEURL}/") and built.exists(og_image[len(SITEURL):])
    else:  # else the cover
        assert og_image == f"{SITEURL}/bai-viet/than-ha-lam/2020/doi-thoai/anh-bia.jpg"
    assert _meta(page, "og:image:alt") == "Công nhân phát biểu tại hội nghị"
    assert _meta(page, "twitter:card") == "summary_large_image"
    assert _meta(page, "article:published_time") == "2020-05-06T08:30:00+07:00"
    # No cover (and no card of its own): the site's card, with its size
    other = built.html("2020/05/than-ha-lam-nang-chat-luong-bua-an-ca/")
    if "plugins.images" not in built.settings["PLUGINS"]:
        assert _meta(other, "og:image") == f"{SITEURL}/theme/img/chia-se.png"
    assert (_meta(other, "og:image:width"), _meta(other, "og:image:height")) == ("1200", "630")
    assert _meta(built.html("tim-kiem/"), "og:image") == f"{SITEURL}/theme/img/chia-se.png"
    assert built.exists("theme/img/chia-se.png") and built.exists("theme/img/logo.png")
    # A list page: its own canonical URL, a website
    unit = built.html("don-vi/than-ha-lam/")
    assert unit.select_one("link[rel=canonical]")["href"] == f"{SITEURL}/don-vi/than-ha-lam/"
    assert _meta(unit, "og:type") == "website"
    # The 404 page is not indexed and claims no URL
    missing = built.html("404.html")
    assert missing.select_one("link[rel=canonical]") is None
    assert missing.select_one('meta[name="robots"]')["content"] == "noindex"


def test_json_ld_news_article_and_breadcrumbs(built):
    url = "2020/05/cong-doan-than-ha-lam-doi-thoai-voi-nguoi-lao-dong/"
    ld = _ld(built.html(url))
    news = ld["NewsArticle"]
    assert news["headline"] == "Công đoàn Than Hà Lầm đối thoại với người lao động"
    assert news["image"] == [_meta(built.html(url), "og:image")]
    assert news["datePublished"] == "2020-05-06T08:30:00+07:00"
    assert news["dateModified"] == "2020-05-08T10:00:00+07:00"
    assert news["author"] == [{"@type": "Person", "name": "Nguyễn Văn An"}]
    assert news["publisher"]["name"] == "Công đoàn Than – Khoáng sản Việt Nam"
    assert news["publisher"]["logo"]["url"] == f"{SITEURL}/theme/img/logo.png"
    assert news["mainEntityOfPage"]["@id"] == f"{SITEURL}/{url}"
    crumbs = ld["BreadcrumbList"]["itemListElement"]
    assert [(c["position"], c["name"]) for c in crumbs] == [
        (1, "Trang chủ"), (2, "Tin tức"),
        (3, "Công đoàn Than Hà Lầm đối thoại với người lao động")]
    assert crumbs[1]["item"] == f"{SITEURL}/chuyen-muc/tin-tuc/"
    assert "FAQPage" not in ld


def test_legal_advice_is_question_answer_with_laws_and_faq(built):
    page = built.html("2020/06/nghi-viec-co-duoc-tra-luong-ngay-phep-chua-nghi/")
    assert page.select_one(".qa-question").get_text(strip=True).startswith("Anh Đ.V.H hỏi")
    assert [h.get_text() for h in page.select(".qa-label")] == ["Hỏi", "Trả lời"]
    assert [li.get_text() for li in page.select(".laws li")] == [
        "Bộ luật Lao động 2019, Điều 113", "Nghị định 145/2020/NĐ-CP"]
    faq = _ld(page)["FAQPage"]["mainEntity"][0]
    assert faq["name"].startswith("Anh Đ.V.H hỏi: tôi còn 6 ngày phép năm")
    assert faq["acceptedAnswer"]["text"].startswith("Theo khoản 3 Điều 113")


# --- reading and sharing ----------------------------------------------------------------------

def test_share_links_load_no_third_party_script(built):
    url = "2020/05/cong-doan-than-ha-lam-doi-thoai-voi-nguoi-lao-dong/"
    share = built.html(url).select_one(".share")
    fb = share.select_one("a.share-fb")
    parsed = urllib.parse.urlparse(fb["href"])
    assert parsed.netloc == "www.facebook.com"
    assert urllib.parse.parse_qs(parsed.query)["u"] == [f"{SITEURL}/{url}"]
    assert fb["rel"] == ["noopener", "noreferrer"]
    assert share.select_one("[data-share=zalo]")["data-url"] == f"{SITEURL}/{url}"
    assert share.select_one("[data-share=copy]")["data-url"] == f"{SITEURL}/{url}"
    for html_file in built.output.rglob("*.html"):
        page = BeautifulSoup(html_file.read_text(encoding="utf-8"), "lxml")
        for script in page.select("script[src]"):
            assert script["src"].startswith(f"{SITEURL}/theme/"), (html_file, script["src"])
        assert not page.select("iframe"), html_file


def test_video_is_click_to_load(built):
    page = built.html("2020/05/video-cong-nhan-cao-son-thi-dua/")
    box = page.select_one(".video")
    assert box["data-video"] == VIDEO_ID
    assert box.select_one("a.video-start")["href"] == f"https://www.youtube.com/watch?v={VIDEO_ID}"
    assert page.select_one("iframe") is None


def test_related_previous_next_and_breadcrumbs(built):
    page = built.html("2020/05/cong-doan-than-ha-lam-doi-thoai-voi-nguoi-lao-dong/")
    related = [a["href"] for a in page.select(".related .row-title a")]
    # Same unit and a shared tag comes first
    assert related[0] == f"{SITEURL}/2020/05/than-ha-lam-nang-chat-luong-bua-an-ca/"
    assert f"{SITEURL}/2020/05/cong-doan-than-ha-lam-doi-thoai-voi-nguoi-lao-dong/" not in related
    assert page.select_one(".prev-next a[rel=prev]") is None  # the oldest article
    assert page.select_one(".prev-next a[rel=next]")["href"] == \
        f"{SITEURL}/2020/05/video-cong-nhan-cao-son-thi-dua/"
    crumbs = page.select(".breadcrumbs li")
    assert crumbs[-1].select_one("[aria-current=page]") is not None


def test_phone_first_and_accessible_markup(built):
    page = built.html("2020/05/cong-doan-than-ha-lam-doi-thoai-voi-nguoi-lao-dong/")
    assert page.html["lang"] == "vi"
    assert page.select_one("a.skip-link")["href"] == "#noi-dung"
    assert page.select_one("main#noi-dung") is not None
    toggle = page.select_one("a.menu-toggle")
    assert toggle["href"] == "#menu-chinh"  # opens the menu without JS (CSS :target)
    assert page.select_one("nav#menu-chinh a") is not None
    # Nothing a strict Content-Security-Policy (script-src 'self') would block
    assert not [s for s in page.select("script") if not s.get("src")
                and s.get("type") != "application/ld+json"]
    assert not page.select("[style], style")
    assert len(page.select("h1")) == 1
    for img in page.select("img"):
        assert img.has_attr("alt"), img
    css = (built.output / "theme/css/site.css").stat().st_size
    js = (built.output / "theme/js/site.js").stat().st_size
    assert css < 25_000 and js < 10_000, (css, js)  # budget: small CSS, little JS


# --- the bundled sample site (a preview build: links from the root) ---------------------------

def _sample_articles(sample_site):
    return sorted(p.parent.relative_to(sample_site.output).as_posix() + "/"
                  for p in sample_site.output.glob("[12][0-9][0-9][0-9]/[01][0-9]/*/index.html"))


def test_sample_site_every_article_is_in_the_sitemap_and_has_metadata(sample_site):
    urls = _sample_articles(sample_site)
    assert len(urls) >= 40
    listed = {u.loc.get_text().split("/", 3)[-1] for u in sample_site.xml("sitemap.xml").find_all("url")}
    legal = 0
    for url in urls:
        assert url in listed, url
        page = sample_site.html(url)
        assert page.select_one("link[rel=canonical]")["href"] == \
            f"{sample_site.settings['SITEURL']}/{url}"
        canonical = _meta(page, "og:url")
        assert canonical.startswith("http") and canonical.endswith("/" + url)
        ld = _ld(page)
        assert ld["NewsArticle"]["url"] == canonical
        assert ld["BreadcrumbList"]["itemListElement"][-1]["item"] == canonical
        assert _meta(page, "og:image").startswith("http")
        if page.select_one(".qa-question"):
            legal += 1
            assert ld["FAQPage"]["mainEntity"][0]["acceptedAnswer"]["text"]
    assert legal, "nội dung mẫu cần bài Tư vấn pháp luật"
    assert sample_site.exists("pagefind/shards.json") and sample_site.exists("tim-kiem/")


def test_sample_site_search_filters_match_the_article_pages(sample_site):
    """Each filter option of the search page is a value some article page gives Pagefind,
    with the right count; campaigns and themes are there once articles carry them."""
    given: dict[str, dict[str, int]] = {}
    for url in _sample_articles(sample_site):
        for tag in sample_site.html(url).select("[data-pagefind-filter]"):
            values = given.setdefault(tag["data-pagefind-filter"], {})
            values[tag.get_text()] = values.get(tag.get_text(), 0) + 1
    assert {"category", "unit", "campaign", "theme"} <= set(given)
    form = sample_site.html("tim-kiem/").select_one("#search-form")
    for select in form.select("select[data-filter]"):
        options = {o["value"]: o.get_text() for o in select.select("option") if o["value"]}
        assert options == {value: f"{value} ({count})"
                           for value, count in given[select["data-filter"]].items()}, select["id"]


def test_sample_site_every_list_links_a_feed_that_exists(sample_site):
    """The whole site, each category, unit, campaign and theme: a feed, linked from its page."""
    pages = ["", *(p.parent.relative_to(sample_site.output).as_posix() + "/"
                   for folder in ("chuyen-muc", "don-vi", "chien-dich", "chu-de")
                   for p in (sample_site.output / folder).glob("*/index.html"))]
    kinds = {url.split("/")[0] for url in pages if url}
    assert kinds == {"chuyen-muc", "don-vi", "chien-dich", "chu-de"}
    for url in pages:
        links = sample_site.html(url).select('link[rel=alternate][type="application/atom+xml"]')
        own = [a["href"] for a in links if url and a["href"].split("/", 3)[-1].startswith(url)]
        feed = own[0] if url else links[0]["href"]
        assert url == "" or own, f"{url}: không có <link rel=alternate> tới feed của trang"
        path = feed.split("/", 3)[-1]
        entries = sample_site.xml(path).find_all("entry")
        term_articles = sample_site.html(url).select(".card")
        assert entries or not term_articles, f"{path}: feed rỗng"


def test_related_ranking_prefers_shared_campaigns_then_themes():
    from datetime import datetime

    from plugins.reading.reading import RelatedIndex

    def term(slug):
        return Item(slug=slug)

    def item(name, day, campaigns=(), themes=(), tags=(), units=("a",), category="Tin tức"):
        return Item(name=name, date=datetime(2020, 5, day), category=category,
                    campaigns=[term(s) for s in campaigns], themes=[term(s) for s in themes],
                    tags=[term(s) for s in tags], units=[term(s) for s in units])

    me = item("me", 10, campaigns=["tcn"], themes=["atvsld"], tags=["x"])
    same_campaign = item("campaign", 1, campaigns=["tcn"], units=["b"], category="Ảnh")
    same_theme_newer = item("theme-new", 9, themes=["atvsld"], units=["b"])
    same_theme_older = item("theme-old", 2, themes=["atvsld"], units=["b"])
    same_unit = item("unit", 8)
    other_category = item("other", 7, units=["c"], category="Video")
    newest_same_category = item("news", 11, units=["c"])
    index = RelatedIndex([newest_same_category, me, same_theme_newer, same_unit,
                          other_category, same_theme_older, same_campaign])
    assert [a.name for a in index.related(me, 4)] == [
        "campaign", "theme-new", "theme-old", "unit"]
    # Too few neighbours: the newest of the same category fill the list; never another category
    assert [a.name for a in index.related(me, 6)] == [
        "campaign", "theme-new", "theme-old", "unit", "news"]
