"""``invoke publish`` end to end: a real OpenSSH server and rsync on 127.0.0.1, a small real
site built with publishconf.py, and nginx serving what was published with the shipped config."""
from __future__ import annotations

import getpass
import json
import re
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from newsroom.core.paths import ROOT
from newsroom.publish import release as publishing
from tests.helpers import article, tree

SSHD = "/usr/sbin/sshd"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{what} did not listen on {port}")


@dataclass
class SshServer:
    port: int
    user: str
    known_hosts: Path
    client_key: Path
    home: Path  # where test sites are published

    def target(self, name: str) -> str:
        return f"{self.user}@127.0.0.1:{self.port}{self.home / name}"


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    """A real OpenSSH server on 127.0.0.1, its own host key, a key for the test user."""
    base = tmp_path_factory.mktemp("sshd")
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test",
                        "-f", str(base / name)], check=True)
    (base / "authorized_keys").write_text((base / "client_key.pub").read_text())
    user = getpass.getuser()
    port = free_port()
    config = base / "sshd_config"
    config.write_text(textwrap.dedent(f"""\
        Port {port}
        ListenAddress 127.0.0.1
        HostKey {base / 'host_key'}
        PidFile {base / 'sshd.pid'}
        AuthorizedKeysFile {base / 'authorized_keys'}
        PubkeyAuthentication yes
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        PermitRootLogin prohibit-password
        AllowUsers {user}
        UsePAM no
        StrictModes no
        MaxStartups 100
        LogLevel ERROR
        """))
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation folder
    subprocess.run([SSHD, "-t", "-f", str(config)], check=True)
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE,
                            text=True)
    try:
        wait_for_port(port, proc, "sshd")
        host_key = (base / "host_key.pub").read_text().split()
        known_hosts = base / "known_hosts"
        known_hosts.write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
        home = base / "srv"
        home.mkdir()
        yield SshServer(port, user, known_hosts, base / "client_key", home)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


MENU_ARTICLES = {
    "tin-tuc": dict(title="Công đoàn Than Hà Lầm đối thoại với người lao động", category="Tin tức"),
    "phong-su": dict(title="Một ngày dưới lò cùng thợ mỏ Hà Lầm", category="Bài viết - Phóng sự"),
    "dien-hinh": dict(title="Thợ lò giỏi Nguyễn Văn Bình", category="Gương điển hình"),
    "tu-van": dict(title="Nghỉ ốm có được hưởng lương không", category="Tư vấn pháp luật",
                   question="Anh T. hỏi: nghỉ ốm 3 ngày có được trả lương không?"),
    "anh": dict(title="Ảnh: Tháng Công nhân ở Hà Lầm", category="Ảnh"),
    "video": dict(title="Video: An toàn lao động trong hầm lò", category="Video"),
}


class SiteRepo:
    """A small content folder under git, published with publishconf.py to the test server."""

    def __init__(self, tmp: Path, server: SshServer, name: str = "site"):
        self.tmp, self.server = tmp, server
        self.compress_cache = server.home.parent / "compress-cache"  # shared by this worker's tests
        self.content = tmp / "content"
        self.output = tmp / "output"
        self.remote = server.home / f"{name}-{tmp.name}"
        self.lock = tmp / "publish.lock"
        self.log = tmp / "publish.log"
        self.known_hosts = server.known_hosts
        self.ssh_program = "ssh"
        for i, (slug, fields) in enumerate(MENU_ARTICLES.items()):
            self.write(f"bai-viet/than-ha-lam/2020/{slug}.md",
                       article(date=f"2020-05-{10 + i:02d} 08:30", body=f"Nội dung bài {slug}.",
                               **fields))
        (self.content / "pages").mkdir(parents=True, exist_ok=True)
        self.write("pages/gioi-thieu.md", "Title: Giới thiệu\n\nCông đoàn Than – Khoáng sản Việt Nam.\n")
        self.git("init", "-q")
        self.commit("Nội dung đầu tiên")

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=Ban Tuyên giáo", "-c",
                               "user.email=toasoan@congdoantkv.vn", "-C", str(self.content), *args],
                              check=True, capture_output=True, text=True).stdout

    def write(self, rel: str, text: str | bytes) -> None:
        path = self.content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text, encoding="utf-8")

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def settings(self, **extra) -> dict:
        return {"PATH": self.content, "OUTPUT_PATH": self.output,
                "PUBLISH_TARGETS": [self.server.target(self.remote.name)],
                "PUBLISH_KNOWN_HOSTS": self.known_hosts, "PUBLISH_SSH_KEY": self.server.client_key,
                "PUBLISH_SSH_CONFIG": "/dev/null", "PUBLISH_SSH_PROGRAM": self.ssh_program,
                "PUBLISH_LOCK": self.lock, "PUBLISH_LOG": self.log,
                "PUBLISH_COMPRESS_CACHE": self.compress_cache, "PUBLISH_CLEAN_PATHS": [],
                "PUBLISH_WORKDIR": self.tmp / "publish-work",
                **extra}

    def publish(self, **kw) -> publishing.Report:
        flags = {k: kw.pop(k) for k in ("dry_run", "force", "full", "say") if k in kw}
        return publishing.publish("publishconf.py", **flags, **self.settings(**kw))

    def rollback(self, **kw) -> publishing.Report:
        return publishing.rollback("publishconf.py", **self.settings(**kw))

    # what the server holds
    def live(self) -> dict[str, bytes]:
        return tree(self.remote / "current")

    def current(self) -> str:
        return os.readlink(self.remote / "current")

    def releases(self) -> list[str]:
        return sorted(os.listdir(self.remote / "releases"))

    def server_log(self) -> list[dict]:
        return [json.loads(line) for line in (self.remote / "publish.log").read_text().splitlines()]


@pytest.fixture
def repo(tmp_path, sshd) -> SiteRepo:
    return SiteRepo(tmp_path, sshd)


