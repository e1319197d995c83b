"""Kill ingest at any point and lose nothing (issue 15, item 6).

A shared folder holds a new article with photos, a resend that updates an article (one photo
fewer), a loose text with a loose photo, a resend of an article already taken, and a refused
file. Ingest runs in a real process that kills itself with SIGKILL at point N
(``NEWSROOM_INGEST_KILL_AT``, every point between irreversible steps, :class:`Steps`), for
every N until a run completes. After each kill, every submission is still whole in the shared
folder or is in content/ with its receipt, and content/ holds no torn article; then the next
run (itself killed once more for some N) finishes the job: content/, the shared folder and
every receipt end exactly as after a run that was never killed. The units are not trusted:
the articles go through the editors' queue (``cho-duyet/`` and its index), which ends as
after a run never killed too.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from newsroom.core.paths import ROOT
from newsroom.intake import ingest
from newsroom.intake.journal import KILL_AT
from tests.helpers import article
from tests.shared_folder import jpeg, png, put

SHARDS = 3


def scenario(root: Path) -> None:
    """The shared folder, content/ and state under ``root``, after a first run took two
    articles; then the folder is filled for the run under test."""
    src, content = root / "src", root / "repo" / "content"
    (content / "pages").mkdir(parents=True)
    put(src, {
        "than-ha-lam/phong-su/bai.md": article("Phóng sự ca ba", body="![Một](1.jpg)\n\n"
                                               "![Hai](2.jpg)"),
        "than-ha-lam/phong-su/1.jpg": jpeg(), "than-ha-lam/phong-su/2.jpg": jpeg(color=(1, 2, 3)),
        "Than Cao Sơn/tin-cu.md": article("Tin đã nhận từ trước", unit=None),
    })
    first = ingest.ingest(src, content, state_dir=root / "state", settle=0)
    assert [o.status for o in first.outcomes] == [ingest.INGESTED] * 2
    put(src, {
        "than-ha-lam/phong-su/bai.md": article("Phóng sự ca ba", body="Bản sửa.\n\n"
                                               "![Một](1.jpg)"),
        "than-ha-lam/phong-su/1.jpg": jpeg(),
        "Than Cao Sơn/tin-cu.md": article("Tin đã nhận từ trước", unit=None),
        "Than Núi Béo/Bài mới/bai.md": article("Thợ mỏ Núi Béo nhận quà", unit=None,
                                               body="![Trao quà](Ảnh 1.jpg)"),
        "Than Núi Béo/Bài mới/Ảnh 1.jpg": jpeg(color=(200, 30, 30)),
        "Than Núi Béo/Bài mới/Ảnh thêm.png": png(),
        "than-ha-lam/tin-ngan.txt": article("Tin ngắn kèm ảnh lẻ", body="![Ảnh lẻ](anh-le.jpg)"),
        "than-ha-lam/anh-le.jpg": jpeg(color=(9, 90, 9)),
        "than-ha-lam/loi.md": article("Tin sai chuyên mục", category="Chuyên mục lạ"),
    })


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def receipts(src: Path) -> dict[str, str]:
    """Each receipt's verdict (its first line, without the time)."""
    return {p.relative_to(src).as_posix(): p.read_text(encoding="utf-8-sig").split(" — ")[0]
            for p in src.rglob("*.receipt.txt")}


def queued(root: Path) -> dict:
    """The editors' queue: its files, and its index without the folder's own path."""
    queue = root / "repo" / "cho-duyet"
    found = {rel: data for rel, data in files(queue).items()
             if rel not in ("hang-doi.json", "nhat-ky.jsonl")}
    index = json.loads((queue / "hang-doi.json").read_text(encoding="utf-8"))
    for entry in index["items"].values():
        entry.pop("source_dir"), entry.pop("at")  # where and when the run was
    return {"files": found, "index": index}


def sources(src: Path) -> dict[str, bytes]:
    return {rel: data for rel, data in files(src).items() if not rel.endswith(".receipt.txt")}


