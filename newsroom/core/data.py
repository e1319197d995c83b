"""The project's data files (``data/*.yml``): the one place each list lives.

Every step (the build's plugins, ``invoke check``, ``invoke ingest``, reports) reads the lists
through this module, so a unit or a category is added in one file and nowhere else.
"""
from __future__ import annotations

import datetime as dt
import functools
import os
import re
from pathlib import Path

import yaml

from newsroom.core.paths import DATA_DIR
from newsroom.core.text import fold, nfc, printable, slugify

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: same result, faster
_EMAIL = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[a-z]{2,}", re.I)


class DataError(ValueError):
    """A data file is missing, malformed or inconsistent."""


@functools.lru_cache(maxsize=64)
def _load(path: Path, mtime_ns: int):
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DataError(f"{path}: không đọc được tệp dữ liệu ({exc.strerror})") from None
    try:
        return _printable(yaml.load(nfc(raw), Loader=_LOADER))
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: tệp YAML sai cú pháp: {exc}") from None


def _printable(value):
    """``value`` with every string in it NFC and without the characters no page or feed may
    hold (a YAML escape such as ``"\\0"`` writes one; a feed holding it is not XML)."""
    if isinstance(value, str):
        return printable(nfc(value))
    if isinstance(value, list):
        return [_printable(v) for v in value]
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    return value


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
    """Units of Công đoàn TKV by slug: name, short, group, province, quota_per_week; optional
    ``author`` (the default author of its articles) and ``trusted`` (its shared-folder
    submissions skip the editors' queue)."""
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
            # os.path, not Path: this runs for every article a build reads
            path = os.path.join(data_dir or DATA_DIR, f"{name}.yml")
            try:
                key = (value, path, os.stat(path).st_mtime_ns)
            except OSError:
                return func(value, data_dir)
            if key not in cache:
                if len(cache) > 4096:
                    cache.clear()
                cache[key] = func(value, data_dir)
            return cache[key]
        return lookup
    return wrap


def _find(entries: dict[str, dict], value: str, names=("name",)) -> dict | None:
    """The entry whose slug or one of ``names`` matches ``value`` (accents, case ignored)."""
    if value in entries:
        return entries[value]
    key = slugify(value)
    for entry in entries.values():
        if key == entry["slug"] or any(key == slugify(entry.get(n) or "") for n in names):
            return entry
    return None


@_memoized("categories")
def find_category(value: str, data_dir=None) -> dict | None:
    """The category whose name or slug matches ``value``."""
    return _find(categories(data_dir), value)


#: Words a unit's name is written with or without: "Công đoàn", "Công ty", "Cổ phần", "CP",
#: "CĐ", "- TKV", "- Vinacomin" (as slug words, matched anywhere in the name).
_UNIT_NOISE = (("cong", "doan"), ("cong", "ty"), ("co", "phan"), ("ctcp",), ("cp",), ("cd",),
               ("tkv",), ("vinacomin",))


def unit_core(value: str) -> str:
    """The words that tell one unit from another: ``"CÔNG TY  Than Mạo Khê - TKV"`` and
    ``"Công đoàn Công ty Than Mạo Khê - TKV"`` both give ``"than mao khe"`` (case, accents,
    NFD, spaces, dashes and the words of :data:`_UNIT_NOISE` ignored)."""
    words = slugify(value).split("-")
    out, index = [], 0
    while index < len(words):
        for noise in _UNIT_NOISE:
            if tuple(words[index:index + len(noise)]) == noise:
                index += len(noise)
                break
        else:
            out.append(words[index])
            index += 1
    return " ".join(out or [w for w in words if w])


@functools.lru_cache(maxsize=16)
def _unit_keys(stamp) -> dict[str, set[str]]:
    """Every core a unit answers to (its slug, full name, short name), by slug."""
    return {slug: {unit_core(entry.get(key) or "") for key in ("slug", "name", "short")} - {""}
            for slug, entry in units(stamp[0]).items()}


