"""Joint purchases (PRODUCT.md §4): terms, pledges, and the settlement at the deadline.

A purchase is priced per unit (``unit_price``, optionally lower from a total quantity on:
*price tiers*) or as one ``total_price`` split pro rata by the quantities pledged (an item bought
together, split evenly when everyone pledges one share). Members pledge a quantity and may
change or withdraw it until the deadline. At the deadline ``settle`` decides once: the pledged
total reached the minimum (MOQ) → ``go`` at the tier reached, every pledge ``confirmed`` with its
exact cost; otherwise ``failed`` and nobody pays. ``open → go | failed``, ``go → fulfilled``.

Concurrency: every pledge, withdrawal and the settlement first bump ``pledge_seq`` with a
conditional UPDATE of the purchase row (``WHERE status = 'open' AND deadline > now``). That
takes the row's write lock on PostgreSQL (SQLite serialises writers anyway), so pledges of one
purchase are counted one after the other: two members pledging at once are both counted, the
maximum is checked against committed pledges, and no pledge slips in after the settlement read
the total. A pledge is one row per (purchase, member), written with ``INSERT … ON CONFLICT DO
UPDATE``, so two people of one member pressing at once leave one pledge.

Money is exact (``bot.services.money``): unit prices are whole minor units, so price × quantity
is exact; a total price is split with largest-remainder rounding, the parts summing to it.
Like every service: no aiogram, never commits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import alliances, decisions, money, settings
from bot.services import members as roster
from bot.services import requests as asks
from bot.services.errors import DomainError
from bot.services.inputs import capped
from storage.db import conflict_insert
from storage.models import Alliance, Member, Pledge, Proposal, Purchase, ResourceRequest

OPEN, GO, FAILED, FULFILLED = "open", "go", "failed", "fulfilled"
PLEDGED, WITHDRAWN, CONFIRMED = "pledged", "withdrawn", "confirmed"
UNIT, SPLIT = "unit", "split"
PRICINGS = (UNIT, SPLIT)

MAX_TIERS = 5
TIERS_TEXT_LIMIT = 200
MIN_DEADLINE = timedelta(hours=1)
MAX_DEADLINE = timedelta(days=180)
PROPOSAL_DEADLINE = timedelta(days=7)  # the deadline offered when a proposal starts one

_TIER = r"(\d{1,7})\s*[:=]\s*(\d{1,13}(?:\.\d{1,4})?)"
_TIERS = re.compile(rf"\s*{_TIER}(?:[\s,;]+{_TIER})*[\s,;]*")
_ONE_TIER = re.compile(_TIER)


class Tier(NamedTuple):
    """From ``min_quantity`` units pledged in all, each unit costs ``unit_price``."""

    min_quantity: int
    unit_price: Decimal


# -- terms ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PurchaseDraft:
    """What the purchase wizard collects (many fields: a dataclass, not arguments)."""

    item: str
    unit: str
    currency: str
    moq: int
    deadline: datetime
    pricing: str = UNIT
    unit_price: Decimal | None = None
    total_price: Decimal | None = None
    tiers: tuple[Tier, ...] = ()
    maximum: int | None = None
    details: str = ""
    proposal_id: int | None = None


def parse_price(text: str | None, currency: str) -> Decimal:
    """A price as typed (``310``, ``1,250.50``) in the purchase's currency."""
    amount, code = money.parse(text, currency, prefix="purchase")
    if code != currency:
        raise DomainError("purchase_other_currency", currency=currency)
    if amount <= 0:
        raise DomainError("purchase_bad_amount")
    return amount


def parse_tiers(text: str | None, currency: str) -> tuple[Tier, ...]:
    """``100: 310, 200: 290`` (one tier per ``quantity: unit price`` pair; commas, semicolons or
    new lines between them) → tiers by quantity. Empty text: no tiers."""
    raw = unicodedata.normalize("NFKC", capped(text, TIERS_TEXT_LIMIT, "purchase_bad_tiers"))
    if not raw.strip():
        return ()
    if _TIERS.fullmatch(raw) is None:
        raise DomainError("purchase_bad_tiers")
    tiers = tuple(Tier(int(q), Decimal(p)) for q, p in _ONE_TIER.findall(raw))
    return check_tiers(tiers, currency)


