"""The local steps of ``invoke publish``, in the kept build folder (``newsroom.publish.buildfolder``):
build, remove what the build did not produce, compress what changed, verify what changed.

A full run (``--full``, the first one, code/settings/theme changed, once a week) empties the
folder first and verifies every file; otherwise only the files whose bytes changed are
compressed, and only they and the pages linking to a file added or removed are verified
(``newsroom.publish.verify.verify_changed``), with the same findings as a full verification. The
records are saved even when the verification finds problems (``Outcome.findings``), so the
next run after a fix is as quick. Each step's seconds are kept for ``invoke bench-publish``.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from newsroom.publish import assets, buildfolder, verify

#: What the build folder's contents depend on besides the content: the project's code,
#: settings and theme (a change means a full run).
CODE = ("newsroom", "plugins", "theme", "pelicanconf.py", "publishconf.py", "requirements.txt")


@dataclass
class Outcome:
    """What the local steps made: the build's settings and each step's figures."""

    settings: dict
    full: str = ""  # why the folder was built from empty ("" when it was kept)
    scan: buildfolder.Scan = field(default_factory=buildfolder.Scan)
    compressed: assets.Compressed = field(default_factory=assets.Compressed)
    checked: int = 0  # files verified this time
    findings: list[verify.Finding] = field(default_factory=list)  # empty: it may go out
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def files(self) -> int:
        return len(self.scan.files)


def _rows(root: Path, names) -> list:
    rows = []
    for name in names:
        top = root / name
        paths = [top] if top.is_file() else sorted(top.rglob("*")) if top.is_dir() else []
        for path in paths:
            if path.is_file() and "__pycache__" not in path.parts:
                info = path.stat()
                rows.append((path.relative_to(root).as_posix(), info.st_size, info.st_mtime_ns))
    return rows


#: Environment variables the configuration files read.
ENVIRONMENT = ("SITEURL", "NEWSROOM_DATA", "NEWSROOM_TODAY", "FASTBUILD")


def stamp(code_root: Path, given: dict) -> str:
    """A digest of the code, theme and configuration files a build folder is made with, the
    settings ``given`` on top of them and the environment they read. (Not the settings as read:
    a build fills some of them in, in place.)"""
    import pelican

    digest = hashlib.sha256(pelican.__version__.encode())
    digest.update(json.dumps({k: str(v) for k, v in given.items()}, sort_keys=True).encode())
    digest.update(json.dumps({k: os.environ.get(k) for k in ENVIRONMENT}).encode())
    digest.update(repr(_rows(Path(code_root), CODE)).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Places:
    """Where a publish keeps its build folder's records."""

    output: Path
    records: Path  # folder of the records of every build folder

    def _key(self) -> str:
        return hashlib.sha256(os.path.abspath(self.output).encode()).hexdigest()[:16]

    @property
    def record(self) -> Path:
        return self.records / f"{self._key()}.files.json"

    @property
    def links(self) -> Path:
        return self.records / f"{self._key()}.links.json"


def _load_links(path: Path) -> verify.LinkIndex | None:
    try:
        return verify.LinkIndex.from_json(path.read_bytes())
    except OSError:
        return None


def _why_full(places: Places, record: buildfolder.Record | None, code: str,
              full: bool) -> str:
    if full:
        return "theo yêu cầu (--full)"
    if record is None or not (places.output / "index.html").is_file():
        return "lần đầu dùng thư mục dựng này"
    return record.due_full(code)


def make(places: Places, code: str, build: Callable[[], dict], *, full: bool = False,
         compress_cache: Path | None = None, say: Callable[[str], None] = print) -> Outcome:
    """Build into ``places.output`` with ``build()``, then settle, compress and verify it;
    ``findings`` of the outcome say why it must not go out (the records are saved anyway).
    The build's own errors pass through."""
    record = buildfolder.Record.load(places.record)
    why = _why_full(places, record, code, full)
    clock = time.perf_counter()
    if why:
        say(f"Dựng lại toàn bộ thư mục dựng: {why}.")
        buildfolder.empty(places.output)
        record = buildfolder.Record()
    since = buildfolder.start(places.output)
    outcome = Outcome(build(), full=why)
    outcome.seconds["build"] = time.perf_counter() - clock
    record.stamp = code
    if why:
        record.full_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    outcome.scan = _step(outcome, "settle",
                         lambda: buildfolder.settle(places.output, since, record))
    outcome.compressed = _step(outcome, "compress", lambda: assets.compress_changed(
        places.output, outcome.scan, record, compress_cache))
    buildfolder.refresh(places.output, outcome.scan, outcome.compressed.written,
                        outcome.compressed.gone)
    record.files = outcome.scan.files
    record.save(places.record)
    outcome.findings = _step(outcome, "verify", lambda: _verify(places, outcome, bool(why)))
    return outcome


def _step(outcome: Outcome, name: str, work: Callable):
    clock = time.perf_counter()
    try:
        return work()
    finally:
        outcome.seconds[name] = time.perf_counter() - clock


def _verify(places: Places, outcome: Outcome, full: bool) -> list[verify.Finding]:
    shas = {rel: entry[3] for rel, entry in outcome.scan.files.items()}
    before = None if full else _load_links(places.links)
    findings, index = verify.verify_changed(places.output, outcome.settings, shas, before)
    outcome.checked = index.checked
    places.links.parent.mkdir(parents=True, exist_ok=True)
    tmp = places.links.with_name(places.links.name + ".tmp")
    tmp.write_bytes(index.to_json())
    os.replace(tmp, places.links)
    return findings
