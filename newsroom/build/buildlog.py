"""What a build says to the reporter: Vietnamese, one problem a line, never wrapped.

``invoke build`` runs Pelican through :func:`main` instead of Pelican's command line:

- Pelican's log goes through Rich, which wraps every line at 80 columns when the output is not
  a terminal (``pelican.log.console``), so a warning was split inside its file path. Here the
  project's own messages (the schema plugin's problems, one per line) are printed whole;
- Pelican's own English lines ("Done: Processed 58 articles, 0 drafts...") are kept out of the
  reporter's view: they go to ``<CACHE_PATH>/nhat-ky-pelican.txt`` for the webmaster; an error
  among them is still shown, marked as Pelican's;
- the end of the build is said in Vietnamese: articles and pages built, how many articles have
  errors or warnings and how many were held back as drafts, and how to see them
  (``invoke check``); a build skipped because nothing changed since the last clean build
  (``--skip-unchanged``, ``newsroom/build/stamp.py``) says the same from the last build
  (``newsroom.core.lastbuild``, :func:`remembered`).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from newsroom.core.lastbuild import cache_file, recalled

PELICAN_LOG = "nhat-ky-pelican.txt"
_OWN = ("newsroom", "plugins")  # loggers whose messages are the project's own, in Vietnamese


def problems_line(figures: dict | None) -> str:
    """``3 bài có cảnh báo, 1 bài có lỗi (1 bài bị giữ lại làm bản nháp); xem...``."""
    if not figures:
        return "Xem lỗi và cảnh báo của các bài bằng “invoke check”."
    parts = [f"{figures.get('with_errors', 0)} bài có lỗi",
             f"{figures.get('with_warnings', 0)} bài có cảnh báo"]
    if figures.get("held_back"):
        parts.append(f"{figures['held_back']} bài bị giữ lại làm bản nháp vì lỗi")
    if not figures.get("with_errors") and not figures.get("with_warnings"):
        return "Không bài nào có lỗi hay cảnh báo."
    return ", ".join(parts) + "; xem từng lỗi, cảnh báo (tệp:dòng) bằng “invoke check”."


def remembered(settings) -> str:
    """For a build skipped because nothing changed: the last build's problems, again."""
    return "Lần dựng trước: " + problems_line(recalled(settings))


class _Screen(logging.Handler):
    """The project's messages whole, one per line; Pelican's into its own file."""

    def __init__(self, log_path: Path):
        super().__init__(logging.INFO)
        self.log_path = log_path
        self.pelican_lines = 0
        self.errors = 0
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = open(log_path, "w", encoding="utf-8")

    def emit(self, record):
        message = record.getMessage()
        if record.levelno >= logging.ERROR:
            self.errors += 1
        if record.name.startswith(_OWN):
            if record.levelno >= logging.WARNING:
                print(message, file=sys.stderr, flush=True)
            return
        self.pelican_lines += 1
        self.log.write(f"{record.levelname} {record.name}: {message}\n")
        if record.levelno >= logging.ERROR:
            print(f"lỗi (Pelican, tiếng Anh): {message}", file=sys.stderr, flush=True)

    def close(self):
        self.log.close()
        super().close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="invoke build")
    parser.add_argument("-s", "--settings", default="pelicanconf.py")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--skip-unchanged", action="store_true")
    args = parser.parse_args(argv)

    import pelican.log
    from pelican import Pelican
    from pelican.settings import read_settings

    from newsroom.build import site, stamp

    # paths in the settings file are its folder's (the project run from where it is)
    settings = read_settings(args.settings,
                             override={"NEWSROOM_STRICT": True} if args.strict else {})
    fresh, current = stamp.check(settings) if args.skip_unchanged else (False, "")
    if fresh:
        print(f"Không có gì thay đổi từ lần dựng trước: giữ nguyên {settings['OUTPUT_PATH']}. "
              + remembered(settings))
        return 0
    screen = _Screen(cache_file(settings, PELICAN_LOG))
    root = logging.getLogger()
    root.handlers[:] = [screen]
    root.setLevel(logging.INFO)
    pelican.log.console.quiet = True  # "Done: Processed..." and the like: said below instead
    start = time.perf_counter()
    output = settings["OUTPUT_PATH"]
    try:
        with site.fewer_collections():
            Pelican(settings).run()
    except Exception as exc:  # noqa: BLE001 - said in Vietnamese, never a traceback
        print(f"Bản dựng dừng lại: {exc}", file=sys.stderr)
        return 1
    finally:
        screen.close()
    figures = recalled(settings) or {}
    print(f"Đã dựng {figures.get('articles', '?')} bài, {figures.get('pages', '?')} trang vào "
          f"{output} trong {time.perf_counter() - start:.1f} giây. " + problems_line(figures))
    if screen.pelican_lines:
        print(f"(Thông báo kỹ thuật của Pelican, bằng tiếng Anh: {screen.log_path})")
    if screen.errors:
        return 1
    stamp.record(settings, current)  # only a build without errors may be skipped next time
    return 0


if __name__ == "__main__":
    from newsroom.build.site import end_process

    end_process(main())
