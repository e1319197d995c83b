"""Getting a built site ready to be served fast (``invoke publish``, step 3).

- :func:`fingerprint`: every file of the theme's static folder gets a copy named after its
  content (``css/site.css`` → ``css/site.1a2b3c4d5e.css``) and the HTML pages (and style
  sheets) that reference it are rewritten to use that name, so browsers and the CDN may keep it
  for a year: a new version has a new name. The original stays, for anything outside the pages
  that names it.
- :func:`precompress`: text files get ``.gz`` and ``.br`` copies beside them, which nginx serves
  as they are (``gzip_static`` / ``brotli_static``). Both are byte-for-byte reproducible
  (no time stamp in the gzip header), so an unchanged page never travels again.
"""
from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import brotli

from newsroom.publish.verify import Site

TEXT_SUFFIXES = {".html", ".css", ".js", ".mjs", ".json", ".xml", ".atom", ".rss", ".svg",
                 ".txt", ".webmanifest", ".map", ".ics", ".vtt"}
MIN_SIZE = 256  # smaller files gain nothing from compression
HASH_LENGTH = 10
HASHED = re.compile(r"\.[0-9a-f]{%d}\.[A-Za-z0-9]+$" % HASH_LENGTH)
_ATTRIBUTE = re.compile(r"""(?P<name>\b(?:href|src|srcset|content|poster|data))=(?P<q>["'])(?P<value>.*?)(?P=q)""",
                        re.S)
_CSS_URL = re.compile(r"""url\(\s*(?P<q>["']?)(?P<value>[^"')]+)(?P=q)\s*\)""")


@dataclass
class Prepared:
    """What :func:`prepare` did to an output folder."""

    hashed: dict[str, str] = field(default_factory=dict)  # original → hashed, output-relative
    rewritten: int = 0  # files whose references were rewritten
    compressed: int = 0  # files given .gz and .br copies


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_LENGTH]


def hashed_name(rel: str, data: bytes) -> str:
    stem, dot, suffix = rel.rpartition(".")
    if not dot or "/" in suffix:
        return f"{rel}.{content_hash(data)}"
    return f"{stem}.{content_hash(data)}.{suffix}"


def _rewrite(text: str, pattern: re.Pattern, site: Site, page: str, mapping: dict[str, str],
             srcset_group: bool) -> str:
    def replace_url(url: str) -> str:
        target = site.internal(url, page)
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
        if srcset_group and match.group("name") == "srcset":
            parts = []
            for item in value.split(","):
                bits = item.strip().split(None, 1)
                if bits:
                    bits[0] = replace_url(bits[0])
                parts.append(" ".join(bits))
            new_value = ", ".join(parts)
        else:
            new_value = replace_url(value)
        if new_value == value:
            return match.group(0)
        start, end = match.span("value")
        whole = match.group(0)
        offset = match.start()
        return whole[: start - offset] + new_value + whole[end - offset:]

    return pattern.sub(replace, text)


def fingerprint(output: str | Path, settings: dict) -> Prepared:
    """Give the theme's static files content-hashed copies and point the pages at them."""
    output = Path(output)
    result = Prepared()
    static = output / settings.get("THEME_STATIC_DIR", "theme")
    if not static.is_dir():
        return result
    site = Site(output, settings.get("SITEURL", "") or "")
    assets = sorted(p for p in static.rglob("*") if p.is_file() and not HASHED.search(p.name)
                    and p.suffix not in (".gz", ".br"))
    # Leaves first (fonts, images, scripts), then style sheets, whose url()s may name leaves.
    for group in ([p for p in assets if p.suffix != ".css"], [p for p in assets if p.suffix == ".css"]):
        for path in group:
            rel = path.relative_to(output).as_posix()
            data = path.read_bytes()
            if path.suffix == ".css" and result.hashed:
                text = data.decode("utf-8")
                new_text = _rewrite(text, _CSS_URL, site, rel, result.hashed, False)
                if new_text != text:
                    data = new_text.encode("utf-8")
                    path.write_bytes(data)
                    result.rewritten += 1
            new_rel = hashed_name(rel, data)
            (output / new_rel).write_bytes(data)
            result.hashed[rel] = new_rel
    for page in sorted(output.rglob("*.html")):
        rel = page.relative_to(output).as_posix()
        text = page.read_text(encoding="utf-8")
        new_text = _rewrite(text, _ATTRIBUTE, site, rel, result.hashed, True)
        if new_text != text:
            page.write_text(new_text, encoding="utf-8")
            result.rewritten += 1
    return result


def compress_bytes(data: bytes) -> tuple[bytes, bytes]:
    """Reproducible gzip (level 9, no time stamp) and brotli (quality 11) of ``data``."""
    return (gzip.compress(data, compresslevel=9, mtime=0),
            brotli.compress(data, quality=11))


def precompress(output: str | Path, cache: str | Path | None = None) -> int:
    """Write ``.gz`` and ``.br`` beside every text file worth it; returns how many files.

    ``cache`` (a folder) keeps compressed bytes by content hash, so a publish recompresses only
    the pages that changed since the last one.
    """
    output = Path(output)
    cache = Path(cache) if cache else None
    count, used = 0, set()
    for path in sorted(output.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in TEXT_SUFFIXES:
            continue
        data = path.read_bytes()
        if len(data) < MIN_SIZE:
            continue
        gz = br = None
        key = hashlib.sha256(data).hexdigest()
        used.update((f"{key}.gz", f"{key}.br"))
        if cache:
            hit_gz, hit_br = cache / f"{key}.gz", cache / f"{key}.br"
            if hit_gz.is_file() and hit_br.is_file():
                gz, br = hit_gz.read_bytes(), hit_br.read_bytes()
        if gz is None:
            gz, br = compress_bytes(data)
            if cache:
                cache.mkdir(parents=True, exist_ok=True)
                (cache / f"{key}.gz").write_bytes(gz)
                (cache / f"{key}.br").write_bytes(br)
        wrote = False
        for suffix, packed in ((".gz", gz), (".br", br)):
            if len(packed) < len(data):
                path.with_name(path.name + suffix).write_bytes(packed)
                wrote = True
        count += wrote
    if cache and cache.is_dir():  # keep only what this site still has
        for stale in cache.iterdir():
            if stale.name not in used:
                stale.unlink()
    return count


def prepare(output: str | Path, settings: dict, cache: str | Path | None = None) -> Prepared:
    """Fingerprint the theme's assets, then precompress: the output is ready to deploy."""
    result = fingerprint(output, settings)
    result.compressed = precompress(output, cache)
    return result
