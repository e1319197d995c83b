"""Getting a built site ready to be served fast.

- Fingerprints: every file of the theme's static folder gets a copy named after its content
  (``css/site.css`` → ``css/site.1a2b3c4d5e.css``), so browsers and the CDN may keep it for a
  year: a new version has a new name. :func:`fingerprints` works the names out from the theme
  before the build writes a page; the templates name the files through the :func:`asset` filter
  and ``plugins/assets`` writes the copies (``ASSET_FINGERPRINTS``, on in ``publishconf.py``).
  The original stays, for anything outside the pages that names it.
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
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import brotli
from jinja2 import pass_context

from newsroom.core import safefs
from newsroom.publish.verify import Site

TEXT_SUFFIXES = {".html", ".css", ".js", ".mjs", ".json", ".xml", ".atom", ".rss", ".svg",
                 ".txt", ".webmanifest", ".map", ".ics", ".vtt"}
MIN_SIZE = 256  # smaller files gain nothing from compression
COPIES = (".gz", ".br")
HASH_LENGTH = 10
HASHED = re.compile(r"\.[0-9a-f]{%d}\.[A-Za-z0-9]+$" % HASH_LENGTH)
_CSS_URL = re.compile(r"""url\(\s*(?P<q>["']?)(?P<value>[^"')]+)(?P=q)\s*\)""")


@dataclass
class Prepared:
    """What :func:`prepare` did to an output folder."""

    hashed: dict[str, str] = field(default_factory=dict)  # original → hashed, output-relative
    compressed: int = 0  # files given .gz and .br copies


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_LENGTH]


def hashed_name(rel: str, data: bytes) -> str:
    stem, dot, suffix = rel.rpartition(".")
    if not dot or "/" in suffix:
        return f"{rel}.{content_hash(data)}"
    return f"{stem}.{content_hash(data)}.{suffix}"


def _rewrite_css(text: str, site: Site, sheet: str, mapping: dict[str, str]) -> str:
    """``text`` of the style sheet ``sheet`` with every ``url()`` naming a file of ``mapping``
    pointed at its hashed name (the query and anchor kept)."""
    def replace_url(url: str) -> str:
        target = site.internal(url, sheet)
        if target is None or target not in mapping:
            return url
        old = target.rsplit("/", 1)[-1]
        new = mapping[target].rsplit("/", 1)[-1]
        head, sep, tail = url.partition("?")
        head, hash_sep, anchor = head.partition("#")
        if not head.endswith(old):
            return url
        return head[: -len(old)] + new + hash_sep + anchor + sep + tail

    def replace(match: re.Match) -> str:
        value = match.group("value")
        new_value = replace_url(value)
        if new_value == value:
            return match.group(0)
        start, end = match.span("value")
        whole, offset = match.group(0), match.start()
        return whole[: start - offset] + new_value + whole[end - offset:]

    return _CSS_URL.sub(replace, text)


def theme_files(settings) -> dict[str, Path]:
    """The theme's static files as the build copies them (``THEME_STATIC_PATHS`` into
    ``THEME_STATIC_DIR``; a later path wins): output-relative name → source file."""
    theme, target = Path(settings["THEME"]), settings.get("THEME_STATIC_DIR", "theme")
    found: dict[str, Path] = {}
    for folder in settings.get("THEME_STATIC_PATHS", ["static"]):
        root = theme / folder
        files = sorted(root.rglob("*")) if root.is_dir() else [root] if root.is_file() else []
        for path in files:
            if path.is_file() and not path.is_symlink():
                name = path.relative_to(root).as_posix() if root.is_dir() else path.name
                found[posixpath.join(target, name)] = path
    return found


@dataclass
class Fingerprints:
    """The theme's static files under content-hashed names (see the module doc)."""

    hashed: dict[str, str] = field(default_factory=dict)  # original → hashed, output-relative
    data: dict[str, bytes] = field(default_factory=dict)  # output-relative → bytes to publish

    def within(self, static_dir: str) -> dict[str, str]:
        """``hashed`` relative to the static folder (``css/site.css`` → ``css/site.<h>.css``)."""
        cut = len(static_dir.rstrip("/")) + 1
        return {old[cut:]: new[cut:] for old, new in self.hashed.items()}


def fingerprints(settings) -> Fingerprints:
    """Hashed names of the theme's static files, from the theme itself: leaves first (fonts,
    images, scripts), then style sheets, whose ``url()``s are pointed at the hashed leaves (the
    sheet is published so rewritten, under its original name too)."""
    result = Fingerprints()
    site = Site(Path("."), settings.get("SITEURL", "") or "")
    files = {rel: path for rel, path in theme_files(settings).items()
             if not HASHED.search(rel) and not rel.endswith((".gz", ".br"))}
    for sheets in (False, True):
        for rel in sorted(r for r in files if r.endswith(".css") == sheets):
            data = files[rel].read_bytes()
            if sheets and result.hashed:
                text = data.decode("utf-8")
                new_text = _rewrite_css(text, site, rel, result.hashed)
                if new_text != text:
                    data = new_text.encode("utf-8")
                    result.data[rel] = data
            new_rel = hashed_name(rel, data)
            result.hashed[rel] = new_rel
            result.data[new_rel] = data
    return result


def fingerprinting(settings) -> bool:
    return bool(settings.get("ASSET_FINGERPRINTS"))


@pass_context
def asset(context, value: str) -> str:
    """Template filter: the hashed name of a theme static file when the build fingerprints
    (``ASSET_FINGERPRINTS``), else ``value`` as it is. ``value`` is a name inside the static
    folder (``'css/site.css'|asset``) or a URL ending in ``/<THEME_STATIC_DIR>/<name>``."""
    table = context.get(TABLE)
    if not table:
        return value
    if value in table:
        return table[value]
    head, sep, name = str(value).rpartition("/" + context.get("THEME_STATIC_DIR", "theme") + "/")
    return head + sep + table[name] if sep and name in table else value


#: The setting holding :meth:`Fingerprints.within` during a build that fingerprints.
TABLE = "ASSET_FINGERPRINT_TABLE"


def write_fingerprinted(output: str | Path, found: Fingerprints,
                        keep: Callable[[Path], None]) -> int:
    """Put ``found``'s files in ``output`` (the build's theme copy is there already); a file
    already holding the same bytes is only ``keep``-ed. Returns how many were written."""
    written = 0
    for rel, data in sorted(found.data.items()):
        path = safefs.within(output, rel)
        try:
            same = path.read_bytes() == data
        except OSError:
            same = False
        if same:
            keep(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".assets-tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        written += 1
    return written


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
