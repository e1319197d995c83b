"""The one module of the project that touches Pelican's and Jinja's undocumented insides.

The speed layer (``plugins.fastbuild``, ``newsroom.build.livereload``) follows Pelican's own code
closely: it copies ``Writer.write_file`` to render pages on every core, replaces the N² term
pages of ``ArticlesGenerator``, memoises ``Content.url``... Pelican documents none of that, and
any release may change it (4.11 → 4.12 changed exactly the code that is copied). So:

- every private or undocumented name the project uses is reached through this module (a test,
  ``tests/test_fence.py``, checks that no other module imports or names one);
- :func:`speed_verdict` checks, once per process, the installed versions against
  :data:`SUPPORTED`, that every name resolves, that the signatures we call or override are
  :data:`SIGNATURES`, and that the Pelican code we copied is still what we copied (a hash of
  its syntax tree, docstrings and annotations left out: :data:`COPIED`);
- when a check fails, :func:`speed_active` is False: the speed layer switches itself off with
  one warning and the build runs as stock Pelican would, with the same output bytes.

``FASTBUILD=off`` in the environment (or ``FASTBUILD = {"enabled": False}``) takes the same way.
Upgrading Pelican: README, "Nâng cấp Pelican".
"""
from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import logging
import os
import textwrap
from dataclasses import dataclass
from importlib import import_module, metadata

from packaging.version import InvalidVersion, Version

logger = logging.getLogger("plugins.fastbuild")

#: Versions the speed layer was checked with: low ≤ installed < high.
SUPPORTED = {"pelican": ("4.12.0", "4.13"), "jinja2": ("3.1.0", "3.2"),
             "markupsafe": ("2.1", "4"), "feedgenerator": ("2.0", "3")}

#: Pelican code the project's copies follow (``module:qualname`` → hash, see :func:`code_hash`).
#: A new hash means Pelican changed that code: compare it with our copy before adding it here.
COPIED = {
    # plugins/fastbuild/writer.py FastWriter.write_file and _claim (no hook to queue pages)
    "pelican.writers:Writer.write_file":
        "bc413dbc8e38b57f48759883f6418affe78e9a5336d61d5a770ca293c6032c53",
    "pelican.writers:Writer._open_w":
        "a6ad1e2c09b814d37c07a2986dff36ff7b9e1191795b4429be4c663194cb81a3",
    # plugins/fastbuild/grouping.py (the N² term and period pages)
    "pelican.generators:ArticlesGenerator.generate_tags":
        "1aac013f6ff03527b8596169bc90df539acc5cf7ac749e8f18997cdfebfb4b19",
    "pelican.generators:ArticlesGenerator.generate_categories":
        "be4d88156ad5f48e07629721289a4ac35cc0558911a04f84be4bb935e48a597b",
    "pelican.generators:ArticlesGenerator.generate_authors":
        "fce80fa08f7d3c6f59973b414c18d8a0053f15432040cf6899cf87db9efed229",
    "pelican.generators:ArticlesGenerator._build_period_archives":
        "174e97d135fc485668c87ed43e4decafef0ae77346d8e5960a202d9a946343c5",
    "pelican.utils:process_translations":
        "ef4eacb642181b1d9e1f67dc38a4ec5e9c11982cbd93c78d11a6b1c08f7df6ea",
    # newsroom/build/livereload.py Session._update and _relist (no partial-run API); the
    # build's one walk of each folder (plugins/fastbuild/listing.py) follows get_files and
    # _include_path
    "pelican:Pelican.run":
        "b0a1a09c00cefe41facc7ad163d6f4e0f0e76ce2067fcedb556a455de2722dda",
    "pelican.generators:Generator.get_files":
        "9426c5403a8068d279e78349e163ca125e92512102d9a1c66e829702bb0d4734",
    "pelican.generators:Generator._include_path":
        "0438b6cdd793e086671740a1f89baa46b5b9dd68a701debba3121f72919391cb",
    # keep_static_links: the same set, kept per item body
    "pelican.generators:Generator.add_static_links":
        "eacfc2a420688f93d549860c4a427d176390db8e63767a327b853f7bfbea414f",
}

