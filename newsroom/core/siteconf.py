"""The few settings of the site's settings file that decide where an item is published, and the
limits of an article, read without Pelican: for the checker, the intake and the reports, which
must place an article exactly where the build will."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from newsroom.core import schema
from newsroom.core.paths import ROOT


@dataclass
class Conf:
    """The few build settings that decide where an item is published, and the limits of an
    article (``NEWSROOM_LIMITS``) that the build applies."""

    article_url: str = "{date:%Y}/{date:%m}/{slug}/"
    draft_url: str = "ban-nhap/{slug}/"
    page_url: str = "{slug}/"
    page_paths: tuple = ("pages",)
    ignore: tuple = ()
    limits: schema.Limits = schema.LIMITS


def load_conf(path: Path = ROOT / "pelicanconf.py") -> Conf:
    """Read the URL patterns and the limits from the site's settings file (without importing
    Pelican)."""
    spec = importlib.util.spec_from_file_location("_newsroom_check_conf", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Conf(
        article_url=getattr(module, "ARTICLE_URL", Conf.article_url),
        draft_url=getattr(module, "DRAFT_URL", Conf.draft_url),
        page_url=getattr(module, "PAGE_URL", Conf.page_url),
        page_paths=tuple(getattr(module, "PAGE_PATHS", ("pages",))),
        ignore=tuple(getattr(module, "IGNORE_FILES", ())),
        limits=schema.Limits.from_setting(getattr(module, "NEWSROOM_LIMITS", None)),
    )
