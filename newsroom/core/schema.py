"""The article metadata schema: one definition that the build, ``invoke check`` and
``invoke ingest`` all use.

An article is a Markdown file whose header holds ``Key: value`` lines (Pelican's Markdown
metadata), then a blank line, then the body. :func:`split` reads the header with the line of
every field, :func:`validate` checks it against :data:`FIELDS` and the data files, and returns
clean values plus every :class:`Problem` found, each in Vietnamese, naming the field and the fix.
"""
from __future__ import annotations

import dataclasses
import difflib
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

from newsroom.core import data
from newsroom.core.dates import ACCEPTED, parse_date
from newsroom.core.settings import plugin_settings
from newsroom.core.text import decode, number, slugify

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

#: Vietnamese labels a reporter may write instead of the field names (accents and case are
#: ignored), e.g. in a Word document: "Tiêu đề: ...", "Tác giả: ...".
ALIASES = {
    "tieu de": "title", "ten bai": "title", "ngay": "date", "ngay dang": "date",
    "ngay viet": "date", "thoi gian": "date", "ngay sua": "modified", "don vi": "unit",
    "tac gia": "author", "nguoi viet": "author", "but danh": "author", "chuyen muc": "category",
    "tom tat": "summary", "sapo": "summary", "anh dai dien": "image", "anh bia": "image",
    "mo ta anh": "image_alt", "mo ta anh dai dien": "image_alt", "mo ta anh bia": "image_alt",
    "tu khoa": "tags", "the": "tags", "noi bat": "featured", "trang thai": "status",
    "chien dich": "campaign", "chu de": "theme", "cau hoi": "question",
    "van ban phap luat": "laws", "can cu phap ly": "laws", "da gui": "sent_to",
    "gui toi": "sent_to", "duong dan": "slug",
}


def field_for(label: str) -> str | None:
    """The field a header label names: the field itself (``Title``, ``image-alt``) or one of
    its Vietnamese :data:`ALIASES` (``Tiêu đề``); None when it names no field."""
    from newsroom.core.text import fold

    key = label.strip().lower().replace("-", "_")
    if key in FIELDS:
        return key
    return ALIASES.get(" ".join(fold(label).replace("_", " ").split()))


PAGE_FIELDS = {"title", "slug", "summary", "status", "template", "image", "image_alt",
               "image_focus", "date", "modified", "lang", "order"}

STATUSES = {"published", "draft", "hidden"}
TRUE = {"yes", "true", "1", "co", "x"}
FALSE = {"no", "false", "0", "khong", ""}
YOUTUBE = re.compile(
    r"^https?://(?:www\.|m\.)?(?:youtube\.com/(?:watch\?(?:.*&)?v=|embed/|shorts/)|youtu\.be/)"
    r"(?P<id>[A-Za-z0-9_-]{11})"
)
#: Image files an article may use (how large they may be: :class:`Limits`).
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".gif"}
#: Raw HTML the site never publishes (besides event-handler attributes and javascript: links).
#: This only gives the reporter an early message with the line; the defence is the allowlist
#: of ``newsroom.core.sanitise``, which every body passes through.
FORBIDDEN_TAGS = {"script", "style", "object", "embed", "applet", "form", "input", "button",
                  "textarea", "select", "link", "meta", "base", "frame", "frameset", "svg",
                  "math", "iframe"}
_KEY = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9_-]*)\s*:\s?(?P<value>.*)$")
SUMMARY_MAX = 300  # a longer summary is a warning; Limits.summary_chars is the refusal


