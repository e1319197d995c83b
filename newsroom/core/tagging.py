"""Which campaigns and themes an article belongs to, and why.

:func:`tag_article` is a pure function of an article's clean values (from
:func:`newsroom.core.schema.validate`), its Markdown body and the data files. The build (plugin
``campaigns``), ``invoke tags`` and the reports all call it, so the site, the audit and the
figures always agree.

Rules, for campaigns and themes alike:

1. ``Campaign:`` / ``Theme:`` in the article wins: the slugs written there, nothing else.
   ``none`` opts out (no automatic tagging).
2. Otherwise a campaign is given when the article's date (Vietnam time) lies in the campaign's
   window, ends included, and one of its keywords appears in the title, summary, tags or body.
   A theme is given when one of its keywords appears in the title, summary or tags, or at
   least :data:`THEME_BODY_HITS` times in the body. An entry's ``body_hits`` changes how many
   mentions in the body alone it needs (campaigns: 1 unless set; long windows want 2).
3. An article in a sub-theme is in its parent theme too.

Matching ignores case and accents and folds đ/Đ (``ATVSLĐ`` = ``atvsld``), on NFC or NFD text;
punctuation counts as a space, and keywords match whole words only.
"""
from __future__ import annotations

import datetime as dt
import functools
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from newsroom.core import data
from newsroom.core.calendar import in_window, local_day
from newsroom.core.text import fold

#: How many keyword occurrences in the body alone make an article part of a theme.
THEME_BODY_HITS = 2

FIELD_LABELS = {"title": "tiêu đề", "summary": "tóm tắt", "tags": "từ khóa (Tags)",
                "body": "thân bài"}
OPT_OUT = "none"

_MD_NOISE = re.compile(
    r"\]\([^)]*\)"            # link and image targets
    r"|\{(?:static|attach|filename)\}\S*"
    r"|https?://\S+"
    r"|<[^>]+>"               # inline HTML tags
)


@dataclass(frozen=True)
class Decision:
    """One campaign or theme given to an article, with the reason in Vietnamese."""

    slug: str
    reason: str
    explicit: bool = False

    def __str__(self) -> str:
        return f"{self.slug}: {self.reason}"


#: Combining marks of the Unicode block Vietnamese uses: what NFD makes of Vietnamese accents.
_MARKS = "".join(chr(c) for c in range(0x300, 0x370) if unicodedata.combining(chr(c)))
#: Any other character that is not ASCII (typographic quotes and dashes, other scripts...).
_OTHER = re.compile(f"[^\\x00-\\x7f{_MARKS}]")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
#: ASCII bytes: letters lowercased, digits kept, anything else a space.
_ASCII_WORDS = bytes(c + 32 if 65 <= c <= 90 else c if 48 <= c <= 57 or 97 <= c <= 122 else 32
                     for c in range(256))


@functools.lru_cache(maxsize=4096)
def _other(char: str) -> str:
    """What one character outside ASCII and the accent block folds to, as ASCII: its letters
    and digits, and a space for anything else (a combining mark folds to nothing)."""
    return _NOT_WORD.sub(" ", fold(char).lower())


def _folded(text: str) -> bytes:
    """``text`` as ASCII bytes for matching: lowercase, accents dropped, đ/Đ folded, a space
    for every character that is not a letter or digit once folded (as
    :func:`newsroom.core.text.fold` folds it). Done in a few passes over the text in C: NFD, the
    rare characters outside ASCII and the accent block folded one by one, the accents dropped
    by an ASCII encoding that ignores them, then one byte table for case and punctuation."""
    if not text:
        return b""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    if not text.isascii() and _OTHER.search(text):
        text = _OTHER.sub(lambda m: _other(m.group()), text)
    return text.encode("ascii", "ignore").translate(_ASCII_WORDS)


_SPACES = re.compile(b"  +")


def _padded(text: str) -> bytes:
    """The folded words of ``text`` with one space between words and one at each end."""
    folded = b" " + _folded(text) + b" "
    return _SPACES.sub(b" ", folded) if b"  " in folded else folded


def words(text: str) -> list[bytes]:
    """The folded words of ``text`` (see :func:`_folded`)."""
    return _folded(text).split()


def normalize(text: str) -> str:
    """Folded text for matching: lowercase ASCII words separated by single spaces
    (the same result as :func:`newsroom.core.text.fold`, faster on long text)."""
    return " ".join(_folded(text or "").decode("ascii").split())


