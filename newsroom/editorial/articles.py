"""Read every article fast, without a Pelican build: the reading loop behind the reports.

Each Markdown file under the article folders goes through the same steps as in the build:
:func:`newsroom.core.schema.read_source`, :func:`~newsroom.core.schema.split`,
:func:`~newsroom.core.schema.validate`, then :func:`newsroom.core.tagging.tag_article` for its campaigns
and themes, so a report counts exactly what the site shows. Drafts are skipped; every problem is
kept, and an article that cannot be placed (no date or no unit) is left out and said so.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from newsroom.core import data, schema
from newsroom.core.dates import local, parse_date
from newsroom.core.paths import ROOT
from newsroom.core.siteconf import load_conf
from newsroom.core.tagging import tag_article

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
    # What the bulletin and the social posts print (newsroom/editorial): the address the
    # build publishes the article at, from the site's ARTICLE_URL, and its header's text.
    slug: str = ""
    url: str = ""
    summary: str = ""
    image: str = ""  # the cover, relative to the content folder ("" when none)
    image_alt: str = ""
    question: str = ""
    laws: tuple[str, ...] = ()
    featured: bool = False


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


def read(content_dir: Path | str | None = None, data_dir=None, dirs=ARTICLE_DIRS,
         article_url: str | None = None, days: tuple | None = None) -> Corpus:
    """Every non-draft article under ``content_dir`` (default ``content/``); ``article_url``
    is the site's ``ARTICLE_URL`` (default: the one of pelicanconf.py). ``days``
    ``(first, last)`` keeps only the articles dated in those days (Vietnam time): the others
    are not checked nor tagged (a week's bulletin reads one week of 10,000 articles)."""
    content_dir = Path(content_dir or ROOT / "content")
    article_url = article_url or load_conf().article_url
    corpus = Corpus()
    categories = {entry["name"]: slug for slug, entry in data.categories(data_dir).items()}
    for path in article_files(content_dir, dirs):
        text, problem = schema.read_article(path, _shown(path, content_dir))
        if problem is not None:  # not UTF-8/UTF-16, or far over the size of an article
            corpus.problems.append(problem)
            corpus.left_out.append(problem.path)
            continue
        header = schema.split(text)
        if days and not _dated_in(header, days):
            continue
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
        slug = schema.address_slug(header.fields.get("slug"), values.get("title", ""), path.stem)
        corpus.items.append(Item(
            path=shown, title=values.get("title", path.stem), date=values["date"],
            unit=values["unit"], category=category, category_slug=categories.get(category, ""),
            status=values.get("status", "published"),
            sent_to=tuple(values.get("sent_to", ())),
            campaigns=tuple(d.slug for d in tags.get("campaign", ())),
            themes=tuple(d.slug for d in tags.get("theme", ())),
            slug=slug, url=article_url.format(date=values["date"], slug=slug),
            summary=values.get("summary", ""), image=values.get("image", ""),
            image_alt=values.get("image_alt", ""), question=values.get("question", ""),
            laws=tuple(values.get("laws", ())), featured=bool(values.get("featured")),
        ))
    corpus.items.sort(key=lambda item: (item.date, item.path))
    return corpus


def _dated_in(header: schema.Header, days: tuple) -> bool:
    """The header's date falls in ``days``; an unreadable date counts as in (the schema then
    says what is wrong with it)."""
    try:
        return days[0] <= local(parse_date(header.fields.get("date", ""))).date() <= days[1]
    except ValueError:
        return True


def _shown(path: Path, content_dir: Path) -> str:
    try:
        return str(path.relative_to(content_dir.parent))
    except ValueError:
        return str(path)
