"""``invoke ingest --source DIR``: articles from the shared folder into ``content/``.

DIR holds one folder per unit (its slug, short or full Vietnamese name). In a unit folder, each
``.md``, ``.txt`` or ``.docx`` file is a submission, alone (its photos, if any, loose beside it)
or in a folder of its own with its photos. For each submission ingest reads it whatever the
encoding and converts Word to Markdown with its images (``newsroom.submission``), fills what
it can (unit from the folder, date from the file, the default category), checks it with the one
schema (``newsroom.schema``) and the site-wide address check (``newsroom.check``), and writes it
to ``content/bai-viet/<unit>/<year>/<slug>.md`` with its photos in ``<slug>/``.

Nothing is lost: files are staged, copied, verified by hash, recorded in the state file, and
only then removed from DIR. A receipt in Vietnamese (``<name>.receipt.txt``) is left beside
every submission: where the article now lives, or why it was refused and how to fix it;
refused files stay where they are. A lock (``DIR/.tiep-nhan/lock``) keeps two runs apart, and
the state file (``DIR/.tiep-nhan/state.json``) of content hashes makes a second run a no-op.
Symlinks and references that lead outside DIR are refused; one bad file never stops the run.
"""
from __future__ import annotations

import argparse
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from . import check as checker
from . import data, schema
from .dates import TZ, vn_datetime
from .submission import docx_to_markdown, read_header, read_text, render
from .text import fold, nfc, slugify

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
DOC_EXTENSIONS = {".md", ".txt", ".docx"}
OLD_FORMATS = {".doc": "Word 97-2003", ".odt": "OpenDocument", ".rtf": "RTF", ".pdf": "PDF",
               ".pages": "Pages"}
STATE_DIR = ".tiep-nhan"
RECEIPT = ".receipt.txt"
JUNK = {"thumbs.db", "desktop.ini", ".ds_store"}
DEFAULT_CATEGORY = "Tin tức"
DOC_MAX_BYTES = 100 * 1024 * 1024
_IMAGE_EXTS = schema.IMAGE_EXTENSIONS | {".heic", ".heif", ".bmp", ".tif", ".tiff", ".emf",
                                         ".wmf"}

INGESTED, UPDATED, DUPLICATE, REFUSED = "ingested", "updated", "duplicate", "refused"


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

    @property
    def accepted(self) -> bool:
        return self.status in (INGESTED, UPDATED, DUPLICATE)


@dataclass
class Result:
    outcomes: list[Outcome]
    commit: str | None = None
    commit_error: str | None = None

    def by_status(self, status):
        return [o for o in self.outcomes if o.status == status]

    def summary(self) -> str:
        parts = [f"{len(self.by_status(INGESTED))} bài mới",
                 f"{len(self.by_status(UPDATED))} bài cập nhật",
                 f"{len(self.by_status(DUPLICATE))} bài đã nhận từ trước",
                 f"{len(self.by_status(REFUSED))} tệp chưa nhận (xem phiếu báo)"]
        return "Tiếp nhận xong: " + ", ".join(parts) + "."


# --- the shared folder -----------------------------------------------------------------------

@dataclass
class Submission:
    unit_dir: Path
    doc: Path | None
    folder: Path | None
    files: list[Path]
    pool: list[Path] = field(default_factory=list)  # loose photos a loose document may use

    @property
    def source(self) -> Path:
        return self.folder or self.doc


def _skip(path: Path) -> bool:
    name = path.name
    return (name.startswith(".") or name.endswith(RECEIPT) or name.lower() in JUNK
            or name.startswith("~$"))


def _shown(path: Path, base: Path) -> str:
    try:
        return nfc(path.relative_to(base).as_posix())
    except ValueError:
        return nfc(str(path))


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def _refusal(path: Path, files, message: str, fix: str, receipt_for: Path | None = None):
    outcome = Outcome(path, list(files), REFUSED)
    outcome.problems.append(f"{message}. Cách sửa: {fix}")
    outcome.receipt = _receipt_path(receipt_for or path)
    return outcome


def _receipt_path(path: Path) -> Path:
    return path.with_name(path.name + RECEIPT)


