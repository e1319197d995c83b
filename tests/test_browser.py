"""The sample site in a real browser: Debian's Chromium, headless, driven by Playwright, against
the strict build of the sample content served on localhost. What a reader on a phone does:
scroll, open the menu, search without accents, filter, share, play a video, hit a broken link."""
from __future__ import annotations

import json
import re
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from newsroom.build.preview import content_security_policy, serve
from newsroom.core.chromium import CHROME_FLAGS as ARGS, CHROMIUM
from newsroom.core.text import fold

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
TIMEOUT = 15_000
_WORD = re.compile(r"\w+")


@pytest.fixture(scope="module")
def server(sample_site):
    """The sample site on a free port of 127.0.0.1, as the real server sends it (404 page,
    Content-Security-Policy), stopped after the module."""
    assert content_security_policy(), "deploy/nginx/congdoantkv.conf không có Content-Security-Policy"
    with serve(sample_site.output) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "thiếu Chromium: apt-get install chromium (.ci/apt-packages.txt)"
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


class Reader:
    """A browser context where the site's own URLs (its SITEURL) are answered by the local
    server, and every request elsewhere is recorded and refused (the machine is offline, and
    the site must not call anyone before the reader asks)."""

    def __init__(self, browser, server, siteurl, **options):
        self.context = browser.new_context(locale="vi-VN", **options)
        self.context.set_default_timeout(TIMEOUT)
        self.server = server
        self.siteurl = siteurl.rstrip("/") or server  # a preview build links from the root
        self.outside: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda m: self.errors.append(m.text)
                     if "Content Security Policy" in m.text else None)

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.siteurl + "/") or url == self.siteurl:
            route.continue_(url=self.server + url[len(self.siteurl):])
        elif url.startswith(self.server):
            route.continue_()
        else:
            self.outside.append(url)
            if "youtube-nocookie.com/embed/" in url:
                route.fulfill(status=200, content_type="text/html",
                              body="<!doctype html><title>video</title>")
            else:
                route.abort()

    def goto(self, url: str):
        return self.page.goto(f"{self.siteurl}/{url.lstrip('/')}")

    def close(self):
        self.context.close()


@pytest.fixture
def phone(browser, server, sample_site):
    reader = Reader(browser, server, sample_site.settings["SITEURL"], **PHONE)
    yield reader
    reader.close()


# --- what the sample site holds, read from its output ----------------------------------------

def _articles(sample_site) -> dict[str, str]:
    """URL -> text of every article page that Pagefind indexes, without the folded copy of
    its đ-words (the tests work out what an accent-free search must find)."""
    found = {}
    for path in sample_site.output.glob("[12][0-9][0-9][0-9]/[01][0-9]/*/index.html"):
        page = sample_site.html(path.relative_to(sample_site.output).as_posix())
        body = page.select_one("[data-pagefind-body]")
        if body is None:
            continue
        for ignored in body.select("[data-pagefind-ignore], .search-folded"):
            ignored.decompose()
        url = path.parent.relative_to(sample_site.output).as_posix() + "/"
        found[url] = body.get_text(" ")
    assert found, "bản dựng mẫu không có bài viết nào"
    return found


def _d_word(articles: dict[str, str]) -> tuple[str, set[str]]:
    """A word spelled with đ, and every article that an accent-free search for it must find:
    those with any word of the same accent-free spelling ("dung" is đứng, dùng, dụng...). The
    word is chosen so that some article has it only with đ: found only thanks to đ folding."""
    spellings: dict[str, Counter] = {}
    with_d: dict[str, set[str]] = {}
    without_d: dict[str, set[str]] = {}
    for url, text in articles.items():
        for word in _WORD.findall(text):
            key = fold(word)
            if "đ" in word.lower():
                spellings.setdefault(key, Counter())[word] += 1
                with_d.setdefault(key, set()).add(url)
            else:
                without_d.setdefault(key, set()).add(url)
    choices = []
    for key, users in with_d.items():
        everyone = users | without_d.get(key, set())
        if len(key) >= 3 and users - without_d.get(key, set()) and len(everyone) <= 10:
            choices.append((len(everyone), key, everyone))
    assert choices, "nội dung mẫu cần từ có chữ đ"
    _, key, everyone = max(choices)
    return spellings[key].most_common(1)[0][0], everyone


