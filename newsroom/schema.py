"""The article metadata schema: one definition that the build, ``invoke check`` and
``invoke ingest`` all use.

An article is a Markdown file whose header holds ``Key: value`` lines (Pelican's Markdown
metadata), then a blank line, then the body. :func:`split` reads the header with the line of
every field, :func:`validate` checks it against :data:`FIELDS` and the data files, and returns
clean values plus every :class:`Problem` found, each in Vietnamese, naming the field and the fix.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import data
from .dates import ACCEPTED, parse_date
from .text import decode, slugify

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a source file, said for the reporter who wrote it."""

    path: str
    line: int
    field: str
    message: str
    fix: str = ""
    severity: str = ERROR

    def __str__(self) -> str:
        label = "lỗi" if self.severity == ERROR else "cảnh báo"
        text = f"{self.path}:{self.line}: {self.field}: {label}: {self.message}"
        return f"{text}. Cách sửa: {self.fix}" if self.fix else text


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    example: str
    required: bool = False


#: Every metadata field an article may carry, in the order of the reporter's template.
FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field("title", "tiêu đề", "Công đoàn Than Hà Lầm đối thoại với người lao động", True),
        Field("date", "ngày đăng", "12/05/2020 08:30", True),
        Field("modified", "ngày sửa", "13/05/2020 10:00"),
        Field("unit", "đơn vị gửi bài (slug trong data/units.yml)", "than-ha-lam", True),
        Field("author", "tác giả (nhiều người thì cách nhau dấu phẩy)", "Nguyễn Thị Hoa", True),
        Field("category", "chuyên mục", "Tin tức", True),
        Field("summary", "tóm tắt (1–2 câu)", "Sáng 12/5, Công đoàn Công ty tổ chức..."),
        Field("image", "ảnh đại diện (đường dẫn tính từ tệp bài viết)", "ten-bai/anh-bia.jpg"),
        Field("image_alt", "mô tả ảnh đại diện", "Công nhân nhận quà tại nhà văn hóa"),
        Field("image_focus", "điểm chính của ảnh đại diện khi cắt (% ngang, % dọc)", "50, 30"),
        Field("tags", "từ khóa, cách nhau dấu phẩy", "đối thoại, an toàn lao động"),
        Field("featured", "bài nổi bật (yes/no)", "yes"),
        Field("status", "trạng thái (published hoặc draft)", "published"),
        Field("campaign", "chiến dịch (slug, hoặc none)", "thang-cong-nhan-2020"),
        Field("theme", "chủ đề (slug, cách nhau dấu phẩy)", "thoa-uoc-lao-dong-tap-the"),
        Field("video", "đường dẫn YouTube", "https://www.youtube.com/watch?v=xxxxxxxxxxx"),
        Field("question", "câu hỏi của bạn đọc (mục Tư vấn pháp luật)", "Anh T. hỏi: ..."),
        Field("laws", "văn bản pháp luật trích dẫn, cách nhau dấu chấm phẩy",
              "Bộ luật Lao động 2019, Điều 113"),
        Field("sent_to", "nơi bài đã gửi tới (cong-doan-viet-nam, bao-lao-dong)",
              "cong-doan-viet-nam"),
        Field("slug", "đường dẫn riêng (không dấu)", "doi-thoai-tai-ha-lam"),
        Field("lang", "ngôn ngữ", "vi"),
        Field("template", "mẫu trang riêng", "page"),
    )
}

PAGE_FIELDS = {"title", "slug", "summary", "status", "template", "image", "image_alt",
               "image_focus", "date", "modified", "lang", "order"}

STATUSES = {"published", "draft", "hidden"}
TRUE = {"yes", "true", "1", "co", "x"}
FALSE = {"no", "false", "0", "khong", ""}
YOUTUBE = re.compile(
    r"^https?://(?:www\.|m\.)?(?:youtube\.com/(?:watch\?(?:.*&)?v=|embed/|shorts/)|youtu\.be/)"
    r"(?P<id>[A-Za-z0-9_-]{11})"
)
_KEY = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9_-]*)\s*:\s?(?P<value>.*)$")
SUMMARY_MAX = 300


