"""Shared resource requests (PRODUCT.md §4): a member asks, others offer, the requester accepts.

A request moves ``open → matched | fulfilled | cancelled | expired`` and, once matched,
``→ fulfilled | cancelled``. Every move is one conditional UPDATE (``WHERE status IN …``), so two
presses at once make one change and the other is told what happened; every move is also a
``ResourceEvent`` with who and when. A joint purchase is a request too (its terms and pledges
are ``bot.services.purchases``); its state follows the purchase's.

Contacts move only when the requester accepts an offer: ``accept_offer`` returns both parties
(their people and their member's contact) for the two private messages, and nothing here writes
a contact to an event, the audit log or an error.

Like every service: no aiogram, never commits; ``now`` is passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import alliances, slots
from bot.services import members as roster
from bot.services.errors import DomainError
from bot.services.inputs import capped, cleaned, number
from storage.db import conflict_insert
from storage.models import (
    Alliance,
    Chat,
    Member,
    Person,
    RequestCard,
    ResourceEvent,
    ResourceOffer,
    ResourceRequest,
)

EQUIPMENT, SPACE, EXPERTISE, PURCHASE, OTHER = "equipment", "space", "expertise", "purchase", "other"
KINDS = (EQUIPMENT, SPACE, EXPERTISE, PURCHASE, OTHER)

OPEN, MATCHED, FULFILLED, CANCELLED, EXPIRED = "open", "matched", "fulfilled", "cancelled", "expired"
TRANSITIONS: dict[str, tuple[str, ...]] = {
    OPEN: (MATCHED, FULFILLED, CANCELLED, EXPIRED),
    MATCHED: (FULFILLED, CANCELLED),
}
ACTIVE = (OPEN, MATCHED)

OFFER_OPEN, OFFER_ACCEPTED, OFFER_DECLINED, OFFER_WITHDRAWN = "open", "accepted", "declined", "withdrawn"

TITLE_LIMIT, DETAILS_LIMIT, UNIT_LIMIT, NOTE_LIMIT = 200, 2000, 32, 500
QUANTITY_DIGITS = 7  # up to 9,999,999 of anything
NEEDED_BY_MAX = timedelta(days=366)
PAGE = 10


# -- what people type ---------------------------------------------------------------------------


def clean_title(text: str | None) -> str:
    return cleaned(text, TITLE_LIMIT, "request_bad_title")


def clean_details(text: str | None) -> str:
    return cleaned(text, DETAILS_LIMIT, "request_bad_details", required=False, multiline=True)


def clean_unit(text: str | None) -> str | None:
    return cleaned(text, UNIT_LIMIT, "request_bad_unit", required=False) or None


def clean_note(text: str | None) -> str:
    return cleaned(text, NOTE_LIMIT, "request_bad_note", required=False, multiline=True)


def parse_quantity(text: str | None, code: str = "request_bad_quantity") -> int:
    """A whole number of units, 1 … 9,999,999 (ASCII digits)."""
    return check_quantity(number(text, digits=QUANTITY_DIGITS), code)


def parse_amount(text: str | None) -> tuple[int, str | None]:
    """The wizard's "quantity and unit" answer: a whole number, then the unit if any —
    ``2``, ``3 days``, ``2台``, ``50 m²``. Returns (quantity, unit or None)."""
    raw = capped(text, QUANTITY_DIGITS + 4 * UNIT_LIMIT + 8, "request_bad_quantity",
                 most=10**QUANTITY_DIGITS - 1).strip()
    digits = len(raw) - len(raw.lstrip("0123456789"))
    if digits == 0:
        raise DomainError("request_bad_quantity", most=10**QUANTITY_DIGITS - 1)
    return parse_quantity(raw[:digits]), clean_unit(raw[digits:])


def check_quantity(value: int | None, code: str = "request_bad_quantity") -> int:
    if value is None or isinstance(value, bool) or not 0 < value < 10**QUANTITY_DIGITS:
        raise DomainError(code, most=10**QUANTITY_DIGITS - 1)
    return value


def parse_needed_by(text: str | None, *, now: datetime, zone: tzinfo) -> datetime:
    """A date (``2026-12-03``, ``12/3``, ``明天``, ``Fri``…) means the end of that day in the
    alliance's zone; a date with a time means that moment. Returns the UTC instant."""
    raw = capped(text, slots.SLOT_LIMIT - 6, "request_bad_date")
    try:
        moment = slots.parse_slot(raw, now=now, zone=zone).utc
    except DomainError as error:
        if error.code == "slot_in_past":
            raise DomainError("request_date_past") from None
        try:
            moment = slots.parse_slot(f"{raw} 23:59", now=now, zone=zone).utc
        except DomainError as again:
            code = "request_date_past" if again.code == "slot_in_past" else "request_bad_date"
            raise DomainError(code) from None
    return check_needed_by(moment, now)


