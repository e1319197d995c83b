"""The report for Ban Tuyên giáo (``invoke report``) and the clippings it summarises.

The tests write articles and clippings with known counts into a temporary content folder and a
temporary data folder (small unit list with known quotas, one campaign, three themes, two
outlets), run the report, and check every figure in the CSV files and in the HTML.
"""
from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from newsroom.core import data
from newsroom.core.paths import ROOT
from newsroom.editorial import articles, clippings, report
from tests.helpers import article

PERIOD = ("2020-05-04", "2020-05-31")     # ISO weeks 19–22 of 2020, Monday to Sunday
TODAY = dt.date(2020, 6, 15)

UNITS = """\
- slug: than-a
  name: Công đoàn Công ty Than A
  short: Than A
  quota_per_week: 2
- slug: than-b
  name: Công đoàn Công ty Than B
  short: Than B
  quota_per_week: 1
- slug: than-c
  name: Công đoàn Công ty Than C
  short: Than C
  quota_per_week: 1
- slug: than-d
  name: Công đoàn Công ty Than Đ
  short: Than Đ
  quota_per_week: 1
"""

OUTLETS = """\
- slug: cong-doan-viet-nam
  name: Cổng Thông tin điện tử Công đoàn Việt Nam
  url: https://congdoan.vn
  kind: portal
  weekly_min: 1
- slug: bao-lao-dong
  name: Báo Lao động
  url: https://laodong.vn
  kind: press
- slug: facebook
  name: Facebook
  url: https://www.facebook.com
  kind: social
"""

THEMES = """\
- slug: su-kien
  name: Sự kiện truyền thông
  group: su-kien
- slug: an-toan-ve-sinh-lao-dong
  name: An toàn, vệ sinh lao động
  group: su-kien
  parent: su-kien
  keywords: [an toàn lao động, ATVSLĐ]
- slug: chu-dong
  name: Chủ động
  group: thong-diep
"""

CAMPAIGNS = """\
- slug: thang-cong-nhan-2020
  name: Tháng Công nhân năm 2020
  family: thang-cong-nhan
  year: 2020
  start: 2020-05-01
  end: 2020-05-30
  slogan: "Năng suất cao - An toàn lao động - Thu nhập tốt"
  keywords: [Tháng Công nhân]
  themes: [an-toan-ve-sinh-lao-dong]
- slug: ky-niem-thanh-lap-cong-doan-2020
  name: Kỷ niệm 91 năm Ngày thành lập Công đoàn Việt Nam
  family: ky-niem-cong-doan
  year: 2020
  start: 2020-07-01
  end: 2020-07-30
  keywords: [28/7]
"""

# (unit, date, category, extra fields) – the figures below are counted from this list by hand.
ARTICLES = [
    # than-a, quota 2: W19 2, W20 2, W21 1, W22 3 -> 8 items, 3 of 4 weeks met
    ("than-a", "2020-05-04 00:10", "Tin tức", {"Sent_to": "cong-doan-viet-nam",
                                               "Campaign": "thang-cong-nhan-2020"}),
    ("than-a", "2020-05-06 09:00", "Ảnh", {"Title": "Ảnh: Tháng Công nhân ở Than A"}),
    # 00:30 on Monday 11/5 in Vietnam is still Sunday 10/5 in UTC: it belongs to week 20
    ("than-a", "2020-05-11 00:30", "Video", {"Sent_to": "cong-doan-viet-nam, bao-lao-dong",
                                             "Theme": "chu-dong"}),
    ("than-a", "2020-05-13 10:00", "Tin tức", {"Title": "Than A kiểm tra an toàn lao động"}),
    ("than-a", "2020-05-20 10:00", "Tin tức", {"Campaign": "none",
                                               "Title": "Than A khen thưởng Tháng Công nhân"}),
    ("than-a", "2020-05-25 08:00", "Tin tức", {}),
    ("than-a", "2020-05-27 08:00", "Tin tức", {"Sent_to": "cong-doan-viet-nam"}),
    # Sunday 31/5 is after the campaign window (ends 30/5): the keyword does not tag it
    ("than-a", "2020-05-31 23:30", "Tin tức", {"Title": "Tổng kết Tháng Công nhân ở Than A"}),
    # after the period: not counted, not "last seen" either
    ("than-a", "2020-06-02 08:00", "Tin tức", {"Sent_to": "cong-doan-viet-nam"}),
    # than-b, quota 1: one a week -> 4 items, 4 of 4 weeks met
    ("than-b", "2020-05-05 08:00", "Tin tức", {"Campaign": "thang-cong-nhan-2020",
                                               "Theme": "an-toan-ve-sinh-lao-dong"}),
    ("than-b", "2020-05-12 08:00", "Tin tức", {"Sent_to": "Báo Lao động"}),
    ("than-b", "2020-05-19 08:00", "Ảnh", {}),
    ("than-b", "2020-05-25 08:00", "Tin tức", {}),
    ("than-b", "2020-05-20 08:00", "Tin tức", {"Status": "draft",
                                               "Sent_to": "cong-doan-viet-nam"}),
    # than-c: only before the period -> silent since 10/4 (51 days before 31/5)
    ("than-c", "2020-04-10 08:00", "Tin tức", {}),
    # than-d: nothing at all
]


def write_data(folder: Path, clipping_files: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "data" / "categories.yml", folder / "categories.yml")
    for name, text in (("units", UNITS), ("outlets", OUTLETS), ("themes", THEMES),
                       ("campaigns", CAMPAIGNS)):
        (folder / f"{name}.yml").write_text(text, encoding="utf-8")
    for name, text in (clipping_files or {}).items():
        target = folder / "clippings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def write_content(folder: Path, articles=ARTICLES) -> Path:
    for index, (unit, date, category, extra) in enumerate(articles):
        extra = dict(extra)
        title = extra.pop("Title", f"Tin số {index} của {unit}")
        path = folder / "bai-viet" / unit / date[:4] / f"tin-{index:02d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article(title=title, date=date, unit=unit, category=category,
                                body="Nội dung tin.", **extra), encoding="utf-8")
    return folder


