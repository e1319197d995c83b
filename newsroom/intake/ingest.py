"""``invoke ingest --source DIR``: articles from the shared folder into ``content/``.

DIR holds one folder per unit (its slug, short or full Vietnamese name). In a unit folder, each
``.md``, ``.txt`` or ``.docx`` file is a submission, alone (its photos, if any, loose beside it)
or in a folder of its own with its photos (``newsroom.intake.dropbox``). For each submission ingest
reads it whatever the encoding and converts Word to Markdown with its images, in a separate
process bounded in time and memory (``newsroom.intake.submission``), fills what it can (unit from the
folder, date from the file, the default category), checks it with the one schema
(``newsroom.core.schema``) and the site-wide address check (``newsroom.intake.check``), and writes it to
``bai-viet/<unit>/<year>/<slug>.md`` with its photos in ``<slug>/``: under content/ when its
unit is ``trusted`` in data/units.yml, else under the editors' queue ``cho-duyet/`` beside
content/, where it waits for ``invoke approve`` (``newsroom.intake.queue``). The unit comes from the
folder or the ``Unit:`` line (one matcher: ``data.match_unit``), the author from the line, the
Word file's author property or the unit's default author; every value filled in is said in the
receipt, in the submitter's own labels, with Word steps for a Word file.

DIR is untrusted (anyone with access may write it):

- every path ingest writes is built from slug parts by ``newsroom.core.safefs.inside`` and checked
  to stay inside its folder before anything is written; a slug, title, unit, file, folder or
  photo name that reads as a path (``../``, ``..\\``, absolute, ``%2e%2e%2f``, fullwidth) is
  refused with a receipt;
- only finished files are taken: the same size and time of last change at two looks at least
  ``settle`` seconds apart (default 10), and no Word lock file (``~$...``) or partial download
  (``.tmp``, ``.part``, ``.crdownload``) beside them; otherwise the receipt says the article
  will be taken on the next run;
- its state (what was ingested, the last look at each file, the journal, the lock) is kept
  outside DIR, in ``<repository>/.tiep-nhan/<DIR>-<hash>/`` (``--state`` to choose).

Nothing is lost, even when a run is killed: for each article, a journal line (flushed to disk)
is written before the copy into content/, the copy is verified by hash, a second line follows,
then the receipt is written and only then are the sources removed from DIR (each only if it
still holds what was taken). The next run finishes what the journal shows half done, or rolls
back a copy that had not been verified. A receipt in Vietnamese (``<name>.receipt.txt``) is
left beside every submission as soon as it is decided: where the article now lives, why it was
refused and how to fix it, or why it waits. Refused and waiting files stay where they are; one
bad file never stops the run.
"""
from __future__ import annotations

import argparse
import datetime as dt
import errno
import fcntl
import os
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from newsroom.core import data, schema
from newsroom.core.dates import TZ, vn_datetime
from newsroom.core.paths import ROOT
from newsroom.core.safefs import Unsafe, inside, inside_posix, path_like, sha256, write_durable
from newsroom.core.text import fold, nfc, slugify
from newsroom.intake import check as checker
from newsroom.intake import dropbox, queue
from newsroom.intake.dropbox import Folder, Submission, notepad, receipt_path, shown
from newsroom.intake.journal import Journal, Steps, Store
from newsroom.intake.submission import DocxLimits, DocxRefused, read_docx, read_header, read_text, render

CONTENT = ROOT / "content"
STATE_DIR = ".tiep-nhan"
DEFAULT_CATEGORY = "Tin tức"
DOC_MAX_BYTES = 100 * 1024 * 1024
SETTLE_SECONDS = 10.0

QUEUE_DIR = "cho-duyet"

INGESTED, UPDATED, DUPLICATE, REFUSED, WAITING = (
    "ingested", "updated", "duplicate", "refused", "waiting")
_ASK_OFFICE = "báo cho Ban Tuyên giáo; tệp của bạn vẫn còn nguyên"


class Busy(RuntimeError):
    """Another ingest holds the lock on this folder."""


@dataclass
class Outcome:
    """What became of one submission (or one stray file)."""

    source: Path
    files: list[Path]
    status: str = REFUSED
    unit: str | None = None
    title: str = ""
    target: Path | None = None
    url: str | None = None
    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    receipt: Path | None = None
    receipt_done: bool = False
    receipt_error: str | None = None
    pending: bool = False  # in the editors' queue, not in content/ yet
    word: bool = False  # sent as a Word file: the receipt speaks Word

    @property
    def accepted(self) -> bool:
        return self.status in (INGESTED, UPDATED, DUPLICATE)


@dataclass
class Result:
    outcomes: list[Outcome]
    commit: str | None = None
    commit_error: str | None = None
    report: str = ""  # the run's summary for Ban Tuyên giáo (run_summary)
    report_path: Path | None = None
    steps: int = 0  # points between irreversible steps passed (see newsroom.intake.journal.Steps)

    def by_status(self, status):
        return [o for o in self.outcomes if o.status == status]

    def summary(self) -> str:
        parts = [f"{len(self.by_status(INGESTED))} bài mới",
                 f"{len(self.by_status(UPDATED))} bài cập nhật",
                 f"{len(self.by_status(DUPLICATE))} bài đã nhận từ trước",
                 f"{len(self.by_status(REFUSED))} tệp chưa nhận (xem phiếu báo)",
                 f"{len(self.by_status(WAITING))} tệp đang chờ ghi xong"]
        return "Tiếp nhận xong: " + ", ".join(parts) + "."


def _refusal(path: Path, files, message: str, fix: str) -> Outcome:
    outcome = Outcome(path, list(files), REFUSED, receipt=receipt_path(path))
    outcome.problems.append(f"{message}. Cách sửa: {fix}")
    return outcome


# --- state and lock --------------------------------------------------------------------------

def default_state_dir(source_dir: Path, content_root: Path) -> Path:
    """``<repository>/.tiep-nhan/<DIR's name>-<hash of its path>``: beside content/, where the
    shared folder's writers cannot reach (git-ignored)."""
    source = Path(source_dir).resolve()
    name = slugify(nfc(source.name))[:40] or "thu-muc-chung"
    return Path(content_root).resolve().parent / STATE_DIR / \
        f"{name}-{sha256(str(source).encode())[:10]}"


class State:
    """What was ingested: ``sources`` (key in DIR → hash, target, files, title, time) and
    ``hashes`` (content hash → key), in ``state.json``."""

    def __init__(self, store: Store):
        self.store = store
        for name in ("sources", "hashes"):
            if not isinstance(store.data.get(name), dict):
                store.data[name] = {}
        self.sources: dict = store.data["sources"]
        self.hashes: dict = store.data["hashes"]

    def apply(self, key: str, entry: dict, replaces: str | None) -> None:
        if replaces:
            self.hashes.pop(replaces, None)
        self.sources[key] = entry
        self.hashes[entry["hash"]] = key
        self.store.save()


@contextmanager
def locked(state_dir: Path, source_dir: Path | None = None):
    """Hold ``<state>/lock`` for the whole run; :class:`Busy` if another run has it."""
    state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(state_dir / "lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            raise Busy(f"một lượt tiếp nhận khác đang chạy trên {source_dir or state_dir} "
                       f"(tiến trình {holder}); chờ lượt đó xong rồi chạy lại") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


