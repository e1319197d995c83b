"""The week's stories as the bulletin and the social posts see them: the articles of
:mod:`newsroom.articles` (the build's own schema and tagging), where the published site puts
them (``SITEURL`` and ``ARTICLE_URL`` of publishconf.py), and their cover as a small JPEG.

Covers come from reporters' folders and are untrusted: each is checked by the schema's own
image rules (size, pixels, HEIC, cut short) before Pillow opens it, re-encoded without any
metadata (no GPS), and simply left out when it cannot be read.
"""
from __future__ import annotations

import functools
import io
from pathlib import Path

from newsroom.core import schema
from newsroom.core.paths import ROOT
from newsroom.editorial import articles


class StoryError(ValueError):
    """A request the bulletin or the social posts cannot serve, said in Vietnamese."""


@functools.lru_cache(maxsize=4)
def published_site(conf: str = "publishconf.py") -> tuple[str, str]:
    """``(SITEURL, ARTICLE_URL)`` of the published site (``SITEURL`` from the environment
    wins, as in publishconf.py)."""
    from pelican.settings import read_settings

    settings = read_settings(str(ROOT / conf))
    siteurl = str(settings.get("SITEURL") or "").rstrip("/")
    if not siteurl.startswith(("https://", "http://")):
        raise StoryError(f"SITEURL “{siteurl}” của {conf} không phải địa chỉ đầy đủ. Cách sửa: "
                         "đặt SITEURL=https://congdoantkv.vn (biến môi trường hoặc publishconf.py)")
    return siteurl, settings["ARTICLE_URL"]


def read(content_dir=None, data_dir=None, conf: str = "publishconf.py", days=None
         ) -> tuple[str, list]:
    """``(siteurl, items)``: every published, listed article (``days``: only those of
    ``(first, last)``), oldest first, placed as the published site places it."""
    siteurl, article_url = published_site(conf)
    corpus = articles.read(content_dir, data_dir, article_url=article_url, days=days)
    # hidden articles have an address but are listed nowhere on the site: not here either
    return siteurl, [item for item in corpus.items if item.status == "published"]


def link(siteurl: str, item) -> str:
    """The story's address on the published site."""
    return f"{siteurl}/{item.url}"


def cover_jpeg(content_dir: Path, item, width: int = 1000, quality: int = 80) -> bytes | None:
    """The story's cover, at most ``width`` pixels wide, as a JPEG without metadata; None when
    it has none or it cannot be used."""
    from PIL import Image, ImageOps

    if not item.image:
        return None
    path = Path(content_dir) / item.image
    try:
        if not path.is_file() or schema.image_problem(path) is not None:
            return None
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((width, width * 2))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=quality, optimize=True)
        return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
