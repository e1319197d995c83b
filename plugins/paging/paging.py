"""Lists paged from the oldest article, so that a new article changes two pages, not all.

With Pelican's numbering, page N shows the articles N×12 places from the newest: one new
article moves every article of every list it belongs to one place down, so every page of the
home page, its category, unit, campaigns and themes changes (thousands of pages at 10,000
articles), is rebuilt, sent by rsync and dropped from every cache.

Here (``PAGINATION_STABLE = True``) the articles of a list are cut into blocks of
``per_page`` counted from the *oldest*: block 1 holds the 12 oldest, block 2 the next 12, and
so on; the newest block may be short. The list's own address (page 1) shows the newest block,
and the full block before it too when the newest is short (so 12 to 23 articles); every older
block has its page, at ``…/trang/<block + 1>/`` (the pattern of ``PAGINATION_PATTERNS`` for
pages from 2 on). No article is on two pages. A page keeps its articles, and its address, for
as long as no older article is added or removed, so a shared link to
``/don-vi/than-ha-lam/trang/7/`` shows the same stories years later. Going to older stories,
numbers go down, to ``trang/2/`` (the oldest).

Pages therefore say which dates they cover instead of "page 3 of 834" (templates:
``articles_page.first_date`` / ``last_date``), and ``articles_paginator.num_pages`` is the
number of pages of the list, as in Pelican.

A list need not keep every page: ``PAGINATION_MAX_PAGES = {"theme": 10, ...}`` (template
name → pages) writes the front page and the newest older blocks only, so that a theme or a tag
holding most of 10,000 articles does not become hundreds of pages nobody reads. The pages kept
keep their addresses and articles as above; when a new block fills, the oldest page kept is no
longer written. Its last page says so and leads to the year archive of its oldest article
(``articles_page.cut``, ``partials/pagination.html``): the year archives (one page of titles a
year), units, categories and campaigns keep every article, so each stays on some list, and in
the sitemap.

This is a public URL scheme (every ``trang/N/`` a reader shared depends on it), so it is a
plugin of its own: :class:`StablePagingWriter` pages lists this way through Pelican's own
writer; the speed layer (``plugins.fastbuild``), when it runs, uses the same paginator in its
writer. ``PAGINATION_STABLE = True`` without this plugin is an error at start-up
(``plugins/__init__.py``), never a silent change of every list's addresses.
"""
from __future__ import annotations

from functools import cached_property
from math import ceil

from pelican import signals
from pelican.writers import Writer

from plugins import fence

Paginator, Page = fence.paginator_classes()


class StablePage(Page):
    """One page of a :class:`StablePaginator`: ``number`` 1 is the list's own address (the
    newest), ``number`` k ≥ 2 is block k − 1 counted from the oldest."""

    def __init__(self, name, url, object_list, number, paginator, settings, newer, older,
                 cut=False):
        super().__init__(name, url, object_list, number, paginator, settings)
        self.newer_number, self.older_number = newer, older
        self.cut = cut  # older articles of the list are on no page of it (max_pages)

    def __repr__(self):
        return f"<StablePage {self.number} of {self.paginator.num_pages}>"

    def has_next(self):  # older stories
        return self.older_number is not None

    def has_previous(self):  # newer stories
        return self.newer_number is not None

    def next_page_number(self):
        return self.older_number

    def previous_page_number(self):
        return self.newer_number

    @cached_property
    def _span(self):
        dates = [d for d in (getattr(o, "date", None) for o in self.object_list) if d]
        return (min(dates), max(dates)) if dates else (None, None)

    @property
    def first_date(self):
        """Date of the oldest item of the page (or None)."""
        return self._span[0]

    @property
    def last_date(self):
        """Date of the newest item of the page (or None)."""
        return self._span[1]