def check_tiers(tiers: tuple[Tier, ...], currency: str) -> tuple[Tier, ...]:
    """At most ``MAX_TIERS``, quantities rising from 2 on, prices positive in whole minor units."""
    if len(tiers) > MAX_TIERS:
        raise DomainError("purchase_bad_tiers", most=MAX_TIERS)
    quantities = [tier.min_quantity for tier in tiers]
    if quantities != sorted(set(quantities)) or any(not 1 < q < 10**7 for q in quantities):
        raise DomainError("purchase_bad_tiers", most=MAX_TIERS)
    for tier in tiers:
        _positive_amount(tier.unit_price, currency)
    return tuple(Tier(int(t.min_quantity), t.unit_price) for t in tiers)


def _positive_amount(amount: Decimal | None, currency: str) -> Decimal:
    if amount is None or not isinstance(amount, Decimal):
        raise DomainError("purchase_bad_amount")
    money.check(amount, currency, prefix="purchase")
    if amount <= 0:
        raise DomainError("purchase_bad_amount")
    return amount


def _check_pricing(draft: PurchaseDraft) -> PurchaseDraft:
    if draft.pricing not in PRICINGS:
        raise DomainError("purchase_bad_pricing")
    if draft.currency not in settings.currencies():
        raise DomainError("purchase_bad_currency", currency=draft.currency)
    if draft.pricing == UNIT:
        return replace(draft, unit_price=_positive_amount(draft.unit_price, draft.currency),
                       total_price=None, tiers=check_tiers(tuple(draft.tiers), draft.currency))
    if draft.tiers:
        raise DomainError("purchase_bad_pricing")
    return replace(draft, unit_price=None,
                   total_price=_positive_amount(draft.total_price, draft.currency))


def check_terms(draft: PurchaseDraft, now: datetime) -> PurchaseDraft:
    """The draft with every term checked and cleaned, or the first refusal."""
    draft = _check_pricing(draft)
    moq = asks.check_quantity(draft.moq, "purchase_bad_moq")
    maximum = None if draft.maximum is None else asks.check_quantity(draft.maximum,
                                                                     "purchase_bad_maximum")
    if maximum is not None and maximum < moq:
        raise DomainError("purchase_bad_maximum", moq=moq)
    if draft.deadline.tzinfo is None or not (now + MIN_DEADLINE <= draft.deadline
                                             <= now + MAX_DEADLINE):
        raise DomainError("purchase_bad_deadline", days=MAX_DEADLINE.days)
    unit = asks.clean_unit(draft.unit)
    if unit is None:
        raise DomainError("request_bad_unit", limit=asks.UNIT_LIMIT)
    return replace(draft, item=asks.clean_title(draft.item), unit=unit,
                   details=asks.clean_details(draft.details), moq=moq, maximum=maximum)


# -- pricing (pure) ------------------------------------------------------------------------------


def price_at(unit_price: Decimal, tiers: tuple[Tier, ...], total: int) -> Decimal:
    """The unit price for a pledged ``total``: the highest tier reached, else the base price."""
    reached = [tier for tier in tiers if tier.min_quantity <= total]
    return reached[-1].unit_price if reached else unit_price


def next_tier(tiers: tuple[Tier, ...], total: int) -> Tier | None:
    """The first tier the ``total`` has not reached yet (for the card: "12 more for 290")."""
    return next((tier for tier in tiers if tier.min_quantity > total), None)


class Quote(NamedTuple):
    unit_price: Decimal | None  # the tier's unit price (per-unit pricing)
    costs: list[Decimal]  # one per quantity, in order
    total: Decimal


