"""Pelican hook for the article schema (``newsroom.core.schema``).

Replaces Pelican's Markdown reader with one that decodes whatever encoding a reporter's machine
wrote, normalises to NFC, reads day-first Vietnamese dates in Asia/Ho_Chi_Minh and checks every
field. Problems ride along in each item's metadata (so Pelican's content cache keeps them); when
all content is read they are reported together. ``NEWSROOM_STRICT = True`` (the publish build and
the tests) turns any error into a failed build listing every problem at once; a preview build
logs them as warnings and goes on, with a broken item kept out as a draft.

The size limits of an article (``NEWSROOM_LIMITS``, :class:`newsroom.core.schema.Limits`) are the
first thing checked: an article over one is a draft without the field that is over (no tags
made from 10,000 tags, no page of a 5 MB text), so even a preview build stays small and quick.
Within the size limit, Python-Markdown can still take hours on a hostile paragraph (its time
grows faster than the square of a paragraph of thousands of ``[`` or ``<``): a body that takes
longer than ``render_seconds`` to render, or nests too deep for it, is left out the same way.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

from markdown import Markdown
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString
from pelican import signals
from pelican.readers import MarkdownReader

from newsroom.core import data, lastbuild, sanitise, schema, tagging
from newsroom.core.dates import TZ
from newsroom.core.text import slugify
from plugins import fence

logger = logging.getLogger(__name__)

# Fields whose clean value from the schema replaces Pelican's own processing of the raw text.
_CLEAN = {"date", "modified", "category", "featured", "unit", "campaign", "theme", "sent_to",
          "laws", "video", "image", "tags"}


class ContentErrors(Exception):
    """Raised by a strict build when content has errors; the message lists them all."""


class NewsroomMarkdownReader(MarkdownReader):
    """Pelican's Markdown reader, with the newsroom schema in front of it."""

    def _real(self, path: str) -> str:
        """``os.path.realpath(path)``, with each folder resolved once per reader (a build
        reads thousands of files from a few hundred folders)."""
        folders = self.__dict__.setdefault("_real_folders", {})
        folder, name = os.path.split(os.path.abspath(path))
        if not name or os.path.islink(path):
            return os.path.realpath(path)
        real = folders.get(folder)
        if real is None:
            real = folders[folder] = os.path.realpath(folder)
        return os.path.join(real, name)

    def _kind(self, path: Path) -> str:
        root = self.__dict__.get("_real_root")
        if root is None:
            root = self._real_root = os.path.join(os.path.realpath(self.settings["PATH"]), "")
        real = self._real(str(path))
        if real == root[:-1]:
            rel = "."
        elif real.startswith(root):
            rel = real[len(root):].replace(os.sep, "/")
        else:
            return "article"
        for prefix in self.settings.get("PAGE_PATHS", ()):
            if rel == prefix or rel.startswith(prefix.rstrip("/") + "/"):
                return "page"
        return "article"

    def _markdown(self) -> Markdown:
        """One Markdown converter per reader, reset between files: building a new one for
        every file (as Pelican does) costs about a sixth of the reading time."""
        md = self.__dict__.get("_md_reused")
        if md is None:
            md = self._md_reused = Markdown(**self.settings["MARKDOWN"])
            if "meta" in md.preprocessors:
                md.preprocessors.deregister("meta")
            if "smarty" in md.treeprocessors:
                _skip_when_idle(md.treeprocessors["smarty"])
        else:
            md.reset()
        return md

    def _render(self, header, problems: list, over: set) -> str:
        """The body as HTML; "" and a problem when it takes more than ``render_seconds``
        or nests deeper than Python can follow (the body is then over a limit)."""
        seconds = self._limits().render_seconds
        try:
            with _deadline(seconds):
                # The body is untrusted: only the sanitiser's allowlist reaches a page, feed or
                # index.
                return sanitise.clean(self._md.convert(header.body))
        except (RenderTimeout, RecursionError) as exc:
            self.__dict__.pop("_md_reused", None)  # stopped midway: a fresh one from now on
            self._md = self._markdown()
            what = (f"dựng nội dung mất hơn {seconds} giây" if isinstance(exc, RenderTimeout)
                    else "nội dung lồng nhau quá sâu (danh sách, trích dẫn trong nhau)")
            problems.append(schema.Problem(
                schema.shown_path(self._source_path, self.settings["PATH"]), header.body_line,
                "Nội dung", f"{what}, quá sức máy dựng trang",
                "xóa các chuỗi ký tự lặp vô nghĩa (hàng nghìn dấu [, <, * liền nhau); chia đoạn "
                "rất dài bằng những dòng trống; danh sách, trích dẫn lồng nhau tối đa vài tầng"))
            over.add("body")
            return ""

    def _limits(self) -> schema.Limits:
        limits = self.__dict__.get("_limits_set")
        if limits is None:
            limits = self._limits_set = limits_of(self.settings)
        return limits

    def read(self, source_path):
        """What this reader makes of a file, from the read cache when the speed layer keeps
        one and the file is unchanged (see :func:`use_cache`)."""
        cache = _cache
        if cache is None:
            return self.read_file(source_path)
        key = os.path.abspath(source_path)
        found = cache.get(key)
        if found is None:
            found = cache.put(key, self.read_file(source_path))
        return found

    def read_file(self, source_path):
        """Read and check one file (no cache)."""
        path = Path(source_path)
        content_root = Path(self.settings["PATH"])
        self._source_path = source_path
        text, problem = schema.read_article(path, schema.shown_path(path, content_root),
                                            self._limits())
        if problem is not None:
            return "", {"title": path.stem, "slug": _capped_slug(path.stem), "status": "draft",
                        "problems": [problem], "date": _mtime(path),
                        "held_back": problem.message}
        kind = self._kind(path)
        header = schema.split(text)
        values, problems = schema.validate(header, path, kind=kind, content_root=content_root,
                                           data_dir=self.settings.get("NEWSROOM_DATA"),
                                           limits=self._limits())
        over = set(values.get("over_limit", ()))

        self._md = self._markdown()
        content = "" if "body" in over else self._render(header, problems, over)

        metadata = {}
        formatted = self.settings["FORMATTED_FIELDS"]
        for name, raw in header.fields.items():
            if name in _CLEAN or name == "author" or name in over:
                continue
            if name in formatted:
                self._md.reset()
                metadata[name] = self.process_metadata(name, self._md.convert(raw))
            else:
                metadata[name] = self.process_metadata(name, raw)
        for name in _CLEAN & values.keys():
            value = values[name]
            if name in ("category", "tags"):
                value = self.process_metadata(name, ", ".join(value) if name == "tags" else value)
            metadata[name] = value
        if values.get("authors"):
            metadata["authors"] = self.process_metadata("authors", ", ".join(values["authors"]))

        held = []
        if kind == "article" and "date" not in values:
            metadata["date"] = _mtime(path)
            metadata["status"] = "draft"
            held.append("thiếu ngày đăng" if header.fields.get("date") is None
                        else f"ngày đăng “{header.fields['date']}” sai")
        if "title" not in values:
            metadata["title"] = path.stem
            metadata["status"] = "draft"
            held.append("thiếu tiêu đề")
        if over:  # kept out, and nothing over a limit is used (see the module's docstring)
            metadata["status"] = "draft"
            held.append("vượt giới hạn của một bài")
        if held:
            metadata["held_back"] = ", ".join(held)
        # One slug rule for the build, `invoke check` and ingest: newsroom.core.text.slugify.
        if "slug" not in metadata:  # a written Slug: needs no slug made from the title
            metadata["slug"] = _capped_slug(metadata["title"]) or _capped_slug(path.stem)
        if kind == "article":
            # Campaigns and themes are decided here, from what was just read, so the decision
            # is cached and computed on every core with the rest of the file (plugins/fastbuild)
            # instead of the file being read and checked again on every build.
            try:
                metadata["tagging"] = tagging.tag_article(
                    values, "" if "body" in over else header.body,
                    self.settings.get("NEWSROOM_DATA"))
            except data.DataError:
                pass  # reported by the campaigns plugin at start-up
        if any(p.severity == schema.ERROR for p in problems) and metadata.get("status") != "draft":
            metadata["has_errors"] = True
        metadata["problems"] = problems
        return content, metadata


