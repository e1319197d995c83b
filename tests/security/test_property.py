"""A property of the reader (plugins/schema: Markdown, then whatever cleans its output): for
any text made of Markdown-ish and HTML-ish pieces, the body it makes, and the summary (the one
metadata field read as Markdown), hold only allowlisted elements, attributes and URL schemes
(tests/security/markup.py)."""
from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings, strategies as st

from newsroom import site
from plugins.schema.schema import NewsroomMarkdownReader
from tests.security import markup

PIECES = [
    # HTML
    "<", ">", "</", "/>", "<script>", "</script>", "<img", "<svg", "<math", "<iframe", "<a",
    "<style>", "</style>", "<div>", "</div>", "<p>", "</p>", "<object", "<embed", "<form",
    "<base", "<meta", "<template>", "<noscript>", "<textarea>", "<title>", "</title>",
    " src=", " href=", " onerror=", " onload=", " onclick=", " style=", " srcdoc=",
    " xlink:href=", " formaction=", " markdown=\"1\"", "=", "\"", "'", "`", "<!--", "-->",
    "<![CDATA[", "]]>", "alert(1)", "x", " ",
    # URLs, entities, whitespace inside a scheme
    "javascript:", "JaVaScRiPt:", "java\tscript:", "java\nscript:", "jav&#x09;ascript:",
    "&#106;avascript:", "javascript&#58;", "vbscript:", "data:text/html,", "&lt;", "&gt;",
    "&#60;", "&#x3C;", "&quot;", "&amp;", "&#0000060", "\u0000", "\u200b", "%3C",
    # Markdown
    "[", "]", "(", ")", "![", "](", "[x]: ", "{: ", " }", "{#x}", "*", "_", "**", "#", "##",
    "> ", "- ", "1. ", "    ", "`", "```", "\n", "\n\n", "|", "---", "[^1]", "[^1]: ",
    "*[x]: ", ":   ", "{static}", "{filename}", "[TOC]", "\\",
    # Vietnamese text
    "Công đoàn", "Đoàn viên", "Tháng Công nhân",
]
TEXT = st.lists(st.sampled_from(PIECES), min_size=1, max_size=40).map("".join)
_names = itertools.count()
_readers: dict = {}


def _reader(content) -> NewsroomMarkdownReader:
    """One reader per content folder (the examples of one run share theirs)."""
    if content not in _readers:
        _readers[content] = NewsroomMarkdownReader(site.settings_for("pelicanconf.py",
                                                                     PATH=content))
    return _readers[content]


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=TEXT, summary=TEXT)
def test_reader_output_is_allowlisted(body, summary, tmp_path):
    content = tmp_path / "content"
    path = content / "bai-viet" / f"bai-{next(_names)}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    oneline = " ".join(summary.split())
    path.write_text("Title: Bài thử\nDate: 2020-06-10 09:00\nUnit: than-ha-lam\n"
                    "Author: Nguyễn Văn An\nCategory: Tin tức\n"
                    f"Summary: {oneline}\n\n{body}\n", encoding="utf-8")
    html, metadata = _reader(content).read(str(path))
    problems = markup.check_fragment(html, path.name, "thân bài")
    problems += markup.check_fragment(str(metadata.get("summary", "")), path.name, "Summary")
    assert not problems, "\n".join(str(p) for p in problems[:10])