def quote(pricing: str, currency: str, quantities: list[int], *, unit_price: Decimal | None = None,
          tiers: tuple[Tier, ...] = (), total_price: Decimal | None = None) -> Quote:
    """What each of ``quantities`` costs: tier unit price × quantity (exact), or the total price
    split pro rata by quantity (largest remainder: the parts sum to it exactly)."""
    pledged = sum(quantities)
    if pricing == SPLIT:
        assert total_price is not None
        if pledged <= 0:
            return Quote(None, [money.from_minor(0, currency)] * len(quantities), total_price)
        return Quote(None, money.split(total_price, quantities, currency), total_price)
    assert unit_price is not None
    price = price_at(unit_price, tiers, pledged)
    costs = [(price * quantity).quantize(money.minor_unit(currency)) for quantity in quantities]
    return Quote(price, costs, sum(costs, Decimal(0)))


def tiers_of(purchase: Purchase) -> tuple[Tier, ...]:
    return tuple(Tier(int(q), Decimal(p)) for q, p in purchase.tiers or [])


def quote_for(purchase: Purchase, quantities: list[int]) -> Quote:
    return quote(purchase.pricing, purchase.currency, quantities, unit_price=purchase.unit_price,
                 tiers=tiers_of(purchase), total_price=purchase.total_price)


# -- opening -------------------------------------------------------------------------------------


async def open_purchase(session: AsyncSession, alliance_id: int, person_id: int,
                        draft: PurchaseDraft, now: datetime) -> Purchase:
    """An active member opens a joint purchase: its request (kind ``purchase``, the card's
    home) and its terms, together."""
    member = await roster.require_active_member(session, alliance_id, person_id)
    terms = check_terms(draft, now)
    if terms.proposal_id is not None:
        await _usable_proposal(session, terms.proposal_id, alliance_id)
    request = await asks.create(
        session, alliance_id, member, person_id,
        asks.RequestDraft(kind=asks.PURCHASE, title=terms.item, details=terms.details,
                          quantity=terms.moq, unit=terms.unit, needed_by=terms.deadline), now)
    purchase = Purchase(
        alliance_id=alliance_id, request_id=request.id, organiser_id=member.id,
        proposal_id=terms.proposal_id, item=terms.item, unit=terms.unit, pricing=terms.pricing,
        unit_price=terms.unit_price, total_price=terms.total_price, currency=terms.currency,
        tiers=[[tier.min_quantity, format(tier.unit_price, "f")] for tier in terms.tiers],
        moq=terms.moq, maximum=terms.maximum, deadline=terms.deadline, status=OPEN, pledge_seq=0,
        created_at=now, updated_at=now)
    session.add(purchase)
    await session.flush()
    asks.record(session, request.id, person_id, "purchase_opened", now, purchase_id=purchase.id,
                pricing=terms.pricing, moq=terms.moq, proposal_id=terms.proposal_id)
    return purchase


async def _usable_proposal(session: AsyncSession, proposal_id: int, alliance_id: int) -> Proposal:
    """A passed proposal of this alliance that no purchase started from yet."""
    proposal = await session.get(Proposal, proposal_id)
    if proposal is None or proposal.alliance_id != alliance_id:
        raise DomainError("purchase_proposal_unknown")
    result = decisions.stored_result(proposal)
    if proposal.status != "closed" or result is None or not result.passed:
        raise DomainError("purchase_proposal_not_passed")
    used = await session.scalar(select(Purchase.id).where(Purchase.proposal_id == proposal_id))
    if used is not None:
        raise DomainError("purchase_proposal_used", purchase_id=used)
    return proposal


async def draft_from_proposal(session: AsyncSession, proposal_id: int, person_id: int,
                              now: datetime) -> PurchaseDraft:
    """A passed proposal ("buy a tyre changer together") starts a purchase: the item and details
    from the proposal, the alliance's currency, a week to pledge, split pricing (a thing bought
    together). The wizard asks the unit, the price and the minimum before ``open_purchase``."""
    proposal = await session.get(Proposal, proposal_id)
    if proposal is None:
        raise DomainError("purchase_proposal_unknown")
    await roster.require_active_member(session, proposal.alliance_id, person_id)
    await _usable_proposal(session, proposal_id, proposal.alliance_id)
    alliance = await session.get(Alliance, proposal.alliance_id)
    assert alliance is not None
    return PurchaseDraft(item=proposal.title[:asks.TITLE_LIMIT],
                         details=(proposal.text or "")[:asks.DETAILS_LIMIT], unit="",
                         currency=settings.read(alliance).currency, moq=1,
                         deadline=now + PROPOSAL_DEADLINE, pricing=SPLIT,
                         proposal_id=proposal.id)


