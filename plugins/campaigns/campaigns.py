"""Campaigns and themes in the build: every article tagged, every landing page enriched.

For each article the plugin runs :func:`newsroom.core.tagging.tag_article` on the article's source
(the same function ``invoke tags`` runs, so the audit and the site agree) and sets
``article.campaign`` / ``article.theme`` (slugs, read by the ``taxonomies`` plugin, which builds
``/chien-dich/<slug>/`` and ``/chu-de/<slug>/``) and ``article.tagging`` (the decisions and their
reasons). Once every generator has its context, campaign terms get their status on the build
date, featured stories, photo/video strip and per-unit counts; unit terms get their campaign
contributions; the home page gets ``running_campaigns``.

Settings (checked at start-up):

- ``NEWSROOM_TODAY``: the build date (``YYYY-MM-DD``); default today in Asia/Ho_Chi_Minh.
- ``NEWSROOM_DATA``: folder of the data files; default the project's ``data/``.
- ``CAMPAIGNS_FEATURED`` (4), ``CAMPAIGNS_MEDIA`` (8): how many featured stories and photo/video
  stories a landing page shows; ``CAMPAIGNS_MEDIA_CATEGORIES`` (``["Ảnh", "Video"]``).
"""
from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

from PIL import Image
from pelican import signals

from newsroom.core import calendar, data, schema, tagging
from plugins import fence

logger = logging.getLogger(__name__)

DEFAULTS = {
    "CAMPAIGNS_FEATURED": 4,
    "CAMPAIGNS_MEDIA": 8,
    "CAMPAIGNS_MEDIA_CATEGORIES": ["Ảnh", "Video"],
}


class CampaignSettingsError(ValueError):
    """A setting of the campaigns plugin is wrong; the build cannot be right."""


def check_settings(pelican):
    """Check the plugin's settings and data files once, before anything is read."""
    settings = pelican.settings
    for key, default in DEFAULTS.items():
        if not isinstance(settings.get(key, default), type(default)):
            raise CampaignSettingsError(
                f"plugin campaigns: {key} phải là {type(default).__name__}, ví dụ {default!r}")
    try:
        calendar.today(settings.get("NEWSROOM_TODAY"))
    except ValueError as exc:
        raise CampaignSettingsError(f"plugin campaigns: {exc}") from None
    folder = settings.get("NEWSROOM_DATA")
    if folder and not Path(folder).is_dir():
        raise CampaignSettingsError(
            f"plugin campaigns: NEWSROOM_DATA = {folder!r} không phải thư mục")
    try:
        data.campaigns(folder)
    except data.DataError as exc:
        raise CampaignSettingsError(f"plugin campaigns: {exc}") from None
    taxonomies = settings.get("TAXONOMIES") or {}
    missing = [name for name in ("campaign", "theme") if name not in taxonomies]
    if missing:
        raise CampaignSettingsError(
            "plugin campaigns: TAXONOMIES thiếu " + ", ".join(missing)
            + " (xem pelicanconf.py: chien-dich/, chu-de/)")


def _source_values(article, settings):
    """Clean values and Markdown body of an article's source, as the schema reads them."""
    path = Path(article.source_path)
    header = schema.split(schema.read_source(path))
    values, _ = schema.validate(header, path, content_root=Path(settings["PATH"]),
                                data_dir=settings.get("NEWSROOM_DATA"))
    return values, header.body


def tag_articles(generator):
    """Give every article its campaigns and themes (slugs) and the reasons."""
    settings = generator.settings
    for name in fence.ARTICLE_LISTS:
        for article in getattr(generator, name, None) or ():
            decisions = article.metadata.get("tagging")  # decided by the reader (schema)
            if decisions is not None and article.__dict__.get("_tagged_with") is decisions:
                continue  # a live session's kept article, tagged at an earlier update
            if decisions is None:
                try:
                    values, body = _source_values(article, settings)
                except (OSError, UnicodeDecodeError):
                    continue  # the schema plugin already reported this file
                decisions = tagging.tag_article(values, body, settings.get("NEWSROOM_DATA"))
            article.tagging = decisions
            article.campaign = [d.slug for d in decisions["campaign"]]
            article.theme = [d.slug for d in decisions["theme"]]
            article.metadata["campaign"] = article.campaign
            article.metadata["theme"] = article.theme
            article._tagged_with = decisions


def _is_media(article, categories) -> bool:
    return bool(getattr(article, "video", None)) or str(getattr(article, "category", "")) in \
        categories


def _size(path: Path) -> tuple:
    """A banner's width and height (the page reserves its place); (None, None) if unreadable."""
    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, ValueError):
        logger.warning("chiến dịch: không đọc được kích thước ảnh banner %s; hãy lưu lại ảnh "
                       "dạng PNG hoặc JPEG", path)
        return None, None


def enrich(generators):
    """Status, featured stories, media strip and unit counts on campaign and unit terms."""
    context = generators[0].context
    settings = {**DEFAULTS, **generators[0].settings}
    today = calendar.today(settings.get("NEWSROOM_TODAY"))
    content = Path(settings["PATH"])
    campaign_terms = context.get("campaigns") or []
    unit_terms = {t.slug: t for t in context.get("units") or []}

    contributions: dict[str, list] = {slug: [] for slug in unit_terms}
    for term in campaign_terms:
        term.status = calendar.status(term.info, today)
        term.status_label = calendar.STATUS_LABELS[term.status]
        term.family_name = data.CAMPAIGN_FAMILIES.get(term.info.get("family"), "")
        banner = term.info.get("banner")
        term.banner_url = banner if banner and (content / banner).is_file() else ""
        term.banner_width, term.banner_height = _size(content / banner) if term.banner_url \
            else (None, None)
        if banner and not term.banner_url:
            logger.warning("chiến dịch “%s”: không thấy ảnh banner content/%s; chạy "
                           "“invoke banners” để tạo", term.slug, banner)
        featured = [a for a in term.articles if getattr(a, "featured", False) is True]
        term.featured = featured[: settings["CAMPAIGNS_FEATURED"]]
        media = [a for a in term.articles
                 if _is_media(a, settings["CAMPAIGNS_MEDIA_CATEGORIES"])]
        term.media = media[: settings["CAMPAIGNS_MEDIA"]]
        counts = Counter(getattr(a, "unit", None) for a in term.articles)
        term.unit_counts = sorted(
            ((unit_terms[slug], n) for slug, n in counts.items() if slug in unit_terms),
            key=lambda item: (-item[1], item[0].name))
        for unit, n in term.unit_counts:
            contributions[unit.slug].append((term, n))
        term.theme_terms = [t for t in context.get("themes") or ()
                            if t.slug in term.info.get("themes", ())]

    for slug, unit in unit_terms.items():
        unit.campaign_counts = sorted(contributions[slug],
                                      key=lambda item: item[0].info["start"], reverse=True)

    running = [t for t in campaign_terms if t.status == calendar.RUNNING]
    context["running_campaigns"] = sorted(running, key=lambda t: t.info["end"])
    context["newsroom_today"] = today
    themes = context.get("themes") or []
    by_slug = {t.slug: t for t in themes}
    for term in themes:
        term.children = [t for t in themes if t.info.get("parent") == term.slug]
        term.parent_term = by_slug.get(term.info.get("parent"))
    context["theme_groups"] = data.THEME_GROUPS


def register():
    signals.initialized.connect(check_settings)
    signals.article_generator_finalized.connect(tag_articles)
    signals.all_generators_finalized.connect(enrich)
