"""``invoke releases``: the releases kept on each server, newest first, in Vietnam time, with
who published each (git's user.name and user.email) and which commit, which one is live and
where ``invoke rollback`` and ``invoke rollforward`` would go. Only reads the servers.

Release folder names stay in UTC (``20261126-083000-123456``: they sort in time order and
never repeat, whatever the machine's clock zone); the listing shows each in Vietnam time
beside its name, the name being what ``invoke rollback --to`` takes.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from newsroom.core.dates import local, vn_datetime
from newsroom.publish import release as publishing

logger = logging.getLogger(__name__)
LOG_LINES = 5000  # the log's last lines read: far more than the releases a server keeps


@dataclass
class Release:
    name: str
    when: dt.datetime  # Vietnam time
    by: str = ""
    commit: str = ""
    marks: list[str] = field(default_factory=list)


@dataclass
class Listing:
    target: publishing.Target
    releases: list[Release] = field(default_factory=list)  # newest first
    error: str | None = None


def when(name: str) -> dt.datetime:
    """The instant a release was made, from its (UTC) name."""
    return dt.datetime.strptime(name, "%Y%m%d-%H%M%S-%f").replace(tzinfo=dt.timezone.utc)


def _script(target: publishing.Target) -> str:
    q = shlex.quote(target.path)
    return (f"cd {q} 2>/dev/null || exit 0; "
            "echo \"CURRENT $(basename \"$(readlink current 2>/dev/null || echo -)\")\"; "
            "for r in releases/*; do [ -d \"$r\" ] && echo \"RELEASE $(basename \"$r\")\"; done; "
            f"tail -n {LOG_LINES} publish.log 2>/dev/null | sed 's/^/LOG /'; true")


def read(ssh: publishing.Ssh, target: publishing.Target) -> Listing:
    """The releases on ``target`` with what the server's log says of each."""
    result = ssh.run(target, _script(target))
    current, names, log = None, [], []
    for line in result.stdout.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "CURRENT" and publishing.RELEASE.match(rest):
            current = rest
        elif kind == "RELEASE" and publishing.RELEASE.match(rest):
            names.append(rest)
        elif kind == "LOG":
            try:
                entry = json.loads(rest)
            except ValueError:
                continue
            if isinstance(entry, dict):
                log.append(entry)
    state = publishing.ServerState(current, sorted(names), publishing.rolled_away(log))
    published = {e.get("release"): e for e in log if e.get("action") == "publish"}
    listing = Listing(target)
    for name in reversed(state.releases):
        entry = published.get(name, {})
        marks = []
        if name == current:
            marks.append("ĐANG CHẠY")
        if name == state.rollback_target():
            marks.append("invoke rollback sẽ về bản này")
        if name == state.forward_target():
            marks.append("invoke rollforward sẽ về bản này")
        if name in state.rolled_away:
            marks.append("đã bị quay lại")
        listing.releases.append(Release(name, local(when(name)), str(entry.get("by") or "không rõ"),
                                        str(entry.get("commit") or ""), marks))
    return listing


def listings(conf: str | Path = "publishconf.py", **overrides) -> list[Listing]:
    """What :func:`read` finds on every target (an unreachable one: its error)."""
    settings = publishing._project_settings(conf, overrides)
    opts = publishing.options(settings, overrides)
    if not opts["PUBLISH_TARGETS"]:
        raise publishing.PublishError("Chưa có máy chủ xuất bản (PUBLISH_TARGETS / "
                                      "CONGDOANTKV_TARGETS).")
    ssh = publishing.ssh_from(opts)
    found = []
    for target in opts["PUBLISH_TARGETS"]:
        try:
            found.append(read(ssh, target))
        except publishing.PublishError as exc:
            found.append(Listing(target, error=str(exc).removeprefix(f"{target}: ")))
    return found


def text(found: list[Listing]) -> str:
    """The listing as the webmaster reads it."""
    lines = ["Các bản xuất bản, mới nhất trước; giờ Việt Nam (tên bản là giờ UTC, dùng tên "
             "cho invoke rollback --to):"]
    for listing in found:
        lines.append(f"\n{listing.target}")
        if listing.error:
            lines.append(f"  ✗ LỖI – {listing.error}")
            continue
        if not listing.releases:
            lines.append("  (chưa có bản nào: chưa xuất bản lần nào)")
        for r in listing.releases:
            commit = f"commit {r.commit[:12]}" if r.commit else "commit không rõ"
            lines.append(f"  {'▶' if 'ĐANG CHẠY' in r.marks else ' '} {vn_datetime(r.when)}  "
                         f"{r.name}  {commit}  {r.by}"
                         + (f"  [{'; '.join(r.marks)}]" if r.marks else ""))
    return "\n".join(lines)


def show(conf: str | Path = "publishconf.py", say: Callable[[str], None] = print,
         **overrides) -> int:
    """Print the listing; 1 if a target could not be read."""
    found = listings(conf, **overrides)
    say(text(found))
    return 1 if any(listing.error for listing in found) else 0
