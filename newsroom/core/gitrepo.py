"""The project's git repository as the tasks use it: who is working (git's ``user.name`` and
``user.email``, written in the publish log and on commits) and committing the files a task
wrote (``invoke clip --commit``), leaving anything else staged or changed as it was."""
from __future__ import annotations

import getpass
import socket
import subprocess
from pathlib import Path


class GitError(RuntimeError):
    """A git step failed: the message says why and what to do, in Vietnamese."""


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True)


def top(folder: Path) -> Path | None:
    """The work tree holding ``folder``, or None outside any repository."""
    found = _git(folder, "rev-parse", "--show-toplevel")
    return Path(found.stdout.strip()).resolve() if found.returncode == 0 else None


def identity(folder: Path) -> str:
    """"Name <email>" as git would sign a commit in ``folder``; if git has no name set, the
    system account and machine ("deploy@may-xuat-ban"), never "unknown"."""
    name = _git(folder, "config", "user.name").stdout.strip()
    email = _git(folder, "config", "user.email").stdout.strip()
    if name or email:
        return f"{name} <{email}>".strip() if email else name
    return f"{getpass.getuser()}@{socket.gethostname()}"


def commit(folder: Path, paths: list[Path], message: str) -> str:
    """Commit exactly ``paths`` (new or changed) in the repository holding ``folder``; return
    the commit. Other staged or changed files are left as they were."""
    repo = top(folder)
    if repo is None:
        raise GitError(f"“{folder}” không nằm trong kho git nào. Cách sửa: dùng thư mục dữ liệu "
                       "của dự án (đã clone bằng git), hoặc bỏ --commit.")
    names = [str(Path(p).resolve()) for p in paths]
    for step in (["add", "--", *names], ["commit", "-q", "-m", message, "--", *names]):
        done = _git(repo, *step)
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip()
            if "Please tell me who you are" in detail or "empty ident" in detail:
                raise GitError("git chưa biết tên người commit. Cách sửa: git config --global "
                               "user.name \"Họ Tên\" && git config --global user.email "
                               "\"ten@congdoantkv.vn\", rồi chạy lại.")
            raise GitError(f"git {step[0]} thất bại: {detail.splitlines()[-1] if detail else done.returncode}")
    return _git(repo, "rev-parse", "HEAD").stdout.strip()
