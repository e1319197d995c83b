"""``invoke bench.tags``: how fast articles are tagged with campaigns and themes (and checked,
as the build does), over articles cycled from a content folder."""
from __future__ import annotations

import time
from pathlib import Path

from newsroom.core import schema, tagging


def run(content: Path | str, n: int = 2000, data_dir=None) -> dict:
    """CPU time of ``tagging.tag_article`` (and of checking each source, as the build does)
    over ``n`` articles cycled from ``content``; figures for ``invoke bench.tags``."""
    content = Path(content)
    paths = sorted(content.rglob("*.md"))
    if not paths:
        raise ValueError(f"{content}: không có bài nào để đo")
    sources = [(p, schema.split(schema.read_source(p))) for p in paths]
    tagging.rules(data_dir)  # compile once, as a build does
    checking = tag_seconds = 0.0
    tagged = 0
    for i in range(n):
        path, header = sources[i % len(sources)]
        started = time.process_time()
        values, _ = schema.validate(header, path, content_root=content, data_dir=data_dir)
        middle = time.process_time()
        result = tagging.tag_article(values, header.body, data_dir)
        tag_seconds += time.process_time() - middle
        checking += middle - started
        tagged += bool(result["campaign"] or result["theme"])
    elapsed = checking + tag_seconds
    return {"articles": n, "sources": len(sources), "tagged": tagged,
            "seconds": round(elapsed, 3), "ms_per_article": round(1000 * elapsed / n, 3),
            "ms_tag_article": round(1000 * tag_seconds / n, 3),
            "ms_validate": round(1000 * checking / n, 3)}
