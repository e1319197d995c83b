"""Vietnamese text helpers: NFC on the way in, accent folding for matching, slugs."""
from __future__ import annotations

import unicodedata

from slugify import slugify as _slugify

_FOLD_EXTRA = str.maketrans({"đ": "d", "Đ": "D"})


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
    return nfc(text.replace("\r\n", "\n").replace("\r", "\n"))