def _walk_files(folder: Path, strays: list[Outcome], source_dir: Path) -> list[Path]:
    """Every regular file under ``folder``; symlinks are refused (not followed)."""
    files = []
    for entry in sorted(folder.iterdir()):
        if _skip(entry):
            continue
        if entry.is_symlink():
            strays.append(_symlink_refusal(entry, source_dir))
        elif entry.is_dir():
            files.extend(_walk_files(entry, strays, source_dir))
        elif entry.is_file():
            files.append(entry)
    return files


def _symlink_refusal(path: Path, source_dir: Path) -> Outcome:
    return _refusal(path, [path], f"“{_shown(path, source_dir)}” là liên kết (shortcut/symlink), "
                    "không phải tệp thật; không nhận",
                    "chép chính tệp hoặc thư mục vào đây thay cho liên kết")


def plan(source_dir: Path) -> tuple[list[Submission], list[Outcome]]:
    """Submissions found in DIR, and the stray files refused outright."""
    submissions: list[Submission] = []
    strays: list[Outcome] = []
    for entry in sorted(source_dir.iterdir()):
        if _skip(entry):
            continue
        if entry.is_symlink():
            strays.append(_symlink_refusal(entry, source_dir))
        elif entry.is_file():
            strays.append(_refusal(entry, [entry], "tệp nằm ngoài thư mục đơn vị",
                                   "chuyển tệp vào thư mục của đơn vị mình (ví dụ “than-ha-lam” "
                                   "hoặc “Than Hà Lầm”)"))
        elif entry.is_dir():
            _plan_unit(entry, source_dir, submissions, strays)
    return submissions, strays


def _plan_unit(unit_dir: Path, source_dir: Path, submissions, strays) -> None:
    loose_docs, loose_images = [], []
    for entry in sorted(unit_dir.iterdir()):
        if _skip(entry):
            continue
        ext = entry.suffix.lower()
        if entry.is_symlink():
            strays.append(_symlink_refusal(entry, source_dir))
        elif entry.is_dir():
            strays_here: list[Outcome] = []
            files = _walk_files(entry, strays_here, source_dir)
            strays.extend(strays_here)
            docs = [f for f in files if f.suffix.lower() in DOC_EXTENSIONS]
            if len(docs) == 1:
                submissions.append(Submission(unit_dir, docs[0], entry, files))
            elif not files:
                continue
            else:
                names = ", ".join(_shown(d, entry) for d in docs)
                strays.append(_refusal(
                    entry, files,
                    (f"thư mục có {len(docs)} tệp bài ({names})" if docs else
                     "thư mục không có tệp bài (.md, .txt hoặc .docx)"),
                    "mỗi bài một thư mục: một tệp bài cùng các ảnh của bài đó"
                    + ("" if docs else "; tệp Word cũ (.doc) thì lưu lại dạng .docx")))
        elif ext in DOC_EXTENSIONS:
            loose_docs.append(entry)
        elif ext in _IMAGE_EXTS:
            loose_images.append(entry)
        elif ext in OLD_FORMATS:
            strays.append(_refusal(entry, [entry], f"định dạng {OLD_FORMATS[ext]} ({ext}) "
                                   "không đọc được",
                                   "mở tệp bằng Word và chọn Lưu thành… → “Word Document "
                                   "(*.docx)”, hoặc lưu thành văn bản .txt (UTF-8)"))
        else:
            strays.append(_refusal(entry, [entry], f"tệp “{entry.name}” không phải bài viết "
                                   "hay ảnh", "gửi bài dạng .docx, .md hoặc .txt; ảnh dạng .jpg "
                                   "hoặc .png"))
    for doc in loose_docs:
        submissions.append(Submission(unit_dir, doc, None, [doc], pool=loose_images))
    if loose_images:
        # Claimed by a loose document when it uses them; the rest are refused afterwards.
        submissions.append(Submission(unit_dir, None, None, list(loose_images)))


# --- state and lock --------------------------------------------------------------------------

