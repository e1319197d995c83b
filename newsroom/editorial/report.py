"""The internal report for Ban Tuyên giáo (``invoke report``): units against their weekly quota,
campaign and theme coverage, items sent to the national union portal and the press, and the
press and social-media monitoring, as one HTML page (inline SVG charts, phone-readable,
printable) plus CSV files for spreadsheets.

Articles are read by :mod:`newsroom.editorial.articles` (the build's own schema and tagging), clippings by
:mod:`newsroom.editorial.clippings`, the lists (units and their quota, outlets, campaigns, themes,
categories) through :mod:`newsroom.core.data`. :func:`build` computes every table once; the CSV files
and the HTML are both written from those rows, so their figures cannot disagree.

Weeks are ISO 8601 weeks (Monday to Sunday) of Vietnam time (Asia/Ho_Chi_Minh); a week that the
period only partly covers counts pro rata (:meth:`Period.target`): its quota is the weekly quota
× its days in the period ÷ 7, rounded; a share that rounds to nothing is not judged, and the
period's label says how many whole weeks and days it holds.
"""
from __future__ import annotations

import csv
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from newsroom.core import data
from newsroom.core.dates import TZ, local, parse_date, vn_date, vn_datetime
from newsroom.core.paths import ROOT
from newsroom.editorial import articles, charts, clippings

TEMPLATES = Path(__file__).resolve().parent / "templates"
SILENT_DAYS = 14
TONE_COLOURS = {"positive": "#2e8b57", "neutral": "#9aa5b1", "negative": "#c0392b"}
PALETTE = ("#1f6f8b", "#e67e22", "#8e44ad", "#16a085", "#c0392b", "#2c3e50", "#d4ac0d")


class ReportError(ValueError):
    """The report cannot be made as asked (bad dates, an output folder that would publish)."""


# ---------------------------------------------------------------- period, weeks and months

@dataclass(frozen=True)
class Week:
    """An ISO week (Monday–Sunday, Vietnam time)."""

    year: int
    number: int

    @property
    def monday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def key(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def label(self) -> str:
        return f"Tuần {self.number}/{self.year}"

    @property
    def span(self) -> str:
        return f"{self.monday:%d/%m}–{self.sunday:%d/%m/%Y}"

    @classmethod
    def of(cls, day: dt.date) -> "Week":
        year, number, _ = day.isocalendar()
        return cls(year, number)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    def __post_init__(self):
        if self.end < self.start:
            raise ReportError(f"ngày kết thúc {self.end:%d/%m/%Y} sớm hơn ngày bắt đầu "
                              f"{self.start:%d/%m/%Y}; hãy đổi lại --from/--to")

    def contains(self, when: dt.datetime | dt.date) -> bool:
        day = local(when).date() if isinstance(when, dt.datetime) else when
        return self.start <= day <= self.end

    @property
    def weeks(self) -> list[Week]:
        result, day = [], self.start - dt.timedelta(days=self.start.weekday())
        while day <= self.end:
            result.append(Week.of(day))
            day += dt.timedelta(days=7)
        return result

    @property
    def months(self) -> list[tuple[int, int]]:
        result, (year, month) = [], (self.start.year, self.start.month)
        while (year, month) <= (self.end.year, self.end.month):
            result.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return result

    def days_in_month(self, year: int, month: int) -> int:
        first = dt.date(year, month, 1)
        last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1))
        return (min(last, self.end) - max(first, self.start)).days + 1

    @property
    def partial_weeks(self) -> list[Week]:
        return [w for w in self.weeks if w.monday < self.start or w.sunday > self.end]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def days_in(self, week: Week) -> int:
        """The days of ``week`` inside the period (1 to 7)."""
        return (min(week.sunday, self.end) - max(week.monday, self.start)).days + 1

    def target(self, week: Week, per_week: int) -> int | None:
        """What ``week`` asks of a weekly quota ``per_week``: all of it for a whole week, the
        share of its days in the period (rounded) for a partial one; None when that share
        rounds to nothing: the week is then not judged."""
        days = self.days_in(week)
        if days == 7:
            return per_week
        return int(per_week * days / 7 + 0.5) or None

    @property
    def label(self) -> str:
        """How long the period is, true to its days: "22 ngày: 3 tuần trọn và 1 ngày của
        tuần 50/2026"."""
        whole = [w for w in self.weeks if self.days_in(w) == 7]
        parts = [f"{self.days_in(w)} ngày của tuần {w.number}/{w.year}"
                 for w in self.partial_weeks]
        if not parts:
            return f"{len(whole)} tuần, {self.days} ngày"
        return f"{self.days} ngày: " + " và ".join(
            ([f"{len(whole)} tuần trọn"] if whole else []) + [", ".join(parts)])

    @property
    def slug(self) -> str:
        return f"{self.start:%Y-%m-%d}_{self.end:%Y-%m-%d}"


