"""Labels of the report's SVG charts (newsroom/editorial/charts.py) on the real names of data/units.yml
and data/themes.yml: each fits its label column, measured with DejaVu Sans (what Chromium draws
``system-ui`` with on Debian, one of the widest screen fonts) and drawn in a real Chromium."""
from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from PIL import ImageFont
from playwright.sync_api import sync_playwright

from newsroom.core import data
from newsroom.core.chromium import CHROME_FLAGS, CHROMIUM
from newsroom.editorial import charts

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
UNITS = data.units()
SHORTS = [u["short"] for u in UNITS.values()]
NAMES = [u["name"] for u in UNITS.values()]
THEMES = [t["name"] for t in data.load("themes")]


def width(text: str, size: float) -> float:
    return ImageFont.truetype(DEJAVU, size).getlength(text)


def labels(svg: str, selector: str) -> list[tuple[str, list[str], float, float, str | None]]:
    """``[(full name, drawn lines, x of their right end, font size, tooltip)]``."""
    root = BeautifulSoup(svg, "html.parser").svg
    size = float(root["font-size"])
    found = []
    for group in root.select(selector):
        text = group.find("text")
        lines = [t.get_text() for t in text.find_all("tspan")] or [text.get_text()]
        tip = text.parent.find("title", recursive=False) if text.parent is not group else None
        name = group.get("data-label") or UNITS[group["data-unit"]]["short"]
        found.append((name, lines,
                      float(text["x"]), float(text.get("font-size", size)),
                      tip.get_text() if tip else None))
    return found


def assert_fit(found, lines_max=2):
    assert found
    for name, lines, right, size, tip in found:
        assert 1 <= len(lines) <= lines_max, (name, lines)
        for line in lines:
            assert width(line, size) <= right, (name, line, width(line, size), right)
        drawn = " ".join(lines)
        if drawn != name:  # cut: words kept in order, an ellipsis, the whole name in a tooltip
            assert drawn.endswith("…") and name.startswith(drawn[:-1].rstrip()), (name, drawn)
            assert tip == name, (name, tip)


def test_unit_short_names_are_drawn_whole_and_fit():
    svg = charts.bars(SHORTS, list(range(len(SHORTS))), title="Đơn vị")
    found = labels(svg, "g.bar")
    assert [name for name, *_ in found] == SHORTS
    assert_fit(found)
    assert all(" ".join(lines) == name for name, lines, *_ in found)  # none cut


def test_full_unit_and_theme_names_wrap_and_fit():
    for names in (NAMES, THEMES):
        svg = charts.bars(names, [3] * len(names), title="Tên dài")
        found = labels(svg, "g.bar")
        assert_fit(found)
        assert any(len(lines) == 2 for _, lines, *_ in found)  # long names take two lines


def test_a_name_too_long_for_two_lines_is_cut_with_its_tooltip():
    name = " ".join(NAMES[:3])
    found = labels(charts.bars([name, "Than Hà Lầm"], [2, 5], title="Dài"), "g.bar")
    assert_fit(found)
    assert found[0][4] == name and found[0][1][-1].endswith("…")


def test_week_grid_unit_names_fit():
    rows = [(slug, u["short"], u["quota_per_week"]) for slug, u in UNITS.items()]
    svg = charts.grid(rows, [("2020-W19", "19"), ("2020-W20", "20")],
                      [[1, 0]] * len(rows), title="Tuần")
    found = labels(svg, "g.grid-row")
    assert_fit(found, lines_max=1)
    assert all(lines == [name] for name, lines, *_ in found)


@pytest.fixture(scope="module")
def page():
    assert Path(CHROMIUM).exists(), "thiếu Chromium: apt-get install chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_FLAGS, headless=True)
        yield browser.new_page(viewport={"width": 1200, "height": 900})
        browser.close()


INSIDE = """() => [...document.querySelectorAll('svg')].flatMap(svg => {
    const labels = [...svg.querySelectorAll('g.bar, g.grid-row')];
    return labels.map(g => {
        const text = g.querySelector('text').getBBox();
        const shape = g.querySelector('rect').getBBox();
        return {name: g.dataset.label || g.dataset.unit, left: text.x,
                right: text.x + text.width, start: shape.x};
    });
})"""


def test_labels_stay_inside_the_chart_in_chromium(page):
    rows = [(slug, u["short"], u["quota_per_week"]) for slug, u in UNITS.items()]
    html = "".join(f"<div style='width:{w}px'>{svg}</div>" for w, svg in (
        (560, charts.bars(SHORTS, [1] * len(SHORTS), title="a")),
        (560, charts.bars(NAMES, [1] * len(NAMES), title="b")),
        (560, charts.bars(THEMES, [1] * len(THEMES), title="c")),
        (900, charts.grid(rows, [("w", "1")], [[0]] * len(rows), title="d"))))
    page.set_content(f"<!doctype html><meta charset=utf-8><body style='margin:0'>{html}")
    found = page.evaluate(INSIDE)
    assert len(found) == 3 * len(UNITS) + len(THEMES)
    outside = [f for f in found if f["left"] < 0 or f["right"] > f["start"]]
    assert not outside, outside
