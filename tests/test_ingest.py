"""``invoke ingest``: the shared-folder path, played with realistic submissions.

Every test ends by accounting for every source file: ingested (gone from the shared folder,
listed by an accepted outcome) or refused (still there, with a receipt beside its submission).
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import docx
import pytest
from PIL import Image

from newsroom.build import site
from newsroom.core.paths import ROOT
from newsroom.intake import check, ingest
from tests.conftest import BuiltSite
from tests.helpers import article
from tests.shared_folder import jpeg, png, put, shared, word  # noqa: F401 - shared is a fixture

TODAY = "26/11/2026 08:00"


def only(result, status=None):
    assert len(result.outcomes) == 1, [(o.source, o.status, o.problems)
                                       for o in result.outcomes]
    outcome = result.outcomes[0]
    if status:
        assert outcome.status == status, outcome.problems
    return outcome


def build(content: Path, tmp_path: Path) -> BuiltSite:
    out = tmp_path / "output"
    settings = site.build("pelicanconf.py", PATH=content, OUTPUT_PATH=out,
                          NEWSROOM_STRICT=True)
    return BuiltSite(out, settings)


def test_markdown_folder_with_photos_is_ingested_and_builds(shared, tmp_path):
    photo, extra = jpeg(), png()
    put(shared.src / "Than Hà Lầm" / "Bài đối thoại", {
        "bai.md": ("Tiêu đề: Công đoàn Than Hà Lầm đối thoại với thợ lò\n"
                   "Ngày: 12/05/2020 08:30\nTác giả: Nguyễn Thị Hoa\nChuyên mục: Tin tức\n"
                   "Ảnh đại diện: Ảnh Bìa.JPG\nMô tả ảnh: Hội trường đối thoại\n\n"
                   "Chiều 11/5, hội nghị đối thoại diễn ra tại nhà văn hóa.\n\n"
                   "![Thợ lò đặt câu hỏi](Ảnh 2.png)\n"),
        "Ảnh Bìa.JPG": photo, "Ảnh 2.png": extra, "Ảnh thêm.jpg": jpeg(color=(9, 9, 9)),
    })
    outcome = only(shared(now=None), ingest.INGESTED)
    target = (shared.content
              / "bai-viet/than-ha-lam/2020/cong-doan-than-ha-lam-doi-thoai-voi-tho-lo.md")
    assert outcome.target == target
    text = target.read_text(encoding="utf-8")
    assert text.startswith("Title: Công đoàn Than Hà Lầm đối thoại với thợ lò\n"
                           "Date: 12/05/2020 08:30\nUnit: than-ha-lam\n")
    assert "Image: cong-doan-than-ha-lam-doi-thoai-voi-tho-lo/anh-bia.jpg" in text
    assert "![Thợ lò đặt câu hỏi]({static}cong-doan-than-ha-lam-doi-thoai-voi-tho-lo/anh-2.png)" \
        in text
    folder = target.with_suffix("")
    assert (folder / "anh-bia.jpg").read_bytes() == photo
    assert (folder / "anh-2.png").read_bytes() == extra
    assert (folder / "anh-them.jpg").is_file()  # sent along, kept beside the article
    receipt = (shared.src / "Than Hà Lầm" / "Bài đối thoại.receipt.txt").read_text(encoding="utf-8-sig")
    assert "content/bai-viet/than-ha-lam/2020/cong-doan-than-ha-lam-doi-thoai-voi-tho-lo.md" \
        in receipt
    assert "/2020/05/cong-doan-than-ha-lam-doi-thoai-voi-tho-lo/" in receipt
    assert "Đơn vị: Than Hà Lầm (theo tên thư mục “Than Hà Lầm”)" in receipt
    assert "chưa chèn vào bài: Ảnh thêm.jpg" in receipt
    assert not (shared.src / "Than Hà Lầm" / "Bài đối thoại").exists()

    assert not check.check([target], shared.content).errors
    page = build(shared.content, tmp_path).html(
        "2020/05/cong-doan-than-ha-lam-doi-thoai-voi-tho-lo/")
    img = page.select_one('img[src*="/anh-2-w"]')  # published through plugins/images
    assert img is not None and img["alt"] == "Thợ lò đặt câu hỏi"


def test_git_template_sent_through_the_folder(shared):
    """The README's template as is, photos in a sub-folder, plus an <img> tag."""
    cover, second = jpeg(), jpeg(color=(90, 10, 10))
    put(shared.src / "than-ha-lam" / "doi-thoai", {
        "doi-thoai-ha-lam.md": article(
            "Đối thoại tại Hà Lầm", image="doi-thoai-ha-lam/anh-bia.jpg",
            image_alt="Hội trường",
            body="![Công nhân phát biểu]({static}doi-thoai-ha-lam/anh-2.jpg)\n\n"
                 '<img src="doi-thoai-ha-lam/ANH-BIA.JPG" alt="Bìa nhắc lại">'),
        "doi-thoai-ha-lam/anh-bia.jpg": cover,
        "doi-thoai-ha-lam/anh-2.jpg": second,
    })
    outcome = only(shared(), ingest.INGESTED)
    text = outcome.target.read_text(encoding="utf-8")
    assert "Image: doi-thoai-tai-ha-lam/anh-bia.jpg\n" in text
    assert "![Công nhân phát biểu]({static}doi-thoai-tai-ha-lam/anh-2.jpg)" in text
    assert '<img src="{static}doi-thoai-tai-ha-lam/anh-bia.jpg" alt="Bìa nhắc lại">' in text
    folder = outcome.target.with_suffix("")
    assert sorted(p.name for p in folder.iterdir()) == ["anh-2.jpg", "anh-bia.jpg"]
    assert (folder / "anh-2.jpg").read_bytes() == second
    assert not (shared.src / "than-ha-lam" / "doi-thoai").exists()


