"""``invoke bench.publish`` (and ``invoke bench``): the publish of one new article at N
articles, step by step, through a real OpenSSH server on 127.0.0.1.

The corpus of N articles (``benchmarks.corpus``, as ``invoke bench`` makes it) is committed in a
git repository of its own under the bench folder, and published with ``publishconf.py`` to a
server started for the run (its own host key and client key, a folder under the bench folder).
Each publish adds one article and commits it:

- ``cold``: the first publish (empty build folder, empty compression cache, photo cache and
  read cache empty, nothing on the server). It is a setup step, not a measure of the daily
  path: at 10,000 articles it compresses every file with an empty cache (some ten minutes). Its
  state (repository, build folder, caches, the server's folder) is kept in
  ``<bench>/publish-N/``, and a later run starts from it without this step (``fresh`` starts
  over);
- ``full``: ``invoke publish --full`` (the folder emptied and built again, every file verified
  and compressed, the caches warm): what every publish cost before the build folder was kept;
- ``incremental``: the daily publish (build into the kept folder, compress and verify what
  changed).

Each gives the seconds of build, settle (remove what the build did not produce, learn what
changed), compress, verify, compare (the time the publish waited for the server to be ready:
SSH, lock, the hard-link copy of the live release, made while the site builds; ``prepared``
is how long that took beside the build), upload (rsync into a new release, then the checksum
check) and switch, and the total.
"""
from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from benchmarks import bench_build as bench
from benchmarks import corpus
from newsroom.publish import release as publishing

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("build", "settle", "compress", "verify", "compare", "upload", "switch")
#: Figures shown under the steps: not on the way (made beside the build).
BESIDE = ("prepared",)
RUNS = ("cold", "full", "incremental")
SSHD = "/usr/sbin/sshd"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def ssh_server(folder: Path, fresh: bool = True) -> Iterator[dict]:
    """An OpenSSH server on 127.0.0.1 for this run: the publish settings that reach it. The
    site's folder on it starts empty when ``fresh``, else holds what earlier runs sent."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("host_key", "client_key"):
        if not (folder / name).exists():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench",
                            "-f", str(folder / name)], check=True)
    (folder / "authorized_keys").write_text((folder / "client_key.pub").read_text())
    port, user = _free_port(), getpass.getuser()
    config = folder / "sshd_config"
    config.write_text(f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host_key'}\n"
                      f"PidFile {folder / 'sshd.pid'}\nAuthorizedKeysFile {folder / 'authorized_keys'}\n"
                      "PubkeyAuthentication yes\nPasswordAuthentication no\nUsePAM no\n"
                      f"StrictModes no\nAllowUsers {user}\nLogLevel ERROR\n")
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    server = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        kind, key = (folder / "host_key.pub").read_text().split()[:2]
        (folder / "known_hosts").write_text(f"[127.0.0.1]:{port} {kind} {key}\n")
        site_folder = folder / "srv" / "congdoantkv"
        if fresh:
            shutil.rmtree(site_folder, ignore_errors=True)
        yield {"PUBLISH_TARGETS": [f"{user}@127.0.0.1:{port}{site_folder}"],
               "PUBLISH_KNOWN_HOSTS": folder / "known_hosts",
               "PUBLISH_SSH_KEY": folder / "client_key", "PUBLISH_SSH_CONFIG": "/dev/null"}
    finally:
        server.terminate()
        server.wait(timeout=10)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=Ban Tuyên giáo",
                    "-c", "user.email=toasoan@congdoantkv.vn", *args],
                   check=True, capture_output=True)


def _repository(workdir: Path, n: int) -> Path:
    """The corpus of ``n`` articles, committed in a repository of its own (made again)."""
    repo = workdir / f"publish-{n}" / "repo"
    shutil.rmtree(repo, ignore_errors=True)
    shutil.copytree(bench.corpus_dir(workdir, n), repo / "content")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", f"{n} bài")
    return repo / "content"


def _add_article(content: Path, n: int, added: int) -> None:
    """Article ``n + added`` (``added`` from 1), an hour after the one before it (the dates
    stay in the past however many runs reuse the state), committed."""
    corpus.write_article(content, corpus.Corpus(), n + added,
                         corpus.END + dt.timedelta(hours=added))
    _git(content.parent, "add", "-A")
    _git(content.parent, "commit", "-qm", f"Thêm bài {n + added}")


STATE = "state.json"  # in publish-N/: how many articles the kept state added to the corpus


def _kept_state(work: Path) -> int | None:
    """How many articles the state kept in ``work`` (publish-N/) added, if it can be used:
    its repository, build folder, caches and server folder are all there."""
    try:
        added = int(json.loads((work / STATE).read_text(encoding="utf-8"))["added"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    needed = (work / "repo" / ".git", work / "work" / "output", work / "gz",
              work / "sshd" / "srv" / "congdoantkv")
    return added if all(path.is_dir() for path in needed) else None


def _start_over(workdir: Path, n: int, work: Path) -> Path:
    (work / STATE).unlink(missing_ok=True)
    content = _repository(workdir, n)
    for name in ("work", "gz", "cache"):
        shutil.rmtree(work / name, ignore_errors=True)
    return content


def _cpu() -> float:
    """CPU seconds of this process and of its children that ended (the build's workers,
    ssh, rsync): on a shared machine, the work done, beside the time waited."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), \
        resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _figures(report: publishing.Report, seconds: float) -> dict:
    if not report.ok:
        raise RuntimeError(report.summary())
    local, target = report.local, report.results[0]
    figures = {**local.seconds, **target.seconds, "total": seconds}
    figures.update(files=local.files, changed=len(local.scan.added) + len(local.scan.changed),
                   compressed=local.compressed.compressed, checked=local.checked,
                   sent=len(target.transferred), full=bool(local.full))
    return figures


