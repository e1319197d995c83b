"""Social cards at scale: the cached per-process painter draws what drawing each line in one
go would, within bounded memory; fresh worker processes (none a copy of the build) draw them
in chunks, also from a script without a main guard."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageStat

from newsroom.core.paths import ROOT
from newsroom.core.wrapping import wrap_text
from plugins.images import batch, card
from plugins.images.batch import Job, run
from plugins.images.cache import Cache
from plugins.images.images import DEFAULTS
from plugins.images.process import Limits

from tests.helpers import FONTS, article

SIZE = (1200, 630)
BRAND = "Công đoàn Than – Khoáng sản Việt Nam"
TITLES = [
    "Kiểm tra, giám sát Tháng Công nhân ở Tuyển than Hòn Gai",
    "Đối thoại: Quyền lợi người lao động – “Ổn định” việc làm, thu nhập của thợ lò năm 2020",
    "Công đoàn Than Hà Lầm đối thoại về bữa ăn ca, nhà tắm, xe đưa đón thợ lò; “Ổn định” thu "
    "nhập – quyền lợi của người lao động được giải đáp ngay tại hội nghị năm 2020, kèm 17 kiến "
    "nghị và lời hứa hoàn thành trước ngày 30/5",
    "Hỏi – đáp: chế độ bồi dưỡng độc hại bằng hiện vật cho thợ lò, thợ cơ điện hầm lò, "
    "công nhân sàng tuyển và lái xe vận tải mỏ",
    "Tặng quà",
    "Siêuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuudàiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii",
]
FOOTER = [["Công đoàn Công ty Cổ phần Than Hà Lầm - Vinacomin", "Than Hà Lầm"],
          ["Tháng Công nhân 2020"]]


def reference_fit(text: str, width: int, height: int):
    """The layout as drawing whole lines measures it: each line's real length with the font's
    shaping, the largest size that fits, else the lines that fit ending in “…”."""
    for size in card.SIZES:
        face = ImageFont.truetype(FONTS[0], size)
        lines = wrap_text(text, width, face.getlength)
        step = round(size * card.SPACING)
        if len(lines) * step <= height and all(face.getlength(l) <= width for l in lines):
            return size, lines
    keep = max(1, height // step)
    if len(lines) > keep:
        lines = lines[:keep]
        while face.getlength(lines[-1] + " …") > width and " " in lines[-1]:
            lines[-1] = lines[-1].rsplit(" ", 1)[0]
        lines[-1] += " …"
    return size, lines


def reference_card(title: str) -> Image.Image:
    """The card drawn line by line with ImageDraw.text, as before the painter."""
    width, height = SIZE
    painter = card.Painter(FONTS, SIZE, BRAND, "congdoantkv.vn")
    image = painter.plain.copy()
    pen = ImageDraw.Draw(image)
    size, lines = reference_fit(card.drawable(title, FONTS[0]), width - 2 * card.MARGIN,
                                height - 300)
    face = ImageFont.truetype(FONTS[0], size)
    for n, line in enumerate(lines):
        pen.text((card.MARGIN, 120 + n * round(size * card.SPACING)), line, font=face,
                 fill=card.WHITE)
    return image


def _drawn_in_full_colour(painter, info):
    """The card ``info`` describes, drawn with Pillow in full colour on the painter's plain
    background: the title lines, then the footer's two lines, where the design puts them."""
    image = painter.plain.copy()
    pen = ImageDraw.Draw(image)
    face = ImageFont.truetype(FONTS[0], info["title_size"])
    for row, line in enumerate(info["title_lines"]):
        pen.text((card.MARGIN, 120 + row * round(info["title_size"] * card.SPACING)), line,
                 font=face, fill=card.WHITE)
    pen.text((card.MARGIN, SIZE[1] - 122), info["footer"][0],
             font=ImageFont.truetype(FONTS[0], 34), fill=card.WHITE)
    pen.text((card.MARGIN, SIZE[1] - 74), info["footer"][1],
             font=ImageFont.truetype(FONTS[1], 28), fill=card.SOFT)
    return image