async def start_from_proposal(session: AsyncSession, proposal_id: int, person_id: int,
                              now: datetime) -> tuple[PurchaseDraft, Alliance]:
    """``draft_from_proposal`` and the alliance it is for (the wizard's prompts need both)."""
    draft = await draft_from_proposal(session, proposal_id, person_id, now)
    proposal = await session.get(Proposal, proposal_id)
    assert proposal is not None
    alliance = await session.get(Alliance, proposal.alliance_id)
    assert alliance is not None
    return draft, alliance


# -- pledging ------------------------------------------------------------------------------------


async def may_open(session: AsyncSession, alliance_id: int, person_id: int) -> Alliance:
    """Before the wizard: only an active member opens a joint purchase (suspended: refused)."""
    await roster.require_active_member(session, alliance_id, person_id)
    return await alliances.get_alliance(session, alliance_id)


@dataclass(frozen=True, slots=True)
class Pledging:
    """Before asking a quantity: the purchase, its alliance and the member's current pledge."""

    purchase: Purchase
    alliance: Alliance
    member_id: int
    current: int | None


async def may_pledge(session: AsyncSession, purchase_id: int, person_id: int,
                     now: datetime) -> Pledging:
    """*Pledge* / *Change*: an active member, an open purchase, before its deadline."""
    purchase = await get(session, purchase_id)
    member = await roster.require_active_member(session, purchase.alliance_id, person_id)
    if purchase.status != OPEN:
        raise DomainError(f"purchase_is_{purchase.status}")
    if now >= purchase.deadline:
        raise DomainError("purchase_deadline_passed")
    alliance = await session.get(Alliance, purchase.alliance_id)
    assert alliance is not None
    current = await session.scalar(select(Pledge.quantity).where(
        Pledge.purchase_id == purchase.id, Pledge.member_id == member.id,
        Pledge.status == PLEDGED))
    return Pledging(purchase=purchase, alliance=alliance, member_id=member.id, current=current)


async def require_manager(session: AsyncSession, purchase_id: int, person_id: int) -> Purchase:
    """The organiser's member or a coordinator (before asking "cancel it?")."""
    purchase = await get(session, purchase_id)
    await _organiser_or_coordinator(session, purchase, person_id)
    return purchase


async def get(session: AsyncSession, purchase_id: int) -> Purchase:
    purchase = await session.get(Purchase, purchase_id, populate_existing=True)
    if purchase is None:
        raise DomainError("purchase_not_found")
    return purchase


async def _lock_open(session: AsyncSession, purchase: Purchase, now: datetime) -> None:
    """Take the purchase's row lock while it still takes pledges, or refuse."""
    locked = await session.execute(
        update(Purchase).where(Purchase.id == purchase.id, Purchase.status == OPEN,
                               Purchase.deadline > now)
        .values(pledge_seq=Purchase.pledge_seq + 1))
    if not locked.rowcount:
        current = await get(session, purchase.id)
        if current.status != OPEN:
            raise DomainError(f"purchase_is_{current.status}")
        raise DomainError("purchase_deadline_passed")


async def pledged_total(session: AsyncSession, purchase_id: int, *,
                        except_member: int | None = None) -> int:
    query = select(func.coalesce(func.sum(Pledge.quantity), 0)).where(
        Pledge.purchase_id == purchase_id, Pledge.status == PLEDGED)
    if except_member is not None:
        query = query.where(Pledge.member_id != except_member)
    return int(await session.scalar(query) or 0)


