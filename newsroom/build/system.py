"""Debian packages the tests drive for real (browser, SSH server, web server...).

The list lives in ``.ci/apt-packages.txt``; ``.ci/run`` and ``invoke test`` both install it, so
a fresh machine runs the whole suite with nothing skipped. When another program (automatic
updates, another engineer's ``apt-get``) holds the apt/dpkg lock, apt-get waits for it up to
:data:`LOCK_WAIT` seconds and a Vietnamese line says so; any failure of apt ends with a
Vietnamese message, never a traceback.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from newsroom.core.paths import APT_PACKAGES as LIST

#: Seconds apt-get waits for a lock another program holds (apt's DPkg::Lock::Timeout).
LOCK_WAIT = 600
#: What apt prints about a lock it waits for, or gave up waiting for.
_LOCK = re.compile(r"Waiting for cache lock|Could not get lock|Unable to acquire the dpkg "
                   r"frontend lock|Unable to lock directory", re.I)
_HOLDER = re.compile(r"held by process (\d+)(?: \(([^)]*)\))?")


class AptError(SystemExit):
    """apt-get failed: the message says which step, why and what to do."""


def packages() -> list[str]:
    lines = LIST.read_text(encoding="utf-8").splitlines() if LIST.exists() else []
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def missing(wanted: list[str] | None = None) -> list[str]:
    wanted = packages() if wanted is None else wanted
    if not wanted or not shutil.which("dpkg-query"):
        return []
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${db:Status-Abbrev}\n", *wanted],
        capture_output=True, text=True)
    installed = {line.split()[0] for line in result.stdout.splitlines()
                 if len(line.split()) > 1 and line.split()[1].startswith("ii")}
    return [name for name in wanted if name not in installed]


def _holder(text: str) -> str:
    """Who holds the lock, as apt says it ("held by process 4321 (unattended-upgr)")."""
    found = _HOLDER.search(text)
    if found:
        return f"chương trình {found[2] or 'khác'} (PID {found[1]})"
    return "một chương trình khác"


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g} phút" if seconds >= 60 else f"{seconds:g} giây"


def _run(argv: list[str], env: dict, say: Callable[[str], None], told: list,
         wait: float) -> tuple[int, str]:
    """Run apt-get, passing its lines on; say once (in Vietnamese) that it waits for a lock."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            text=True, errors="replace")
    tail: list[str] = []
    for line in proc.stdout:
        sys.stdout.write(line)
        tail = (tail + [line.rstrip()])[-20:]
        if _LOCK.search(line) and not told:
            told.append(True)
            say(f"Đang chờ {_holder(line)} dùng xong apt/dpkg (tối đa {_duration(wait)}); "
                "lệnh sẽ tự chạy tiếp, không cần làm gì.")
    return proc.wait(), "\n".join(tail)


def apt_get(args: list[str], say: Callable[[str], None] | None = None, *,
            wait: float = LOCK_WAIT, every: float = 5) -> None:
    """Run ``apt-get ARGS``, waiting up to ``wait`` seconds for a lock another program holds
    (apt's own wait, and for ``apt-get update``, whose lists lock apt does not wait for, a
    new try every ``every`` seconds); raise :class:`AptError` in Vietnamese on failure."""
    say = say or (lambda line: print(line, file=sys.stderr, flush=True))
    argv = ["apt-get", "-o", f"DPkg::Lock::Timeout={int(wait)}", *args]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C.UTF-8"}
    step = f"apt-get {args[0]}"
    deadline, told = time.monotonic() + wait, []
    while True:
        try:
            code, text = _run(argv, env, say, told, wait)
        except OSError as exc:
            raise AptError(f"Không chạy được {step}: {exc}. Cách sửa: cài các gói trong "
                           ".ci/apt-packages.txt bằng trình quản lý gói của máy.") from None
        lock = _LOCK.search(text) if code else None
        if not lock or time.monotonic() + every > deadline:
            break
        time.sleep(every)
    if code == 0:
        return
    if lock:
        raise AptError(f"{step} không chạy được: {_holder(text)} vẫn giữ khóa apt/dpkg sau "
                       f"{_duration(wait)} chờ. Cách sửa: đợi chương trình đó xong (xem bằng "
                       "`ps -p PID`) rồi chạy lại lệnh; đừng xóa tệp khóa.")
    lines = text.splitlines()
    errors = [line for line in lines if line.startswith(("E:", "W:"))] or lines[-3:]
    raise AptError(f"{step} thất bại (mã {code}):\n  " + "\n  ".join(errors)
                   + "\nCách sửa: kiểm tra mạng và nguồn gói (/etc/apt/sources.list) rồi chạy "
                   "lại lệnh; hoặc tự cài các gói trong .ci/apt-packages.txt.")


def ensure_packages(wanted: list[str] | None = None,
                    say: Callable[[str], None] | None = None, **waiting) -> None:
    """Install the missing Debian packages (as root), or say how to; ``waiting`` goes to
    :func:`apt_get` (``wait``, ``every``)."""
    need = missing(wanted)
    if not need:
        return
    if os.geteuid() != 0:
        raise SystemExit("Thiếu gói hệ thống: " + " ".join(need)
                         + "\nHãy chạy: sudo apt-get update && sudo apt-get install -y "
                         + " ".join(need))
    apt_get(["update"], say, **waiting)
    apt_get(["install", "-y", "--no-install-recommends", *need], say, **waiting)


if __name__ == "__main__":  # .ci/run, before the virtual environment exists
    ensure_packages()
