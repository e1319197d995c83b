"""What the readers made of each source file, kept between builds and read on every core.

Pelican's own content cache pickles every item into one file and rewrites all of it on every
build, and it reads files one by one. This cache keeps one row per source file in SQLite
(``<CACHE_PATH>/fastbuild.sqlite``), keyed by the file's size and mtime (and the folder of
photos beside it, which the schema checks); a build writes only the rows of files that
changed. Files that are not in the cache are read before the generator asks for them, split
over ``FASTBUILD["workers"]`` forked processes. The whole cache is dropped when the code or
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

from .parallel import Capture

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = 1


class _Pickler(pickle.Pickler):
    """Pickles the settings dict (which every Category/Tag/Author holds) as a reference."""

    def __init__(self, file, settings):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.settings = settings

    def persistent_id(self, obj):
        return "settings" if obj is self.settings else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, settings):
        super().__init__(file)
        self.settings = settings

    def persistent_load(self, pid):
        if pid == "settings":
            return self.settings
        raise pickle.UnpicklingError(f"unknown reference {pid!r}")


def dumps(value, settings) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, settings).dump(value)
    return buffer.getvalue()


def loads(blob: bytes, settings):
    return _Unpickler(io.BytesIO(blob), settings).load()


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
    from newsroom import data

    relevant = {k: repr(settings.get(k)) for k in (
        "MARKDOWN", "FORMATTED_FIELDS", "PAGE_PATHS", "ARTICLE_PATHS", "TIMEZONE",
        "DEFAULT_DATE", "DEFAULT_LANG", "TAXONOMIES", "PLUGINS", "READERS", "SLUGIFY_SOURCE",
        "FILENAME_METADATA", "PATH_METADATA", "SUMMARY_MAX_LENGTH")}
    data_dir = Path(settings.get("NEWSROOM_DATA") or data.DATA_DIR)
    parts = [SCHEMA, sorted(relevant.items()), _tree_stamp(ROOT / "newsroom", "*.py"),
             _tree_stamp(ROOT / "plugins", "*.py"), _tree_stamp(data_dir, "*.yml")]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


class ReadCache:
    """The rows of one build: loaded at start, new rows written at the end."""

    def __init__(self, settings):
        self.settings = settings
        self.path = Path(settings["CACHE_PATH"]) / "fastbuild.sqlite"
        self.key = code_key(settings)
        self.rows: dict[str, tuple[str, bytes]] = {}
        self.fresh: dict[str, tuple] = {}  # path -> (stamp, (content, metadata)) read this build
        self.dirty: dict[str, tuple[str, bytes]] = {}
        self._load()

    def _connect(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=60)
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("CREATE TABLE IF NOT EXISTS items (path TEXT PRIMARY KEY, stamp TEXT, "
                   "data BLOB)")
        return db

    def _load(self):
        try:
            with self._connect() as db:
                found = db.execute("SELECT value FROM meta WHERE key='code'").fetchone()
                if not found or found[0] != self.key:
                    db.execute("DELETE FROM items")
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('code', ?)", (self.key,))
                    return
                prefix = os.path.join(os.path.abspath(self.settings["PATH"]), "")
                self.rows = {p: (s, d) for p, s, d in db.execute(
                    "SELECT * FROM items WHERE path >= ? AND path < ?",
                    (prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)))}
        except sqlite3.Error as exc:
            logger.warning("fastbuild: bỏ qua bộ nhớ đệm hỏng %s (%s)", self.path, exc)
            self.path.unlink(missing_ok=True)
            self.rows = {}

    def get(self, path: str):
        """``(content, metadata)`` for the file if the cache holds its current version."""
        fresh = self.fresh.get(path)
        if fresh is not None:
            try:
                if fresh[0] == stamp(path):
                    return fresh[1]
            except OSError:
                return None
        row = self.rows.get(path)
        if row is None:
            return None
        try:
            if row[0] != stamp(path):
                return None
            value = loads(row[1], self.settings)
        except (OSError, pickle.PickleError, AttributeError, ImportError, EOFError):
            return None
        return value

    def put(self, path: str, value, blob: bytes | None = None):
        try:
            current = stamp(path)
            self.fresh[path] = (current, value)
            self.dirty[path] = (current, blob or dumps(value, self.settings))
        except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
            logger.debug("fastbuild: không lưu được %s vào bộ nhớ đệm: %s", path, exc)

    def save(self):
        if not self.dirty:
            return
        try:
            with self._connect() as db:
                db.executemany("INSERT OR REPLACE INTO items VALUES (?, ?, ?)",
                               [(p, s, d) for p, (s, d) in sorted(self.dirty.items())])
                gone = [(p,) for (p,) in db.execute("SELECT path FROM items")
                        if not os.path.exists(p)]
                db.executemany("DELETE FROM items WHERE path = ?", gone)
            self.rows.update(self.dirty)
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
        chunks = [todo[i::workers] for i in range(workers)]
        context = multiprocessing.get_context("fork")
        with context.Pool(workers) as pool:
            for results in pool.imap_unordered(_read_chunk, chunks):
                for path, blob, records in results:
                    for record in records:
                        logging.getLogger(record.name).handle(record)
                    if blob is not None:
                        self.put(path, loads(blob, self.settings), blob)
        _READERS = _SETTINGS = None
        logger.info("fastbuild: đọc %d tệp trên %d tiến trình trong %.2f s",
                    len(todo), workers, time.perf_counter() - started)

    def get_stamped(self, path):
        try:
            current = stamp(path)
        except OSError:
            return None
        for found in (self.fresh.get(path), self.rows.get(path)):
            if found is not None and found[0] == current:
                return True
        return None


_READERS: dict | None = None  # set in the build process just before forking
_SETTINGS: dict | None = None


def _suffix(path: str) -> str:
    return os.path.splitext(path)[1][1:]


def _read(reader, path):
    from pelican.readers import _filter_discardable_metadata

    content, metadata = reader(path)
    return content, _filter_discardable_metadata(metadata)


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
