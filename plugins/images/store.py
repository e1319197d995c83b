"""What each item got from the image pipeline, kept on disk between builds: an item whose
inputs did not change costs a look-up, not a plan, a parse of its body and a rewrite.

An entry (:class:`Entry`) holds what :mod:`.images` gave the item (``cover``, its social card,
its rewritten body), the files of the output it needs, the cache objects they come from and
the photos it shows (with their SHA-256). It is used again only when:

- the item's inputs are the same (:func:`item_key`: its source file, title, slug, the fields
  the pipeline reads, where its social card goes), and so is everything else the pipeline reads
  (:func:`build_token`: settings, data files, the build's code, the theme with its fonts);
- every photo it shows has the same content (``Cache.digest``: one ``stat`` each, the index
  knows the rest);
- every output file it needs is there with the size and mtime it had when it was made (one
  ``stat`` each, as the page writer checks its pages: a file changed or removed by anything
  else is made again). Its change time is then set, as ``newsroom.core.safefs.keep`` does: a
  publish's kept build folder removes every file the build did not touch
  (``newsroom.publish.buildfolder``), so no listing of a folder can stand in for that call;
- every cache object it comes from is still in the image cache. The cache only ever gains or
  loses whole objects (a worker's ``os.replace``, ``Cache.prune``'s removal), each of which
  changes the modification time of its shard folder (``objects/<2 hex>/``): the store keeps
  those times, and only a shard whose time moved is listed again (a time within the last two
  seconds is not trusted: the file system's clock moves in ticks).

Items with a problem (a missing or broken photo, a card that could not be drawn) are never
kept: they are planned again at every build, and their messages come again. A store that
cannot be read means every item is planned again, with a warning, never a failed build.
"""
from __future__ import annotations

import gc
import logging
import os
import pickle
import time
from pathlib import Path
from typing import NamedTuple

from plugins import fence
from plugins.fastbuild import pagestore

logger = logging.getLogger(__name__)

#: Bump when what an entry holds changes.
SCHEMA = 1
#: The fields of an item the pipeline reads (besides its title, slug, text and campaign).
FIELDS = ("image", "image_focus", "image_alt", "unit", "campaign")
#: A shard folder changed this recently (ns) is listed again at the next build.
_TICK_NS = 2_000_000_000


#: What :mod:`.images` gives an item, kept in an entry in this order.
GIVEN = ("cover", "social_image", "social_image_width", "social_image_height",
         "social_image_alt")


class Entry(NamedTuple):
    """One item's entry (kept on disk as a plain tuple: 10,000 of them load faster)."""

    key: str                          # item_key() when it was made
    files: tuple                      # ((output rel, size, mtime_ns), ...)
    objects: tuple                    # cache keys the files come from
    photos: tuple                     # ((source path, sha256), ...)
    given: tuple                      # the values of GIVEN as the item got them
    body: str | None                  # the rewritten body, None if it was left alone


def item_key(item, og: str) -> str | None:
    """What the pipeline reads of ``item`` (``og``: where its social card goes): the fields it
    reads and, for its text, the size and mtime of its source file. Its text is made from that
    file, the settings and the build's code alone (as ``plugins/fastbuild/versions.py`` has
    it), and hashing 10,000 texts would cost a third of what the store saves. The photo folder
    beside it does not count: each photo it shows is compared by content. A value without a
    stable ``repr`` (one that shows a memory address) makes a key no later build meets: the
    item is then planned at every build. None: no source file."""
    try:
        st = os.stat(item.source_path)
    except (OSError, TypeError):
        return None
    meta = item.metadata
    return pagestore.digest((
        og, item.source_path, st.st_size, st.st_mtime_ns, len(fence.raw_content(item) or ""),
        item.__dict__.get("slug"), str(item.title), tuple(map(meta.get, FIELDS)),
        item.__dict__.get("campaign")))


def build_token(settings) -> str:
    """Everything else the pipeline reads: the settings, data files and the build's code (the
    page store's code token, taken when the build started when the speed layer runs), and
    the theme (templates, card fonts)."""
    code = pagestore.build_info(settings).get("code") or pagestore.code_token(settings)
    return pagestore.digest((SCHEMA, code, pagestore.theme_token(settings)))


