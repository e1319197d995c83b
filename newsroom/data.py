"""The project's data files (``data/*.yml``): the one place each list lives.

Every step (the build's plugins, ``invoke check``, ``invoke ingest``, reports) reads the lists
through this module, so a unit or a category is added in one file and nowhere else.
"""
from __future__ import annotations

import functools
from pathlib import Path

import yaml

from .text import nfc, slugify

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


class DataError(ValueError):
    """A data file is missing, malformed or inconsistent."""


@functools.lru_cache(maxsize=64)
def _load(path: Path, mtime_ns: int):
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DataError(f"{path}: không đọc được tệp dữ liệu ({exc.strerror})") from None
    try:
        return yaml.safe_load(nfc(raw))
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: tệp YAML sai cú pháp: {exc}") from None


def load(name: str, data_dir: Path | str | None = None):
    """Load ``data/<name>.yml`` (cached until the file changes)."""
    path = Path(data_dir or DATA_DIR) / f"{name}.yml"
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise DataError(f"{path}: thiếu tệp dữ liệu") from None
    return _load(path, mtime)


def _by_slug(name: str, data_dir=None, required=("slug", "name")) -> dict[str, dict]:
    entries = load(name, data_dir) or []
    result: dict[str, dict] = {}
    for index, entry in enumerate(entries, 1):
        missing = [key for key in required if not entry.get(key)]
        if missing:
            raise DataError(f"data/{name}.yml, mục {index}: thiếu {', '.join(missing)}")
        if entry["slug"] in result:
            raise DataError(f"data/{name}.yml: slug “{entry['slug']}” bị trùng")
        result[entry["slug"]] = entry
    return result


def units(data_dir=None) -> dict[str, dict]:
    """Units of Công đoàn TKV by slug: name, short, group, province, quota_per_week."""
    return _by_slug("units", data_dir, required=("slug", "name", "short"))


def categories(data_dir=None) -> dict[str, dict]:
    """Categories (kinds of item) by slug."""
    return _by_slug("categories", data_dir)


def _memoized(name: str):
    """Remember lookups in ``data/<name>.yml`` until the file changes (``invoke check`` asks
    the same few questions for every article)."""
    def wrap(func):
        cache: dict = {}

        @functools.wraps(func)
        def lookup(value: str, data_dir=None):
            path = Path(data_dir or DATA_DIR) / f"{name}.yml"
            try:
                key = (value, str(path), path.stat().st_mtime_ns)
            except OSError:
                return func(value, data_dir)
            if key not in cache:
                if len(cache) > 4096:
                    cache.clear()
                cache[key] = func(value, data_dir)
            return cache[key]
        return lookup
    return wrap


@_memoized("categories")
def find_category(value: str, data_dir=None) -> dict | None:
    """The category whose name or slug matches ``value`` (accents and case ignored)."""
    key = slugify(value)
    for entry in categories(data_dir).values():
        if key in (entry["slug"], slugify(entry["name"])):
            return entry
    return None


@_memoized("units")
def find_unit(value: str, data_dir=None) -> dict | None:
    """The unit whose slug, short name or full name matches ``value``."""
    all_units = units(data_dir)
    if value in all_units:
        return all_units[value]
    key = slugify(value)
    for entry in all_units.values():
        if key in (entry["slug"], slugify(entry["short"]), slugify(entry["name"])):
            return entry
    return None
