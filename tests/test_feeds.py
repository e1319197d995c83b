"""Feeds as a feed reader shows them (no CSS, no script, away from the site): each photo of an
entry once, as a plain <img>, and every URL absolute, in a preview build (SITEURL "") and a
published one (SITEURL https://congdoantkv.vn). Real builds, checked in the written feeds."""
from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from newsroom.build import site
from tests.conftest import BuiltSite
from tests.helpers import article, jpeg, write_files

DIR = "bai-viet/than-ha-lam/2020"
PUBLISHED = "https://congdoantkv.vn"


BODY = ("Mở đầu bài ảnh, xem [bài đối thoại]({filename}doi-thoai.md).\n\n"
        "![Thợ lò vào ca]({static}album/1.jpg)\n*Thợ lò vào ca sáng.*\n\n"
        "![Nhà tắm mới]({static}album/2.jpg)\n*Nhà tắm mới của phân xưởng.*\n\n"
        "![Bữa ăn ca]({static}album/3.jpg)\n\n"
        "Giữa bài.\n\n![Ảnh lẻ]({static}album/4.jpg \"Một ảnh có chú thích\")\n\n"
        "[Tải ảnh gốc]({static}album/4.jpg) · [Về đầu](#top)\n")
FILES = {
    f"{DIR}/album.md": article(title="Ảnh: Ngày làm việc của thợ lò Hà Lầm", slug="album",
                               category="Ảnh", date="2020-06-12 08:00", body=BODY),
    **{f"{DIR}/album/{n}.jpg": jpeg((1200, 900), (40 * n, 90, 110)) for n in range(1, 5)},
    f"{DIR}/doi-thoai.md": article(title="Đối thoại với người lao động", slug="doi-thoai",
                                   date="2020-06-01 08:00"),
}


def entries(site, feed: str) -> dict:
    xml = site.xml(feed)
    return {e.find("title").get_text(): e for e in xml.find_all("entry")}


def content(entry) -> BeautifulSoup:
    return BeautifulSoup(entry.find("content").get_text(), "html.parser")


def local(site, url: str):
    """The output file behind an absolute URL of the site."""
    return site.path(urlsplit(url).path)


@pytest.fixture(scope="module", params=["preview", "published"])
def feed_site(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"feeds-{request.param}")
    write_files(root / "content", FILES)
    overrides = ({"SITEURL": PUBLISHED, "FEED_DOMAIN": PUBLISHED}
                 if request.param == "published" else {})
    settings = site.build("pelicanconf.py", PATH=root / "content", OUTPUT_PATH=root / "output",
                          NEWSROOM_STRICT=True, IMAGES={"cache_dir": str(root / "cache")},
                          **overrides)
    return BuiltSite(root / "output", settings)


def test_gallery_photos_once_as_plain_img_with_absolute_urls(feed_site):
    base = feed_site.settings["SITEURL"] or feed_site.settings["FEED_DOMAIN"]
    assert base.startswith(("http://", "https://"))
    page = feed_site.html("/2020/06/album/")
    assert len(page.select(".article-body .gallery .lightbox")) == 3  # the site keeps its gallery
    for feed in ("feeds/tat-ca.atom.xml", "chuyen-muc/anh/feed.xml",
                 "don-vi/than-ha-lam/feed.xml"):
        entry = entries(feed_site, feed)["Ảnh: Ngày làm việc của thợ lò Hà Lầm"]
        assert entry.find("link")["href"] == f"{base}/2020/06/album/"
        assert entry.find("id").get_text().startswith("tag:" + urlsplit(base).hostname)
        body = content(entry)
        assert not body.select("picture, source, .lightbox, .gallery, a.gallery-thumb")
        imgs = body.find_all("img")
        assert [i["alt"] for i in imgs] == ["Thợ lò vào ca", "Nhà tắm mới", "Bữa ăn ca", "Ảnh lẻ"]
        assert [f.get_text() for f in body.select("figure > figcaption")] == [
            "Thợ lò vào ca sáng.", "Nhà tắm mới của phân xưởng.", "Bữa ăn ca",
            "Một ảnh có chú thích"]
        for img in imgs:
            assert not {"srcset", "sizes", "loading"} & set(img.attrs), img
            assert img["src"].startswith(f"{base}/anh/{DIR}/album/"), img["src"]
            assert local(feed_site, img["src"]).is_file(), img["src"]
        links = {a.get_text(): a["href"] for a in body.find_all("a")}
        assert links["bài đối thoại"] == f"{base}/2020/06/doi-thoai/"
        assert links["Về đầu"] == f"{base}/2020/06/album/#top"
        assert links["Tải ảnh gốc"].startswith(f"{base}/anh/")
        assert local(feed_site, links["Tải ảnh gốc"]).is_file()


def test_feed_own_links_are_absolute(feed_site):
    base = feed_site.settings["SITEURL"] or feed_site.settings["FEED_DOMAIN"]
    xml = feed_site.xml("feeds/tat-ca.atom.xml")
    feed = xml.find("feed")
    assert feed.find("link", rel="alternate", recursive=False)["href"] == f"{base}/"
    assert feed.find("id", recursive=False).get_text() == f"{base}/"
    assert feed.find("link", rel="self", recursive=False)["href"] == \
        f"{base}/feeds/tat-ca.atom.xml"


def test_sample_site_feeds_show_each_photo_once_with_absolute_urls(sample_site):
    """Every feed of the sample site; the photo story of Nam Mẫu has a five-photo gallery."""
    feeds = sorted(p for p in sample_site.output.rglob("*.xml")
                   if p.name == "feed.xml" or p.parent.name == "feeds")
    assert len(feeds) > 20
    seen_gallery = False
    for path in feeds:
        rel = path.relative_to(sample_site.output).as_posix()
        xml = sample_site.xml(rel)
        for entry in xml.find_all("entry"):
            title = entry.find("title").get_text()
            assert urlsplit(entry.find("link")["href"]).scheme in ("http", "https"), (rel, title)
            for part in ("content", "summary"):
                element = entry.find(part)
                if element is None:
                    continue
                body = BeautifulSoup(element.get_text(), "html.parser")
                assert not body.select("picture, .lightbox, .gallery"), (rel, title)
                srcs = [i["src"] for i in body.find_all("img")]
                assert not [s for s, n in Counter(srcs).items() if n > 1], (rel, title)
                for tag in body.find_all(["a", "img"]):
                    url = tag.get("href") or tag.get("src")
                    assert urlsplit(url).scheme in ("http", "https", "mailto", "tel"), \
                        (rel, title, url)
                    if tag.name == "img":
                        assert local(sample_site, url).is_file(), (rel, title, url)
            if title == "Ảnh: Tết sớm của thợ mỏ Nam Mẫu":
                imgs = content(entry).find_all("img")
                assert len(imgs) == 5 and len({i["src"] for i in imgs}) == 5
                seen_gallery = True
    assert seen_gallery
