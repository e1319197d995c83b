"""Reading what reporters send: text files in whatever encoding a Windows or Mac machine
wrote, Word documents (via mammoth, with their images), and a header written with field names
or their Vietnamese labels. Used by ``newsroom.intake.ingest``; the checking itself is the schema's.

A Word file is a zip archive and may be hostile (a few hundred KB holding gigabytes of XML):
:func:`read_docx` checks it from the zip directory first (:class:`DocxLimits`), then converts it
in a separate process with a time and memory bound (``python -m newsroom.intake.submission``).
"""
from __future__ import annotations

import base64
import dataclasses
import html
import json
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from newsroom.core import schema
from newsroom.core.paths import ROOT
from newsroom.core.text import decode, nfc

_VI_SPECIFIC = set("ăâđêôơưĂÂĐÊÔƠƯ") | {chr(c) for c in range(0x1EA0, 0x1EFA)}
_VI_LETTERS = _VI_SPECIFIC | set("àáãèéìíòóõùúýÀÁÃÈÉÌÍÒÓÕÙÚÝ")
_PUNCT = set("“”‘’–—…•°±×€«»·§©®™²³½¼¾")


def read_text(data_bytes: bytes) -> tuple[str, str]:
    """Decode a text file from a Windows or Mac machine; returns ``(text, encoding)``.

    UTF-8 (with or without BOM) and UTF-16 with a BOM first; then UTF-16 without a BOM (NUL
    bytes in every other place); then Windows-1258 (legacy Vietnamese Windows), accepted only
    when the result reads as Vietnamese: every tone mark lands on a vowel and at least one
    letter exists only in Vietnamese. Raises UnicodeDecodeError otherwise.
    """
    try:
        encoding = "UTF-16" if data_bytes.startswith((b"\xff\xfe", b"\xfe\xff")) else "UTF-8"
        return decode(data_bytes), encoding
    except UnicodeDecodeError as exc:
        error = exc
    if len(data_bytes) >= 4 and len(data_bytes) % 2 == 0:
        even, odd = data_bytes[0::2], data_bytes[1::2]
        for zeros, codec in ((odd, "utf-16-le"), (even, "utf-16-be")):
            if zeros.count(0) > 0.3 * len(zeros):
                try:
                    return _normal(data_bytes.decode(codec)), "UTF-16"
                except UnicodeDecodeError:
                    pass
    try:
        text = _normal(data_bytes.decode("cp1258"))
    except UnicodeDecodeError:
        raise error from None
    letters = [c for c in text if ord(c) > 127]
    plausible = all(c in _VI_LETTERS or c in _PUNCT or c == "\u00a0" for c in letters)
    if plausible and any(c in _VI_SPECIFIC for c in letters):
        return text, "Windows-1258"
    raise error


def _normal(text: str) -> str:
    return nfc(text.replace("\r\n", "\n").replace("\r", "\n"))


_LABEL = re.compile(r"^\s*(?:\*\*|__)?(?P<key>[^\W\d_][\w \-]{0,40}?)\s*(?:\*\*|__)?\s*:"
                    r"\s*(?:\*\*|__)?\s*(?P<value>.*?)\s*(?:\*\*|__)?\s*$")


def read_header(text: str) -> schema.Header:
    """The header of a submission: ``Key: value`` lines at the top, where a key is a field
    name or its Vietnamese label (:func:`newsroom.core.schema.field_for`); blank lines between them
    are allowed (Word puts every line in a paragraph of its own)."""
    header = schema.Header()
    lines = text.split("\n")
    index, last = 0, None
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            nxt = index + 1
            while nxt < len(lines) and not lines[nxt].strip():
                nxt += 1
            match = _LABEL.match(lines[nxt]) if nxt < len(lines) else None
            if match and schema.field_for(match["key"]):
                index = nxt
                continue
            break
        match = _LABEL.match(line)
        key = schema.field_for(match["key"]) if match else None
        if not key and header.fields and (plain := _ASCII_KEY.match(line)):
            key = plain["key"].lower().replace("-", "_")  # unknown: the schema will say so
            match = plain
        if key:
            header.add(key, match["value"], index + 1)
            header.labels.setdefault(key, " ".join(match["key"].split()))
            last = key
        elif last and line.startswith((" ", "\t")):
            header.extend(last, line)
        else:
            break
        index += 1
    header.finish(lines, index)
    header.body = header.body.rstrip() + "\n"
    return header


_ASCII_KEY = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9_-]*)\s*:\s?(?P<value>.*)$")
_MD_ESCAPE = re.compile(r"\\([.\-()!+#>])")
_PROTECT = re.compile(r"^(\s*\d+\\\.|\s*\\[-+#>])")


