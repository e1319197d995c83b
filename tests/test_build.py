"""The site as reporters and readers see it: real strict builds, checked in the HTML."""
import json
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from newsroom.core import schema
from newsroom.core.paths import ROOT

from tests.helpers import article

CONTENT = ROOT / "content"


def sample_articles():
    """(source path, clean values) of every published sample article."""
    found = []
    for path in sorted((CONTENT / "bai-viet").rglob("*.md")):
        header = schema.split(schema.read_source(path))
        values, problems = schema.validate(header, path, content_root=CONTENT)
        assert not [p for p in problems if p.severity == schema.ERROR], problems
        if values.get("status", "published") == "published":
            found.append((path, values))
    return found


def test_sample_content_is_rich_enough():
    items = sample_articles()
    assert len(items) >= 40
    assert len({v["unit"] for _, v in items}) >= 12
    assert {v["date"].year for _, v in items} >= set(range(2020, 2027))
    categories = {v["category"] for _, v in items}
    assert {"Tin tức", "Tư vấn pháp luật", "Ảnh", "Video", "Gương điển hình"} <= categories
    assert sum(v["category"] == "Tư vấn pháp luật" for _, v in items) >= 3


def test_every_sample_article_has_its_page_with_nfc_text(sample_site):
    for path, values in sample_articles():
        slug = values.get("slug") or schema.slugify(values["title"])
        url = f"{values['date']:%Y}/{values['date']:%m}/{slug}/"
        page = sample_site.html(url)
        h1 = page.select_one("article h1").get_text(strip=True)
        assert h1 == values["title"]
        text = sample_site.text(url)
        assert unicodedata.is_normalized("NFC", text), url


def test_urls_are_ascii_and_end_with_a_slash(sample_site):
    home = sample_site.html("")
    siteurl = sample_site.settings["SITEURL"]
    internal = [a["href"] for a in home.select("a[href]")
                if a["href"].startswith(siteurl + "/") and "//" not in a["href"][len(siteurl):]]
    assert len(internal) > 20
    for href in internal:
        path = href[len(siteurl):]
        if True:
            assert path.isascii(), href
            assert path.endswith("/") or "." in path.rsplit("/", 1)[-1], href
            assert "đ" not in path


def test_unit_pages_list_their_articles(sample_site):
    by_unit = {}
    for _, values in sample_articles():
        by_unit.setdefault(values["unit"], set()).add(values["title"])
    for unit, titles in by_unit.items():
        listed = set()
        url = f"don-vi/{unit}/"
        while url:
            page = sample_site.html(url)
            listed |= {a.get_text(strip=True) for a in page.select(".card-title a")}
            nxt = page.select_one('a[rel="next"]')
            url = nxt["href"].replace(sample_site.settings["SITEURL"], "").lstrip("/") if nxt else None
        assert listed == titles, unit
    index = sample_site.html("don-vi/")
    assert len(index.select(".term-list li")) == len(by_unit)


def test_dates_are_written_in_vietnamese(sample_site):
    path, values = sample_articles()[0]
    slug = values.get("slug") or schema.slugify(values["title"])
    page = sample_site.html(f"{values['date']:%Y}/{values['date']:%m}/{slug}/")
    shown = page.select_one(".byline time").get_text()
    assert re.fullmatch(r"(Thứ (Hai|Ba|Tư|Năm|Sáu|Bảy)|Chủ Nhật), \d\d/\d\d/\d{4} \d\d:\d\d", shown)
    assert shown.endswith(f"{values['date']:%d/%m/%Y %H:%M}")


def test_lists_pages_and_404_exist(sample_site):
    for url in ("", "chuyen-muc/", "chuyen-muc/tin-tuc/", "the/", "tac-gia/", "luu-tru/",
                "don-vi/", "gioi-thieu/", "lien-he/", "404.html", "feeds/tat-ca.atom.xml"):
        assert sample_site.exists(url), url
    assert sample_site.html("").html["lang"] == "vi"
    assert sample_site.html("404.html").select_one("h1").get_text() == "Không tìm thấy trang"