def _sha(path_or_bytes) -> str:
    if isinstance(path_or_bytes, (bytes, bytearray)):
        return hashlib.sha256(path_or_bytes).hexdigest()
    digest = hashlib.sha256()
    with open(path_or_bytes, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class State:
    """Content hashes of what was ingested, kept in DIR/.tiep-nhan/state.json."""

    def __init__(self, path: Path):
        self.path = path
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raw = {}
        self.sources: dict = raw.get("sources", {})
        self.hashes: dict = raw.get("hashes", {})

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"version": 1, "sources": self.sources,
                                   "hashes": self.hashes}, ensure_ascii=False, indent=1),
                       encoding="utf-8")
        os.replace(tmp, self.path)


@contextmanager
def locked(source_dir: Path):
    """Hold DIR/.tiep-nhan/lock for the whole run; :class:`Busy` if another run has it."""
    folder = source_dir / STATE_DIR
    folder.mkdir(exist_ok=True)
    fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            raise Busy(f"một lượt tiếp nhận khác đang chạy trên {source_dir} (tiến trình "
                       f"{holder}); chờ lượt đó xong rồi chạy lại") from None
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


@dataclass
class _Draft:
    """A submission on its way into content/."""

    sub: Submission
    outcome: Outcome
    header: schema.Header
    docx_images: list
    lines: bool  # line numbers are the reporter's own (text files), not a Word conversion's
    early: list = field(default_factory=list)  # problems found before the schema runs
    unit: str = ""
    key: str = ""
    target: Path | None = None
    previous: dict | None = None
    digest: str = ""
    used: dict = field(default_factory=dict)  # source photo -> new name
    taken: set = field(default_factory=set)
    images: dict = field(default_factory=dict)  # new name -> {"src": Path} | {"data": bytes}
    staged: Path | None = None
    item: object = None

    def new_name(self, stem: str, ext: str) -> str:
        """A slug file name, unique in the article's folder (``Ảnh 1.JPG`` → ``anh-1.jpg``)."""
        ext = ".jpg" if ext.lower() == ".jpeg" else ext.lower()
        base = slugify(stem) or "anh"
        name, n = f"{base}{ext}", 2
        while name in self.taken:
            name, n = f"{base}-{n}{ext}", n + 1
        self.taken.add(name)
        return name


def _same(a: Path, b: Path) -> bool:
    return os.path.abspath(a) == os.path.abspath(b)


