"""``invoke livereload`` measured: the time from saving an article (edited, or added) until the
live session says the output is done, and until the search index holds the change too.

:func:`run` starts ``python -m newsroom.build.livereload --json`` on a corpus and makes the changes
of :class:`benchmarks.corpus.Changes`; ``benchmarks.bench_build`` calls it for each size."""
from __future__ import annotations

import json
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import corpus
from newsroom.core.paths import ROOT


class _Lines:
    """JSON lines from a child's stdout (unbuffered, so ``select`` sees every line)."""

    def __init__(self, stream):
        self.fd = stream.fileno()
        self.buffer = b""

    def next(self, timeout: float = 900) -> dict:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.fd], [], [], max(left, 0))
            chunk = os.read(self.fd, 65536) if ready else b""
            if not chunk:
                raise RuntimeError("livereload không trả lời (đã dừng hoặc quá thời gian chờ)")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def next_event(self, event: str, timeout: float = 900) -> dict:
        """The next line of ``event`` ("update", "search"), the lines before it skipped."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.next(timeout=max(deadline - time.monotonic(), 0))
            if line.get("event") == event:
                return line

    def drain(self, quiet: float = 1.0):
        """Read the lines of updates still under way, until none comes for ``quiet`` s."""
        while True:
            try:
                self.next(timeout=quiet)
            except RuntimeError:
                return


#: Seconds an update may take before the session is taken as stuck (one takes about 1 s).
UPDATE_TIMEOUT = 120


def _said(log) -> str:
    """The last lines the session wrote to its standard error."""
    log.seek(0)
    return "\n".join(log.read().decode("utf-8", "replace").splitlines()[-20:])


def _session(content: Path, output: Path, cache: Path, log):
    """A live session on the corpus, its standard error into ``log``: (process, its lines,
    seconds until its first update is done, that update's line)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsroom.build.livereload", "--json", "--no-serve",
         "--content", str(content), "--output", str(output), "--cache", str(cache)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=log, bufsize=0)
    lines = _Lines(proc.stdout)
    started = time.perf_counter()
    try:
        first = lines.next()
    except BaseException as exc:
        proc.terminate()
        proc.wait(timeout=30)
        if isinstance(exc, RuntimeError):
            raise RuntimeError(f"{exc}\n{_said(log)}") from None
        raise
    return proc, lines, time.perf_counter() - started, first


def run(content: Path, output: Path, cache: Path, n: int, repeat: int = 1) -> dict:
    """Start ``python -m newsroom.build.livereload`` on the corpus, edit and add an article as
    ``benchmarks.bench_build`` does, and time each change until the process reports the output done.

    The session is started twice: the first start (``start_cold``) finds the read and image
    caches of the benchmark's builds but an empty output folder; the second (``start``, as a
    webmaster starts it every morning) finds the output and the page store the first left."""
    with tempfile.TemporaryFile() as log:
        return _measure(content, output, cache, n, repeat, log)


def _measure(content: Path, output: Path, cache: Path, n: int, repeat: int, log) -> dict:
    proc, _, cold_seconds, _ = _session(content, output, cache, log)
    proc.terminate()
    proc.wait(timeout=60)
    proc, lines, start_seconds, first = _session(content, output, cache, log)
    changes = corpus.Changes(Path(content), n)
    samples = {"edit": [], "add": []}
    search = {"edit": [], "add": []}  # until the search index holds the change too
    memory = first["memory_mb"]
    try:
        for round_ in range(repeat):
            for step in ("edit", "add"):
                lines.drain(quiet=0.5)
                began = time.perf_counter()
                changes.edit(round_) if step == "edit" else changes.add(round_)
                try:
                    info = lines.next_event("update", timeout=UPDATE_TIMEOUT)
                    samples[step].append(time.perf_counter() - began)
                    memory = max(memory, info["memory_mb"])
                    # The index follows in the background, if a file of the output changed (an
                    # article added again, its pages left by an earlier run, changes none).
                    if info.get("written") or info.get("removed"):
                        lines.next_event("search", timeout=UPDATE_TIMEOUT)
                except RuntimeError as exc:  # stuck or stopped: say what it wrote
                    raise RuntimeError(f"{exc} ({step} {round_ + 1})\n{_said(log)}") from None
                search[step].append(time.perf_counter() - began)
            changes.restore()
            lines.drain(quiet=3.0)  # the updates after restoring (one takes some 2 s)
    finally:
        changes.restore()
        proc.terminate()
        proc.wait(timeout=30)
    return {"edit": statistics.median(samples["edit"]), "add": statistics.median(samples["add"]),
            "search_edit": statistics.median(search["edit"]),
            "search_add": statistics.median(search["add"]),
            "start": start_seconds, "start_cold": cold_seconds, "memory": memory,
            "samples": samples, "search": search}
