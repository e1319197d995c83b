"""Render queued pages on every core.

The build process renders the first page of each template (so the templates are compiled
once, before forking), then forks ``workers - 1`` children; each child renders every n-th
page of the rest of the queue (its share) and writes the files, the build process renders its
own share meanwhile. Children send back their counts and the warnings they logged
(logged again here) or the error that stopped them (raised here). Nothing is pickled but
these: the pages' contexts are already in each child's memory.
"""
from __future__ import annotations

import gc
import logging
import os
import pickle
import traceback

logger = logging.getLogger(__name__)


class Capture(logging.Handler):
    """Warnings logged in a worker process, made picklable to be logged again by the parent."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        record.msg, record.args = record.getMessage(), None
        record.exc_info = record.exc_text = None
        self.records.append(record)


def _child(writer, jobs, out_fd):
    capture = Capture()
    logging.getLogger().addHandler(capture)
    result = {"stats": None, "records": [], "error": None}
    try:
        for stat in writer.stats:
            writer.stats[stat] = 0
        for job in jobs:
            writer._render(*job[:4])
        result["stats"] = dict(writer.stats)
    except BaseException:  # noqa: BLE001 - reported to the build process
        result["error"] = traceback.format_exc()
    result["records"] = capture.records
    try:
        data = pickle.dumps(result)
    except Exception:  # noqa: BLE001
        data = pickle.dumps({"stats": result["stats"], "records": [],
                             "error": result["error"]})
    with os.fdopen(out_fd, "wb") as out:
        out.write(data)


def render(writer, jobs: list, workers: int):
    """Render ``jobs`` (writer queue entries) over ``workers`` processes, this one included."""
    children = []
    # Frozen objects are left alone by the garbage collector, which would otherwise write into
    # every object of the site, in the children and here, and so copy the build's memory page
    # by page while the children run.
    frozen = gc.get_freeze_count()
    gc.freeze()
    try:
        return _render(writer, jobs, workers, children)
    finally:
        if not frozen:  # a live session keeps its own frozen set (livereload's settle())
            gc.unfreeze()


def _render(writer, jobs: list, workers: int, children: list):
    # The first page of each template is rendered here before forking: the templates it
    # extends, includes and imports are compiled once, not again in every child.
    firsts = {}
    for index, job in enumerate(jobs):
        firsts.setdefault(id(job[0]), index)
    for index in firsts.values():
        writer._render(*jobs[index][:4])
    done = set(firsts.values())
    jobs = [job for index, job in enumerate(jobs) if index not in done]
    for index in range(1, workers):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            os.close(read_fd)
            status = 0
            try:
                _child(writer, jobs[index::workers], write_fd)
            except BaseException:  # noqa: BLE001
                status = 1
            finally:
                os._exit(status)
        os.close(write_fd)
        children.append((pid, read_fd))
    error = None
    try:
        for job in jobs[0::workers]:
            writer._render(*job[:4])
    except BaseException as exc:  # noqa: BLE001 - wait for the children first
        error = exc
    failures = []
    for pid, read_fd in children:
        with os.fdopen(read_fd, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        try:
            result = pickle.loads(data)
        except Exception:  # noqa: BLE001
            failures.append(f"tiến trình dựng trang {pid} dừng bất thường (mã {status})")
            continue
        for record in result["records"]:
            logging.getLogger(record.name).handle(record)
        if result["error"]:
            failures.append(result["error"])
        elif result["stats"]:
            for key, value in result["stats"].items():
                writer.stats[key] += value
    if error is not None:
        raise error
    if failures:
        raise RuntimeError("Lỗi khi dựng trang:\n" + "\n".join(failures))