# --- one submission --------------------------------------------------------------------------

_REF_MD = re.compile(r"(!\[(?:[^\]\\]|\\.)*\]\(\s*<?)([^)<>\"]+?)(>?\s*(?:\"[^\"]*\")?\s*\))")
_REF_HTML = re.compile(r"(<img\b[^>]*?\bsrc\s*=\s*[\"'])([^\"']+)([\"'])", re.I)


class _Refuse(Exception):
    """Raised by a step that refuses the submission; its reason is already in the outcome."""


class _Wait(Exception):
    """Raised by a step that finds a file still changing; the reason is in the outcome."""


@dataclass
class _Draft:
    """A submission on its way into content/."""

    sub: Submission
    outcome: Outcome
    header: schema.Header
    docx_images: list
    lines: bool  # line numbers are the reporter's own (text files), not a Word conversion's
    word_author: str = ""  # the author Word recorded in the file
    early: list = field(default_factory=list)  # problems found before the schema runs
    unit: str = ""
    key: str = ""
    target: Path | None = None
    previous: dict | None = None
    digest: str = ""
    shas: dict = field(default_factory=dict)  # source file -> hash of what was read
    used: dict = field(default_factory=dict)  # source photo -> new name
    taken: set = field(default_factory=set)
    images: dict = field(default_factory=dict)  # new name -> {"src": Path} | {"data": bytes}
    word_pictures: dict = field(default_factory=dict)  # new name -> its place in the Word file
    staged: Path | None = None
    item: object = None
    root: str = "content"  # "queue" when the article waits for the editors
    unit_found: bool = True

    def label(self, key: str) -> str:
        """A field as the submitter names it (:func:`voice_label`)."""
        return voice_label(key, self.header.labels, self.outcome.word)

    def new_name(self, stem: str, ext: str) -> str:
        """A slug file name, unique in the article's folder (``Ảnh 1.JPG`` → ``anh-1.jpg``)."""
        ext = slugify(ext)
        ext = "." + ("jpg" if ext == "jpeg" else ext or "bin")
        base = slugify(stem) or "anh"
        name, n = f"{base}{ext}", 2
        while name in self.taken:
            name, n = f"{base}-{n}{ext}", n + 1
        self.taken.add(name)
        return name


def _same(a: Path, b: Path) -> bool:
    return os.path.abspath(a) == os.path.abspath(b)


