"""Checks on a built site before any of it leaves the machine (``invoke publish``, step 2).

:func:`verify` reads the output folder as a reader's browser and a feed reader would and returns
every :class:`Finding`: internal links and images that lead nowhere, pages without a title or a
canonical URL, feeds and sitemaps that do not parse, style sheets naming missing files, drafts
or future-dated items, empty pages, precompressed copies that differ from their original. An
empty list means the site may go out.
"""
from __future__ import annotations

import gzip
import posixpath
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html
import orjson

VN = ZoneInfo("Asia/Ho_Chi_Minh")
FEED_SUFFIXES = (".xml", ".atom", ".rss")
#: Pages that may go without a canonical URL (they are served for many URLs).
NO_CANONICAL = {"404.html"}
#: Attributes of HTML elements that point at something the site must serve.
URL_ATTRIBUTES = {
    "a": ("href",), "link": ("href",), "img": ("src", "srcset"), "source": ("src", "srcset"),
    "script": ("src",), "iframe": ("src",), "video": ("src", "poster"), "audio": ("src",),
    "track": ("src",), "embed": ("src",), "object": ("data",), "form": ("action",),
}
SKIP_LINK_RELS = {"preconnect", "dns-prefetch", "alternate-external"}


@dataclass(frozen=True)
class Finding:
    """One thing wrong in the output, named by the output file it is in."""

    path: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}"
        return f"{text}. Cách sửa: {self.fix}" if self.fix else text


class VerifyError(RuntimeError):
    """The output must not be published; ``findings`` lists every reason."""

    def __init__(self, findings: list[Finding], limit: int = 60):
        self.findings = findings
        lines = [str(f) for f in findings[:limit]]
        if len(findings) > limit:
            lines.append(f"... và {len(findings) - limit} lỗi khác")
        super().__init__(f"Kiểm tra bản dựng thất bại ({len(findings)} lỗi):\n" + "\n".join(lines))


class Site:
    """Maps the URLs written in the output to files of the output folder."""

    def __init__(self, output: Path, siteurl: str, other_bases: tuple[str, ...] = ()):
        self.output = Path(output)
        bases = [siteurl or "", *other_bases]
        self.bases = [urlsplit(b.rstrip("/")) for b in bases if b]
        base = self.bases[0] if self.bases else urlsplit("")
        self.prefix = base.path.rstrip("/")
        self.absolute = bool(urlsplit(siteurl or "").netloc)
        self.looked: set[str] | None = None

    @staticmethod
    def page_url(rel: str) -> str:
        """The root-relative URL of the output file ``rel`` (``a/b/index.html`` → ``/a/b/``)."""
        return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)

    def internal(self, url: str, page: str) -> str | None:
        """The output-relative file a URL found on ``page`` points at, or ``None`` when it is
        external (another site, ``mailto:``, ``data:``...) or a page-local ``#anchor``;
        ``""`` is the home page."""
        url = url.strip()
        if not url or url.startswith("#"):
            return None
        parts = urlsplit(url)
        if parts.scheme and parts.scheme not in ("http", "https"):
            return None
        path = parts.path or "/"
        if parts.netloc:
            if not any(parts.netloc == b.netloc for b in self.bases):
                return None
        elif not path.startswith("/"):
            path = urljoin(self.page_url(page), path)
        if self.prefix and path.startswith(self.prefix + "/"):
            path = path[len(self.prefix):]
        path = posixpath.normpath(unquote(path)) + ("/" if path.endswith("/") else "")
        return path.lstrip("/")

    def resolves(self, rel: str) -> bool:
        """Whether a web server serving the output would find ``rel`` (a folder means its
        ``index.html``). While ``looked`` is a set, the target's :func:`target_key` is added
        to it (the link index of :func:`verify_changed`)."""
        if self.looked is not None:
            self.looked.add(target_key(rel))
        target = self.output / rel
        if rel == "" or rel.endswith("/") or target.is_dir():
            return (target / "index.html").is_file()
        return target.is_file()