def test_word_document_with_photos(shared, tmp_path):
    first, second = jpeg(color=(200, 150, 20)), png((640, 480))
    word(shared.src / "than-nui-beo" / "Tin Núi Béo.docx", [
        "Tiêu đề: Công đoàn Than Núi Béo trao 50 suất quà cho thợ mỏ_ca*3 [kỳ 1]",
        "Tác giả: Trần Văn Bình",
        "Ngày đăng: 20/01/2021 15:00",
        "Sáng 20/1 (tức 8 tháng Chạp), Công đoàn Công ty trao quà Tết 2021 - mỗi suất 1.000.000 "
        "đồng.",
    ], pictures=[(first, "Chủ tịch công đoàn trao quà cho thợ mỏ", None),
                 (second, None, "Ảnh: Thợ mỏ vui nhận quà Tết")])
    outcome = only(shared(), ingest.INGESTED)
    text = outcome.target.read_text(encoding="utf-8")
    slug = "cong-doan-than-nui-beo-trao-50-suat-qua-cho-tho-mo-ca-3-ky-1"
    assert "Title: Công đoàn Than Núi Béo trao 50 suất quà cho thợ mỏ_ca*3 [kỳ 1]\n" in text
    assert outcome.target == shared.content / f"bai-viet/than-nui-beo/2021/{slug}.md"
    assert "Tết 2021 - mỗi suất 1.000.000 đồng." in text  # no stray escapes from Word
    assert f"![Chủ tịch công đoàn trao quà cho thợ mỏ]({{static}}{slug}/anh-1.jpg)" in text
    assert f"![Thợ mỏ vui nhận quà Tết]({{static}}{slug}/anh-2.png)" in text
    assert (outcome.target.with_suffix("") / "anh-1.jpg").read_bytes() == first
    assert (outcome.target.with_suffix("") / "anh-2.png").read_bytes() == second
    assert "ảnh thứ 2: dòng in nghiêng ngay dưới ảnh được dùng làm chú thích ảnh và mô tả ảnh" \
        in outcome.receipt.read_text(encoding="utf-8-sig")
    assert outcome.url == f"2021/01/{slug}/"  # the file name and the address agree
    page = build(shared.content, tmp_path).html(outcome.url)  # the receipt tells the truth
    # published through plugins/images (the larger views of a gallery repeat each photo)
    assert [i["alt"] for i in page.select(f'img[src*="{slug}/anh-"]:not(.lightbox img)')] == [
        "Chủ tịch công đoàn trao quà cho thợ mỏ", "Thợ mỏ vui nhận quà Tết"]