@_memoized("units")
def match_unit(value: str, data_dir=None) -> tuple[dict | None, list[dict]]:
    """The one matcher of a unit written the way people write it (folder names, ``Unit:``,
    ``Đơn vị:``): ``(unit, [])`` when exactly one unit answers; ``(None, candidates)`` when
    several do (all of them, ambiguous) or none does (the closest, at most three)."""
    known = units(data_dir)
    if value in known:
        return known[value], []
    core = unit_core(value)
    keys = _unit_keys(_stamp(data_dir, "units"))
    found = [slug for slug, cores in keys.items() if core in cores]
    if len(found) == 1:
        return known[found[0]], []
    if found:
        return None, [known[slug] for slug in found]
    near = [slug for slug, cores in keys.items() if core and any(
        f" {core} " in f" {c} " for c in cores)]
    if not near:
        import difflib

        scored = sorted(((max(difflib.SequenceMatcher(None, core, c).ratio() for c in cores),
                          slug) for slug, cores in keys.items()), reverse=True)
        near = [slug for ratio, slug in scored[:3] if ratio >= 0.5]
    return None, [known[slug] for slug in near[:3]]


def unit_refusal(value: str, data_dir=None) -> tuple[str, str]:
    """``(message, fix)`` for a unit :func:`match_unit` does not find: ambiguous or unknown,
    with the closest units named."""
    _, near = match_unit(value, data_dir)
    core = unit_core(value)
    several = len(near) > 1 and all(core in _unit_keys(_stamp(data_dir, "units"))[u["slug"]]
                                    for u in near)
    message = (f"“{value}” là tên của nhiều đơn vị: {unit_names(near)}" if several else
               f"“{value}” không phải tên một đơn vị trong danh sách đơn vị")
    fix = ("ghi rõ tên đơn vị" if several else
           (f"có phải là {unit_names(near)}? Ghi" if near else "ghi")
           + " đúng tên ngắn (như “Than Mạo Khê”), tên đầy đủ hoặc slug (như “than-mao-khe”) "
           "của đơn vị trong danh sách data/units.yml")
    return message, fix


def find_unit(value: str, data_dir=None) -> dict | None:
    """The unit ``value`` names (:func:`match_unit`), or None when none or several do."""
    return match_unit(value, data_dir)[0]


def unit_names(candidates: list[dict]) -> str:
    """``“Than Mạo Khê” (than-mao-khe), ...``: closest units as a message names them."""
    return ", ".join(f"“{u['short']}” ({u['slug']})" for u in candidates)


def unit_author(unit: dict) -> tuple[str, bool]:
    """The author an article of ``unit`` gets when it names none: the unit's ``author``
    field; else ``"Công đoàn <short name>"`` (second value False: derived, not listed)."""
    if unit.get("author"):
        return str(unit["author"]).strip(), True
    short = str(unit["short"]).strip()
    return (short if fold(short).startswith("cong doan") else f"Công đoàn {short}"), False


OUTLET_KINDS = {"portal": "cổng thông tin", "press": "báo chí", "social": "mạng xã hội"}


def outlets(data_dir=None) -> dict[str, dict]:
    """Outlets an article is also sent to (``Sent_to:``) and clipping sources, by slug:
    name, url, kind (portal/press/social), optional weekly_min (items the plan asks per week)."""
    result = _by_slug("outlets", data_dir, required=("slug", "name", "kind"))
    for slug, entry in result.items():
        if entry["kind"] not in OUTLET_KINDS:
            raise DataError(f"data/outlets.yml, mục “{slug}”: loại “{entry['kind']}” không hợp lệ;"
                            f" chọn một trong: {', '.join(OUTLET_KINDS)}")
        minimum = entry.get("weekly_min", 0) or 0
        if not isinstance(minimum, int) or minimum < 0:
            raise DataError(f"data/outlets.yml, mục “{slug}”: weekly_min phải là số nguyên ≥ 0")
    return result


def find_outlet(value: str, data_dir=None) -> dict | None:
    """The outlet whose slug or name matches ``value`` (accents and case ignored)."""
    return _find(outlets(data_dir), value)


#: Recurring kinds of campaign (``family`` in data/campaigns.yml).
CAMPAIGN_FAMILIES = {
    "thang-cong-nhan": "Tháng Công nhân",
    "ky-niem-cong-doan": "Kỷ niệm Ngày thành lập Công đoàn Việt Nam",
    "tet": "Tết Nguyên đán",
    "dien-hinh-tien-tien": "Điển hình tiên tiến",
}

