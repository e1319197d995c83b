"""Finished items kept between builds: what Pelican made of a file, given back whole while
the file is unchanged.

The read cache (``readcache``) keeps what the reader returned for each file; Pelican still
made an article of it in every build (its ``read_file``: metadata from the path, ``Article``,
its slug, date and addresses checked): a third of reading 10,000 cached articles. Pelican's
generators ask their ``get_cached_data(file)`` before reading a file and hand the item they
made to ``cache_data(file, item)`` (its content cache, which ``CACHE_CONTENT`` keeps in one
pickle rewritten on every build). Here the item is pickled at that moment, before any plugin
works on it, into the read cache's database (table ``objects``, keyed like its rows by the
file's stamp), and given back in the next builds.

What an item is made of besides its file: the settings, the code and the data files (the
build's code token, ``pagestore.code_token``) and Pelican's signals around reading. The rows
are dropped when the token changes; the cache is not used when a receiver listens to
``content_object_init`` or to the generator's ``*_preread``/``*_context`` signals (a plugin
that changes items as they are made). With ``WITH_FUTURE_DATES`` off (the publish), an
article dated after the hour it is made is a draft until that hour comes: such an article is
neither kept nor given back, so only articles whose date had passed when they were made (and
so has passed now) come from the cache. Pelican's warning about images without ``alt`` is
given again for each item given back, as reading the file gives it.
"""
from __future__ import annotations

import datetime
import logging
import os
import pickle
import sqlite3

from pelican import signals

from plugins import fence

from . import pagestore
from .readcache import ReadCache, dumps, loads

logger = logging.getLogger(__name__)

SCHEMA = 1
#: Signals Pelican sends while it reads a file and makes its item, by generator kind.
_SIGNALS = {"article": ("article_generator_preread", "article_generator_context"),
            "page": ("page_generator_preread", "page_generator_context")}


def usable(kind: str) -> bool:
    """Items of ``kind`` ("article", "page") may come from the cache in this build."""
    names = ("content_object_init", *_SIGNALS[kind])
    return not any(getattr(signals, name).receivers for name in names)


def _timely(item, settings) -> bool:
    """Whether the item's status does not depend on the hour: ``WITH_FUTURE_DATES`` on, or
    its date has passed (Pelican's ``Article`` makes an article dated later a draft)."""
    if settings.get("WITH_FUTURE_DATES", True):
        return True
    date = getattr(item, "date", None)
    if not isinstance(date, datetime.datetime):
        return date is None
    now = datetime.datetime.now(datetime.UTC) if date.tzinfo else datetime.datetime.now()
    return date <= now


def _drafted_by_the_hour(item, settings) -> bool:
    """Whether Pelican made ``item`` a draft because its date had not come (with
    ``WITH_FUTURE_DATES`` off) rather than because its file says so: its date may have come
    between the making and the keeping, so :func:`_timely` alone would keep a draft."""
    if settings.get("WITH_FUTURE_DATES", True) or getattr(item, "status", None) != "draft":
        return False
    said = (getattr(item, "metadata", None) or {}).get("status")
    return str(said or "").strip().lower() != "draft"


class ItemCache:
    """The finished items of one build: loaded at start, new ones written with the read
    cache's rows (``save``)."""

    def __init__(self, cache: ReadCache):
        self.cache = cache
        self.settings = cache.settings
        code = pagestore.build_info(self.settings).get("code")
        self.key = pagestore.digest((SCHEMA, cache.key, code)) if code else None
        self.rows: dict[str, tuple[str, bytes]] = {}
        self.dirty: dict[str, tuple[str, bytes]] = {}
        self._loaded = False  # at the first item asked for (a live session keeps its own)

    def _load(self):
        self._loaded = True
        if self.key is None:
            return
        try:
            with self.cache._connect() as db:
                found = db.execute("SELECT value FROM meta WHERE key='objects'").fetchone()
                if not found or found[0] != self.key:
                    db.execute("DELETE FROM objects")
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('objects', ?)",
                               (self.key,))
                    return
                self.rows = {p: (s, d) for p, s, d in db.execute(
                    "SELECT path, stamp, data FROM objects WHERE path >= ? AND path < ?",
                    self.cache.span())}
        except sqlite3.Error as exc:
            logger.warning("fastbuild: bỏ qua bảng bài đã dựng hỏng trong %s (%s)",
                           self.cache.path, exc)
            self.rows = {}

    def get(self, path: str, context: dict):
        """The item made of ``path`` in an earlier build, if the file is as it was then."""
        if not self._loaded:
            self._load()
        row = self.rows.pop(path, None)  # each pickle is read once, then dropped
        if row is None:
            return None
        try:
            current = self.cache.current_stamp(path)
        except OSError:
            return None
        if row[0] != current:
            return None
        try:
            item = loads(row[1], self.settings, self.cache.shared, context)
        except (pickle.PickleError, AttributeError, ImportError, EOFError, TypeError,
                ValueError):
            return None
        if not _timely(item, self.settings):
            return None
        self.cache.taken[path] = current
        content = fence.raw_content(item)
        if content:
            fence.warn_empty_alt(content, path)  # as Pelican's read_file does
        return item

    def put(self, path: str, item, context: dict) -> None:
        """Keep ``item``, just made of ``path`` (nothing has changed it yet)."""
        current = self.cache.taken.get(path)  # the stamp the file was read with
        if self.key is None or current is None or not _timely(item, self.settings) \
                or _drafted_by_the_hour(item, self.settings):
            return
        try:
            self.dirty[path] = (current, dumps(item, self.settings, context))
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
            logger.debug("fastbuild: không lưu được bài %s: %s", path, exc)

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            with self.cache._connect() as db:
                db.executemany("INSERT OR REPLACE INTO objects VALUES (?, ?, ?)",
                               [(p, s, d) for p, (s, d) in sorted(self.dirty.items())])
            self.dirty.clear()
        except sqlite3.Error as exc:
            logger.warning("fastbuild: không ghi được bài đã dựng vào %s (%s)",
                           self.cache.path, exc)


def install(generator, items: ItemCache, kind: str) -> None:
    """The generator asks ``items`` before reading a file, and gives it what it made."""
    if not usable(kind):
        return

    def where(filename):
        return os.path.abspath(os.path.join(generator.path, filename))

    def get_cached_data(filename, default=None):
        found = items.get(where(filename), generator.context)
        return default if found is None else found

    def cache_data(filename, data):
        items.put(where(filename), data, generator.context)

    generator.get_cached_data = get_cached_data
    generator.cache_data = cache_data