class Ingest:
    def __init__(self, source_dir: Path, content_root: Path, state_dir: Path, *,
                 data_dir=None, now=None, settle: float = SETTLE_SECONDS,
                 docx_limits: DocxLimits | None = None, conf: checker.Conf | None = None,
                 queue: Path | None = None):
        self.dir = Path(source_dir)
        self.content = Path(content_root)
        #: where each article goes: content/, or the editors' queue (laid out like content/)
        self.roots = {"content": self.content, "queue": Path(queue) if queue else None}
        self.data_dir = data_dir
        self.now = now or dt.datetime.now(TZ)
        self.settle = float(settle)
        self.docx_limits = docx_limits or DocxLimits()
        self.steps = Steps()
        self.state = State(Store(state_dir / "state.json", self.steps))
        self.looks = Store(state_dir / "looks.json", self.steps)
        self.journal = Journal(state_dir / "journal.jsonl", self.steps)
        self.staging = state_dir / "dang-chuan-bi"
        self.conf = conf or checker.load_conf()  # addresses and limits, as the build has them
        self._existing = None
        self.claimed: set[Path] = set()
        self.ready: dict[Path, list[int]] = {}
        self.outcomes: list[Outcome] = []
        self.blocked: set[str] = set()  # keys whose last run could not be finished

    # existing articles, for address collisions
    def existing(self):
        """Articles in content/ and in the queue: a new one may take neither's address."""
        if self._existing is None:
            self._existing = [
                item for name, root in self.roots.items() if root and root.is_dir()
                for item in checker.existing_items(
                    root, self.conf, cache=queue.check_cache(root) if name == "queue" else None)]
        return self._existing

    def root(self, name: str | None) -> Path:
        return self.roots.get(name or "content") or self.content

    def key(self, path: Path) -> str:
        """A submission's name in the state: its path in DIR as a reporter writes it (NFC),
        so a resend from a Mac or a Windows machine is the same submission."""
        return shown(path, self.dir)

    def rel(self, path: Path) -> str:
        """A file's exact path in DIR (the journal acts on it)."""
        return path.relative_to(self.dir).as_posix()

    def run(self) -> list[Outcome]:
        shutil.rmtree(self.staging, ignore_errors=True)
        self.recover()
        submissions, strays = dropbox.plan(self.dir)
        for stray in strays:
            self.decide(_refusal(stray.path, stray.files, stray.message, stray.fix))
        self.ready = dropbox.settle([p for s in submissions for p in s.files], self.looks,
                                    self.settle, self.rel,
                                    wait_for={p for s in submissions if not s.busy
                                              for p in s.files})
        for sub in submissions:
            if sub.doc is None and sub.folder is None:  # loose photos no document used
                self.refuse_loose(sub)
            elif sub.busy or any(p not in self.ready for p in sub.files) \
                    or self.key(sub.source) in self.blocked:
                self.decide(self.waiting(sub))
            else:
                try:
                    outcome = self.one(sub)
                except Exception as exc:  # noqa: BLE001 - one bad file never stops the run
                    outcome = _refusal(sub.source, sub.files, f"lỗi không lường trước khi xử "
                                       f"lý: {exc}", _ASK_OFFICE)
                self.decide(outcome)
        self.journal.clear()
        return self.outcomes

    def decide(self, outcome: Outcome) -> None:
        """An outcome is final: its receipt is written now, not at the end of the run."""
        self.outcomes.append(outcome)
        if outcome.receipt is not None and not outcome.receipt_done:
            self.write_receipt(outcome.receipt, receipt_text(outcome, self.dir, self.now),
                               outcome)

    def write_receipt(self, receipt: Path, text: str, outcome: Outcome | None = None) -> None:
        """The receipt beside a submission in DIR, written through :class:`Folder` (never
        through a link planted there); a receipt that cannot be written is said, not fatal."""
        try:
            with Folder.open(self.dir, receipt.parent) as folder:
                folder.write(receipt.name, notepad(text))
        except OSError as exc:
            if outcome is not None:
                outcome.receipt_error = f"{exc.strerror or exc}"
            return
        finally:
            self.steps(f"phiếu báo {receipt.name}")
        if outcome is not None:
            outcome.receipt_done = True

    def refuse_loose(self, sub: Submission) -> None:
        for photo in sub.files:
            if photo not in self.claimed and photo.exists():
                self.decide(_refusal(
                    photo, [photo], "ảnh lẻ không thuộc bài nào",
                    "để ảnh cùng tệp bài trong một thư mục riêng của bài, hoặc chèn ảnh vào "
                    "bài: ![mô tả ảnh](" + photo.name + ")"))

    def waiting(self, sub: Submission) -> Outcome:
        """A submission not finished yet: a lock file, a partial download, a file changing."""
        outcome = Outcome(sub.source, list(sub.files), WAITING, receipt=receipt_path(sub.source))
        for path in sub.busy:
            name = shown(path, path.parent)
            outcome.problems.append(
                f"có tệp “{name}”: bài đang mở trong Word (hoặc LibreOffice); đóng Word sau "
                "khi lưu bài" if name.startswith(("~$", ".~lock")) else
                f"có tệp “{name}”: tệp đang được lưu, chép hoặc tải về dở; nếu không còn ai "
                "chép nữa thì xóa tệp này")
        if self.key(sub.source) in self.blocked:
            outcome.problems.append("lượt tiếp nhận trước bị dừng giữa chừng khi đang đưa bài "
                                    "này vào kho và chưa hoàn tất được; " + _ASK_OFFICE)
        for path in sub.files:
            if path not in self.ready and not sub.busy:
                outcome.problems.append(self.changing(path))
        return outcome

    def changing(self, path: Path) -> str:
        return (f"tệp “{shown(path, self.dir)}” vẫn đang thay đổi (kích thước hoặc giờ sửa "
                f"khác nhau giữa hai lần xem cách nhau {self.settle:g} giây): có lẽ đang được "
                "chép hoặc đang lưu")

    def one(self, sub: Submission) -> Outcome:
        outcome = Outcome(sub.source, list(sub.files), receipt=receipt_path(sub.source))
        unit = data.find_unit(nfc(sub.unit_dir.name), self.data_dir)
        outcome.unit = unit["slug"] if unit else None
        outcome.word = sub.doc is not None and sub.doc.suffix.lower() == ".docx"
        try:
            self.prepare(sub, outcome, unit)
        except _Refuse:
            outcome.status = REFUSED
        except _Wait:
            outcome.status = WAITING
        return outcome

    def refuse(self, outcome: Outcome, message: str, fix: str = ""):
        outcome.problems.append(f"{message}. Cách sửa: {fix}" if fix else message)
        raise _Refuse()

    def wait(self, outcome: Outcome, reason: str):
        outcome.problems.append(reason)
        raise _Wait()

    def prepare(self, sub: Submission, outcome: Outcome, unit) -> None:
        """One submission, step by step; any step may refuse it (:class:`_Refuse`) or find
        it still changing (:class:`_Wait`)."""
        draft = self.read(sub, outcome)
        self.take_title(draft)
        self.has_text(draft)
        self.fill(draft, unit)
        self.guard(draft)
        self.place(draft)
        if self.duplicate(draft):
            return
        self.gather_images(draft)
        self.staging.mkdir(parents=True, exist_ok=True)
        stage_root = self.staging / "bai"
        try:
            self.stage_and_check(draft, stage_root)
            self.unchanged(draft)
            self.store(draft, stage_root)
        finally:
            shutil.rmtree(stage_root, ignore_errors=True)

    def read(self, sub: Submission, outcome: Outcome) -> _Draft:
        """The document as Markdown with its header (Word through mammoth, bounded)."""
        doc = sub.doc
        size = doc.stat().st_size
        if size > DOC_MAX_BYTES:
            self.refuse(outcome, f"tệp bài nặng {size / 1048576:.0f} MB, quá giới hạn "
                        f"{DOC_MAX_BYTES // 1048576} MB",
                        "gửi ảnh thành tệp riêng trong thư mục bài thay vì chèn ảnh rất lớn "
                        "vào Word")
        if doc.suffix.lower() == ".docx":
            try:
                markdown, docx_images, author = read_docx(doc, self.docx_limits)
            except DocxRefused as exc:
                self.refuse(outcome, exc.message, exc.fix)
            header = read_header(markdown)
            for name, value in header.fields.items():  # header values are plain text
                header.fields[name] = re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>|~])", r"\1", value)
            return _Draft(sub, outcome, header, docx_images, lines=False, word_author=author)
        try:
            text, encoding = read_text(doc.read_bytes())
        except UnicodeDecodeError:
            self.refuse(outcome, "không đọc được mã hóa chữ của tệp",
                        "mở tệp bằng Notepad, chọn Lưu thành…, ở ô Mã hóa (Encoding) chọn UTF-8 "
                        "rồi lưu và gửi lại")
        if encoding == "Windows-1258":
            outcome.notes.append("tệp dùng mã Windows-1258 cũ, đã chuyển sang UTF-8")
        return _Draft(sub, outcome, read_header(text), [], lines=True)
    def take_title(self, d: _Draft) -> None:
        """No Title field: the first heading or short first line is the title, and fields
        may follow it."""
        header, fields = d.header, d.header.fields
        if fields.get("title"):
            d.outcome.title = fields["title"]
            return
        first, _, rest = header.body.lstrip("\n").partition("\n")
        candidate = re.sub(r"^#{1,6}\s*|\*\*|__", "", first).strip()
        if not candidate or len(candidate) > 200 or candidate.startswith("!["):
            self.refuse(d.outcome, "bài chưa có tiêu đề",
                        "thêm dòng “Tiêu đề: ...” ở đầu bài" if d.outcome.word else
                        "thêm dòng “Tiêu đề: ...” (hoặc “Title: ...”) ở đầu bài")
        fields["title"] = d.outcome.title = candidate
        header.lines["title"] = header.body_line
        header.body = rest.lstrip("\n")
        header.body_line += 1 + (len(rest) - len(rest.lstrip("\n")))
        d.outcome.notes.append("đã lấy dòng đầu của bài làm tiêu đề")
        more = read_header(header.body)
        for name, value in more.fields.items():
            if name not in fields:
                fields[name] = value
                header.lines[name] = header.body_line + more.lines[name] - 1
        if more.fields:
            header.body_line += more.body_line - 1
            header.body = more.body

    def has_text(self, d: _Draft) -> None:
        """An article with nothing after its title (no text, no photo) is refused."""
        text = re.sub(r"[*_#>\s]", "", d.header.body)
        if not text:
            self.refuse(d.outcome, "bài chưa có nội dung: sau tiêu đề không có đoạn văn nào",
                        "viết nội dung bài bên dưới tiêu đề (và các dòng "
                        f"{d.label('author')}, {d.label('date')} nếu có), lưu lại rồi gửi lại")

    def fill(self, d: _Draft, unit) -> None:
        """Unit from the folder, author from the Word file or the unit, date from the file,
        the default category; each said in the receipt, in the submitter's words."""
        fields, notes, sub = d.header.fields, d.outcome.notes, d.sub
        own = data.find_unit(fields["unit"], self.data_dir) if fields.get("unit") else None
        folder = nfc(sub.unit_dir.name)
        if not unit and not own:
            message, _ = data.unit_refusal(folder, self.data_dir)
            near = data.match_unit(folder, self.data_dir)[1]
            d.early.append(f"tên thư mục {message}. Cách sửa: "
                           + (f"có phải là {data.unit_names(near)}? Đặt" if near else "đặt")
                           + " bài vào thư mục mang tên đơn vị: tên ngắn như “Than Mạo Khê”, "
                           "tên đầy đủ hoặc slug như “than-mao-khe”")
        elif not fields.get("unit"):
            fields["unit"] = unit["slug"]
            notes.append(f"{d.label('unit')}: {unit['short']} (theo tên thư mục “{folder}”)")
        d.unit = (own or unit or {"slug": "khong-ro-don-vi"})["slug"]
        d.unit_found = bool(own or unit)
        d.outcome.unit = d.unit
        chosen = own or unit
        if not fields.get("author") and chosen:
            self.default_author(d, chosen)
        if not fields.get("date"):
            mtime = dt.datetime.fromtimestamp(sub.doc.stat().st_mtime, TZ).replace(
                second=0, microsecond=0)
            fields["date"] = f"{mtime:%Y-%m-%d %H:%M}"
            notes.append(f"{d.label('date')}: {mtime:%d/%m/%Y %H:%M} (theo thời điểm lưu tệp)")
        if not fields.get("category"):
            fields["category"] = DEFAULT_CATEGORY
            notes.append(f"{d.label('category')}: {DEFAULT_CATEGORY} (chuyên mục mặc định)")
        if chosen and not chosen.get("trusted") and self.roots["queue"] is not None:
            d.root = "queue"

    def default_author(self, d: _Draft, unit: dict) -> None:
        """No author line: the author Word recorded, else the unit's default author."""
        label = d.label("author")
        add = (f"; muốn ghi tên người viết, thêm dòng “{label}: Họ và tên” ở đầu bài rồi gửi "
               "lại")
        if d.word_author:
            d.header.fields["author"] = d.word_author
            d.outcome.notes.append(
                f"{label}: {d.word_author} (lấy từ thông tin tác giả lưu trong tệp Word: "
                f"File → Info → Author / Tệp → Thông tin → Tác giả){add}")
            return
        name, listed = data.unit_author(unit)
        d.header.fields["author"] = name
        d.outcome.notes.append(
            f"{label}: {name} (" + ("tác giả mặc định của đơn vị trong danh sách đơn vị"
                                    if listed else "đặt theo tên đơn vị vì danh sách đơn vị "
                                    "chưa ghi tác giả mặc định") + f"){add}")

    def guard(self, d: _Draft) -> None:
        """Fields that become a path are refused before anything is written when they read
        as one (``../``, ``..\\``, absolute, percent-encoded, fullwidth)."""
        fields, lines = d.header.fields, d.header.lines

        def where(key):
            return f"dòng {lines[key]}, " if d.lines and lines.get(key, 1) > 1 else ""

        raw = fields.get("slug")
        if raw and slugify(raw) != raw:
            self.refuse(d.outcome, f"{where('slug')}Slug (Đường dẫn): “{raw}” không phải đường "
                        "dẫn hợp lệ: chỉ được có chữ thường không dấu, số và dấu gạch nối, không "
                        "có “/”, “\\” hay “..”", f"sửa thành “{slugify(raw) or 'ten-bai-viet'}”, "
                        "hoặc xóa dòng này để đường dẫn tự đặt theo tiêu đề")
        for key, label in (("title", "Title (Tiêu đề)"), ("unit", "Unit (Đơn vị)")):
            if path_like(fields.get(key) or ""):
                self.refuse(d.outcome, f"{where(key)}{label}: “{fields[key]}” có dạng đường dẫn "
                            "thư mục (“../”, “..\\”, hoặc “/”, “\\” ở đầu)", "viết bằng chữ bình "
                            "thường, bỏ các dấu “../”, “..\\” và dấu “/”, “\\” ở đầu")

    def place(self, d: _Draft) -> None:
        """Where the article goes: where it went last time when this is a resend, else
        ``bai-viet/<unit>/<year>/<slug>.md``; built by :func:`inside` only."""
        fields = d.header.fields
        try:
            when = schema.parse_date(fields["date"])
        except ValueError:  # the schema reports it later, with its line
            when = self.now
        d.key = self.key(d.sub.source)
        previous = self.state.sources.get(d.key)
        slug = fields.get("slug") or slugify(d.outcome.title)[:80].rstrip("-")
        root = self.root(d.root)
        try:
            if previous and PurePosixPath(previous["target"]).parent.parent.name == d.unit:
                d.previous = previous
                d.target = inside_posix(root, previous["target"])
            else:
                d.target = inside(root, "bai-viet", d.unit, f"{when:%Y}", f"{slug}.md")
        except Unsafe as exc:
            self.refuse(d.outcome, f"không đặt được bài vào content/ an toàn ({exc})",
                        "thêm dòng “Đường dẫn: ten-bai-khong-dau” ở đầu bài" if not slug
                        else _ASK_OFFICE)
        d.shas = {path: sha256(path) for path in d.sub.files}
        d.digest = sha256("\n".join(sorted(d.shas.values())).encode())

    def duplicate(self, d: _Draft) -> bool:
        """The very same files were ingested before (a resend): the receipt points to the
        article, then the copies in DIR are removed."""
        known = self.state.hashes.get(d.digest)
        entry = self.state.sources.get(known) if known else None
        try:
            target = inside_posix(self.root(entry.get("root")), entry["target"]) \
                if entry else None
        except Unsafe:
            target = None
        if target is None or not target.exists():
            return False
        d.outcome.status = DUPLICATE
        d.outcome.target = target
        d.outcome.pending = entry.get("root") == "queue"
        d.outcome.title = entry.get("title", d.outcome.title)
        d.outcome.notes.append(f"bài này đã được nhận lúc {entry.get('at', '')}; không nhận lại")
        self.write_receipt(d.outcome.receipt, receipt_text(d.outcome, self.dir, self.now),
                           d.outcome)
        if d.outcome.receipt_done:  # the receipt first, then the sources go
            self.remove_sources(self.sources_of(d, d.sub.files),
                                d.sub.folder and self.rel(d.sub.folder))
        return True

    def sources_of(self, d: _Draft, paths) -> list[dict]:
        return [{"path": self.rel(path), "sha": d.shas[path]} for path in dict.fromkeys(paths)]
    def gather_images(self, d: _Draft) -> None:
        """Every photo the article uses or was sent with, under a slug name in
        ``<slug>/``; references in the text rewritten to match."""
        header, fields, sub = d.header, d.header.fields, d.sub
        slug = d.target.stem
        pool = list(sub.files if sub.folder else sub.pool)

        def local(ref: str, where: str) -> str:
            raw = ref.strip()
            if re.fullmatch(r"NEWSROOMIMAGE\d+END", raw):  # a Word image, placed below
                return ref
            if re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", raw, re.I) or raw.startswith("data:"):
                return ref
            match = self.find_photo(d, raw, where, pool)
            if match not in self.ready:  # a loose photo still being copied
                self.wait(d.outcome, self.changing(match))
            if match not in d.used:
                d.used[match] = d.new_name(nfc(match.stem), match.suffix)
            return (f"{slug}/{d.used[match]}" if where == "Image"
                    else f"{{static}}{slug}/{d.used[match]}")

        if fields.get("image"):
            fields["image"] = local(fields["image"], "Image")
        header.body = _REF_MD.sub(lambda m: m[1] + local(m[2], "Nội dung") + m[3], header.body)
        header.body = _REF_HTML.sub(lambda m: m[1] + local(m[2], "Nội dung") + m[3], header.body)
        for number, image in enumerate(d.docx_images, 1):
            name = d.new_name(f"anh-{len(d.taken) + 1}", image["ext"])
            d.images[name] = {"data": image["data"]}
            d.word_pictures[name] = number
            header.body = header.body.replace(image["token"], f"{{static}}{slug}/{name}")
            if image.get("caption"):
                d.outcome.notes.append(
                    f"ảnh thứ {number}: dòng in nghiêng ngay dưới ảnh được dùng làm chú thích "
                    "ảnh" + (" và mô tả ảnh" if image.get("from_caption") else ""))
        for path, name in d.used.items():
            d.images[name] = {"src": path}
        self.claimed.update(d.used)
        d.outcome.files.extend(p for p in d.used if p not in d.outcome.files)
        if not sub.folder:
            return
        rest = [p for p in sub.files if p not in d.used and p != sub.doc]
        extra = [p for p in rest if p.suffix.lower() in schema.IMAGE_EXTENSIONS]
        for path in extra:  # sent with the article but not placed in it: kept beside it
            d.images[d.new_name(nfc(path.stem), path.suffix)] = {"src": path}
        if extra:
            d.outcome.notes.append(
                "ảnh gửi kèm nhưng chưa chèn vào bài: " + ", ".join(nfc(p.name) for p in extra)
                + (" (đã lưu cạnh bài; muốn đưa vào bài thì chèn ảnh vào tệp Word: Chèn → Ảnh / "
                   "Insert → Pictures, rồi gửi lại)" if d.outcome.word else
                   f" (đã lưu cạnh bài; chèn bằng ![mô tả]({{static}}{slug}/tên-ảnh))"))
        others = [p for p in rest if p not in extra]
        for photo in (p for p in others if p.suffix.lower() in dropbox.IMAGE_EXTENSIONS):
            message, fix = schema.image_problem(photo, self.conf.limits)
            d.early.append(f"ảnh “{shown(photo, sub.folder)}”: {message}. Cách sửa: {fix}")
        others = [p for p in others if p.suffix.lower() not in dropbox.IMAGE_EXTENSIONS]
        if others:
            self.refuse(d.outcome, "thư mục bài có tệp không nhận được: "
                        + ", ".join(shown(p, sub.folder) for p in others),
                        "chỉ để một tệp bài và các ảnh .jpg/.png; bỏ các tệp khác ra")

    def find_photo(self, d: _Draft, ref: str, where: str, pool) -> Path:
        """The file a reference in the article names: one of the submission's own files
        (never a link, never a path leading elsewhere)."""
        clean = unquote(re.sub(r"^\{(static|attach|filename)\}", "", ref)
                        .split("?")[0].split("#")[0])
        if clean.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", clean):
            self.refuse(d.outcome, f"{where}: ảnh “{ref}” là đường dẫn trên máy của bạn, nằm "
                        "ngoài thư mục bài", "chép ảnh vào cùng thư mục với tệp bài và chỉ ghi "
                        "tên ảnh, ví dụ ![mô tả](anh-1.jpg)")
        if path_like(ref):
            self.refuse(d.outcome, f"{where}: ảnh “{ref}” trỏ ra ngoài thư mục bài",
                        "chép ảnh vào cùng thư mục với tệp bài và chỉ ghi tên ảnh, ví dụ "
                        "![mô tả](anh-1.jpg)")
        path = d.sub.doc.parent / clean.replace("\\", "/")
        if path.is_symlink():
            self.refuse(d.outcome, f"{where}: ảnh “{ref}” là liên kết, không phải tệp thật",
                        "chép chính tệp ảnh vào thư mục bài")
        match = next((p for p in pool if _same(p, path)), None)
        if match is None:  # the same name in other case or accents
            wanted = fold(nfc(PurePosixPath(clean).name))
            match = next((p for p in pool if fold(nfc(p.name)) == wanted), None)
        if match is None:
            self.refuse(d.outcome, f"{where}: không tìm thấy ảnh “{ref}” cạnh tệp bài",
                        "gửi kèm ảnh trong cùng thư mục với tệp bài, đúng tên như trong bài")
        return match
    def layout(self, d: _Draft, root: Path) -> tuple[Path, dict[str, Path]]:
        """The article and its photos under ``root`` (content/ or the staging folder), laid
        out like the target, every path built by :func:`inside`."""
        parts = d.target.relative_to(self.root(d.root)).parts
        article = inside(root, *parts)
        folder = [*parts[:-1], d.target.stem]
        return article, {name: inside(root, *folder, name) for name in d.images}

    def stage_and_check(self, d: _Draft, stage_root: Path) -> None:
        """Write the article and its photos to a scratch folder laid out like content/, and
        check them there with the one schema and against the site's addresses."""
        fields, header = d.header.fields, d.header
        try:
            d.staged, photos = self.layout(d, stage_root)
        except Unsafe as exc:
            self.refuse(d.outcome, f"tên ảnh hoặc bài không an toàn ({exc})", _ASK_OFFICE)
        d.staged.parent.mkdir(parents=True, exist_ok=True)
        for name, image in d.images.items():
            photos[name].parent.mkdir(exist_ok=True)
            if image.get("src"):
                data = image["src"].read_bytes()
                if d.shas.setdefault(image["src"], sha256(data)) != sha256(data):
                    self.wait(d.outcome, self.changing(image["src"]))
            else:
                data = image["data"]
            photos[name].write_bytes(data)
        text = render(fields, header.body)
        d.staged.write_text(text, encoding="utf-8")
        # Lines of a text file are the reporter's own; a Word file's are the Markdown's.
        checked = (schema.Header(dict(fields), dict(header.lines), header.body,
                                 header.body_line, list(header.duplicates))
                   if d.lines else schema.split(text))
        values, problems = schema.validate(checked, d.staged, content_root=stage_root,
                                           data_dir=self.data_dir, limits=self.conf.limits)
        d.item = checker.Item(d.target, shown(d.target, self.root(d.root).parent), "article",
                              date=values.get("date"))
        checker._place(d.item, fields, values.get("status", "published"), self.conf)
        d.outcome.url = d.item.url
        rel = d.target.relative_to(self.root(d.root))
        twins = [root / rel for root in self.roots.values() if root]  # itself, in either root
        others = [o for o in self.existing()
                  if not (d.previous and any(_same(o.path, twin) for twin in twins))]
        problems += checker.collisions([d.item], others)
        taken = next((twin for twin in twins if twin.exists()), None)
        if taken is not None and not d.previous:
            problems.append(schema.Problem(
                d.key, 1, "Title",
                f"tiêu đề trùng với bài đã có {shown(taken, self.content.parent)}",
                "đổi tiêu đề cho khác; nếu là bản sửa của bài đã gửi thì gửi lại đúng tên "
                "tệp cũ"))
        problems.sort(key=lambda p: p.line)
        errors = [p for p in problems if p.severity == schema.ERROR]
        d.outcome.notes.extend(_say(p, d) for p in problems if p not in errors)
        if errors or d.early:
            if d.early and not d.unit_found:  # the folder's refusal already says it
                errors = [p for p in errors if p.field != "Unit"]
            d.outcome.problems.extend(d.early)
            d.outcome.problems.extend(_say(p, d) for p in errors)
            raise _Refuse()

    def unchanged(self, d: _Draft) -> None:
        """Every source still as it was at the look that found it finished."""
        for path in [*d.sub.files, *(i["src"] for i in d.images.values() if i.get("src"))]:
            if dropbox.look(path) != self.ready.get(path):
                self.wait(d.outcome, self.changing(path))

    def store(self, d: _Draft, stage_root: Path) -> None:
        """Copy into content/ and verify every byte, journalled; then :meth:`finish`."""
        staged, photos = self.layout(d, stage_root)
        root = self.root(d.root)
        article, dests = self.layout(d, root)
        pairs = [(staged, article), *((photos[n], dests[n]) for n in sorted(d.images))]
        files = [{"path": dest.relative_to(root).as_posix(), "sha": sha256(src),
                  "new": not dest.exists()} for src, dest in pairs]
        new = [f["path"] for f in files]
        folder = d.target.with_suffix("")
        stale = [rel for rel in (d.previous["files"] if d.previous else ()) if rel not in new
                 and _stale_photo(root, rel, folder)]
        outcome = d.outcome
        outcome.status = UPDATED if d.previous else INGESTED
        outcome.pending = d.root == "queue"
        outcome.target, outcome.written = d.target, [dest for _, dest in pairs]
        outcome.removed = [inside_posix(root, rel) for rel in stale]
        outcome.files.extend(p for p in d.shas if p not in outcome.files)
        record = {
            "root": d.root, "files": files, "stale": stale, "folder": d.sub.folder and self.rel(d.sub.folder),
            "sources": self.sources_of(d, [d.sub.doc, *(i["src"] for i in d.images.values()
                                                        if i.get("src"))]),
            "state": {"hash": d.digest, "target": d.target.relative_to(root).as_posix(),
                      "files": sorted(new), "title": outcome.title, "at": vn_datetime(self.now),
                      "root": d.root},
            "replaces": d.previous.get("hash") if d.previous else None,
            "receipt": {"path": self.rel(outcome.receipt),
                        "text": receipt_text(outcome, self.dir, self.now)},
            "outcome": {"status": outcome.status, "title": outcome.title, "unit": outcome.unit,
                        "url": outcome.url, "source": self.rel(outcome.source),
                        "word": outcome.word},
            "queue": self.queue_entry(d) if d.root == "queue" else None}
        self.journal.append("copy", d.key, **record)
        try:
            for src, dest in pairs:
                dest.parent.mkdir(parents=True, exist_ok=True)
                write_durable(dest, src.read_bytes(), sha256(src))
                self.steps(f"chép {dest.name}")
        except OSError as exc:
            self.roll_back(record)
            self.journal.append("done", d.key)
            outcome.status, outcome.written, outcome.removed = REFUSED, [], []
            self.refuse(outcome, f"chép vào content/ không thành công ({exc})", _ASK_OFFICE)
        self.journal.append("copied", d.key)
        self.finish(d.key, record, outcome)
        if self._existing is not None:
            self._existing.append(d.item)

    def finish(self, key: str, record: dict, outcome: Outcome | None = None) -> Outcome:
        """After a verified copy (this run's or a killed run's, from the journal): record it,
        drop the photos a resend no longer has, write the receipt, then remove the sources.
        Every step can be done again."""
        outcome = outcome or self.recorded(record)
        self.state.apply(key, record["state"], record.get("replaces"))
        if record.get("queue"):
            queue.Queue(self.roots["queue"]).put(record["queue"])
        for path in outcome.removed:
            if path.is_file():
                path.unlink()
                self.steps(f"xóa ảnh cũ {path.name}")
        self.write_receipt(self.dir / record["receipt"]["path"], record["receipt"]["text"],
                           outcome)
        if outcome.receipt_done:  # no receipt, no removal: the next run finds a duplicate
            self.journal.append("receipt", key)
            self.remove_sources(record["sources"], record["folder"])
        self.journal.append("done", key)
        return outcome

    def queue_entry(self, d: _Draft) -> dict:
        """What the editors' queue keeps of a waiting article (``newsroom.intake.queue``)."""
        return {"id": d.target.stem, "target": d.target.relative_to(self.root("queue"))
                .as_posix(), "title": d.outcome.title, "unit": d.unit, "url": d.outcome.url,
                "at": vn_datetime(self.now), "source_dir": str(self.dir.resolve()),
                "source": self.rel(d.outcome.source), "receipt": self.rel(d.outcome.receipt),
                "word": d.outcome.word}

    def recorded(self, record: dict) -> Outcome:
        """The outcome of a submission a killed run had copied, from its journal record."""
        said = record["outcome"]
        root = self.root(record.get("root"))
        return Outcome(
            self.dir / said["source"], [self.dir / s["path"] for s in record["sources"]],
            said["status"], unit=said["unit"], title=said["title"], url=said["url"],
            target=inside_posix(root, record["state"]["target"]),
            written=[inside_posix(root, f["path"]) for f in record["files"]],
            removed=[inside_posix(root, rel) for rel in record["stale"]],
            receipt=self.dir / record["receipt"]["path"],
            pending=record.get("root") == "queue", word=bool(said.get("word")))

    def roll_back(self, record: dict) -> None:
        """Undo a copy that was not verified: the files it added (still as it wrote them) and
        any temporary file go; files it replaced are written again by the next attempt."""
        root = self.root(record.get("root"))
        for item in record["files"]:
            path = inside_posix(root, item["path"])
            tmp = path.with_name(f".{path.name}.tmp")
            if os.path.lexists(tmp):
                tmp.unlink()
            if item["new"] and path.is_file() and sha256(path) == item["sha"]:
                path.unlink()
                self.steps(f"hoàn tác {path.name}")
        try:  # the photo folder, if now empty
            inside_posix(root, record["state"]["target"]).with_suffix("").rmdir()
        except OSError:
            pass

    def remove_sources(self, sources: list[dict], folder: str | None) -> None:
        """Remove from DIR each source that still holds what was taken, then the
        submission's folder (relative to DIR) if nothing else is left in it."""
        for source in sources:
            path = self.dir / source["path"]
            try:
                with Folder.open(self.dir, path.parent) as parent:
                    parent.remove(path.name, source["sha"])
            except OSError:
                pass  # gone already, or its folder replaced: nothing to remove
            self.steps(f"xóa tệp gốc {path.name}")
        if folder:
            try:
                with Folder.open(self.dir, (self.dir / folder).parent) as parent:
                    parent.prune(PurePosixPath(folder).name)
            except OSError:
                pass

    def recover(self) -> None:
        """Finish what a killed run left in the journal: a verified copy is carried through
        (receipt, then sources removed); an unverified one is rolled back and its submission,
        still in DIR, is taken again by this run."""
        for key, records in self.journal.unfinished().items():
            first = records[0]
            try:
                if any(r.get("kind") == "copied" for r in records):
                    self.outcomes.append(self.finish(key, first))
                elif first.get("kind") == "copy":
                    self.roll_back(first)
                    self.journal.append("done", key)
                else:
                    self.journal.append("done", key)
            except (OSError, Unsafe, KeyError, TypeError, AttributeError) as exc:
                self.blocked.add(key)
                print(f"Chưa hoàn tất được bài “{key}” của lượt trước: {exc}", file=sys.stderr)


