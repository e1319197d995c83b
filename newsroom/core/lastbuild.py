"""The last build's figures (articles read, with errors, with warnings, held back), kept in the
cache folder by the markdown reader plugin and said again by ``newsroom.build.buildlog`` when a
build is skipped because nothing changed."""
from __future__ import annotations

import json
from pathlib import Path

REMEMBERED = "newsroom-build-report.json"


def cache_file(settings, name: str) -> Path:
    """``name`` in the build's cache folder (``CACHE_PATH``)."""
    return Path(settings.get("CACHE_PATH") or "cache") / name


def remember(settings, figures: dict) -> None:
    """Keep the last build's figures (written by the markdown reader plugin's report)."""
    path = cache_file(settings, REMEMBERED)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(figures), encoding="utf-8")
    except OSError:
        pass  # a read-only cache: the next unchanged build only says less


def recalled(settings) -> dict | None:
    """The figures :func:`remember` kept, or None."""
    try:
        return json.loads(cache_file(settings, REMEMBERED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
