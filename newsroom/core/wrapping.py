"""Word wrapping for text drawn in pixels: social cards (``plugins.images``), campaign banners
(``newsroom.editorial.banners``) and chart labels (``newsroom.editorial.charts``). One greedy rule for all: each
line takes as many whole words as fit in the width, lines break at spaces only, and a word
wider than the width stands alone on its line (the caller shortens it if it must)."""
from __future__ import annotations

from typing import Callable, Iterable


def wrap(words: Iterable[str], width: float, length: Callable[[str], float], *,
         additive: bool = False) -> list[list[str]]:
    """``words`` in lines (lists of words) no wider than ``width``.

    ``length(text)`` gives the width of a piece of text. By default every candidate line is
    measured whole (``length("a b c")``: kerning and shaping across words count). With
    ``additive=True`` a line is as wide as its words and the spaces between them
    (``length(word)`` and ``length(" ")``, which the caller may cache): much cheaper when the
    same words are measured again and again, as when a card tries several font sizes."""
    lines: list[list[str]] = []
    if additive:
        space = length(" ")
        used = 0.0
        for word in words:
            wide = length(word)
            if lines and used + space + wide <= width:
                lines[-1].append(word)
                used += space + wide
            else:
                lines.append([word])
                used = wide
        return lines
    for word in words:
        if lines and length(" ".join(lines[-1]) + " " + word) <= width:
            lines[-1].append(word)
        else:
            lines.append([word])
    return lines


def wrap_text(text: str, width: float, length: Callable[[str], float]) -> list[str]:
    """``text`` in lines (strings) no wider than ``width``, each measured whole: see
    :func:`wrap`."""
    return [" ".join(line) for line in wrap(text.split(), width, length)]
