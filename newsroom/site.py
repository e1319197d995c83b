"""Building the site from Python: one entry point for tasks, tests and benchmarks."""
from __future__ import annotations

import logging
from pathlib import Path

from pelican import Pelican
from pelican.settings import read_settings

ROOT = Path(__file__).resolve().parent.parent


class BuildError(RuntimeError):
    """Pelican logged errors during a build that must be clean."""


class _ErrorCollector(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def settings_for(conf: str | Path = "pelicanconf.py", **overrides) -> dict:
    """Pelican settings from a config file of this project, with overrides
    (``OUTPUT_PATH``, ``PATH``, ``NEWSROOM_STRICT``...). Relative paths are the project's."""
    conf = Path(conf)
    if not conf.is_absolute():
        conf = ROOT / conf
    override = {"PATH": str(ROOT / "content"), "THEME": str(ROOT / "theme"),
                "OUTPUT_PATH": str(ROOT / "output")}
    override.update({k: str(v) if isinstance(v, Path) else v for k, v in overrides.items()})
    return read_settings(str(conf), override=override)


def build(conf: str | Path = "pelicanconf.py", skip_unchanged: bool = False,
          **overrides) -> dict:
    """Build the site in-process; raise :class:`BuildError` if Pelican logged any error
    (a plugin that failed to load, a template error...). Returns the settings used.
    ``skip_unchanged``: no build when nothing it reads changed since the last clean build
    into the same output folder, as ``invoke build`` does (``plugins/fastbuild/stamp.py``)."""
    from plugins.fastbuild import stamp

    settings = settings_for(conf, **overrides)
    fresh, current = stamp.check(settings) if skip_unchanged else (False, "")
    if fresh:
        return settings
    collector = _ErrorCollector()
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        Pelican(settings).run()
    finally:
        root.removeHandler(collector)
    if collector.records:
        raise BuildError("\n".join(r.getMessage() for r in collector.records))
    stamp.record(settings, current)
    return settings
