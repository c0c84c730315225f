"""Referral hand-offs and the fair ledger (PRODUCT.md §3).

A referral moves ``sent → accepted | declined | expired | cancelled`` and, once accepted,
``→ contacted → won | lost``. Every move is one conditional UPDATE (``WHERE status IN …``), so
when two people of the receiving member press Accept and Decline at once exactly one wins and
the other is told what happened. Every move is also a ``ReferralEvent`` with who and when.

Privacy: the customer's name and contact live on the referral row only. They are never written
to events, the audit log, errors or logs, and are purged a set time after the referral closes.
Who may see the contact is decided here (``may_see_contact``), not by the views.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import members as roster
from bot.services import money, settings
from bot.services.errors import DomainError
from bot.services.inputs import capped
from bot.services.settings import AllianceSettings, currencies
from storage.models import Alliance, Member, Referral, ReferralCard, ReferralEvent

SENT, ACCEPTED, DECLINED, EXPIRED = "sent", "accepted", "declined", "expired"
CONTACTED, WON, LOST, CANCELLED = "contacted", "won", "lost", "cancelled"
OPEN = (SENT, ACCEPTED, CONTACTED)
IN_HAND = (ACCEPTED, CONTACTED)  # accepted by the receiver, not closed yet
CLOSED = (DECLINED, EXPIRED, WON, LOST, CANCELLED)
WAS_ACCEPTED = (ACCEPTED, CONTACTED, WON, LOST)
URGENCIES = ("hot", "warm", "cold")

EXPIRE_AFTER = timedelta(hours=72)
NUDGE_AFTER = timedelta(days=7)
RATING_WINDOW = timedelta(days=14)
FAIRNESS_WINDOW = timedelta(days=90)
MIN_RATINGS = 3
DRAFT_LIFETIME = timedelta(hours=24)  # an abandoned /refer wizard holds a contact: drop it

NAME_LIMIT = 100
CONTACT_LIMIT = 200
NEED_LIMIT = 1000
REASON_LIMIT = 300
COMMENT_LIMIT = 300
MAX_AMOUNT = money.MAX_AMOUNT


# -- settings -----------------------------------------------------------------------------------


# -- validation of what people type -------------------------------------------------------------


def parse_money(text: str, default_currency: str) -> tuple[Decimal, str]:
    """``12000``, ``12,000.50 TWD`` or ``usd 300`` → (Decimal, ISO 4217 code): ``money.parse``
    with the referral's own refusal codes."""
    return money.parse(text, default_currency, prefix="referral")


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-.]{5,}$")
_HANDLE = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$")
_URL = re.compile(r"^(https?://)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/\S*)?$")