def _day(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return local(value).date()
    if isinstance(value, dt.date):
        return value
    try:
        return parse_date(str(value)).date()
    except ValueError as exc:
        raise ReportError(str(exc)) from None


def period(start=None, end=None, today: dt.date | None = None) -> Period:
    """The report period; by default the last four ISO weeks up to today (Vietnam time)."""
    today = today or dt.datetime.now(TZ).date()
    end_day = _day(end) if end not in (None, "") else today
    if start in (None, ""):
        start_day = end_day - dt.timedelta(days=end_day.weekday() + 21)
    else:
        start_day = _day(start)
    return Period(start_day, end_day)


def month_label(year: int, month: int) -> str:
    return f"{month:02d}/{year}"


# ---------------------------------------------------------------- the report's tables

@dataclass
class Table:
    """Rows for one CSV file (and the HTML table drawn from the same rows)."""

    filename: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)


@dataclass
class Report:
    period: Period
    generated: dt.datetime
    silent_days: int
    tables: dict[str, Table]
    summary: dict
    sections: dict
    problems: list
    charts: dict[str, str]


def _met(count: int, target: int | None) -> str:
    return "Không tính" if target is None else "Có" if count >= target else "Không"


def _pct(part: int, whole: int) -> int:
    return int(part * 100 / whole + 0.5) if whole else 0


@dataclass
class _Inputs:
    """What every section of the report reads: the period, the data lists, the articles and
    the clippings of the period."""

    span: Period
    today: dt.date
    units: dict
    outlets: dict
    categories: dict
    campaigns: dict
    themes: dict
    read: articles.Corpus
    items: list  # the articles published in the period
    clips: list  # the clippings of the period
    clip_problems: list

    @property
    def reference(self) -> dt.date:
        """The day silence is counted to: the end of the period, or today if sooner."""
        return min(self.span.end, self.today)


def _week_of(item) -> Week:
    return Week.of(local(item.date).date())


def build(start=None, end=None, *, content_dir=None, data_dir=None, silent_days=SILENT_DAYS,
          today: dt.date | None = None) -> Report:
    """Read content and clippings and compute every table of the report."""
    span = period(start, end, today)
    read = articles.read(content_dir, data_dir)
    clips, clip_problems = clippings.load(data_dir)
    inp = _Inputs(span, today or dt.datetime.now(TZ).date(), data.units(data_dir),
                  data.outlets(data_dir), data.categories(data_dir), data.campaigns(data_dir),
                  data.themes(data_dir), read,
                  [item for item in read.items if span.contains(item.date)],
                  [c for c in clips if span.contains(c.date)], clip_problems)
    tables: dict[str, Table] = {}
    sections: dict = {}
    _articles_table(inp, tables)
    _units(inp, tables, sections, silent_days)
    _campaigns(inp, tables, sections)
    _themes(inp, tables, sections)
    _sent(inp, tables, sections)
    tone_week = _clippings(inp, tables, sections)
    problems = _problems(inp, tables)
    return Report(span, dt.datetime.now(TZ), silent_days, tables, _summary(inp, sections, problems),
                  sections, problems, _charts(inp, sections, tone_week))


