"""``invoke bulletin``: "Bản tin Công đoàn TKV", the week's news as an A4 PDF of 2–4 pages for
the notice boards of shift rooms, where many workers who spend the day underground read it.

The week (ISO, Monday–Sunday, Vietnam time; by default the last full one) or a period is read
through :mod:`newsroom.editorial.stories` (the site's own schema, tagging and addresses). Page
one: the masthead with the week and the running campaigns, then the lead stories with photo,
summary and a QR code to each story's page; page two: the other stories, the legal-advice item
of the week, the other items by unit, and where to read more. The HTML is rendered by Jinja
(autoescape on: titles are text, never markup), with the site's typeface Be Vietnam Pro, the
photos and the QR codes (``segno``) inline, and printed by Debian's Chromium (through
Playwright) with JavaScript off and no network. Black on white, photos apart: it prints as
well on a black-and-white printer as in colour.

The PDF and a small description (``.json``) are written to ``content/ban-tin/``, from where the
next build publishes them (``plugins/bulletins``: ``/ban-tin/<tên>.pdf``, an index page and a
feed).
"""
from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from newsroom.core import data, safefs
from newsroom.core.dates import TZ, local, vn_date
from newsroom.core.paths import ROOT
from newsroom.core.text import nfc
from newsroom.editorial import stories
from newsroom.editorial.report import Period, ReportError, Week, period as report_period

TEMPLATES = Path(__file__).resolve().parent / "templates"
FONTS = ROOT / "theme" / "static" / "fonts"
SITE_CSS = ROOT / "theme" / "static" / "css" / "site.css"
FOLDER = "ban-tin"
LEADS = 4  # stories with photo and QR code: three on page one, one on page two
OTHERS = 60  # other items listed at most (fewer if they would not fit in four pages)
MAX_PAGES = 4
SUMMARY_CHARS = 320
QUESTION_CHARS = 420
#: How a lead is chosen among the week's items: featured, with a photo, the kind of item, in a
#: campaign, then the newest.
KIND_WEIGHT = {"bai-viet-phong-su": 3, "guong-dien-hinh": 3, "tin-tuc": 2, "anh": 2, "video": 1}
LEGAL = "tu-van-phap-luat"
#: The sample content's period shown in the README (Tháng Công nhân 2020: photos, legal advice).
SAMPLE = ("2020-05-11", "2020-05-31")

_WEEK = re.compile(r"^\s*(?:(?P<y>\d{4})\s*-?\s*[Ww]?\s*(?P<w>\d{1,2})"
                   r"|[Ww]?(?P<w2>\d{1,2})\s*/\s*(?P<y2>\d{4}))\s*$")
WEEK_FORMS = "2026-W49 (hoặc 2026-49, 49/2026)"


class BulletinError(stories.StoryError):
    """The bulletin cannot be made as asked; the message says why and how to fix it."""


@dataclass
class Story:
    title: str
    url: str
    unit: str
    category: str
    date: str
    summary: str = ""
    photo: str = ""  # data: URI of the cover
    photo_alt: str = ""
    qr: str = ""  # data: URI of the QR code (SVG)
    question: str = ""
    laws: tuple[str, ...] = ()


@dataclass
class Edition:
    name: str  # file name without extension: "2026-49" or "2026-11-23-den-2026-12-06"
    label: str  # "Tuần 49/2026"
    span: Period
    leads: list[Story]
    legal: Story | None
    others: list[Story]
    campaigns: list[dict]
    siteurl: str
    total: int = 0
    shown_others: int = field(default=OTHERS)

    @property
    def dates(self) -> str:
        return f"{self.span.start:%d/%m}–{self.span.end:%d/%m/%Y}"

    def by_unit(self) -> list[tuple[str, list[Story]]]:
        groups: dict[str, list[Story]] = {}
        for story in self.others[:self.shown_others]:
            groups.setdefault(story.unit, []).append(story)
        return sorted(groups.items(), key=lambda pair: pair[0])

    @property
    def hidden(self) -> int:
        return max(0, len(self.others) - self.shown_others)

    @property
    def chosen(self) -> list[Story]:
        """Every story the bulletin prints the title of."""
        return [*self.leads, *([self.legal] if self.legal else []),
                *self.others[:self.shown_others]]


# ---------------------------------------------------------------- which days

def parse_week(text: str) -> Week:
    """``2026-W49``, ``2026-49`` or ``49/2026`` as an ISO week."""
    match = _WEEK.match(str(text))
    if not match:
        raise BulletinError(f"không đọc được tuần “{text}”. Cách sửa: viết --week {WEEK_FORMS}")
    year = int(match["y"] or match["y2"])
    number = int(match["w"] or match["w2"])
    try:
        dt.date.fromisocalendar(year, number, 1)
    except ValueError:
        last = dt.date(year, 12, 28).isocalendar()[1]
        raise BulletinError(f"năm {year} không có tuần {number} (tuần ISO từ 1 đến {last}). "
                            f"Cách sửa: chọn tuần từ 1 đến {last}, ví dụ --week {year}-W{last}"
                            ) from None
    return Week(year, number)