def _printable(text: str | None) -> str:
    """No control characters (PostgreSQL refuses NUL; none belongs in a name or a contact)."""
    return "".join(ch for ch in (text or "") if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def clean_contact(text: str) -> str:
    """A phone number, an e-mail address, a Telegram @username or a website."""
    value = " ".join(_printable(capped(text, 4 * CONTACT_LIMIT, "referral_bad_contact")).split())
    if not value or len(value) > CONTACT_LIMIT:
        raise DomainError("referral_bad_contact")
    if _PHONE.match(value):
        if not 6 <= sum(ch.isdigit() for ch in value) <= 15:
            raise DomainError("referral_bad_contact")
        return value
    if _EMAIL.match(value) or _HANDLE.match(value) or _URL.match(value):
        return value
    raise DomainError("referral_bad_contact")


def clean_text(text: str, limit: int, code: str) -> str:
    value = _printable(capped(text, 4 * limit, code, limit=limit)).strip()
    if not value or value.startswith("/"):
        raise DomainError(code, limit=limit)
    if len(value) > limit:
        raise DomainError(code, limit=limit)
    return value


# -- choosing the receiver ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Suggestion:
    member: Member
    received: int  # referrals received in the fairness window


async def categories(session: AsyncSession, alliance_id: int, referrer_id: int) -> list[str]:
    rows = await session.scalars(
        select(Member.category).where(Member.alliance_id == alliance_id,
                                      Member.status == roster.ACTIVE, Member.id != referrer_id,
                                      Member.category.is_not(None))
        .distinct().order_by(Member.category))
    return [row for row in rows if row]


async def suggest(session: AsyncSession, alliance_id: int, category: str | None, referrer_id: int,
                  now: datetime, *, skip: tuple[int, ...] = (), limit: int = 8) -> list[Suggestion]:
    """Active members (of ``category``), fewest referrals received lately first.

    Never the referrer, never a suspended member, never anyone in ``skip`` (who declined it).
    Ties go to whoever received one longest ago (never first), then by name: round robin.
    """
    since = now - FAIRNESS_WINDOW
    counts = (
        select(Referral.receiver_id.label("member_id"), func.count().label("received"),
               func.max(Referral.created_at).label("last"))
        .where(Referral.alliance_id == alliance_id, Referral.created_at >= since,
               Referral.status != CANCELLED)
        .group_by(Referral.receiver_id).subquery()
    )
    query = (
        select(Member, func.coalesce(counts.c.received, 0), counts.c.last)
        .outerjoin(counts, counts.c.member_id == Member.id)
        .where(Member.alliance_id == alliance_id, Member.status == roster.ACTIVE,
               Member.id != referrer_id)
    )
    if category is not None:
        query = query.where(Member.category == category)
    if skip:
        query = query.where(Member.id.not_in(skip))
    rows = list(await session.execute(query))
    rows.sort(key=lambda row: (row[1], row[2] is not None, row[2] or now, row[0].name.casefold(),
                               row[0].id))
    return [Suggestion(member=row[0], received=row[1]) for row in rows[:limit]]


async def find_members(session: AsyncSession, alliance_id: int, text: str, referrer_id: int,
                       *, limit: int = 8) -> list[Member]:
    wanted = (text or "").strip().casefold()
    if not wanted or len(wanted) > NAME_LIMIT:  # longer than any member's name
        return []
    found = [member for member in await roster.active_members(session, alliance_id)
             if member.id != referrer_id and wanted in member.name.casefold()]
    exact = [member for member in found if member.name.casefold() == wanted]
    return (exact or found)[:limit]


async def start(session: AsyncSession, alliance_id: int, person_id: int) -> Member:
    """May this person refer now? Returns the member they refer for."""
    return await roster.require_active_member(session, alliance_id, person_id)


async def receiver_for(session: AsyncSession, alliance_id: int, person_id: int,
                       receiver_id: int) -> Member:
    """A receiver chosen in the wizard: an active member of the alliance, not oneself."""
    referrer = await roster.require_active_member(session, alliance_id, person_id)
    receiver = await session.get(Member, receiver_id)
    if receiver is None or receiver.alliance_id != alliance_id:
        raise DomainError("referral_unknown_member")
    if receiver.id == referrer.id:
        raise DomainError("referral_not_yourself")
    if receiver.status != roster.ACTIVE:
        raise DomainError("referral_receiver_inactive", name=receiver.name)
    return receiver


# -- the state machine --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Draft:
    receiver_id: int
    customer_name: str
    contact: str
    consent: bool
    need: str
    urgency: str
    amount: Decimal | None = None
    currency: str | None = None
    passed_from_id: int | None = None


def _event(session: AsyncSession, referral_id: int, actor_id: int | None, action: str,
           now: datetime, **details: Any) -> None:
    session.add(ReferralEvent(referral_id=referral_id, actor_id=actor_id, action=action,
                              details=details, created_at=now))


async def create(session: AsyncSession, alliance_id: int, person_id: int, draft: Draft,
                 now: datetime) -> Referral:
    referrer = await roster.require_active_member(session, alliance_id, person_id)
    receiver = await receiver_for(session, alliance_id, person_id, draft.receiver_id)
    if not draft.consent:
        raise DomainError("referral_needs_consent")
    if draft.urgency not in URGENCIES:
        raise DomainError("referral_bad_urgency")
    name = clean_text(draft.customer_name, NAME_LIMIT, "referral_bad_name")
    contact = clean_contact(draft.contact)
    need = clean_text(draft.need, NEED_LIMIT, "referral_bad_need")
    if (draft.amount is None) != (draft.currency is None):
        raise DomainError("referral_bad_amount")
    if draft.currency is not None and draft.currency not in currencies():
        raise DomainError("referral_bad_currency", currency=draft.currency)
    if draft.passed_from_id is not None:
        earlier = await session.get(Referral, draft.passed_from_id)
        if earlier is None or earlier.referrer_id != referrer.id:
            raise DomainError("referral_not_found")
        if draft.receiver_id in await declined_by(session, earlier.id):
            raise DomainError("referral_already_declined_by", name=receiver.name)
    referral = Referral(
        alliance_id=alliance_id, referrer_id=referrer.id, referrer_person_id=person_id,
        receiver_id=receiver.id, passed_from_id=draft.passed_from_id, customer_name=name,
        customer_contact=contact, need=need, urgency=draft.urgency,
        expected_value=draft.amount, expected_currency=draft.currency, status=SENT,
        created_at=now, updated_at=now)
    session.add(referral)
    await session.flush()
    _event(session, referral.id, person_id, SENT, now, receiver_id=receiver.id,
           passed_from=draft.passed_from_id)
    return referral


async def get(session: AsyncSession, referral_id: int) -> Referral:
    referral = await session.get(Referral, referral_id, populate_existing=True)
    if referral is None:
        raise DomainError("referral_not_found")
    return referral


async def _acting_for(session: AsyncSession, referral: Referral, person_id: int,
                      member_id: int, code: str) -> Member:
    member = await roster.member_of(session, referral.alliance_id, person_id)
    if member is None or member.id != member_id:
        raise DomainError(code)
    refusal = roster.refusal_for(member)
    if refusal is not None:
        raise refusal
    return member


async def as_receiver(session: AsyncSession, referral_id: int, person_id: int) -> Referral:
    referral = await get(session, referral_id)
    await _acting_for(session, referral, person_id, referral.receiver_id, "referral_not_yours")
    return referral


async def as_referrer(session: AsyncSession, referral_id: int, person_id: int) -> Referral:
    referral = await get(session, referral_id)
    member = await roster.member_of(session, referral.alliance_id, person_id)
    if member is None or member.id != referral.referrer_id:
        raise DomainError("referral_not_yours")
    return referral


async def _move(session: AsyncSession, referral_id: int, from_states: tuple[str, ...],
                to_state: str, actor_id: int | None, now: datetime, *,
                event_details: dict[str, Any] | None = None, **values: Any) -> Referral:
    """The one way a referral changes state: atomic, first come first served."""
    result = await session.execute(
        update(Referral)
        .where(Referral.id == referral_id, Referral.status.in_(from_states))
        .values(status=to_state, updated_at=now, **values)
        .execution_options(synchronize_session=False))
    referral = await get(session, referral_id)
    if not result.rowcount:
        raise DomainError(f"referral_is_{referral.status}")
    _event(session, referral_id, actor_id, to_state, now, **(event_details or {}))
    return referral


async def accept(session: AsyncSession, referral_id: int, person_id: int, now: datetime) -> Referral:
    await as_receiver(session, referral_id, person_id)
    return await _move(session, referral_id, (SENT,), ACCEPTED, person_id, now,
                       accepted_by=person_id, answered_at=now, touched_at=now)


async def decline(session: AsyncSession, referral_id: int, person_id: int, reason: str,
                  now: datetime) -> Referral:
    await as_receiver(session, referral_id, person_id)
    reason = clean_text(reason, REASON_LIMIT, "referral_bad_reason")
    return await _move(session, referral_id, (SENT,), DECLINED, person_id, now, reason=reason,
                       answered_at=now, closed_at=now)


async def require_state(session: AsyncSession, referral_id: int, person_id: int,
                        states: tuple[str, ...]) -> Referral:
    """Before asking the receiver for a reason or a value: may they, and is it still time?"""
    referral = await as_receiver(session, referral_id, person_id)
    if referral.status not in states:
        raise DomainError(f"referral_is_{referral.status}")
    return referral


async def contacted(session: AsyncSession, referral_id: int, person_id: int,
                    now: datetime) -> Referral:
    await as_receiver(session, referral_id, person_id)
    return await _move(session, referral_id, (ACCEPTED,), CONTACTED, person_id, now,
                       touched_at=now)


async def won(session: AsyncSession, referral_id: int, person_id: int, amount: Decimal,
              currency: str, now: datetime) -> Referral:
    await as_receiver(session, referral_id, person_id)
    if currency not in currencies():
        raise DomainError("referral_bad_currency", currency=currency)
    if amount < 0 or amount >= MAX_AMOUNT:
        raise DomainError("referral_bad_amount")
    return await _move(session, referral_id, IN_HAND, WON, person_id, now, won_value=amount,
                       won_currency=currency, touched_at=now, closed_at=now,
                       event_details={"value": format(amount, "f"), "currency": currency})


async def lost(session: AsyncSession, referral_id: int, person_id: int, reason: str,
               now: datetime) -> Referral:
    await as_receiver(session, referral_id, person_id)
    reason = clean_text(reason, REASON_LIMIT, "referral_bad_reason")
    return await _move(session, referral_id, IN_HAND, LOST, person_id, now, reason=reason,
                       touched_at=now, closed_at=now)


async def cancel(session: AsyncSession, referral_id: int, person_id: int, now: datetime) -> Referral:
    await as_referrer(session, referral_id, person_id)
    return await _move(session, referral_id, (SENT,), CANCELLED, person_id, now, closed_at=now)


async def expire(session: AsyncSession, referral_id: int, now: datetime) -> Referral | None:
    """Unanswered for the alliance's expiry (default 72 hours): expired. ``None`` if it was
    answered meanwhile (or too early)."""
    referral = await session.get(Referral, referral_id)
    if referral is None or referral.status != SENT:
        return None
    alliance = await session.get(Alliance, referral.alliance_id)
    expiry = settings.read(alliance).referral_expiry if alliance is not None else EXPIRE_AFTER
    if now < referral.created_at + expiry:
        return None
    try:
        return await _move(session, referral_id, (SENT,), EXPIRED, None, now,
                           closed_at=now)
    except DomainError:
        return None


async def rate(session: AsyncSession, referral_id: int, person_id: int, stars: int,
               now: datetime) -> Referral:
    referral = await as_referrer(session, referral_id, person_id)
    if referral.status != WON:
        raise DomainError("referral_not_won")
    if not 1 <= stars <= 5:
        raise DomainError("referral_bad_rating")
    if referral.closed_at is None or now > referral.closed_at + RATING_WINDOW:
        raise DomainError("referral_rating_closed")
    referral.rating, referral.rated_at, referral.updated_at = stars, now, now
    _event(session, referral.id, person_id, "rated", now, stars=stars)
    return referral


async def comment(session: AsyncSession, referral_id: int, person_id: int, text: str,
                  now: datetime) -> Referral:
    referral = await as_referrer(session, referral_id, person_id)
    if referral.rating is None:
        raise DomainError("referral_not_won")
    if referral.closed_at is None or now > referral.closed_at + RATING_WINDOW:
        raise DomainError("referral_rating_closed")
    referral.rating_comment = clean_text(text, COMMENT_LIMIT, "referral_bad_comment")
    referral.updated_at = now
    _event(session, referral.id, person_id, "commented", now)
    return referral


async def declined_by(session: AsyncSession, referral_id: int) -> tuple[int, ...]:
    """Members who declined this customer along the chain of pass-ons."""
    skip: list[int] = []
    current: int | None = referral_id
    seen: set[int] = set()
    while current is not None and current not in seen:
        seen.add(current)
        referral = await session.get(Referral, current)
        if referral is None:
            break
        if referral.status in (DECLINED, EXPIRED):
            skip.append(referral.receiver_id)
        current = referral.passed_from_id
    return tuple(skip)


async def pass_on_draft(session: AsyncSession, referral_id: int, person_id: int) -> Draft:
    """The referrer passes a declined (or expired) customer on: the same details, a new member."""
    referral = await as_referrer(session, referral_id, person_id)
    await roster.require_active_member(session, referral.alliance_id, person_id)
    if referral.status not in (DECLINED, EXPIRED):
        raise DomainError(f"referral_is_{referral.status}")
    if referral.customer_contact is None:
        raise DomainError("referral_purged")
    passed = await session.scalar(select(func.count()).select_from(Referral)
                                  .where(Referral.passed_from_id == referral.id))
    if passed:
        raise DomainError("referral_already_passed")
    return Draft(receiver_id=0, customer_name=referral.customer_name or "",
                 contact=referral.customer_contact, consent=True, need=referral.need,
                 urgency=referral.urgency, amount=referral.expected_value,
                 currency=referral.expected_currency, passed_from_id=referral.id)


@dataclass(frozen=True, slots=True)
class PassOn:
    draft: Draft
    alliance_id: int
    referrer_id: int
    currency: str
    categories: list[str]
    category: str | None
    skip: tuple[int, ...]
    suggestions: list[Suggestion]


async def pass_on(session: AsyncSession, referral_id: int, person_id: int,
                  now: datetime) -> PassOn:
    """Start passing a declined customer on: suggestions skip everyone who declined it."""
    draft = await pass_on_draft(session, referral_id, person_id)
    referral = await get(session, referral_id)
    declined = await session.get(Member, referral.receiver_id)
    category = declined.category if declined is not None else None
    skip = await declined_by(session, referral_id)
    found = await suggest(session, referral.alliance_id, category, referral.referrer_id, now,
                          skip=skip)
    alliance = await session.get(Alliance, referral.alliance_id)
    assert alliance is not None
    return PassOn(draft=draft, alliance_id=alliance.id, referrer_id=referral.referrer_id,
                  currency=settings.read(alliance).currency,
                  categories=await categories(session, alliance.id, referral.referrer_id),
                  category=category, skip=skip, suggestions=found)


async def currency_of(session: AsyncSession, referral_id: int) -> str:
    """The default currency for a referral's amounts: its alliance's."""
    referral = await get(session, referral_id)
    alliance = await session.get(Alliance, referral.alliance_id)
    assert alliance is not None
    return settings.read(alliance).currency


# -- who sees what ------------------------------------------------------------------------------

async def may_see_contact(session: AsyncSession, referral: Referral, person_id: int) -> bool:
    """The referrer's people always (while stored); the receiver's people once they accepted."""
    if referral.customer_contact is None:
        return False
    return contact_visible_to(referral, await roster.member_of(session, referral.alliance_id,
                                                                person_id))


def contact_visible_to(referral: Referral, member: Member | None) -> bool:
    """``may_see_contact`` for a person whose member (in the referral's alliance) is loaded."""
    if referral.customer_contact is None or member is None:
        return False
    if member.id == referral.referrer_id:
        return True
    return member.id == referral.receiver_id and referral.status in WAS_ACCEPTED


async def people_of_receiver(session: AsyncSession, referral: Referral) -> list[int]:
    return await roster.people_of(session, referral.receiver_id)


async def people_of_referrer(session: AsyncSession, referral: Referral) -> list[int]:
    return await roster.people_of(session, referral.referrer_id)


async def remember_card(session: AsyncSession, referral_id: int, chat_id: int, message_id: int,
                        now: datetime) -> None:
    existing = await session.scalar(select(ReferralCard).where(
        ReferralCard.referral_id == referral_id, ReferralCard.chat_id == chat_id))
    if existing is None:
        session.add(ReferralCard(referral_id=referral_id, chat_id=chat_id, message_id=message_id,
                                 created_at=now))
    else:
        existing.message_id = message_id


async def cards_of(session: AsyncSession, referral_id: int) -> list[ReferralCard]:
    return list(await session.scalars(select(ReferralCard).where(
        ReferralCard.referral_id == referral_id).order_by(ReferralCard.id)))


async def open_items(session: AsyncSession, alliance_id: int, person_id: int,
                     now: datetime) -> tuple[Member, list[Referral]]:
    """/referrals: what is open for my member, given or received, plus won ones still to rate."""
    member = await roster.member_of(session, alliance_id, person_id)
    if member is None or member.status in (roster.LEFT, roster.REMOVED):
        raise DomainError("members_only")
    rateable = (Referral.status == WON) & (Referral.referrer_id == member.id) & \
        Referral.rating.is_(None) & (Referral.closed_at >= now - RATING_WINDOW)
    rows = await session.scalars(
        select(Referral).where(Referral.alliance_id == alliance_id,
                               ((Referral.status.in_(OPEN)
                                 & ((Referral.referrer_id == member.id)
                                    | (Referral.receiver_id == member.id)))
                                | rateable))
        .order_by(Referral.created_at.desc(), Referral.id.desc()).limit(20))
    return member, list(rows)


@dataclass(frozen=True, slots=True)
class MyReferrals:
    alliance: Alliance
    member: Member
    items: list[Referral]
    names: dict[int, str]
    contacts: set[int]  # ids whose contact this person may see


async def mine(session: AsyncSession, alliance: Alliance, person_id: int,
               now: datetime) -> MyReferrals:
    member, items = await open_items(session, alliance.id, person_id, now)
    ids = {r.referrer_id for r in items} | {r.receiver_id for r in items}
    contacts = {r.id for r in items if contact_visible_to(r, member)}
    return MyReferrals(alliance=alliance, member=member, items=items,
                       names=await roster.member_names(session, ids), contacts=contacts)


# -- scheduled work -----------------------------------------------------------------------------

async def due_for_reminder(session: AsyncSession, referral_id: int, now: datetime) -> Referral | None:
    """Still unanswered after the SLA, not reminded yet: mark it reminded and return it."""
    referral = await session.get(Referral, referral_id)
    if referral is None or referral.status != SENT or referral.reminded_at is not None:
        return None
    alliance = await session.get(Alliance, referral.alliance_id)
    assert alliance is not None
    if now < referral.created_at + settings.read(alliance).referral_sla:
        return None
    result = await session.execute(update(Referral).where(
        Referral.id == referral_id, Referral.status == SENT, Referral.reminded_at.is_(None))
        .values(reminded_at=now).execution_options(synchronize_session=False))
    if not result.rowcount:
        return None
    _event(session, referral_id, None, "reminded", now)
    return await get(session, referral_id)


async def due_for_nudge(session: AsyncSession, referral_id: int, now: datetime) -> Referral | None:
    """Accepted and untouched for 7 days: nudge once per quiet spell."""
    referral = await session.get(Referral, referral_id)
    if referral is None or referral.status not in IN_HAND or referral.touched_at is None:
        return None
    if now < referral.touched_at + NUDGE_AFTER:
        return None
    if referral.nudged_at is not None and referral.nudged_at >= referral.touched_at:
        return None
    referral.nudged_at = now
    _event(session, referral_id, None, "nudged", now)
    return referral


async def purge(session: AsyncSession, referral_id: int, now: datetime) -> bool:
    """Forget the customer's name and contact once the retention after closing has passed."""
    referral = await session.get(Referral, referral_id)
    if referral is None or referral.status not in CLOSED or referral.closed_at is None:
        return False
    if referral.customer_contact is None and referral.customer_name is None:
        return False
    alliance = await session.get(Alliance, referral.alliance_id)
    assert alliance is not None
    if now < referral.closed_at + settings.read(alliance).retention:
        return False
    referral.customer_contact = referral.customer_name = None
    referral.purged_at = now
    _event(session, referral_id, None, "purged", now)
    return True


# Closed referrals whose customer is not forgotten yet (``ix_referrals_purge`` covers exactly
# these rows; the query must spell the condition the same way for the index to be used).
HOLDS_CUSTOMER = Referral.customer_contact.is_not(None) | Referral.customer_name.is_not(None)


class Timed(Protocol):
    """What times a referral's jobs: a ``Referral``, or a row of ``TIMED_COLUMNS``."""

    @property
    def id(self) -> int: ...
    @property
    def alliance_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def reminded_at(self) -> datetime | None: ...
    @property
    def touched_at(self) -> datetime | None: ...
    @property
    def nudged_at(self) -> datetime | None: ...
    @property
    def closed_at(self) -> datetime | None: ...
    @property
    def customer_contact(self) -> str | None: ...
    @property
    def customer_name(self) -> str | None: ...


# Read as plain columns, not ``Referral`` objects: a refresh reads hundreds of them every 15
# minutes, and on SQLite (inline) building the objects held the event loop.
TIMED_COLUMNS = (Referral.id, Referral.alliance_id, Referral.status, Referral.created_at,
                 Referral.reminded_at, Referral.touched_at, Referral.nudged_at, Referral.closed_at,
                 Referral.customer_contact, Referral.customer_name)
D = TypeVar("D", timedelta, tuple[timedelta, timedelta])
# The settings that time a referral's jobs: an alliance that stores none of them has the
# defaults' delays (most do), so only the others' settings are read.
TIMED_BY = ("referral_sla_hours", "referral_expiry_hours", "retention_days")


async def scheduled(session: AsyncSession,
                    until: datetime | None = None) -> list[tuple[Timed, AllianceSettings]]:
    """Referrals that still imply a job: open ones, and closed ones not purged yet; with
    ``until``, only those with a job due before it. Each comes with the settings that time its
    jobs (the defaults for an alliance that stores none of ``TIMED_BY``: only their delays
    are its own).

    The windowed reads are index ranges on the due-time columns, one per distinct delay (an
    alliance's SLA, expiry and retention are its own; most share the defaults): sent ones by
    ``created_at``, ones in hand by ``touched_at``, closed ones still holding a customer by
    ``closed_at`` (a partial index over exactly those)."""
    own = settings.read_many((row.id, row.settings, row.timezone) for row in await session.execute(
        select(Alliance.id, Alliance.settings, Alliance.timezone).where(
            or_(*(Alliance.settings[name].as_string().is_not(None) for name in TIMED_BY)))))
    found: list[Timed] = []
    if until is None:
        found += await session.execute(select(*TIMED_COLUMNS).where(
            Referral.status.in_(OPEN) | HOLDS_CUSTOMER))
    else:
        for (sla, expiry), theirs in _by_delay(own, lambda chosen: (chosen.referral_sla,
                                                                     chosen.referral_expiry)):
            # the index range to the earlier of the two; within it, only those whose reminder
            # (not sent yet) or expiry is due: most sent ones a day old were reminded already
            found += await session.execute(select(*TIMED_COLUMNS).where(
                theirs, Referral.status == SENT, Referral.created_at < until - min(sla, expiry),
                or_(Referral.reminded_at.is_(None) & (Referral.created_at < until - sla),
                    Referral.created_at < until - expiry)))
        found += await session.execute(select(*TIMED_COLUMNS).where(
            Referral.status.in_(IN_HAND), Referral.touched_at < until - NUDGE_AFTER,
            Referral.nudged_at.is_(None) | (Referral.nudged_at < Referral.touched_at)))
        for delay, theirs in _by_delay(own, lambda chosen: chosen.retention):
            found += await session.execute(select(*TIMED_COLUMNS).where(
                theirs, HOLDS_CUSTOMER, Referral.closed_at < until - delay))
    defaults = settings.defaults()
    return [(referral, own.get(referral.alliance_id, defaults)) for referral in found]


def _by_delay(own: dict[int, AllianceSettings],
              delay_of: Callable[[AllianceSettings], D]) -> list[tuple[D, ColumnElement[bool]]]:
    """Alliances grouped by one of their delays, each group a filter on the referrals'
    alliance: one indexed read per distinct value. ``own``: the alliances that store a timing
    setting; every other one is in the defaults' group."""
    default = delay_of(settings.defaults())
    groups: dict[D, list[int]] = {}
    for alliance_id, chosen in own.items():
        groups.setdefault(delay_of(chosen), []).append(alliance_id)
    apart = [alliance_id for delay, ids in groups.items() if delay != default for alliance_id in ids]
    filters = [(delay, Referral.alliance_id.in_(ids)) for delay, ids in groups.items()
               if delay != default]
    filters.append((default, Referral.alliance_id.not_in(apart) if apart else true()))
    return sorted(filters, key=lambda item: item[0])