def test_home_is_paginated_from_the_oldest_and_reaches_every_article(sample_site):
    """Going to older news from the home page passes every published article exactly once,
    newest first, and ends at trang/2/, the oldest twelve; each page says which days it
    covers."""
    seen, url, urls = [], "", []
    while url is not None:
        page = sample_site.html(url)
        urls.append(url)
        seen += [a["href"] for a in page.select(
            ".lead-title a, .second .row-title a, .latest .row-title a, .cards .card-title a")]
        nxt = page.select_one('.pagination a[rel="next"]')
        url = nxt["href"].split("localhost:8000")[-1].lstrip("/") if nxt else None
    pages = len(urls)
    assert urls[1:] == [f"trang/{n}/" for n in range(pages, 1, -1)]
    assert len(seen) == len(set(seen)) == len(sample_articles())
    oldest = sample_site.html("trang/2/")
    assert not oldest.select_one('.pagination a[rel="next"]')
    assert len(oldest.select(".cards .card-title a")) == 12
    assert re.fullmatch(r"\d\d/\d\d/\d{4}( – \d\d/\d\d/\d{4})?",
                        oldest.select_one(".pagination span").get_text(strip=True))


def test_adding_an_article_leaves_older_pages_of_a_list_as_they_were(make_site, tmp_path):
    """Pages counted from the oldest: a new article changes the list's first page only, so
    rsync and caches see one changed page, not every page of the list."""
    files = {f"bai-viet/than-ha-lam/2024/tin-{i}.md": article(
        title=f"Tin số {i} của Than Hà Lầm", date=f"2024-03-{i + 1:02d} 08:00")
        for i in range(7)}
    built = make_site(files, DEFAULT_PAGINATION=3)
    # 7 articles, 3 a page: the list's page shows the newest 1 and the 3 before them, then
    # trang/2/ the oldest 3.
    pages = ["trang/2/", "don-vi/than-ha-lam/trang/2/"]
    before = {p: (built.output / p / "index.html").read_bytes() for p in pages}
    assert len(built.html("don-vi/than-ha-lam/").select(".cards .card-title a")) == 4
    assert not built.exists("trang/3/")
    files = {"bai-viet/than-ha-lam/2024/tin-moi.md": article(
        title="Tin mới nhất của Than Hà Lầm", date="2024-03-20 08:00")}
    built = make_site(files, DEFAULT_PAGINATION=3)
    assert {p: (built.output / p / "index.html").read_bytes() for p in pages} == before
    home = [a.get_text(strip=True)
            for a in built.html("don-vi/than-ha-lam/").select(".cards .card-title a")]
    assert home[0] == "Tin mới nhất của Than Hà Lầm" and len(home) == 5
    assert not built.exists("trang/3/")
    oldest = [a.get_text(strip=True) for a in built.html("trang/2/").select(".card-title a")]
    assert oldest == ["Tin số 2 của Than Hà Lầm", "Tin số 1 của Than Hà Lầm",
                      "Tin số 0 của Than Hà Lầm"]


# --- Bad metadata: every case gives its message; strict builds list them all and fail ---

BAD = {
    "bai-viet/than-ha-lam/2020/thieu-tieu-de.md": (article(title=None), "Title", "thiếu trường tiêu đề"),
    "bai-viet/than-ha-lam/2020/sai-don-vi.md": (article(title="Sai đơn vị", unit="than-ha-lamm"),
                                                 "Unit", "“Than Hà Lầm” (than-ha-lam)"),
    "bai-viet/than-ha-lam/2020/sai-ngay.md": (article(title="Sai ngày", date="31/02/2020 08:00"),
                                               "Date", "không tồn tại"),
    "bai-viet/than-ha-lam/2020/thieu-anh.md": (
        article(title="Thiếu ảnh", image="thieu-anh/anh-bia.jpg", image_alt="Ảnh bìa"),
        "Image", "không tìm thấy ảnh"),
}


