"""Branded social cards (1200×630) for articles without a cover photo: the title in Vietnamese
in a bundled open-licence font, wrapped at spaces and shrunk until it fits, then the unit and
the campaign. Characters the font lacks (emoji...) are left out rather than drawn as boxes.

A card is flat colour and text, so it is a palette PNG (Facebook, Zalo and X take PNG for
``og:image``): the few colours of the design and, for each text colour on each ground,
:data:`LEVELS` steps of anti-aliasing between them (:class:`Palette`). That looks as the
card drawn in full colour (under a tenth of a level of difference a pixel on average) in a
quarter of the bytes of the JPEG it used to be.

Thousands of cards are drawn in one build, so what every card shares is made once per worker
process and kept (:class:`Painter`): the background with the bars, the site's name and the
brand; the loaded fonts; the width of every word and footer line seen, and its rendering (a
small palette tile whose entries are the text already blended on the plain colour under it)
in a cache bounded in bytes. A card is then a few tiles copied onto the background, saved,
and the background put back: a title is set word by word, each word where the whole line
would put it, so the card looks as when the line was drawn in one go."""
from __future__ import annotations

import functools
import io
import math
import os
import zlib
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
VERSION = "4"
#: Steps of anti-aliasing of a text colour on a ground (both ends included): 32 look as the
#: 256 of a full-colour card and keep the palette small (what zlib codes best).
LEVELS = 32
#: Text colour on ground colour, as the design uses them: brand name, title, footer.
RAMPS = ((SOFT, BRAND), (WHITE, BRAND), (WHITE, BRAND_DARK), (SOFT, BRAND_DARK))
#: zlib's level: 9 saves a tenth of the bytes for ten times the CPU.
LEVEL = 6
BAND = 16  # rows of the card coded together (see Painter.encode)
#: The file of a drawn card in its cache folder (a cover's card is ``og.jpg``).
FILE = "og.png"
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


