"""``invoke check``: every problem in articles, before they are committed or built.

Reads each file exactly as the build's reader does (``newsroom.core.schema``: decoding, header,
``validate``), then adds what only a view of the whole content can tell: two articles that
would be published at the same address. No Markdown is rendered, so a commit hook can run it.
Problems are printed as ``file:line: field: message. Cách sửa: ...`` in Vietnamese; the exit
status is 1 when there is any error (warnings alone pass).

``--changed`` checks what differs from ``main`` (committed on this branch, staged, modified
or new); ``--staged`` what is about to be committed (the pre-commit hook).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from newsroom.core import schema
from newsroom.core.dates import parse_date
from newsroom.core.paths import ROOT
from newsroom.core.siteconf import Conf, load_conf

CONTENT = ROOT / "content"
MARKDOWN_EXTENSIONS = (".md", ".markdown", ".mkd", ".mdown")
HOOK_MARK = "# newsroom pre-commit hook"
HOOK_MODULE = "newsroom.intake.check"  # what the hook runs (python -m)
CACHE_NAME = "newsroom-check.json"
CACHE_VERSION = 2


@dataclass
class Item:
    """One source file as the checker saw it."""

    path: Path
    shown: str
    kind: str
    title: str = ""
    date: object = None
    slug: str = ""
    url: str | None = None
    line: int = 1  # where the address comes from: the Slug line, else the Title line
    problems: list = field(default_factory=list)


@dataclass
class Report:
    items: list[Item]
    problems: list[schema.Problem]
    seconds: float

    @property
    def errors(self) -> list[schema.Problem]:
        return [p for p in self.problems if p.severity == schema.ERROR]

    @property
    def warnings(self) -> list[schema.Problem]:
        return [p for p in self.problems if p.severity != schema.ERROR]

    def summary(self) -> str:
        n = len(self.items)
        if not self.problems:
            return f"Đã kiểm tra {n} tệp: không có lỗi. ({self.seconds:.2f} giây)"
        return (f"Đã kiểm tra {n} tệp: {len(self.errors)} lỗi, {len(self.warnings)} cảnh báo. "
                f"({self.seconds:.2f} giây)"
                + (" Sửa các lỗi trên rồi chạy lại “invoke check”." if self.errors else ""))


def _abs(path) -> str:
    """Absolute path as a string, without touching the disk (``resolve()`` costs a stat per
    part, and Path objects are slow to build: this runs for every file on every commit)."""
    return os.path.abspath(path)


def _under(path, root) -> str | None:
    """``path`` relative to ``root`` (POSIX), or None when it is not inside."""
    path, root = _abs(path), _abs(root)
    if path.startswith(root.rstrip(os.sep) + os.sep):
        return path[len(root.rstrip(os.sep)) + 1:].replace(os.sep, "/")
    return None


def _kind(path: Path, content_root: Path, conf: Conf) -> str:
    rel = _under(path, content_root)
    if rel is None:
        return "article"
    for prefix in conf.page_paths:
        if rel == prefix or rel.startswith(prefix.rstrip("/") + "/"):
            return "page"
    return "article"


def _ignored_name(name: str, conf: Conf) -> bool:
    from fnmatch import fnmatch

    return name.startswith(".") or any(fnmatch(name, pattern) for pattern in conf.ignore)


def _place(item: Item, fields: dict, status: str, conf: Conf) -> None:
    """Fill the item's slug and the URL the build would publish it at."""
    item.title = fields.get("title", "")
    slug = schema.address_slug(fields.get("slug"), item.title, item.path.stem)
    item.slug = slug
    if not slug:
        return
    if item.kind == "page":
        item.url = conf.page_url.format(slug=slug)
    elif status == "draft":
        item.url = conf.draft_url.format(slug=slug)
    elif item.date is not None:
        item.url = conf.article_url.format(date=item.date, slug=slug)


def _shown(path: Path, content_root: Path) -> str:
    rel = _under(path, os.path.dirname(_abs(content_root)))
    return str(path) if rel is None else rel