@dataclass
class Header:
    """The metadata header of a source file, with the line of each field."""

    fields: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1
    duplicates: list[tuple[str, int]] = field(default_factory=list)


def read_source(path: Path | str) -> str:
    """The text of a source file, decoded from UTF-8/UTF-16, LF line ends, NFC."""
    return decode(Path(path).read_bytes())


def split(text: str) -> Header:
    """Split Markdown source into its metadata header and body (Pelican's rules: the header
    ends at the first blank line; indented lines continue the previous field; an optional
    ``---`` fence is accepted)."""
    header = Header()
    lines = text.split("\n")
    start = 0
    if lines and lines[0].strip() == "---":
        start = 1
    index = start
    last_key = None
    while index < len(lines):
        line = lines[index]
        if start and line.strip() in ("---", "..."):
            index += 1
            break
        if not line.strip():
            break
        match = _KEY.match(line)
        if match:
            key = match["key"].lower().replace("-", "_")
            if key in header.fields:
                header.duplicates.append((key, index + 1))
            else:
                header.fields[key] = match["value"].strip()
                header.lines[key] = index + 1
            last_key = key
        elif last_key and line.startswith((" ", "\t")):
            header.fields[last_key] = f"{header.fields[last_key]} {line.strip()}".strip()
        else:
            break
        index += 1
    while index < len(lines) and not lines[index].strip():
        index += 1
    header.body = "\n".join(lines[index:])
    header.body_line = index + 1
    return header


def split_list(value: str, sep: str = ",") -> list[str]:
    return [item.strip() for item in value.split(sep) if item.strip()]


def resolve_path(value: str, source: Path, content_root: Path) -> Path:
    """Where a path written in an article points: ``{static}``/``{attach}`` prefixes dropped,
    ``/x`` from the content root, anything else beside the article."""
    value = re.sub(r"^\{(static|attach)\}", "", value.strip())
    if value.startswith("/"):
        return content_root / value.lstrip("/")
    return source.parent / value


def _closest(value: str, choices) -> str:
    found = difflib.get_close_matches(value, list(choices), n=3, cutoff=0.5)
    return ", ".join(f"“{c}”" for c in found)


class _Checker:
    def __init__(self, header: Header, path: str):
        self.header = header
        self.path = path
        self.problems: list[Problem] = []

    def add(self, key, message, fix="", severity=ERROR):
        line = self.header.lines.get(key, 1)
        self.problems.append(Problem(self.path, line, key.capitalize(), message, fix, severity))

    def missing(self, key):
        spec = FIELDS[key]
        self.problems.append(
            Problem(
                self.path, 1, key.capitalize(), f"thiếu trường {spec.label}",
                f"thêm một dòng “{key.capitalize()}: {spec.example}” ở đầu tệp, "
                "trước dòng trống",
            )
        )


