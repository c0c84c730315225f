"""Shared equipment (PRODUCT.md §4): the catalogue, bookings, hand-over and return notices.

An item stays somewhere, with a holder (a member), on stated conditions, perhaps for a deposit
or a fee. A coordinator, or the member who owns it, adds and retires items. Members book an item
for a period ``[starts_at, ends_at)`` in UTC (typed in the alliance's zone: ``parse_period``).

Bookings never overlap, even when two people book the same slot at the same moment: ``book``
first bumps the item's ``booking_seq`` with an UPDATE, which takes the item row's write lock
on PostgreSQL until the transaction ends (SQLite lets one writer at a time anyway, from
``BEGIN IMMEDIATE``), and only then looks for an overlapping booking and inserts. The second
booker waits for the first to commit, sees its booking, and is refused with the next free slot
of the same length.

A booking moves ``booked → picked_up → returned`` or ``booked → cancelled``. The return
reminder (a day before the end) and the overdue notices (at the end to the borrower, a day
later to the holder) are derived from stored timestamps and marked sent (``*_sent_at``) in the
transaction that hands them to the outbox, so each is produced once whatever restarts.
Like every service: no aiogram, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import alliances, money, settings, slots
from bot.services import members as roster
from bot.services import requests as asks
from bot.services.errors import DomainError
from bot.services.inputs import capped, cleaned
from storage.models import Alliance, Equipment, EquipmentBooking, Member

BOOKED, PICKED_UP, RETURNED, CANCELLED = "booked", "picked_up", "returned", "cancelled"
HOLDING = (BOOKED, PICKED_UP)  # a booking that holds its slot and may still owe notices

NAME_LIMIT, LOCATION_LIMIT, CONDITIONS_LIMIT = 200, 300, 1000
MIN_LOAN, MAX_LOAN = timedelta(hours=1), timedelta(days=90)
BOOK_AHEAD = timedelta(days=366)
PAST_GRACE = timedelta(minutes=15)  # "from now" typed a minute ago is still now
PICKUP_EARLY = timedelta(days=1)
REMIND_BEFORE = timedelta(days=1)
HOLDER_AFTER = timedelta(days=1)  # the holder hears of an overdue loan a day after the borrower

REMINDER, OVERDUE_BORROWER, OVERDUE_HOLDER = "return_reminder", "overdue_borrower", "overdue_holder"
_SENT_COLUMN = {REMINDER: "reminder_sent_at", OVERDUE_BORROWER: "overdue_borrower_sent_at",
                OVERDUE_HOLDER: "overdue_holder_sent_at"}


# -- the catalogue -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemDraft:
    """A new shared item. ``holder_id``: the member who keeps it (a coordinator may name any
    active member; a member adding their own item holds it). ``owned_by_alliance``: a coordinator
    adds an item the alliance owns (no owning member)."""

    name: str
    location: str = ""
    conditions: str = ""
    holder_id: int | None = None
    owned_by_alliance: bool = False
    deposit: Decimal | None = None
    fee: Decimal | None = None
    currency: str | None = None


def clean_name(text: str | None) -> str:
    return cleaned(text, NAME_LIMIT, "equipment_bad_name")


def clean_location(text: str | None) -> str:
    return cleaned(text, LOCATION_LIMIT, "equipment_bad_location", required=False)


def clean_conditions(text: str | None) -> str:
    return cleaned(text, CONDITIONS_LIMIT, "equipment_bad_conditions", required=False,
                   multiline=True)


def parse_amount(text: str | None, currency: str) -> Decimal:
    """A deposit or fee as typed, in the alliance's currency (``0`` for none is fine)."""
    amount, code = money.parse(text, currency, prefix="equipment")
    if code != currency:
        raise DomainError("equipment_other_currency", currency=currency)
    return amount


async def _currency(session: AsyncSession, alliance_id: int) -> str:
    return settings.read(await alliances.get_alliance(session, alliance_id)).currency