def _articles_table(inp: _Inputs, tables: dict) -> None:
    """Every article of the period, one row each."""
    items = inp.items
    table = tables["articles"] = Table(
        "bai-viet.csv", "Danh sách tin, bài trong kỳ",
        ["Ngày đăng", "Tuần", "Đơn vị", "Chuyên mục", "Tiêu đề", "Chiến dịch", "Chủ đề",
         "Gửi tới", "Tệp"])
    for item in items:
        table.rows.append([f"{local(item.date):%Y-%m-%d %H:%M}", _week_of(item).key, item.unit,
                           item.category, item.title, ", ".join(item.campaigns),
                           ", ".join(item.themes), ", ".join(item.sent_to), item.path])


def _units(inp: _Inputs, tables: dict, sections: dict, silent_days: int) -> None:
    """Each unit against its weekly quota, week by week and month by month; silent units."""
    span, items, units, reference = inp.span, inp.items, inp.units, inp.reference
    weeks, months = span.weeks, span.months
    per_week = Counter((item.unit, _week_of(item)) for item in items)
    per_month = Counter((item.unit, local(item.date).year, local(item.date).month)
                        for item in items)
    per_unit = Counter(item.unit for item in items)
    last_seen: dict[str, dt.date] = {}
    for item in inp.read.items:
        day = local(item.date).date()
        if day <= reference and day > last_seen.get(item.unit, dt.date.min):
            last_seen[item.unit] = day
    unit_table = tables["units"] = Table(
        "don-vi.csv", "Đơn vị và hạn mức tin, bài",
        ["Đơn vị", "Tên đơn vị", "Hạn mức/tuần", "Số tuần", "Số ngày", "Chỉ tiêu", "Số bài",
         "Tỷ lệ (%)", "Tuần đạt", "Đánh giá", "Bài gần nhất", "Số ngày im lặng", "Im lặng"])
    week_table = tables["unit_weeks"] = Table(
        "don-vi-theo-tuan.csv", "Tin, bài của đơn vị theo tuần",
        ["Đơn vị", "Tuần", "Từ ngày", "Đến ngày", "Số ngày trong kỳ", "Số bài", "Hạn mức",
         "Đạt"])
    month_table = tables["unit_months"] = Table(
        "don-vi-theo-thang.csv", "Tin, bài của đơn vị theo tháng",
        ["Đơn vị", "Tháng", "Số ngày trong kỳ", "Số bài", "Chỉ tiêu", "Đạt"])
    unit_rows = []
    for slug, unit in units.items():
        quota = int(unit.get("quota_per_week") or 0)
        counts = [per_week[(slug, week)] for week in weeks]
        targets = [span.target(week, quota) for week in weeks]
        judged = [(count, t) for count, t in zip(counts, targets) if t is not None]
        met = sum(1 for count, t in judged if count >= t)
        expected = sum(t for t in targets if t)
        total = per_unit[slug]
        last = last_seen.get(slug)
        silent_for = (reference - last).days if last else None
        silent = silent_for is None or silent_for > silent_days
        ok = met == len(judged)
        unit_table.rows.append([
            slug, unit["name"], quota, len(judged), span.days, expected, total,
            _pct(total, expected), met, "Đạt" if ok else "Chưa đạt",
            last.isoformat() if last else "", "" if silent_for is None else silent_for,
            "Có" if silent else "Không"])
        for week, count, t in zip(weeks, counts, targets):
            week_table.rows.append([slug, week.key, week.monday.isoformat(),
                                    week.sunday.isoformat(), span.days_in(week), count,
                                    "" if t is None else t, _met(count, t)])
        month_cells = []
        for year, month in months:
            days = span.days_in_month(year, month)
            target = int(quota * days / 7 + 0.5)
            count = per_month[(slug, year, month)]
            month_table.rows.append([slug, month_label(year, month), days, count, target,
                                     "Có" if count >= target else "Không"])
            month_cells.append({"count": count, "target": target, "ok": count >= target})
        unit_rows.append({"slug": slug, "name": unit["name"], "short": unit["short"],
                          "quota": quota, "weeks": len(judged), "expected": expected,
                          "targets": targets,
                          "total": total, "pct": _pct(total, expected), "met": met, "ok": ok,
                          "last": last, "silent_for": silent_for, "silent": silent,
                          "months": month_cells, "counts": counts})
    sections["units"] = unit_rows
    sections["unit_names"] = {slug: unit["short"] for slug, unit in units.items()}
    sections["silent"] = sorted((row for row in unit_rows if row["silent"]),
                                key=lambda r: -(r["silent_for"] if r["silent_for"] is not None
                                                else 10**6))