class Ingest:
    def __init__(self, source_dir: Path, content_root: Path, data_dir=None, now=None,
                 conf: checker.Conf | None = None):
        self.dir = Path(source_dir)
        self.content = Path(content_root)
        self.data_dir = data_dir
        self.now = now or dt.datetime.now(TZ)
        self.state = State(self.dir / STATE_DIR / "state.json")
        self.conf = conf or checker.load_conf()  # addresses and limits, as the build has them
        self._existing = None
        self.claimed: set[Path] = set()

    # existing articles, for address collisions
    def existing(self):
        if self._existing is None:
            self._existing = checker.existing_items(self.content, self.conf) \
                if self.content.is_dir() else []
        return self._existing

    def run(self) -> list[Outcome]:
        submissions, outcomes = plan(self.dir)
        for sub in submissions:
            if sub.doc is None:  # loose photos no loose document used
                for photo in sub.files:
                    if photo not in self.claimed and photo.exists():
                        outcomes.append(_refusal(
                            photo, [photo], "ảnh lẻ không thuộc bài nào",
                            "để ảnh cùng tệp bài trong một thư mục riêng của bài, hoặc chèn ảnh "
                            "vào bài: ![mô tả ảnh](" + photo.name + ")"))
                continue
            try:
                outcome = self.one(sub)
            except Exception as exc:  # noqa: BLE001 - one bad file never stops the run
                outcome = _refusal(sub.source, sub.files, f"lỗi không lường trước khi xử lý: "
                                   f"{exc}", "báo cho Ban Tuyên giáo; tệp của bạn vẫn còn nguyên",
                                   receipt_for=sub.source)
            outcomes.append(outcome)
        for outcome in outcomes:
            self.write_receipt(outcome)
        return outcomes

    def one(self, sub: Submission) -> Outcome:
        outcome = Outcome(sub.source, list(sub.files), receipt=_receipt_path(sub.source))
        unit = data.find_unit(nfc(sub.unit_dir.name), self.data_dir)
        outcome.unit = unit["slug"] if unit else None
        try:
            self.prepare(sub, outcome, unit)
        except _Refuse:
            outcome.status = REFUSED
        return outcome

    def refuse(self, outcome: Outcome, message: str, fix: str = ""):
        outcome.problems.append(f"{message}. Cách sửa: {fix}" if fix else message)
        raise _Refuse()

    def prepare(self, sub: Submission, outcome: Outcome, unit) -> None:
        """One submission, step by step; any step may refuse it (:class:`_Refuse`)."""
        draft = self.read(sub, outcome)
        self.take_title(draft)
        self.fill(draft, unit)
        self.place(draft)
        if self.duplicate(draft):
            return
        self.gather_images(draft)
        stage_root = Path(tempfile.mkdtemp(prefix="tiep-nhan-"))
        try:
            self.stage_and_check(draft, stage_root)
            self.store(draft, stage_root)
        finally:
            shutil.rmtree(stage_root, ignore_errors=True)

    def read(self, sub: Submission, outcome: Outcome) -> _Draft:
        """The document as Markdown with its header (Word through mammoth)."""
        doc = sub.doc
        if not _inside(doc, self.dir):
            self.refuse(outcome, "tệp nằm ngoài thư mục chung", "chép tệp thật vào thư mục")
        size = doc.stat().st_size
        if size > DOC_MAX_BYTES:
            self.refuse(outcome, f"tệp bài nặng {size / 1048576:.0f} MB, quá giới hạn "
                        f"{DOC_MAX_BYTES // 1048576} MB",
                        "gửi ảnh thành tệp riêng trong thư mục bài thay vì chèn ảnh rất lớn "
                        "vào Word")
        if doc.suffix.lower() == ".docx":
            try:
                markdown, docx_images = docx_to_markdown(doc)
            except Exception as exc:  # noqa: BLE001 - a broken .docx is the reporter's to fix
                self.refuse(outcome, f"không mở được tệp Word ({type(exc).__name__})",
                            "mở tệp bằng Word, chọn Lưu thành… → “Word Document (*.docx)” rồi "
                            "gửi lại")
            header = read_header(markdown)
            for name, value in header.fields.items():  # header values are plain text
                header.fields[name] = re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>|~])", r"\1", value)
            return _Draft(sub, outcome, header, docx_images, lines=False)
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

    def fill(self, d: _Draft, unit) -> None:
        """Unit from the folder, date from the file, the default category; each said in the
        receipt."""
        fields, notes, sub = d.header.fields, d.outcome.notes, d.sub
        own = data.find_unit(fields["unit"], self.data_dir) if fields.get("unit") else None
        if not unit and not own:
            d.early.append(f"thư mục “{nfc(sub.unit_dir.name)}” không phải tên một đơn vị. "
                           "Cách sửa: đặt bài vào thư mục mang tên đơn vị (slug như "
                           "“than-ha-lam” hoặc tên như “Than Hà Lầm”), theo danh sách "
                           "data/units.yml")
        elif not fields.get("unit"):
            fields["unit"] = unit["slug"]
            notes.append(f"Unit: {unit['slug']} (theo thư mục {nfc(sub.unit_dir.name)})")
        d.unit = (own or unit or {"slug": "khong-ro-don-vi"})["slug"]
        d.outcome.unit = d.unit
        if not fields.get("date"):
            mtime = dt.datetime.fromtimestamp(sub.doc.stat().st_mtime, TZ).replace(
                second=0, microsecond=0)
            fields["date"] = f"{mtime:%Y-%m-%d %H:%M}"
            notes.append(f"Date: {mtime:%d/%m/%Y %H:%M} (theo thời điểm lưu tệp)")
        if not fields.get("category"):
            fields["category"] = DEFAULT_CATEGORY
            notes.append(f"Category: {DEFAULT_CATEGORY} (chuyên mục mặc định)")

    def place(self, d: _Draft) -> None:
        """Where the article goes: where it went last time when this is a resend, else
        ``bai-viet/<unit>/<year>/<slug>.md``."""
        fields = d.header.fields
        try:
            when = schema.parse_date(fields["date"])
        except ValueError:  # the schema reports it later, with its line
            when = self.now
        d.key = _shown(d.sub.source, self.dir)
        previous = self.state.sources.get(d.key)
        if previous and (self.content / previous["target"]).parent.parent.name == d.unit:
            d.previous = previous
            d.target = self.content / previous["target"]
        else:
            slug = fields.get("slug") or slugify(d.outcome.title)[:80].rstrip("-")
            d.target = self.content / "bai-viet" / d.unit / f"{when:%Y}" / f"{slug}.md"
        d.digest = _sha("\n".join(sorted(_sha(path) for path in d.sub.files)).encode())

    def duplicate(self, d: _Draft) -> bool:
        """The very same files were ingested before (a resend, or a run that stopped before
        cleaning up): drop the copies in DIR, point to the article."""
        known = self.state.hashes.get(d.digest)
        entry = self.state.sources.get(known) if known else None
        if not entry or not (self.content / entry["target"]).exists():
            return False
        d.outcome.status = DUPLICATE
        d.outcome.target = self.content / entry["target"]
        d.outcome.title = entry.get("title", d.outcome.title)
        self.remove_sources(d.sub, list(d.sub.files))
        d.outcome.notes.append(f"bài này đã được nhận lúc {entry.get('at', '')}; không nhận lại")
        return True

    def gather_images(self, d: _Draft) -> None:
        """Every photo the article uses or was sent with, under a slug name in
        ``<slug>/``; references in the text rewritten to match."""
        header, fields, sub = d.header, d.header.fields, d.sub
        slug = d.target.stem
        base = sub.folder or sub.unit_dir
        pool = list(sub.files if sub.folder else sub.pool)

        def local(ref: str, where: str) -> str:
            raw = ref.strip()
            if re.fullmatch(r"NEWSROOMIMAGE\d+END", raw):  # a Word image, placed below
                return ref
            if re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", raw, re.I) or raw.startswith("data:"):
                return ref
            match = self.find_photo(d, raw, where, base, pool)
            if match not in d.used:
                d.used[match] = d.new_name(nfc(match.stem), match.suffix)
            return (f"{slug}/{d.used[match]}" if where == "Image"
                    else f"{{static}}{slug}/{d.used[match]}")

        if fields.get("image"):
            fields["image"] = local(fields["image"], "Image")
        header.body = _REF_MD.sub(lambda m: m[1] + local(m[2], "Nội dung") + m[3], header.body)
        header.body = _REF_HTML.sub(lambda m: m[1] + local(m[2], "Nội dung") + m[3], header.body)
        for image in d.docx_images:
            name = d.new_name(f"anh-{len(d.taken) + 1}", image["ext"])
            d.images[name] = {"data": image["data"]}
            header.body = header.body.replace(image["token"], f"{{static}}{slug}/{name}")
            if image.get("from_caption"):
                d.outcome.notes.append(f"ảnh {name}: lấy chú thích bên dưới làm mô tả (alt)")
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
                + f" (đã lưu cạnh bài; chèn bằng ![mô tả]({{static}}{slug}/tên-ảnh))")
        others = [p for p in rest if p not in extra]
        for photo in (p for p in others if p.suffix.lower() in _IMAGE_EXTS):
            message, fix = schema.image_problem(photo, self.conf.limits)
            d.early.append(f"ảnh “{_shown(photo, sub.folder)}”: {message}. Cách sửa: {fix}")
        others = [p for p in others if p.suffix.lower() not in _IMAGE_EXTS]
        if others:
            self.refuse(d.outcome, "thư mục bài có tệp không nhận được: "
                        + ", ".join(_shown(p, sub.folder) for p in others),
                        "chỉ để một tệp bài và các ảnh .jpg/.png; bỏ các tệp khác ra")

    def find_photo(self, d: _Draft, ref: str, where: str, base: Path, pool) -> Path:
        """The file a reference in the article names: inside the submission, never a link."""
        clean = unquote(re.sub(r"^\{(static|attach|filename)\}", "", ref)
                        .split("?")[0].split("#")[0])
        if clean.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", clean):
            self.refuse(d.outcome, f"{where}: ảnh “{ref}” là đường dẫn trên máy của bạn, nằm "
                        "ngoài thư mục bài", "chép ảnh vào cùng thư mục với tệp bài và chỉ ghi "
                        "tên ảnh, ví dụ ![mô tả](anh-1.jpg)")
        path = d.sub.doc.parent / clean.replace("\\", "/")
        if path.is_symlink():
            self.refuse(d.outcome, f"{where}: ảnh “{ref}” là liên kết, không phải tệp thật",
                        "chép chính tệp ảnh vào thư mục bài")
        if not _inside(path, base) or not _inside(path, self.dir):
            self.refuse(d.outcome, f"{where}: ảnh “{ref}” trỏ ra ngoài thư mục bài",
                        "chép ảnh vào cùng thư mục với tệp bài và chỉ ghi tên ảnh, ví dụ "
                        "![mô tả](anh-1.jpg)")
        match = next((p for p in pool if p.resolve() == path.resolve()), None)
        if match is None:  # the same name in other case or accents
            wanted = fold(nfc(PurePosixPath(clean).name))
            match = next((p for p in pool if fold(nfc(p.name)) == wanted), None)
        if match is None:
            self.refuse(d.outcome, f"{where}: không tìm thấy ảnh “{ref}” cạnh tệp bài",
                        "gửi kèm ảnh trong cùng thư mục với tệp bài, đúng tên như trong bài")
        return match

    def stage_and_check(self, d: _Draft, stage_root: Path) -> None:
        """Write the article and its photos to a scratch folder laid out like content/, and
        check them there with the one schema and against the site's addresses."""
        fields, header = d.header.fields, d.header
        d.staged = stage_root / d.target.relative_to(self.content)
        d.staged.parent.mkdir(parents=True, exist_ok=True)
        folder = d.staged.with_suffix("")
        for name, image in d.images.items():
            folder.mkdir(exist_ok=True)
            if image.get("src"):
                shutil.copyfile(image["src"], folder / name)
            else:
                (folder / name).write_bytes(image["data"])
        text = render(fields, header.body)
        d.staged.write_text(text, encoding="utf-8")
        # Lines of a text file are the reporter's own; a Word file's are the Markdown's.
        checked = (schema.Header(dict(fields), dict(header.lines), header.body,
                                 header.body_line, list(header.duplicates))
                   if d.lines else schema.split(text))
        values, problems = schema.validate(checked, d.staged, content_root=stage_root,
                                           data_dir=self.data_dir, limits=self.conf.limits)
        d.item = checker.Item(d.target, _shown(d.target, self.content.parent), "article",
                              date=values.get("date"))
        checker._place(d.item, fields, values.get("status", "published"), self.conf)
        d.outcome.url = d.item.url
        others = [o for o in self.existing()
                  if not (d.previous and _same(o.path, d.target))]
        problems += checker.collisions([d.item], others)
        if d.target.exists() and not d.previous:
            problems.append(schema.Problem(
                d.key, 1, "Title",
                f"tiêu đề trùng với bài đã có {_shown(d.target, self.content.parent)}",
                "đổi tiêu đề cho khác; nếu là bản sửa của bài đã gửi thì gửi lại đúng tên "
                "tệp cũ"))
        problems.sort(key=lambda p: p.line)
        errors = [p for p in problems if p.severity == schema.ERROR]
        d.outcome.notes.extend(_say(p, d.lines) for p in problems if p not in errors)
        if errors or d.early:
            d.outcome.problems.extend(d.early)
            d.outcome.problems.extend(_say(p, d.lines) for p in errors)
            raise _Refuse()

    def store(self, d: _Draft, stage_root: Path) -> None:
        """Copy into content/, verify every byte, record in the state file, and only then
        remove the sources from DIR."""
        folder = d.staged.with_suffix("")
        written: list[Path] = []
        try:
            for src in [d.staged, *sorted(folder.glob("*"))]:
                dest = self.content / src.relative_to(stage_root)
                dest.parent.mkdir(parents=True, exist_ok=True)
                tmp = dest.with_name(f".{dest.name}.tmp")
                try:
                    shutil.copyfile(src, tmp)
                    if _sha(tmp) != _sha(src):
                        raise OSError(f"bản chép của {src.name} không khớp bản gốc")
                    os.replace(tmp, dest)
                finally:
                    tmp.unlink(missing_ok=True)
                written.append(dest)
            for name, image in d.images.items():
                if image.get("src") and _sha(image["src"]) != _sha(
                        d.target.with_suffix("") / name):
                    raise OSError(f"ảnh {name} chép vào không khớp ảnh gốc")
        except OSError as exc:
            if not d.previous:
                for path in written:
                    path.unlink(missing_ok=True)
            self.refuse(d.outcome, f"chép vào content/ không thành công ({exc})",
                        "báo cho Ban Tuyên giáo; tệp của bạn vẫn còn nguyên")
        new = {p.relative_to(self.content).as_posix() for p in written}
        for stale in sorted(set(d.previous["files"] if d.previous else ()) - new):
            path = self.content / stale  # photos the resent version no longer has
            if path.is_file():
                path.unlink()
                d.outcome.removed.append(path)
        d.outcome.written, d.outcome.target = written, d.target
        d.outcome.status = UPDATED if d.previous else INGESTED
        if d.previous:
            self.state.hashes.pop(d.previous.get("hash"), None)
        self.state.sources[d.key] = {
            "hash": d.digest, "target": d.target.relative_to(self.content).as_posix(),
            "files": sorted(new), "title": d.outcome.title, "at": vn_datetime(self.now)}
        self.state.hashes[d.digest] = d.key
        self.state.save()
        if self._existing is not None:
            self._existing.append(d.item)
        copied = [*d.used, *(p for p in d.sub.files if d.sub.folder
                               and p.suffix.lower() in schema.IMAGE_EXTENSIONS)]
        self.remove_sources(d.sub, [d.sub.doc, *copied])

    def remove_sources(self, sub: Submission, paths) -> None:
        """Remove what is now safe in content/; then the submission's folder if empty."""
        for path in dict.fromkeys(paths):
            if path.exists() and not path.is_symlink():
                path.unlink()
        if sub.folder and sub.folder.exists():
            for folder in sorted((p for p in sub.folder.rglob("*") if p.is_dir()),
                                 key=lambda p: len(p.parts), reverse=True):
                _rmdir_if_empty(folder)
            _rmdir_if_empty(sub.folder)

    def write_receipt(self, outcome: Outcome) -> None:
        if outcome.receipt is None:
            return
        if outcome.receipt.is_symlink():  # never write through a link planted in DIR
            outcome.receipt.unlink()
        outcome.receipt.write_text(receipt_text(outcome, self.dir, self.content, self.now),
                                   encoding="utf-8")