def siteurl_is_absolute(site: Site) -> bool:
    """A preview built with ``SITEURL = ""`` may use root-relative canonical URLs; the
    published site (absolute SITEURL) must give full addresses."""
    return site.absolute


def _srcset_urls(value: str) -> list[str]:
    return [item.strip().split()[0] for item in value.split(",") if item.strip()]


def _parse_time(value: str) -> datetime | None:
    value = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:  # RSS pubDate
            from email.utils import parsedate_to_datetime
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=VN)


def _static_prefix(pattern: str | None) -> str:
    """``ban-nhap/{slug}/index.html`` → ``ban-nhap/``: the folder every draft is written to."""
    if not pattern:
        return ""
    head = pattern.split("{", 1)[0]
    return head if "/" in head else ""


def target_key(rel: str) -> str:
    """What a link's target depends on, as one name: the file, or for a folder (``a/b/``,
    ``a/b``, ``a/b/index.html``) its name ``a/b`` (``""``: the home page). A file added or
    removed at ``rel`` changes the targets of key ``target_key(rel)``."""
    rel = rel.strip("/")
    if rel == "index.html":
        return ""
    return rel[: -len("/index.html")] if rel.endswith("/index.html") else rel


@dataclass(frozen=True)
class Checking:
    """What checking one file needs besides the file."""

    site: Site
    now: datetime
    draft_prefixes: frozenset[str]

    @classmethod
    def of(cls, output: Path, settings: dict, now: datetime | None) -> "Checking":
        siteurl = settings.get("SITEURL", "") or ""
        feed_domain = settings.get("FEED_DOMAIN") or ""
        site = Site(output, siteurl, (feed_domain,) if feed_domain and feed_domain != siteurl else ())
        drafts = {p for p in (_static_prefix(settings.get("DRAFT_SAVE_AS")),
                              _static_prefix(settings.get("DRAFT_PAGE_SAVE_AS"))) if p}
        return cls(site, now or datetime.now(VN), frozenset(drafts))

    def context(self) -> str:
        """The settings a file's findings depend on (a record made with others is not used)."""
        return repr((sorted((b.scheme, b.netloc, b.path) for b in self.site.bases),
                     sorted(self.draft_prefixes)))


def _home(output: Path) -> list[Finding]:
    if (output / "index.html").is_file():
        return []
    return [Finding("index.html", "thiếu trang chủ", "kiểm tra lại bản dựng (invoke build --strict)")]


def check_file(checking: Checking, file: Path, rel: str) -> list[Finding]:
    """Every finding of the output file ``rel``."""
    if any(rel.startswith(prefix) for prefix in checking.draft_prefixes):
        return [Finding(rel, "bản nháp nằm trong bản xuất bản",
                        "bỏ dòng Status: draft khi bài đã duyệt, hoặc dựng bằng "
                        "publishconf.py (không ghi bản nháp)")]
    if rel.endswith((".gz", ".br")):
        return _check_compressed(file, rel)
    if file.stat().st_size == 0:
        return [Finding(rel, "tệp rỗng (0 byte)", "xóa tệp hoặc dựng lại trang")]
    if rel.endswith(".html"):
        return _check_page(checking.site, file, rel, checking.now)
    if rel.endswith(FEED_SUFFIXES):
        return _check_xml(checking.site, file, rel, checking.now)
    if rel.endswith(".css"):
        return _check_css(checking.site, file, rel)
    return []


def verify(output: str | Path, settings: dict, now: datetime | None = None) -> list[Finding]:
    """Every reason the built site in ``output`` must not be published (empty: all good)."""
    output = Path(output)
    checking = Checking.of(output, settings, now)
    findings = _home(output)
    for file in sorted(p for p in output.rglob("*") if p.is_file()):
        findings.extend(check_file(checking, file, file.relative_to(output).as_posix()))
    return findings


_CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+?)["']?\s*\)""")