def check_needed_by(moment: datetime, now: datetime) -> datetime:
    if moment.tzinfo is None:
        raise DomainError("request_bad_date")
    if moment <= now:
        raise DomainError("request_date_past")
    if moment > now + NEEDED_BY_MAX:
        raise DomainError("request_date_too_far", days=NEEDED_BY_MAX.days)
    return moment


@dataclass(frozen=True, slots=True)
class RequestDraft:
    """What the /request wizard collects (a joint purchase's terms: ``purchases.PurchaseDraft``)."""

    kind: str
    title: str
    details: str = ""
    quantity: int | None = None
    unit: str | None = None
    needed_by: datetime | None = None


def check_draft(draft: RequestDraft, now: datetime) -> RequestDraft:
    """The draft with every field checked and cleaned, or the first refusal."""
    if draft.kind not in KINDS:
        raise DomainError("request_bad_kind")
    return replace(
        draft, title=clean_title(draft.title), details=clean_details(draft.details),
        quantity=None if draft.quantity is None else check_quantity(draft.quantity),
        unit=clean_unit(draft.unit),
        needed_by=None if draft.needed_by is None else check_needed_by(draft.needed_by, now))


# -- events and moves -----------------------------------------------------------------------------


def record(session: AsyncSession, request_id: int, actor_id: int | None, action: str,
           now: datetime, **details: Any) -> None:
    """One row of a request's history (purchases and bookings record theirs here too)."""
    session.add(ResourceEvent(request_id=request_id, actor_id=actor_id, action=action,
                              details=details, created_at=now))


async def get(session: AsyncSession, request_id: int) -> ResourceRequest:
    request = await session.get(ResourceRequest, request_id, populate_existing=True)
    if request is None:
        raise DomainError("request_not_found")
    return request


async def move(session: AsyncSession, request_id: int, to_state: str, actor_id: int | None,
               now: datetime, *, event_details: dict[str, Any] | None = None,
               **values: Any) -> ResourceRequest:
    """The one way a request changes state: atomic, first come first served. A move the state
    machine does not allow from the current state is ``request_is_<state>``."""
    from_states = tuple(state for state, targets in TRANSITIONS.items() if to_state in targets)
    closing = {"closed_at": now} if to_state not in ACTIVE else {}
    result = await session.execute(
        update(ResourceRequest)
        .where(ResourceRequest.id == request_id, ResourceRequest.status.in_(from_states))
        .values(status=to_state, updated_at=now, **closing, **values))
    request = await get(session, request_id)
    if not result.rowcount:
        raise DomainError(f"request_is_{request.status}")
    record(session, request_id, actor_id, to_state, now, **(event_details or {}))
    return request


