"""The version of an item: a digest of what its pages show of it, the same in every process.

``version(item)`` is taken once per item object, when every plugin has worked on it (the
speed layer's ``all_generators_finalized``, its last receiver), from:

- its source file (path, size, mtime) and every file of the photo folder beside it
  (``<slug>/``: name, size, mtime), so a photo replaced in place changes it;
- where the links of its texts to other files of the site (``{filename}``, ``{static}``,
  ``{attach}``) lead in this build: looked up again at every call, never kept, since a linked
  file may move while the item does not change.

Everything else an item holds is made from these, from the data files and the settings (in
the site token, ``pagestore``), or is a link to other items and terms (related stories,
previous and next, units: in the page's token, ``writer.token``). A plugin that gave an item
a plain value computed from *other* items would break this; the plugins of this project give
such things as links. Hashing everything an item holds instead costs some 0.6 s of CPU per
1,000 items, too much for a build of one edit at 10,000 articles.

An item whose source cannot be read gets a version of this process only: a later build
renders its pages again.
"""
from __future__ import annotations

import os
import posixpath
import re
from urllib.parse import unquote

from plugins import fence

from .pagestore import digest, unique
from .readcache import stamp

_KEY = "_fastbuild_version"
_LEAD = "_fastbuild_version_lead"  # (the build's generated_content, the version in it)
_LINK = re.compile(r"[{|](filename|static|attach)[}|]([^\"'\s<>)]*)")
#: The build's ``generated_content`` and ``static_content`` (``use_context``).
_CONTEXT: dict = {}


def use_context(context: dict | None, stamps: dict | None = None) -> None:
    """Where links to other files lead in the build under way (None: no build); ``stamps``:
    the stamp (``readcache.stamp``) of each source file as this build read it."""
    _CONTEXT.clear()
    if context is not None:
        _CONTEXT.update(generated=context.get("generated_content") or {},
                        static=context.get("static_content") or {}, stamps=stamps or {})


def version(item) -> str:
    """The item's version (see the module's docstring). Kept on the item: a string, or
    (string, links) for an item whose texts link to other files."""
    found = item.__dict__.get(_KEY)
    if found is None:
        base, links = _measure(item)
        found = item.__dict__[_KEY] = (base, links) if links else base
    if found.__class__ is str:
        return found
    build = _CONTEXT.get("generated")  # a new dict in every build and live update
    memo = item.__dict__.get(_LEAD)
    if memo is not None and build is not None and memo[0] is build:
        return memo[1]
    value = digest((found[0], _lead(item, found[1])))
    if build is not None:
        item.__dict__[_LEAD] = (build, value)
    return value


def links_elsewhere(item) -> bool:
    """Whether the item's texts link to other files (known once its version was taken)."""
    found = getattr(item, "__dict__", {}).get(_KEY)
    return found is not None and found.__class__ is not str


def _measure(item) -> tuple[str, tuple]:
    try:
        source = _source(item.source_path)
    except (OSError, TypeError):
        return unique(), ()
    links = []
    texts = [v for v in item.__dict__.values() if isinstance(v, str)]
    texts += [v for v in (getattr(item, "metadata", None) or {}).values() if isinstance(v, str)]
    for text in texts:
        if "filename" in text or "static" in text or "attach" in text:
            links += _LINK.findall(text)
    return digest(source), tuple(sorted(set(links)))


def _source(path: str) -> tuple:
    """The source file's stamp (as this build read the file, else as it is now) and the
    photos in the folder beside it (``<slug>/``), if the stamp saw one."""
    found = _CONTEXT.get("stamps", {}).get(path) or stamp(path)
    photos = []
    folder = os.path.splitext(path)[0]
    if found.count(":") == 2 and os.path.isdir(folder):  # the stamp holds the folder's time
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted(filenames):
                st = os.stat(os.path.join(dirpath, name))
                photos.append((os.path.relpath(os.path.join(dirpath, name), folder),
                               st.st_size, st.st_mtime_ns))
    return path, found, tuple(photos)


def _lead(item, links: tuple) -> tuple:
    """Where each link of the item's text leads in this build, as Pelican resolves it."""
    if not _CONTEXT:
        return unique()  # outside a build: never the same twice
    base = posixpath.dirname((item.relative_source_path or "").replace(os.sep, "/"))
    found = []
    for what, value in links:
        path = unquote(value.split("#", 1)[0].split("?", 1)[0])
        path = path[1:] if path.startswith("/") else posixpath.join(base, path)
        path = os.path.normpath(path)
        targets = [_CONTEXT["generated"].get(path), _CONTEXT["static"].get(path)]
        found.append((what, value, *(getattr(t, "url", None) for t in targets)))
    return tuple(found)


def of_site(generators) -> str:
    """Every item of the site as it is now (summary pages depend on all of them)."""
    return digest(tuple(tuple(map(version, getattr(generator, name, None) or ()))
                        for generator in generators for name in fence.CONTENT_LISTS))
