"""Ban Tuyên giáo's printed bulletin (invoke bulletin) and social posts (invoke social), checked
as a reader would: the PDF made by Chromium from the sample content opens, has 2–4 A4 pages,
prints every chosen title in NFC with its fonts embedded, and each QR code, rendered to an image
by PDFium and read by ZXing, leads to its story; the posts page holds one post per article with
its campaign's hashtags and links to pages the build made; the build publishes the bulletin."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import unicodedata
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from newsroom.core import data
from newsroom.editorial import bulletin, social
from tests.conftest import ROOT
from tests.helpers import article, write_files

A4 = (595.28, 841.89)  # points
HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)> Đoàn "viên" & thợ lò'


@pytest.fixture(scope="session")
def made(tmp_path_factory):
    """One bulletin of the sample content, 11–31/05/2020 (Tháng Công nhân: leads with photos,
    a legal-advice item and other items), shared by the tests."""
    out = tmp_path_factory.mktemp("ban-tin")
    return bulletin.make(start="2020-05-11", end="2020-05-31", out=out)


@pytest.fixture(scope="session")
def pdf_pages(made):
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(made.pdf))
    return [document[i].render(scale=200 / 72).to_pil().convert("L") for i in range(len(document))]


def _reader(path):
    from pypdf import PdfReader

    return PdfReader(str(path))


def _text(path) -> str:
    """The PDF's text as PDFium reads it (each line's words, lines joined by a space)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    return " ".join(" ".join(document[i].get_textpage().get_text_range().split())
                    for i in range(len(document)))


def test_pdf_opens_with_two_to_four_a4_pages(made):
    reader = _reader(made.pdf)
    assert 2 <= len(reader.pages) <= 4 and made.pages == len(reader.pages)
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - A4[0]) < 1 and abs(height - A4[1]) < 1


def test_pdf_prints_every_chosen_title_in_nfc(made):
    text = _text(made.pdf)
    assert unicodedata.is_normalized("NFC", text)
    chosen = made.issue.chosen
    assert len(chosen) >= 6 and made.issue.legal is not None and len(made.issue.leads) == 4
    for story in chosen:
        assert unicodedata.is_normalized("NFC", story.title)
        assert " ".join(story.title.split()) in text, story.title
    assert "Tháng Công nhân năm 2020" in text  # the running campaign, in the masthead


