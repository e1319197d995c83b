"""Which campaigns and themes an article belongs to, and why.

:func:`tag_article` is a pure function of an article's clean values (from
:func:`newsroom.schema.validate`), its Markdown body and the data files. The build (plugin
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
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from . import data
from .campaigns import in_window
from .text import fold

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


#: Combining marks of the Unicode block Vietnamese uses, removed in one regex pass.
_MARKS = re.compile("[" + "".join(chr(c) for c in range(0x300, 0x370)
                                  if unicodedata.combining(chr(c))) + "]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def _fold(text: str) -> str:
    """:func:`newsroom.text.fold`, done block-wise: the same result, many times faster on a
    long body (``fold`` looks at every character in Python)."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = _MARKS.sub("", text)
    return _NON_ASCII.sub(lambda m: fold(m.group()), text).lower()


def normalize(text: str) -> str:
    """Folded text for matching: lowercase ASCII words separated by single spaces
    (the same result as :func:`newsroom.text.fold`, faster on long text)."""
    return " ".join(_NOT_WORD.sub(" ", _fold(text or "")).split())


@dataclass(frozen=True)
class _Rule:
    slug: str
    keywords: tuple[tuple[str, str, frozenset], ...]  # (as written, " folded words ", words)
    entry: dict


def _compile(entry: dict) -> _Rule:
    keywords = []
    for word in entry.get("keywords", ()):
        folded = normalize(word)
        if folded:
            keywords.append((word, f" {folded} ", frozenset(folded.split())))
    return _Rule(entry["slug"], tuple(keywords), entry)


def _spans(needle: str, text: str) -> list[tuple[int, int]]:
    """Where the space-padded ``needle`` occurs in the space-padded ``text``."""
    found, start = [], text.find(needle)
    while start >= 0:
        found.append((start, start + len(needle) - 1))
        start = text.find(needle, start + 1)
    return found


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


@functools.lru_cache(maxsize=16)
def _rules_cached(data_dir: str, _stamp):
    campaigns = data.campaigns(data_dir)
    themes = data.themes(data_dir)
    return ([_compile(e) for e in campaigns.values()], [_compile(e) for e in themes.values()],
            campaigns, themes)


def rules(data_dir=None):
    """Compiled keyword rules ``(campaign_rules, theme_rules, campaigns, themes)``, cached
    until a data file changes."""
    folder = Path(data_dir or data.DATA_DIR)
    stamp = (_mtime(folder / "campaigns.yml"), _mtime(folder / "themes.yml"))
    return _rules_cached(str(folder), stamp)


def _fields(values: dict, body: str) -> dict[str, str]:
    tags = values.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    # Padded with spaces so that " keyword " finds whole words only (normalized text has
    # single spaces between words); tags are kept apart by a separator no keyword holds.
    fields = {
        "title": f" {normalize(str(values.get('title', '')))} ",
        "summary": f" {normalize(str(values.get('summary', '')))} ",
        "tags": " " + " | ".join(normalize(str(t)) for t in tags) + " ",
        "body": f" {normalize(_MD_NOISE.sub(' ', body or ''))} ",
    }
    fields["body_words"] = frozenset(fields["body"].split())
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


def _first_match(rule: _Rule, fields: dict[str, str], body_hits: int):
    for name in ("title", "summary", "tags"):
        for word, needle, _ in rule.keywords:
            if needle in fields[name]:
                return f"từ khóa “{word}” trong {FIELD_LABELS[name]}"
    spans, first, words = [], None, fields["body_words"]
    for word, needle, needed in rule.keywords:
        # A keyword whose words are not all in the body cannot be there: skip the scan.
        found = _spans(needle, fields["body"]) if needed <= words else []
        if found and first is None:
            first = word
        spans.extend(found)
    # Overlapping keywords ("Bộ luật Lao động", "luật lao động") count as one mention.
    total, reach = 0, -1
    for start, end in sorted(spans):
        if start >= reach:
            total += 1
        reach = max(reach, end)
    if first and total >= body_hits:
        times = f" ({total} lần)" if body_hits > 1 else ""
        return f"từ khóa “{first}” trong {FIELD_LABELS['body']}{times}"
    return None


def tag_article(values: dict, body: str, data_dir=None) -> dict[str, list[Decision]]:
    """``{"campaign": [Decision...], "theme": [Decision...]}`` for one article.

    ``values`` are the clean values of :func:`newsroom.schema.validate` (title, summary, date,
    tags, campaign, theme...); ``body`` is the Markdown body. Slugs unknown to the data files
    are left out here (the schema reports them as errors).
    """
    campaign_rules, theme_rules, campaigns, themes = rules(data_dir)
    fields = _fields(values, body)
    result: dict[str, list[Decision]] = {"campaign": [], "theme": []}

    written = _explicit(values.get("campaign"))
    if written is not None:
        result["campaign"] = [Decision(s, "khai báo trong bài (Campaign)", True)
                              for s in dict.fromkeys(written) if s in campaigns]
    else:
        when = values.get("date")  # an aware datetime; the window is read in Vietnam time
        if not isinstance(when, dt.date):
            when = None
        for rule in campaign_rules:
            if when is None or not in_window(rule.entry, when):
                continue
            why = _first_match(rule, fields, rule.entry.get("body_hits") or 1)
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
        for rule in theme_rules:
            why = _first_match(rule, fields, rule.entry.get("body_hits") or THEME_BODY_HITS)
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
    order = {slug: i for i, slug in enumerate(themes)}
    result["theme"] = sorted(chosen, key=lambda d: order[d.slug])
    return result


def opted_out(values: dict, key: str) -> bool:
    """Whether the article wrote ``none`` for ``campaign`` or ``theme``."""
    return _explicit(values.get(key)) == []


def audit(content: Path | str, data_dir=None, only: str | None = None) -> list[dict]:
    """Per article under ``content/bai-viet`` (or ``content`` if it has no such folder): its
    campaigns and themes and why, as ``invoke tags`` shows them.

    Each row: ``path`` (relative to ``content``), ``title``, ``date``, ``campaign`` and
    ``theme`` (lists of :class:`Decision`), ``opted_out`` (fields written ``none``),
    ``errors`` (schema errors about Campaign/Theme). ``only`` keeps the rows of one campaign
    or theme slug.
    """
    from . import schema

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


def benchmark(content: Path | str, n: int = 2000, data_dir=None) -> dict:
    """CPU time of :func:`tag_article` (and of checking each source, as the build does) over
    ``n`` articles cycled from ``content``; figures for ``invoke bench-tags``."""
    import time

    from . import schema

    content = Path(content)
    paths = sorted(content.rglob("*.md"))
    if not paths:
        raise ValueError(f"{content}: không có bài nào để đo")
    sources = [(p, schema.split(schema.read_source(p))) for p in paths]
    rules(data_dir)  # compile once, as a build does
    checking = tagging = 0.0
    tagged = 0
    for i in range(n):
        path, header = sources[i % len(sources)]
        started = time.process_time()
        values, _ = schema.validate(header, path, content_root=content, data_dir=data_dir)
        middle = time.process_time()
        result = tag_article(values, header.body, data_dir)
        tagging += time.process_time() - middle
        checking += middle - started
        tagged += bool(result["campaign"] or result["theme"])
    elapsed = checking + tagging
    return {"articles": n, "sources": len(sources), "tagged": tagged,
            "seconds": round(elapsed, 3), "ms_per_article": round(1000 * elapsed / n, 3),
            "ms_tag_article": round(1000 * tagging / n, 3),
            "ms_validate": round(1000 * checking / n, 3)}
