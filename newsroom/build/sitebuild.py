"""``python -m newsroom.build.sitebuild SPEC``: one :func:`newsroom.build.site.build` in its own process,
run by :func:`newsroom.build.site.build_apart` from the folder of the project to build.

SPEC is a JSON file: ``conf``, ``overrides``, ``merge`` (as :func:`~newsroom.build.site.build`
takes them) and ``answer``, where ``{"error": message or null, "settings": {...}}`` is written
(the settings JSON can hold)."""
from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

from newsroom.build import site


def _plain(settings: dict) -> dict:
    kept = {}
    for key, value in settings.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue
        kept[key] = value
    return kept


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    answer: dict = {"error": None, "settings": {}}
    try:
        settings = site.build(spec["conf"], merge=spec.get("merge"), **spec["overrides"])
        answer["settings"] = _plain(settings)
    except site.BuildError as exc:
        answer["error"] = str(exc)
    except Exception as exc:  # noqa: BLE001 - the caller reports any failure of the build
        traceback.print_exc()
        answer["error"] = str(exc) or type(exc).__name__
    Path(spec["answer"]).write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    return 1 if answer["error"] else 0


if __name__ == "__main__":
    site.end_process(main(sys.argv[1]))