def test_pdf_embeds_its_fonts(made):
    fonts = {}
    for page in _reader(made.pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            base = descendants[0].get_object() if descendants else font
            descriptor = base["/FontDescriptor"].get_object()
            fonts[str(base["/BaseFont"])] = any(k in descriptor for k in
                                                ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts
    assert all("BeVietnamPro" in name.replace(" ", "") for name in fonts), fonts


def test_every_qr_code_decodes_to_its_story(made, pdf_pages):
    import zxingcpp

    found = []
    for image in pdf_pages:
        found += [r.text for r in zxingcpp.read_barcodes(image)
                  if r.format == zxingcpp.BarcodeFormat.QRCode]
    stories = [*made.issue.leads, made.issue.legal]
    expected = [s.url for s in stories] + [made.issue.siteurl + "/"]
    assert sorted(found) == sorted(expected)
    assert all(url.startswith("https://congdoantkv.vn/2020/05/") for url in expected[:-1])


def test_leads_have_photos_and_black_and_white_prints(made, pdf_pages):
    assert sum(1 for s in made.issue.leads if s.photo) >= 2
    # a black-and-white printer: the QR codes still read from a 1-bit page
    import zxingcpp

    bw = pdf_pages[0].point(lambda v: 255 if v > 128 else 0).convert("1").convert("L")
    assert len(zxingcpp.read_barcodes(bw)) >= 3


def test_description_beside_the_pdf(made):
    about = json.loads(made.description.read_text(encoding="utf-8"))
    assert about["name"] == made.pdf.stem == "2020-05-11-den-2020-05-31"
    assert about["pages"] == made.pages and about["bytes"] == made.pdf.stat().st_size
    assert [s["url"] for s in about["stories"]] == [s.url for s in made.issue.leads]


@pytest.mark.parametrize("kwargs, message", [
    ({"week": "2026-W60"}, "không có tuần 60"),
    ({"week": "tuần trước"}, "không đọc được tuần"),
    ({"week": "2099-W01"}, "chưa bắt đầu"),
    ({"week": "2026-W49"}, "không có tin, bài nào"),
    ({"start": "31/05/2020", "end": "01/05/2020"}, "sớm hơn ngày bắt đầu"),
    ({"start": "2020-02-30", "end": "2020-03-05"}, "không tồn tại"),
    ({"start": "2020-05-01"}, "cần cả --from và --to"),
    ({"start": "2020-01-01", "end": "2020-06-30"}, "tối đa 31 ngày"),
    ({"week": "2020-W21", "start": "2020-05-01", "end": "2020-05-02"}, "không dùng cả hai"),
])
def test_bad_requests_are_refused_in_vietnamese(kwargs, message, tmp_path):
    with pytest.raises(bulletin.BulletinError, match=message):
        bulletin.make(**kwargs, out=tmp_path, today=dt.date(2026, 12, 7))
    assert not list(tmp_path.iterdir())


def test_week_names_and_default_week():
    assert bulletin.choose("2026-W49")[:2] == ("2026-49", "Tuần 49/2026")
    assert bulletin.choose("49/2026")[0] == bulletin.choose("2026-49")[0] == "2026-49"
    name, label, span = bulletin.choose(today=dt.date(2026, 12, 7))
    assert (name, span.start, span.end) == ("2026-49", dt.date(2026, 11, 30), dt.date(2026, 12, 6))


def test_tasks_refuse_without_traceback(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "invoke", "bulletin", "--week", "2026-W99",
                           "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "Chưa làm được bản tin: năm 2026 không có tuần 99" in done.stderr
    done = subprocess.run([sys.executable, "-m", "invoke", "social", "--article", "khong-co-bai",
                           "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "không có bài “khong-co-bai”" in done.stderr


# ---------------------------------------------------------------- hostile text

@pytest.fixture(scope="session")
def hostile_content(tmp_path_factory):
    content = tmp_path_factory.mktemp("hostile") / "content"
    write_files(content, {
        "bai-viet/than-ha-lam/2020/a.md": article(
            title=HOSTILE, date="2020-05-12 09:00", summary=HOSTILE + " Tháng Công nhân.",
            tags="Tháng Công nhân"),
        "bai-viet/than-ha-lam/2020/b.md": article(
            title="Hỏi: </textarea><script>alert(3)</script>", date="2020-05-13 09:00",
            category="Tư vấn pháp luật", question=HOSTILE, laws="Bộ luật <b>Lao động</b>"),
    })
    return content


def test_hostile_text_never_becomes_markup_in_the_bulletin(hostile_content, tmp_path):
    name, label, span = bulletin.choose("2020-W20")
    issue = bulletin.edition(name, label, span, content_dir=hostile_content)
    soup = BeautifulSoup(bulletin.render_html(issue), "lxml")
    assert not soup.find_all(["script", "textarea", "b"]) and not soup.select("img[onerror]")
    assert HOSTILE in soup.get_text() and "</textarea><script>alert(3)</script>" in soup.get_text()
    made = bulletin.make("2020-W20", content_dir=hostile_content, out=tmp_path)
    assert "<script>alert(1)</script>" in _text(made.pdf)


def test_hostile_text_never_becomes_markup_in_the_posts(hostile_content, tmp_path):
    kit = social.make(since="2020-05-11", content_dir=hostile_content, out=tmp_path,
                      output_dir=tmp_path / "khong-co", today=dt.date(2020, 5, 17))
    soup = BeautifulSoup(kit.page.read_text(encoding="utf-8"), "lxml")
    assert len(soup.find_all("script")) == 1  # the page's own copy buttons
    assert not soup.select("img[onerror]") and not soup.find("b")
    boxes = [t.get_text() for t in soup.find_all("textarea")]
    assert len(boxes) == 4 and any(HOSTILE in box for box in boxes)
    assert any("</textarea><script>alert(3)</script>" in box for box in boxes)


# ---------------------------------------------------------------- social posts

@pytest.fixture(scope="session")
def kit(sample_site, tmp_path_factory):
    return social.make(since="2020-05-11", out=tmp_path_factory.mktemp("mxh"),
                       output_dir=sample_site.output, today=dt.date(2020, 5, 31))


def test_one_post_per_article_with_its_campaign_hashtags(kit):
    soup = BeautifulSoup(kit.page.read_text(encoding="utf-8"), "lxml")
    posts = soup.select("article.post")
    assert len(posts) == len(kit.posts) == 8
    tags = data.campaigns()["thang-cong-nhan-2020"]["hashtags"]
    tagged = 0
    for post, html in zip(kit.posts, posts):
        fb = html.select_one(".facebook textarea").get_text()
        zalo = html.select_one(".zalo textarea").get_text()
        assert post.title in fb and post.title in zalo
        if post.hashtags:
            assert post.hashtags == tags and all(t in fb and t in zalo for t in tags)
            tagged += 1
        else:
            assert "#" not in fb.split("Đọc tiếp:")[-1]
        assert html.select("button[data-copy]") and len(html.select("button")) == 2
    assert tagged >= 4


def test_post_links_lead_to_built_pages_with_a_campaign_tag(kit, sample_site):
    soup = BeautifulSoup(kit.page.read_text(encoding="utf-8"), "lxml")
    for post, html in zip(kit.posts, soup.select("article.post")):
        for link, source in ((post.facebook_link, "facebook"), (post.zalo_link, "zalo")):
            parts = urlsplit(link)
            assert parts.netloc == "congdoantkv.vn" and sample_site.exists(parts.path)
            query = parse_qs(parts.query)
            assert query["utm_source"] == [source] and query["utm_medium"] == ["social"]
            assert query["utm_campaign"][0] in ("thang-cong-nhan-2020", "tin-tuc", "anh",
                                                "video", "bai-viet-phong-su", "tu-van-phap-luat")
            assert html.find("a", href=link)
        image = html.select_one(".picture img")
        assert image and (kit.page.parent / image["src"]).is_file()
    # The build's share images are attached: cut from a cover (JPEG) or drawn (PNG).
    attached = {post.image.rsplit(".", 1)[-1] for post in kit.posts
                if post.image_note == "ảnh chia sẻ của bài (1200×630)"}
    assert attached == {"jpg", "png"}


def test_copy_buttons_copy_the_post_in_chromium(kit):
    from playwright.sync_api import sync_playwright

    from newsroom.core.chromium import CHROME_FLAGS, CHROMIUM

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_FLAGS)
        try:
            context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
            page = context.new_page()
            page.goto(kit.page.as_uri())
            page.click("#bai-1 .zalo button")
            page.wait_for_function(
                "document.querySelector('#bai-1 .zalo button').textContent === 'Đã chép'")
            assert page.evaluate("navigator.clipboard.readText()") == kit.posts[0].zalo
            page.click("#bai-2 .facebook button")
            page.wait_for_function(
                "document.querySelector('#bai-2 .facebook button').textContent === 'Đã chép'")
            assert page.evaluate("navigator.clipboard.readText()") == kit.posts[1].facebook
        finally:
            browser.close()


# ---------------------------------------------------------------- on the site

def test_site_build_publishes_the_bulletin(made, make_site):
    pdf, about = made.pdf.read_bytes(), json.loads(made.description.read_text(encoding="utf-8"))
    about["label"] = "Tuần <b>20</b>–22/2020"
    site = make_site({
        "bai-viet/than-ha-lam/2020/a.md": article(),
        f"ban-tin/{made.pdf.name}": pdf,
        f"ban-tin/{made.description.name}": json.dumps(about, ensure_ascii=False),
        "ban-tin/2020-30.pdf": b"<html>khong phai pdf</html>",
        "ban-tin/2020-30.json": json.dumps({**about, "name": "2020-30"}),
    })
    assert site.path(f"ban-tin/{made.pdf.name}").read_bytes() == pdf
    assert not site.exists("ban-tin/2020-30.pdf")
    page = site.html("ban-tin/")
    assert page.select_one("header.site-header") and page.select_one("footer.site-footer")
    links = [a for a in page.select("main a") if a["href"].endswith(".pdf")]
    assert [a["href"] for a in links] == [f"/ban-tin/{made.pdf.name}"]
    assert "Tuần <b>20</b>–22/2020" in links[0].get_text() and not page.select("main b")
    assert page.find("a", href="/ban-tin/", string="Bản tin in (PDF)")
    feed = site.xml("ban-tin/feed.xml")
    entries = feed.find_all("entry")
    assert len(entries) == 1
    assert entries[0].find("link")["href"] == f"http://localhost:8000/ban-tin/{made.pdf.name}"
    assert made.issue.leads[0].title in entries[0].find("summary").get_text()
    assert page.find("link", rel="alternate", href="http://localhost:8000/ban-tin/feed.xml")


def test_site_with_a_bulletin_passes_the_publish_checks(made, make_site):
    from newsroom.publish import verify

    site = make_site({"bai-viet/than-ha-lam/2020/a.md": article(),
                      f"ban-tin/{made.pdf.name}": made.pdf.read_bytes(),
                      f"ban-tin/{made.description.name}": made.description.read_bytes()},
                     strict=True)
    def about_bulletins():  # a one-article site lacks the menu's pages: those are not ours
        return [str(f) for f in verify.verify(site.output, site.settings)
                if "ban-tin" in f.message or f.path.startswith("ban-tin/feed")]

    assert about_bulletins() == []
    site.path(f"ban-tin/{made.pdf.name}").unlink()
    assert any(made.pdf.name in line for line in about_bulletins())


def test_strict_build_stops_on_a_broken_bulletin(made, make_site):
    from newsroom.build.site import BuildError

    about = json.loads(made.description.read_text(encoding="utf-8"))
    about["pages"] = "hai"
    with pytest.raises(BuildError) as caught:
        make_site({"bai-viet/than-ha-lam/2020/a.md": article(),
                   f"ban-tin/{made.pdf.name}": made.pdf.read_bytes(),
                   f"ban-tin/{made.description.name}": json.dumps(about, indent=1)},
                  strict=True)
    line = json.dumps(about, indent=1).split("\n").index(' "pages": "hai",') + 1
    assert (f"content/ban-tin/{made.description.name}:{line}: pages: lỗi: “pages” phải là số "
            "nguyên" in str(caught.value))
    assert "invoke bulletin" in str(caught.value)


@pytest.mark.parametrize("tag, fix", [("#Tháng Công nhân", "#ThangCongNhan"),
                                      ("ThangCongNhan2020", "#ThangCongNhan2020"),
                                      ("#<script>", "#Script")])
def test_campaign_hashtags_are_checked_with_vietnamese_messages(tag, fix, tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(ROOT / "data", folder)
    path = folder / "campaigns.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"#ThangCongNhan2020"', json.dumps(tag, ensure_ascii=False), 1),
                    encoding="utf-8")
    with pytest.raises(data.DataError) as caught:
        data.campaigns(folder)
    message = str(caught.value)
    assert message.startswith("data/campaigns.yml, chiến dịch “thang-cong-nhan-2020”: hashtags:")
    assert f"Cách sửa: viết “{fix}”" in message


def test_legal_advice_posts_go_to_the_legal_fanpage(kit):
    legal = [p for p in kit.posts if "/nguoi-lao-dong-bi-tai-nan" in p.url]
    assert len(legal) == 1 and legal[0].facebook_page == "Fanpage Tư vấn pháp luật Công đoàn TKV"
    assert "hỏi:" in legal[0].facebook  # the reader's question, not the summary
    assert legal[0].outlets == ["fanpage-tu-van-phap-luat", "zalo"]
