"""The referral ledger: a read model over the referrals table (PRODUCT.md §3, /ledger).

Given, received, accepted, won and won value per member and per currency, the give/receive
balance, alliance totals for a period, and a member's figures for the directory card. It only
reads; the referrals service owns every change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import zone
from bot.services import members as roster
from bot.services import money
from bot.services.errors import DomainError
from bot.services.inputs import capped
from bot.services.referrals import CANCELLED, MIN_RATINGS, WAS_ACCEPTED, WON
from storage.models import Alliance, Member, Referral

PERIOD_TEXT_LIMIT = 16  # "30d", "2026-11", "2026", "all"
# -- the ledger ---------------------------------------------------------------------------------

@dataclass(slots=True)
class LedgerRow:
    member_id: int
    name: str
    given: int = 0
    received: int = 0
    accepted: int = 0
    won: int = 0
    won_value: dict[str, Decimal] = field(default_factory=dict)
    credited: int = 0  # referrals this member gave that were won: its credit for the business
    credited_value: dict[str, Decimal] = field(default_factory=dict)

    @property
    def balance(self) -> int:
        """Given minus received: positive means the member gives more than it gets."""
        return self.given - self.received


@dataclass(slots=True)
class Ledger:
    rows: list[LedgerRow]
    totals: LedgerRow
    since: datetime | None
    until: datetime | None


def _plus(values: dict[str, Decimal], referral: Referral) -> None:
    if referral.won_value is not None and referral.won_currency:
        values[referral.won_currency] = (values.get(referral.won_currency, Decimal(0))
                                         + referral.won_value)


def _add(row: LedgerRow, referral: Referral, *, as_giver: bool, as_receiver: bool) -> None:
    if as_giver:
        row.given += 1
        if referral.status == WON:
            row.credited += 1
            _plus(row.credited_value, referral)
    if as_receiver:
        row.received += 1
        if referral.status in WAS_ACCEPTED:
            row.accepted += 1
        if referral.status == WON:
            row.won += 1
            _plus(row.won_value, referral)


def _where(alliance_id: int, since: datetime | None, until: datetime | None) -> list[Any]:
    where = [Referral.alliance_id == alliance_id, Referral.status != CANCELLED]
    if since is not None:
        where.append(Referral.created_at >= since)
    if until is not None:
        where.append(Referral.created_at < until)
    return where


async def _counts(session: AsyncSession, where: list[Any], side: Any) -> list[tuple[int, str, int]]:
    """(member, status, how many) for one side of the referrals (referrer or receiver)."""
    rows = await session.execute(select(side, Referral.status, func.count())
                                 .where(*where).group_by(side, Referral.status))
    return [(member_id, status, count) for member_id, status, count in rows]


async def _won_values(session: AsyncSession, where: list[Any]
                      ) -> tuple[dict[tuple[int, str], Decimal], dict[tuple[int, str], Decimal]]:
    """Won value per (receiver, currency) and per (referrer, currency), summed exactly in
    Python: the amounts are decimal text, which SQL cannot add without rounding."""
    rows = await session.execute(
        select(Referral.referrer_id, Referral.receiver_id, Referral.won_currency,
               Referral.won_value)
        .where(*where, Referral.status == WON, Referral.won_value.is_not(None),
               Referral.won_currency.is_not(None), Referral.won_currency != ""))
    received: dict[tuple[int, str], list[Decimal | None]] = {}
    given: dict[tuple[int, str], list[Decimal | None]] = {}
    for referrer_id, receiver_id, currency, value in rows:
        received.setdefault((receiver_id, currency), []).append(value)
        given.setdefault((referrer_id, currency), []).append(value)
    return ({key: money.total(values, key[1]) for key, values in received.items()},
            {key: money.total(values, key[1]) for key, values in given.items()})


def _add_value(values: dict[str, Decimal], currency: str, amount: Decimal) -> None:
    values[currency] = values.get(currency, Decimal(0)) + amount


async def ledger(session: AsyncSession, alliance_id: int, since: datetime | None,
                 until: datetime | None) -> Ledger:
    """Per member: given, received, accepted, won, won value per currency; alliance totals.

    Counted by when the referral was made; a cancelled one counts nowhere. Won value is credited
    to the receiver's row (it did the business) and shown per currency, never summed across.
    Counts are SQL aggregates (an alliance's whole history never loads as objects); only the
    won referrals' amounts are read, to be summed exactly.
    """
    where = _where(alliance_id, since, until)
    members = {member_id: (name, status) for member_id, name, status in await session.execute(
        select(Member.id, Member.name, Member.status).where(Member.alliance_id == alliance_id))}
    rows: dict[int, LedgerRow] = {}

    def row_of(member_id: int) -> LedgerRow:
        if member_id not in rows:
            name, _status = members.get(member_id, ("?", None))
            rows[member_id] = LedgerRow(member_id, name)
        return rows[member_id]

    for member_id, (_name, status) in members.items():
        if status == roster.ACTIVE:
            row_of(member_id)
    totals = LedgerRow(0, "")
    for member_id, status, count in await _counts(session, where, Referral.referrer_id):
        row = row_of(member_id)
        row.given += count
        totals.given += count
        if status == WON:
            row.credited += count
            totals.credited += count
    for member_id, status, count in await _counts(session, where, Referral.receiver_id):
        row = row_of(member_id)
        row.received += count
        totals.received += count
        if status in WAS_ACCEPTED:
            row.accepted += count
            totals.accepted += count
        if status == WON:
            row.won += count
            totals.won += count
    won_by_receiver, won_by_referrer = await _won_values(session, where)
    for (member_id, currency), amount in won_by_receiver.items():
        _add_value(row_of(member_id).won_value, currency, amount)
        _add_value(totals.won_value, currency, amount)
        _add_value(totals.credited_value, currency, amount)
    for (member_id, currency), amount in won_by_referrer.items():
        _add_value(row_of(member_id).credited_value, currency, amount)
    ordered = sorted(rows.values(), key=lambda r: (-r.given, -r.received, r.name.casefold(),
                                                   r.member_id))
    return Ledger(rows=ordered, totals=totals, since=since, until=until)


_PERIOD_DAYS = re.compile(r"^([0-9]{1,4})d$")
_PERIOD_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_PERIOD_YEAR = re.compile(r"^([0-9]{4})$")


def parse_period(text: str | None, now: datetime, zone: Any) -> tuple[datetime | None, datetime | None]:
    """``/ledger`` periods: nothing or ``all``; ``30d``; ``2026-11``; ``2026`` (alliance time)."""
    value = capped(text, PERIOD_TEXT_LIMIT, "referral_bad_period").strip().lower()
    if value in ("", "all"):
        return None, None
    if match := _PERIOD_DAYS.match(value):
        days = int(match.group(1))
        if days < 1:
            raise DomainError("referral_bad_period")
        return now - timedelta(days=days), None
    if match := _PERIOD_MONTH.match(value):
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or not 2000 <= year < 9999:
            raise DomainError("referral_bad_period")
        start = datetime(year, month, 1, tzinfo=zone)
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
        return start, end
    if match := _PERIOD_YEAR.match(value):
        year = int(match.group(1))
        if not 2000 <= year < 9999:  # the year after it must exist too
            raise DomainError("referral_bad_period")
        return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)
    raise DomainError("referral_bad_period")


# -- a member's stats for the directory card ----------------------------------------------------

@dataclass(frozen=True, slots=True)
class MemberStats:
    given: int
    received: int
    accepted: int
    won: int
    won_value: dict[str, Decimal]
    credited: int  # given and won
    credited_value: dict[str, Decimal]
    ratings: int
    average: Decimal | None  # shown only once it rests on MIN_RATINGS ratings

    @property
    def balance(self) -> int:
        return self.given - self.received


async def referral_stats(session: AsyncSession, member_id: int, now: datetime) -> MemberStats:
    """All-time figures for one member and its customers' average rating (≥ 3 ratings)."""
    referrals = list(await session.scalars(select(Referral).where(
        (Referral.referrer_id == member_id) | (Referral.receiver_id == member_id),
        Referral.status != CANCELLED, Referral.created_at <= now)))
    row = LedgerRow(member_id, "")
    stars: list[int] = []
    for referral in referrals:
        _add(row, referral, as_giver=referral.referrer_id == member_id,
             as_receiver=referral.receiver_id == member_id)
        if referral.receiver_id == member_id and referral.rating is not None:
            stars.append(referral.rating)
    average = None
    if len(stars) >= MIN_RATINGS:
        average = (Decimal(sum(stars)) / Decimal(len(stars))).quantize(Decimal("0.1"))
    return MemberStats(given=row.given, received=row.received, accepted=row.accepted, won=row.won,
                       won_value=dict(row.won_value), credited=row.credited,
                       credited_value=dict(row.credited_value), ratings=len(stars),
                       average=average)



def by_currency(values: dict[str, Decimal]) -> list[tuple[str, Decimal]]:
    return sorted(values.items())


async def ledger_for(session: AsyncSession, alliance: Alliance, period: str | None,
                     now: datetime) -> Ledger:
    """/ledger [period] for an alliance: the period read in the alliance's time zone."""
    since, until = parse_period(period, now, zone(alliance.timezone))
    return await ledger(session, alliance.id, since, until)