def _publish_apart(settings: dict, full: bool) -> dict:
    """One publish in a Python process of its own, as ``invoke publish`` runs (a process that
    has just built 10,000 articles, then builds again, is not what a webmaster runs): its
    figures (:func:`_figures`), with the CPU seconds of that process and all it ran."""
    spec = json.dumps({"settings": settings, "full": full}, default=str)
    clock, cpu = time.perf_counter(), _cpu()
    done = subprocess.run([sys.executable, "-m", "benchmarks.bench_publish", "_publish"],
                          input=spec, cwd=ROOT, capture_output=True, text=True)
    seconds, spent = time.perf_counter() - clock, _cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"xuất bản đo thất bại:\n{done.stderr[-4000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures.update(total=seconds, cpu=spent)  # the process's start and end included
    return figures


def _publish_here(spec: dict) -> dict:
    """The child side of :func:`_publish_apart`."""
    clock = time.perf_counter()  # paths come as text, as from publishconf.py
    report = publishing.publish("publishconf.py", full=spec["full"], say=lambda _: None,
                                **spec["settings"])
    return _figures(report, time.perf_counter() - clock)


def run(n: int = 1000, workdir: Path | str | None = None, log=print,
        fresh: bool = False) -> dict:
    """Measure the publishes of one new article at ``n`` articles (:data:`RUNS`); ``cold``
    only when there is no kept state or with ``fresh`` (``reused`` says which). The figures
    are also written to ``<workdir>/publish-N.json``."""
    workdir = Path(workdir or ROOT / "bench")
    work = workdir / f"publish-{n}"
    added = None if fresh else _kept_state(work)
    results: dict = {"reused": added is not None}
    if added is None:
        log(f"— {n} bài: kho bài mẫu trong git…")
        content, added = _start_over(workdir, n, work), 0
    else:
        content = work / "repo" / "content"
        log(f"— {n} bài: dùng lại trạng thái xuất bản đã giữ ({work})…")
    with ssh_server(work / "sshd", fresh=not results["reused"]) as server:
        settings = {**server, "PATH": content, "PUBLISH_WORKDIR": work / "work",
                    "PUBLISH_COMPRESS_CACHE": work / "gz", "PUBLISH_LOCK": work / "lock",
                    "PUBLISH_LOG": work / "publish.log", "PUBLISH_CLEAN_PATHS": [],
                    "CACHE_PATH": work / "cache"}  # the photo cache, kept with the state
        for name in RUNS[1:] if results["reused"] else RUNS:
            added += 1
            _add_article(content, n, added)
            log(f"— {n} bài: xuất bản {LABELS[name]}…")
            results[name] = _publish_apart(settings, full=name == "full")
            (work / STATE).write_text(json.dumps({"added": added}), encoding="utf-8")
    (workdir / f"publish-{n}.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    return results


LABELS = {"cold": "lần đầu (chuẩn bị)", "full": "toàn bộ (--full)",
          "incremental": "hằng ngày"}
STEP_LABELS = {"build": "dựng", "settle": "dọn + so", "compress": "nén", "verify": "kiểm tra",
               "compare": "chờ máy chủ", "prepared": "máy chủ chuẩn bị (song song với dựng)",
               "upload": "gửi", "switch": "chuyển", "total": "tổng",
               "cpu": "CPU (giây, máy này)"}
COUNTS = (("files", "tệp"), ("changed", "tệp đổi"), ("compressed", "tệp nén"),
          ("checked", "tệp kiểm tra"), ("sent", "tệp gửi"))


def table(n: int, results: dict) -> str:
    """The publishes measured, step by step (a Markdown table), and what the first one was."""
    runs = [r for r in RUNS if r in results]
    lines = [f"Xuất bản 1 bài mới ở {n} bài qua máy chủ SSH thật trên 127.0.0.1 (giây)",
             "| bước | " + " | ".join(LABELS[r] for r in runs) + " |",
             "|---|" + "---|" * len(runs)]
    for step in (*STEPS, "total", *BESIDE, "cpu"):
        lines.append(f"| {STEP_LABELS[step]} | "
                     + " | ".join(f"{results[r].get(step, 0):.2f}" for r in runs) + " |")
    for key, label in COUNTS:
        lines.append(f"| {label} | " + " | ".join(str(results[r][key]) for r in runs) + " |")
    if results.get("reused"):
        lines.append("Lần xuất bản đầu (bộ nhớ đệm nén trống) đã làm ở lần đo trước: trạng thái "
                     f"được giữ trong bench/publish-{n}/ và dùng lại (--publish-fresh để làm lại "
                     "từ đầu).")
    else:
        lines.append("“Lần đầu” chỉ là bước chuẩn bị (thư mục dựng, bộ nhớ đệm nén và ảnh còn "
                     "trống), không phải phép đo xuất bản hằng ngày; trạng thái sau đó được giữ, "
                     "lần đo sau bỏ qua bước này.")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] == ["_publish"]:
        print(json.dumps(_publish_here(json.loads(sys.stdin.read()))))
    else:
        raise SystemExit("dùng: invoke bench.publish")
