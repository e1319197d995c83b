"""Press and social-media monitoring: the clippings Ban Tuyên giáo records every day.

The plan (section III.3) asks Ban Tuyên giáo to collect, every day and week, what the press and
social media say about the members and workers of the units, and to assess its tone for the
Standing Committee. Each item is recorded as data, one YAML file per year in
``data/clippings/<year>.yml``::

    - date: 2020-05-04 09:30        # ngày đăng (2020-05-04 hoặc 04/05/2020, giờ không bắt buộc)
      source: bao-lao-dong          # slug trong data/outlets.yml, hoặc tên nguồn bất kỳ
      url: https://laodong.vn/...   # đường dẫn bài (nên có)
      title: Tiêu đề bài báo
      unit: than-ha-lam             # đơn vị được nhắc tới (slug trong data/units.yml), có thể bỏ
      tone: positive                # positive/neutral/negative (tích cực/trung lập/tiêu cực)
      note: Ghi chú của người theo dõi
      kind: press                   # chỉ khi nguồn không có trong outlets.yml: press/social/portal
      notable: yes                  # tin đáng chú ý: đưa lên đầu danh sách

:func:`load` reads every file and returns the clippings plus every :class:`~newsroom.core.schema.Problem`
found, in Vietnamese; :func:`add` appends one checked entry (``invoke clip``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from newsroom.core import data
from newsroom.core.dates import ACCEPTED, TZ, parse_date
from newsroom.core.schema import ERROR, WARNING, Problem
from newsroom.core.text import decode, slugify

TONES = {"positive": "Tích cực", "neutral": "Trung lập", "negative": "Tiêu cực"}
_TONE_NAMES = {"positive": "positive", "tich-cuc": "positive", "neutral": "neutral",
               "trung-lap": "neutral", "trung-tinh": "neutral", "negative": "negative",
               "tieu-cuc": "negative"}
FIELDS = ("date", "source", "url", "title", "unit", "tone", "note", "kind", "notable")
REQUIRED = ("date", "source", "title", "tone")
_TRUE = {"yes", "true", "1", "co", "x"}
_FALSE = {"no", "false", "0", "khong", ""}

HEADER = ("# Theo dõi báo chí, mạng xã hội năm {year} (Kế hoạch truyền thông, mục III.3).\n"
          "# Mỗi mục: date, source, url, title, unit, tone (positive/neutral/negative), note.\n"
          "# Thêm nhanh bằng lệnh: invoke clip (xem README, mục Báo cáo cho Ban Tuyên giáo).\n")


class ClippingError(ValueError):
    """A clipping could not be added; ``problems`` says why."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Clipping:
    date: dt.datetime
    source: str
    source_slug: str
    kind: str
    url: str
    title: str
    unit: str
    tone: str
    note: str
    notable: bool
    path: str
    line: int

    @property
    def tone_label(self) -> str:
        return TONES[self.tone]


