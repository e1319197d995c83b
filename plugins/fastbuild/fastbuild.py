"""Fast builds of a large site: read once and on every core, group once, write what changed.

Settings (``FASTBUILD`` dict, merged over :data:`DEFAULTS`, checked at start-up):

- ``workers``: processes that read new or changed files and render pages (0: every core;
  1: Pelican's own order, nothing forked);
- ``cache``: keep what the readers made of each file in ``CACHE_PATH`` (``readcache``);
- ``enabled``: False switches the speed layer off (as ``FASTBUILD=off`` in the environment
  does, and as ``plugins.fence`` does when the installed Pelican is not one it knows): the
  build runs as stock Pelican, with the same pages;
- ``always``: more template names whose pages are rendered on every live update.

The plugin replaces no Pelican code globally except the memo of ``url``/``save_as`` while
pages are written (see ``writer``); the N² term-page methods are replaced per generator
(``grouping``).
"""
from __future__ import annotations

import itertools
import json
import logging
import os
import time
from pathlib import Path

from jinja2 import BytecodeCache
from pelican import signals
from pelican.contents import Article, Page
from pelican.generators import ArticlesGenerator

from newsroom.core.settings import plugin_settings
from plugins import fence
from plugins.markdown_reader import markdown_reader as schema_reader

from . import filters, grouping, itemcache, listing, memo, pagestore, versions
from .readcache import ReadCache
from .writer import FastWriter

logger = logging.getLogger(__name__)

DEFAULTS = {"enabled": True, "workers": 0, "cache": True, "always": ()}
_KEY = "_fastbuild"  # per-build state, kept in the build's context dict


def options(settings) -> dict:
    """``FASTBUILD`` merged over the defaults, checked."""
    merged = plugin_settings(settings, "FASTBUILD", DEFAULTS, "plugins.fastbuild")
    if not isinstance(merged["workers"], int) or merged["workers"] < 0:
        raise ValueError("FASTBUILD['workers'] phải là số nguyên ≥ 0 (0 = mọi lõi CPU)")
    merged["workers"] = merged["workers"] or os.cpu_count() or 1
    return merged


# Non-zero while pages are written: url/save_as are memoised only from then on.
_epochs = itertools.count(1)
_epoch = 0


def _memo_property(key):
    def getter(self):
        memo = self.__dict__.get("_fastbuild_urls")
        if memo is not None and key in memo:  # a live session's kept item: as last written
            return memo[key]
        if not _epoch or not isinstance(self, (Article, Page)):
            return self.get_url_setting(key)
        if memo is None:
            memo = self.__dict__["_fastbuild_urls"] = {}
        value = memo.get(key)
        if value is None:
            value = memo[key] = self.get_url_setting(key)
        return value

    return property(getter)


def _relative_source_path(original):
    def get_relative_source_path(self, source_path=None):
        if source_path is not None:
            return original(self, source_path)
        memo = self.__dict__.get("_fastbuild_source")
        if memo is None or memo[0] != self.source_path:
            found = _inside(self.source_path, self.settings.get("PATH"))
            memo = self.__dict__["_fastbuild_source"] = (
                self.source_path, original(self) if found is None else found)
        return memo[1]

    return get_relative_source_path


def _inside(path, base) -> str | None:
    """``path`` relative to the folder ``base`` when it plainly lies inside it: both absolute
    and normal (no ``.``/``..`` parts, no doubled or trailing separator), POSIX separators.
    What Pelican's ``os.path.relpath`` of their absolute forms gives, without its cost (a
    fifth of reading 10,000 cached articles); None otherwise (Pelican's way is taken)."""
    if (os.sep != "/" or not isinstance(path, str) or not isinstance(base, str)
            or not base.startswith("/") or len(base) < 2 or base.endswith("/")
            or "/." in base or "//" in base):
        return None
    cut = len(base)
    if (not path.startswith(base) or path[cut:cut + 1] != "/" or "/." in path
            or "//" in path or path.endswith("/")):
        return None
    return path[cut + 1:] or None


def _install_url_memo(on: bool):
    """Articles and pages format ``url``/``save_as`` from the settings on every use. Once
    pages are being written they cannot change any more, so from then on each is formatted
    once per object (a live session keeps unchanged objects, and so their URLs). The same
    holds for the path of an item's source relative to the content folder. Installed while
    the speed layer runs, Pelican's own otherwise (``fence``)."""
    if on:
        fence.patch_content(_memo_property("url"), _memo_property("save_as"),
                            _relative_source_path(fence.original_relative_source_path()))
    else:
        fence.unpatch_content()