def test_first_publish_then_one_change_travels_alone_then_rollback(repo):
    first = repo.publish()
    assert first.ok, first.summary()
    built_first = tree(repo.output)
    result = first.results[0]
    assert repo.current() == f"releases/{result.release}"
    assert repo.live() == built_first
    assert result.previous is None
    assert sorted(result.changes.added) == sorted(built_first)
    assert repo.live()["index.html.gz"]  # precompressed copies travel with the pages
    # the hashed stylesheet is what the pages name, and it is there
    stylesheet = [name for name in built_first if name.startswith("theme/css/site.") and name.endswith(".css")
                  and name != "theme/css/site.css"]
    assert len(stylesheet) == 1
    assert stylesheet[0].encode() in built_first["index.html"].replace(b"https://congdoantkv.vn/", b"")

    # one article changes: only the files that differ travel, the rest is hard-linked
    path = "bai-viet/than-ha-lam/2020/phong-su.md"
    source = (repo.content / path).read_text(encoding="utf-8")
    repo.write(path, source.replace("Nội dung bài phong-su.", "Nội dung bài phong-su, đã bổ sung ảnh và số liệu."))
    commit = repo.commit("Sửa bài phóng sự")
    second = repo.publish()
    assert second.ok, second.summary()
    built_second = tree(repo.output)
    differ = sorted(n for n in built_second if built_first.get(n) != built_second[n])
    gone = sorted(set(built_first) - set(built_second))
    assert "2020/05/mot-ngay-duoi-lo-cung-tho-mo-ha-lam/index.html" in differ
    assert len(differ) < len(built_second) / 2
    r2 = second.results[0]
    assert sorted(r2.transferred) == differ
    assert sorted(r2.changes.added + r2.changes.changed) == differ
    assert sorted(r2.changes.removed) == gone
    assert repo.live() == built_second
    old_dir, new_dir = repo.remote / "releases" / result.release, repo.remote / "releases" / r2.release
    assert (old_dir / "404.html").stat().st_ino == (new_dir / "404.html").stat().st_ino  # linked
    assert (old_dir / differ[0]).stat().st_ino != (new_dir / differ[0]).stat().st_ino
    log = repo.server_log()
    assert [e["release"] for e in log] == [result.release, r2.release]
    assert log[-1]["commit"] == commit and log[-1]["changed"] + log[-1]["added"] == len(differ)
    local_log = [json.loads(line) for line in repo.log.read_text().splitlines()]
    assert local_log[-1]["release"] == r2.release and local_log[-1]["error"] is None

    back = repo.rollback()
    assert back.ok, back.summary()
    assert (back.results[0].previous, back.results[0].release) == (r2.release, result.release)
    assert repo.current() == f"releases/{result.release}"
    assert repo.live() == built_first
    assert repo.server_log()[-1]["action"] == "rollback"


def clean_build(repo: SiteRepo, folder: Path) -> dict[str, bytes]:
    """What a full publish build of the repository's HEAD gives from nothing: an empty output,
    its own work folder (snapshot, read cache) and compression cache; nothing is sent."""
    report = repo.publish(dry_run=True, full=True, OUTPUT_PATH=folder / "output",
                          PUBLISH_WORKDIR=folder / "work", PUBLISH_COMPRESS_CACHE=folder / "gz",
                          say=lambda _: None)
    assert report.ok, report.summary()
    return tree(folder / "output")


def test_the_kept_build_folder_releases_what_a_clean_build_of_the_commit_gives(repo, tmp_path):
    """Publish; add an article; edit one; delete one, publishing each time: the live release
    is byte for byte the full clean build of the same commit, and only the first publish
    rebuilt the folder from empty."""
    said: list[str] = []
    steps = {"first": None,
             "add": lambda: repo.write("bai-viet/than-ha-lam/2020/moi.md", article(
                 title="Tin mới về Tháng Công nhân", date="2020-05-20 07:00",
                 body="Xem thêm [bài phóng sự](/2020/05/mot-ngay-duoi-lo-cung-tho-mo-ha-lam/).")),
             "edit": lambda: repo.write("bai-viet/than-ha-lam/2020/phong-su.md", article(
                 **MENU_ARTICLES["phong-su"], date="2020-05-11 08:30",
                 body="Nội dung bài phong-su, đã bổ sung số liệu.")),
             "delete": lambda: (repo.content / "bai-viet/than-ha-lam/2020/cu.md").unlink()}
    repo.write("bai-viet/than-ha-lam/2020/cu.md", article(title="Tin cũ sắp gỡ", date="2020-05-02 07:00"))
    repo.commit("Tin cũ")
    for step, change in steps.items():
        if change:
            change()
            repo.commit(f"Bước {step}")
        report = repo.publish(say=said.append)
        assert report.ok, report.summary()
        assert repo.live() == tree(repo.output) == clean_build(repo, tmp_path / f"clean-{step}")
    rebuilt = [m for m in said if m.startswith("Dựng lại toàn bộ")]
    assert rebuilt == ["Dựng lại toàn bộ thư mục dựng: lần đầu dùng thư mục dựng này."]
    live = repo.live()
    assert "2020/05/tin-moi-ve-thang-cong-nhan/index.html" in live
    assert not [name for name in live if "tin-cu-sap-go" in name]  # its page, its card: gone
    assert "bổ sung số liệu" in live["2020/05/mot-ngay-duoi-lo-cung-tho-mo-ha-lam/index.html"].decode()


def test_dry_run_lists_changes_and_sends_nothing(repo):
    assert repo.publish().ok
    live_before, releases_before, log_before = repo.live(), repo.releases(), repo.server_log()
    repo.write("bai-viet/than-ha-lam/2020/moi.md",
               article(title="Tin mới về Tháng Công nhân", date="2020-05-20 07:00"))
    repo.commit("Thêm tin")
    report = repo.publish(dry_run=True)
    assert report.ok and report.action == "dry-run"
    changes = report.results[0].changes
    assert "2020/05/tin-moi-ve-thang-cong-nhan/index.html" in changes.added
    assert "index.html" in changes.changed
    # only the search index of the year 2020 goes: Pagefind names its files by content
    assert not [path for path in changes.removed if not path.startswith("pagefind/2020/")]
    assert "sẽ thêm" in report.summary()
    assert (repo.live(), repo.releases(), repo.server_log()) == (live_before, releases_before, log_before)


def test_a_second_publish_is_refused_while_one_runs(repo, tmp_path):
    """Publish A runs in a thread; while it builds, and again while it holds the server, other
    publishes try: from this machine (same lock) and from another machine (own lock, own
    output). Both are refused, A is not disturbed, and the next publish goes through."""
    building, sending, tried_here, tried_there = (threading.Event() for _ in range(4))

    def say(message):
        if message.startswith("Dựng trang"):
            building.set()
            assert tried_here.wait(60)
        elif "gửi bản" in message:
            sending.set()
            assert tried_there.wait(60)

    outcome = {}
    first = threading.Thread(target=lambda: outcome.setdefault("a", repo.publish(say=say)))
    first.start()
    try:
        assert building.wait(60)
        with pytest.raises(publishing.PublishError, match="đang chạy trên máy này"):
            repo.publish()
        tried_here.set()
        assert sending.wait(60)
        other = repo.publish(PUBLISH_LOCK=tmp_path / "other.lock", OUTPUT_PATH=tmp_path / "other-output")
    finally:
        tried_here.set()
        tried_there.set()
        first.join(120)
    assert not other.ok
    assert "đang chạy trên máy chủ" in other.results[0].error
    assert "LỖI" in other.summary()
    assert outcome["a"].ok, outcome["a"].summary()
    assert repo.live() == tree(repo.output)
    assert len(repo.releases()) == 1
    # the locks go with the publish (and the server's with its SSH session): the next one runs
    assert repo.publish().ok


