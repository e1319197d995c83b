"""Limits of one article (``NEWSROOM_LIMITS``, ``newsroom.core.schema.Limits``): hostile articles
through a real preview build, a real strict build and ``invoke check``, and one setting that
changes the limit for the build, ``invoke check`` and ``invoke ingest`` alike."""
from __future__ import annotations

import io
import logging
import re
import time
from pathlib import Path

import pytest
from PIL import Image

from newsroom.build import site
from newsroom.core import schema
from newsroom.core.paths import ROOT
from newsroom.intake import check, ingest
from plugins.markdown_reader.markdown_reader import ContentErrors
from tests import helpers
from tests.conftest import BuiltSite
from tests.helpers import article, write_files
from tests.shared_folder import put, shared  # noqa: F401 - shared is a fixture

DIR = "bai-viet/than-ha-lam/2020"
SHOWN = f"content/{DIR}"


def jpeg(color=(30, 90, 160)) -> bytes:
    return helpers.jpeg((24, 16), color, quality=80)


def huge_png() -> bytes:
    """9000×6000 = 54 million pixels (over the 50 million of the limit) in a few kilobytes."""
    buffer = io.BytesIO()
    Image.new("1", (9000, 6000)).save(buffer, "PNG")
    return buffer.getvalue()


LONG = "a" * 245


def hostile() -> dict:
    """One good article and one over each limit, as a unit's computer could send them."""
    photos = {f"{DIR}/hai-tram-anh/anh-{i}.jpg": jpeg(color=(i, 90, 160)) for i in range(200)}
    return {
        f"{DIR}/tin-tot.md": article("Tin bình thường", tags="an toàn, đối thoại"),
        # Tags on line 6 (Title, Date, Unit, Author, Category come first)
        f"{DIR}/muoi-nghin-tu-khoa.md": article(
            "Mười nghìn từ khóa", tags=", ".join(f"từ khóa số {i}" for i in range(10_000))),
        f"{DIR}/nam-mb.md": article("Bài năm MB", body="Thợ lò làm việc ca ba. " * 230_000),
        f"{DIR}/ba-tram-nghin.md": article("Bài ba trăm nghìn ký tự", body="x" * 300_000),
        f"{DIR}/hai-tram-anh.md": article("Hai trăm ảnh", body="Mở đầu.\n\n" + "\n\n".join(
            f"![Ảnh {i}](hai-tram-anh/anh-{i}.jpg)" for i in range(200))),
        **photos,
        f"{DIR}/anh-qua-lon.md": article("Ảnh quá lớn", image="anh-qua-lon/bia.png",
                                         image_alt="Bìa"),
        f"{DIR}/anh-qua-lon/bia.png": huge_png(),
        # 150 Chinese characters: a slug of 900 letters, longer than any file name may be
        f"{DIR}/trung.md": article("中" * 150),
        # a photo name of 245 letters: its published files (+ "-16x9-w480.webp") could not be
        f"{DIR}/ten-anh-dai.md": article("Tên ảnh dài", image=f"ten-anh-dai/{LONG}.jpg",
                                         image_alt="Bìa",
                                         body=f"![Lại bìa](ten-anh-dai/{LONG}.jpg)"),
        f"{DIR}/ten-anh-dai/{LONG}.jpg": jpeg(),
    }