def _search_results(page) -> list[str]:
    """The result links shown, as paths from the site root without the leading "/"."""
    hrefs = [a.get_attribute("href") for a in page.locator("#search-results h2 a").all()]
    return [re.sub(r"^(https?://[^/]+)?/", "", h) for h in hrefs]


def _wait_results(page):
    expect(page.locator("#search-status")).to_have_text(re.compile(r"^(Tìm thấy|Không tìm thấy)"))


# --- the tests ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["home", "article", "search", "category", "404"])
def test_phone_has_no_horizontal_scroll(phone, sample_site, kind):
    url = {"home": "", "article": sorted(_articles(sample_site))[0], "search": "tim-kiem/",
           "category": "chuyen-muc/tin-tuc/", "404": "404.html"}[kind]
    phone.goto(url)
    phone.page.wait_for_load_state("load")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{url}: trang rộng {width}px trên màn hình 390px"
    assert not phone.errors
    assert not [u for u in phone.outside if "youtube" not in u], phone.outside


def test_phone_menu_opens_and_closes(phone):
    phone.goto("")
    toggle = phone.page.get_by_role("button", name="Chuyên mục")
    menu = phone.page.locator("#menu-chinh")
    expect(toggle).to_be_visible()
    expect(menu).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    link = menu.get_by_role("link", name="Tư vấn pháp luật")
    expect(link).to_be_visible()
    box = link.bounding_box()
    assert box["height"] >= 24, "vùng bấm của liên kết trong menu quá nhỏ"
    phone.page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(toggle).to_be_focused()
    toggle.click()
    link.click()
    phone.page.wait_for_url(re.compile(r"/chuyen-muc/tu-van-phap-luat/$"))
    expect(phone.page.locator("h1")).to_have_text("Tư vấn pháp luật")


def test_search_without_accents_finds_words_with_d(phone, sample_site):
    articles = _articles(sample_site)
    word, expected = _d_word(articles)
    plain = fold(word)
    assert plain != word.lower()
    phone.goto("")
    field = phone.page.locator("#tim-nhanh")
    expect(field).to_be_hidden()  # the phone header keeps only a search button
    phone.page.get_by_role("button", name="Tìm kiếm").click()
    expect(field).to_be_focused()
    field.fill(plain)
    phone.page.locator("#tim-nhanh").press("Enter")
    phone.page.wait_for_url(re.compile(r"/tim-kiem/\?q="))
    _wait_results(phone.page)
    found = set(_search_results(phone.page))
    assert found == expected, f"tìm “{plain}” (từ “{word}”)"
    # The accented spelling, in capitals, finds the same articles
    phone.page.locator("#search-q").fill(word.upper())
    phone.page.locator("#search-q").press("Enter")
    expect(phone.page.locator("#search-status")).to_contain_text(word.upper())
    found_upper = set(_search_results(phone.page))
    assert found_upper == expected
    assert not phone.errors


def test_search_filter_by_category(phone, sample_site):
    legal = [url for url in _articles(sample_site)
             if sample_site.html(url).select_one('[data-pagefind-filter="category"]').get_text()
             == "Tư vấn pháp luật"]
    assert legal, "nội dung mẫu cần bài Tư vấn pháp luật"
    phone.goto("tim-kiem/")
    select = phone.page.locator("#loc-category")
    expect(select).to_be_hidden()  # results first: the filters are folded on a phone
    phone.page.get_by_text("Bộ lọc", exact=True).click()
    expect(select.locator("option", has_text="Tư vấn pháp luật")).to_have_count(1)
    select.select_option("Tư vấn pháp luật")
    _wait_results(phone.page)
    expect(phone.page.locator("#search-status")).to_have_text(
        f"Tìm thấy {len(legal)} tin bài.")
    metas = phone.page.locator("#search-results .meta").all_inner_texts()
    assert metas and all(m.startswith("Tư vấn pháp luật") for m in metas)
    assert "category=" in phone.page.url
    # Sorted by date, newest first
    phone.page.locator("#sap-xep").select_option("moi")
    _wait_results(phone.page)
    shown = _search_results(phone.page)
    dates = [sample_site.html(u).select_one("time")["datetime"] for u in shown]
    assert dates == sorted(dates, reverse=True)