#: Groups of themes (``group`` in data/themes.yml), in the plan's order (section II).
THEME_GROUPS = {
    "noi-dung-chuyen-sau": "Nội dung chuyên sâu",
    "thong-tin-thuong-xuyen": "Thông tin thường xuyên",
    "su-kien": "Sự kiện truyền thông",
    "nguoi-tot-viec-tot": "Người tốt, việc tốt",
    "thong-diep": "Thông điệp truyền thông",
}


def _as_date(value, where: str):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise DataError(f"{where}: ngày “{value}” phải viết dạng YYYY-MM-DD") from None


def _words(entry: dict, key: str, where: str) -> list[str]:
    value = entry.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise DataError(f"{where}: “{key}” phải là danh sách")
    return [nfc(str(v)).strip() for v in value if str(v).strip()]


def _stamp(data_dir, *names) -> tuple:
    folder = Path(data_dir or DATA_DIR)
    stamps = []
    for name in names:
        try:
            stamps.append((folder / f"{name}.yml").stat().st_mtime_ns)
        except OSError:
            stamps.append(None)
    return (str(folder), *stamps)


def _body_hits(entry: dict, where: str):
    value = entry.get("body_hits")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise DataError(f"{where}: body_hits phải là số nguyên từ 1 trở lên")
    return value


#: A campaign's hashtag as Facebook and Zalo link it: "#" then letters, digits or "_", no
#: space or punctuation (a hashtag stops at the first one), at most 60 characters.
_HASHTAG = re.compile(r"#[^\W]{1,60}")


def _hashtags(entry: dict, where: str) -> list[str]:
    tags = _words(entry, "hashtags", where)
    for tag in tags:
        if not _HASHTAG.fullmatch(tag):
            bare = tag.lstrip("#")
            fixed = "#" + (bare if re.fullmatch(r"[^\W]+", bare) else
                           "".join(ch for ch in slugify(bare).title() if ch.isalnum()))
            raise DataError(f"{where}: hashtags: “{tag}” không phải một thẻ # dùng được trên "
                            "Facebook, Zalo (bắt đầu bằng #, chỉ chữ và số viết liền, tối đa "
                            f"60 ký tự). Cách sửa: viết “{fixed[:61]}”")
    return tags


def themes(data_dir=None) -> dict[str, dict]:
    """Content themes by slug (data/themes.yml): name, group, parent, description, keywords.
    Checked once per version of the file; treat the result as read-only."""
    return _themes(_stamp(data_dir, "themes"))


def campaigns(data_dir=None) -> dict[str, dict]:
    """Communication campaigns by slug (data/campaigns.yml), dates as ``datetime.date``:
    name, family, year, start, end (inclusive, Vietnam time), slogan, description, banner,
    keywords, themes, hashtags (for the social posts). Checked once per version of the files; treat the result as read-only."""
    return _campaigns(_stamp(data_dir, "campaigns", "themes"))


def _check_entry(where: str, slug: str, label: str, kind: str, kinds) -> None:
    """A theme's or campaign's slug is ASCII and its group/family is a known one."""
    if slugify(slug) != slug:
        raise DataError(f"{where}: slug phải viết không dấu, dạng “{slugify(slug)}”")
    if kind not in kinds:
        raise DataError(f"{where}: {label} “{kind}” không có; chọn một trong: "
                        + ", ".join(kinds))


@functools.lru_cache(maxsize=16)
def _themes(stamp) -> dict[str, dict]:
    data_dir = stamp[0]
    result = {}
    raw = _by_slug("themes", data_dir, required=("slug", "name", "group"))
    for slug, entry in raw.items():
        where = f"data/themes.yml, chủ đề “{slug}”"
        _check_entry(where, slug, "nhóm", entry["group"], THEME_GROUPS)
        parent = entry.get("parent") or None
        if parent and parent not in raw:
            raise DataError(f"{where}: chủ đề cha “{parent}” không có trong tệp")
        result[slug] = {**entry, "parent": parent, "description": entry.get("description", ""),
                        "keywords": _words(entry, "keywords", where),
                        "body_hits": _body_hits(entry, where)}
    return result