#: Pelican code we call, subclass or replace without copying it: its signature.
SIGNATURES = {
    "pelican:Pelican._get_generator_classes": "(self)",
    "pelican:Pelican._get_writer": "(self)",
    "pelican.contents:Content.get_relative_source_path": "(self, source_path=None)",
    "pelican.contents:Content.get_static_links": "(self)",
    "pelican.contents:Content.get_url_setting": "(self, key)",
    "pelican.paginator:Paginator.__init__": "(self, name, url, object_list, settings, "
                                            "per_page=None)",
    "pelican.paginator:Page.__init__": "(self, name, url, object_list, number, paginator, "
                                       "settings)",
    "pelican.writers:Writer._create_new_feed": "(self, feed_type, feed_title, context)",
    "pelican.generators:CachingGenerator.get_cached_data": "(self, filename, default=None)",
    "pelican.generators:CachingGenerator.cache_data": "(self, filename, data)",
    "pelican.generators:CachingGenerator.save_cache": "(self)",
    "pelican.utils:sanitised_join": "(base_directory, *parts)",
    "pelican.utils:path_to_url": "(path)",
    "pelican.utils:get_relative_path": "(path)",
    "pelican.utils:get_original_items": "(items, with_str)",
    "pelican.readers:find_empty_alt": "(content, path)",
}

#: Attributes that Pelican's constructors set and that we read or write (``__init__`` names
#: them): the article lists a generator keeps, an item's body, a term's state.
INIT_NAMES = {
    "pelican.generators:ArticlesGenerator.__init__": (
        "articles", "translations", "drafts", "drafts_translations", "hidden_articles",
        "hidden_translations"),
    "pelican.generators:PagesGenerator.__init__": (
        "pages", "translations", "hidden_pages", "hidden_translations", "draft_pages",
        "draft_translations"),
    "pelican.contents:Content.__init__": ("_content", "_context"),
    "pelican.urlwrappers:URLWrapper.__init__": ("_name", "_slug", "_slug_from_name"),
    "jinja2.runtime:Macro.__init__": ("_func",),
}


#: The lists of articles ``ArticlesGenerator`` keeps (published, translations, drafts, hidden).
ARTICLE_LISTS = INIT_NAMES["pelican.generators:ArticlesGenerator.__init__"]
#: Every list of items a generator keeps (articles and pages, with translations, drafts and
#: hidden ones): the names ``ArticlesGenerator`` and ``PagesGenerator`` set (checked above).
CONTENT_LISTS = tuple(dict.fromkeys(
    ARTICLE_LISTS + INIT_NAMES["pelican.generators:PagesGenerator.__init__"]))


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reasons: tuple[str, ...] = ()


def resolve(dotted: str):
    """``"pelican.writers:Writer.write_file"`` → the object (class attributes unbound)."""
    module, _, attrs = dotted.partition(":")
    found = import_module(module)
    for part in attrs.split(".") if attrs else ():
        found = inspect.getattr_static(found, part) if isinstance(found, type) \
            else getattr(found, part)
    return found.fget if isinstance(found, property) else found