def _all_results(page) -> list[str]:
    """Every result, "Xem thêm kết quả" pressed until the list ends."""
    more = page.locator("#search-more")
    while more.is_visible():
        shown = page.locator("#search-results li").count()
        more.click()
        expect(page.locator("#search-results li")).not_to_have_count(shown)
    return _search_results(page)


@pytest.fixture(scope="module")
def parted(sample_site, tmp_path_factory):
    """The sample site with its search index in small parts (six articles at most: years
    shared, years split into months), as a site with tens of thousands of articles has it."""
    import shutil

    from benchmarks import bench_search as search_bench
    from plugins.search import search

    copy = tmp_path_factory.mktemp("parts") / "output"
    shutil.copytree(sample_site.output, copy, symlinks=True)
    _, articles, texts = search_bench.pages_of(copy)
    search.run_pagefind(copy, "pagefind", search_bench.article_parts(articles, texts, 6))
    parts = json.loads((copy / "pagefind" / "shards.json").read_text())["parts"]
    assert len(parts) >= 5 and any(re.fullmatch(r"\d{4}-\d{2}", p) for p in parts), parts
    with serve(copy) as base:
        yield base


def test_search_sorted_by_date_runs_across_the_parts(browser, parted, sample_site):
    """Sorted by date, results run in date order across every part of the index (Pagefind
    itself orders merged results by score), and the year filter keeps one year."""
    reader = Reader(browser, parted, sample_site.settings["SITEURL"], **PHONE)
    page = reader.page
    try:
        reader.goto("tim-kiem/?q=cong+doan")
        _wait_results(page)
        by_relevance = _all_results(page)
        page.get_by_text("Bộ lọc", exact=True).click()
        dated = {u: sample_site.html(u).select_one("time")["datetime"] for u in by_relevance}
        assert len({d[:4] for d in dated.values()}) >= 3, "nội dung mẫu cần tin nhiều năm"
        page.locator("#sap-xep").select_option("moi")
        _wait_results(page)
        newest = _all_results(page)
        assert sorted(newest) == sorted(by_relevance)
        assert [dated[u] for u in newest] == sorted(dated.values(), reverse=True)
        page.locator("#sap-xep").select_option("cu")
        _wait_results(page)
        oldest = _all_results(page)
        assert [dated[u] for u in oldest] == sorted(dated.values())
        year = dated[newest[len(newest) // 2]][:4]
        page.locator("#loc-year").select_option(year)
        _wait_results(page)
        assert _all_results(page) == [u for u in oldest if dated[u].startswith(year)]
        assert f"year={year}" in page.url and "sort=cu" in page.url
        assert not reader.errors
    finally:
        reader.close()


def test_share_links_and_buttons(browser, server, sample_site):
    url = sorted(_articles(sample_site))[0]
    # A phone with a share sheet (Zalo is in it): the button hands the link over
    reader = Reader(browser, server, sample_site.settings["SITEURL"], **PHONE)
    canonical = f"{reader.siteurl}/{url}"
    reader.context.add_init_script(
        "navigator.share = (data) => { window.__shared = data; return Promise.resolve(); };")
    reader.goto(url)
    fb = reader.page.locator("a.share-fb")
    assert fb.get_attribute("href").startswith("https://www.facebook.com/sharer/sharer.php?u=")
    assert canonical in urllib.parse.unquote(fb.get_attribute("href"))
    reader.page.locator("[data-share=zalo]").click()
    shared = reader.page.evaluate("window.__shared")
    assert shared["url"] == canonical
    assert reader.outside == [], "trang đã gọi dịch vụ bên ngoài trước khi bạn đọc yêu cầu"
    reader.close()
    # A computer without one: Zalo and "Chép đường dẫn" copy the link
    reader = Reader(browser, server, sample_site.settings["SITEURL"],
                    viewport={"width": 1280, "height": 900})
    reader.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                     origin=reader.siteurl)
    reader.context.add_init_script("delete Navigator.prototype.share;")
    reader.goto(url)
    status = reader.page.locator(".share-status")
    reader.page.locator("[data-share=copy]").click()
    expect(status).to_have_text("Đã chép đường dẫn bài viết.")
    assert reader.page.evaluate("navigator.clipboard.readText()") == canonical
    reader.page.locator("[data-share=zalo]").click()
    expect(status).to_contain_text("Mở Zalo và dán")
    assert reader.outside == []
    reader.close()


def test_video_loads_only_on_click(phone, sample_site):
    videos = [u for u in _articles(sample_site) if sample_site.html(u).select_one(".video")]
    assert videos, "nội dung mẫu cần một bài có video"
    phone.goto(videos[0])
    box = phone.page.locator(".video")
    video_id = box.get_attribute("data-video")
    expect(phone.page.locator("iframe")).to_have_count(0)
    phone.page.wait_for_load_state("load")
    assert not [u for u in phone.outside if "youtube" in u], "video đã tải trước khi bấm"
    box.locator(".video-start").click()
    frame = phone.page.locator(".video iframe")
    expect(frame).to_have_attribute(
        "src", f"https://www.youtube-nocookie.com/embed/{video_id}?autoplay=1&rel=0")
    assert frame.get_attribute("title").startswith("Video: ")
    phone.page.wait_for_function(
        "id => performance.getEntriesByType('resource').some(e => e.name.includes(id))",
        arg=video_id)
    assert any(f"youtube-nocookie.com/embed/{video_id}" in u for u in phone.outside)


def test_missing_page_gets_the_404_page(phone):
    response = phone.goto("khong-co-trang-nay/")
    assert response.status == 404
    expect(phone.page.locator("h1")).to_have_text("Không tìm thấy trang")
    phone.page.locator("#tim-404").fill("cong doan")
    phone.page.locator("#tim-404").press("Enter")
    phone.page.wait_for_url(re.compile(r"/tim-kiem/\?q=cong\+doan"))
    _wait_results(phone.page)
    expect(phone.page.locator("#search-status")).to_contain_text("Tìm thấy")


def test_keyboard_skip_link_and_focus(phone):
    phone.goto("")
    phone.page.keyboard.press("Tab")
    skip = phone.page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    outline = phone.page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    phone.page.keyboard.press("Enter")
    expect(phone.page.locator("main")).to_be_focused()


def test_reading_needs_no_javascript(browser, server, sample_site):
    videos = [u for u in _articles(sample_site) if sample_site.html(u).select_one(".video")]
    reader = Reader(browser, server, sample_site.settings["SITEURL"], java_script_enabled=False,
                    **PHONE)
    try:
        reader.goto("")
        video_link = reader.page.locator("#menu-chinh").get_by_role("link", name="Video")
        expect(video_link).to_be_hidden()
        reader.page.locator("a.menu-toggle").click()  # CSS :target opens it
        expect(video_link).to_be_visible()
        reader.goto(videos[0])
        expect(reader.page.locator("h1")).to_be_visible()
        expect(reader.page.locator(".article-body")).to_be_visible()
        start = reader.page.locator(".video-start")
        assert start.get_attribute("href").startswith("https://www.youtube.com/watch?v=")
        expect(reader.page.locator("a.share-fb")).to_be_visible()
        expect(reader.page.locator("[data-share=copy]")).to_be_hidden()  # needs the clipboard
        width = reader.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        assert reader.outside == []
    finally:
        reader.close()


def test_no_accessibility_violations(phone, sample_site):
    """axe-core (WCAG 2.2 A and AA rules) finds nothing on one page of every kind, on a phone."""
    from axe_playwright_python.sync_playwright import Axe

    from benchmarks.audit import AXE_TAGS, other_pages

    urls = ["", sorted(_articles(sample_site))[0], "tim-kiem/?q=cong+doan",
            *other_pages(sample_site.output)]
    legal = [u for u in _articles(sample_site) if sample_site.html(u).select_one(".qa-question")]
    videos = [u for u in _articles(sample_site) if sample_site.html(u).select_one(".video")]
    urls += legal[:1] + videos[:1]
    assert len(urls) >= 15
    axe = Axe()
    found = {}
    for url in urls:
        phone.goto(url)
        phone.page.wait_for_load_state("load")
        if url.startswith("tim-kiem/"):
            _wait_results(phone.page)
        result = axe.run(phone.page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        violations = result.response["violations"]
        if violations:
            found[url] = [f"{v['id']}: {v['nodes'][0]['target']}" for v in violations]
    assert not found, found


# --- the front of the portal: layout on a phone and a computer (issue 18) -------------------

DESKTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE_412 = {**PHONE, "viewport": {"width": 412, "height": 915}}


def _article_links(page) -> list[str]:
    """Paths of the article links in the home page's main content, one per link."""
    hrefs = page.eval_on_selector_all(
        "main a[href]", "els => els.map(a => new URL(a.href).pathname)")
    return [h for h in hrefs if re.fullmatch(r"/\d{4}/\d{2}/[^/]+/", h)]


def _headline_tops(page) -> list[float]:
    return page.eval_on_selector_all(
        "main h2 a, main h3 a",
        "els => els.filter(a => /^\\/\\d{4}\\//.test(new URL(a.href).pathname))"
        ".map(a => a.getBoundingClientRect().top + scrollY)")


def test_home_has_a_lead_story_and_no_story_twice(browser, server, sample_site):
    reader = Reader(browser, server, sample_site.settings["SITEURL"], **DESKTOP)
    try:
        reader.goto("")
        lead = reader.page.locator(".lead-story")
        box = lead.bounding_box()
        assert box["y"] < 300, f"tin chính bắt đầu ở {box['y']}px"
        title = lead.locator(".lead-title").bounding_box()
        assert title["y"] + title["height"] < 900, "tiêu đề tin chính không nằm trong màn hình đầu"
        seconds = reader.page.locator(".second .row-title")
        assert seconds.count() >= 3
        assert all(b["y"] < 900 for b in (seconds.nth(i).bounding_box() for i in range(3)))
        links = reader.page.eval_on_selector_all(
            "main .lead-title a, main .row-title a, main .headlines a",
            "els => els.map(a => new URL(a.href).pathname)")
        assert len(links) >= 20
        twice = [u for u, n in Counter(links).items() if n > 1]
        assert not twice, f"bài xuất hiện hai lần trên trang chủ: {twice}"
        # The headline and its picture lead to the same story, nothing else repeats
        assert len(set(_article_links(reader.page))) == len(links)
        # Editors choose the lead with Featured: the newest featured article
        featured = [u for u in _articles(sample_site)
                    if sample_site.html(u).select_one("meta[property='article:published_time']")
                    and "featured" in sample_site.text(u).lower()]
        lead_url = lead.locator(".lead-title a").get_attribute("href")
        assert lead_url
        sections = reader.page.locator(".section-box h2").all_inner_texts()
        assert sections[:4] == ["Tin tức", "Bài viết - Phóng sự", "Gương điển hình",
                                "Tư vấn pháp luật"], sections
        assert reader.page.locator(".section-box .more a").count() == len(sections)
        assert not reader.errors and reader.outside == []
        del featured
    finally:
        reader.close()


def test_phone_first_screen_holds_four_headlines_and_a_small_header(browser, server, sample_site):
    reader = Reader(browser, server, sample_site.settings["SITEURL"], **PHONE_412)
    try:
        for url in ["", sorted(_articles(sample_site))[0], "tim-kiem/", "don-vi/"]:
            reader.goto(url)
            height = reader.page.locator(".site-header").bounding_box()["height"]
            assert height <= 64, f"{url or '/'}: đầu trang cao {height}px trên điện thoại"
        reader.goto("")
        tops = [t for t in _headline_tops(reader.page) if t < 915]
        assert len(tops) >= 4, f"chỉ {len(tops)} tiêu đề trong màn hình đầu"
        # An article: title, byline and the first lines of text in the first screen
        reader.goto(sorted(_articles(sample_site))[0])
        for selector in (".article h1", ".byline"):
            box = reader.page.locator(selector).bounding_box()
            assert box["y"] + box["height"] < 915, selector
        size = reader.page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('.article h1')).fontSize)")
        assert size <= 26
        assert not reader.errors
    finally:
        reader.close()


