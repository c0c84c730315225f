"""The ``.ics`` file that goes with a decided meeting (RFC 5545, written with icalendar).

The UID is stable per meeting, so a calendar that imports the file twice updates one event.
DTSTART carries the alliance's zone (with its VTIMEZONE), the length is a DURATION, and a place
that is a link is also given as URL.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from bot.i18n import zone

PRODID = "-//Alliance Bot//Meetings//EN"
_URL = re.compile(r"https?://\S+", re.IGNORECASE)


def meeting_uid(meeting_id: int) -> str:
    return f"meeting-{meeting_id}@alliance-bot"


def ics_bytes(*, meeting_id: int, title: str, starts_at: datetime, duration_min: int,
              place: str | None, timezone: str, now: datetime) -> bytes:
    # icalendar (with pytz and dateutil, ~3 MB) is loaded by the first meeting decided, not at
    # start-up: most bots never send a calendar file
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", meeting_uid(meeting_id))
    event.add("dtstamp", now)
    event.add("dtstart", starts_at.astimezone(zone(timezone)))
    event.add("duration", timedelta(minutes=duration_min))
    event.add("summary", title)
    if place:
        event.add("location", place)
        link = _URL.search(place)
        if link:
            event.add("url", link.group(0))
    calendar.add_component(event)
    # The zone's rules for the event's year only: with decades of RDATE lists some readers
    # (dateutil's tzical, hence vobject) get the offset wrong.
    year = starts_at.astimezone(zone(timezone)).year
    calendar.add_missing_timezones(first_date=date(year, 1, 1), last_date=date(year + 1, 1, 1))
    return calendar.to_ical()


def ics_name(title: str) -> str:
    """A file name people recognise, safe on every system."""
    stem = re.sub(r"[^\w\- ]+", "", title, flags=re.UNICODE).strip().replace(" ", "-")[:40]
    return f"{stem or 'meeting'}.ics"