def read_item(path: Path, content_root: Path, conf: Conf, data_dir=None) -> Item:
    """Validate one file exactly as the build's reader does."""
    path = Path(path)
    inside = _inside(path, content_root)
    root = content_root if inside else path.parent
    item = Item(path, _shown(path, content_root), _kind(path, content_root, conf))
    try:
        text, problem = schema.read_article(path, item.shown, conf.limits)
    except OSError as exc:
        problem = schema.Problem(item.shown, 1, "Tệp", f"không đọc được tệp ({exc.strerror})",
                                 "kiểm tra lại tệp và quyền đọc")
    if problem is not None:
        item.problems.append(problem)
        return item
    header = schema.split(text)
    values, problems = schema.validate(header, path, kind=item.kind, content_root=root,
                                       data_dir=data_dir, limits=conf.limits)
    if not inside:  # validate() names files relative to the content folder's parent
        problems = [schema.Problem(item.shown, p.line, p.field, p.message, p.fix, p.severity)
                    for p in problems]
    item.problems.extend(problems)
    item.date = values.get("date")
    _place(item, header.fields, values.get("status", "published"), conf)
    item.line = header.lines.get("slug", header.lines.get("title", 1))
    return item


def _inside(path: Path, root: Path) -> bool:
    return _under(path, root) is not None


def _peek(path: Path, content_root: Path, conf: Conf) -> Item | None:
    """Title, date and address of an existing file, from its header only."""
    item = Item(path, _shown(path, content_root), _kind(path, content_root, conf))
    try:
        header = schema.split(schema.read_source(path, conf.limits))
    except (OSError, UnicodeDecodeError):  # schema.TooLarge too: read_item says why
        return None
    fields = header.fields
    try:
        item.date = parse_date(fields["date"]) if fields.get("date") else None
    except ValueError:
        item.date = None
    status = (fields.get("status") or "published").strip().lower()
    _place(item, fields, status, conf)
    item.line = header.lines.get("slug", header.lines.get("title", 1))
    return item


def sources(paths, conf: Conf) -> list[Path]:
    """The Markdown files named by ``paths`` (folders are searched, hidden ones skipped),
    sorted, each once."""
    found: dict[str, None] = {}
    for raw in paths:
        path = str(raw)
        if os.path.isdir(path):
            for folder, dirs, files in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                for name in files:
                    if name.lower().endswith(MARKDOWN_EXTENSIONS) and not _ignored_name(name, conf):
                        found[os.path.join(folder, name)] = None
        elif path.lower().endswith(MARKDOWN_EXTENSIONS) and not _ignored_name(
                os.path.basename(path), conf):
            found[path] = None
    return [Path(p) for p in sorted(found)]


def collisions(items: list[Item], existing: list[Item]) -> list[schema.Problem]:
    """Problems for checked items that share an address (error) or a slug (warning) with
    another item."""
    by_url: dict[str, list[Item]] = {}
    by_slug: dict[str, list[Item]] = {}
    seen = set()
    for item in [*items, *existing]:
        key = _abs(item.path)
        if key in seen:
            continue
        seen.add(key)
        if item.url:
            by_url.setdefault(item.url, []).append(item)
        if item.slug and item.kind == "article":
            by_slug.setdefault(item.slug, []).append(item)
    problems = []
    for item in items:
        line = item.line
        here = _abs(item.path)
        same = [o for o in by_url.get(item.url, ()) if _abs(o.path) != here]
        if same:
            others = ", ".join(o.shown for o in same)
            problems.append(schema.Problem(
                item.shown, line, "Slug",
                f"địa chỉ “/{item.url}” trùng với {others} (cùng tiêu đề hoặc cùng slug)",
                f"đổi tiêu đề cho khác, hoặc thêm dòng “Slug: {item.slug}-2”; nếu đây là bản "
                "sửa của bài kia thì sửa vào tệp cũ thay vì gửi tệp mới"))
            continue
        near = [o for o in by_slug.get(item.slug, ()) if _abs(o.path) != here]
        if item.kind == "article" and near:
            others = ", ".join(o.shown for o in near)
            problems.append(schema.Problem(
                item.shown, line, "Title", f"tiêu đề trùng với {others}",
                "nếu là cùng một bài thì đừng gửi lại; nếu là bài khác, đặt tiêu đề khác",
                schema.WARNING))
    return problems