def _unescape(markdown: str) -> str:
    """Drop the backslashes mammoth puts before harmless punctuation (keep those that stop a
    line from becoming a list or a heading)."""
    out = []
    for line in markdown.split("\n"):
        match = _PROTECT.match(line)
        keep = match[0] if match else ""
        out.append(keep + _MD_ESCAPE.sub(r"\1", line[len(keep):]))
    return "\n".join(out)


_CONTENT_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
                  "image/webp": ".webp", "image/bmp": ".bmp", "image/tiff": ".tiff",
                  "image/x-emf": ".emf", "image/x-wmf": ".wmf", "image/heic": ".heic"}


def docx_to_markdown(path: Path) -> tuple[str, list[dict]]:
    """Markdown of a Word document and its images (``{"token", "ext", "data", "alt"}``), in
    order. Image references in the Markdown are placeholder tokens until the article's slug
    is known. An image without alt text takes the caption printed just below it."""
    import mammoth

    images: list[dict] = []

    def convert(image):
        with image.open() as handle:
            content = handle.read()
        token = f"NEWSROOMIMAGE{len(images) + 1}END"
        ext = _CONTENT_TYPES.get(image.content_type or "", ".bin")
        images.append({"token": token, "ext": ext, "data": content,
                       "alt": nfc(image.alt_text or "").strip()})
        return {"src": token}

    with open(path, "rb") as handle:
        result = mammoth.convert_to_markdown(
            handle, convert_image=mammoth.images.img_element(convert))
    markdown = _unescape(_normal(result.value))
    for image in images:
        # The italic line right under a picture is its caption: it joins the picture's
        # paragraph (the site shows it under the photo) and is the alt text when Word has none.
        match = re.search(r"!\[\]\(" + image["token"]
                          + r"\)\s*\n\s*\n\s*(?P<line>(?:\*|_)(?P<cap>[^*_\n]{3,300})"
                          r"(?:\*|_))\s*(?:\n|$)", markdown)
        if not match:
            continue
        markdown = (markdown[:match.start()] + f"![]({image['token']})\n{match['line']}\n"
                    + markdown[match.end():])
        image["caption"] = match["cap"].strip()
        if not image["alt"]:
            image["alt"] = re.sub(r"^\s*(?:Ảnh|Hình)\s*\d*\s*:\s*", "", match["cap"]).strip()
            image["from_caption"] = True
    for image in images:
        alt = image["alt"].replace("]", ")").replace("[", "(")
        markdown = markdown.replace(f"![]({image['token']})", f"![{alt}]({image['token']})")
    return markdown, images


#: Author names Word and other programs put in a file by themselves, not a person's name.
_NO_AUTHOR = {"", "python-docx", "admin", "administrator", "user", "windows user", "pc",
              "microsoft office user", "microsoft office", "author", "unknown", "owner"}


def docx_author(path: Path) -> str:
    """The author Word recorded in the file (File → Info → Author), or "" when it is none or
    a name a program puts there by itself."""
    try:
        with zipfile.ZipFile(path) as archive:
            xml = archive.read("docProps/core.xml")[:200_000].decode("utf-8", "replace")
    except (KeyError, OSError, zipfile.BadZipFile, ValueError):
        return ""
    match = re.search(r"<dc:creator>([^<]{1,200})</dc:creator>", xml)
    name = nfc(html.unescape(match[1])).strip() if match else ""
    return "" if name.casefold() in _NO_AUTHOR else " ".join(name.split())


def render(fields: dict, body: str) -> str:
    """The article's Markdown: canonical field names in the template's order, then the body."""
    order = [k for k in schema.FIELDS if k in fields] + [k for k in fields
                                                         if k not in schema.FIELDS]
    lines = []
    for key in order:
        value = " ".join(str(fields[key]).split())
        if value:
            name = "Image_alt" if key == "image_alt" else "Sent_to" if key == "sent_to" else \
                key.capitalize()
            lines.append(f"{name}: {value}")
    return "\n".join(lines) + "\n\n" + body.strip("\n") + "\n"


# --- Word files, bounded ---------------------------------------------------------------------

SAVE_AGAIN = ("mở tệp bằng Word, chọn Tệp → Lưu thành… (File → Save As…), chọn kiểu “Word "
              "Document (*.docx)”, lưu thành tệp mới rồi gửi tệp mới đó")
_MB = 1024 * 1024


@dataclass(frozen=True)
class DocxLimits:
    """What a Word file may hold, read from its zip directory before anything is unpacked,
    and how long and how much memory converting it may take. Settable:
    ``ingest(..., docx_limits=DocxLimits(seconds=20))``, ``invoke ingest --docx-seconds 20``."""

    entries: int = 2000  # parts inside the archive
    total_mb: int = 300  # everything unpacked, photos included
    xml_mb: int = 10  # the text and its layout (XML), unpacked
    ratio: int = 100  # how far one part larger than 1 MB may be compressed
    seconds: float = 60.0
    memory_mb: int = 2048