class StablePaginator(Paginator):
    """A paginator whose pages are blocks counted from the end (the oldest) of a list sorted
    newest first. ``pages()`` gives them newest first, as a reader goes. (``start_index`` and
    ``end_index`` of its pages mean nothing; the templates do not use them.)"""

    def __init__(self, name, url, object_list, settings, per_page=None, max_pages=None):
        super().__init__(name, url, object_list, settings, per_page)
        self.orphans = 0  # a block is a block: no orphans moving between pages
        self.max_pages = max_pages  # pages written at most (None: all), see the module
        self._pages: dict = {}  # number -> page, see page()

    @property
    def blocks(self) -> int:
        return max(1, ceil(self.count / (self.per_page or 1)))

    @property
    def newest(self) -> int:
        """How many articles the front page shows: the newest block, and the one before it
        when the newest is short."""
        short = self.count - (self.blocks - 1) * self.per_page
        return short + self.per_page if short < self.per_page and self.blocks > 1 else short

    @property
    def num_pages(self):
        """The front page and one page per block older than what it shows."""
        return 1 + (self.count - self.newest) // (self.per_page or 1)

    @property
    def truncated(self) -> bool:
        """Whether some older pages are not written (``max_pages``)."""
        return self.max_pages is not None and self.max_pages < self.num_pages

    @property
    def oldest_kept(self) -> int:
        """The number of the oldest page written: 2 when all are, 1 when only the front page
        is (or there is only one)."""
        pages = self.num_pages
        if pages == 1 or (self.truncated and self.max_pages == 1):
            return 1
        return pages - self.max_pages + 2 if self.truncated else 2

    def _block(self, block: int) -> list:
        """Block ``block`` (1 = the oldest) in the list's order (newest first)."""
        top = self.count - (block - 1) * self.per_page
        return self.object_list[max(0, top - self.per_page):top]

    def page(self, number):
        """Page ``number``; each is made once (a page's context holds it and its two
        neighbours, so each is asked for three times)."""
        found = self._pages.get(number)
        if found is None:
            found = self._pages[number] = self._page(number)
        return found

    def _page(self, number):
        pages, oldest = self.num_pages, self.oldest_kept
        if number == 1:
            items = self.object_list[: self.newest]
            newer, older = None, (pages if oldest > 1 else None)
        else:
            items = self._block(number - 1)
            newer = number + 1 if number + 1 <= pages else 1
            older = number - 1 if number > oldest else None
        return StablePage(self.name, self.url, items, number, self, self.settings, newer, older,
                          cut=self.truncated and number == oldest)

    def pages(self) -> list[StablePage]:
        """The pages written, newest first: 1, then ``num_pages``, ``num_pages`` − 1, …, down
        to 2 (or to :attr:`oldest_kept`)."""
        older = range(self.num_pages, self.oldest_kept - 1, -1) if self.oldest_kept > 1 else ()
        return [self.page(n) for n in [1, *older]]


def max_pages(settings, template_name) -> int | None:
    """How many pages of a list of ``template_name`` are written (``PAGINATION_MAX_PAGES``;
    None: every page)."""
    found = (settings.get("PAGINATION_MAX_PAGES") or {}).get(template_name)
    if found is not None and (not isinstance(found, int) or isinstance(found, bool)
                              or found < 1):
        raise ValueError(f"PAGINATION_MAX_PAGES['{template_name}'] phải là số nguyên ≥ 1")
    return found


def page_context(paginators: dict, number: int) -> dict:
    """What a template gets for page ``number`` of every paginated list, as Pelican names it:
    ``<key>_paginator``, ``<key>_page``, ``<key>_previous_page`` (newer stories) and
    ``<key>_next_page`` (older stories)."""
    values = {}
    for key, paginator in paginators.items():
        page = paginator.page(number)
        values.update({
            f"{key}_paginator": paginator,
            f"{key}_page": page,
            f"{key}_previous_page": (paginator.page(page.previous_page_number())
                                     if page.has_previous() else None),
            f"{key}_next_page": (paginator.page(page.next_page_number())
                                 if page.has_next() else None),
        })
    return values


class StablePagingWriter(Writer):
    """Pelican's writer with lists paged from the oldest: each page is written by Pelican's
    own ``write_file`` as a single page, with the same names in its context as Pelican's
    paging gives."""

    def write_file(self, name, template, context, relative_urls=False, paginated=None,
                   template_name=None, override_output=False, url=None, **kwargs):
        if paginated is None:
            paginated = {k: v for k, v in kwargs.items() if k in {"articles", "dates"}}
        if not (name and paginated and self.settings.get("PAGINATION_STABLE")
                and template_name in self.settings["PAGINATED_TEMPLATES"]):
            return super().write_file(name, template, context, relative_urls, paginated,
                                      template_name, override_output, url, **kwargs)
        per_page = (self.settings["PAGINATED_TEMPLATES"][template_name]
                    or self.settings["DEFAULT_PAGINATION"])
        most = max_pages(self.settings, template_name)
        paginators = {key: StablePaginator(name, url, val, self.settings, per_page, most)
                      for key, val in paginated.items()}
        for page in next(iter(paginators.values())).pages():
            super().write_file(page.save_as, template, context, relative_urls, {},
                               template_name, override_output, url,
                               **kwargs, **page_context(paginators, page.number))
        return None


def get_writer(pelican):
    """This writer, unless the speed layer writes (it pages the same way)."""
    settings = pelican.settings
    if settings.get("PAGINATION_STABLE") and not fence.speed_active(settings):
        return StablePagingWriter
    return None


def check_settings(pelican):
    """A wrong ``PAGINATION_MAX_PAGES`` fails at start, not in the middle of writing."""
    for template_name in pelican.settings.get("PAGINATION_MAX_PAGES") or {}:
        max_pages(pelican.settings, template_name)


def register():
    signals.initialized.connect(check_settings)
    signals.get_writer.connect(get_writer)