def _stale_photo(content: Path, rel: str, folder: Path) -> bool:
    """A photo of the article's own folder (``<slug>/``) that a resend no longer has."""
    try:
        return inside_posix(content, rel).parent == folder
    except Unsafe:
        return False


#: The Vietnamese label of each field, as the template in the README names it.
VI_LABELS = {"title": "Tiêu đề", "date": "Ngày đăng", "modified": "Ngày sửa", "unit": "Đơn vị",
             "author": "Tác giả", "category": "Chuyên mục", "summary": "Tóm tắt",
             "image": "Ảnh đại diện", "image_alt": "Mô tả ảnh", "tags": "Từ khóa",
             "featured": "Nổi bật", "status": "Trạng thái", "campaign": "Chiến dịch",
             "theme": "Chủ đề", "question": "Câu hỏi", "laws": "Văn bản pháp luật",
             "sent_to": "Đã gửi", "slug": "Đường dẫn"}
WORD_ALT = ("trong Word, bấm chuột phải vào ảnh → chọn “Sửa Văn bản Thay thế” (Edit Alt Text), "
            "gõ một câu tả ảnh (ví dụ “Công nhân nhận quà tại nhà văn hóa”), hoặc gõ một dòng chú "
            "thích in nghiêng ngay dưới ảnh; lưu tệp rồi gửi lại")


