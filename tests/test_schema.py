"""The metadata schema as a reporter meets it: dates, encodings, messages."""
import datetime as dt
import unicodedata

import pytest

from newsroom.core import dates, schema
from newsroom.core.text import decode, fold, slugify


@pytest.mark.parametrize("raw, expected", [
    ("2020-05-12 08:30", (2020, 5, 12, 8, 30)),
    ("12/05/2020 08:30", (2020, 5, 12, 8, 30)),
    ("1/5/2020", (2020, 5, 1, 0, 0)),
    ("2026-11-26", (2026, 11, 26, 0, 0)),
    ("31/05/2020 23:59", (2020, 5, 31, 23, 59)),
])
def test_dates_are_read_day_first_in_vietnam_time(raw, expected):
    value = dates.parse_date(raw)
    assert (value.year, value.month, value.day, value.hour, value.minute) == expected
    assert value.utcoffset() == dt.timedelta(hours=7)


@pytest.mark.parametrize("raw", ["31/02/2020 08:00", "2020-13-01", "hôm qua", "12-05-2020"])
def test_impossible_or_unreadable_dates_are_refused_in_vietnamese(raw):
    with pytest.raises(ValueError) as info:
        dates.parse_date(raw)
    assert "ngày" in str(info.value)


def test_weekday_names_do_not_depend_on_the_os_locale():
    assert dates.vn_datetime(dates.parse_date("26/11/2026 08:30")) == "Thứ Năm, 26/11/2026 08:30"
    assert dates.vn_datetime(dates.parse_date("2026-11-29 07:05")) == "Chủ Nhật, 29/11/2026 07:05"


@pytest.mark.parametrize("data", [
    "Tiêu đề Đoàn".encode("utf-8"),
    "\ufeffTiêu đề Đoàn".encode("utf-8"),
    "Tiêu đề Đoàn".encode("utf-16"),
    unicodedata.normalize("NFD", "Tiêu đề Đoàn").encode("utf-8"),
])
def test_every_encoding_a_reporter_sends_becomes_nfc_text(data):
    assert decode(data) == "Tiêu đề Đoàn"


def test_crlf_becomes_lf():
    assert decode("Title: A\r\n\r\nBody\r\n".encode()) == "Title: A\n\nBody\n"


def test_slugs_fold_d_and_accents():
    assert slugify("Công đoàn Đèo Nai – Cọc Sáu") == "cong-doan-deo-nai-coc-sau"
    assert fold("ATVSLĐ an toàn") == "atvsld an toan"


def test_header_is_split_with_line_numbers():
    header = schema.split("Title: A\nDate: 2020-05-12\nSummary: dòng một\n    dòng hai\n\nNote: x\n")
    assert header.fields["summary"] == "dòng một dòng hai"
    assert header.lines == {"title": 1, "date": 2, "summary": 3}
    assert header.body == "Note: x\n"
    assert header.body_line == 6
