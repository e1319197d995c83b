"""Rendering a batch of pages (plugins/fastbuild): an article's card rendered once and reused
on every list page, templates not checked on disk for every page, and still the right
links on every page and a template edited during a live session seen at the next update."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urljoin

import pytest

from newsroom.build import livereload
from tests.conftest import ROOT
from tests.helpers import article, write_files

ARTICLES = {
    f"bai-viet/than-ha-lam/2020/tin-{n}.md": article(
        title=f"Tin số {n} của Hà Lầm", date=f"2020-06-{10 + n:02d} 09:00",
        category="Tin tức" if n % 2 else "Gương điển hình", tags="an toàn, đối thoại")
    for n in range(1, 8)
}


def test_reused_cards_link_right_from_every_depth_with_relative_urls(make_site):
    """With relative URLs the address of the site differs from page to page: a card kept
    from a page at the root must not be reused two folders down."""
    built = make_site(ARTICLES, RELATIVE_URLS=True,
                      FASTBUILD={"workers": 2, "cache": False})
    lists = ["", "chuyen-muc/tin-tuc/", "the/an-toan/", "don-vi/than-ha-lam/",
             "2020/06/tin-so-3-cua-ha-lam/"]
    seen = {}
    for url in lists:
        cards = built.html(url).select("article.card .card-title a, article.row .row-title a")
        assert cards, url
        for link in cards:
            target = urljoin(f"http://site/{url}", link["href"])
            assert target.startswith("http://site/2020/06/"), (url, link["href"])
            assert built.exists(target[len("http://site"):]), (url, link["href"])
            seen.setdefault(link.get_text(), set()).add(link["href"])
    # The same card is written differently at different depths.
    assert any(len(hrefs) > 1 for hrefs in seen.values())


@pytest.mark.speed
def test_template_edited_during_a_live_session_shows_at_the_next_update(tmp_path):
    theme = tmp_path / "theme"
    shutil.copytree(ROOT / "theme", theme)
    content = tmp_path / "content"
    write_files(content, ARTICLES)
    session = livereload.Session(PATH=content, OUTPUT_PATH=tmp_path / "output",
                                 CACHE_PATH=tmp_path / "cache", THEME=theme)
    home = tmp_path / "output/index.html"
    story = tmp_path / "output/2020/06/tin-so-3-cua-ha-lam/index.html"
    try:
        session.update()
        assert 'class="row-title"' in home.read_text(encoding="utf-8")
        # An imported partial and the base template change on disk.
        for rel, old, new in [("partials/card.html", 'class="row-title"', 'class="row-title đã-sửa"'),
                              ("base.html", '<p class="slogan">', '<p class="slogan khẩu-hiệu">')]:
            path = theme / "templates" / rel
            path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
            later = path.stat().st_mtime_ns + 5_000_000_000
            os.utime(path, ns=(later, later))
        info = session.update(files_changed=False,
                              paths=[str(theme / "templates/partials/card.html")])
        assert info["rendered"] >= 1
        for page in (home, story):
            text = page.read_text(encoding="utf-8")
            assert 'class="row-title đã-sửa"' in text and 'class="row-title"' not in text
            assert '<p class="slogan khẩu-hiệu">' in text
    finally:
        session.wait()
        livereload._stop_background()


def test_theme_page_crumbs_name_its_parent_theme(sample_site):
    page = sample_site.html("chu-de/thoa-uoc-lao-dong-tap-the/")
    crumbs = [li.get_text(strip=True) for li in page.select(".breadcrumbs li")]
    assert crumbs == ["Trang chủ", "Chủ đề", "Nội dung chuyên sâu",
                      "Thương lượng, ký kết thỏa ước lao động tập thể"]
    assert page.select_one(".breadcrumbs a[href$='/chu-de/noi-dung-chuyen-sau/']")
    top = sample_site.html("chu-de/noi-dung-chuyen-sau/")
    assert [li.get_text(strip=True) for li in top.select(".breadcrumbs li")] == [
        "Trang chủ", "Chủ đề", "Nội dung chuyên sâu"]


@pytest.mark.speed
def test_kept_macro_takes_named_arguments_as_the_macro_does():
    """A template may call a kept macro with named arguments (``card(a, image=False)``): in a
    batch it gives what the macro gives, kept apart from the call without them."""
    from jinja2 import Environment

    from plugins.fastbuild import memo

    env = Environment()
    env.globals["memo"] = memo.memo
    template = env.from_string(
        '{% macro _card(title, level=3, image=True) %}<h{{ level }}>{{ title }}'
        '{% if image %}<img>{% endif %}</h{{ level }}>{% endmacro %}'
        '{% set card = memo(_card, reads="x") %}'
        '{{ card("A") }}|{{ card("A", image=False) }}|{{ card("A", level=2, image=False) }}'
        '|{{ card("A") }}')
    plain = template.render()
    memo.start()
    try:
        kept = template.render()
    finally:
        memo.stop()
    assert plain == "<h3>A<img></h3>|<h3>A</h3>|<h2>A</h2>|<h3>A<img></h3>"
    assert kept == plain
