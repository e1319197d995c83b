"""Branded social cards (1200×630) for articles without a cover photo: the title in Vietnamese
in a bundled open-licence font, wrapped at spaces and shrunk until it fits, then the unit and
the campaign. Characters the font lacks (emoji...) are left out rather than drawn as boxes."""
from __future__ import annotations

import functools
import os
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

BRAND = (11, 79, 138)
BRAND_DARK = (8, 58, 102)
ACCENT = (200, 16, 46)
WHITE = (255, 255, 255)
SOFT = (214, 228, 241)
MARGIN = 72


@functools.lru_cache(maxsize=8)
def charset(font_path: str) -> frozenset[int]:
    """Code points that ``font_path`` has a glyph for."""
    with TTFont(font_path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def missing(text: str, font_path: str) -> set[str]:
    """Characters of ``text`` (spaces aside) the font would draw as tofu boxes."""
    have = charset(font_path)
    return {c for c in text if not c.isspace() and ord(c) not in have}


def drawable(text: str, font_path: str) -> str:
    gaps = missing(text, font_path)
    return " ".join("".join(c for c in text if c not in gaps).split())


def wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Lines no wider than ``width``, broken at spaces only (a word is never cut)."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def fit(text: str, font_path: str, width: int, height: int, sizes=range(76, 39, -4),
        spacing: float = 1.28) -> tuple[ImageFont.FreeTypeFont, list[str], int]:
    """The largest font size at which ``text`` wraps into the box; at the smallest size, the
    lines that fit, the last one ending in “…” after a whole word."""
    for size in sizes:
        font = ImageFont.truetype(font_path, size)
        lines = wrap(text, font, width)
        step = round(size * spacing)
        if len(lines) * step <= height and all(font.getlength(l) <= width for l in lines):
            return font, lines, step
    keep = max(1, height // step)
    if len(lines) > keep:
        lines = lines[:keep]
        while font.getlength(lines[-1] + " …") > width and " " in lines[-1]:
            lines[-1] = lines[-1].rsplit(" ", 1)[0]
        lines[-1] += " …"
    return font, lines, step


def draw(title: str, footer: list, target: str, fonts: tuple[str, str],
         size: tuple[int, int] = (1200, 630), site: str = "", brand: str = "") -> dict:
    """Draw a card to ``target`` (JPEG); returns what was drawn, for checks and tests."""
    bold, medium = fonts
    width, height = size
    image = Image.new("RGB", size, BRAND)
    pen = ImageDraw.Draw(image)
    pen.rectangle((0, height - 150, width, height), fill=BRAND_DARK)
    pen.rectangle((0, 0, 18, height), fill=ACCENT)

    brand = drawable(brand, medium)
    small = ImageFont.truetype(medium, 30)
    pen.text((MARGIN, 52), brand.upper(), font=small, fill=SOFT)

    title = drawable(title, bold)
    font, lines, step = fit(title, bold, width - 2 * MARGIN, height - 150 - 120 - 30)
    y = 120
    for line in lines:
        pen.text((MARGIN, y), line, font=font, fill=WHITE)
        y += step

    drawn_footer = []
    y = height - 150 + 28
    for index, choices in enumerate(line for line in footer if line):
        face = ImageFont.truetype(bold if index == 0 else medium, 34 if index == 0 else 28)
        if isinstance(choices, str):
            choices = [choices]
        room = width - 2 * MARGIN - 320
        for text in choices:  # the full name if it fits on one line, else a shorter one
            text = drawable(text, bold if index == 0 else medium)
            if face.getlength(text) <= room:
                break
        text = (wrap(text, face, room) or [""])[0]
        pen.text((MARGIN, y), text, font=face, fill=WHITE if index == 0 else SOFT)
        drawn_footer.append(text)
        y += 48
        if index == 1:
            break
    if site:
        face = ImageFont.truetype(bold, 30)
        pen.text((width - MARGIN - face.getlength(site), height - 150 + 30), site, font=face,
                 fill=WHITE)
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    tmp = f"{target}.tmp"
    image.save(tmp, "JPEG", quality=86, optimize=True, progressive=True)
    os.replace(tmp, target)
    return {"title_lines": lines, "title_size": font.size, "footer": drawn_footer,
            "brand": brand, "site": site}
