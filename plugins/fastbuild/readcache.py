"""What the readers made of each source file, kept between builds and read on every core.

Pelican's own content cache pickles every item into one file and rewrites all of it on every
build, and it reads files one by one. This cache keeps one row per source file in SQLite
(``<CACHE_PATH>/fastbuild.sqlite``), keyed by the file's size and mtime (and the folder of
photos beside it, which the schema checks); a build writes only the rows of files that
changed, and loads the stamps of the rows only (a row's pickle is fetched when its file is
asked for: most files of a build come whole from ``itemcache``, in the same database).
Files that are not in the cache are read before the generator asks for them, split over
``FASTBUILD["workers"]`` forked processes. The whole cache is dropped when the code or
data that reading depends on changes (settings, ``data/*.yml``, ``newsroom/``, ``plugins/``).

Warnings that a reader logs in a worker are logged again in the build process, so strict
builds still see them.
"""
from __future__ import annotations

import hashlib
import io
import logging
import multiprocessing
import os
import pickle
import sqlite3
import time
from pathlib import Path

from plugins import fence

from .parallel import Capture
from newsroom.core.paths import BUILD_CODE

logger = logging.getLogger(__name__)

SCHEMA = 2  # 2: shared values pickled by reference


def _shared_kind(cls):
    """How objects of ``cls`` are shared between the items of a build (see ``_Pickler``):
    "decision" (campaign and theme decisions: frozen, and some 120,000 at 10,000 articles,
    400 of them different), "wrapper" (Pelican's Tag, Category, Author: 45,000 at 10,000
    articles, a few hundred different), or None."""
    from pelican.urlwrappers import URLWrapper

    from newsroom.core.tagging import Decision

    if cls is Decision:
        return "decision"
    if issubclass(cls, URLWrapper):
        return "wrapper"
    return None




class _Pickler(pickle.Pickler):
    """Pickles the settings dict (which every Category/Tag/Author holds) as a reference, and
    the values that many items share by what they hold, so that loading gives one object
    for each different value (``_Unpickler``): one build's worth of items otherwise holds
    each decision and each tag once per item (some 60 MB at 10,000 articles)."""

    _kinds: dict = {}  # type -> kind, filled as types are met

    def __init__(self, file, settings, context=None):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.settings = settings
        self.context = context  # the build's context, which every item holds (``itemcache``)

    def persistent_id(self, obj):
        if obj is self.settings:
            return "settings"
        if obj is self.context and obj is not None:
            return "context"
        cls = type(obj)
        kind = self._kinds.get(cls, False)
        if kind is False:
            kind = self._kinds[cls] = _shared_kind(cls)
        if kind is None:
            return None
        if kind == "decision":
            return ("decision", obj.slug, obj.reason, obj.explicit)
        state = obj.__dict__
        if state.keys() != fence.WRAPPER_KEYS or state["settings"] is not self.settings:
            return None
        return ("wrapper", cls.__module__, cls.__qualname__, *fence.wrapper_state(obj))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, settings, shared=None, context=None):
        super().__init__(file)
        self.settings = settings
        self.shared = {} if shared is None else shared
        self.context = context

    def persistent_load(self, pid):
        if pid == "settings":
            return self.settings
        if pid == "context" and self.context is not None:
            return self.context
        found = self.shared.get(pid)
        if found is not None:
            return found
        if isinstance(pid, tuple) and pid[0] == "decision":
            from newsroom.core.tagging import Decision

            found = Decision(*pid[1:])
        elif isinstance(pid, tuple) and pid[0] == "wrapper":
            cls = self.find_class(pid[1], pid[2])
            found = fence.make_wrapper(cls, self.settings, pid[3:6])
        else:
            raise pickle.UnpicklingError(f"unknown reference {pid!r}")
        self.shared[pid] = found
        return found


def dumps(value, settings, context=None) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, settings, context).dump(value)
    return buffer.getvalue()


def loads(blob: bytes, settings, shared: dict | None = None, context=None):
    """The value of ``blob``; ``shared`` (kept by the caller) gives each shared value of the
    rows it loads one object; ``context``: the build's, for the items that hold it."""
    return _Unpickler(io.BytesIO(blob), settings, shared, context).load()


def stamp(path: str) -> str:
    """Size and mtime of the file and of the photo folder beside it (``<slug>/``)."""
    st = os.stat(path)
    parts = [st.st_size, st.st_mtime_ns]
    try:
        folder = os.stat(os.path.splitext(path)[0])
        parts.append(folder.st_mtime_ns)
    except OSError:
        pass
    return ":".join(map(str, parts))


def _tree_stamp(folder: Path, pattern: str) -> list:
    return sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in folder.rglob(pattern) if "__pycache__" not in p.parts)


