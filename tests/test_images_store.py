"""What each item got from the image pipeline is kept between builds (plugins/images/store.py):
an unchanged item is given it again without a plan, and the output stays byte for byte what a
clean build makes, after an edit, an addition, a deletion, a changed photo, a changed setting,
a file removed from the output or from the image cache, and a torn store; in a publish's kept
build folder their files count as produced."""
from __future__ import annotations

import json
import logging
import shutil

from newsroom.build import site
from newsroom.publish import buildfolder
from plugins import fence
from tests.helpers import article, jpeg, tree

DIR = "bai-viet/than-ha-lam/2020"
COVER = "co-anh-bia"


def _cover_article(body_more: str = "") -> str:
    return article(title="Thợ lò nhận ảnh bìa", slug=COVER, image=f"{COVER}/bia.jpg",
                   image_alt="Cửa lò", body=f"Mở đầu.{body_more}\n\n![Một]({COVER}/1.jpg)\n"
                   f"![Hai]({COVER}/2.jpg)\n\nGiữa dòng: ![Ba]({COVER}/1.jpg \"Ca sáng\")\n")


def _site() -> dict:
    return {
        f"{DIR}/{COVER}.md": _cover_article(),
        f"{DIR}/{COVER}/bia.jpg": jpeg((1000, 700), (150, 40, 40)),
        f"{DIR}/{COVER}/1.jpg": jpeg((700, 500), (40, 150, 40)),
        f"{DIR}/{COVER}/2.jpg": jpeg((600, 600), (40, 40, 150)),
        f"{DIR}/chi-chu.md": article(title="Chỉ có chữ", slug="chi-chu", date="2020-06-11 09:00"),
        f"{DIR}/anh-giua.md": article(title="Ảnh giữa bài", slug="anh-giua",
                                      date="2020-06-12 09:00",
                                      body="![Lò chợ](anh-giua/lo.jpg)\n*Lò chợ mới.*\n\n"
                                           "[Tải ảnh gốc](anh-giua/lo.jpg)\n"),
        f"{DIR}/anh-giua/lo.jpg": jpeg((900, 600), (90, 90, 20)),
    }


class Kept:
    """Builds into one kept output folder and image cache, each checked against a clean
    build of the same inputs (a new output folder, cache and image cache)."""

    def __init__(self, make_site, tmp_path):
        self.make_site, self.root = make_site, tmp_path
        self.images: dict = {}
        self.reference: dict[str, bytes] = {}

    def build(self, files=None, **images):
        self.images.update(images)
        built = self.make_site(files or {}, CACHE_PATH=self.root / "cache",
                               IMAGES={"cache_dir": str(self.root / "image-cache"),
                                       **self.images})
        self.settings = built.settings
        return built.settings["IMAGES_STATS"]

    def clean(self, name: str) -> None:
        """A clean build of the inputs as they are now becomes the reference."""
        out = self.root / f"clean-{name}"
        site.build("pelicanconf.py", PATH=self.root / "content", OUTPUT_PATH=out,
                   CACHE_PATH=self.root / f"cache-{name}", FASTBUILD={"cache": False},
                   IMAGES={"cache_dir": str(self.root / f"image-cache-{name}"), **self.images})
        self.reference = tree(out)
        shutil.rmtree(out)

    def assert_as_clean(self, deleted: tuple[str, ...] = ()) -> None:
        """``deleted``: the page folders of an article deleted since the last build."""
        kept = tree(self.root / "output")
        if deleted:  # a deleted article's photos stay, as in any build into a kept folder
            # and, without the speed layer (FASTBUILD=off, an unknown Pelican), its page too:
            # stock Pelican never removes a page it wrote before
            stale = ("anh/",) if fence.speed_active(self.settings) else ("anh/", *deleted)
            kept = {n: b for n, b in kept.items()
                    if n in self.reference or not n.startswith(stale)}
        assert sorted(kept) == sorted(self.reference), set(kept) ^ set(self.reference)
        assert [n for n in kept if kept[n] != self.reference[n]] == []


