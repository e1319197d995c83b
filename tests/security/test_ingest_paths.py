"""Ingest cannot write outside its destination (issue 15, item 3).

Each case puts one hostile submission in the shared folder: a path (``../``, absolute, ``..\\``,
percent-encoded, NFD, fullwidth) hidden in the slug, the title, the unit, a file, folder or
unit-folder name, a photo's name or a reference to a photo. Every case must be refused with a
Vietnamese receipt saying why and how to fix it, and a snapshot of the whole temporary tree
(the shared folder, content/, the folder around them) must show nothing written but receipts
and ingest's own state.
"""
from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from newsroom.intake import ingest
from tests.helpers import article
from tests.shared_folder import jpeg, put, shared  # noqa: F401 - shared is a fixture

UP = "../" * 14
FULLWIDTH = "．．／．．／"  # NFKC: ../../


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def snapshot(root: Path) -> dict[str, object]:
    """Every file, link and folder under ``root`` (links not followed): its bytes, target."""
    seen: dict[str, object] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                seen[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                seen[rel] = "dir"
            else:
                seen[rel] = path.read_bytes()
    return seen


def allowed(rel: str) -> bool:
    """What a refusal may write: receipts in the shared folder, ingest's own state, the
    checker's cache of existing articles."""
    return ((rel.startswith("thu-muc-chung/") and rel.endswith(".receipt.txt"))
            or rel.startswith(("repo/.tiep-nhan", "repo/cache")))


def slug(value):
    return {"than-ha-lam/bai.md": article("Bài có đường dẫn lạ", slug=value)}


def title(value):
    return {"than-ha-lam/bai.md": article(value)}


def unit_field(value):
    return {"than-ha-lam/bai.md": article("Bài ghi đơn vị lạ", unit=value)}


def doc_name(name):
    return {f"than-ha-lam/{name}": article("Bài có tên tệp lạ")}


def folder_name(name):
    return {f"than-ha-lam/{name}/bai.md": article("Bài trong thư mục tên lạ")}


def unit_folder(name):
    return {f"{name}/bai.md": article("Bài trong thư mục đơn vị tên lạ")}


def photo_name(name):
    return {"than-ha-lam/bai-anh/bai.md": article("Bài kèm ảnh tên lạ", body="Nội dung."),
            f"than-ha-lam/bai-anh/{name}": jpeg()}


def photo_ref(ref, field="body"):
    body = "Nội dung." if field == "image" else f"![Ảnh minh họa]({ref})"
    extra = {"image": ref, "image_alt": "Ảnh"} if field == "image" else {}
    return {"than-ha-lam/bai-anh/bai.md": article("Bài trỏ ảnh ra ngoài", body=body, **extra),
            "than-ha-lam/bai-anh/anh.jpg": jpeg()}


SLUG, TITLE, UNIT = "Slug (Đường dẫn)", "Title (Tiêu đề)", "Unit (Đơn vị)"
NAME = "ký tự dùng để chỉ đường dẫn"
OUT, LOCAL = "trỏ ra ngoài thư mục bài", "đường dẫn trên máy của bạn"

CASES = {
    # place-form: (files, words the receipt must hold); {tmp}: the test's temporary folder
    "slug-up": (lambda t: slug(f"{UP}{t}/PWNED"), SLUG),
    "slug-tracked-article": (lambda t: slug(f"{UP}{t}/repo/content/bai-viet/than-ha-lam/2019/"
                                            "bai-cu"), SLUG),
    "slug-absolute": (lambda t: slug(f"{t}/PWNED"), SLUG),
    "slug-backslash": (lambda t: slug("..\\..\\..\\..\\PWNED"), SLUG),
    "slug-percent": (lambda t: slug("%2e%2e%2f%2e%2e%2f%2e%2e%2fPWNED"), SLUG),
    "slug-nfd": (lambda t: slug(nfd("../../Đường dẫn ngoài")), SLUG),
    "slug-fullwidth": (lambda t: slug(FULLWIDTH + "PWNED"), SLUG),
    "title-up": (lambda t: title(f"{UP}PWNED"), TITLE),
    "title-absolute": (lambda t: title(f"{t}/PWNED"), TITLE),
    "title-backslash": (lambda t: title("..\\..\\PWNED"), TITLE),
    "title-percent": (lambda t: title("%2e%2e%2f%2e%2e%2fPWNED"), TITLE),
    "title-nfd": (lambda t: title(nfd("../../Tiêu đề ngoài")), TITLE),
    "title-fullwidth": (lambda t: title(FULLWIDTH + "Tiêu đề"), TITLE),
    "unit-field-up": (lambda t: unit_field("../../than-ha-lam"), UNIT),
    "unit-field-percent": (lambda t: unit_field("%2e%2e%2fthan-ha-lam"), UNIT),
    "unit-field-absolute": (lambda t: unit_field("/etc"), UNIT),
    "file-backslash": (lambda t: doc_name("..\\..\\PWNED.md"), NAME),
    "file-percent": (lambda t: doc_name("%2e%2e%2fPWNED.md"), NAME),
    "file-nfd": (lambda t: doc_name(nfd("..\\Bài viết.md")), NAME),
    "file-fullwidth": (lambda t: doc_name("．．／PWNED.md"), NAME),
    "file-control": (lambda t: doc_name("bai\x1b[2J.md"), NAME),
    "file-not-utf8": (lambda t: doc_name(os.fsdecode(b"..\xc0\xaf..\xc0\xafbai.md")), NAME),
    "folder-backslash": (lambda t: folder_name("..\\..\\bai"), NAME),
    "folder-percent": (lambda t: folder_name("%2E%2E%2Fbai"), NAME),
    "folder-nfd": (lambda t: folder_name(nfd("..\\Thư mục bài")), NAME),
    "folder-fullwidth": (lambda t: folder_name("．．／bai"), NAME),
    "unit-folder-backslash": (lambda t: unit_folder("..\\..\\than-ha-lam"), NAME),
    "unit-folder-percent": (lambda t: unit_folder("%2e%2e%2fthan-ha-lam"), NAME),
    "unit-folder-nfd": (lambda t: unit_folder(nfd("..\\Than Hà Lầm")), NAME),
    "unit-folder-fullwidth": (lambda t: unit_folder("．．／than-ha-lam"), NAME),
    "photo-name-backslash": (lambda t: photo_name("..\\..\\anh.jpg"), NAME),
    "photo-name-percent": (lambda t: photo_name("%2e%2e%2fanh.jpg"), NAME),
    "photo-name-nfd": (lambda t: photo_name(nfd("..\\Ảnh.jpg")), NAME),
    "photo-name-fullwidth": (lambda t: photo_name("．．／anh.jpg"), NAME),
    "photo-ref-up": (lambda t: photo_ref(f"{UP}bi-mat.jpg"), OUT),
    "photo-ref-absolute": (lambda t: photo_ref(f"{t}/bi-mat.jpg"), LOCAL),
    "photo-ref-drive": (lambda t: photo_ref("C:\\Users\\bi-mat.jpg"), LOCAL),
    "photo-ref-backslash": (lambda t: photo_ref("..\\..\\bi-mat.jpg"), OUT),
    "photo-ref-percent": (lambda t: photo_ref("%2e%2e%2f%2e%2e%2fbi-mat.jpg"), OUT),
    "photo-ref-double-percent": (lambda t: photo_ref("%252e%252e%252fbi-mat.jpg"), OUT),
    "photo-ref-nfd": (lambda t: photo_ref(nfd("../../Ảnh bí mật.jpg")), OUT),
    "photo-ref-fullwidth": (lambda t: photo_ref(FULLWIDTH + "bi-mat.jpg"), OUT),
    "photo-ref-static": (lambda t: photo_ref("{static}../../../bi-mat.jpg"), OUT),
    "image-field-up": (lambda t: photo_ref("../../bi-mat.jpg", "image"), OUT),
    "image-field-percent": (lambda t: photo_ref("%2e%2e/bi-mat.jpg", "image"), OUT),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_traversal_is_refused_and_nothing_is_written(shared, tmp_path, case):
    tracked = "repo/content/bai-viet/than-ha-lam/2019/bai-cu.md"
    put(tmp_path, {tracked: article("Bài cũ đã đăng", date="2019-03-01 08:00"),
                   "bi-mat.jpg": jpeg(color=(1, 1, 1))})
    make, words = CASES[case]
    put(shared.src, make(tmp_path))
    before = snapshot(tmp_path)

    result = shared()

    assert result.outcomes and all(o.status == ingest.REFUSED for o in result.outcomes), \
        [(o.source.name, o.status) for o in result.outcomes]
    receipts = [o.receipt.read_text(encoding="utf-8-sig") for o in result.outcomes]
    assert any(words in text for text in receipts), receipts
    assert all(text.startswith("CHƯA NHẬN BÀI") and "Cách sửa:" in text for text in receipts)
    after = snapshot(tmp_path)
    changed = {rel for rel in set(before) | set(after) if before.get(rel) != after.get(rel)}
    assert {rel for rel in changed if not allowed(rel)} == set()
    assert not any(rel.startswith("repo/content") for rel in changed)


def test_receipt_of_an_odd_name_is_a_plain_file_beside_it(shared):
    """The receipt of ``..\\..\\x.md`` is named from its slug, in the same folder."""
    put(shared.src, doc_name("..\\..\\PWNED.md"))
    outcome = shared().outcomes[0]
    assert outcome.receipt == shared.src / "than-ha-lam" / "pwned-md.receipt.txt"
    assert "“..\\..\\PWNED.md”" in outcome.receipt.read_text(encoding="utf-8-sig")


def test_ordinary_vietnamese_names_still_pass(shared):
    """The guards refuse paths, not Vietnamese: NFD names from a Mac, dots, percent signs,
    slashes inside a title all pass."""
    put(shared.src / nfd("Than Hà Lầm") / nfd("Bài tháng 5"), {
        nfd("Bài viết..md"): article("Lương tháng 1/2021 tăng 10%, thợ lò phấn khởi...",
                                      body=f"![Thợ lò]({nfd('Ảnh 1.jpg')})"),
        nfd("Ảnh 1.jpg"): jpeg()})
    outcome = shared().outcomes[0]
    assert outcome.status == ingest.INGESTED, outcome.problems
    assert outcome.target.name == "luong-thang-1-2021-tang-10-tho-lo-phan-khoi.md"
