"""newsroom.publish.verify and newsroom.publish.assets on real builds: what must stop a publish,
and the published output (theme files named by their hash, precompressed copies)."""
from __future__ import annotations

import gzip
from datetime import datetime

import brotli
import pytest

from newsroom.build import site
from newsroom.publish import assets, verify
from plugins.fingerprints import fingerprints
from tests.helpers import article

SITEURL = "https://congdoantkv.vn"
CATEGORIES = ["Tin tức", "Bài viết - Phóng sự", "Gương điển hình", "Tư vấn pháp luật", "Ảnh", "Video"]


def menu_articles() -> dict[str, str]:
    """One article in each category of the menu, so every menu link has its page."""
    files = {}
    for i, category in enumerate(CATEGORIES):
        extra = {"question": "Chị H. hỏi: nghỉ thai sản được mấy tháng?"} if category == "Tư vấn pháp luật" else {}
        files[f"bai-viet/than-ha-lam/2020/bai-{i}.md"] = article(
            title=f"Bài số {i} của chuyên mục {category}", category=category,
            date=f"2020-05-{10 + i:02d} 08:00", **extra)
    return files


def messages(findings) -> str:
    return "\n".join(str(f) for f in findings)


def test_the_sample_site_passes_as_preview_and_as_published(sample_site, tmp_path):
    assert messages(verify.verify(sample_site.output, sample_site.settings)) == ""
    settings = site.build("publishconf.py", OUTPUT_PATH=tmp_path / "published")
    assert messages(verify.verify(tmp_path / "published", settings)) == ""


def test_broken_links_images_drafts_and_future_items_are_found(make_site):
    files = menu_articles()
    files["bai-viet/than-ha-lam/2020/hong.md"] = article(
        title="Bài có liên kết hỏng", date="2020-06-01 08:00",
        body=f"Xem [bài cũ]({SITEURL}/2019/01/bai-da-xoa/), [trang]( /khong-co/ ) và "
             f"[Ngoài](https://baolaodong.vn/x) [thư](mailto:a@b.vn)")
    files["bai-viet/than-ha-lam/2020/nhap.md"] = article(title="Bài còn nháp", status="draft")
    files["bai-viet/than-ha-lam/2020/tuong-lai.md"] = article(title="Bài hẹn giờ", date="2099-01-01 08:00")
    built = make_site(files, SITEURL=SITEURL, FEED_DOMAIN=SITEURL)
    text = messages(verify.verify(built.output, built.settings))
    assert f"liên kết tới trang/tệp không có: {SITEURL}/2019/01/bai-da-xoa/" in text
    assert "liên kết tới trang/tệp không có: /khong-co/" in text
    assert "baolaodong" not in text and "mailto" not in text
    assert "ban-nhap/" in text and "bản nháp" in text
    assert "tương lai (2099-01-01T08:00:00+07:00)" in text
    assert "feed có tin đề ngày trong tương lai" in text
    # the same sources built for publishing: the draft and the future item stay out
    published = site.build("publishconf.py", PATH=built.output.parent / "content",
                           OUTPUT_PATH=built.output.parent / "published")
    text = messages(verify.verify(built.output.parent / "published", published))
    assert "bản nháp" not in text and "tương lai" not in text
    assert "bai-da-xoa" in text  # the broken link still stops it


@pytest.fixture
def clean_site(make_site):
    built = make_site(menu_articles(), SITEURL=SITEURL, FEED_DOMAIN=SITEURL)
    assert verify.verify(built.output, built.settings) == []
    return built