def _check_css(site: Site, file: Path, rel: str) -> list[Finding]:
    """Fonts and pictures a style sheet names must be there too."""
    findings = []
    for url in sorted(set(_CSS_URL.findall(file.read_text(encoding="utf-8", errors="replace")))):
        if url.startswith("data:"):
            continue
        target = site.internal(url, rel)
        if target is not None and not site.resolves(target):
            findings.append(Finding(rel, f"tệp giao diện (CSS) trỏ tới tệp không có: {url}",
                                    "thêm tệp vào theme/static hoặc sửa đường dẫn trong CSS"))
    return findings


def _check_compressed(file: Path, rel: str) -> list[Finding]:
    original = file.with_suffix("")
    if not original.is_file():
        return [Finding(rel, "bản nén không có tệp gốc đi kèm", "chạy lại bước chuẩn bị")]
    data = file.read_bytes()
    try:
        if rel.endswith(".gz"):
            plain = gzip.decompress(data)
        else:
            import brotli
            plain = brotli.decompress(data)
    except Exception as exc:  # noqa: BLE001 - any decoder error means a broken file
        return [Finding(rel, f"bản nén hỏng ({exc})", "chạy lại bước chuẩn bị")]
    if plain != original.read_bytes():
        return [Finding(rel, "bản nén khác tệp gốc", "chạy lại bước chuẩn bị")]
    return []


def _check_page(site: Site, file: Path, rel: str, now: datetime) -> list[Finding]:
    findings = []
    try:
        doc = lxml.html.fromstring(file.read_bytes())
    except (lxml.etree.ParserError, ValueError) as exc:
        return [Finding(rel, f"không đọc được HTML ({exc})", "dựng lại trang")]
    title = doc.find(".//title")
    if title is None or not (title.text_content() or "").strip():
        findings.append(Finding(rel, "trang không có tiêu đề <title>",
                                "kiểm tra khối title của mẫu trang (theme/templates)"))
    canonical = doc.xpath("//link[@rel='canonical']/@href")
    if not canonical and rel not in NO_CANONICAL:
        findings.append(Finding(rel, "trang thiếu đường dẫn chuẩn <link rel=\"canonical\">",
                                "thêm thẻ canonical vào theme/templates/base.html"))
    for href in canonical:
        target = site.internal(href, rel)
        absolute = href.startswith(("http://", "https://"))
        if target is None or not absolute and (siteurl_is_absolute(site) or not href.startswith("/")):
            findings.append(Finding(rel, f"đường dẫn chuẩn không phải địa chỉ đầy đủ của trang: "
                                         f"{href}", "dùng SITEURL trong thẻ canonical"))
        elif not site.resolves(target):
            findings.append(Finding(rel, f"đường dẫn chuẩn dẫn tới trang không có: {href}",
                                    "sửa thẻ canonical của mẫu trang"))
    body = doc.find(".//main")
    if body is None:
        body = doc.find(".//body")
    if body is None or not " ".join(body.text_content().split()):
        findings.append(Finding(rel, "trang rỗng (không có nội dung)",
                                "kiểm tra nội dung nguồn và mẫu trang"))
    findings.extend(_check_links(site, doc, rel))
    for element in doc.xpath("//article//time[@datetime]"):
        moment = _parse_time(element.get("datetime"))
        if moment and moment > now:
            findings.append(Finding(rel, f"có tin bài đề ngày trong tương lai ({element.get('datetime')})",
                                    "sửa Date: của bài, hoặc đợi đến ngày đăng rồi xuất bản"))
            break
    for value in doc.xpath("//meta[@property='article:published_time']/@content"):
        moment = _parse_time(value)
        if moment and moment > now:
            findings.append(Finding(rel, f"bài đề ngày trong tương lai ({value})",
                                    "sửa Date: của bài, hoặc đợi đến ngày đăng rồi xuất bản"))
    return findings


