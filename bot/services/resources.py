"""Shared resources across their three parts (requests, equipment, purchases): what one member
has going on (/myrequests), and what happens to it when the member is removed.

Like every service: no aiogram, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import equipment, purchases
from bot.services import members as roster
from bot.services import requests as asks
from bot.services.errors import DomainError
from storage.models import (
    Equipment,
    EquipmentBooking,
    Member,
    Pledge,
    Purchase,
    ResourceOffer,
    ResourceRequest,
    Role,
)


@dataclass(frozen=True, slots=True)
class Mine:
    """/myrequests: my asks (open or matched), my offers on live requests, my pledges in open or
    settled-to-go purchases, my bookings still ahead or in progress."""

    member: Member
    asks: list[ResourceRequest]
    offers: list[tuple[ResourceOffer, ResourceRequest]]
    pledges: list[tuple[Pledge, Purchase, Decimal]]  # with the cost as it stands (or as settled)
    bookings: list[tuple[EquipmentBooking, Equipment]]


async def mine(session: AsyncSession, alliance_id: int, person_id: int) -> Mine:
    member = await roster.member_of(session, alliance_id, person_id)
    if member is None or member.status in (roster.LEFT, roster.REMOVED):
        raise DomainError("members_only")
    my_asks = list(await session.scalars(
        select(ResourceRequest).where(ResourceRequest.requester_id == member.id,
                                      ResourceRequest.status.in_(asks.ACTIVE))
        .order_by(ResourceRequest.created_at.desc(), ResourceRequest.id.desc())))
    offers = [(row[0], row[1]) for row in await session.execute(
        select(ResourceOffer, ResourceRequest)
        .join(ResourceRequest, ResourceRequest.id == ResourceOffer.request_id)
        .where(ResourceOffer.member_id == member.id,
               ResourceOffer.status.in_((asks.OFFER_OPEN, asks.OFFER_ACCEPTED)),
               ResourceRequest.status.in_(asks.ACTIVE))
        .order_by(ResourceOffer.id.desc()))]
    pledges = []
    for row in await session.execute(
            select(Pledge, Purchase).join(Purchase, Purchase.id == Pledge.purchase_id)
            .where(Pledge.member_id == member.id,
                   Pledge.status.in_((purchases.PLEDGED, purchases.CONFIRMED)),
                   Purchase.status.in_((purchases.OPEN, purchases.GO)))
            .order_by(Purchase.deadline, Pledge.id)):
        standing = await purchases.card(session, row[1].id)
        cost = next(line.cost for line in standing.lines if line.member_id == member.id)
        pledges.append((row[0], row[1], cost))
    bookings = [(row[0], row[1]) for row in await session.execute(
        select(EquipmentBooking, Equipment)
        .join(Equipment, Equipment.id == EquipmentBooking.equipment_id)
        .where(EquipmentBooking.member_id == member.id,
               EquipmentBooking.status.in_(equipment.HOLDING))
        .order_by(EquipmentBooking.starts_at, EquipmentBooking.id))]
    return Mine(member=member, asks=my_asks, offers=offers, pledges=pledges, bookings=bookings)


@dataclass(slots=True)
class Removed:
    """What a removal withdrew, and who must be told (person ids by what concerns them)."""

    purchases: list[Purchase] = field(default_factory=list)  # pledges withdrawn: cards change
    cancelled_purchases: list[purchases.Settlement] = field(default_factory=list)  # organised
    bookings: list[EquipmentBooking] = field(default_factory=list)  # cancelled
    still_out: list[EquipmentBooking] = field(default_factory=list)  # loans to get back
    requests: list[ResourceRequest] = field(default_factory=list)  # their asks, cancelled
    offers: list[ResourceOffer] = field(default_factory=list)  # their offers, withdrawn
    items: list[Equipment] = field(default_factory=list)  # held by them: a coordinator reassigns
    tell: dict[int, set[str]] = field(default_factory=dict)

    def notify(self, people: list[int], what: str) -> None:
        for person in people:
            self.tell.setdefault(person, set()).add(what)


async def on_member_removed(session: AsyncSession, member_id: int, now: datetime) -> Removed:
    """Called in the transaction that removes a member: their open pledges are withdrawn, the
    purchases they organise called off, their bookings not picked up cancelled, their asks
    cancelled and their open offers withdrawn. Returns what changed and whom to tell: organisers
    (a pledge withdrawn), pledgers (a purchase called off), holders (a booking cancelled, a loan
    still out), offerers (an ask cancelled), requesters (an offer withdrawn), coordinators (items
    the member held need a new holder)."""
    removed = Removed()
    for purchase in await purchases.withdraw_member(session, member_id, now):
        removed.purchases.append(purchase)
        removed.notify(await roster.people_of(session, purchase.organiser_id), "pledge_withdrawn")
    for settled in await purchases.call_off_organised_by(session, member_id, now):
        removed.cancelled_purchases.append(settled)
        for line in settled.lines:
            removed.notify(line.people, "purchase_cancelled")
    taken = await equipment.withdraw_member(session, member_id, now)
    removed.bookings, removed.still_out = taken.cancelled, taken.still_out
    for booking in taken.cancelled + taken.still_out:
        item = await session.get(Equipment, booking.equipment_id)
        assert item is not None
        what = "booking_cancelled" if booking.status == equipment.CANCELLED else "loan_still_out"
        if item.holder_id != member_id:
            removed.notify(await roster.people_of(session, item.holder_id), what)
    await _asks_and_offers(session, member_id, now, removed)
    removed.items = list(await session.scalars(select(Equipment).where(
        Equipment.holder_id == member_id, Equipment.retired_at.is_(None)).order_by(Equipment.id)))
    if removed.items:
        member = await session.get(Member, member_id)
        assert member is not None
        coordinators = await session.scalars(select(Role.person_id).where(
            Role.alliance_id == member.alliance_id, Role.role == "coordinator").order_by(Role.id))
        removed.notify(list(coordinators), "items_without_holder")
    return removed


async def _asks_and_offers(session: AsyncSession, member_id: int, now: datetime,
                           removed: Removed) -> None:
    own = list(await session.scalars(select(ResourceRequest.id).where(
        ResourceRequest.requester_id == member_id, ResourceRequest.status.in_(asks.ACTIVE),
        ResourceRequest.kind != asks.PURCHASE)))
    for request_id in own:
        offerers = list(await session.scalars(select(ResourceOffer.member_id).where(
            ResourceOffer.request_id == request_id,
            ResourceOffer.status.in_((asks.OFFER_OPEN, asks.OFFER_ACCEPTED)))))
        removed.requests.append(await asks.move(session, request_id, asks.CANCELLED, None, now,
                                                event_details={"reason": "member_removed"}))
        await session.execute(
            update(ResourceOffer).where(ResourceOffer.request_id == request_id,
                                        ResourceOffer.status == asks.OFFER_OPEN)
            .values(status=asks.OFFER_DECLINED, updated_at=now))
        for offerer in offerers:
            removed.notify(await roster.people_of(session, offerer), "request_cancelled")
    offers = list(await session.scalars(select(ResourceOffer).where(
        ResourceOffer.member_id == member_id, ResourceOffer.status == asks.OFFER_OPEN)))
    for found in offers:
        request = await asks.get(session, found.request_id)
        found.status, found.updated_at = asks.OFFER_WITHDRAWN, now
        asks.record(session, request.id, None, "offer_withdrawn", now, offer_id=found.id,
                    reason="member_removed")
        removed.offers.append(found)
        removed.notify(await roster.people_of(session, request.requester_id), "offer_withdrawn")