#: What each hostile article must be told: (file, line, field, words of the message, of the fix)
EXPECTED = [
    ("muoi-nghin-tu-khoa.md", 6, "Tags", "bài có 10.000 từ khóa, tối đa 30",
     "giữ lại những từ khóa chính (tối đa 30)"),
    ("nam-mb.md", 1, "Nội dung", "quá dài cho một bài (tối đa 200.000 ký tự)",
     "chia bài thành nhiều kỳ"),
    ("ba-tram-nghin.md", 7, "Nội dung", "bài dài 300.", "chia bài thành nhiều kỳ"),
    # the 101st photo, on line 7 (the body) + 2 (“Mở đầu.” and a blank) + 2 × 100
    ("hai-tram-anh.md", 209, "Nội dung", "bài có 200 ảnh (kể cả ảnh đại diện), tối đa 100",
     "chọn những ảnh rõ, đẹp nhất (tối đa 100)"),
    ("anh-qua-lon.md", 6, "Image", "9000×6000 điểm ảnh (tối đa 50 triệu điểm ảnh)",
     "thu nhỏ ảnh"),
    ("trung.md", 1, "Title", "làm ra đường dẫn dài", "viết ngắn lại"),
    ("ten-anh-dai.md", 6, "Image", "quá dài (249 ký tự)", "đổi tên ảnh cho ngắn"),
    ("ten-anh-dai.md", 9, "Nội dung", "quá dài (249 ký tự)", "đổi tên ảnh cho ngắn"),
]


def said(lines, name, line, field, words, fix) -> str:
    """The one message about ``name`` that names its line and field and holds ``words``,
    then “Cách sửa:” and ``fix``."""
    start = f"{SHOWN}/{name}:{line}: {field}: lỗi: "
    found = [m for m in lines if m.startswith(start) and words in m]
    assert len(found) == 1, (start, words, [m for m in lines if name in m])
    assert f". Cách sửa: {fix}" in found[0], found[0]
    return found[0]