def test_word_with_heading_title_and_bold_labels(shared):
    document = docx.Document()
    document.add_heading("Công đoàn Than Cao Sơn trao quà Tết cho thợ mỏ", level=1)
    label = document.add_paragraph()
    label.add_run("Tác giả:").bold = True
    label.add_run(" Phạm Thu Trang")
    document.add_paragraph().add_run("Ngày: 12/01/2021 09:15").bold = True
    document.add_paragraph("Sáng 12/1, Công đoàn Công ty trao 300 suất quà.")
    path = shared.src / "Than Cao Sơn" / "qua-tet.docx"
    path.parent.mkdir(parents=True)
    document.save(path)
    outcome = only(shared(), ingest.INGESTED)
    assert outcome.target == (shared.content / "bai-viet/than-cao-son/2021/"
                              "cong-doan-than-cao-son-trao-qua-tet-cho-tho-mo.md")
    text = outcome.target.read_text(encoding="utf-8")
    assert "Author: Phạm Thu Trang\n" in text and "Date: 12/01/2021 09:15\n" in text
    assert text.endswith("\n\nSáng 12/1, Công đoàn Công ty trao 300 suất quà.\n")


def test_word_photo_without_alt_or_caption_is_refused_with_how_to(shared):
    word(shared.src / "than-nui-beo" / "khong-mo-ta.docx",
         ["Tiêu đề: Ảnh không có mô tả", "Tác giả: Trần Văn Bình", "Nội dung."],
         pictures=[(jpeg(), None, None)])
    outcome = only(shared(), ingest.REFUSED)
    assert any("chưa có mô tả (alt)" in p for p in outcome.problems)
    assert (shared.src / "than-nui-beo" / "khong-mo-ta.docx").is_file()


def cp1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 writes it: base letters precomposed, tone marks combining."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", char)
        tone = "".join(c for c in parts if c in tones)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out += (base + tone).encode("cp1258")
    return out


@pytest.mark.parametrize("name, encode", [
    ("bom-crlf.md", lambda t: b"\xef\xbb\xbf" + t.replace("\n", "\r\n").encode("utf-8")),
    ("utf16.txt", lambda t: t.replace("\n", "\r\n").encode("utf-16")),
    ("utf16-khong-bom.txt", lambda t: t.encode("utf-16-le")),
    ("mac-nfd.md", lambda t: unicodedata.normalize("NFD", t).encode("utf-8")),
    ("windows-1258.txt", lambda t: cp1258(t).replace(b"\n", b"\r\n")),
])
def test_encodings_from_windows_and_mac(shared, name, encode):
    title = "Thợ lò Mạo Khê được khám sức khỏe định kỳ"
    text = (f"Tiêu đề: {title}\nNgày: 03/06/2020 07:45\nTác giả: Lê Đức Anh\n\n"
            "Đợt khám kéo dài 5 ngày, kiểm tra bệnh nghề nghiệp cho 1.500 thợ lò.\n")
    folder = unicodedata.normalize("NFD", "Than Mạo Khê")  # a Mac names folders in NFD too
    put(shared.src / folder, {name: encode(text)})
    outcome = only(shared(), ingest.INGESTED)
    written = outcome.target.read_text(encoding="utf-8")
    assert outcome.target.name == "tho-lo-mao-khe-duoc-kham-suc-khoe-dinh-ky.md"
    assert f"Title: {title}\n" in written and "\r" not in written
    assert written == unicodedata.normalize("NFC", written)
    assert "kiểm tra bệnh nghề nghiệp cho 1.500 thợ lò." in written
    assert "Unit: than-mao-khe" in written
    if name == "windows-1258.txt":
        assert "mã Windows-1258 cũ" in outcome.receipt.read_text(encoding="utf-8-sig")


