"""Campaign banners: a simple, readable image per campaign, drawn with Pillow.

``invoke banners`` draws the banner of every campaign in data/campaigns.yml that has none yet
(``--force`` redraws them all) at the path the campaign's ``banner`` field names, under
``content/``. A designer's image can replace any of them: the build only needs the file.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from newsroom.core import data
from newsroom.core.wrapping import wrap_text

SIZE = (1200, 400)
GOLD = (246, 196, 48)
#: Colours per campaign family: background, band, text, label.
COLOURS = {
    "thang-cong-nhan": ((11, 79, 138), (200, 16, 46), (255, 255, 255), GOLD),
    "ky-niem-cong-doan": ((160, 20, 35), GOLD, (255, 255, 255), GOLD),
    "tet": ((178, 24, 24), GOLD, (255, 246, 220), GOLD),
    "dien-hinh-tien-tien": ((8, 58, 102), GOLD, (255, 255, 255), GOLD),
}
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
             "/usr/local/share/fonts")


class BannerError(RuntimeError):
    """A banner cannot be drawn (no font with Vietnamese letters...)."""


def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        path = Path(folder) / name
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    raise BannerError(f"không tìm thấy phông chữ {name} (gói Debian fonts-dejavu-core); "
                      "hãy cài: apt-get install -y fonts-dejavu-core")


def _wrap(draw, text: str, font, width: int) -> list[str]:
    """Lines of ``text`` no wider than ``width`` pixels in ``font``."""
    return wrap_text(text, width, lambda line: draw.textlength(line, font=font))


def draw_banner(campaign: dict) -> Image.Image:
    """The banner of one campaign (values as :func:`newsroom.core.data.campaigns` gives them)."""
    background, band, ink, label = COLOURS.get(campaign.get("family"), COLOURS["thang-cong-nhan"])
    image = Image.new("RGB", SIZE, background)
    draw = ImageDraw.Draw(image)
    width, height = SIZE
    draw.rectangle((0, 0, 24, height), fill=band)
    draw.ellipse((width - 330, -160, width + 170, 340), outline=band, width=18)
    draw.ellipse((width - 230, 120, width + 70, 420), outline=band, width=10)
    x, y = 70, 42
    draw.text((x, y), "CÔNG ĐOÀN THAN – KHOÁNG SẢN VIỆT NAM", font=_font(True, 26), fill=label)
    y += 52
    room = width - x - 360  # keep clear of the circles on the right
    for size in (44, 38, 34, 30):  # the largest type that fits the name in three lines
        title = _font(True, size)
        lines = _wrap(draw, campaign["name"], title, room)
        if len(lines) <= 3:
            break
    for line in lines[:4]:
        draw.text((x, y), line, font=title, fill=ink)
        y += int(size * 1.3)
    slogan = campaign.get("slogan")
    subtitle = f"“{slogan}”" if slogan else ""
    if campaign.get("tet"):
        subtitle = f"Mùng 1 Tết: {dt.date.fromisoformat(str(campaign['tet'])):%d/%m/%Y}"
    if subtitle:
        y += 6
        for line in _wrap(draw, subtitle, _font(False, 30), room)[:2]:
            draw.text((x, y), line, font=_font(False, 30), fill=ink)
            y += 38
    window = f"{campaign['start']:%d/%m/%Y} – {campaign['end']:%d/%m/%Y}"
    draw.text((x, height - 62), window, font=_font(True, 28), fill=label)
    return image


def make_banners(content: Path | str, data_dir=None, force: bool = False) -> list[Path]:
    """Draw the missing banners (all of them with ``force``); return the files written."""
    written = []
    for campaign in data.campaigns(data_dir).values():
        if not campaign.get("banner"):
            continue
        target = Path(content) / campaign["banner"]
        if target.exists() and not force:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # A 64-colour palette keeps flat colours and smooth letters at a fraction of the size.
        draw_banner(campaign).quantize(64).save(target, optimize=True)
        written.append(target)
    return written