CUTTER = """\
#!{python}
# ssh that drops the connection once an rsync transfer (not a dry run) has sent {limit} bytes
import os, re, signal, subprocess, sys, threading
argv = sys.argv[1:]
server = argv[argv.index("--server"):] if "--server" in argv else []
dry = any(a.startswith("-") and not a.startswith("--") and "n" in a for a in server)
if not server or dry:
    os.execvp("ssh", ["ssh", *argv])
child = subprocess.Popen(["ssh", *argv], stdin=subprocess.PIPE)
os.close(1)

for sig in (signal.SIGTERM, signal.SIGUSR1, signal.SIGHUP, signal.SIGINT, signal.SIGPIPE):
    signal.signal(sig, signal.SIG_IGN)  # rsync may signal us as it fails: finish the record

cutting, done = threading.Event(), threading.Event()

def cut():
    # the publish's one TCP connection is its master ssh: kill it, then this session
    cutting.set()
    control = [a.split("=", 1)[1] for a in argv if a.startswith("ControlPath=")]
    if control:
        check = subprocess.run(["ssh", "-o", "ControlPath=" + control[0], "-O", "check", "x"],
                               capture_output=True, text=True)
        pid = re.search(r"pid=(\\d+)", check.stderr)
        if pid:
            os.kill(int(pid.group(1)), signal.SIGKILL)
            with open(sys.argv[0] + ".log", "a") as log:
                log.write("master " + pid.group(1) + " killed\\n")
    child.send_signal(signal.SIGKILL)
    done.set()

def pump():
    sent = 0
    while True:
        chunk = os.read(0, 65536)
        if not chunk:
            break
        try:
            child.stdin.write(chunk)
            child.stdin.flush()
        except BrokenPipeError:
            return
        sent += len(chunk)
        if sent > {limit}:
            cut()
            return
    child.stdin.close()

threading.Thread(target=pump, daemon=True).start()
code = child.wait()
if cutting.is_set():
    done.wait(30)
os._exit(255 if code < 0 else code)
"""


def test_connection_cut_mid_transfer_keeps_the_live_release(repo):
    assert repo.publish().ok
    live_before, current_before = repo.live(), repo.current()
    # an article with a large photo, so the transfer takes many packets
    import io
    from PIL import Image
    photo = io.BytesIO()
    Image.frombytes("RGB", (1000, 1000), os.urandom(3_000_000)).save(photo, "JPEG", quality=95)
    assert photo.tell() > 1_000_000
    repo.write("bai-viet/than-ha-lam/2020/anh/anh-lon.jpg", photo.getvalue())
    path = "bai-viet/than-ha-lam/2020/anh.md"
    repo.write(path, (repo.content / path).read_text(encoding="utf-8").replace(
        "Nội dung bài anh.", "Nội dung bài anh.\n\n![Thợ mỏ]({static}anh/anh-lon.jpg)"))
    repo.commit("Thêm ảnh lớn")
    cutter = repo.tmp / "ssh-cut"
    cutter.write_text(CUTTER.format(python=sys.executable, limit=200_000))
    cutter.chmod(0o755)
    repo.ssh_program = str(cutter)
    report = repo.publish()
    assert not report.ok
    assert "rsync" in report.results[0].error
    record = Path(f"{cutter}.log")  # the TCP connection itself was cut
    assert record.is_file() and "killed" in record.read_text(), report.summary()
    assert repo.current() == current_before
    assert repo.live() == live_before
    assert not [r for r in repo.releases() if r != current_before.split("/")[-1]]
    repo.ssh_program = "ssh"
    again = repo.publish()
    assert again.ok, again.summary()
    assert repo.live() == tree(repo.output)
    page = "2020/05/anh-thang-cong-nhan-o-ha-lam/index.html"
    assert repo.live()[page] != live_before[page] and b"<img" in repo.live()[page]


def test_a_build_that_fails_verification_is_not_sent(repo):
    assert repo.publish().ok
    live_before, releases_before = repo.live(), repo.releases()
    path = "bai-viet/than-ha-lam/2020/tin-tuc.md"
    good = (repo.content / path).read_text(encoding="utf-8")
    repo.write(path, good.replace("Nội dung bài tin-tuc.",
                                  "Xem thêm [bài cũ](https://congdoantkv.vn/2019/01/bai-da-xoa/)."))
    repo.commit("Liên kết hỏng")
    with pytest.raises(publishing.PublishError) as failure:
        repo.publish()
    message = str(failure.value)
    assert "https://congdoantkv.vn/2019/01/bai-da-xoa/" in message
    assert "trang đang chạy giữ nguyên" in message
    # the copy the server made while the site was built is gone (nothing half-made is kept)
    assert (repo.live(), repo.releases()) == (live_before, releases_before)
    deadline = time.monotonic() + 60
    while (repo.remote / ".trash").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not (repo.remote / ".trash").exists()
    repo.write(path, good)
    repo.commit("Sửa liên kết")
    assert repo.publish().ok
    assert len(repo.releases()) == len(releases_before) + 1


def test_only_the_commit_is_published(repo):
    """An untracked article, one in a folder .gitignore leaves out, and an uncommitted edit
    never reach the site, forced or not; the logs name HEAD, the commit really built."""
    repo.write(".gitignore", "build/\n")
    head = repo.commit("Bỏ qua thư mục build")
    repo.write("bai-viet/than-ha-lam/build/an.md", article(title="Bài trong thư mục bị bỏ qua"))
    repo.write("bai-viet/than-ha-lam/2020/nhap.md", article(title="Bài chưa commit"))
    path = "bai-viet/than-ha-lam/2020/tin-tuc.md"
    repo.write(path, (repo.content / path).read_text(encoding="utf-8").replace(
        "Nội dung bài tin-tuc.", "Đoạn sửa chưa commit."))
    said: list[str] = []
    with pytest.raises(publishing.PublishError, match="chưa commit") as failure:
        repo.publish(say=said.append)
    assert "nhap.md" in str(failure.value) and "tin-tuc.md" in str(failure.value)
    assert "KHÔNG lên trang" in str(failure.value)
    assert not (repo.remote / "current").exists()
    looked = repo.publish(dry_run=True)  # looking is allowed, and shows what the commit holds
    assert not [n for n in looked.results[0].changes.added if "bai-chua-commit" in n or "bo-qua" in n]
    assert not (repo.remote / "current").exists()

    report = repo.publish(force=True, say=said.append)
    assert report.ok, report.summary()
    assert report.commit == head == repo.git("rev-parse", "HEAD").strip()
    assert repo.server_log()[-1]["commit"] == head
    assert json.loads(repo.log.read_text().splitlines()[-1])["commit"] == head
    live = repo.live()
    assert not [n for n in live if "bai-chua-commit" in n or "bai-trong-thu-muc" in n]
    page = live["2020/05/cong-doan-than-ha-lam-doi-thoai-voi-nguoi-lao-dong/index.html"].decode()
    assert "Nội dung bài tin-tuc." in page and "Đoạn sửa chưa commit" not in page
    assert all("Bài chưa commit".encode() not in body and "thư mục bị bỏ qua".encode() not in body
               for body in live.values())
    notes = "\n".join(said)
    assert "build/an.md" in notes and ".gitignore" in notes and "KHÔNG được xuất bản" in notes

    # nothing uncommitted left but the ignored article: the publish goes, the article stays out
    (repo.content / "bai-viet/than-ha-lam/2020/nhap.md").unlink()
    repo.git("checkout", "--", path)
    again = repo.publish()
    assert again.ok and again.commit == head
    assert not [n for n in repo.live() if "bai-trong-thu-muc" in n]


