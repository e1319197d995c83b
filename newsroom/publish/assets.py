"""Getting a built site ready to be served fast.

- Theme files under content-hashed names: made by the build itself (``plugins/fingerprints``,
  ``ASSET_FINGERPRINTS`` on in ``publishconf.py``), nothing here rewrites the pages.
- :func:`compress_changed` (``invoke publish``) and :func:`precompress` (a whole folder): text
  files get ``.gz`` and ``.br`` copies beside them, which nginx serves as they are
  (``gzip_static`` / ``brotli_static``). Both are byte-for-byte reproducible (no time stamp in
  the gzip header), so an unchanged page never travels again.
"""
from __future__ import annotations

import concurrent.futures
import gzip
import hashlib
import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import brotli

from newsroom.core import safefs
from plugins.fingerprints.fingerprints import fingerprinting, fingerprints

TEXT_SUFFIXES = {".html", ".css", ".js", ".mjs", ".json", ".xml", ".atom", ".rss", ".svg",
                 ".txt", ".webmanifest", ".map", ".ics", ".vtt"}
MIN_SIZE = 256  # smaller files gain nothing from compression
COPIES = (".gz", ".br")


@dataclass
class Prepared:
    """What :func:`prepare` did to an output folder."""

    hashed: dict[str, str] = field(default_factory=dict)  # original → hashed, output-relative
    compressed: int = 0  # files given .gz and .br copies


#: Brotli's best quality (11) costs about a second per 300 KB: larger files (the archive, the
#: sitemap, feeds: the lists one new article changes) get quality 9, some 7 % bigger and ten
#: times faster, so they do not take most of a daily publish.
BROTLI_BEST_UP_TO = 64 * 1024


def compress_bytes(data: bytes) -> tuple[bytes, bytes]:
    """Reproducible gzip (level 9, no time stamp) and brotli (quality 11, or 9 for files over
    :data:`BROTLI_BEST_UP_TO`) of ``data``."""
    return (gzip.compress(data, compresslevel=9, mtime=0),
            brotli.compress(data, quality=11 if len(data) <= BROTLI_BEST_UP_TO else 9))


def _compress_file(job: tuple[str, str]) -> tuple[bytes, bytes]:
    """In a worker: the copies of the file ``job[0]``, which must have sha256 ``job[1]``."""
    data = Path(job[0]).read_bytes()
    if hashlib.sha256(data).hexdigest() != job[1]:
        raise OSError(f"{job[0]} đổi trong lúc nén")
    return compress_bytes(data)


def _cached(key: str, cache: Path | None) -> tuple[bytes, bytes] | None:
    if cache:
        hit_gz, hit_br = cache / f"{key}.gz", cache / f"{key}.br"
        if hit_gz.is_file() and hit_br.is_file():
            return hit_gz.read_bytes(), hit_br.read_bytes()
    return None


def _store(key: str, packed: tuple[bytes, bytes], cache: Path | None) -> None:
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
        for suffix, data in zip(COPIES, packed):
            (cache / f"{key}{suffix}").write_bytes(data)


def packed_files(jobs: list[tuple[Path, str]], cache: Path | None,
                 workers: int = 0) -> Iterator[tuple[Path, str, tuple[bytes, bytes]]]:
    """``(path, sha256, (gz, br))`` for each of ``jobs`` (a file and the sha256 it must
    have), in order: from the cache, else compressed on every core (``workers``, 0: all)."""
    missing = [(path, sha) for path, sha in jobs if _cached(sha, cache) is None]
    workers = workers or os.cpu_count() or 1
    made: Iterator = iter(())
    pool = None
    if len(missing) >= 4 and workers > 1:
        pool = concurrent.futures.ProcessPoolExecutor(min(workers, len(missing)))
        made = pool.map(_compress_file, [(str(p), s) for p, s in missing], chunksize=4)
    else:
        made = map(_compress_file, [(str(p), s) for p, s in missing])
    try:
        fresh = dict(zip((sha for _, sha in missing), made))
        for path, sha in jobs:
            if sha in fresh:
                _store(sha, fresh[sha], cache)
                yield path, sha, fresh[sha]
            else:
                yield path, sha, _cached(sha, cache) or compress_bytes(path.read_bytes())
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def compressible(rel: str, size: int) -> bool:
    """Whether a file of the output gets precompressed copies."""
    return size >= MIN_SIZE and posixpath.splitext(rel)[1].lower() in TEXT_SUFFIXES