def voice_label(key: str, labels: dict, word: bool) -> str:
    """A field as the submitter names it: the label they wrote; else the Vietnamese label
    when they write Vietnamese (a Word file, a Vietnamese label anywhere, or no header at
    all), else the field name (``Author``)."""
    if key in labels:
        return labels[key]
    english = labels and all(schema.field_for(v) == v.lower().replace("-", "_")
                             for v in labels.values())
    if key in VI_LABELS and (word or not english):
        return VI_LABELS[key]
    return key.capitalize()


def _say(problem: schema.Problem, d: _Draft) -> str:
    """A schema problem in the submitter's words: their labels, Word steps for a Word file,
    no internal path or Markdown syntax to a Word user."""
    key = problem.field.lower()
    label = d.label(key) if key in schema.FIELDS else problem.field
    message, fix = problem.message, problem.fix
    for name in schema.FIELDS:  # “Author: ...” in a fix → “Tác giả: ...”
        fix = fix.replace(f"“{name.capitalize()}:", f"“{d.label(name)}:")
        fix = fix.replace(f"dòng {name.capitalize()}", f"dòng {d.label(name)}")
    if d.outcome.word:
        fix = fix.replace("ở đầu tệp, trước dòng trống",
                          "ở đầu tệp Word, mỗi trường một dòng, trước phần nội dung")
        picture = re.search(r"“\{static\}[^”/]*/(?P<name>[^”]+)”", message)
        number = d.word_pictures.get(picture["name"]) if picture else None
        if number and "chưa có mô tả" in message:
            message, fix = (f"ảnh thứ {number} trong tệp Word chưa có mô tả (alt) cho người "
                            "khiếm thị"), WORD_ALT
        elif number:
            message = message.replace(picture[0], f"thứ {number} trong tệp Word")
    where = f"dòng {problem.line}, " if d.lines and problem.line > 1 else ""
    text = f"{where}{label}: {message}"
    return f"{text}. Cách sửa: {fix}" if fix else text


