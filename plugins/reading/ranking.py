"""The last ranking of related stories, kept between builds and processes.

:func:`~.reading.link_articles` ranks again only the lists a change can alter; to do so in a
new process (``invoke build``) as in a live session (``invoke livereload``) it needs what the
last build ranked from. This module keeps it, one file per output folder:
``<CACHE_PATH>/bai-lien-quan/<key>.json``, written whole or not at all
(:func:`newsroom.core.safefs.write_durable`, without waiting for the disk: a damaged file
only means every list is ranked again), and in memory for the next build of the same
process (a live session), as long as the file is the one it wrote.

A :class:`Ranking` holds, for one generator's articles: their source paths in the order of the
list, what the ranking read of each (:func:`~.reading.entry`), and each article's list (the
related articles' paths, their scores, and whether the newest of its category filled it). The
file also holds the version of the ranking code and the settings it ranked with: another
version, other settings or a file that cannot be read means no kept ranking (every list is
ranked again), the last with a warning.
"""
from __future__ import annotations

import gc
import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from newsroom.core import safefs

logger = logging.getLogger(__name__)

#: 1: paths, entries, lists as positions in the paths, scores, filled lists.
SCHEMA = 1
FOLDER = "bai-lien-quan"


@dataclass
class Ranking:
    """One generator's related lists and what they were ranked from."""
    order: list[str] = field(default_factory=list)          # source paths, as the list
    entries: dict[str, tuple] = field(default_factory=dict)   # path -> what ranking reads
    related: dict[str, tuple] = field(default_factory=dict)   # path -> related paths
    scores: dict[str, tuple] = field(default_factory=dict)    # path -> their scores
    filled: set[str] = field(default_factory=set)  # lists the newest of the category filled

    def floor(self, path: str) -> int:
        """The score another article needs to enter ``path``'s list: that of its last entry,
        or 1 (any shared term) when the list has room."""
        return 1 if path in self.filled else self.scores[path][-1]

    def to_json(self) -> dict:
        at = {path: i for i, path in enumerate(self.order)}
        return {"paths": self.order, "entries": [self.entries[p] for p in self.order],
                "related": [[at[o] for o in self.related[p]] for p in self.order],
                "scores": [self.scores[p] for p in self.order],
                "filled": sorted(at[p] for p in self.filled)}

    @classmethod
    def from_json(cls, kept: dict) -> "Ranking":
        """Raises ValueError, TypeError, KeyError or IndexError on a damaged file."""
        order = kept["paths"]
        if not all(isinstance(p, str) for p in order) or len(set(order)) != len(order):
            raise ValueError("danh sách bài hỏng")
        lists = [kept[name] for name in ("entries", "related", "scores")]
        if any(len(values) != len(order) for values in lists):
            raise ValueError("số bài không khớp")
        entries, related, scores = lists
        ranking = cls(order=order, filled={order[i] for i in kept["filled"]})
        for path, found, positions, values in zip(order, entries, related, scores):
            if len(positions) != len(values) or not all(type(v) is int for v in values):
                raise ValueError(f"danh sách liên quan của {path} hỏng")
            ranking.entries[path] = (*found[:2], *map(tuple, found[2:]))
            ranking.related[path] = tuple(order[i] for i in positions)
            ranking.scores[path] = tuple(values)
        return ranking


def code_version() -> str:
    """The version of the ranking code (this folder's modules): another version ranks anew."""
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def ranking_file(settings) -> Path | None:
    """The file kept for the output folder of ``settings``; None without a cache folder."""
    cache = settings.get("CACHE_PATH")
    output = settings.get("OUTPUT_PATH")
    if not cache or not output:
        return None
    key = hashlib.blake2b(os.path.realpath(output).encode("utf-8", "surrogatepass"),
                          digest_size=8).hexdigest()
    return safefs.inside(cache, FOLDER, f"{key}.json")


#: What this process ranked or read last, by file (None: a site without a cache folder): the
#: settings' key, the rankings, and the file's size, modification time and inode then.
_MEMORY: dict = {}


def _stat(path: Path | None):
    try:
        found = os.stat(path)
    except (OSError, TypeError):
        return None
    return (found.st_size, found.st_mtime_ns, found.st_ino)


def load(settings, key: str) -> dict[str, Ranking]:
    """The rankings kept for this output folder, by generator, if ranked with the same code
    and settings (``key``); else none."""
    path = ranking_file(settings)
    kept = _MEMORY.get(path)
    if kept is not None and kept[2] == _stat(path):
        return kept[1] if kept[0] == key else {}
    if path is None:
        return {}
    stat = _stat(path)  # before reading: a file replaced meanwhile is read again next time
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        return _damaged(path, exc)
    collecting = gc.isenabled()
    gc.disable()  # the file's lists live a moment: none should be kept as long-lived
    try:
        found = orjson.loads(text)
        if not isinstance(found, dict) or found.get("schema") != SCHEMA:
            return {}
        if found.get("code") != code_version() or found.get("key") != key:
            return {}
        rankings = {name: Ranking.from_json(value) for name, value in found["rankings"].items()}
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        return _damaged(path, exc)
    finally:
        found = None
        if collecting:
            gc.enable()
    _MEMORY.clear()
    _MEMORY[path] = (key, rankings, stat)  # the next build of this process needs no reading
    return rankings


def _damaged(path: Path, exc: Exception) -> dict:
    logger.warning("Bài liên quan: không đọc được tệp lưu lần xếp trước %s (%s). Lần dựng này "
                   "xếp lại bài liên quan của mọi bài (chậm hơn một chút) và ghi lại tệp đó; "
                   "không cần làm gì thêm. Nếu cảnh báo này lặp lại, hãy xóa thư mục %s.",
                   path, exc, path.parent)
    return {}


def save(settings, key: str, rankings: dict[str, Ranking]) -> None:
    """Keep ``rankings`` for the next build into this output folder (in this process and in
    the file); a cache folder that cannot be written only makes the next build rank all."""
    path = ranking_file(settings)
    _MEMORY.clear()  # one site at a time: a live session's, or a test's
    if path is not None:
        try:
            data = orjson.dumps({"schema": SCHEMA, "code": code_version(), "key": key,
                                 "rankings": {n: r.to_json() for n, r in rankings.items()}})
            path.parent.mkdir(parents=True, exist_ok=True)
            safefs.write_durable(path, data, sync=False)  # a cache, checked when read
        except (OSError, TypeError) as exc:  # TypeError: a path that is not UTF-8
            logger.warning("Bài liên quan: không ghi được %s (%s); lần dựng sau sẽ xếp lại bài "
                           "liên quan của mọi bài.", path, exc)
            return
    _MEMORY[path] = (key, rankings, _stat(path))
