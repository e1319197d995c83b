"""The editors' queue: articles from the shared folder that wait for Ban Tuyên giáo.

``invoke ingest`` puts the article of a unit not marked ``trusted`` in data/units.yml into
``cho-duyet/`` (beside content/, laid out like it: ``bai-viet/<unit>/<year>/<slug>.md`` and its
photos in ``<slug>/``) instead of content/, and records it in ``cho-duyet/hang-doi.json``. No
build, preview of the site, ``invoke check`` or publish reads that folder: a waiting article is
never published. From there:

- ``invoke queue`` lists what waits; ``--preview`` builds the waiting articles alone into
  ``output-cho-duyet/`` and serves them, with a link to each;
- ``invoke approve <id>`` copies the article and its photos into content/ (each copy checked
  against its hash), commits them in git with the editor's name, then removes them from the
  queue; ``--edit`` opens the article in an editor first;
- ``invoke return <id> --note "..."`` writes the note as the receipt in the unit's folder of the
  shared folder and moves the article to ``cho-duyet-tra-lai/`` (kept, never deleted).

Each step is journaled (``cho-duyet/nhat-ky.jsonl``) before and after it is done, as ingest does:
a run killed half-way is finished or rolled back by the next queue command, and nothing is
removed from the queue before its copy is verified.
"""
from __future__ import annotations

import difflib
import datetime as dt
import subprocess
from pathlib import Path

from newsroom.core import data
from newsroom.core.dates import TZ, vn_datetime
from newsroom.core.safefs import Unsafe, inside, inside_posix, sha256, write_durable
from newsroom.core.text import slugify
from newsroom.intake import check as checker
from newsroom.intake.dropbox import Folder, notepad
from newsroom.intake.journal import Journal, Steps, Store

INDEX = "hang-doi.json"
JOURNAL = "nhat-ky.jsonl"
RETURNED = "tra-lai"  # returned articles: ``<queue>-tra-lai/`` beside the queue
FALLBACK_EMAIL = "toasoan@congdoantkv.vn"


class QueueError(RuntimeError):
    """A queue command that cannot be done; the message says why and what to do."""


class Queue:
    def __init__(self, root: Path | str, steps: Steps | None = None):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.steps = steps or Steps()
        self.index = Store(self.root / INDEX, self.steps)
        if not isinstance(self.index.data.get("items"), dict):
            self.index.data["items"] = {}
        self.items: dict = self.index.data["items"]
        self.journal = Journal(self.root / JOURNAL, self.steps)

    def put(self, entry: dict) -> None:
        """Record a waiting article (again: a resend replaces its entry)."""
        self.items[entry["target"]] = entry
        self.index.save()

    def drop(self, target: str) -> None:
        if self.items.pop(target, None) is not None:
            self.index.save()

    def article(self, entry: dict) -> Path:
        return inside_posix(self.root, entry["target"])

    def entries(self) -> list[dict]:
        """What waits, oldest first (an entry whose article is gone is left out)."""
        found = []
        for entry in self.items.values():
            try:
                if self.article(entry).is_file():
                    found.append(entry)
            except (Unsafe, KeyError, TypeError):
                continue
        return sorted(found, key=lambda e: (e.get("received", ""), e["target"]))

    def find(self, ident: str) -> dict:
        """The waiting article ``ident`` names: its id (slug), ``<unit>/<id>`` or its path."""
        ident = ident.strip().strip("/").removesuffix(".md")
        entries = self.entries()
        hits = [e for e in entries if ident in (e["id"], f"{e['unit']}/{e['id']}",
                                                e["target"].removesuffix(".md"))]
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise QueueError(f"có {len(hits)} bài cùng mã “{ident}”: "
                             + ", ".join(f"{e['unit']}/{e['id']}" for e in hits)
                             + "; ghi cả đơn vị, ví dụ “" + f"{hits[0]['unit']}/{ident}”")
        near = difflib.get_close_matches(ident, [e["id"] for e in entries], n=3, cutoff=0.5)
        raise QueueError(f"không có bài “{ident}” trong hàng chờ duyệt"
                         + (f"; có phải {', '.join(near)}?" if near else "")
                         + " Xem danh sách bằng “invoke queue”")

    def files(self, entry: dict) -> list[str]:
        """The article and its photos, as paths relative to the queue (slug parts only)."""
        article = self.article(entry)
        rels = [entry["target"]]
        folder = article.with_suffix("")
        if folder.is_dir():
            for photo in sorted(folder.iterdir()):
                if photo.is_file() and not photo.is_symlink():
                    rels.append(f"{entry['target'].removesuffix('.md')}/{photo.name}")
        for rel in rels:
            inside_posix(self.root, rel)  # raises Unsafe for a name that is not a slug
        return rels

    def record(self, entry: dict) -> list[dict]:
        return [{"path": rel, "sha": sha256(inside_posix(self.root, rel))}
                for rel in self.files(entry)]

    def remove(self, entry: dict, files: list[dict]) -> None:
        """Remove the article from the queue: each file only if it still holds what was
        copied, then its photo folder if empty, then its entry."""
        for item in files:
            path = inside_posix(self.root, item["path"])
            if path.is_file() and sha256(path) == item["sha"]:
                path.unlink()
                self.steps(f"xóa khỏi hàng chờ {path.name}")
        try:
            self.article(entry).with_suffix("").rmdir()
        except OSError:
            pass
        self.drop(entry["target"])


