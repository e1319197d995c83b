"""What ingest has done, kept in its state folder, out of reach of the shared folder's writers.

- :class:`Journal`: one JSON line per step of a submission on its way into content/, appended
  and flushed to disk before and after each irreversible step; a run killed at any point is
  finished (or rolled back) from it by the next run.
- :class:`Store`: a JSON file saved whole or not at all (what was ingested; what each file in
  the shared folder looked like at the last look).
- :class:`Steps`: counts the points between irreversible steps. With ``NEWSROOM_INGEST_KILL_AT=N``
  in the environment the process kills itself with SIGKILL at point N: the crash tests stop a
  run at every such point and check that the next run loses nothing.
"""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from newsroom.core.safefs import write_durable

KILL_AT = "NEWSROOM_INGEST_KILL_AT"


class Steps:
    def __init__(self):
        self.count = 0
        raw = os.environ.get(KILL_AT, "")
        self.kill_at = int(raw) if raw.isdigit() else 0

    def __call__(self, label: str) -> None:
        self.count += 1
        if self.count == self.kill_at:
            sys.stderr.write(f"{KILL_AT}: dừng ở bước {self.count} ({label})\n")
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGKILL)


class Store:
    """``{...}`` in a JSON file; a missing or unreadable file reads as empty."""

    def __init__(self, path: Path, steps: Steps):
        self.path, self.steps = path, steps
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raw = {}
        self.data: dict = raw if isinstance(raw, dict) else {}

    def save(self) -> None:
        write_durable(self.path, json.dumps(self.data, ensure_ascii=False, indent=1,
                                            sort_keys=True).encode("utf-8"))
        self.steps(f"lưu {self.path.name}")


class Journal:
    """Append-only lines ``{"kind", "key", ...}``; a line torn by a crash is ignored."""

    def __init__(self, path: Path, steps: Steps):
        self.path, self.steps = path, steps

    def records(self) -> list[dict]:
        try:
            lines = self.path.read_bytes().split(b"\n")
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("key"), str):
                out.append(record)
        return out

    def unfinished(self) -> dict[str, list[dict]]:
        """The records of every submission whose last step is not ``done``, by key."""
        by_key: dict[str, list[dict]] = {}
        for record in self.records():
            by_key.setdefault(record["key"], []).append(record)
        return {key: records for key, records in by_key.items()
                if records[-1].get("kind") != "done"}

    def append(self, kind: str, key: str, **data) -> None:
        self.steps(f"trước khi ghi sổ “{kind}”")
        line = json.dumps({"kind": kind, "key": key, **data}, ensure_ascii=False) + "\n"
        with open(self.path, "ab+") as handle:
            size = handle.seek(0, os.SEEK_END)
            torn = size > 0 and os.pread(handle.fileno(), 1, size - 1) != b"\n"
            handle.write((b"\n" if torn else b"") + line.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        self.steps(f"sau khi ghi sổ “{kind}”")

    def clear(self) -> None:
        """Start afresh once every submission in it is done."""
        if self.path.exists() and not self.unfinished():
            write_durable(self.path, b"")