def code_key(settings) -> str:
    """Everything besides the file itself that what a reader returns depends on."""
    from newsroom.core import data

    relevant = {k: repr(settings.get(k)) for k in (
        "MARKDOWN", "FORMATTED_FIELDS", "PAGE_PATHS", "ARTICLE_PATHS", "TIMEZONE",
        "DEFAULT_DATE", "DEFAULT_LANG", "TAXONOMIES", "PLUGINS", "READERS", "SLUGIFY_SOURCE",
        "FILENAME_METADATA", "PATH_METADATA", "SUMMARY_MAX_LENGTH", "NEWSROOM_LIMITS")}
    data_dir = Path(settings.get("NEWSROOM_DATA") or data.DATA_DIR)
    parts = [SCHEMA, sorted(relevant.items()),
             *(_tree_stamp(folder, "*.py") for folder in BUILD_CODE), _tree_stamp(data_dir, "*.yml")]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


class ReadCache:
    """The rows of one build: their stamps loaded at start, new rows written at the end.

    A row's pickled value is dropped once it is read or written (``rows`` then keeps its
    stamp only; ``fresh`` holds the value, which the build's item holds anyway): at 10,000
    articles the pickles alone are some 70 MB that a build otherwise carries to its end."""

    def __init__(self, settings):
        self.settings = settings
        self.path = Path(settings["CACHE_PATH"]) / "fastbuild.sqlite"
        self.key = code_key(settings)
        self.rows: dict[str, tuple[str, bytes | None]] = {}
        self.fresh: dict[str, tuple] = {}  # path -> (stamp, (content, metadata)) read this build
        self.dirty: dict[str, tuple[str, bytes]] = {}
        # Stamps taken while the files are listed and read ahead, used once more when the
        # generator asks for each file (each file and its photo folder are looked at once).
        self._stamps: dict[str, str] = {}
        self._swept = False  # files gone from the disk are dropped once per cache
        self.shared: dict = {}  # one object for each value that rows share (``loads``)
        # The stamp of each file as this build read it (``taken``): what the item made from it
        # was made from (``versions`` takes it instead of looking at the file again).
        self.taken: dict[str, str] = {}
        self._wrote = False
        self._reader: sqlite3.Connection | None = None  # for ``_fetch``, until ``save``
        self._load()

    def _connect(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=60)
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("CREATE TABLE IF NOT EXISTS items (path TEXT PRIMARY KEY, stamp TEXT, "
                   "data BLOB)")
        db.execute("CREATE TABLE IF NOT EXISTS objects (path TEXT PRIMARY KEY, stamp TEXT, "
                   "data BLOB)")  # ``itemcache``: the finished items
        return db

    def span(self) -> tuple[str, str]:
        """The rows of this content folder: ``path >= low AND path < high``."""
        prefix = os.path.join(os.path.abspath(self.settings["PATH"]), "")
        return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)

    def _load(self):
        try:
            with self._connect() as db:
                found = db.execute("SELECT value FROM meta WHERE key='code'").fetchone()
                if not found or found[0] != self.key:
                    db.execute("DELETE FROM items")
                    db.execute("DELETE FROM objects")
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('code', ?)", (self.key,))
                    return
                # Stamps only: a row's value is fetched when it is asked for (``_fetch``); a
                # build whose items come whole from ``itemcache`` asks for none.
                self.rows = {p: (s, None) for p, s in db.execute(
                    "SELECT path, stamp FROM items WHERE path >= ? AND path < ?", self.span())}
        except sqlite3.Error as exc:
            logger.warning("fastbuild: bỏ qua bộ nhớ đệm hỏng %s (%s)", self.path, exc)
            self.path.unlink(missing_ok=True)
            self.rows = {}

    def _stamp(self, path: str) -> str:
        found = self._stamps.pop(path, None)
        return found if found is not None else stamp(path)

    def current_stamp(self, path: str) -> str:
        """The file's stamp as this build sees it (the one taken while listing, if any)."""
        found = self._stamps.get(path)
        return found if found is not None else stamp(path)

    def new_build(self) -> None:
        """A build (or a live session's update) starts: forget what the last one read."""
        self.taken.clear()

    def get(self, path: str):
        """``(content, metadata)`` for the file if the cache holds its current version."""
        try:
            current = self.taken[path] = self._stamp(path)
        except OSError:
            return None
        fresh = self.fresh.get(path)
        if fresh is not None and fresh[0] == current:
            return fresh[1]
        row = self.rows.get(path)
        if row is None or row[0] != current:
            return None
        blob = self._fetch(path, current)
        if blob is None:
            return None
        try:
            value = loads(blob, self.settings, self.shared)
        except (pickle.PickleError, AttributeError, ImportError, EOFError, TypeError):
            return None
        self.rows[path] = (row[0], None)
        self.fresh[path] = (row[0], value)
        return value

    def _fetch(self, path: str, current: str) -> bytes | None:
        """The pickled value of the row of ``path`` if its stamp is ``current``."""
        try:
            if self._reader is None:
                self._reader = self._connect()
            found = self._reader.execute("SELECT stamp, data FROM items WHERE path = ?",
                                         (path,)).fetchone()
        except sqlite3.Error:
            return None
        return found[1] if found is not None and found[0] == current else None

    def close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def put(self, path: str, value, blob: bytes | None = None):
        try:
            current = self._stamps.get(path) or stamp(path)  # get() asks for it once more
            self.taken[path] = current
            self.fresh[path] = (current, value)
            self.dirty[path] = (current, blob or dumps(value, self.settings))
        except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
            logger.debug("fastbuild: không lưu được %s vào bộ nhớ đệm: %s", path, exc)

    def save(self):
        self._stamps.clear()  # the generator has read its files: later reads look again
        self.close_reader()
        self._write(sweep=True)

    def _write(self, sweep=False):
        """Write the new rows. With ``sweep``, also drop the rows of files gone from the
        disk, the first time something is written (a live session's later updates, which
        write a row or two, do not look at every file again)."""
        sweep = sweep and not self._swept and (self.dirty or self._wrote)
        if not self.dirty and not sweep:
            return
        try:
            with self._connect() as db:
                db.executemany("INSERT OR REPLACE INTO items VALUES (?, ?, ?)",
                               [(p, s, d) for p, (s, d) in sorted(self.dirty.items())])
                if sweep:
                    gone = [(p,) for (p,) in db.execute("SELECT path FROM items")
                            if not os.path.exists(p)]
                    db.executemany("DELETE FROM items WHERE path = ?", gone)
                    db.executemany("DELETE FROM objects WHERE path = ?", gone)
                    self._swept = True
            self.rows.update((p, (s, None)) for p, (s, _) in self.dirty.items())
            self._wrote = self._wrote or bool(self.dirty)
            self.dirty.clear()
        except sqlite3.Error as exc:
            logger.warning("fastbuild: không ghi được bộ nhớ đệm %s (%s)", self.path, exc)

    # Reading ahead on every core --------------------------------------------------------

    def prefetch(self, paths: list[str], readers: dict, workers: int):
        """Read every file of ``paths`` that the cache lacks, split over ``workers``
        forked processes (or here, for a few files)."""
        todo = [p for p in paths if self.get_stamped(p) is None]
        if not todo:
            return
        started = time.perf_counter()
        if workers <= 1 or len(todo) < 64:
            for path in todo:
                reader = readers.get(_suffix(path))
                if reader is not None:
                    self.put(path, _read(reader, path))
            return
        global _READERS, _SETTINGS
        _READERS, _SETTINGS = readers, self.settings
        # Small chunks, whose rows are written as they come: the pickles of the whole
        # site are never held at once.
        chunks = [todo[i:i + PREFETCH_CHUNK] for i in range(0, len(todo), PREFETCH_CHUNK)]
        context = multiprocessing.get_context("fork")
        with context.Pool(workers) as pool:
            for results in pool.imap_unordered(_read_chunk, chunks):
                for path, blob, records in results:
                    for record in records:
                        logging.getLogger(record.name).handle(record)
                    if blob is not None:
                        self.put(path, loads(blob, self.settings, self.shared), blob)
                if len(self.dirty) >= 8 * PREFETCH_CHUNK:
                    self._write()
        self._write()
        _READERS = _SETTINGS = None
        logger.info("fastbuild: đọc %d tệp trên %d tiến trình trong %.2f s",
                    len(todo), workers, time.perf_counter() - started)

    def get_stamped(self, path):
        try:
            current = self._stamps[path] = stamp(path)
        except OSError:
            return None
        for found in (self.fresh.get(path), self.rows.get(path)):
            if found is not None and found[0] == current:
                return True
        return None


#: Files per task of a worker reading ahead.
PREFETCH_CHUNK = 200

_READERS: dict | None = None  # set in the build process just before forking
_SETTINGS: dict | None = None


def _suffix(path: str) -> str:
    return os.path.splitext(path)[1][1:]


def _read(reader, path):
    content, metadata = reader(path)
    return content, fence.drop_discardable(metadata)  # as Pelican keeps it


def _read_chunk(paths):
    """In a worker: read each file, return pickled results and the warnings logged."""
    settings = _SETTINGS
    capture = Capture()
    root = logging.getLogger()
    root.addHandler(capture)
    results = []
    try:
        for path in paths:
            reader = _READERS.get(_suffix(path))
            blob = None
            if reader is not None:
                try:
                    blob = dumps(_read(reader, path), settings)
                except Exception:  # the build process reads it again and reports the error
                    blob = None
            results.append((path, blob, capture.records))
            capture.records = []
    finally:
        root.removeHandler(capture)
    return results