@pytest.mark.parametrize("width", [320, 412, 768, 1024, 1366, 1920])
def test_no_horizontal_overflow_and_every_image_has_its_size(browser, server, sample_site, width):
    reader = Reader(browser, server, sample_site.settings["SITEURL"],
                    viewport={"width": width, "height": 900})
    campaign = next(iter(sorted(sample_site.output.glob("chien-dich/*/index.html"))))
    urls = ["", sorted(_articles(sample_site))[0], "tim-kiem/?q=cong+doan",
            "chuyen-muc/tin-tuc/", "chuyen-muc/tu-van-phap-luat/", "don-vi/than-ha-lam/",
            campaign.parent.relative_to(sample_site.output).as_posix() + "/", "gioi-thieu/"]
    try:
        for url in urls:
            reader.goto(url)
            reader.page.wait_for_load_state("load")
            scroll = reader.page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{url or '/'}: trang rộng {scroll}px trên màn hình {width}px"
            unsized = reader.page.eval_on_selector_all(
                "img", "els => els.filter(i => !i.getAttribute('width') || "
                "!i.getAttribute('height')).map(i => i.src)")
            assert not unsized, f"{url or '/'}: ảnh thiếu width/height: {unsized}"
        assert not reader.errors
    finally:
        reader.close()


