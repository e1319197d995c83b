"""The kept build folder of ``invoke publish`` (newsroom.publish.buildfolder, newsroom.publish.localsteps):
what a build did not produce goes, and nothing outside the folder; the folder equals a clean
build; the verification of what changed finds what a full one finds."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from newsroom.build import site
from newsroom.core import safefs
from newsroom.publish import assets, buildfolder, localsteps, verify
from plugins.fingerprints import fingerprints
from tests.helpers import article, write_files

SITEURL = "https://congdoantkv.vn"
CATEGORIES = ["Tin tức", "Bài viết - Phóng sự", "Gương điển hình", "Tư vấn pháp luật", "Ảnh", "Video"]


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def menu_articles() -> dict[str, str]:
    files = {}
    for i, category in enumerate(CATEGORIES):
        extra = {"question": "Chị H. hỏi: nghỉ thai sản được mấy tháng?"} \
            if category == "Tư vấn pháp luật" else {}
        files[f"bai-viet/than-ha-lam/2020/bai-{i}.md"] = article(
            title=f"Bài số {i} của chuyên mục {category}", category=category,
            date=f"2020-05-{10 + i:02d} 08:00", **extra)
    return files


class Kept:
    """A content folder published step by step through one kept build folder."""

    def __init__(self, tmp: Path, files: dict[str, str], **overrides):
        self.tmp, self.content, self.output = tmp, tmp / "content", tmp / "kept"
        self.places = localsteps.Places(self.output, tmp / "records")
        self.overrides = {"PATH": self.content, "CACHE_PATH": tmp / "cache", **overrides}
        self.settings: dict = {}
        write_files(self.content, files)

    def build(self) -> dict:
        self.settings = site.build("publishconf.py", OUTPUT_PATH=self.output,
                                   DELETE_OUTPUT_DIRECTORY=False, **self.overrides)
        return self.settings

    def step(self, full: bool = False) -> localsteps.Outcome:
        return localsteps.make(self.places, "stamp", self.build, full=full,
                               compress_cache=self.tmp / "gz", say=lambda _: None)

    def clean(self, name: str) -> dict[str, str]:
        """A clean build of the same content, precompressed, as a publish used to make it."""
        folder = self.tmp / name
        settings = site.build("publishconf.py", OUTPUT_PATH=folder, **self.overrides)
        assets.precompress(folder)
        assert verify.verify(folder, settings) == []
        return tree(folder)


def test_changed_verification_finds_what_a_full_one_finds_after_add_edit_delete(tmp_path):
    """A page whose bytes do not change (the about page) links to an article: deleting the
    article breaks that link, and only the link index can say so."""
    target = "/2020/06/bai-se-bi-go/"
    files = {**menu_articles(),
             "bai-viet/than-ha-lam/2020/go.md": article(title="Bài sẽ bị gỡ", date="2020-06-01 08:00"),
             "pages/gioi-thieu.md": f"Title: Giới thiệu\n\nXem [bài]({SITEURL}{target}).\n"}
    kept = Kept(tmp_path, files)
    first = kept.step()
    assert first.full and first.findings == [] and first.checked == len(first.scan.files)
    about = "gioi-thieu/index.html"
    about_sha = first.scan.sha(about)

    steps = [("add", lambda: write_files(kept.content, {"bai-viet/than-ha-lam/2020/moi.md": article(
                 title="Tin mới", date="2020-06-05 08:00")})),
             ("edit", lambda: write_files(kept.content, {"bai-viet/than-ha-lam/2020/bai-0.md": article(
                 title="Bài số 0 của chuyên mục Tin tức", category="Tin tức",
                 date="2020-05-10 08:00", body="Nội dung đã sửa.")})),
             ("delete", lambda: (kept.content / "bai-viet/than-ha-lam/2020/go.md").unlink())]
    for name, change in steps:
        change()
        outcome = kept.step()
        assert not outcome.full, name
        assert outcome.findings == verify.verify(kept.output, kept.settings), name
        assert outcome.checked < len(outcome.scan.files) / 2, name
    assert outcome.scan.sha(about) == about_sha  # the page itself did not change
    assert [(f.path, f.message) for f in outcome.findings] == [
        (about, f"liên kết tới trang/tệp không có: {SITEURL}{target}")]
    assert "2020/06/bai-se-bi-go/index.html" in outcome.scan.removed
    # unchanged, it is found again (the index keeps it), and a fix clears it
    assert kept.step().findings == outcome.findings
    # a link index torn, of another version or holding nonsense is not trusted: everything
    # is verified again and the finding is still there
    links = kept.places.links
    good = links.read_bytes()
    for bad in (good[: len(good) // 2], good.replace(b'"version":2', b'"version":1'),
                good.replace(b'"keys":[', b'"keys":[7,', 1), b"\xff\xfe[]", b"null"):
        links.write_bytes(bad)
        again = kept.step()
        assert again.checked == len(again.scan.files), bad[:40]
        assert again.findings == outcome.findings
    write_files(kept.content, {"pages/gioi-thieu.md": "Title: Giới thiệu\n\nCông đoàn TKV.\n"})
    assert kept.step().findings == []


def test_the_kept_folder_equals_a_clean_build_when_articles_and_the_theme_change(tmp_path):
    """Stale pages of a renamed article and old hashed theme files go; precompressed copies
    follow their pages; the result is a clean build, byte for byte."""
    theme = tmp_path / "theme"
    shutil.copytree(site.ROOT / "theme", theme)
    kept = Kept(tmp_path, menu_articles(), THEME=theme)
    assert kept.step().findings == []
    old_sheet = fingerprints.fingerprints(kept.settings).hashed["theme/css/site.css"]
    assert (kept.output / old_sheet).is_file()

    sheet = theme / "static/css/site.css"
    sheet.write_text(sheet.read_text(encoding="utf-8") + "\n.moi{color:#0b4f8a}\n", encoding="utf-8")
    write_files(kept.content, {"bai-viet/than-ha-lam/2020/bai-1.md": article(
        title="Tên mới của bài phóng sự", category="Bài viết - Phóng sự", date="2020-05-11 08:00")})
    outcome = kept.step()
    assert not outcome.full and outcome.findings == []
    assert old_sheet in outcome.scan.removed and old_sheet + ".gz" in outcome.scan.removed
    assert not [n for n in tree(kept.output) if "bai-so-1-cua-chuyen-muc" in n]
    assert tree(kept.output) == kept.clean("clean")
    # nothing changed: nothing compressed, nothing written but what the build always rewrites
    again = kept.step()
    assert again.compressed.compressed == 0 and again.scan.removed == []
    assert tree(kept.output) == kept.clean("clean-again")


def hostile_folder(tmp_path: Path) -> tuple[Path, Path, int]:
    """A build folder holding stale files with hostile names and links leading out of it,
    and an outside folder they point at; returns (output, outside, build start)."""
    output, outside = tmp_path / "output", tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "quan-trong.txt").write_text("giữ nguyên")
    (outside / "sub" / "index.html").write_text("giữ nguyên")
    stale = ["-rf", "a b c.html", "xuống\ndòng.html", "tiếng-việt-đ.html", ".an", "..x",
             "cu/trang/index.html", "cu/~$tam.html", "index.html.gz"]
    for rel in stale:
        (output / rel).parent.mkdir(parents=True, exist_ok=True)
        (output / rel).write_text("cũ")
    os.symlink(outside, output / "ra-ngoai")
    os.symlink(outside / "quan-trong.txt", output / "tep-ra-ngoai.txt")
    os.symlink("../../outside", output / "cu" / "tuong-doi")
    (output / "cu" / "rong").mkdir()
    since = buildfolder.start(output)
    (output / "index.html").write_text("<html>mới</html>")  # produced by "the build"
    (output / "moi").mkdir()
    (output / "moi" / "kept.html").write_text("giữ")
    os.utime(output / "moi" / "kept.html", ns=(1, 1))  # an old file the build kept...
    safefs.keep(output / "moi" / "kept.html")  # ...says so
    return output, outside, since


def test_settle_removes_only_what_the_build_did_not_produce_never_outside(tmp_path):
    output, outside, since = hostile_folder(tmp_path)
    record = buildfolder.Record(compressed={"index.html": ["x", "y", None]})  # its .gz: spared
    before = tree(outside)
    scan = buildfolder.settle(output, since, record)
    assert tree(outside) == before and (outside / "sub").is_dir()
    left = sorted(p.relative_to(output).as_posix() for p in output.rglob("*"))
    assert left == ["index.html", "index.html.gz", "moi", "moi/kept.html"]
    assert scan.swept == 11 and sorted(scan.files) == ["index.html", "index.html.gz", "moi/kept.html"]
    assert (output / "moi" / "kept.html").stat().st_mtime_ns == 1


def test_emptying_never_follows_links_and_odd_folders_are_refused(tmp_path):
    output, outside, _ = hostile_folder(tmp_path)
    before = tree(outside)
    buildfolder.empty(output)
    assert list(output.iterdir()) == [] and tree(outside) == before
    link = tmp_path / "lien-ket"
    os.symlink(output, link)
    for folder, keep_out in ((link, []), (tmp_path, [tmp_path / "content"]),
                             (site.ROOT, [site.ROOT / "content"]), (Path("/"), [])):
        with pytest.raises(buildfolder.FolderError, match="Cách sửa: đặt OUTPUT_PATH"):
            buildfolder.check_folder(folder, keep_out)
    buildfolder.check_folder(output, [site.ROOT, tmp_path / "content"])