@pytest.mark.parametrize("title", TITLES)
def test_painter_lays_out_and_draws_as_whole_lines(title, tmp_path):
    painter = card.Painter(FONTS, SIZE, BRAND, "congdoantkv.vn")
    info = painter.draw(title, [], str(tmp_path / "c.png"))
    size, lines = reference_fit(card.drawable(title, FONTS[0]), SIZE[0] - 2 * card.MARGIN,
                                SIZE[1] - 300)
    assert (info["title_size"], info["title_lines"]) == (size, lines)
    words = title.split()
    drawn = " ".join(info["title_lines"]).split()
    drawn = drawn[:-1] if drawn[-1] == "…" else drawn
    assert drawn == words[:len(drawn)]  # whole words, in order, none cut
    # Pixels: the same text in the same places, up to a pixel here and there in a word.
    with Image.open(tmp_path / "c.png") as made:
        made = made.convert("RGB")
        expected = reference_card(title)
        area = (card.MARGIN, 100, SIZE[0] - card.MARGIN + 40, 480)
        ours = made.crop(area).convert("L")
        theirs = expected.crop(area).convert("L")
        assert ImageStat.Stat(ImageChops.difference(ours, theirs)).mean[0] < 2.5
        ink = [box for box in (ours.point(lambda v: 255 * (v > 160)).getbbox(),
                               theirs.point(lambda v: 255 * (v > 160)).getbbox())]
        assert all(abs(a - b) <= 2 for a, b in zip(*ink)), ink


def test_painter_cache_is_bounded_and_reused(tmp_path):
    small = card.Painter(FONTS, SIZE, BRAND, "congdoantkv.vn", tile_bytes=60_000)
    large = card.Painter(FONTS, SIZE, BRAND, "congdoantkv.vn")
    for n, title in enumerate(TITLES * 2):
        a = small.draw(title, FOOTER, str(tmp_path / f"s{n}.png"))
        b = large.draw(title, FOOTER, str(tmp_path / f"l{n}.png"))
        assert a == b
        assert (tmp_path / f"s{n}.png").read_bytes() == (tmp_path / f"l{n}.png").read_bytes()
        biggest = max(t.size[0] * t.size[1] for t, _ in small.tiles.values())
        assert small.held <= 60_000 or len(small.tiles) == 1, (small.held, biggest)
    rendered = large.rendered
    large.draw(TITLES[1], FOOTER, str(tmp_path / "again.png"))
    assert large.rendered == rendered  # every word and footer line came from the cache
    assert small.rendered > large.rendered  # the small one had to let some go


def _card_jobs(count: int) -> list[Job]:
    jobs = []
    for n in range(count):
        spec = {"title": f"{TITLES[n % 4]} số {n}", "footer": FOOTER[:1 + n % 2],
                "fonts": FONTS, "size": SIZE, "site": "congdoantkv.vn", "brand": BRAND}
        jobs.append(Job(source=None, card=spec, aliases={card.FILE: [f"anh/og/the-{n}.png"]}))
    return jobs


LIMITS = Limits.from_conf(DEFAULTS)


