"""Every output file of the hostile builds, read with a real parser (lxml: HTML pages, Atom
feeds and the HTML of their entries, sitemaps, robots.txt, JSON-LD, the index's JSON), holds
only what the allowlist of tests/security/markup.py allows."""
from __future__ import annotations

import re

import pytest

from newsroom.build import site
from plugins.markdown_reader.markdown_reader import ContentErrors
from tests.security import findings, hostile, markup
from tests.security.builds import (  # noqa: F401 - fixtures besides _overrides
    _overrides, build, hostile_content, preview_build, publish_build, run_folder)

_PART = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")


def _files(build):
    for path in sorted(build.output.rglob("*")):
        if path.is_file():
            yield path, path.relative_to(build.output).as_posix()


def test_build_survives_hostile_content(build):
    assert build.error is None, (
        f"bản dựng {build.name} dừng lại vì nội dung độc hại (các trang vẫn được kiểm tra, "
        f"trên bản dựng không có feed):\n{build.error}")


def test_every_hostile_article_is_published(build):
    """Every article the build keeps is published, none held back as a draft (by a limit the
    batches outgrew), so its strings reach the lists, the term pages and the feeds."""
    kept = [a.slug for a in build.content.articles if a.slug not in build.refused]
    missing = [slug for slug in kept if not build.exists(f"2020/06/{slug}/")]
    assert not missing, f"bản dựng {build.name}: {len(missing)} bài không lên trang: {missing[:20]}"
    assert not (build.output / "ban-nhap").exists(), f"bản dựng {build.name}: có bài thành bản nháp"


def test_every_output_file_holds_only_allowed_markup(build):
    problems = []
    for path, rel in _files(build):
        problems += markup.check_file(path, rel, build.site_url)
    assert not problems, findings.summary(problems, build.content, f"bản dựng {build.name}")


def test_every_output_path_is_made_of_slugs(build):
    bad = [rel for _, rel in _files(build) if not all(_PART.match(p) for p in rel.split("/"))]
    assert not bad, f"bản dựng {build.name}: {len(bad)} tệp có tên không phải slug: {bad[:20]}"


def test_publish_refuses_with_a_message(publish_build, tmp_path):
    """What the publish build left out (bodies the friendly check refuses, and anything else
    a strict build refused) stops a strict build with a Vietnamese message naming the file,
    the line, the field and the fix."""
    content = publish_build.content
    refused = [a for a in content.articles if a.slug in publish_build.refused]
    assert refused, "không bài nào bị từ chối: kiểm tra thân bài đã tắt?"
    source = hostile.write_folder(tmp_path / "refused", refused)
    conf, overrides = _overrides("publish", content, source, tmp_path / "output")
    with pytest.raises(ContentErrors) as caught:
        site.build(conf, **overrides)
    message = str(caught.value)
    for article in refused:
        pattern = rf"{re.escape(article.rel)}:[1-9]\d*: [^:\n]+: lỗi: [^\n]+\. Cách sửa: \S"
        assert re.search(pattern, message), f"{article.rel}: không có thông báo lỗi rõ ràng"
    assert not (tmp_path / "output" / "index.html").exists()


_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)((?:[^<>{]|\{\{.*?\}\}|\{%.*?%\})*)>", re.S)
_ATTR = re.compile(r"([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?=\s*=|\s|$)")


def _template_markup():
    """(template, element, attribute) of every tag written in theme/templates."""
    for path in sorted((hostile.ROOT / "theme" / "templates").rglob("*.html")):
        text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
        for tag in _TAG.finditer(text):
            inside = re.sub(r"\{%.*?%\}", " ", tag[2], flags=re.S)
            inside = re.sub(r"\{\{.*?\}\}", "x", inside, flags=re.S)
            inside = re.sub(r"\"[^\"]*\"|'[^']*'", " ", inside)
            yield path.name, tag[1].lower(), None
            for attr in _ATTR.findall(inside):
                yield path.name, tag[1].lower(), attr.lower()


def test_allowlist_covers_the_theme():
    """Every element and attribute the templates write is in the allowlist (the templates
    are where the allowlist comes from: a new one must be added there, knowingly)."""
    missing = set()
    for template, tag, attr in _template_markup():
        if tag == "h":  # <h{{ level }}> of partials/card.html
            continue
        if tag not in markup.THEME or attr and not (
                attr in markup.THEME[tag] or attr in markup.GLOBAL or attr.startswith("aria-")):
            missing.add((template, tag, attr or ""))
    assert not missing, f"giao diện viết thẻ, thuộc tính ngoài danh sách cho phép: {sorted(missing)}"


def test_allowlist_accepts_the_sample_site(sample_site):
    """The sample content, built strictly, passes the same check: the allowlist does not
    forbid what the site legitimately writes."""
    problems = []
    for path in sorted(sample_site.output.rglob("*")):
        if path.is_file():
            rel = path.relative_to(sample_site.output).as_posix()
            problems += markup.check_file(path, rel, sample_site.settings["SITEURL"])
    assert not problems, "\n".join(str(p) for p in problems[:30])


@pytest.mark.parametrize("html, what", [
    ('<p><a href=" jav&#x09;ascript:alert(1)">x</a></p>', "href: giao thức “javascript:”"),
    ("<p><img src=x onerror=alert(1)></p>", "thuộc tính sự kiện onerror"),
    ("<p><svg><a href=/>x</a></svg></p>", "phần tử <svg>"),
    ('<script type="application/ld+json">{"a": "</script><script>alert(1)</script>',
     "JSON-LD không đọc được"),
    ('<script src="https://evil.example/x.js"></script>', "không phải của giao diện"),
    ('<meta http-equiv="refresh" content="0;url=/">', "thuộc tính http-equiv"),
    ('<form action="https://evil.example/"></form>', "<form> không gửi tới trang tìm kiếm"),
    ('<p style="color:red">x</p>', "thuộc tính style"),
    ('<p>{{ "ssti" ~ 7*7 }} thành ssti49</p>', "mẫu trang đã chạy"),
    ("<p>x\x0ey</p>", "ký tự điều khiển"),
    ('<blockquote cite="javascript:alert(1)">x</blockquote>', "cite: giao thức “javascript:”"),
    ('<link rel="preload" href="https://evil.example/x.js" as="script">', "không phải của giao diện"),
])
def test_check_finds_what_it_must(html, what):
    """The check itself can fail: each form of hostile markup is found."""
    problems = markup.check_text(html, "x.html") + markup.check_html(html, "x.html")
    assert any(what in p.what for p in problems), problems