def test_strict_build_fails_listing_every_problem_at_once(make_site):
    files = {rel: text for rel, (text, _, _) in BAD.items()}
    files["bai-viet/than-ha-lam/2020/tot.md"] = article(title="Bài tốt")
    with pytest.raises(Exception) as info:
        make_site(files, strict=True)
    message = str(info.value)
    for rel, (_, field, words) in BAD.items():
        line = next(l for l in message.splitlines() if rel in l and f": {field}:" in l)
        assert words in line and "Cách sửa" in line, line
    assert "4 lỗi" in message


def test_preview_build_reports_and_goes_on(make_site, caplog):
    files = {rel: text for rel, (text, _, _) in BAD.items()}
    files["bai-viet/than-ha-lam/2020/tot.md"] = article(title="Bài tốt")
    built = make_site(files, strict=False)
    assert built.exists("2020/06/bai-tot/")
    assert built.exists("2020/06/sai-don-vi/")  # readable in preview despite the wrong unit
    warned = "\n".join(r.getMessage() for r in caplog.records)
    for rel, (_, field, words) in BAD.items():
        assert rel in warned and words in warned
    home = built.html("")
    assert "Sai ngày" not in home.get_text()  # an undatable item stays out of the lists


def test_mac_nfd_file_is_published_as_nfc(make_site):
    nfd = unicodedata.normalize("NFD", article(title="Đoàn viên Hà Lầm nhận quà", body="Chăm lo đời sống."))
    built = make_site({"bai-viet/than-ha-lam/2020/nfd.md": nfd.encode("utf-8")}, strict=True)
    text = built.text("2020/06/doan-vien-ha-lam-nhan-qua/")
    assert "Đoàn viên Hà Lầm nhận quà" in text and "Chăm lo đời sống." in text


def test_vietnamese_day_first_date_is_not_read_month_first(make_site):
    built = make_site({"bai-viet/than-ha-lam/2020/a.md": article(title="Ngày 12 tháng 5",
                                                                 date="12/05/2020 08:30")},
                      strict=True)
    assert built.exists("2020/05/ngay-12-thang-5/")
    assert "Thứ Ba, 12/05/2020 08:30" in built.html("2020/05/ngay-12-thang-5/").select_one(".byline").get_text()


def small_project(folder: Path) -> Path:
    """The project's code, theme and data beside a content folder of its own."""
    for name in ("theme", "data", "plugins", "newsroom", "deploy"):
        (folder / name).symlink_to(ROOT / name)
    for name in ("tasks.py", "pelicanconf.py"):
        shutil.copy(ROOT / name, folder / name)
    (folder / "content/pages").mkdir(parents=True)
    return folder


def test_invoke_build_strict_stops_on_a_content_error_even_after_a_preview_build(tmp_path):
    """``invoke build --strict`` is strict (its settings once got lost between two ``-e``), and
    the preview build that went before, with warnings only, does not make it skip."""
    small_project(tmp_path)
    source = tmp_path / "content/bai-viet/than-ha-lam/2020/sai-don-vi.md"
    source.parent.mkdir(parents=True)
    source.write_text(article(title="Sai đơn vị", unit="than-ha-lamm"), encoding="utf-8")

    def build(*flags):
        return subprocess.run([sys.executable, "-m", "invoke", "build", *flags], cwd=tmp_path,
                              capture_output=True, text=True)

    preview = build()
    assert preview.returncode == 0, preview.stdout + preview.stderr
    assert (tmp_path / "output/index.html").exists()
    assert "Đã dựng 1 bài" in preview.stdout  # all it printed reached the screen
    # its process ended at once, its stamp written: the same build again does nothing
    again = build()
    assert again.returncode == 0 and "Không có gì thay đổi" in again.stdout, again.stdout
    strict = build("--strict")
    assert strict.returncode != 0
    assert "than-ha-lamm" in strict.stdout + strict.stderr