@dataclass(frozen=True)
class _Rule:
    slug: str
    keywords: tuple[tuple[str, int], ...]  # (as written, its number in the _Index)
    ids: frozenset  # the keyword numbers
    entry: dict


class _Index:
    """Every keyword of every campaign and theme, each different one once, in one regular
    expression: a text is looked at once for all of them."""

    def __init__(self):
        self.spans: list[int] = []  # per keyword: the length of " its words " less one
        self.number: dict[bytes, int] = {}  # "its words" -> its number
        # "words" found -> the number of each keyword it starts with, itself included
        self.prefixes: dict[bytes, tuple[int, ...]] = {}
        self.pattern = None  # made by seal(), once every keyword is added

    def add(self, needle: tuple[bytes, ...]) -> int:
        key = b" ".join(needle)
        found = self.number.get(key)
        if found is None:
            found = self.number[key] = len(self.spans)
            self.spans.append(len(key) + 1)
        return found

    def seal(self) -> "_Index":
        """One expression for all keywords, as a tree of their letters (so that a place in the
        text that starts no keyword is passed over after a letter or two). At each space it
        finds the longest keyword that starts there; the shorter ones that start there are
        the keywords its words begin with (``prefixes``)."""
        tree: dict = {}
        for key in self.number:
            node = tree
            for char in key:
                node = node.setdefault(bytes([char]), {})
            node[b""] = {}

        def expression(node) -> bytes:
            branches = [re.escape(char) + expression(child)
                        for char, child in sorted(node.items()) if char]
            if not branches:
                return b""
            joined = branches[0] if len(branches) == 1 else b"(?:" + b"|".join(branches) + b")"
            if b"" in node:  # a keyword ends here; a longer one is tried first
                return b"(?:" + joined + b")?"
            return joined

        for key in self.number:
            parts = key.split(b" ")
            self.prefixes[key] = tuple(
                self.number[k] for k in (b" ".join(parts[:n]) for n in range(1, len(parts) + 1))
                if k in self.number)
        # Matched at the space before a keyword, whose words are seen by a look-ahead:
        # keywords that overlap are all found.
        self.pattern = re.compile(b" (?=(" + expression(tree) + b") )")
        return self

    def find(self, text: bytes) -> dict[int, list[int]]:
        """``{keyword number: [where it starts...]}`` for each keyword that occurs in ``text``
        (from :func:`_padded`) as whole consecutive words; a place is that of the space
        before the keyword."""
        found: dict[int, list[int]] = {}
        prefixes = self.prefixes
        for match in self.pattern.finditer(text):
            at = match.start()
            for number in prefixes[match.group(1)]:
                starts = found.get(number)
                if starts is None:
                    found[number] = [at]
                else:
                    starts.append(at)
        return found


def _rule(entry: dict, index: _Index) -> _Rule:
    keywords = []
    for word in entry.get("keywords", ()):
        needle = tuple(words(word))
        if needle:
            keywords.append((word, index.add(needle)))
    return _Rule(entry["slug"], tuple(keywords), frozenset(n for _, n in keywords), entry)


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


@functools.lru_cache(maxsize=16)
def _rules_cached(data_dir: str, _stamp):
    campaigns = data.campaigns(data_dir)
    themes = data.themes(data_dir)
    index = _Index()
    campaign_rules = [_rule(e, index) for e in campaigns.values()]
    theme_rules = [_rule(e, index) for e in themes.values()]
    return (campaign_rules, theme_rules, campaigns, themes, index.seal(),
            {slug: i for i, slug in enumerate(themes)}, {})


def rules(data_dir=None):
    """The keyword rules ``(campaign_rules, theme_rules, campaigns, themes, index, theme
    order, campaigns by day)``, compiled once and kept until a data file changes."""
    folder = str(data_dir or data.DATA_DIR)
    stamp = (_mtime(os.path.join(folder, "campaigns.yml")),
             _mtime(os.path.join(folder, "themes.yml")))
    return _rules_cached(folder, stamp)


def _fields(values: dict, body: str, index: _Index) -> dict:
    """Where each keyword occurs in the title, summary, tags and body (tags one by one: a
    keyword never runs from one tag into the next), and ``head``: the keywords of the first
    three."""
    tags = values.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    tagged: dict[int, list[int]] = {}
    for tag in tags:
        for number in index.find(_padded(str(tag))):
            tagged[number] = [0]
    fields = {
        "title": index.find(_padded(str(values.get("title", "")))),
        "summary": index.find(_padded(str(values.get("summary", "")))),
        "tags": tagged,
        "body": index.find(_padded(_MD_NOISE.sub(" ", body or ""))),
    }
    fields["head"] = fields["title"].keys() | fields["summary"].keys() | tagged.keys()
    return fields


