"""A Pelican writer that renders on every core, writes only files whose bytes changed, and
can skip pages whose inputs did not change.

- Pages are queued while a generator writes them and rendered together at the end of its
  ``generate_output`` (``generate_pages`` for articles), split over ``FASTBUILD["workers"]``
  forked processes (``parallel``). Template filters must therefore not gather state meant for
  later (a filter that writes its own file is fine); with ``workers = 1`` nothing is queued.
  While a batch renders, the site does not change: ``memo`` keeps markup many pages share (an
  article's card).
- Every page and feed is compared with the file already in the output; an identical file is
  left alone (same bytes, same mtime), so rsync and the browser see only real changes. Its
  change time is set (``newsroom.core.safefs.keep``): a publish's kept build folder removes the
  files no build step touched (``newsroom.publish.buildfolder``).
- With ``fingerprints`` set (``invoke livereload`` keeps them in memory between updates), a page
  whose inputs are the same as when it was last written is not rendered again (it still counts
  as written: ``content_written`` is sent). The inputs of a page are its item (and the items
  and terms it links to through its own attributes: related, previous, next, unit...), the
  items on its page of a list, the number of pages, the term it belongs to, and the site-wide
  token (templates, pages). Summary pages (direct templates such as home and archives, term
  indexes, template pages) depend on every item. Article and term pages must therefore not
  show site-wide "latest" lists: those would make every page change on every publish.
"""
from __future__ import annotations

import datetime
import io
import logging
import operator
import os
from functools import partial

from pelican.contents import Content
from pelican.plugins import signals
from pelican.urlwrappers import URLWrapper
from pelican.writers import Writer

from newsroom.core import safefs
from newsroom.core.calendar import today
from plugins import fence
from plugins.paging.paging import StablePaginator, max_pages, page_context

from . import memo, pagestore, parallel
from .versions import version

logger = logging.getLogger(__name__)

#: Arguments that do not count as inputs of a page: the item itself (see ``token(deep=True)``)
#: and the whole article list Pelican hands every term page (``all_articles``): term pages
#: must not show site-wide lists, or every one of them would change on every publish.
IGNORED = {"article", "page", "all_articles"}


_PLAIN = (str, int, float, bool, type(None), datetime.date, datetime.time, dict)


def token(value, deep=False, links=None):
    """What a template can see of a value passed to a page, cheaply. ``links`` memoises the
    tokens of linked objects by id (terms are shared by many items) for one update."""
    if isinstance(value, Content):
        if not deep:
            return ("c", version(value))
        if links is None:
            links = {}
        linked = []
        attrs = value.__dict__
        for key in _link_keys(attrs):
            attr = attrs.get(key)
            if isinstance(attr, _PLAIN):
                continue
            if isinstance(attr, (list, tuple)):
                found = []
                for v in attr[:50]:
                    if not isinstance(v, _PLAIN):
                        t = links.get(id(v))
                        if t is None:
                            t = links[id(v)] = _short(v)
                        found.append(t)
                if found:
                    linked.append((key, tuple(found)))
            else:
                t = links.get(id(attr))
                if t is None:
                    t = links[id(attr)] = _short(attr)
                linked.append((key, t))
        linked.sort(key=lambda pair: pair[0])
        return ("c", version(value), tuple(linked))
    if isinstance(value, URLWrapper):
        return ("u", value.name, value.slug)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple, dict, set)):
        return ("l", len(value))
    if hasattr(value, "slug"):  # a taxonomy term
        articles = getattr(value, "articles", None)
        return ("t", getattr(value, "slug", None), str(value),
                len(articles) if articles is not None else None)
    return ("o", type(value).__name__)


def _link_keys(attrs: dict) -> tuple:
    """The attributes of an item that may link to other objects: those that are not plain
    values, and those that are None (an item with no previous article may get one). Kept on
    the item while its set of attributes keeps its size (a live session meets the same
    objects at every update: a third of the fingerprinting time at 10,000 articles)."""
    found = attrs.get("_fastbuild_link_keys")
    if found is None or found[0] != len(attrs):
        attrs["_fastbuild_link_keys"] = None  # counted in the size below
        found = attrs["_fastbuild_link_keys"] = (len(attrs), tuple(
            key for key, attr in attrs.items()
            if key[0] != "_" and key != "settings" and (attr is None
                                                        or not isinstance(attr, _PLAIN))))
    return found[1]


