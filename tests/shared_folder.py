"""A shared folder for ingest tests: realistic files (JPEG, PNG, Word), and the ``shared``
fixture that runs ingest and accounts for every source file afterwards."""
from __future__ import annotations

import io
import os
from pathlib import Path

import docx
import pytest
from docx.shared import Cm

from newsroom.intake import dropbox, ingest
from tests.helpers import jpeg, png  # noqa: F401 - the shared folders' photos


def word(path: Path, paragraphs, pictures=()) -> Path:
    """A real .docx: paragraphs (str, or ("italic", text)), then pictures
    (bytes, alt text or None, caption or None)."""
    document = docx.Document()
    for paragraph in paragraphs:
        if isinstance(paragraph, tuple):
            document.add_paragraph().add_run(paragraph[1]).italic = True
        elif paragraph.startswith("# "):
            document.add_heading(paragraph[2:], level=1)
        else:
            document.add_paragraph(paragraph)
    for data, alt, caption in pictures:
        shape = document.add_picture(io.BytesIO(data), width=Cm(12))
        if alt:
            shape._inline.docPr.set("descr", alt)
        if caption:
            document.add_paragraph().add_run(caption).italic = True
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(path)
    return path


def put(root: Path, files: dict) -> None:
    for rel, body in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))


def sources(folder: Path) -> dict[Path, bytes]:
    """Every file a reporter put in the shared folder (receipts and state left out)."""
    found = {}
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if any(dropbox.skip(Path(part)) for part in rel.parts):
            continue  # receipts, the state folder, Thumbs.db and other system files
        if path.is_symlink():
            found[path] = b""
        elif path.is_file():
            found[path] = path.read_bytes()
    return found


@pytest.fixture
def shared(tmp_path):
    src = tmp_path / "thu-muc-chung"
    content = tmp_path / "repo" / "content"
    (content / "pages").mkdir(parents=True)
    src.mkdir()

    def run(**kw) -> ingest.Result:
        before = sources(src)
        kw.setdefault("settle", 0)  # files written by the test are finished
        kw.setdefault("queue_dir", False)  # straight to content/ (the queue: test_desk.py)
        result = ingest.ingest(src, content, **kw)
        account(result, before)
        return result

    def account(result, before):
        for path, data in before.items():
            owners = [o for o in result.outcomes if path in o.files]
            assert owners, f"{path} không thuộc kết quả nào"
            outcome = owners[0]
            assert outcome.receipt is not None and outcome.receipt.is_file(), path
            if os.path.lexists(path):
                assert outcome.status in (ingest.REFUSED, ingest.WAITING), (path, outcome.status)
                if outcome.status == ingest.REFUSED:  # a waiting file may still be written
                    assert path.is_symlink() or path.read_bytes() == data  # untouched
            else:
                assert outcome.accepted, (path, outcome.problems)
                assert outcome.target is not None and outcome.target.is_file()
        for outcome in result.outcomes:
            assert outcome.receipt.is_file()
            text = outcome.receipt.read_text(encoding="utf-8-sig")
            if outcome.status == ingest.REFUSED:
                assert text.startswith("CHƯA NHẬN BÀI") and "Cách sửa:" in text
            elif outcome.status == ingest.WAITING:
                assert text.startswith("ĐANG CHỜ") and "sẽ được nhận ở lần chạy sau" in text
            else:
                assert text.startswith(("ĐÃ NHẬN BÀI", "ĐÃ CẬP NHẬT BÀI", "ĐÃ NHẬN TỪ TRƯỚC"))
                place = dropbox.shown(outcome.target, content.parent)
                # a Word user is never shown an internal path
                assert (place not in text) if outcome.word else (place in text)

    run.src, run.content = src, content
    return run


