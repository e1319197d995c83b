"""Dates as the union writes them: Asia/Ho_Chi_Minh, day first, independent of OS locales."""
from __future__ import annotations

import datetime as dt
import functools
import re
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")

_ISO = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?$"
)
_VN = re.compile(
    r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})"
    r"(?:,?\s+(?P<H>\d{1,2})[:h](?P<M>\d{2})(?::(?P<S>\d{2}))?)?$"
)

ACCEPTED = "2020-05-12 08:30 hoặc 12/05/2020 08:30 (ngày/tháng/năm giờ:phút)"


def parse_date(value: str) -> dt.datetime:
    """Parse ``2020-05-12 08:30`` or ``12/05/2020 08:30`` as Vietnam local time.

    Raises ValueError with a Vietnamese message for an unknown shape or an impossible date.
    """
    text = " ".join(str(value).replace("_", " ").split())
    match = _ISO.match(text) or _VN.match(text)
    if not match:
        raise ValueError(f"không đọc được ngày “{value}”; hãy viết theo dạng {ACCEPTED}")
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    try:
        return dt.datetime(
            parts["y"], parts["m"], parts["d"], parts["H"], parts["M"], parts["S"], tzinfo=TZ
        )
    except ValueError:
        raise ValueError(
            f"ngày “{value}” không tồn tại (ngày {parts['d']}, tháng {parts['m']}, "
            f"năm {parts['y']}, {parts['H']:02d}:{parts['M']:02d}); hãy kiểm tra lại"
        ) from None


def local(value: dt.datetime) -> dt.datetime:
    """The same instant in Vietnam time (naive values are taken as Vietnam time)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=TZ)
    return value.astimezone(TZ)


# Templates write the same dates many times (a list page its first and last date, an article
# its own): each is formatted once (datetimes are hashable; equal ones are the same instant).
@functools.lru_cache(maxsize=8192)
def vn_datetime(value: dt.datetime) -> str:
    """"Thứ Năm, 26/11/2026 08:30"."""
    value = local(value)
    return f"{WEEKDAYS[value.weekday()]}, {value:%d/%m/%Y %H:%M}"


@functools.lru_cache(maxsize=8192)
def vn_date(value: dt.datetime) -> str:
    """"26/11/2026"."""
    return f"{local(value):%d/%m/%Y}"