async def pledge(session: AsyncSession, purchase_id: int, person_id: int, quantity: int,
                 now: datetime) -> Pledge:
    """*Pledge*: set this member's quantity (a new pledge, a change, or a withdrawn one renewed)
    until the deadline; the maximum, if any, holds over all pledges. Suspended: refused."""
    purchase = await get(session, purchase_id)
    member = await roster.require_active_member(session, purchase.alliance_id, person_id)
    quantity = asks.check_quantity(quantity, "purchase_bad_quantity")
    await _lock_open(session, purchase, now)
    if purchase.maximum is not None:
        others = await pledged_total(session, purchase.id, except_member=member.id)
        if others + quantity > purchase.maximum:
            raise DomainError("purchase_over_maximum", left=max(0, purchase.maximum - others))
    insert = conflict_insert(session.get_bind().dialect.name)
    await session.execute(
        insert(Pledge).values(purchase_id=purchase.id, member_id=member.id, person_id=person_id,
                              quantity=quantity, status=PLEDGED, created_at=now, updated_at=now)
        .on_conflict_do_update(index_elements=["purchase_id", "member_id"],
                               set_={"quantity": quantity, "person_id": person_id,
                                     "status": PLEDGED, "updated_at": now}))
    asks.record(session, purchase.request_id, person_id, "pledged", now, member_id=member.id,
                quantity=quantity)
    return await _pledge_of(session, purchase.id, member.id)


async def _pledge_of(session: AsyncSession, purchase_id: int, member_id: int) -> Pledge:
    found = await session.scalar(
        select(Pledge).where(Pledge.purchase_id == purchase_id, Pledge.member_id == member_id)
        .execution_options(populate_existing=True))
    if found is None:
        raise DomainError("pledge_none")
    return found


async def withdraw(session: AsyncSession, purchase_id: int, person_id: int, now: datetime) -> Pledge:
    """Take this member's pledge back, until the deadline."""
    purchase = await get(session, purchase_id)
    member = await roster.member_of(session, purchase.alliance_id, person_id)
    if member is None:
        raise DomainError("members_only")
    await _lock_open(session, purchase, now)
    changed = await session.execute(
        update(Pledge).where(Pledge.purchase_id == purchase.id, Pledge.member_id == member.id,
                             Pledge.status == PLEDGED)
        .values(status=WITHDRAWN, updated_at=now))
    if not changed.rowcount:
        raise DomainError("pledge_none")
    asks.record(session, purchase.request_id, person_id, "pledge_withdrawn", now,
                member_id=member.id)
    return await _pledge_of(session, purchase.id, member.id)


# -- the settlement ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    member_id: int
    name: str
    quantity: int
    cost: Decimal
    people: list[int] = field(default_factory=list)  # whom to tell (settlements only)


@dataclass(frozen=True, slots=True)
class Settlement:
    """What changed at the deadline (or on a cancellation): who is told what."""

    purchase: Purchase
    went_ahead: bool
    total_quantity: int
    unit_price: Decimal | None  # the tier reached (per-unit pricing, when it goes ahead)
    total_cost: Decimal
    lines: list[Line]  # one per pledge counted, in pledge order
    organiser_people: list[int]
    reason: str  # "reached" | "below_moq" | "cancelled"
    by_coordinator: bool = False  # cancelled by a coordinator, not by the organiser
    organiser_left: bool = False  # called off because its organiser is no longer a member


async def _pledges(session: AsyncSession, purchase_id: int, statuses: tuple[str, ...]
                   ) -> list[tuple[Pledge, str]]:
    rows = await session.execute(
        select(Pledge, Member.name).join(Member, Member.id == Pledge.member_id)
        .where(Pledge.purchase_id == purchase_id, Pledge.status.in_(statuses))
        .order_by(Pledge.created_at, Pledge.id).execution_options(populate_existing=True))
    return [(row[0], row[1]) for row in rows]


async def settle(session: AsyncSession, purchase_id: int, now: datetime) -> Settlement | None:
    """At the deadline: pledged ≥ MOQ → ``go`` (pledges confirmed with their exact cost, the
    request matched); else ``failed`` (the request expired). Idempotent: ``None`` when it was
    settled already, is not due yet, or does not exist."""
    purchase = await session.get(Purchase, purchase_id, populate_existing=True)
    if purchase is None or purchase.status != OPEN or now < purchase.deadline:
        return None
    locked = await session.execute(
        update(Purchase).where(Purchase.id == purchase.id, Purchase.status == OPEN)
        .values(pledge_seq=Purchase.pledge_seq + 1))
    if not locked.rowcount:
        return None
    rows = await _pledges(session, purchase.id, (PLEDGED,))
    total = sum(found.quantity for found, _name in rows)
    went = total >= purchase.moq and total > 0
    return await _close(session, purchase, rows, now, went=went,
                        reason="reached" if went else "below_moq", actor_id=None)


