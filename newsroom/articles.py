"""Read every article fast, without a Pelican build: the reading loop behind the reports.

Each Markdown file under the article folders goes through the same steps as in the build:
:func:`newsroom.schema.read_source`, :func:`~newsroom.schema.split`,
:func:`~newsroom.schema.validate`, then :func:`newsroom.tagging.tag_article` for its campaigns
and themes, so a report counts exactly what the site shows. Drafts are skipped; every problem is
kept, and an article that cannot be placed (no date or no unit) is left out and said so.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from . import data, schema
from .tagging import tag_article

ROOT = Path(__file__).resolve().parent.parent
ARTICLE_DIRS = ("bai-viet",)


@dataclass(frozen=True)
class Item:
    """One published article as the reports see it."""

    path: str
    title: str
    date: dt.datetime
    unit: str
    category: str
    category_slug: str
    status: str
    sent_to: tuple[str, ...] = ()
    campaigns: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()


@dataclass
class Corpus:
    items: list[Item] = field(default_factory=list)
    problems: list[schema.Problem] = field(default_factory=list)
    drafts: int = 0
    left_out: list[str] = field(default_factory=list)


def article_files(content_dir: Path, dirs=ARTICLE_DIRS):
    for name in dirs:
        base = content_dir / name
        if base.is_dir():
            yield from sorted(p for p in base.rglob("*.md")
                              if not any(part.startswith(".") for part in p.parts))


def read(content_dir: Path | str | None = None, data_dir=None, dirs=ARTICLE_DIRS) -> Corpus:
    """Every non-draft article under ``content_dir`` (default ``content/``)."""
    content_dir = Path(content_dir or ROOT / "content")
    corpus = Corpus()
    categories = {entry["name"]: slug for slug, entry in data.categories(data_dir).items()}
    for path in article_files(content_dir, dirs):
        text, problem = schema.read_article(path, _shown(path, content_dir))
        if problem is not None:  # not UTF-8/UTF-16, or far over the size of an article
            corpus.problems.append(problem)
            corpus.left_out.append(problem.path)
            continue
        header = schema.split(text)
        values, problems = schema.validate(header, path, content_root=content_dir,
                                           data_dir=data_dir)
        corpus.problems.extend(problems)
        shown = problems[0].path if problems else _shown(path, content_dir)
        if values.get("status") == "draft":
            corpus.drafts += 1
            continue
        if "date" not in values or "unit" not in values:
            corpus.left_out.append(shown)
            continue
        tags = tag_article(values, header.body, data_dir=data_dir)
        category = values.get("category", "")
        corpus.items.append(Item(
            path=shown, title=values.get("title", path.stem), date=values["date"],
            unit=values["unit"], category=category, category_slug=categories.get(category, ""),
            status=values.get("status", "published"),
            sent_to=tuple(values.get("sent_to", ())),
            campaigns=tuple(d.slug for d in tags.get("campaign", ())),
            themes=tuple(d.slug for d in tags.get("theme", ())),
        ))
    corpus.items.sort(key=lambda item: (item.date, item.path))
    return corpus


def _shown(path: Path, content_dir: Path) -> str:
    try:
        return str(path.relative_to(content_dir.parent))
    except ValueError:
        return str(path)
