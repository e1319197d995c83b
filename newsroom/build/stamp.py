"""Skip a build when nothing it reads has changed since the last clean build.

The stamp of a build is a hash of everything the output depends on: the settings, the day,
every file under the content folder, the theme, ``data/`` and the code the build runs
(``newsroom.core.paths.BUILD_CODE``: names, sizes, mtimes), with the list of files the build left in the output folder. The build
task checks it before Pelican starts (``invoke build``, ``newsroom.build.site.build(...,
skip_unchanged=True)``) and records it after a build that logged no error: a few tens of
thousands of ``stat`` calls at 10,000 articles, a fraction of a second. Pelican itself is not
involved. Builds that empty the output folder first (``DELETE_OUTPUT_DIRECTORY``: ``invoke
publish``) are never skipped, and forget the stamp of that folder; any other writer into the
output folder (a build without the check, a publish, a hand edit) changes the output's list of
files, so the next check builds.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from newsroom.core.paths import BUILD_CODE, ROOT, tree_rows

logger = logging.getLogger(__name__)


#: Logged (info, not a warning: ``--fatal warnings`` must not fail on it) when a build is skipped.
UNCHANGED = "không có gì thay đổi từ lần dựng trước; giữ nguyên %s"


def _label(value):
    if callable(value):
        return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', value)}"
    return repr(value)


def today(settings) -> str:
    """The build date the pages are made for (``NEWSROOM_TODAY``, else today in Vietnam)."""
    from newsroom.core.calendar import today as build_date

    return build_date(settings.get("NEWSROOM_TODAY")).isoformat()


def compute(settings) -> str:
    import markdown
    import pelican

    digest = hashlib.sha256(f"{pelican.__version__} {markdown.__version__}".encode())
    try:
        digest.update(json.dumps({k: v for k, v in settings.items() if k.isupper()},
                                 sort_keys=True, default=_label).encode())
    except (TypeError, ValueError):
        return ""  # settings that cannot be compared: always build
    # Pages may show what is running today (campaigns): a new day is a new build.
    digest.update(today(settings).encode())
    data_dir = settings.get("NEWSROOM_DATA") or ROOT / "data"
    folders = [settings["PATH"], settings["THEME"], data_dir, *BUILD_CODE]
    for folder in folders:
        digest.update(repr(tree_rows(folder)).encode())
    return digest.hexdigest()


def _file(settings) -> Path:
    key = hashlib.sha256(os.path.abspath(settings["OUTPUT_PATH"]).encode()).hexdigest()[:16]
    return Path(settings["CACHE_PATH"]) / "fastbuild-stamps" / f"{key}.txt"


def _prune(folder: Path):
    """Forget the stamps of output folders that are gone (temporary builds of the tests)."""
    for path in folder.glob("*.txt"):
        try:
            output = path.read_text(encoding="utf-8").split("\n", 1)[0]
            if not os.path.isdir(output):
                path.unlink()
        except OSError:
            continue


def _output(settings) -> str:
    """Names, sizes and mtimes of every file in the output folder: anything else that writes
    there (a publish preparing assets, a live session, a hand edit) makes the next build run."""
    return hashlib.sha256(repr(tree_rows(settings["OUTPUT_PATH"])).encode()).hexdigest()


def check(settings) -> tuple[bool, str]:
    """``(up to date?, stamp of this build's inputs)``, taken before the build starts
    (readers add to the settings while they work). A build that may not be skipped (one that
    empties its output folder first, ``DELETE_OUTPUT_DIRECTORY``) forgets the stamp. Logs
    :data:`UNCHANGED` when the build may be skipped."""
    path = _file(settings)
    if settings.get("DELETE_OUTPUT_DIRECTORY"):
        path.unlink(missing_ok=True)
        return False, ""
    current = compute(settings)
    try:
        recorded = path.read_text(encoding="utf-8").split("\n")
    except OSError:
        return False, current
    path.unlink(missing_ok=True)  # until this build ends well
    if not current or recorded[1:2] != [current]:
        return False, current
    if not os.path.isfile(os.path.join(settings["OUTPUT_PATH"], "index.html")):
        return False, current
    if recorded[2:3] != [_output(settings)]:
        return False, current
    path.write_text("\n".join(recorded), encoding="utf-8")
    logger.info(UNCHANGED, settings["OUTPUT_PATH"])
    return True, current


def record(settings, current: str):
    """After a build that logged no error: its inputs, and the output as it left it."""
    if not current:
        return
    path = _file(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _prune(path.parent)
        output = os.path.abspath(settings["OUTPUT_PATH"])
        path.write_text(f"{output}\n{current}\n{_output(settings)}", encoding="utf-8")
    except OSError as exc:
        logger.warning("fastbuild: không ghi được dấu bản dựng %s (%s)", path, exc)