class Palette:
    """The card's colours: the design's plain ones, then for each of :data:`RAMPS` the
    :data:`LEVELS` − 2 blends between its text and ground colour, each colour once."""

    def __init__(self, plain=(BRAND, BRAND_DARK, ACCENT, WHITE, SOFT), ramps=RAMPS,
                 levels: int = LEVELS):
        self.colours: list[tuple] = list(dict.fromkeys(plain))
        self.luts: dict[tuple, list[int]] = {}
        for fill, ground in ramps:
            steps = [self.index(_blend(fill, ground, round(255 * k / (levels - 1))))
                     for k in range(levels)]
            # coverage 0–255 (as FreeType renders it) to the nearest step's colour
            self.luts[(fill, ground)] = [steps[round(a * (levels - 1) / 255)]
                                         for a in range(256)]
        if len(self.colours) > 256:
            raise ValueError("thẻ chia sẻ: bảng màu quá 256 màu, hãy giảm LEVELS")
        self.image = Image.new("P", (1, 1))
        self.image.putpalette([v for colour in self.colours for v in colour])

    def index(self, colour: tuple) -> int:
        if colour not in self.colours:
            self.colours.append(colour)
        return self.colours.index(colour)

    def quantize(self, image: Image.Image) -> Image.Image:
        """An RGB image in these colours (each pixel the nearest, no dithering)."""
        return image.quantize(palette=self.image, dither=Image.Dither.NONE)


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
        self.palette = Palette()
        self.plain = image  # the background in full colour, as drawn
        self.background = self.palette.quantize(image)
        # Where the background is one plain colour (text tiles are copied only there), and
        # the ink already on it; a card is drawn on ``canvas``, then it is put back.
        self.grounds = [((19, 0, width, height - 150), BRAND),
                        ((19, height - 150, width, height), BRAND_DARK)]
        self.fixed = [(pen.textbbox((MARGIN, 52), self.brand.upper(), font=font(self.medium, 30)),
                       None)]
        if site:
            self.fixed.append((pen.textbbox((width - MARGIN - face.getlength(site),
                                             height - 150 + 30), site, font=face), None))
        self.canvas = self.background.copy()
        # The background's rows coded once, in bands of BAND rows each compressed on its own:
        # a card codes only the bands it wrote on and takes the others from here.
        whole = _png(self.background)
        self.head = whole[:whole.index(b"IDAT") - 4]  # signature, header, palette
        self.bands = [(top, min(top + BAND, height)) for top in range(0, height, BAND)]
        self.raw = [_rows(self.background, band) for band in self.bands]
        self.coded = [_deflate(raw) for raw in self.raw]

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
        as big as its ink, in the card's palette: each pixel the step of ``fill`` blended on
        the plain ``ground`` nearest its coverage, so it is copied onto the card as drawing
        the text there would blend it."""
        key = (path, size, text, fill, ground)
        found = self.tiles.get(key)
        if found is not None:
            self.tiles.move_to_end(key)
            return found
        face = font(path, size)
        mask, offset = face.getmask2(text, "L")
        coverage = Image.new("L", mask.size)
        ImageDraw.Draw(coverage).text((-offset[0], -offset[1]), text, font=face, fill=255)
        tile = Image.frombytes("P", coverage.size,
                               coverage.point(self.palette.luts[(fill, ground)]).tobytes())
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
            drawn.append((self.blend(xy, path, size, text, fill), None))

    def blend(self, xy, path: str, size: int, text: str, fill) -> tuple:
        """Draw ``text`` over whatever is under it, as ImageDraw blends it in full colour,
        then in the palette; returns the box redrawn."""
        xy = (round(xy[0]), round(xy[1]))
        face = font(path, size)
        left, top, right, bottom = ImageDraw.Draw(self.plain).textbbox(xy, text, font=face)
        width, height = self.size
        box = (max(math.floor(left), 0), max(math.floor(top), 0),
               min(math.ceil(right), width), min(math.ceil(bottom), height))
        if box[2] <= box[0] or box[3] <= box[1]:
            return (0, 0, 0, 0)
        region = self.canvas.crop(box).convert("RGB")
        ImageDraw.Draw(region).text((xy[0] - box[0], xy[1] - box[1]), text, font=face,
                                    fill=fill)
        self.canvas.paste(self.palette.quantize(region), box)
        return box

    def encode(self, drawn: list) -> bytes:
        """The canvas as PNG: the bands of rows under what was drawn coded now, the others
        copied from the background's, in one zlib stream (each band a run of deflate blocks
        of its own, ending on a byte: they join as they are)."""
        touched = {n for box, _ in drawn[len(self.fixed):] for n, (top, bottom)
                   in enumerate(self.bands) if box[1] < bottom and box[3] > top}
        check, parts = 1, [b"\x78\x9c"]  # zlib header: deflate, 32 KB window
        for n, band in enumerate(self.bands):
            raw = _rows(self.canvas, band) if n in touched else self.raw[n]
            check = zlib.adler32(raw, check)
            parts.append(_deflate(raw) if n in touched else self.coded[n])
        parts.append(b"\x03\x00" + check.to_bytes(4, "big"))  # last, empty block; checksum
        return self.head + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")

    def restore(self, drawn: list) -> None:
        """Put the canvas back as the background was."""
        for box, ground in drawn:
            if ground is not None:
                self.canvas.paste(self.palette.index(ground), box)
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


def _blend(fill, ground, coverage: int) -> tuple:
    """``fill`` over ``ground`` at ``coverage``/255, as ImageDraw blends anti-aliased text."""
    return tuple(round(g + (f - g) * coverage / 255) for f, g in zip(fill, ground))


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=LEVEL)
    return buffer.getvalue()


def _rows(image: Image.Image, band: tuple[int, int]) -> bytes:
    """The rows ``band`` of a palette image as PNG codes them: each a 0 (no filter), then
    its pixels."""
    width = image.size[0]
    data = image.crop((0, band[0], width, band[1])).tobytes()
    return b"".join(b"\0" + data[at:at + width] for at in range(0, len(data), width))


def _deflate(raw: bytes) -> bytes:
    """``raw`` as deflate blocks with no reference before it, ending on a whole byte."""
    coder = zlib.compressobj(LEVEL, zlib.DEFLATED, -15, 9)
    return coder.compress(raw) + coder.flush(zlib.Z_FULL_FLUSH)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (len(data).to_bytes(4, "big") + kind + data
            + zlib.crc32(kind + data).to_bytes(4, "big"))


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
    """Draw a card to ``target`` (PNG); returns what was drawn, for checks and tests."""
    return painter(tuple(fonts), tuple(size), brand, site).draw(title, footer, target)
