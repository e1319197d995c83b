"""Campaigns and themes: the data files, tagging, the schema's check and the pages built."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml
from lunardate import LunarDate
from PIL import Image

from newsroom.core import calendar as cal, data, schema, tagging
from newsroom.core.dates import parse_date
from newsroom.core.paths import ROOT
from newsroom.core.text import slugify
from newsroom.editorial import banners

from tests.helpers import article

PLAN_2020 = {"thang-cong-nhan-2020", "ky-niem-thanh-lap-cong-doan-2020", "tet-tan-suu-2021",
             "dai-hoi-thi-dua-yeu-nuoc-2020"}
FAMILIES = {"thang-cong-nhan", "ky-niem-cong-doan", "tet", "dien-hinh-tien-tien"}


# --- The data files -------------------------------------------------------------------------

def test_2020_campaigns_are_the_plans():
    found = data.campaigns()
    assert PLAN_2020 <= set(found)
    workers = found["thang-cong-nhan-2020"]
    assert (workers["start"], workers["end"]) == (dt.date(2020, 5, 1), dt.date(2020, 5, 30))
    assert workers["slogan"] == "Năng suất cao - An toàn lao động - Thu nhập tốt"
    assert workers["osh_slogan"] == (
        "Đẩy mạnh cải thiện điều kiện lao động và kiểm soát các nguy cơ rủi ro về an toàn, "
        "vệ sinh lao động tại nơi làm việc")
    assert "an-toan-ve-sinh-lao-dong" in workers["themes"]
    union = found["ky-niem-thanh-lap-cong-doan-2020"]
    assert (union["start"], union["end"]) == (dt.date(2020, 7, 1), dt.date(2020, 7, 30))
    assert "91 năm" in union["name"]
    tet = found["tet-tan-suu-2021"]
    assert tet["start"] < dt.date(2021, 2, 12) < tet["end"]
    congress = found["dai-hoi-thi-dua-yeu-nuoc-2020"]
    assert "lần thứ X," in congress["name"] and "2016 – 2020" in congress["name"]
    assert (congress["start"], congress["end"]) == (dt.date(2016, 1, 1), dt.date(2020, 12, 31))


def test_every_family_recurs_every_year_to_2026():
    found = data.campaigns()
    for family in FAMILIES:
        years = {c["year"] for c in found.values() if c["family"] == family}
        # Tết belongs to the year it falls in (Tết Tân Sửu 2021 is the 2020 plan's).
        assert years == set(range(2021 if family == "tet" else 2020, 2027)), family
    for entry in found.values():
        assert entry["slug"].endswith(str(entry["year"]))
        assert entry["keywords"] and entry["description"]
        assert (ROOT / "content" / entry["banner"]).is_file(), entry["banner"]
        assert set(entry["themes"]) <= set(data.themes())


@pytest.mark.parametrize("year, number", [(2020, 91), (2021, 92), (2026, 97), (2029, 100)])
def test_anniversary_number_counts_from_28_7_1929(year, number):
    assert cal.anniversary_number(year) == number
    assert cal.anniversary_name(year).startswith(f"Kỷ niệm {number} năm Ngày thành lập")
    with pytest.raises(ValueError):
        cal.anniversary_number(1929)


def test_anniversary_names_in_the_data_match_the_computation():
    entries = [c for c in data.campaigns().values() if c["family"] == "ky-niem-cong-doan"]
    assert len(entries) >= 7
    for entry in entries:
        assert entry["name"] == cal.anniversary_name(entry["year"])
        assert f"{entry['year'] - 1929} năm" in entry["keywords"]


def test_tet_windows_in_the_data_follow_the_lunar_calendar():
    entries = [c for c in data.campaigns().values() if c["family"] == "tet"]
    assert len(entries) >= 6
    for entry in entries:
        year = entry["year"]
        # Checked against lunardate directly, not through our own helpers.
        assert dt.date.fromisoformat(entry["tet"]) == LunarDate(year, 1, 1).to_solar_date()
        assert entry["start"] == LunarDate(year - 1, 12, 1).to_solar_date()
        assert entry["end"] == LunarDate(year, 1, 15).to_solar_date()
        assert entry["slug"] == f"tet-{slugify(cal.can_chi(year))}-{year}"
    assert cal.can_chi(2021) == "Tân Sửu" and cal.can_chi(2026) == "Bính Ngọ"
    assert cal.tet_date(2021) == dt.date(2021, 2, 12)


def test_themes_hold_the_plans_areas_and_the_four_pillars():
    themes = data.themes()
    groups = {t["group"] for t in themes.values()}
    assert groups == set(data.THEME_GROUPS)
    for slug in ("thoa-uoc-lao-dong-tap-the", "bo-luat-lao-dong-2019",
                 "covid-19-suc-khoe-nguoi-lao-dong", "doi-thoai", "cham-lo-tet",
                 "guong-dien-hinh-tien-tien", "an-toan-ve-sinh-lao-dong"):
        assert themes[slug]["parent"], slug
    pillars = [t for t in themes.values() if t["parent"] == "thong-diep"]
    assert [t["name"] for t in pillars] == ["Chủ động", "Tích cực", "Sáng tạo", "Trách nhiệm"]


def test_a_broken_data_file_is_reported_by_name(tmp_path):
    folder = _data_copy(tmp_path)
    entries = yaml.safe_load((folder / "campaigns.yml").read_text(encoding="utf-8"))
    entries[0]["end"] = "2020-04-01"
    (folder / "campaigns.yml").write_text(yaml.safe_dump(entries, allow_unicode=True),
                                          encoding="utf-8")
    with pytest.raises(data.DataError, match="thang-cong-nhan-2020.*sớm hơn ngày bắt đầu"):
        data.campaigns(folder)


# --- Tagging --------------------------------------------------------------------------------

def _values(title="Tin thử nghiệm", date="2020-06-10 09:00", **extra):
    values = {"title": title, "date": parse_date(date) if isinstance(date, str) else date}
    values.update(extra)
    return values


def _slugs(result, key="campaign"):
    return [d.slug for d in result[key]]


@pytest.mark.parametrize("when, inside", [
    ("2020-04-30 23:59", False), ("2020-05-01 00:00", True), ("2020-05-01 23:59", True),
    ("2020-05-30 00:00", True), ("2020-05-30 23:59", True), ("2020-05-31 00:00", False),
])
def test_campaign_window_edges_in_vietnam_time(when, inside):
    result = tagging.tag_article(_values("Hưởng ứng Tháng Công nhân", when), "")
    assert ("thang-cong-nhan-2020" in _slugs(result)) is inside


def test_window_is_read_in_vietnam_time_whatever_the_zone_of_the_date():
    utc = dt.timezone.utc
    first = dt.datetime(2020, 4, 30, 17, 0, tzinfo=utc)  # 01/05/2020 00:00 in Vietnam
    before = dt.datetime(2020, 4, 30, 16, 59, tzinfo=utc)  # 30/04/2020 23:59 in Vietnam
    assert "thang-cong-nhan-2020" in _slugs(tagging.tag_article(
        _values("Tháng Công nhân", first), ""))
    assert "thang-cong-nhan-2020" not in _slugs(tagging.tag_article(
        _values("Tháng Công nhân", before), ""))


def test_nfd_text_and_folded_d_match():
    nfd = unicodedata.normalize("NFD", "Công nhân hầm lò hưởng ứng Tháng hành động ATVSLĐ")
    assert nfd != unicodedata.normalize("NFC", nfd)
    result = tagging.tag_article(_values(nfd, "2020-05-12 08:00"), "")
    assert _slugs(result) == ["thang-cong-nhan-2020"]
    assert "“ATVSLĐ” trong tiêu đề" in result["campaign"][0].reason
    # Reporters typing without accents, or in capitals, are understood the same way.
    for title in ("Hoi thao an toan lao dong tai mo", "KIỂM TRA ATVSLD TẠI PHÂN XƯỞNG",
                  "ĐỐI THOẠI VỚI THỢ LÒ"):
        assert "thang-cong-nhan-2020" in _slugs(tagging.tag_article(
            _values(title, "2020-05-12 08:00"), "")), title


def test_keywords_only_in_the_body_count():
    body = "Sáng 12/5, công đoàn tổ chức ra quân hưởng ứng **Tháng Công nhân** tại mặt bằng."
    result = tagging.tag_article(_values("Ra quân tại Công trường 6", "2020-05-12 08:00"), body)
    assert _slugs(result) == ["thang-cong-nhan-2020"]
    assert "trong thân bài" in result["campaign"][0].reason
    # A theme needs two mentions in the body alone; one in the title is enough.
    once = "Người lao động được tập huấn về Bộ luật Lao động."
    twice = once + " Bộ luật Lao động năm 2019 có hiệu lực từ 1/1/2021."
    assert "bo-luat-lao-dong-2019" not in _slugs(tagging.tag_article(_values(), once), "theme")
    result = tagging.tag_article(_values(), twice)
    assert "bo-luat-lao-dong-2019" in _slugs(result, "theme")
    assert "thong-tin-thuong-xuyen" in _slugs(result, "theme")  # the parent theme too


def test_words_inside_links_and_other_words_do_not_count():
    body = ("![Ảnh]({static}thang-cong-nhan/anh-1.jpg) Xem [bài](https://congdoantkv.vn/"
            "thang-cong-nhan/). Thợ lò tetra đối-thoạix.")
    result = tagging.tag_article(_values("Tin ảnh", "2020-05-12 08:00"), body)
    assert _slugs(result) == []


def test_outside_the_window_keywords_do_not_tag():
    result = tagging.tag_article(_values("Tổng kết Tháng Công nhân", "2020-06-10 09:00"), "")
    assert _slugs(result) == []
    assert "thang-cong-nhan" in _slugs(result, "theme")  # themes have no window


def test_explicit_campaign_and_theme_win():
    values = _values("Đối thoại trong Tháng Công nhân", "2020-05-12 08:00",
                     campaign=["ky-niem-thanh-lap-cong-doan-2020"], theme=["cham-lo-tet"])
    result = tagging.tag_article(values, "Tháng Công nhân, ATVSLĐ, đối thoại.")
    assert [(d.slug, d.explicit) for d in result["campaign"]] == [
        ("ky-niem-thanh-lap-cong-doan-2020", True)]
    assert result["campaign"][0].reason == "khai báo trong bài (Campaign)"
    assert _slugs(result, "theme") == ["su-kien", "cham-lo-tet"]


def test_none_opts_out():
    values = _values("Tháng Công nhân: ATVSLĐ", "2020-05-12 08:00", campaign=["none"],
                     theme=["none"])
    result = tagging.tag_article(values, "Tháng Công nhân " * 3)
    assert result == {"campaign": [], "theme": []}
    assert tagging.opted_out(values, "campaign") and tagging.opted_out(values, "theme")


def test_unknown_slug_is_an_error_naming_the_closest():
    header = schema.split(article(date="2020-05-03 08:00",
                                  campaign="thang-cong-nhan-202, tet-2021",
                                  theme="an-toan-lao-dong"))
    _, problems = schema.validate(header, "bai.md")
    messages = {p.field: [] for p in problems}
    for p in problems:
        messages[p.field].append(str(p))
    assert all(p.severity == schema.ERROR for p in problems)
    first, second = messages["Campaign"]
    assert "không có chiến dịch “thang-cong-nhan-202”" in first
    assert "có phải là “thang-cong-nhan-2020”" in first
    assert "“tet-tan-suu-2021”" in second
    assert "có phải là “an-toan-ve-sinh-lao-dong”" in messages["Theme"][0]


def test_explicit_campaign_outside_its_window_is_a_warning():
    header = schema.split(article(date="2020-09-03 08:00", campaign="thang-cong-nhan-2020"))
    _, problems = schema.validate(header, "bai.md")
    assert [p.severity for p in problems] == [schema.WARNING]
    assert "ngoài thời gian chiến dịch" in problems[0].message


def test_wrong_slug_fails_a_strict_build_and_not_a_preview(make_site):
    files = {"bai-viet/than-ha-lam/2020/sai.md": article(
        title="Tin sai chiến dịch", date="2020-05-03 08:00", campaign="thang-cong-nhan-2002")}
    with pytest.raises(Exception, match=r"sai\.md:\d+: Campaign: lỗi: không có chiến dịch "
                                        r"“thang-cong-nhan-2002”.*“thang-cong-nhan-2020”"):
        make_site(files, strict=True)
    preview = make_site(files, strict=False)
    page = preview.html("2020/05/tin-sai-chien-dich/")
    assert page.select_one("article h1").get_text(strip=True) == "Tin sai chiến dịch"
    assert not page.select(".article-campaigns")  # the unknown slug gives no campaign link


# --- The pages ------------------------------------------------------------------------------

def _banner(slug):
    return (ROOT / "content" / "images" / "chien-dich" / f"{slug}.png").read_bytes()


@pytest.fixture
def may_2020(make_site):
    """A small site around Tháng Công nhân 2020, built on 15/05/2020, two items a page."""
    files = {
        "images/chien-dich/thang-cong-nhan-2020.png": _banner("thang-cong-nhan-2020"),
        "bai-viet/co-quan-cong-doan-tkv/2020/phat-dong.md": article(
            title="Phát động Tháng Công nhân năm 2020", date="2020-05-01 00:00",
            unit="co-quan-cong-doan-tkv", featured="yes", campaign="thang-cong-nhan-2020"),
        "bai-viet/than-ha-lam/2020/doi-thoai.md": article(
            title="Than Hà Lầm đối thoại với người lao động", date="2020-05-06 08:30"),
        "bai-viet/than-ha-lam/2020/anh.md": article(
            title="Phóng sự ảnh: ca sáng ở lò chợ", date="2020-05-30 23:59", category="Ảnh",
            body="Thợ lò Than Hà Lầm trong Tháng Công nhân."),
        "bai-viet/than-mao-khe/2020/video.md": article(
            title="Video: an toàn lao động ở Mạo Khê", date="2020-05-20 10:00",
            unit="than-mao-khe", category="Video",
            video="https://www.youtube.com/watch?v=abcdefghijk"),
        "bai-viet/than-mao-khe/2020/ngoai.md": article(
            title="Tổng kết Tháng Công nhân", date="2020-05-31 00:00", unit="than-mao-khe"),
        "bai-viet/than-mao-khe/2020/khong.md": article(
            title="Tháng Công nhân: tin không gắn chiến dịch", date="2020-05-10 00:00",
            unit="than-mao-khe", campaign="none"),
    }
    return make_site(files, strict=True, NEWSROOM_TODAY="2020-05-15", DEFAULT_PAGINATION=2)


def _titles(page):
    return [a.get_text(strip=True) for a in page.select(".campaign-articles .card-title a")]


def test_campaign_landing_page(may_2020):
    page = may_2020.html("chien-dich/thang-cong-nhan-2020/")
    hero = page.select_one(".campaign-hero")
    assert hero.select_one("h1").get_text(strip=True) == "Tháng Công nhân năm 2020"
    assert hero.select_one(".campaign-status").get_text(strip=True) == "Đang diễn ra"
    assert "Năng suất cao - An toàn lao động - Thu nhập tốt" in hero.select_one(
        ".campaign-slogan").get_text()
    assert "Đẩy mạnh cải thiện điều kiện lao động" in hero.select_one(".campaign-osh").get_text()
    assert [t["datetime"] for t in hero.select(".campaign-window time")] == [
        "2020-05-01", "2020-05-30"]
    banner = hero.select_one("img.campaign-banner")
    assert banner["src"].endswith("/images/chien-dich/thang-cong-nhan-2020.png")
    assert may_2020.exists(banner["src"].split("localhost:8000")[-1])
    assert "Chiến dịch truyền thông Tháng Công nhân" in page.select_one(
        ".campaign-intro").get_text()
    featured = [a.get_text(strip=True) for a in page.select(".campaign-featured .card-title a")]
    assert featured == ["Phát động Tháng Công nhân năm 2020"]
    strip = [a.get_text(" ", strip=True) for a in page.select(".media-strip a")]
    assert strip == ["Phóng sự ảnh: ca sáng ở lò chợ", "▶ Video: an toàn lao động ở Mạo Khê"]
    counts = {row.select("td")[0].get_text(strip=True): int(row.select("td")[1].get_text())
              for row in page.select(".unit-counts tbody tr")}
    assert counts == {"Than Hà Lầm": 2, "Cơ quan Công đoàn TKV": 1, "Than Mạo Khê": 1}


def test_campaign_list_is_paginated_and_keeps_window_edges(may_2020):
    first = may_2020.html("chien-dich/thang-cong-nhan-2020/")
    nxt = first.select_one('.pagination a[rel="next"]')
    assert nxt["href"].endswith("/chien-dich/thang-cong-nhan-2020/trang/2/")
    second = may_2020.html("chien-dich/thang-cong-nhan-2020/trang/2/")
    titles = _titles(first) + _titles(second)
    # 00:00 on the first day and 23:59 on the last are in; 00:00 the day after is not;
    # "Campaign: none" stays out.
    assert titles == ["Phóng sự ảnh: ca sáng ở lò chợ", "Video: an toàn lao động ở Mạo Khê",
                      "Than Hà Lầm đối thoại với người lao động",
                      "Phát động Tháng Công nhân năm 2020"]
    assert not second.select(".campaign-featured")  # featured and strips on page 1 only


def test_campaign_feed(may_2020):
    page = may_2020.html("chien-dich/thang-cong-nhan-2020/")
    link = page.select_one('link[rel="alternate"][title="Tháng Công nhân năm 2020"]')
    assert link["href"].endswith("/chien-dich/thang-cong-nhan-2020/feed.xml")
    feed = may_2020.xml("chien-dich/thang-cong-nhan-2020/feed.xml")
    assert "Tháng Công nhân năm 2020" in feed.find("title").get_text()
    titles = [e.find("title").get_text() for e in feed.find_all("entry")]
    assert len(titles) == 4 and "Tổng kết Tháng Công nhân" not in titles


def test_status_follows_the_build_date(make_site):
    body = {"bai-viet/than-ha-lam/2020/a.md": article(title="Tháng Công nhân", date="2020-05-05 08:00")}
    for today, label in (("2020-04-30", "Sắp diễn ra"), ("2020-05-30", "Đang diễn ra"),
                         ("2020-05-31", "Đã kết thúc")):
        site = make_site(body, strict=True, NEWSROOM_TODAY=today)
        page = site.html("chien-dich/thang-cong-nhan-2020/")
        assert page.select_one(".campaign-status").get_text(strip=True) == label, today
        running = [a.get_text(strip=True) for a in site.html("").select(
            ".running-campaigns .campaign-promo strong")]
        assert ("Tháng Công nhân năm 2020" in running) is (label == "Đang diễn ra")


def test_campaign_index_lists_every_campaign_by_year(may_2020):
    page = may_2020.html("chien-dich/")
    years = [h.get_text(strip=True) for h in page.select(".campaign-year h2")]
    assert years == [f"Năm {y}" for y in range(2026, 2019, -1)]
    links = {a["href"].rstrip("/").rsplit("/", 1)[-1] for a in page.select(".campaign-year a")}
    assert links == set(data.campaigns())
    running = [a.get_text(strip=True) for a in page.select(".campaigns-running a")]
    assert "Tháng Công nhân năm 2020" in running


def test_home_article_and_unit_pages(may_2020):
    home = may_2020.html("")
    promo = home.select(".running-campaigns a.campaign-promo")
    assert promo[0]["href"].endswith("/chien-dich/thang-cong-nhan-2020/")
    # the strip of running campaigns comes right after the lead story and those beside it
    assert home.select_one(".running-campaigns") is home.select("main section")[1]
    assert home.select_one("main section")["class"] == ["top"]
    art = may_2020.html("2020/05/than-ha-lam-doi-thoai-voi-nguoi-lao-dong/")
    assert [a.get_text(strip=True) for a in art.select(".article-campaigns a")] == [
        "Tháng Công nhân năm 2020"]
    themes = [a["href"] for a in art.select(".article-themes a")]
    assert any(h.endswith("/chu-de/doi-thoai/") for h in themes)
    opted = may_2020.html("2020/05/thang-cong-nhan-tin-khong-gan-chien-dich/")
    assert not opted.select(".article-campaigns")
    unit = may_2020.html("don-vi/than-ha-lam/")
    rows = [li.get_text(" ", strip=True) for li in unit.select(".unit-campaigns li")]
    assert rows == ["Tháng Công nhân năm 2020 2 tin bài"]


def test_theme_pages_and_feeds(may_2020):
    index = may_2020.html("chu-de/")
    groups = [h.get_text(strip=True) for h in index.select(".theme-group h2")]
    assert groups == list(data.THEME_GROUPS.values())
    assert len(index.select(".theme-group li")) == len(data.themes())
    page = may_2020.html("chu-de/an-toan-ve-sinh-lao-dong/")
    assert page.select_one("h1").get_text(strip=True) == "An toàn, vệ sinh lao động"
    titles = [a.get_text(strip=True) for a in page.select(".card-title a")]
    assert "Video: an toàn lao động ở Mạo Khê" in titles
    parent = may_2020.html("chu-de/su-kien/")
    assert "chu-de/an-toan-ve-sinh-lao-dong/" in " ".join(
        a["href"] for a in parent.select(".theme-children a"))
    feed = may_2020.xml("chu-de/an-toan-ve-sinh-lao-dong/feed.xml")
    assert "Video: an toàn lao động ở Mạo Khê" in [
        e.find("title").get_text() for e in feed.find_all("entry")]


def _data_copy(tmp_path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(ROOT / "data", folder)
    return folder


def test_a_2027_campaign_in_the_data_file_alone_gets_its_landing_page(make_site, tmp_path):
    folder = _data_copy(tmp_path)
    with (folder / "campaigns.yml").open("a", encoding="utf-8") as out:
        out.write("\n- slug: thang-cong-nhan-2027\n"
                  "  name: Tháng Công nhân năm 2027\n"
                  "  family: thang-cong-nhan\n"
                  "  year: 2027\n"
                  "  start: 2027-05-01\n"
                  "  end: 2027-05-31\n"
                  "  slogan: Công nhân an toàn, công đoàn vững mạnh\n"
                  "  description: Chiến dịch truyền thông Tháng Công nhân năm 2027.\n"
                  "  banner: images/chien-dich/thang-cong-nhan-2027.png\n"
                  "  keywords: [Tháng Công nhân, ATVSLĐ]\n"
                  "  themes: [thang-cong-nhan]\n")
    site = make_site({"bai-viet/than-ha-lam/2027/a.md": article(
        title="Ra quân Tháng Công nhân 2027", date="2027-05-31 23:59")},
        strict=True, NEWSROOM_DATA=folder, NEWSROOM_TODAY="2027-05-10")
    page = site.html("chien-dich/thang-cong-nhan-2027/")
    assert page.select_one("h1").get_text(strip=True) == "Tháng Công nhân năm 2027"
    assert page.select_one(".campaign-status").get_text(strip=True) == "Đang diễn ra"
    assert _titles(page) == ["Ra quân Tháng Công nhân 2027"]
    assert not page.select("img.campaign-banner")  # no banner drawn yet: a text banner
    assert site.exists("chien-dich/thang-cong-nhan-2027/feed.xml")
    index = site.html("chien-dich/")
    assert index.select(".campaign-year h2")[0].get_text(strip=True) == "Năm 2027"
    # Without the copy of the data file, the project's own data knows no such campaign.
    assert "thang-cong-nhan-2027" not in data.campaigns()


def test_banner_is_drawn_for_a_new_campaign(tmp_path):
    folder = _data_copy(tmp_path)
    content = tmp_path / "content"
    for slug in data.campaigns(folder):
        target = content / "images" / "chien-dich" / f"{slug}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"existing")
    target.unlink()
    written = banners.make_banners(content, folder)
    assert written == [target]
    with Image.open(target) as image:
        assert image.size == banners.SIZE
        assert len(image.convert("RGB").getcolors(1 << 16)) > 8  # text drawn, not a flat fill
    assert banners.make_banners(content, folder) == []


def test_invoke_tags_explains_each_decision(tmp_path):
    content = tmp_path / "content"
    for rel, text in {
        "bai-viet/than-ha-lam/2020/a.md": article(title="Đối thoại trong Tháng Công nhân",
                                                  date="2020-05-06 08:30"),
        "bai-viet/than-ha-lam/2020/b.md": article(title="Tin Tháng Công nhân",
                                                  date="2020-05-07 08:30", campaign="none"),
        "bai-viet/than-ha-lam/2020/c.md": article(title="Tin sai", date="2020-05-08 08:30",
                                                  campaign="thang-cong-nhan-2002"),
    }.items():
        (content / rel).parent.mkdir(parents=True, exist_ok=True)
        (content / rel).write_text(text, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "invoke", "tags", "--content", str(content)],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    out = run.stdout
    assert ("Chiến dịch: thang-cong-nhan-2020 — từ khóa “Tháng Công nhân” trong tiêu đề; "
            "bài đăng trong thời gian chiến dịch 01/05/2020–30/05/2020") in out
    assert "Chiến dịch: không gắn (Campaign: none)" in out
    assert "không có chiến dịch “thang-cong-nhan-2002”" in out
    assert "Campaign: none" in out.splitlines()[-2]  # how to correct a wrong guess
    run = subprocess.run([sys.executable, "-m", "invoke", "tags", "--content", str(content),
                          "--json", "--only", "thang-cong-nhan-2020"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    rows = json.loads(run.stdout)
    assert [r["path"] for r in rows] == ["bai-viet/than-ha-lam/2020/a.md"]
    assert rows[0]["campaign"][0]["explicit"] is False



def test_tags_only_an_unknown_slug_is_an_error_naming_the_closest(tmp_path):
    content = tmp_path / "content"
    (content / "bai-viet").mkdir(parents=True)
    run = subprocess.run([sys.executable, "-m", "invoke", "tags", "--content", str(content),
                          "--only", "thang-cong-nhan-2002"], cwd=ROOT, capture_output=True,
                         text=True)
    assert run.returncode == 1 and "0 bài" not in run.stdout
    assert "Traceback" not in run.stderr
    assert "không có chiến dịch hay chủ đề “thang-cong-nhan-2002”" in run.stderr
    assert "Có phải là “thang-cong-nhan-2020”" in run.stderr
    with pytest.raises(tagging.UnknownSlug, match="Có phải là “an-toan-ve-sinh-lao-dong"):
        tagging.audit(content, only="an-toan-ve-sinh")
    with pytest.raises(tagging.UnknownSlug, match="“zzzz” trong .*themes.yml. Viết đúng slug"):
        tagging.audit(content, only="zzzz")
    # a known slug written in capitals, with spaces around, is taken
    assert tagging.known_slug(" Thang-Cong-Nhan-2020 ") == "thang-cong-nhan-2020"
    assert tagging.audit(content, only=" Thang-Cong-Nhan-2020 ") == []

# --- The sample site ------------------------------------------------------------------------

def test_sample_exercises_every_2020_campaign_and_a_later_year(sample_site):
    rows = tagging.audit(ROOT / "content")
    given = {d.slug for r in rows for d in r["campaign"]}
    assert PLAN_2020 <= given
    later = {slug for slug in given if data.campaigns()[slug]["year"] > 2021}
    assert later
    decisions = [d for r in rows for d in r["campaign"]]
    assert any(d.explicit for d in decisions) and any(not d.explicit for d in decisions)
    assert any("campaign" in r["opted_out"] for r in rows)
    assert not [e for r in rows for e in r["errors"] if ": lỗi:" in e]
    for slug in PLAN_2020 | later:
        page = sample_site.html(f"chien-dich/{slug}/")
        assert page.select(".campaign-articles .card"), slug


def test_a_wrong_build_date_setting_stops_the_build_at_once(make_site):
    with pytest.raises(Exception, match="plugin campaigns: NEWSROOM_TODAY = '15/05/2020'.*"
                                        "YYYY-MM-DD"):
        make_site({"bai-viet/than-ha-lam/2020/a.md": article()}, NEWSROOM_TODAY="15/05/2020")


def test_year_long_campaigns_need_two_mentions_in_the_body():
    once = "Tổ lò chợ số 2 được nêu là điển hình tiên tiến của phân xưởng."
    twice = once + " Công ty sẽ nhân rộng điển hình tiên tiến này."
    values = _values("Một ca sản xuất ở lò chợ", "2021-08-10 09:00")
    assert "dien-hinh-tien-tien-2021" not in _slugs(tagging.tag_article(values, once))
    result = tagging.tag_article(values, twice)
    assert _slugs(result) == ["dien-hinh-tien-tien-2021"]
    assert "(2 lần)" in result["campaign"][0].reason


def test_nfd_file_from_a_mac_is_tagged_in_a_real_build(make_site):
    text = article(title="Thợ lò kiểm tra chéo ATVSLĐ", date="30/05/2020 23:59",
                   body="Đoàn kiểm tra đi các công trường.")
    nfd = unicodedata.normalize("NFD", text).encode("utf-8")
    assert nfd != text.encode("utf-8")
    site = make_site({"bai-viet/than-ha-lam/2020/nfd.md": nfd}, strict=True,
                     NEWSROOM_TODAY="2020-06-01")
    page = site.html("chien-dich/thang-cong-nhan-2020/")
    assert page.select_one(".campaign-status").get_text(strip=True) == "Đã kết thúc"
    assert _titles(page) == ["Thợ lò kiểm tra chéo ATVSLĐ"]
    art = site.html("2020/05/tho-lo-kiem-tra-cheo-atvsld/")
    assert [a.get_text(strip=True) for a in art.select(".article-campaigns a")] == [
        "Tháng Công nhân năm 2020"]


def test_fast_folding_equals_newsroom_text_fold_for_every_character():
    import re

    from newsroom.core.text import fold

    def reference(text):
        return " ".join(re.sub(r"[^0-9a-z]+", " ", fold(text)).split())

    chars = (chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF)
    assert [c for c in chars if tagging.normalize(f"a{c}b") != reference(f"a{c}b")] == []
    sample = unicodedata.normalize("NFD", "“Tết” ĐOÀN VIÊN – Người lao động ATVSLĐ")
    assert tagging.normalize(sample) == reference(sample) == "tet doan vien nguoi lao dong atvsld"
