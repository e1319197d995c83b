"""What each page of the output was made from, kept on disk between builds and processes.

The writer (``writer.FastWriter``) renders a page again only when its inputs changed. Those
inputs are digests (``digest``) that mean the same in every process: each item's version is
made from its source file (``writer.version``), and the site token from what every page may
show besides its items (:func:`code_token`, :func:`theme_token`: settings, the day, the
build's code, data files and the theme). This module keeps them per output folder in
``<CACHE_PATH>/fastbuild-pages/<key>.pickle``, shared by ``invoke build`` and ``invoke
livereload``:

- ``pages``: each page or feed (its name in the output) -> (digest of its inputs, size and
  mtime of its file once written). A page is skipped only if its file still has that size and
  mtime: a file that anything else changed or removed since is rendered again;
- ``written``: the pages and feeds the writer wrote. Those a later build no longer writes (a
  deleted article, a page moved to another address) are removed, since a clean build would
  not make them.

The file is written after a build that finished (Pelican's ``finalized``); a build that
stopped half-way leaves the previous one, whose size/mtime checks make every page it rewrote
count as changed. A file that cannot be read is as no file: every page is rendered.
"""
from __future__ import annotations

import datetime
import hashlib
import itertools
import json
import logging
import os
import pickle
import time
from pathlib import Path

from newsroom.core.paths import BUILD_CODE, tree_rows

logger = logging.getLogger(__name__)

#: 1: digests of the inputs with the file's size and mtime, the written pages.
SCHEMA = 1
FOLDER = "fastbuild-pages"


def digest(value) -> str:
    """A short hash of ``value``'s repr: tuples of strings, numbers, dates and None, whose
    repr is the same in every process (never Python's ``hash``, which is salted per process)."""
    return hashlib.blake2b(repr(value).encode("utf-8", "surrogatepass"),
                           digest_size=16).hexdigest()


_ONLY_HERE = f"{os.getpid()}-{time.time_ns()}"
_unique = itertools.count(1)


def unique() -> str:
    """A token no other call, build or process gives: what cannot be compared is rendered."""
    return f"{_ONLY_HERE}-{next(_unique)}"


def plain_setting(value):
    """How a setting that JSON cannot hold counts: a function by its name, any other object
    by its type (its repr may hold a memory address, new in every process)."""
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    if isinstance(value, (set, frozenset)):
        return sorted(map(repr, value))
    if isinstance(value, (datetime.date, datetime.time, Path)):
        return str(value)
    return f"<{type(value).__module__}.{type(value).__qualname__}>"


def code_token(settings) -> str:
    """What the pages are made with besides the content and the theme: Pelican's and
    Markdown's versions, the settings, the build's code (``BUILD_CODE``) and the data files.
    Taken when the build starts (readers add to the settings as they work). ``FASTBUILD``
    does not count: how many processes render a page does not change it."""
    import markdown
    import pelican

    from newsroom.core import data

    parts = [SCHEMA, pelican.__version__, markdown.__version__]
    try:
        parts.append(json.dumps({k: v for k, v in settings.items()
                                 if k.isupper() and k != "FASTBUILD"},
                                sort_keys=True, default=plain_setting))
    except (TypeError, ValueError):
        return unique()  # settings that cannot be compared
    data_dir = settings.get("NEWSROOM_DATA") or data.DATA_DIR
    for folder in (data_dir, *BUILD_CODE):
        parts.append(tree_rows(folder))
    return digest(tuple(parts))


def theme_token(settings) -> str:
    """Every file of the theme (templates, partials, fonts the cards are drawn with)."""
    return digest(tree_rows(settings["THEME"]))


#: What the speed layer learnt of each build under way, by the id of its settings dict (the
#: one Pelican, its generators and its writer share): ``code`` (:func:`code_token`, taken when
#: the build starts), ``content`` and ``pages`` (versions of every item, of the site's pages),
#: ``writer`` (the build's writer, told when the build is done).
_BUILDS: dict[int, dict] = {}


def begin(settings) -> None:
    """A build starts (Pelican's ``initialized``; a live session's later updates keep it)."""
    _BUILDS[id(settings)] = {"code": code_token(settings)}


def build_info(settings) -> dict:
    return _BUILDS.setdefault(id(settings), {})


#: What the last finished build into each output folder did (``FastWriter.stats``).
_LAST: dict[str, dict] = {}


def note_stats(output, stats: dict) -> None:
    _LAST[os.path.realpath(output)] = dict(stats)


def last_stats(output) -> dict:
    """Pages rendered, skipped, files written and removed by the last build into ``output``
    that this process finished (for tests and benchmarks)."""
    return _LAST[os.path.realpath(output)]


class PageStore:
    """The pages of one output folder as the last finished build left them."""

    def __init__(self, settings):
        output = os.path.abspath(settings["OUTPUT_PATH"])
        key = hashlib.sha256(output.encode()).hexdigest()[:16]
        self.path = Path(settings["CACHE_PATH"]) / FOLDER / f"{key}.pickle"
        self.output = output
        self.pages: dict[str, tuple] = {}
        self.written: set[str] = set()
        self._load()

    def _load(self):
        try:
            with open(self.path, "rb") as handle:
                kept = pickle.load(handle)
        except FileNotFoundError:
            return
        except Exception as exc:  # noqa: BLE001 - a damaged file: every page is rendered
            logger.warning("fastbuild: bỏ qua tệp hỏng %s (%s); mọi trang sẽ được dựng lại",
                           self.path, exc)
            return
        if (isinstance(kept, dict) and kept.get("schema") == SCHEMA
                and kept.get("output") == self.output):
            self.pages, self.written = kept["pages"], set(kept["written"])

    def save(self, pages: dict, written) -> None:
        """Keep ``pages`` and ``written`` (names relative to the output folder)."""
        self.pages, self.written = pages, set(written)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as handle:
                pickle.dump({"schema": SCHEMA, "output": self.output, "pages": pages,
                             "written": sorted(self.written)}, handle,
                            protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except OSError as exc:
            logger.warning("fastbuild: không ghi được %s (%s); lần dựng sau sẽ dựng lại mọi "
                           "trang", self.path, exc)

    def remove_stale(self, written) -> list[str]:
        """Remove the pages the last build wrote that this one did not (``written``: names
        relative to the output folder), and the folders they leave empty; return them."""
        gone = sorted(self.written - set(written))
        root = os.path.realpath(self.output)
        removed = []
        for name in gone:
            path = os.path.realpath(os.path.join(root, name))
            if os.path.commonpath([root, path]) != root or path == root:
                continue  # never outside the output folder
            try:
                os.unlink(path)
            except FileNotFoundError:
                continue
            except OSError as exc:
                logger.warning("fastbuild: không xóa được trang cũ %s (%s)", path, exc)
                continue
            removed.append(name)
            folder = os.path.dirname(path)
            while folder != root and os.path.commonpath([root, folder]) == root:
                try:
                    os.rmdir(folder)
                except OSError:
                    break
                folder = os.path.dirname(folder)
        return removed
