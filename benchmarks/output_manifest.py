"""The sha256 of every output file of the sample site and of the 1,000-article corpus.

``python -m benchmarks.output_manifest /tmp/manifest.json`` builds both strictly, each in a
temporary folder with a fresh cache and a fixed build date, and writes ``{site: {path: sha256}}``.
Two manifests taken before and after a change of code that should not change the pages
(a move, a refactoring, a Pelican upgrade) must be equal: ``--compare OLD.json`` says which
files differ. Each site is built in its own process, so no state is shared between them.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import corpus
from newsroom.build import site
from newsroom.core.paths import ROOT

TODAY = "2026-11-26"
CORPUS_SIZE = 1000


def hashes(folder: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``folder``, sorted."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def build_one(which: str, folder: Path) -> dict[str, str]:
    """Build the ``sample`` site or the ``corpus`` into ``folder`` and hash its output."""
    os.environ["NEWSROOM_TODAY"] = TODAY
    overrides = {"OUTPUT_PATH": folder / "output", "CACHE_PATH": folder / "cache",
                 "NEWSROOM_STRICT": True, "NEWSROOM_TODAY": TODAY}
    if which == "corpus":
        content = folder / "content"
        corpus.generate(content, CORPUS_SIZE)
        overrides["PATH"] = content
    site.build("pelicanconf.py", **overrides)
    return hashes(folder / "output")


def manifest() -> dict[str, dict[str, str]]:
    """Both sites, each built by a child process of this module."""
    result = {}
    for which in ("sample", "corpus"):
        with tempfile.TemporaryDirectory(prefix=f"manifest-{which}-") as folder:
            answer = Path(folder) / "hashes.json"
            subprocess.run([sys.executable, "-m", "benchmarks.output_manifest", "--one", which,
                            folder, str(answer)], cwd=ROOT, check=True)
            result[which] = json.loads(answer.read_text(encoding="utf-8"))
    return result


def compare(old: dict, new: dict) -> list[str]:
    """Lines naming every file added, removed or changed, site by site."""
    lines = []
    for which in sorted(set(old) | set(new)):
        a, b = old.get(which, {}), new.get(which, {})
        lines += [f"{which}: chỉ có ở bản cũ: {p}" for p in sorted(set(a) - set(b))]
        lines += [f"{which}: chỉ có ở bản mới: {p}" for p in sorted(set(b) - set(a))]
        lines += [f"{which}: khác nội dung: {p}" for p in sorted(set(a) & set(b)) if a[p] != b[p]]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", help="tệp JSON ghi kết quả")
    parser.add_argument("--compare", help="tệp JSON lấy trước đó để so sánh")
    parser.add_argument("--one", nargs=3, metavar=("SITE", "FOLDER", "ANSWER"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        which, folder, answer = args.one
        Path(answer).write_text(json.dumps(build_one(which, Path(folder))), encoding="utf-8")
        return 0
    result = manifest()
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
    for which, files in result.items():
        print(f"{which}: {len(files)} tệp")
    if args.compare:
        differences = compare(json.loads(Path(args.compare).read_text(encoding="utf-8")), result)
        print("\n".join(differences) or "Giống hệt từng byte.")
        return 1 if differences else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
