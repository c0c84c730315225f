"""Joint purchases: terms, pledges (also at the same moment, on both engines), the settlement at
the deadline, the card, a purchase started from a passed proposal, and a removed member."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import equipment as gear
from bot.services import purchases as buys
from bot.services import requests as asks
from bot.services import resources
from bot.services.errors import DomainError
from bot.services.purchases import PurchaseDraft, Tier
from storage.models import Member, Pledge, Proposal, Purchase, ResourceRequest
from tests.conftest import NOW
from tests.unit.factories import open_one, roster

DEADLINE = NOW + timedelta(days=3)
OIL = PurchaseDraft(item="Engine oil 5W-30", unit="litre", currency="TWD", moq=100,
                    deadline=DEADLINE, unit_price=Decimal(330),
                    tiers=(Tier(100, Decimal(310)), Tier(200, Decimal(290))))
CHANGER = PurchaseDraft(item="Tyre changer", unit="share", currency="TWD", moq=3,
                        deadline=DEADLINE, pricing=buys.SPLIT, total_price=Decimal(30000))


async def code_of(call: object) -> str:
    with pytest.raises(DomainError) as caught:
        await call  # type: ignore[misc]
    return caught.value.code


async def opened(session: AsyncSession, draft: PurchaseDraft = OIL, person: int = 100) -> int:
    purchase = await buys.open_purchase(session, 1, person, draft, NOW)
    await session.commit()
    return purchase.id


async def test_a_purchase_reaching_its_moq_goes_ahead_at_the_tier_reached(
        session: AsyncSession) -> None:
    await roster(session, 4)
    pid = await opened(session)
    await buys.pledge(session, pid, 100, 40, NOW)
    await buys.pledge(session, pid, 200, 50, NOW)
    await buys.pledge(session, pid, 300, 30, NOW)
    await buys.pledge(session, pid, 300, 10, NOW + timedelta(hours=1))  # changed: 30 → 10
    await buys.pledge(session, pid, 400, 25, NOW)
    await buys.withdraw(session, pid, 400, NOW)  # withdrawn: not counted
    await session.commit()
    card = await buys.card(session, pid)
    assert (card.pledged, card.moq, card.unit_price) == (100, 100, Decimal(310))
    assert card.next_tier == Tier(200, Decimal(290))
    assert [(line.name, line.quantity, line.cost) for line in card.lines] == [
        ("Shop 1", 40, Decimal(12400)), ("Shop 2", 50, Decimal(15500)), ("Shop 3", 10, Decimal(3100))]
    assert card.total_cost == Decimal(31000)

    assert await buys.settle(session, pid, DEADLINE - timedelta(seconds=1)) is None  # not yet
    settled = await buys.settle(session, pid, DEADLINE)  # the MOQ reached exactly at the deadline
    await session.commit()
    assert settled is not None and settled.went_ahead and settled.reason == "reached"
    assert settled.total_quantity == 100 and settled.unit_price == Decimal(310)
    assert [(line.quantity, line.cost, line.people) for line in settled.lines] == [
        (40, Decimal(12400), [100]), (50, Decimal(15500), [200]), (10, Decimal(3100), [300])]
    assert settled.total_cost == sum(line.cost for line in settled.lines)
    assert settled.organiser_people == [100]
    statuses = sorted((p.member_id, p.status, p.cost) for p in await session.scalars(
        select(Pledge).execution_options(populate_existing=True)))
    assert statuses == [(1, buys.CONFIRMED, Decimal(12400)), (2, buys.CONFIRMED, Decimal(15500)),
                        (3, buys.CONFIRMED, Decimal(3100)), (4, buys.WITHDRAWN, None)]
    purchase = await buys.get(session, pid)
    assert (purchase.status, purchase.settled_total, purchase.settled_price) == (
        buys.GO, 100, Decimal(310))
    assert (await asks.get(session, purchase.request_id)).status == asks.MATCHED

    assert await buys.settle(session, pid, DEADLINE + timedelta(days=1)) is None  # idempotent
    assert await buys.settle_due(session, DEADLINE + timedelta(days=1)) == []
    assert await code_of(buys.pledge(session, pid, 400, 5, NOW)) == "purchase_is_go"
    assert await code_of(buys.fulfil(session, pid, 200, NOW)) == "purchase_not_yours"
    done = await buys.fulfil(session, pid, 100, DEADLINE + timedelta(days=5))
    assert done.status == buys.FULFILLED
    assert (await asks.get(session, purchase.request_id)).status == asks.FULFILLED
    assert await code_of(buys.fulfil(session, pid, 1, NOW)) == "purchase_is_fulfilled"
    events = [e.action for e in await asks.events_of(session, purchase.request_id)]
    assert events == ["open", "purchase_opened", "pledged", "pledged", "pledged", "pledged",
                      "pledged", "pledge_withdrawn", "matched", "fulfilled"]


async def test_below_the_moq_it_fails_and_nobody_pays(session: AsyncSession) -> None:
    await roster(session, 3)
    pid = await opened(session)
    await buys.pledge(session, pid, 200, 99, NOW)
    await session.commit()
    assert await code_of(buys.fulfil(session, pid, 100, NOW)) == "purchase_is_open"
    settled = await buys.settle_due(session, DEADLINE)
    assert [(s.went_ahead, s.reason, s.unit_price) for s in settled] == [(False, "below_moq", None)]
    purchase = await buys.get(session, pid)
    assert purchase.status == buys.FAILED and purchase.settled_price is None
    assert (await asks.get(session, purchase.request_id)).status == asks.EXPIRED
    pledge = await session.scalar(select(Pledge).execution_options(populate_existing=True))
    assert pledge is not None and pledge.cost is None and pledge.status == buys.PLEDGED
    assert await buys.settle(session, pid, DEADLINE) is None
    assert await code_of(buys.fulfil(session, pid, 100, NOW)) == "purchase_is_failed"


async def test_a_total_price_is_split_to_the_cent(session: AsyncSession) -> None:
    await roster(session, 3)
    pid = await opened(session, replace(CHANGER, currency="USD", total_price=Decimal("100.00")))
    for person in (100, 200, 300):
        await buys.pledge(session, pid, person, 1, NOW)  # one share each: an even split
    settled = await buys.settle(session, pid, DEADLINE)
    assert settled is not None
    assert [line.cost for line in settled.lines] == [Decimal("33.34"), Decimal("33.33"),
                                                    Decimal("33.33")]
    assert sum(line.cost for line in settled.lines) == Decimal("100.00") == settled.total_cost
    card = await buys.card(session, pid)
    assert [line.cost for line in card.lines] == [line.cost for line in settled.lines]


async def test_pledges_are_refused_when_they_should_be(session: AsyncSession) -> None:
    await roster(session, 4)
    pid = await opened(session, replace(OIL, maximum=120))
    await buys.pledge(session, pid, 200, 100, NOW)
    assert await code_of(buys.pledge(session, pid, 300, 21, NOW)) == "purchase_over_maximum"
    await buys.pledge(session, pid, 200, 80, NOW)  # lowering one's own pledge frees room
    await buys.pledge(session, pid, 300, 40, NOW)
    assert await code_of(buys.pledge(session, pid, 300, 0, NOW)) == "purchase_bad_quantity"
    assert await code_of(buys.withdraw(session, pid, 400, NOW)) == "pledge_none"
    assert await code_of(buys.pledge(session, pid, 400, 1, DEADLINE)) == "purchase_deadline_passed"
    assert await code_of(buys.withdraw(session, pid, 200, DEADLINE)) == "purchase_deadline_passed"
    await session.execute(update(Member).where(Member.id == 4).values(status="suspended"))
    assert await code_of(buys.pledge(session, pid, 400, 1, NOW)) == "member_suspended"
    assert await code_of(buys.pledge(session, pid, 999, 1, NOW)) == "members_only"
    assert await buys.pledged_total(session, pid) == 120
    request = await asks.get(session, (await buys.get(session, pid)).request_id)
    assert await code_of(asks.offer(session, request.id, 300, "", NOW)) == "request_pledge_instead"
    assert await code_of(asks.close(session, request.id, 100, NOW, fulfilled=False)) == \
        "request_is_purchase"


@pytest.mark.parametrize(("changes", "code"), [
    ({"item": ""}, "request_bad_title"), ({"unit": ""}, "request_bad_unit"),
    ({"moq": 0}, "purchase_bad_moq"), ({"maximum": 50}, "purchase_bad_maximum"),
    ({"unit_price": None}, "purchase_bad_amount"), ({"unit_price": Decimal("0")}, "purchase_bad_amount"),
    ({"unit_price": Decimal("1.001")}, "purchase_too_precise"),
    ({"currency": "XYZ"}, "purchase_bad_currency"),
    ({"tiers": (Tier(200, Decimal(290)), Tier(100, Decimal(310)))}, "purchase_bad_tiers"),
    ({"pricing": "barter"}, "purchase_bad_pricing"),
    ({"pricing": buys.SPLIT}, "purchase_bad_pricing"),  # tiers make no sense for a split
    ({"deadline": NOW + timedelta(minutes=30)}, "purchase_bad_deadline"),
    ({"deadline": NOW + timedelta(days=200)}, "purchase_bad_deadline"),
])
async def test_bad_terms_are_refused_and_nothing_is_written(session: AsyncSession,
                                                            changes: dict[str, object],
                                                            code: str) -> None:
    await roster(session, 1)
    assert await code_of(buys.open_purchase(session, 1, 100, replace(OIL, **changes), NOW)) == code
    assert await session.scalar(select(func.count()).select_from(Purchase)) == 0
    assert await session.scalar(select(func.count()).select_from(ResourceRequest)) == 0


def test_typed_prices() -> None:
    assert buys.parse_price("1,250.50", "TWD") == Decimal("1250.50")
    for text, code in [("0", "purchase_bad_amount"), ("12 USD", "purchase_other_currency"),
                       ("lots", "purchase_bad_amount")]:
        with pytest.raises(DomainError) as caught:
            buys.parse_price(text, "TWD")
        assert caught.value.code == code


async def _pledge_at_once(sessions: async_sessionmaker[AsyncSession], pid: int,
                          pledges: list[tuple[int, int]]) -> list[str]:
    async def one(person: int, quantity: int) -> str:
        async with sessions() as session:
            try:
                await buys.pledge(session, pid, person, quantity, NOW)
                await session.commit()
            except DomainError as error:
                return error.code
            return "pledged"

    return list(await asyncio.gather(*[one(p, q) for p, q in pledges]))


async def test_members_pledging_at_the_same_moment_are_all_counted(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await roster(session, 4, people_each=2)
        pid = await opened(session)
        capped = await opened(session, replace(OIL, moq=5, maximum=10))
    for round_ in range(1, 4):
        outcomes = await _pledge_at_once(sessions, pid, [(100, round_), (200, 2 * round_),
                                                        (300, 3 * round_), (400, 4 * round_)])
        assert outcomes == ["pledged"] * 4
        async with sessions() as session:
            assert await buys.pledged_total(session, pid) == 10 * round_  # no lost update
    # two people of one member pressing at once: one pledge row, holding one of the two
    await _pledge_at_once(sessions, pid, [(100, 7), (101, 8)])
    async with sessions() as session:
        rows = list(await session.scalars(select(Pledge).where(Pledge.purchase_id == pid,
                                                                Pledge.member_id == 1)))
        assert len(rows) == 1 and rows[0].quantity in (7, 8)
    # the maximum holds under concurrency: 6 + 6 > 10, one of them is refused
    outcomes = await _pledge_at_once(sessions, capped, [(200, 6), (300, 6)])
    assert sorted(outcomes) == ["pledged", "purchase_over_maximum"]
    async with sessions() as session:
        assert await buys.pledged_total(session, capped) == 6


async def test_a_passed_proposal_starts_a_prefilled_purchase(session: AsyncSession) -> None:
    await roster(session, 2)
    proposal_id = await open_one(session, title="Buy a shared tyre changer, split evenly")
    assert await code_of(buys.draft_from_proposal(session, proposal_id, 100, NOW)) == \
        "purchase_proposal_not_passed"
    await session.execute(update(Proposal).where(Proposal.id == proposal_id).values(
        status="closed", result={"eligible": 2, "voted": 2, "quorum_needed": 1, "counts": [2, 0, 0],
                                 "counted": 2, "passed": True, "winners": [0], "reason": "passed"}))
    draft = await buys.draft_from_proposal(session, proposal_id, 100, NOW)
    assert (draft.item, draft.pricing, draft.currency, draft.proposal_id) == (
        "Buy a shared tyre changer, split evenly", buys.SPLIT, "TWD", proposal_id)
    purchase = await buys.open_purchase(session, 1, 100, replace(
        draft, unit="share", total_price=Decimal(30000), moq=2), NOW)
    assert purchase.proposal_id == proposal_id
    assert await code_of(buys.draft_from_proposal(session, proposal_id, 200, NOW)) == \
        "purchase_proposal_used"
    assert await code_of(buys.draft_from_proposal(session, 999, 200, NOW)) == \
        "purchase_proposal_unknown"


async def test_cancelled_by_the_organiser_every_pledger_is_told(session: AsyncSession) -> None:
    await roster(session, 3)
    pid = await opened(session, CHANGER)
    await buys.pledge(session, pid, 200, 1, NOW)
    assert await code_of(buys.cancel(session, pid, 200, NOW)) == "purchase_not_yours"
    called_off = await buys.cancel(session, pid, 100, NOW)
    assert not called_off.went_ahead and called_off.reason == "cancelled"
    assert [line.people for line in called_off.lines] == [[200]]
    purchase = await buys.get(session, pid)
    assert purchase.status == buys.FAILED
    assert (await asks.get(session, purchase.request_id)).status == asks.CANCELLED
    assert await code_of(buys.cancel(session, pid, 100, NOW)) == "purchase_is_failed"


async def test_a_removed_members_pledges_and_bookings_are_withdrawn(session: AsyncSession) -> None:
    await roster(session, 4)
    pid = await opened(session)  # organised by Shop 1
    organised = await opened(session, CHANGER, person=300)  # organised by Shop 3
    await buys.pledge(session, pid, 300, 30, NOW)
    await buys.pledge(session, organised, 200, 1, NOW)
    item = (await gear.add_item(session, 1, 200, gear.ItemDraft(name="Lift"), NOW)).id
    upcoming = await gear.book(session, 300, gear.BookingDraft(item, NOW + timedelta(days=1),
                                                               NOW + timedelta(days=2)), NOW)
    out = await gear.book(session, 300, gear.BookingDraft(item, NOW, NOW + timedelta(hours=5)), NOW)
    await gear.picked_up(session, out.id, 300, NOW)
    held = (await gear.add_item(session, 1, 300, gear.ItemDraft(name="Jack"), NOW)).id
    ask = await asks.ask(session, 1, 300, asks.RequestDraft(kind=asks.SPACE, title="Paint booth"),
                         NOW)
    await asks.offer(session, ask.id, 400, "ours", NOW)
    other = await asks.ask(session, 1, 100, asks.RequestDraft(kind=asks.EXPERTISE, title="Tax"), NOW)
    offer = await asks.offer(session, other.id, 300, "I know", NOW)
    await session.execute(update(Member).where(Member.id == 3).values(status="removed"))
    await session.commit()

    removed = await resources.on_member_removed(session, 3, NOW + timedelta(hours=1))
    await session.commit()
    assert [p.id for p in removed.purchases] == [pid]
    assert await buys.pledged_total(session, pid) == 0
    assert [s.purchase.id for s in removed.cancelled_purchases] == [organised]
    assert [b.id for b in removed.bookings] == [upcoming.id]
    assert [b.id for b in removed.still_out] == [out.id]
    assert [r.id for r in removed.requests] == [ask.id]
    assert [o.id for o in removed.offers] == [offer.id]
    assert [i.id for i in removed.items] == [held]
    assert removed.tell == {1: {"items_without_holder"},
                            100: {"pledge_withdrawn", "offer_withdrawn"},
                            200: {"purchase_cancelled", "booking_cancelled", "loan_still_out"},
                            400: {"request_cancelled"}}
    again = await resources.on_member_removed(session, 3, NOW + timedelta(hours=2))
    assert again.purchases == again.bookings == again.requests == again.offers == []
    assert [b.id for b in again.still_out] == [out.id]  # still out: said again, nothing changed
    assert again.tell == {1: {"items_without_holder"}, 200: {"loan_still_out"}}


async def test_mine_lists_asks_offers_pledges_and_bookings(session: AsyncSession) -> None:
    await roster(session, 3)
    pid = await opened(session, person=200)
    await buys.pledge(session, pid, 100, 5, NOW)
    ask = await asks.ask(session, 1, 100, asks.RequestDraft(kind=asks.SPACE, title="Storage"), NOW)
    other = await asks.ask(session, 1, 300, asks.RequestDraft(kind=asks.OTHER, title="Van"), NOW)
    await asks.offer(session, other.id, 100, "", NOW)
    item = (await gear.add_item(session, 1, 300, gear.ItemDraft(name="Jack"), NOW)).id
    await gear.book(session, 100, gear.BookingDraft(item, NOW + timedelta(hours=2),
                                                    NOW + timedelta(hours=4)), NOW)
    mine = await resources.mine(session, 1, 100)
    assert [r.id for r in mine.asks] == [ask.id]
    assert [r.id for _o, r in mine.offers] == [other.id]
    assert [(p.quantity, b.id) for p, b, _cost in mine.pledges] == [(5, pid)]
    assert [cost for _p, _b, cost in mine.pledges] == [(await buys.card(session, pid)).lines[0].cost]
    assert [e.name for _b, e in mine.bookings] == ["Jack"]
    assert await code_of(resources.mine(session, 1, 999)) == "members_only"


async def test_the_checks_before_asking_open_pledge_and_manage(session: AsyncSession) -> None:
    """``may_open`` / ``may_pledge`` / ``require_manager``: what the bot checks before it asks
    anything, so a suspended member or a closed purchase is refused at once."""
    await roster(session, 3)
    assert (await buys.may_open(session, 1, 100)).id == 1
    pid = await opened(session)
    before = await buys.may_pledge(session, pid, 200, NOW)
    assert (before.member_id, before.current, before.alliance.id) == (2, None, 1)
    await buys.pledge(session, pid, 200, 7, NOW)
    assert (await buys.may_pledge(session, pid, 200, NOW)).current == 7
    await buys.withdraw(session, pid, 200, NOW)
    assert (await buys.may_pledge(session, pid, 200, NOW)).current is None
    assert await code_of(buys.may_pledge(session, pid, 200, DEADLINE)) == "purchase_deadline_passed"
    assert await code_of(buys.may_pledge(session, 999, 200, NOW)) == "purchase_not_found"
    assert await code_of(buys.may_open(session, 1, 999)) == "members_only"
    assert (await buys.require_manager(session, pid, 100)).id == pid  # the organiser
    assert (await buys.require_manager(session, pid, 1)).id == pid  # the coordinator
    assert await code_of(buys.require_manager(session, pid, 300)) == "purchase_not_yours"
    await session.execute(update(Member).where(Member.id == 3).values(status="suspended"))
    assert await code_of(buys.may_open(session, 1, 300)) == "member_suspended"
    assert await code_of(buys.may_pledge(session, pid, 300, NOW)) == "member_suspended"
    await buys.cancel(session, pid, 100, NOW)
    assert await code_of(buys.may_pledge(session, pid, 200, NOW)) == "purchase_is_failed"