def _rmdir_if_empty(folder: Path) -> None:
    leftovers = [p for p in folder.iterdir() if p.name.lower() not in JUNK]
    if not leftovers:
        for junk in folder.iterdir():
            junk.unlink()
        folder.rmdir()


def _say(problem: schema.Problem, lines_meaningful: bool) -> str:
    where = f"dòng {problem.line}, " if lines_meaningful and problem.line > 1 else ""
    text = f"{where}{problem.field}: {problem.message}"
    return f"{text}. Cách sửa: {problem.fix}" if problem.fix else text


def receipt_text(outcome: Outcome, source_dir: Path, content_root: Path, now) -> str:
    shown = _shown(outcome.source, source_dir)
    when = vn_datetime(now)
    out = []
    if outcome.status in (INGESTED, UPDATED):
        target = _shown(outcome.target, content_root.parent)
        out += [f"ĐÃ NHẬN BÀI — {when}" if outcome.status == INGESTED else
                f"ĐÃ CẬP NHẬT BÀI — {when}",
                f"Tệp gửi: {shown}", f"Tiêu đề: {outcome.title}",
                f"Bài đã được đưa vào: {target}"]
        images = [p for p in outcome.written if p != outcome.target]
        if images:
            out.append(f"Ảnh ({len(images)}): {_shown(images[0].parent, content_root.parent)}/")
        if outcome.url:
            out.append(f"Địa chỉ trên trang sau khi đăng: /{outcome.url}")
        if outcome.notes:
            out += ["", "Đã tự điền hoặc cần lưu ý:"] + [f"  - {n}" for n in outcome.notes]
        out += ["", "Tệp gốc đã được chuyển vào kho bài; không cần gửi lại. Muốn sửa bài: sửa "
                "tệp của bạn và gửi lại đúng tên tệp cũ vào thư mục này."]
    elif outcome.status == DUPLICATE:
        out += [f"ĐÃ NHẬN TỪ TRƯỚC — {when}", f"Tệp gửi: {shown}",
                f"Tiêu đề: {outcome.title}",
                f"Bài đang ở: {_shown(outcome.target, content_root.parent)}"]
        out += [f"  - {n}" for n in outcome.notes]
        out += ["", "Bản gửi lại giống hệt bản đã nhận nên đã được bỏ đi; không cần làm gì thêm."]
    else:
        out += [f"CHƯA NHẬN BÀI — {when}", f"Tệp gửi: {shown}"]
        if outcome.title:
            out.append(f"Tiêu đề: {outcome.title}")
        out += ["", "Lý do và cách sửa:"] + [f"  - {p}" for p in outcome.problems]
        if outcome.notes:
            out += ["", "Lưu ý thêm:"] + [f"  - {n}" for n in outcome.notes]
        out += ["", "Tệp của bạn vẫn ở nguyên chỗ cũ. Sửa theo hướng dẫn trên rồi lưu lại; "
                "lần tiếp nhận sau sẽ đọc lại tệp."]
    return "\n".join(out) + "\n"