def test_invoke_build_that_stops_halfway_leaves_no_search_run_behind(tmp_path):
    """The build's process ends at once (``site.end_process``) even when the build stopped
    after the search index had started (a page naming a template that does not exist): the
    index run is stopped and its folder of links removed, as when Python ended it."""
    import os
    import tempfile

    from plugins.search import search

    small_project(tmp_path)
    source = tmp_path / "content/bai-viet/than-ha-lam/2020/a.md"
    source.parent.mkdir(parents=True)
    source.write_text(article(title="Tin một"), encoding="utf-8")
    (tmp_path / "content/pages/gioi-thieu.md").write_text(
        "Title: Giới thiệu\nTemplate: khong-co-mau-nay\n\nTrang.\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "invoke", "build"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode != 0 and "khong-co-mau-nay" in done.stdout + done.stderr
    links = Path(search._link_dir() or tempfile.gettempdir())
    ours = os.path.realpath(tmp_path / "output")
    left = [job.parent.name for job in links.glob("pagefind-*/job.json")
            if json.loads(job.read_text(encoding="utf-8"))["output"] == ours]
    assert left == []


def test_invoke_serve_on_a_busy_port_says_so_in_vietnamese(tmp_path):
    import socket

    small_project(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "invoke", "serve", "--port", str(port)],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert f"Cổng {port} đang được dùng" in done.stderr and "Traceback" not in done.stderr
    assert "http://" not in done.stdout  # no address is given for a server that is not there
    assert not (tmp_path / "output/index.html").exists()  # said before building


def test_invoke_serve_on_the_lan_says_the_phone_address_once_listening(tmp_path):
    """``invoke serve --host 0.0.0.0``: the moment an address is printed, the page answers
    there, the machine's LAN address included (what a reporter's phone opens)."""
    import urllib.request

    from newsroom.build import preview

    small_project(tmp_path)
    lan = preview.lan_addresses()
    assert lan and not [a for a in lan if a.startswith("127.")]
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "serve", "--host", "0.0.0.0",
                             "--port", "0"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while not any(line.startswith("Trên điện thoại") for line in lines):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line.strip())
        phone = lines[-1].rsplit(" ", 1)[1]
        assert phone.startswith(f"http://{lan[0]}:")
        with urllib.request.urlopen(phone, timeout=10) as page:  # at once: no retry
            assert page.status == 200 and b"<html" in page.read()
        here = [line for line in lines if line.startswith("Trên máy này: http://localhost:")]
        assert here and here[0].rsplit(":", 1)[1] == phone.rsplit(":", 1)[1]
    finally:
        proc.terminate()
        proc.wait(30)
        proc.stdout.close()
        proc.stderr.close()


def test_typed_dashes_and_dots_show_as_dashes_and_ellipsis(make_site):
    """Reporters type “--”, “---” and “...”; readers see –, — and … (code shown as typed),
    and an article without them in the same build keeps its text as written."""
    files = {
        "bai-viet/than-ha-lam/2020/a-khong-gach.md": article(
            title="Tin không có gạch nối", body="Ca 1 - ca 2 đổi giờ. Xem thêm (trang 2)."),
        "bai-viet/than-ha-lam/2020/b-gach-noi.md": article(
            title="Hội nghị người lao động",
            body="Từ 8--10 giờ --- đúng giờ... Lệnh `ca -- 3...` giữ nguyên."),
    }
    built = make_site(files, strict=True)
    body = built.html("2020/06/hoi-nghi-nguoi-lao-dong/").select_one(".article-body")
    assert "Từ 8–10 giờ — đúng giờ… Lệnh" in body.get_text()
    assert body.select_one("code").get_text() == "ca -- 3..."
    plain = built.html("2020/06/tin-khong-co-gach-noi/").select_one(".article-body")
    assert plain.get_text(strip=True) == "Ca 1 - ca 2 đổi giờ. Xem thêm (trang 2)."