async def _close(session: AsyncSession, purchase: Purchase, rows: list[tuple[Pledge, str]],
                 now: datetime, *, went: bool, reason: str, actor_id: int | None) -> Settlement:
    total = sum(found.quantity for found, _name in rows)
    priced = quote_for(purchase, [found.quantity for found, _name in rows])
    status = GO if went else FAILED
    await session.execute(
        update(Purchase).where(Purchase.id == purchase.id, Purchase.status == OPEN)
        .values(status=status, settled_total=total, settled_at=now, updated_at=now,
                settled_price=priced.unit_price if went else None))
    lines = []
    for (found, name), cost in zip(rows, priced.costs, strict=True):
        if went:
            found.status, found.cost, found.updated_at = CONFIRMED, cost, now
        lines.append(Line(member_id=found.member_id, name=name, quantity=found.quantity, cost=cost,
                          people=await roster.people_of(session, found.member_id)))
    request_state = asks.MATCHED if went else (asks.CANCELLED if reason == "cancelled"
                                               else asks.EXPIRED)
    await asks.move(session, purchase.request_id, request_state, actor_id, now,
                    event_details={"purchase": status, "total": total, "reason": reason})
    purchase = await get(session, purchase.id)
    return Settlement(purchase=purchase, went_ahead=went, total_quantity=total,
                      unit_price=priced.unit_price if went else None, total_cost=priced.total,
                      lines=lines, organiser_people=await roster.people_of(session,
                                                                           purchase.organiser_id),
                      reason=reason)


async def settle_due(session: AsyncSession, now: datetime) -> list[Settlement]:
    """For the scheduler: every open purchase past its deadline, settled once."""
    ids = list(await session.scalars(select(Purchase.id).where(
        Purchase.status == OPEN, Purchase.deadline <= now).order_by(Purchase.deadline, Purchase.id)))
    settled = [await settle(session, purchase_id, now) for purchase_id in ids]
    return [one for one in settled if one is not None]


async def scheduled(session: AsyncSession,
                    until: datetime | None = None) -> list[tuple[int, datetime]]:
    """Open purchases and their deadlines (those before ``until``), for the armer."""
    query = select(Purchase.id, Purchase.deadline).where(Purchase.status == OPEN)
    if until is not None:
        query = query.where(Purchase.deadline < until)
    rows = await session.execute(query.order_by(Purchase.deadline))
    return [(purchase_id, deadline) for purchase_id, deadline in rows]


async def _organiser_or_coordinator(session: AsyncSession, purchase: Purchase,
                                    person_id: int) -> bool:
    """True when a coordinator acts on someone else's purchase (the notices say so), False for
    the organiser; anyone else is refused."""
    member = await roster.member_of(session, purchase.alliance_id, person_id)
    if member is not None and member.id == purchase.organiser_id:
        return False
    if not await alliances.is_coordinator(session, purchase.alliance_id, person_id):
        raise DomainError("purchase_not_yours")
    return True


async def cancel(session: AsyncSession, purchase_id: int, person_id: int,
                 now: datetime) -> Settlement:
    """The organiser (or a coordinator) calls an open purchase off: failed, its request
    cancelled, every pledger told; nobody pays."""
    purchase = await get(session, purchase_id)
    by_coordinator = await _organiser_or_coordinator(session, purchase, person_id)
    await _lock_open(session, purchase, now)
    rows = await _pledges(session, purchase.id, (PLEDGED,))
    settlement = await _close(session, purchase, rows, now, went=False, reason="cancelled",
                              actor_id=person_id)
    return replace(settlement, by_coordinator=by_coordinator)