async def _adder(session: AsyncSession, alliance_id: int, person_id: int,
                 draft: ItemDraft) -> tuple[int, int | None]:
    """(holder, owner) for an item added by this person: a coordinator adds for anyone (or the
    alliance), an active member adds their own."""
    coordinator = await alliances.is_coordinator(session, alliance_id, person_id)
    member = await roster.member_of(session, alliance_id, person_id)
    if not coordinator:
        member = await roster.require_active_member(session, alliance_id, person_id)
        if draft.holder_id not in (None, member.id) or draft.owned_by_alliance:
            raise DomainError("coordinators_only")
        return member.id, member.id
    holder_id = draft.holder_id if draft.holder_id is not None else (member.id if member else None)
    holder = await session.get(Member, holder_id) if holder_id is not None else None
    if holder is None or holder.alliance_id != alliance_id or holder.status != roster.ACTIVE:
        raise DomainError("equipment_bad_holder")
    return holder.id, None if draft.owned_by_alliance else holder.id


async def may_add(session: AsyncSession, alliance_id: int, person_id: int) -> bool:
    """Before the "add an item" wizard asks anything: may this person add items at all?
    True for a coordinator (who may name any active member as holder); False for an active
    member (who adds their own); refused otherwise, with the reason."""
    if await alliances.is_coordinator(session, alliance_id, person_id):
        return True
    await roster.require_active_member(session, alliance_id, person_id)
    return False


@dataclass(frozen=True, slots=True)
class Adding:
    """What the "add an item" wizard needs before its first question."""

    alliance_id: int
    coordinator: bool  # may name any active member as holder
    currency: str
    members: list[Member]  # active members, for a coordinator's holder step
    own: Member | None  # the person's own business (a member holds what they add)


async def adding(session: AsyncSession, alliance_id: int, person_id: int) -> Adding:
    coordinator = await may_add(session, alliance_id, person_id)
    members = await roster.active_members(session, alliance_id) if coordinator else []
    return Adding(alliance_id=alliance_id, coordinator=coordinator,
                  currency=await _currency(session, alliance_id), members=members,
                  own=await roster.member_of(session, alliance_id, person_id))


async def may_add_at_all(session: AsyncSession, alliance_id: int, person_id: int) -> bool:
    """Whether /equipment offers this person *Add an item* (``add_item`` checks it again)."""
    try:
        await may_add(session, alliance_id, person_id)
    except DomainError:
        return False
    return True


async def add_item(session: AsyncSession, alliance_id: int, person_id: int, draft: ItemDraft,
                   now: datetime) -> Equipment:
    """A coordinator or a member (their own item) adds an item to the catalogue."""
    holder_id, owner_id = await _adder(session, alliance_id, person_id, draft)
    currency = draft.currency or await _currency(session, alliance_id)
    for amount in (draft.deposit, draft.fee):
        if amount is not None:
            money.check(amount, currency, prefix="equipment")
    item = Equipment(
        alliance_id=alliance_id, name=clean_name(draft.name),
        location=clean_location(draft.location), conditions=clean_conditions(draft.conditions),
        holder_id=holder_id, owner_id=owner_id, deposit=draft.deposit, fee=draft.fee,
        currency=currency if draft.deposit is not None or draft.fee is not None else None,
        booking_seq=0, created_by=person_id, created_at=now, updated_at=now)
    session.add(item)
    await session.flush()
    return item


async def get_item(session: AsyncSession, item_id: int, *, alliance_id: int | None = None
                   ) -> Equipment:
    item = await session.get(Equipment, item_id, populate_existing=True)
    if item is None or (alliance_id is not None and item.alliance_id != alliance_id):
        raise DomainError("equipment_not_found")
    return item


async def _may_manage(session: AsyncSession, item: Equipment, person_id: int) -> bool:
    """A coordinator, or a person of the owning member."""
    if await alliances.is_coordinator(session, item.alliance_id, person_id):
        return True
    member = await roster.member_of(session, item.alliance_id, person_id)
    return member is not None and item.owner_id is not None and member.id == item.owner_id


async def may_manage(session: AsyncSession, item: Equipment, person_id: int) -> bool:
    """Whether to show this person *Retire* on the item (``retire`` checks it again)."""
    return await _may_manage(session, item, person_id)


@dataclass(frozen=True, slots=True)
class Retired:
    item: Equipment
    cancelled: list[EquipmentBooking]  # upcoming bookings called off: tell their borrowers


