"""Campaigns of the communication plan: the calendar facts they are built on, and their status.

The list itself lives in ``data/campaigns.yml`` (read through :mod:`newsroom.core.data`). This module
holds what can be computed rather than typed: the anniversary number of the Vietnam Trade Union
(founded 28/7/1929), the Lunar New Year (Tết) of a year and its campaign window, the sexagenary
(can chi) name of a lunar year, and whether a campaign is upcoming, running or over on a day.

Lunar dates come from ``lunardate``, which follows the Chinese calendar (UTC+8). Vietnam's
calendar (UTC+7) agrees with it for every Tết in the data (2021–2026), but in rare
years the two differ by a day (Tết 2007 fell on 17/2 in Vietnam, 18/2 in China): when adding a
Tết campaign, compare with the Vietnamese calendar published for that year.
"""
from __future__ import annotations

import datetime as dt

from newsroom.core import dates
from newsroom.core.dates import TZ

#: Ngày thành lập Công đoàn Việt Nam.
FOUNDED = dt.date(1929, 7, 28)

STEMS = ("Giáp", "Ất", "Bính", "Đinh", "Mậu", "Kỷ", "Canh", "Tân", "Nhâm", "Quý")
BRANCHES = ("Tý", "Sửu", "Dần", "Mão", "Thìn", "Tỵ", "Ngọ", "Mùi", "Thân", "Dậu", "Tuất", "Hợi")

UPCOMING, RUNNING, ENDED = "sap-dien-ra", "dang-dien-ra", "da-ket-thuc"
STATUS_LABELS = {UPCOMING: "Sắp diễn ra", RUNNING: "Đang diễn ra", ENDED: "Đã kết thúc"}


def anniversary_number(year: int) -> int:
    """How many years the Vietnam Trade Union turns on 28/7 of ``year`` (2020 → 91)."""
    if year <= FOUNDED.year:
        raise ValueError(f"năm {year} không sau năm thành lập Công đoàn Việt Nam (1929)")
    return year - FOUNDED.year


def anniversary_name(year: int) -> str:
    """"Kỷ niệm 91 năm Ngày thành lập Công đoàn Việt Nam (28/7/1929 - 28/7/2020)"."""
    return (f"Kỷ niệm {anniversary_number(year)} năm Ngày thành lập Công đoàn Việt Nam "
            f"(28/7/1929 - 28/7/{year})")


def can_chi(year: int) -> str:
    """The sexagenary name of the lunar year that starts in ``year``: 2021 → "Tân Sửu"."""
    return f"{STEMS[(year + 6) % 10]} {BRANCHES[(year + 8) % 12]}"


def tet_date(year: int) -> dt.date:
    """Mùng 1 Tết (first day of the first lunar month) of ``year``, from ``lunardate``."""
    from lunardate import LunarDate

    return LunarDate(year, 1, 1).to_solar_date()


def tet_window(year: int) -> tuple[dt.date, dt.date]:
    """The Tết campaign window: from 1 tháng Chạp of the year before to Rằm tháng Giêng
    (15th of the first lunar month), when Tết care, visits and miners' Tết take place."""
    from lunardate import LunarDate

    return (LunarDate(year - 1, 12, 1).to_solar_date(),
            LunarDate(year, 1, 15).to_solar_date())


def today(setting=None) -> dt.date:
    """The build date: ``NEWSROOM_TODAY`` (a date or ``YYYY-MM-DD``) or today in Vietnam."""
    if setting in (None, ""):
        return dt.datetime.now(TZ).date()
    if isinstance(setting, dt.date):
        return local_day(setting)
    try:
        return dt.date.fromisoformat(str(setting).strip())
    except ValueError:
        raise ValueError(f"NEWSROOM_TODAY = {setting!r}: hãy viết ngày dạng YYYY-MM-DD") from None


def status(campaign: dict, on: dt.date) -> str:
    """``sap-dien-ra``, ``dang-dien-ra`` or ``da-ket-thuc`` on day ``on`` (windows inclusive)."""
    if on < campaign["start"]:
        return UPCOMING
    if on > campaign["end"]:
        return ENDED
    return RUNNING


def local_day(when: dt.datetime | dt.date) -> dt.date:
    """The day of ``when`` in Vietnam time (an aware datetime is converted, a naive one is
    taken as written): the day a campaign window is read in."""
    return dates.local(when).date() if isinstance(when, dt.datetime) else when


def in_window(campaign: dict, when: dt.datetime | dt.date) -> bool:
    """Whether ``when`` (an aware datetime is taken in Vietnam time) is inside the window."""
    return campaign["start"] <= local_day(when) <= campaign["end"]