# Receivers ------------------------------------------------------------------------------
# Pelican's signals are global: once registered, these receivers hear every later build in
# the process, so each checks that the speed layer runs in this build: the plugin is listed,
# not switched off, and the installed Pelican passes the fence's checks (else the build runs
# as stock Pelican, after one warning).

def enabled(settings) -> bool:
    return fence.speed_active(settings)


def initialized(pelican):
    global _epoch
    _epoch = 0
    schema_reader.use_cache(None)
    options(pelican.settings)  # a mistake in FASTBUILD is an error, on or off
    fence.report(pelican.settings)
    on = enabled(pelican.settings)
    _install_url_memo(on)
    fence.use_fast_translations(grouping.process_translations if on else None)
    if on:
        pagestore.begin(pelican.settings)  # before this build adds to its settings
        _jinja_settings(pelican.settings)


def session_state(context: dict):
    """The speed layer's state of the build whose context this is (None before it starts)."""
    return context.get(_KEY)


def carry_state(state, context: dict) -> None:
    """Give ``state`` (from :func:`session_state` of an earlier build) to the build of
    ``context``: a live session keeps its read cache from one update to the next."""
    if state is not None:
        context[_KEY] = state


def page_store(settings) -> pagestore.PageStore | None:
    """What each page of the output folder was made from (``pagestore``); None when the
    speed layer keeps nothing on disk (``FASTBUILD["cache"]`` off)."""
    return pagestore.PageStore(settings) if options(settings)["cache"] else None


def _state(generator) -> dict:
    state = generator.context.get(_KEY)
    if state is None:
        opts = options(generator.settings)
        cache = ReadCache(generator.settings) if opts["cache"] else None
        state = generator.context[_KEY] = {
            "options": opts, "cache": cache, "started": time.perf_counter(),
            "items": itemcache.ItemCache(cache) if cache is not None else None}
    return state


class _ReaderCache:
    """The read cache as the project's reader uses it (``plugins.markdown_reader.use_cache``): Pelican
    reads through its documented readers (``readers_init``), and the reader asks this first."""

    def __init__(self, cache: ReadCache):
        self.cache = cache

    def get(self, path):
        return self.cache.get(path)

    def put(self, path, value):
        content, metadata = value
        value = (content, fence.drop_discardable(metadata))  # as Pelican keeps it
        self.cache.put(path, value)
        return value


def _prefetch(generator, paths_key, exclude_key):
    state = _state(generator)
    cache = state["cache"]
    if cache is None:
        return
    schema_reader.use_cache(_ReaderCache(cache))
    if paths_key in state.setdefault("prefetched", set()):
        return  # a live session: only changed files are read
    state["prefetched"].add(paths_key)
    reader = schema_reader.NewsroomMarkdownReader(generator.settings)
    uncached = {ext: reader.read_file for ext in reader.file_extensions}
    args = (generator.settings[paths_key], generator.settings[exclude_key])
    files = generator.get_files(args[0], exclude=args[1])
    _list_once(generator, files, args)
    paths = [os.path.abspath(os.path.join(generator.path, f)) for f in files]
    cache.prefetch(paths, uncached, state["options"]["workers"])


def _list_once(generator, files, args):
    """The generator's next ``get_files`` of the same folders (its ``generate_context``,
    which follows soon) gets the list just made instead of walking the content tree again."""
    original = generator.get_files
    kept = [files]

    def get_files(paths, exclude=None, extensions=None):
        if kept and extensions is None and (paths, exclude) == args:
            return kept.pop()
        return original(paths, exclude=exclude, extensions=extensions)

    generator.get_files = get_files


class _SharedBytecode(BytecodeCache):
    """Compiled templates shared by the Jinja environments of one build, and kept on disk
    for the next builds (``folder``): Pelican gives each generator its own environment, so
    ``base.html`` and the partials were compiled once per generator, and again in every
    build (half a second of a build that renders a few pages). Jinja checks the source's
    checksum (and its own version) before using what is kept. The key is the template's name
    and source; the folder is named after the environment's options, so a plugin or setting
    that changes the syntax (delimiters, ``trim_blocks``, extensions) gets its own."""

    def __init__(self, folder: Path | None = None):
        self.kept: dict[str, bytes] = {}
        self.folder = folder

    def load_bytecode(self, bucket):
        found = self.kept.get(bucket.key)
        if found is None and self.folder is not None:
            try:
                found = (self.folder / f"{bucket.key}.cache").read_bytes()
            except OSError:
                found = None
        if found is not None:
            bucket.bytecode_from_string(found)

    def dump_bytecode(self, bucket):
        code = self.kept[bucket.key] = bucket.bytecode_to_string()
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f"{bucket.key}.{os.getpid()}.tmp"
            tmp.write_bytes(code)
            os.replace(tmp, self.folder / f"{bucket.key}.cache")
        except OSError as exc:
            logger.debug("fastbuild: không lưu được mẫu đã biên dịch: %s", exc)


