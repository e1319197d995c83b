"""``invoke livereload``: keep the site in memory and bring the output up to date in seconds.

A :class:`Session` builds the site once, then keeps every item it read (as Pelican's own
generator-level cache would, but in memory) and the inputs of every page it wrote. On each
change it runs the generators again: only the files that changed are read, grouping is done
over the objects already in memory, and only the pages whose inputs changed are rendered
(see ``plugins/fastbuild/writer.py``), written only if their bytes changed. Pages that a
change removes (an article moved to another URL) are deleted.

:func:`serve` watches ``content/`` and ``theme/`` (watchfiles), serves the output on
127.0.0.1 and tells open browser tabs to reload when an update is done (a small script added
to HTML as it is served, never to the files). A change to settings, ``data/``, ``newsroom/``
or ``plugins/`` restarts the process, since it changes what every page is made from.
"""
from __future__ import annotations

import errno
import gc
import http.server
import json
import logging
import os
import resource
import signal
import sys
import threading
import time
from pathlib import Path

from pelican import Pelican, signals
from pelican.generators import CachingGenerator

import plugins.fastbuild as fastbuild
import plugins.search as search
from plugins import fence

from newsroom.build import preview, site, stamp
from newsroom.core.paths import ROOT

logger = logging.getLogger(__name__)


#: Seconds without an update before the search index is made again in the background.
QUIET = 2.0