def _campaigns(inp: _Inputs, tables: dict, sections: dict) -> None:
    """Articles of each campaign by category and by unit."""
    span, items, units, categories = inp.span, inp.items, inp.units, inp.categories
    cat_slugs = list(categories)
    camp_table = tables["campaigns"] = Table(
        "chien-dich.csv", "Chiến dịch: số tin, bài theo chuyên mục",
        ["Chiến dịch", "Tên chiến dịch", "Từ ngày", "Đến ngày", "Tổng",
         *[categories[c]["name"] for c in cat_slugs]])
    camp_unit_table = tables["campaign_units"] = Table(
        "chien-dich-don-vi.csv", "Chiến dịch: số tin, bài của từng đơn vị",
        ["Chiến dịch", "Đơn vị", "Tên đơn vị", "Tổng", *[categories[c]["name"] for c in cat_slugs]])
    camp_sections = []
    for slug, campaign in inp.campaigns.items():
        tagged = [item for item in items if slug in item.campaigns]
        c_start, c_end = _day(campaign["start"]), _day(campaign["end"])
        if not tagged and (c_end < span.start or c_start > span.end):
            continue
        by_cat = Counter(item.category_slug for item in tagged)
        camp_table.rows.append([slug, campaign["name"], c_start.isoformat(), c_end.isoformat(),
                                len(tagged), *[by_cat[c] for c in cat_slugs]])
        by_unit = defaultdict(Counter)
        for item in tagged:
            by_unit[item.unit][item.category_slug] += 1
        unit_lines = []
        for unit_slug in sorted(by_unit, key=lambda u: (-sum(by_unit[u].values()),
                                                         list(units).index(u))):
            cats = by_unit[unit_slug]
            total = sum(cats.values())
            camp_unit_table.rows.append([slug, unit_slug, units[unit_slug]["name"], total,
                                         *[cats[c] for c in cat_slugs]])
            unit_lines.append({"slug": unit_slug, "name": units[unit_slug]["short"],
                               "total": total, "cats": [cats[c] for c in cat_slugs]})
        camp_sections.append({
            "slug": slug, "name": campaign["name"], "start": c_start, "end": c_end,
            "slogan": campaign.get("slogan") or "", "total": len(tagged),
            "cats": [by_cat[c] for c in cat_slugs], "units": unit_lines,
            "chart": charts.bars([u["name"] for u in unit_lines],
                                 [u["total"] for u in unit_lines],
                                 title=f"Số tin, bài của từng đơn vị: {campaign['name']}")
            if unit_lines else ""})
    sections["campaigns"] = camp_sections
    sections["categories"] = [categories[c]["name"] for c in cat_slugs]


def _themes(inp: _Inputs, tables: dict, sections: dict) -> None:
    """Articles of each theme and message pillar, month by month."""
    months, items = inp.span.months, inp.items
    theme_table = tables["themes"] = Table(
        "chu-de.csv", "Chủ đề và trụ cột thông điệp",
        ["Chủ đề", "Tên chủ đề", "Nhóm", "Tổng", *[month_label(y, m) for y, m in months]])
    theme_counts = Counter((slug, local(item.date).year, local(item.date).month)
                           for item in items for slug in item.themes)
    theme_rows = []
    for slug, theme in inp.themes.items():
        group = theme_group(theme)
        monthly = [theme_counts[(slug, y, m)] for y, m in months]
        total = sum(monthly)
        theme_table.rows.append([slug, theme["name"], group, total, *monthly])
        theme_rows.append({"slug": slug, "name": theme["name"], "group": group,
                           "parent": theme.get("parent"), "total": total, "months": monthly})
    sections["themes"] = theme_rows


