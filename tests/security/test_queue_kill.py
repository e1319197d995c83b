"""Kill ``invoke approve`` and ``invoke return`` at any point and lose nothing.

A queue holds one article with a photo. The command runs in a real process that kills itself
with SIGKILL at point N (``NEWSROOM_INGEST_KILL_AT``, every point between irreversible steps),
for every N until a run completes. After each kill the article is whole in the queue or whole
where it was going; then the next command finishes the job: content/, the queue, git and the
receipt end exactly as after a command never killed.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from newsroom.core.paths import ROOT
from newsroom.intake import ingest, queue
from newsroom.intake.journal import KILL_AT
from tests.helpers import editors_repo, git
from tests.shared_folder import jpeg, put

ID = "tho-lo-nhan-qua"
COMMAND = {
    "approve": f"from newsroom.intake import queue; queue.approve(Q, C, {ID!r})",
    "return": f"from newsroom.intake import queue; queue.give_back(Q, {ID!r}, 'Sửa ảnh.', content=C)",
}


def scenario(root: Path) -> None:
    repo, src = root / "repo", root / "src"
    editors_repo(repo)
    put(src / "Than Mạo Khê" / "Bài quà", {
        "bai.md": "Tiêu đề: Thợ lò nhận quà\nNgày: 02/06/2020\n\n![Trao quà](1.jpg)\n",
        "1.jpg": jpeg()})
    outcome, = ingest.ingest(src, repo / "content", settle=0).outcomes
    assert outcome.pending, outcome.problems


def copy(template: Path, root: Path) -> None:
    """The scenario in a new place; the queue's index names the shared folder by its full
    path, so it is pointed at the copy's."""
    shutil.copytree(template, root)
    index = root / "repo" / "cho-duyet" / "hang-doi.json"
    data = json.loads(index.read_text(encoding="utf-8"))
    for entry in data["items"].values():
        entry["source_dir"] = str(root / "src")
    index.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def run(root: Path, action: str, kill_at: int | None = None) -> int:
    code = (f"from pathlib import Path; Q = Path({str(root / 'repo/cho-duyet')!r}); "
            f"C = Path({str(root / 'repo/content')!r}); " + COMMAND[action])
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60,
                          env={**os.environ, KILL_AT: str(kill_at or "")})
    assert done.returncode in (0, 1, -signal.SIGKILL), done.stdout + done.stderr
    return done.returncode


def state(root: Path) -> dict:
    """What matters after the command: files (the index and journal aside), git, receipt."""
    def files(folder):
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(
            folder.rglob("*")) if p.is_file() and p.name not in ("hang-doi.json", "nhat-ky.jsonl")
            and not p.name.startswith(".")} if folder.is_dir() else {}

    repo = root / "repo"
    receipt = next((root / "src").rglob("*.receipt.txt")).read_bytes().decode("utf-8-sig")
    return {"content": files(repo / "content"), "queue": files(repo / "cho-duyet"),
            "returned": files(repo / "cho-duyet-tra-lai"),
            "waiting": [e["id"] for e in queue.Queue(repo / "cho-duyet").entries()],
            "commits": git(repo, "log", "--format=%an|%s").splitlines(),
            "clean": git(repo, "status", "--porcelain", "content") == "",
            "receipt": receipt.split(" — ")[0]}


@pytest.mark.parametrize("action", ["approve", "return"])
def test_sigkill_at_every_point_of_a_queue_command_loses_nothing(tmp_path, action):
    template = tmp_path / "mau"
    scenario(template)
    reference = tmp_path / "tham-chieu"
    copy(template, reference)
    assert run(reference, action) == 0
    final = state(reference)
    assert final["waiting"] == [] and (final["content"] if action == "approve"
                                       else final["returned"])
    kill_at, survived = 1, 0
    while True:
        root = tmp_path / f"n{kill_at}"
        copy(template, root)
        completed = run(root, action, kill_at) == 0
        now = state(root)
        # whole in the queue, or whole where it was going
        whole = {**now["queue"], **now["content"], **now["returned"]}
        article = {k: v for k, v in final["content" if action == "approve" else
                                          "returned"].items()}
        assert all(any(rel.endswith(k) and v == data for rel, data in whole.items())
                   for k, v in article.items()), kill_at
        if not completed:
            run(root, action)  # the next command finishes (or finds it done and says so)
        assert state(root) == final, kill_at
        survived += 1
        shutil.rmtree(root)
        if completed:
            break
        kill_at += 1
    assert survived >= 10
