"""Hugo-style taxonomies for Pelican: units now, campaigns and themes through the same door.

A taxonomy is configuration (``TAXONOMIES`` in the settings): the metadata field (singular),
the plural name, the data file that describes its terms, URLs and templates. For each taxonomy
the generator writes a page listing its terms and, for each term, a paginated page and a feed,
through Pelican's writer so pagination, ``RELATIVE_URLS`` and feeds keep working.

Every article gets ``article.<plural>``: the list of :class:`Term` objects it belongs to, and
the context gets ``<plural>`` (all terms with articles) and ``taxonomies``.
"""
from __future__ import annotations

import logging
import operator
from collections import defaultdict

from pelican import signals
from pelican.generators import Generator

from newsroom.core import data

logger = logging.getLogger(__name__)

DEFAULTS = {
    "data": None,  # name of data/<name>.yml describing the terms (slug, name, ...)
    "url": "{plural}/{slug}/",
    "save_as": "{plural}/{slug}/index.html",
    "index_url": "{plural}/",
    "index_save_as": "{plural}/index.html",
    "feed_save_as": "{plural}/{slug}/feed.xml",
    "template": None,  # defaults to the singular name
    "index_template": None,  # defaults to the plural name
    "title": None,  # Vietnamese name of the taxonomy, for headings
    "all_terms": False,  # a page for every term of the data file, even without articles
}


def taxonomy_settings(settings) -> dict[str, dict]:
    """The ``TAXONOMIES`` setting merged over the defaults, checked once."""
    result = {}
    for name, conf in (settings.get("TAXONOMIES") or {}).items():
        if "plural" not in conf:
            raise ValueError(f"TAXONOMIES[{name!r}]: thiếu khóa 'plural'")
        merged = {**DEFAULTS, **conf}
        merged["template"] = merged["template"] or name
        merged["index_template"] = merged["index_template"] or merged["plural"]
        merged["title"] = merged["title"] or name
        result[name] = merged
    return result


class Term:
    """One term of a taxonomy (a unit, a campaign, a theme) and the articles it holds."""

    def __init__(self, taxonomy: str, slug: str, info: dict, conf: dict, settings):
        self.taxonomy = taxonomy
        self.slug = slug
        self.info = info
        self.name = info.get("name", slug)
        self.short = info.get("short", self.name)
        self.articles: list = []
        fmt = {"slug": slug, "plural": conf["plural"]}
        self.url = conf["url"].format(**fmt)
        self.save_as = conf["save_as"].format(**fmt)
        self.feed_save_as = conf["feed_save_as"].format(**fmt) if conf["feed_save_as"] else ""
        self.feed_url = self.feed_save_as
        self.page_name = self.save_as.rsplit("/", 1)[0] + "/index"

    def __getattr__(self, key):
        try:
            return self.__dict__["info"][key]
        except KeyError:
            raise AttributeError(key) from None

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"<Term {self.taxonomy}:{self.slug}>"

    # A term is what it names: each build makes its terms anew (a live session keeps those
    # whose data did not change, see _last), and the speed layer compares an item's terms
    # with the last update's.
    def __eq__(self, other):
        if other.__class__ is not Term:
            return NotImplemented
        return (self.slug == other.slug and self.taxonomy == other.taxonomy
                and self.name == other.name)

    def __hash__(self):
        return hash((self.taxonomy, self.slug))


def term_slugs(article, field: str) -> list[str]:
    """The slugs ``article`` names in ``field``; kept on the article with the value they were
    read from (a live session's kept article has the very same value at every update)."""
    value = getattr(article, field, None)
    if not value:
        return []
    memo = article.__dict__.get("_term_slugs")
    if memo is None:
        memo = article.__dict__["_term_slugs"] = {}
    found = memo.get(field)
    if found is not None and found[0] is value:
        return found[1]
    slugs = [v.strip() for v in value.split(",")] if isinstance(value, str) else value
    slugs = [str(v) for v in slugs if str(v).strip() and str(v).lower() != "none"]
    memo[field] = (value, slugs)
    return slugs