def _sent(inp: _Inputs, tables: dict, sections: dict) -> None:
    """Articles sent to the portal and the press, week by week against their minimum."""
    span, items, units, outlets = inp.span, inp.items, inp.units, inp.outlets
    weeks = span.weeks
    sent_weeks = Counter((slug, _week_of(item)) for item in items for slug in item.sent_to)
    watched = [slug for slug, outlet in outlets.items()
               if outlet.get("weekly_min") or any(slug in item.sent_to for item in items)]
    sent_table = tables["sent"] = Table(
        "gui-di-theo-tuan.csv", "Tin, bài gửi Cổng TTĐT Công đoàn Việt Nam và báo chí theo tuần",
        ["Tuần", "Từ ngày", "Đến ngày", "Số ngày trong kỳ", "Nơi nhận", "Tên nơi nhận", "Số bài",
         "Tối thiểu", "Đạt"])
    missed: dict[str, list[Week]] = {}
    sent_charts = {}
    for slug in watched:
        outlet = outlets[slug]
        minimum = int(outlet.get("weekly_min") or 0)
        for week in weeks:
            count, least = sent_weeks[(slug, week)], span.target(week, minimum)
            sent_table.rows.append([week.key, week.monday.isoformat(), week.sunday.isoformat(),
                                    span.days_in(week), slug, outlet["name"], count,
                                    "" if least is None else least, _met(count, least)])
            if least is not None and count < least:
                missed.setdefault(slug, []).append(week)
        if minimum:
            sent_charts[slug] = charts.columns(
                [f"{w.label} ({w.span})" for w in weeks],
                [(outlet["name"], "#1f6f8b", [sent_weeks[(slug, w)] for w in weeks])],
                title=f"Số tin, bài gửi {outlet['name']} mỗi tuần",
                target=minimum, target_label=f"tối thiểu {minimum}/tuần",
                short_labels=[str(w.number) for w in weeks])
    sections["sent"] = {
        "outlets": [{"slug": s, "name": outlets[s]["name"], "kind": outlets[s]["kind"],
                     "minimum": int(outlets[s].get("weekly_min") or 0),
                     "total": sum(sent_weeks[(s, w)] for w in weeks),
                     "missed": missed.get(s, []), "chart": sent_charts.get(s, "")}
                    for s in watched],
        "weeks": [{"week": w, "counts": [sent_weeks[(s, w)] for s in watched]} for w in weeks],
        "articles": [{"date": local(item.date), "title": item.title,
                      "unit": units[item.unit]["short"],
                      "outlets": [outlets[o]["name"] for o in item.sent_to]}
                     for item in items if item.sent_to],
    }


def _clippings(inp: _Inputs, tables: dict, sections: dict) -> Counter:
    """Press and social-media items, negative first, by week and by source; returns the count
    of each (week, tone) for the chart."""
    clips_in, weeks = inp.clips, inp.span.weeks
    ordered = sorted(clips_in, key=_clip_order)
    clip_table = tables["clippings"] = Table(
        "bao-chi.csv", "Tin báo chí, mạng xã hội (tin tiêu cực đứng đầu)",
        ["Ngày", "Tuần", "Nguồn", "Loại nguồn", "Sắc thái", "Đáng chú ý", "Đơn vị", "Tiêu đề",
         "Đường dẫn", "Ghi chú"])
    for clip in ordered:
        clip_table.rows.append([f"{clip.date:%Y-%m-%d}", Week.of(clip.date.date()).key,
                                clip.source, data.OUTLET_KINDS[clip.kind], clip.tone_label,
                                "Có" if clip.notable else "", clip.unit, clip.title, clip.url,
                                clip.note])
    tone_week = Counter((Week.of(c.date.date()), c.tone) for c in clips_in)
    tone_names = list(clippings.TONES)
    tw_table = tables["clip_weeks"] = Table(
        "bao-chi-theo-tuan.csv", "Tin báo chí, mạng xã hội theo tuần và sắc thái",
        ["Tuần", "Từ ngày", "Đến ngày", *clippings.TONES.values(), "Tổng"])
    for week in weeks:
        counts = [tone_week[(week, tone)] for tone in tone_names]
        tw_table.rows.append([week.key, week.monday.isoformat(), week.sunday.isoformat(),
                              *counts, sum(counts)])
    by_source = defaultdict(Counter)
    kinds = {}
    for clip in clips_in:
        by_source[clip.source][clip.tone] += 1
        kinds[clip.source] = clip.kind
    ts_table = tables["clip_sources"] = Table(
        "bao-chi-theo-nguon.csv", "Tin báo chí, mạng xã hội theo nguồn và sắc thái",
        ["Nguồn", "Loại nguồn", *clippings.TONES.values(), "Tổng"])
    for source in sorted(by_source, key=lambda s: (-sum(by_source[s].values()), s)):
        counts = [by_source[source][tone] for tone in tone_names]
        ts_table.rows.append([source, data.OUTLET_KINDS[kinds[source]], *counts, sum(counts)])
    tone_totals = Counter(c.tone for c in clips_in)
    sections["clippings"] = {"ordered": ordered, "totals": tone_totals,
                             "negative": [c for c in ordered if c.tone == "negative"]}
    return tone_week