def run(root: Path, kill_at: int | None = None) -> int:
    env = {**os.environ, KILL_AT: str(kill_at or "")}
    done = subprocess.run(
        [sys.executable, "-m", "newsroom.intake.ingest", "--source", str(root / "src"), "--content",
         str(root / "repo" / "content"), "--state", str(root / "state"), "--settle", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode in (0, -signal.SIGKILL), done.stdout + done.stderr
    return done.returncode


@pytest.fixture
def scratch(tmp_path):
    """A folder on tmpfs where there is one (a killed process leaves the page cache intact,
    so flushing to a disk adds nothing to what is checked here, only time)."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="tiep-nhan-kill-", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The scenario before the run (copied for every kill), and after a run never killed."""
    template = tmp_path_factory.mktemp("kill-template")
    scenario(template)
    reference = tmp_path_factory.mktemp("kill-reference") / "world"
    shutil.copytree(template, reference, symlinks=True)
    result = ingest.ingest(reference / "src", reference / "repo" / "content",
                           state_dir=reference / "state", settle=0)
    statuses = sorted(o.status for o in result.outcomes)
    assert statuses == sorted([ingest.INGESTED, ingest.INGESTED, ingest.UPDATED,
                               ingest.DUPLICATE, ingest.REFUSED]), statuses
    return template, reference, result


def whole_or_received(root: Path, template: Path, reference: Path, outcomes) -> None:
    """Every submission is still whole in the shared folder, or its article is in content/
    with its receipt; no article in content/ is torn."""
    src, before = root / "src", sources(template / "src")
    now_sources, verdicts = sources(src), receipts(src)
    final = receipts(reference / "src")
    for outcome in outcomes:
        own = [p.relative_to(reference / "src").as_posix() for p in outcome.files]
        whole = all(now_sources.get(rel) == before[rel] for rel in own)
        receipt = outcome.receipt.relative_to(reference / "src").as_posix()
        received = (outcome.accepted and verdicts.get(receipt) == final[receipt]
                    and (root / outcome.target.relative_to(reference)).is_file())
        assert whole or received, (outcome.source.name, verdicts.get(receipt))
    for name in ("content", "cho-duyet"):
        known = [files(template / "repo" / name), files(reference / "repo" / name)]
        for rel, data in files(root / "repo" / name).items():
            if not Path(rel).name.startswith(".") and rel not in (
                    "hang-doi.json", "nhat-ky.jsonl"):  # hidden: a temporary file
                assert any(version.get(rel) == data for version in known), rel


@pytest.mark.parametrize("shard", range(SHARDS))
def test_sigkill_at_every_point_loses_nothing(world, scratch, shard):
    template, reference, result = world
    points = result.steps
    assert points >= 20
    tried = survived = 0
    for kill_at in range(1 + shard, points + 2, SHARDS):
        root = scratch / f"n{kill_at}"
        shutil.copytree(template, root, symlinks=True)
        if run(root, kill_at) == 0:  # past the last point: the run completed
            assert kill_at > points
        tried += 1
        whole_or_received(root, template, reference, result.outcomes)
        if kill_at % 4 == 0 and run(root, kill_at // 4) != 0:  # the recovery killed too
            whole_or_received(root, template, reference, result.outcomes)
        ingest.ingest(root / "src", root / "repo" / "content", state_dir=root / "state",
                      settle=0)
        assert files(root / "repo" / "content") == files(reference / "repo" / "content")
        assert queued(root) == queued(reference)
        assert sources(root / "src") == sources(reference / "src")
        assert receipts(root / "src") == receipts(reference / "src")
        assert not (root / "state" / "journal.jsonl").read_bytes()  # nothing left half done
        survived += 1
    assert tried == survived == len(range(1 + shard, points + 2, SHARDS))
    print(f"shard {shard}: {survived}/{tried} kill points survived of {points}")