def _where(path: Path) -> str:
    """An article's place from its root's name on (``content/bai-viet/...``)."""
    parts = path.parts
    start = max((i for i, part in enumerate(parts) if part == "bai-viet"), default=1) - 1
    return "/".join(parts[max(start, 0):])


def receipt_text(outcome: Outcome, source_dir: Path, now) -> str:
    sent = shown(outcome.source, source_dir)
    when = vn_datetime(now)
    out = []
    if outcome.status in (INGESTED, UPDATED):
        head = "ĐÃ NHẬN BÀI" if outcome.status == INGESTED else "ĐÃ CẬP NHẬT BÀI"
        out += [f"{head} — {when}", f"Tệp gửi: {sent}", f"Tiêu đề: {outcome.title}"]
        if outcome.pending:
            out += [f"Bài đang chờ Ban Tuyên giáo duyệt (mã bài: {outcome.target.stem}); bài "
                    "lên trang sau khi được duyệt."]
        elif not outcome.word:
            out.append(f"Bài đã được đưa vào: {_where(outcome.target)}")
        images = [p for p in outcome.written if p != outcome.target]
        if images:
            out.append(f"Ảnh: {len(images)} ảnh" if outcome.word or outcome.pending else
                       f"Ảnh ({len(images)}): {_where(images[0].parent)}/")
        if outcome.url:
            out.append(f"Địa chỉ trên trang {'sau khi duyệt' if outcome.pending else 'sau khi đăng'}"
                       f": /{outcome.url}")
        if outcome.notes:
            out += ["", "Đã tự điền hoặc cần lưu ý:"] + [f"  - {n}" for n in outcome.notes]
        out += ["", "Tệp gốc đã được chuyển vào kho bài; không cần gửi lại. Muốn sửa bài: sửa "
                "tệp của bạn và gửi lại đúng tên tệp cũ vào thư mục này."]
    elif outcome.status == DUPLICATE:
        out += [f"ĐÃ NHẬN TỪ TRƯỚC — {when}", f"Tệp gửi: {sent}",
                f"Tiêu đề: {outcome.title}",
                "Bài đang chờ Ban Tuyên giáo duyệt." if outcome.pending else
                f"Bài đang ở: {_where(outcome.target)}"]
        out += [f"  - {n}" for n in outcome.notes]
        out += ["", "Bản gửi lại giống hệt bản đã nhận nên đã được bỏ đi; không cần làm gì thêm."]
    elif outcome.status == WAITING:
        out += [f"ĐANG CHỜ — {when}", f"Tệp gửi: {sent}", "", "Chưa nhận vì:"]
        out += [f"  - {p}" for p in outcome.problems]
        out += ["", "Bài sẽ được nhận ở lần chạy sau, khi tệp đã lưu hoặc chép xong; không cần "
                "gửi lại. Tệp của bạn vẫn ở nguyên chỗ cũ."]
    else:
        out += [f"CHƯA NHẬN BÀI — {when}", f"Tệp gửi: {sent}"]
        if outcome.title:
            out.append(f"Tiêu đề: {outcome.title}")
        out += ["", "Lý do và cách sửa:"] + [f"  - {p}" for p in outcome.problems]
        if outcome.notes:
            out += ["", "Lưu ý thêm:"] + [f"  - {n}" for n in outcome.notes]
        out += ["", "Tệp của bạn vẫn ở nguyên chỗ cũ. Sửa theo hướng dẫn trên rồi lưu lại"
                + (" (trong Word: Tệp → Lưu, hoặc Ctrl+S)" if outcome.word else "")
                + "; lần tiếp nhận sau sẽ đọc lại tệp."]
    return "\n".join(out) + "\n"