def existing_items(content_root: Path, conf: Conf, skip=(), cache: Path | None = None
                   ) -> list[Item]:
    """Every item already in the content folder, read from its header only.

    What each file's header says (title, slug, address) is remembered in ``cache`` (default
    ``cache/newsroom-check.json`` beside ``content/``) by size and modification time, so a
    commit hook on a site of tens of thousands of articles reads only the files that changed.
    """
    skip = {_abs(p) for p in skip}
    cache = Path(cache) if cache else Path(_abs(content_root)).parent / "cache" / CACHE_NAME
    signature = repr((conf.article_url, conf.draft_url, conf.page_url, conf.page_paths,
                      CACHE_VERSION))
    try:
        saved = json.loads(cache.read_text(encoding="utf-8"))
        known = saved["files"] if saved.get("signature") == signature else {}
    except (OSError, ValueError, KeyError, TypeError):
        known = {}
    fresh: dict[str, list] = {}
    items = []
    for path in sources([content_root], conf):
        key = _abs(path)
        if key in skip:  # being checked in full anyway
            if key in known:
                fresh[key] = known[key]
            continue
        try:
            stat = os.stat(key)
        except OSError:
            continue
        entry = known.get(key)
        if entry and entry[0] == stat.st_mtime_ns and entry[1] == stat.st_size:
            item = Item(path, _shown(path, content_root), entry[2], title=entry[3],
                        slug=entry[4], url=entry[5], line=entry[6])
        else:
            item = _peek(path, content_root, conf)
            if item is None:
                continue
            entry = [stat.st_mtime_ns, stat.st_size, item.kind, item.title, item.slug,
                     item.url, item.line]
        fresh[key] = entry
        items.append(item)
    if fresh != known:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"signature": signature, "files": fresh},
                                      ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, cache)
        except OSError:
            pass  # a read-only checkout still gets its answer, only slower
    return items


def check(paths=None, content_root: Path | str = CONTENT, *, data_dir=None,
          conf: Conf | None = None, cache: Path | None = None) -> Report:
    """Check ``paths`` (files or folders; default: the whole content folder); ``cache``: see
    :func:`existing_items`."""
    start = time.perf_counter()
    content_root = Path(content_root)
    conf = conf or load_conf()
    files = sources(paths if paths else [content_root], conf)
    items = [read_item(path, content_root, conf, data_dir) for path in files]
    others = existing_items(content_root, conf, skip=files, cache=cache) \
        if content_root.is_dir() else []
    problems = [p for item in items for p in item.problems]
    problems.extend(collisions(items, others))
    problems.sort(key=lambda p: (p.path, p.line, p.severity != schema.ERROR))
    return Report(items, problems, time.perf_counter() - start)


# --- git: what changed, what is staged, the hook --------------------------------------------

def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip() or f"git {' '.join(args)} thất bại")
    return result.stdout


def _articles_for(names, repo: Path, content_root: Path) -> list[Path]:
    """Markdown files behind changed paths: the file itself, or for a photo in
    ``<slug>/`` the article ``<slug>.md`` beside that folder."""
    found: dict[Path, None] = {}
    for name in names:
        if not name:
            continue
        path = repo / name
        if not _inside(path, content_root):
            continue
        if path.suffix.lower() in MARKDOWN_EXTENSIONS:
            if path.is_file():
                found[path] = None
            continue
        folder = path.parent
        while _inside(folder, content_root) and folder != content_root:
            for ext in MARKDOWN_EXTENSIONS:
                article = folder.with_name(folder.name + ext)
                if article.is_file():
                    found[article] = None
            folder = folder.parent
    return list(found)


def changed_files(repo: Path = ROOT, base: str = "main",
                  content_root: Path | None = None) -> list[Path]:
    """Content files that differ from ``base``: committed since the fork point, staged,
    modified in the working tree, or new and untracked."""
    content_root = content_root or repo / "content"
    names: list[str] = []
    try:
        fork = _git(repo, "merge-base", base, "HEAD").strip()
        names += _git(repo, "diff", "--name-only", "--diff-filter=ACMR", fork).splitlines()
    except RuntimeError:
        names += _git(repo, "diff", "--name-only", "--diff-filter=ACMR", "HEAD").splitlines() \
            if _has_head(repo) else []
    names += _git(repo, "diff", "--name-only", "--cached", "--diff-filter=ACMR").splitlines()
    names += _git(repo, "ls-files", "--others", "--exclude-standard").splitlines()
    return _articles_for(names, repo, content_root)


