"""The search index in parts, one Pagefind bundle per part, made one part at a time.

Pagefind 1.5 holds a whole index in memory while it writes it: about 250 KB for each article,
2.5 GB for 10,000 articles in one bundle. So the article pages are indexed in parts that follow
each other in time, into ``<output>/pagefind/<part>/``, one part after the other, each of
``SEARCH["part_size"]`` articles at most (1500: some 400 MB for Pagefind): years with few
articles share a part, a year with more is split into runs of months, and the newest year, where
articles are added and corrected, is split into months once it holds more than
``SEARCH["recent_size"]`` articles (:func:`part_names`).
``<output>/pagefind/shards.json`` lists the parts, newest first. The search page loads the
newest part and merges the others into it (Pagefind's ``mergeIndex``), each with a ``part``
filter; results sorted by date are gathered a part at a time, in time order
(``theme/static/js/search.js``).

A part is made again only when what Pagefind reads in it changed: the ``data-pagefind-body``
element of each of its pages and the page's language (its fingerprint is kept in the cache
folder, a file per output folder, with the fingerprint of the bundle it gave, and the hash of
each page keyed by its stat: :class:`PageHashes`, so only the pages written since are read).
Editing an article reindexes its own part only; a page outside the article body (related
stories, previous and next links) changing reindexes nothing. Only the parts made again are
given to Pagefind, as a folder of links to their pages. Each part is written beside the old one
(``<part>.moi``) and put in its place when complete, so the search page keeps working while a
live session reindexes.

This file is run as a program in its own process (:func:`main`, a job file as its argument)
so that the build goes on while the parts are made, and only one Pagefind runs at a time.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

try:
    from .bundle import UnknownBundle, stabilize
except ImportError:  # run as a program: this folder is first on sys.path
    from bundle import UnknownBundle, stabilize

LIST = "shards.json"
#: What Pagefind writes for its ready-made search interfaces; the search page (search.js) uses
#: its JavaScript API only, so these are not published (about 400 KB a part).
UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-component-ui.js",
          "pagefind-component-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-highlight.js")
_ARTICLE = re.compile(rb"<article\b|</article>")
_LANG = re.compile(rb"<html[^>]*\blang=\"([^\"]*)\"")
_BODY = b"data-pagefind-body"


#: How a year may be split: into 1, 2, 3, 4, 6 or 12 runs of whole months.
_SPLITS = (1, 2, 3, 4, 6, 12)


def part_names(dates, size: int, recent: int = 0) -> list[str]:
    """The part of the index of each date (``datetime``s, in order), each part near ``size``
    pages at most:

    - years with few pages share a part, counted from the oldest: "2020-2022" (a new article
      changes the newest part only, as the paging of lists does);
    - a year alone: "2023";
    - a year with more than ``size`` pages is split into the fewest runs of whole months of equal
      length, each named by its first month: "2025-07" (July to December);
    - the newest year (of the newest date), once it has more than ``recent`` pages (0: never),
      is split into months, a part each: "2026-11". That is where articles are added and
      corrected: one reindexes a month's articles, not a year's. When a newer year begins,
      its months merge back into one part (made once).
    """
    per_year: dict[int, int] = {}
    for date in dates:
        per_year[date.year] = per_year.get(date.year, 0) + 1
    runs = {year: next((k for k in _SPLITS if count <= size * k), _SPLITS[-1])
            for year, count in per_year.items()}
    if per_year and recent > 0 and per_year[max(per_year)] > recent:
        runs[max(per_year)] = 12
    group: dict[int, str] = {}  # year -> its part, for the years that are not split
    members: list[int] = []
    total = 0

    def close():
        name = str(members[0]) if len(members) == 1 else f"{members[0]}-{members[-1]}"
        group.update(dict.fromkeys(members, name))

    for year in sorted(per_year):
        if runs[year] > 1:  # a part never spans a split year: parts follow each other in time
            if members:
                close()
            members, total = [], 0
            continue
        if members and total + per_year[year] > size:
            close()
            members, total = [], 0
        members.append(year)
        total += per_year[year]
    if members:
        close()
    names = []
    for date in dates:
        k = runs[date.year]
        if k == 1:
            names.append(group[date.year])
        else:
            first = (date.month - 1) // (12 // k) * (12 // k) + 1
            names.append(f"{date.year}-{first:02d}")
    return names


def body_bytes(page: bytes) -> bytes:
    """What Pagefind reads of ``page``: the language and the ``data-pagefind-body`` article
    (nested articles counted); the whole page when it is laid out otherwise."""
    lang = _LANG.search(page)
    start = page.find(_BODY)
    if start < 0:
        return page
    depth = 1
    for tag in _ARTICLE.finditer(page, start):
        depth += 1 if tag.group() != b"</article>" else -1
        if depth == 0:
            return (lang.group(1) if lang else b"") + b"\0" + page[start:tag.end()]
    return page


#: A page whose modification time is this close to the moment the pages were looked at is
#: read again at the next run: it may have been written again within the same tick of the file
#: system's clock, with the same size, after it was read.
RACY_NS = 2_000_000_000


class PageHashes:
    """What Pagefind reads of each page (:func:`body_bytes`), as a hash, kept between runs
    keyed by the page's size, modification time (ns) and inode: a page whose stat did not move
    is not read again (a build writes only the pages whose bytes change, and a page written
    again gets a new modification time or, written through a new file, a new inode).

    ``known`` is what the last run kept (``{page: [size, mtime_ns, inode, hash]}``) and
    ``checked`` when that run looked at the pages (ns, the clock of file times): a page whose
    modification time is within :data:`RACY_NS` of it is read again anyway, since a second
    write in the same clock tick with the same size would leave its stat as it was."""

    def __init__(self, output: Path, known: dict, checked: int):
        self.output = os.path.realpath(output)
        self.known, self.checked = known, checked
        self.now = time.time_ns()  # before any page is looked at
        self.kept: dict[str, list] = {}
        self.read = 0

    def get(self, page: str) -> str | None:
        """The hash of ``page`` (a path under the output), None if it is not a file."""
        try:
            found = os.stat(os.path.join(self.output, page))
        except OSError:
            return None
        if not stat.S_ISREG(found.st_mode):
            return None
        key = [found.st_size, found.st_mtime_ns, found.st_ino]
        old = self.known.get(page)
        if old and old[:3] == key and found.st_mtime_ns < self.checked - RACY_NS:
            self.kept[page] = old
            return old[3]
        try:
            with open(os.path.join(self.output, page), "rb") as handle:
                body = body_bytes(handle.read())
        except OSError:
            return None
        self.read += 1
        entry = self.kept[page] = [*key, hashlib.blake2b(body, digest_size=20).hexdigest()]
        return entry[3]


def fingerprint(pages: list[str], hashes: PageHashes, salt: str) -> tuple[str, list[str]]:
    """The fingerprint of the pages of one part, and those of its pages that are files."""
    digest = hashlib.blake2b(salt.encode(), digest_size=20)
    present = []
    for page in sorted(pages):
        found = hashes.get(page)
        if found is None:
            continue
        present.append(page)
        digest.update(page.encode("utf-8", "surrogateescape") + b"\0" + bytes.fromhex(found))
    return digest.hexdigest(), present


def link_pages(output: Path, pages, folder: Path) -> int:
    """Fill ``folder`` with links to ``pages`` (paths relative to ``output``) at the same
    relative paths, so Pagefind gives them the same URLs; return how many were linked."""
    root, into = os.path.realpath(output), str(folder)
    made: set[str] = set()
    linked = 0
    for page in pages:
        target = os.path.join(root, page)
        if not os.path.isfile(target):
            continue
        link = os.path.join(into, page)
        parent = os.path.dirname(link)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        os.symlink(target, link)
        linked += 1
    return linked


def entry_hash(part: Path) -> str | None:
    try:
        return hashlib.blake2b((part / "pagefind-entry.json").read_bytes(),
                               digest_size=20).hexdigest()
    except OSError:
        return None


def _say(kind: str, text: str) -> None:
    print(f"{kind}: {text}", flush=True)


def build_part(command: list[str], site: Path, part: Path) -> None:
    """Index ``site`` into ``part`` (through ``<part>.moi``, put in place when complete)."""
    new = part.with_name(part.name + ".moi")
    shutil.rmtree(new, ignore_errors=True)
    done = subprocess.run([*command, "--site", str(site), "--output-path", str(new)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    said = done.stdout.decode("utf-8", "replace").strip()
    if done.returncode != 0:
        shutil.rmtree(new, ignore_errors=True)
        raise RuntimeError(f"Pagefind báo lỗi khi tạo phần chỉ mục {part.name}:\n{said}")
    if not (new / "pagefind.js").is_file():
        raise RuntimeError(f"Pagefind không tạo ra pagefind.js cho phần chỉ mục {part.name}")
    try:
        stabilize(new)
    except UnknownBundle as exc:  # another Pagefind: its bundle works, only names vary
        _say("CẢNH BÁO", f"không sắp lại được phần chỉ mục {part.name} ({exc}); tên tệp bộ lọc "
                         "sẽ đổi sau mỗi lần dựng")
    for name in UNUSED:
        (new / name).unlink(missing_ok=True)
    old = part.with_name(part.name + ".cu")
    shutil.rmtree(old, ignore_errors=True)
    if part.exists():
        os.rename(part, old)
    os.rename(new, part)
    shutil.rmtree(old, ignore_errors=True)


def _load(job: dict, bundle: Path) -> tuple[Path | None, dict]:
    """Where the state of this output's index is kept (a file per output folder: builds of
    other outputs keep theirs), and what it holds (empty if unreadable or another bundle's)."""
    if not job.get("state"):
        return None, {}
    name = hashlib.blake2b(str(bundle).encode(), digest_size=8).hexdigest()
    path = Path(job["state"]) / f"{name}.json"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return path, {}
    if not isinstance(state, dict) or state.get("bundle") != str(bundle):
        return path, {}
    return path, state


def run(job: dict) -> tuple[int, int]:
    """Make the parts of ``job``; return how many were made (the others were up to date) and
    how many there are.

    ``job["pages"]`` gives the pages of each part (paths under ``job["output"]``),
    ``job["parts"]`` their order (newest first). Only the parts made again are linked into
    ``job["links"]`` for Pagefind."""
    links, bundle = Path(job["links"]), Path(job["bundle"])
    state_path, state = _load(job, bundle)
    known = state.get("parts", {})
    pages = state.get("pages")
    hashes = PageHashes(Path(job["output"]), pages if isinstance(pages, dict) else {},
                        state.get("checked", 0) if isinstance(state.get("checked"), int) else 0)
    salt = json.dumps(job["salt"])  # Pagefind's version and options
    marks = {}
    for name in job["parts"]:
        mark, present = fingerprint(job["pages"][name], hashes, salt)
        if present:
            marks[name] = (mark, present)
    parts = [name for name in job["parts"] if name in marks]
    if not parts:  # no article page: no index
        shutil.rmtree(bundle, ignore_errors=True)
        return 0, 0
    bundle.mkdir(parents=True, exist_ok=True)
    made, kept = 0, {}
    for name in parts:
        if job.get("parent") and os.getppid() != job["parent"]:
            raise RuntimeError("bản dựng đã dừng giữa chừng; chỉ mục sẽ làm tiếp ở lần dựng sau")
        part = bundle / name
        mark, present = marks[name]
        before = known.get(name)
        if before and before[0] == mark and before[1] == entry_hash(part):
            kept[name] = before
            _keep_tree(part)
            continue
        link_pages(Path(job["output"]), present, links / name)
        build_part(job["command"], links / name, part)
        kept[name] = [mark, entry_hash(part)]
        made += 1
        if state_path is not None:  # after each part: a run stopped midway keeps what it made
            _save(state_path, bundle, {**known, **kept})  # (and reads every page again)
    _list(bundle, parts, kept)
    if state_path is not None:
        _save(state_path, bundle, kept, hashes)
    return made, len(parts)


def _list(bundle: Path, parts: list[str], kept: dict) -> None:
    """Write the list of parts, then remove everything else from the bundle folder."""
    # The new list first, so that a search page never reads a part removed below.
    listing = json.dumps({"parts": parts}, ensure_ascii=False) + "\n"
    listed = bundle / LIST
    if not listed.is_file() or listed.read_text(encoding="utf-8") != listing:
        listed.write_text(listing, encoding="utf-8")
    else:
        _keep_tree(listed)
    # Nothing else in the folder: parts without articles any more, a bundle of the old
    # single-index layout, parts left half made by a run that was stopped.
    for other in bundle.iterdir():
        if other.name not in kept and other.name != LIST:
            if other.is_dir() and not other.is_symlink():
                shutil.rmtree(other)
            else:
                other.unlink()


def _keep_tree(path: Path) -> None:
    """Say that this run produced the files of ``path`` (a part kept as it was, or a file):
    their change time becomes now, their modification time stays, as
    ``newsroom.core.safefs.keep`` does (a publish's kept build folder removes what no step of the
    build touched; this program runs apart from the project's modules)."""
    files = [path] if not path.is_dir() else [p for p in path.rglob("*") if not p.is_dir()]
    for file in files:
        found = os.stat(file, follow_symlinks=False)
        os.utime(file, ns=(found.st_atime_ns, found.st_mtime_ns), follow_symlinks=False)


def _save(path: Path, bundle: Path, parts: dict, hashes: PageHashes | None = None) -> None:
    """Keep the fingerprints for the next run, and the page hashes if given (some 1.6 MB at
    10,000 articles); if that fails, the next run makes every part."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    state = {"bundle": str(bundle), "parts": parts}
    if hashes is not None:
        state.update(checked=hashes.now, pages=hashes.kept)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        _say("CẢNH BÁO", f"không ghi được {path} ({exc}); lần dựng sau sẽ tạo lại toàn bộ chỉ mục")


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    if job.get("background"):  # a live session: the next update comes first
        try:
            os.nice(10)
        except OSError:
            pass
    try:
        made, parts = run(job)
    except (OSError, RuntimeError) as exc:
        _say("LỖI", str(exc))
        return 1
    _say("XONG", f"{made}/{parts}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