def _check_links(site: Site, doc, rel: str) -> list[Finding]:
    findings, seen = [], set()
    for element in doc.iter(*URL_ATTRIBUTES):
        if element.tag == "link" and set((element.get("rel") or "").split()) & SKIP_LINK_RELS:
            continue
        for attribute in URL_ATTRIBUTES[element.tag]:
            value = element.get(attribute)
            if not value:
                continue
            urls = _srcset_urls(value) if attribute == "srcset" else [value]
            for url in urls:
                target = site.internal(url, rel)
                if target is None or url in seen:
                    continue
                seen.add(url)
                if not site.resolves(target):
                    kind = "ảnh" if element.tag in ("img", "source") else "liên kết"
                    findings.append(Finding(rel, f"{kind} tới trang/tệp không có: {url}",
                                            "sửa đường dẫn trong bài hoặc thêm tệp còn thiếu"))
    for value in doc.xpath("//meta[starts-with(@property, 'og:')]/@content"):
        if value.startswith(("http://", "https://")):
            target = site.internal(value, rel)
            if target is not None and not site.resolves(target) and value not in seen:
                seen.add(value)
                findings.append(Finding(rel, f"thẻ chia sẻ trỏ tới tệp không có: {value}",
                                        "kiểm tra ảnh đại diện (Image:) của bài"))
    return findings


def _local(tag) -> str:
    return lxml.etree.QName(tag).localname if isinstance(tag, str) else ""


def _check_xml(site: Site, file: Path, rel: str, now: datetime) -> list[Finding]:
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = lxml.etree.parse(str(file), parser).getroot()
    except lxml.etree.XMLSyntaxError as exc:
        return [Finding(rel, f"tệp XML (feed/sitemap) không đọc được: {exc}",
                        "dựng lại; nếu còn lỗi, kiểm tra ký tự lạ trong tiêu đề/tóm tắt bài")]
    findings = []
    kind = _local(root.tag)
    urls: list[str] = []
    if kind in ("urlset", "sitemapindex"):
        urls = [(e.text or "").strip() for e in root.iter() if _local(e.tag) == "loc"]
    elif kind in ("feed", "rss", "RDF"):
        for element in root.iter():
            name = _local(element.tag)
            if name == "link" and element.get("href") and element.get("rel", "alternate") == "alternate":
                urls.append(element.get("href"))
            elif name == "link" and (element.text or "").strip():
                urls.append(element.text.strip())
            elif name in ("published", "pubDate") and element.text:
                moment = _parse_time(element.text)
                if moment and moment > now:
                    findings.append(Finding(rel, f"feed có tin đề ngày trong tương lai ({element.text.strip()})",
                                            "sửa Date: của bài, hoặc đợi đến ngày đăng"))
    for url in urls:
        target = site.internal(url, rel)
        if target is not None and not site.resolves(target):
            findings.append(Finding(rel, f"địa chỉ trong {kind} không có trên trang: {url}",
                                    "dựng lại; kiểm tra cấu hình URL"))
    return findings


def check(output: str | Path, settings: dict, now: datetime | None = None) -> None:
    """Raise :class:`VerifyError` listing every finding, if any."""
    findings = verify(output, settings, now)
    if findings:
        raise VerifyError(findings)



# --- verification of what changed -------------------------------------------------------

INDEX_VERSION = 2


