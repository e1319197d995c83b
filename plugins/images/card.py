"""Branded social cards (1200×630) for articles without a cover photo: the title in Vietnamese
in a bundled open-licence font, wrapped at spaces and shrunk until it fits, then the unit and
the campaign. Characters the font lacks (emoji...) are left out rather than drawn as boxes.

Thousands of cards are drawn in one build, so what every card shares is made once per worker
process and kept (:class:`Painter`): the background with the bars, the site's name and the
brand; the loaded fonts; the width of every word and footer line seen, and its rendering (a
small palette tile, the text already blended on the plain colour under it) in a cache bounded
in bytes. A card is then a few tiles copied onto the background, saved as a plain (baseline) JPEG,
and the background put back: a title is set word by word, each word where the whole line would
put it, so the card looks as when the line was drawn in one go. The JPEG has a restart marker
after each row of 16-pixel blocks, so only the rows a card wrote on are coded; the others are
the background's, coded once (the file is the same bytes as coding the whole card)."""
from __future__ import annotations

import functools
import io
import math
import os
import re
from collections import OrderedDict
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from newsroom.core.wrapping import wrap, wrap_text

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
JPEG = {"quality": 86, "restart_marker_rows": 1}
ROW = 16                       # height of a row of JPEG blocks (colour halved both ways)
SIZES = range(76, 39, -4)      # title sizes tried, largest first
SPACING = 1.28                 # title line step, × size
TILE_BYTES = 32 << 20          # rendered words kept per process (a byte a pixel)


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
    if gaps:
        text = "".join(c for c in text if c not in gaps)
    return " ".join(text.split())


@functools.lru_cache(maxsize=64)
def font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """A loaded font, once per process and size."""
    return ImageFont.truetype(path, size)