def test_cards_of_one_row_share_their_picture_height(browser, server, sample_site):
    """Related stories, a campaign's featured cards: one picture height per row, no row
    half empty, with or without photos."""
    reader = Reader(browser, server, sample_site.settings["SITEURL"], **DESKTOP)
    try:
        found = 0
        for path in sorted(sample_site.output.glob("chien-dich/*/index.html")):
            url = path.parent.relative_to(sample_site.output).as_posix() + "/"
            if not sample_site.html(url).select(".cards:not(.cards-list) .card"):
                continue
            reader.goto(url)
            boxes = reader.page.eval_on_selector_all(
                ".cards:not(.cards-list) .card .thumb",
                "els => els.map(e => [Math.round(e.getBoundingClientRect().top + scrollY),"
                " Math.round(e.getBoundingClientRect().height)])")
            rows: dict[int, set[int]] = {}
            for top, height in boxes:
                rows.setdefault(top, set()).add(height)
            assert all(len(h) == 1 for h in rows.values()), (url, rows)
            counts = [sum(1 for t, _ in boxes if t == top) for top in sorted(rows)]
            assert counts == sorted(counts, reverse=True) and len(set(counts)) == 1, (url, counts)
            found += 1
        assert found, "nội dung mẫu cần một chiến dịch có tin bài tiêu biểu"
    finally:
        reader.close()


