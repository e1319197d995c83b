"""The tree a publish builds: exactly the commit (HEAD) of the git repository holding the content.

``invoke publish`` never builds the working folders. It moves a detached git worktree of the
repository (``PUBLISH_WORKDIR/tree``, by default ``cache/publish/tree``) to HEAD and removes
every untracked and ignored file from it, then builds there; an article not committed, or kept
in a folder that ``.gitignore`` leaves out, cannot reach the site, and the commit written in the
release log is the one that was built. The worktree stays between publishes: git rewrites only
the files a commit changed, so the others keep their modification time and the build caches
(which know files by path, size and time) stay warm.

Paths of the project outside that repository (code used from another checkout, say) are used
as they are; :func:`pending` names their uncommitted changes like the others.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


class SnapshotError(RuntimeError):
    """No committed tree to build: the message says why and what to do."""


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    # no hook of the repository runs for the publish's own checkouts
    return subprocess.run(["git", "-c", "core.hooksPath=/dev/null", "-C", str(cwd), *args],
                          capture_output=True, text=True)


def _top(folder: Path) -> Path | None:
    found = _git(folder, "rev-parse", "--show-toplevel")
    return Path(found.stdout.strip()).resolve() if found.returncode == 0 else None


@dataclass(frozen=True)
class Snapshot:
    """``tree`` holds exactly ``commit`` of the repository whose work tree is ``repo``."""

    repo: Path
    tree: Path
    commit: str

    def holds(self, path: str | Path) -> bool:
        """Whether ``path`` is in the repository (and so taken from the commit)."""
        return Path(path).resolve().is_relative_to(self.repo)

    def map(self, path: str | Path) -> Path:
        """Where ``path`` of the repository's work tree is in the snapshot; a path outside the
        repository is returned as it is."""
        resolved = Path(path).resolve()
        if not resolved.is_relative_to(self.repo):
            return Path(path)
        return self.tree / resolved.relative_to(self.repo)


@dataclass
class Pending:
    """What the work tree holds that the commit does not (paths as git shows them)."""

    changed: list[str] = field(default_factory=list)  # modified, new, deleted: in the repository
    loose: list[str] = field(default_factory=list)  # uncommitted, outside it: built as they are
    ignored: list[str] = field(default_factory=list)  # articles that .gitignore leaves out

    def __bool__(self) -> bool:
        return bool(self.changed or self.loose)


def _status(where: Path, pathspec: str, ignored: bool = False) -> list[tuple[str, str]]:
    """``(code, path relative to the repository top)`` of git status -z for ``pathspec``."""
    args = ["status", "--porcelain", "-z", "--untracked-files=all"]
    if ignored:
        args.append("--ignored")  # with -uall: every ignored file by name
    out = _git(where, *args, "--", pathspec).stdout.split("\0")
    entries, skip = [], False
    for item in out:
        if skip or not item:
            skip = False
            continue
        code, path = item[:2], item[3:]
        skip = code[0] in "RC"  # a rename is followed by its old path
        entries.append((code, path))
    return entries


def pending(content: Path, extra: list[Path]) -> Pending:
    """Uncommitted changes of the content folder and the ``extra`` project paths, and the
    articles in the content folder that git ignores."""
    result = Pending()
    repo = _top(content)
    if repo is None:
        raise SnapshotError(f"Thư mục nội dung “{content}” không nằm trong kho git: chỉ xuất "
                            "bản được nội dung đã commit. Cách sửa: đưa thư mục vào kho git "
                            "của dự án (git add, git commit) rồi chạy lại.")
    for code, path in _status(content, ".", ignored=True):
        if code == "!!":
            if path.endswith((".md", ".markdown")):
                result.ignored.append(path)
        else:
            result.changed.append(path)
    for path in extra:
        if not path.exists():
            continue
        where = path if path.is_dir() else path.parent
        top = _top(where)
        if top is None:
            continue
        names = [name for _, name in _status(where, path.name if path.is_file() else ".")]
        (result.changed if top == repo else result.loose).extend(
            n for n in names if n not in result.changed)
    return result


def _is_worktree_of(tree: Path, repo: Path) -> bool:
    if not (tree / ".git").is_file() or _top(tree) != tree.resolve():
        return False
    ours = _git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir").stdout.strip()
    theirs = _git(tree, "rev-parse", "--path-format=absolute", "--git-common-dir").stdout.strip()
    return bool(ours) and ours == theirs


def _replaceable(tree: Path) -> bool:
    """An empty folder, or a git worktree (of another repository, or one git forgot)."""
    return tree.is_dir() and (not any(tree.iterdir()) or (tree / ".git").is_file())


def _checkout(repo: Path, tree: Path, commit: str) -> None:
    if _is_worktree_of(tree, repo):
        done = _git(tree, "checkout", "-q", "--force", "--detach", commit)
    else:  # first publish, or the folder was removed, moved or belongs to another repository
        if tree.is_symlink() or (tree.exists() and not _replaceable(tree)):
            raise SnapshotError(f"Thư mục dựng “{tree}” đã có sẵn và không phải bản dựng của "
                                "lần xuất bản trước. Cách sửa: chọn thư mục khác cho "
                                "PUBLISH_WORKDIR, hoặc tự xóa thư mục đó nếu không cần.")
        if tree.exists():
            shutil.rmtree(tree)
        tree.parent.mkdir(parents=True, exist_ok=True)
        _git(repo, "worktree", "prune")
        done = _git(repo, "worktree", "add", "-q", "--force", "--detach", str(tree), commit)
    if done.returncode != 0:
        raise SnapshotError(f"Không lấy được commit {commit[:12]} vào “{tree}”: "
                            f"{done.stderr.strip() or done.returncode}. Cách sửa: xóa thư mục đó "
                            "rồi chạy lại (nó được tạo lại từ kho git).")
    _git(tree, "clean", "-q", "-ffdx")


def take(content: Path, tree: Path) -> Snapshot:
    """Put HEAD of the repository holding ``content`` into the worktree ``tree``, with nothing
    else in it, and check that it is so."""
    repo = _top(content)
    if repo is None:
        raise SnapshotError(f"Thư mục nội dung “{content}” không nằm trong kho git.")
    head = _git(content, "rev-parse", "--verify", "-q", "HEAD^{commit}")
    commit = head.stdout.strip()
    if head.returncode != 0 or not commit:
        raise SnapshotError(f"Kho git “{repo}” chưa có commit nào: chưa có gì để xuất bản. "
                            "Cách sửa: git add + git commit nội dung rồi chạy lại.")
    tree = Path(os.path.abspath(tree))
    if tree.is_relative_to(repo) and not _git(repo, "check-ignore", "-q", str(tree)).returncode == 0:
        raise SnapshotError(f"Thư mục dựng “{tree}” nằm trong kho git mà git không bỏ qua. "
                            "Cách sửa: đặt PUBLISH_WORKDIR ở một thư mục được .gitignore bỏ qua "
                            "(mặc định cache/publish) hoặc ngoài kho.")
    _checkout(repo, tree, commit)
    built = _git(tree, "rev-parse", "HEAD").stdout.strip()
    extra = _git(tree, "status", "--porcelain", "--ignored", "--untracked-files=all").stdout
    if built != commit or extra.strip():
        raise SnapshotError(f"Thư mục dựng “{tree}” không đúng commit {commit[:12]} "
                            f"({built[:12] or 'không rõ'}; {len(extra.splitlines())} tệp lạ). "
                            "Cách sửa: xóa thư mục đó rồi chạy lại.")
    return Snapshot(repo, tree, commit)
