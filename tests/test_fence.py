"""The fence around Pelican's insides (plugins/fence.py): a Pelican it does not know switches the
speed layer off with one warning, and the build gives the same bytes as with it; stable paging
is a feature of its own, checked at start-up; no other module touches a private name."""
from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

from benchmarks import corpus
from newsroom.build import site
from plugins import fence

from tests.conftest import ROOT
from tests.test_determinism import assert_same

N = 30


@pytest.fixture(scope="module")
def content(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fence-corpus") / "content"
    corpus.generate(folder, N)
    return folder


@pytest.fixture(scope="module")
def reference(content, tmp_path_factory):
    """The corpus built with the speed layer on, as every day."""
    out = tmp_path_factory.mktemp("fence-on")
    fence.speed_verdict.cache_clear()
    assert fence.speed_verdict().ok, fence.speed_verdict().reasons
    site.build("pelicanconf.py", PATH=content, OUTPUT_PATH=out / "output",
               CACHE_PATH=out / "cache", NEWSROOM_STRICT=True, FASTBUILD={"workers": 2})
    assert (out / "cache" / "fastbuild.sqlite").is_file()  # the speed layer ran
    return out / "output"


# The tests below switch the speed layer off from a build where it is on: not run with
# FASTBUILD=off or on a Pelican the fence does not know (.ci/run), where it is off already.


@pytest.fixture
def verdict():
    """Each test sees the verdict of the versions it set; the next one starts afresh."""
    fence.speed_verdict.cache_clear()
    yield
    fence.speed_verdict.cache_clear()


def _fallback_build(content, tmp_path, caplog) -> list[logging.LogRecord]:
    from pelican.contents import Content

    with caplog.at_level(logging.WARNING):
        site.build("pelicanconf.py", PATH=content, OUTPUT_PATH=tmp_path / "output",
                   CACHE_PATH=tmp_path / "cache", NEWSROOM_STRICT=True,
                   FASTBUILD={"workers": 2})
    assert not (tmp_path / "cache" / "fastbuild.sqlite").exists()  # no cache opened
    # Pelican's own properties, not the speed layer's memo, after a build without it.
    assert Content.url.fget.__module__ == "pelican.contents"
    return [r for r in caplog.records if r.name == "plugins.fastbuild"
            and r.levelno == logging.WARNING]


@pytest.mark.speed
def test_unsupported_pelican_falls_back_to_stock_with_the_same_bytes(
        content, reference, tmp_path, caplog, monkeypatch, verdict):
    monkeypatch.setitem(fence.SUPPORTED, "pelican", ("4.13.0", "4.14"))
    warnings = _fallback_build(content, tmp_path, caplog)
    assert len(warnings) == 1, [w.getMessage() for w in warnings]
    message = warnings[0].getMessage()
    assert "tắt lớp tăng tốc" in message and "pelican 4.12.0" in message
    assert "4.13.0 ≤ phiên bản < 4.14" in message and "Nâng cấp Pelican" in message
    assert_same(reference, tmp_path / "output")


@pytest.mark.speed
def test_changed_pelican_code_falls_back_too(content, reference, tmp_path, caplog,
                                             monkeypatch, verdict):
    monkeypatch.setitem(fence.COPIED, "pelican.writers:Writer.write_file", "0" * 64)
    warnings = _fallback_build(content, tmp_path, caplog)
    assert len(warnings) == 1 and "Writer.write_file" in warnings[0].getMessage()
    assert_same(reference, tmp_path / "output")


@pytest.mark.speed
def test_fastbuild_off_in_the_environment_builds_the_same_bytes_without_a_warning(
        content, reference, tmp_path, caplog, monkeypatch, verdict):
    monkeypatch.setenv("FASTBUILD", "off")
    assert _fallback_build(content, tmp_path, caplog) == []
    assert_same(reference, tmp_path / "output")


@pytest.mark.speed
def test_the_checks_name_what_changed(monkeypatch, verdict):
    monkeypatch.setitem(fence.SIGNATURES, "pelican:Pelican._get_writer", "(self, extra)")
    monkeypatch.setitem(fence.INIT_NAMES, "pelican.contents:Content.__init__", ("_gone",))
    monkeypatch.setitem(fence.SIGNATURES, "pelican.writers:NoSuchWriter.write", "(self)")
    reasons = "\n".join(fence.speed_verdict().reasons)
    assert not fence.speed_verdict().ok
    assert "Pelican._get_writer đổi tham số thành (self)" in reasons
    assert "Content.__init__ không còn đặt _gone" in reasons
    assert "không tìm thấy pelican.writers:NoSuchWriter.write" in reasons


def test_the_hash_of_copied_code_ignores_docstrings_comments_and_annotations():
    a = 'def f(x: int, y=2) -> int:\n    """Docstring."""\n    n: int = x + y  # sum\n    return n\n'
    b = "def f(x, y=2):\n\n    n = x + y\n    return n\n"
    c = "def f(x, y=3):\n    n = x + y\n    return n\n"
    assert fence.source_hash(a) == fence.source_hash(b) != fence.source_hash(c)


def test_stable_paging_without_its_plugin_is_an_error_at_start_up(content, tmp_path):
    plugins = [p for p in site.settings_for("pelicanconf.py")["PLUGINS"] if p != "plugins.paging"]
    with pytest.raises(ValueError, match="PAGINATION_STABLE = True nhưng PLUGINS không có"):
        site.build("pelicanconf.py", PATH=content, OUTPUT_PATH=tmp_path / "output",
                   PLUGINS=plugins)
    assert not (tmp_path / "output" / "index.html").exists()


#: Private or undocumented Pelican/Jinja attributes: only plugins/fence.py may name them.
PRIVATE_ATTRIBUTES = {
    "_written_files", "_overridden_files", "_get_writer", "_get_generator_classes",
    "_include_path", "_content", "_func", "_filter_discardable_metadata",
    "_build_period_archives", "_create_new_feed", "_name", "_slug", "_slug_from_name"}
#: What the project imports from Pelican, Jinja and MarkupSafe outside the fence: the
#: documented plugin API (signals, readers, writers, generators, settings) and base classes.
DOCUMENTED_IMPORTS = {
    "pelican": {"signals", "Pelican"}, "pelican.plugins": {"signals"},
    "pelican.settings": {"read_settings"}, "pelican.readers": {"MarkdownReader"},
    "pelican.writers": {"Writer"}, "pelican.contents": {"Article", "Page", "Content"},
    "pelican.generators": {"ArticlesGenerator", "Generator", "CachingGenerator"},
    # pass_context: Jinja's documented way for a filter to read the page's context
    # (plugins.fingerprints' asset filter finds the hashed theme file names there).
    "pelican.urlwrappers": {"URLWrapper"}, "jinja2": {"BytecodeCache", "pass_context"},
    "markupsafe": {"Markup"},
    # Atom1Feed: feedgenerator's documented feed class (plugins/bulletins writes /ban-tin/feed.xml,
    # whose entries are bulletins, not Pelican content).
    "feedgenerator": {"get_tag_uri", "Atom1Feed"}}
#: Private hooks kept outside the fence, each with its reason next to it in the code.
HOOKS = {("plugins/fastbuild/writer.py", "_open_w")}


def _project_files():
    for folder in ("plugins", "newsroom", "benchmarks"):
        yield from sorted((ROOT / folder).rglob("*.py"))
    yield ROOT / "tasks.py"


def test_only_the_fence_names_private_pelican_and_jinja_internals():
    found = []
    for path in _project_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel == "plugins/fence.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in (
                    "pelican", "jinja2", "markupsafe", "feedgenerator"):
                allowed = DOCUMENTED_IMPORTS.get(node.module, set())
                found += [f"{rel}:{node.lineno} from {node.module} import {a.name}"
                          for a in node.names if a.name not in allowed]
            elif isinstance(node, ast.Attribute) and node.attr in PRIVATE_ATTRIBUTES:
                found.append(f"{rel}:{node.lineno} .{node.attr}")
            elif isinstance(node, ast.FunctionDef) and node.name in (
                    PRIVATE_ATTRIBUTES | {"_open_w"}) and (rel, node.name) not in HOOKS:
                found.append(f"{rel}:{node.lineno} def {node.name}")
    assert not found, "\n".join(found)


@pytest.mark.speed
def test_the_pinned_versions_are_inside_the_supported_range(verdict):
    assert fence.speed_verdict().ok, fence.speed_verdict().reasons
    pins = dict(line.split("==", 1) for line in Path(ROOT / "requirements.in").read_text(
        encoding="utf-8").split() if "==" in line)
    low, high = fence.SUPPORTED["pelican"]
    from packaging.version import Version

    assert Version(low) <= Version(pins["pelican"]) < Version(high)