def test_western_legacy_text_is_not_mistaken_for_vietnamese(shared):
    put(shared.src / "than-ha-lam", {"latin1.txt": "Title: Café crème\nAuthor: Zoë\n\nSüß ÿ\n"
                                     .encode("cp1252")})
    outcome = only(shared(), ingest.REFUSED)
    assert "không đọc được mã hóa chữ" in outcome.problems[0]
    assert "UTF-8" in outcome.problems[0]


def test_missing_and_wrong_metadata_are_refused_with_lines(shared):
    put(shared.src / "than-ha-lam", {
        "sai-ngay.md": "Title: Tin sai ngày\nDate: 31/02/2020 08:00\nAuthor: A\n"
                       "Category: Chuyên mục lạ\n\nNội dung.\n",
    })
    result = shared()
    by_name = {o.source.name: o for o in result.outcomes}
    assert all(o.status == ingest.REFUSED for o in result.outcomes)
    wrong = by_name["sai-ngay.md"].problems
    assert any(p.startswith("dòng 2, Date: ngày “31/02/2020 08:00” không tồn tại")
               for p in wrong)
    receipt = (shared.src / "than-ha-lam" / "sai-ngay.md.receipt.txt").read_text(encoding="utf-8-sig")
    assert "dòng 4, Category: không có chuyên mục “Chuyên mục lạ”" in receipt
    assert "Tệp của bạn vẫn ở nguyên chỗ cũ" in receipt

    # the reporter fixes the file in place; the next run takes it and replaces the receipt
    put(shared.src / "than-ha-lam", {
        "sai-ngay.md": "Title: Tin sai ngày\nDate: 28/02/2020 08:00\nAuthor: A\n"
                       "Category: Tin tức\n\nNội dung.\n"})
    fixed = [o for o in shared().outcomes if o.source.name == "sai-ngay.md"][0]
    assert fixed.status == ingest.INGESTED
    assert fixed.receipt.read_text(encoding="utf-8-sig").startswith("ĐÃ NHẬN BÀI")


def test_commit_outside_git_keeps_the_articles_and_says_so(shared):
    put(shared.src / "than-ha-lam", {"tin.md": article("Tin không có kho git")})
    out = io.StringIO()
    code = ingest.main(["--source", str(shared.src), "--content", str(shared.content),
                        "--commit", "--settle", "0", "--no-queue"], out=out)
    assert code == 4
    assert "chưa commit được vào git" in out.getvalue()
    assert (shared.content / "bai-viet/than-ha-lam/2020/tin-khong-co-kho-git.md").is_file()


def test_unknown_unit_folder_and_stray_files(shared):
    put(shared.src, {
        "Than Không Có/tin.md": article("Tin của đơn vị lạ", unit=None),
        "Than Không Có/co-don-vi.md": article("Tin ghi rõ đơn vị", unit="than-ha-lam"),
        "de-ngoai.md": article("Tin để ngoài thư mục đơn vị"),
        "than-ha-lam/ban-cu.doc": b"\xd0\xcf\x11\xe0 old word",
        "than-ha-lam/anh-le.jpg": jpeg(),
        "than-ha-lam/Thumbs.db": b"junk",
        "than-ha-lam/hai-bai/mot.md": article("Bài một"),
        "than-ha-lam/hai-bai/hai.md": article("Bài hai"),
    })
    result = shared()
    problems = {o.source.name: " ".join(o.problems) for o in result.outcomes}
    declared = [o for o in result.outcomes if o.source.name == "co-don-vi.md"][0]
    assert declared.status == ingest.INGESTED and declared.unit == "than-ha-lam"
    assert all(o.status == ingest.REFUSED for o in result.outcomes if o is not declared)
    assert "“Than Không Có” không phải tên một đơn vị" in problems["tin.md"]
    assert "nằm ngoài thư mục đơn vị" in problems["de-ngoai.md"]
    assert "Word 97-2003" in problems["ban-cu.doc"] and ".docx" in problems["ban-cu.doc"]
    assert "ảnh lẻ không thuộc bài nào" in problems["anh-le.jpg"]
    assert "thư mục có 2 tệp bài" in problems["hai-bai"]
    assert (shared.src / "than-ha-lam" / "hai-bai.receipt.txt").is_file()