# --- git -------------------------------------------------------------------------------------

def commit(outcomes: list[Outcome], content_root: Path, data_dir=None) -> str | None:
    """Commit the articles ingested or updated, naming the units and titles."""
    done = [o for o in outcomes if o.status in (INGESTED, UPDATED)]
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
           commit_to_git: bool = False, now=None, conf: checker.Conf | None = None) -> Result:
    """Ingest every submission in ``source_dir``; see the module docstring. ``conf``: the
    site's settings as :func:`newsroom.check.load_conf` reads them (default pelicanconf.py)."""
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise FileNotFoundError(f"không có thư mục {source_dir}")
    with locked(source_dir):
        job = Ingest(source_dir, Path(content_root), data_dir, now, conf)
        result = Result(job.run())
        if commit_to_git:
            try:
                result.commit = commit(result.outcomes, Path(content_root), data_dir)
            except (subprocess.CalledProcessError, OSError) as exc:
                detail = getattr(exc, "stderr", "") or str(exc)
                result.commit_error = (detail.decode(errors="replace") if isinstance(
                    detail, bytes) else detail).strip()
    return result


def main(argv=None, out=None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="invoke ingest",
                                     description="Tiếp nhận bài từ thư mục chung.")
    parser.add_argument("--source", required=True, help="thư mục chung (mỗi đơn vị một thư mục)")
    parser.add_argument("--content", default=str(CONTENT), help="thư mục nội dung")
    parser.add_argument("--commit", action="store_true", help="commit các bài đã nhận")
    args = parser.parse_args(argv)
    try:
        result = ingest(args.source, args.content, commit_to_git=args.commit)
    except Busy as exc:
        print(f"Chưa chạy: {exc}.", file=out)
        return 3
    except FileNotFoundError as exc:
        print(f"Chưa chạy: {exc}.", file=out)
        return 2
    source = Path(args.source)
    labels = {INGESTED: "ĐÃ NHẬN", UPDATED: "CẬP NHẬT", DUPLICATE: "ĐÃ CÓ", REFUSED: "CHƯA NHẬN"}
    for o in result.outcomes:
        where = (f" → {_shown(o.target, Path(args.content).parent)}" if o.target else
                 f": {o.problems[0]}" if o.problems else "")
        print(f"{labels[o.status]}: {_shown(o.source, source)}{where}", file=out)
    print(result.summary(), file=out)
    if result.commit:
        print(f"Đã commit {result.commit[:10]}.", file=out)
    if result.commit_error:
        print("Bài đã vào content/ nhưng chưa commit được vào git: "
              f"{result.commit_error}. Hãy commit bằng tay.", file=out)
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main())
