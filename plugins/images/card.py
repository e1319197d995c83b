"""Branded social cards (1200×630) for articles without a cover photo: the title in Vietnamese
in a bundled open-licence font, wrapped at spaces and shrunk until it fits, then the unit and
the campaign. Characters the font lacks (emoji...) are left out rather than drawn as boxes.

Thousands of cards are drawn in one build, so what every card shares is made once per worker
process and kept (:class:`Painter`): the background with the bars, the site's name and the
brand; the loaded fonts; the width and the rendered glyphs (an 8-bit mask) of every word and
footer line seen, in a cache bounded in bytes. A card is then a copy of the background, a few
masks blended onto it and a plain (baseline) JPEG: a title is set word by word, each word where
the whole line would put it, so the card looks as when the line was drawn in one go."""
from __future__ import annotations

import functools
import os
from collections import OrderedDict
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

BRAND = (11, 79, 138)
BRAND_DARK = (8, 58, 102)
ACCENT = (200, 16, 46)
WHITE = (255, 255, 255)
SOFT = (214, 228, 241)
MARGIN = 72
#: Bump when cards look different: part of every card's cache key, so they are all redrawn.
VERSION = "3"
#: A baseline JPEG: optimize/progressive cost 4× the CPU for 15 % fewer bytes on a file only
#: link previews fetch, once.
JPEG = {"quality": 86}
SIZES = range(76, 39, -4)      # title sizes tried, largest first
SPACING = 1.28                 # title line step, × size
MASK_BYTES = 24 << 20          # rendered words kept per process (an 8-bit mask each)


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
    have = charset(font_path)
    if all(ord(c) in have or c.isspace() for c in text):
        return " ".join(text.split())
    gaps = missing(text, font_path)
    return " ".join("".join(c for c in text if c not in gaps).split())


@functools.lru_cache(maxsize=64)
def font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """A loaded font, once per process and size."""
    return ImageFont.truetype(path, size)


def wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Lines no wider than ``width``, broken at spaces only (a word is never cut)."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


