"""Shared equipment: the catalogue, bookings that never overlap (also when booked at the same
moment, on both engines), hand-over, and notices produced once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import equipment as gear
from bot.services import requests as asks
from bot.services.equipment import BookingDraft, ItemDraft
from bot.services.errors import DomainError
from storage.models import Equipment, EquipmentBooking, Member
from tests.conftest import NOW
from tests.unit.factories import roster

TAIPEI = ZoneInfo("Asia/Taipei")
H = timedelta(hours=1)
D = timedelta(days=1)


async def changer(session: AsyncSession, person: int = 100, **changes: object) -> int:
    """Shop 1 (person 100) lends its tyre changer."""
    values: dict[str, object] = dict(name="Tyre changer", location="Shop 1, bay 2",
                                     conditions="Clean it after use", deposit=Decimal(2000))
    values.update(changes)
    item = await gear.add_item(session, 1, person, ItemDraft(**values), NOW)  # type: ignore[arg-type]
    await session.commit()
    return item.id


def slot(start_h: int, hours: int, item: int = 1, **changes: object) -> BookingDraft:
    return BookingDraft(item_id=item, starts_at=NOW + start_h * H,
                        ends_at=NOW + (start_h + hours) * H, **changes)  # type: ignore[arg-type]


async def code_of(call: object) -> str:
    with pytest.raises(DomainError) as caught:
        await call  # type: ignore[misc]
    return caught.value.code


async def test_who_adds_and_retires_items(session: AsyncSession) -> None:
    await roster(session, 3)
    own = await gear.add_item(session, 1, 200, ItemDraft(name="Lift"), NOW)
    assert own.holder_id == own.owner_id == 2 and own.deposit is None and own.currency is None
    for_shop3 = await gear.add_item(session, 1, 1, ItemDraft(name="Press", holder_id=3,
                                                             owned_by_alliance=True, fee=Decimal("150")), NOW)
    assert for_shop3.holder_id == 3 and for_shop3.owner_id is None and for_shop3.currency == "TWD"
    assert await code_of(gear.add_item(session, 1, 200, ItemDraft(name="X", holder_id=3), NOW)) == \
        "coordinators_only"
    assert await code_of(gear.add_item(session, 1, 1, ItemDraft(name="X", holder_id=99), NOW)) == \
        "equipment_bad_holder"
    assert await code_of(gear.add_item(session, 1, 200, ItemDraft(name=""), NOW)) == \
        "equipment_bad_name"
    assert await code_of(gear.add_item(session, 1, 200, ItemDraft(name="X", fee=Decimal("1.001")),
                                       NOW)) == "equipment_too_precise"
    await session.commit()
    listed = await gear.catalogue(session, 1, NOW)
    assert [(i.item.name, i.holder, i.owner) for i in listed] == [
        ("Lift", "Shop 2", "Shop 2"), ("Press", "Shop 3", None)]
    assert await code_of(gear.retire(session, own.id, 300, NOW)) == "equipment_not_yours"
    assert await code_of(gear.retire(session, for_shop3.id, 300, NOW)) == "equipment_not_yours"
    await gear.book(session, 300, slot(2, 3, own.id), NOW)
    retired = await gear.retire(session, own.id, 200, NOW)
    assert [b.status for b in retired.cancelled] == [gear.CANCELLED]
    assert await code_of(gear.retire(session, own.id, 1, NOW)) == "equipment_retired"
    assert await code_of(gear.book(session, 300, slot(10, 3, own.id), NOW)) == "equipment_retired"
    assert [i.item.name for i in await gear.catalogue(session, 1, NOW)] == ["Press"]


async def test_an_overlap_is_refused_with_the_next_free_slot(session: AsyncSession) -> None:
    await roster(session, 3)
    item = await changer(session)
    first = await gear.book(session, 200, slot(10, 2, item), NOW)
    await gear.book(session, 300, slot(14, 2, item), NOW)
    await gear.book(session, 300, slot(12, 2, item), NOW)  # back to back: [12, 14) fits exactly
    with pytest.raises(DomainError) as caught:
        await gear.book(session, 300, slot(11, 3, item), NOW)
    assert caught.value.code == "booking_taken"
    assert caught.value.params["next_start"] == NOW + 16 * H  # 3 hours fit only after 16:00
    assert caught.value.params["next_end"] == NOW + 19 * H
    await gear.cancel_booking(session, first.id, 200, NOW)
    await gear.book(session, 300, slot(9, 3, item), NOW)  # a cancelled booking frees its slot
    assert await session.scalar(select(func.count()).select_from(EquipmentBooking)) == 4


@pytest.mark.parametrize(("start", "end", "code"), [
    (-1, 2, "booking_in_past"), (5, 5, "booking_ends_before_start"), (5, 4, "booking_ends_before_start"),
    (24 * 91, 24 * 200, "booking_too_long"), (24 * 400, 24 * 401, "booking_too_far")])
async def test_bad_periods_are_refused_and_nothing_is_booked(session: AsyncSession, start: int,
                                                             end: int, code: str) -> None:
    await roster(session, 2)
    item = await changer(session)
    draft = BookingDraft(item_id=item, starts_at=NOW + start * H, ends_at=NOW + end * H)
    assert await code_of(gear.book(session, 200, draft, NOW)) == code
    assert await session.scalar(select(func.count()).select_from(EquipmentBooking)) == 0
    assert (await session.get(Equipment, item, populate_existing=True)).booking_seq == 0


async def test_a_suspended_member_cannot_book(session: AsyncSession) -> None:
    await roster(session, 2)
    item = await changer(session)
    await session.execute(update(Member).where(Member.id == 2).values(status="suspended"))
    assert await code_of(gear.book(session, 200, slot(2, 2, item), NOW)) == "member_suspended"
    assert await code_of(gear.book(session, 999, slot(2, 2, item), NOW)) == "members_only"


def test_periods_are_read_in_the_alliance_zone() -> None:
    start, end = gear.parse_period("2026-11-24 10:00", "2026-11-26", now=NOW, zone=TAIPEI)
    assert start == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # the end of the 26th in Taipei
    start, _end = gear.parse_period("today", "tomorrow", now=NOW, zone=TAIPEI)
    assert start == NOW  # today, from now
    for start_text, end_text, code in [("nonsense", "tomorrow", "booking_bad_time"),
                                       ("2026-11-01", "2026-11-02", "booking_in_past"),
                                       ("2026-11-25", "2026-11-24", "booking_ends_before_start"),
                                       ("x" * 5000, "tomorrow", "booking_bad_time")]:
        with pytest.raises(DomainError) as caught:
            gear.parse_period(start_text, end_text, now=NOW, zone=TAIPEI)
        assert caught.value.code == code


async def test_hand_over_and_cancel_follow_the_state_machine(session: AsyncSession) -> None:
    await roster(session, 3)
    item = await changer(session)
    booking = await gear.book(session, 200, slot(30, 48, item), NOW)
    bid = booking.id
    await session.commit()
    assert await code_of(gear.picked_up(session, bid, 300, NOW)) == "booking_not_yours"
    assert await code_of(gear.picked_up(session, bid, 200, NOW)) == "booking_too_early"
    taken = await gear.picked_up(session, bid, 100, NOW + 29 * H)  # the holder hands it over
    assert taken.status == gear.PICKED_UP and taken.picked_up_at == NOW + 29 * H
    assert await code_of(gear.cancel_booking(session, bid, 200, NOW)) == "booking_is_picked_up"
    assert await code_of(gear.picked_up(session, bid, 200, NOW + 30 * H)) == "booking_is_picked_up"
    back = await gear.returned(session, bid, 200, NOW + 70 * H)
    assert back.status == gear.RETURNED and back.returned_at == NOW + 70 * H
    assert await code_of(gear.returned(session, bid, 100, NOW + 71 * H)) == "booking_is_returned"
    other = await gear.book(session, 300, slot(100, 2, item), NOW)
    assert await code_of(gear.cancel_booking(session, other.id, 200, NOW)) == "booking_not_yours"
    assert (await gear.cancel_booking(session, other.id, 100, NOW)).status == gear.CANCELLED


async def test_a_borrow_request_answered_by_a_booking_is_matched(session: AsyncSession) -> None:
    await roster(session, 3)
    item = await changer(session)
    request = await asks.ask(session, 1, 200, asks.RequestDraft(kind=asks.EQUIPMENT,
                                                                title="A tyre changer"), NOW)
    other = await asks.ask(session, 1, 300, asks.RequestDraft(kind=asks.EQUIPMENT, title="Mine"),
                           NOW)
    assert await code_of(gear.book(session, 200, slot(2, 2, item, request_id=other.id), NOW)) == \
        "request_not_yours"
    await gear.book(session, 200, slot(2, 2, item, request_id=request.id), NOW)
    assert (await asks.get(session, request.id)).status == asks.MATCHED


async def test_notices_come_from_stored_times_and_each_comes_once(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await roster(session, 3)
        item = await changer(session)
        loan = await gear.book(session, 200, slot(1, 72, item), NOW)  # three days
        short = await gear.book(session, 300, slot(100, 3, item), NOW)  # three hours: no reminder
        await gear.picked_up(session, loan.id, 200, NOW + H)
        await session.commit()
        ends = loan.ends_at
        assert gear.next_notice_at(loan, NOW) == ends - D
        assert gear.next_notice_at(short, NOW) == short.ends_at
    lid, sid = loan.id, short.id
    timeline = [
        (ends - D - H, []),
        (ends - D, [(gear.REMINDER, lid, [200])]),
        (ends - H, []),
        (ends, [(gear.OVERDUE_BORROWER, lid, [200])]),
        (ends + D, [(gear.OVERDUE_HOLDER, lid, [100])]),
        (ends + 3 * D, [(gear.OVERDUE_BORROWER, sid, [300]), (gear.OVERDUE_HOLDER, sid, [100])]),
    ]
    for moment, expected in timeline:
        for restart in range(2):  # a second run (a restart) produces nothing again
            async with sessions() as session:
                notices = await gear.due_notices(session, moment)
                await session.commit()
            assert [(n.kind, n.booking.id, n.people) for n in notices] == \
                (expected if restart == 0 else [])
    async with sessions() as session:
        await gear.returned(session, loan.id, 100, ends + 4 * D)
        await session.commit()
        assert await gear.scheduled(session, ends + 4 * D) == []


async def test_a_returned_loan_owes_no_notice(session: AsyncSession) -> None:
    await roster(session, 2)
    item = await changer(session)
    loan = await gear.book(session, 200, slot(1, 72, item), NOW)
    await gear.returned(session, loan.id, 200, NOW + 2 * H)
    assert await gear.due_notices(session, NOW + 80 * H) == []
    assert gear.next_notice_at(loan, NOW) is None


async def _book_at_once(sessions: async_sessionmaker[AsyncSession], item: int,
                        periods: list[tuple[int, int]]) -> list[str]:
    async def one(person: int, start: int, hours: int) -> str:
        async with sessions() as session:
            try:
                await gear.book(session, person, slot(start, hours, item), NOW)
                await session.commit()
            except DomainError as error:
                return error.code
            return "booked"

    people = [100, 200, 300, 400]
    return list(await asyncio.gather(*[one(people[i % 4], s, h)
                                       for i, (s, h) in enumerate(periods)]))


async def _held(sessions: async_sessionmaker[AsyncSession], item: int) -> list[tuple[datetime, datetime]]:
    async with sessions() as session:
        return [(b.starts_at, b.ends_at) for b in await gear.bookings_of(session, item, NOW)]


async def test_two_booking_the_same_slot_at_once_one_wins(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await roster(session, 4)
        item = await changer(session)
    for round_ in range(4):
        outcomes = await _book_at_once(sessions, item, [(10 + 5 * round_, 3)] * 2)
        assert sorted(outcomes) == ["booked", "booking_taken"]
    outcomes = await _book_at_once(sessions, item, [(100, 4)] * 6)
    assert outcomes.count("booked") == 1 and outcomes.count("booking_taken") == 5
    assert len(await _held(sessions, item)) == 5


@settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(periods=st.lists(st.tuples(st.integers(1, 30), st.integers(1, 8)), min_size=2, max_size=8))
async def test_bookings_never_overlap_whatever_the_order_of_concurrent_requests(
        sessions: async_sessionmaker[AsyncSession], periods: list[tuple[int, int]]) -> None:
    async with sessions() as session:
        if await session.get(Member, 4) is None:
            await roster(session, 4)
        item = await changer(session, name=f"Changer {len(periods)}")  # a fresh item per example
    outcomes = await _book_at_once(sessions, item, periods)
    held = sorted(await _held(sessions, item))
    assert len(held) == outcomes.count("booked") >= 1
    assert set(outcomes) <= {"booked", "booking_taken"}
    for (_s1, e1), (s2, _e2) in pairwise(held):
        assert e1 <= s2  # sorted by start, each ends before the next starts: no overlap
    for (start, hours), outcome in zip(periods, outcomes, strict=True):
        wanted = (NOW + start * H, NOW + (start + hours) * H)
        clashes = any(s < wanted[1] and e > wanted[0] for s, e in held)
        assert clashes  # booked (it is one of them) or refused because one overlaps
        if outcome == "booked":
            assert wanted in held


async def test_what_the_wizards_check_before_asking(session: AsyncSession) -> None:
    await roster(session, 3)
    adding = await gear.adding(session, 1, 1)  # the coordinator, no business of their own
    assert adding.coordinator and adding.currency == "TWD" and adding.own is None
    assert [m.name for m in adding.members] == ["Shop 1", "Shop 2", "Shop 3"]
    mine = await gear.adding(session, 1, 200)
    assert not mine.coordinator and mine.members == [] and mine.own is not None and mine.own.id == 2
    assert await gear.may_add_at_all(session, 1, 999) is False
    await session.execute(update(Member).where(Member.id == 3).values(status="suspended"))
    assert await code_of(gear.adding(session, 1, 300)) == "member_suspended"
    assert await gear.may_add_at_all(session, 1, 300) is False
    item_id = await changer(session)
    item = await gear.get_item(session, item_id)
    assert [await gear.may_manage(session, item, p) for p in (1, 100, 200)] == [True, True, False]
    opening = await gear.open_booking(session, 200, item_id=item_id)
    assert (opening.alliance_id, opening.timezone, opening.request_id) == (1, "Asia/Taipei", None)
    assert opening.item is not None and opening.item.id == item_id
    assert await code_of(gear.open_booking(session, 300, item_id=item_id)) == "member_suspended"
    assert await code_of(gear.open_booking(session, 200, item_id=999)) == "equipment_not_found"
    request = await asks.ask(session, 1, 200, asks.RequestDraft(kind=asks.EQUIPMENT,
                                                                title="A tyre changer"), NOW)
    answering = await gear.open_booking(session, 200, request_id=request.id)
    assert answering.item is None and answering.request_id == request.id
    assert await code_of(gear.open_booking(session, 100, request_id=request.id)) == \
        "request_not_yours"
    assert await code_of(gear.open_booking(session, 200, request_id=999)) == "request_not_found"
    await gear.retire(session, item_id, 1, NOW)
    assert await code_of(gear.open_booking(session, 200, item_id=item_id)) == "equipment_retired"