class Painter:
    """What every card of one design shares, made once per process: see the module's doc."""

    def __init__(self, fonts: tuple[str, str], size: tuple[int, int], brand: str, site: str,
                 tile_bytes: int = TILE_BYTES):
        self.bold, self.medium = fonts
        self.size = size
        self.widths: dict[tuple, float] = {}
        self.footers: dict[tuple, tuple] = {}
        self.tiles: OrderedDict[tuple, tuple] = OrderedDict()
        self.tile_bytes = tile_bytes
        self.held = 0          # bytes of the tiles kept
        self.rendered = 0      # tiles made (a miss of the cache), for tests and benchmarks
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
        # Where the background is one plain colour (text tiles are copied only there), and
        # the ink already on it; a card is drawn on ``canvas``, then it is put back.
        self.grounds = [((19, 0, width, height - 150), BRAND),
                        ((19, height - 150, width, height), BRAND_DARK)]
        self.fixed = [(pen.textbbox((MARGIN, 52), self.brand.upper(), font=font(self.medium, 30)),
                       None)]
        if site:
            self.fixed.append((pen.textbbox((width - MARGIN - face.getlength(site),
                                             height - 150 + 30), site, font=face), None))
        self.canvas = image.copy()
        # The background coded once, each row of blocks on its own (a restart marker after
        # each): a card codes only the rows it wrote on and takes the others from here.
        self.head, self.coded = _coded_rows(_jpeg(image))
        self.splice = len(self.coded) == math.ceil(height / ROW)
        if self.splice:  # a check on this Pillow/libjpeg: a spliced card is the same bytes
            drawn = list(self.fixed)
            self.put((MARGIN, 120), self.bold, 40, "Công đoàn", WHITE, BRAND, drawn)
            try:
                self.splice = self.encode(drawn) == _jpeg(self.canvas)
            except ValueError:
                self.splice = False
            finally:
                self.restore(drawn[len(self.fixed):])

    # -- measuring and rendering, cached

    def length(self, path: str, size: int, text: str) -> float:
        key = (path, size, text)
        found = self.widths.get(key)
        if found is None:
            if len(self.widths) > 200_000:
                self.widths.clear()
            found = self.widths[key] = font(path, size).getlength(text)
        return found

    def tile(self, path: str, size: int, text: str, fill, ground):
        """``(tile, offset)``: ``text`` as :meth:`ImageDraw.text` renders it (anchor "la"),
        as big as its ink: a palette image (a byte a pixel) whose colours are ``fill``
        blended on the plain ``ground`` at each level of coverage, so it is copied onto the
        card as drawing the text there would blend it."""
        key = (path, size, text, fill, ground)
        found = self.tiles.get(key)
        if found is not None:
            self.tiles.move_to_end(key)
            return found
        face = font(path, size)
        mask, offset = face.getmask2(text, "L")
        coverage = Image.new("L", mask.size)
        ImageDraw.Draw(coverage).text((-offset[0], -offset[1]), text, font=face, fill=255)
        tile = coverage.convert("P")
        tile.putpalette(_ramp(fill, ground))
        found = self.tiles[key] = (tile, offset)
        self.rendered += 1
        self.held += tile.size[0] * tile.size[1]
        while self.held > self.tile_bytes and len(self.tiles) > 1:
            old, _ = self.tiles.popitem(last=False)[1]
            self.held -= old.size[0] * old.size[1]
        return found

    def put(self, xy, path: str, size: int, text: str, fill, ground, drawn: list) -> None:
        """Draw ``text`` at ``xy`` on the canvas: its cached tile copied over when it lands on
        plain ``ground`` away from any ink, else blended as ImageDraw would."""
        tile, offset = self.tile(path, size, text, fill, ground)
        x, y = round(xy[0]) + offset[0], round(xy[1]) + offset[1]
        box = (x, y, x + tile.size[0], y + tile.size[1])
        if box[2] <= box[0] or box[3] <= box[1]:
            return
        plain = any(_inside(box, area) for area, colour in self.grounds if colour == ground)
        if plain and not any(_overlap(box, other) for other, _ in drawn):
            self.canvas.paste(tile, box)
            drawn.append((box, ground))
        else:  # rare: overhanging ink, or a long site name in the way
            xy = (round(xy[0]), round(xy[1]))
            pen = ImageDraw.Draw(self.canvas)
            pen.text(xy, text, font=font(path, size), fill=fill)
            left, top, right, bottom = pen.textbbox(xy, text, font=font(path, size))
            drawn.append(((math.floor(left), math.floor(top), math.ceil(right),
                           math.ceil(bottom)), None))

    def encode(self, drawn: list) -> bytes:
        """The canvas as JPEG: the rows of blocks under what was drawn coded now, the rest
        copied from the background's (the same bytes as coding the whole canvas)."""
        if not self.splice:
            return _jpeg(self.canvas)
        width, height = self.size
        rows = sorted({row for box, _ in drawn[len(self.fixed):]
                       for row in range(max(box[1], 0) // ROW,
                                        (min(box[3], height) - 1) // ROW + 1)})
        if not rows:
            return _jpeg(self.canvas)
        strip = Image.new("RGB", (width, min(len(rows) * ROW,
                                             height - rows[-1] * ROW + (len(rows) - 1) * ROW)))
        run = 0
        for index, row in enumerate(rows):  # runs of consecutive rows, one copy each
            if index + 1 == len(rows) or rows[index + 1] != row + 1:
                first = rows[run]
                band = self.canvas.crop((0, first * ROW, width, min((row + 1) * ROW, height)))
                strip.paste(band, (0, run * ROW))
                run = index + 1
        _, coded = _coded_rows(_jpeg(strip))
        if len(coded) != len(rows):
            raise ValueError("JPEG: số hàng khối không khớp")
        mine = dict(zip(rows, coded))
        parts = [self.head]
        for row, background in enumerate(self.coded):
            if row:
                parts.append(_RST[(row - 1) % 8])
            parts.append(mine.get(row, background))
        parts.append(b"\xff\xd9")
        return b"".join(parts)

    def restore(self, drawn: list) -> None:
        """Put the canvas back as the background was."""
        for box, ground in drawn:
            if ground is not None:
                self.canvas.paste(ground, box)
            else:
                self.canvas.paste(self.background.crop(box), box)

    # -- layout

    def wrap(self, words: list[str], path: str, size: int, width: float) -> list[list[str]]:
        """Words in lines no wider than ``width`` (a line is as wide as its words and the
        spaces between them), broken at spaces only."""
        return wrap(words, width, lambda text: self.length(path, size, text), additive=True)

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
        text = (wrap_text(text, room, font(path, size).getlength) or [""])[0]
        if len(self.footers) > 10_000:
            self.footers.clear()
        self.footers[key] = found = (text, path, size)
        return found

    # -- a card

    def draw(self, title: str, footer: list, target: str) -> dict:
        width, height = self.size
        title = drawable(title, self.bold)
        size, lines, step = self.fit(title, width - 2 * MARGIN, height - 150 - 120 - 30)
        space = self.length(self.bold, size, " ")
        drawn = list(self.fixed)
        try:
            y = 120
            for line in lines:
                x = float(MARGIN)
                for word in line:
                    self.put((x, y), self.bold, size, word, WHITE, BRAND, drawn)
                    x += self.length(self.bold, size, word) + space
                y += step
            drawn_footer = []
            y = height - 150 + 28
            for index, choices in enumerate(line for line in footer if line):
                text, path, face = self.footer_line(
                    index, choices if isinstance(choices, str) else tuple(choices))
                if text:
                    self.put((MARGIN, y), path, face, text, WHITE if index == 0 else SOFT,
                             BRAND_DARK, drawn)
                drawn_footer.append(text)
                y += 48
                if index == 1:
                    break
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            tmp = f"{target}.tmp"
            data = self.encode(drawn)
            with open(tmp, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        finally:
            self.restore(drawn[len(self.fixed):])
        return {"title_lines": [" ".join(line) for line in lines], "title_size": size,
                "footer": drawn_footer, "brand": self.brand, "site": self.site}


@functools.lru_cache(maxsize=16)
def _ramp(fill, ground) -> list[int]:
    """A palette: entry ``a`` is ``fill`` over ``ground`` at coverage a/255, as
    :meth:`ImageDraw.text` blends anti-aliased text."""
    return [round(g + (f - g) * a / 255) for a in range(256) for f, g in zip(fill, ground)]


_RST = [bytes((0xFF, 0xD0 + n)) for n in range(8)]
_RST_ANY = re.compile(rb"\xff[\xd0-\xd7]")


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **JPEG)
    return buffer.getvalue()


def _coded_rows(data: bytes) -> tuple[bytes, list[bytes]]:
    """A baseline JPEG with a restart marker after every row of blocks: its headers (to the
    start of the scan) and the coded data of each row."""
    at = 2
    while True:
        if data[at] != 0xFF:
            raise ValueError("JPEG: sai cấu trúc")
        marker = data[at + 1]
        length = int.from_bytes(data[at + 2:at + 4], "big")
        at += 2 + length
        if marker == 0xDA:
            break
    if not data.endswith(b"\xff\xd9"):
        raise ValueError("JPEG: thiếu phần kết")
    return data[:at], _RST_ANY.split(data[at:-2])


def _inside(box, area) -> bool:
    return area[0] <= box[0] and area[1] <= box[1] and box[2] <= area[2] and box[3] <= area[3]


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@functools.lru_cache(maxsize=4)
def painter(fonts: tuple[str, str], size: tuple[int, int], brand: str, site: str) -> Painter:
    """The process's :class:`Painter` for one design."""
    return Painter(tuple(fonts), tuple(size), brand, site)


def draw(title: str, footer: list, target: str, fonts: tuple[str, str],
         size: tuple[int, int] = (1200, 630), site: str = "", brand: str = "") -> dict:
    """Draw a card to ``target`` (JPEG); returns what was drawn, for checks and tests."""
    return painter(tuple(fonts), tuple(size), brand, site).draw(title, footer, target)