def test_pages_without_title_canonical_or_content_and_bad_xml_are_found(clean_site):
    out = clean_site.output
    page = out / "2020/05/bai-so-0-cua-chuyen-muc-tin-tuc/index.html"
    html = page.read_text(encoding="utf-8")
    page.write_text(html.replace("<title>", "<title> ").split("<title>")[0] + "<title></title></head><body><main> </main></body></html>",
                    encoding="utf-8")
    unit = out / "don-vi/than-ha-lam/index.html"
    unit.write_text(unit.read_text(encoding="utf-8").replace("</main>", '<img src="/images/khong-co.jpg" alt=""></main>'),
                    encoding="utf-8")
    about = out / "don-vi/index.html"
    about.write_text(about.read_text(encoding="utf-8").replace('rel="canonical"', 'rel="x"'), encoding="utf-8")
    (out / "trong.html").write_bytes(b"")
    css = out / "theme/css/site.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n.x{background:url(../img/khong-co.png)}"
                   "\n.y{background:url(data:image/png;base64,AAAA)}\n", encoding="utf-8")
    feed = out / "feeds/tat-ca.atom.xml"
    feed.write_text(feed.read_text(encoding="utf-8").replace("</feed>", ""), encoding="utf-8")
    (out / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{SITEURL}/</loc></url><url><loc>{SITEURL}/khong-co/</loc></url></urlset>")
    findings = verify.verify(out, clean_site.settings)
    by_file = {}
    for f in findings:
        by_file.setdefault(f.path, []).append(f.message)
    assert any("tiêu đề" in m for m in by_file["2020/05/bai-so-0-cua-chuyen-muc-tin-tuc/index.html"])
    assert any("rỗng" in m for m in by_file["2020/05/bai-so-0-cua-chuyen-muc-tin-tuc/index.html"])
    assert any("canonical" in m for m in by_file["don-vi/index.html"])
    assert by_file["don-vi/than-ha-lam/index.html"] == ["ảnh tới trang/tệp không có: /images/khong-co.jpg"]
    assert by_file["trong.html"] == ["tệp rỗng (0 byte)"]
    assert by_file["theme/css/site.css"] == ["tệp giao diện (CSS) trỏ tới tệp không có: ../img/khong-co.png"]
    assert any("không đọc được" in m for m in by_file["feeds/tat-ca.atom.xml"])
    assert by_file["sitemap.xml"] == [f"địa chỉ trong urlset không có trên trang: {SITEURL}/khong-co/"]
    with pytest.raises(verify.VerifyError, match=r"Kiểm tra bản dựng thất bại \(\d+ lỗi\)"):
        verify.check(out, clean_site.settings)


def test_the_published_build_names_theme_files_by_hash_and_copies_compress(clean_site, tmp_path):
    """publishconf.py (ASSET_FINGERPRINTS): the pages are written naming the hashed theme
    files, the build writes them (the style sheet pointing at hashed fonts); a preview does
    not. Then every text file gets reproducible .gz and .br copies."""
    preview = clean_site.html("/")
    assert preview.select_one("link[rel=stylesheet]")["href"] == f"{SITEURL}/theme/css/site.css"
    out = tmp_path / "published"
    settings = site.build("publishconf.py", PATH=clean_site.output.parent / "content",
                          OUTPUT_PATH=out)
    found = fingerprints.fingerprints(settings)
    hashed = found.hashed["theme/css/site.css"]
    css = (out / "theme/css/site.css").read_bytes()
    assert hashed == f"theme/css/site.{fingerprints.content_hash(css)}.css"
    assert (out / hashed).read_bytes() == css
    font = found.hashed["theme/fonts/be-vietnam-pro-latin-400.woff2"]
    assert font.rsplit("/", 1)[1].encode() in css and b"be-vietnam-pro-latin-400.woff2" not in css
    page = (out / "index.html").read_bytes()
    assert f'<link rel="stylesheet" href="{SITEURL}/{hashed}">'.encode() in page
    assert f'href="{SITEURL}/{font}"'.encode() in page
    pages = list(out.rglob("*.html"))
    for original in ("/theme/css/site.css", "/theme/js/site.js", "/theme/img/favicon.svg"):
        assert all(original.encode() not in p.read_bytes() for p in pages), original
    assert all((out / name).is_file() for name in found.hashed.values())
    assert assets.precompress(out, cache=tmp_path / "cache") > 0
    for name in ("index.html", hashed, "feeds/tat-ca.atom.xml"):
        data = (out / name).read_bytes()
        assert gzip.decompress((out / f"{name}.gz").read_bytes()) == data
        assert brotli.decompress((out / f"{name}.br").read_bytes()) == data
    assert verify.verify(out, settings) == []
    # the same input gives the same bytes (no time stamps): unchanged pages never travel again
    first = {p: p.read_bytes() for p in out.rglob("*.gz")}
    for p in list(out.rglob("*.gz")) + list(out.rglob("*.br")):
        p.unlink()
    assets.precompress(out)
    assert {p: p.read_bytes() for p in out.rglob("*.gz")} == first
    # a broken compressed copy is caught
    (out / "index.html.gz").write_bytes(gzip.compress(b"khac", mtime=0))
    assert [f.message for f in verify.verify(out, settings)] == ["bản nén khác tệp gốc"]


def test_future_check_uses_the_given_moment(clean_site):
    past = datetime(2020, 5, 12, tzinfo=verify.VN)
    text = messages(verify.verify(clean_site.output, clean_site.settings, now=past))
    assert "tương lai (2020-05-13T08:00:00+07:00)" in text
