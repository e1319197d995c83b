"""The search index in parts, one Pagefind bundle per part, made one part at a time.

Pagefind 1.5 holds a whole index in memory while it writes it: about 250 KB for each article,
2.5 GB for 10,000 articles in one bundle. So the article pages are indexed in parts that follow
each other in time, into ``<output>/pagefind/<part>/``, one part after the other, each of
``SEARCH["part_size"]`` articles at most (1500: some 400 MB for Pagefind): years with few
articles share a part, a year with more is split into runs of months (:func:`part_names`).
``<output>/pagefind/shards.json`` lists the parts, newest first. The search page loads the
newest part and merges the others into it (Pagefind's ``mergeIndex``), each with a ``part``
filter; results sorted by date are gathered a part at a time, in time order
(``theme/static/js/search.js``).

A part is made again only when what Pagefind reads in it changed: the ``data-pagefind-body``
element of each of its pages and the page's language (its fingerprint is kept in the cache
folder, a file per output folder, with the fingerprint of the bundle it gave). Editing an
article reindexes its own part only; a page outside the article body (related stories, previous
and next links) changing reindexes nothing. Each part is written beside the old one
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
import subprocess
import sys
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


def part_names(dates, size: int) -> list[str]:
    """The part of the index of each date (``datetime``s, in order), each part near ``size``
    pages at most:

    - years with few pages share a part, counted from the oldest: "2020-2022" (a new article
      changes the newest part only, as the paging of lists does);
    - a year alone: "2023";
    - a year with more than ``size`` pages is split into the fewest runs of whole months of equal
      length, each named by its first month: "2025-07" (July to December).
    """
    per_year: dict[int, int] = {}
    for date in dates:
        per_year[date.year] = per_year.get(date.year, 0) + 1
    runs = {year: next((k for k in _SPLITS if count <= size * k), _SPLITS[-1])
            for year, count in per_year.items()}
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


def fingerprint(site: Path, salt: str) -> str:
    """The fingerprint of the pages of one part (a folder of links to them)."""
    digest = hashlib.blake2b(salt.encode(), digest_size=20)
    for folder, dirs, files in os.walk(site):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            with open(path, "rb") as page:
                body = body_bytes(page.read())
            digest.update(os.path.relpath(path, site).encode() + b"\0")
            digest.update(hashlib.blake2b(body, digest_size=20).digest())
    return digest.hexdigest()


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


def run(job: dict) -> int:
    """Make the parts of ``job``; return how many were made (the others were up to date)."""
    links, bundle = Path(job["links"]), Path(job["bundle"])
    parts = job["parts"]  # newest first
    state_path = None
    if job.get("state"):  # a file per output folder: builds of other outputs keep theirs
        name = hashlib.blake2b(str(bundle).encode(), digest_size=8).hexdigest()
        state_path = Path(job["state"]) / f"{name}.json"
    state = {}
    if state_path is not None:
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            state = {}
    if state.get("bundle") != str(bundle):
        state = {}
    known = state.get("parts", {})
    bundle.mkdir(parents=True, exist_ok=True)
    made, kept = 0, {}
    salt = json.dumps(job["salt"])  # Pagefind's version and options
    for name in parts:
        if job.get("parent") and os.getppid() != job["parent"]:
            raise RuntimeError("bản dựng đã dừng giữa chừng; chỉ mục sẽ làm tiếp ở lần dựng sau")
        part = bundle / name
        mark = fingerprint(links / name, salt)
        before = known.get(name)
        if before and before[0] == mark and before[1] == entry_hash(part):
            kept[name] = before
            _keep_tree(part)
            continue
        build_part(job["command"], links / name, part)
        kept[name] = [mark, entry_hash(part)]
        made += 1
        if state_path is not None:  # after each part: a run stopped midway keeps what it made
            _save(state_path, bundle, {**known, **kept})
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
    if state_path is not None:
        _save(state_path, bundle, kept)
    return made


def _keep_tree(path: Path) -> None:
    """Say that this run produced the files of ``path`` (a part kept as it was, or a file):
    their change time becomes now, their modification time stays, as
    ``newsroom.core.safefs.keep`` does (a publish's kept build folder removes what no step of the
    build touched; this program runs apart from the project's modules)."""
    files = [path] if not path.is_dir() else [p for p in path.rglob("*") if not p.is_dir()]
    for file in files:
        found = os.stat(file, follow_symlinks=False)
        os.utime(file, ns=(found.st_atime_ns, found.st_mtime_ns), follow_symlinks=False)


def _save(path: Path, bundle: Path, parts: dict) -> None:
    """Keep the fingerprints for the next run; if that fails, the next run makes every part."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps({"bundle": str(bundle), "parts": parts},
                                        sort_keys=True), encoding="utf-8")
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
        made = run(job)
    except (OSError, RuntimeError) as exc:
        _say("LỖI", str(exc))
        return 1
    _say("XONG", f"{made}/{len(job['parts'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