def test_corrupt_truncated_and_oversized_images(shared):
    whole = jpeg((2000, 1500))
    huge = io.BytesIO()
    Image.new("1", (9000, 6000)).save(huge, "PNG")  # 54 megapixels
    for name, data in [("hong", os.urandom(4096)), ("cat-do", whole[: len(whole) // 2]),
                       ("qua-lon", huge.getvalue())]:
        ext = "png" if name == "qua-lon" else "jpg"
        put(shared.src / "than-ha-lam" / f"bai-{name}", {
            "bai.md": article(f"Bài có ảnh {name}", body=f"![Ảnh {name}](anh.{ext})"),
            f"anh.{ext}": data})
    put(shared.src / "than-ha-lam" / "bai-iphone", {
        "bai.md": article("Bài kèm ảnh iPhone", body="Ảnh gửi kèm."),
        "IMG_0001.HEIC": b"\x00\x00\x00\x18ftypheic" + os.urandom(64)})
    put(shared.src / "than-ha-lam" / "bai-tot", {
        "bai.md": article("Bài tốt giữa các bài lỗi", body="![Ảnh tốt](anh.jpg)"),
        "anh.jpg": whole})
    result = shared()
    problems = {o.source.name: " ".join(o.problems) for o in result.outcomes}
    assert "bị hỏng hoặc chưa chép hết" in problems["bai-hong"]
    assert "bị hỏng hoặc chưa chép hết" in problems["bai-cat-do"]
    assert "9000×6000" in problems["bai-qua-lon"] and "thu nhỏ ảnh" in problems["bai-qua-lon"]
    assert "HEIC" in problems["bai-iphone"] and "Tương thích nhất" in problems["bai-iphone"]
    good = [o for o in result.outcomes if o.source.name == "bai-tot"][0]
    assert good.status == ingest.INGESTED  # bad files never stop the run
    assert not list(shared.content.rglob("anh*.png"))
    assert len(list(shared.content.rglob("*.md"))) == 1


def test_symlinks_and_paths_leading_outside_are_refused(shared, tmp_path):
    secret = tmp_path / "bi-mat.jpg"
    secret.write_bytes(jpeg())
    outside_doc = tmp_path / "ngoai.md"
    outside_doc.write_text(article("Bài ngoài thư mục"), encoding="utf-8")
    unit = shared.src / "than-ha-lam"
    put(unit, {
        "thoat/bai.md": article("Bài trỏ ra ngoài", body="![Ảnh](../../../bi-mat.jpg)"),
        "tuyet-doi.md": article("Bài đường dẫn tuyệt đối", body=f"![Ảnh]({secret})"),
    })
    (unit / "lien-ket.md").symlink_to(outside_doc)
    (shared.src / "than-nui-beo").symlink_to(tmp_path, target_is_directory=True)
    (unit / "thu-muc-lien-ket").mkdir()
    (unit / "thu-muc-lien-ket" / "bai.md").write_text(article("Bài có ảnh liên kết",
                                                             body="![Ảnh](anh.jpg)"))
    (unit / "thu-muc-lien-ket" / "anh.jpg").symlink_to(secret)
    (unit / "tuyet-doi.md.receipt.txt").symlink_to(outside_doc)  # a planted link
    around = sorted(tmp_path.iterdir())
    result = shared()
    problems = {o.source.name: " ".join(o.problems) for o in result.outcomes}
    assert "trỏ ra ngoài thư mục bài" in problems["thoat"]
    assert "đường dẫn trên máy của bạn" in problems["tuyet-doi.md"]
    assert "là liên kết" in problems["lien-ket.md"]
    assert "là liên kết" in problems["than-nui-beo"]
    assert "là liên kết" in problems["anh.jpg"]
    assert "“anh.jpg” là liên kết" in problems["thu-muc-lien-ket"]
    assert all(o.status == ingest.REFUSED for o in result.outcomes)
    assert not list(shared.content.rglob("*.md")) and not list(shared.content.rglob("*.jpg"))
    assert secret.read_bytes()[:2] == b"\xff\xd8"
    assert outside_doc.read_text(encoding="utf-8") == article("Bài ngoài thư mục")
    assert not (unit / "tuyet-doi.md.receipt.txt").is_symlink()
    assert sorted(tmp_path.iterdir()) == around  # nothing written through the links


def test_duplicate_title_of_an_existing_article(shared):
    title = "Công đoàn Than Hà Lầm tổ chức đối thoại"
    existing = (shared.content
                / "bai-viet/than-ha-lam/2020/cong-doan-than-ha-lam-to-chuc-doi-thoai.md")
    put(existing.parent, {existing.name: article(title, date="2020-05-06 08:30")})
    put(shared.src / "Than Hà Lầm", {"doi-thoai.md": article(title, date="2020-05-20 09:00")})
    outcome = only(shared(), ingest.REFUSED)
    text = " ".join(outcome.problems)
    assert ("tiêu đề trùng với bài đã có "
            "content/bai-viet/than-ha-lam/2020/cong-doan-than-ha-lam-to-chuc-doi-thoai.md") in text
    assert existing.read_text(encoding="utf-8").count(title) == 1  # never overwritten


def test_two_new_files_with_one_title_in_one_run(shared):
    put(shared.src / "than-ha-lam", {"a.md": article("Cùng một tiêu đề", date="2020-07-01"),
                                     "b.md": article("Cùng một tiêu đề", date="2020-07-02")})
    result = shared()
    assert sorted(o.status for o in result.outcomes) == [ingest.INGESTED, ingest.REFUSED]
    assert len(list(shared.content.rglob("*.md"))) == 1


def test_idempotent_changed_and_resent(shared):
    unit = shared.src / "than-ha-lam"
    put(unit, {"tin.md": article("Tin gửi nhiều lần", body="Bản đầu.")})
    first = only(shared(), ingest.INGESTED)
    assert shared().outcomes == []  # nothing new: a second run is a no-op

    put(unit, {"tin.md": article("Tin gửi nhiều lần", body="Bản đầu.")})  # same bytes again
    again = only(shared(), ingest.DUPLICATE)
    assert again.target == first.target
    assert "đã được nhận lúc" in again.receipt.read_text(encoding="utf-8-sig")

    put(unit, {"tin.md": article("Tin gửi nhiều lần", body="Bản đã sửa lỗi chính tả.")})
    updated = only(shared(), ingest.UPDATED)
    assert updated.target == first.target
    assert "Bản đã sửa lỗi chính tả." in first.target.read_text(encoding="utf-8")
    assert updated.receipt.read_text(encoding="utf-8-sig").startswith("ĐÃ CẬP NHẬT BÀI")
    assert len(list(shared.content.rglob("*.md"))) == 1


def test_resent_folder_drops_photos_no_longer_sent(shared):
    folder = shared.src / "than-ha-lam" / "phong-su"
    put(folder, {"bai.md": article("Phóng sự ảnh", body="![Một](1.jpg)\n\n![Hai](2.jpg)"),
                 "1.jpg": jpeg(), "2.jpg": jpeg(color=(1, 2, 3))})
    first = only(shared(), ingest.INGESTED)
    images = first.target.with_suffix("")
    assert sorted(p.name for p in images.iterdir()) == ["1.jpg", "2.jpg"]
    put(folder, {"bai.md": article("Phóng sự ảnh", body="![Một](1.jpg)"), "1.jpg": jpeg()})
    only(shared(), ingest.UPDATED)
    assert sorted(p.name for p in images.iterdir()) == ["1.jpg"]


def test_lock_keeps_two_runs_apart(shared):
    put(shared.src / "than-ha-lam", {"tin.md": article("Tin chờ lượt sau")})
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[2]);"
         "from pathlib import Path; from newsroom.intake import ingest;"
         "cm = ingest.locked(Path(sys.argv[1])); cm.__enter__(); print('ok', flush=True);"
         "sys.stdin.read()", str(ingest.default_state_dir(shared.src, shared.content)),
         str(ROOT)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(ingest.Busy, match=f"tiến trình {holder.pid}"):
            ingest.ingest(shared.src, shared.content)
        out = io.StringIO()
        assert ingest.main(["--source", str(shared.src), "--content", str(shared.content),
                            "--settle", "0"], out=out) == 3
        assert "Chưa chạy" in out.getvalue()
        assert (shared.src / "than-ha-lam" / "tin.md").is_file()
    finally:
        holder.communicate("")
    only(shared(), ingest.INGESTED)  # the lock dies with its holder


def test_commit_names_unit_and_titles(shared, monkeypatch):
    repo = shared.content.parent
    env = {**os.environ, "GIT_AUTHOR_NAME": "Tiếp nhận", "GIT_AUTHOR_EMAIL": "tn@example.vn",
           "GIT_COMMITTER_NAME": "Tiếp nhận", "GIT_COMMITTER_EMAIL": "tn@example.vn"}
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "README.md").write_text("kho\n")
    subprocess.run(["git", "-C", str(repo), "add", "README.md"], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "Khởi tạo"], check=True, env=env)
    put(shared.src, {"than-ha-lam/a.md": article("Tin thứ nhất của Hà Lầm"),
                     "Than Núi Béo/b.md": article("Tin của Núi Béo", unit=None),
                     "than-ha-lam/loi.md": article("Tin lỗi", category="Chuyên mục lạ")})
    for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(key, env[key])
    result = shared(commit_to_git=True)
    assert result.commit
    log = subprocess.run(["git", "-C", str(repo), "log", "-1", "--format=%B"],
                         capture_output=True, text=True, check=True).stdout
    assert log.startswith("Tiếp nhận bài: Than Hà Lầm (1), Than Núi Béo (1)")
    assert "- Tin thứ nhất của Hà Lầm" in log and "- Tin của Núi Béo" in log
    assert "Tin lỗi" not in log
    files = subprocess.run(["git", "-C", str(repo), "show", "--name-only", "--format="],
                           capture_output=True, text=True, check=True).stdout.split()
    assert sorted(files) == ["content/bai-viet/than-ha-lam/2020/tin-thu-nhat-cua-ha-lam.md",
                             "content/bai-viet/than-nui-beo/2020/tin-cua-nui-beo.md"]


def test_a_failed_copy_loses_nothing(shared):
    """content/ cannot take the photos (a file sits where their folder must go): the article
    is taken back out, the sources stay, and the receipt says what happened."""
    put(shared.src / "than-ha-lam" / "bai-anh", {
        "bai.md": article("Bài có ảnh không chép được", body="![Ảnh](anh.jpg)"),
        "anh.jpg": jpeg()})
    blocker = shared.content / "bai-viet/than-ha-lam/2020/bai-co-anh-khong-chep-duoc"
    put(blocker.parent, {blocker.name: b"not a folder"})
    outcome = only(shared(), ingest.REFUSED)
    assert "chép vào content/ không thành công" in outcome.problems[0]
    assert not blocker.with_suffix(".md").exists()
    assert not list(shared.content.rglob(".*.tmp"))
    assert (shared.src / "than-ha-lam" / "bai-anh" / "anh.jpg").is_file()

    blocker.unlink()
    assert only(shared(), ingest.INGESTED).target == blocker.with_suffix(".md")
