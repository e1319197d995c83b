"""One walk of each content folder per build, shared by every generator's ``get_files``.

Pelican's ``Generator.get_files`` walks the folders it is given every time it is called: at
10,000 articles ``bai-viet/`` was walked three times per build (the articles, the readers'
check of files no reader takes, the static files), and each of its files matched against
``IGNORE_FILES`` with ``fnmatch`` once per walk. Here the folders are walked once per build
(the walk is kept in the build's context, which every generator shares and the next build or
live update starts without), and a file's name is matched against one expression made of the
same patterns. The rules are Pelican's (``fence.COPIED`` checks that its ``get_files`` and
``_include_path`` are still those this follows): the same paths, excluded folders, ignored
folders and files, extensions; ``get_files`` gives the same set of files.
"""
from __future__ import annotations

import fnmatch
import os
import re

from plugins import fence

_KEY = "_fastbuild_walk"  # in the build's context: (root, ignores) -> {dirpath: (dirs, files)}


def install(generator) -> None:
    """``generator.get_files`` lists from the build's shared walk."""

    def get_files(paths, exclude=None, extensions=None):
        return list_files(generator, paths, exclude, extensions)

    generator.get_files = get_files


def _walk(root: str, ignores) -> dict:
    """Every folder under ``root`` (followed links included, as Pelican walks), with the
    folders ``IGNORE_FILES`` leaves out already pruned: folder -> (subfolders, files)."""
    tree = {}
    for dirpath, dirs, files in os.walk(root, topdown=True, followlinks=True):
        dirs[:] = [d for d in dirs if not any(fnmatch.fnmatch(d, i) for i in ignores)]
        tree[dirpath] = (tuple(dirs), tuple(files))
    return tree


def _includer(generator, extensions):
    """Pelican's ``_include_path`` for a file name, or the generator's own if it has one."""
    if not fence.stock_include_path(generator):
        return lambda name, fp: fence.include_path(generator, fp, extensions)
    if extensions is None:
        extensions = tuple(generator.readers.extensions)
    ignores = generator.settings["IGNORE_FILES"]
    ignored = re.compile("|".join(fnmatch.translate(os.path.normcase(p)) for p in ignores)) \
        if ignores else None
    known: dict[str, bool] = {}

    def include(name, fp):
        found = known.get(name)
        if found is None:
            found = not (ignored is not None and ignored.match(os.path.normcase(name))) and (
                extensions is False or os.path.splitext(name)[1][1:] in extensions)
            if len(known) < 4096:  # names repeat (photos); article files do not
                known[name] = found
        return found

    return include


def list_files(generator, paths, exclude=None, extensions=None) -> set[str]:
    """``Generator.get_files(paths, exclude, extensions)``, from the build's walk."""
    if exclude is None:
        exclude = []
    if isinstance(paths, str):
        paths = [paths]
    excluded: dict[str, set] = {}
    for e in exclude:
        parent_path, subdir = os.path.split(os.path.join(generator.path, e))
        excluded.setdefault(parent_path, set()).add(subdir)
    ignores = tuple(generator.settings["IGNORE_FILES"])
    walks = generator.context.setdefault(_KEY, {})
    include = _includer(generator, extensions)
    files = set()
    for path in paths:
        root = os.path.join(generator.path, path) if path else generator.path
        if os.path.isdir(root):
            tree = walks.get((root, ignores))
            if tree is None:
                tree = walks[(root, ignores)] = _walk(root, ignores)
            stack = [root]
            while stack:
                dirpath = stack.pop()
                dirs, names = tree.get(dirpath, ((), ()))
                skip = excluded.get(dirpath, ())
                stack.extend(os.path.join(dirpath, d) for d in dirs if d not in skip)
                reldir = os.path.relpath(dirpath, generator.path)
                for name in names:
                    fp = os.path.join(reldir, name)
                    if include(name, fp):
                        files.add(fp)
        elif os.path.exists(root) and fence.include_path(generator, path, extensions):
            files.add(path)  # can't walk non-directories
    return files