def returned_root(queue_root: Path) -> Path:
    """Where returned articles are kept: beside the queue, never scanned with it."""
    root = Path(queue_root).resolve()
    return inside(root.parent, f"{slugify(root.name) or 'cho-duyet'}-{RETURNED}")


def check_cache(queue_root: Path) -> Path:
    """The address cache of ``invoke check`` for the queue, apart from content/'s."""
    return Path(queue_root).resolve().parent / "cache" / "newsroom-check-cho-duyet.json"


def copy_verified(files: list[dict], source: Path, dest: Path, steps: Steps) -> None:
    """Copy each file (relative path, hash) from ``source`` to ``dest``, checked by hash; a
    file already there with that hash (a killed command's copy) is kept."""
    for item in files:
        src, target = inside_posix(source, item["path"]), inside_posix(dest, item["path"])
        if target.is_file() and sha256(target) == item["sha"]:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        write_durable(target, src.read_bytes(), item["sha"])
        steps(f"chép {target.name}")


# --- git -------------------------------------------------------------------------------------

def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if done.returncode:
        raise QueueError((done.stderr or done.stdout).strip() or f"git {args[0]} không chạy được")
    return done.stdout.strip()


def editor_identity(repo: Path, editor: str | None = None) -> tuple[str, str]:
    """The editor's name and e-mail: ``--editor`` or git's ``user.name``; git's
    ``user.email`` or the newsroom's address."""
    def config(key):
        done = subprocess.run(["git", "-C", str(repo), "config", key], capture_output=True,
                              text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    name = " ".join((editor or config("user.name")).split())
    if not name:
        raise QueueError("chưa biết tên người duyệt. Cách sửa: thêm --editor \"Họ và tên\", "
                         "hoặc đặt tên cho git một lần: git config --global user.name "
                         "\"Họ và tên\"")
    return name, config("user.email") or FALLBACK_EMAIL


def commit_approval(content: Path, paths: list[Path], entry: dict, editor: tuple[str, str],
                    data_dir=None) -> str:
    """Commit the approved article's files with the editor as author and committer."""
    repo = Path(_git(content, "rev-parse", "--show-toplevel"))
    unit = data.units(data_dir).get(entry.get("unit"), {}).get("short", entry.get("unit"))
    name, email = editor
    message = (f"Duyệt bài: {entry['title']} ({unit})\n\nGửi qua thư mục chung: "
               f"{entry.get('source', '')}, nhận lúc {entry.get('at', '')}.\n"
               f"Người duyệt: {name}")
    names = [str(p) for p in paths]
    _git(repo, "add", "--", *names)
    if not _git(repo, "diff", "--cached", "--name-only", "--", *names):
        return _git(repo, "rev-parse", "HEAD")  # committed already (a run killed after it)
    _git(repo, "-c", f"user.name={name}", "-c", f"user.email={email}", "commit", "-q",
         "--author", f"{name} <{email}>", "-m", message, "--", *names)
    return _git(repo, "rev-parse", "HEAD")


# --- approve, return, recover ----------------------------------------------------------------

def approve(queue_root: Path, content: Path, ident: str, *, editor: str | None = None,
            data_dir=None) -> tuple[dict, str]:
    """Move a waiting article into content/ and commit it; returns ``(entry, commit)``.
    Refused (:class:`QueueError`) while the article has errors or takes a published
    article's address."""
    queue = Queue(queue_root)
    recover(queue, content, data_dir)
    entry = queue.find(ident)
    identity = editor_identity(content, editor)
    article = queue.article(entry)
    report = checker.check([article], queue.root, data_dir=data_dir,
                           cache=check_cache(queue.root))
    twin = inside_posix(content, entry["target"])
    existing = [i for i in checker.existing_items(content, checker.load_conf())
                if not checker._abs(i.path) == checker._abs(twin)] if content.is_dir() else []
    item = checker.read_item(article, queue.root, checker.load_conf(), data_dir)
    problems = report.errors + checker.collisions([item], existing)
    if problems:
        raise QueueError("bài còn lỗi nên chưa duyệt được:\n" + "\n".join(
            f"  {p}" for p in problems) + f"\nSửa bài rồi duyệt lại: invoke approve {ident} --edit")
    files = queue.record(entry)
    key = entry["target"]
    for file in files:
        file["new"] = not inside_posix(content, file["path"]).exists()
    queue.journal.append("approve", key, entry=entry, files=files, editor=list(identity))
    try:
        copy_verified(files, queue.root, content, queue.steps)
    except OSError as exc:
        _roll_back(content, files)
        queue.journal.append("done", key)
        raise QueueError(f"chép bài vào content/ không thành công ({exc}); bài vẫn ở hàng "
                         "chờ") from None
    queue.journal.append("copied", key)
    return entry, _finish_approval(queue, content, key, entry, files, identity, data_dir)


def _finish_approval(queue, content, key, entry, files, identity, data_dir) -> str:
    paths = [inside_posix(content, f["path"]) for f in files]
    try:
        commit = commit_approval(content, paths, entry, tuple(identity), data_dir)
    except QueueError as exc:
        commit = ""
        error = str(exc)
    queue.journal.append("committed", key, commit=commit)
    queue.remove(entry, files)
    queue.journal.append("done", key)
    if not commit:
        raise QueueError(f"bài đã vào content/ nhưng chưa commit được vào git: {error}. Hãy "
                         "commit bằng tay")
    return commit


def _roll_back(content: Path, files: list[dict]) -> None:
    """Undo a copy that was not verified: the files it added, still as it wrote them."""
    for item in files:
        path = inside_posix(content, item["path"])
        if item.get("new") and path.is_file() and sha256(path) == item["sha"]:
            path.unlink()


def returned_text(entry: dict, note: str, editor: str, now) -> str:
    """The receipt of an article sent back, for the reporter."""
    name = Path(entry.get("source", "")).name
    how = ("sửa tệp Word của bạn theo nhận xét trên, lưu lại (Tệp → Lưu, hoặc Ctrl+S)"
           if entry.get("word") else "sửa tệp của bạn theo nhận xét trên, lưu lại")
    lines = [f"BAN TUYÊN GIÁO TRẢ LẠI BÀI — {vn_datetime(now)}",
             f"Tệp gửi: {entry.get('source', '')}", f"Tiêu đề: {entry['title']}", "",
             f"Nhận xét của người duyệt ({editor}):"]
    lines += [f"  {line.strip()}" for line in note.strip().splitlines() if line.strip()]
    lines += ["", f"Bài chưa được đăng. Cách làm tiếp: {how} rồi gửi lại vào thư mục này, "
              f"đúng tên tệp cũ “{name}”."]
    return "\n".join(lines) + "\n"


def give_back(queue_root: Path, ident: str, note: str, *, editor: str | None = None,
              content: Path | None = None, now=None, data_dir=None) -> tuple[dict, Path]:
    """Send a waiting article back: the note becomes its receipt in the unit's folder of
    the shared folder; the article moves to :func:`returned_root`. Returns ``(entry, receipt)``."""
    if not note or not note.strip():
        raise QueueError("cần lời nhắn cho người gửi: invoke return <mã bài> --note \"...\"")
    queue = Queue(queue_root)
    if content is not None:
        recover(queue, content, data_dir)
    entry = queue.find(ident)
    name = editor_identity(content or queue.root, editor)[0]
    text = returned_text(entry, note, name, now or dt.datetime.now(TZ))
    key = entry["target"]
    record = {"entry": entry, "files": queue.record(entry), "text": text}
    queue.journal.append("return", key, **record)
    return entry, _finish_return(queue, key, entry, record)


def _finish_return(queue: Queue, key: str, entry: dict, record: dict,
                   done: frozenset = frozenset()) -> Path:
    """Receipt, verified copy into the returned folder, removal from the queue; each step
    skipped when ``done`` (the journal of a killed command) says it was done."""
    source_dir = Path(entry["source_dir"])
    receipt = source_dir / entry["receipt"]
    try:
        receipt.parent.relative_to(source_dir)
        receipt.parent.mkdir(parents=True, exist_ok=True)
        with Folder.open(source_dir, receipt.parent) as folder:
            folder.write(receipt.name, notepad(record["text"]))
    except (OSError, ValueError) as exc:
        queue.journal.append("done", key)
        raise QueueError(f"không ghi được phiếu trả lại vào {receipt.parent} ({exc}); bài "
                         "vẫn ở hàng chờ") from None
    queue.journal.append("receipt", key)
    if "copied" not in done:
        copy_verified(record["files"], queue.root, returned_root(queue.root), queue.steps)
        queue.journal.append("copied", key)
    queue.remove(entry, record["files"])
    queue.journal.append("done", key)
    return receipt


def recover(queue: Queue, content: Path, data_dir=None) -> None:
    """Finish what a killed queue command left in the journal."""
    for key, records in queue.journal.unfinished().items():
        first, kinds = records[0], {r.get("kind") for r in records}
        if first.get("kind") == "approve":
            if "copied" in kinds:
                try:
                    _finish_approval(queue, content, key, first["entry"], first["files"],
                                     first["editor"], data_dir)
                except QueueError:
                    pass  # said again by the next approve; the article is in content/
            else:
                _roll_back(content, first["files"])
                queue.journal.append("done", key)
        elif first.get("kind") == "return":
            try:
                _finish_return(queue, key, first["entry"], first, frozenset(kinds))
            except QueueError:
                pass
        else:
            queue.journal.append("done", key)
    queue.journal.clear()


# --- list and preview ------------------------------------------------------------------------

def listing(queue_root: Path, urls: dict | None = None, data_dir=None) -> str:
    """What waits, one article a few lines, with its preview link when ``urls`` has one."""
    entries = Queue(queue_root).entries() if Path(queue_root).is_dir() else []
    if not entries:
        return "Không có bài nào chờ duyệt."
    units = data.units(data_dir)
    lines = [f"{len(entries)} bài chờ duyệt:"]
    for entry in entries:
        unit = units.get(entry["unit"], {}).get("short", entry["unit"])
        lines += [f"  {entry['id']}  “{entry['title']}” — {unit}",
                  f"      nhận lúc {entry.get('at', '?')} từ tệp “{entry.get('source', '')}”"]
        if urls and entry["target"] in urls:
            lines.append(f"      xem trước: {urls[entry['target']]}")
    lines.append("Duyệt: invoke approve <mã> [--edit]; trả lại: invoke return <mã> --note "
                 "\"lời nhắn\"; xem trước: invoke queue --preview")
    return "\n".join(lines)