def _prune_cache(cache: Path | None, used: set[str]) -> None:
    """Keep in the cache only the compressed bytes of what the site still has."""
    if cache and cache.is_dir():
        for stale in cache.iterdir():
            if stale.name.split(".", 1)[0] not in used:
                stale.unlink()


def precompress(output: str | Path, cache: str | Path | None = None) -> int:
    """Write ``.gz`` and ``.br`` beside every text file worth it; returns how many files.

    ``cache`` (a folder) keeps compressed bytes by content hash, so a full publish recompresses
    only the pages that changed since the last one.
    """
    output = Path(output)
    cache = Path(cache) if cache else None
    jobs = [(path, safefs.sha256(path)) for path in sorted(output.rglob("*"))
            if path.is_file() and compressible(path.name, path.stat().st_size)]
    count = 0
    for path, _, packed in packed_files(jobs, cache):
        size = path.stat().st_size
        wrote = False
        for suffix, data in zip(COPIES, packed):
            if len(data) < size:
                path.with_name(path.name + suffix).write_bytes(data)
                wrote = True
        count += wrote
    _prune_cache(cache, {sha for _, sha in jobs})
    return count


@dataclass
class Compressed:
    """What :func:`compress_changed` did."""

    written: list[str] = field(default_factory=list)  # copies written (output-relative)
    gone: list[str] = field(default_factory=list)  # copies removed
    compressed: int = 0  # files compressed (or taken from the cache) this time
    files: int = 0  # files that have copies


def _copies(output: Path, rel: str, size: int, packed: tuple[bytes, bytes], scan,
            before: dict, done: Compressed) -> list:
    """Write or remove ``rel``'s copies as ``packed`` says; the copies' sha256 (None: none).
    A copy written again with the bytes it had (``before``: the record's files) gets its
    modification time back, as the build folder's other files do."""
    shas = []
    for suffix, data in zip(COPIES, packed):
        copy, sha = rel + suffix, hashlib.sha256(data).hexdigest()
        if len(data) < size:
            if scan.sha(copy) != sha:
                path = safefs.within(output, copy)
                path.write_bytes(data)
                old = before.get(copy)
                if old and old[3] == sha:
                    os.utime(path, ns=(old[1], old[1]))
                done.written.append(copy)
            shas.append(sha)
        else:
            if scan.sha(copy) is not None:
                safefs.within(output, copy).unlink()
                done.gone.append(copy)
            shas.append(None)
    return shas


def compress_changed(output: str | Path, scan, record, cache: str | Path | None = None) -> Compressed:
    """Precompress only what changed in a kept build folder (``newsroom.publish.buildfolder``): text
    files whose bytes differ from the record's, or whose copies are missing or altered; the
    copies of files gone or no longer worth it are removed. Updates ``record.compressed``."""
    output, cache = Path(output), Path(cache) if cache else None
    done = Compressed()
    wanted = {rel: entry[3] for rel, entry in scan.files.items()
              if compressible(rel, entry[0]) and not rel.endswith(COPIES)}
    todo = []
    for rel, sha in sorted(wanted.items()):
        old = record.compressed.get(rel)
        if not (old and old[0] == sha and all(scan.sha(rel + suffix) == copy
                                              for suffix, copy in zip(COPIES, old[1:]))):
            todo.append((safefs.within(output, rel), sha))
    for path, sha, packed in packed_files(todo, cache):
        rel = path.relative_to(output).as_posix()
        record.compressed[rel] = [sha, *_copies(output, rel, scan.files[rel][0], packed, scan,
                                                record.files, done)]
        done.compressed += 1
    for rel in sorted(set(record.compressed) - set(wanted)):
        for suffix, copy in zip(COPIES, record.compressed.pop(rel)[1:]):
            if copy and scan.sha(rel + suffix) is not None:
                safefs.within(output, rel + suffix).unlink()
                done.gone.append(rel + suffix)
    done.files = sum(1 for entry in record.compressed.values() if any(entry[1:]))
    _prune_cache(cache, set(wanted.values()))
    return done


def prepare(output: str | Path, settings: dict, cache: str | Path | None = None) -> Prepared:
    """Precompress a whole output folder (the build named the theme files by their hash)."""
    return Prepared(hashed=fingerprints(settings).hashed if fingerprinting(settings) else {},
                    compressed=precompress(output, cache))