async def create(session: AsyncSession, alliance_id: int, member: Member, person_id: int | None,
                 draft: RequestDraft, now: datetime) -> ResourceRequest:
    """A request of any kind, after the caller checked who asks (``ask`` and
    ``purchases.open_purchase`` do)."""
    draft = check_draft(draft, now)
    home = await alliances.home_chat(session, alliance_id)
    request = ResourceRequest(
        alliance_id=alliance_id, requester_id=member.id, requester_person_id=person_id,
        kind=draft.kind, title=draft.title, details=draft.details, quantity=draft.quantity,
        unit=draft.unit, needed_by=draft.needed_by, status=OPEN,
        chat_id=home.tg_chat_id if home else None, thread_id=home.thread_id if home else None,
        created_at=now, updated_at=now)
    session.add(request)
    await session.flush()
    record(session, request.id, person_id, OPEN, now, kind=draft.kind)
    return request


async def may_ask(session: AsyncSession, alliance_id: int, person_id: int) -> Alliance:
    """Before the /request wizard's first question: an active member of this alliance."""
    await roster.require_active_member(session, alliance_id, person_id)
    return await alliances.get_alliance(session, alliance_id)


async def ask(session: AsyncSession, alliance_id: int, person_id: int, draft: RequestDraft,
              now: datetime) -> ResourceRequest:
    """/request: an active member asks (a suspended one is refused). A joint purchase needs its
    terms, so it is opened by ``purchases.open_purchase`` instead."""
    member = await roster.require_active_member(session, alliance_id, person_id)
    if draft.kind == PURCHASE:
        raise DomainError("request_purchase_terms")
    return await create(session, alliance_id, member, person_id, draft, now)


async def _requester(session: AsyncSession, request: ResourceRequest, person_id: int,
                     *, coordinators: bool = False) -> Member | None:
    """The requester's member acting (active), or — if allowed — a coordinator (None)."""
    member = await roster.member_of(session, request.alliance_id, person_id)
    if member is not None and member.id == request.requester_id:
        refusal = roster.refusal_for(member)
        if refusal is not None:
            raise refusal
        return member
    if coordinators:
        if await alliances.is_coordinator(session, request.alliance_id, person_id):
            return None
    raise DomainError("request_not_yours")


# -- offers -----------------------------------------------------------------------------------------


async def may_offer(session: AsyncSession, request_id: int,
                    person_id: int) -> tuple[ResourceRequest, Member]:
    """Before the offer's note is asked: may this person offer on this request at all?"""
    request = await get(session, request_id)
    member = await roster.require_active_member(session, request.alliance_id, person_id)
    if member.id == request.requester_id:
        raise DomainError("request_own")
    if request.kind == PURCHASE:
        raise DomainError("request_pledge_instead")
    if request.status != OPEN:
        raise DomainError(f"request_is_{request.status}")
    return request, member


async def offer(session: AsyncSession, request_id: int, person_id: int, note: str | None,
                now: datetime) -> ResourceOffer:
    """*I can offer*: one offer per member and request; offering again replaces the note (and
    re-opens a withdrawn offer). Not on one's own request, not while suspended."""
    request, member = await may_offer(session, request_id, person_id)
    text = clean_note(note)
    insert = conflict_insert(session.get_bind().dialect.name)
    await session.execute(
        insert(ResourceOffer).values(request_id=request.id, member_id=member.id,
                                     person_id=person_id, note=text, status=OFFER_OPEN,
                                     created_at=now, updated_at=now)
        .on_conflict_do_update(index_elements=["request_id", "member_id"],
                               set_={"note": text, "person_id": person_id,
                                     "status": OFFER_OPEN, "updated_at": now}))
    made = await session.scalar(
        select(ResourceOffer).where(ResourceOffer.request_id == request.id,
                                    ResourceOffer.member_id == member.id)
        .execution_options(populate_existing=True))
    assert made is not None
    record(session, request.id, person_id, "offered", now, offer_id=made.id, member_id=member.id)
    return made


async def _offer(session: AsyncSession, offer_id: int) -> ResourceOffer:
    found = await session.get(ResourceOffer, offer_id, populate_existing=True)
    if found is None:
        raise DomainError("offer_not_found")
    return found