def run_summary(result: "Result", source_dir: Path, now, data_dir=None) -> str:
    """What one run did, unit by unit, for Ban Tuyên giáo."""
    units = data.units(data_dir)
    lines = [f"TIẾP NHẬN BÀI TỪ THƯ MỤC CHUNG — {vn_datetime(now)}", f"Thư mục: {source_dir}",
             result.summary(), ""]
    waiting = [o for o in result.outcomes if o.pending and o.status in (INGESTED, UPDATED)]
    if waiting:
        lines.append(f"Chờ duyệt ({len(waiting)}): xem bằng “invoke queue”, duyệt bằng "
                     "“invoke approve <mã bài>”, trả lại bằng “invoke return <mã bài> --note ...”")
    by_unit: dict[str, list[Outcome]] = {}
    for outcome in result.outcomes:
        by_unit.setdefault(outcome.unit or "", []).append(outcome)
    said = {INGESTED: "đã nhận", UPDATED: "đã cập nhật", DUPLICATE: "gửi lại bản cũ",
            REFUSED: "chưa nhận", WAITING: "đang chờ ghi xong"}
    for unit, outcomes in sorted(by_unit.items()):
        lines.append(f"{units.get(unit, {}).get('short', 'Không rõ đơn vị')}:")
        for o in outcomes:
            state = said[o.status] + (", chờ duyệt" if o.pending and o.accepted else "")
            line = f"  - {shown(o.source, source_dir)}: {state}"
            if o.title:
                line += f" — “{o.title}”"
            if o.status in (REFUSED, WAITING) and o.problems:
                line += f" ({o.problems[0].split('. Cách sửa')[0]})"
            if o.pending and o.accepted and o.target is not None:
                line += f" [mã bài: {o.target.stem}]"
            lines.append(line)
    return "\n".join(lines) + "\n"