@dataclass(frozen=True)
class Limits:
    """How much one article may hold: the documented defaults (README, "Giới hạn của một
    bài"), changed by ``NEWSROOM_LIMITS`` in pelicanconf.py (:meth:`from_setting`). The build,
    ``invoke check`` and ``invoke ingest`` apply the same values through :func:`validate`."""

    text_chars: int = 200_000   # the whole article, header and body
    title_chars: int = 200      # the title, and a Slug written by hand
    summary_chars: int = 1_000
    field_chars: int = 2_000    # any other field: Question, Image_alt, Video...
    authors: int = 10
    author_chars: int = 100     # one author's name
    tags: int = 30
    tag_chars: int = 60         # one tag
    list_items: int = 20        # Campaign, Theme, Sent_to, Laws: items of each
    item_chars: int = 300       # one item of those lists
    images: int = 100           # photos in the body, and the cover
    image_bytes: int = 20 * 1024 * 1024
    image_pixels: int = 50_000_000
    # Time the build may take to turn one body into HTML. Only the build renders Markdown:
    # `invoke check` and ingest cannot apply this one.
    render_seconds: int = 10

    @classmethod
    def from_setting(cls, given) -> "Limits":
        """``NEWSROOM_LIMITS`` (a dict, or None) merged over the defaults; an unknown key or
        a value that is not a positive whole number raises ValueError naming it."""
        merged = plugin_settings({"NEWSROOM_LIMITS": given}, "NEWSROOM_LIMITS",
                                 dataclasses.asdict(cls()), "pelicanconf.py")
        for key, value in merged.items():
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"pelicanconf.py: NEWSROOM_LIMITS['{key}'] phải là số nguyên "
                                 f"dương, không phải {value!r}")
        return cls(**merged)


#: The documented limits, used when no setting says otherwise.
LIMITS = Limits()
#: The longest address part (slug) a title, tag, author or Slug may make: file names stop at
#: 255 bytes, and the image plugin adds to a slug.
SLUG_MAX = 200
#: The longest file name of a photo, in bytes: the image plugin's files add up to 16 to it
#: ("-16x9-w1600.webp"), and no file name passes 255.
IMAGE_NAME_MAX = 200