async def withdraw_offer(session: AsyncSession, offer_id: int, person_id: int,
                         now: datetime) -> ResourceOffer:
    """The offering member's people take an open offer back."""
    found = await _offer(session, offer_id)
    request = await get(session, found.request_id)
    member = await roster.member_of(session, request.alliance_id, person_id)
    if member is None or member.id != found.member_id:
        raise DomainError("offer_not_yours")
    return await _move_offer(session, found, OFFER_WITHDRAWN, person_id, now)


async def _move_offer(session: AsyncSession, found: ResourceOffer, to_state: str,
                      actor_id: int | None, now: datetime) -> ResourceOffer:
    changed = await session.execute(
        update(ResourceOffer).where(ResourceOffer.id == found.id,
                                    ResourceOffer.status == OFFER_OPEN)
        .values(status=to_state, updated_at=now))
    found = await _offer(session, found.id)
    if not changed.rowcount:
        raise DomainError(f"offer_is_{found.status}")
    record(session, found.request_id, actor_id, f"offer_{to_state}", now, offer_id=found.id)
    return found


@dataclass(frozen=True, slots=True)
class Party:
    """One side of an accepted offer: whom to tell, and what the other side is told."""

    member_id: int
    name: str
    contact: str | None  # the member's contact as stored (for the other side only)
    people: list[Person]


@dataclass(frozen=True, slots=True)
class Match:
    request: ResourceRequest
    offer: ResourceOffer
    requester: Party
    offerer: Party


async def _party(session: AsyncSession, member: Member) -> Party:
    people = await roster.people_of(session, member.id)
    persons = list(await session.scalars(
        select(Person).where(Person.id.in_(people), Person.forgotten_at.is_(None))
        .order_by(Person.id))) if people else []
    return Party(member_id=member.id, name=member.name, contact=member.contact, people=persons)


async def accept_offer(session: AsyncSession, offer_id: int, person_id: int,
                       now: datetime) -> Match:
    """The requester accepts one open offer: the request is matched, that offer accepted, the
    others declined. Returns both parties so each is sent the other's contact — the only moment
    contacts move."""
    found = await _offer(session, offer_id)
    request = await get(session, found.request_id)
    mine = await _requester(session, request, person_id)
    assert mine is not None
    offerer = await session.get(Member, found.member_id)
    assert offerer is not None
    if found.status != OFFER_OPEN:
        raise DomainError(f"offer_is_{found.status}")
    if roster.refusal_for(offerer) is not None:
        raise DomainError("offer_member_inactive", name=offerer.name)
    request = await move(session, request.id, MATCHED, person_id, now,
                         accepted_offer_id=found.id, event_details={"offer_id": found.id})
    found = await _move_offer(session, found, OFFER_ACCEPTED, person_id, now)
    await _decline_open_offers(session, request.id, now)
    return Match(request=request, offer=found, requester=await _party(session, mine),
                 offerer=await _party(session, offerer))


async def _decline_open_offers(session: AsyncSession, request_id: int, now: datetime) -> None:
    await session.execute(
        update(ResourceOffer).where(ResourceOffer.request_id == request_id,
                                    ResourceOffer.status == OFFER_OPEN)
        .values(status=OFFER_DECLINED, updated_at=now))


async def declined_offers(session: AsyncSession, request_id: int) -> list[ResourceOffer]:
    """Offers declined because the request was answered otherwise or closed: their offerers are
    told (once per offer, ``bot.effects.requests.declined``)."""
    return list(await session.scalars(
        select(ResourceOffer).where(ResourceOffer.request_id == request_id,
                                    ResourceOffer.status == OFFER_DECLINED)
        .order_by(ResourceOffer.id)))


async def may_close(session: AsyncSession, request_id: int, person_id: int) -> ResourceRequest:
    """Before the close options are shown: the requester's people (or a coordinator), a request
    still open or matched, not a joint purchase."""
    request = await get(session, request_id)
    await _requester(session, request, person_id, coordinators=True)
    if request.kind == PURCHASE:
        raise DomainError("request_is_purchase")
    if request.status not in ACTIVE:
        raise DomainError(f"request_is_{request.status}")
    return request