def _shape(attrs: dict) -> tuple:
    """An item's link attributes as :func:`_same_shape` checks them at the next update:
    the keys, those holding sequences (and their elements), the others (and their values)."""
    keys = _link_keys(attrs)
    seqs = tuple(k for k in keys if isinstance(attrs.get(k), (list, tuple)))
    others = tuple(k for k in keys if k not in seqs)
    return (keys, seqs, others, tuple(tuple(attrs[k]) for k in seqs),
            tuple(attrs.get(k) for k in others))


def _same_shape(attrs: dict, shape: tuple) -> bool:
    """Whether an item's links are still those of ``shape`` (:func:`_shape`), checked in C:
    every sequence equal element by element (as ``FastWriter._snapshot`` compares them),
    every other value the very same object. False may be wrong (then the snapshot decides),
    True never is (some 10,000 items an update)."""
    if shape[0] is not _link_keys(attrs):
        return False
    try:
        seqs = tuple(map(tuple, map(attrs.__getitem__, shape[1])))
    except (KeyError, TypeError):
        return False
    return seqs == shape[3] and all(map(operator.is_, map(attrs.get, shape[2]), shape[4]))


def _same(kept, value) -> bool:
    """The same argument of a page as at the last update: the same object, or an equal
    string (an address formatted again)."""
    return kept is value or (kept.__class__ is str and kept == value)


def _item_token(value):
    """``token(value)`` for the items of a list page (almost always articles)."""
    return ("c", version(value)) if isinstance(value, Content) else token(value)


def _short(value) -> str:
    """:func:`_link` as a short ASCII string (its digest; an item's version): the repr of a
    page's inputs, hashed for every page, copies it once per link (an article links to some
    thirty items and terms, whose names are Vietnamese, slower to repr)."""
    if isinstance(value, Content):
        return "c" + version(value)
    return pagestore.digest(_link(value))


def _link(value):
    """What an item's page shows of an item or term it links to (not the term's size)."""
    if isinstance(value, Content):
        return ("c", version(value))
    if isinstance(value, URLWrapper):
        return ("u", value.name, value.slug)
    slug = getattr(value, "slug", None)
    if slug is not None:
        return ("t", slug, str(value))
    return ("o", type(value).__name__)


def kept_pages(fingerprints: dict, names) -> dict:
    """The entries of ``fingerprints`` for ``names``, as the page store keeps them: the
    inputs as a digest (``pagestore.digest``), the file's size and mtime."""
    kept = {}
    for name in names:
        entry = fingerprints.get(name)
        if entry is not None:
            kept[name] = entry if entry[0].__class__ is str else (
                pagestore.digest(entry[0]), *entry[1:])
    return kept


class _ChangedOnly(io.StringIO):
    """A text file that reaches the disk only if its bytes differ from what is there."""

    def __init__(self, path, encoding, writer):
        super().__init__()
        self.path, self._encoding, self.writer = path, encoding, writer

    def close(self):
        if not self.closed:
            data = self.getvalue().encode(self._encoding)
            self.writer._store(self.path, data)
        super().close()


