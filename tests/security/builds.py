"""Fixtures of the security suite, imported by the modules that use them: the hostile content
(tests/security/hostile.py) and its builds, each made once per test run and shared by the
pytest-xdist workers (a lock file in the run's common temporary folder: the first worker to
need a build makes it, the others wait for it and read the same output)."""
from __future__ import annotations

import fcntl
import json
import os
import re
import time
import traceback
from pathlib import Path

import pytest

from newsroom.build import site
from plugins.markdown_reader.markdown_reader import ContentErrors
from tests.conftest import BuiltSite
from tests.security import hostile

PUBLISH_URL = "https://congdoantkv.vn"
#: The two builds every hostile string goes through: the preview (pelicanconf.py, every
#: article, drafts kept) and the publish build (publishconf.py: strict, absolute URLs).
BUILDS = {
    "preview": ("pelicanconf.py", {}),
    "publish": ("publishconf.py", {"SITEURL": PUBLISH_URL, "FEED_DOMAIN": PUBLISH_URL}),
}
#: Every article in every feed (the default keeps the newest 20), so every string reaches one;
#: a field may hold a batch of strings (hostile.LIMITS).
EVERY_STRING = {"FEED_MAX_ITEMS": 1000, "NEWSROOM_LIMITS": hostile.LIMITS}


@pytest.fixture(scope="session")
def run_folder(tmp_path_factory) -> Path:
    """A folder every worker of this run sees (the run's own when there are no workers)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        folder = tmp_path_factory.getbasetemp().parent / "security"
        folder.mkdir(exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("security")


def once(run_folder: Path, name: str, make) -> dict:
    """``make(folder)`` run by one worker only; every worker gets its result (a JSON dict)."""
    with open(run_folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = run_folder / name / "result.json"
        if not done.exists():
            folder = run_folder / name
            folder.mkdir(exist_ok=True)
            done.write_text(json.dumps(make(folder)), encoding="utf-8")
        return json.loads(done.read_text(encoding="utf-8"))


def _make_content(folder: Path) -> dict:
    content = hostile.make(folder)
    return {"strings": len(content.strings), "articles": len(content.articles)}


@pytest.fixture(scope="session")
def hostile_content(run_folder) -> hostile.Content:
    once(run_folder, "content", _make_content)
    return hostile.Content.load(run_folder / "content")


class HostileBuild(BuiltSite):
    """A build of the hostile content. ``error``: what stopped the build with its feeds (None
    when it finished); the output is then that of the same build without feeds, so that the
    pages are still checked. ``refused``: the articles a strict build refused (slugs)."""

    def __init__(self, name: str, output: Path, settings: dict, result: dict,
                 content: hostile.Content):
        super().__init__(output, settings)
        self.name = name
        self.error = result["error"]
        self.refused = set(result["refused"])
        self.seconds = result["seconds"]
        self.content = content
        self.site_url = settings["SITEURL"]


def _overrides(name: str, content: hostile.Content, source: Path, output: Path) -> tuple:
    conf, extra = BUILDS[name]
    return conf, {"PATH": source, "OUTPUT_PATH": output, "NEWSROOM_DATA": str(content.data),
                  "NEWSROOM_TODAY": hostile.TODAY, **EVERY_STRING, **extra}


def _no_feeds(conf: str) -> dict:
    """Settings that write no feed at all (Pelican's and the taxonomies')."""
    taxonomies = site.settings_for(conf)["TAXONOMIES"]
    return {"FEED_ALL_ATOM": None, "CATEGORY_FEED_ATOM": None,
            "TAXONOMIES": {k: {**v, "feed_save_as": None} for k, v in taxonomies.items()}}


_REFUSED = re.compile(r"/((?:a|v)-\d{4})\.md:\d+: [^:\n]+: lỗi: ")


def _source(name: str, content: hostile.Content, folder: Path, refused: set) -> Path:
    """The content a build reads: every article for the preview; for the publish build,
    those a strict build has not refused (the friendly check's verdict to begin with)."""
    if name == "preview":
        return content.folder
    keep = [a for a in content.articles if a.slug not in refused]
    return hostile.write_folder(folder / f"content-{len(refused)}", keep)


def _build(name: str, content: hostile.Content, folder: Path) -> dict:
    """Build; a strict build that refuses articles is made again without them (their
    messages are checked by test_publish_refuses_with_a_message); a build that stops is
    made again without feeds, to check its pages all the same."""
    start = time.perf_counter()
    refused = {a.slug for a in content.articles if a.refused} if name == "publish" else set()
    result = {"error": None, "output": "output"}
    while True:
        conf, overrides = _overrides(name, content, _source(name, content, folder, refused),
                                     folder / "output")
        try:
            site.build(conf, **overrides)
        except ContentErrors as exc:
            named = set(_REFUSED.findall(str(exc)))
            if name == "publish" and named - refused:
                refused |= named
                continue
            result["error"] = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # noqa: BLE001 - what stopped it is the finding
            result["error"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-3)}"
            result["output"] = "output-no-feeds"
            try:
                site.build(conf, **{**overrides, **_no_feeds(conf),
                                    "OUTPUT_PATH": folder / result["output"]})
            except Exception as again:  # noqa: BLE001
                result["fallback_error"] = f"{type(again).__name__}: {again}"
        break
    return {**result, "refused": sorted(refused), "source": str(overrides["PATH"]),
            "seconds": time.perf_counter() - start}


def hostile_build(name: str, run_folder: Path, content: hostile.Content) -> HostileBuild:
    result = once(run_folder, name, lambda folder: _build(name, content, folder))
    if result.get("fallback_error") or (result["error"] or "").startswith("ContentErrors"):
        pytest.fail(f"bản dựng {name} không xong với nội dung độc hại:\n{result['error']}\n"
                    f"{result.get('fallback_error', '')}")
    output = run_folder / name / result["output"]
    conf, overrides = _overrides(name, content, Path(result["source"]), output)
    return HostileBuild(name, output, site.settings_for(conf, **overrides), result, content)


@pytest.fixture(scope="session")
def preview_build(run_folder, hostile_content) -> HostileBuild:
    return hostile_build("preview", run_folder, hostile_content)


@pytest.fixture(scope="session")
def publish_build(run_folder, hostile_content) -> HostileBuild:
    return hostile_build("publish", run_folder, hostile_content)


@pytest.fixture(params=list(BUILDS))
def build(request) -> HostileBuild:
    """Each build in turn: the tests that take it run once with each."""
    return request.getfixturevalue(f"{request.param}_build")