@dataclass
class LinkIndex:
    """Per output file: the sha256 it was checked at, its findings (``[message, fix]``) and the
    targets its links, images, feeds and style sheet resolve (:func:`target_key`, as numbers in
    ``keys``), kept between publishes (``verify_changed``). Kept as it is read and written: at
    10,000 articles it holds some 65,000 files and 750,000 links, and making objects of them all
    would cost more than checking the few files that changed."""

    context: str = ""
    checked_at: float = 0.0  # the moment future dates were compared with (a timestamp)
    files: dict[str, list] = None  # type: ignore[assignment]  rel → [sha, findings, key numbers]
    keys: list[str] = None  # type: ignore[assignment]
    checked: int = 0  # files checked when this index was made (not kept)

    def __post_init__(self):
        self.files = self.files or {}
        self.keys = self.keys or []
        self._numbers = {key: i for i, key in enumerate(self.keys)}

    def number(self, key: str) -> int:
        found = self._numbers.get(key)
        if found is None:
            found = self._numbers[key] = len(self.keys)
            self.keys.append(key)
        return found

    def dependents(self, keys: set[str]) -> set[str]:
        """The files whose links resolve one of ``keys``."""
        wanted = {self._numbers[key] for key in keys if key in self._numbers}
        if not wanted:
            return set()
        return {rel for rel, (_, _, looked) in self.files.items() if not wanted.isdisjoint(looked)}

    def findings(self, rel: str) -> list[Finding]:
        return [Finding(rel, message, fix) for message, fix in self.files[rel][1]]

    def to_json(self) -> bytes:
        return orjson.dumps({"version": INDEX_VERSION, "context": self.context,
                             "checked_at": self.checked_at, "keys": self.keys,
                             "files": self.files})

    @classmethod
    def from_json(cls, text: bytes | str) -> "LinkIndex | None":
        try:
            data = orjson.loads(text)
            if data["version"] != INDEX_VERSION:
                return None
            keys, files = data["keys"], data["files"]
            if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)
                    and isinstance(files, dict)):
                return None
            size = len(keys)
            for entry in files.values():
                sha, found, looked = entry
                if not (isinstance(sha, str) and isinstance(found, list)
                        and all(isinstance(f, list) and len(f) == 2
                                and all(isinstance(x, str) for x in f) for f in found)
                        and isinstance(looked, list)
                        and all(isinstance(i, int) and 0 <= i < size for i in looked)):
                    return None
            return cls(data["context"], float(data["checked_at"]), files, keys)
        except (ValueError, KeyError, TypeError, IndexError):
            return None


def _order(rel: str) -> tuple[str, ...]:
    return tuple(rel.split("/"))  # as sorted paths are: part by part


def _to_check(index: LinkIndex, shas: dict[str, str]) -> set[str]:
    """The files whose findings may differ from the index's: new or changed bytes, those
    linking to a file added or removed, the compressed copies of a changed file, and those
    that had findings (a date in the future may have become today)."""
    todo = {rel for rel, sha in shas.items()
            if rel not in index.files or index.files[rel][0] != sha}
    appeared = {rel for rel in shas if rel not in index.files}
    vanished = set(index.files) - set(shas)
    todo |= index.dependents({target_key(rel) for rel in appeared | vanished})
    todo |= {rel + suffix for rel in todo | vanished for suffix in (".gz", ".br")
             if rel + suffix in shas}
    todo |= {rel for rel, (_, found, _) in index.files.items() if found and rel in shas}
    return todo


def verify_changed(output: str | Path, settings: dict, shas: dict[str, str],
                   index: LinkIndex | None, now: datetime | None = None
                   ) -> tuple[list[Finding], LinkIndex]:
    """:func:`verify`'s findings for ``output``, whose files are ``shas`` (output-relative
    name → sha256), checking again only what may have changed since ``index`` (every file
    when ``index`` is None, or was made with other settings or at a later moment). Returns
    the findings and the index for the next time."""
    output = Path(output)
    checking = Checking.of(output, settings, now)
    moment = checking.now.timestamp()
    if index is None or index.context != checking.context() or index.checked_at > moment:
        index = LinkIndex()
    todo = set(shas) if not index.files else _to_check(index, shas)
    # The key numbers of the files not checked again stay valid: the table is shared.
    fresh = LinkIndex(checking.context(), moment, keys=index.keys, checked=len(todo))
    findings = _home(output)
    for rel in sorted(shas, key=_order):
        if rel in todo:
            checking.site.looked = set()
            found = check_file(checking, output / rel, rel)
            fresh.files[rel] = [shas[rel], [[f.message, f.fix] for f in found],
                                [fresh.number(key) for key in sorted(checking.site.looked)]]
            findings.extend(found)
        else:
            fresh.files[rel] = index.files[rel]
            if index.files[rel][1]:
                findings.extend(index.findings(rel))
    checking.site.looked = None
    return findings, fresh