#: What a text must hold for one of smarty's patterns of dashes and ellipses to match it.
_NEEDS = {r"(?<!-)---(?!-)": "---", r"(?<!-)--(?!-)": "--", r"(?<!\.)\.{3}(?!\.)": "..."}


def _skip_when_idle(processor) -> None:
    """Let an inline pass of its own (the ``smarty`` extension's: dashes and ellipses, a
    second walk over every text of the page, a sixth of the Markdown time) skip a page where
    none of its patterns matches any text: the pass would leave such a page as it is. A
    pattern of :data:`_NEEDS` is looked for by what it needs (a substring test); any other
    by its own expression."""
    needs, tests = set(), []
    for pattern in processor.inlinePatterns:
        need = _NEEDS.get(getattr(pattern, "pattern", None))
        if need:
            needs.add(need)
        else:
            found = pattern.getCompiledRegExp()
            tests.append(found.search if isinstance(pattern, InlineProcessor) else found.match)
    # "--" in a text is enough to look further for "---" too
    needs = tuple(n for n in needs if not any(o != n and o in n for o in needs))
    run = processor.run

    def matches(text) -> bool:
        for need in needs:
            if need in text:
                return True
        for test in tests:
            if test(text):
                return True
        return False

    def run_when_needed(tree, ancestors=None):
        for element in tree.iter():
            text, tail = element.text, element.tail
            if (text and matches(text) and not isinstance(text, AtomicString)
                    or tail and matches(tail) and not isinstance(tail, AtomicString)):
                return run(tree, ancestors)
        return tree

    processor.run = run_when_needed


