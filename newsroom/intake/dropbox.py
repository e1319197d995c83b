"""The shared folder ingest reads (``invoke ingest --source DIR``), treated as untrusted: anyone
with access may write it, plant links or odd names in it, or still be copying a file into it.

- :func:`plan`: the submissions in DIR, and the stray files refused outright;
- :func:`settle`: which files are finished (size and time of last change the same at two looks
  at least an interval apart); a Word lock file or a partial download in a submission's folder
  makes it wait (:attr:`Submission.busy`);
- :class:`Folder`: receipts written and sources removed relative to a folder opened without
  following links, so a link planted or a folder swapped during a run cannot redirect them.
"""
from __future__ import annotations

import errno
import os
import re
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from newsroom.core.safefs import odd_name, sha256
from newsroom.core.text import nfc, slugify
from newsroom.intake.journal import Store

DOC_EXTENSIONS = {".md", ".txt", ".docx"}
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".heif", ".bmp", ".tif",
                    ".tiff", ".emf", ".wmf"}  # taken or refused with a how-to, never ignored
OLD_FORMATS = {".doc": "Word 97-2003", ".odt": "OpenDocument", ".rtf": "RTF", ".pdf": "PDF",
               ".pages": "Pages"}
RECEIPT = ".receipt.txt"
JUNK = {"thumbs.db", "desktop.ini", ".ds_store"}
# a document open in Word or LibreOffice, a file still being saved, copied or downloaded
_BUSY = re.compile(r"^(?:~\$.*|\.~lock\..*#|.*\.(?:tmp|part|crdownload))$", re.I | re.S)
_ODD = ("tên “{name}” có ký tự dùng để chỉ đường dẫn (“/”, “\\”, “..”, “%2F”...), ký tự điều "
        "khiển hoặc chữ không đọc được; không nhận",
        "đổi tên cho đơn giản, chỉ chữ, số, dấu cách và gạch nối, ví dụ “Bài đối thoại.docx”")


@dataclass
class Stray:
    """A file or folder refused outright: ``message`` and ``fix`` for its receipt."""

    path: Path
    files: list[Path]
    message: str
    fix: str


@dataclass
class Submission:
    unit_dir: Path
    doc: Path | None
    folder: Path | None
    files: list[Path]
    pool: list[Path] = field(default_factory=list)  # loose photos a loose document may use
    busy: list[Path] = field(default_factory=list)  # lock files, partial downloads

    @property
    def source(self) -> Path:
        return self.folder or self.doc or self.unit_dir


def busy(name: str) -> bool:
    return bool(_BUSY.match(name))


def skip(path: Path) -> bool:
    name = path.name
    return (name.startswith(".") or name.endswith(RECEIPT) or name.lower() in JUNK
            or busy(name))