class _Plain(ast.NodeTransformer):
    """A function's syntax tree without docstrings and annotations (comments, blank lines and
    formatting are not in the tree either): what :func:`code_hash` compares."""

    def _body(self, node):
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(
                getattr(body[0], "value", None), ast.Constant) and isinstance(
                body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
        return node

    def visit_FunctionDef(self, node):
        node.returns = None
        self.generic_visit(node)
        return self._body(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_arg(self, node):
        node.annotation = None
        return node

    def visit_AnnAssign(self, node):
        return ast.Assign(targets=[node.target], value=node.value or ast.Constant(None))


def code_hash(function) -> str:
    """The hash of a function's code as :data:`COPIED` holds it."""
    function = inspect.unwrap(getattr(function, "__func__", function))
    return source_hash(inspect.getsource(function))


def source_hash(source: str) -> str:
    tree = _Plain().visit(ast.parse(textwrap.dedent(source)))
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest()


def _signature(function) -> str:
    plain = inspect.signature(function).replace(return_annotation=inspect.Signature.empty)
    params = [p.replace(annotation=inspect.Parameter.empty) for p in plain.parameters.values()]
    return str(plain.replace(parameters=params))


def _version_problems() -> list[str]:
    problems = []
    for dist, (low, high) in SUPPORTED.items():
        try:
            installed = metadata.version(dist)
            inside = Version(low) <= Version(installed) < Version(high)
        except (metadata.PackageNotFoundError, InvalidVersion):
            installed, inside = "?", False
        if not inside:
            problems.append(f"{dist} {installed} nằm ngoài khoảng đã kiểm "
                            f"({low} ≤ phiên bản < {high})")
    return problems


def _code_problems() -> list[str]:
    problems = []
    checks = [(name, "copied") for name in COPIED] + [(name, "signature") for name in SIGNATURES]
    checks += [(name, "init") for name in INIT_NAMES]
    for name, kind in checks:
        try:
            found = resolve(name)
            if kind == "copied" and code_hash(found) != COPIED[name]:
                problems.append(f"mã {name} của Pelican đã đổi so với bản dự án chép theo")
            elif kind == "signature" and _signature(found) != SIGNATURES[name]:
                problems.append(f"{name} đổi tham số thành {_signature(found)}")
            elif kind == "init":
                missing = set(INIT_NAMES[name]) - set(found.__code__.co_names)
                if missing:
                    problems.append(f"{name} không còn đặt {', '.join(sorted(missing))}")
        except (ImportError, AttributeError, TypeError, OSError, ValueError) as error:
            problems.append(f"không tìm thấy {name} ({type(error).__name__})")
    try:
        from pelican.contents import Content

        for name in MEMOIZED:
            if not isinstance(getattr(Content, name).cache, dict):
                raise TypeError(name)
    except (ImportError, AttributeError, TypeError) as error:
        problems.append(f"Content.{'/'.join(MEMOIZED)} không còn giữ kết quả trong .cache "
                        f"({type(error).__name__})")
    try:
        resolve("pelican.writers:FileOverwriteFailedError")
    except (ImportError, AttributeError) as error:
        problems.append(f"không tìm thấy pelican.writers.FileOverwriteFailedError "
                        f"({type(error).__name__})")
    try:
        from pelican import generators, utils

        if generators.process_translations not in (utils.process_translations, _translations[0]):
            problems.append("pelican.generators.process_translations không còn là hàm của "
                            "pelican.utils")
    except (ImportError, AttributeError) as error:
        problems.append(f"không tìm thấy process_translations ({type(error).__name__})")
    return problems


@functools.cache
def speed_verdict() -> Verdict:
    """Whether the speed layer may run with the installed Pelican and Jinja (once per
    process; tests call ``speed_verdict.cache_clear()``)."""
    problems = _version_problems()
    if not problems:  # out of range: the code checks would only repeat it
        problems = _code_problems()
    return Verdict(not problems, tuple(problems))


def listed(settings, plugin: str) -> bool:
    """``plugin`` (``"plugins.fastbuild"``) is in the build's ``PLUGINS``."""
    short = plugin.rpartition(".")[2]
    for entry in settings.get("PLUGINS") or ():
        name = entry if isinstance(entry, str) else getattr(entry, "__name__", "")
        if name in (plugin, short) or name.endswith("." + short):
            return True
    return False


def speed_wanted(settings) -> bool:
    """The build asks for the speed layer: listed, and not switched off by hand."""
    if os.environ.get("FASTBUILD", "").strip().lower() == "off":
        return False
    fast = settings.get("FASTBUILD") or {}
    return listed(settings, "plugins.fastbuild") and fast.get("enabled", True) is not False


def speed_active(settings) -> bool:
    """The speed layer runs in this build: wanted, and the installed Pelican passes."""
    return speed_wanted(settings) and speed_verdict().ok


def report(settings) -> None:
    """At start-up: one warning when the speed layer is wanted but cannot run."""
    if speed_wanted(settings) and not speed_verdict().ok:
        logger.warning(
            "fastbuild: tắt lớp tăng tốc vì %s; bản dựng chạy như Pelican gốc, trang ra "
            "giống hệt nhưng chậm hơn. Xem README, mục “Nâng cấp Pelican”.",
            "; ".join(speed_verdict().reasons))


# Accessors ----------------------------------------------------------------------------
# Each reaches one undocumented name, lazily: a name that moved fails the checks above and
# switches the speed layer off instead of breaking the import of a plugin.

def overwrite_error() -> type[Exception]:
    """``pelican.writers.FileOverwriteFailedError`` (4.12; no documented overwrite rules)."""
    from pelican import writers

    return getattr(writers, "FileOverwriteFailedError", _MissingOverwriteError)


class _MissingOverwriteError(RuntimeError):
    """Stands in when Pelican has no FileOverwriteFailedError (the checks fail then)."""


def writer_helpers():
    """``sanitised_join``, ``path_to_url``, ``get_relative_path`` of ``pelican.utils``: the
    copy of ``Writer.write_file`` builds paths exactly as Pelican does."""
    from pelican import utils

    return utils.sanitised_join, utils.path_to_url, utils.get_relative_path


def paginator_classes():
    """``pelican.paginator.Paginator`` and ``Page``: subclassed for stable page numbers
    (Pelican's writer takes no paginator class)."""
    from pelican import paginator

    return paginator.Paginator, paginator.Page


def written_files(writer) -> set:
    """``Writer._written_files``: the files a writer wrote (Pelican has no public list)."""
    return writer._written_files


def overridden_files(writer) -> set:
    """``Writer._overridden_files``, the other half of Pelican's overwrite rules."""
    return writer._overridden_files


def generator_classes(pelican):
    """``Pelican._get_generator_classes``: livereload runs the generators itself."""
    return pelican._get_generator_classes()


def make_writer(pelican):
    """``Pelican._get_writer``: the writer a plugin asked for, as a build gets it."""
    return pelican._get_writer()


def include_path(generator, path, extensions=None) -> bool:
    """``Generator._include_path``: the file rules of ``get_files`` for one file."""
    return generator._include_path(path, extensions)


def stock_include_path(generator) -> bool:
    """The generator's ``_include_path`` is Pelican's own (no subclass or plugin changed
    it): ``plugins.fastbuild.listing`` may then apply its rules itself."""
    from pelican.generators import Generator

    found = generator.__dict__.get("_include_path", type(generator)._include_path)
    return found is Generator._include_path


def raw_content(item) -> str:
    """``Content._content``: the body before Pelican's link substitution (documented only as
    "use ``_content``"; there is no setter)."""
    return item._content


def set_raw_content(item, html: str) -> None:
    item._content = html


#: ``Content`` methods Pelican memoises (``pelican.utils.memoized``: one cache per method,
#: keyed by (item, arguments), never emptied) whose result follows the item's links.
MEMOIZED = ("get_content", "get_summary")


def relink(items, context: dict, moved=()) -> None:
    """``Content._context`` made ``context`` for ``items``: a live session keeps unchanged
    items from update to update, and each would otherwise keep the context of the update
    that read it, with every item of that update. Pelican's cached bodies of the items of
    ``moved`` are dropped: their ``{filename}``/``{static}`` links are looked up again in
    ``context`` (the files they link to may have moved: another date, another slug)."""
    for item in items:
        item._context = context
    dropped = {id(item) for item in moved}
    if dropped:
        _drop_memoized(dropped.__contains__)


def keep_static_links(generator) -> None:
    """``Generator.add_static_links`` of one generator, for the items a live session keeps:
    the files an item's text links to (``{static}``, ``{attach}``) are found once per body,
    not by a regular expression over each of 10,000 bodies at every update."""
    def add_static_links(content):
        raw = content._content
        found = content.__dict__.get("_fence_static_links")
        if found is None or found[0] is not raw:
            found = content.__dict__["_fence_static_links"] = (raw, content.get_static_links())
        generator.context["static_links"] |= found[1]

    generator.add_static_links = add_static_links


def forget_memoized(keep) -> None:
    """Pelican's cached bodies of every item but ``keep`` (ids): a live session's earlier
    items would otherwise stay in memory, and with them the context of their update."""
    _drop_memoized(lambda found: found not in keep)


def _drop_memoized(dropped) -> None:
    """The entries of :data:`MEMOIZED` whose item's id ``dropped`` says yes to."""
    from pelican.contents import Content

    for name in MEMOIZED:
        cache = getattr(Content, name).cache
        for key in [k for k in cache if dropped(id(k[0]))]:
            del cache[key]


def macro_code(macro):
    """``jinja2.runtime.Macro._func.__code__``: the same for every page whose template
    imports the macro (Jinja has no public identity for a macro)."""
    return macro._func.__code__


def wrapper_state(wrapper) -> tuple:
    """A Tag/Category/Author's state (``URLWrapper._name``, ``_slug``, ``_slug_from_name``),
    pickled once per term instead of once per article (memory)."""
    state = wrapper.__dict__
    return state["_name"], state["_slug"], state["_slug_from_name"]


WRAPPER_KEYS = {"settings", "_name", "_slug", "_slug_from_name"}


def make_wrapper(cls, settings, state: tuple):
    found = cls.__new__(cls)
    found.__dict__.update(settings=settings, _name=state[0], _slug=state[1],
                          _slug_from_name=state[2])
    return found


def wrap_period_archives(generator, wrapper) -> None:
    """``ArticlesGenerator._build_period_archives`` of one generator becomes
    ``wrapper(generator, original, sorted_articles, articles, settings)`` (no hook to make
    the period lists another way; the N² part is in that method)."""
    original = generator._build_period_archives
    generator._build_period_archives = functools.partial(wrapper, generator, original)


def warn_empty_alt(content: str, path: str) -> None:
    """``pelican.readers.find_empty_alt``: the warning Pelican's ``read_file`` gives for
    images without ``alt`` (not in Pelican's documented API)."""
    from pelican import readers

    readers.find_empty_alt(content, path)


def drop_discardable(metadata: dict) -> dict:
    """``pelican.readers._filter_discardable_metadata``: what a reader returns, as Pelican
    keeps it (the cache stores the same)."""
    from pelican import readers

    return readers._filter_discardable_metadata(metadata)


# Process-wide patches (installed at ``initialized`` when the speed layer runs) --------

#: The linear-time copy the speed layer installed (``use_fast_translations``), if any.
_translations = [None]


def pelican_translations():
    """Pelican's own ``process_translations`` (its messages for items it cannot sort)."""
    from pelican import utils

    return utils.process_translations


def original_items(items, with_str):
    """``pelican.utils.get_original_items``: the copy of ``process_translations`` keeps
    Pelican's choice of the original among translations, and its warnings."""
    from pelican import utils

    return utils.get_original_items(items, with_str)


def use_fast_translations(fast) -> None:
    """``pelican.generators.process_translations`` (a module global Pelican's generators call)
    is ``fast`` (the speed layer's linear-time copy) while the speed layer runs, Pelican's own
    when ``fast`` is None."""
    from pelican import generators, utils

    if fast is not None:
        _translations[0] = fast
    generators.process_translations = fast or utils.process_translations


def patch_content(url, save_as, relative_source_path) -> None:
    """``Content.url``, ``Content.save_as`` (properties) and ``get_relative_source_path``
    replaced by memoising versions (Pelican formats them on every use)."""
    from pelican.contents import Content

    _ORIGINALS.setdefault("content", {key: Content.__dict__[key] for key in
                                      ("url", "save_as", "get_relative_source_path")})
    Content.url, Content.save_as = url, save_as
    Content.get_relative_source_path = relative_source_path


def unpatch_content() -> None:
    from pelican.contents import Content

    for key, value in _ORIGINALS.pop("content", {}).items():
        setattr(Content, key, value)


def original_relative_source_path():
    from pelican.contents import Content

    kept = _ORIGINALS.get("content")
    return kept["get_relative_source_path"] if kept else Content.get_relative_source_path


_ORIGINALS: dict = {}