# --- git -------------------------------------------------------------------------------------

def commit(outcomes: list[Outcome], content_root: Path, data_dir=None) -> str | None:
    """Commit the articles ingested or updated, naming the units and titles."""
    done = [o for o in outcomes if o.status in (INGESTED, UPDATED) and not o.pending]
    if not done:
        return None
    repo = Path(subprocess.run(["git", "-C", str(content_root), "rev-parse", "--show-toplevel"],
                               capture_output=True, text=True, check=True).stdout.strip())
    units = data.units(data_dir)
    by_unit: dict[str, list[Outcome]] = {}
    for outcome in done:
        by_unit.setdefault(outcome.unit or "?", []).append(outcome)

    def name(slug):
        return units.get(slug, {}).get("short", slug)

    subject = "Tiếp nhận bài: " + ", ".join(
        f"{name(u)} ({len(items)})" for u, items in sorted(by_unit.items()))
    body = []
    for unit, items in sorted(by_unit.items()):
        body.append(f"{name(unit)}:")
        body += [f"- {o.title}" + (" (cập nhật)" if o.status == UPDATED else "") for o in items]
    paths = [str(p) for o in done for p in [*o.written, *o.removed]]
    subprocess.run(["git", "-C", str(repo), "add", "-A", "--", *paths], check=True,
                   capture_output=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", subject + "\n\n" +
                    "\n".join(body), "--", *paths], check=True, capture_output=True)
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()


def ingest(source_dir: Path | str, content_root: Path | str = CONTENT, *, data_dir=None,
           commit_to_git: bool = False, now=None, settle: float = SETTLE_SECONDS,
           state_dir: Path | str | None = None, docx_limits: DocxLimits | None = None,
           conf: checker.Conf | None = None,
           queue_dir: Path | str | None | bool = None) -> Result:
    """Ingest every submission in ``source_dir``; see the module docstring. ``settle``: the
    seconds between the two looks that find a file finished; ``state_dir``: where the state,
    journal and lock live (default :func:`default_state_dir`); ``conf``: the site's settings
    as :func:`newsroom.intake.check.load_conf` reads them (default pelicanconf.py: addresses, limits);
    ``queue_dir``: the editors' queue where the articles of units not ``trusted`` wait
    (default ``cho-duyet/`` beside content/; ``False``: none, every article goes straight to
    content/)."""
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise FileNotFoundError(f"không có thư mục {source_dir}")
    state = Path(state_dir) if state_dir else default_state_dir(source_dir, Path(content_root))
    if queue_dir is None:
        queue_dir = Path(content_root).parent / QUEUE_DIR
    with locked(state, source_dir):
        job = Ingest(source_dir, Path(content_root), state, data_dir=data_dir, now=now,
                     settle=settle, docx_limits=docx_limits, conf=conf,
                     queue=queue_dir or None)
        result = Result(job.run())
        result.steps = job.steps.count
        result.report = run_summary(result, source_dir, job.now, data_dir)
        result.report_path = _keep_summary(state, result.report, job.now)
        if commit_to_git:
            try:
                result.commit = commit(result.outcomes, Path(content_root), data_dir)
            except (subprocess.CalledProcessError, OSError) as exc:
                detail = getattr(exc, "stderr", "") or str(exc)
                result.commit_error = (detail.decode(errors="replace") if isinstance(
                    detail, bytes) else detail).strip()
    return result


def _keep_summary(state: Path, text: str, now) -> Path | None:
    """The run's summary in ``<state>/tong-hop/<time>.txt`` (Notepad-readable)."""
    try:
        folder = inside(state, "tong-hop")
        folder.mkdir(exist_ok=True)
        path = inside(folder, f"{now:%Y-%m-%d-%H%M%S}.txt")
        write_durable(path, notepad(text))
    except (OSError, Unsafe):
        return None
    return path


def main(argv=None, out=None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="invoke ingest",
                                     description="Tiếp nhận bài từ thư mục chung.")
    parser.add_argument("--source", required=True, help="thư mục chung (mỗi đơn vị một thư mục)")
    parser.add_argument("--content", default=str(CONTENT), help="thư mục nội dung")
    parser.add_argument("--commit", action="store_true", help="commit các bài đã nhận")
    parser.add_argument("--settle", type=float, default=SETTLE_SECONDS,
                        help="số giây giữa hai lần xem một tệp để biết tệp đã ghi xong")
    parser.add_argument("--state", help="thư mục trạng thái (mặc định .tiep-nhan/ cạnh content/)")
    parser.add_argument("--no-queue", action="store_true",
                        help="đưa thẳng bài vào content/, không qua hàng chờ duyệt")
    parser.add_argument("--docx-seconds", type=float, default=DocxLimits.seconds,
                        help="số giây tối đa để đọc một tệp Word")
    args = parser.parse_args(argv)
    try:
        result = ingest(args.source, args.content, commit_to_git=args.commit,
                        settle=args.settle, state_dir=args.state,
                        docx_limits=DocxLimits(seconds=args.docx_seconds),
                        queue_dir=False if args.no_queue else None)
    except Busy as exc:
        print(f"Chưa chạy: {exc}.", file=out)
        return 3
    except FileNotFoundError as exc:
        print(f"Chưa chạy: {exc}.", file=out)
        return 2
    source = Path(args.source)
    labels = {INGESTED: "ĐÃ NHẬN", UPDATED: "CẬP NHẬT", DUPLICATE: "ĐÃ CÓ", REFUSED: "CHƯA NHẬN",
              WAITING: "ĐANG CHỜ"}
    for o in result.outcomes:
        where = (f" → {shown(o.target, Path(args.content).parent)}" if o.target else
                 f": {o.problems[0]}" if o.problems else "")
        label = "CHỜ DUYỆT" if o.pending and o.accepted else labels[o.status]
        print(f"{label}: {shown(o.source, source)}{where}", file=out)
        if o.receipt_error:
            print(f"  (không ghi được phiếu báo {shown(o.receipt, source)}: {o.receipt_error})",
                  file=out)
    print("", file=out)
    print(result.report, end="", file=out)
    if result.report_path:
        print(f"(Bản tổng hợp này được lưu ở {result.report_path})", file=out)
    if result.commit:
        print(f"Đã commit {result.commit[:10]}.", file=out)
    if result.commit_error:
        print("Bài đã vào content/ nhưng chưa commit được vào git: "
              f"{result.commit_error}. Hãy commit bằng tay.", file=out)
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main())
