"""Recurring meetings as a rule, not a list: an RFC 5545 RRULE read by dateutil.

The rule is kept in local wall-clock time with its zone: occurrences are computed as naive local
datetimes and only then turned into UTC instants, so "every Tuesday 19:00 in Europe/Berlin" stays
at 19:00 on both sides of a daylight-saving change (17:00 UTC in summer, 18:00 UTC in winter).
Candidate slots around an occurrence and the poll's opening are offsets in local time too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from dateutil.rrule import rrulestr

from bot.services.errors import DomainError
from bot.services.slots import localize

WEEKLY, MONTHLY_NTH, MONTHLY_DAY = "weekly", "monthly_nth", "monthly_day"
KINDS = (WEEKLY, MONTHLY_NTH, MONTHLY_DAY)
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ORDINALS = (1, 2, 3, 4, -1)  # first … fourth, last


def build_rule(kind: str, *, weekday: int | None = None, nth: int | None = None,
               day: int | None = None, at: time) -> str:
    """The RRULE for a series. A day of month past a short month's end means its last day."""
    clock = f"BYHOUR={at.hour};BYMINUTE={at.minute};BYSECOND=0"
    if kind == WEEKLY and weekday is not None and 0 <= weekday <= 6:
        return f"FREQ=WEEKLY;BYDAY={RRULE_DAYS[weekday]};{clock}"
    if kind == MONTHLY_NTH and weekday is not None and 0 <= weekday <= 6 and nth in ORDINALS:
        return f"FREQ=MONTHLY;BYDAY={nth:+d}{RRULE_DAYS[weekday]};{clock}"
    if kind == MONTHLY_DAY and day is not None and 1 <= day <= 31:
        if day <= 28:
            return f"FREQ=MONTHLY;BYMONTHDAY={day};{clock}"
        days = ",".join(str(d) for d in range(28, day + 1))
        return f"FREQ=MONTHLY;BYMONTHDAY={days};BYSETPOS=-1;{clock}"
    raise DomainError("series_bad_rule")


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One meeting of a series: its local wall time, and what its poll looks like."""

    local: datetime  # naive, in the series' zone
    at: datetime  # UTC
    slots: tuple[datetime, ...]  # UTC, sorted
    opens_at: datetime  # UTC
    closes_at: datetime  # UTC


@dataclass(frozen=True, slots=True)
class Plan:
    """A series' rule and poll settings, as plain values (a model row converts to this)."""

    rule: str
    anchor: date  # the rule's DTSTART date, local
    at: time
    zone: tzinfo
    offsets: tuple[int, ...]  # minutes around the occurrence, local wall-clock
    open_days: int
    poll_hours: int

    def occurrence(self, local: datetime) -> Occurrence:
        slots = tuple(sorted(localize(local + timedelta(minutes=m), self.zone) for m in self.offsets))
        opens_local = local - timedelta(days=self.open_days)
        opens = localize(opens_local, self.zone)
        # Wall-clock hours too: "48 h" from Saturday 19:00 ends on Monday 19:00 even when the
        # clocks change on Sunday.
        closes = min(localize(opens_local + timedelta(hours=self.poll_hours), self.zone),
                     slots[0] - timedelta(hours=1))
        return Occurrence(local=local, at=localize(local, self.zone), slots=slots, opens_at=opens,
                          closes_at=closes)

    def locals_after(self, moment: datetime) -> Iterator[datetime]:
        """Local occurrences strictly after the UTC ``moment``, in order (endless)."""
        start = datetime.combine(self.anchor, self.at)
        rule = rrulestr(self.rule, dtstart=start)
        # A day of slack: the zone's offset, whichever way, is less than that.
        local_after = moment.astimezone(self.zone).replace(tzinfo=None) - timedelta(days=1)
        for local in rule.xafter(local_after, inc=False):
            if localize(local, self.zone) > moment:
                yield local

    def occurrences(self, after: datetime, count: int) -> list[Occurrence]:
        found = []
        for local in self.locals_after(after):
            found.append(self.occurrence(local))
            if len(found) >= count:
                break
        return found

    def pending(self, now: datetime, limit: int = 3) -> Iterator[Occurrence]:
        """Occurrences whose poll still makes sense at ``now``: every candidate slot but the
        earliest may lie behind, but the poll must still be able to close before it."""
        reach = timedelta(minutes=max(0, -min(self.offsets)))
        for local in self.locals_after(now - reach):
            occurrence = self.occurrence(local)
            if occurrence.slots[0] <= now:
                continue
            yield occurrence
            limit -= 1
            if limit <= 0:
                return


def check_poll_fits(open_days: int, poll_hours: int, offsets: tuple[int, ...]) -> None:
    """The poll must be able to close at least an hour before the earliest candidate slot."""
    lead = open_days * 24 * 60 + min(offsets)
    if poll_hours * 60 > lead - 60:
        raise DomainError("series_poll_too_long")