def folder(data_dir=None) -> Path:
    return Path(data_dir or data.DATA_DIR) / "clippings"


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path(data.DATA_DIR).resolve().parent).as_posix()
    except ValueError:
        return str(path)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe YAML (libyaml when present) without implicit timestamps: dates stay text and go
    through :func:`newsroom.core.dates.parse_date`, so "2020-05-32" is a clear message, not a crash."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _parse(text: str):
    """The YAML document and the line of each item of its top-level list."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        document = loader.construct_document(node)
    finally:
        loader.dispose()
    lines = ([item.start_mark.line + 1 for item in node.value]
             if isinstance(node, yaml.SequenceNode) else [])
    return document, lines


def _date(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=TZ) if value.tzinfo is None else value.astimezone(TZ)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=TZ)
    return parse_date(str(value))


def check_entry(entry, path: str, line: int, data_dir=None):
    """Check one entry; return ``(Clipping or None, problems)``."""
    problems: list[Problem] = []

    def add(field, message, fix="", severity=ERROR):
        problems.append(Problem(path, line, field, message, fix, severity))

    if not isinstance(entry, dict):
        add("mục", "mỗi tin theo dõi phải là một nhóm dòng “khóa: giá trị” bắt đầu bằng “- ”",
            "xem mẫu ở đầu tệp hoặc trong README")
        return None, problems
    entry = {str(k).strip().lower(): v for k, v in entry.items()}
    for key in entry:
        if key not in FIELDS:
            add(key, f"trường lạ “{key}”", f"chỉ dùng các trường: {', '.join(FIELDS)}", WARNING)
    for key in REQUIRED:
        if entry.get(key) in (None, ""):
            add(key, f"thiếu trường {key}", f"thêm dòng “  {key}: ...” vào mục này")

    when = None
    if entry.get("date") not in (None, ""):
        try:
            when = _date(entry["date"])
        except ValueError as exc:
            add("date", str(exc), f"viết lại theo dạng {ACCEPTED}")

    source = str(entry.get("source") or "").strip()
    source_slug, kind = "", str(entry.get("kind") or "").strip().lower()
    if source:
        outlet = data.find_outlet(source, data_dir)
        if outlet:
            source, source_slug = outlet["name"], outlet["slug"]
            kind = outlet["kind"]
        elif not kind:
            kind = "press"
    if kind and kind not in data.OUTLET_KINDS:
        add("kind", f"loại nguồn “{kind}” không hợp lệ",
            "viết press (báo chí), social (mạng xã hội) hoặc portal (cổng thông tin)")

    url = str(entry.get("url") or "").strip()
    if not url:
        add("url", "chưa có đường dẫn bài", "dán đường dẫn https://... của bài báo, bài đăng",
            WARNING)
    elif not url.startswith(("http://", "https://")):
        add("url", f"“{url}” không phải đường dẫn web", "dán đường dẫn bắt đầu bằng https://")

    tone_raw = str(entry.get("tone") or "").strip()
    tone = _TONE_NAMES.get(slugify(tone_raw)) if tone_raw else None
    if tone_raw and not tone:
        add("tone", f"sắc thái “{tone_raw}” không hợp lệ",
            "viết positive (tích cực), neutral (trung lập) hoặc negative (tiêu cực)")

    unit = str(entry.get("unit") or "").strip()
    if unit:
        found = data.find_unit(unit, data_dir)
        if found:
            unit = found["slug"]
        else:
            add("unit", f"không có đơn vị “{unit}” trong danh sách đơn vị",
                "viết đúng slug của đơn vị trong data/units.yml, hoặc bỏ trường unit")

    notable_raw = entry.get("notable", False)
    if isinstance(notable_raw, bool):
        notable = notable_raw
    else:
        key = slugify(str(notable_raw))
        notable = key in _TRUE
        if key not in _TRUE | _FALSE:
            add("notable", f"giá trị “{notable_raw}” không rõ", "viết yes hoặc no", WARNING)

    if any(p.severity == ERROR for p in problems):
        return None, problems
    return Clipping(date=when, source=source, source_slug=source_slug, kind=kind, url=url,
                    title=str(entry["title"]).strip(), unit=unit, tone=tone,
                    note=str(entry.get("note") or "").strip(), notable=notable,
                    path=path, line=line), problems


def read_file(path: Path, data_dir=None):
    """Clippings and problems of one ``<year>.yml`` file."""
    shown = _shown(path)
    try:
        text = decode(path.read_bytes())
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(shown, 1, "tệp", f"không đọc được tệp ({exc})",
                            "lưu lại tệp với mã hóa UTF-8")]
    try:
        document, lines = _parse(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        context = getattr(exc, "context_mark", None)
        where = (f", phần bắt đầu ở dòng {context.line + 1}"
                 if context and context.line + 1 != line else "")
        return [], [Problem(shown, line, "tệp",
                            f"tệp YAML sai cú pháp ({getattr(exc, 'problem', None) or exc}{where})",
                            "kiểm tra thụt lề (2 dấu cách) và dấu “:” sau mỗi khóa; "
                            "tiêu đề có dấu “:” thì đặt trong ngoặc kép")]
    if document is None:
        return [], []
    if not isinstance(document, list):
        return [], [Problem(shown, 1, "tệp", "tệp phải là một danh sách, mỗi mục bắt đầu bằng “- ”",
                            "xem mẫu trong README")]
    items, problems = [], []
    year = path.stem
    for entry, line in zip(document, lines):
        item, found = check_entry(entry, shown, line, data_dir)
        problems.extend(found)
        if item:
            if year.isdigit() and item.date.year != int(year):
                problems.append(Problem(shown, line, "date",
                                        f"tin năm {item.date.year} nằm trong tệp năm {year}",
                                        f"chuyển mục này sang data/clippings/{item.date.year}.yml",
                                        WARNING))
            items.append(item)
    return items, problems


def load(data_dir=None):
    """Every clipping in ``data/clippings/*.yml`` (sorted by date) and every problem found."""
    items, problems = [], []
    base = folder(data_dir)
    for path in sorted(base.glob("*.yml")) if base.is_dir() else ():
        found, issues = read_file(path, data_dir)
        items.extend(found)
        problems.extend(issues)
    seen: dict[str, Clipping] = {}
    for item in items:
        if item.url and item.url in seen:
            first = seen[item.url]
            problems.append(Problem(item.path, item.line, "url",
                                    f"trùng đường dẫn với mục ở {first.path}:{first.line}",
                                    "xóa mục ghi trùng", WARNING))
        seen.setdefault(item.url, item)
    items.sort(key=lambda c: (c.date, c.path, c.line))
    return items, problems


def add(fields: dict, data_dir=None) -> tuple[Path, Clipping]:
    """Check one clipping and append it to ``data/clippings/<year>.yml``.

    Raises :class:`ClippingError` (nothing written) when the entry or the file has an error.
    """
    entry = {key: fields[key] for key in FIELDS
             if key in fields and fields[key] not in (None, "", False)}
    item, problems = check_entry(entry, "tin mới", 1, data_dir)
    errors = [p for p in problems if p.severity == ERROR]
    if errors:
        raise ClippingError(errors)
    path = folder(data_dir) / f"{item.date.year}.yml"
    existing, file_problems = read_file(path, data_dir) if path.exists() else ([], [])
    broken = [p for p in file_problems if p.severity == ERROR]
    if broken:
        raise ClippingError(broken)
    if item.url and any(old.url == item.url for old in existing):
        raise ClippingError([Problem(_shown(path), 1, "url", "tin này đã được ghi (trùng đường dẫn)",
                                     "không cần ghi lại")])
    stamp = (item.date.date() if (item.date.hour, item.date.minute) == (0, 0)
             else f"{item.date:%Y-%m-%d %H:%M}")
    entry["date"] = stamp
    entry["tone"] = item.tone
    if item.unit:
        entry["unit"] = item.unit
    if item.source_slug:
        entry["source"] = item.source_slug
    if item.notable:
        entry["notable"] = True
    block = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, width=10_000)
    path.parent.mkdir(parents=True, exist_ok=True)
    old = decode(path.read_bytes()) if path.exists() else HEADER.format(
        year=item.date.year)
    if old and not old.endswith("\n"):
        old += "\n"
    path.write_text(old + "\n" + block, encoding="utf-8")
    return path, item


PROMPTS = {
    "date": "Ngày đăng (04/05/2020, Enter = hôm nay)",
    "source": "Nguồn (slug trong data/outlets.yml hoặc tên báo, trang)",
    "url": "Đường dẫn bài",
    "title": "Tiêu đề",
    "unit": "Đơn vị được nhắc tới (Enter nếu không có)",
    "tone": "Sắc thái: 1 tích cực, 2 trung lập, 3 tiêu cực",
    "note": "Ghi chú (Enter nếu không có)",
}
_TONE_KEYS = {"1": "positive", "2": "neutral", "3": "negative"}


def ask(fields: dict, prompt=input, today: dt.date | None = None) -> dict:
    """Ask for the fields still empty (``invoke clip`` typed without arguments)."""
    fields = dict(fields)
    for key, question in PROMPTS.items():
        if fields.get(key) not in (None, ""):
            continue
        answer = prompt(f"{question}: ").strip()
        if key == "date" and not answer:
            answer = f"{today or dt.datetime.now(TZ).date():%Y-%m-%d}"
        if key == "tone":
            answer = _TONE_KEYS.get(answer, answer)
        fields[key] = answer
    return fields
