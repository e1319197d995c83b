"""Debian packages the tests drive for real (browser, SSH server, web server...).

The list lives in ``.ci/apt-packages.txt``; ``.ci/run`` and ``invoke test`` both install it, so
a fresh machine runs the whole suite with nothing skipped.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

LIST = Path(__file__).resolve().parent.parent / ".ci" / "apt-packages.txt"


def packages() -> list[str]:
    lines = LIST.read_text(encoding="utf-8").splitlines() if LIST.exists() else []
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def missing() -> list[str]:
    wanted = packages()
    if not wanted or not shutil.which("dpkg-query"):
        return []
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${db:Status-Abbrev}\n", *wanted],
        capture_output=True, text=True)
    installed = {line.split()[0] for line in result.stdout.splitlines()
                 if len(line.split()) > 1 and line.split()[1].startswith("ii")}
    return [name for name in wanted if name not in installed]


def ensure_packages() -> None:
    """Install the missing Debian packages (as root), or say how to."""
    need = missing()
    if not need:
        return
    if os.geteuid() != 0:
        raise SystemExit("Thiếu gói hệ thống: " + " ".join(need)
                         + "\nHãy chạy: sudo apt-get update && sudo apt-get install -y "
                         + " ".join(need))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *need],
                   check=True, env=env)