class FastWriter(Writer):
    def __init__(self, output_path, settings=None):
        super().__init__(output_path, settings)
        # output name -> (digest of its inputs, size and mtime of its file once written): from
        # the page store of the output folder (``pagestore``), or a live session's own
        self.fingerprints: dict | None = None
        # id(item) -> (item, its link attributes, token), from the last update (livereload);
        # this update's go to ``deep_memo_next``.
        self.deep_memo: dict | None = None
        self.deep_memo_next: dict = {}
        self.site_token = None  # settings, code, data, theme, the day, the site's pages
        self.content_token = None  # every item of the site
        self.store: pagestore.PageStore | None = None
        self._prepared = False
        info = pagestore.build_info(self.settings)
        info["writer"] = self
        # pages kept on disk between builds (``pagestore``), loaded when the first page comes
        self._persist = bool(info.get("code")) and (self.settings.get("FASTBUILD")
                                                    or {}).get("cache", True)
        self.always = set(self.settings.get("DIRECT_TEMPLATES", ()))
        self.always.update((self.settings.get("FASTBUILD") or {}).get("always", ()))
        for conf in (self.settings.get("TAXONOMIES") or {}).values():
            self.always.add(conf.get("index_template") or conf.get("plural"))
        fast = self.settings.get("FASTBUILD") or {}
        self.workers = fast.get("workers") or os.cpu_count() or 1
        self.stats = {"rendered": 0, "skipped": 0, "written": 0, "unchanged": 0}
        self._deep: dict[int, tuple] = {}
        self._links: dict[int, tuple] = {}  # objects stay alive while this writer works
        self._newest = None  # date of the newest article, for feeds without entries
        self._batch: list | None = None
        self._depth = 0
        self._mark = True  # unchanged files marked as produced (safefs.keep)
        self._site_lists: list = []

    def start_session(self, fingerprints: dict, deep_memo: dict) -> None:
        """Write as a live session's update (``newsroom.build.livereload``): a page whose
        inputs are those of ``fingerprints`` (the session's, which it keeps in the page store
        itself) is not rendered again; ``deep_memo`` keeps the items' tokens between updates."""
        self.fingerprints, self.deep_memo = fingerprints, deep_memo
        self._persist = False
        # Its output folder is a preview, never a publish's kept build folder: an unchanged
        # file need not be marked as produced (13,000 calls an update at 10,000 articles).
        self._mark = False

    def _prepare(self, context) -> None:
        """Once per build, when the first page comes: the page store, and the tokens of what
        every page shows besides its items."""
        if self._prepared:
            return
        self._prepared = True
        if self._persist and self.fingerprints is None:
            self.store = pagestore.PageStore(self.settings)
            self.fingerprints = dict(self.store.pages)
        if self.fingerprints is None:
            return
        # the articles in their two orders: every item of them is in the content token
        self._site_lists = [lst for lst in (context.get("articles"), context.get("dates"))
                            if lst is not None]
        info = pagestore.build_info(self.settings)
        code = info.get("code") or pagestore.unique()
        pages = tuple(version(p) for name in ("pages", "hidden_pages", "draft_pages")
                      for p in context.get(name) or ())
        self.site_token = pagestore.digest((
            code, pagestore.theme_token(self.settings), pages,
            today(self.settings.get("NEWSROOM_TODAY")).isoformat()))  # campaigns of the day
        self.content_token = info.get("content") or pagestore.unique()

    def finish(self) -> None:
        """The build is done (``finalized``): remove the pages the last build wrote that this
        one did not, and keep what each page was made from (not in a live session, which
        does both itself)."""
        if self.store is None or self.fingerprints is None:
            return
        written = self.written_names()
        removed = self.store.remove_stale(written)
        if removed:
            logger.info("fastbuild: xóa %d trang không còn trong bản dựng (bài đã xóa, đổi "
                        "địa chỉ)", len(removed))
        self.stats["removed"] = len(removed)
        logger.info("fastbuild: dựng %(rendered)d trang, bỏ qua %(skipped)d trang không đổi, "
                    "ghi %(written)d tệp, xóa %(removed)d", self.stats)
        pagestore.note_stats(self.output_path, self.stats)
        self.store.save(kept_pages(self.fingerprints, written), written)

    def written_names(self) -> set[str]:
        """The pages and feeds written (or left as they were) by this build, relative to the
        output folder."""
        root = os.path.abspath(self.output_path)
        prefix = os.path.join(root, "")
        return {path[len(prefix):] if path.startswith(prefix) else os.path.relpath(path, root)
                for path in fence.written_files(self) if path != os.devnull}

    # Writing only what changed -------------------------------------------------------

    def _store(self, path, data: bytes):
        try:
            with open(path, "rb") as existing:
                if existing.read() == data:
                    self.stats["unchanged"] += 1
                    if self._mark:
                        safefs.keep(path)  # produced by this build, bytes as they were
                    return
        except OSError:
            pass
        tmp = f"{path}.fastbuild-tmp"
        with open(tmp, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
        self.stats["written"] += 1

    def _claim(self, filename, override=False):
        """Pelican's overwrite rules: the file to write, or os.devnull to skip it."""
        overridden, written = fence.overridden_files(self), fence.written_files(self)
        if filename in overridden:
            if override:
                raise fence.overwrite_error()(
                    f'Failed to overwrite "{filename}" a second time (was previously overwritten)')
            logger.info('Skipping "%s", not overwriting', filename)
            return os.devnull
        if filename in written:
            if override:
                logger.info('Overwriting "%s"', filename)
            else:
                raise fence.overwrite_error()(
                    f'Failed to overwrite "{filename}" as Pelican has already written to it '
                    "previously (set `override=True` if intended)")
        if override:
            overridden.add(filename)
        written.add(filename)
        return filename

    # Private hook: Pelican's write_feed opens its file with ``_open_w`` and has no other way
    # to keep an unchanged feed's file untouched (``fence`` checks its code).
    def _open_w(self, filename, encoding, override=False):
        target = self._claim(filename, override)
        if target == os.devnull:
            return open(os.devnull, "w", encoding=encoding)
        return _ChangedOnly(target, encoding, self)

    # Skipping pages whose inputs did not change ---------------------------------------

    def _held(self, value):
        """An item's link as the memo compares it: the object itself, except taxonomy terms,
        which each update makes anew (their token, memoised by id for this update)."""
        if value is None or isinstance(value, (Content, URLWrapper)):
            return value
        if isinstance(value, _PLAIN):
            return _PLAIN  # a plain value is no link (a None that becomes one is seen)
        found = self._links.get(id(value))
        if found is None:
            found = self._links[id(value)] = _short(value)
        return found

    def _snapshot(self, attrs: dict) -> tuple:
        """The links of an item as the live memo compares them: items and Pelican's URL
        wrappers themselves, a list as a tuple of its elements (compared with ``==``: items by
        identity, wrappers by slug, taxonomy terms by taxonomy, slug and name, strings by
        value; an element of any other kind by identity, so at worst the token is made
        again), anything else as :meth:`_held` holds it. Two thirds cheaper than holding
        each element (some 430,000 a live update at 10,000 articles)."""
        found = []
        for value in map(attrs.get, _link_keys(attrs)):
            if isinstance(value, (list, tuple)):  # a named tuple too: by its elements
                found.append(tuple(value))
            elif value is None or isinstance(value, (Content, URLWrapper)):
                found.append(value)
            else:
                found.append(self._held(value))
        return tuple(found)

    def _deep_token(self, item):
        found = self._deep.get(id(item))
        if found is not None:
            return found
        if self.deep_memo is None:
            found = self._deep[id(item)] = token(item, deep=True, links=self._links)
            return found
        # A live session: the same item object whose link attributes hold the very same
        # items (compared by identity: Content has no __eq__; the memo keeps them alive, so
        # an id is never mistaken for another) and equal terms as at the last update has the
        # same token (and the same version: where the links of its text lead may change).
        attrs = item.__dict__
        old = self.deep_memo.get(id(item))
        if old is not None and old[0] is item and _same_shape(attrs, old[4]) \
                and old[2][1] == version(item):
            found, links, pages, shape = old[2], old[1], old[3], old[4]
        else:
            links = self._snapshot(attrs)
            if old is not None and old[0] is item and old[1] == links \
                    and old[2][1] == version(item):
                found, pages = old[2], old[3]
            else:
                found, pages = token(item, deep=True, links=self._links), {}
            shape = _shape(attrs)
        self._deep[id(item)] = found
        self.deep_memo_next[id(item)] = (item, links, found, pages, shape)
        return found

    def _item_page(self, name, template_name, kwargs, item):
        """A live session: the inputs of an item's own page are the very tuple of the last
        update when the item's token is the same object (its links did not change) and every
        argument is the same object (or an equal string): 10,000 article pages an update need
        not be made into tuples again."""
        found = self._deep_token(item)
        pages = self.deep_memo_next[id(item)][3]
        keys, values = tuple(kwargs), tuple(kwargs.values())
        kept = pages.get(name)
        if (kept is not None and kept[0] is found and kept[1] == self.site_token
                and kept[2] == template_name and kept[3] == keys
                and all(map(_same, kept[4], values))):
            return kept[5]
        fingerprint = self._fingerprint(name, template_name, kwargs, memo=False)
        pages[name] = (found, self.site_token, template_name, keys, values, fingerprint)
        return fingerprint

    def _fingerprint(self, name, template_name, kwargs, page=None, memo=True):
        """The inputs of one output page (``fingerprints`` set), else None."""
        if self.fingerprints is None:
            return None
        item = kwargs.get("article") or kwargs.get("page")
        if not isinstance(item, Content):
            item = None
        elif memo and page is None and self.deep_memo is not None:
            return self._item_page(name, template_name, kwargs, item)
        parts = [name, template_name, self.site_token]
        summary = False
        if item is not None:
            parts.append(self._deep_token(item))
        elif template_name is None or (template_name in self.always
                                       and (page is None or page.number == 1)):
            # Summary pages (home, archives, indexes of terms, template pages) may show
            # anything about any item: they depend on all of them.
            parts.append(self.content_token)
            summary = True
        # An older page of a list paged from the oldest shows its own items, not the size of
        # the list nor of its term (templates show those on the first page only).
        tail = (page is not None and page.number != 1
                and isinstance(page.paginator, StablePaginator))
        for key, value in sorted(kwargs.items()):
            if key in IGNORED or key.endswith(("_page", "_paginator", "_previous_page",
                                                "_next_page")):
                continue
            if tail and key in ("articles", "dates"):
                continue
            plain = isinstance(value, (str, int, float, bool, type(None)))
            if tail and not plain:
                parts.append((key, _link(value)))
            elif page is None and isinstance(value, (list, tuple)) and value \
                    and isinstance(value[0], Content):
                # A page that is not paged (a year's archive) shows the whole list: which
                # items, not only how many (one deleted and one added keep the length); the
                # site's own lists on a summary page are in the site's token already.
                parts.append((key, "site") if summary and any(
                    value is lst for lst in self._site_lists)
                    else (key, tuple(map(_item_token, value))))
            else:
                parts.append((key, token(value)))
        if page is not None:
            # A page from the oldest shows its neighbours' addresses, not how many pages
            # the list has: a new article does not change it.
            size = (page.previous_page_number() if page.has_previous() else None,
                    page.next_page_number() if page.has_next() else None) \
                if isinstance(page.paginator, StablePaginator) else page.paginator.num_pages
            parts.append((page.number, size, tuple(_item_token(o) for o in page.object_list)))
        return tuple(parts)

    def _unchanged(self, name, fingerprint, local=None) -> bool:
        """True if the page is already in the output as these inputs make it. It still
        counts as written: ``content_written`` is sent (sitemaps, indexes see every page);
        ``local`` is the page's context, or a function that makes it."""
        if fingerprint is None:
            return False
        kept = self.fingerprints.get(name)
        if kept is None:
            return False
        if kept[0].__class__ is str:  # from the page store
            if kept[0] != pagestore.digest(fingerprint):
                return False
            if self.store is None:  # a live session's next update compares them cheaply
                self.fingerprints[name] = (fingerprint, *kept[1:])
        elif kept[0] != fingerprint:
            return False
        path = os.path.join(self.output_path, name)
        try:
            st = os.stat(path, follow_symlinks=False)  # a link put there is made a page again
        except OSError:
            return False
        if (st.st_size, st.st_mtime_ns) != kept[1:]:  # changed by something else since
            return False
        if self._mark:
            safefs.keep(path, st)  # produced by this build, bytes as they were
        fence.written_files(self).add(path)
        self.stats["skipped"] += 1
        if local is not None and signals.content_written.receivers:
            signals.content_written.send(path, context=local() if callable(local) else local)
        return True

    def _site_newest(self, context):
        if self._newest is None:
            dates = [a.date for a in context.get("articles") or () if getattr(a, "date", None)]
            self._newest = max(dates) if dates else False
        return self._newest

    def write_feed(self, elements, context, path=None, url=None, feed_type="atom",
                   override_output=False, feed_title=None):
        """Pelican's ``write_feed``; skipped when its items and title are the same."""
        fingerprint = None
        self._prepare(context)
        if self.fingerprints is not None and path:
            items = elements[: self.settings["FEED_MAX_ITEMS"]]
            fingerprint = ("feed", path, url, feed_type, feed_title, self.site_token,
                           tuple(self._deep_token(e) for e in items),
                           None if items else self._site_newest(context))
            if self._unchanged(path, fingerprint):
                return None
        feed = super().write_feed(elements, context, path, url, feed_type, override_output,
                                  feed_title)
        if fingerprint is not None:
            self._record(path, os.path.join(self.output_path, path), fingerprint)
        return feed

    # Rendering on every core -------------------------------------------------------------

    def begin(self):
        """From now until the matching :meth:`flush`, pages are queued, not rendered (with
        one worker, pages are rendered at once, as Pelican does)."""
        if self.workers <= 1:
            return
        if self._depth == 0:
            self._batch = []
        self._depth += 1

    def abort(self):
        if self.workers <= 1:
            return
        self._depth -= 1
        if self._depth <= 0:
            self._depth, self._batch = 0, None

    def flush(self):
        """Render the queued pages, split over ``workers`` processes (forked: they share the
        site in memory), then record them and send ``content_written`` in queue order."""
        if self.workers <= 1:
            return
        self._depth -= 1
        if self._depth > 0 or self._batch is None:
            return
        jobs, self._batch = self._batch, None
        memo.start()
        try:
            if len(jobs) >= 64:
                parallel.render(self, jobs, self.workers)
            else:
                for job in jobs:
                    self._render(*job[:4])
        finally:
            memo.stop()
        for _template, local, _context, path, save_as, fingerprint in jobs:
            self._done(local, path, save_as, fingerprint)

    def _render(self, template, local, context, path):
        if callable(local):  # a queued page: its context is made now, dropped after
            local = local()
        if local["localsiteurl"]:
            context["localsiteurl"] = local["localsiteurl"]
        output = template.render(local)
        self.stats["rendered"] += 1
        if path != os.devnull:
            self._store(path, output.encode("utf-8"))
        logger.info('Writing "%s"', path)

    def _record(self, name, path, fingerprint):
        """Keep the inputs of the page ``name`` just written to ``path``, with its file's
        size and mtime (``_unchanged`` checks them). The inputs are kept as they are (a
        tuple: a live session compares them at every update) until they are saved
        (``kept_pages``: a digest, the same in every process)."""
        if self.fingerprints is None:
            return
        try:
            st = os.stat(path) if fingerprint is not None and path != os.devnull else None
        except OSError:
            st = None
        if st is None:
            self.fingerprints.pop(name, None)
        else:
            self.fingerprints[name] = (fingerprint, st.st_size, st.st_mtime_ns)

    def _done(self, local, path, save_as, fingerprint):
        self._record(save_as, path, fingerprint)
        if signals.content_written.receivers:
            signals.content_written.send(path, context=local() if callable(local) else local)

    def write_file(self, name, template, context, relative_urls=False, paginated=None,
                   template_name=None, override_output=False, url=None, **kwargs):
        """Pelican's ``write_file`` (same arguments, same pages), with page skipping."""
        if not name:
            return
        self._prepare(context)
        sanitised_join, path_to_url, get_relative_path = fence.writer_helpers()

        def _write(make_local, save_as, fingerprint):
            """``make_local()`` makes the page's context. A queued page keeps the function,
            not the context: a copy of the site's context (some 180 names) for each of
            10,000 pages would hold 100 MB until the batch is rendered."""
            path = sanitised_join(self.output_path, save_as)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            path = self._claim(path, override_output)
            if self._batch is not None:
                self._batch.append((template, make_local, context, path, save_as, fingerprint))
            else:
                local = make_local()
                self._render(template, local, context, path)
                self._done(local, path, save_as, fingerprint)

        # As it is now: rendering a page with relative URLs changes it in ``context``.
        localsiteurl = context.get("localsiteurl", None)

        def _localcontext(save_as, values):
            local = context.copy()
            local["localsiteurl"] = localsiteurl
            if relative_urls:
                relative = path_to_url(get_relative_path(save_as))
                local["SITEURL"] = relative
                local["localsiteurl"] = relative
            local["output_file"] = save_as
            local.update(values)
            return local

        if paginated is None:
            paginated = {k: v for k, v in kwargs.items() if k in {"articles", "dates"}}
        if paginated and template_name in self.settings["PAGINATED_TEMPLATES"]:
            per_page = (self.settings["PAGINATED_TEMPLATES"][template_name]
                        or self.settings["DEFAULT_PAGINATION"])
            if self.settings.get("PAGINATION_STABLE"):
                kind = partial(StablePaginator,
                               max_pages=max_pages(self.settings, template_name))
            else:
                kind = fence.paginator_classes()[0]
            paginators = {key: kind(name, url, val, self.settings, per_page)
                          for key, val in paginated.items()}
            first = next(iter(paginators.values()))

            def _page_context(number, save_as):
                return _localcontext(save_as, {**kwargs, **page_context(paginators, number)})

            pages = (first.pages() if isinstance(first, StablePaginator)
                     else [first.page(n) for n in first.page_range])
            for page in pages:
                fingerprint = self._fingerprint(page.save_as, template_name, kwargs, page)
                make_local = partial(_page_context, page.number, page.save_as)
                if not self._unchanged(page.save_as, fingerprint, make_local):
                    _write(make_local, page.save_as, fingerprint)
        else:
            fingerprint = self._fingerprint(name, template_name, kwargs)
            make_local = partial(_localcontext, name, kwargs)
            if not self._unchanged(name, fingerprint, make_local):
                _write(make_local, name, fingerprint)