def test_unknown_host_key_is_refused(repo):
    empty = repo.tmp / "known_hosts"
    empty.write_text("")
    repo.known_hosts = empty
    report = repo.publish()
    assert not report.ok
    assert "known_hosts" in report.results[0].error
    assert not repo.remote.exists() or not (repo.remote / "current").exists()


def test_several_targets_are_updated_in_turn_and_a_failure_is_named(repo, sshd):
    second = sshd.home / f"second-{repo.tmp.name}"
    broken = f"{sshd.user}@127.0.0.1:{free_port()}/srv/khong-co"
    report = repo.publish(PUBLISH_TARGETS=[sshd.target(repo.remote.name), broken, str(sshd.target(second.name))])
    assert [r.error is None for r in report.results] == [True, False, True]
    assert broken in report.summary() and "LỖI" in report.summary()
    assert tree(repo.remote / "current") == tree(second / "current") == tree(repo.output)


def test_a_server_busy_when_the_publish_starts_and_free_once_the_site_is_built_gets_it(repo):
    """Another publish (from another machine) held the server when this one started and was
    done before this one's site was built: the release goes out, as when the server was only
    asked once the site was built."""
    import fcntl

    assert repo.publish().ok
    repo.write("pages/lien-he.md", "Title: Liên hệ\n\nĐiện thoại.\n")
    repo.commit("Liên hệ")
    held = open(repo.remote / ".publish.lock", "a+")
    fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def say(line: str) -> None:
        if line.startswith("Thư mục dựng:"):  # the site is built: the other publish is done
            held.close()
    try:
        report = repo.publish(say=say)
    finally:
        held.close()
    assert report.ok, report.summary()
    assert "lien-he/index.html" in repo.live()


def test_a_target_named_twice_is_published_in_turn(repo):
    """The same server twice in PUBLISH_TARGETS (a slip in the settings, or one server under
    two names): each is updated in turn, none waits on the other's lock."""
    target = repo.server.target(repo.remote.name)
    report = repo.publish(PUBLISH_TARGETS=[target, target])
    assert report.ok, report.summary()
    assert len(report.results) == 2 and repo.live() == tree(repo.output)


def test_old_releases_are_pruned(repo):
    for n in range(3):
        repo.write("pages/lien-he.md", f"Title: Liên hệ\n\nĐiện thoại lần {n}.\n")
        repo.commit(f"Liên hệ {n}")
        assert repo.publish(PUBLISH_KEEP_RELEASES=2).ok
    assert len(repo.releases()) == 2
    assert repo.current() == f"releases/{repo.releases()[-1]}"
    # the pruned releases left at once and are deleted in the background, never the live one
    deadline = time.monotonic() + 30
    while (repo.remote / ".trash").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not (repo.remote / ".trash").exists()
    assert repo.live() == tree(repo.output)


