"""The figures behind the pictures (PRODUCT.md §8): ``/stats``, ``/scorecard`` and the monthly
report. Plain data only: the charts are drawn in ``bot.views.charts``.

Counts are SQL aggregates. Money is summed exactly with ``bot.services.money`` (amounts are stored
as decimal text, which SQL cannot add exactly): only won values in the alliance's currency are
added up — there is no exchange rate to add the others with, so they are counted apart.

What counts where (decided here, said once):
- a referral is *given* and *received* when it is made (``created_at``), as in ``/ledger``; a
  cancelled one counts nowhere;
- *won value* counts when the business was won (``closed_at``), so a month's report shows the
  business closed that month;
- a *decision taken* is a proposal closed in the period; a *meeting held* is a decided meeting
  whose chosen time fell in the period (and has come);
- a member *attended* a meeting it answered *Yes* or *If need be* for at the chosen time (there is
  no roll call); a *vote cast* is one ballot of the member — never which choice (secret ballots
  stay secret);
- the scorecard covers the member's whole history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, String, and_, case, cast, false, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import zone
from bot.services import alliances, members, money
from bot.services import settings as alliance_settings
from bot.services.errors import DomainError
from bot.services.inputs import capped
from bot.services.meetings import MAYBE, SCHEDULED, YES
from bot.services.membership.roster import find_member
from bot.services.referrals import CANCELLED, WAS_ACCEPTED, WON
from storage.models import (
    Alliance,
    Availability,
    Ballot,
    Chat,
    JobRun,
    Meeting,
    Member,
    Person,
    Proposal,
    Referral,
    Role,
)

PERIOD_TEXT_LIMIT = 16
DEFAULT_DAYS = 30
MAX_DAYS = 3660
TREND_MONTHS = 6
CHART_MEMBERS = 12  # the most active members drawn; the rest would be unreadable bars
REPORT_HOUR = 9  # the monthly report: the 1st of the month at 09:00 alliance time
REPORT_JOB = "stats.monthly"

_DAYS = re.compile(r"^([0-9]{1,4})d$")
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{1,2})$")
_YEAR = re.compile(r"^([0-9]{4})$")


# -- periods ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """``since`` ≤ t < ``until`` (UTC-aware). ``kind`` and ``start`` name it for the reader:
    days (the last N days), month, quarter or year (starting at ``start``, alliance time)."""

    since: datetime
    until: datetime
    kind: str
    start: date
    days: int = 0


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _local_midnight(day: date, tz: Any) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def _span(kind: str, start: date, months: int, tz: Any) -> Period:
    return Period(_local_midnight(start, tz), _local_midnight(_add_months(start, months), tz),
                  kind, start)


def parse_period(text: str | None, now: datetime, timezone: str) -> Period:
    """``/stats [period]``: nothing (the last 30 days), ``30d``, ``month`` / ``quarter`` /
    ``year`` (the current one, alliance time), ``2026-10`` or ``2026``."""
    value = capped(text, PERIOD_TEXT_LIMIT, "stats_bad_period").strip().lower()
    tz = zone(timezone)
    today = now.astimezone(tz).date()
    if value == "":
        value = f"{DEFAULT_DAYS}d"
    if match := _DAYS.match(value):
        days = int(match.group(1))
        if not 1 <= days <= MAX_DAYS:
            raise DomainError("stats_bad_period")
        return Period(now - timedelta(days=days), now, "days", (now - timedelta(days=days)).date(),
                      days)
    if value == "month":
        return _span("month", _month_start(today), 1, tz)
    if value == "quarter":
        return _span("quarter", date(today.year, (today.month - 1) // 3 * 3 + 1, 1), 3, tz)
    if value == "year":
        return _span("year", date(today.year, 1, 1), 12, tz)
    if match := _MONTH.match(value):
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or not 2000 <= year < 9999:
            raise DomainError("stats_bad_period")
        return _span("month", date(year, month, 1), 1, tz)
    if match := _YEAR.match(value):
        year = int(match.group(1))
        if not 2000 <= year < 9999:
            raise DomainError("stats_bad_period")
        return _span("year", date(year, 1, 1), 12, tz)
    raise DomainError("stats_bad_period")


def previous_month(now: datetime, timezone: str) -> Period:
    """The calendar month before ``now``'s, in the alliance's time (the monthly report's)."""
    tz = zone(timezone)
    return _span("month", _add_months(_month_start(now.astimezone(tz).date()), -1), 1, tz)


# -- /stats ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class MemberFigures:
    member_id: int
    name: str
    given: int = 0
    received: int = 0
    won_value: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class MonthFigures:
    month: date  # its first day, alliance time
    referrals: int
    won_value: Decimal


@dataclass(slots=True)
class Stats:
    alliance_name: str
    timezone: str
    currency: str
    period: Period
    members: list[MemberFigures]  # the most active first, at most CHART_MEMBERS
    referrals: int
    won: int
    won_value: Decimal
    won_elsewhere: int  # won in another currency: counted, not added
    decisions: int
    meetings: int
    new_members: int
    trend: list[MonthFigures] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.referrals and not self.won and not any(
            m.given or m.received for m in self.members)


def _live(alliance_id: int) -> Any:
    return and_(Referral.alliance_id == alliance_id, Referral.status != CANCELLED)


def _made_in(since: datetime, until: datetime) -> Any:
    return and_(Referral.created_at >= since, Referral.created_at < until)


def _won_in(since: datetime, until: datetime) -> Any:
    return and_(Referral.status == WON, Referral.closed_at >= since, Referral.closed_at < until)


async def _counts_by(session: AsyncSession, column: Any, where: Any) -> dict[int, int]:
    rows = await session.execute(select(column, func.count()).where(where).group_by(column))
    return {key: count for key, count in rows}


async def _won_values(session: AsyncSession, where: Any, currency: str
                      ) -> tuple[dict[int, Decimal], int, int]:
    """Won value per receiver in ``currency``; how many won in all; how many in other ones."""
    rows = list(await session.execute(
        select(Referral.receiver_id, Referral.won_currency, Referral.won_value).where(where)))
    mine: dict[int, list[Decimal | None]] = {}
    for receiver_id, code, value in rows:
        if code == currency:
            mine.setdefault(receiver_id, []).append(value)
    elsewhere = sum(1 for _r, code, value in rows if code != currency and value is not None)
    return {k: money.total(v, currency) for k, v in mine.items()}, len(rows), elsewhere


async def _members(session: AsyncSession, alliance_id: int, given: dict[int, int],
                   received: dict[int, int], won: dict[int, Decimal]) -> list[MemberFigures]:
    ids = set(given) | set(received) | set(won)
    found = await session.execute(select(Member.id, Member.name, Member.status).where(
        Member.alliance_id == alliance_id,
        or_(Member.status == members.ACTIVE, Member.id.in_(ids) if ids else false())))
    rows = [MemberFigures(member_id, name, given.get(member_id, 0), received.get(member_id, 0),
                          won.get(member_id, Decimal(0)))
            for member_id, name, _status in found]
    rows.sort(key=lambda r: (-(r.given + r.received), -r.won_value, r.name.casefold(),
                             r.member_id))
    return rows[:CHART_MEMBERS]


async def _trend(session: AsyncSession, alliance_id: int, last: date, tz: Any,
                 currency: str) -> list[MonthFigures]:
    """Referrals made and value won per month, the TREND_MONTHS months ending with ``last``:
    one query of conditional counts, one of the won amounts."""
    months = [_add_months(last, -n) for n in range(TREND_MONTHS - 1, -1, -1)]
    bounds = [(_local_midnight(m, tz), _local_midnight(_add_months(m, 1), tz)) for m in months]
    counts = (await session.execute(select(*[
        func.coalesce(func.sum(case((_made_in(since, until), 1), else_=0)), 0)
        for since, until in bounds]).where(_live(alliance_id)))).one()
    won = list(await session.execute(select(Referral.closed_at, Referral.won_value).where(
        _live(alliance_id), _won_in(bounds[0][0], bounds[-1][1]),
        Referral.won_currency == currency)))
    trend = []
    for (since, until), month, count in zip(bounds, months, counts, strict=True):
        values = [value for closed, value in won if since <= _aware(closed) < until]
        trend.append(MonthFigures(month, int(count or 0), money.total(values, currency)))
    return trend


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored instant is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def _count(session: AsyncSession, query: Select[Any]) -> int:
    return int(await session.scalar(query) or 0)


async def alliance_stats(session: AsyncSession, alliance: Alliance, period: Period,
                         now: datetime) -> Stats:
    """Everything ``/stats`` and the monthly report draw, for ``period``."""
    currency = alliance_settings.read(alliance).currency
    since, until = period.since, period.until
    made = and_(_live(alliance.id), _made_in(since, until))
    given = await _counts_by(session, Referral.referrer_id, made)
    received = await _counts_by(session, Referral.receiver_id, made)
    won, won_count, elsewhere = await _won_values(
        session, and_(_live(alliance.id), _won_in(since, until)), currency)
    held_until = min(until, now)
    joined = func.coalesce(Member.joined_at, Member.created_at)
    tz = zone(alliance.timezone)
    last = _month_start((min(until, now) - timedelta(microseconds=1)).astimezone(tz).date())
    return Stats(
        alliance_name=alliance.name, timezone=alliance.timezone, currency=currency,
        period=period, members=await _members(session, alliance.id, given, received, won),
        referrals=sum(given.values()), won=won_count, won_value=money.total(list(won.values()), currency),
        won_elsewhere=elsewhere,
        decisions=await _count(session, select(func.count()).select_from(Proposal).where(
            Proposal.alliance_id == alliance.id, Proposal.closed_at >= since,
            Proposal.closed_at < until)),
        meetings=await _count(session, select(func.count()).select_from(Meeting).where(
            Meeting.alliance_id == alliance.id, Meeting.status == SCHEDULED,
            Meeting.starts_at >= since, Meeting.starts_at < held_until)),
        new_members=await _count(session, select(func.count()).select_from(Member).where(
            Member.alliance_id == alliance.id, joined >= since, joined < until)),
        trend=await _trend(session, alliance.id, last, tz, currency))


async def stats_for(session: AsyncSession, alliance: Alliance, text: str | None,
                    now: datetime) -> Stats:
    return await alliance_stats(session, alliance, parse_period(text, now, alliance.timezone), now)


# -- /scorecard ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scorecard:
    member_id: int
    name: str
    alliance_name: str
    timezone: str
    currency: str
    since: datetime | None  # when the member joined
    given: int
    received: int
    accepted: int
    won: int
    won_value: Decimal
    won_elsewhere: int
    answered: int
    average_answer: timedelta | None
    meetings_attended: int
    meetings_held: int
    votes_cast: int
    decisions: int  # proposals closed since the member joined: what it could have voted on


async def _member_named(session: AsyncSession, alliance_id: int, reference: str) -> Member:
    """``@username`` (the person's member) or what ``find_member`` takes (#id, a name)."""
    text = reference.strip()
    if text.startswith("@") and len(text) > 1:
        member = await session.scalar(
            select(Member).join(Role, Role.member_id == Member.id)
            .join(Person, Person.id == Role.person_id)
            .where(Role.alliance_id == alliance_id,
                   func.lower(Person.username) == text[1:].lower()[:64]))
        if member is None:
            raise DomainError("unknown_member")
        return member
    return await find_member(session, alliance_id, text)


async def whose_card(session: AsyncSession, alliance: Alliance, person_id: int,
                     reference: str | None) -> Member:
    """The member whose scorecard ``person_id`` may see: its own; another only for a
    coordinator (a plain member is refused, even for a name that does not exist)."""
    own = await members.member_of(session, alliance.id, person_id)
    if not (reference or "").strip():
        if own is None:
            raise DomainError("scorecard_no_member")
        return own
    role = await alliances.role_of(session, alliance.id, person_id)
    coordinator = role is not None and role.role == "coordinator"
    if not coordinator:
        named = None
        try:
            named = await _member_named(session, alliance.id, reference or "")
        except DomainError:
            pass
        if named is None or own is None or named.id != own.id:
            raise DomainError("scorecard_own_only")
        return own
    return await _member_named(session, alliance.id, reference or "")


async def _answer_times(session: AsyncSession, member_id: int) -> tuple[int, timedelta | None]:
    rows = list(await session.execute(select(Referral.created_at, Referral.answered_at).where(
        Referral.receiver_id == member_id, Referral.status != CANCELLED,
        Referral.answered_at.is_not(None))))
    if not rows:
        return 0, None
    total = sum(((_aware(answered) - _aware(made)) for made, answered in rows), timedelta())
    return len(rows), total / len(rows)


async def _attendance(session: AsyncSession, member: Member, now: datetime) -> tuple[int, int]:
    joined = member.joined_at or member.created_at
    held = and_(Meeting.alliance_id == member.alliance_id, Meeting.status == SCHEDULED,
                Meeting.starts_at <= now, Meeting.starts_at >= joined)
    total = await _count(session, select(func.count()).select_from(Meeting).where(held))
    attended = await _count(session, select(func.count(func.distinct(Meeting.id))).select_from(
        Meeting).join(Availability, and_(Availability.meeting_id == Meeting.id,
                                         Availability.slot_id == Meeting.winner_slot_id))
        .where(held, Availability.member_id == member.id,
               Availability.answer.in_((YES, MAYBE))))
    return attended, total


async def scorecard(session: AsyncSession, alliance: Alliance, member: Member,
                    now: datetime) -> Scorecard:
    currency = alliance_settings.read(alliance).currency
    live = and_(Referral.status != CANCELLED, Referral.created_at <= now)
    given = await _count(session, select(func.count()).select_from(Referral).where(
        live, Referral.referrer_id == member.id))
    received, accepted, won = (await session.execute(select(
        func.count(),
        func.coalesce(func.sum(case((Referral.status.in_(WAS_ACCEPTED), 1), else_=0)), 0),
        func.coalesce(func.sum(case((Referral.status == WON, 1), else_=0)), 0),
    ).where(live, Referral.receiver_id == member.id))).one()
    values, _won, elsewhere = await _won_values(
        session, and_(live, Referral.receiver_id == member.id, Referral.status == WON), currency)
    answered, average = await _answer_times(session, member.id)
    attended, held = await _attendance(session, member, now)
    joined = member.joined_at or member.created_at
    return Scorecard(
        member_id=member.id, name=member.name, alliance_name=alliance.name,
        timezone=alliance.timezone, currency=currency, since=joined, given=given,
        received=int(received), accepted=int(accepted or 0), won=int(won or 0),
        won_value=values.get(member.id, Decimal(0)), won_elsewhere=elsewhere, answered=answered,
        average_answer=average, meetings_attended=attended, meetings_held=held,
        votes_cast=await _count(session, select(func.count()).select_from(Ballot).where(
            Ballot.member_id == member.id)),
        decisions=await _count(session, select(func.count()).select_from(Proposal).where(
            Proposal.alliance_id == alliance.id, Proposal.closed_at.is_not(None),
            Proposal.closed_at >= joined, Proposal.closed_at <= now)))


# -- the monthly report ----------------------------------------------------------------------------


def report_due(now: datetime, timezone: str) -> datetime:
    """This month's report moment: the 1st at 09:00 alliance time."""
    tz = zone(timezone)
    local = now.astimezone(tz)
    return datetime(local.year, local.month, 1, REPORT_HOUR, tzinfo=tz)


def next_report(now: datetime, timezone: str) -> datetime:
    due = report_due(now, timezone)
    following = _add_months(due.date(), 1)
    return datetime(following.year, following.month, 1, REPORT_HOUR, tzinfo=due.tzinfo)


def report_job_id(alliance_id: int, due: datetime) -> str:
    # spelled in SQL too (_report_job_id_sql): the armer finds the runs by it
    return f"{REPORT_JOB}:{alliance_id}:{due:%Y-%m}"


@dataclass(frozen=True, slots=True)
class ReportDue:
    alliance_id: int
    due: datetime


async def reports_due(session: AsyncSession, now: datetime,
                      until: datetime | None = None) -> list[ReportDue]:
    """Per alliance with a home group and the report on: this month's report if it is still
    owed (the alliance existed at the moment, and no run is recorded: a bot that was down at
    09:00 posts when it is back, in the same month only), and next month's; with ``until``,
    only those due before it.

    A refresh runs this every 15 minutes over every alliance, so the owing is decided in SQL,
    one time zone at a time (each zone's moments worked out once): a month's report already
    posted is found by its run's job id, a moment beyond ``until`` not read at all, and only
    the alliances still owed a report come back (their settings then read for the flag). Most
    of a month no row does: reading and parsing all of them held the event loop ~12-40 ms at
    1,000 alliances on SQLite (it runs inline)."""
    homes = select(Chat.alliance_id).where(Chat.role == "home")
    zones = await session.scalars(
        select(Alliance.timezone).distinct().where(Alliance.id.in_(homes)))
    owed: list[ReportDue] = []
    for timezone in sorted(zones):
        due, following = report_due(now, timezone), next_report(now, timezone)
        in_zone = and_(Alliance.timezone == timezone, Alliance.id.in_(homes))
        if due <= now:  # this month's moment passed: owed where it did not run
            ran = select(JobRun.job_id).where(JobRun.job_id == _report_job_id_sql(due))
            owed += await _report_on(session, due, in_zone, Alliance.created_at < due,
                                     ~ran.exists())
        elif until is None or due < until:
            owed += await _report_on(session, due, in_zone)
        if until is None or following < until:
            owed += await _report_on(session, following, in_zone)
    return sorted(owed, key=lambda item: (item.alliance_id, item.due))


def _report_job_id_sql(due: datetime) -> Any:
    """``report_job_id`` spelled in SQL, for every alliance at once."""
    return (literal(f"{REPORT_JOB}:") + cast(Alliance.id, String)
            + literal(f":{due:%Y-%m}"))


async def _report_on(session: AsyncSession, due: datetime, *where: Any) -> list[ReportDue]:
    """The alliances matching ``where`` that have the report on, each owed the one at ``due``."""
    rows = await session.execute(select(Alliance.id, Alliance.settings).where(*where))
    return [ReportDue(alliance_id, due) for alliance_id, raw in rows
            if alliance_settings.stored_value(raw, "monthly_report")]


@dataclass(frozen=True, slots=True)
class Report:
    alliance: Alliance
    chat_id: int
    thread_id: int | None
    stats: Stats


async def monthly_report(session: AsyncSession, alliance_id: int, due: datetime,
                         now: datetime) -> Report | None:
    """The previous month's figures, if the report is still wanted now: the setting is on, the
    home group is there, and it is still the month it was due in (a report a month late is
    not posted)."""
    alliance = await session.get(Alliance, alliance_id)
    if alliance is None or not alliance_settings.read(alliance).monthly_report:
        return None
    if report_due(now, alliance.timezone) != due:
        return None
    home = await alliances.home_chat(session, alliance.id)
    if home is None or not home.active:
        return None
    period = previous_month(due, alliance.timezone)
    return Report(alliance, home.tg_chat_id, home.thread_id,
                  await alliance_stats(session, alliance, period, now))