@functools.lru_cache(maxsize=16)
def _campaigns(stamp) -> dict[str, dict]:
    data_dir = stamp[0]
    known_themes = themes(data_dir)
    result = {}
    raw = _by_slug("campaigns", data_dir,
                   required=("slug", "name", "family", "year", "start", "end"))
    for slug, entry in raw.items():
        where = f"data/campaigns.yml, chiến dịch “{slug}”"
        _check_entry(where, slug, "loại", entry["family"], CAMPAIGN_FAMILIES)
        start = _as_date(entry["start"], where)
        end = _as_date(entry["end"], where)
        if end < start:
            raise DataError(f"{where}: ngày kết thúc {end} sớm hơn ngày bắt đầu {start}")
        try:
            year = int(entry["year"])
        except (TypeError, ValueError):
            raise DataError(f"{where}: năm “{entry['year']}” không phải số") from None
        served = _words(entry, "themes", where)
        unknown = [t for t in served if t not in known_themes]
        if unknown:
            raise DataError(f"{where}: chủ đề {', '.join(unknown)} không có trong "
                            "data/themes.yml")
        result[slug] = {**entry, "year": year, "start": start, "end": end,
                        "slogan": entry.get("slogan") or "",
                        "description": entry.get("description") or "",
                        "banner": entry.get("banner") or "",
                        "keywords": _words(entry, "keywords", where), "themes": served,
                        "hashtags": _hashtags(entry, where),
                        "body_hits": _body_hits(entry, where)}
    return result


#: data/site.yml: the items a Vietnamese information site must show (name, what it means).
SITE_REQUIRED = {
    "operator": "cơ quan chủ quản", "licence": "số giấy phép", "licence_issuer": "nơi cấp giấy phép",
    "editor": "người chịu trách nhiệm nội dung", "address": "địa chỉ", "phone": "điện thoại",
    "email": "thư điện tử",
}
SITE_LINKS = ("fanpage", "zalo", "youtube", "legal_fanpage", "legal_zalo")
SITE_OPTIONAL = ("legal_email", "legal_subject", *SITE_LINKS)


def site_info(data_dir=None) -> dict[str, str]:
    """Who runs the site (data/site.yml), every item a plain string ("" when not given).
    A link must start with https://, an e-mail must look like one; an unknown key is an
    error (a misspelt item would silently stay empty)."""
    path = Path(data_dir or DATA_DIR) / "site.yml"
    raw = load("site", data_dir) if path.exists() else {}  # no file: every item empty
    raw = raw or {}
    if not isinstance(raw, dict):
        raise DataError("data/site.yml: tệp phải gồm các dòng “mục: giá trị”")
    known = (*SITE_REQUIRED, *SITE_OPTIONAL)
    unknown = [k for k in raw if k not in known]
    if unknown:
        raise DataError(f"data/site.yml: mục “{unknown[0]}” không có; các mục dùng được: "
                        + ", ".join(known))
    info = {}
    for key in known:
        value = raw.get(key)
        if value is not None and not isinstance(value, (str, int)):
            raise DataError(f"data/site.yml, mục “{key}”: phải là một dòng chữ")
        info[key] = nfc(str(value if value is not None else "")).strip()
    for key in SITE_LINKS:
        if info[key] and not info[key].startswith("https://"):
            raise DataError(f"data/site.yml, mục “{key}”: đường dẫn phải bắt đầu bằng https://, "
                            f"ví dụ https://www.facebook.com/congdoantkv")
    for key in ("email", "legal_email"):
        if info[key] and not _EMAIL.fullmatch(info[key]):
            raise DataError(f"data/site.yml, mục “{key}”: “{info[key]}” không phải địa chỉ "
                            "thư, ví dụ toasoan@congdoantkv.vn")
    return info


def site_missing(info: dict[str, str]) -> list[str]:
    """The required items of data/site.yml left empty, as "key (meaning)"."""
    return [f"{key} ({meaning})" for key, meaning in SITE_REQUIRED.items() if not info.get(key)]