@dataclass
class Header:
    """The metadata header of a source file, with the line of each field."""

    fields: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1
    duplicates: list[tuple[str, int]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # the label the writer used, by field
    no_blank_line: int = 0  # the body's first line when no blank line ends the header
    # continuation lines, joined once by finish(): joining each as it comes costs the square
    # of a long field's length (a hostile header of 100,000 such lines never ends)
    _more: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def add(self, key: str, value: str, line: int) -> None:
        """Record ``key`` read on ``line``; a second definition is noted, the first kept."""
        if key in self.fields:
            self.duplicates.append((key, line))
        else:
            self.fields[key] = value.strip()
            self.lines[key] = line

    def extend(self, key: str, text: str) -> None:
        """An indented continuation line of ``key``."""
        self._more.setdefault(key, []).append(text.strip())

    def finish(self, lines: list[str], index: int) -> "Header":
        """The body starts at the first non-blank line from ``index``. Field values are plain
        text: character references (``&amp;``, ``&#60;``) are decoded here, once, and every
        output escapes the text again where it is written."""
        for key, parts in self._more.items():
            self.fields[key] = " ".join(p for p in (self.fields[key], *parts) if p)
        self._more.clear()
        self.fields = {key: html.unescape(value) for key, value in self.fields.items()}
        while index < len(lines) and not lines[index].strip():
            index += 1
        self.body = "\n".join(lines[index:])
        self.body_line = index + 1
        return self


class TooLarge(OSError):
    """A source file too large to hold an article within the limits; it was not read."""

    def __init__(self, path, size: int):
        super().__init__(f"{path}: {size} byte")
        self.size = size


def read_source(path: Path | str, limits: Limits = LIMITS) -> str:
    """The text of a source file, decoded from UTF-8/UTF-16, LF line ends, NFC.

    A file of more than 4 bytes for each character ``limits`` allows an article (no encoding
    takes more) is over the limit whatever it holds: :class:`TooLarge` is raised without
    reading it, so a hostile file of gigabytes costs nothing."""
    path = Path(path)
    size = path.stat().st_size
    if size > 4 * limits.text_chars + 4:
        raise TooLarge(path, size)
    return decode(path.read_bytes())


def shown_path(source: Path | str, content_root: Path | str | None = None) -> str:
    """How problems name a source file: from the content folder's parent
    (``content/bai-viet/...``), else as given."""
    source = Path(source)
    root = Path(content_root) if content_root else source.parent
    try:
        return str(source.relative_to(root.parent))
    except ValueError:
        return str(source)


def read_article(path: Path | str, shown: str, limits: Limits = LIMITS
                 ) -> tuple[str | None, Problem | None]:
    """``(text, None)`` for an article file, or ``(None, problem)`` when it cannot be read as
    one: not UTF-8/UTF-16, or far over :attr:`Limits.text_chars` (not read at all). Other
    ``OSError`` are the caller's."""
    try:
        return read_source(path, limits), None
    except TooLarge as exc:
        return None, Problem(shown, 1, "Nội dung",
                             f"tệp bài nặng {_amount(exc.size / 1048576)} MB, quá dài cho một "
                             f"bài (tối đa {number(limits.text_chars)} ký tự)", _TOO_LONG)
    except UnicodeDecodeError:
        return None, Problem(shown, 1, "Mã hóa", "tệp không phải văn bản UTF-8 hay UTF-16",
                             "mở tệp bằng trình soạn thảo và lưu lại với mã hóa UTF-8")


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
            last_key = match["key"].lower().replace("-", "_")
            header.add(last_key, match["value"], index + 1)
        elif last_key and line.startswith((" ", "\t")):
            header.extend(last_key, line)
        else:
            header.no_blank_line = index + 1 if header.fields and not start else 0
            break
        index += 1
    return header.finish(lines, index)


def address_slug(slug: str | None, title: str, stem: str) -> str:
    """The slug an article is published under, the build's rule (plugins/schema): its
    ``Slug`` field, else its title's slug, else its file name's."""
    return slug or slugify(title or stem) or slugify(stem)


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
    def __init__(self, header: Header, path: str, limits: Limits = LIMITS):
        self.header = header
        self.path = path
        self.limits = limits
        self.problems: list[Problem] = []
        self.over: set[str] = set()  # fields over a limit ("body": the text), said once

    def add(self, key, message, fix="", severity=ERROR):
        if key in self.over:
            return
        line = self.header.lines.get(key, 1)
        self.problems.append(Problem(self.path, line, key.capitalize(), message, fix, severity))

    def over_limit(self, key, message, fix, line=None, label=None):
        """``key`` is over a limit: said here, and nothing more is said or kept of it."""
        if key in self.over:
            return
        self.over.add(key)
        self.problems.append(Problem(self.path, line or self.header.lines.get(key, 1),
                                     label or key.capitalize(), message, fix))

    def missing(self, key):
        if key in self.over:
            return
        spec = FIELDS[key]
        self.problems.append(
            Problem(
                self.path, 1, key.capitalize(), f"thiếu trường {spec.label}",
                f"thêm một dòng “{key.capitalize()}: {spec.example}” ở đầu tệp, "
                "trước dòng trống",
            )
        )


def validate(header: Header, source: Path | str, *, kind: str = "article",
             content_root: Path | str | None = None, data_dir=None,
             limits: Limits = LIMITS):
    """Check a header; return ``(values, problems)``.

    ``values`` holds clean values for the fields that passed (dates as aware datetimes, lists
    as lists, the canonical category name, booleans...). ``problems`` lists every problem.
    The :class:`Limits` are checked first: a field over its limit is named once and left out
    of ``values``, and ``values["over_limit"]`` (when there is one) lists those fields,
    ``"body"`` standing for the text, so a build publishes none of it.
    """
    source = Path(source)
    content_root = Path(content_root) if content_root else source.parent
    check = _Checker(header, shown_path(source, content_root), limits)
    _check_limits(check, header, limits)
    fields = {k: v for k, v in header.fields.items() if k not in check.over}
    values: dict = {}
    if header.no_blank_line:
        check.problems.append(Problem(
            check.path, header.no_blank_line, "Nội dung", "thiếu dòng trống giữa phần đầu bài "
            "(các dòng Title, Date...) và nội dung", "thêm một dòng trống ngay trước dòng này",
            WARNING))
    _check_names(check, header, fields, set(FIELDS) if kind == "article" else PAGE_FIELDS)

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
    if header.body and "body" not in check.over:
        _check_body(check, header, source, content_root)
    if check.over:
        values["over_limit"] = sorted(check.over)
    return values, check.problems


#: Warnings of one kind said one by one, before the rest are counted in one more.
_SAY_AT_MOST = 10


def _check_names(check, header: Header, fields: dict, known) -> None:
    """Fields written twice, and names that are no field (warnings)."""
    duplicates = header.duplicates
    for key, line in duplicates[:_SAY_AT_MOST]:
        check.problems.append(Problem(
            check.path, line, key.capitalize(),
            "trường này được khai hai lần; chỉ dòng đầu được dùng", "xóa dòng thừa", WARNING))
    if len(duplicates) > _SAY_AT_MOST:
        key, line = duplicates[_SAY_AT_MOST]
        check.problems.append(Problem(
            check.path, line, key.capitalize(),
            f"còn {number(len(duplicates) - _SAY_AT_MOST)} dòng khai lại trường đã có, từ "
            "dòng này", "xóa các dòng thừa", WARNING))
    unknown = [key for key in fields if key not in known]
    for key in unknown[:_SAY_AT_MOST]:
        near = _closest(key, known)
        check.add(key, f"trường lạ “{key.capitalize()}”",
                  f"có phải bạn định viết {near}?" if near else
                  "xóa dòng này hoặc xem danh sách trường trong README", WARNING)
    if len(unknown) > _SAY_AT_MOST:
        check.add(unknown[_SAY_AT_MOST], f"còn {number(len(unknown) - _SAY_AT_MOST)} trường "
                  "lạ nữa, từ dòng này", "xóa các dòng đó; danh sách trường ở README", WARNING)


_TOO_LONG = ("chia bài thành nhiều kỳ, mỗi kỳ một tệp (Kỳ 1, Kỳ 2...); văn bản dài chép "
             "nguyên văn (luật, báo cáo) thì chỉ trích đoạn cần thiết")
#: Fields that hold a list: the separator, what one item is called, the fix of a long item.
_ITEMS = {
    "tags": (",", "từ khóa", "từ khóa chỉ vài chữ, ví dụ “an toàn lao động”; các từ khóa "
             "cách nhau dấu phẩy"),
    "author": (",", "tác giả", "ghi họ tên hoặc bút danh; nhiều người thì cách nhau dấu phẩy"),
    "campaign": (",", "chiến dịch", "ghi slug chiến dịch trong data/campaigns.yml, cách nhau "
                 "dấu phẩy"),
    "theme": (",", "chủ đề", "ghi slug chủ đề trong data/themes.yml, cách nhau dấu phẩy"),
    "sent_to": (",", "nơi gửi", "ghi slug nơi nhận trong data/outlets.yml, cách nhau dấu phẩy"),
    "laws": (";", "văn bản", "ghi số hiệu, tên văn bản và điều khoản là đủ; các văn bản cách "
             "nhau dấu chấm phẩy"),
}
#: Fields a page address is made from: their slug must fit in a file name (:data:`SLUG_MAX`).
_ADDRESS_FIELDS = {"title", "slug", "tags", "author"}
_TEXT_FIX = {
    "title": ("tiêu đề", "rút gọn tiêu đề (tiêu đề tốt thường dưới 100 ký tự); ý phụ đưa vào "
              "Summary (tóm tắt)"),
    "slug": ("đường dẫn", "viết đường dẫn ngắn, không dấu, ví dụ “doi-thoai-tai-ha-lam”, hoặc "
             "xóa dòng Slug để đường dẫn lấy theo tiêu đề"),
    "summary": ("tóm tắt", f"tóm tắt 1–2 câu, dưới {SUMMARY_MAX} ký tự; phần còn lại đưa vào "
                "nội dung bài"),
}
_VIETNAMESE = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
#: Text whose slug is never longer than itself: ASCII, Vietnamese letters and the punctuation
#: of Vietnamese news (others, such as "中" → "zhong", may make a slug many times longer).
_PLAIN = re.compile(f"[\\x00-\\x7f{_VIETNAMESE}{_VIETNAMESE.upper()}“”‘’–—…«»·•×]*")


def _slug_length(text: str) -> int:
    """The length of ``text``'s slug, or an upper bound of it when that is cheaper."""
    return len(text) if _PLAIN.fullmatch(text) else len(slugify(text))


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[:width].rstrip() + "…"


def _check_limits(check, header: Header, limits: Limits) -> None:
    """The size limits, before anything is done with a value (a list is split, never
    slugified, when it has too many items): each field over one goes to ``check.over``."""
    size = len(header.body) + sum(map(len, header.fields.values()))
    if size > limits.text_chars:
        check.over_limit("body", f"bài dài {number(size)} ký tự, tối đa "
                         f"{number(limits.text_chars)} ký tự", _TOO_LONG, header.body_line,
                         "Nội dung")
    for key, value in header.fields.items():
        if key in _ITEMS:
            _check_items(check, key, value, limits)
            continue
        name, fix = _TEXT_FIX.get(key, ("nội dung trường", "viết ngắn lại; phần dài đưa vào "
                                        "nội dung bài, sau dòng trống"))
        most = {"title": limits.title_chars, "slug": limits.title_chars,
                "summary": limits.summary_chars}.get(key, limits.field_chars)
        if len(value) > most:
            check.over_limit(key, f"{name} dài {number(len(value))} ký tự, tối đa "
                             f"{number(most)}", fix)
        elif key in _ADDRESS_FIELDS and (length := _slug_length(value)) > SLUG_MAX:
            check.over_limit(key, f"{name} làm ra đường dẫn dài {number(length)} ký tự, tối đa "
                             f"{SLUG_MAX}", "viết ngắn lại, bằng chữ tiếng Việt")


def _check_items(check, key: str, value: str, limits: Limits) -> None:
    sep, noun, fix = _ITEMS[key]
    most, longest = {"tags": (limits.tags, limits.tag_chars),
                     "author": (limits.authors, limits.author_chars)}.get(
        key, (limits.list_items, limits.item_chars))
    items = split_list(value, sep)
    if len(items) > most:
        keep = (f"giữ lại những {noun} chính (tối đa {number(most)}), cách nhau dấu "
                + ("chấm phẩy" if sep == ";" else "phẩy"))
        if key == "tags":
            keep += "; từ khóa để bạn đọc tìm các bài cùng chủ đề, không cần kể mọi ý trong bài"
        elif key == "author":
            keep += "; nhóm đông người thì ghi tên nhóm, ví dụ “Nhóm phóng viên Than Hà Lầm”"
        check.over_limit(key, f"bài có {number(len(items))} {noun}, tối đa {number(most)}", keep)
        return
    for item in items:
        if len(item) > longest:
            check.over_limit(key, f"{noun} “{_clip(item)}” dài {number(len(item))} ký tự, tối "
                             f"đa {number(longest)}", fix)
            return
        if key in _ADDRESS_FIELDS and (length := _slug_length(item)) > SLUG_MAX:
            check.over_limit(key, f"{noun} “{_clip(item)}” làm ra đường dẫn dài "
                             f"{number(length)} ký tự, tối đa {SLUG_MAX}",
                             "viết ngắn lại, bằng chữ tiếng Việt")
            return


HEIC_SUFFIXES = {".heic", ".heif"}
#: ISO base media brands of HEIC/HEIF files (an iPhone photo renamed .jpg is still HEIC).
HEIC_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis")
_HEIC = ("ảnh HEIC của iPhone, trình duyệt và máy dựng trang không đọc được",
         "trên iPhone vào Cài đặt > Camera > Định dạng, chọn “Tương thích nhất” rồi chụp lại; "
         "với ảnh đã chụp, mở ảnh, bấm Chia sẻ > Lưu vào Tệp hoặc gửi qua Zalo/Email "
         "(ảnh được đổi sang JPEG), rồi gửi tệp .jpg")
_SHRINK = "giảm kích thước ảnh (cạnh dài khoảng 3000 điểm ảnh là đủ) rồi gửi lại"
_FEWER_PIXELS = "thu nhỏ ảnh (cạnh dài khoảng 3000 điểm ảnh là đủ) rồi gửi lại"


def _long_name(target: Path) -> tuple[str, str] | None:
    """A photo whose name is too long for the files made from it, as ``(message, fix)``."""
    name = target.name
    if len(name.encode("utf-8")) <= IMAGE_NAME_MAX:
        return None
    return (f"tên tệp ảnh “{_clip(name)}” quá dài ({number(len(name))} ký tự)",
            "đổi tên ảnh cho ngắn (vài chữ, ví dụ “anh-1.jpg”) rồi sửa tên ấy trong bài")


def _amount(value: float) -> str:
    """``20.0`` → ``20``, ``0.24`` → ``0,2``, ``1234.5`` → ``1.234,5``: a figure as Vietnamese
    write it (decimal comma, thousands set off by dots)."""
    text = f"{value:,.1f}".translate(str.maketrans(",.", ".,"))
    return text[:-2] if text.endswith(",0") else text


def file_problem(path: Path, size: int, head: bytes,
                 max_bytes: int = LIMITS.image_bytes) -> tuple[str, str] | None:
    """The checks made before a photo is opened at all, as ``(message, fix)``: HEIC (by name
    or by content: ``head`` is the file's first 16 bytes or more) and the size limit. The
    one owner of these checks and their wording: ``invoke check`` (:func:`image_problem`)
    and the image plugin (``plugins.images.process``, with the site's own limits) both
    call it."""
    if Path(path).suffix.lower() in HEIC_SUFFIXES or (
            head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS):
        return _HEIC
    if size > max_bytes:
        # the size rounded up: a photo just over 20 MB reads "20,1 MB", never "20 MB"
        return (f"ảnh nặng {_amount(-(-size * 10 // 1048576) / 10)} MB, quá giới hạn "
                f"{_amount(max_bytes / 1048576)} MB", _SHRINK)
    return None


def pixels_problem(width: int | None, height: int | None,
                   max_pixels: int = LIMITS.image_pixels) -> tuple[str, str] | None:
    """A photo with more than ``max_pixels`` pixels (size unknown, ``None``: Pillow refused
    it as a decompression bomb), as ``(message, fix)``."""
    if width is None or height is None:
        return ("ảnh quá lớn (số điểm ảnh vượt giới hạn an toàn)", _FEWER_PIXELS)
    if width * height > max_pixels:
        return (f"ảnh quá lớn: {width}×{height} điểm ảnh (tối đa "
                f"{_amount(max_pixels / 1_000_000)} triệu điểm ảnh)", _FEWER_PIXELS)
    return None


def image_problem(path: Path, limits: Limits = LIMITS) -> tuple[str, str] | None:
    """What is wrong with an image file, as ``(message, fix)``, or None when it is usable,
    with the limits :attr:`Limits.image_bytes` and :attr:`Limits.image_pixels`.

    Cheap enough for every commit: Pillow reads the header only, and a file is decoded (at
    1/8 scale) only when its end marker is missing, which is how a truncated upload looks.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    ext = path.suffix.lower()
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(32)
    bad = file_problem(path, size, head, limits.image_bytes)
    if bad is not None:
        return bad
    if ext not in IMAGE_EXTENSIONS:
        return (f"định dạng ảnh “{ext or path.name}” không được nhận",
                "lưu ảnh dạng JPEG (.jpg) hoặc PNG (.png)")
    broken = ("tệp ảnh bị hỏng hoặc chưa chép hết",
              "mở thử ảnh trên máy; chép hoặc xuất lại ảnh từ bản gốc rồi gửi lại")
    try:
        with Image.open(path) as im:
            width, height = im.size
            bad = pixels_problem(width, height, limits.image_pixels)
            if bad is not None:
                return bad
            if not _ends_whole(path, im.format, size):
                if im.format == "JPEG":
                    im.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                im.load()
    except Image.DecompressionBombError:
        return pixels_problem(None, None, limits.image_pixels)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return broken
    return None


_END_MARKERS = {"JPEG": b"\xff\xd9", "PNG": b"IEND\xaeB`\x82", "GIF": b"\x3b"}


def _ends_whole(path: Path, fmt: str | None, size: int) -> bool:
    """True when the file visibly ends where its format says it should."""
    with open(path, "rb") as handle:
        if fmt == "WEBP":
            head = handle.read(8)
            return int.from_bytes(head[4:8], "little") + 8 <= size
        marker = _END_MARKERS.get(fmt or "")
        if marker is None:
            return False
        handle.seek(max(0, size - 2048))
        return marker in handle.read()


_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)[^`].*?\1")
_MD_IMAGE = re.compile(
    r"!\[(?P<alt>(?:[^\]\\]|\\.)*)\]\(\s*<?(?P<src>[^)\s>]*)>?(?:\s+[\"'(][^)]*)?\)")
_TAG_HINT = re.compile(r"<[A-Za-z!/]")


def _masked_lines(body: str) -> list[str]:
    """Body lines with fenced code blocks and inline code blanked (shown as text, not run)."""
    if "`" not in body and "~~~" not in body:
        return body.split("\n")  # no code at all (nearly every article): nothing to blank
    lines, fence = [], None
    for line in body.split("\n"):
        match = _FENCE.match(line)
        if fence:
            lines.append("")
            if match and match[1][0] == fence[0] and len(match[1]) >= len(fence):
                fence = None
            continue
        if match:
            fence = match[1]
            lines.append("")
            continue
        lines.append(_CODE_SPAN.sub(lambda m: " " * len(m[0]), line))
    return lines


class _HTMLScan(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[int, str, dict]] = []
        self.line = 1  # the line of the body the text fed now starts on

    def handle_starttag(self, tag, attrs):
        self.tags.append((self.line + self.getpos()[0] - 1, tag,
                          {k: v or "" for k, v in attrs}))

    handle_startendtag = handle_starttag


#: One tag of raw HTML as the body check reads it: "<", a name, then at most 4,000 characters
#: (a quoted value may hold ">") up to ">", never a "<": each character is looked at once.
#: HTMLParser fed a whole body took minutes over a paragraph of thousands of unclosed "<a ".
_TAG = re.compile(r"""<[A-Za-z!/](?:"[^"<]{0,2000}"|'[^'<]{0,2000}'|[^'"<>]){0,4000}>""")


def _scan_tags(text: str) -> list[tuple[int, str, dict]]:
    """The start tags of raw HTML in ``text``: (line, name, attributes)."""
    scan, last = _HTMLScan(), 0
    for match in _TAG.finditer(text):
        scan.line += text.count("\n", last, match.start())
        last = match.start()
        scan.reset()
        try:
            scan.feed(match[0])
            scan.close()
        except Exception:  # noqa: BLE001 - HTMLParser gives up on some broken markup
            pass
    return scan.tags


def _check_body(check, header: Header, source: Path, content_root: Path) -> None:
    """Body rules: every image exists, opens and has alt text; no raw HTML the site forbids;
    no more images than :attr:`Limits.images` (counted before any is opened)."""
    lines = _masked_lines(header.body)
    path = check.path
    images = []  # (line, src, alt, how), checked once they are counted

    def add(line, message, fix):
        check.problems.append(Problem(path, header.body_line + line - 1, "Nội dung",
                                      message, fix))

    def image(line, src, alt, how):
        images.append((line, src, alt, how))

    def check_image(line, src, alt, how):
        if not alt.strip():
            add(line, f"ảnh “{src}” chưa có mô tả (alt) cho người khiếm thị", how)
        if not src or re.match(r"^(?:[a-z]+:)?//", src, re.I) or src.startswith("data:"):
            return
        target = resolve_path(src.split("#")[0].split("?")[0], source, content_root)
        if (bad := _long_name(target)) is not None:
            check.over_limit("body", *bad, header.body_line + line - 1, "Nội dung")
        elif not target.is_file():
            add(line, f"không tìm thấy ảnh “{src}”",
                "đặt ảnh trong thư mục cùng tên bài, cạnh tệp bài, và viết "
                "![mô tả]({static}ten-bai/anh-2.jpg)")
        elif (bad := image_problem(target, check.limits)) is not None:
            add(line, f"ảnh “{src}”: {bad[0]}", bad[1])

    for index, line in enumerate(lines, 1):
        if "![" in line:
            for match in _MD_IMAGE.finditer(line):
                image(index, match["src"], match["alt"],
                      "viết mô tả ngắn trong ngoặc vuông: ![Công nhân nhận quà](...)")
    text = "\n".join(lines)
    if _TAG_HINT.search(text):
        _check_html(text, add, image)
    images.sort(key=lambda found: found[0])
    most, cover = check.limits.images, 1 if header.fields.get("image") else 0
    if len(images) + cover > most:
        first_over = images[most - cover][0]  # the line of the image one past the limit
        check.over_limit("body", f"bài có {number(len(images) + cover)} ảnh (kể cả ảnh đại "
                         f"diện), tối đa {number(most)}; ảnh thứ {number(most + 1)} ở dòng "
                         "này", f"chọn những ảnh rõ, đẹp nhất (tối đa {number(most)}); nhiều "
                         "ảnh hơn thì chia thành nhiều bài ảnh",
                         header.body_line + first_over - 1, "Nội dung")
        return
    for found in images:
        check_image(*found)


def _check_html(text: str, add, image) -> None:
    """Raw HTML of a body: tags the site forbids, scripts in attributes; ``<img>`` to
    ``image``."""
    for line, tag, attrs in _scan_tags(text):
        if tag == "iframe":
            add(line, "khung nhúng <iframe> không được phép trong bài; video YouTube có trường "
                "riêng", "xóa <iframe> và ghi đường dẫn video vào trường “Video: "
                "https://www.youtube.com/watch?v=...”")
        elif tag in FORBIDDEN_TAGS:
            add(line, f"thẻ HTML <{tag}> không được phép trong bài",
                f"xóa thẻ <{tag}>; bài chỉ viết bằng chữ, ảnh và định dạng Markdown")
        for name, value in attrs.items():
            if name.startswith("on"):
                add(line, f"thuộc tính “{name}” (chạy mã JavaScript) không được phép",
                    f"xóa {name}=\"...\" khỏi thẻ <{tag}>")
            elif name in ("href", "src", "action", "formaction") and re.match(
                    r"(?:javascript|vbscript):", re.sub(r"[\x00-\x20]", "", value), re.I):
                add(line, f"liên kết “{value[:40]}” chạy mã JavaScript, không được phép",
                    "thay bằng một đường dẫn http(s) thật")
        if tag == "img":
            image(line, attrs.get("src", ""), attrs.get("alt", ""),
                  "thêm alt=\"mô tả ngắn nội dung ảnh\" vào thẻ <img>")


_FOCUS = re.compile(r"^\s*(\d{1,3}(?:[.,]\d+)?)\s*%?\s*[,; ]\s*(\d{1,3}(?:[.,]\d+)?)\s*%?\s*$")


def parse_focus(raw: str) -> tuple[float, float] | None:
    """The cover's focal point from ``Image_focus: 50, 30`` (percent across, down) as
    fractions ``(0.5, 0.3)``; None when it is not two percentages."""
    match = _FOCUS.match(str(raw))
    if match:
        x, y = (float(v.replace(",", ".")) for v in match.groups())
        if x <= 100 and y <= 100:
            return (x / 100, y / 100)
    return None


def _check_image(check, fields, values, source, content_root):
    focus = fields.get("image_focus", "")
    if focus and parse_focus(focus) is None:
        check.add("image_focus", f"“{focus}” không phải điểm chính hợp lệ",
                  "ghi hai số phần trăm ngang, dọc, ví dụ “50, 30”", WARNING)
    image = fields.get("image", "")
    if not image:
        if fields.get("image_alt"):
            check.add("image_alt", "có mô tả ảnh nhưng không có ảnh (Image)",
                      "thêm dòng Image, hoặc xóa dòng Image_alt", WARNING)
        return
    target = resolve_path(image, source, content_root)
    if (bad := _long_name(target)) is not None:
        check.over_limit("image", *bad)
    elif not target.is_file():
        check.add("image", f"không tìm thấy ảnh “{image}”",
                  "đặt ảnh vào thư mục cùng tên bài viết, cạnh tệp bài, và ghi đường dẫn "
                  "tính từ tệp bài, ví dụ “ten-bai/anh-bia.jpg”")
    elif (bad := image_problem(target, check.limits)) is not None:
        check.add("image", f"ảnh “{image}”: {bad[0]}", bad[1])
    else:
        try:
            values["image"] = PurePosixPath(target.resolve().relative_to(
                Path(content_root).resolve())).as_posix()
        except ValueError:
            check.add("image", f"ảnh “{image}” nằm ngoài thư mục content/",
                      "chép ảnh vào cạnh tệp bài viết")
    if fields.get("image_alt"):
        values["image_alt"] = fields["image_alt"]
    else:  # said at the Image line: the line to add goes right under it
        check.problems.append(Problem(
            check.path, check.header.lines.get("image", 1), "Image_alt",
            "ảnh đại diện chưa có mô tả (người khiếm thị cần mô tả này)",
            "thêm dòng “Image_alt: mô tả ngắn nội dung ảnh” ngay dưới dòng này"))


def _check_article(check, fields, values, data_dir):
    unit = fields.get("unit", "")
    if not unit:
        check.missing("unit")
    else:
        found = data.find_unit(unit, data_dir)
        if found:
            values["unit"] = found["slug"]
        else:
            check.add("unit", *data.unit_refusal(unit, data_dir))

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
