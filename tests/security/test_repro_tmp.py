"""Reproductions of issue 15 on current main (kept out of the suite once fixed)."""
import subprocess, sys, time, textwrap, zipfile, io
from pathlib import Path
from newsroom import ingest
from tests.dropbox import put, word
from tests.helpers import article


def tree(root):
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.name.endswith(".receipt.txt")}


def test_slug_traversal_writes_outside(tmp_path):
    src, content = tmp_path / "src", tmp_path / "repo" / "content"
    tracked = content / "bai-viet/than-ha-lam/2019/bai-cu.md"
    put(content, {"bai-viet/than-ha-lam/2019/bai-cu.md": article("Bài cũ"), "pages/.keep": ""})
    up = "../" * 30
    put(src / "than-ha-lam", {
        "a.md": article("Bài A", slug=f"{up}{tmp_path}/PWNED".replace("//", "/")),
        "b.md": article("Bài B", slug=f"{up}{tracked.with_suffix('')}".replace("//", "/")),
    })
    before = tree(tmp_path)
    ingest.ingest(src, content, settle=0)
    after = tree(tmp_path)
    assert {p for p in after if p not in before and ".tiep-nhan" not in str(p)} == set()
    assert tracked.read_bytes() == before[tracked]


def test_file_being_written_is_taken_half(tmp_path):
    src, content = tmp_path / "src", tmp_path / "repo" / "content"
    (content / "pages").mkdir(parents=True)
    doc = src / "than-ha-lam" / "dang-viet.md"
    doc.parent.mkdir(parents=True)
    head = article("Bài đang viết dở", body="Đoạn 1.")
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time, sys
        with open({str(doc)!r}, "w", encoding="utf-8") as f:
            f.write({head!r}); f.flush()
            for i in range(2, 22):
                time.sleep(0.15); f.write(f"\\nĐoạn {{i}}.\\n"); f.flush()
        """)])
    time.sleep(0.4)
    result = ingest.ingest(src, content, settle=0.5)
    writer.wait()
    taken = [o for o in result.outcomes if o.accepted]
    assert not taken, "tệp đang ghi dở đã bị nhận"


def test_zip_bomb_docx(tmp_path):
    src, content = tmp_path / "src", tmp_path / "repo" / "content"
    (content / "pages").mkdir(parents=True)
    path = word(src / "than-ha-lam" / "bom.docx", ["Tiêu đề: Bom", "Tác giả: A", "x"])
    data = zipfile.ZipFile(path).read("word/document.xml")
    body = b"<w:p><w:r><w:t>aaaaaaaaaaaaaaaa</w:t></w:r></w:p>" * 1_000_000  # 50 MB
    fat = data.replace(b"</w:body>", body + b"</w:body>")
    names = {i.filename: zipfile.ZipFile(path).read(i.filename) for i in zipfile.ZipFile(path).infolist()}
    names["word/document.xml"] = fat
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in names.items():
            z.writestr(n, d)
    print("size", path.stat().st_size)
    start = time.monotonic()
    ingest.ingest(src, content, settle=0)
    assert time.monotonic() - start < 10
