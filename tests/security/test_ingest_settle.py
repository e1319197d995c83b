"""Only finished files are taken (issue 15, item 4): a file still being written, a document
open in Word, a download not finished wait for the next run, whole."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from newsroom.intake import ingest
from tests.helpers import article
from tests.shared_folder import put, shared, word  # noqa: F401 - shared is a fixture

SETTLE = 0.5


def start_writer(path, head: str, paragraphs: int, pause: float) -> subprocess.Popen:
    """A real process writing ``path``: ``head`` first, then one paragraph every ``pause``
    seconds, as a slow copy over the network would; prints "ok" once the head is there."""
    script = textwrap.dedent(f"""
        import sys, time
        with open({str(path)!r}, "w", encoding="utf-8") as handle:
            handle.write({head!r})
            handle.flush()
            print("ok", flush=True)
            for number in range(2, {paragraphs} + 1):
                time.sleep({pause})
                handle.write(f"\\nĐoạn {{number}}.\\n")
                handle.flush()
        """)
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "ok"
    return writer


def test_a_file_being_written_waits_and_is_taken_whole_later(shared):
    doc = shared.src / "than-ha-lam" / "dang-chep.md"
    doc.parent.mkdir(parents=True)
    writer = start_writer(doc, article("Bài đang được chép", body="Đoạn 1."), 21, 0.1)
    try:
        waiting = shared(settle=SETTLE)
        outcome = [o for o in waiting.outcomes if o.source == doc][0]
        assert outcome.status == ingest.WAITING
        text = outcome.receipt.read_text(encoding="utf-8-sig")
        assert text.startswith("ĐANG CHỜ") and "sẽ được nhận ở lần chạy sau" in text
        assert "vẫn đang thay đổi" in text
        assert doc.exists() and not list(shared.content.rglob("*.md"))
    finally:
        assert writer.wait(timeout=30) == 0
    taken = shared(settle=SETTLE).outcomes[0]
    assert taken.status == ingest.INGESTED, taken.problems
    text = taken.target.read_text(encoding="utf-8")
    assert all(f"Đoạn {n}." in text for n in range(1, 22))  # all 21 paragraphs
    assert not doc.exists()
    assert taken.receipt.read_text(encoding="utf-8-sig").startswith("ĐÃ NHẬN BÀI")


def test_a_new_file_is_looked_at_twice_within_one_run(shared):
    put(shared.src / "than-ha-lam", {"tin.md": article("Tin mới chép xong")})
    started = time.monotonic()
    assert shared(settle=SETTLE).outcomes[0].status == ingest.INGESTED
    assert time.monotonic() - started >= SETTLE


def test_a_look_by_an_earlier_run_counts(shared):
    """The first run sees the document while Word has it open (it waits, its look is
    kept); once Word is closed, the next run takes it without waiting again."""
    unit = shared.src / "than-ha-lam"
    put(unit, {"tin.md": article("Tin đã lưu trong Word"), "~$tin.md": b"\x00owner"})
    assert shared(settle=SETTLE).outcomes[0].status == ingest.WAITING
    (unit / "~$tin.md").unlink()
    time.sleep(SETTLE)
    started = time.monotonic()
    assert shared(settle=SETTLE).outcomes[0].status == ingest.INGESTED
    assert time.monotonic() - started < SETTLE


@pytest.mark.parametrize("marker, words", [
    ("~$n bài.docx", "đang mở trong Word"),
    (".~lock.Tin bài.docx#", "đang mở trong Word"),
    ("~WRL0003.tmp", "đang được lưu, chép hoặc tải về dở"),
    ("anh-3.jpg.part", "đang được lưu, chép hoặc tải về dở"),
    ("Tin bài.docx.crdownload", "đang được lưu, chép hoặc tải về dở"),
])
@pytest.mark.parametrize("where", ["unit", "folder"])
def test_lock_files_and_partial_names_make_the_submission_wait(shared, marker, words, where):
    unit = shared.src / "than-ha-lam"
    folder = unit / "Tin bài" if where == "folder" else unit
    put(folder, {"Tin bài.md": article("Tin đang sửa trong Word"), marker: b"\x00"})
    outcome = shared(settle=0).outcomes[0]
    assert outcome.status == ingest.WAITING
    text = outcome.receipt.read_text(encoding="utf-8-sig")
    assert f"“{marker}”" in text and words in text and "sẽ được nhận ở lần chạy sau" in text
    assert not list(shared.content.rglob("*.md"))
    (folder / marker).unlink()
    assert shared(settle=0).outcomes[0].status == ingest.INGESTED


def test_a_word_document_open_in_word_waits(shared):
    unit = shared.src / "than-ha-lam"
    word(unit / "Tin trao quà.docx", ["Tiêu đề: Trao quà cho thợ lò", "Tác giả: Lê Văn Hòa",
                                      "Ngày: 02/02/2021 08:00", "Nội dung."])
    put(unit, {"~$n trao quà.docx": b"\x00owner"})  # Word drops the first two letters
    assert shared(settle=0).outcomes[0].status == ingest.WAITING
    (unit / "~$n trao quà.docx").unlink()
    assert shared(settle=0).outcomes[0].status == ingest.INGESTED