def choose(week=None, start=None, end=None, today: dt.date | None = None
           ) -> tuple[str, str, Period]:
    """``(name, label, period)``: the week asked, the period --from/--to, or by default the
    last full week before ``today`` (Vietnam time)."""
    today = today or dt.datetime.now(TZ).date()
    if week and (start or end):
        raise BulletinError("chọn hoặc --week, hoặc --from/--to, không dùng cả hai")
    if start or end:
        if not (start and end):
            raise BulletinError("cần cả --from và --to, ví dụ --from 2026-11-23 --to 2026-12-06")
        try:
            span = report_period(start, end, today=today)
        except ReportError as exc:
            raise BulletinError(f"{exc}. Ngày viết dạng 2026-11-30 hoặc 30/11/2026") from None
        if span.days > 31:
            raise BulletinError(f"từ {span.start:%d/%m/%Y} đến {span.end:%d/%m/%Y} là "
                                f"{span.days} ngày; bản tin in gồm tối đa 31 ngày. Cách sửa: "
                                "chọn khoảng ngắn hơn, hoặc làm từng tuần (--week)")
        name = f"{span.start:%Y-%m-%d}-den-{span.end:%Y-%m-%d}"
        return name, f"{span.start:%d/%m}–{span.end:%d/%m/%Y}", span
    chosen = parse_week(week) if week else Week.of(today - dt.timedelta(days=today.weekday() + 7))
    if chosen.monday > today:
        raise BulletinError(f"{chosen.label} ({chosen.span}) chưa bắt đầu. Cách sửa: chọn một "
                            "tuần đã qua, hoặc bỏ --week để làm bản tin tuần trước")
    return f"{chosen.year}-{chosen.number:02d}", chosen.label, Period(chosen.monday,
                                                                      chosen.sunday)


# ---------------------------------------------------------------- what goes in

def _rank(item) -> tuple:
    return (item.featured, bool(item.image), KIND_WEIGHT.get(item.category_slug, 0),
            bool(item.campaigns), item.date)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _qr(url: str) -> str:
    import segno

    return segno.make(url, error="m").svg_data_uri(dark="#000", light="#fff", border=4)


def _story(item, siteurl: str, units: dict, content_dir: Path, lead: bool) -> Story:
    url = stories.link(siteurl, item)
    story = Story(title=item.title, url=url, unit=units.get(item.unit, {}).get(
        "short", item.unit), category=item.category, date=vn_date(item.date))
    if lead:
        story.summary = _clip(item.summary, SUMMARY_CHARS)
        story.qr = _qr(url)
        story.question = _clip(item.question, QUESTION_CHARS)
        story.laws = item.laws
        photo = stories.cover_jpeg(content_dir, item)
        if photo:
            story.photo = "data:image/jpeg;base64," + base64.b64encode(photo).decode()
            story.photo_alt = item.image_alt
    return story


def edition(name: str, label: str, span: Period, *, content_dir=None, data_dir=None,
            conf: str = "publishconf.py") -> Edition:
    """What the bulletin of ``span`` holds; a period without a published item is refused."""
    content_dir = Path(content_dir or ROOT / "content")
    siteurl, items = stories.read(content_dir, data_dir, conf, days=(span.start, span.end))
    week = [item for item in items if span.contains(item.date)]
    if not week:
        raise BulletinError(f"{label} ({span.start:%d/%m/%Y}–{span.end:%d/%m/%Y}) không có "
                            "tin, bài nào đã đăng, nên không có gì để in. Cách sửa: chọn tuần "
                            "khác (--week 2026-W48), hoặc kiểm tra bài đã được duyệt và đăng")
    units = data.units(data_dir)
    legal = [i for i in week if i.category_slug == LEGAL]
    legal_item = max(legal, key=_rank) if legal else None
    rest = sorted((i for i in week if i is not legal_item), key=_rank, reverse=True)
    leads, others = rest[:LEADS], sorted(rest[LEADS:], key=lambda i: i.date)
    running = [c for c in data.campaigns(data_dir).values()
               if c["start"] <= span.end and c["end"] >= span.start]
    return Edition(
        name=name, label=label, span=span, siteurl=siteurl, total=len(week),
        leads=[_story(i, siteurl, units, content_dir, True) for i in leads],
        legal=_story(legal_item, siteurl, units, content_dir, True) if legal_item else None,
        others=[_story(i, siteurl, units, content_dir, False) for i in others],
        campaigns=[{"name": c["name"], "slogan": c["slogan"]} for c in running])


