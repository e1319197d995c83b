"""``invoke test`` on a busy machine: ``newsroom.build.system.ensure_packages`` run as the README's
command runs it (a child Python), with an ``apt-get`` on PATH that answers as apt-get does when
another program holds the apt/dpkg lock, or when the network is down. Holding the real dpkg
lock would stop every other apt on this machine; what is under test is our handling of it."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from newsroom.core.paths import ROOT

LOCKED = ("E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4321 "
          "(unattended-upgr)\nE: Unable to lock directory /var/lib/apt/lists/")

FAKE = """\
#!/bin/sh
# apt-get as seen on a busy machine: locked for the first {locked} calls, then {then}
echo "$@" >> {calls}
n=$(wc -l < {calls})
if [ "$n" -le {locked} ]; then
  echo "Waiting for cache lock: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4321 (unattended-upgr)... 5s"
  printf '%s\\n' "{locked_text}" >&2
  exit 100
fi
{then}
"""


def fake_apt(folder: Path, locked: int, then: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "apt-get"
    script.write_text(FAKE.format(locked=locked, then=then, calls=folder / "calls",
                                  locked_text=LOCKED))
    script.chmod(0o755)
    return folder / "calls"


def ensure(folder: Path, wait: float, every: float) -> subprocess.CompletedProcess:
    """``ensure_packages`` for a package this machine lacks, in a child Python."""
    code = textwrap.dedent(f"""\
        import os
        from newsroom.build import system
        os.geteuid = lambda: 0  # apt-get is the fake one on PATH
        system.ensure_packages(["goi-khong-co-that-cdtkv"], wait={wait}, every={every})
        print("ĐÃ CÀI")
        """)
    env = {**os.environ, "PATH": f"{folder}:{os.environ['PATH']}"}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_apt_lock_held_is_waited_for_with_a_vietnamese_message(tmp_path):
    calls = fake_apt(tmp_path / "bin", locked=3, then="echo 'Reading package lists... Done'")
    done = ensure(tmp_path / "bin", wait=30, every=0.2)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ĐÃ CÀI" in done.stdout
    assert "Traceback" not in done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith("Đang chờ")]
    assert said == ["Đang chờ chương trình unattended-upgr (PID 4321) dùng xong apt/dpkg "
                    "(tối đa 30 giây); lệnh sẽ tự chạy tiếp, không cần làm gì."]
    lines = calls.read_text().splitlines()
    assert lines[:3] == ["-o DPkg::Lock::Timeout=30 update"] * 3  # tried again until free
    assert lines[3:] == ["-o DPkg::Lock::Timeout=30 update",
                         "-o DPkg::Lock::Timeout=30 install -y --no-install-recommends "
                         "goi-khong-co-that-cdtkv"]


def test_a_lock_never_freed_ends_in_vietnamese_not_a_traceback(tmp_path):
    fake_apt(tmp_path / "bin", locked=10**6, then="exit 0")
    began = time.monotonic()
    done = ensure(tmp_path / "bin", wait=1.5, every=0.3)
    assert 1 <= time.monotonic() - began < 60
    assert done.returncode == 1 and "ĐÃ CÀI" not in done.stdout
    assert "Traceback" not in done.stderr
    assert "apt-get update không chạy được: chương trình unattended-upgr (PID 4321) vẫn giữ " \
           "khóa apt/dpkg" in done.stderr
    assert "đừng xóa tệp khóa" in done.stderr


def test_any_apt_failure_is_said_in_vietnamese(tmp_path):
    fake_apt(tmp_path / "bin", locked=0, then=(
        "echo 'E: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  "
        "Temporary failure resolving deb.debian.org' >&2; exit 100"))
    done = ensure(tmp_path / "bin", wait=5, every=0.2)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "apt-get update thất bại (mã 100)" in done.stderr
    assert "Temporary failure resolving deb.debian.org" in done.stderr
    assert "kiểm tra mạng" in done.stderr