class Painter:
    """What every card of one design shares, made once per process: see the module's doc."""

    def __init__(self, fonts: tuple[str, str], size: tuple[int, int], brand: str, site: str,
                 mask_bytes: int = MASK_BYTES):
        self.bold, self.medium = fonts
        self.size = size
        self.widths: dict[tuple, float] = {}
        self.footers: dict[tuple, tuple] = {}
        self.masks: OrderedDict[tuple, tuple] = OrderedDict()
        self.mask_bytes = mask_bytes
        self.held = 0          # bytes of the masks kept
        self.rendered = 0      # masks made (a miss of the cache), for tests and benchmarks
        self.brand = drawable(brand, self.medium)
        self.site = site
        width, height = size
        image = Image.new("RGB", size, BRAND)
        pen = ImageDraw.Draw(image)
        pen.rectangle((0, height - 150, width, height), fill=BRAND_DARK)
        pen.rectangle((0, 0, 18, height), fill=ACCENT)
        pen.text((MARGIN, 52), self.brand.upper(), font=font(self.medium, 30), fill=SOFT)
        if site:
            face = font(self.bold, 30)
            pen.text((width - MARGIN - face.getlength(site), height - 150 + 30), site, font=face,
                     fill=WHITE)
        self.background = image
        self.inks = {fill: pen._getink(fill)[0] for fill in (WHITE, SOFT)}

    # -- measuring and rendering, cached

    def length(self, path: str, size: int, text: str) -> float:
        key = (path, size, text)
        found = self.widths.get(key)
        if found is None:
            if len(self.widths) > 200_000:
                self.widths.clear()
            found = self.widths[key] = font(path, size).getlength(text)
        return found

    def mask(self, path: str, size: int, text: str):
        """``(mask, offset)`` of ``text`` as :meth:`ImageDraw.text` renders it (anchor "la")."""
        key = (path, size, text)
        found = self.masks.get(key)
        if found is not None:
            self.masks.move_to_end(key)
            return found
        mask, offset = font(path, size).getmask2(text, "L")
        found = self.masks[key] = (mask, offset)
        self.rendered += 1
        self.held += mask.size[0] * mask.size[1]
        while self.held > self.mask_bytes and len(self.masks) > 1:
            old, _ = self.masks.popitem(last=False)[1]
            self.held -= old.size[0] * old.size[1]
        return found

    def put(self, pen, xy, path: str, size: int, text: str, fill) -> None:
        mask, offset = self.mask(path, size, text)
        pen.draw.draw_bitmap((round(xy[0]) + offset[0], round(xy[1]) + offset[1]), mask,
                             self.inks[fill])

    # -- layout

    def wrap(self, words: list[str], path: str, size: int, width: float) -> list[list[str]]:
        """Words in lines no wider than ``width`` (a line is as wide as its words and the
        spaces between them), broken at spaces only."""
        space = self.length(path, size, " ")
        lines: list[list[str]] = []
        used = 0.0
        for word in words:
            wide = self.length(path, size, word)
            if lines and used + space + wide <= width:
                lines[-1].append(word)
                used += space + wide
            else:
                lines.append([word])
                used = wide
        return lines

    def line_length(self, path: str, size: int, words: list[str]) -> float:
        return (sum(self.length(path, size, w) for w in words)
                + self.length(path, size, " ") * (len(words) - 1))

    def fit(self, text: str, width: int, height: int, sizes=SIZES, spacing: float = SPACING):
        """The largest size at which ``text`` wraps into the box: ``(size, lines, step)``
        (lines as lists of words); at the smallest size, the lines that fit, the last one
        ending in “…” after a whole word."""
        words = text.split()
        for size in sizes:
            lines = self.wrap(words, self.bold, size, width)
            step = round(size * spacing)
            if len(lines) * step <= height and all(
                    self.line_length(self.bold, size, line) <= width for line in lines):
                return size, lines, step
        keep = max(1, height // step)
        if len(lines) > keep:
            lines = lines[:keep]
            last = lines[-1]
            while len(last) > 1 and self.line_length(self.bold, size, [*last, "…"]) > width:
                last.pop()
            last.append("…")
        return size, lines, step

    def footer_line(self, index: int, choices) -> tuple[str, str, int]:
        """The footer text drawn for ``choices`` (the full name if it fits on one line, else
        a shorter one, else the words of the last one that fit), with its font and size."""
        found = self.footers.get((index, choices))
        if found is not None:
            return found
        path, size = (self.bold, 34) if index == 0 else (self.medium, 28)
        key = (index, choices)
        if isinstance(choices, str):
            choices = [choices]
        room = self.size[0] - 2 * MARGIN - 320
        for text in choices:
            text = drawable(text, path)
            if self.length(path, size, text) <= room:
                break
        text = (wrap(text, font(path, size), room) or [""])[0]
        if len(self.footers) > 10_000:
            self.footers.clear()
        self.footers[key] = found = (text, path, size)
        return found

    # -- a card

    def draw(self, title: str, footer: list, target: str) -> dict:
        width, height = self.size
        image = self.background.copy()
        pen = ImageDraw.Draw(image)
        title = drawable(title, self.bold)
        size, lines, step = self.fit(title, width - 2 * MARGIN, height - 150 - 120 - 30)
        space = self.length(self.bold, size, " ")
        y = 120
        for line in lines:
            x = float(MARGIN)
            for word in line:
                self.put(pen, (x, y), self.bold, size, word, WHITE)
                x += self.length(self.bold, size, word) + space
            y += step
        drawn_footer = []
        y = height - 150 + 28
        for index, choices in enumerate(line for line in footer if line):
            text, path, face = self.footer_line(
                index, choices if isinstance(choices, str) else tuple(choices))
            if text:
                self.put(pen, (MARGIN, y), path, face, text, WHITE if index == 0 else SOFT)
            drawn_footer.append(text)
            y += 48
            if index == 1:
                break
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        tmp = f"{target}.tmp"
        image.save(tmp, "JPEG", **JPEG)
        os.replace(tmp, target)
        return {"title_lines": [" ".join(line) for line in lines], "title_size": size,
                "footer": drawn_footer, "brand": self.brand, "site": self.site}


@functools.lru_cache(maxsize=4)
def painter(fonts: tuple[str, str], size: tuple[int, int], brand: str, site: str) -> Painter:
    """The process's :class:`Painter` for one design."""
    return Painter(tuple(fonts), tuple(size), brand, site)


def draw(title: str, footer: list, target: str, fonts: tuple[str, str],
         size: tuple[int, int] = (1200, 630), site: str = "", brand: str = "") -> dict:
    """Draw a card to ``target`` (JPEG); returns what was drawn, for checks and tests."""
    return painter(tuple(fonts), tuple(size), brand, site).draw(title, footer, target)