def _explicit(value) -> list[str] | None:
    """The slugs written in the article; ``[]`` for an opt-out, ``None`` if not written."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [v for v in value.split(",")]
    slugs = [str(v).strip() for v in value if str(v).strip()]
    if not slugs:
        return None
    if any(s.lower() == OPT_OUT for s in slugs):
        return []
    return slugs


def _first_match(rule: _Rule, fields: dict, body_hits: int, spans: list):
    if not rule.ids.isdisjoint(fields["head"]):
        for name in ("title", "summary", "tags"):
            found = fields[name]
            if not rule.ids.isdisjoint(found):
                word = next(w for w, n in rule.keywords if n in found)
                return f"từ khóa “{word}” trong {FIELD_LABELS[name]}"
    found = fields["body"]
    if not found or rule.ids.isdisjoint(found):
        return None
    first = next(w for w, n in rule.keywords if n in found)
    # Overlapping keywords ("Bộ luật Lao động", "luật lao động") count as one mention.
    total, reach = 0, -1
    for start, end in sorted({(start, start + spans[n]) for n in rule.ids & found.keys()
                              for start in found[n]}):
        if start >= reach:
            total += 1
        reach = max(reach, end)
    if total >= body_hits:
        times = f" ({total} lần)" if body_hits > 1 else ""
        return f"từ khóa “{first}” trong {FIELD_LABELS['body']}{times}"
    return None


def _in_window(campaign_rules: list, by_day: dict, day: dt.date) -> tuple:
    """The rules of the campaigns whose window holds ``day``, worked out once per day."""
    found = by_day.get(day)
    if found is None:
        found = by_day[day] = tuple(r for r in campaign_rules if in_window(r.entry, day))
    return found


def tag_article(values: dict, body: str, data_dir=None) -> dict[str, list[Decision]]:
    """``{"campaign": [Decision...], "theme": [Decision...]}`` for one article.

    ``values`` are the clean values of :func:`newsroom.core.schema.validate` (title, summary, date,
    tags, campaign, theme...); ``body`` is the Markdown body. Slugs unknown to the data files
    are left out here (the schema reports them as errors).
    """
    campaign_rules, theme_rules, campaigns, themes, index, order, by_day = rules(data_dir)
    fields = None  # found when a campaign or theme is not written in the article
    result: dict[str, list[Decision]] = {"campaign": [], "theme": []}

    written = _explicit(values.get("campaign"))
    if written is not None:
        result["campaign"] = [Decision(s, "khai báo trong bài (Campaign)", True)
                              for s in dict.fromkeys(written) if s in campaigns]
    else:
        when = values.get("date")  # an aware datetime; the window is read in Vietnam time
        when = local_day(when) if isinstance(when, dt.date) else None  # the day, once
        for rule in _in_window(campaign_rules, by_day, when) if when is not None else ():
            if fields is None:
                fields = _fields(values, body, index)
            why = _first_match(rule, fields, rule.entry.get("body_hits") or 1, index.spans)
            if why:
                entry = rule.entry
                result["campaign"].append(Decision(
                    rule.slug, f"{why}; bài đăng trong thời gian chiến dịch "
                               f"{entry['start']:%d/%m/%Y}–{entry['end']:%d/%m/%Y}"))

    written = _explicit(values.get("theme"))
    chosen: list[Decision] = []
    if written is not None:
        chosen = [Decision(s, "khai báo trong bài (Theme)", True)
                  for s in dict.fromkeys(written) if s in themes]
    else:
        if fields is None:
            fields = _fields(values, body, index)
        head, found = fields["head"], fields["body"]
        for rule in theme_rules:
            if rule.ids.isdisjoint(head) and rule.ids.isdisjoint(found):
                continue  # none of its keywords anywhere (most themes, most articles)
            why = _first_match(rule, fields, rule.entry.get("body_hits") or THEME_BODY_HITS,
                               index.spans)
            if why:
                chosen.append(Decision(rule.slug, why))
    seen = {d.slug for d in chosen}
    for decision in list(chosen):
        parent = themes[decision.slug].get("parent")
        while parent and parent not in seen:
            seen.add(parent)
            chosen.append(Decision(parent, f"chủ đề cha của “{decision.slug}”",
                                   decision.explicit))
            parent = themes[parent].get("parent")
    result["theme"] = sorted(chosen, key=lambda d: order[d.slug])
    return result


def opted_out(values: dict, key: str) -> bool:
    """Whether the article wrote ``none`` for ``campaign`` or ``theme``."""
    return _explicit(values.get(key)) == []


class UnknownSlug(ValueError):
    """``invoke tags --only`` names no campaign or theme: the message names the closest."""


def known_slug(only: str, data_dir=None) -> str:
    """``only`` as a campaign or theme slug of the lists (any case, spaces around); an
    unknown one raises :class:`UnknownSlug` naming the closest slugs."""
    from newsroom.core import schema

    slug = unicodedata.normalize("NFC", only).strip().lower()
    known = {**data.themes(data_dir), **data.campaigns(data_dir)}
    if slug in known:
        return slug
    near = schema._closest_terms(slug, known)
    raise UnknownSlug(
        f"không có chiến dịch hay chủ đề “{only}” trong data/campaigns.yml, data/themes.yml. "
        + (f"Có phải là {near}? " if near else "")
        + "Viết đúng slug (chữ thường, không dấu, nối bằng gạch ngang), ví dụ "
        + f"--only {next(iter(data.campaigns(data_dir)), 'thang-cong-nhan-2020')}.")


def audit(content: Path | str, data_dir=None, only: str | None = None) -> list[dict]:
    """Per article under ``content/bai-viet`` (or ``content`` if it has no such folder): its
    campaigns and themes and why, as ``invoke tags`` shows them.

    Each row: ``path`` (relative to ``content``), ``title``, ``date``, ``campaign`` and
    ``theme`` (lists of :class:`Decision`), ``opted_out`` (fields written ``none``),
    ``errors`` (schema errors about Campaign/Theme). ``only`` keeps the rows of one campaign
    or theme slug (an unknown slug raises :class:`UnknownSlug`).
    """
    from newsroom.core import schema

    only = known_slug(only, data_dir) if only else None
    content = Path(content)
    root = content / "bai-viet" if (content / "bai-viet").is_dir() else content
    rows = []
    for path in sorted(root.rglob("*.md")):
        try:
            header = schema.split(schema.read_source(path))
        except (OSError, UnicodeDecodeError):
            continue
        values, problems = schema.validate(header, path, content_root=content,
                                           data_dir=data_dir)
        result = tag_article(values, header.body, data_dir)
        row = {
            "path": path.relative_to(content).as_posix(),
            "title": values.get("title", path.stem),
            "date": values.get("date"),
            "campaign": result["campaign"],
            "theme": result["theme"],
            "opted_out": [k for k in ("campaign", "theme") if opted_out(values, k)],
            "errors": [str(p) for p in problems if p.field.lower() in ("campaign", "theme")],
        }
        if only and only not in {d.slug for d in row["campaign"] + row["theme"]}:
            continue
        rows.append(row)
    return rows


def format_audit(rows: list[dict]) -> str:
    """The audit as text for an editor: one block per article, with how to correct it."""
    out = []
    for row in rows:
        when = f"{row['date']:%d/%m/%Y %H:%M}" if row["date"] else "chưa có ngày"
        out.append(f"{row['path']}  ({when})\n  {row['title']}")
        for key, label in (("campaign", "Chiến dịch"), ("theme", "Chủ đề")):
            if key in row["opted_out"]:
                out.append(f"  {label}: không gắn ({key.capitalize()}: none)")
            elif not row[key]:
                out.append(f"  {label}: (không có)")
            for decision in row[key]:
                out.append(f"  {label}: {decision.slug} — {decision.reason}")
        for error in row["errors"]:
            out.append(f"  ! {error}")
    if rows:
        out.append("")
        out.append("Sửa một lựa chọn sai: thêm ở đầu bài một dòng “Campaign: <slug>” hoặc "
                   "“Theme: <slug>, <slug>” (ghi đè việc tự gắn), hoặc “Campaign: none” / "
                   "“Theme: none” để không gắn.")
    auto = sum(any(not d.explicit for d in r["campaign"]) for r in rows)
    out.append(f"{len(rows)} bài; {sum(bool(r['campaign']) for r in rows)} bài có chiến dịch "
               f"({auto} bài được tự gắn); {sum(bool(r['theme']) for r in rows)} bài có chủ đề; "
               f"{sum(bool(r['opted_out']) for r in rows)} bài ghi “none”.")
    return "\n".join(out)
