"""The reporters' and editors' desk (issue 19, items 1-4): units found the way people write
them, sensible defaults said in the receipt, receipts in the submitter's language, and the
editors' queue. Real Word files, real ingest runs, real builds, real git commits."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import unicodedata
import urllib.request
from pathlib import Path

import docx
import pytest
import yaml

from newsroom.build import site
from newsroom.core import data, schema
from newsroom.core.paths import ROOT
from newsroom.intake import check, ingest, queue
from tests.conftest import BuiltSite
from tests.helpers import editors_repo, git
from tests.shared_folder import jpeg, put, sources, word

EDITOR_ENV = {"GIT_AUTHOR_NAME": "Máy", "GIT_AUTHOR_EMAIL": "may@example.vn",
              "GIT_COMMITTER_NAME": "Máy", "GIT_COMMITTER_EMAIL": "may@example.vn"}


@pytest.fixture
def desk(tmp_path, monkeypatch):
    """A git repository with content/ (and the queue beside it), and a shared folder."""
    for key in EDITOR_ENV:
        monkeypatch.delenv(key, raising=False)
    repo, src = tmp_path / "repo", tmp_path / "thu-muc-chung"
    content = editors_repo(repo)
    src.mkdir()

    def run(**kw):
        before = sources(src)
        result = ingest.ingest(src, content, settle=0, **kw)
        for path in before:  # every file taken or still there with its receipt
            owner = next(o for o in result.outcomes if path in o.files)
            assert owner.receipt.is_file()
            assert path.exists() != owner.accepted
        return result

    run.repo, run.src, run.content, run.queue = repo, src, content, repo / "cho-duyet"
    return run


def receipt(outcome) -> str:
    raw = outcome.receipt.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # old Notepad reads UTF-8 only with its BOM
    assert b"\n" not in raw.replace(b"\r\n", b"")  # and CRLF line ends only
    return raw.decode("utf-8-sig").replace("\r\n", "\n")


def build(content: Path, out: Path, conf="pelicanconf.py") -> BuiltSite:
    return BuiltSite(out, site.build(conf, PATH=content, OUTPUT_PATH=out, NEWSROOM_STRICT=True,
                                     CACHE_PATH=out.parent / f"{out.name}-cache"))


# --- 1. units found the way people write them ------------------------------------------------

@pytest.mark.parametrize("written", [
    "Công ty Than Mạo Khê", "than-mao-khe", "Than Mạo Khê", "THAN MẠO KHÊ",
    "Công đoàn Công ty Than Mạo Khê - TKV", "CĐ Than Mạo Khê", "Công ty  than  mao khe",
    "Than Mạo Khê - Vinacomin", unicodedata.normalize("NFD", "Công ty Than Mạo Khê"),
])
def test_unit_written_any_way_is_found(written):
    assert data.find_unit(written)["slug"] == "than-mao-khe"


@pytest.mark.parametrize("written, slug", [
    ("Công ty CP Than Hà Lầm", "than-ha-lam"), ("Công ty Cổ phần Than Núi Béo", "than-nui-beo"),
    ("Cơ quan Công đoàn TKV", "co-quan-cong-doan-tkv"), ("Tuyển than Hòn Gai", "tuyen-than-hon-gai"),
])
def test_other_units_written_with_company_words(written, slug):
    assert data.find_unit(written)["slug"] == slug


def test_ambiguous_and_unknown_units_are_refused_naming_the_closest(tmp_path):
    assert data.find_unit("Hòn Gai") is None
    message, fix = data.unit_refusal("Hòn Gai")
    for name in ("“Than Hòn Gai” (than-hon-gai)", "“Tuyển than Hòn Gai” (tuyen-than-hon-gai)",
                 "“Kho vận Hòn Gai” (kho-van-hon-gai)"):
        assert name in fix
    assert "có phải là “Than Mạo Khê” (than-mao-khe)?" in data.unit_refusal("Mạo Khe")[1]
    # the same matcher in invoke check and the build's schema
    path = tmp_path / "content" / "bai-viet" / "a.md"
    path.parent.mkdir(parents=True)
    path.write_text("Title: Tin\nDate: 01/06/2020\nUnit: Công ty Than Mạo Khê\nAuthor: A\n"
                    "Category: Tin tức\n\nNội dung.\n", encoding="utf-8")
    assert not check.check([path], tmp_path / "content").errors
    values, _ = schema.validate(schema.split(path.read_text()), path)
    assert values["unit"] == "than-mao-khe"
    path.write_text(path.read_text().replace("Công ty Than Mạo Khê", "Hòn Gai"))
    errors = check.check([path], tmp_path / "content").errors
    assert len(errors) == 1 and errors[0].line == 3 and "Tuyển than Hòn Gai" in errors[0].fix


# --- the trial: a Word file in "Công ty Than Mạo Khê", no author line -----------------------

def trial_docx(desk, author_property="") -> Path:
    path = word(desk.src / "Công ty Than Mạo Khê" / "Tin mới.docx", [
        "Thợ lò Mạo Khê thi tay nghề giỏi",
        "Sáng nay, 40 thợ lò của Công ty Than Mạo Khê bước vào hội thi tay nghề.",
    ], pictures=[(jpeg(), None, "Thợ lò thực hành chống lò")])
    document = docx.Document(path)
    document.core_properties.author = author_property
    document.save(path)
    return path


def test_trial_word_file_waits_for_the_editors_then_goes_live(desk, tmp_path):
    trial_docx(desk)
    result = desk()
    outcome, = result.outcomes
    assert outcome.status == ingest.INGESTED and outcome.pending
    assert outcome.target == (desk.queue / "bai-viet/than-mao-khe" / outcome.target.parent.name
                              / "tho-lo-mao-khe-thi-tay-nghe-gioi.md")
    assert not list(desk.content.rglob("*.md"))  # nothing in content/ before approval
    text = receipt(outcome)
    assert text.startswith("ĐÃ NHẬN BÀI")
    assert "chờ Ban Tuyên giáo duyệt (mã bài: tho-lo-mao-khe-thi-tay-nghe-gioi)" in text
    assert "Tác giả: Công đoàn Than Mạo Khê (tác giả mặc định của đơn vị" in text
    assert "thêm dòng “Tác giả: Họ và tên”" in text
    assert "Đơn vị: Than Mạo Khê (theo tên thư mục “Công ty Than Mạo Khê”)" in text
    assert "ảnh thứ 1: dòng in nghiêng ngay dưới ảnh được dùng làm chú thích" in text
    for internal in ("content/", "cho-duyet", "{static}", "![", "Author:", "Unit:"):
        assert internal not in text, internal
    summary = result.report_path.read_bytes().decode("utf-8-sig")
    assert "Than Mạo Khê:" in summary and "chờ duyệt" in summary
    assert "[mã bài: tho-lo-mao-khe-thi-tay-nghe-gioi]" in summary

    # pending: invoke check and a publish build of content/ never see it
    assert all("tho-lo" not in str(i.path) for i in check.check(None, desk.content).items)
    published = build(desk.content, tmp_path / "pub", "publishconf.py")
    assert "Thợ lò Mạo Khê" not in "".join(p.read_text(encoding="utf-8", errors="replace")
                                           for p in published.output.rglob("*.html"))

    entry, commit = queue.approve(desk.queue, desk.content, "tho-lo-mao-khe-thi-tay-nghe-gioi")
    assert git(desk.repo, "log", "-1", "--format=%an <%ae>|%cn|%s", commit).strip() == (
        "Lê Thu Hà <ha@congdoantkv.vn>|Lê Thu Hà|Duyệt bài: Thợ lò Mạo Khê thi tay nghề giỏi "
        "(Than Mạo Khê)")
    live = desk.content / entry["target"]
    assert live.is_file() and (live.with_suffix("") / "anh-1.jpg").is_file()
    assert "Author: Công đoàn Than Mạo Khê" in live.read_text(encoding="utf-8")
    assert not git(desk.repo, "status", "--porcelain", "content")  # all of it committed
    assert not (desk.queue / entry["target"]).exists() and queue.Queue(desk.queue).entries() == []
    page = build(desk.content, tmp_path / "pub2", "publishconf.py").html(outcome.url)
    assert page.select_one("h1").get_text(strip=True) == "Thợ lò Mạo Khê thi tay nghề giỏi"
    figure = page.select_one("figure.photo")
    assert figure.figcaption.get_text(strip=True) == "Thợ lò thực hành chống lò"


def test_word_author_property_is_the_author_and_editor_name_can_be_given(desk):
    trial_docx(desk, author_property="Nguyễn Văn Thợ")
    outcome, = desk().outcomes
    assert "Tác giả: Nguyễn Văn Thợ (lấy từ thông tin tác giả lưu trong tệp Word" in \
        receipt(outcome)
    entry, commit = queue.approve(desk.queue, desk.content, "than-mao-khe/"
                                  "tho-lo-mao-khe-thi-tay-nghe-gioi", editor="Phạm Minh Tuấn")
    assert git(desk.repo, "log", "-1", "--format=%an", commit).strip() == "Phạm Minh Tuấn"
    assert "Author: Nguyễn Văn Thợ\n" in (desk.content / entry["target"]).read_text("utf-8")


def test_unit_without_author_in_the_list_gets_one_from_its_name(desk, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(ROOT / "data", data_dir)
    units = yaml.safe_load((data_dir / "units.yml").read_text(encoding="utf-8"))
    for unit in units:
        unit.pop("author", None)
    (data_dir / "units.yml").write_text(yaml.safe_dump(units, allow_unicode=True), "utf-8")
    put(desk.src / "Than Núi Béo", {"tin.md": "Tiêu đề: Tin Núi Béo\nNgày: 02/06/2020\n\n"
                                              "Nội dung tin.\n"})
    outcome, = desk(data_dir=data_dir).outcomes
    assert "Tác giả: Công đoàn Than Núi Béo (đặt theo tên đơn vị vì danh sách đơn vị chưa " \
        "ghi tác giả mặc định)" in receipt(outcome)


# --- 2./3. refusals in the submitter's words -------------------------------------------------

def test_word_title_only_and_picture_without_alt_are_refused_in_word_terms(desk):
    word(desk.src / "Than Mạo Khê" / "Chỉ tiêu đề.docx", ["Tin chỉ có tiêu đề"])
    word(desk.src / "Than Mạo Khê" / "Ảnh thiếu mô tả.docx",
         ["Tiêu đề: Ảnh thiếu mô tả", "Đơn vị: Than Mạo Khê", "Nội dung có ảnh."],
         pictures=[(jpeg(), "Có mô tả", None), (jpeg(color=(5, 5, 5)), None, None)])
    put(desk.src / "Hòn Gai", {"tin.md": "Tiêu đề: Tin\n\nNội dung.\n"})
    by_name = {o.source.name: o for o in desk().outcomes}
    assert all(o.status == ingest.REFUSED for o in by_name.values())
    empty = receipt(by_name["Chỉ tiêu đề.docx"])
    assert "bài chưa có nội dung" in empty and "(trong Word: Tệp → Lưu, hoặc Ctrl+S)" in empty
    alt = receipt(by_name["Ảnh thiếu mô tả.docx"])
    assert "Nội dung: ảnh thứ 2 trong tệp Word chưa có mô tả (alt)" in alt
    assert "bấm chuột phải vào ảnh → chọn “Sửa Văn bản Thay thế” (Edit Alt Text)" in alt
    for markdown in ("{static}", "![", "ngoặc vuông", "anh-2.jpg"):
        assert markdown not in alt, markdown
    unknown = receipt(by_name["tin.md"])
    assert "tên thư mục “Hòn Gai” không phải tên một đơn vị" in unknown
    assert "“Than Hòn Gai” (than-hon-gai)" in unknown


def test_labels_follow_the_submitter(desk):
    put(desk.src / "than-ha-lam", {
        "viet.md": "Tiêu đề: Tin tiếng Việt\nNgày: 02/06/2020\nTác giả: A\nẢnh đại diện: b.jpg\n\n"
                   "Nội dung.\n",
        "anh.md": "Title: English labels\nDate: 02/06/2020\nAuthor: A\nImage: c.jpg\n\nText.\n",
        "b.jpg": jpeg(), "c.jpg": jpeg(color=(1, 1, 1))})
    by_name = {o.source.name: o for o in desk(queue_dir=False).outcomes}
    viet, anh = receipt(by_name["viet.md"]), receipt(by_name["anh.md"])
    assert "Mô tả ảnh: ảnh đại diện chưa có mô tả" in viet
    assert "thêm dòng “Mô tả ảnh: mô tả ngắn nội dung ảnh”" in viet
    assert "Chuyên mục: Tin tức (chuyên mục mặc định)" in viet and "Category" not in viet
    assert "Image_alt: ảnh đại diện chưa có mô tả" in anh
    assert "Category: Tin tức (chuyên mục mặc định)" in anh


# --- 4. the queue: trusted units, return with a note, preview --------------------------------

def test_trusted_unit_goes_straight_to_content(desk):
    put(desk.src / "Cơ quan Công đoàn TKV", {"tin.md": "Tiêu đề: Tin của cơ quan\n"
                                                        "Ngày: 02/06/2020\n\nNội dung.\n"})
    outcome, = desk().outcomes
    assert not outcome.pending and outcome.target.is_relative_to(desk.content)
    assert "Tác giả: Ban Tuyên giáo Công đoàn TKV" in receipt(outcome)


def test_return_with_a_note_then_resend(desk):
    trial_docx(desk)
    outcome, = desk().outcomes
    entry, note = queue.give_back(desk.queue, "tho-lo-mao-khe-thi-tay-nghe-gioi",
                                  "Bổ sung tên người trong ảnh.\nGhi rõ ngày thi.",
                                  content=desk.content)
    assert note == outcome.receipt
    text = receipt(outcome)
    assert text.startswith("BAN TUYÊN GIÁO TRẢ LẠI BÀI")
    assert "Nhận xét của người duyệt (Lê Thu Hà):\n  Bổ sung tên người trong ảnh.\n  Ghi rõ" \
        in text
    assert "sửa tệp Word của bạn" in text and "đúng tên tệp cũ “Tin mới.docx”" in text
    assert queue.Queue(desk.queue).entries() == []
    assert (queue.returned_root(desk.queue) / entry["target"]).is_file()  # kept, not deleted
    assert not list(desk.content.rglob("*.md"))
    with pytest.raises(queue.QueueError, match="không có bài"):
        queue.approve(desk.queue, desk.content, "tho-lo-mao-khe-thi-tay-nghe-gioi")
    trial_docx(desk)  # the reporter sends the file again
    again, = desk().outcomes
    assert again.pending and again.accepted, (again.status, again.problems)
    assert len(queue.Queue(desk.queue).entries()) == 1


def test_approval_refused_while_the_article_has_errors(desk):
    trial_docx(desk)
    outcome, = desk().outcomes
    article = outcome.target
    article.write_text(article.read_text("utf-8").replace("Category: Tin tức",
                                                          "Category: Không có"), "utf-8")
    with pytest.raises(queue.QueueError, match="chưa duyệt được") as refused:
        queue.approve(desk.queue, desk.content, article.stem)
    assert "invoke approve tho-lo-mao-khe-thi-tay-nghe-gioi --edit" in str(refused.value)
    assert article.is_file() and not list(desk.content.rglob("*.md"))


def test_queue_lists_and_previews_pending_articles(desk, tmp_path):
    from newsroom.build import preview

    trial_docx(desk)
    desk()
    urls = site.build_queue(desk.queue, tmp_path / "xem-truoc")
    url, = urls.values()
    with preview.serve(tmp_path / "xem-truoc") as base:
        listing = queue.listing(desk.queue, {k: f"{base}/{v}" for k, v in urls.items()})
        assert "1 bài chờ duyệt:" in listing and "tho-lo-mao-khe-thi-tay-nghe-gioi" in listing
        link = next(line.split("xem trước: ")[1] for line in listing.splitlines()
                    if "xem trước: " in line)
        page = urllib.request.urlopen(link, timeout=10).read().decode("utf-8")
    assert link.endswith(url) and "Thợ lò Mạo Khê thi tay nghề giỏi" in page
    assert queue.listing(tmp_path / "khong-co") == "Không có bài nào chờ duyệt."


# --- 5. invoke check and build messages ------------------------------------------------------

def test_check_says_each_problem_at_its_own_line(tmp_path):
    path = tmp_path / "content" / "bai-viet" / "a.md"
    path.parent.mkdir(parents=True)
    (path.parent / "bia.jpg").write_bytes(jpeg())
    path.write_text("Title: Tin\nDate: 01/06/2020\nUnit: than-ha-lam\nAuthor: A\n"
                    "Image: bia.jpg\nCategory: Tin tức\nNội dung ngay dưới phần đầu.\n",
                    encoding="utf-8")
    problems = {p.field: p for p in check.check([path], tmp_path / "content").problems}
    assert problems["Image_alt"].line == 5 and "ngay dưới dòng này" in problems["Image_alt"].fix
    blank = problems["Nội dung"]
    assert blank.line == 7 and blank.severity == schema.WARNING
    assert "thiếu dòng trống" in blank.message


def test_invoke_build_speaks_vietnamese_whole_lines_and_remembers(tmp_path):
    from tests.test_build import small_project

    small_project(tmp_path)
    folder = tmp_path / "content/bai-viet/than-ha-lam/2020"
    folder.mkdir(parents=True)
    long_name = "bai-viet-co-ten-tep-rat-dai-de-xem-thong-bao-co-bi-cat-ngang-duong-dan-khong.md"
    (folder / long_name).write_text("Title: Tin dài\nDate: 01/06/2020\nUnit: than-ha-lam\n"
                                    "Author: A\nCategory: Tin tức\nFeatured: có lẽ\n\nNội dung.\n",
                                    encoding="utf-8")
    (folder / "thieu-ngay.md").write_text("Title: Tin thiếu ngày\nUnit: than-ha-lam\nAuthor: A\n"
                                          "Category: Tin tức\n\nNội dung.\n", encoding="utf-8")

    def build():
        done = subprocess.run([sys.executable, "-m", "invoke", "build"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    first = build()
    lines = first.splitlines()
    assert any(line.startswith(f"content/bai-viet/than-ha-lam/2020/{long_name}:6: Featured: "
                               "cảnh báo:") for line in lines), first  # whole, not wrapped
    assert ("content/bai-viet/than-ha-lam/2020/thieu-ngay.md: bài bị giữ lại làm bản nháp, "
            "không lên trang chủ và các danh sách, vì thiếu ngày đăng.") in first
    assert "Đã dựng 1 bài, 0 trang" in first
    assert "1 bài có lỗi, 1 bài có cảnh báo, 1 bài bị giữ lại làm bản nháp vì lỗi; xem từng " \
        "lỗi, cảnh báo (tệp:dòng) bằng “invoke check”." in first
    for english in ("Done:", "Processed", "drafts", "WARNING", "INFO"):
        assert english not in first, english
    assert (tmp_path / "cache" / "nhat-ky-pelican.txt").stat().st_size > 0
    again = build()
    assert again.startswith("Không có gì thay đổi từ lần dựng trước")
    assert "Lần dựng trước: 1 bài có lỗi, 1 bài có cảnh báo" in again and "invoke check" in again
