"""Pelican hook for the article schema (``newsroom.schema``).

Replaces Pelican's Markdown reader with one that decodes whatever encoding a reporter's machine
wrote, normalises to NFC, reads day-first Vietnamese dates in Asia/Ho_Chi_Minh and checks every
field. Problems ride along in each item's metadata (so Pelican's content cache keeps them); when
all content is read they are reported together. ``NEWSROOM_STRICT = True`` (the publish build and
the tests) turns any error into a failed build listing every problem at once; a preview build
logs them as warnings and goes on, with a broken item kept out as a draft.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

from markdown import Markdown
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString
from pelican import signals
from pelican.readers import MarkdownReader

from newsroom import data, sanitise, schema, tagging
from newsroom.text import slugify
from newsroom.dates import TZ

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

    def read(self, source_path):
        path = Path(source_path)
        content_root = Path(self.settings["PATH"])
        self._source_path = source_path
        try:
            text = schema.read_source(path)
        except UnicodeDecodeError:
            problem = schema.Problem(
                str(path), 1, "Mã hóa", "tệp không phải văn bản UTF-8 hay UTF-16",
                "mở tệp bằng trình soạn thảo và lưu lại với mã hóa UTF-8")
            return "", {"title": path.stem, "status": "draft", "problems": [problem],
                        "date": _mtime(path)}
        kind = self._kind(path)
        header = schema.split(text)
        values, problems = schema.validate(header, path, kind=kind, content_root=content_root,
                                           data_dir=self.settings.get("NEWSROOM_DATA"))

        self._md = self._markdown()
        # The body is untrusted: only the sanitiser's allowlist reaches a page, feed or index.
        content = sanitise.clean(self._md.convert(header.body))

        metadata = {}
        formatted = self.settings["FORMATTED_FIELDS"]
        for name, raw in header.fields.items():
            if name in _CLEAN or name == "author":
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

        if kind == "article" and "date" not in values:
            metadata["date"] = _mtime(path)
            metadata["status"] = "draft"
        if "title" not in values:
            metadata["title"] = path.stem
            metadata["status"] = "draft"
        # One slug rule for the build, `invoke check` and ingest: newsroom.text.slugify.
        if "slug" not in metadata:  # a written Slug: needs no slug made from the title
            metadata["slug"] = slugify(metadata["title"]) or slugify(path.stem)
        if kind == "article":
            # Campaigns and themes are decided here, from what was just read, so the decision
            # is cached and computed on every core with the rest of the file (plugins/fastbuild)
            # instead of the file being read and checked again on every build.
            try:
                metadata["tagging"] = tagging.tag_article(
                    values, header.body, self.settings.get("NEWSROOM_DATA"))
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


def _mtime(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, TZ)


def add_reader(readers):
    for ext in NewsroomMarkdownReader.file_extensions:
        readers.reader_classes[ext] = NewsroomMarkdownReader


_LISTS = ("articles", "translations", "drafts", "drafts_translations", "hidden_articles",
          "hidden_translations", "pages", "hidden_pages", "draft_pages", "draft_translations")


def collect_problems(generators) -> list[schema.Problem]:
    """Every problem recorded on any item the generators read, each source once."""
    seen, problems = set(), []
    for generator in generators:
        for name in _LISTS:
            for item in getattr(generator, name, None) or ():
                if item.source_path in seen:
                    continue
                seen.add(item.source_path)
                problems.extend(item.metadata.get("problems", ()))
    return sorted(problems, key=lambda p: (p.path, p.line))


def report(generators):
    problems = collect_problems(generators)
    if not problems:
        return
    settings = generators[0].settings
    errors = [p for p in problems if p.severity == schema.ERROR]
    if settings.get("NEWSROOM_STRICT") and errors:
        listing = "\n".join(f"  {p}" for p in problems)
        raise ContentErrors(
            f"Nội dung có {len(errors)} lỗi, {len(problems) - len(errors)} cảnh báo; "
            f"bản dựng dừng lại:\n{listing}"
        )
    for problem in problems:
        logger.warning("%s", problem)


def register():
    signals.readers_init.connect(add_reader)
    signals.all_generators_finalized.connect(report)
