"""Small inline SVG charts for the internal reports.

A report must open on a phone, print on A4 and travel as one HTML file by e-mail or Zalo, so the
charts are plain SVG drawn here (a few dozen lines each) rather than a plotting library and its
dependencies. Every bar carries ``data-label``/``data-value`` and a ``<title>`` tooltip, so the
figures can be read back (by tests, by screen readers) exactly as drawn.

Labels are measured, not counted in characters: each label column is as wide as its longest
label (up to a limit), longer labels wrap onto a second line (bars) or end in "…" with the
whole name in a ``<title>`` tooltip. The chart is drawn in the reader's ``system-ui`` font,
which differs between phones and computers, so widths are measured with a wide font that has
every Vietnamese letter and ships with the site (Be Vietnam Pro), plus a margin that covers
DejaVu Sans, one of the widest screen fonts (Linux's ``system-ui``).
"""
from __future__ import annotations

import math
from functools import lru_cache
from html import escape
from pathlib import Path

from PIL import ImageFont

from newsroom.core.paths import THEME
from newsroom.core.wrapping import wrap

FONT = "font-family=\"system-ui, sans-serif\""
GRID = "#d9d9d9"
TEXT = "#333"
METRICS_FONT = THEME / "fonts" / "BeVietnamPro-Medium.ttf"
METRICS_MARGIN = 1.06  # DejaVu Sans is up to 5 % wider than Be Vietnam Pro on Vietnamese names
LABEL_MAX = 230        # px of the widest label column (at the chart's own size)


@lru_cache(maxsize=8)
def _font(size: float):
    try:
        return ImageFont.truetype(str(METRICS_FONT), size)
    except OSError:  # font missing: a generous estimate per character below
        return None


def text_width(text: str, size: float = 11) -> float:
    """Width in px of ``text`` at ``size`` px, on the wide side (see the module's docstring)."""
    font = _font(size)
    if font is None:
        return len(text) * size * 0.68
    return font.getlength(text) * METRICS_MARGIN


def fit(text: str, room: float, size: float = 11, lines: int = 1) -> tuple[list[str], bool]:
    """``text`` in at most ``lines`` lines of at most ``room`` px, broken between words;
    when it does not fit the last line ends with "…". Returns (lines, whether it was cut)."""
    words = text.split()
    if lines >= 2 and len(words) > 1 and text_width(text, size) > room:
        # Two lines of even length read better than a full line and a word left over.
        splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
        fitting = [(b[:1] in "-–", max(text_width(a, size), text_width(b, size)), [a, b])
                   for a, b in splits]  # a line never starts with a dash if it can help it
        fitting = [split for split in fitting if split[1] <= room]
        if fitting:
            return min(fitting, key=lambda split: split[:2])[2], False
    wrapped = wrap(words, room, lambda line: text_width(line, size))
    out = [" ".join(line) for line in wrapped[:lines]]
    if len(wrapped) <= lines and all(text_width(line, size) <= room for line in out):
        return out or [""], False
    last = out[-1]
    if text_width(last, size) > room:  # one word longer than the room: cut inside it
        while last and text_width(last + "…", size) > room:
            last = last[:-1]
    elif text_width(last + "…", size) > room:  # make room for the "…": drop the last word
        last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
    out[-1] = last.rstrip() + "…"
    return out, True


def _label_column(labels, size: float, gap: int, least: int = 60) -> int:
    longest = max((text_width(label, size) for label in labels), default=0)
    return math.ceil(min(LABEL_MAX, max(least, longest))) + gap + 2


def _label(lines: list[str], cut: bool, full: str, x: float, y: float, line_h: float,
           attrs: str = "") -> str:
    """Right-aligned label text ending at ``x`` (first baseline ``y``), one tspan a line; a
    cut label carries its whole text in a tooltip."""
    if len(lines) == 1:
        inner = escape(lines[0])
    else:
        inner = "".join(f'<tspan x="{x:.0f}" y="{y + n * line_h:.0f}">{escape(line)}</tspan>'
                        for n, line in enumerate(lines))
    text = (f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="end" fill="{TEXT}"{attrs}>'
            f"{inner}</text>")
    return f'<g class="label"><title>{escape(full)}</title>{text}</g>' if cut else text