class DocxRefused(Exception):
    """A Word file that is not taken: what is wrong and how to fix it in Word."""

    def __init__(self, message: str, fix: str):
        super().__init__(message)
        self.message, self.fix = message, fix


def check_docx(path: Path, limits: DocxLimits) -> None:
    """Refuse a Word file from its zip directory alone (:class:`DocxRefused`): not a zip,
    too many parts, too much once unpacked, or a part compressed like a zip bomb."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DocxRefused("tệp không phải tệp Word .docx đọc được (hỏng, chép chưa hết, hoặc "
                          "là loại tệp khác đổi đuôi thành .docx)", SAVE_AGAIN) from None
    if len(infos) > limits.entries:
        raise DocxRefused(f"tệp Word gồm {len(infos)} phần bên trong, quá giới hạn "
                          f"{limits.entries}", SAVE_AGAIN)
    total = sum(info.file_size for info in infos)
    if total > limits.total_mb * _MB:
        raise DocxRefused(f"tệp Word khi giải nén nặng {total / _MB:.0f} MB, quá giới hạn "
                          f"{limits.total_mb} MB", "gửi ảnh thành tệp .jpg riêng trong thư "
                          "mục bài thay vì chèn vào Word; hoặc " + SAVE_AGAIN)
    xml = sum(info.file_size for info in infos
              if info.filename.lower().endswith((".xml", ".rels")))
    if xml > limits.xml_mb * _MB:
        raise DocxRefused(f"phần chữ của tệp Word nặng {xml / _MB:.0f} MB, quá giới hạn "
                          f"{limits.xml_mb} MB (một bài báo thường dưới 1 MB)",
                          "tách thành nhiều bài ngắn hơn; hoặc " + SAVE_AGAIN)
    for info in infos:
        if info.file_size > _MB and info.file_size > limits.ratio * max(info.compress_size, 1):
            raise DocxRefused(
                f"phần “{info.filename}” của tệp Word nén tới "
                f"{info.file_size // max(info.compress_size, 1)} lần (tệp Word thật chỉ vài "
                f"chục lần; giới hạn {limits.ratio}), có thể là tệp độc hại", SAVE_AGAIN)


def read_docx(path: Path, limits: DocxLimits | None = None) -> tuple[str, list[dict], str]:
    """:func:`docx_to_markdown` and :func:`docx_author` of a Word file checked by :func:`check_docx`, run in a
    separate process killed after ``limits.seconds`` and held to ``limits.memory_mb``;
    every failure is a :class:`DocxRefused` with the fix in Word terms."""
    limits = limits or DocxLimits()
    command = [sys.executable, "-m", "newsroom.intake.submission", str(path),
               json.dumps(dataclasses.asdict(limits))]
    try:
        done = subprocess.run(command, capture_output=True, cwd=ROOT, timeout=limits.seconds)
    except subprocess.TimeoutExpired:
        raise DocxRefused(f"đọc tệp Word mất quá {limits.seconds:g} giây nên đã dừng (tệp quá "
                          "lớn hoặc quá phức tạp)", SAVE_AGAIN + "; nếu vẫn vậy, chép phần chữ "
                          "sang một tài liệu mới (Tệp → Mới) rồi lưu và gửi tài liệu đó") from None
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        answer = {"memory": True} if b"MemoryError" in done.stderr else {"error": "?"}
    if "refused" in answer:
        raise DocxRefused(*answer["refused"])
    if answer.get("memory"):
        raise DocxRefused(f"đọc tệp Word cần quá {limits.memory_mb} MB bộ nhớ nên đã dừng",
                          "gửi ảnh thành tệp .jpg riêng trong thư mục bài thay vì chèn vào "
                          "Word; hoặc " + SAVE_AGAIN)
    if "error" in answer:
        raise DocxRefused(f"không mở được tệp Word ({answer['error']})", SAVE_AGAIN)
    images = [{**image, "data": base64.b64decode(image["data"])} for image in answer["images"]]
    return answer["markdown"], images, answer.get("author", "")


def _worker(path: str, limits_json: str) -> dict:
    """The separate process of :func:`read_docx`: check, then convert, within its memory."""
    import resource

    limits = DocxLimits(**json.loads(limits_json))
    memory = limits.memory_mb * _MB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    try:
        check_docx(Path(path), limits)
        markdown, images = docx_to_markdown(Path(path))
        author = docx_author(Path(path))
    except DocxRefused as exc:
        return {"refused": [exc.message, exc.fix]}
    except MemoryError:
        return {"memory": True}
    except Exception as exc:  # noqa: BLE001 - a broken .docx is the reporter's to fix
        return {"error": type(exc).__name__}
    return {"markdown": markdown, "author": author, "images": [
        {**image, "data": base64.b64encode(image["data"]).decode("ascii")} for image in images]}


if __name__ == "__main__":
    sys.stdout.buffer.write(json.dumps(_worker(*sys.argv[1:3]), ensure_ascii=False).encode())
