"""``invoke social``: ready-to-paste posts for the fanpages and the Zalo groups.

For one article (``--article`` slug, address or file) or everything published since a date
(``--since``; default the last 7 days), each article gets a Facebook post and a Zalo post: the
title, one or two sentences (the summary; for a legal-advice item, the reader's question), the
hashtags of its campaigns (``hashtags`` in data/campaigns.yml, their one place) and its address
with a campaign tag (``?utm_source=facebook&utm_medium=social&utm_campaign=<chiến dịch>``),
plus the picture to attach: the share image the build made (``output/anh/og/<slug>.jpg`` cut
from the cover, ``.png`` drawn), else the cover re-encoded without metadata. Everything is gathered in one local page with copy
buttons, ``reports/mang-xa-hoi/<tên>/index.html`` (never published, not in git), rendered by
Jinja with autoescape on: a hostile title is shown as text, and the copy buttons copy the text
of the post, never markup.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import jinja2

from newsroom.core import data, safefs
from newsroom.core.dates import TZ, local, parse_date, vn_datetime
from newsroom.core.paths import ROOT
from newsroom.core.text import slugify
from newsroom.editorial import stories
from newsroom.editorial.report import ReportError, check_out_dir
TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_DAYS = 7
MOST = 200  # posts on one page
LEGAL = "tu-van-phap-luat"
#: Where each kind of post goes: the outlet (data/outlets.yml) its article's ``Sent_to:`` then
#: names, so the report counts what was posted (section "Gửi Cổng TTĐT và báo chí").
PAGES = {"facebook": "fanpage-cong-doan-tkv", "facebook_legal": "fanpage-tu-van-phap-luat",
         "zalo": "zalo"}
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")


class SocialError(stories.StoryError):
    """The posts cannot be made as asked; the message says why and how to fix it."""


@dataclass
class Post:
    title: str
    url: str
    date: str
    unit: str
    source: str  # the article file, for Sent_to:
    facebook: str
    zalo: str
    facebook_link: str
    zalo_link: str
    facebook_page: str  # the outlet's name
    hashtags: list[str]
    image: str = ""  # relative to the page
    image_note: str = ""
    outlets: list[str] = field(default_factory=list)


def tagged_link(url: str, source: str, campaign: str) -> str:
    """``url`` with the campaign tag a shared link carries (kept through the server's
    redirects, deploy/nginx)."""
    return f"{url}?{urlencode({'utm_source': source, 'utm_medium': 'social', 'utm_campaign': campaign})}"


def sentences(text: str, most: int = 2, limit: int = 400) -> str:
    """The first ``most`` sentences of ``text``, at most about ``limit`` characters."""
    parts = _SENTENCE.split(" ".join(text.split()))
    kept = " ".join(parts[:most])
    return kept if len(kept) <= limit else kept[:limit].rsplit(" ", 1)[0] + "…"


def hashtags_of(item, campaigns: dict) -> list[str]:
    tags: list[str] = []
    for slug in item.campaigns:
        for tag in campaigns.get(slug, {}).get("hashtags", ()):
            if tag not in tags:
                tags.append(tag)
    return tags


def _post(item, siteurl: str, campaigns: dict, outlets: dict, units: dict) -> Post:
    url = stories.link(siteurl, item)
    tag = item.campaigns[0] if item.campaigns else (item.category_slug or "tin-bai")
    legal = item.category_slug == LEGAL
    words = sentences(item.question if legal and item.question else item.summary)
    hashtags = hashtags_of(item, campaigns)
    fb_link, zalo_link = tagged_link(url, "facebook", tag), tagged_link(url, "zalo", tag)
    lines = [item.title, "", words] if words else [item.title]
    tail = [" ".join(hashtags)] if hashtags else []
    page = PAGES["facebook_legal" if legal else "facebook"]
    return Post(
        title=item.title, url=url, date=vn_datetime(item.date),
        unit=units.get(item.unit, {}).get("short", item.unit), source=item.path,
        facebook="\n".join([*lines, "", f"Đọc tiếp: {fb_link}", *([""] + tail if tail else [])]),
        zalo="\n".join([item.title, *([words] if words else []), zalo_link, *tail]),
        facebook_link=fb_link, zalo_link=zalo_link, hashtags=hashtags,
        facebook_page=outlets.get(page, {}).get("name", page),
        outlets=[p for p in (page, PAGES["zalo"]) if p in outlets])


def _find(items, wanted: str):
    """The article ``wanted`` names: its slug, its address (with or without the site), or its
    file."""
    key = wanted.strip()
    path = urlsplit(key).path.strip("/") if "://" in key or "/" in key else ""
    for item in items:
        if key in (item.slug, item.path) or (path and path in (item.url.strip("/"),
                                                                 item.path)):
            return item
    slug = slugify(Path(path).name if path.endswith(".md") else (path.rsplit("/", 1)[-1] or key))
    for item in items:
        if slug and slug == item.slug:
            return item
    near = difflib.get_close_matches(slug or key, [i.slug for i in items], n=3, cutoff=0.5)
    raise SocialError(f"không có bài “{wanted}” trong các bài đã đăng"
                      + (f"; có phải là: {', '.join(near)}?" if near else "")
                      + ". Cách sửa: ghi slug của bài (phần cuối địa chỉ bài, ví dụ "
                        "“tho-lo-mao-khe-thi-tay-nghe-gioi”), địa chỉ bài, hoặc đường dẫn tệp bài")


def choose(items, article=None, since=None, today: dt.date | None = None):
    """``(name, label, items)`` for one article or those published since a date."""
    if article and since:
        raise SocialError("chọn hoặc --article, hoặc --since, không dùng cả hai")
    if article:
        item = _find(items, article)
        return f"bai-{item.slug}", f"bài “{item.title}”", [item]
    today = today or dt.datetime.now(TZ).date()
    if since:
        try:
            start = parse_date(str(since)).date()
        except ValueError as exc:
            raise SocialError(f"--since: {exc}") from None
    else:
        start = today - dt.timedelta(days=DEFAULT_DAYS)
    if start > today:
        raise SocialError(f"ngày {start:%d/%m/%Y} chưa tới. Cách sửa: chọn một ngày đã qua")
    chosen = [i for i in items if start <= local(i.date).date() <= today]
    if not chosen:
        raise SocialError(f"không có bài nào đăng từ {start:%d/%m/%Y} đến {today:%d/%m/%Y}. "
                          "Cách sửa: chọn ngày sớm hơn (--since 2026-11-01), hoặc một bài "
                          "(--article slug-cua-bai)")
    return f"tu-{start:%Y-%m-%d}", f"các bài đăng từ {start:%d/%m/%Y}", chosen[-MOST:][::-1]


def _attach(item, post: Post, kit: Path, content_dir: Path, output_dir: Path) -> None:
    """Put the picture to attach beside the page: the build's share image (``.jpg`` cut from
    the cover, ``.png`` drawn), else the cover."""
    for suffix in (".jpg", ".png"):
        name = f"{item.slug}{suffix}"
        card = output_dir / "anh" / "og" / name
        if card.is_file() and not card.is_symlink():
            target = safefs.inside(kit, "anh", name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(card, target)
            post.image, post.image_note = f"anh/{name}", "ảnh chia sẻ của bài (1200×630)"
            return
    name = f"{item.slug}.jpg"
    target = safefs.inside(kit, "anh", name)
    target.parent.mkdir(parents=True, exist_ok=True)
    cover = stories.cover_jpeg(content_dir, item, width=1200, quality=85)
    if cover:
        target.write_bytes(cover)
        post.image, post.image_note = f"anh/{name}", "ảnh đại diện của bài"
    else:
        post.image_note = ("chưa có ảnh: chạy “invoke build” để có ảnh chia sẻ, hoặc đăng "
                           "không ảnh (Facebook, Zalo tự lấy ảnh từ đường dẫn)")


@dataclass
class Kit:
    page: Path
    posts: list[Post]


def make(article=None, since=None, *, content_dir=None, data_dir=None, out=None,
         output_dir=None, today: dt.date | None = None, conf: str = "publishconf.py") -> Kit:
    """Write the page of posts; ``out`` defaults to ``reports/mang-xa-hoi/``."""
    content_dir = Path(content_dir or ROOT / "content")
    siteurl, items = stories.read(content_dir, data_dir, conf)
    name, label, chosen = choose(items, article, since, today)
    try:
        root = check_out_dir(Path(out) if out else ROOT / "reports" / "mang-xa-hoi", content_dir)
    except ReportError as exc:
        raise SocialError(str(exc).replace("báo cáo", "bài đăng mạng xã hội")) from None
    kit = safefs.inside(root, name)
    kit.mkdir(parents=True, exist_ok=True)
    campaigns, outlets, units = data.campaigns(data_dir), data.outlets(data_dir), data.units(data_dir)
    posts = []
    for item in chosen:
        post = _post(item, siteurl, campaigns, outlets, units)
        _attach(item, post, kit, content_dir, Path(output_dir or ROOT / "output"))
        posts.append(post)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    html = env.get_template("social.html").render(
        label=label, posts=posts, made=vn_datetime(dt.datetime.now(TZ)), outlets=outlets)
    page = safefs.inside(kit, "index.html")
    page.write_text(html, encoding="utf-8")
    return Kit(page, posts)
