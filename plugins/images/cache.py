"""The image cache under ``cache/images``: work is keyed by the content of the source and the
recipe (sizes, formats, quality, crop, code version), so a second build with nothing changed
decodes no photo, and a changed photo is redone alone.

``index.json`` remembers the size, mtime and SHA-256 of every source seen, so an unchanged
photo is not even read again; ``objects/<key>/`` holds the finished files and ``manifest.json``.
``used.json`` numbers the full builds and remembers the last one that used each object, so
:meth:`Cache.prune` removes what no build has used lately (old titles' cards, replaced photos).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

from newsroom.core import safefs

try:
    import fcntl
except ImportError:  # not on Linux/macOS: the cache is then never pruned
    fcntl = None

#: Bump when the way files are made changes: every cached entry is then redone.
VERSION = "2"


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class Cache:
    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.index_path = self.root / "index.json"
        try:
            self.index = json.loads(self.index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.index = {}
        self._dirty = False
        self.used: set[str] = set()  # keys of the objects this build uses
        self._objects = str(self.root / "objects")

    def digest(self, path: Path | str) -> str | None:
        """SHA-256 of a file, read only when its size or mtime changed; None if missing."""
        path = str(path)
        try:
            stat = os.stat(path)
        except OSError:
            return None
        known = self.index.get(path)
        if known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
            return known[2]
        sha = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha.update(block)
        self.index[path] = [stat.st_size, stat.st_mtime_ns, sha.hexdigest()]
        self._dirty = True
        return sha.hexdigest()

    @staticmethod
    def key(*parts) -> str:
        text = json.dumps([VERSION, *parts], sort_keys=True, default=repr)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def folder(self, key: str) -> Path:
        return self.root / "objects" / key[:2] / key

    def path(self, key: str) -> str:
        """:meth:`folder` as a string (cheaper, for the thousands of lookups of a build)."""
        return os.path.join(self._objects, key[:2], key)

    def get(self, key: str) -> dict | None:
        try:
            with open(os.path.join(self._objects, key[:2], key, "manifest.json"), "rb") as handle:
                return json.loads(handle.read())
        except (OSError, ValueError):
            return None

    def put(self, key: str, manifest: dict) -> None:
        _atomic_write(self.folder(key) / "manifest.json", json.dumps(manifest))

    def save(self) -> None:
        if self._dirty:
            _atomic_write(self.index_path, json.dumps(self.index))
            self._dirty = False

    @contextlib.contextmanager
    def in_use(self):
        """Held by a build from its first look-up to its last copy out of the cache (a shared
        lock on ``lock``): no other build prunes meanwhile."""
        if fcntl is None:
            yield
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def prune(self, keep: int) -> int:
        """:meth:`_prune` when no other build is using the cache (else nothing this time:
        a build sharing the cache may be between a look-up and its copy)."""
        if keep < 1:
            raise ValueError("keep phải từ 1 trở lên")
        if fcntl is None:
            return 0
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "lock", "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return 0
            try:
                return self._prune(keep)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _prune(self, keep: int) -> int:
        """After a build that used every object it needs (all in :attr:`used`): remove the
        objects that none of the last ``keep`` builds used, this one included, and the
        leftovers of a worker stopped halfway (``*.tmp`` folders over an hour old). An object
        this build uses is never removed; one made before builds were counted starts counting
        now. Returns how many objects were removed."""
        path = self.root / "used.json"
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            build, last = int(state["build"]) + 1, dict(state["keys"])
        except (OSError, ValueError, KeyError, TypeError):
            build, last = 1, {}
        for key in self.used:
            last[key] = build
        removed, seen = 0, {}
        old_tmp = time.time() - 3600
        try:
            shards = list(os.scandir(self.root / "objects"))
        except OSError:
            shards = []
        for shard in shards:
            if not shard.is_dir():
                continue
            for entry in os.scandir(shard.path):
                name = entry.name
                if name.endswith(".tmp"):
                    if entry.stat().st_mtime < old_tmp:
                        shutil.rmtree(entry.path, ignore_errors=True)
                    continue
                when = last.get(name, build)
                if name not in self.used and when <= build - keep:
                    shutil.rmtree(entry.path, ignore_errors=True)
                    removed += 1
                else:
                    seen[name] = when
        # Sources no longer there are forgotten too (the index only grows otherwise).
        if any(not os.path.exists(source) for source in self.index):
            self.index = {k: v for k, v in self.index.items() if os.path.exists(k)}
            self._dirty = True
            self.save()
        _atomic_write(path, json.dumps({"build": build, "keys": seen}))
        return removed


def publish(source: Path | str, target: Path | str) -> bool:
    """Put a cached file at ``target`` unless the same file (size and mtime, which the copy
    keeps) is already there. Returns True when a file was written."""
    made = os.stat(source)
    try:
        there = os.stat(target)
        if there.st_size == made.st_size and there.st_mtime_ns == made.st_mtime_ns:
            safefs.keep(target)  # produced by this build (newsroom.publish.buildfolder)
            return False
    except OSError:
        pass
    os.makedirs(os.path.dirname(target), exist_ok=True)
    tmp = f"{target}.{os.getpid()}.tmp"
    shutil.copyfile(source, tmp)
    os.utime(tmp, ns=(made.st_atime_ns, made.st_mtime_ns))
    os.replace(tmp, target)
    return True
