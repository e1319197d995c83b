"""The folder a publish builds into, kept from one publish to the next.

``invoke publish`` used to build into an emptied folder, so one new article cost a full write,
verification and compression of the whole site. Now the build folder (``PUBLISH_WORKDIR/output``)
stays, and after each build it is made equal to what a clean build would give:

- the build writes only the files whose bytes changed (``plugins/fastbuild``); a producer that
  finds its file already right says so with :func:`newsroom.core.safefs.keep`, which sets the file's
  change time (ctime) to now. So every file the build produced has a change time after the
  build's start (:func:`start`), and :func:`settle` removes every other one: the pages of a
  deleted or renamed article, old hashed theme files, folders left empty. Only the precompressed
  copies the record names are spared: the compression step owns them.
- a :class:`Record` (beside the folder, ``PUBLISH_WORKDIR/records/``) knows each file's size,
  modification time, inode and SHA-256: a file whose first three did not move is not read
  again, and the changes (added, changed, removed by content) drive the compression and the
  verification of what changed. A file written again with the same bytes gets its recorded
  modification time back, so a file's time changes exactly when its bytes do: rsync then
  compares size and time instead of reading every file on both sides.

Nothing outside the build folder is ever removed: the walk never follows a link, removes
entries through the folder's own descriptor, and the folder itself may be neither a link nor a
folder holding the project or its content (:func:`check_folder`). A full publish (``invoke
publish --full``, the first one, a change of code, settings or theme, and one a week) empties
the folder first.
"""
from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import orjson

from newsroom.core import safefs
from newsroom.publish.assets import COPIES

VERSION = 1
FULL_EVERY_DAYS = 7


class FolderError(RuntimeError):
    """The build folder cannot be used: the message says why and what to do."""


@dataclass
class Record:
    """What the build folder held after the last publish, and how it was built."""

    files: dict[str, list] = field(default_factory=dict)  # rel → [size, mtime_ns, ino, sha256]
    #: original rel → [its sha256, sha256 of its .gz or None, of its .br or None]
    compressed: dict[str, list] = field(default_factory=dict)
    stamp: str = ""  # code, settings and theme the folder was built with
    full_at: str = ""  # when it was last built from empty (ISO, UTC)

    @classmethod
    def load(cls, path: Path) -> "Record | None":
        try:
            data = orjson.loads(path.read_bytes())
        except (OSError, ValueError):  # orjson.JSONDecodeError is a ValueError
            return None
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return None
        return cls(data.get("files") or {}, data.get("compressed") or {},
                   data.get("stamp") or "", data.get("full_at") or "")

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(orjson.dumps({"version": VERSION, "stamp": self.stamp,
                                      "full_at": self.full_at, "files": self.files,
                                      "compressed": self.compressed}))
        os.replace(tmp, path)

    def owned_copies(self) -> set[str]:
        """The precompressed copies the compression step wrote (spared by :func:`settle`)."""
        return {rel + suffix for rel, (_, *shas) in self.compressed.items()
                for suffix, sha in zip(COPIES, shas) if sha}

    def due_full(self, stamp: str, now: datetime | None = None) -> str:
        """Why the next build must start from an empty folder ("" if it need not)."""
        if self.stamp != stamp:
            return "mã nguồn, cấu hình hoặc giao diện đã đổi"
        try:
            last = datetime.fromisoformat(self.full_at)
        except ValueError:
            return "chưa có lần dựng đầy đủ nào"
        if ((now or datetime.now(timezone.utc)) - last).days >= FULL_EVERY_DAYS:
            return f"lần dựng đầy đủ gần nhất đã quá {FULL_EVERY_DAYS} ngày"
        return ""


@dataclass
class Scan:
    """The build folder now: every regular file with its sha256, and what changed since the
    record (by content)."""

    files: dict[str, list] = field(default_factory=dict)  # as Record.files
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # by this build (swept) or since the record
    swept: int = 0  # files removed because the build did not produce them
    hashed: int = 0  # files read to learn their sha256

    def sha(self, rel: str) -> str | None:
        found = self.files.get(rel)
        return found[3] if found else None


def check_folder(output: Path, keep_out: list[Path]) -> None:
    """Refuse a build folder that is a link, the file system's root or the home folder, or
    that holds one of ``keep_out`` (the project, its content): it is emptied and swept."""
    output = Path(os.path.abspath(output))
    if output.is_symlink():
        raise FolderError(f"Thư mục dựng “{output}” là một liên kết (symlink): không dùng được vì "
                          "các tệp cũ trong đó bị xóa. Cách sửa: đặt OUTPUT_PATH tới một thư mục "
                          "thật, riêng cho bản xuất bản (mặc định cache/publish/output).")
    real = output.resolve()
    for other in [Path("/"), Path.home(), *keep_out]:
        other = Path(other).resolve()
        if real == other or other.is_relative_to(real):
            raise FolderError(f"Thư mục dựng “{output}” chứa “{other}”: không dùng được vì các "
                              "tệp cũ trong đó bị xóa. Cách sửa: đặt OUTPUT_PATH tới một thư mục "
                              "riêng cho bản xuất bản (mặc định cache/publish/output).")