def _problems(inp: _Inputs, tables: dict) -> list:
    """What was wrong in the articles and clippings read."""
    problems = [p for p in inp.read.problems + inp.clip_problems]
    prob_table = tables["problems"] = Table(
        "van-de.csv", "Vấn đề trong dữ liệu", ["Tệp", "Dòng", "Trường", "Mức", "Nội dung",
                                              "Cách sửa"])
    for p in problems:
        prob_table.rows.append([p.path, p.line, p.field,
                                "lỗi" if p.severity == "error" else "cảnh báo", p.message, p.fix])
    return problems


def _summary(inp: _Inputs, sections: dict, problems: list) -> dict:
    """The figures at the top of the report."""
    unit_rows, tone_totals = sections["units"], sections["clippings"]["totals"]
    portal = [o for o in sections["sent"]["outlets"] if o["minimum"]]
    return {
        "articles": len(inp.items),
        "weeks": len(inp.span.weeks),
        "period_label": inp.span.label,
        "units": len(unit_rows),
        "units_ok": sum(1 for row in unit_rows if row["ok"]),
        "units_silent": len(sections["silent"]),
        "missed_weeks": {o["slug"]: len(o["missed"]) for o in portal},
        "clippings": len(inp.clips),
        "tones": {tone: tone_totals[tone] for tone in clippings.TONES},
        "drafts": inp.read.drafts,
        "left_out": len(inp.read.left_out),
        "problems": len(problems),
        "reference": inp.reference,
    }


def _charts(inp: _Inputs, sections: dict, tone_week: Counter) -> dict[str, str]:
    """The report's SVG charts."""
    unit_rows, theme_rows, weeks = sections["units"], sections["themes"], inp.span.weeks
    return {
        "unit_weeks": charts.grid(
            [(row["slug"], row["short"], row["quota"]) for row in unit_rows],
            [(w.key, str(w.number)) for w in weeks], [row["counts"] for row in unit_rows],
            title="Số tin, bài mỗi tuần của từng đơn vị so với hạn mức",
            targets=[row["targets"] for row in unit_rows]),
        "units": charts.bars([row["short"] for row in unit_rows], [row["total"] for row in
                                                                     unit_rows],
                             title="Số tin, bài của từng đơn vị trong kỳ (đỏ: chưa đạt hạn mức)",
                             flags=[not row["ok"] for row in unit_rows]),
        "themes": charts.bars([row["name"] for row in theme_rows if row["total"]],
                              [row["total"] for row in theme_rows if row["total"]],
                              title="Số tin, bài theo chủ đề"),
        "clippings": charts.columns(
            [f"{w.label} ({w.span})" for w in weeks],
            [(clippings.TONES[t], TONE_COLOURS[t], [tone_week[(w, t)] for w in weeks])
             for t in clippings.TONES],
            title="Tin báo chí, mạng xã hội mỗi tuần theo sắc thái",
            short_labels=[str(w.number) for w in weeks]),
    }