class RenderTimeout(Exception):
    """A body took longer to render than the limits allow."""


@contextmanager
def _deadline(seconds: float):
    """Raise :class:`RenderTimeout` in the block once ``seconds`` have passed: a timer signal,
    so in the main thread of a process only (a build, and each process reading ahead); a
    block run in another thread (a live preview's rebuild) runs unbounded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise RenderTimeout()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _capped_slug(text: str) -> str:
    """``slugify(text)``; cut to :data:`newsroom.core.schema.SLUG_MAX` only for a name the schema
    refuses anyway (a title over the limits, or a file's own name), so that even the draft
    of such an article has an address that fits in a file name."""
    return slugify(text)[:schema.SLUG_MAX].strip("-")


def limits_of(settings) -> schema.Limits:
    """The limits a build applies: ``NEWSROOM_LIMITS`` over the documented defaults."""
    return schema.Limits.from_setting(settings.get("NEWSROOM_LIMITS"))


def check_settings(pelican):
    """A wrong ``NEWSROOM_LIMITS`` fails the build at once, naming the key."""
    limits_of(pelican.settings)


# The read cache ----------------------------------------------------------------------------
# Set by the speed layer (plugins.fastbuild) for the build it runs in: an object with
# ``get(path)`` (what was read, or None if the file changed) and ``put(path, value)`` (keeps it,
# returns the value as a build uses it). None: every file is read.
_cache = None


def use_cache(cache) -> None:
    global _cache
    _cache = cache


def _mtime(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, TZ)


def add_reader(readers):
    for ext in NewsroomMarkdownReader.file_extensions:
        readers.reader_classes[ext] = NewsroomMarkdownReader


def collect_problems(generators) -> list[schema.Problem]:
    """Every problem recorded on any item the generators read, each source once."""
    seen, problems = set(), []
    for generator in generators:
        for name in fence.CONTENT_LISTS:
            for item in getattr(generator, name, None) or ():
                if item.source_path in seen:
                    continue
                seen.add(item.source_path)
                problems.extend(item.metadata.get("problems", ()))
    return sorted(problems, key=lambda p: (p.path, p.line))


def held_back(generators) -> list[str]:
    """One Vietnamese line per item the reader kept out as a draft because of its errors."""
    lines, seen = [], set()
    for generator in generators:
        for name in fence.CONTENT_LISTS:
            for item in getattr(generator, name, None) or ():
                reason = item.metadata.get("held_back")
                if reason and item.source_path not in seen:
                    seen.add(item.source_path)
                    lines.append(f"{_shown(item.source_path, generator.settings)}: bài bị giữ "
                                 f"lại làm bản nháp, không lên trang chủ và các danh sách, vì "
                                 f"{reason}. Sửa lỗi nêu ở trên rồi dựng lại")
    return sorted(lines)


def _shown(path: str, settings) -> str:
    """A source file as the problems name it: relative to the content folder's parent."""
    try:
        return str(Path(path).relative_to(Path(settings["PATH"]).parent))
    except ValueError:
        return str(path)


def _count(generators) -> dict:
    """What the build read, and how many articles have problems: kept by
    ``newsroom.core.lastbuild`` so that a build with nothing changed can say it again."""
    items = {"articles": 0, "pages": 0}
    for generator in generators:
        items["articles"] += len(getattr(generator, "articles", None) or ())
        items["pages"] += len(getattr(generator, "pages", None) or ())
    problems = collect_problems(generators)
    items["with_errors"] = len({p.path for p in problems if p.severity == schema.ERROR})
    items["with_warnings"] = len({p.path for p in problems if p.severity != schema.ERROR})
    return items


def report(generators):
    problems = collect_problems(generators)
    held = held_back(generators)
    settings = generators[0].settings
    lastbuild.remember(settings, {**_count(generators), "held_back": len(held)})
    if not problems:
        return
    errors = [p for p in problems if p.severity == schema.ERROR]
    if settings.get("NEWSROOM_STRICT") and errors:
        listing = "\n".join(f"  {p}" for p in problems)
        raise ContentErrors(
            f"Nội dung có {len(errors)} lỗi, {len(problems) - len(errors)} cảnh báo; "
            f"bản dựng dừng lại:\n{listing}"
        )
    for problem in problems:
        logger.warning("%s", problem)
    for line in held:
        logger.warning("%s", line)


def register():
    signals.initialized.connect(check_settings)
    signals.readers_init.connect(add_reader)
    signals.all_generators_finalized.connect(report)