CLIPPINGS = """\
    # Tin theo dõi mẫu cho kiểm thử
    - date: 2020-05-04 08:00
      source: bao-lao-dong
      url: https://laodong.vn/a.html
      title: Than A thi đua sản xuất
      unit: than-a
      tone: positive
    - date: 05/05/2020
      source: Facebook
      url: https://www.facebook.com/p/1
      title: Clip thợ lò được chia sẻ
      tone: tích cực
    - date: 2020-05-08
      source: Báo Quảng Ninh
      url: https://baoquangninh.vn/b.html
      title: Ngành than giãn ca
      tone: neutral
    - date: 2020-05-12
      source: facebook
      url: https://www.facebook.com/p/2
      title: Phản ánh chậm trả tiền bồi dưỡng
      unit: than-b
      tone: tiêu cực
      notable: yes
      note: Đã chuyển Ban Chính sách pháp luật
    - date: 2020-05-14
      source: bao-lao-dong
      url: https://laodong.vn/c.html
      title: Than B đối thoại với công nhân
      unit: Than B
      tone: positive
    - date: 2020-05-26
      source: bao-lao-dong
      url: https://laodong.vn/d.html
      title: Tai nạn lao động trong lò
      tone: negative
    - date: 2020-05-29
      source: Báo Quảng Ninh
      url: https://baoquangninh.vn/e.html
      title: Công nhân hỏi về lương tối thiểu
      tone: neutral
    # outside the period: Sunday 3/5 (week 18) and 1/6 (week 23)
    - date: 2020-05-03
      source: facebook
      url: https://www.facebook.com/p/3
      title: Trước kỳ
      tone: negative
    - date: 2020-06-01
      source: bao-lao-dong
      url: https://laodong.vn/f.html
      title: Sau kỳ
      tone: positive
"""


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The report of weeks 19–22 of 2020 over the content and clippings above."""
    base = tmp_path_factory.mktemp("report")
    data_dir = write_data(base / "data", {"2020.yml": CLIPPINGS})
    content = write_content(base / "content")
    result, index = report.run(*PERIOD, base / "out", content_dir=content, data_dir=data_dir,
                               silent_days=14, today=TODAY)
    out = index.parent
    return {"report": result, "out": out, "html": BeautifulSoup(index.read_text("utf-8"), "lxml"),
            "csv": {p.name: read_csv(p) for p in out.glob("*.csv")}}


def by(rows, **match):
    found = [row for row in rows if all(row[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


def cell(soup, selector) -> str:
    found = soup.select(selector)
    assert len(found) == 1, (selector, found)
    return found[0].get_text(" ", strip=True)


# ---------------------------------------------------------------- units and quotas

UNIT_FIGURES = {
    # slug: (quota, expected, items, pct, weeks met, status, last, silent days, silent)
    "than-a": ("2", "8", "8", "100", "3", "Chưa đạt", "2020-05-31", "0", "Không"),
    "than-b": ("1", "4", "4", "100", "4", "Đạt", "2020-05-25", "6", "Không"),
    "than-c": ("1", "4", "0", "0", "0", "Chưa đạt", "2020-04-10", "51", "Có"),
    "than-d": ("1", "4", "0", "0", "0", "Chưa đạt", "", "", "Có"),
}


def test_unit_quota_figures_in_csv(made):
    rows = made["csv"]["don-vi.csv"]
    assert [row["Đơn vị"] for row in rows] == list(UNIT_FIGURES)
    for slug, figures in UNIT_FIGURES.items():
        row = by(rows, **{"Đơn vị": slug})
        assert (row["Hạn mức/tuần"], row["Chỉ tiêu"], row["Số bài"], row["Tỷ lệ (%)"],
                row["Tuần đạt"], row["Đánh giá"], row["Bài gần nhất"], row["Số ngày im lặng"],
                row["Im lặng"]) == figures, slug
        assert row["Số tuần"] == "4"


def test_unit_quota_figures_in_html(made):
    soup = made["html"]
    for slug, (quota, expected, items, pct, met, status, last, days, silent) in \
            UNIT_FIGURES.items():
        row = f"#bang-don-vi tr[data-unit={slug}]"
        assert cell(soup, f"{row} td[data-col=quota]") == quota
        assert cell(soup, f"{row} td[data-col=expected]") == expected
        assert cell(soup, f"{row} td[data-col=total]") == items
        assert cell(soup, f"{row} td[data-col=pct]") == f"{pct}%"
        assert cell(soup, f"{row} td[data-col=met]") == f"{met}/4"
        assert cell(soup, f"{row} td[data-col=status]") == status
        flagged = "flag" in soup.select_one(row).get("class", [])
        assert flagged == (silent == "Có"), slug
        bar = soup.select_one(f"#don-vi svg g.bar[data-label='{slug_short(slug)}']")
        assert bar["data-value"] == items
        assert (bar.rect["fill"] == "#c0392b") == (status == "Chưa đạt")
    assert cell(soup, "#don-vi-dat b") == "1/4"


def slug_short(slug):
    return {"than-a": "Than A", "than-b": "Than B", "than-c": "Than C", "than-d": "Than Đ"}[slug]


def test_week_grid_shows_each_unit_against_its_quota(made):
    soup = made["html"]
    colours = {"#2e8b57": "đạt", "#e6a23c": "thiếu", "#e4b7b2": "không có"}
    expected = {"than-a": (["2", "2", "1", "3"], ["đạt", "đạt", "thiếu", "đạt"]),
                "than-b": (["1"] * 4, ["đạt"] * 4),
                "than-c": (["0"] * 4, ["không có"] * 4),
                "than-d": (["0"] * 4, ["không có"] * 4)}
    rows = soup.select("#don-vi svg.chart-grid g.grid-row")
    assert [g["data-unit"] for g in rows] == list(expected)
    for row in rows:
        cells = row.select("rect")
        assert [c["data-week"] for c in cells] == [f"2020-W{n}" for n in range(19, 23)]
        values, states = expected[row["data-unit"]]
        assert [c["data-value"] for c in cells] == values
        assert [colours[c["fill"]] for c in cells] == states


def test_silent_units_are_listed_longest_first(made):
    soup = made["html"]
    listed = [(li["data-unit"], li["data-days"]) for li in soup.select("#im-lang li")]
    assert listed == [("than-d", ""), ("than-c", "51")]
    assert "chưa có bài nào" in soup.select_one("#im-lang li[data-unit=than-d]").text
    assert "10/04/2020" in soup.select_one("#im-lang li[data-unit=than-c]").text
    assert cell(soup, "#don-vi-im-lang b") == "2"
    assert made["report"].summary["units_silent"] == 2


def test_weekly_and_monthly_counts(made):
    weeks = made["csv"]["don-vi-theo-tuan.csv"]
    expected = {"than-a": [2, 2, 1, 3], "than-b": [1, 1, 1, 1], "than-c": [0] * 4,
                "than-d": [0] * 4}
    quota = {"than-a": 2, "than-b": 1, "than-c": 1, "than-d": 1}
    assert len(weeks) == 16
    for slug, counts in expected.items():
        for number, count in zip(range(19, 23), counts):
            row = by(weeks, **{"Đơn vị": slug, "Tuần": f"2020-W{number}"})
            assert row["Số bài"] == str(count)
            assert row["Hạn mức"] == str(quota[slug])
            assert row["Đạt"] == ("Có" if count >= quota[slug] else "Không")
    assert by(weeks, **{"Đơn vị": "than-a", "Tuần": "2020-W20"})["Từ ngày"] == "2020-05-11"
    assert by(weeks, **{"Đơn vị": "than-a", "Tuần": "2020-W20"})["Đến ngày"] == "2020-05-17"

    months = made["csv"]["don-vi-theo-thang.csv"]
    assert len(months) == 4
    for slug, (count, target) in {"than-a": (8, 8), "than-b": (4, 4), "than-c": (0, 4),
                                  "than-d": (0, 4)}.items():
        row = by(months, **{"Đơn vị": slug, "Tháng": "05/2020"})
        assert (row["Số ngày trong kỳ"], row["Số bài"], row["Chỉ tiêu"]) == \
            ("28", str(count), str(target))
        td = made["html"].select_one(f"#bang-don-vi-thang tr[data-unit={slug}] td.num")
        assert (td["data-count"], td["data-target"]) == (str(count), str(target))
        assert td.get_text(strip=True) == f"{count}/{target}"
        assert ("flag" in td["class"]) == (count < target)


def test_articles_csv_lists_what_was_counted(made):
    rows = made["csv"]["bai-viet.csv"]
    assert len(rows) == 12          # 8 + 4; the draft and the items outside the period are out
    assert made["report"].summary["articles"] == 12
    assert cell(made["html"], "#so-bai b") == "12"
    assert by(rows, **{"Ngày đăng": "2020-05-11 00:30"})["Tuần"] == "2020-W20"
    assert by(rows, **{"Ngày đăng": "2020-05-12 08:00"})["Gửi tới"] == "bao-lao-dong"
    assert made["report"].summary["drafts"] == 1


# ---------------------------------------------------------------- campaigns and themes

def test_campaign_coverage_uses_the_build_tagging(made):
    # explicit on two items, keyword "Tháng Công nhân" in the title of one (6/5, in window);
    # "Campaign: none" (20/5) and 31/5 (after the window) are not tagged
    rows = made["csv"]["chien-dich.csv"]
    row = by(rows, **{"Chiến dịch": "thang-cong-nhan-2020"})
    assert row == {"Chiến dịch": "thang-cong-nhan-2020", "Tên chiến dịch": "Tháng Công nhân năm 2020",
                   "Từ ngày": "2020-05-01", "Đến ngày": "2020-05-30", "Tổng": "3",
                   "Tin tức": "2", "Bài viết - Phóng sự": "0", "Ảnh": "1", "Video": "0",
                   "Tư vấn pháp luật": "0", "Gương điển hình": "0"}
    assert (row["Từ ngày"], row["Đến ngày"]) == ("2020-05-01", "2020-05-30")
    # the July campaign has no item and no day in the period
    assert [r["Chiến dịch"] for r in rows] == ["thang-cong-nhan-2020"]

    units = made["csv"]["chien-dich-don-vi.csv"]
    assert len(units) == 2
    a = by(units, **{"Chiến dịch": "thang-cong-nhan-2020", "Đơn vị": "than-a"})
    assert list(a.values())[2:] == ["Công đoàn Công ty Than A", "2", "1", "0", "1", "0", "0",
                                    "0"]
    b = by(units, **{"Chiến dịch": "thang-cong-nhan-2020", "Đơn vị": "than-b"})
    assert list(b.values())[2:] == ["Công đoàn Công ty Than B", "1", "1", "0", "0", "0", "0",
                                    "0"]
    assert [u["Đơn vị"] for u in units] == ["than-a", "than-b"]      # most items first

    soup = made["html"]
    section = "#chien-dich article[data-campaign=thang-cong-nhan-2020]"
    assert cell(soup, f"{section} p b[data-col=total]") == "3"
    assert cell(soup, f"{section} tr[data-unit=than-a] td[data-col=total]") == "2"
    assert cell(soup, f"{section} tr[data-unit=than-b] td[data-col=total]") == "1"
    head = [th.get_text(strip=True) for th in soup.select(f"{section} thead th")]
    foot = [th.get_text(strip=True) for th in soup.select(f"{section} tfoot th")]
    assert foot[head.index("Tin tức")] == "2" and foot[head.index("Ảnh")] == "1"
    bars = {g["data-label"]: g["data-value"] for g in soup.select(f"{section} svg g.bar")}
    assert bars == {"Than A": "2", "Than B": "1"}


def test_report_tags_exactly_as_the_tagging_module(made, tmp_path):
    """The reading loop hands each article to tag_article: same result as calling it."""
    from newsroom.core import schema
    from newsroom.core.tagging import tag_article

    data_dir = write_data(tmp_path / "data")
    content = write_content(tmp_path / "content")
    items = {item.path.rsplit("/", 1)[-1]: item for item in
             articles.read(content, data_dir).items}
    for path in sorted(content.rglob("*.md")):
        header = schema.split(schema.read_source(path))
        values, _ = schema.validate(header, path, content_root=content, data_dir=data_dir)
        if values["status"] == "draft":
            assert path.name not in items
            continue
        tags = tag_article(values, header.body, data_dir=data_dir)
        assert items[path.name].campaigns == tuple(d.slug for d in tags["campaign"])
        assert items[path.name].themes == tuple(d.slug for d in tags["theme"])


def test_theme_and_pillar_coverage(made):
    # an-toan: explicit on 5/5 (than-b), keyword in the title on 13/5 -> 2; its parent su-kien
    # gets both; chu-dong (a message pillar): explicit on 11/5 -> 1
    rows = made["csv"]["chu-de.csv"]
    expected = {"su-kien": ("Sự kiện truyền thông", "2"),
                "an-toan-ve-sinh-lao-dong": ("Sự kiện truyền thông", "2"),
                "chu-dong": ("Thông điệp truyền thông", "1")}
    assert [r["Chủ đề"] for r in rows] == list(expected)
    for slug, (group, total) in expected.items():
        row = by(rows, **{"Chủ đề": slug})
        assert (row["Nhóm"], row["Tổng"], row["05/2020"]) == (group, total, total)
        assert cell(made["html"], f"#bang-chu-de tr[data-theme={slug}] td[data-col=total]") \
            == total


# ---------------------------------------------------------------- portal and press

def test_weeks_without_a_portal_item(made):
    rows = made["csv"]["gui-di-theo-tuan.csv"]
    portal = {r["Tuần"]: r for r in rows if r["Nơi nhận"] == "cong-doan-viet-nam"}
    assert {week: r["Số bài"] for week, r in portal.items()} == \
        {"2020-W19": "1", "2020-W20": "1", "2020-W21": "0", "2020-W22": "1"}
    assert [w for w, r in portal.items() if r["Đạt"] == "Không"] == ["2020-W21"]
    assert all(r["Tối thiểu"] == "1" for r in portal.values())
    assert all(r["Tên nơi nhận"] == "Cổng Thông tin điện tử Công đoàn Việt Nam"
               for r in portal.values())
    assert (portal["2020-W21"]["Từ ngày"], portal["2020-W21"]["Đến ngày"]) == \
        ("2020-05-18", "2020-05-24")
    assert len(rows) == 8                                    # 2 outlets x 4 weeks
    press = {r["Tuần"]: r["Số bài"] for r in rows if r["Nơi nhận"] == "bao-lao-dong"}
    assert press == {"2020-W19": "0", "2020-W20": "2", "2020-W21": "0", "2020-W22": "0"}
    assert not [r for r in rows if r["Nơi nhận"] == "facebook"]   # nothing sent, no minimum

    soup = made["html"]
    block = "#gui-di div.outlet[data-outlet=cong-doan-viet-nam]"
    assert [li["data-week"] for li in soup.select(f"{block} li")] == ["2020-W21"]
    assert "Tuần 21/2020" in cell(soup, f"{block} li")
    columns = {g["data-label"].split(" ")[1]: g["data-value"]
               for g in soup.select(f"{block} svg g.column")}
    assert columns == {"19/2020": "1", "20/2020": "1", "21/2020": "0", "22/2020": "1"}
    assert soup.select_one(f"{block} svg line.target")["data-value"] == "1"
    assert cell(soup, "#tong-quan li.tuan-thieu[data-outlet=cong-doan-viet-nam] b") == "1"
    td = soup.select_one("#bang-gui-di tr[data-week='2020-W21'] td[data-outlet=cong-doan-viet-nam]")
    assert td.get_text(strip=True) == "0" and "flag" in td["class"]
    assert cell(soup, "#bang-gui-di tr[data-week='2020-W20'] td[data-outlet=bao-lao-dong]") == "2"
    assert len(soup.select("#bai-da-gui li")) == 4


# ---------------------------------------------------------------- press monitoring

def test_clippings_by_week_and_tone(made):
    rows = made["csv"]["bao-chi-theo-tuan.csv"]
    expected = {"2020-W19": ("2", "1", "0", "3"), "2020-W20": ("1", "0", "1", "2"),
                "2020-W21": ("0", "0", "0", "0"), "2020-W22": ("0", "1", "1", "2")}
    assert [r["Tuần"] for r in rows] == list(expected)
    for week, figures in expected.items():
        row = by(rows, **{"Tuần": week})
        assert (row["Tích cực"], row["Trung lập"], row["Tiêu cực"], row["Tổng"]) == figures
        html_row = [td.get_text(strip=True)
                    for td in made["html"].select(f"#bang-bao-chi-tuan tr[data-week='{week}'] td")]
        assert html_row == [week, *figures]
        column = made["html"].select_one(f"#bao-chi svg g.column[data-label^='Tuần "
                                         f"{int(week[-2:])}/2020']")
        assert column["data-value"] == figures[3]
        drawn = {rect["data-series"]: rect["data-value"] for rect in column.select("rect")}
        assert drawn == {name: n for name, n in zip(("Tích cực", "Trung lập", "Tiêu cực"),
                                                     figures) if n != "0"}
    cards = {li["data-tone"]: li.b.get_text(strip=True)
             for li in made["html"].select("#sac-thai li")}
    assert cards == {"positive": "3", "neutral": "2", "negative": "2"}
    assert cell(made["html"], "#so-tin-bao-chi b") == "7"
    assert cell(made["html"], "#so-tin-tieu-cuc b") == "2"


def test_clippings_by_source(made):
    rows = made["csv"]["bao-chi-theo-nguon.csv"]
    expected = {"Báo Lao động": ("báo chí", "2", "0", "1", "3"),
                "Facebook": ("mạng xã hội", "1", "0", "1", "2"),
                "Báo Quảng Ninh": ("báo chí", "0", "2", "0", "2")}
    assert [r["Nguồn"] for r in rows] == ["Báo Lao động", "Báo Quảng Ninh", "Facebook"]
    for source, figures in expected.items():
        row = by(rows, **{"Nguồn": source})
        assert (row["Loại nguồn"], row["Tích cực"], row["Trung lập"], row["Tiêu cực"],
                row["Tổng"]) == figures
        html_row = [td.get_text(strip=True) for td in
                    made["html"].select(f"#bang-bao-chi-nguon tr[data-source='{source}'] td")]
        assert html_row == [source, *figures]


def test_negative_items_are_listed_first(made):
    rows = made["csv"]["bao-chi.csv"]
    assert [r["Tiêu đề"] for r in rows] == [
        "Phản ánh chậm trả tiền bồi dưỡng",      # negative, notable
        "Tai nạn lao động trong lò",             # negative, newest first after notable ones
        "Công nhân hỏi về lương tối thiểu",      # neutral 29/5
        "Ngành than giãn ca",                    # neutral 8/5
        "Than B đối thoại với công nhân",        # positive 14/5
        "Clip thợ lò được chia sẻ",
        "Than A thi đua sản xuất",
    ]
    assert rows[0] == {"Ngày": "2020-05-12", "Tuần": "2020-W20", "Nguồn": "Facebook",
                       "Loại nguồn": "mạng xã hội", "Sắc thái": "Tiêu cực", "Đáng chú ý": "Có",
                       "Đơn vị": "than-b", "Tiêu đề": "Phản ánh chậm trả tiền bồi dưỡng",
                       "Đường dẫn": "https://www.facebook.com/p/2",
                       "Ghi chú": "Đã chuyển Ban Chính sách pháp luật"}
    assert [r["Tuần"] for r in rows] == ["2020-W20", "2020-W22", "2020-W22", "2020-W19",
                                         "2020-W20", "2020-W19", "2020-W19"]
    assert [r["Sắc thái"] for r in rows] == ["Tiêu cực"] * 2 + ["Trung lập"] * 2 + \
        ["Tích cực"] * 3
    assert by(rows, **{"Tiêu đề": "Than B đối thoại với công nhân"})["Đơn vị"] == "than-b"
    items = made["html"].select("#danh-sach-bao-chi li")
    assert [li["data-tone"] for li in items] == ["negative", "negative", "neutral", "neutral",
                                                  "positive", "positive", "positive"]
    assert items[0].a["href"] == "https://www.facebook.com/p/2"
    assert "Đã chuyển Ban Chính sách pháp luật" in items[0].text


# ---------------------------------------------------------------- the page itself

def test_page_is_vietnamese_phone_ready_and_printable(made):
    soup = made["html"]
    assert soup.html["lang"] == "vi"
    assert "width=device-width" in soup.select_one("meta[name=viewport]")["content"]
    assert soup.select_one("meta[name=robots]")["content"] == "noindex, nofollow"
    style = soup.style.string
    assert "@media print" in style and "@page" in style
    note = soup.select_one("header p.note").text
    assert "ISO 8601" in note and "Asia/Ho_Chi_Minh" in note
    assert "Kỳ báo cáo" in cell(soup, "#ky-bao-cao") and "04/05/2020" in cell(soup, "#ky-bao-cao")
    assert not soup.select("script")
    assert {a["href"] for a in soup.select("footer a")} == set(made["csv"])
    for svg in soup.select("svg"):
        fits = "chart-grid" not in svg["class"]          # the week grid scrolls sideways
        assert svg["viewbox"] and (svg["width"] == "100%") == fits
        assert svg.find("title").get_text(strip=True)


def test_partial_weeks_count_pro_rata_and_are_named(tmp_path):
    data_dir = write_data(tmp_path / "data")
    content = write_content(tmp_path / "content")
    result, index = report.run("2020-05-06", "2020-05-12", tmp_path / "out",
                               content_dir=content, data_dir=data_dir, today=TODAY)
    soup = BeautifulSoup(index.read_text("utf-8"), "lxml")
    assert [w.key for w in result.period.weeks] == ["2020-W19", "2020-W20"]
    assert "Tuần 19/2020" in soup.select_one("header p.note").text
    assert "theo số ngày trong kỳ" in soup.select_one("header p.note").text
    assert "(7 ngày: 5 ngày của tuần 19/2020, 2 ngày của tuần 20/2020)" in \
        soup.select_one("#ky-bao-cao").text
    # than-a, quota 2: 5 days of W19 ask 2×5/7 ≈ 1, 2 days of W20 ask 2×2/7 ≈ 1; 6/5 and 11/5
    row = by(read_csv(index.parent / "don-vi.csv"), **{"Đơn vị": "than-a"})
    assert (row["Số tuần"], row["Số ngày"], row["Chỉ tiêu"], row["Số bài"], row["Tuần đạt"]) \
        == ("2", "7", "2", "2", "2")
    weeks = read_csv(index.parent / "don-vi-theo-tuan.csv")
    assert [(r["Số ngày trong kỳ"], r["Hạn mức"]) for r in weeks if r["Đơn vị"] == "than-a"] \
        == [("5", "1"), ("2", "1")]


def test_a_one_day_week_is_not_a_whole_quota_week(tmp_path):
    """16/11–07/12/2026 is 22 days: three whole weeks and Monday 07/12. That day asks 2×1/7 of
    a quota of 2, which rounds to nothing: the week is shown, not judged, and the label is true."""
    data_dir = write_data(tmp_path / "data")
    content = write_content(tmp_path / "content")
    made, index = report.run("16/11/2026", "07/12/2026", tmp_path / "out", content_dir=content,
                             data_dir=data_dir, today=dt.date(2026, 12, 7))
    label = "22 ngày: 3 tuần trọn và 1 ngày của tuần 50/2026"
    assert made.period.label == label
    assert f"({label}): " in report.describe(made, index)
    assert "4 tuần" not in report.describe(made, index)
    soup = BeautifulSoup(index.read_text("utf-8"), "lxml")
    assert label in soup.select_one("#ky-bao-cao").text
    row = by(read_csv(index.parent / "don-vi.csv"), **{"Đơn vị": "than-a"})
    assert (row["Số tuần"], row["Số ngày"], row["Chỉ tiêu"]) == ("3", "22", "6")
    week = by(read_csv(index.parent / "don-vi-theo-tuan.csv"),
              **{"Đơn vị": "than-a", "Tuần": "2026-W50"})
    assert (week["Số ngày trong kỳ"], week["Hạn mức"], week["Đạt"]) == ("1", "", "Không tính")
    cell = soup.select_one('g.grid-row[data-unit="than-a"] rect[data-week="2026-W50"]')
    assert cell["fill"] == "#d9dee3" and "không tính" in cell.title.text
    assert soup.select_one("#bang-don-vi tr[data-unit=than-a] td[data-col=met]").text == "0/3"
    # the portal's weekly minimum: the one-day week is not a missed week
    sent = [r for r in read_csv(index.parent / "gui-di-theo-tuan.csv") if r["Tuần"] == "2026-W50"]
    assert sent and all(r["Đạt"] == "Không tính" for r in sent)
    assert all("2026-W50" not in [w.key for w in o["missed"]]
               for o in made.sections["sent"]["outlets"])
    # a week of five days asks 5/7 of the quota, rounded
    assert report.period("2026-11-18", "2026-11-22").target(report.Week(2026, 47), 2) == 1


def test_default_period_is_the_last_four_iso_weeks():
    span = report.period(today=dt.date(2026, 11, 26))        # a Thursday
    assert (span.start, span.end) == (dt.date(2026, 11, 2), dt.date(2026, 11, 26))
    assert len(span.weeks) == 4


def test_day_first_dates_and_bad_periods(tmp_path):
    assert report.period("04/05/2020", "31/05/2020").start == dt.date(2020, 5, 4)
    with pytest.raises(report.ReportError, match="sớm hơn"):
        report.period("2020-05-31", "2020-05-01")
    with pytest.raises(report.ReportError, match="không tồn tại"):
        report.period("31/02/2020", "2020-05-01")


@pytest.mark.parametrize("inside", ["output", "content", "content/bai-viet"])
def test_report_is_never_written_where_it_would_be_published(inside, tmp_path):
    data_dir = write_data(tmp_path / "data")
    made = report.build(*PERIOD, content_dir=write_content(tmp_path / "content"),
                        data_dir=data_dir, today=TODAY)
    with pytest.raises(report.ReportError, match="xuất bản"):
        report.write(made, ROOT / inside / "bao-cao")
    assert not (ROOT / inside / "bao-cao").exists()
    with pytest.raises(report.ReportError, match="xuất bản"):
        report.write(made, tmp_path / "content" / "x", content_dir=tmp_path / "content")


def test_reports_folder_is_git_ignored():
    ignored = subprocess.run(["git", "check-ignore", "-q", "reports/x/index.html"], cwd=ROOT)
    assert ignored.returncode == 0


def test_problems_in_content_are_reported_not_fatal(tmp_path):
    data_dir = write_data(tmp_path / "data", {"2020.yml": CLIPPINGS + """\
    - date: 2020-05-10
      source: bao-lao-dong
      title: Không có đường dẫn, sắc thái lạ
      tone: vui
    """})
    content = write_content(tmp_path / "content", ARTICLES + [
        ("than-b", "2020-05-07 08:00", "Tin tức", {"Sent_to": "cong-doan-vn"}),
        ("than-x", "2020-05-07 09:00", "Tin tức", {}),
    ])
    (content / "bai-viet" / "than-b" / "2020" / "hong.md").write_bytes(b"\xff\xfe\x00\xd8")
    result, index = report.run(*PERIOD, tmp_path / "out", content_dir=content,
                               data_dir=data_dir, today=TODAY)
    problems = read_csv(index.parent / "van-de.csv")
    texts = [f"{p['Trường']}: {p['Nội dung']}" for p in problems]
    assert any("Sent_to: không có nơi nhận “cong-doan-vn”" in t for t in texts)
    assert any("Unit: “than-x” không phải tên một đơn vị" in t for t in texts)
    assert any(p["Tệp"].endswith("hong.md") for p in problems)
    assert any(t.startswith("tone: sắc thái “vui”") for t in texts)
    assert by(problems, **{"Trường": "tone"})["Dòng"] == "53"
    # the item with a wrong outlet is still counted for its unit; the unknown unit is left out
    row = by(read_csv(index.parent / "don-vi.csv"), **{"Đơn vị": "than-b"})
    assert row["Số bài"] == "5"
    assert result.summary["left_out"] == 2
    assert len(BeautifulSoup(index.read_text("utf-8"), "lxml").select(
        "#danh-sach-van-de li")) == len(problems)


# ---------------------------------------------------------------- outlets in the schema

def test_unknown_sent_to_fails_a_strict_build_naming_the_closest(make_site):
    files = {"bai-viet/than-ha-lam/2020/gui.md": article(title="Gửi đi",
                                                         sent_to="cong-doan-vn, Báo Lao động"),
             "bai-viet/than-ha-lam/2020/tot.md": article(title="Bài tốt",
                                                         sent_to="cong-doan-viet-nam")}
    with pytest.raises(Exception) as info:
        make_site(files, strict=True)
    line = next(l for l in str(info.value).splitlines() if "gui.md" in l and "Sent_to" in l)
    assert "không có nơi nhận “cong-doan-vn”" in line and "“cong-doan-viet-nam”" in line
    assert "Báo Lao động" not in line          # a name written out is accepted


def test_outlet_names_are_read_as_slugs():
    from newsroom.core import schema

    header = schema.split(article(sent_to="Báo Lao động, cong-doan-viet-nam, bao-lao-dong"))
    values, problems = schema.validate(header, ROOT / "content" / "x.md")
    assert values["sent_to"] == ["bao-lao-dong", "cong-doan-viet-nam"]
    assert not [p for p in problems if p.field == "Sent_to"]
    assert data.outlets()["cong-doan-viet-nam"]["weekly_min"] == 1
    assert {o["kind"] for o in data.outlets().values()} <= set(data.OUTLET_KINDS)


# ---------------------------------------------------------------- clippings

def test_clippings_file_problems_name_file_line_and_fix(tmp_path):
    data_dir = write_data(tmp_path / "data", {"2020.yml": """\
        - date: 2020-05-32
          source: bao-lao-dong
          url: laodong.vn/x
          title: Ngày sai
          tone: positive
        - date: 2021-01-02
          source: Báo Mới
          kind: tv
          url: https://baomoi.com/y
          title: Sai loại nguồn, sai năm
          unit: than-z
          tone: negative
        - date: 2021-01-03
          source: facebook
          title: Năm 2021 trong tệp 2020, thiếu đường dẫn
          tone: neutral
          mood: x
        """, "2021.yml": "- date: 2021-01-01\n  title: [chưa đóng\n"})
    items, problems = clippings.load(data_dir)
    assert [c.title for c in items] == ["Năm 2021 trong tệp 2020, thiếu đường dẫn"]
    found = {(p.path.rsplit("/", 1)[-1], p.line, p.field, p.severity): p for p in problems}
    assert "không tồn tại" in found[("2020.yml", 1, "date", "error")].message
    assert "https://" in found[("2020.yml", 1, "url", "error")].fix
    assert "press (báo chí)" in found[("2020.yml", 6, "kind", "error")].fix
    assert "data/units.yml" in found[("2020.yml", 6, "unit", "error")].fix
    assert "2021.yml" in found[("2020.yml", 13, "date", "warning")].fix
    assert ("2020.yml", 13, "url", "warning") in found
    assert ("2020.yml", 13, "mood", "warning") in found
    syntax = [p for p in problems if p.path.endswith("2021.yml")]
    assert len(syntax) == 1 and syntax[0].line == 3 and "YAML" in syntax[0].message
    assert "bắt đầu ở dòng 2" in syntax[0].message


def test_add_clipping_appends_a_checked_entry(tmp_path):
    data_dir = write_data(tmp_path / "data")
    path, item = clippings.add({"date": "04/05/2020 09:30", "source": "Báo Lao động",
                                "url": "https://laodong.vn/x.html",
                                "title": "Thợ mỏ: năng suất cao", "unit": "Than A",
                                "tone": "tích cực", "note": "Bài chuyên sâu"}, data_dir)
    assert path == data_dir / "clippings" / "2020.yml"
    path2, item2 = clippings.add({"date": "2020-05-05", "source": "Đài Quảng Ninh",
                                  "url": "https://qtv.vn/y", "title": "Tin 2",
                                  "tone": "negative", "notable": True}, data_dir)
    text = path.read_text("utf-8")
    assert text.startswith("# Theo dõi báo chí, mạng xã hội năm 2020")
    assert "  source: bao-lao-dong\n" in text and "  unit: than-a\n" in text
    assert "  tone: positive\n" in text and "- date: 2020-05-05\n" in text
    items, problems = clippings.load(data_dir)
    assert not problems
    assert [(c.source, c.kind, c.tone, c.unit, c.notable) for c in items] == [
        ("Báo Lao động", "press", "positive", "than-a", False),
        ("Đài Quảng Ninh", "press", "negative", "", True)]
    assert items[0].date == dt.datetime(2020, 5, 4, 9, 30, tzinfo=items[0].date.tzinfo)
    assert str(items[0].date.tzinfo) == "Asia/Ho_Chi_Minh"

    before = path.read_bytes()
    with pytest.raises(clippings.ClippingError, match="trùng đường dẫn"):
        clippings.add({"date": "2020-05-06", "source": "facebook", "title": "Lặp",
                       "url": "https://qtv.vn/y", "tone": "neutral"}, data_dir)
    with pytest.raises(clippings.ClippingError) as info:
        clippings.add({"date": "2020-05-06", "source": "facebook", "title": "",
                       "tone": "buồn"}, data_dir)
    assert "thiếu trường title" in str(info.value) and "sắc thái “buồn”" in str(info.value)
    assert path.read_bytes() == before


def test_ask_prompts_for_missing_fields(tmp_path):
    answers = iter(["", "bao-lao-dong", "https://laodong.vn/z.html", "Tiêu đề hỏi", "",
                    "3", "Ghi chú"])
    asked = []

    def prompt(question):
        asked.append(question)
        return next(answers)

    fields = clippings.ask({"date": None, "source": None, "url": None, "title": None,
                            "unit": None, "tone": None, "note": None},
                           prompt=prompt, today=dt.date(2020, 5, 9))
    assert len(asked) == 7 and asked[0].startswith("Ngày đăng")
    assert (fields["date"], fields["tone"], fields["unit"]) == ("2020-05-09", "negative", "")
    path, item = clippings.add(fields, write_data(tmp_path / "data"))
    assert (item.tone, item.title, item.date.date()) == ("negative", "Tiêu đề hỏi",
                                                          dt.date(2020, 5, 9))


def test_invoke_clip_and_report_end_to_end(tmp_path):
    data_dir = write_data(tmp_path / "data")
    content = write_content(tmp_path / "content")
    invoke = [sys.executable, "-m", "invoke"]
    done = subprocess.run(invoke + ["clip", "--date", "2020-05-12", "--source", "bao-lao-dong",
                                    "--url", "https://laodong.vn/k.html", "--title",
                                    "Tin gõ bằng lệnh", "--tone", "negative", "--notable",
                                    "--data-dir", str(data_dir)],
                          cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "Đã ghi vào" in done.stdout and "Tiêu cực" in done.stdout
    bad = subprocess.run(invoke + ["clip", "--date", "2020-05-12", "--source", "x",
                                   "--title", "t", "--tone", "khó", "--data-dir", str(data_dir)],
                         cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert bad.returncode != 0 and "sắc thái “khó”" in bad.stderr

    out = tmp_path / "bao-cao"
    done = subprocess.run(invoke + ["report", "--from", "04/05/2020", "--to", "2020-05-31",
                                    "--out", str(out), "--content", str(content),
                                    "--data-dir", str(data_dir)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "12 tin, bài" in done.stdout and "1 tuần chưa đạt" in done.stdout
    assert "1 tin (0 tích cực, 0 trung lập, 1 tiêu cực)" in done.stdout
    soup = BeautifulSoup((out / "index.html").read_text("utf-8"), "lxml")
    assert soup.select_one("#danh-sach-bao-chi li").a["href"] == "https://laodong.vn/k.html"
    refused = subprocess.run(invoke + ["report", "--out", "output/bao-cao"], cwd=ROOT,
                             capture_output=True, text=True)
    assert refused.returncode != 0 and "xuất bản" in refused.stderr



def test_invoke_clip_commit_commits_only_its_file_so_a_publish_is_not_refused(tmp_path):
    from newsroom.publish import snapshot

    project = tmp_path / "du-an"
    data_dir = write_data(project / "data")
    (project / "content/pages").mkdir(parents=True)
    (project / "content/pages/gioi-thieu.md").write_text("Title: Giới thiệu\n\nA.\n")
    git = ["git", "-C", str(project)]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["config", "user.name", "Nguyễn Thị Hoa"], check=True)
    subprocess.run(git + ["config", "user.email", "hoa@congdoantkv.vn"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "Dự án"], check=True)
    (project / "content/pages/lien-he.md").write_text("Title: Liên hệ\n\nB.\n")
    subprocess.run(git + ["add", "content/pages/lien-he.md"], check=True)  # someone else's
    done = subprocess.run([sys.executable, "-m", "invoke", "clip", "--date", "21/05/2020",
                           "--source", "bao-lao-dong", "--url", "https://laodong.vn/c.html",
                           "--title", "Công đoàn vào cuộc", "--tone", "negative",
                           "--data-dir", str(data_dir), "--commit"], cwd=ROOT,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Đã commit" in done.stdout
    show = subprocess.run(git + ["show", "--stat", "--format=%an <%ae>|%s", "HEAD"],
                          capture_output=True, text=True, check=True).stdout
    assert show.startswith("Nguyễn Thị Hoa <hoa@congdoantkv.vn>|Ghi tin báo chí: 21/05/2020 · "
                           "Báo Lao động · Công đoàn vào cuộc")
    assert "data/clippings/2020.yml" in show and "lien-he.md" not in show
    status = subprocess.run(git + ["status", "--porcelain"], capture_output=True, text=True,
                            check=True).stdout
    assert status == "A  content/pages/lien-he.md\n"  # still staged, not committed
    subprocess.run(git + ["reset", "-q"], check=True)
    (project / "content/pages/lien-he.md").unlink()
    # what invoke publish looks at before anything: nothing uncommitted, so no refusal
    assert not snapshot.pending(project / "content", [project / "data"])
    # outside a repository: written, and said plainly why not committed
    loose = write_data(tmp_path / "roi" / "data")
    again = subprocess.run([sys.executable, "-m", "invoke", "clip", "--date", "22/05/2020",
                            "--source", "bao-lao-dong", "--url", "https://laodong.vn/d.html",
                            "--title", "Tin khác", "--tone", "neutral", "--data-dir", str(loose),
                            "--commit"], cwd=ROOT, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert "chưa commit được" in again.stderr and "không nằm trong kho git" in again.stderr


def test_invoke_clip_with_a_missing_data_folder_says_so_without_a_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "invoke", "clip", "--date", "2020-05-12",
                           "--source", "bao-lao-dong", "--url", "https://laodong.vn/m.html",
                           "--title", "Tin", "--tone", "neutral",
                           "--data-dir", str(tmp_path / "khong-co")],
                          cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert done.returncode != 0
    assert "Chưa ghi được tin" in done.stderr and "thiếu tệp dữ liệu" in done.stderr
    assert "Traceback" not in done.stderr

def test_sample_clippings_are_valid_and_cover_2020_and_later_years():
    items, problems = clippings.load()
    assert not [p for p in problems if p.severity == "error"], problems
    years = {c.date.year for c in items}
    assert 2020 in years and len(years - {2020}) >= 2
    in_2020 = [c for c in items if c.date.year == 2020]
    assert len(in_2020) >= 30
    assert {c.tone for c in in_2020} == set(clippings.TONES)
    assert {c.kind for c in in_2020} >= {"press", "social"}


def test_report_counts_match_the_built_campaign_page(make_site, tmp_path):
    """The same content, built by Pelican with the project's plugins and read by the report:
    the campaign page and the report give each unit the same number of items."""
    data_dir = write_data(tmp_path / "data")
    files = {}
    for index, (unit, date, category, extra) in enumerate(ARTICLES):
        extra = dict(extra)
        title = extra.pop("Title", f"Tin số {index} của {unit}")
        files[f"bai-viet/{unit}/{date[:4]}/tin-{index:02d}.md"] = article(
            title=title, date=date, unit=unit, category=category, **extra)
    site = make_site(files, strict=True, NEWSROOM_DATA=data_dir, NEWSROOM_TODAY="2020-06-15")
    page = site.html("chien-dich/thang-cong-nhan-2020/")
    built = {row.select("td")[0].get_text(strip=True): row.select("td")[1].get_text(strip=True)
             for row in page.select(".unit-counts tbody tr")}
    made = report.build(*PERIOD, content_dir=tmp_path / "content", data_dir=data_dir,
                        today=TODAY)
    rows = made.tables["campaign_units"].rows
    reported = {data.units(data_dir)[row[1]]["short"]: str(row[3]) for row in rows
                if row[0] == "thang-cong-nhan-2020"}
    assert reported == built == {"Than A": "2", "Than B": "1"}


def test_readme_example_report_draws_real_charts(tmp_path):
    """``invoke report --from 2020-01-01 --to 2020-12-31`` on the project's own content and
    sample clippings: the monitoring trend chart has data in most months."""
    made, index = report.run("2020-01-01", "2020-12-31", tmp_path / "nam-2020")
    soup = BeautifulSoup(index.read_text("utf-8"), "lxml")
    trend = soup.select("#bao-chi svg g.column")
    assert len(trend) == 53
    filled = [g for g in trend if g["data-value"] != "0"]
    assert len(filled) >= 25
    assert {rect["data-series"] for g in filled for rect in g.select("rect")} == {
        "Tích cực", "Trung lập", "Tiêu cực"}
    assert sum(int(g["data-value"]) for g in trend) == made.summary["clippings"] >= 30
    assert soup.select_one("#danh-sach-bao-chi li")["data-tone"] == "negative"
    assert soup.select("#gui-di div.outlet[data-outlet=cong-doan-viet-nam] svg g.column")