def validate(header: Header, source: Path | str, *, kind: str = "article",
             content_root: Path | str | None = None, data_dir=None):
    """Check a header; return ``(values, problems)``.

    ``values`` holds clean values for the fields that passed (dates as aware datetimes, lists
    as lists, the canonical category name, booleans...). ``problems`` lists every problem.
    """
    source = Path(source)
    content_root = Path(content_root) if content_root else source.parent
    try:
        shown = str(source.relative_to(content_root.parent))
    except ValueError:
        shown = str(source)
    check = _Checker(header, shown)
    fields = header.fields
    values: dict = {}

    for key, line in header.duplicates:
        check.problems.append(Problem(
            shown, line, key.capitalize(), "trường này được khai hai lần; chỉ dòng đầu được dùng",
            "xóa dòng thừa", WARNING))

    known = set(FIELDS) if kind == "article" else PAGE_FIELDS
    for key in fields:
        if key not in known:
            near = _closest(key, known)
            check.add(key, f"trường lạ “{key.capitalize()}”",
                      f"có phải bạn định viết {near}?" if near else
                      "xóa dòng này hoặc xem danh sách trường trong README", WARNING)

    title = fields.get("title", "")
    if title:
        values["title"] = title
    else:
        check.missing("title")

    for key in ("date", "modified"):
        raw = fields.get(key)
        if raw:
            try:
                values[key] = parse_date(raw)
            except ValueError as exc:
                check.add(key, str(exc), f"viết lại theo dạng {ACCEPTED}")
        elif key == "date" and kind == "article":
            check.missing("date")
    if "date" in values and "modified" in values and values["modified"] < values["date"]:
        check.add("modified", "ngày sửa sớm hơn ngày đăng",
                  "kiểm tra lại Modified, hoặc xóa dòng đó", WARNING)

    status = fields.get("status", "published").strip().lower() or "published"
    if status in STATUSES:
        values["status"] = status
    else:
        check.add("status", f"trạng thái “{fields['status']}” không hợp lệ",
                  "viết “Status: published” để đăng, “Status: draft” nếu là bản nháp")

    if "slug" in fields:
        if fields["slug"] and slugify(fields["slug"]) == fields["slug"]:
            values["slug"] = fields["slug"]
        else:
            check.add("slug", f"“{fields['slug']}” không phải đường dẫn hợp lệ",
                      f"dùng “{slugify(fields['slug']) or 'ten-bai-viet'}”")

    _check_image(check, fields, values, source, content_root)
    if "summary" in fields:
        values["summary"] = fields["summary"]
        if len(fields["summary"]) > SUMMARY_MAX:
            check.add("summary", f"tóm tắt dài {len(fields['summary'])} ký tự",
                      f"rút gọn còn dưới {SUMMARY_MAX} ký tự (1–2 câu)", WARNING)

    if kind == "article":
        _check_article(check, fields, values, data_dir)
    return values, check.problems


def _check_image(check, fields, values, source, content_root):
    image = fields.get("image", "")
    if not image:
        if fields.get("image_alt"):
            check.add("image_alt", "có mô tả ảnh nhưng không có ảnh (Image)",
                      "thêm dòng Image, hoặc xóa dòng Image_alt", WARNING)
        return
    target = resolve_path(image, source, content_root)
    if not target.is_file():
        check.add("image", f"không tìm thấy ảnh “{image}”",
                  "đặt ảnh vào thư mục cùng tên bài viết, cạnh tệp bài, và ghi đường dẫn "
                  "tính từ tệp bài, ví dụ “ten-bai/anh-bia.jpg”")
    else:
        try:
            values["image"] = PurePosixPath(target.resolve().relative_to(
                Path(content_root).resolve())).as_posix()
        except ValueError:
            check.add("image", f"ảnh “{image}” nằm ngoài thư mục content/",
                      "chép ảnh vào cạnh tệp bài viết")
    if fields.get("image_alt"):
        values["image_alt"] = fields["image_alt"]
    else:
        check.add("image_alt", "ảnh đại diện chưa có mô tả (người khiếm thị cần mô tả này)",
                  "thêm dòng “Image_alt: mô tả ngắn nội dung ảnh”")


def _check_article(check, fields, values, data_dir):
    unit = fields.get("unit", "")
    if not unit:
        check.missing("unit")
    else:
        found = data.find_unit(unit, data_dir)
        if found:
            values["unit"] = found["slug"]
        else:
            near = _closest(unit, data.units(data_dir))
            check.add("unit", f"không có đơn vị “{unit}” trong danh sách đơn vị",
                      (f"có phải là {near}? " if near else "")
                      + "Viết đúng slug của đơn vị trong data/units.yml")

    authors = split_list(fields.get("author", ""))
    if authors:
        values["authors"] = authors
    else:
        check.missing("author")

    category = fields.get("category", "")
    if not category:
        check.missing("category")
    else:
        found = data.find_category(category, data_dir)
        if found:
            values["category"] = found["name"]
            if found.get("question_required") and not fields.get("question"):
                check.add("question", f"bài chuyên mục {found['name']} cần câu hỏi của bạn đọc",
                          "thêm dòng “Question: Anh/chị ... hỏi: ...” ở đầu tệp")
        else:
            names = ", ".join(c["name"] for c in data.categories(data_dir).values())
            check.add("category", f"không có chuyên mục “{category}”",
                      f"chọn một trong: {names}")

    for key in ("tags", "campaign", "theme"):
        if key in fields:
            values[key] = split_list(fields[key])
    if "sent_to" in fields:
        values["sent_to"] = _check_sent_to(check, split_list(fields["sent_to"]), data_dir)
    _check_terms(check, values, data_dir)
    if "laws" in fields:
        values["laws"] = split_list(fields["laws"], ";")
    if "question" in fields:
        values["question"] = fields["question"]

    featured = fields.get("featured")
    if featured is not None:
        key = slugify(featured)
        if key in TRUE | FALSE:
            values["featured"] = key in TRUE
        else:
            check.add("featured", f"giá trị “{featured}” không rõ",
                      "viết “Featured: yes” cho bài nổi bật, hoặc xóa dòng này", WARNING)

    video = fields.get("video")
    if video:
        match = YOUTUBE.match(video)
        if match:
            values["video"] = match["id"]
        else:
            check.add("video", f"“{video}” không phải đường dẫn YouTube",
                      "dán đường dẫn dạng https://www.youtube.com/watch?v=... ")