def _nice_max(value: float) -> int:
    if value <= 5:
        return max(1, int(value + 0.999))
    for step in (2, 5, 10, 20, 50, 100, 200, 500, 1000):
        top = ((int(value) + step - 1) // step) * step
        if top / step <= 6:
            return top
    return int(value)


def _ticks(top: int) -> list[int]:
    step = max(1, top // 5) if top > 5 else 1
    while top % step:
        step += 1
    return list(range(0, top + 1, step))


def _svg(width: int, height: int, title: str, body: list[str], kind: str,
         fixed: bool = False) -> str:
    """``fixed``: drawn at its own size (the page scrolls sideways) instead of fitting."""
    size = f'width="{width}" height="{height}"' if fixed else 'width="100%"'
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" '
            f'viewBox="0 0 {width} {height}" {size} preserveAspectRatio="xMinYMin meet" '
            f'aria-label="{escape(title)}" {FONT} font-size="11">'
            f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")


def columns(labels: list[str], series: list[tuple[str, str, list[int]]], *, title: str,
            target: float | None = None, target_label: str = "", short_labels=None) -> str:
    """Vertical (stacked) columns, one per label; ``series`` = [(name, colour, values)].

    ``target`` draws a dashed line (a weekly minimum, say); a legend is drawn when there is more
    than one series. ``short_labels`` are the texts under the columns (every few are shown when
    the columns are many)."""
    short_labels = short_labels or labels
    count = max(1, len(labels))
    left, right, top, bottom = 30, 8, 10, 34
    legend = 18 if len(series) > 1 or target else 0
    slot = max(6, min(48, 400 // count))
    width = left + right + slot * count
    plot_h = 150
    height = top + plot_h + bottom + legend
    totals = [sum(values[i] for _, _, values in series) for i in range(len(labels))]
    top_value = _nice_max(max(totals + [target or 0, 1]))
    scale = plot_h / top_value
    body = []
    for tick in _ticks(top_value):
        y = top + plot_h - tick * scale
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                    f'stroke="{GRID}" stroke-width="0.6"/>'
                    f'<text x="{left - 4}" y="{y + 3.5:.1f}" text-anchor="end" '
                    f'fill="{TEXT}">{tick}</text>')
    every = 1 if slot >= 18 else -(-18 // slot)
    for i, label in enumerate(labels):
        x = left + i * slot + slot * 0.15
        w = slot * 0.7
        y = top + plot_h
        parts = []
        for name, colour, values in series:
            value = values[i]
            h = value * scale
            y -= h
            if value:
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                             f'fill="{colour}" data-series="{escape(name)}" '
                             f'data-value="{value}"><title>{escape(label)}: {escape(name)} '
                             f"{value}</title></rect>")
        body.append(f'<g class="column" data-label="{escape(label)}" '
                    f'data-value="{totals[i]}">' + "".join(parts) + "</g>")
        if i % every == 0:
            cx = left + i * slot + slot / 2
            body.append(f'<text x="{cx:.1f}" y="{top + plot_h + 12}" text-anchor="middle" '
                        f'fill="{TEXT}">{escape(short_labels[i])}</text>')
    if target:
        y = top + plot_h - target * scale
        body.append(f'<line class="target" x1="{left}" x2="{width - right}" y1="{y:.1f}" '
                    f'y2="{y:.1f}" stroke="#c0392b" stroke-width="1.4" stroke-dasharray="5 3" '
                    f'data-value="{target}"/>')
    x = left
    legend_y = top + plot_h + bottom + 4
    for name, colour, _ in series if len(series) > 1 else ():
        body.append(f'<rect x="{x}" y="{legend_y}" width="10" height="10" fill="{colour}"/>'
                    f'<text x="{x + 14}" y="{legend_y + 9}" fill="{TEXT}">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    if target:
        body.append(f'<line x1="{x}" x2="{x + 16}" y1="{legend_y + 5}" y2="{legend_y + 5}" '
                    f'stroke="#c0392b" stroke-width="1.4" stroke-dasharray="5 3"/>'
                    f'<text x="{x + 20}" y="{legend_y + 9}" fill="{TEXT}">'
                    f"{escape(target_label)}</text>")
    return _svg(width, height, title, body, "columns")


def bars(labels: list[str], values: list[int], *, title: str, colour: str = "#1f6f8b",
         flags: list[bool] | None = None, flag_colour: str = "#c0392b") -> str:
    """Horizontal bars, one row per label (long Vietnamese names read well on a phone). The
    label column is as wide as the longest label (up to :data:`LABEL_MAX`); a longer label
    takes two lines, and is cut with "…" (whole name in a tooltip) beyond that."""
    flags = flags or [False] * len(labels)
    row, line_h, gap, size = 18, 12, 6, 11
    label_w = _label_column(labels, size, gap)
    plot_w = max(160, 420 - label_w - 40)
    width = label_w + plot_w + 40
    top_value = _nice_max(max(values + [1]))
    body = []
    y = 4
    for i, (label, value) in enumerate(zip(labels, values)):
        lines, cut = fit(label, label_w - gap - 2, size, lines=2)
        h = row + line_h * (len(lines) - 1)
        middle = y + (h - row) / 2  # the bar and its figure face the middle of the label
        w = plot_w * value / top_value
        fill = flag_colour if flags[i] else colour
        body.append(f'<g class="bar" data-label="{escape(label)}" data-value="{value}">'
                    + _label(lines, cut, label, label_w - gap, y + 12, line_h)
                    + f'<rect x="{label_w}" y="{middle + 2:.1f}" width="{w:.1f}" '
                    f'height="{row - 5}" fill="{fill}"><title>{escape(label)}: {value}</title>'
                    f'</rect><text x="{label_w + w + 4:.1f}" y="{middle + 12:.1f}" '
                    f'fill="{TEXT}">{value}</text></g>')
        y += h
    return _svg(width, max(1, y) + 4, title, body, "bars")


def grid(rows: list[tuple[str, str, int]], columns: list[tuple[str, str]],
         values: list[list[int]], *, title: str,
         targets: list[list[int | None]] | None = None) -> str:
    """A heat grid: one row per unit (``(key, label, quota)``), one cell per week
    (``(key, short label)``); green when the count reaches the quota (or the cell's own
    ``targets``, for a partial week), amber when some items came but too few, red when none
    came, grey when the cell is not judged (target None)."""
    cell, gap, top, size = 12, 2, 16, 10
    label_w = _label_column([label for _, label, _ in rows], size, 6)
    width = label_w + len(columns) * (cell + gap) + 4
    height = top + len(rows) * (cell + gap) + 4
    every = max(1, -(-16 // (cell + gap)))
    body = []
    for j, (key, short) in enumerate(columns):
        if j % every == 0:
            x = label_w + j * (cell + gap) + cell / 2
            body.append(f'<text x="{x:.1f}" y="{top - 5}" text-anchor="middle" font-size="9" '
                        f'fill="{TEXT}">{escape(short)}</text>')
    for i, (row_key, label, quota) in enumerate(rows):
        y = top + i * (cell + gap)
        lines, cut = fit(label, label_w - 8, size)
        parts = [_label(lines, cut, label, label_w - 6, y + cell - 2, 0, ' font-size="10"')]
        for j, (key, _) in enumerate(columns):
            value = values[i][j]
            target = targets[i][j] if targets else quota
            colour = ("#d9dee3" if target is None else "#2e8b57" if value >= target
                      else "#e6a23c" if value else "#e4b7b2")
            shown = f"{value} (không tính)" if target is None else f"{value}/{target}"
            parts.append(f'<rect x="{label_w + j * (cell + gap)}" y="{y}" width="{cell}" '
                         f'height="{cell}" rx="2" fill="{colour}" data-week="{escape(key)}" '
                         f'data-value="{value}"><title>{escape(label)}, {escape(key)}: '
                         f"{shown}</title></rect>")
        body.append(f'<g class="grid-row" data-unit="{escape(row_key)}" data-quota="{quota}">'
                    + "".join(parts) + "</g>")
    return _svg(width, height, title, body, "grid", fixed=True)
