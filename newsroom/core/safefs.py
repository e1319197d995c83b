"""Paths that cannot leave their folder, and writes that survive a crash.

:func:`inside` is the one way ingest builds a path it writes to (content/, its staging folder,
its state): every part must be slug output (``bai-viet``, ``2020``, ``ten-bai.md``,
``anh-1.jpg``), and the resolved path must stay inside the folder. :func:`path_like` and
:func:`odd_name` recognise text from the shared folder that reads as a path leading elsewhere,
in any of its disguises (``../``, ``..\\``, absolute, ``%2e%2e%2f``, fullwidth ``．．／``).
"""
from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

# slug output, with at most two extensions (``anh-1.jpg``, ``state.json``)
_SLUG_PART = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]{1,8}){0,2}")
_SEPARATOR = re.compile(r"[/\\]")
_DRIVE = re.compile(r"^[A-Za-z]:[/\\]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Unsafe(ValueError):
    """A path that is not made of slug parts, or that leads outside its folder."""


def inside(root: Path | str, *parts: str) -> Path:
    """``root/part/...``, every part slug output, checked (links followed) to stay inside
    ``root``; raises :class:`Unsafe` otherwise, before anything is touched."""
    if not parts:
        raise Unsafe(f"không có tên tệp trong {root}")
    for part in parts:
        if not isinstance(part, str) or not _SLUG_PART.fullmatch(part):
            raise Unsafe(f"“{part}” không phải tên không dấu (chữ thường, số, gạch nối)")
    path = Path(root).joinpath(*parts)
    try:
        path.resolve().relative_to(Path(root).resolve())
    except ValueError:
        raise Unsafe(f"{path} trỏ ra ngoài {root}") from None
    return path


def inside_posix(root: Path | str, relative: str) -> Path:
    """:func:`inside` for a relative path kept as text (``bai-viet/x/2020/a.md``)."""
    return inside(root, *str(relative).split("/"))


def within(root: Path | str, relative: str) -> Path:
    """``root/relative`` for a name the build made (``theme/fonts/OFL.txt``, not slug
    output): relative, without ``.``/``..``/empty parts, and resolved (links followed) inside
    ``root``; raises :class:`Unsafe` otherwise, before anything is touched."""
    parts = str(relative).split("/")
    if not relative or relative.startswith("/") or any(p in ("", ".", "..") for p in parts) \
            or "\x00" in relative:
        raise Unsafe(f"“{relative}” không phải đường dẫn tương đối bên trong {root}")
    path = Path(root).joinpath(*parts)
    if not path.resolve().is_relative_to(Path(root).resolve()):
        raise Unsafe(f"{path} trỏ ra ngoài {root}")
    return path


def keep(path: Path | str, found: os.stat_result | None = None) -> None:
    """Say that a build produced ``path`` although its bytes did not change: its change time
    (ctime) becomes now, its modification time stays (``newsroom.publish.buildfolder`` removes from a
    kept build folder the files a build did not produce). ``found``: the path's ``lstat`` if
    the caller just took it."""
    if found is None:
        found = os.stat(path, follow_symlinks=False)
    os.utime(path, ns=(found.st_atime_ns, found.st_mtime_ns), follow_symlinks=False)


def _forms(text: str) -> set[str]:
    """``text`` as the shared folder may disguise it: percent-decoded (up to three times),
    and in NFC and NFKC (fullwidth or compatibility dots and slashes become plain ones)."""
    forms = {text}
    for _ in range(3):
        forms |= {unquote(form) for form in forms}
    return forms | {unicodedata.normalize(kind, form) for form in forms
                    for kind in ("NFC", "NFKC")}


def path_like(text: str) -> bool:
    """Text that reads as a path leading elsewhere: a ``..`` part, or an absolute start
    (``/``, ``\\``, ``C:\\``), in any of its forms (:func:`_forms`)."""
    for form in _forms(text):
        stripped = form.strip()
        if stripped.startswith(("/", "\\")) or _DRIVE.match(stripped) or "\x00" in form:
            return True
        if any(part.strip() == ".." for part in _SEPARATOR.split(form)):
            return True
    return False


def odd_name(name: str) -> bool:
    """A file or folder name that is not a plain name: ``..``, bytes that are not UTF-8, or a
    path separator or a control character in any of its forms (``a\\..\\b``, ``%2f``,
    ``．．／``)."""
    if any("\ud800" <= char <= "\udfff" for char in name):  # undecodable bytes
        return True
    return any(_SEPARATOR.search(form) or _CONTROL.search(form) or form.strip() in (".", "..")
               for form in _forms(name))


def sha256(source: Path | bytes) -> str:
    if isinstance(source, (bytes, bytearray)):
        return hashlib.sha256(source).hexdigest()
    with open(source, "rb") as handle:
        return sha256_stream(handle)


def sha256_stream(handle) -> str:
    """The sha256 of what is left to read in the binary file ``handle``."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durable(path: Path, data: bytes, sha: str | None = None, sync: bool = True) -> None:
    """Write ``path`` whole or not at all: a hidden temporary file beside it, flushed to disk
    and, when ``sha`` is given, read back and checked against it, then renamed over ``path``.
    ``path`` comes from :func:`inside`; raises OSError when the copy does not match.
    ``sync=False`` (a cache, checked when it is read): whole or not at all, not waiting for
    the disk (an fsync waits for every other file written just before it: a live update
    after the search index wrote its parts waited up to half a second)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        if sha is not None and sha256(tmp) != sha:
            raise OSError(f"bản chép của {path.name} không khớp bản gốc")
        os.replace(tmp, path)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    if sync:
        fsync_dir(path.parent)
