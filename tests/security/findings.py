"""What the security suite found, said in a few lines: how many problems of each kind, some
examples, and which hostile strings they come from (through the page or feed entry of the
article that carried them, the card of that article on a list page, or the unit, category,
campaign or theme page a batch named)."""
from __future__ import annotations

import re
from collections import Counter

from tests.security import hostile

_ARTICLE = re.compile(r"(?:^|/)((?:v|a)-\d{4})(?:/|$)")
_TERM = re.compile(r"(?:don-vi|chuyen-muc|chien-dich|chu-de)-doc-(\d{4})")


def strings_of(problem, content: hostile.Content) -> set[int]:
    """Ids of the strings a problem comes from: those of the article whose card or link holds
    it, of the article whose page or feed entry it is on, of the batch that named the unit,
    category, campaign or theme of the page; on a tag's or author's page, those of the first
    article listed (its tags or authors made the page)."""
    articles = content.by_slug()
    place = f"{problem.file} {problem.where}"
    for text in (problem.card, place):
        found = _ARTICLE.search(text or "")
        if found and found[1] in articles:
            return {h.id for h in articles[found[1]].strings}
    term = _TERM.search(place)
    if term:
        return {h.id for h in content.term_strings(int(term[1]))}
    found = _ARTICLE.search(problem.first or "")
    return {h.id for h in articles[found[1]].strings} if found and found[1] in articles else set()


def summary(problems: list, content: hostile.Content, title: str, examples: int = 30) -> str:
    """A failure message: counts by kind, examples, and the hostile strings behind them."""
    through: set[int] = set()
    for p in problems:
        through |= strings_of(p, content)
    kinds = Counter(p.what for p in problems)
    files = {p.file for p in problems}
    groups = Counter(content.strings[i].group for i in through)
    lines = [f"{title}: {len(problems)} vấn đề trong {len(files)} tệp; "
             f"{len(through)}/{len(content.strings)} chuỗi độc hại nằm trong các lô gây ra "
             f"(theo nhóm: {dict(groups.most_common())})", "Theo loại:"]
    lines += [f"  {n:6d}  {what}" for what, n in kinds.most_common(15)]
    lines.append("Ví dụ:")
    seen: set[str] = set()
    for p in problems:
        if p.what not in seen and len(seen) < examples:
            seen.add(p.what)
            lines.append(f"  {p}")
    return "\n".join(lines)