async def retire(session: AsyncSession, item_id: int, person_id: int, now: datetime) -> Retired:
    """Take an item out of the catalogue (a coordinator or its owner). Bookings not picked up
    yet are cancelled; a loan in progress still ends with its return."""
    item = await get_item(session, item_id)
    if not await _may_manage(session, item, person_id):
        raise DomainError("equipment_not_yours")
    changed = await session.execute(
        update(Equipment).where(Equipment.id == item.id, Equipment.retired_at.is_(None))
        .values(retired_at=now, updated_at=now, booking_seq=Equipment.booking_seq + 1))
    if not changed.rowcount:
        raise DomainError("equipment_retired")
    upcoming = list(await session.scalars(
        select(EquipmentBooking).where(EquipmentBooking.equipment_id == item.id,
                                       EquipmentBooking.status == BOOKED)
        .order_by(EquipmentBooking.starts_at)))
    for booking in upcoming:
        booking.status, booking.cancelled_at, booking.cancelled_by = CANCELLED, now, person_id
        booking.updated_at = now
    return Retired(item=await get_item(session, item.id), cancelled=upcoming)


@dataclass(frozen=True, slots=True)
class Item:
    """/equipment: an item with its holder's name and its next booking, if any."""

    item: Equipment
    holder: str
    owner: str | None
    next_booking: EquipmentBooking | None


async def catalogue(session: AsyncSession, alliance_id: int, now: datetime) -> list[Item]:
    items = list(await session.scalars(
        select(Equipment).where(Equipment.alliance_id == alliance_id,
                                Equipment.retired_at.is_(None))
        .order_by(Equipment.name, Equipment.id)))
    names = await roster.member_names(session, {i.holder_id for i in items}
                                    | {i.owner_id for i in items if i.owner_id is not None})
    listed = []
    for item in items:
        upcoming = await session.scalar(
            select(EquipmentBooking).where(EquipmentBooking.equipment_id == item.id,
                                           EquipmentBooking.status.in_(HOLDING),
                                           EquipmentBooking.ends_at > now)
            .order_by(EquipmentBooking.starts_at).limit(1))
        listed.append(Item(item=item, holder=names.get(item.holder_id, ""),
                           owner=names.get(item.owner_id) if item.owner_id else None,
                           next_booking=upcoming))
    return listed


# -- booking -------------------------------------------------------------------------------------


def _local_day(raw: str, now: datetime, zone: tzinfo) -> datetime:
    """The local midnight starting the day ``raw`` names (a date without a time)."""
    day = slots.parse_slot(f"{raw} 23:59", now=now, zone=zone).local.date()
    return slots.localize(datetime.combine(day, time(0)), zone)


def parse_moment(text: str | None, *, now: datetime, zone: tzinfo, end: bool = False) -> datetime:
    """A booking's start or end as typed in the alliance's zone → UTC. A date alone means the
    start of that day (today: now) or, for an end, the end of that day."""
    raw = capped(text, slots.SLOT_LIMIT - 6, "booking_bad_time")
    try:
        return slots.parse_slot(raw, now=now, zone=zone).utc
    except DomainError as error:
        if error.code == "slot_in_past":
            raise DomainError("booking_in_past") from None
    try:
        midnight = _local_day(raw, now, zone)
    except DomainError as error:
        code = "booking_in_past" if error.code == "slot_in_past" else "booking_bad_time"
        raise DomainError(code) from None
    if end:
        return slots.localize(datetime.combine(midnight.astimezone(zone).date()
                                               + timedelta(days=1), time(0)), zone)
    return max(midnight, now)


def parse_period(start: str | None, end: str | None, *, now: datetime,
                 zone: tzinfo) -> tuple[datetime, datetime]:
    """From and until, as typed; checked as a booking period."""
    starts_at = parse_moment(start, now=now, zone=zone)
    ends_at = parse_moment(end, now=now, zone=zone, end=True)
    return check_period(starts_at, ends_at, now)


