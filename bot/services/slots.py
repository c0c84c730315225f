"""Reading a meeting slot the way people type it: pure, with a fixed ``now`` and zone.

Accepted, in any mix of English and Chinese, full- or half-width:
- a date: ``2026-12-03``, ``2026/12/3``, ``2026年12月3日``, ``12/3`` and ``12月3日`` (month/day:
  this year, or next year once that day is past), ``today`` / ``tomorrow`` / ``今天`` / ``明天`` /
  ``后天`` (``後天``), a weekday — ``Tue``, ``Tuesday``, ``週二``, ``周二``, ``星期二``, ``禮拜二``
  (the coming one: the first such day whose time is still ahead), ``next Tue`` (a week after
  the coming one); in Chinese a named week counts calendar weeks starting on Monday, as a
  Chinese speaker does: ``這週二`` / ``本周二`` is Tuesday of this week, ``下週二`` / ``下周二`` /
  ``下个星期二`` Tuesday of next week (said on a Friday: four days ahead, not eleven) and
  ``下下週二`` Tuesday of the week after;
- a time: ``19:00``, ``7pm``, ``7:30 pm``, ``19点``, ``晚上7點半``, ``下午3点15分``.

The date and the time are wall-clock times in the alliance's zone; the result is the UTC
instant. A time that does not exist locally (the hour skipped when clocks go forward) is moved
forward by the gap, as calendars do.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.services.errors import DomainError
from bot.services.inputs import capped

WEEKDAY_NAMES = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5,
    "saturday": 5, "sun": 6, "sunday": 6,
}
CHINESE_DAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "1": 0,
                "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
SLOT_LIMIT = 80  # one date and time, however it is written
RELATIVE_DAYS = {"today": 0, "tomorrow": 1, "今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2,
                 "後天": 2}

_ISO_DATE = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号號]?(?!\d)")
_MONTH_DAY = re.compile(r"(?<![\d:])(\d{1,2})\s*(?:/|月)\s*(\d{1,2})\s*[日号號]?(?![\d:])")
_RELATIVE = re.compile("|".join(sorted(RELATIVE_DAYS, key=len, reverse=True)))
_EN_WEEKDAY = re.compile(
    r"\b(next\s+)?(" + "|".join(sorted(WEEKDAY_NAMES, key=len, reverse=True)) + r")\b\.?")
_ZH_WEEKDAY = re.compile(
    r"(?:(下\s*下|下|这|這|本)\s*(?:个|個)?\s*)?(?:週|周|星期|禮拜|礼拜)\s*([一二三四五六日天1-7])")
ZH_WEEK_OFFSETS = {"这": 0, "這": 0, "本": 0, "下": 1, "下下": 2}
_CLOCK = re.compile(r"(?<!\d)(\d{1,2})\s*:\s*(\d{2})(?!\d)\s*(am|pm|a\.m\.|p\.m\.)?")
_HOUR_ONLY = re.compile(r"(?<!\d)(\d{1,2})\s*(am|pm|a\.m\.|p\.m\.)")
_ZH_TIME = re.compile(
    r"(凌晨|早上|上午|中午|下午|傍晚|晚上)?\s*(\d{1,2})\s*[点點时時]\s*(?:(半)|(\d{1,2})\s*分?)?")
_ZH_DAYPART = re.compile(r"凌晨|早上|上午|中午|下午|傍晚|晚上")
_PM_PARTS = {"下午", "傍晚", "晚上"}
_LENGTH = re.compile(
    r"(?:(?P<days>[0-9]+(?:\.[0-9]+)?)(?:d|days?|天))?"
    r"(?:(?P<hours>[0-9]+(?:\.[0-9]+)?)(?:h|hrs?|hours?|个?小时|個?小時|个?钟头|個?鐘頭))?"
    r"(?:(?P<minutes>[0-9]+)(?P<unit>m|min|mins|minutes?|分钟|分鐘|分)?)?")
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_NUMBER = re.compile(r"[零〇一二两兩三四五六七八九十百]+")
_ZH_UNIT = r"(天|个?小时|個?小時|个?钟头|個?鐘頭)"
# "2天半", "1个半小时", "半小時", "半天": the half after a unit, before it, or alone.
_HALF_AFTER = re.compile(r"(\d+)" + _ZH_UNIT + r"半")
_HALF_INSIDE = re.compile(r"(\d+)(?:个|個)半(小时|小時|钟头|鐘頭)")
_HALF_ALONE = re.compile(r"(?<![\d.])半(?:个|個)?(天|小时|小時|钟头|鐘頭)")
_ISO_T = re.compile(r"(?<=\d)t(?=\d)")
_FILLER = re.compile(r"[\s,，、;；@]|\bat\b|\bon\b|的")


@dataclass(frozen=True, slots=True)
class Slot:
    """What was understood: the local wall-clock moment and the UTC instant it means."""

    local: datetime
    utc: datetime


def localize(naive: datetime, zone: tzinfo) -> datetime:
    """A local wall-clock time in ``zone`` as a UTC instant. A time skipped when the clocks go
    forward reads with the offset before the change, i.e. it moves forward by the gap; a time
    that happens twice (clocks going back) is the first of the two."""
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def parse_slot(text: str, *, now: datetime, zone: tzinfo) -> Slot:
    """Parse one slot; ``DomainError`` ``slot_unparsed`` / ``slot_bad_date`` / ``slot_in_past``."""
    raw = capped(text, SLOT_LIMIT, "slot_unparsed", text=(text or "")[:SLOT_LIMIT])
    text = _ISO_T.sub(" ", unicodedata.normalize("NFKC", raw).strip().lower())
    if not text or len(text) > SLOT_LIMIT:
        raise DomainError("slot_unparsed", text=raw)
    today = now.astimezone(zone).date()
    clock, text = _take_time(text, raw)
    if clock is None:
        raise DomainError("slot_unparsed", text=raw[:SLOT_LIMIT])
    chooser, text = _take_date(text, today, raw)
    if chooser is None or _FILLER.sub("", text):
        raise DomainError("slot_unparsed", text=raw[:SLOT_LIMIT])
    day = chooser(clock, now, zone)
    moment = datetime.combine(day, clock)
    try:
        instant = localize(moment, zone)
    except OverflowError:  # 9999-12-31 23:00 west of Greenwich is in the year 10000 in UTC
        raise DomainError("slot_bad_date", text=raw[:SLOT_LIMIT]) from None
    if instant <= now:
        raise DomainError("slot_in_past", text=raw[:SLOT_LIMIT])
    return Slot(local=instant.astimezone(zone), utc=instant)


def parse_clock(text: str) -> time | None:
    """A time of day alone (``19:00``, ``7pm``, ``晚上7点``), or None."""
    if len(text) > SLOT_LIMIT:
        return None
    normalized = unicodedata.normalize("NFKC", text).strip().lower()
    try:
        clock, rest = _take_time(normalized, text)
    except DomainError:
        return None
    return clock if clock is not None and not _FILLER.sub("", rest) else None


def parse_length(text: str, *, bare: str | None = "minutes") -> int | None:
    """A length of time as people type it → whole minutes, or None: ``90``, ``90 min``,
    ``1.5h``, ``1h30``, ``36小时``, ``36小時``, ``3天``, ``三天``, ``2天半``, ``一个半小时``,
    ``1天12小時``, ``10d``. A bare number
    counts in ``bare`` (minutes for a meeting's length; None: a unit is required, as for a
    proposal's deadline, where a bare ``36`` could mean anything). One parser for the meeting
    wizard and the proposal wizard, so both read the same words."""
    if len(text) > SLOT_LIMIT:
        return None
    narrowed = "".join(unicodedata.normalize("NFKC", char)
                       if unicodedata.east_asian_width(char) == "F" else char for char in text)
    raw = re.sub(r"\s", "", narrowed.lower())  # full-width ３６小時 read, ² or ١٢ not digits
    match = _LENGTH.fullmatch(_chinese_length(raw))
    if not raw or match is None or not any(match.groups()):
        return None
    if match["minutes"] and not match["unit"] and bare is None and not match["hours"]:
        return None  # 1h30 is 1 h 30 min; a lone 36 is not a deadline
    minutes = float(match["days"] or 0) * 24 * 60 + float(match["hours"] or 0) * 60
    return round(minutes + int(match["minutes"] or 0))


def _zh_number(numeral: str) -> str:
    """三 → 3, 十二 → 12, 两 → 2, 一百二十 → 120 (what people write for a length)."""
    total, digit = 0, 0
    for char in numeral:
        if char == "百":
            total, digit = total + (digit or 1) * 100, 0
        elif char == "十":
            total, digit = total + (digit or 1) * 10, 0
        else:
            digit = digit * 10 + _ZH_DIGITS[char] if digit else _ZH_DIGITS[char]
    return str(total + digit)


def _chinese_length(text: str) -> str:
    """Chinese numerals as digits and a half as .5: 三天 → 3天, 两天半 → 2.5天, 一个半小时 →
    1.5小时, 半小時 → 0.5小時."""
    text = _ZH_NUMBER.sub(lambda match: _zh_number(match[0]), text)
    text = _HALF_INSIDE.sub(r"\1.5\2", text)
    text = _HALF_AFTER.sub(r"\1.5\2", text)
    return _HALF_ALONE.sub(r"0.5\1", text)


def _cut(text: str, match: re.Match[str]) -> str:
    return text[:match.start()] + " " + text[match.end():]


def _take_time(text: str, raw: str) -> tuple[time | None, str]:
    hour = minute = None
    match = _CLOCK.search(text)
    suffix = None
    if match:
        hour, minute, suffix = int(match.group(1)), int(match.group(2)), match.group(3)
    else:
        match = _HOUR_ONLY.search(text)
        if match:
            hour, minute, suffix = int(match.group(1)), 0, match.group(2)
        else:
            match = _ZH_TIME.search(text)
            if match:
                hour = int(match.group(2))
                minute = 30 if match.group(3) else int(match.group(4) or 0)
                if match.group(1) in _PM_PARTS and hour < 12:
                    hour += 12
    if match is None or hour is None or minute is None:
        return None, text
    rest = _cut(text, match)
    part = _ZH_DAYPART.search(rest)
    if part is not None and match.re is _CLOCK:  # 晚上 7:30
        if part.group(0) in _PM_PARTS and hour < 12:
            hour += 12
        rest = _cut(rest, part)
    if suffix is not None:
        if not 1 <= hour <= 12:
            raise DomainError("slot_unparsed", text=raw[:SLOT_LIMIT])
        hour = hour % 12 + (12 if suffix.startswith("p") else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise DomainError("slot_unparsed", text=raw[:SLOT_LIMIT])
    return time(hour, minute), rest


DayChooser = Callable[[time, datetime, tzinfo], date]


def _take_date(text: str, today: date, raw: str) -> tuple[DayChooser | None, str]:
    """Find the date part; returns a function (clock, now, zone) -> date, and the rest."""
    match = _ISO_DATE.search(text)
    if match:
        day = _valid_date(int(match.group(1)), int(match.group(2)), int(match.group(3)), raw)
        return (lambda _c, _n, _z: day), _cut(text, match)
    match = _MONTH_DAY.search(text)
    if match:
        month, dom = int(match.group(1)), int(match.group(2))
        _valid_date(today.year if (month, dom) != (2, 29) else 2028, month, dom, raw)

        def month_day(clock: time, now: datetime, zone: tzinfo) -> date:
            for year in range(today.year, today.year + 9):
                try:
                    day = date(year, month, dom)
                except ValueError:
                    continue  # 29 February
                if localize(datetime.combine(day, clock), zone) > now:
                    return day
            raise DomainError("slot_bad_date", text=raw[:SLOT_LIMIT])

        return month_day, _cut(text, match)
    match = _RELATIVE.search(text)
    if match:
        day = today + timedelta(days=RELATIVE_DAYS[match.group(0)])
        return (lambda _c, _n, _z: day), _cut(text, match)
    match = _ZH_WEEKDAY.search(text)
    if match:
        day_of_week = CHINESE_DAYS[match.group(2)]
        if match.group(1) is None:  # 週二 alone: the coming one
            return _weekday(day_of_week, False, today), _cut(text, match)
        week = ZH_WEEK_OFFSETS[re.sub(r"\s", "", match.group(1))]
        day = today - timedelta(days=today.weekday()) + timedelta(weeks=week, days=day_of_week)
        return (lambda _c, _n, _z: day), _cut(text, match)
    match = _EN_WEEKDAY.search(text)
    if match:
        return _weekday(WEEKDAY_NAMES[match.group(2)], bool(match.group(1)), today), _cut(text, match)
    return None, text


def _weekday(weekday: int, next_week: bool, today: date) -> DayChooser:
    """The coming ``weekday`` (``Tue``, ``週二``), or the one a week after it (English ``next Tue``:
    kept so, as many English speakers mean it; Chinese ``下週二`` counts calendar weeks instead)."""

    def choose(clock: time, now: datetime, zone: tzinfo) -> date:
        day = today + timedelta(days=(weekday - today.weekday()) % 7)
        if localize(datetime.combine(day, clock), zone) <= now:
            day += timedelta(days=7)
        return day + timedelta(days=7) if next_week else day

    return choose


def _valid_date(year: int, month: int, day: int, raw: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DomainError("slot_bad_date", text=raw[:SLOT_LIMIT]) from None