def shown(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` as a reporter reads it (control characters and bytes
    that are not UTF-8 as ``?``)."""
    try:
        text = path.relative_to(base).as_posix()
    except ValueError:
        text = str(path)
    return "".join("?" if ord(c) < 32 or ord(c) == 127 or "\ud800" <= c <= "\udfff" else c
                   for c in nfc(text))


def receipt_path(path: Path) -> Path:
    """``<name>.receipt.txt`` beside ``path``; for an odd name, a slug of it instead."""
    name = path.name
    plain = not odd_name(name) and not name.startswith(".")
    return path.with_name((name if plain else slugify(shown(path, path.parent)) or "tep")
                          + RECEIPT)


def _symlink(path: Path, source_dir: Path) -> Stray:
    return Stray(path, [path], f"“{shown(path, source_dir)}” là liên kết (shortcut/symlink), "
                 "không phải tệp thật; không nhận",
                 "chép chính tệp hoặc thư mục vào đây thay cho liên kết")


def _odd(path: Path) -> Stray:
    message, fix = _ODD
    return Stray(path, _files_under(path), message.format(name=shown(path, path.parent)), fix)


def _files_under(path: Path) -> list[Path]:
    """``path`` itself, or every file under it when it is a folder (links not followed)."""
    if path.is_symlink() or not path.is_dir():
        return [path]
    return sorted(Path(folder, name) for folder, _, names in os.walk(path) for name in names)


def plan(source_dir: Path) -> tuple[list[Submission], list[Stray]]:
    """Submissions found in DIR, and the stray files refused outright."""
    submissions: list[Submission] = []
    strays: list[Stray] = []
    for entry in sorted(source_dir.iterdir()):
        if odd_name(entry.name):
            strays.append(_odd(entry))
        elif skip(entry):
            continue
        elif entry.is_symlink():
            strays.append(_symlink(entry, source_dir))
        elif entry.is_file():
            strays.append(Stray(entry, [entry], "tệp nằm ngoài thư mục đơn vị",
                                "chuyển tệp vào thư mục của đơn vị mình (ví dụ “than-ha-lam” "
                                "hoặc “Than Hà Lầm”)"))
        elif entry.is_dir():
            _plan_unit(entry, source_dir, submissions, strays)
    return submissions, strays


def _plan_unit(unit_dir: Path, source_dir: Path, submissions, strays) -> None:
    loose_docs, loose_images, waits = [], [], []
    for entry in sorted(unit_dir.iterdir()):
        ext = entry.suffix.lower()
        if busy(entry.name):
            waits.append(entry)
        elif odd_name(entry.name):
            strays.append(_odd(entry))
        elif skip(entry):
            continue
        elif entry.is_symlink():
            strays.append(_symlink(entry, source_dir))
        elif entry.is_dir():
            _plan_folder(unit_dir, entry, source_dir, submissions, strays)
        elif ext in DOC_EXTENSIONS:
            loose_docs.append(entry)
        elif ext in IMAGE_EXTENSIONS:
            loose_images.append(entry)
        elif ext in OLD_FORMATS:
            strays.append(Stray(entry, [entry], f"định dạng {OLD_FORMATS[ext]} ({ext}) "
                                "không đọc được", "mở tệp bằng Word và chọn Lưu thành… → "
                                "“Word Document (*.docx)”, hoặc lưu thành văn bản .txt (UTF-8)"))
        else:
            strays.append(Stray(entry, [entry], f"tệp “{shown(entry, unit_dir)}” không phải "
                                "bài viết hay ảnh", "gửi bài dạng .docx, .md hoặc .txt; ảnh dạng "
                                ".jpg hoặc .png"))
    for doc in loose_docs:
        submissions.append(Submission(unit_dir, doc, None, [doc], pool=loose_images,
                                      busy=waits))
    if loose_images:
        # Claimed by a loose document when it uses them; the rest are refused afterwards.
        submissions.append(Submission(unit_dir, None, None, list(loose_images)))


def _plan_folder(unit_dir: Path, folder: Path, source_dir: Path, submissions, strays) -> None:
    """A folder of its own: one document and its photos."""
    files, waits, odd = [], [], []
    _walk(folder, source_dir, files, waits, odd, strays)
    docs = [f for f in files if f.suffix.lower() in DOC_EXTENSIONS]
    if odd:
        message, fix = _ODD
        strays.append(Stray(folder, _files_under(folder), "thư mục bài có tệp mà " + message.format(
            name=", ".join(shown(p, folder) for p in odd)), fix))
    elif waits or len(docs) == 1:
        submissions.append(Submission(unit_dir, docs[0] if len(docs) == 1 else None, folder,
                                      files, busy=waits))
    elif files:
        names = ", ".join(shown(d, folder) for d in docs)
        strays.append(Stray(
            folder, files,
            (f"thư mục có {len(docs)} tệp bài ({names})" if docs else
             "thư mục không có tệp bài (.md, .txt hoặc .docx)"),
            "mỗi bài một thư mục: một tệp bài cùng các ảnh của bài đó"
            + ("" if docs else "; tệp Word cũ (.doc) thì lưu lại dạng .docx")))


def _walk(folder: Path, source_dir: Path, files, waits, odd, strays) -> None:
    """Every regular file under ``folder``; links are refused (not followed)."""
    for entry in sorted(folder.iterdir()):
        if busy(entry.name):
            waits.append(entry)
        elif odd_name(entry.name):
            odd.append(entry)
        elif skip(entry):
            continue
        elif entry.is_symlink():
            strays.append(_symlink(entry, source_dir))
        elif entry.is_dir():
            _walk(entry, source_dir, files, waits, odd, strays)
        elif entry.is_file():
            files.append(entry)


# --- finished files ----------------------------------------------------------------------------

def look(path: Path) -> list[int] | None:
    """Size and time of last change (ns) of a regular file, links not followed."""
    try:
        info = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


def settle(paths, looks: Store, interval: float, key, wait_for=()) -> dict[Path, list[int]]:
    """The files among ``paths`` that are finished, with their look: the same size and time of
    last change at two looks at least ``interval`` seconds apart. Looks are kept in ``looks``
    (``{key(path): [size, mtime_ns, seen]}``), so a look by an earlier run counts; when some
    file of ``wait_for`` has no such look, the run waits once, for all of them, and looks
    again."""
    now = time.time()
    old, new, stable, pending = looks.data, {}, {}, {}
    for path in paths:
        current = look(path)
        if current is None:
            continue
        before = old.get(key(path))
        seen = before[2] if isinstance(before, list) and before[:2] == current else now
        new[key(path)] = [*current, seen]
        (stable if now - seen >= interval else pending)[path] = current
    if any(path in wait_for for path in pending):
        time.sleep(max(0.0, max(new[key(p)][2] for p in pending) + interval - time.time()))
        for path, first in pending.items():
            current = look(path)
            if current == first:
                stable[path] = current
            elif current is not None:
                new[key(path)] = [*current, time.time()]
    looks.data = new
    looks.save()
    return stable


# --- writing and removing in the shared folder ---------------------------------------------------

def notepad(text: str) -> bytes:
    """A receipt as the oldest Notepad reads it: UTF-8 with a BOM, CRLF line ends."""
    return b"\xef\xbb\xbf" + text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


class Folder:
    """A folder under ``root`` opened part by part without following links
    (``Folder.open(root, folder)``; a link or a missing folder raises OSError); names are
    used relative to it."""

    def __init__(self, fd: int):
        self.fd = fd

    @classmethod
    def open(cls, root: Path, folder: Path) -> "Folder":
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for part in folder.relative_to(root).parts:
                if part in ("", ".", "..") or "/" in part:
                    raise OSError(errno.EINVAL, "đường dẫn không hợp lệ", part)
                nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = nxt
        except BaseException:
            os.close(fd)
            raise
        return cls(fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        os.close(self.fd)

    def write(self, name: str, data: bytes) -> None:
        """``name`` replaced whole (a link planted there is replaced, never followed)."""
        tmp = f".tiep-nhan-{os.getpid()}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
        fd = os.open(tmp, flags, 0o644, dir_fd=self.fd)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        finally:
            try:
                os.unlink(tmp, dir_fd=self.fd)
            except FileNotFoundError:
                pass
        os.fsync(self.fd)

    def sha(self, name: str) -> str | None:
        """Hash of the regular file ``name``; None when it is missing or not a plain file."""
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=self.fd)
        except OSError:
            return None
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            return sha256(handle.read())

    def remove(self, name: str, sha: str) -> bool:
        """Remove ``name`` if it still holds exactly what was taken (hash ``sha``)."""
        if self.sha(name) != sha:
            return False
        os.unlink(name, dir_fd=self.fd)
        os.fsync(self.fd)
        return True

    def prune(self, name: str) -> None:
        """Remove the folder ``name`` and its sub-folders when nothing but system files
        (Thumbs.db...) is left in them."""
        try:
            fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=self.fd)
        except OSError:
            return
        with Folder(fd) as inner:
            for entry in os.listdir(fd):
                if entry.lower() in JUNK:
                    os.unlink(entry, dir_fd=fd)
                else:
                    inner.prune(entry)
        try:
            os.rmdir(name, dir_fd=self.fd)
        except OSError:
            pass  # something is left in it: kept