def test_many_cards_drawn_in_chunks_by_workers_then_reused(tmp_path):
    count = batch.CARD_CHUNK * 2 + 30  # three tasks, more than the pool threshold
    assert count * batch._COST_S["card"] >= batch.POOL_THRESHOLD_S
    jobs = _card_jobs(count)
    outcomes, stats = run(jobs, Cache(tmp_path / "cache"), tmp_path / "out", LIMITS, 2)
    assert (stats.made, stats.failed, stats.written) == (count, 0, count)
    made = sorted((tmp_path / "out" / "anh" / "og").glob("*.png"))
    assert len(made) == count
    for path in made[:: count // 5]:
        with Image.open(path) as image:
            assert image.size == SIZE and (image.format, image.mode) == ("PNG", "P")
    assert all(outcomes[id(j)].manifest["card"]["title_lines"] for j in jobs)
    # Warm: nothing drawn, nothing written; a clean output is filled from the cache.
    _, warm = run(_card_jobs(count), Cache(tmp_path / "cache"), tmp_path / "out", LIMITS, 2)
    assert (warm.made, warm.cached, warm.written) == (0, count, 0)
    for path in made[:10]:
        path.unlink()
    _, refill = run(_card_jobs(count), Cache(tmp_path / "cache"), tmp_path / "out", LIMITS, 2)
    assert (refill.made, refill.written) == (0, 10)


def test_workers_are_fresh_processes_not_copies_of_the_build():
    import bs4  # noqa: F401  (loaded here, in the build process, as in a build)
    import pelican  # noqa: F401

    with batch._pool(2) as pool:
        held = pool.submit(batch.loaded, ("pelican", "bs4", "plugins.images.batch")).result()
    assert held == ["plugins.images.batch"]


def test_script_without_main_guard_runs_once(tmp_path):
    marks = tmp_path / "marks.txt"
    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        with open({str(marks)!r}, "a") as handle:
            handle.write("ran\\n")
        from plugins.images import batch
        with batch._pool(2) as pool:
            print(sum(pool.map(abs, [-1, -2, -3])))
        """), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "6"
    assert marks.read_text().splitlines() == ["ran"]


def test_text_over_other_ink_is_blended_and_canvas_put_back(tmp_path):
    """A site name so long that the footer runs into it: the footer is blended over it (not
    copied over it as a tile), and after every card the canvas is the background again."""
    site = "congdoan-than-khoangsan-vietnam.example.org.vn"
    painter = card.Painter(FONTS, SIZE, BRAND, site)
    footer = [["Công đoàn Công ty Cổ phần Than Hà Lầm - Vinacomin"], ["Tháng Công nhân 2020"]]
    info = painter.draw(TITLES[0], footer, str(tmp_path / "c.png"))
    assert painter.canvas.tobytes() == painter.background.tobytes()
    expected = _drawn_in_full_colour(painter, info)
    footer_box = (0, SIZE[1] - 150, SIZE[0], SIZE[1])
    with Image.open(tmp_path / "c.png") as made:
        ours = made.convert("RGB").crop(footer_box).convert("L")
    theirs = expected.crop(footer_box).convert("L")
    # palette steps only: no piece of the site's name was wiped by a tile
    assert ImageStat.Stat(ImageChops.difference(ours, theirs)).mean[0] < 1.5
    assert ImageChops.difference(ours, theirs).point(lambda v: 255 * (v > 90)).getbbox() is None


# ------------------------------------------------------------------ pruning the cache

def _objects(cache_dir: Path) -> set[str]:
    return {p.name for p in (cache_dir / "objects").glob("*/*") if not p.name.endswith(".tmp")}


def test_cache_keeps_what_recent_builds_used_and_drops_the_rest(make_site, tmp_path):
    base = "bai-viet/than-ha-lam/2020"
    cache_dir = tmp_path / "image-cache"
    conf = {"IMAGES": {"cache_dir": str(cache_dir), "cache_keep_builds": 2}}
    photo = Image.new("RGB", (1600, 1000), (20, 40, 220))
    raw = io.BytesIO()
    photo.save(raw, "JPEG")
    first = make_site({f"{base}/a.md": article(title="Tin thứ nhất", slug="a"),
                       f"{base}/b.md": article(title="Tin thứ hai", slug="b",
                                               date="2020-06-11 09:00"),
                       f"{base}/c.md": article(title="Tin có ảnh", slug="c", image="c/bia.jpg",
                                               image_alt="Ảnh", date="2020-06-12 09:00"),
                       f"{base}/c/bia.jpg": raw.getvalue()}, strict=True, **conf)
    assert first.settings["IMAGES_STATS"].made == 3
    built_first = _objects(cache_dir)
    assert len(built_first) == 3
    stale = cache_dir / "objects" / "00" / "worker-left.123.tmp"
    stale.mkdir(parents=True)
    os.utime(stale, (1, 1))
    fresh_tmp = cache_dir / "objects" / "00" / "working-now.456.tmp"
    fresh_tmp.mkdir()

    # The title changes: a new card; the old one stays for a build (keep 2 builds).
    make_site({f"{base}/a.md": article(title="Tin thứ nhất, đã sửa", slug="a")},
              strict=True, **conf)
    second = _objects(cache_dir)
    assert len(second) == 4 and built_first < second
    assert not stale.exists() and fresh_tmp.exists()

    # One more build with nothing changed: the old card is not used by the last two builds.
    third = make_site({}, strict=True, **conf)
    assert third.settings["IMAGES_STATS"].made == 0
    now = _objects(cache_dir)
    assert len(now) == 3 and now < second and len(now & built_first) == 2
    with Image.open(third.path("/anh/og/a.png")) as image:
        assert image.size == (1200, 630)
    # Nothing that a build uses was removed: a build with a clean output redraws nothing.
    shutil.rmtree(tmp_path / "output")
    fourth = make_site({}, strict=True, **conf)
    assert fourth.settings["IMAGES_STATS"].made == 0
    assert _objects(cache_dir) == now


def test_prune_never_removes_what_this_build_uses(tmp_path):
    cache = Cache(tmp_path)
    for key in ("a" * 64, "b" * 64, "c" * 64):
        cache.put(key, {"files": {}})
    cache.used = {"a" * 64}
    assert cache.prune(1) == 0  # first counted build: b and c start counting now
    cache.used = {"a" * 64}
    assert cache.prune(1) == 2
    assert _objects(tmp_path) == {"a" * 64}
    cache.used = {"a" * 64}
    (tmp_path / "used.json").write_text('{"build": 99, "keys": {"' + "a" * 64 + '": 1}}')
    assert cache.prune(1) == 0 and _objects(tmp_path) == {"a" * 64}
    with pytest.raises(ValueError):
        cache.prune(0)


def test_card_is_a_small_palette_png_that_looks_as_the_full_colour_drawing(tmp_path):
    """The card as it used to be drawn (full colour, every level of anti-aliasing, what the
    JPEG coded) against the palette PNG: same size, the design's colours where there is no
    text, the text within a few levels of each pixel, and a fraction of the JPEG's bytes."""
    painter = card.Painter(FONTS, SIZE, BRAND, "congdoantkv.vn")
    sizes = []
    for n, title in enumerate(TITLES):
        target = tmp_path / f"c{n}.png"
        info = painter.draw(title, FOOTER, str(target))
        sizes.append(target.stat().st_size)
        with Image.open(target) as made:
            assert (made.format, made.mode, made.size) == ("PNG", "P", SIZE)
            assert not made.info.get("transparency")
            assert len(made.getpalette()) // 3 <= 160  # the design's colours and their blends
            made = made.convert("RGB")
        before = _drawn_in_full_colour(painter, info)  # as cards were drawn before
        difference = ImageChops.difference(made, before).convert("L")
        assert ImageStat.Stat(difference).mean[0] < 0.6, title
        counts = difference.histogram()
        if len(title.split()) == 1:  # one word: placed as the whole line, so only the
            assert max(v for v, k in enumerate(counts) if k) <= 8  # palette's steps differ
        else:  # edges of words set one by one, a pixel apart here and there, as before
            assert sum(counts[25:]) / sum(counts) < 0.006, title
        # the plain parts are exactly the design's colours (no JPEG ringing, no dithering)
        for xy, colour in (((600, 20), card.BRAND), ((600, SIZE[1] - 5), card.BRAND_DARK),
                           ((5, 300), card.ACCENT), ((1190, 300), card.BRAND)):
            assert made.getpixel(xy) == colour
    # The JPEG was 80–130 KB a card: the PNG is a quarter of that or less.
    assert max(sizes) < 36_000 and sum(sizes) / len(sizes) < 28_000, sizes


def test_no_pruning_while_another_build_uses_the_cache(tmp_path):
    Cache(tmp_path).put("d" * 64, {"files": {}})
    (tmp_path / "used.json").write_text('{"build": 10, "keys": {"' + "d" * 64 + '": 1}}')
    other = Cache(tmp_path)
    with other.in_use():  # another build between its look-ups and its copies
        assert Cache(tmp_path).prune(1) == 0
        assert _objects(tmp_path) == {"d" * 64}
    assert Cache(tmp_path).prune(1) == 1
    assert _objects(tmp_path) == set()


def test_card_codes_only_the_bands_it_wrote_on_as_a_valid_png(tmp_path):
    """Bands of rows with no text are the background's, coded once; the file is one valid
    zlib stream (checksum included) whose pixels are the canvas's, about the size of
    Pillow coding the whole card."""
    painter = card.Painter(FONTS, SIZE, BRAND, "congdoantkv.vn")
    for title in TITLES:
        drawn = list(painter.fixed)
        size, lines, step = painter.fit(card.drawable(title, FONTS[0]), SIZE[0] - 300, 330)
        for row, line in enumerate(lines):
            painter.put((card.MARGIN, 120 + row * step), FONTS[0], size, " ".join(line),
                        card.WHITE, card.BRAND, drawn)
        data = painter.encode(drawn)
        whole = card._png(painter.canvas)
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "PNG" and image.getpalette() == painter.canvas.getpalette()
            assert image.tobytes() == painter.canvas.tobytes()
        at = data.index(b"IDAT")
        stream = data[at + 4:at + 4 + int.from_bytes(data[at - 4:at], "big")]
        assert zlib.decompress(stream)  # whole stream, Adler-32 checked
        assert len(data) < len(whole) * 1.08
        painter.restore(drawn[len(painter.fixed):])
        assert painter.canvas.tobytes() == painter.background.tobytes()
    untouched = painter.encode(list(painter.fixed))
    assert untouched.count(b"IDAT") == 1
    with Image.open(io.BytesIO(untouched)) as image:
        assert image.tobytes() == painter.background.tobytes()