def _unpickled(payload: bytes):
    """``pickle.loads`` with the cycle collector paused: the 10,000 entries' tuples would
    start it many times over (two thirds of the load's time), and hold no cycle."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(payload)
    finally:
        if paused:
            gc.enable()


class Store:
    """The entries of one output folder, in ``<image cache>/plans/<folder's digest>.pickle``."""

    def __init__(self, cache, output: Path, token: str):
        self.cache = cache
        self.prefix = os.path.join(str(output), "")
        self.path = cache.root / "plans" / f"{pagestore.digest(os.path.realpath(output))}.pickle"
        self.token = token
        self.objects = os.path.join(cache.root, "objects")
        self.entries: dict[str, tuple] = {}  # source path -> Entry as a plain tuple
        self._shards: dict[str, int | None] = {}
        self._present: dict[str, set[str]] = {}
        self._changed: set[str] = set()
        self.kept: set[str] = set()  # output files checked and kept by this build
        self._keys: dict[str, str] = {}  # item_key() of this build's items, by source

    def load(self) -> None:
        """The last build's entries, if it was made with the same :func:`build_token`."""
        try:
            with open(self.path, "rb") as handle:
                schema, token, payload = pickle.load(handle)
            if schema != SCHEMA or token != self.token:
                return
            entries, shards = _unpickled(payload)
            if not isinstance(entries, dict) or not isinstance(shards, dict):
                raise ValueError("không đúng dạng")
        except FileNotFoundError:
            return
        except Exception as exc:  # a torn or foreign file: plan every item, never fail
            logger.warning("plugins.images: không đọc được bản ghi ảnh của lần dựng trước "
                           "(%s: %s): lần này mọi bài được xử lý ảnh lại từ đầu (chậm hơn, kết "
                           "quả như cũ). Cách sửa: không cần làm gì, bản ghi được viết lại sau "
                           "lần dựng này; nếu lặp lại, xóa tệp đó.", self.path,
                           type(exc).__name__)
            return
        self.entries, self._shards = entries, shards
        now = self.shard_times()
        self._changed = {s for s in now if shards.get(s) != now[s]} | (set(shards) - set(now))

    def shard_times(self) -> dict[str, int]:
        try:
            return {e.name: e.stat().st_mtime_ns for e in os.scandir(self.objects)
                    if e.is_dir() and len(e.name) == 2}
        except OSError:
            return {}

    def _has_object(self, key: str) -> bool:
        shard = key[:2]
        if shard not in self._changed:
            return shard in self._shards
        present = self._present.get(shard)
        if present is None:
            try:
                present = set(os.listdir(os.path.join(self.objects, shard)))
            except OSError:
                present = set()
            self._present[shard] = present
        return key in present

    def restore(self, item, og: str) -> Entry | None:
        """The item's entry when it still holds (see the module's docstring), its output
        files kept; else None: the item is planned, and its key kept for :meth:`record`
        (taken now, before the pipeline rewrites its body)."""
        key = item_key(item, og)
        entry = self.entries.get(item.source_path)
        try:
            if entry is not None and key is not None and entry[0] == key:
                entry = Entry(*entry)
                if len(entry.given) == len(GIVEN) and self._holds(entry):
                    return entry
        except (TypeError, ValueError, IndexError, KeyError):  # an entry of another shape
            pass
        self._keys[item.source_path] = key
        return None

    def _holds(self, entry: Entry) -> bool:
        digest = self.cache.digest
        if any(digest(path) != sha for path, sha in entry.photos):
            return False
        if not all(map(self._has_object, entry.objects)):
            return False
        prefix, kept = self.prefix, self.kept
        found = []
        for rel, size, mtime in entry.files:
            if rel in kept:
                continue
            try:
                st = os.lstat(prefix + rel)
            except OSError:
                return False
            if st.st_size != size or st.st_mtime_ns != mtime:
                return False
            found.append((rel, st))
        for rel, st in found:
            # Produced by this build, bytes as they were: newsroom.core.safefs.keep, with the
            # stat just taken.
            os.utime(prefix + rel, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
            kept.add(rel)
        return True

    def record(self, item, files, objects, photos, given, body) -> None:
        """Keep what ``item`` got in this build (its files are in the output now)."""
        key = self._keys.get(item.source_path)
        if key is None:
            return
        rows = []
        for rel in dict.fromkeys(files):
            try:
                st = os.stat(self.prefix + rel)
            except OSError:
                return  # not made: the item is planned again next time
            rows.append((rel, st.st_size, st.st_mtime_ns))
        self.entries[item.source_path] = (key, tuple(rows), tuple(dict.fromkeys(objects)),
                                          tuple(dict.fromkeys(photos)), tuple(given), body)

    def save(self, sources) -> None:
        """Write the entries of ``sources`` (the build's items); those of items gone go."""
        entries = {s: self.entries[s] for s in sources if s in self.entries}
        recent = time.time_ns() - _TICK_NS
        shards = {s: (t if t < recent else None) for s, t in self.shard_times().items()}
        payload = pickle.dumps((entries, shards), protocol=pickle.HIGHEST_PROTOCOL)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as handle:
                pickle.dump((SCHEMA, self.token, payload), handle,
                            protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            logger.warning("plugins.images: không ghi được bản ghi ảnh %s (%s): lần dựng sau "
                           "xử lý ảnh lại từ đầu. Cách sửa: kiểm tra quyền ghi và chỗ trống "
                           "của thư mục bộ nhớ đệm.", self.path, exc)