async def fulfil(session: AsyncSession, purchase_id: int, person_id: int, now: datetime) -> Purchase:
    """The goods arrived: ``go → fulfilled`` (and the request fulfilled), by the organiser or a
    coordinator."""
    purchase = await get(session, purchase_id)
    await _organiser_or_coordinator(session, purchase, person_id)
    changed = await session.execute(
        update(Purchase).where(Purchase.id == purchase.id, Purchase.status == GO)
        .values(status=FULFILLED, fulfilled_at=now, updated_at=now))
    if not changed.rowcount:
        raise DomainError(f"purchase_is_{(await get(session, purchase.id)).status}")
    await asks.move(session, purchase.request_id, asks.FULFILLED, person_id, now,
                    event_details={"purchase": FULFILLED})
    return await get(session, purchase.id)


# -- the card ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Card:
    """What the purchase's card shows: progress (pledged / MOQ), the tier reached, the next
    tier, and each pledger's quantity and cost (as it stands, or as settled)."""

    purchase: Purchase
    request: ResourceRequest
    pledged: int
    moq: int
    maximum: int | None
    unit_price: Decimal | None
    next_tier: Tier | None
    total_cost: Decimal
    lines: list[Line]


async def card(session: AsyncSession, purchase_id: int) -> Card:
    purchase = await get(session, purchase_id)
    request = await asks.get(session, purchase.request_id)
    counted = (PLEDGED,) if purchase.status in (OPEN, FAILED) else (CONFIRMED,)
    rows = await _pledges(session, purchase.id, counted)
    quantities = [found.quantity for found, _name in rows]
    priced = quote_for(purchase, quantities)
    costs = priced.costs
    if purchase.status in (GO, FULFILLED):  # as settled: the stored costs are the truth
        costs = [found.cost if found.cost is not None else cost
                 for (found, _name), cost in zip(rows, priced.costs, strict=True)]
    lines = [Line(member_id=found.member_id, name=name, quantity=found.quantity, cost=cost)
             for (found, name), cost in zip(rows, costs, strict=True)]
    total = sum(quantities)
    return Card(purchase=purchase, request=request, pledged=total, moq=purchase.moq,
                maximum=purchase.maximum, unit_price=priced.unit_price,
                next_tier=next_tier(tiers_of(purchase), total),
                total_cost=sum(costs, Decimal(0)), lines=lines)


# -- a member leaves -----------------------------------------------------------------------------


async def withdraw_member(session: AsyncSession, member_id: int, now: datetime) -> list[Purchase]:
    """A removed member's pledges in open purchases are withdrawn (whatever the deadline: the
    settlement has not counted them yet). Returns the purchases whose cards change."""
    rows = await session.execute(
        select(Pledge, Purchase).join(Purchase, Purchase.id == Pledge.purchase_id)
        .where(Pledge.member_id == member_id, Pledge.status == PLEDGED, Purchase.status == OPEN)
        .order_by(Pledge.id))
    touched = []
    for found, purchase in rows:
        locked = await session.execute(
            update(Purchase).where(Purchase.id == purchase.id, Purchase.status == OPEN)
            .values(pledge_seq=Purchase.pledge_seq + 1))
        if not locked.rowcount:
            continue
        found.status, found.updated_at = WITHDRAWN, now
        asks.record(session, purchase.request_id, None, "pledge_withdrawn", now,
                    member_id=member_id, reason="member_removed")
        touched.append(purchase)
    return touched


async def call_off_organised_by(session: AsyncSession, member_id: int,
                                now: datetime) -> list[Settlement]:
    """A removed member's open purchases are called off (failed, requests cancelled): nobody
    is left to buy and share out. Returns each settlement, whose lines say whom to tell."""
    ids = list(await session.scalars(select(Purchase.id).where(
        Purchase.organiser_id == member_id, Purchase.status == OPEN).order_by(Purchase.id)))
    called_off = []
    for purchase_id in ids:
        purchase = await get(session, purchase_id)
        locked = await session.execute(
            update(Purchase).where(Purchase.id == purchase.id, Purchase.status == OPEN)
            .values(pledge_seq=Purchase.pledge_seq + 1))
        if not locked.rowcount:
            continue
        rows = await _pledges(session, purchase.id, (PLEDGED,))
        settlement = await _close(session, purchase, rows, now, went=False,
                                  reason="cancelled", actor_id=None)
        called_off.append(replace(settlement, organiser_left=True))
    return called_off