class _Warnings(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def hostile_content(tmp_path_factory) -> Path:
    content = tmp_path_factory.mktemp("limits") / "content"
    write_files(content, hostile())
    return content


@pytest.fixture(scope="module")
def preview(hostile_content) -> tuple[BuiltSite, list[str]]:
    """The preview build of the hostile content, and its warnings."""
    out = hostile_content.parent / "preview"
    handler = _Warnings()
    logging.getLogger().addHandler(handler)
    try:
        settings = site.build("pelicanconf.py", PATH=hostile_content, OUTPUT_PATH=out,
                              CACHE_PATH=hostile_content.parent / "cache",
                              NEWSROOM_STRICT=False)
    finally:
        logging.getLogger().removeHandler(handler)
    return BuiltSite(out, settings), handler.messages


def test_preview_keeps_articles_over_a_limit_out_with_a_warning(preview):
    built, warnings = preview
    for expected in EXPECTED:
        said(warnings, *expected)
    # Published: the good article; kept out as drafts: those over a limit of their own.
    assert built.exists("2020/06/tin-binh-thuong/")
    drafts = ("muoi-nghin-tu-khoa", "bai-ba-tram-nghin-ky-tu", "hai-tram-anh", "ten-anh-dai",
              "nam-mb", "trung")  # the last two (never read, title refused) named by their file
    for slug in drafts:
        assert not built.exists(f"2020/06/{slug}/"), slug
        assert built.exists(f"ban-nhap/{slug}/"), slug
    assert not built.exists("2020/06/bai-nam-mb/")
    # A photo over the pixel limit is a bad photo: the article goes out without it.
    page = built.html("2020/06/anh-qua-lon/")
    og = page.select_one('meta[property="og:image"]')["content"]
    assert og.endswith("/anh/og/anh-qua-lon.png")  # a drawn card, not the photo
    assert not list((built.output / "anh").glob("anh-qua-lon/bia*"))


def test_preview_output_holds_no_page_per_hostile_tag_nor_a_huge_page(preview):
    built, _ = preview
    tags = sorted(p.name for p in (built.output / "the").iterdir())
    assert tags == ["an-toan", "doi-thoai", "index.html"]
    draft = built.html("ban-nhap/muoi-nghin-tu-khoa/")
    assert not draft.select('a[href*="/the/"]')  # the 10,000 tags are nowhere
    pages = [p for p in built.output.rglob("*.html")]
    biggest = max(p.stat().st_size for p in pages)
    assert biggest < 200_000, max(pages, key=lambda p: p.stat().st_size)
    assert "x" * 1000 not in built.text("ban-nhap/bai-ba-tram-nghin-ky-tu/")
    # none of the 200 photos of the draft was made (it is kept out whole)
    assert not list((built.output / "anh").rglob("anh-[0-9]*-w*"))
    assert len(pages) < 100, len(pages)


def test_strict_build_fails_listing_every_limit(hostile_content, tmp_path):
    with pytest.raises(ContentErrors) as failure:
        site.build("pelicanconf.py", PATH=hostile_content, OUTPUT_PATH=tmp_path / "out",
                   CACHE_PATH=tmp_path / "cache", NEWSROOM_STRICT=True)
    lines = [line.strip() for line in str(failure.value).splitlines()]
    for expected in EXPECTED:
        said(lines, *expected)
    assert not (tmp_path / "out" / "the").exists() or len(
        list((tmp_path / "out" / "the").iterdir())) < 5


def test_check_says_the_same(hostile_content):
    out = io.StringIO()
    code = check.main([str(hostile_content), "--content", str(hostile_content)], out=out)
    assert code == 1
    lines = out.getvalue().splitlines()
    for expected in EXPECTED:
        said(lines, *expected)
    assert not [line for line in lines if "tin-tot.md" in line]


def test_a_header_of_a_million_continuation_lines_is_read_in_linear_time(tmp_path):
    """A 3 MB text (the shared folder takes files that large) whose header is a million
    indented continuation lines: joined one by one they took minutes, now a second or two;
    each limit is then said once."""
    text = article("Nối dài", summary="Mở đầu\n" + " b\n" * 1_000_000)
    started = time.perf_counter()
    header = schema.split(text)
    assert time.perf_counter() - started < 20  # joined line by line: about two minutes
    _, problems = schema.validate(header, tmp_path / "content" / DIR / "noi-dai.md",
                                  content_root=tmp_path / "content")
    assert [(p.line, p.field, p.message) for p in problems] == [
        (1_000_009, "Nội dung", "bài dài 2.000.074 ký tự, tối đa 200.000 ký tự"),
        (6, "Summary", "tóm tắt dài 2.000.006 ký tự, tối đa 1.000")]


def test_a_body_markdown_would_take_hours_on_is_stopped_at_the_time_limit(tmp_path):
    """Under the size limit, Python-Markdown takes minutes to hours on a paragraph of 20,000
    "[", and gives up (RecursionError) on a list nested 500 deep; thousands of unclosed
    "<a " took the body check itself 84 seconds. Each is said, kept out, and the build goes
    on (the time limit lowered to 1 second to keep the test quick)."""
    content = tmp_path / "content"
    write_files(content, {
        f"{DIR}/ngoac.md": article("Ngoặc", body="[" * 20_000),
        f"{DIR}/danh-sach.md": article("Danh sách", body="- " * 500 + "x"),
        f"{DIR}/the-mo.md": article("Thẻ mở", body="<a " * 30_000),
        f"{DIR}/tin-tot.md": article("Tin bình thường"),
    })
    started = time.perf_counter()
    report = check.check([content], content)
    assert time.perf_counter() - started < 10
    assert not report.problems  # nothing `invoke check` can see: it renders no Markdown
    handler = _Warnings()
    logging.getLogger().addHandler(handler)
    started = time.perf_counter()
    try:
        built = site.build("pelicanconf.py", PATH=content, OUTPUT_PATH=tmp_path / "out",
                           CACHE_PATH=tmp_path / "cache", NEWSROOM_LIMITS={"render_seconds": 1})
    finally:
        logging.getLogger().removeHandler(handler)
    assert time.perf_counter() - started < 60
    slow = "dựng nội dung mất hơn 1 giây, quá sức máy dựng trang"
    fix = "xóa các chuỗi ký tự lặp vô nghĩa (hàng nghìn dấu [, <, * liền nhau)"
    said(handler.messages, "ngoac.md", 7, "Nội dung", slow, fix)
    said(handler.messages, "the-mo.md", 7, "Nội dung", slow, fix)
    said(handler.messages, "danh-sach.md", 7, "Nội dung", "nội dung lồng nhau quá sâu", fix)
    site_ = BuiltSite(tmp_path / "out", built)
    assert site_.exists("2020/06/tin-binh-thuong/")
    for slug in ("ngoac", "danh-sach", "the-mo"):
        assert site_.exists(f"ban-nhap/{slug}/") and not site_.exists(f"2020/06/{slug}/")
        assert "[[[[" not in site_.text(f"ban-nhap/{slug}/")


# ---------------------------------------------------------------- one setting, three steps

def test_one_setting_changes_the_limit_for_check_build_and_ingest(tmp_path, shared):
    conf_file = tmp_path / "lowconf.py"
    conf_file.write_text('from pelicanconf import *  # noqa\nNEWSROOM_LIMITS = {"tags": 3}\n',
                         encoding="utf-8")
    text = article("Bốn từ khóa", date="2020-06-12 09:00",
                   tags="an toàn, đối thoại, thợ lò, ca ba")
    expected = ("Tags: lỗi: bài có 4 từ khóa, tối đa 3. Cách sửa: giữ lại những từ khóa "
                "chính (tối đa 3), cách nhau dấu phẩy")
    low, default = check.load_conf(conf_file), check.load_conf()
    assert (low.limits.tags, default.limits.tags) == (3, schema.LIMITS.tags)

    content = tmp_path / "content"
    write_files(content, {f"{DIR}/bon-tu-khoa.md": text})
    article_file = content / DIR / "bon-tu-khoa.md"
    # invoke check
    assert [str(p) for p in check.check([article_file], content, conf=low).errors] == [
        f"{SHOWN}/bon-tu-khoa.md:6: {expected}; từ khóa để bạn đọc tìm các bài cùng chủ đề, "
        "không cần kể mọi ý trong bài"]
    assert not check.check([article_file], content, conf=default).problems
    # the build
    with pytest.raises(ContentErrors, match=re.escape(f"bon-tu-khoa.md:6: {expected}")):
        site.build(conf_file, PATH=content, OUTPUT_PATH=tmp_path / "low",
                   CACHE_PATH=tmp_path / "cache", NEWSROOM_STRICT=True)
    built = site.build("pelicanconf.py", PATH=content, OUTPUT_PATH=tmp_path / "default",
                       CACHE_PATH=tmp_path / "cache", NEWSROOM_STRICT=True)
    assert BuiltSite(tmp_path / "default", built).exists("the/ca-ba/")
    # invoke ingest, from the shared folder (every file accounted for by the fixture)
    put(shared.src / "than-ha-lam", {"bon-tu-khoa.md": text})
    [refused] = shared(conf=low).outcomes
    assert refused.status == ingest.REFUSED
    # a receipt says the line of a text file, without the label of the build's log
    assert f"dòng 6, {expected.replace(' lỗi:', '')}" in refused.receipt.read_text("utf-8")
    [taken] = shared(conf=default).outcomes
    assert taken.status == ingest.INGESTED


def test_a_wrong_setting_is_named_at_once(tmp_path):
    for given, words in (({"tag": 5}, "khóa lạ ['tag']"),
                         ({"tags": 0}, "NEWSROOM_LIMITS['tags'] phải là số nguyên dương")):
        with pytest.raises(ValueError, match=words.replace("[", r"\[")):
            schema.Limits.from_setting(given)
        with pytest.raises(ValueError, match=words.replace("[", r"\[")):
            site.build("pelicanconf.py", PATH=ROOT / "content", OUTPUT_PATH=tmp_path / "out",
                       CACHE_PATH=tmp_path / "cache", NEWSROOM_LIMITS=given)
