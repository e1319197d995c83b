"""Hashed names of the theme's static files: worked out from the theme before the build
writes a page, named by the templates through the ``asset`` filter, written by the build.

When ``ASSET_FINGERPRINTS`` is on (``publishconf.py``), every file of the theme's static folder
gets a copy named after its content (``css/site.css`` → ``css/site.1a2b3c4d5e.css``), so
browsers and the CDN may keep it for a year: a new version has a new name. The names are worked
out at start-up (:func:`fingerprints`, the style sheets pointed at the hashed fonts and images)
and kept in the settings (:data:`TABLE`); the templates name the files through the
:func:`asset` filter (``{{ 'css/site.css'|asset }}``), so every page is written once, already
pointing at the hashed name. After the last page (``finalized``) the hashed copies and the
rewritten style sheet are put in the output; a file already holding the same bytes is only
marked as produced (``newsroom.core.safefs.keep``). Nothing rewrites the pages after the build,
so a page that did not change keeps its bytes from one publish to the next. Off (a preview),
the filter gives the names as they are and nothing is written. The original files stay, for
anything outside the pages that names them.
"""
from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urljoin, urlsplit

from jinja2 import pass_context
from pelican import signals

from newsroom.core import safefs

logger = logging.getLogger(__name__)

HASH_LENGTH = 10
HASHED = re.compile(r"\.[0-9a-f]{%d}\.[A-Za-z0-9]+$" % HASH_LENGTH)
_CSS_URL = re.compile(r"""url\(\s*(?P<q>["']?)(?P<value>[^"')]+)(?P=q)\s*\)""")

def _target(url: str, sheet: str, prefix: str) -> str | None:
    """The output-relative file a ``url()`` of the style sheet ``sheet`` names (None: another
    site, ``data:``...), as a browser resolves it (``prefix``: the path of SITEURL)."""
    parts = urlsplit(url.strip())
    if not parts.path or parts.scheme or parts.netloc:
        return None
    path = parts.path if parts.path.startswith("/") else urljoin("/" + sheet, parts.path)
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix):]
    return (posixpath.normpath(unquote(path)) + ("/" if path.endswith("/") else "")).lstrip("/")


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_LENGTH]


def hashed_name(rel: str, data: bytes) -> str:
    stem, dot, suffix = rel.rpartition(".")
    if not dot or "/" in suffix:
        return f"{rel}.{content_hash(data)}"
    return f"{stem}.{content_hash(data)}.{suffix}"


def _rewrite_css(text: str, prefix: str, sheet: str, mapping: dict[str, str]) -> str:
    """``text`` of the style sheet ``sheet`` with every ``url()`` naming a file of ``mapping``
    pointed at its hashed name (the query and anchor kept)."""
    def replace_url(url: str) -> str:
        target = _target(url, sheet, prefix)
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
    prefix = urlsplit(settings.get("SITEURL", "") or "").path.rstrip("/")
    files = {rel: path for rel, path in theme_files(settings).items()
             if not HASHED.search(rel) and not rel.endswith((".gz", ".br"))}
    for sheets in (False, True):
        for rel in sorted(r for r in files if r.endswith(".css") == sheets):
            data = files[rel].read_bytes()
            if sheets and result.hashed:
                text = data.decode("utf-8")
                new_text = _rewrite_css(text, prefix, rel, result.hashed)
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


def plan(pelican) -> None:
    """The hashed names, for the templates: in the settings, so every generator's context
    (and every render worker) has them."""
    settings = pelican.settings
    settings.pop(TABLE, None)
    if fingerprinting(settings):
        settings[TABLE] = fingerprints(settings).within(settings.get("THEME_STATIC_DIR", "theme"))


def write(pelican) -> None:
    settings = pelican.settings
    if not fingerprinting(settings):
        return
    found = fingerprints(settings)
    if found.within(settings.get("THEME_STATIC_DIR", "theme")) != settings.get(TABLE):
        logger.error("plugins.fingerprints: tệp giao diện (theme/static) đổi trong lúc dựng; các "
                     "trang có thể trỏ tới tên cũ. Cách sửa: dựng lại")
        return
    written = write_fingerprinted(settings["OUTPUT_PATH"], found, safefs.keep)
    logger.info("plugins.fingerprints: %d tệp giao diện có tên băm (%d tệp ghi mới)",
                len(found.hashed), written)


def register():
    signals.initialized.connect(plan)
    signals.finalized.connect(write)
