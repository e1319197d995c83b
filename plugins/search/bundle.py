"""Make Pagefind's bundle the same bytes for the same pages.

Pagefind 1.5.2 names every file of its bundle by a hash of the file's content, and every file but
the filter indexes comes out the same on every run over the same pages. A filter index
(``filter/<lang>_<hash>.pf_filter``: ``[filter, [[value, [page, ...]], ...]]`` in CBOR) lists
its values in the order of a Rust ``HashMap`` with a random seed per process
(``pagefind/src/index/mod.rs``, "TODO: Change filter indexes to BTree to give them a stable
hash"), and the language's metadata file (``pagefind.<lang>_<hash>.pf_meta``) lists the filters
in that order too. So each run renames the four filter files, the metadata file and changes
``pagefind-entry.json``, and every publish sends them again.

:func:`stabilize` sorts the values of each filter and the filters of each metadata file by
name (code point order, as Pagefind's own later versions do), then names the files again the
way Pagefind names them (the first characters of the SHA-1 of the CBOR, as many as Pagefind
used) and points the metadata file and ``pagefind-entry.json`` at the new names. The browser
reads filters into maps, so the order of values means nothing to it; the pages of each value
are not touched.

Nothing is rewritten unless every file decodes and encodes back to exactly its own bytes with
the small CBOR codec below (text, integers, arrays, maps: what Pagefind writes), so a future
Pagefind with another layout is left as it is (:class:`UnknownBundle`), never broken.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import struct
from pathlib import Path

MAGIC = b"pagefind_dcd"  # what Pagefind puts before the CBOR of every gzipped file


class UnknownBundle(ValueError):
    """The bundle is not laid out as this module expects (another Pagefind version)."""


# --- CBOR: the subset Pagefind writes (minicbor, definite lengths, shortest integers) ------

def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for extra, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | extra]) + struct.pack(fmt, n)
    raise UnknownBundle(f"số quá lớn cho CBOR: {n}")


def encode(value) -> bytes:
    out = bytearray()

    def put(v):
        if isinstance(v, bool) or v is None:
            raise UnknownBundle(f"kiểu CBOR không hỗ trợ: {v!r}")
        if isinstance(v, int):
            out.extend(_head(0, v) if v >= 0 else _head(1, -1 - v))
        elif isinstance(v, str):
            data = v.encode("utf-8")
            out.extend(_head(3, len(data)) + data)
        elif isinstance(v, bytes):
            out.extend(_head(2, len(v)) + v)
        elif isinstance(v, list):
            out.extend(_head(4, len(v)))
            for item in v:
                put(item)
        elif isinstance(v, dict):
            out.extend(_head(5, len(v)))
            for key, item in v.items():
                put(key)
                put(item)
        else:
            raise UnknownBundle(f"kiểu CBOR không hỗ trợ: {type(v).__name__}")

    put(value)
    return bytes(out)


def decode(data: bytes):
    pos = 0

    def take():
        nonlocal pos
        if pos >= len(data):
            raise UnknownBundle("CBOR bị cắt")
        first = data[pos]
        pos += 1
        major, info = first >> 5, first & 31
        if info < 24:
            n = info
        elif info <= 27:
            size = 1 << (info - 24)
            n = int.from_bytes(data[pos:pos + size], "big")
            pos += size
        else:
            raise UnknownBundle(f"CBOR không hỗ trợ (byte {first:#x})")
        if major == 0:
            return n
        if major == 1:
            return -1 - n
        if major in (2, 3):
            chunk = data[pos:pos + n]
            pos += n
            return bytes(chunk) if major == 2 else chunk.decode("utf-8")
        if major == 4:
            return [take() for _ in range(n)]
        if major == 5:
            return {take(): take() for _ in range(n)}
        raise UnknownBundle(f"CBOR không hỗ trợ (loại {major})")

    value = take()
    if pos != len(data):
        raise UnknownBundle("CBOR thừa dữ liệu")
    return value


# --- the bundle -----------------------------------------------------------------------------

def read(path: Path):
    """The value in one of Pagefind's gzipped CBOR files, checked to encode back exactly."""
    raw = gzip.decompress(path.read_bytes())
    if not raw.startswith(MAGIC):
        raise UnknownBundle(f"{path.name}: không có dấu {MAGIC.decode()}")
    body = raw[len(MAGIC):]
    value = decode(body)
    if encode(value) != body:
        raise UnknownBundle(f"{path.name}: mã hóa lại không ra đúng các byte cũ")
    return value