# ---------------------------------------------------------------- the page and the PDF

def font_faces() -> str:
    """The site's ``@font-face`` rules (site.css, one place for the typeface and its
    unicode ranges), each font file inline: a printed page loads nothing from anywhere."""
    css = SITE_CSS.read_text(encoding="utf-8")
    faces = re.findall(r"@font-face\{[^}]*\}", css)

    def inline(match):
        name = Path(match[1]).name
        payload = base64.b64encode(safefs.inside(FONTS, name).read_bytes()).decode()
        return f"url(data:font/woff2;base64,{payload})"

    return "\n".join(re.sub(r"url\(\.\./fonts/([^)]+)\)", inline, face) for face in faces)


def render_html(issue: Edition, made: dt.datetime | None = None, data_dir=None) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    info = data.site_info(data_dir)
    return env.get_template("bulletin.html").render(
        issue=issue, fonts=font_faces(), info=info, home_qr=_qr(issue.siteurl + "/"),
        made=local(made or dt.datetime.now(TZ)), sitename="Công đoàn Than – Khoáng sản Việt Nam")


def _pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def print_pdf(issue: Edition, made=None, data_dir=None) -> tuple[bytes, int]:
    """The PDF and its page count; other items are listed fewer until it fits four pages."""
    from playwright.sync_api import sync_playwright

    from newsroom.core.chromium import CHROME_FLAGS, CHROMIUM

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_FLAGS, headless=True)
        try:
            context = browser.new_context(java_script_enabled=False, offline=True)
            page = context.new_page()
            issue.shown_others = min(len(issue.others), OTHERS)
            while True:
                page.set_content(render_html(issue, made, data_dir), wait_until="load")
                pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True,
                               tagged=True)
                count = _pages(pdf)
                if count <= MAX_PAGES or issue.shown_others == 0:
                    return pdf, count
                issue.shown_others = int(issue.shown_others * 0.7)
        finally:
            browser.close()


# ---------------------------------------------------------------- the task

@dataclass
class Made:
    pdf: Path
    description: Path
    pages: int
    stories: int
    seconds: float
    issue: Edition


def describe(issue: Edition, pages: int, size: int, made: dt.datetime) -> dict:
    """What the site's index page and feed say of a bulletin (``<tên>.json``)."""
    return {"name": issue.name, "label": issue.label, "from": issue.span.start.isoformat(),
            "to": issue.span.end.isoformat(), "made": made.isoformat(timespec="seconds"),
            "pages": pages, "bytes": size, "items": issue.total,
            "campaigns": [c["name"] for c in issue.campaigns],
            "stories": [{"title": s.title, "url": s.url} for s in issue.leads]}


def make(week=None, start=None, end=None, *, content_dir=None, data_dir=None, out=None,
         today: dt.date | None = None, conf: str = "publishconf.py") -> Made:
    """Make the bulletin; write ``<out>/<name>.pdf`` and ``<name>.json`` (default
    ``content/ban-tin/``)."""
    began = time.perf_counter()
    content_dir = Path(content_dir or ROOT / "content")
    name, label, span = choose(week, start, end, today)
    issue = edition(name, label, span, content_dir=content_dir, data_dir=data_dir, conf=conf)
    made_at = dt.datetime.now(TZ)
    pdf, pages = print_pdf(issue, made_at, data_dir)
    folder = Path(out) if out else content_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    target = safefs.inside(folder, f"{name}.pdf")
    about = safefs.inside(folder, f"{name}.json")
    safefs.write_durable(target, pdf)
    text = json.dumps(describe(issue, pages, len(pdf), made_at), ensure_ascii=False, indent=1)
    safefs.write_durable(about, nfc(text).encode("utf-8") + b"\n")
    return Made(target, about, pages, len(issue.chosen), time.perf_counter() - began, issue)


def summary(made: Made) -> str:
    issue = made.issue
    lines = [f"Đã làm bản tin {issue.label} ({issue.dates}): {made.pdf} "
             f"({made.pages} trang A4, {made.pdf.stat().st_size // 1024} KB), "
             f"{len(issue.leads)} tin chính, {'1 bài' if issue.legal else 'không có bài'} "
             f"tư vấn pháp luật, {min(len(issue.others), issue.shown_others)} tin khác "
             f"({made.seconds:.1f} giây)."]
    if issue.hidden:
        lines.append(f"Không đủ chỗ cho {issue.hidden} tin khác: bản tin ghi “và "
                     f"{issue.hidden} tin, bài khác tại {issue.siteurl}”.")
    lines.append("Bản tin lên trang ở lần dựng, xuất bản tới (/ban-tin/); nhớ commit hai tệp "
                 "này (hoặc dùng --commit).")
    return "\n".join(lines)
