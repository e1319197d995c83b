"""Publishing congdoantkv.vn: build, verify, prepare, deploy atomically; roll back.

``invoke publish`` calls :func:`publish`, ``invoke rollback`` calls :func:`rollback`.

On each server (a *target*: ``user@host:port/path``) the site lives in ``path``::

    path/current -> releases/20261126-083000-123456   what nginx serves (root path/current)
    path/releases/<release>/                         the last PUBLISH_KEEP_RELEASES releases
    path/publish.log                                 one JSON line per publish or rollback
    path/.publish.lock                               held (flock) while a publish runs

A publish makes ``releases/<new>.partial`` a copy of the live release made of hard links
(``cp -al``: one link per file, no byte copied), then sends the prepared output into it with
rsync ``--delete``: only changed files travel, each written beside the old one and renamed over
it, so no byte of the live release changes (a full publish, comparing checksums, may set the
time of a file whose bytes are the same). That one rsync also says what changed. A
second rsync checks that the copy is complete, then the copy is renamed to ``releases/<new>``
and ``current`` switched with one ``rename(2)`` (``ln -s`` to a temporary name, ``mv -T``).
Until that instant readers get the previous release, whole; after it, the new one, whole. (A
server without ``cp -al`` gets rsync's ``--link-dest``, slower on a large site; old releases
pruned are moved to ``.trash/`` and deleted in the background, since deleting tens of thousands
of links takes seconds.)

What is built is exactly the commit (HEAD) of the repository holding the content, taken into a
worktree of its own (:mod:`newsroom.publish.snapshot`): nothing uncommitted or ignored reaches the site,
and the log names the commit that was built.

A step after the switch (the server's log, pruning) that fails is reported as such: the target
runs the new release (``Report.exit_code`` 3), it did not "keep the old one". The log records
rollbacks: ``rollback`` goes to the newest older release that was not itself rolled away from,
and pruning keeps the live release and that one; ``rollforward`` goes to the next newer release
(one a rollback left), which only a webmaster asking for it ever does. Release names are UTC
(they sort in time order on every server); ``invoke releases`` shows them in Vietnam time,
with who published each (git's user.name and user.email) and which commit.

Before building, each target is checked read-only (:func:`probe`: SSH, rsync and flock there,
the folder writable); a dry run then only reads the server: no folder, lock or file is made.
Once the commit is known to be publishable, each target is made ready while the site builds
(:class:`Landing`: its lock taken, the hard-link copy made; not for ``--full``, whose build
takes minutes: a rollback would wait that long); a build or verification that fails sends
nothing, and the copy is moved away. A server busy at that moment is asked again after the
build.

Targets are updated one after the other; a failure on one is reported and the others still go.
SSH always checks host keys against a known_hosts file; nothing secret lives in the repo.
"""
from __future__ import annotations

import dataclasses
import fcntl
import json
import logging
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Callable, Iterator

from newsroom.build import site
from newsroom.core import gitrepo
from newsroom.core.paths import ROOT
from newsroom.publish import buildfolder, localsteps, snapshot, verify

logger = logging.getLogger(__name__)

DEFAULTS = {
    "PUBLISH_TARGETS": [],
    "PUBLISH_KEEP_RELEASES": 5,
    "PUBLISH_KNOWN_HOSTS": "~/.ssh/known_hosts",
    "PUBLISH_SSH_KEY": "",
    "PUBLISH_SSH_CONFIG": "",
    "PUBLISH_SSH_PROGRAM": "ssh",
    "PUBLISH_LOCK": ".publish.lock",
    "PUBLISH_LOG": "reports/publish.log",
    "PUBLISH_COMPRESS_CACHE": "cache/compress",
    # The committed tree a publish builds (``tree``), the build folder kept between publishes
    # (``output``, unless OUTPUT_PATH is given), its records (``records``) and that build's
    # read cache (``cache``).
    "PUBLISH_WORKDIR": "cache/publish",
    # Besides the content folder, what must be committed for a publish (project paths): their
    # uncommitted changes are named, and refused without --force (see newsroom.publish.snapshot).
    "PUBLISH_CLEAN_PATHS": ["data", "theme", "plugins", "newsroom", "pelicanconf.py",
                            "publishconf.py"],
}
#: Environment variables that override publishconf.py (a webmaster's machine, CI).
ENVIRONMENT = {
    "CONGDOANTKV_TARGETS": "PUBLISH_TARGETS",
    "CONGDOANTKV_KNOWN_HOSTS": "PUBLISH_KNOWN_HOSTS",
    "CONGDOANTKV_SSH_KEY": "PUBLISH_SSH_KEY",
    "CONGDOANTKV_KEEP_RELEASES": "PUBLISH_KEEP_RELEASES",
    "CONGDOANTKV_PUBLISH_LOG": "PUBLISH_LOG",
    "CONGDOANTKV_PUBLISH_LOCK": "PUBLISH_LOCK",
}
RELEASE = re.compile(r"^\d{8}-\d{6}-\d{6}$")
_TARGET = re.compile(r"^(?P<user>[A-Za-z0-9._-]+)@(?P<host>[A-Za-z0-9.-]+):(?P<port>\d*)(?P<path>/[A-Za-z0-9._/-]*)$")
_ITEM = re.compile(r"^(?P<item>\*deleting|[<>ch.*][fdLDS][^ ]{9}) +(?P<name>.+)$")
LOCK_BUSY = 75  # flock's exit code when the server's lock is held


class PublishError(RuntimeError):
    """Nothing was published (or rolled back): the message says why and what to do."""


class ServerBusy(PublishError):
    """Another publish holds the server's lock."""


class SwitchUnknown(PublishError):
    """The connection broke while ``current`` was being switched: it may or may not have been."""


