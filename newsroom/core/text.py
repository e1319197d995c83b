"""Vietnamese text helpers: NFC on the way in, accent folding for matching, slugs."""
from __future__ import annotations

import re
import unicodedata

from slugify import slugify as _slugify

_FOLD_EXTRA = str.maketrans({"đ": "d", "Đ": "D"})


#: Characters no HTML page or XML feed may hold: C0 controls but tab and line feed, DEL, lone
#: surrogates and the non-characters U+FFFE/U+FFFF. A feed with one of them is not XML at all.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """``text`` without the characters of :data:`_UNPRINTABLE`."""
    return _UNPRINTABLE.sub("", text) if _UNPRINTABLE.search(text) else text


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC (files saved on a Mac arrive as NFD)."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lowercase and drop every diacritic, đ/Đ included: "ATVSLĐ" -> "atvsld"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD_EXTRA))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.translate(_FOLD_EXTRA).casefold()


def slugify(text: str) -> str:
    """ASCII slug with đ folded to d: "Công đoàn cơ sở" -> "cong-doan-co-so"."""
    return _slugify(nfc(text).translate(_FOLD_EXTRA))


def number(value: int) -> str:
    """A whole number as Vietnamese write it, thousands set off by dots: 10000 -> "10.000"."""
    return f"{value:,}".replace(",", ".")


def decode(data: bytes) -> str:
    """Text from the bytes a Windows or Mac machine writes: UTF-8 (with or without BOM) or
    UTF-16 with BOM; CRLF and CR line ends become LF, and the result is NFC.

    Raises UnicodeDecodeError when the bytes are in none of these encodings.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        text = data.decode("utf-8-sig")
    return printable(nfc(text.replace("\r\n", "\n").replace("\r", "\n")))
