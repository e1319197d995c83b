"""The printed weekly bulletins on the site, for units to download and print.

``invoke bulletin`` (``newsroom/editorial/bulletin.py``) leaves ``content/ban-tin/<tên>.pdf`` and
its description ``<tên>.json``. This generator (Pelican's documented ``get_generators`` signal)
copies each PDF to ``/ban-tin/<tên>.pdf``, lists them newest first on ``/ban-tin/`` (theme
template ``bulletins.html``, extending ``base.html``: everything escaped) and in the Atom feed
``/ban-tin/feed.xml``, one entry per bulletin, with absolute links.

What lies in ``content/`` is untrusted: a name that is not a week's or a period's, a description
that does not parse or holds other fields, a "PDF" that is no PDF, are left out with a message
naming the file, the field and the fix (a warning; an error in a strict build).

Settings::

    BULLETIN = {"folder": "ban-tin", "url": "ban-tin/", "save_as": "ban-tin/index.html",
                "feed": "ban-tin/feed.xml", "max_bytes": 20_000_000}
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from pelican import signals
from pelican.generators import Generator

from newsroom.core import safefs, schema
from newsroom.core.dates import local
from newsroom.core.settings import absolute_base, plugin_settings
from newsroom.core.text import printable

logger = logging.getLogger(__name__)

DEFAULTS = {"folder": "ban-tin", "url": "ban-tin/", "save_as": "ban-tin/index.html",
            "feed": "ban-tin/feed.xml", "max_bytes": 20_000_000}
NAME = re.compile(r"^\d{4}-\d{2}(?:-\d{2}-den-\d{4}-\d{2}-\d{2})?$")
REMAKE = "làm lại bản tin bằng lệnh invoke bulletin (đừng sửa tay tệp này)"


@dataclass(frozen=True)
class Bulletin:
    name: str
    label: str
    start: dt.date
    end: dt.date
    made: dt.datetime
    pages: int
    size: int
    items: int
    campaigns: tuple[str, ...]
    stories: tuple[tuple[str, str], ...]  # (title, absolute URL)
    url: str  # "ban-tin/2026-49.pdf"
    source: Path

    @property
    def dates(self) -> str:
        return f"{self.start:%d/%m}–{self.end:%d/%m/%Y}"

    @property
    def kilobytes(self) -> int:
        return max(1, round(self.size / 1024))


class _Bad(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _text(raw: dict, key: str, limit: int = 300) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise _Bad(key, f"“{key}” phải là một dòng chữ (tối đa {limit} ký tự)")
    return printable(value.strip())


def _number(raw: dict, key: str, low: int, high: int) -> int:
    value = raw.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _Bad(key, f"“{key}” phải là số nguyên từ {low} đến {high}")
    return value


def _parse(raw, name: str, pdf: Path, conf: dict) -> Bulletin:
    if not isinstance(raw, dict):
        raise _Bad("tệp", "tệp mô tả phải là một đối tượng JSON")
    if raw.get("name") != name:
        raise _Bad("name", f"tên “{raw.get('name')}” khác tên tệp “{name}”")
    try:
        start, end = (dt.date.fromisoformat(str(raw.get(k))) for k in ("from", "to"))
        made = local(dt.datetime.fromisoformat(str(raw.get("made"))))
    except ValueError:
        raise _Bad("from/to/made", "ngày phải viết dạng 2026-11-30 (made: 2026-12-07T08:00:00+07:00)"
                   ) from None
    stories = raw.get("stories")
    if not isinstance(stories, list) or len(stories) > 20 or not all(
            isinstance(s, dict) for s in stories):
        raise _Bad("stories", "“stories” phải là danh sách (tối đa 20 tin)")
    pairs = []
    for story in stories:
        url = _text(story, "url", 2000)
        if not url.startswith(("https://", "http://")):
            raise _Bad("stories", f"đường dẫn “{url}” không bắt đầu bằng https://")
        pairs.append((_text(story, "title"), url))
    campaigns = raw.get("campaigns") or []
    if not isinstance(campaigns, list) or not all(isinstance(c, str) for c in campaigns):
        raise _Bad("campaigns", "“campaigns” phải là danh sách tên chiến dịch")
    size = pdf.stat().st_size
    with pdf.open("rb") as handle:
        if handle.read(5) != b"%PDF-":
            raise _Bad("tệp PDF", f"{pdf.name} không phải tệp PDF")
    if size > conf["max_bytes"]:
        raise _Bad("tệp PDF", f"{pdf.name} nặng {size // 1_000_000} MB, quá "
                   f"{conf['max_bytes'] // 1_000_000} MB")
    return Bulletin(name=name, label=_text(raw, "label", 100), start=start, end=end, made=made,
                    pages=_number(raw, "pages", 1, 8), size=size,
                    items=_number(raw, "items", 0, 100_000),
                    campaigns=tuple(printable(c)[:300] for c in campaigns[:10]),
                    stories=tuple(pairs), url=f"{conf['url']}{name}.pdf", source=pdf)


def read_folder(folder: Path, conf: dict, shown: str) -> tuple[list[Bulletin], list]:
    """The bulletins of ``folder``, newest first, and a :class:`newsroom.core.schema.Problem` for
    each file left out."""
    found, problems = [], []
    if not folder.is_dir():
        return found, problems
    for about in sorted(folder.glob("*.json")):
        name = about.stem
        where = f"{shown}/{about.name}"
        text = ""
        try:
            if not NAME.fullmatch(name):
                raise _Bad("tên tệp", f"“{about.name}” không phải tên của một bản tin "
                                      "(2026-49.json, hoặc 2026-11-23-den-2026-12-06.json)")
            pdf = safefs.inside(folder, f"{name}.pdf")
            if not pdf.is_file() or pdf.is_symlink():
                raise _Bad("tệp PDF", f"thiếu tệp {name}.pdf bên cạnh")
            text = about.read_text(encoding="utf-8")
            found.append(_parse(json.loads(text), name, pdf, conf))
        except (ValueError, OSError, safefs.Unsafe) as exc:
            field = exc.field if isinstance(exc, _Bad) else "tệp"
            message = str(exc) if isinstance(exc, _Bad) else f"không đọc được tệp mô tả ({exc})"
            problems.append(schema.Problem(where, _line(text, field), field, message, REMAKE))
    found.sort(key=lambda b: (b.end, b.start, b.name), reverse=True)
    return found, problems


def _line(text: str, field: str) -> int:
    """The line of the description where ``field`` is written (1 when it is not)."""
    at = text.find(f'"{field.split("/")[0]}"')
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def bulletin_settings(settings) -> dict:
    return plugin_settings(settings, "BULLETIN", DEFAULTS, "plugins.bulletins")


class BulletinGenerator(Generator):
    def generate_context(self):
        self.conf = bulletin_settings(self.settings)
        folder = Path(self.settings["PATH"]) / self.conf["folder"]
        self.bulletins, problems = read_folder(folder, self.conf,
                                               f"{Path(self.settings['PATH']).name}/"
                                               f"{self.conf['folder']}")
        strict = self.settings.get("NEWSROOM_STRICT")
        for problem in problems:
            (logger.error if strict else logger.warning)("%s", problem)
        self.context["bulletins_url"] = self.conf["url"]

    def generate_output(self, writer):
        output = Path(self.output_path)
        for bulletin in self.bulletins:
            target = safefs.inside(output, *bulletin.url.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(bulletin.source, target)
        stamp = repr([(b.name, b.size, b.made.isoformat()) for b in self.bulletins])
        writer.write_file(self.conf["save_as"], self.get_template("bulletins"), self.context,
                          self.settings["RELATIVE_URLS"], template_name="bulletins",
                          url=self.conf["url"], bulletins=self.bulletins,
                          bulletins_feed=self.conf["feed"] if self.bulletins else "",
                          bulletins_stamp=stamp)
        if self.conf["feed"] and self.bulletins:  # no bulletin: no feed (nor a clock date)
            write_feed(self.bulletins, self.settings, output, self.conf)


def write_feed(bulletins, settings, output: Path, conf: dict) -> Path:
    """``/ban-tin/feed.xml``: one entry per bulletin, absolute links; its date is the newest
    bulletin's, so an unchanged list gives the same bytes."""
    from feedgenerator import Atom1Feed, get_tag_uri

    base = absolute_base(settings)
    feed = Atom1Feed(title=f"Bản tin {settings.get('SITENAME_SHORT', '')} (PDF)".strip(),
                     link=f"{base}/{conf['url']}", feed_url=f"{base}/{conf['feed']}",
                     description="Bản tin tuần in trên khổ A4 cho bảng tin các đơn vị",
                     language="vi")
    for b in bulletins:
        lines = [f"{b.label} ({b.dates}), {b.pages} trang A4, {b.kilobytes} KB."]
        lines += [f"• {title}" for title, _ in b.stories]
        feed.add_item(title=f"Bản tin Công đoàn TKV – {b.label}", link=f"{base}/{b.url}",
                      description="\n".join(lines), pubdate=b.made, updateddate=b.made,
                      unique_id=get_tag_uri(f"{base}/{b.url}", b.made),
                      enclosures=[])
    target = safefs.inside(output, *conf["feed"].split("/"))
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as handle:
        feed.write(handle, "utf-8")
    return target


def get_generators(pelican):
    return BulletinGenerator


def register():
    signals.get_generators.connect(get_generators)