def empty(output: Path) -> None:
    """Remove everything inside ``output`` (never following a link); create it if missing."""
    output.mkdir(parents=True, exist_ok=True)
    fd = os.open(output, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        _remove_all(fd)
    finally:
        os.close(fd)


def _remove_all(dir_fd: int) -> None:
    for entry in os.scandir(dir_fd):
        if entry.is_dir(follow_symlinks=False):
            inner = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                            dir_fd=dir_fd)
            try:
                _remove_all(inner)
            finally:
                os.close(inner)
            os.rmdir(entry.name, dir_fd=dir_fd)
        else:
            os.unlink(entry.name, dir_fd=dir_fd)


def _now_on(output: Path) -> int:
    """The file system's clock in ``output``: the change time of a file made there now."""
    marker = output / f".build-start-{os.getpid()}"
    fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        return os.fstat(fd).st_ctime_ns
    finally:
        os.close(fd)
        os.unlink(marker)


def start(output: Path) -> int:
    """The change time (ns) from which a file in ``output`` counts as produced by the build
    about to run. The file system's clock moves in ticks (a few ms): this waits for the next
    one, so nothing touched before the call shares its time."""
    output.mkdir(parents=True, exist_ok=True)
    before = _now_on(output)
    for _ in range(1000):
        now = _now_on(output)
        if now > before:
            return now
        time.sleep(0.001)
    raise FolderError(f"Đồng hồ của hệ thống tệp chứa “{output}” không chạy: không phân biệt "
                      "được tệp mới với tệp cũ. Cách sửa: đặt OUTPUT_PATH trên một ổ đĩa khác.")


def settle(output: Path, since: int | None, record: Record | None) -> Scan:
    """Remove from ``output`` what the build started at ``since`` did not produce (``None``:
    remove nothing), then list every file with its sha256 and compare with ``record``."""
    record = record or Record()
    scan, spared = Scan(), record.owned_copies()
    fd = os.open(output, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        _walk(fd, "", since, spared, record, scan)
    finally:
        os.close(fd)
    scan.removed = sorted(set(record.files) - set(scan.files))
    scan.added.sort()
    scan.changed.sort()
    return scan


def _walk(dir_fd: int, prefix: str, since: int | None, spared: set[str], record: Record,
          scan: Scan) -> bool:
    """One folder of :func:`settle`; True when it is left empty and the build did not make
    or fill it (the caller removes it)."""
    made = since is not None and os.fstat(dir_fd).st_ctime_ns >= since
    left = 0
    for entry in sorted(os.scandir(dir_fd), key=lambda e: e.name):
        rel = prefix + entry.name
        info = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(info.st_mode):
            inner = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                            dir_fd=dir_fd)
            try:
                stale = _walk(inner, rel + "/", since, spared, record, scan)
            finally:
                os.close(inner)
            if stale:
                os.rmdir(entry.name, dir_fd=dir_fd)
            else:
                left += 1
            continue
        if since is not None and info.st_ctime_ns < since and rel not in spared:
            os.unlink(entry.name, dir_fd=dir_fd)
            scan.swept += 1
            continue
        left += 1
        if stat.S_ISREG(info.st_mode):
            _note(dir_fd, entry.name, rel, info, record, scan)
    return since is not None and not left and not made


def _note(dir_fd: int, name: str, rel: str, info: os.stat_result, record: Record,
          scan: Scan) -> None:
    old = record.files.get(rel)
    key = [info.st_size, info.st_mtime_ns, info.st_ino]
    if old and old[:3] == key:
        scan.files[rel] = old
        return
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    with os.fdopen(fd, "rb") as handle:
        sha = safefs.sha256_stream(handle)
    scan.hashed += 1
    if old is not None and old[3] == sha and old[1] != info.st_mtime_ns:
        # written again with the same bytes: its time goes back to the record's, so size and
        # time still tell rsync which files changed (newsroom.publish.release.rsync_argv)
        os.utime(name, ns=(info.st_atime_ns, old[1]), dir_fd=dir_fd, follow_symlinks=False)
        key[1] = old[1]
    scan.files[rel] = key + [sha]
    if old is None:
        scan.added.append(rel)
    elif old[3] != sha:
        scan.changed.append(rel)


def refresh(output: Path, scan: Scan, written: list[str], gone: list[str]) -> None:
    """After another step (compression) wrote ``written`` and removed ``gone`` in ``output``:
    the scan as it would find the folder now."""
    for rel in gone:
        if scan.files.pop(rel, None) is None:
            continue
        if rel in scan.added:
            scan.added.remove(rel)
        else:
            scan.changed = [r for r in scan.changed if r != rel]
            scan.removed.append(rel)
    for rel in written:
        path = safefs.within(output, rel)
        info = os.stat(path, follow_symlinks=False)
        before = scan.files.get(rel)
        sha = safefs.sha256(path)
        scan.files[rel] = [info.st_size, info.st_mtime_ns, info.st_ino, sha]
        if rel in scan.removed:  # gone from the record's view, then written again
            scan.removed.remove(rel)
            scan.changed.append(rel)
        elif before is None:
            scan.added.append(rel)
        elif before[3] != sha and rel not in scan.changed and rel not in scan.added:
            scan.changed.append(rel)
    for names in (scan.added, scan.changed, scan.removed):
        names.sort()