class Session:
    """A site kept in memory between updates."""

    def __init__(self, conf: str | Path = "pelicanconf.py", **overrides):
        self.settings = site.settings_for(conf, **overrides)
        self.pelican = Pelican(self.settings)
        self.context: dict = {}
        self.items: dict = {}  # (generator class, source path) -> (stamp, content object)
        self.fingerprints: dict = {}
        self.store = None  # the page store of the output folder, shared with `invoke build`
        self.names: set[str] | None = None  # the pages of the last update (in the output)
        self.deep_memo: dict = {}  # see FastWriter._deep_token
        self.envs: dict = {}
        self.templates: tuple | None = None  # see _check_templates
        self.files: dict = {}
        self.moved: list[str] = []  # files added or removed in this update (watcher)
        self.moved_keys: set = set()  # lists of files not yet brought up to date with them
        self.written: set[str] = set()
        self.count = 0
        self.last: dict = {}
        self.changed: set[str] | None = None  # this update's changed files, if known
        # What the last update no longer needs (its context, writer, generators, the memo
        # before it), freed by settle(): not while the reporter waits for the page.
        self._dropped: list = []
        self._collector_off = False  # switched off by update(), back on in _collector_back()
        # Work that may follow an update in the background (the search index): Pagefind
        # indexes the whole output (tens of seconds at 10,000 articles), so pages are served
        # first and the index catches up; only the newest request runs.
        self._pending = self._asked = None
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()
        self._running = False
        self._updating = False
        self._last_done = 0.0
        #: Called with the seconds it took when background work (the search index) is done.
        self.on_background_done = None
        search.defer_index(self.settings["OUTPUT_PATH"], self._defer)

    def _remember(self, generator):
        kind = type(generator).__name__
        base = os.path.realpath(generator.path)

        def get_cached_data(filename, default=None):
            found = self.items.get((kind, filename))
            if found is None:
                return default
            if self.changed is not None and os.path.join(base, filename) not in self.changed:
                return found[1]  # the watcher saw every change: no need to look at the file
            try:
                if found[0] == fastbuild.source_stamp(os.path.join(generator.path, filename)):
                    return found[1]
            except OSError:
                pass
            return default

        def cache_data(filename, data):
            try:
                path = os.path.join(generator.path, filename)
                self.items[(kind, filename)] = (fastbuild.source_stamp(path), data)
            except OSError:
                pass

        generator.get_cached_data = get_cached_data
        generator.cache_data = cache_data
        generator.save_cache = lambda: None

    def _load_pages(self) -> None:
        """At the first update: what each page was made from and the pages written, as the
        last build into the output folder (``invoke build`` or an earlier session) left them:
        unchanged pages are not rendered again, and the pages of articles deleted meanwhile
        are removed."""
        self.store = fastbuild.page_store(self.settings)
        if self.store is not None:
            self.fingerprints.update(self.store.pages)
            output = self.pelican.output_path
            self.written |= {os.path.abspath(os.path.join(output, name))
                             for name in self.store.written}

    def _check_templates(self) -> None:
        """The theme's templates as they are now; the kept Jinja environments (which do not
        look at template files again: ``JINJA_ENVIRONMENT["auto_reload"]`` is off while the
        speed layer runs) are dropped when one changed."""
        theme = Path(self.settings["THEME"]) / "templates"
        templates = tuple(sorted((str(p), p.stat().st_mtime_ns) for p in theme.rglob("*")
                                 if p.is_file()))
        if templates != self.templates:
            self.envs.clear()
        self.templates = templates

    def _list_once(self, generator):
        """Keep each generator's list of files until a file is added or removed; when the
        watcher says which files were added or removed, only those are looked at."""
        original, kind = generator.get_files, type(generator).__name__

        def get_files(paths, exclude=None, extensions=None):
            key = (kind, repr(paths), repr(exclude), repr(extensions))
            found = self.files.get(key)
            if found is not None and key in self.moved_keys:
                found = self.files[key] = _relist(generator, found, self.moved, paths, exclude,
                                                  extensions)
                self.moved_keys.discard(key)
            if key not in self.files:
                self.files[key] = original(paths, exclude=exclude, extensions=extensions)
            return set(self.files[key])

        generator.get_files = get_files

    def _defer(self, job):
        if not self.count:  # the first build: the index is there before serving
            job()
            return
        with self._lock:
            self._asked = job

    def _start_deferred(self, changed: bool):
        """Run the work this update asked for, unless no file of the output changed (the
        index made after the last change still holds)."""
        with self._lock:
            job, self._asked = self._asked, None
            if job is None or not changed:
                return
            self._pending = job
            if not self._running:
                self._running = True
                self._worker = threading.Thread(target=self._run_pending, daemon=True)
                self._worker.start()

    def _quiet(self):
        """Until no update has run for :data:`QUIET` seconds: a reporter saves in bursts, and
        the index (tens of seconds of CPU at 10,000 articles) must not slow the next update."""
        while True:
            left = QUIET - (time.monotonic() - self._last_done)
            if not self._updating and left <= 0:
                return
            time.sleep(min(max(left, 0.05), QUIET))

    def _run_pending(self):
        while True:
            self._quiet()
            with self._lock:
                job, self._pending = self._pending, None
                if job is None:
                    self._running = False
                    return
            began = time.monotonic()
            try:
                job()
            except Exception as exc:  # keep serving; the next change tries again
                logger.error("Tạo chỉ mục tìm kiếm lỗi: %s", exc)
                continue
            if self.on_background_done is not None:
                self.on_background_done(time.monotonic() - began)

    def wait(self):
        """Until the background work of the last update (the search index) is done."""
        while True:
            with self._lock:
                worker = self._worker
            if worker is None or not worker.is_alive():
                return
            worker.join()

    def save_pages(self) -> None:
        """Keep what each page was made from for the next build or session. Done after the
        first update and when the session ends, not at every update (a digest of every
        page's inputs: a tenth of a second per 1,000 articles); a session stopped before
        leaves the store of its first update, and the pages it rewrote since are rendered
        again by the next build (their size or mtime differ)."""
        if self.store is not None and self.names is not None:
            self.store.save(fastbuild.kept_pages(self.fingerprints, self.names), self.names)

    def close(self) -> None:
        """The session ends: what each page was made from is kept, its background work (the
        search index) stops, and builds into its output folder index it themselves again."""
        self._collector_back()
        self.save_pages()
        _stop_background()
        search.undefer(self.settings["OUTPUT_PATH"])

    def forget(self, paths):
        """Items to read again although their source did not change: the article beside a
        changed photo or photo folder (``<slug>/photo.jpg`` and ``<slug>/`` belong to
        ``<slug>.md``)."""
        base = Path(os.path.abspath(self.settings["PATH"]))
        owners = set()
        for path in paths:
            path = Path(os.path.abspath(path))
            if path.suffix != ".md":  # a photo, or a photo folder (moved whole), deep or not
                owners.update(os.path.relpath(folder.with_suffix(".md"), base)
                              for folder in (path, *path.parents)
                              if folder != base and base in folder.parents)
        if owners:  # items are kept by (generator, path as Pelican lists it: from PATH)
            for key in [k for k in self.items if k[1] in owners]:
                del self.items[key]

    def update(self, files_changed: bool = True, paths=(), settle_next: bool = False) -> dict:
        """Bring the output up to date; return what was done. ``files_changed=False`` says
        that files were only modified (none added or removed): the lists of files are kept;
        ``paths`` are the files that changed, if known. ``settle_next``: the caller calls
        :meth:`settle` right after (:func:`serve` does, as the browser reloads), so the
        garbage collector stays off until then; otherwise it is back on when this returns."""
        started = time.perf_counter()
        self._updating = True
        try:
            # Between updates the site in memory is frozen and what an update left is
            # collected (settle(), as the browser reloads): a collection during an update,
            # or just after it, walks only its young objects (a tenth of a second of an
            # update at 10,000 articles), so none is made until the update ends, or until
            # settle() with settle_next. The first update reads the whole site, and without
            # the speed layer each update is a full build: their garbage is collected as a
            # build's is.
            if not self.count or not fence.speed_active(self.settings):
                with site.fewer_collections():
                    return self._update(files_changed, paths, started)
            if gc.isenabled():
                gc.disable()
                self._collector_off = True
            return self._update(files_changed, paths, started)
        finally:
            self._last_done = time.monotonic()  # before: a waiting index must see both
            self._updating = False
            if not settle_next:
                self._collector_back()

    def settle(self) -> None:
        """Between updates, while the browser reloads: free what the last update left, put
        the collector back, collect garbage over everything, then freeze what is left (the
        site in memory), so that the collector does not walk half a million live objects
        again at the next update (0.6 s of CPU at 10,000 articles)."""
        self._dropped.clear()
        fence.forget_memoized({id(data) for _, data in self.items.values()})
        self._collector_back()
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    def _collector_back(self) -> None:
        if self._collector_off:
            self._collector_off = False
            gc.enable()

    def _update(self, files_changed, paths, started) -> dict:
        if not fence.speed_active(self.settings):
            return self._full_build(started)
        self._dropped.clear()  # no settle() since the last update
        paths = _with_contents(paths)
        self.forget(paths)
        # The watcher says which files changed (modified, added, removed): the others need
        # not be looked at (a folder stands for what it holds). The first update looks at
        # every file.
        self.changed = {os.path.realpath(p) for p in paths} if paths and self.count else None
        if files_changed and paths and self.count:
            if not self.moved_keys:  # every list is up to date with the earlier moves
                self.moved = []
            self.moved += [os.path.abspath(p) for p in paths]
            self.moved_keys |= set(self.files)
        elif files_changed:
            self.files.clear()
            self.moved, self.moved_keys = [], set()
        p = self.pelican
        keep = fastbuild.session_state(self.context)
        self._dropped.append(self.context)
        self.context = dict(p.settings)
        self.context.update({"generated_content": {}, "static_links": set(),
                             "static_content": {}, "localsiteurl": p.settings["SITEURL"]})
        fastbuild.carry_state(keep, self.context)
        # Kept items belong to this update's context: the links of their text are resolved
        # in it (a linked article may have moved: their pages change with their version),
        # and the contexts of earlier updates are let go.
        kept = [data for _, data in self.items.values()]
        fence.relink(kept, self.context, [d for d in kept if fastbuild.item_links_elsewhere(d)])
        generators = []
        self._check_templates()
        for cls in fence.generator_classes(p):
            generator = cls(context=self.context, settings=p.settings, path=p.path,
                            theme=p.theme, output_path=p.output_path)
            if isinstance(generator, CachingGenerator):
                self._remember(generator)
            self._list_once(generator)
            fence.keep_static_links(generator)
            # Compiled templates are kept until a template file changes.
            env = self.envs.setdefault(cls, getattr(generator, "env", None))
            if env is not None:
                generator.env = env
            generators.append(generator)
        for generator in generators:
            if hasattr(generator, "generate_context"):
                generator.generate_context()
            if hasattr(generator, "check_disabled_readers") and not self.count:
                generator.check_disabled_readers()  # warnings about files no reader takes
        signals.all_generators_finalized.send(generators)
        for generator in generators:
            if hasattr(generator, "refresh_metadata_intersite_links"):
                generator.refresh_metadata_intersite_links()
        writer = fence.make_writer(p)
        if self.count == 0:
            self._load_pages()
        writer.start_session(self.fingerprints, self.deep_memo)
        writer.begin()  # every page of this update rendered in one batch, on every core
        try:
            for generator in generators:
                if hasattr(generator, "generate_output"):
                    generator.generate_output(writer)
        except BaseException:
            writer.abort()
            raise
        writer.flush()
        signals.finalized.send(p)
        self._dropped += [self.deep_memo, writer, generators]
        self.deep_memo = writer.deep_memo_next  # the items of this update only
        written = {os.path.abspath(path) for path in fence.written_files(writer)}
        removed = sorted(self.written - written)
        self._dropped.append(self.written)
        for path in removed:
            Path(path).unlink(missing_ok=True)
            self.fingerprints.pop(os.path.relpath(path, p.output_path), None)
        self._start_deferred(bool(getattr(writer, "stats", {}).get("written") or removed))
        self.written = written
        self.names = writer.written_names()
        if self.count == 0:
            self.save_pages()
        self.count += 1
        stats = getattr(writer, "stats", {})
        self.last = {"update": self.count, "seconds": round(time.perf_counter() - started, 3),
                     **stats, "removed": len(removed),
                     "memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                        / 1024, 1)}
        return self.last

    def _full_build(self, started) -> dict:
        """Without the speed layer (switched off, or a Pelican the fence does not know): each
        update is a full build by Pelican's own code; slower, the same pages."""
        Pelican(self.settings).run()
        self.count += 1
        self.last = {"update": self.count, "seconds": round(time.perf_counter() - started, 3),
                     "full_build": True}
        return self.last


def _with_contents(paths) -> list:
    """The paths the watcher gave, each folder followed by everything in it: a folder
    moved in whole is one event, and its files are as new as it is (a folder removed is
    handled by :func:`_relist`)."""
    found = list(paths)
    for path in paths:
        if os.path.isdir(path):
            for top, dirs, names in os.walk(path, followlinks=True):  # as Pelican lists
                found += [os.path.join(top, name) for name in dirs + names]
    return found


def _relist(generator, files: set, moved, paths, exclude, extensions) -> set:
    """``files`` (Pelican's ``get_files`` of ``paths``) after the files of ``moved`` were
    added or removed, with Pelican's rules (paths, excluded and ignored folders, readers'
    extensions). A folder that is there stands for nothing itself (:func:`_with_contents`
    put what it holds in ``moved``); a folder that is gone takes its files with it."""
    import fnmatch

    files = set(files)
    base = os.path.abspath(generator.path)
    roots = [paths] if isinstance(paths, str) else list(paths)
    ignores = generator.settings["IGNORE_FILES"]
    for path in moved:
        rel = os.path.relpath(path, base)
        if rel == os.pardir or rel.startswith(os.pardir + os.sep):  # through a symlink?
            rel = os.path.relpath(os.path.realpath(path), os.path.realpath(base))
            if rel == os.pardir or rel.startswith(os.pardir + os.sep):
                continue  # not in this generator's tree
        if os.path.isdir(path):  # what it holds is in moved; what it held may be gone
            files -= {f for f in files if f.startswith(rel + os.sep)
                      and not os.path.exists(os.path.join(base, f))}
            continue
        if not os.path.exists(path) and rel not in files:
            files -= {f for f in files if f.startswith(rel + os.sep)}  # a folder removed
            continue
        root = next((r for r in roots if not r or rel == r or rel.startswith(
            r.rstrip("/") + os.sep)), None)
        if root is None:
            keep = False
        elif rel == root:  # a file named in the paths themselves
            keep = os.path.isfile(path) and fence.include_path(generator, rel, extensions)
        else:
            below = os.path.dirname(rel).split(os.sep)[len(root.split(os.sep)) if root else 0:]
            keep = (os.path.isfile(path)
                    and not any(rel.startswith(e.rstrip("/") + os.sep) for e in exclude or ())
                    and not any(fnmatch.fnmatch(d, ignore) for d in below for ignore in ignores)
                    and fence.include_path(generator, rel, extensions))
        if keep:
            files.add(rel)
        else:
            files.discard(rel)
    return files


# Serving ------------------------------------------------------------------------------

RELOAD_SCRIPT = (
    "<script>(function(){var n=null;function poll(){fetch('/__livereload?n='+(n||''))"
    ".then(function(r){return r.json()}).then(function(d){if(n!==null&&d.n!==n)"
    "{location.reload();return}n=d.n;poll()}).catch(function(){setTimeout(poll,1000)})}"
    "poll()})();</script>"
)


class _State:
    def __init__(self):
        self.count = 0
        self.changed = threading.Condition()

    def bump(self, count):
        with self.changed:
            self.count = count
            self.changed.notify_all()


class _Handler(preview.Handler):
    """The preview server (the site's 404 page for anything missing) with the reload signal;
    no Content-Security-Policy, since the reload script is inline."""

    state: _State = None

    def log_message(self, format, *args):  # noqa: A002 - quiet server
        logger.debug(format, *args)

    def do_GET(self):
        if self.path.startswith("/__livereload"):
            seen = self.path.partition("n=")[2]
            with self.state.changed:
                if seen and seen == str(self.state.count):
                    self.state.changed.wait(timeout=25)
                body = json.dumps({"n": str(self.state.count)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)
            return
        path = self.site_path()
        if path is None:  # a folder without its trailing slash: redirected
            return
        if path.suffix == ".html" and path.is_file():
            html = path.read_bytes().replace(b"</body>", RELOAD_SCRIPT.encode() + b"</body>", 1)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(html)
            return
        super().do_GET()


def start_server(output: Path, port: int, state: _State,
                 host: str = "127.0.0.1") -> http.server.ThreadingHTTPServer:
    """The preview server (``newsroom.build.preview``), with the reload signal."""
    return preview.start(output, port, host, handler=_Handler, state=state, policy="")


RESTART = ("data", "newsroom", "plugins")


def _say(info: dict) -> None:
    if info.get("event") == "search":
        logger.warning("Đã cập nhật chỉ mục tìm kiếm trong %.1f s", info["seconds"])
        return
    logger.warning("Đã cập nhật trong %.2f s: dựng %d trang, bỏ qua %d, ghi %d tệp, xóa %d",
                   info["seconds"], info["rendered"], info["skipped"], info["written"],
                   info["removed"])


def serve(conf="pelicanconf.py", port: int = 8000, serve_http: bool = True, emit=None,
          ready=None, argv=(), stop_event=None, host: str = "127.0.0.1", **overrides):
    """Build, serve, and update on every change until interrupted."""
    from watchfiles import Change, watch

    emit = emit or _say
    session = Session(conf, **overrides)
    session.on_background_done = lambda seconds: emit({"event": "search", "seconds": seconds})
    state = _State()
    server = None
    if serve_http:  # bound before the first build: a busy port is said at once
        server = start_server(Path(session.settings["OUTPUT_PATH"]), port, state, host)
    try:
        info = session.update()
    except BaseException:
        if server:
            preview.stop(server)
        raise
    state.bump(session.count)
    session.settle()
    content = Path(session.settings["PATH"])
    theme = Path(session.settings["THEME"])
    watched = [content, theme] + [ROOT / name for name in RESTART] + [ROOT / conf]
    output = Path(session.settings["OUTPUT_PATH"]).resolve()
    watching = False
    try:
        for changes in watch(*[p for p in watched if p.exists()], debounce=50, step=20,
                             rust_timeout=100, yield_on_timeout=True, stop_event=stop_event):
            if not watching:  # the watcher is running: changes from now on are seen
                watching = True
                emit({**info, "event": "ready"})
                if ready:
                    ready(session, server)
            paths = [Path(p) for _, p in changes if not Path(p).resolve().is_relative_to(output)]
            if not paths:
                continue
            if any(p.resolve().is_relative_to((ROOT / name).resolve()) for p in paths
                   for name in RESTART) or any(p.suffix == ".py" and p.parent == ROOT
                                               for p in paths):
                logger.warning("Mã hoặc dữ liệu thay đổi: khởi động lại livereload…")
                session.close()
                if server:
                    server.server_close()
                os.chdir(ROOT)
                os.execv(sys.executable, [sys.executable, "-m", "newsroom.build.livereload", *argv])
            try:
                info = session.update(files_changed=any(
                    change != Change.modified for change, _ in changes), paths=paths,
                    settle_next=True)
            except Exception as exc:  # keep serving the last good output
                logger.error("Cập nhật lỗi, trang cũ vẫn được phục vụ: %s", exc)
                session.settle()  # the collector back on while the reporter fixes it
                continue
            emit({**info, "event": "update", "changed": [str(p) for p in paths]})
            state.bump(session.count)
            session.settle()
    finally:
        session.close()
        if server:
            preview.stop(server)


def _stop_background():
    """No search index run outlives the session (a restart would find it writing)."""
    search.stop_background()


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(prog="python -m newsroom.build.livereload")
    parser.add_argument("--conf", default="pelicanconf.py")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--content")
    parser.add_argument("--output")
    parser.add_argument("--cache")
    parser.add_argument("--json", action="store_true", help="one JSON line per update")
    parser.add_argument("--no-serve", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    overrides = {k.upper() if k != "content" else "PATH": v for k, v in
                 (("content", args.content), ("output_path", args.output),
                  ("cache_path", args.cache)) if v}
    emit = ready = None
    if args.json:
        def emit(info):
            print(json.dumps(info), flush=True)
    else:
        print("Đang dựng trang lần đầu…", flush=True)

        def ready(session, server):  # listening, built, watching: now the address is true
            if server is None:
                return
            for line in preview.addresses(args.host, server.server_port):
                print(line, flush=True)
            print("(lưu tệp là trang tự cập nhật; Ctrl+C để dừng)", flush=True)
    signal.signal(signal.SIGTERM, _interrupted)  # stopped by a service manager: end well
    try:
        serve(args.conf, port=args.port, serve_http=not args.no_serve, emit=emit, ready=ready,
              host=args.host, argv=list(argv if argv is not None else sys.argv[1:]), **overrides)
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        print(preview.busy(args.port, "livereload"), file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