def _check_sent_to(check, names, data_dir):
    """Canonical outlet slugs for ``Sent_to:``; unknown ones are errors naming the closest."""
    slugs = []
    for name in names:
        found = data.find_outlet(name, data_dir)
        if found:
            if found["slug"] not in slugs:
                slugs.append(found["slug"])
            continue
        known = data.outlets(data_dir)
        near = _closest(name, known)
        check.add("sent_to", f"không có nơi nhận “{name}” trong danh sách data/outlets.yml",
                  (f"có phải là {near}? " if near else "")
                  + "Viết slug của nơi nhận, cách nhau dấu phẩy, ví dụ "
                  "“Sent_to: cong-doan-viet-nam, bao-lao-dong”")
    return slugs


def _check_terms(check, values, data_dir):
    """``Campaign:`` and ``Theme:`` name slugs of data/campaigns.yml and data/themes.yml, or
    ``none``; an unknown slug is an error naming the closest known ones."""
    for key, load, what, source in (
            ("campaign", data.campaigns, "chiến dịch", "data/campaigns.yml"),
            ("theme", data.themes, "chủ đề", "data/themes.yml")):
        slugs = values.get(key)
        if not slugs:
            continue
        known = load(data_dir)
        if any(s.lower() == "none" for s in slugs):
            values[key] = ["none"]
            if len(slugs) > 1:
                check.add(key, f"“none” (không gắn {what}) đi cùng slug khác; chỉ “none” "
                               "được dùng", f"hoặc chỉ viết “{key.capitalize()}: none”, hoặc "
                               "xóa “none”", WARNING)
            continue
        for slug in slugs:
            if slug in known:
                continue
            near = _closest_terms(slug, known, values.get("date"))
            check.add(key, f"không có {what} “{slug}” trong {source}",
                      (f"có phải là {near}? " if near else "")
                      + f"Viết đúng slug trong {source}, hoặc “none” để không gắn {what}")
        if key == "campaign" and "date" in values:
            day = values["date"].date()
            for slug in slugs:
                entry = known.get(slug)
                if entry and not entry["start"] <= day <= entry["end"]:
                    check.add(key, f"bài đăng ngày {day:%d/%m/%Y}, ngoài thời gian chiến dịch "
                                   f"“{slug}” ({entry['start']:%d/%m/%Y}–"
                                   f"{entry['end']:%d/%m/%Y})",
                              "kiểm tra lại ngày đăng hoặc slug chiến dịch", WARNING)


def _closest_terms(value: str, known: dict, date=None) -> str:
    """The three known slugs closest to ``value``; among equals, those of the article's year
    (a campaign's ``year``, or a window holding the date) come first."""
    def score(slug):
        ratio = difflib.SequenceMatcher(None, value, slug).ratio()
        entry = known[slug]
        if date is not None and "start" in entry:
            day = date.date()
            if entry["start"] <= day <= entry["end"] or entry.get("year") == day.year:
                ratio += 0.1
        return ratio
    ranked = sorted(known, key=score, reverse=True)
    found = [s for s in ranked if difflib.SequenceMatcher(None, value, s).ratio() >= 0.5][:3]
    return ", ".join(f"“{c}”" for c in found)