async def close(session: AsyncSession, request_id: int, person_id: int, now: datetime, *,
                fulfilled: bool) -> ResourceRequest:
    """The requester (or a coordinator) closes a request: fulfilled, or cancelled. A joint
    purchase is closed through ``purchases`` (its pledges must follow)."""
    request = await get(session, request_id)
    await _requester(session, request, person_id, coordinators=True)
    if request.kind == PURCHASE:
        raise DomainError("request_is_purchase")
    request = await move(session, request_id, FULFILLED if fulfilled else CANCELLED, person_id,
                         now)
    await _decline_open_offers(session, request_id, now)
    return request


async def require_answerable(session: AsyncSession, request_id: int,
                             member_id: int) -> ResourceRequest:
    """May this member's booking answer the request? Its own open borrow request only."""
    request = await get(session, request_id)
    if request.requester_id != member_id:
        raise DomainError("request_not_yours")
    if request.kind != EQUIPMENT:
        raise DomainError("request_not_for_booking")
    if request.status != OPEN:
        raise DomainError(f"request_is_{request.status}")
    return request


async def answered_by_booking(session: AsyncSession, request_id: int, member_id: int,
                              booking_id: int, person_id: int, now: datetime) -> ResourceRequest:
    """A borrow request answered by the requester's own booking of a listed item: matched."""
    await require_answerable(session, request_id, member_id)
    request = await move(session, request_id, MATCHED, person_id, now,
                         event_details={"booking_id": booking_id})
    await _decline_open_offers(session, request_id, now)
    return request


# -- expiry ------------------------------------------------------------------------------------------


async def expire(session: AsyncSession, request_id: int, now: datetime) -> ResourceRequest | None:
    """Still open at its needed-by moment: expired. ``None`` when there is nothing to do (moved
    meanwhile, too early, no needed-by, or a joint purchase — settled at its deadline)."""
    request = await session.get(ResourceRequest, request_id, populate_existing=True)
    if (request is None or request.status != OPEN or request.kind == PURCHASE
            or request.needed_by is None or now < request.needed_by):
        return None
    try:
        request = await move(session, request_id, EXPIRED, None, now)
    except DomainError:
        return None
    await _decline_open_offers(session, request_id, now)
    return request


async def expire_due(session: AsyncSession, now: datetime) -> list[ResourceRequest]:
    """For the scheduler: every request whose needed-by has passed, expired once; returns those
    that changed now (a second run returns none)."""
    ids = list(await session.scalars(
        select(ResourceRequest.id).where(ResourceRequest.status == OPEN,
                                         ResourceRequest.kind != PURCHASE,
                                         ResourceRequest.needed_by <= now)
        .order_by(ResourceRequest.id)))
    expired = [await expire(session, request_id, now) for request_id in ids]
    return [request for request in expired if request is not None]


async def scheduled(session: AsyncSession,
                    until: datetime | None = None) -> list[tuple[int, datetime]]:
    """Open requests that will expire (before ``until``): (id, needed_by), for the armer."""
    query = (select(ResourceRequest.id, ResourceRequest.needed_by)
             .where(ResourceRequest.status == OPEN, ResourceRequest.kind != PURCHASE,
                    ResourceRequest.needed_by.is_not(None)))
    if until is not None:
        query = query.where(ResourceRequest.needed_by < until)
    rows = await session.execute(query.order_by(ResourceRequest.needed_by))
    return [(request_id, needed_by) for request_id, needed_by in rows]


# -- reading ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    items: list[ResourceRequest]
    names: dict[int, str]  # requester member id → name
    total: int
    number: int
    pages: int