def test_article_side_column_and_latest_from_the_static_file(browser, server, sample_site):
    url = sorted(_articles(sample_site))[0]
    page_html = sample_site.html(url)
    assert not page_html.select(".latest-list li"), "tin mới nhất không được in sẵn vào bài"
    reader = Reader(browser, server, sample_site.settings["SITEURL"], **DESKTOP)
    try:
        reader.goto(url)
        side = reader.page.locator(".article-side")
        text = reader.page.locator(".article-body")
        expect(reader.page.locator(".side-latest .latest-list li").first).to_be_visible()
        assert reader.page.locator(".side-latest li").count() >= 5
        side_box, text_box = side.bounding_box(), text.bounding_box()
        assert side_box["x"] > text_box["x"] + text_box["width"], "cột phụ không nằm bên phải"
        crumbs = reader.page.locator(".breadcrumbs").bounding_box()
        assert abs(crumbs["x"] - text_box["x"]) < 2, "đường dẫn không thẳng hàng với bài"
        assert reader.outside == [] and not reader.errors
    finally:
        reader.close()
    reader = Reader(browser, server, sample_site.settings["SITEURL"], **PHONE)
    try:
        reader.goto(url)
        side = reader.page.locator(".article-side").bounding_box()
        text = reader.page.locator(".article-body").bounding_box()
        assert side["y"] > text["y"] + text["height"], "trên điện thoại cột phụ nằm sau bài"
    finally:
        reader.close()