def theme_group(theme: dict) -> str:
    """The name of a theme's group (a content area of the plan, or the message pillars)."""
    return data.THEME_GROUPS.get(theme.get("group", ""), theme.get("group", ""))


def _clip_order(clip):
    """Negative items first (notable ones first), newest first within each tone."""
    rank = {"negative": 0, "neutral": 1, "positive": 2}[clip.tone]
    return (rank, not clip.notable, -clip.date.timestamp(), clip.title)


# ---------------------------------------------------------------- writing

def check_out_dir(out: Path, content_dir=None) -> Path:
    """Refuse a folder that would be published (inside output/ or content/)."""
    out = Path(out).resolve()
    for forbidden in {ROOT / "output", ROOT / "content",
                      Path(content_dir).resolve() if content_dir else ROOT / "content"}:
        forbidden = forbidden.resolve()
        if out == forbidden or forbidden in out.parents:
            raise ReportError(f"không ghi báo cáo vào {out}: thư mục này nằm trong "
                              f"{forbidden.name}/ và sẽ bị xuất bản; hãy chọn thư mục khác "
                              "(mặc định reports/)")
    return out


def write(report: Report, out: Path | str | None = None, content_dir=None) -> Path:
    """Write ``index.html`` and the CSV files; return the HTML's path."""
    out = check_out_dir(Path(out) if out else ROOT / "reports" / report.period.slug, content_dir)
    out.mkdir(parents=True, exist_ok=True)
    for table in report.tables.values():
        with open(out / table.filename, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.columns)
            writer.writerows(table.rows)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(["html"]),
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(vn_date=vn_date, vn_datetime=vn_datetime)
    html = env.get_template("report.html").render(
        r=report, s=report.summary, sections=report.sections, charts=report.charts,
        tables=report.tables, tones=clippings.TONES, kinds=data.OUTLET_KINDS,
        palette=PALETTE)
    target = out / "index.html"
    target.write_text(html, encoding="utf-8")
    return target


def run(start=None, end=None, out=None, *, content_dir=None, data_dir=None,
        silent_days=SILENT_DAYS, today=None) -> tuple[Report, Path]:
    """Build and write the report (what ``invoke report`` calls)."""
    if out:
        check_out_dir(Path(out), content_dir)
    report = build(start, end, content_dir=content_dir, data_dir=data_dir,
                   silent_days=silent_days, today=today)
    return report, write(report, out, content_dir)


def describe(report: Report, path: Path) -> str:
    """A few lines for the terminal: where the report is and what stands out."""
    s = report.summary
    lines = [f"Báo cáo {report.period.start:%d/%m/%Y} – {report.period.end:%d/%m/%Y} "
             f"({s['period_label']}): {path}",
             f"  {s['articles']} tin, bài; {s['units_ok']}/{s['units']} đơn vị đạt hạn mức mọi tuần; "
             f"{s['units_silent']} đơn vị im lặng quá {report.silent_days} ngày"]
    for outlet in report.sections["sent"]["outlets"]:
        if outlet["minimum"]:
            lines.append(f"  {outlet['name']}: {outlet['total']} tin, bài; "
                         f"{len(outlet['missed'])} tuần chưa đạt {outlet['minimum']}/tuần")
    if report.period.partial_weeks:
        lines.append("  Tuần không trọn tính hạn mức theo số ngày trong kỳ (hạn mức × số ngày ÷ 7, "
                     "làm tròn); tuần mà phần đó bằng 0 thì không tính đạt hay chưa đạt")
    tones = s["tones"]
    lines.append(f"  Báo chí, mạng xã hội: {s['clippings']} tin ({tones['positive']} tích cực, "
                 f"{tones['neutral']} trung lập, {tones['negative']} tiêu cực)")
    if s["problems"]:
        lines.append(f"  Dữ liệu còn {s['problems']} vấn đề (xem mục 6 của báo cáo)")
    return "\n".join(lines)
