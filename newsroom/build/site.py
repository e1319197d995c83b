"""Building the site from Python: one entry point for tasks, tests and benchmarks."""
from __future__ import annotations

import atexit
import contextlib
import gc
import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from pelican import Pelican
from pelican.settings import read_settings
from newsroom.core.paths import ROOT



#: Allocations between two collections of the youngest generation while a site is built
#: (Python's default: 700). A build makes millions of objects that live to its end (the
#: items, their texts, the pages' inputs): with the default, the collector walked all of them
#: again and again, 0.8 s of CPU in a build of one edit at 10,000 articles.
GC_THRESHOLD = 50_000


@contextlib.contextmanager
def fewer_collections():
    """While a build runs, the youngest generation is collected less often (and so the older
    ones); put back afterwards. Garbage with cycles is still collected."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], GC_THRESHOLD), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def end_process(code: int) -> None:
    """End a process whose last act was a build, now (``invoke build``'s, a publish's build,
    the benchmark's): its logs closed and what it printed flushed, without Python freeing
    the build's objects one by one on the way out (half a second of a build of one edit at
    10,000 articles). What the process asked to be done at its end is done first (``atexit``:
    a build that stopped after the search index started stops that run and removes its
    folder of links; the logs are closed)."""
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


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


def build(conf: str | Path = "pelicanconf.py", *, merge: dict | None = None,
          skip_unchanged: bool = False, **overrides) -> dict:
    """Build the site in-process; raise :class:`BuildError` if Pelican logged any error
    (a plugin that failed to load, a template error...). Returns the settings used.

    ``merge`` adds keys to dict settings (``{"IMAGES": {"cache_dir": ...}}``) where an
    override would replace the whole dict. ``skip_unchanged``: no build when nothing it reads
    changed since the last clean build into the same output folder, as ``invoke build`` does
    (``newsroom/build/stamp.py``)."""
    from newsroom.build import stamp

    settings = settings_for(conf, **overrides)
    for key, extra in (merge or {}).items():
        settings[key] = {**(settings.get(key) or {}), **extra}
    fresh, current = stamp.check(settings) if skip_unchanged else (False, "")
    if fresh:
        return settings
    collector = _ErrorCollector()
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        with fewer_collections():
            Pelican(settings).run()
    finally:
        root.removeHandler(collector)
    if collector.records:
        raise BuildError("\n".join(r.getMessage() for r in collector.records))
    stamp.record(settings, current)
    return settings


def build_apart(root: str | Path, conf: str | Path, *, merge: dict | None = None,
                bytecode: str | Path | None = None, **overrides) -> dict:
    """:func:`build` in a new Python process whose project is ``root``: its ``newsroom``,
    ``plugins``, configuration, theme and data are used, never the modules loaded here (a
    publish builds a committed tree this way). Compiled modules go to ``bytecode`` (none are
    written if it is None), never into ``root``. Output and messages are those of
    :func:`build`; returns the settings used that JSON can hold."""
    with tempfile.TemporaryDirectory(prefix="cdtkv-build-") as folder:
        spec, answer = Path(folder) / "spec.json", Path(folder) / "answer.json"
        spec.write_text(json.dumps({"conf": str(conf), "merge": merge or {},
                                    "overrides": overrides, "answer": str(answer)},
                                   default=str, ensure_ascii=False), encoding="utf-8")
        env = {**os.environ, **({"PYTHONPYCACHEPREFIX": str(bytecode)} if bytecode
                                else {"PYTHONDONTWRITEBYTECODE": "1"})}
        done = subprocess.run([sys.executable, "-m", "newsroom.build.sitebuild", str(spec)],
                              cwd=root, env=env)
        try:
            result = json.loads(answer.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise BuildError(f"Tiến trình dựng trang dừng bất thường (mã {done.returncode}); "
                             "xem thông báo ở trên.") from None
    if result.get("error"):
        raise BuildError(result["error"])
    return result["settings"]


def build_queue(queue_root: Path, output: Path) -> dict[str, str]:
    """Build the articles waiting in the editors' queue (``newsroom.intake.queue``) alone (the
    preview settings, problems as warnings) into ``output``, never into output/; returns each
    article's page address by its target."""
    from newsroom.intake import check as checker
    from newsroom.intake.queue import Queue

    queue = Queue(queue_root)
    build("pelicanconf.py", PATH=queue.root, OUTPUT_PATH=Path(output),
          CACHE_PATH=Path(output) / ".bo-nho-dem")
    conf = checker.load_conf()
    urls = {}
    for entry in queue.entries():
        item = checker.read_item(queue.article(entry), queue.root, conf)
        if item.url:
            urls[entry["target"]] = item.url
    return urls