def test_offline_reading(browser, server, sample_site):
    """With the service worker: the newest articles and an article opened once load with the
    network switched off; an address never opened gets the offline page listing them."""
    latest = json.loads((sample_site.output / "tin-moi.json").read_text(encoding="utf-8"))
    newest = [a["url"] for a in latest["articles"]]
    assert len(newest) >= 20
    opened = sorted(_articles(sample_site))[0]  # an old article, not among the newest
    assert "/" + opened not in newest
    context = browser.new_context(locale="vi-VN", **PHONE)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    try:
        page.goto(f"{server}/")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.goto(f"{server}/{opened}")
        expect(page.locator("h1")).to_be_visible()
        # wait until the worker has kept the newest articles and the one opened
        page.wait_for_function(
            """async (want) => {
                const r = await (await caches.open("bai-viet")).match(location.origin + "/__da-doc.json");
                if (!r) return false;
                const urls = (await r.json()).map(a => new URL(a.url).pathname);
                return want.every(u => urls.includes(u));
            }""", arg=[newest[0], newest[-1], "/" + opened], timeout=60_000)
        context.set_offline(True)
        page.goto(f"{server}/{opened}")
        expect(page.locator(".article h1")).to_be_visible()
        page.goto(f"{server}{newest[0]}")
        expect(page.locator(".article h1")).to_be_visible()
        assert page.evaluate("[...document.images].filter(i => i.closest('.cover'))"
                             ".every(i => i.complete && i.naturalWidth > 0)")
        page.goto(f"{server}/khong-co-trang-nay-ngoai-tuyen/")
        expect(page.locator("h1")).to_have_text("Đọc khi mất mạng")
        expect(page.locator(".offline-list li").first).to_be_visible()
        assert page.locator(".offline-list li").count() >= len(newest)
    finally:
        context.close()


def test_article_page_weight_before_photos(browser, server, sample_site):
    """Everything an article page loads except its photos (HTML, CSS, scripts, fonts, the
    newest-articles file), compressed as the server sends it: under 60 KB."""
    import gzip

    url = max(_articles(sample_site), key=lambda u: len(sample_site.text(u)))
    reader = Reader(browser, server, sample_site.settings["SITEURL"], **PHONE)
    try:
        reader.goto(url)
        reader.page.wait_for_load_state("networkidle")
        loaded = reader.page.evaluate(
            "performance.getEntriesByType('resource').filter(e => e.initiatorType !== 'img')"
            ".map(e => new URL(e.name).pathname)")
    finally:
        reader.close()
    fonts = [p for p in loaded if p.endswith(".woff2")]
    assert fonts, "trang không tải phông chữ của trang"
    total, sizes = 0, {}
    for path in ["/" + url, *loaded]:
        if re.search(r"\.(avif|webp|jpe?g|png)$", path):
            continue
        data = sample_site.path(path).read_bytes()
        sizes[path] = len(data) if path.endswith(".woff2") else len(gzip.compress(data, 6))
        total += sizes[path]
    assert total < 60_000, f"bài viết nặng {total} byte trước ảnh: {sizes}"