def term_infos(conf: dict, settings) -> dict[str, dict]:
    """What the data file says about each term, by slug. A list with its own reader in
    ``newsroom.core.data`` (units, campaigns, themes) is read through it, checked and with clean
    values; the data folder is ``NEWSROOM_DATA`` (default: the project's ``data/``)."""
    if not conf["data"]:
        return {}
    data_dir = settings.get("NEWSROOM_DATA")
    reader = getattr(data, conf["data"], None)
    if callable(reader):
        return reader(data_dir)
    return {entry["slug"]: entry for entry in data.load(conf["data"], data_dir) or []}


#: The terms of the last grouping in this process, with the settings they were made with: a
#: live session (``invoke livereload``) groups again at every update, with the same settings
#: object; a term whose data did not change is the same object again, and so is an unchanged
#: article's list of terms (the speed layer compares an item's links by identity first: some
#: 130,000 comparisons of terms an update at 10,000 articles). Every attribute a plugin gives a
#: term (``articles``, the campaigns' figures) is given again at every grouping.
_last: tuple = (None, {})


class TaxonomyGenerator(Generator):
    """Groups articles by each taxonomy once, then writes term and index pages."""

    def generate_context(self):
        global _last
        self.confs = taxonomy_settings(self.settings)
        self.terms: dict[str, list[Term]] = {}
        articles = self.context.get("articles", [])
        kept = _last[1] if _last[0] is self.settings else {}
        made: dict = {}

        def make(name, slug, info, conf):
            found = kept.get((name, slug))
            if found is None or found.info != info:
                found = Term(name, slug, info, conf, self.settings)
            made[(name, slug)] = found
            return found

        for name, conf in self.confs.items():
            infos = term_infos(conf, self.settings)
            terms: dict[str, Term] = {}
            grouped = defaultdict(list)
            plural = conf["plural"]
            for article in articles:
                found = []
                for slug in term_slugs(article, name):
                    if slug not in infos and conf["data"]:
                        continue  # unknown slugs are reported by the schema
                    if slug not in terms:
                        terms[slug] = make(name, slug, infos.get(slug, {}), conf)
                    grouped[slug].append(article)
                    found.append(terms[slug])
                old = article.__dict__.get(plural)
                if not (old.__class__ is list and len(old) == len(found)
                        and all(map(operator.is_, old, found))):
                    setattr(article, plural, found)
            if conf["all_terms"]:
                for slug, info in infos.items():
                    if slug not in terms:
                        terms[slug] = make(name, slug, info, conf)
            for slug, term in terms.items():
                term.articles = grouped[slug]  # already newest first
            # Terms in data-file order, then any without data.
            order = {slug: i for i, slug in enumerate(infos)}
            self.terms[name] = sorted(terms.values(), key=lambda t: order.get(t.slug, 1 << 30))
            self.context[conf["plural"]] = self.terms[name]
        self.context["taxonomies"] = {
            name: {"conf": conf, "terms": self.terms[name]} for name, conf in self.confs.items()
        }
        _last = (self.settings, made)

    def generate_output(self, writer):
        for name, conf in self.confs.items():
            terms = self.terms[name]
            for term in terms:
                writer.write_file(
                    term.save_as, self.get_template(conf["template"]), self.context,
                    self.settings["RELATIVE_URLS"],
                    paginated={"articles": term.articles, "dates": term.articles},
                    template_name=conf["template"], page_name=term.page_name, url=term.url,
                    term=term, **{name: term},
                )
                if term.feed_save_as:
                    writer.write_feed(
                        term.articles[: self.settings.get("FEED_MAX_ITEMS") or 20],
                        self.context, term.feed_save_as, term.feed_url,
                        feed_title=term.name,
                    )
            writer.write_file(
                conf["index_save_as"], self.get_template(conf["index_template"]), self.context,
                self.settings["RELATIVE_URLS"], template_name=conf["index_template"],
                url=conf["index_url"].format(plural=conf["plural"]), terms=terms,
                taxonomy=conf,
            )


def get_generators(pelican):
    return TaxonomyGenerator


def register():
    signals.get_generators.connect(get_generators)