def check_period(starts_at: datetime, ends_at: datetime, now: datetime) -> tuple[datetime, datetime]:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise DomainError("booking_bad_time")
    if starts_at < now - PAST_GRACE:
        raise DomainError("booking_in_past")
    if ends_at <= starts_at:
        raise DomainError("booking_ends_before_start")
    if ends_at - starts_at < MIN_LOAN:
        raise DomainError("booking_too_short", minutes=int(MIN_LOAN.total_seconds() // 60))
    if ends_at - starts_at > MAX_LOAN:
        raise DomainError("booking_too_long", days=MAX_LOAN.days)
    if starts_at > now + BOOK_AHEAD:
        raise DomainError("booking_too_far", days=BOOK_AHEAD.days)
    return starts_at, ends_at


async def _holding(session: AsyncSession, item_id: int, after: datetime) -> list[EquipmentBooking]:
    """Bookings of the item that hold a slot ending after ``after``, by start."""
    return list(await session.scalars(
        select(EquipmentBooking).where(EquipmentBooking.equipment_id == item_id,
                                       EquipmentBooking.status.in_(HOLDING),
                                       EquipmentBooking.ends_at > after)
        .order_by(EquipmentBooking.starts_at, EquipmentBooking.id)
        .execution_options(populate_existing=True)))


def next_free(taken: list[tuple[datetime, datetime]], starts_at: datetime,
              length: timedelta) -> datetime:
    """The earliest start at or after ``starts_at`` where ``length`` fits between the ``taken``
    periods (sorted by start)."""
    candidate = starts_at
    for start, end in taken:
        if start < candidate + length and end > candidate:
            candidate = end
    return candidate


@dataclass(frozen=True, slots=True)
class Opening:
    """What the booking wizard needs before its first question."""

    alliance_id: int
    timezone: str
    item: Equipment | None  # None: the wizard asks which item
    request_id: int | None


async def open_booking(session: AsyncSession, person_id: int, *, alliance_id: int | None = None,
                       item_id: int | None = None, request_id: int | None = None) -> Opening:
    """Before the booking wizard asks anything: an item still listed (when one is named), a
    borrow request of the person's own (when one is answered), an active member. ``book``
    checks all of it again."""
    item = await get_item(session, item_id) if item_id is not None else None
    if item is not None:
        if item.retired_at is not None:
            raise DomainError("equipment_retired")
        alliance_id = item.alliance_id
    if request_id is not None:
        request = await asks.get(session, request_id)
        alliance_id = request.alliance_id
    if alliance_id is None:
        raise DomainError("unknown_alliance")
    member = await roster.require_active_member(session, alliance_id, person_id)
    if request_id is not None:
        await asks.require_answerable(session, request_id, member.id)
    alliance = await session.get(Alliance, alliance_id)
    if alliance is None or (item is not None and item.alliance_id != alliance_id):
        raise DomainError("unknown_alliance")
    return Opening(alliance_id=alliance_id, timezone=alliance.timezone, item=item,
                   request_id=request_id)


@dataclass(frozen=True, slots=True)
class BookingDraft:
    item_id: int
    starts_at: datetime
    ends_at: datetime
    request_id: int | None = None  # a borrow request this booking answers


async def book(session: AsyncSession, person_id: int, draft: BookingDraft,
               now: datetime) -> EquipmentBooking:
    """Book an item for ``[starts_at, ends_at)``. Refused atomically when it overlaps another
    booking: ``booking_taken`` with the next free slot of the same length. An active member only;
    a borrow request of theirs it answers becomes matched."""
    item = await get_item(session, draft.item_id)
    member = await roster.require_active_member(session, item.alliance_id, person_id)
    starts_at, ends_at = check_period(draft.starts_at, draft.ends_at, now)
    if draft.request_id is not None:
        await asks.require_answerable(session, draft.request_id, member.id)
    locked = await session.execute(  # the item's row lock: overlap checks take turns
        update(Equipment).where(Equipment.id == item.id, Equipment.retired_at.is_(None))
        .values(booking_seq=Equipment.booking_seq + 1))
    if not locked.rowcount:
        raise DomainError("equipment_retired")
    taken = [(b.starts_at, b.ends_at) for b in await _holding(session, item.id, starts_at)]
    if any(start < ends_at and end > starts_at for start, end in taken):
        length = ends_at - starts_at
        free = next_free(taken, starts_at, length)
        raise DomainError("booking_taken", item=item.name, next_start=free, next_end=free + length)
    booking = EquipmentBooking(
        equipment_id=item.id, member_id=member.id, person_id=person_id,
        request_id=draft.request_id, starts_at=starts_at, ends_at=ends_at, status=BOOKED,
        created_at=now, updated_at=now)
    session.add(booking)
    await session.flush()
    if draft.request_id is not None:
        await asks.answered_by_booking(session, draft.request_id, member.id, booking.id,
                                       person_id, now)
    return booking


async def get_booking(session: AsyncSession, booking_id: int) -> EquipmentBooking:
    booking = await session.get(EquipmentBooking, booking_id, populate_existing=True)
    if booking is None:
        raise DomainError("booking_not_found")
    return booking


async def _hand_over_party(session: AsyncSession, booking: EquipmentBooking, item: Equipment,
                           person_id: int) -> None:
    """The borrower's or the holder's people (whatever their standing: an item comes back)."""
    member = await roster.member_of(session, item.alliance_id, person_id)
    if member is None or member.id not in (booking.member_id, item.holder_id):
        raise DomainError("booking_not_yours")


async def _move(session: AsyncSession, booking: EquipmentBooking, from_states: tuple[str, ...],
                to_state: str, now: datetime, **values: object) -> EquipmentBooking:
    changed = await session.execute(
        update(EquipmentBooking)
        .where(EquipmentBooking.id == booking.id, EquipmentBooking.status.in_(from_states))
        .values(status=to_state, updated_at=now, **values))
    booking = await get_booking(session, booking.id)
    if not changed.rowcount:
        raise DomainError(f"booking_is_{booking.status}")
    return booking


async def picked_up(session: AsyncSession, booking_id: int, person_id: int,
                    now: datetime) -> EquipmentBooking:
    """*Picked up*, by the holder or the borrower, from a day before the start."""
    booking = await get_booking(session, booking_id)
    item = await get_item(session, booking.equipment_id)
    await _hand_over_party(session, booking, item, person_id)
    if now < booking.starts_at - PICKUP_EARLY:
        raise DomainError("booking_too_early", starts_at=booking.starts_at)
    return await _move(session, booking, (BOOKED,), PICKED_UP, now, picked_up_at=now)


async def returned(session: AsyncSession, booking_id: int, person_id: int,
                   now: datetime) -> EquipmentBooking:
    """*Returned*, by the holder or the borrower (also when *Picked up* was never pressed)."""
    booking = await get_booking(session, booking_id)
    item = await get_item(session, booking.equipment_id)
    await _hand_over_party(session, booking, item, person_id)
    if booking.status == BOOKED and now < booking.starts_at - PICKUP_EARLY:
        raise DomainError("booking_too_early", starts_at=booking.starts_at)
    return await _move(session, booking, HOLDING, RETURNED, now, returned_at=now,
                       picked_up_at=booking.picked_up_at or now)


async def cancel_booking(session: AsyncSession, booking_id: int, person_id: int,
                         now: datetime) -> EquipmentBooking:
    """Call a booking off before pick-up: the borrower, the holder, the owner or a coordinator."""
    booking = await get_booking(session, booking_id)
    item = await get_item(session, booking.equipment_id)
    member = await roster.member_of(session, item.alliance_id, person_id)
    mine = member is not None and member.id in (booking.member_id, item.holder_id)
    if not mine and not await _may_manage(session, item, person_id):
        raise DomainError("booking_not_yours")
    return await _move(session, booking, (BOOKED,), CANCELLED, now, cancelled_at=now,
                       cancelled_by=person_id)


async def bookings_of(session: AsyncSession, item_id: int, now: datetime) -> list[EquipmentBooking]:
    """An item's bookings still ahead or in progress, by start."""
    return await _holding(session, item_id, now)


# -- notices -------------------------------------------------------------------------------------


def notices_due(booking: EquipmentBooking, now: datetime) -> list[str]:
    """Which notices of this booking are due at ``now`` and not sent yet (pure). The reminder
    only before the end (once overdue, the overdue notice says it), and only for a loan longer
    than the reminder's lead."""
    if booking.status not in HOLDING:
        return []
    due = []
    remind_at = booking.ends_at - REMIND_BEFORE
    if (booking.reminder_sent_at is None and remind_at > booking.starts_at
            and remind_at <= now < booking.ends_at):
        due.append(REMINDER)
    if booking.overdue_borrower_sent_at is None and now >= booking.ends_at:
        due.append(OVERDUE_BORROWER)
    if booking.overdue_holder_sent_at is None and now >= booking.ends_at + HOLDER_AFTER:
        due.append(OVERDUE_HOLDER)
    return due


def next_notice_at(booking: EquipmentBooking, now: datetime) -> datetime | None:
    """When this booking next owes a notice (for the armer), or None."""
    if booking.status not in HOLDING:
        return None
    remind_at = booking.ends_at - REMIND_BEFORE
    moments = []
    if booking.reminder_sent_at is None and remind_at > booking.starts_at and now < booking.ends_at:
        moments.append(remind_at)
    if booking.overdue_borrower_sent_at is None:
        moments.append(booking.ends_at)
    if booking.overdue_holder_sent_at is None:
        moments.append(booking.ends_at + HOLDER_AFTER)
    return min(moments) if moments else None


@dataclass(frozen=True, slots=True)
class Notice:
    kind: str  # REMINDER | OVERDUE_BORROWER | OVERDUE_HOLDER
    booking: EquipmentBooking
    item: Equipment
    people: list[int]  # whom to tell: the borrower's people, or the holder's


async def due_notices(session: AsyncSession, now: datetime) -> list[Notice]:
    """For the scheduler: every notice due now, each marked sent in this transaction (a second
    run, or a run after a restart, produces none of them again)."""
    candidates = list(await session.scalars(
        select(EquipmentBooking).where(EquipmentBooking.status.in_(HOLDING),
                                       EquipmentBooking.ends_at <= now + REMIND_BEFORE)
        .order_by(EquipmentBooking.ends_at, EquipmentBooking.id)
        .execution_options(populate_existing=True)))
    notices = []
    for booking in candidates:
        for kind in notices_due(booking, now):
            notice = await _claim(session, booking, kind, now)
            if notice is not None:
                notices.append(notice)
    return notices


async def _claim(session: AsyncSession, booking: EquipmentBooking, kind: str,
                 now: datetime) -> Notice | None:
    column = getattr(EquipmentBooking, _SENT_COLUMN[kind])
    marked = await session.execute(
        update(EquipmentBooking).where(EquipmentBooking.id == booking.id, column.is_(None),
                                       EquipmentBooking.status.in_(HOLDING))
        .values({_SENT_COLUMN[kind]: now}))
    if not marked.rowcount:
        return None
    setattr(booking, _SENT_COLUMN[kind], now)
    item = await get_item(session, booking.equipment_id)
    member_id = item.holder_id if kind == OVERDUE_HOLDER else booking.member_id
    return Notice(kind=kind, booking=booking, item=item,
                  people=await roster.people_of(session, member_id))


async def scheduled(session: AsyncSession, now: datetime,
                    until: datetime | None = None) -> list[tuple[int, datetime]]:
    """Bookings that still owe a notice and when, for the armer (with ``until``: those whose
    earliest possible notice, the reminder before the end, comes before it)."""
    query = select(EquipmentBooking).where(EquipmentBooking.status.in_(HOLDING))
    if until is not None:
        query = query.where(EquipmentBooking.ends_at < until + REMIND_BEFORE,
                            EquipmentBooking.overdue_holder_sent_at.is_(None))  # the last notice
    rows = list(await session.scalars(query.order_by(EquipmentBooking.ends_at)))
    found = [(booking.id, next_notice_at(booking, now)) for booking in rows]
    return [(booking_id, at) for booking_id, at in found if at is not None]


# -- a member leaves -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Withdrawn:
    cancelled: list[EquipmentBooking]  # bookings not picked up: called off
    still_out: list[EquipmentBooking]  # loans in progress: the holder must get the item back


async def withdraw_member(session: AsyncSession, member_id: int, now: datetime) -> Withdrawn:
    """A removed member's bookings: those not picked up are cancelled; loans in progress are
    returned to the caller so the holders can be told."""
    rows = list(await session.scalars(
        select(EquipmentBooking).where(EquipmentBooking.member_id == member_id,
                                       EquipmentBooking.status.in_(HOLDING))
        .order_by(EquipmentBooking.starts_at, EquipmentBooking.id)))
    cancelled, out = [], []
    for booking in rows:
        if booking.status == BOOKED:
            cancelled.append(await _move(session, booking, (BOOKED,), CANCELLED, now,
                                         cancelled_at=now))
        else:
            out.append(booking)
    return Withdrawn(cancelled=cancelled, still_out=out)