@dataclass(frozen=True)
class Target:
    """One origin server: ``user@host:port/path`` (port optional: ``user@host:/path``)."""

    user: str
    host: str
    port: int
    path: str

    @classmethod
    def parse(cls, text: str) -> "Target":
        match = _TARGET.match(text.strip())
        if not match:
            raise PublishError(
                f"Máy chủ xuất bản “{text}” viết sai. Cách sửa: viết dạng "
                "người_dùng@máy_chủ:cổng/đường/dẫn, ví dụ deploy@origin1.congdoantkv.vn:22/srv/congdoantkv "
                "(trong PUBLISH_TARGETS của publishconf.py hoặc biến CONGDOANTKV_TARGETS).")
        path = match["path"].rstrip("/") or "/"
        if path == "/" or ".." in path.split("/"):
            raise PublishError(f"Máy chủ xuất bản “{text}”: thư mục “{path}” không dùng được; "
                               "chọn một thư mục riêng cho trang, ví dụ /srv/congdoantkv.")
        return cls(match["user"], match["host"], int(match["port"] or 22), path)

    @property
    def login(self) -> str:
        return f"{self.user}@{self.host}"

    def __str__(self) -> str:
        return f"{self.user}@{self.host}:{self.port}{self.path}"


@dataclass(frozen=True)
class Ssh:
    """How to reach the servers; host keys are always checked against ``known_hosts``."""

    known_hosts: Path
    identity: Path | None = None
    config: Path | None = None
    program: str = "ssh"
    #: socket of the one connection a publish opens per target (see :func:`remote_lock`)
    control: Path | None = None

    def argv(self, target: Target, master: bool = False) -> list[str]:
        argv = [self.program]
        if self.config:
            argv += ["-F", str(self.config)]
        if self.control:
            argv += ["-o", f"ControlPath={self.control}",
                     "-o", f"ControlMaster={'yes' if master else 'no'}"]
        argv += ["-p", str(target.port), "-o", "BatchMode=yes",
                 "-o", "StrictHostKeyChecking=yes",
                 "-o", f"UserKnownHostsFile={self.known_hosts}",
                 "-o", "ConnectTimeout=15", "-o", "ServerAliveInterval=10",
                 "-o", "ServerAliveCountMax=3"]
        if self.identity:
            argv += ["-i", str(self.identity), "-o", "IdentitiesOnly=yes"]
        return argv

    def command(self, target: Target, script: str, master: bool = False) -> list[str]:
        return self.argv(target, master) + [target.login, "sh -c " + shlex.quote(script)]

    def run(self, target: Target, script: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(self.command(target, script), capture_output=True, text=True)
        if check and result.returncode != 0:
            raise PublishError(_ssh_failure(target, result.returncode, result.stderr))
        return result


def _ssh_failure(target: Target, code: int, stderr: str) -> str:
    detail = (stderr or "").strip().splitlines()
    detail = detail[-1] if detail else f"mã lỗi {code}"
    if "Host key verification failed" in (stderr or "") or "REMOTE HOST IDENTIFICATION" in (stderr or ""):
        return (f"{target}: khóa máy chủ không khớp hoặc chưa có trong known_hosts ({detail}). "
                "Cách sửa: lấy khóa của máy chủ từ người quản trị, kiểm tra dấu vân tay rồi thêm vào "
                "tệp known_hosts (PUBLISH_KNOWN_HOSTS / CONGDOANTKV_KNOWN_HOSTS).")
    return f"{target}: lệnh trên máy chủ thất bại ({detail})"


@dataclass
class Changes:
    """Files that differ between the output and a release: output-relative paths."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "changed": len(self.changed), "removed": len(self.removed)}

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


#: Exit codes of ``invoke publish`` / ``invoke rollback`` (0: every target done).
EXIT_UNCHANGED = 1  # a target failed and still runs the release it ran before
EXIT_SWITCHED = 3  # a target runs the new release, but a step after the switch failed (or unknown)


@dataclass
class TargetResult:
    target: Target
    changes: Changes = field(default_factory=Changes)
    release: str | None = None  # the release now live (None: unchanged)
    previous: str | None = None  # the release live before
    transferred: list[str] = field(default_factory=list)  # files rsync actually sent
    error: str | None = None  # nothing changed on this target (unless ``unsure``)
    unsure: bool = False  # the connection broke during the switch: which release runs is unknown
    problems: list[str] = field(default_factory=list)  # steps that failed after the switch
    seconds: dict[str, float] = field(default_factory=dict)  # compare, upload, switch

    @property
    def switched_with_problems(self) -> bool:
        return bool(self.release and self.problems) or self.unsure


@dataclass
class Report:
    """What a publish or rollback did, target by target."""

    action: str  # "publish" | "dry-run" | "rollback" | "rollforward"
    commit: str = ""
    files: int = 0
    local: localsteps.Outcome | None = None  # the local steps of a publish (figures)
    results: list[TargetResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.error is None and not r.problems for r in self.results)

    @property
    def exit_code(self) -> int:
        if any(r.switched_with_problems for r in self.results):
            return EXIT_SWITCHED
        return 0 if self.ok else EXIT_UNCHANGED

    def _line(self, r: TargetResult) -> list[str]:
        c = r.changes.counts()
        if r.error:
            return [f"✗ {r.target}: LỖI – {r.error}"] + [f"    {p}" for p in r.problems]
        if r.problems:
            return [f"⚠ {r.target}: Đã chuyển sang bản {r.release} (trước đó: {r.previous}) "
                    f"nhưng {'; '.join(r.problems)}"]
        if self.action == "rollback":
            return [f"✓ {r.target}: quay lại {r.release} (trước đó: {r.previous})"]
        if self.action == "rollforward":
            return [f"✓ {r.target}: tiến lên {r.release} (trước đó: {r.previous})"]
        if self.action == "dry-run":
            lines = [f"• {r.target}: sẽ thêm {c['added']}, sửa {c['changed']}, "
                     f"xóa {c['removed']} tệp (chưa gửi gì)"]
            for kind, names in (("+", r.changes.added), ("~", r.changes.changed),
                                ("-", r.changes.removed)):
                lines += [f"    {kind} {name}" for name in names[:30]]
                if len(names) > 30:
                    lines.append(f"    {kind} ... và {len(names) - 30} tệp khác")
            return lines
        return [f"✓ {r.target}: {r.release} đang chạy – thêm {c['added']}, "
                f"sửa {c['changed']}, xóa {c['removed']} tệp; đã gửi {len(r.transferred)} tệp"]

    def summary(self) -> str:
        lines = [line for r in self.results for line in self._line(r)]
        done = sum(1 for r in self.results if not r.error and not r.problems)
        head = {"publish": "Xuất bản", "dry-run": "Thử xuất bản", "rollback": "Quay lại",
                "rollforward": "Tiến lên"}[self.action]
        lines.insert(0, f"{head}: {done}/{len(self.results)} máy chủ thành công"
                        + (f" (commit {self.commit[:12]})" if self.commit else ""))
        if any(r.error and not r.unsure for r in self.results):
            lines.append("Máy chủ báo LỖI vẫn giữ nguyên bản cũ. Sửa lỗi rồi chạy lại lệnh.")
        if any(r.switched_with_problems for r in self.results):
            lines.append("Máy chủ có dấu ⚠ đã chuyển sang bản mới (hoặc chưa rõ): trang đang chạy "
                         "là bản đó. Sửa lỗi được nêu (quyền ghi, dung lượng đĩa...) rồi kiểm "
                         "tra lại bằng `invoke publish --dry-run`.")
        return "\n".join(lines)


# --- settings -----------------------------------------------------------------------------

def options(settings: dict, overrides: dict | None = None, environ=None) -> dict:
    """The PUBLISH_* settings: defaults < publishconf.py < environment < explicit overrides."""
    environ = os.environ if environ is None else environ
    result = {key: settings.get(key, default) for key, default in DEFAULTS.items()}
    for variable, key in ENVIRONMENT.items():
        if environ.get(variable):
            result[key] = environ[variable]
    result.update({k: v for k, v in (overrides or {}).items() if k in DEFAULTS})
    targets = result["PUBLISH_TARGETS"]
    if isinstance(targets, str):
        targets = [t for t in targets.replace("\n", ",").split(",") if t.strip()]
    result["PUBLISH_TARGETS"] = [t if isinstance(t, Target) else Target.parse(t) for t in targets]
    try:
        keep = int(result["PUBLISH_KEEP_RELEASES"])
    except (TypeError, ValueError):
        keep = 0
    if keep < 2:
        raise PublishError("PUBLISH_KEEP_RELEASES phải là số từ 2 trở lên (giữ bản đang chạy "
                           "và ít nhất một bản trước để quay lại).")
    result["PUBLISH_KEEP_RELEASES"] = keep
    return result


def _project_path(value) -> Path:
    path = Path(os.path.expanduser(str(value)))
    return path if path.is_absolute() else ROOT / path


def ssh_from(opts: dict) -> Ssh:
    known_hosts = _project_path(opts["PUBLISH_KNOWN_HOSTS"])
    if not known_hosts.is_file():
        raise PublishError(f"Không có tệp known_hosts “{known_hosts}”: không thể kiểm tra khóa "
                           "máy chủ. Cách sửa: đặt PUBLISH_KNOWN_HOSTS / CONGDOANTKV_KNOWN_HOSTS "
                           "tới tệp chứa khóa công khai của các máy chủ (xem README, mục Xuất bản).")
    key = opts["PUBLISH_SSH_KEY"]
    config = opts["PUBLISH_SSH_CONFIG"]
    return Ssh(known_hosts, _project_path(key) if key else None,
               _project_path(config) if config else None, opts["PUBLISH_SSH_PROGRAM"])


# --- local checks -----------------------------------------------------------------------

@contextmanager
def local_lock(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the duration; refuse if another publish has it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "không rõ"
            raise PublishError(f"Một lần xuất bản khác đang chạy trên máy này ({holder}). "
                               "Đợi nó xong rồi chạy lại.") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"PID {os.getpid()}, từ {datetime.now().strftime('%H:%M:%S')}\n")
        handle.flush()
        yield
    finally:
        handle.close()


def append_log(path: Path, entry: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry, ensure_ascii=False) + "\n")


# --- remote steps -----------------------------------------------------------------------

@contextmanager
def remote_lock(ssh: Ssh, target: Target) -> Iterator[None]:
    """Hold ``path/.publish.lock`` on the server for the duration.

    The lock is an ``flock`` kept by a shell that lives as long as this SSH session: if this
    machine or the connection dies, the server drops the session and the lock with it. When
    ``ssh.control`` is set, this session is also the master connection that every other
    command of the publish (rsync included) goes through: one handshake per target.
    """
    q = shlex.quote(target.path)
    script = (f"mkdir -p {q} && exec flock -n -E {LOCK_BUSY} {q}/.publish.lock "
              "sh -c 'echo LOCKED; exec cat >/dev/null'")
    proc = subprocess.Popen(ssh.command(target, script, master=True), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        if line != "LOCKED":
            proc.stdin.close()
            code = proc.wait()
            stderr = proc.stderr.read()
            if code == LOCK_BUSY:
                raise ServerBusy(f"{target}: một lần xuất bản khác đang chạy trên máy chủ này. "
                                 "Đợi nó xong rồi chạy lại.")
            raise PublishError(_ssh_failure(target, code, stderr))
        yield
    finally:
        if proc.stdin and not proc.stdin.closed:
            proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            stream.close()


@contextmanager
def multiplexed(ssh: Ssh) -> Iterator[Ssh]:
    """``ssh`` with a fresh control socket: the first connection becomes the master."""
    folder = tempfile.mkdtemp(prefix="cdtkv-ssh-")  # short: a socket path has ~100 bytes
    try:
        yield dataclasses.replace(ssh, control=Path(folder) / "m")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _releases_script(target: Target) -> str:
    q = shlex.quote(target.path)
    # under the server's lock: a ".partial" release is what an interrupted publish left; the
    # log's rollback lines tell which releases were rolled away from
    return (f"set -eu; mkdir -p {q}/releases; cd {q}; rm -rf releases/*.partial; "
            "if [ -e current ] && [ ! -L current ]; then echo 'NOT_A_LINK' >&2; exit 3; fi; "
            "echo \"CURRENT $(basename \"$(readlink current 2>/dev/null || echo -)\")\"; "
            "for r in releases/*; do [ -d \"$r\" ] && echo \"RELEASE $(basename \"$r\")\"; done; "
            "{ grep -F -e '\"rollback\"' -e '\"rollforward\"' publish.log 2>/dev/null || true; } "
            "| sed 's/^/LOG /'; true")


@dataclass
class ServerState:
    current: str | None  # the live release
    releases: list[str]  # every complete release, oldest first
    rolled_away: set[str] = field(default_factory=set)  # releases a rollback left

    def rollback_target(self) -> str | None:
        """Where ``rollback`` without ``--to`` goes: the newest release older than the live one
        that was not itself rolled away from."""
        older = [r for r in self.releases if (self.current is None or r < self.current)
                 and r not in self.rolled_away]
        return older[-1] if older else None

    def forward_target(self) -> str | None:
        """Where ``rollforward`` goes: the next release newer than the live one (one that a
        rollback left: a publish always makes the newest release live)."""
        newer = [r for r in self.releases if self.current is not None and r > self.current]
        return newer[0] if newer else None

    def to_prune(self, keep: int) -> list[str]:
        """Releases to delete so that ``keep`` remain: never the live one nor the rollback
        target; then the newest that were not rolled away from are kept first."""
        kept = {r for r in (self.current, self.rollback_target()) if r}
        ranked = sorted(self.releases, key=lambda r: (r not in self.rolled_away, r), reverse=True)
        for release in ranked:
            if len(kept) >= keep:
                break
            kept.add(release)
        return [r for r in self.releases if r not in kept]


def rolled_away(log: list[dict]) -> set[str]:
    """Releases left by a rollback (the log's rollback entries, oldest first); one chosen
    again (``rollback --to``, ``rollforward``) is not counted any more."""
    away: set[str] = set()
    for entry in log:
        if entry.get("action") not in ("rollback", "rollforward"):
            continue
        if entry.get("previous") and entry["action"] == "rollback":
            away.add(entry["previous"])
        away.discard(entry.get("release"))
    return away


def server_state(ssh: Ssh, target: Target) -> ServerState:
    """The releases on ``target``; removes what an interrupted publish left (call it
    holding :func:`remote_lock`)."""
    result = ssh.run(target, _releases_script(target), check=False)
    if result.returncode == 3:
        raise PublishError(f"{target}: {target.path}/current là một thư mục thật, không phải "
                           "liên kết: chuyển nó vào releases/ theo README trước khi xuất bản.")
    if result.returncode != 0:
        raise PublishError(_ssh_failure(target, result.returncode, result.stderr))
    current, releases, log = None, [], []
    for line in result.stdout.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "CURRENT" and RELEASE.match(rest):
            current = rest
        elif kind == "RELEASE" and RELEASE.match(rest):
            releases.append(rest)
        elif kind == "LOG":
            try:
                log.append(json.loads(rest))
            except ValueError:
                continue
    return ServerState(current, sorted(releases), rolled_away(e for e in log if isinstance(e, dict)))


def rsync_argv(ssh: Ssh, target: Target, *options: str) -> list[str]:
    """rsync keeping modification times: the kept build folder gives a file a new one only when
    its bytes change (``newsroom.publish.buildfolder``), so size and time tell what to send; a full
    publish adds ``--checksum`` (:func:`_how`) and compares every byte."""
    return ["rsync", "-rlpt", "--chmod=D755,F644", "-8", "--itemize-changes",
            "-e", shlex.join(ssh.argv(target)), *options]


def _how(checksum: bool) -> list[str]:
    return ["--checksum"] if checksum else []


def parse_itemized(text: str) -> tuple[Changes, list[str]]:
    """(changes, files sent) from rsync's ``--itemize-changes`` output."""
    changes, sent = Changes(), []
    for line in text.splitlines():
        match = _ITEM.match(line)
        if not match:
            continue
        item, name = match["item"], match["name"]
        if item == "*deleting":
            if not name.endswith("/"):
                changes.removed.append(name)
            continue
        if item[1] not in "fL":
            continue
        if item[0] in "<>":
            sent.append(name)
        if item[2:].startswith("+"):
            changes.added.append(name)
        elif item[0] in "<>c" or item[2:].strip("."):
            changes.changed.append(name)
    return changes, sent


def _rsync(ssh: Ssh, target: Target, output: Path, dest: str, *options: str) -> tuple[Changes, list[str]]:
    argv = rsync_argv(ssh, target, *options, f"{output}/", f"{target.login}:{dest}/")
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        raise PublishError(_ssh_failure(target, result.returncode, result.stderr)
                           .replace("lệnh trên máy chủ", "rsync"))
    return parse_itemized(result.stdout)


def compare(ssh: Ssh, target: Target, output: Path, release: str | None,
            checksum: bool = True) -> Changes:
    """What differs between ``output`` and ``release`` on the server (nothing is sent)."""
    if release is None:
        files = sorted(p.relative_to(output).as_posix() for p in output.rglob("*")
                       if p.is_file() or p.is_symlink())
        return Changes(added=files)
    changes, _ = _rsync(ssh, target, output, f"{target.path}/releases/{release}",
                        "--dry-run", "--delete", *_how(checksum))
    return changes


def _switch_script(target: Target, release: str, log_line: str, prune: list[str],
                   partial: bool) -> str:
    """Make ``release`` live, then log and prune. Prints SWITCHED once ``current`` points at
    it; each later step that fails prints one line (LOG ..., PRUNE name ...) and the rest goes on."""
    rel = shlex.quote(release)
    move = (f"mv -T releases/{rel}.partial releases/{rel}" if partial else f"test -d releases/{rel}")
    lines = [f"cd {shlex.quote(target.path)} || exit 1", f"{move} || exit 1",
             f"ln -sfn releases/{rel} current.{rel}.new && mv -T current.{rel}.new current || exit 1",
             "echo SWITCHED",
             f"out=$( {{ printf '%s\\n' {shlex.quote(log_line)} >> publish.log; }} 2>&1 ) "
             "|| echo \"LOG $out\" | head -n 1"]
    pruned = [r for r in prune if RELEASE.match(r) and r != release]
    if pruned:
        lines.append("mkdir -p .trash")
    lines += [f"out=$(mv -T -- releases/{shlex.quote(r)} .trash/{shlex.quote(r)} 2>&1) "
              f"|| echo \"PRUNE {r} $out\" | head -n 1" for r in pruned]
    if pruned:  # detached: the publish does not wait for the links to be deleted
        lines.append(_EMPTY_TRASH)
    return "\n".join(lines)


#: Delete what pruning moved to ``.trash/`` in a process of its own that outlives the SSH
#: session (run from the site's folder).
_EMPTY_TRASH = "(setsid rm -rf -- .trash </dev/null >/dev/null 2>&1 &)"


def _seed(ssh: Ssh, target: Target, current: str, partial: str) -> bool:
    """Make ``partial`` a copy of the live release ``current`` made of hard links; False
    (nothing left behind) if the server cannot."""
    q = shlex.quote
    done = ssh.run(target, f"cp -al -- {q(target.path)}/releases/{q(current)} {q(partial)} "
                           f"|| {{ rm -rf -- {q(partial)}; exit 1; }}", check=False)
    return done.returncode == 0


def switch(ssh: Ssh, target: Target, release: str, entry: dict, prune: list[str],
           partial: bool) -> list[str]:
    """Make ``release`` live on ``target``, log ``entry`` there and delete ``prune``. Raises
    :class:`PublishError` if the switch did not happen; returns what failed after it."""
    script = _switch_script(target, release, json.dumps(entry, ensure_ascii=False), prune, partial)
    done = ssh.run(target, script, check=False)
    lines = done.stdout.splitlines()
    if "SWITCHED" not in lines:
        failure = _ssh_failure(target, done.returncode, done.stderr)
        live = ssh.run(target, f"readlink {shlex.quote(target.path)}/current || echo -", check=False)
        if live.returncode != 0:
            raise SwitchUnknown(f"{failure}; không kiểm tra lại được máy chủ nên CHƯA RÕ máy chủ "
                                f"đang chạy bản {release} hay bản trước: xem liên kết "
                                f"{target.path}/current trên máy chủ")
        if live.stdout.strip() != f"releases/{release}":
            if partial:
                ssh.run(target, f"cd {shlex.quote(target.path)} && rm -rf -- "
                                f"releases/{shlex.quote(release)}.partial releases/{shlex.quote(release)}",
                        check=False)
            raise PublishError(failure)
        return [f"mất kết nối ngay sau khi chuyển ({failure.removeprefix(f'{target}: ')}): "
                "nhật ký trên máy chủ và việc xóa bản cũ có thể chưa xong"]
    problems = []
    for line in lines:
        kind, _, rest = line.partition(" ")
        if kind == "LOG":
            problems.append(f"không ghi được nhật ký trên máy chủ ({target.path}/publish.log): "
                            f"{rest.strip() or 'lỗi không rõ'}")
        elif kind == "PRUNE":
            name, _, why = rest.partition(" ")
            problems.append(f"không xóa được bản cũ {name}: {why.strip() or 'lỗi không rõ'}")
    if done.returncode != 0 and not problems:
        problems.append(f"lệnh trên máy chủ dừng sau khi chuyển bản (mã {done.returncode}); "
                        "nhật ký hoặc việc xóa bản cũ có thể chưa xong")
    return problems


def _release_name(now: datetime | None = None) -> str:
    return (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S-%f")


def _entry(action: str, target: Target, commit: str, by: str, **fields) -> dict:
    return {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "action": action,
            "target": str(target), "commit": commit, "by": by, **fields}


#: Programs a target needs, and the Debian package holding each.
SERVER_PROGRAMS = {"rsync": "rsync", "flock": "util-linux", "readlink": "coreutils"}


def probe(ssh: Ssh, target: Target) -> None:
    """Check ``target`` read-only before anything is built: SSH gets in, the programs a
    publish runs there exist, and its folder is (or can be made) writable. Creates nothing;
    raises :class:`PublishError` saying what to fix."""
    q = shlex.quote(target.path)
    script = (f"for p in {' '.join(SERVER_PROGRAMS)}; do command -v $p >/dev/null 2>&1 || "
              f"echo \"MISSING $p\"; done; d={q}; while [ ! -e \"$d\" ]; do "
              "d=$(dirname \"$d\"); done; [ -d \"$d\" ] && [ -w \"$d\" ] || echo \"READONLY $d\"; "
              "echo \"USER $(id -un)\"")
    result = ssh.run(target, script, check=False)
    if result.returncode != 0 or "USER " not in result.stdout:
        raise PublishError(_ssh_failure(target, result.returncode, result.stderr))
    lines = dict(line.partition(" ")[::2] for line in result.stdout.splitlines())
    missing = [name for name in SERVER_PROGRAMS if f"MISSING {name}" in result.stdout]
    if missing:
        packages = " ".join(dict.fromkeys(SERVER_PROGRAMS[m] for m in missing))
        raise PublishError(f"{target}: máy chủ thiếu {', '.join(missing)}. Cách sửa: trên máy chủ "
                           f"chạy sudo apt-get install {packages} (xem README, mục Dựng một máy "
                           "chủ gốc).")
    if "READONLY" in lines:
        raise PublishError(f"{target}: tài khoản {lines.get('USER', target.user)} không ghi được "
                           f"vào {lines['READONLY']}. Cách sửa: trên máy chủ chạy sudo install -d "
                           f"-o {target.user} -g {target.user} {target.path}")


def look(ssh: Ssh, target: Target, output: Path, checksum: bool = True) -> TargetResult:
    """What a publish would change on ``target`` (``--dry-run``): only reads the server."""
    q = shlex.quote(target.path)
    live = ssh.run(target, f"basename \"$(readlink {q}/current 2>/dev/null || echo -)\"")
    current = live.stdout.strip()
    current = current if RELEASE.match(current) else None
    return TargetResult(target, changes=compare(ssh, target, output, current, checksum),
                        previous=current)


class Landing:
    """A target made ready for a release while the site builds: the SSH master connection
    and the server's lock held, the server's state read, and the live release copied as
    hard links into ``releases/<new>.partial`` (``cp -al``, seconds at tens of thousands of
    files); raises :class:`PublishError` (:class:`ServerBusy`) as :func:`deploy` does.
    :meth:`close` lets go of the lock and the connection; :meth:`abandon` also moves the
    copy away, when nothing is sent."""

    def __init__(self, ssh: Ssh, target: Target):
        self.target, self.stack = target, ExitStack()
        clock = time.perf_counter()
        try:
            self.ssh = self.stack.enter_context(multiplexed(ssh))
            self.stack.enter_context(remote_lock(self.ssh, target))
            self.state = server_state(self.ssh, target)
            self.release = _release_name()
            self.partial = f"{target.path}/releases/{self.release}.partial"
            self.seeded = bool(self.state.current) and \
                _seed(self.ssh, target, self.state.current, self.partial)
        except BaseException:
            self.stack.close()
            raise
        self.seconds = time.perf_counter() - clock

    def abandon(self) -> None:
        """Nothing will be sent: the copy goes to ``.trash/`` (emptied in the background)."""
        try:
            if self.seeded:
                q = shlex.quote(self.target.path)
                self.ssh.run(self.target, f"cd {q} && mkdir -p .trash && mv -T -- "
                                          f"releases/{shlex.quote(self.release)}.partial "
                                          f".trash/{shlex.quote(self.release)} ; {_EMPTY_TRASH}",
                             check=False)
        finally:
            self.close()

    def close(self) -> None:
        self.stack.close()


def deploy(ssh: Ssh, target: Target, output: Path, commit: str, keep: int, by: str = "",
           say: Callable[[str], None] = logger.info, checksum: bool = True,
           ready: Callable[[], Landing] | None = None) -> TargetResult:
    """Send ``output`` to one target as a new release and make it live (see the module doc).
    Without ``checksum``, files are compared by size and modification time (a kept build
    folder, see :func:`rsync_argv`); rsync checks every file it sends either way. ``ready()``
    gives the target made ready while the site was built (by default it is made ready now);
    the time waited for it is the step "compare"; the landing is closed at the end."""
    result = TargetResult(target)
    clock = time.perf_counter()
    landing = ready() if ready is not None else Landing(ssh, target)
    try:
        result.previous = landing.state.current
        if not landing.seeded:  # what differs, before anything is sent (with the copy: while sending)
            result.changes = compare(landing.ssh, target, output, landing.state.current, checksum)
        result.seconds["compare"] = time.perf_counter() - clock
        result.seconds["prepared"] = landing.seconds
        clock = time.perf_counter()
        _send(landing, output, checksum, result, say)
        result.seconds["upload"] = time.perf_counter() - clock
        clock = time.perf_counter()
        state, release = landing.state, landing.release
        entry = _entry("publish", target, commit, by, release=release, previous=state.current,
                       **result.changes.counts(), transferred=len(result.transferred))
        after = ServerState(release, state.releases + [release], state.rolled_away)
        result.problems = switch(landing.ssh, target, release, entry, after.to_prune(keep),
                                 partial=True)
        result.release = release
        result.seconds["switch"] = time.perf_counter() - clock
    finally:
        landing.close()
    return result


def _send(landing: Landing, output: Path, checksum: bool, result: TargetResult,
          say: Callable[[str], None]) -> None:
    """rsync ``output`` into the landing's partial release, then check it is complete; the
    partial release is removed if either fails."""
    ssh, target, state = landing.ssh, landing.target, landing.state
    say(f"{target}: gửi bản {landing.release}...")
    try:
        link = [f"--link-dest={target.path}/releases/{state.current}"] \
            if state.current and not landing.seeded else []
        sent, result.transferred = _rsync(ssh, target, output, landing.partial, "--stats",
                                          "--delete", *link, *_how(checksum))
        if landing.seeded:
            result.changes = sent
        left, _ = _rsync(ssh, target, output, landing.partial, "--dry-run", "--delete",
                         *_how(checksum))
        if left:
            raise PublishError(f"{target}: bản vừa gửi chưa khớp với bản dựng "
                               f"({len(left.added) + len(left.changed) + len(left.removed)} tệp khác)")
    except PublishError:
        ssh.run(target, f"rm -rf -- {shlex.quote(landing.partial)}", check=False)
        raise


def _project_settings(conf: str | Path, overrides: dict) -> dict:
    return site.settings_for(conf, **{k: v for k, v in overrides.items() if k not in DEFAULTS})


def _listing(paths: list[str], limit: int = 20) -> str:
    lines = [f"  {p}" for p in paths[:limit]]
    if len(paths) > limit:
        lines.append(f"  ... và {len(paths) - limit} tệp khác")
    return "\n".join(lines)


def _source(content: Path, opts: dict, dry_run: bool, force: bool,
            say: Callable[[str], None]) -> tuple[snapshot.Snapshot, str]:
    """The committed tree to build, after saying (or refusing, for a publish without
    ``force``) what the work tree holds that it does not; and the commit to log."""
    try:
        waiting = snapshot.pending(content, [_project_path(p) for p in opts["PUBLISH_CLEAN_PATHS"]])
        if waiting.ignored:
            say("Lưu ý: các bài sau nằm trong thư mục hoặc tệp mà .gitignore bỏ qua nên KHÔNG "
                "được xuất bản:\n" + _listing(waiting.ignored) + "\nNếu cần đăng, bỏ mẫu tương "
                "ứng khỏi .gitignore rồi git add + git commit.")
        if waiting and not (dry_run or force):
            raise PublishError(
                "Có thay đổi chưa commit. Chỉ nội dung đã commit mới được dựng và xuất bản, nên "
                "các thay đổi này sẽ KHÔNG lên trang:\n" + _listing(waiting.changed + waiting.loose)
                + "\nCách sửa: git add + git commit rồi chạy lại; hoặc `invoke publish --force` "
                "để xuất bản commit hiện tại và để các thay đổi này lại.")
        tree = snapshot.take(content, _project_path(opts["PUBLISH_WORKDIR"]) / "tree")
    except snapshot.SnapshotError as exc:
        raise PublishError(str(exc)) from exc
    if waiting.changed:
        say(f"Lưu ý: chỉ xuất bản commit {tree.commit[:12]}; các thay đổi chưa commit sau sẽ "
            "KHÔNG được xuất bản:\n" + _listing(waiting.changed))
    if waiting.loose:  # outside the repository: built as they are, and the log says so
        say("Lưu ý: các thay đổi chưa commit sau nằm ngoài kho git của nội dung nên được dựng "
            "nguyên trạng:\n" + _listing(waiting.loose))
    return tree, tree.commit + ("+chưa-commit" if waiting.loose else "")


def _build(tree: snapshot.Snapshot, conf: str | Path, settings: dict, overrides: dict,
           workdir: Path, output: Path) -> dict:
    """Build ``tree`` with its own code (:func:`newsroom.build.site.build_apart`) into ``output``,
    kept as it is (``newsroom.publish.localsteps`` empties it when a full build is due); if the code is
    outside the repository of the content, with the code running here. The build reuses the
    project's photo cache; its read cache is its own (``workdir/cache``), as that knows files
    by their path."""
    images = (settings.get("IMAGES") or {}).get("cache_dir") or \
        Path(settings.get("CACHE_PATH") or "cache") / "images"
    given = {k: v for k, v in overrides.items() if k not in DEFAULTS}
    given.update({key: str(tree.map(settings[key])) for key in ("PATH", "THEME", "NEWSROOM_DATA")
                  if settings.get(key)},
                 OUTPUT_PATH=str(output), CACHE_PATH=str(workdir / "cache"),
                 DELETE_OUTPUT_DIRECTORY=False)
    if not Path(given["PATH"]).is_dir():
        raise PublishError(f"Commit {tree.commit[:12]} chưa có thư mục nội dung "
                           f"“{settings['PATH']}”. Cách sửa: git add + git commit nội dung.")
    merge = {"IMAGES": {"cache_dir": str(_project_path(images))}}
    try:
        if not tree.holds(ROOT):  # the code is not in the commit: the code running here
            return site.build(_project_path(conf), merge=merge, **given)
        return site.build_apart(tree.map(ROOT), tree.map(_project_path(conf)), merge=merge,
                                bytecode=workdir / "bytecode", **given)
    except Exception as exc:  # noqa: BLE001 - any build failure stops the publish
        raise PublishError(f"Dựng trang thất bại, không xuất bản gì:\n{exc}") from exc


def output_folder(opts: dict, overrides: dict) -> Path:
    """The build folder of a publish: OUTPUT_PATH when given, else ``PUBLISH_WORKDIR/output``
    (never the preview's output/, which ``invoke build`` and ``invoke livereload`` use)."""
    given = overrides.get("OUTPUT_PATH")
    return Path(os.path.abspath(given)) if given else \
        _project_path(opts["PUBLISH_WORKDIR"]) / "output"


def _local(tree: snapshot.Snapshot, conf: str | Path, settings: dict, overrides: dict,
           opts: dict, full: bool, say: Callable[[str], None]) -> localsteps.Outcome:
    """The local steps (``newsroom.publish.localsteps``) for ``tree``: build, settle, compress, verify."""
    workdir = _project_path(opts["PUBLISH_WORKDIR"])
    output = output_folder(opts, overrides)
    code_root = tree.map(ROOT) if tree.holds(ROOT) else ROOT
    try:
        buildfolder.check_folder(output, [ROOT, Path(settings["PATH"]), tree.tree, workdir])
        outcome = localsteps.make(
            localsteps.Places(output, workdir / "records"),
            localsteps.stamp(code_root, {k: v for k, v in overrides.items() if k not in DEFAULTS}),
            lambda: _build(tree, conf, settings, overrides, workdir, output), full=full,
            compress_cache=_project_path(opts["PUBLISH_COMPRESS_CACHE"]), say=say)
    except buildfolder.FolderError as exc:
        raise PublishError(str(exc)) from exc
    if outcome.findings:
        raise PublishError(f"{verify.VerifyError(outcome.findings)}\nKhông xuất bản gì: trang "
                           "đang chạy giữ nguyên.")
    scan, packed = outcome.scan, outcome.compressed
    say(f"Thư mục dựng: {len(scan.files)} tệp ({len(scan.added)} mới, {len(scan.changed)} sửa, "
        f"{len(scan.removed)} bỏ); nén {packed.compressed} tệp, kiểm tra {outcome.checked} tệp "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in outcome.seconds.items())}).")
    return outcome


def _log_locally(opts: dict, result: TargetResult, entry: dict) -> None:
    """Append ``entry`` to this machine's log; a failure is one more problem of ``result``."""
    path = _project_path(opts["PUBLISH_LOG"])
    try:
        append_log(path, entry)
    except OSError as exc:
        result.problems.append(f"không ghi được nhật ký trên máy này ({path}): {exc}")


def _on_target(target: Target, step: Callable[[], TargetResult | None]) -> TargetResult | None:
    """``step()``, or a result naming why it failed on ``target``."""
    try:
        return step()
    except SwitchUnknown as exc:
        return TargetResult(target, error=str(exc).removeprefix(f"{target}: "), unsure=True)
    except PublishError as exc:
        return TargetResult(target, error=str(exc).removeprefix(f"{target}: "))
    except OSError as exc:  # ssh or rsync missing, a full disk...
        return TargetResult(target, error=f"lỗi hệ thống: {exc}")


def publish(conf: str | Path = "publishconf.py", *, dry_run: bool = False, force: bool = False,
            full: bool = False, say: Callable[[str], None] = logger.info, **overrides) -> Report:
    """Build the committed tree strictly with ``conf``, compress and verify what changed
    (everything with ``full``, see :mod:`newsroom.publish.localsteps`) and deploy to every target.

    ``overrides`` are settings (``PATH``, ``OUTPUT_PATH``, ``PUBLISH_TARGETS``...). Raises
    :class:`PublishError` when nothing may go out (uncommitted content, a failed build or
    verification, another publish running, no target); what happened on each target is in
    the returned :class:`Report` (``report.ok``, ``report.exit_code``).
    """
    settings = _project_settings(conf, overrides)
    opts = options(settings, overrides)
    targets = opts["PUBLISH_TARGETS"]
    if not targets:
        raise PublishError("Chưa có máy chủ xuất bản. Cách sửa: đặt PUBLISH_TARGETS trong "
                           "publishconf.py hoặc biến môi trường CONGDOANTKV_TARGETS="
                           "\"deploy@máy-chủ:22/srv/congdoantkv\".")
    ssh = ssh_from(opts)
    output = output_folder(opts, overrides)
    by = gitrepo.identity(Path(settings["PATH"]))
    with local_lock(_project_path(opts["PUBLISH_LOCK"])):
        say("Kiểm tra kết nối tới máy chủ...")
        checked = [_on_target(target, lambda: probe(ssh, target)) for target in targets]
        ready = [t for t, failed in zip(targets, checked) if failed is None]
        report = Report("dry-run" if dry_run else "publish")
        if ready:  # refused here, before the server is touched, if the commit is not all
            tree, report.commit = _source(Path(settings["PATH"]), opts, dry_run, force, say)
        # The servers are made ready beside a daily build; a --full publish (minutes) does
        # not hold their locks (a rollback waits for it) while it builds.
        with _Landings(ssh, [] if dry_run or full else ready) as landings:
            if ready:
                say(f"Dựng trang từ commit {tree.commit[:12]} (publishconf.py, chế độ nghiêm ngặt)...")
                report.local = _local(tree, conf, settings, overrides, opts, full, say)
                report.files = report.local.files
            for target, failed in zip(targets, checked):
                def send(target=target) -> TargetResult:
                    checksum = bool(report.local is None or report.local.full)
                    if dry_run:
                        return look(ssh, target, output, checksum)
                    return deploy(ssh, target, output, report.commit,
                                  opts["PUBLISH_KEEP_RELEASES"], by, say=say, checksum=checksum,
                                  ready=partial(landings.take, target))
                result = failed or _on_target(target, send)
                report.results.append(result)
                if not dry_run:
                    _log_locally(opts, result, _entry(
                        "publish", target, report.commit, by, release=result.release,
                        previous=result.previous, **result.changes.counts(),
                        transferred=len(result.transferred), error=result.error,
                        problems=list(result.problems)))
    return report


class _Landings:
    """Each target made ready (:class:`Landing`) in a thread of its own while the site builds
    (the server copies the live release as the build runs); what is not taken by a deploy
    is abandoned on leaving (a failed build: nothing is sent, the copy goes)."""

    def __init__(self, ssh: Ssh, targets: list[Target]):
        self.ssh = ssh
        targets = list(dict.fromkeys(targets))  # a target named twice is made ready once
        self.pool = ThreadPoolExecutor(max_workers=max(1, len(targets)),
                                       thread_name_prefix="landing")
        self.futures = {t: self.pool.submit(Landing, ssh, t) for t in targets}

    def __enter__(self) -> "_Landings":
        return self

    def take(self, target: Target) -> Landing:
        """The landing of ``target``, waited for; made now if the server was busy while the
        site was built (another publish, or this one's to the same server under another
        name), or if it was taken already (a target named twice). Raises as :class:`Landing`."""
        future = self.futures.pop(target, None)
        if future is not None:
            try:
                return future.result()
            except ServerBusy:
                pass
        return Landing(self.ssh, target)

    def __exit__(self, *exc) -> None:
        for future in self.futures.values():
            try:
                future.result().abandon()
            except Exception:  # noqa: BLE001 - it failed: nothing was left to abandon
                continue
        self.pool.shutdown()


def _choose(state: ServerState, action: str, to: str | None) -> str:
    """The release ``rollback`` (to ``to``, or by default) or ``rollforward`` goes to."""
    if to:
        if to not in state.releases:
            raise PublishError(f"không có bản {to} (có: {', '.join(state.releases)})")
        return to
    if action == "rollforward":
        wanted = state.forward_target()
        if not wanted:
            raise PublishError("không có bản nào mới hơn bản đang chạy để tiến lên (bản đang chạy "
                               "là bản mới nhất còn giữ)")
        return wanted
    wanted = state.rollback_target()
    if not wanted:
        skipped = sorted(state.rolled_away & set(state.releases))
        raise PublishError("không còn bản cũ hơn bản đang chạy để quay lại"
                           + (f" (bỏ qua bản đã bị quay lại: {', '.join(skipped)}; "
                              "chọn hẳn bằng --to nếu cần)" if skipped else ""))
    return wanted


def _move(ssh: Ssh, target: Target, action: str, to: str | None, by: str,
          say: Callable[[str], None]) -> TargetResult:
    result = TargetResult(target)
    with multiplexed(ssh) as muxed, remote_lock(muxed, target):
        state = server_state(muxed, target)
        wanted = _choose(state, action, to)
        entry = _entry(action, target, "", by, release=wanted, previous=state.current)
        result.problems = switch(muxed, target, wanted, entry, [], partial=False)
        result.release, result.previous = wanted, state.current
        say(f"{target}: {state.current} → {wanted}")
    return result


def rollback(conf: str | Path = "publishconf.py", *, to: str | None = None,
             say: Callable[[str], None] = logger.info, forward: bool = False,
             **overrides) -> Report:
    """Make the newest older release that was not rolled away from (or ``to``) live again
    on every target; with ``forward``, the next newer release (one a rollback left)."""
    action = "rollforward" if forward else "rollback"
    settings = _project_settings(conf, overrides)
    opts = options(settings, overrides)
    if not opts["PUBLISH_TARGETS"]:
        raise PublishError("Chưa có máy chủ xuất bản (PUBLISH_TARGETS / CONGDOANTKV_TARGETS).")
    if to and not RELEASE.match(to):
        raise PublishError(f"Tên bản “{to}” viết sai: tên bản có dạng 20261126-083000-123456 "
                           "(xem `invoke releases`).")
    ssh = ssh_from(opts)
    by = gitrepo.identity(Path(settings["PATH"]))
    report = Report(action)
    with local_lock(_project_path(opts["PUBLISH_LOCK"])):
        for target in opts["PUBLISH_TARGETS"]:
            result = _on_target(target, lambda: _move(ssh, target, action, to, by, say))
            report.results.append(result)
            _log_locally(opts, result, _entry(
                action, target, "", by, release=result.release, previous=result.previous,
                error=result.error, problems=list(result.problems)))
    return report


def rollforward(conf: str | Path = "publishconf.py", **kwargs) -> Report:
    """Go forward to the next newer release on every target: undo a rollback."""
    return rollback(conf, forward=True, **kwargs)


def remote_log(ssh: Ssh, target: Target) -> list[dict]:
    """The publish log kept on ``target``, oldest first."""
    result = ssh.run(target, f"cat {shlex.quote(target.path)}/publish.log 2>/dev/null || true")
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
