"""Shared fixtures: one strict build of the bundled sample site per test worker, and a
factory that builds small sites from articles written by a test."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsroom.build import site  # noqa: E402
from tests.helpers import write_files  # noqa: E402


class BuiltSite:
    """The output folder of a build, with helpers to read it as a user would."""

    def __init__(self, output: Path, settings: dict):
        self.output = Path(output)
        self.settings = settings

    def path(self, url: str) -> Path:
        url = url.split("#")[0].split("?")[0].lstrip("/")
        target = self.output / url
        return target / "index.html" if url.endswith("/") or not url else target

    def exists(self, url: str) -> bool:
        return self.path(url).is_file()

    def text(self, url: str) -> str:
        return self.path(url).read_text(encoding="utf-8")

    def html(self, url: str) -> BeautifulSoup:
        return BeautifulSoup(self.text(url), "lxml")

    def xml(self, url: str) -> BeautifulSoup:
        return BeautifulSoup(self.text(url), "xml")


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> BuiltSite:
    """The bundled sample content, built strictly with every project plugin."""
    out = tmp_path_factory.mktemp("sample-output")
    settings = site.build("pelicanconf.py", OUTPUT_PATH=out, NEWSROOM_STRICT=True)
    return BuiltSite(out, settings)


@pytest.fixture
def make_site(tmp_path):
    """Build a small site: ``make_site({"bai-viet/x/2020/a.md": "Title: ..."}, strict=...)``.

    Files are written under a fresh content folder (text is dedented; bytes are written as
    they are); the project's data, theme and plugins are used. Returns a :class:`BuiltSite`.
    """

    def build(files: dict[str, str | bytes], strict: bool = False, **overrides) -> BuiltSite:
        content = tmp_path / "content"
        write_files(content, files)
        out = tmp_path / "output"
        settings = site.build("pelicanconf.py", PATH=content, OUTPUT_PATH=out,
                              NEWSROOM_STRICT=strict, **overrides)
        return BuiltSite(out, settings)

    return build


#: Modules whose tests build sites themselves (besides every test using the fixtures above).
BUILD_MODULES = {"test_determinism", "test_fastbuild_memory", "test_fastbuild_render",
                 "test_search_index", "test_feeds", "test_images_cards", "test_reader_site",
                 "test_escaping", "test_fence", "test_bench", "test_page_families",
                 "test_incremental", "test_buildfolder"}


#: Fixtures that build a site: these, and the hostile builds of the security suite
#: (tests/security/conftest.py: ``build`` is each of the two in turn).
BUILD_FIXTURES = {"sample_site", "make_site", "preview_build", "publish_build", "build"}


def pytest_collection_modifyitems(config, items):
    """Mark every test that builds a site ``build`` (``pytest -m build``: .ci/run runs them
    again with the speed layer off and against the newest Pelican)."""
    for item in items:
        module = item.module.__name__.rpartition(".")[2] if item.module else ""
        if module in BUILD_MODULES or BUILD_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.build)
