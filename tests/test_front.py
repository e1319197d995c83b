"""The front of the portal in real builds: the home page's lists (lead, beside it, latest,
sections, each article once), the newest-articles file, the offline reader's files, the
footer's legal block from data/site.yml and its checks, curly quotes in article text."""
from __future__ import annotations

import json
import logging
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from newsroom.core import data
from newsroom.core.paths import ROOT
from tests.helpers import article

FILES = {
    "bai-viet/than-ha-lam/2020/cu-noi-bat.md": article(
        title="Bài nổi bật cũ", date="2020-03-01 08:00", featured="yes",
        body='Thợ lò nói: "an toàn là trên hết".'),
    "bai-viet/than-ha-lam/2020/noi-bat-moi.md": article(
        title="Bài nổi bật mới", date="2020-04-01 08:00", featured="yes"),
    "bai-viet/co-quan-cong-doan-tkv/2020/hoi-dap.md": article(
        title="Nghỉ phép năm có được trả lương?", date="2020-05-02 09:00",
        unit="co-quan-cong-doan-tkv", category="Tư vấn pháp luật",
        summary="Được, theo Điều 113 Bộ luật Lao động.",
        question="Tôi còn 6 ngày phép chưa nghỉ thì có được trả lương không?",
        laws="Bộ luật Lao động 2019, Điều 113", body="Theo khoản 3 Điều 113..."),
    **{f"bai-viet/than-cao-son/2020/tin-{i}.md": article(
        title=f"Tin Cao Sơn số {i}", date=f"2020-05-{10 + i:02d} 07:00", unit="than-cao-son")
       for i in range(1, 13)},
    "pages/gioi-thieu.md": "Title: Giới thiệu\n\nCông đoàn TKV.\n",
}


def _data(tmp_path, name="data", **site_items) -> Path:
    folder = tmp_path / name
    shutil.copytree(ROOT / "data", folder)
    text = (folder / "site.yml").read_text(encoding="utf-8")
    for key, value in site_items.items():
        text = re.sub(rf"^{key}:.*$", f"{key}: {json.dumps(value, ensure_ascii=False)}", text,
                      flags=re.M)
    (folder / "site.yml").write_text(text, encoding="utf-8")
    return folder


def _main_article_links(page) -> list[str]:
    main = page.select_one("main")
    return [a["href"] for a in main.select(".lead-title a, .row-title a, .headlines a")]


def test_home_lead_is_the_newest_featured_and_no_story_twice(make_site, tmp_path):
    site = make_site(FILES, strict=True, NEWSROOM_DATA=_data(tmp_path), DEFAULT_PAGINATION=3)
    home = site.html("")
    assert home.select_one(".lead-title").get_text(strip=True) == "Bài nổi bật mới"
    links = _main_article_links(home)
    assert len(links) >= 1 + 4 + 4 + 1  # lead, beside it, sections (latest: the first page)
    assert not [u for u, n in Counter(links).items() if n > 1]
    assert len(home.select(".second .row")) == 4
    sections = [h.get_text(strip=True) for h in home.select(".section-box h2")]
    assert sections == ["Tin tức", "Tư vấn pháp luật"]
    # A picture box for every story: a placeholder with the unit's name when there is no photo
    row = home.select_one(".second .row")
    assert row.select_one(".placeholder").get_text(strip=True) == "Than Cao Sơn"
    # The newest file: newest first, URLs and titles as the pages have them
    latest = json.loads((site.output / "tin-moi.json").read_text(encoding="utf-8"))["articles"]
    assert [a["title"] for a in latest[:2]] == ["Tin Cao Sơn số 12", "Tin Cao Sơn số 11"]
    assert all(site.exists(a["url"]) for a in latest)
    assert len(latest) == len([f for f in FILES if f.startswith("bai-viet/")])


def test_article_lists_stay_when_news_is_published(make_site, tmp_path):
    """An article page holds no site-wide newest list, and its "same unit" list holds the
    stories closest before it: a newer article does not change it."""
    site = make_site(FILES, strict=True, NEWSROOM_DATA=_data(tmp_path))
    url = "2020/05/tin-cao-son-so-6/"
    before = site.html(url).select_one(".nearby")
    titles = [a.get_text(strip=True) for a in before.select(".row-title a")]
    assert titles and all(t.startswith("Tin Cao Sơn số") for t in titles)
    assert "Tin Cao Sơn số 7" not in titles and "Tin Cao Sơn số 6" not in titles
    assert not site.html(url).select(".latest-list li")
    again = make_site({**FILES, "bai-viet/than-cao-son/2020/moi.md": article(
        title="Tin mới nhất", date="2020-06-30 07:00", unit="than-cao-son")},
        strict=True, NEWSROOM_DATA=_data(tmp_path, "data2"))
    after = again.html(url).select_one(".nearby")
    assert str(after) == str(before)