async def open_page(session: AsyncSession, alliance_id: int, *, kind: str | None = None,
                    number: int = 0) -> Page:
    """/requests: open requests, soonest needed first (then newest), a page at a time; a page
    number past either end shows the nearest page."""
    if kind is not None and kind not in KINDS:
        raise DomainError("request_bad_kind")
    condition = (ResourceRequest.alliance_id == alliance_id) & (ResourceRequest.status == OPEN)
    if kind is not None:
        condition = condition & (ResourceRequest.kind == kind)
    total = await session.scalar(select(func.count()).select_from(ResourceRequest)
                                 .where(condition)) or 0
    pages = max(1, math.ceil(total / PAGE))
    number = min(max(number, 0), pages - 1)
    items = list(await session.scalars(
        select(ResourceRequest).where(condition)
        .order_by(ResourceRequest.needed_by.is_(None), ResourceRequest.needed_by,
                  ResourceRequest.created_at.desc(), ResourceRequest.id.desc())
        .offset(number * PAGE).limit(PAGE)))
    names = await roster.member_names(session, {item.requester_id for item in items})
    return Page(items=items, names=names, total=total, number=number, pages=pages)


async def offers_of(session: AsyncSession, request_id: int) -> list[tuple[ResourceOffer, str]]:
    """A request's open and accepted offers with the offering member's name, oldest first."""
    rows = await session.execute(
        select(ResourceOffer, Member.name).join(Member, Member.id == ResourceOffer.member_id)
        .where(ResourceOffer.request_id == request_id,
               ResourceOffer.status.in_((OFFER_OPEN, OFFER_ACCEPTED)))
        .order_by(ResourceOffer.created_at, ResourceOffer.id))
    return [(row[0], row[1]) for row in rows]


async def events_of(session: AsyncSession, request_id: int) -> list[ResourceEvent]:
    return list(await session.scalars(select(ResourceEvent).where(
        ResourceEvent.request_id == request_id).order_by(ResourceEvent.id)))


async def set_card(session: AsyncSession, request_id: int, chat_id: int, message_id: int) -> None:
    """Where the request's card was posted, so it can be edited in place."""
    await session.execute(update(ResourceRequest).where(ResourceRequest.id == request_id)
                          .values(chat_id=chat_id, message_id=message_id))


# -- copies of the card in linked chats ---------------------------------------------------------------


async def linked_chat_ids(session: AsyncSession, alliance_id: int) -> list[tuple[int, int | None]]:
    """Where a copy of a new card may go: the alliance's linked chats the bot is in,
    (chat id, topic)."""
    return [(chat.tg_chat_id, chat.thread_id)
            for chat in await alliances.linked_chats(session, alliance_id)]


async def linked_titles(session: AsyncSession, alliance_id: int) -> list[str]:
    """The linked chats' titles, for the wizard's question (empty: the question is skipped)."""
    return [chat.title or str(chat.tg_chat_id)
            for chat in await alliances.linked_chats(session, alliance_id)]


async def remember_copy(session: AsyncSession, request_id: int, chat_id: int, message_id: int,
                        now: datetime) -> None:
    """A copy of the card was posted in a linked chat: kept, so every change edits it too."""
    existing = await session.scalar(select(RequestCard).where(
        RequestCard.request_id == request_id, RequestCard.chat_id == chat_id))
    if existing is None:
        session.add(RequestCard(request_id=request_id, chat_id=chat_id, message_id=message_id,
                                created_at=now))
    else:
        existing.message_id = message_id


async def copies_of(session: AsyncSession, request: ResourceRequest) -> list[tuple[int, int]]:
    """The copies still worth editing, (chat id, message id): those in a chat the bot is still
    in and that still belongs to the request's alliance (an unlinked chat, or one that removed
    the bot, keeps its last copy as it was)."""
    rows = await session.execute(
        select(RequestCard.chat_id, RequestCard.message_id)
        .join(Chat, Chat.tg_chat_id == RequestCard.chat_id)
        .where(RequestCard.request_id == request.id, Chat.alliance_id == request.alliance_id,
               Chat.active)
        .order_by(RequestCard.id))
    return [(chat_id, message_id) for chat_id, message_id in rows]
