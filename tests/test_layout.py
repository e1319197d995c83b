"""The layout a newcomer reads the flow from (README, "Sơ đồ dự án"), held by the code itself.

Layers, imports one way only: ``newsroom.core`` (0) ← ``plugins`` (1) ← ``newsroom.build`` (2) ←
``newsroom.publish`` (3); ``newsroom.intake`` and ``newsroom.editorial`` (1) import the core only;
``benchmarks`` (4) and the tests (5) sit on top. Every import counts, a function's own included
(read from the source, nothing imported). No import cycle; no two modules share a name.
"""
from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from newsroom.core.paths import BUILD_CODE, ROOT
from tests.helpers import article, write_files

FOLDERS = ("newsroom", "plugins", "benchmarks", "tests")
#: (package prefix, rank, the packages it may import besides its own).
LAYERS = (
    ("newsroom.core", 0, ()),
    ("newsroom.intake", 1, ("newsroom.core",)),
    ("newsroom.editorial", 1, ("newsroom.core",)),
    ("plugins", 1, ("newsroom.core",)),
    ("newsroom.build", 2, ("newsroom.core", "plugins", "newsroom.intake")),
    ("newsroom.publish", 3, ("newsroom.core", "plugins", "newsroom.build")),
    ("benchmarks", 4, ("newsroom", "plugins")),
    ("tests", 5, ("newsroom", "plugins", "benchmarks")),
)


def modules() -> dict[str, Path]:
    """Every project module by its dotted name (a package by its own name)."""
    found = {}
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: dict) -> set[tuple[str, int]]:
    """The project modules ``name`` imports, with the line: ``from a import b`` is ``a.b``
    when that is a module, else ``a``; relative imports resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                       for a in node.names]
        else:
            continue
        found |= {(t, node.lineno) for t in targets if t in known and t != name}
    return found


def graph() -> dict[str, set[tuple[str, int]]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def layer(name: str):
    for prefix, rank, allowed in LAYERS:
        if name == prefix or name.startswith(prefix + "."):
            return prefix, rank, allowed
    return None


def test_every_module_has_a_layer():
    assert [name for name in modules() if name not in ("newsroom",) and not layer(name)] == []


def against_layers(edges: dict[str, set[tuple[str, int]]]) -> list[str]:
    """``module:line: module → target`` for every import that goes against :data:`LAYERS`."""
    wrong = []
    for name, targets in edges.items():
        own = layer(name)
        for target, line in sorted(targets):
            other = layer(target)
            if own is None or other is None or other[0] == own[0]:
                continue
            if not any(other[0] == a or other[0].startswith(a + ".") for a in own[2]):
                wrong.append(f"{name}:{line}: {name} → {target}")
    return wrong


def test_imports_go_one_way():
    assert against_layers(graph()) == []


def test_the_layer_check_finds_an_import_against_the_flow():
    edges = {"newsroom.core.text": {("newsroom.build.site", 3)},
             "newsroom.intake.check": {("plugins.fence", 5), ("newsroom.core.schema", 6)},
             "newsroom.publish.verify": {("newsroom.build.site", 7)},
             "plugins.search.search": {("newsroom.build.livereload", 9)}}
    assert against_layers(edges) == [
        "newsroom.core.text:3: newsroom.core.text → newsroom.build.site",
        "newsroom.intake.check:5: newsroom.intake.check → plugins.fence",
        "plugins.search.search:9: plugins.search.search → newsroom.build.livereload"]


def test_the_core_runs_without_pelican():
    """The core is shared by the checker, the intake and the reports: no Pelican, no Jinja."""
    found = []
    for name, path in modules().items():
        if name.startswith("newsroom.core"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                roots = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                found += [f"{name}:{node.lineno} {r}" for r in roots
                          if r.split(".")[0] in ("pelican", "jinja2")]
    assert found == []


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    edges = {name: {t for t, _ in targets} for name, targets in graph().items()}
    assert cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_two_modules_share_a_name():
    """A module, a package or a plugin has a name of its own (a plugin's main module is named
    like its folder: one place); ``site`` and the like are named once in the whole project."""
    places: dict[str, set[Path]] = {}
    for path in modules().values():
        folder = path.parent
        if path.name == "__init__.py":
            name, place = folder.name, folder
        else:
            name, place = path.stem, folder if path.stem == folder.name else path
        places.setdefault(name, set()).add(place)
    shared = {name: sorted(str(p.relative_to(ROOT)) for p in where)
              for name, where in places.items() if len(where) > 1}
    assert shared == {}


# --- the hashes of the build cover the code the build runs, and only that ---------------------

LOADED = """
import json, sys
from pelican import Pelican
from newsroom.build import site
settings = site.settings_for("pelicanconf.py", PATH=sys.argv[1], OUTPUT_PATH=sys.argv[2],
                             CACHE_PATH=sys.argv[3])
before = set(sys.modules)
Pelican(settings).run()
print(json.dumps(sorted(getattr(sys.modules[m], "__file__", None) or "" for m in
                        set(sys.modules) - before)))
"""

KEYS = """
import json, sys
from newsroom.build import site, stamp
from plugins.fastbuild import readcache
settings = site.settings_for("pelicanconf.py", PATH=sys.argv[1])
print(json.dumps([stamp.compute(settings), readcache.code_key(settings)]))
"""


def _run(script: str, *args, cwd=ROOT) -> object:
    done = subprocess.run([sys.executable, "-c", script, *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env={**os.environ,
                                                               "PYTHONDONTWRITEBYTECODE": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_build_runs_only_the_build_code(tmp_path):
    """What Pelican loads of the project during a build (every plugin of pelicanconf.py) is
    under ``paths.BUILD_CODE``: the hashes that cover it cover all the build runs."""
    write_files(tmp_path / "content", {"bai-viet/than-ha-lam/2020/a.md": article()})
    loaded = _run(LOADED, tmp_path / "content", tmp_path / "output", tmp_path / "cache")
    ours = [Path(f) for f in loaded if f and Path(f).resolve().is_relative_to(ROOT)]
    assert any(p.is_relative_to(ROOT / "plugins") for p in ours)  # the plugins were loaded here
    outside = [str(p.relative_to(ROOT)) for p in ours
               if not any(p.is_relative_to(folder) for folder in BUILD_CODE)]
    assert outside == []


def test_editing_a_benchmark_or_a_report_builds_nothing_again(tmp_path):
    """In a copy of the project: the "nothing changed" stamp and the read cache's key stay the
    same when a benchmark, a report module or the intake changes, and both change with the
    core."""
    copy = tmp_path / "project"
    for name in ("newsroom", "plugins", "benchmarks", "data", "theme"):
        shutil.copytree(ROOT / name, copy / name,
                        ignore=shutil.ignore_patterns("__pycache__", "fonts", "static"))
    shutil.copy2(ROOT / "pelicanconf.py", copy)
    write_files(tmp_path / "content", {"bai-viet/than-ha-lam/2020/a.md": article()})
    first = _run(KEYS, tmp_path / "content", cwd=copy)
    for rel in ("benchmarks/bench_build.py", "newsroom/editorial/report.py",
                "newsroom/intake/check.py", "newsroom/publish/release.py"):
        with open(copy / rel, "a", encoding="utf-8") as module:
            module.write("\n# sửa thử\n")
    assert _run(KEYS, tmp_path / "content", cwd=copy) == first
    with open(copy / "newsroom/core/text.py", "a", encoding="utf-8") as module:
        module.write("\n# sửa thử\n")
    stamp_after, key_after = _run(KEYS, tmp_path / "content", cwd=copy)
    assert stamp_after != first[0] and key_after != first[1]