def test_kept_plan_gives_what_a_clean_build_gives(make_site, tmp_path, caplog):
    kept = Kept(make_site, tmp_path)
    assert kept.build(_site()).reused == 0
    stats = kept.build()
    assert (stats.reused, stats.jobs, stats.written) == (3, 0, 0)
    kept.clean("same")
    kept.assert_as_clean()

    # Files gone from the output come back, the same bytes; only their items are planned.
    out = tmp_path / "output"
    (out / "anh/og/chi-chu.png").unlink()
    (out / f"anh/{DIR}/{COVER}/1-w480.webp").unlink()
    stats = kept.build()
    assert (stats.reused, stats.made) == (1, 0)
    kept.assert_as_clean()

    # Objects gone from the image cache (the drawn cards of the two articles without a cover)
    # are noticed: those items are planned and their cards drawn again.
    cards = [m.parent for m in (tmp_path / "image-cache/objects").glob("*/*/manifest.json")
             if "card" in json.loads(m.read_text(encoding="utf-8"))]
    assert len(cards) == 2
    for folder in cards:
        shutil.rmtree(folder)
    stats = kept.build()
    assert (stats.reused, stats.made) == (1, 2)
    assert all(folder.is_dir() for folder in cards)
    kept.assert_as_clean()

    # A torn store: every item is planned again, with a warning; the build goes on.
    store = next((tmp_path / "image-cache/plans").glob("*.pickle"))
    store.write_bytes(store.read_bytes()[:40])
    with caplog.at_level(logging.WARNING):
        stats = kept.build()
    assert stats.reused == 0 and stats.made == 0
    assert "không đọc được bản ghi ảnh của lần dựng trước" in caplog.text
    kept.assert_as_clean()
    assert kept.build().reused == 3  # written again

    # An edit of the article with photos.
    stats = kept.build({f"{DIR}/{COVER}.md": _cover_article(" Bản sửa.")})
    assert stats.reused == 2
    kept.clean("edit")
    kept.assert_as_clean()

    # A new article with a cover and photos in its body (one of them another article's).
    stats = kept.build({
        f"{DIR}/moi.md": article(title="Bài mới có ảnh", slug="moi", date="2020-06-13 09:00",
                                 image="moi/bia.jpg", image_alt="Bìa mới",
                                 body="![Cũ](anh-giua/lo.jpg)\n![Mới](moi/bia.jpg)\n"),
        f"{DIR}/moi/bia.jpg": jpeg((800, 800), (10, 120, 200))})
    assert stats.reused == 3
    kept.clean("add")
    kept.assert_as_clean()

    # A photo replaced in place: only the two articles showing it are planned again.
    stats = kept.build({f"{DIR}/anh-giua/lo.jpg": jpeg((900, 600), (200, 20, 120))})
    assert (stats.reused, stats.made) == (2, 1)
    kept.clean("photo")
    kept.assert_as_clean()

    # The article with photos deleted.
    (tmp_path / f"content/{DIR}/{COVER}.md").unlink()
    shutil.rmtree(tmp_path / f"content/{DIR}/{COVER}")
    assert kept.build().reused == 3
    kept.clean("delete")
    kept.assert_as_clean(deleted=("2020/06/co-anh-bia/",))

    # A setting of the pipeline changed: nothing is taken from the store.
    stats = kept.build(quality={"webp": 60, "jpeg": 70})
    assert stats.reused == 0 and stats.made > 0
    kept.clean("setting")
    kept.assert_as_clean(deleted=("2020/06/co-anh-bia/",))

    # A publish's kept build folder loses every file the build did not touch
    # (newsroom.publish.buildfolder): the files of the items given what they got last time are
    # touched, the photos of the deleted article are not.
    since = buildfolder.start(out)
    assert kept.build().reused == 3
    buildfolder.settle(out, since, None)
    photos = {n for n in tree(out) if n.startswith("anh/")}
    assert photos == {n for n in kept.reference if n.startswith("anh/")}