def _write(folder: Path, prefix: str, suffix: str, language: str, digits: int, value) -> str:
    """Write ``value`` as Pagefind would, named by its hash; return the name's hash part."""
    body = encode(value)
    digest = hashlib.sha1(body).hexdigest()
    data = gzip.compress(MAGIC + body, compresslevel=9, mtime=0)
    for length in range(digits, len(digest) + 1):  # a longer name on a clash, as Pagefind does
        name = f"{language}_{digest[:length]}"
        path = folder / f"{prefix}{name}{suffix}"
        if not path.exists() or gzip.decompress(path.read_bytes()) == MAGIC + body:
            path.write_bytes(data)
            return name
    raise UnknownBundle(f"trùng tên tệp {prefix}…{suffix}")


def _digits(name: str, language: str) -> int:
    if not name.startswith(language + "_"):
        raise UnknownBundle(f"tên tệp lạ: {name}")
    return len(name) - len(language) - 1


def stabilize(bundle: Path) -> int:
    """Rewrite the filter indexes and metadata of ``bundle`` in a fixed order (see the module
    docstring); return how many files were renamed. Raises :class:`UnknownBundle` (nothing
    changed) if the bundle is not what Pagefind 1.5 writes."""
    entry_path = bundle / "pagefind-entry.json"
    entry_text = entry_path.read_text(encoding="utf-8")
    languages = json.loads(entry_text).get("languages")
    if not isinstance(languages, dict):
        raise UnknownBundle("pagefind-entry.json không có “languages”")
    # Read and check everything first: a bundle we do not understand stays untouched.
    plans = []
    for language, info in sorted(languages.items()):
        meta_path = bundle / f"pagefind.{info['hash']}.pf_meta"
        meta = read(meta_path)
        if not (isinstance(meta, list) and len(meta) > 3 and isinstance(meta[3], list)
                and all(isinstance(f, list) and len(f) == 2 and all(isinstance(x, str) for x in f)
                        for f in meta[3])):
            raise UnknownBundle(f"{meta_path.name}: không thấy danh sách bộ lọc")
        filters = []
        for name, short in meta[3]:
            path = bundle / "filter" / f"{short}.pf_filter"
            index = read(path)
            if not (isinstance(index, list) and len(index) == 2 and index[0] == name
                    and isinstance(index[1], list)
                    and all(isinstance(v, list) and len(v) == 2 and isinstance(v[0], str)
                            for v in index[1])):
                raise UnknownBundle(f"{path.name}: không phải chỉ mục bộ lọc “{name}”")
            filters.append((name, short, path, index))
        plans.append((language, info["hash"], meta_path, meta, filters))

    stale = []  # old files, removed once everything new is written and pointed at
    for language, meta_hash, meta_path, meta, filters in plans:
        entries = []
        for name, short, path, index in sorted(filters, key=lambda f: f[0]):
            index[1].sort(key=lambda value: value[0])
            new = _write(path.parent, "", ".pf_filter", language, _digits(short, language), index)
            if new != short:
                stale.append(path)
            entries.append([name, new])
        meta[3] = entries
        new_meta = _write(bundle, "pagefind.", ".pf_meta", language,
                          _digits(meta_hash, language), meta)
        if new_meta != meta_hash:
            stale.append(meta_path)
            old, new = f'"hash":"{meta_hash}"', f'"hash":"{new_meta}"'
            if entry_text.count(old) != 1:
                raise UnknownBundle(f"pagefind-entry.json: không thấy {old}")
            entry_text = entry_text.replace(old, new)
    if stale:
        entry_path.write_text(entry_text, encoding="utf-8")
        for path in stale:
            path.unlink()
    return len(stale)