def test_offline_worker_and_page_are_written(make_site, tmp_path):
    site = make_site(FILES, strict=True, NEWSROOM_DATA=_data(tmp_path))
    worker = site.text("sw.js")
    shell = json.loads(re.search(r"const SHELL_FILES = (\[.*?\])", worker).group(1))
    for path in shell:
        assert site.exists(path), f"sw.js giữ {path} nhưng bản dựng không có"
    assert re.search(r'const VERSION = "[0-9a-f]{12}";', worker)
    assert "http" not in re.sub(r"//.*|/\*.*?\*/", "", worker, flags=re.S), \
        "sw.js không được gọi địa chỉ bên ngoài"
    page = site.html("doc-ngoai-tuyen/")
    assert page.select_one("h1").get_text() == "Đọc khi mất mạng"
    assert page.select_one(".offline-list") is not None


def test_preloaded_fonts_are_the_ones_the_stylesheet_uses(make_site, tmp_path):
    """A preload that misses the stylesheet's URL downloads every font twice on a phone."""
    site = make_site(FILES, strict=True, NEWSROOM_DATA=_data(tmp_path))
    css = site.text("theme/css/site.css")
    used = {"theme/fonts/" + name for name in re.findall(r"url\(\.\./fonts/([^)]+)\)", css)}
    preloads = {link["href"].split("/", 3)[-1] if link["href"].startswith("http") else
                link["href"].lstrip("/")
                for link in site.html("index.html").select('link[rel="preload"][as="font"]')}
    assert preloads == used and len(used) == 4
    for path in preloads:
        assert site.exists(path)


def test_footer_legal_block_from_the_data_file(make_site, tmp_path, caplog):
    folder = _data(tmp_path, licence="12/GP-TTĐT", licence_issuer="Sở TT&TT Hà Nội",
                   editor="Nguyễn Văn <b>A</b>", phone="024 3851 0000",
                   fanpage="https://www.facebook.com/congdoantkv",
                   legal_zalo="https://zalo.me/congdoantkv")
    with caplog.at_level(logging.WARNING):
        site = make_site(FILES, strict=True, NEWSROOM_DATA=folder)
    assert not [r for r in caplog.records if "data/site.yml" in r.getMessage()]
    footer = site.html("").select_one(".site-footer .legal")
    text = footer.get_text(" ", strip=True)
    assert "Giấy phép số 12/GP-TTĐT, Sở TT&TT Hà Nội" in text
    assert "Chịu trách nhiệm nội dung: Nguyễn Văn <b>A</b>" in text  # printed as text
    assert footer.select_one("b") is None
    assert footer.select_one("a[href='tel:02438510000']")
    assert footer.select_one("a[href='https://www.facebook.com/congdoantkv']")
    about = site.html("gioi-thieu/").select_one(".legal-box")
    assert "Cơ quan chủ quản" in about.get_text()
    legal = site.html("chuyen-muc/tu-van-phap-luat/")
    ask = legal.select_one(".ask")
    mail = ask.select_one("a[href^='mailto:']")["href"]
    assert mail.startswith("mailto:tuvanphapluat@congdoantkv.vn?subject=H%E1%BB%8Fi")
    assert ask.select_one("a[href='https://zalo.me/congdoantkv']")
    item = legal.select_one(".qa-item")
    assert item.select_one(".qa-short").get_text(" ", strip=True).startswith("Đáp Được")
    assert "Điều 113" in item.select_one(".qa-laws").get_text()
    assert "Tư vấn pháp luật" not in item.get_text()  # the column's name once, above


def test_publish_build_warns_about_empty_legal_items(make_site, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        # (Pelican says a message once per process: these items make it this test's own)
        make_site(FILES, strict=True, NEWSROOM_DATA=_data(
            tmp_path, licence="", editor="", licence_issuer="Sở TT&TT", phone="024 1"))
    warned = "\n".join(r.getMessage() for r in caplog.records)
    assert "data/site.yml: chân trang còn thiếu licence (số giấy phép)" in warned
    assert "licence (số giấy phép), editor (người chịu trách nhiệm nội dung). Mở " in warned


@pytest.mark.parametrize("items, message", [
    ({"fanpage": "javascript:alert(1)"}, "mục “fanpage”: đường dẫn phải bắt đầu bằng https://"),
    ({"email": "toasoan"}, "mục “email”: “toasoan” không phải địa chỉ thư"),
])
def test_site_data_errors_name_the_item_and_the_fix(tmp_path, items, message):
    folder = _data(tmp_path, **items)
    with pytest.raises(data.DataError, match=message):
        data.site_info(folder)


def test_site_data_unknown_item(tmp_path):
    folder = _data(tmp_path)
    with (folder / "site.yml").open("a", encoding="utf-8") as out:
        out.write("giay_phep: 12/GP\n")
    with pytest.raises(data.DataError, match="mục “giay_phep” không có"):
        data.site_info(folder)


def test_article_text_has_curly_quotes(make_site, tmp_path):
    site = make_site(FILES, strict=True, NEWSROOM_DATA=_data(tmp_path))
    body = site.html("2020/03/bai-noi-bat-cu/").select_one(".article-body").get_text()
    assert "“an toàn là trên hết”" in body and '"' not in body