def _bytecode_folder(settings, environment: dict) -> Path | None:
    if not options(settings)["cache"] or not settings.get("CACHE_PATH"):
        return None
    import jinja2

    key = pagestore.digest((jinja2.__version__, json.dumps(
        {k: v for k, v in environment.items() if k != "bytecode_cache"}, sort_keys=True,
        default=pagestore.plain_setting)))
    return Path(settings["CACHE_PATH"]) / "jinja" / key


def _jinja_settings(settings):
    """Templates get ``memo`` (see ``memo``): markup shared by many pages, rendered once, and
    quicker equivalents of some of Jinja's filters (``filters``), unless the site has its own
    of that name; the build's environments share compiled templates and do not look at the
    template files again for every page (a build does not change them; ``livereload`` drops
    its environments when a template changes). All through Pelican's documented settings
    ``JINJA_GLOBALS``, ``JINJA_FILTERS`` and ``JINJA_ENVIRONMENT``, copied for this build."""
    settings["JINJA_GLOBALS"] = {"memo": memo.memo, **(settings.get("JINJA_GLOBALS") or {})}
    settings["JINJA_FILTERS"] = {**filters.FILTERS, **(settings.get("JINJA_FILTERS") or {})}
    environment = dict(settings.get("JINJA_ENVIRONMENT") or {})
    environment.setdefault("bytecode_cache",
                           _SharedBytecode(_bytecode_folder(settings, environment)))
    environment.setdefault("auto_reload", False)
    settings["JINJA_ENVIRONMENT"] = environment


def article_generator_init(generator):
    if not enabled(generator.settings):
        return
    grouping.install(generator)
    listing.install(generator)
    state = _state(generator)
    if state["cache"] is not None:
        state["cache"].new_build()
        itemcache.install(generator, state["items"], "article")
    _prefetch(generator, "ARTICLE_PATHS", "ARTICLE_EXCLUDES")


def page_generator_init(generator):
    if enabled(generator.settings):
        listing.install(generator)
        state = _state(generator)
        if state["items"] is not None:
            itemcache.install(generator, state["items"], "page")
        _prefetch(generator, "PAGE_PATHS", "PAGE_EXCLUDES")


def static_generator_init(generator):
    if enabled(generator.settings):
        listing.install(generator)


def generator_finalized(generator):
    state = generator.context.get(_KEY)
    if state and state["cache"] is not None:
        state["cache"].save()
        state["items"].save()


def _batched(method):
    """``method(writer)`` with the pages it writes rendered together on every core."""

    def run(writer):
        if not isinstance(writer, FastWriter):
            return method(writer)
        writer.begin()
        try:
            result = method(writer)
        except BaseException:
            writer.abort()
            raise
        writer.flush()
        return result

    run._fastbuild = True
    return run


def all_generators_finalized(generators):
    """Each generator's pages are rendered in one batch, finished before the next generator
    (and before ``article_writer_finalized``) runs."""
    if not generators or not enabled(generators[0].settings):
        return
    # Every plugin has worked on the items by now: their versions, and where the links of
    # their texts lead (``versions``).
    state = generators[0].context.get(_KEY) or {}
    cache = state.get("cache")
    versions.use_context(generators[0].context, cache.taken if cache is not None else None)
    pagestore.build_info(generators[0].settings)["content"] = versions.of_site(generators)
    for generator in generators:
        name = "generate_pages" if isinstance(generator, ArticlesGenerator) else "generate_output"
        method = getattr(generator, name, None)
        if method is not None and not getattr(method, "_fastbuild", False):
            setattr(generator, name, _batched(method))


def get_writer(pelican):
    global _epoch
    if not enabled(pelican.settings):
        return None
    _epoch = next(_epochs)
    return FastWriter


def finalized(pelican):
    global _epoch
    _epoch = 0
    schema_reader.use_cache(None)
    info = pagestore.build_info(pelican.settings)
    writer = info.pop("writer", None)
    info.pop("content", None)
    if isinstance(writer, FastWriter):
        writer.finish()
    versions.use_context(None)


def register():
    signals.initialized.connect(initialized)
    signals.article_generator_init.connect(article_generator_init)
    signals.page_generator_init.connect(page_generator_init)
    signals.static_generator_init.connect(static_generator_init)
    signals.article_generator_finalized.connect(generator_finalized)
    signals.page_generator_finalized.connect(generator_finalized)
    signals.all_generators_finalized.connect(all_generators_finalized)
    signals.get_writer.connect(get_writer)
    signals.finalized.connect(finalized)
