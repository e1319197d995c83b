"""Word files are checked before they are read, and read within a time and memory bound
(issue 15, item 5, ingest's part): a zip bomb is refused from the zip directory in well under
a second; a document too slow or too big to convert is stopped; every refusal says what to do
in Word."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from newsroom.core.paths import ROOT
from newsroom.intake import ingest
from newsroom.intake.submission import DocxLimits
from tests.shared_folder import put, shared, word  # noqa: F401 - shared is a fixture

WORD_FIX = "Tệp → Lưu thành…"
PARAGRAPHS = b"<w:p><w:r><w:t>Than</w:t></w:r></w:p>" * 27_000  # just under 1 MB of XML


def hostile(path: Path, paragraphs_mb: int = 0, extra: dict | None = None,
            level: int = 6) -> Path:
    """A real Word document whose text is ``paragraphs_mb`` MB of short paragraphs (written
    in a stream, never held whole), with ``extra`` parts added."""
    base = word(path, ["Tiêu đề: Tin có tệp Word lạ", "Tác giả: Lê Văn Hòa",
                       "Ngày: 02/02/2021 08:00", "Nội dung."])
    with zipfile.ZipFile(base) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    head, tail = parts.pop("word/document.xml").split(b"</w:body>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in {**parts, **(extra or {})}.items():
            archive.writestr(name, data)
        with archive.open("word/document.xml", "w") as handle:
            handle.write(head)
            for _ in range(paragraphs_mb):
                handle.write(PARAGRAPHS)
            handle.write(b"</w:body>" + tail)
    return path


def refused(result) -> str:
    outcome = result.outcomes[0]
    assert outcome.status == ingest.REFUSED, outcome.status
    assert outcome.source.is_file()  # the reporter's file stays
    text = outcome.receipt.read_text(encoding="utf-8-sig")
    assert WORD_FIX in text
    return text


def test_a_zip_bomb_is_refused_from_its_directory_fast_and_small(tmp_path):
    """200 MB of XML in a file of a few hundred KB: refused before anything is unpacked, in
    a separate run whose time and peak memory (its own and its children's) are measured."""
    bomb = hostile(tmp_path / "src" / "than-ha-lam" / "bom.docx", paragraphs_mb=200, level=9)
    assert bomb.stat().st_size < 1024 * 1024
    content = tmp_path / "repo" / "content"
    (content / "pages").mkdir(parents=True)
    script = textwrap.dedent(f"""
        import json, resource, sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from newsroom.intake import ingest
        started = time.monotonic()
        result = ingest.ingest({str(tmp_path / "src")!r}, {str(content)!r}, settle=0)
        print(json.dumps({{
            "seconds": time.monotonic() - started,
            "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "problems": result.outcomes[0].problems}}))
        """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=True)
    run = json.loads(done.stdout)
    assert run["seconds"] < 10
    assert run["self_mb"] < 300 and run["children_mb"] < 300
    assert "khi giải nén nặng" in run["problems"][0] or "phần chữ" in run["problems"][0]
    assert bomb.is_file() and not list(content.rglob("*.md"))


def test_directory_limits(shared):
    unit = shared.src / "than-ha-lam"
    hostile(unit / "nhieu-phan.docx", extra={f"word/media/p{n}.xml": b"<a/>" for n in range(60)})
    hostile(unit / "nang.docx", extra={"word/media/anh.bin": os.urandom(2 * 1024 * 1024)})
    put(unit, {"khong-phai-word.docx": "Tiêu đề: tệp văn bản đổi đuôi\n"})
    result = shared(docx_limits=DocxLimits(entries=50, total_mb=1))
    texts = {o.source.name: refused(type(result)([o])) for o in result.outcomes}
    assert "gồm 7" in texts["nhieu-phan.docx"] and "quá giới hạn 50" in texts["nhieu-phan.docx"]
    assert "khi giải nén nặng" in texts["nang.docx"] and "giới hạn 1 MB" in texts["nang.docx"]
    assert "gửi ảnh thành tệp .jpg riêng" in texts["nang.docx"]
    assert "không phải tệp Word .docx đọc được" in texts["khong-phai-word.docx"]


def test_a_part_compressed_like_a_zip_bomb(shared):
    hostile(shared.src / "than-ha-lam" / "nen-manh.docx",
            extra={"word/media/rong.bin": bytes(3 * 1024 * 1024)})
    text = refused(shared())
    assert "phần “word/media/rong.bin” của tệp Word nén tới" in text


def test_a_directory_that_lies_about_sizes_is_caught_when_read(shared):
    """The zip directory claims a tiny document.xml; unpacking stops at the claimed size and
    the checksum does not match."""
    path = hostile(shared.src / "than-ha-lam" / "noi-doi.docx", paragraphs_mb=1)
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")  # the central directory's entries
    while data[at + 46:at + 46 + int.from_bytes(data[at + 28:at + 30], "little")] \
            != b"word/document.xml":
        at = data.find(b"PK\x01\x02", at + 4)
    data[at + 24:at + 28] = (1000).to_bytes(4, "little")  # its uncompressed size
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("word/document.xml").file_size == 1000
    text = refused(shared())
    assert "không mở được tệp Word" in text


def test_a_document_too_slow_to_convert_is_stopped(shared):
    hostile(shared.src / "than-ha-lam" / "cham.docx", paragraphs_mb=1)
    started = time.monotonic()
    text = refused(shared(docx_limits=DocxLimits(seconds=1)))
    assert time.monotonic() - started < 8
    assert "đọc tệp Word mất quá 1 giây nên đã dừng" in text


@pytest.mark.parametrize("paragraphs_mb, taken", [(0, True), (1, False)])
def test_memory_bound(shared, paragraphs_mb, taken):
    """An ordinary document converts within 80 MB; one with 27,000 paragraphs does not and
    is stopped, with a message."""
    hostile(shared.src / "than-ha-lam" / "bo-nho.docx", paragraphs_mb=paragraphs_mb)
    result = shared(docx_limits=DocxLimits(memory_mb=80))
    if taken:
        assert result.outcomes[0].status == ingest.INGESTED, result.outcomes[0].problems
    else:
        assert "cần quá 80 MB bộ nhớ" in refused(result)