def _has_head(repo: Path) -> bool:
    try:
        _git(repo, "rev-parse", "--verify", "-q", "HEAD")
        return True
    except RuntimeError:
        return False


def staged_files(repo: Path = ROOT, content_root: Path | None = None) -> list[Path]:
    """Content files in the index, about to be committed."""
    content_root = content_root or repo / "content"
    names = _git(repo, "diff", "--name-only", "--cached", "--diff-filter=ACMR").splitlines()
    return _articles_for(names, repo, content_root)


def _hook_path(repo: Path) -> Path:
    hooks = Path(_git(repo, "rev-parse", "--git-path", "hooks").strip())
    return (hooks if hooks.is_absolute() else repo / hooks) / "pre-commit"


def install_hook(repo: Path = ROOT, python: str = sys.executable, force: bool = False) -> Path:
    """Write the pre-commit hook that runs the check on staged content."""
    hook = _hook_path(repo)
    hook.parent.mkdir(parents=True, exist_ok=True)
    if hook.exists() and HOOK_MARK not in hook.read_text(errors="replace") and not force:
        raise FileExistsError(
            f"{hook} đã có một hook khác; xem lại nó, rồi chạy “invoke install-hooks --force” "
            "để thay")
    hook.write_text(
        "#!/bin/sh\n"
        f"{HOOK_MARK}: kiểm tra bài viết trước khi commit (invoke install-hooks).\n"
        "# Bỏ qua một lần: git commit --no-verify\n"
        'top="$(git rev-parse --show-toplevel)" || exit 1\n'
        '# the checked-out tree\'s own code when it has it\n'
        f'code="{ROOT}"; [ -f "$top/newsroom/intake/check.py" ] && code="$top"\n'
        'cd "$top" && PYTHONPATH="$code${PYTHONPATH:+:$PYTHONPATH}" '
        f'exec "{python}" -m {HOOK_MODULE} --staged --content "$top/content"\n',
        encoding="utf-8")
    hook.chmod(0o755)
    return hook


def refresh_hook(repo: Path = ROOT) -> Path | None:
    """Write again a hook of :func:`install_hook` that runs the checker by an older module
    path (``-m newsroom.check``, before the library was split by flow), with the same Python:
    such a hook would refuse every commit. Returns the hook rewritten, or None."""
    try:
        hook = _hook_path(repo)
        text = hook.read_text(encoding="utf-8", errors="replace")
    except (OSError, RuntimeError):
        return None
    if HOOK_MARK not in text or f" -m {HOOK_MODULE} " in text:
        return None
    python = re.search(r'exec "([^"]+)" -m ', text)
    return install_hook(repo, python.group(1) if python else sys.executable, force=True)


# --- command line ----------------------------------------------------------------------------

def main(argv=None, out=None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="invoke check",
                                     description="Kiểm tra bài viết như khi dựng trang.")
    parser.add_argument("paths", nargs="*", help="tệp hoặc thư mục (mặc định: content/)")
    parser.add_argument("--changed", action="store_true", help="chỉ các tệp khác với main")
    parser.add_argument("--staged", action="store_true", help="chỉ các tệp sắp commit")
    parser.add_argument("--base", default="main", help="nhánh so sánh cho --changed")
    parser.add_argument("--content", default=str(CONTENT), help="thư mục nội dung")
    args = parser.parse_args(argv)
    content_root = Path(args.content)
    repo = content_root.resolve().parent
    paths = list(args.paths)
    if args.changed or args.staged:
        try:
            picked = (staged_files(repo, content_root.resolve()) if args.staged else
                      changed_files(repo, args.base, content_root.resolve()))
        except (RuntimeError, OSError) as exc:
            print(f"Không hỏi được git: {exc}", file=out)
            return 2
        if not picked:
            print("Không có bài viết nào thay đổi; không có gì để kiểm tra.", file=out)
            return 0
        paths += [str(p) for p in picked]
    report = check(paths or None, content_root)
    for problem in report.problems:
        print(problem, file=out)
    print(report.summary(), file=out)
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