def project_copy(folder: Path) -> Path:
    """The project as a webmaster's clone holds it (its tracked files, this site's content
    instead of the sample), committed: content and code in one repository."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], check=True,
                            capture_output=True, text=True).stdout.split("\0")
    for name in listed:
        source = ROOT / name
        if name and not name.startswith(("content/", "tests/")) and source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(source.read_bytes())
    for i, (slug, fields) in enumerate(MENU_ARTICLES.items()):
        path = folder / f"content/bai-viet/than-ha-lam/2020/{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article(date=f"2020-05-{10 + i:02d} 08:30", **fields), encoding="utf-8")
    git = ["git", "-c", "user.name=Ban Tuyên giáo", "-c", "user.email=toasoan@congdoantkv.vn",
           "-C", str(folder)]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "Dự án"], check=True)
    return folder


def test_a_clone_publishes_its_commit_with_the_committed_code(sshd, tmp_path):
    """``invoke publish`` in a full clone: an uncommitted theme edit and a plugin that would
    crash, and an article in a folder named like an ignore pattern (``reports/``), stay out;
    the build reuses the clone's photo cache and writes nothing into the committed tree."""
    project = project_copy(tmp_path / "du-an")
    head = subprocess.run(["git", "-C", str(project), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()
    base = project / "theme/templates/base.html"
    base.write_text(base.read_text(encoding="utf-8").replace(
        "</footer>", "<p>Giao diện chưa commit</p></footer>"), encoding="utf-8")
    with open(project / "plugins/sitemaps/__init__.py", "a", encoding="utf-8") as plugin:
        plugin.write("raise RuntimeError('plugin chưa commit')\n")
    hidden = project / "content/bai-viet/reports/2020/bao-cao.md"
    hidden.parent.mkdir(parents=True)
    hidden.write_text(article(title="Báo cáo không được commit"), encoding="utf-8")
    remote = sshd.home / f"clone-{tmp_path.name}"
    env = {**os.environ, "CONGDOANTKV_TARGETS": sshd.target(remote.name),
           "CONGDOANTKV_KNOWN_HOSTS": str(sshd.known_hosts),
           "CONGDOANTKV_SSH_KEY": str(sshd.client_key)}
    invoke = [sys.executable, "-m", "invoke", "publish"]
    refused = subprocess.run(invoke, cwd=project, env=env, capture_output=True, text=True)
    assert refused.returncode == 1 and not remote.exists()
    assert "theme/templates/base.html" in refused.stderr and "KHÔNG lên trang" in refused.stderr

    done = subprocess.run(invoke + ["--force"], cwd=project, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reports/2020/bao-cao.md" in done.stdout and "KHÔNG được xuất bản" in done.stdout
    live = tree(remote / "current")
    assert live == tree(project / "cache/publish/output") and "sitemap.xml" in live
    assert not (project / "output").exists()  # the preview's folder is not the publish's
    assert "2020/05/mot-ngay-duoi-lo-cung-tho-mo-ha-lam/index.html" in live
    assert not [n for n in live if "bao-cao" in n]
    assert all("chưa commit".encode() not in body for body in live.values())
    log = [json.loads(line) for line in (remote / "publish.log").read_text().splitlines()]
    assert log[-1]["commit"] == head
    assert json.loads((project / "reports/publish.log").read_text().splitlines()[-1])["commit"] == head
    built = project / "cache/publish/tree"
    assert subprocess.run(["git", "-C", str(built), "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip() == head
    assert subprocess.run(["git", "-C", str(built), "status", "--porcelain", "--ignored"],
                          capture_output=True, text=True).stdout == ""
    assert list((project / "cache/images/objects").rglob("manifest.json"))  # the clone's cache


def test_the_build_tree_holds_exactly_the_commit_whatever_was_left_in_it(tmp_path):
    from newsroom.publish import snapshot

    def repo(name: str) -> Path:
        folder = tmp_path / name
        (folder / "content").mkdir(parents=True)
        (folder / "content/a.md").write_text("Title: A\n\nA.\n")
        subprocess.run(["git", "init", "-q", str(folder)], check=True)
        subprocess.run(["git", "-C", str(folder), "add", "-A"], check=True)
        subprocess.run(["git", "-c", "user.name=a", "-c", "user.email=a@b.vn", "-C", str(folder),
                        "commit", "-q", "-m", "a"], check=True)
        return folder

    first, other, work = repo("mot"), repo("hai"), tmp_path / "work" / "tree"
    taken = snapshot.take(first / "content", work)
    assert sorted(p.name for p in work.rglob("*") if ".git" not in p.parts) == ["a.md", "content"]
    # what a build or a hand left there goes; a tracked file edited there is put back
    (work / "content/a.md").write_text("sửa tay")
    (work / "content/moi.md").write_text("Title: Mới")
    (work / "__pycache__").mkdir()
    again = snapshot.take(first / "content", work)
    assert again.commit == taken.commit and again.map(first / "content/a.md") == work / "content/a.md"
    assert (work / "content/a.md").read_text() == "Title: A\n\nA.\n"
    assert not (work / "content/moi.md").exists() and not (work / "__pycache__").exists()
    # the folder removed (git still lists the worktree), then taken by another repository
    subprocess.run(["rm", "-rf", str(work)], check=True)
    assert snapshot.take(first / "content", work).commit == taken.commit
    assert snapshot.take(other / "content", work).repo == other.resolve()
    # a folder that is not a build tree is never deleted
    stranger = tmp_path / "cua-ai-do"
    stranger.mkdir()
    (stranger / "ghi-chu.txt").write_text("giữ lại")
    with pytest.raises(snapshot.SnapshotError, match="PUBLISH_WORKDIR"):
        snapshot.take(first / "content", stranger)
    assert (stranger / "ghi-chu.txt").read_text() == "giữ lại"
    # inside the repository, the tree must be a folder git ignores
    with pytest.raises(snapshot.SnapshotError, match="không bỏ qua"):
        snapshot.take(first / "content", first / "ban-dung")


def test_a_step_failing_after_the_switch_is_reported_as_switched(repo, tmp_path):
    """The server's log cannot be written (a folder stands in its place: root writes any file):
    publish and rollback say the switch happened, with an exit code of their own."""
    first = repo.publish().results[0].release
    (repo.remote / "publish.log").unlink()
    (repo.remote / "publish.log").mkdir()
    repo.write("pages/lien-he.md", "Title: Liên hệ\n\nĐiện thoại: 0203 3826 000.\n")
    repo.commit("Trang liên hệ")
    report = repo.publish()
    result = report.results[0]
    assert repo.current() == f"releases/{result.release}" != f"releases/{first}"
    assert result.error is None and not report.ok
    assert report.exit_code == publishing.EXIT_SWITCHED != publishing.EXIT_UNCHANGED
    summary = report.summary()
    assert f"Đã chuyển sang bản {result.release}" in summary
    assert "không ghi được nhật ký trên máy chủ" in summary and "Is a directory" in summary
    assert "giữ nguyên bản cũ" not in summary
    local = json.loads(repo.log.read_text().splitlines()[-1])
    assert local["release"] == result.release and local["problems"]

    # rollback from the command line, this machine's log unwritable as well
    env = {**os.environ, "CONGDOANTKV_TARGETS": repo.server.target(repo.remote.name),
           "CONGDOANTKV_KNOWN_HOSTS": str(repo.known_hosts),
           "CONGDOANTKV_SSH_KEY": str(repo.server.client_key),
           "CONGDOANTKV_PUBLISH_LOG": str(tmp_path),
           "CONGDOANTKV_PUBLISH_LOCK": str(tmp_path / "cli.lock")}
    done = subprocess.run([sys.executable, "-m", "invoke", "rollback"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert done.returncode == publishing.EXIT_SWITCHED, done.stdout + done.stderr
    assert repo.current() == f"releases/{first}"
    assert f"Đã chuyển sang bản {first} (trước đó: {result.release})" in done.stdout
    assert "không ghi được nhật ký trên máy này" in done.stdout

    # a failure before the switch still says nothing changed
    (repo.remote / "publish.log").rmdir()
    broken = repo.publish(PUBLISH_TARGETS=[f"{repo.server.user}@127.0.0.1:{free_port()}/srv/x"])
    assert broken.exit_code == publishing.EXIT_UNCHANGED and "giữ nguyên bản cũ" in broken.summary()


def test_rollback_never_returns_to_a_release_rolled_away_from(repo):
    """publish A, B; roll back (B is left); publish C with pruning to 2 releases; roll back:
    A, never B. Pruning kept the live release and the rollback target, not the newest."""
    keep = {"PUBLISH_KEEP_RELEASES": 2}
    releases = []
    for n in range(3):
        if n == 2:
            back = repo.rollback()
            assert back.ok and back.results[0].release == releases[0], back.summary()
        repo.write("pages/lien-he.md", f"Title: Liên hệ\n\nĐiện thoại lần {n}.\n")
        repo.commit(f"Liên hệ {n}")
        report = repo.publish(**keep)
        assert report.ok, report.summary()
        releases.append(report.results[0].release)
    a, b, c = releases
    assert repo.releases() == [a, c]  # B went, though newer than A
    assert [(e["action"], e["release"], e["previous"]) for e in repo.server_log()] == [
        ("publish", a, None), ("publish", b, a), ("rollback", a, b), ("publish", c, a)]
    back = repo.rollback()
    assert back.ok, back.summary()
    assert (back.results[0].previous, back.results[0].release) == (c, a)
    assert repo.current() == f"releases/{a}"
    # nothing older that was not rolled away from: refused, nothing changes
    again = repo.rollback()
    assert not again.ok and again.exit_code == publishing.EXIT_UNCHANGED
    assert "không còn bản cũ hơn" in again.results[0].error
    assert repo.current() == f"releases/{a}"
    # named, any release may be chosen again
    assert repo.rollback(to=c).ok and repo.current() == f"releases/{c}"


def test_server_state_picks_the_rollback_target_and_what_to_prune():
    state = publishing.ServerState("5", ["1", "2", "3", "4", "5"], publishing.rolled_away([
        {"action": "rollback", "release": "3", "previous": "4"},
        {"action": "rollback", "release": "2", "previous": "3"},
        {"action": "publish", "release": "5", "previous": "2"}]))
    assert state.rolled_away == {"3", "4"}
    assert state.rollback_target() == "2"
    assert state.to_prune(2) == ["1", "3", "4"]
    assert state.to_prune(3) == ["3", "4"]  # the rolled-away go before an older good one
    assert state.to_prune(4) == ["3"]
    # a release chosen again by name (rollback --to) counts again
    assert publishing.rolled_away([{"action": "rollback", "release": "3", "previous": "4"},
                                   {"action": "rollback", "release": "4", "previous": "3"}]) == {"3"}


def test_targets_come_from_the_environment():
    opts = publishing.options({"PUBLISH_TARGETS": ["a@b.vn:22/srv/x"]}, environ={
        "CONGDOANTKV_TARGETS": "deploy@origin1.congdoantkv.vn:2222/srv/congdoantkv,deploy@origin2.congdoantkv.vn:/srv/site"})
    assert [str(t) for t in opts["PUBLISH_TARGETS"]] == [
        "deploy@origin1.congdoantkv.vn:2222/srv/congdoantkv", "deploy@origin2.congdoantkv.vn:22/srv/site"]
    for bad in ("origin1:/srv/x", "deploy@host:22/", "deploy@host:22/srv/../etc", "deploy@host:22/srv/a b"):
        with pytest.raises(publishing.PublishError, match="máy chủ|Máy chủ"):
            publishing.options({"PUBLISH_TARGETS": [bad]}, environ={})
    with pytest.raises(publishing.PublishError, match="PUBLISH_KEEP_RELEASES"):
        publishing.options({"PUBLISH_KEEP_RELEASES": 1}, environ={})


# --- nginx with the shipped configuration, serving what was published ---------------------

NGINX = "/usr/sbin/nginx"
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")
CONF = ROOT / "deploy" / "nginx" / "congdoantkv.conf"


@dataclass
class Nginx:
    http: int
    https: int
    site: SiteRepo
    redirects: Path

    def get(self, path: str, host: str = "congdoantkv.vn", tls: bool = True, **headers):
        import http.client
        import ssl

        if tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection("127.0.0.1", self.https, context=context, timeout=10)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.http, timeout=10)
        conn.request("GET", path, headers={"Host": host, **headers})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response, body


def templated_config(published: Path, http: int, https: int, tmp: Path, redirects: Path) -> str:
    """The shipped configuration with this machine's ports, root, certificate and map."""
    text = CONF.read_text()
    swaps = {
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "/srv/congdoantkv/current": str(published),
        "/etc/letsencrypt/live/congdoantkv.vn/fullchain.pem": str(tmp / "cert.pem"),
        "/etc/letsencrypt/live/congdoantkv.vn/privkey.pem": str(tmp / "key.pem"),
        "/etc/nginx/congdoantkv-redirects.map": str(redirects),
        "/var/www/letsencrypt": str(tmp / "acme"),
    }
    for old, new in swaps.items():
        assert old in text, f"the shipped nginx configuration no longer has {old!r}"
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def nginx(tmp_path_factory, sshd):
    """nginx on loopback with deploy/nginx/congdoantkv.conf, serving a site published over SSH."""
    tmp = tmp_path_factory.mktemp("nginx")
    repo = SiteRepo(tmp_path_factory.mktemp("nginx-site"), sshd)
    report = repo.publish()
    assert report.ok, report.summary()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=congdoantkv.vn", "-keyout", str(tmp / "key.pem"), "-out",
                    str(tmp / "cert.pem")], check=True, capture_output=True)
    redirects = tmp / "redirects.map"
    redirects.write_text((ROOT / "deploy/nginx/redirects.map").read_text()
                         + "/2020/05/bai-cu/ /2020/05/mot-ngay-duoi-lo-cung-tho-mo-ha-lam/;\n")
    http, https = free_port(), free_port()
    (tmp / "site.conf").write_text(templated_config(repo.remote / "current", http, https, tmp, redirects))
    main = tmp / "nginx.conf"
    main.write_text(textwrap.dedent(f"""\
        {'user root;' if os.geteuid() == 0 else ''}
        daemon off;
        worker_processes 1;
        pid {tmp / 'nginx.pid'};
        error_log {tmp / 'error.log'} warn;
        load_module {BROTLI_MODULE};
        events {{ worker_connections 64; }}
        http {{
            include /etc/nginx/mime.types;
            default_type application/octet-stream;
            access_log off;
            client_body_temp_path {tmp / 'body'};
            proxy_temp_path {tmp / 'proxy'};
            fastcgi_temp_path {tmp / 'fastcgi'};
            uwsgi_temp_path {tmp / 'uwsgi'};
            scgi_temp_path {tmp / 'scgi'};
            include {tmp / 'site.conf'};
        }}
        """))
    check = subprocess.run([NGINX, "-t", "-p", str(tmp), "-c", str(main)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(main)], stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(https, proc, "nginx")
        wait_for_port(http, proc, "nginx")
        yield Nginx(http, https, repo, redirects)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_nginx_serves_the_live_release_with_security_and_cache_headers(nginx):
    response, body = nginx.get("/")
    assert response.status == 200
    assert body == (nginx.site.remote / "current" / "index.html").read_bytes()
    headers = response.headers
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "public, max-age=300"
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = dict((part.strip() + " ").split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    csp = {k: v.strip() for k, v in csp.items()}
    assert "upgrade-insecure-requests" in csp
    # WebAssembly may run (Pagefind's search), no inline or third-party script
    assert csp["script-src"] == "'self' 'wasm-unsafe-eval'" and csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'" and csp["frame-ancestors"] == "'self'"
    # the hashed stylesheet the page names is kept for a year
    from bs4 import BeautifulSoup
    href = BeautifulSoup(body, "lxml").select_one("link[rel=stylesheet]")["href"]
    assert re.search(r"/theme/css/site\.[0-9a-f]{10}\.css$", href)
    css, css_body = nginx.get(href.replace("https://congdoantkv.vn", ""))
    assert css.status == 200 and css.headers["Content-Type"] == "text/css"
    assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert css_body == (nginx.site.output / href.split("congdoantkv.vn/")[1]).read_bytes()
    # the search index: its content-named files for a year, the list of its parts briefly
    live = nginx.site.remote / "current"
    chunk = "/" + str(next(live.glob("pagefind/*/index/*.pf_index")).relative_to(live))
    response, _ = nginx.get(chunk)
    assert response.status == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    response, _ = nginx.get("/pagefind/shards.json")
    assert response.status == 200 and response.headers["Cache-Control"] == "public, max-age=300"


def test_nginx_sends_the_precompressed_files(nginx):
    page = "2020/05/mot-ngay-duoi-lo-cung-tho-mo-ha-lam/index.html"
    live = nginx.site.remote / "current"
    for encoding, suffix in (("gzip", ".gz"), ("br", ".br")):
        response, body = nginx.get("/2020/05/mot-ngay-duoi-lo-cung-tho-mo-ha-lam/",
                                   **{"Accept-Encoding": encoding})
        assert response.status == 200
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
        assert body == (live / (page + suffix)).read_bytes()
    plain, body = nginx.get("/2020/05/mot-ngay-duoi-lo-cung-tho-mo-ha-lam/")
    assert plain.headers["Content-Encoding"] is None and body == (live / page).read_bytes()
    feed, body = nginx.get("/feeds/tat-ca.atom.xml", **{"Accept-Encoding": "gzip"})
    assert feed.headers["Content-Encoding"] == "gzip"
    assert gzip_decompress(body) == (live / "feeds/tat-ca.atom.xml").read_bytes()


def gzip_decompress(data: bytes) -> bytes:
    import gzip
    return gzip.decompress(data)


def test_nginx_404_page_and_redirects(nginx):
    response, body = nginx.get("/2020/05/khong-co-bai-nay/")
    assert response.status == 404
    assert body == (nginx.site.remote / "current" / "404.html").read_bytes()
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # on errors too
    expected = {
        ("/don-vi", "congdoantkv.vn", True): "/don-vi/",
        ("/2020/index.html", "congdoantkv.vn", True): "/2020/",
        ("/index.html", "congdoantkv.vn", True): "/",
        ("/feed", "congdoantkv.vn", True): "/feeds/tat-ca.atom.xml",
        ("/rss.xml", "congdoantkv.vn", True): "/feeds/tat-ca.atom.xml",
        ("/2020/05/bai-cu/", "congdoantkv.vn", True): "/2020/05/mot-ngay-duoi-lo-cung-tho-mo-ha-lam/",
        ("/don-vi/?x=1", "congdoantkv.vn", False): "https://congdoantkv.vn/don-vi/?x=1",
        ("/gioi-thieu/", "www.congdoantkv.vn", True): "https://congdoantkv.vn/gioi-thieu/",
        # every redirect keeps the query string
        ("/don-vi?utm_source=zalo", "congdoantkv.vn", True): "/don-vi/?utm_source=zalo",
        ("/2020/index.html?trang=2", "congdoantkv.vn", True): "/2020/?trang=2",
        ("/rss.xml?utm_source=fb&x=1", "congdoantkv.vn", True): "/feeds/tat-ca.atom.xml?utm_source=fb&x=1",
        ("/2020/05/bai-cu/?fbclid=abc", "congdoantkv.vn", True):
            "/2020/05/mot-ngay-duoi-lo-cung-tho-mo-ha-lam/?fbclid=abc",
        ("/gioi-thieu/?a=1", "www.congdoantkv.vn", True): "https://congdoantkv.vn/gioi-thieu/?a=1",
    }
    for (path, host, tls), location in expected.items():
        response, _ = nginx.get(path, host=host, tls=tls)
        assert (response.status, response.headers["Location"]) == (301, location), path
        if tls:  # HSTS on every HTTPS answer, the www redirect included
            assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000"), path
    for path in ("/feeds/tat-ca.atom.xml", "/don-vi/than-ha-lam/", "/gioi-thieu/"):
        assert nginx.get(path)[0].status == 200, path


def test_nginx_well_known_feeds_and_no_precompressed_downloads(nginx):
    live = nginx.site.remote / "current"
    well_known = live / ".well-known"
    well_known.mkdir()
    try:
        (well_known / "security.txt").write_text("Contact: mailto:toasoan@congdoantkv.vn\n")
        (well_known / ".an").write_text("bí mật")
        (live / ".env").write_text("bí mật")
        response, body = nginx.get("/.well-known/security.txt")
        assert response.status == 200 and body.startswith(b"Contact: mailto:")
        assert response.headers["Strict-Transport-Security"] and response.headers["X-Content-Type-Options"]
        for hidden in ("/.well-known/.an", "/.env", "/.git/config"):
            assert nginx.get(hidden)[0].status == 404, hidden
    finally:
        for path in (well_known / "security.txt", well_known / ".an", live / ".env"):
            path.unlink(missing_ok=True)
        well_known.rmdir()
    for feed in ("/feeds/tat-ca.atom.xml", "/chuyen-muc/tin-tuc/feed.xml", "/don-vi/than-ha-lam/feed.xml"):
        for encoding in ("identity", "gzip", "br"):
            response, _ = nginx.get(feed, **{"Accept-Encoding": encoding})
            assert response.status == 200, feed
            assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8", (feed, encoding)
    sitemap, _ = nginx.get("/sitemap.xml")
    assert sitemap.status == 200 and sitemap.headers["Content-Type"].startswith("text/xml")
    # the compressed copies exist, are sent in place of their original, never on their own
    assert (live / "index.html.gz").is_file() and (live / "feeds/tat-ca.atom.xml.br").is_file()
    for copy in ("/index.html.gz", "/index.html.br", "/feeds/tat-ca.atom.xml.gz",
                 "/2020/05/mot-ngay-duoi-lo-cung-tho-mo-ha-lam/index.html.br"):
        response, body = nginx.get(copy, **{"Accept-Encoding": "gzip, br"})
        assert response.status == 404, copy
        assert body != (live / copy.lstrip("/")).read_bytes()


def test_nginx_follows_a_publish_and_a_rollback_at_once(nginx):
    repo = nginx.site
    url = "/2020/05/cong-doan-than-ha-lam-doi-thoai-voi-nguoi-lao-dong/"
    path = "bai-viet/than-ha-lam/2020/tin-tuc.md"
    before = nginx.get(url)[1]
    repo.write(path, (repo.content / path).read_text(encoding="utf-8") + "\nĐoạn mới: 120 ý kiến đã được trả lời.\n")
    repo.commit("Bổ sung tin")
    assert repo.publish().ok
    after = nginx.get(url)[1]
    assert "120 ý kiến".encode() in after and after != before
    assert repo.rollback().ok
    assert nginx.get(url)[1] == before


def inline_code(html: bytes) -> list[str]:
    """What the CSP above would block in a page: inline scripts, style elements/attributes."""
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(html, "lxml")
    found = [f"<script>{s.get_text()[:40]}" for s in soup.find_all("script")
             if not s.get("src") and s.get("type", "text/javascript") in ("text/javascript", "module", "")]
    found += ["<style>" for _ in soup.find_all("style")]
    found += [f"style= on <{t.name}>" for t in soup.find_all(style=True)]
    found += [f"{a} on <{t.name}>" for t in soup.find_all(True) for a in t.attrs if a.startswith("on")]
    return found


def test_the_theme_satisfies_the_content_security_policy(nginx, sample_site):
    pages = sorted(sample_site.output.rglob("*.html")) + sorted((nginx.site.remote / "current").rglob("*.html"))
    assert len(pages) > 20
    blocked = {str(p): inline_code(p.read_bytes()) for p in pages}
    assert {p: b for p, b in blocked.items() if b} == {}


def test_invoke_rollback_and_publish_from_the_command_line(repo, tmp_path):
    first = repo.publish().results[0].release
    repo.write("pages/lien-he.md", "Title: Liên hệ\n\nĐiện thoại: 0203 3826 000.\n")
    repo.commit("Trang liên hệ")
    second = repo.publish().results[0].release
    env = {**os.environ, "CONGDOANTKV_TARGETS": repo.server.target(repo.remote.name),
           "CONGDOANTKV_KNOWN_HOSTS": str(repo.known_hosts),
           "CONGDOANTKV_SSH_KEY": str(repo.server.client_key),
           "CONGDOANTKV_PUBLISH_LOG": str(tmp_path / "cli.log"),
           "CONGDOANTKV_PUBLISH_LOCK": str(tmp_path / "cli.lock")}
    invoke = [sys.executable, "-m", "invoke"]
    done = subprocess.run(invoke + ["rollback"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"quay lại {first} (trước đó: {second})" in done.stdout
    assert repo.current() == f"releases/{first}"
    done = subprocess.run(invoke + ["rollback", "--to", second], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0 and repo.current() == f"releases/{second}"
    assert [e["action"] for e in map(json.loads, (tmp_path / "cli.log").read_text().splitlines())] == ["rollback"] * 2
    env["CONGDOANTKV_TARGETS"] = ""
    refused = subprocess.run(invoke + ["publish", "--dry-run"], cwd=ROOT, env=env,
                             capture_output=True, text=True)
    assert refused.returncode == 1
    assert "Chưa có máy chủ xuất bản" in refused.stderr


# --- the webmaster's view: who, when, dry runs, going back and forward ----------------------

def test_dry_run_checks_ssh_before_building_and_creates_nothing_on_the_server(repo, sshd):
    said: list[str] = []
    unreachable = f"{sshd.user}@127.0.0.1:{free_port()}/srv/khong-toi-duoc"
    began = time.monotonic()
    report = repo.publish(dry_run=True, say=said.append, PUBLISH_TARGETS=[unreachable])
    assert time.monotonic() - began < 20
    assert not report.ok and report.results[0].error
    assert not [line for line in said if line.startswith("Dựng trang")]  # nothing was built
    assert not repo.output.exists()
    # a server never published to: the dry run reads it, and leaves no folder and no lock
    report = repo.publish(dry_run=True, say=said.append)
    assert report.ok, report.summary()
    assert said.index("Kiểm tra kết nối tới máy chủ...") < \
        [i for i, line in enumerate(said) if line.startswith("Dựng trang")][-1]
    assert sorted(report.results[0].changes.added) == sorted(tree(repo.output))
    assert not repo.remote.exists()
    # nor on one that has releases: no lock file, no log line, nothing under releases/
    assert repo.publish().ok
    (repo.remote / ".publish.lock").unlink()
    before = {p.relative_to(repo.remote): p.stat().st_mtime_ns for p in repo.remote.rglob("*")}
    repo.write("pages/lien-he.md", "Title: Liên hệ\n\nĐiện thoại: 0203 3826 000.\n")
    repo.commit("Trang liên hệ")
    report = repo.publish(dry_run=True)
    assert report.ok and "lien-he/index.html" in report.results[0].changes.added
    assert {p.relative_to(repo.remote): p.stat().st_mtime_ns for p in repo.remote.rglob("*")} \
        == before


def test_who_published_is_git_s_user_and_releases_are_listed_in_vietnam_time(repo):
    from newsroom.core.dates import vn_datetime
    from newsroom.publish import releases as listing

    repo.git("config", "user.name", "Trần Văn Quản")
    repo.git("config", "user.email", "quan@congdoantkv.vn")
    first = repo.publish()
    assert first.ok, first.summary()
    who = "Trần Văn Quản <quan@congdoantkv.vn>"
    assert repo.server_log()[-1]["by"] == who
    assert json.loads(repo.log.read_text().splitlines()[-1])["by"] == who
    release = first.results[0].release
    found = listing.listings("publishconf.py", **repo.settings())
    (only,) = found[0].releases
    assert (only.name, only.by, only.commit, only.marks) == (
        release, who, first.commit, ["ĐANG CHẠY"])
    # the name is UTC; the listing shows the same instant at UTC+7
    utc = datetime.strptime(release, "%Y%m%d-%H%M%S-%f")
    assert only.when.utcoffset().total_seconds() == 7 * 3600
    assert only.when.replace(tzinfo=None) - utc == timedelta(hours=7)
    text = listing.text(found)
    assert f"{vn_datetime(only.when)}  {release}  commit {first.commit[:12]}  {who}" in text
    assert "giờ Việt Nam" in text


def test_roll_forward_to_a_release_rolled_away_from(repo, tmp_path):
    """A, B, C published; rollback twice (to A); rollforward goes to B then C, never by
    default past the newest; rollback still never returns to a release rolled away from."""
    from newsroom.publish import releases as listing

    made = []
    for n in range(3):
        repo.write("pages/lien-he.md", f"Title: Liên hệ\n\nĐiện thoại lần {n}.\n")
        repo.commit(f"Liên hệ {n}")
        made.append(repo.publish().results[0].release)
    a, b, c = made
    assert repo.rollback().results[0].release == b
    assert repo.rollback().results[0].release == a
    marks = {r.name: r.marks for r in listing.listings(
        "publishconf.py", **repo.settings())[0].releases}
    assert marks == {c: ["đã bị quay lại"], b: ["invoke rollforward sẽ về bản này",
                                               "đã bị quay lại"], a: ["ĐANG CHẠY"]}
    forward = publishing.rollforward("publishconf.py", **repo.settings())
    assert forward.ok and (forward.results[0].previous, forward.results[0].release) == (a, b)
    assert repo.current() == f"releases/{b}"
    assert f"tiến lên {b} (trước đó: {a})" in forward.summary()
    assert repo.server_log()[-1]["action"] == "rollforward"
    # back from B: A, the older one; C stays rolled away
    assert repo.rollback().results[0].release == a
    env = {**os.environ, "CONGDOANTKV_TARGETS": repo.server.target(repo.remote.name),
           "CONGDOANTKV_KNOWN_HOSTS": str(repo.known_hosts),
           "CONGDOANTKV_SSH_KEY": str(repo.server.client_key),
           "CONGDOANTKV_PUBLISH_LOG": str(tmp_path / "cli.log"),
           "CONGDOANTKV_PUBLISH_LOCK": str(tmp_path / "cli.lock")}
    invoke = [sys.executable, "-m", "invoke"]
    for wanted in (b, c):
        done = subprocess.run(invoke + ["rollforward"], cwd=ROOT, env=env, capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        assert repo.current() == f"releases/{wanted}"
    done = subprocess.run(invoke + ["rollforward"], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    assert done.returncode == publishing.EXIT_UNCHANGED
    assert "không có bản nào mới hơn bản đang chạy" in done.stdout
    assert repo.current() == f"releases/{c}"
    shown = subprocess.run(invoke + ["releases"], cwd=ROOT, env=env, capture_output=True,
                           text=True)
    assert shown.returncode == 0, shown.stderr
    rows = [line for line in shown.stdout.splitlines() if "commit" in line and c in line]
    assert rows and rows[0].lstrip().startswith("▶") and "ĐANG CHẠY" in rows[0]
    assert f"[invoke rollback sẽ về bản này]" in [line for line in shown.stdout.splitlines()
                                                 if b in line][0]
