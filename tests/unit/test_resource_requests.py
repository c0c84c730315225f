"""Resource requests: asks, offers, the accepted offer's contacts, closing, expiry, listing
(both engines)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import requests as asks
from bot.services.errors import DomainError
from bot.services.requests import RequestDraft
from storage.models import Member, ResourceEvent, ResourceOffer, ResourceRequest
from tests.conftest import NOW
from tests.unit.factories import roster

TAIPEI = ZoneInfo("Asia/Taipei")


def lift(**changes: object) -> RequestDraft:
    values: dict[str, object] = dict(kind=asks.EQUIPMENT, title="A car lift for a day",
                                     details="Two-post, 3 t", quantity=1, unit="lift",
                                     needed_by=NOW + timedelta(days=3))
    values.update(changes)
    return RequestDraft(**values)  # type: ignore[arg-type]


async def suspend(session: AsyncSession, member_id: int) -> None:
    await session.execute(update(Member).where(Member.id == member_id).values(status="suspended"))
    await session.commit()


async def actions(session: AsyncSession, request_id: int) -> list[str]:
    return [event.action for event in await asks.events_of(session, request_id)]


async def test_an_accepted_offer_hands_each_side_the_others_contact(session: AsyncSession) -> None:
    await roster(session, 3)
    await session.execute(update(Member).where(Member.id == 2).values(contact="+886 2 1234 5678"))
    request = await asks.ask(session, 1, 100, lift(), NOW)
    first = await asks.offer(session, request.id, 200, "Mine is free on Friday", NOW)
    second = await asks.offer(session, request.id, 300, "Ours too", NOW)
    again = await asks.offer(session, request.id, 300, "Ours too, from noon", NOW)
    assert again.id == second.id and again.note == "Ours too, from noon"  # one offer per member
    await session.commit()

    match = await asks.accept_offer(session, first.id, 100, NOW)
    await session.commit()
    assert match.request.status == asks.MATCHED and match.request.accepted_offer_id == first.id
    assert [p.id for p in match.requester.people] == [100]
    assert [p.id for p in match.offerer.people] == [200]
    assert match.offerer.contact == "+886 2 1234 5678"
    offers = {o.id: o.status for o in await session.scalars(select(ResourceOffer))}
    assert offers == {first.id: asks.OFFER_ACCEPTED, second.id: asks.OFFER_DECLINED}
    assert await actions(session, request.id) == [
        "open", "offered", "offered", "offered", "matched", "offer_accepted"]
    events = list(await session.scalars(select(ResourceEvent)))
    assert all("+886" not in str(event.details) for event in events)  # no contact in history

    done = await asks.close(session, request.id, 100, NOW, fulfilled=True)
    assert done.status == asks.FULFILLED and done.closed_at == NOW


async def test_illegal_moves_are_refused_and_change_nothing(session: AsyncSession) -> None:
    await roster(session, 3)
    request = await asks.ask(session, 1, 100, lift(), NOW)
    offer = await asks.offer(session, request.id, 200, "", NOW)
    await session.commit()
    refusals = [
        (asks.offer(session, request.id, 100, "", NOW), "request_own"),
        (asks.accept_offer(session, offer.id, 300, NOW), "request_not_yours"),
        (asks.close(session, request.id, 200, NOW, fulfilled=True), "request_not_yours"),
        (asks.withdraw_offer(session, offer.id, 300, NOW), "offer_not_yours"),
    ]
    for call, code in refusals:
        with pytest.raises(DomainError) as caught:
            await call
        assert caught.value.code == code
    await asks.close(session, request.id, 100, NOW, fulfilled=False)
    await session.commit()
    rid = request.id  # a rollback below expires the loaded rows
    for call, code in [
        (asks.close(session, request.id, 100, NOW, fulfilled=True), "request_is_cancelled"),
        (asks.move(session, request.id, asks.MATCHED, 100, NOW), "request_is_cancelled"),
        (asks.offer(session, request.id, 300, "late", NOW), "request_is_cancelled"),
        (asks.accept_offer(session, offer.id, 100, NOW), "offer_is_declined"),
        (asks.withdraw_offer(session, offer.id, 200, NOW), "offer_is_declined"),
    ]:
        with pytest.raises(DomainError) as caught:
            await call
        assert caught.value.code == code
        await session.rollback()
    assert await asks.expire(session, rid, NOW + timedelta(days=9)) is None
    assert (await asks.get(session, rid)).status == asks.CANCELLED
    assert await actions(session, rid) == ["open", "offered", "cancelled"]


async def test_a_suspended_member_can_neither_ask_nor_offer(session: AsyncSession) -> None:
    await roster(session, 3)
    request = await asks.ask(session, 1, 100, lift(), NOW)
    offer = await asks.offer(session, request.id, 300, "", NOW)
    await suspend(session, 2)
    for call in (asks.ask(session, 1, 200, lift(), NOW),
                 asks.offer(session, request.id, 200, "", NOW)):
        with pytest.raises(DomainError) as caught:
            await call
        assert caught.value.code == "member_suspended"
    with pytest.raises(DomainError) as caught:
        await asks.ask(session, 1, 999, lift(), NOW)
    assert caught.value.code == "members_only"
    await suspend(session, 3)  # an offer from a member suspended since cannot be accepted
    with pytest.raises(DomainError) as caught:
        await asks.accept_offer(session, offer.id, 100, NOW)
    assert caught.value.code == "offer_member_inactive"


@pytest.mark.parametrize(("changes", "code"), [
    ({"kind": "boat"}, "request_bad_kind"),
    ({"kind": asks.PURCHASE}, "request_purchase_terms"),
    ({"title": "  "}, "request_bad_title"),
    ({"title": "x" * 201}, "request_bad_title"),
    ({"title": "/cancel"}, "request_bad_title"),
    ({"title": "x" * 5000}, "request_bad_title"),
    ({"details": "y" * 2001}, "request_bad_details"),
    ({"quantity": 0}, "request_bad_quantity"),
    ({"quantity": 10**7}, "request_bad_quantity"),
    ({"unit": "u" * 33}, "request_bad_unit"),
    ({"needed_by": NOW}, "request_date_past"),
    ({"needed_by": NOW + timedelta(days=400)}, "request_date_too_far"),
    ({"needed_by": datetime(2026, 12, 1)}, "request_bad_date"),
])
async def test_bad_input_is_refused_and_nothing_is_written(session: AsyncSession,
                                                           changes: dict[str, object],
                                                           code: str) -> None:
    await roster(session, 1)
    with pytest.raises(DomainError) as caught:
        await asks.ask(session, 1, 100, lift(**changes), NOW)
    assert caught.value.code == code
    assert await session.scalar(select(func.count()).select_from(ResourceRequest)) == 0
    assert await session.scalar(select(func.count()).select_from(ResourceEvent)) == 0


def test_text_is_cleaned_and_numbers_are_ascii() -> None:
    assert asks.clean_title("  a\x00 car\tlift  ") == "a car lift"
    assert asks.clean_details("line one  \n\n  line two") == "line one\n\nline two"
    assert asks.parse_quantity(" 12 ") == 12
    for text in ("12a", "١٢", "-1", "0", "", "12345678"):
        with pytest.raises(DomainError):
            asks.parse_quantity(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-03", datetime(2026, 12, 3, 15, 59, tzinfo=UTC)),  # the end of that day in Taipei
    ("12/3", datetime(2026, 12, 3, 15, 59, tzinfo=UTC)),
    ("2026-12-03 10:00", datetime(2026, 12, 3, 2, 0, tzinfo=UTC)),
    ("明天", datetime(2026, 11, 24, 15, 59, tzinfo=UTC)),
])
def test_needed_by_is_read_in_the_alliance_zone(text: str, expected: datetime) -> None:
    assert asks.parse_needed_by(text, now=NOW, zone=TAIPEI) == expected


@pytest.mark.parametrize(("text", "code"), [
    ("2026-11-01", "request_date_past"), ("soon", "request_bad_date"), ("", "request_bad_date"),
    ("2028-01-01", "request_date_too_far"), ("9" * 500, "request_bad_date")])
def test_bad_needed_by_is_explained(text: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        asks.parse_needed_by(text, now=NOW, zone=TAIPEI)
    assert caught.value.code == code


async def test_expiry_at_needed_by_happens_once(session: AsyncSession) -> None:
    await roster(session, 2)
    due = await asks.ask(session, 1, 100, lift(), NOW)
    later = await asks.ask(session, 1, 100, lift(needed_by=NOW + timedelta(days=5)), NOW)
    undated = await asks.ask(session, 1, 200, lift(needed_by=None), NOW)
    offer = await asks.offer(session, due.id, 200, "", NOW)
    await session.commit()
    assert [i for i, _ in await asks.scheduled(session)] == [due.id, later.id]
    assert await asks.expire_due(session, NOW + timedelta(days=2)) == []
    expired = await asks.expire_due(session, NOW + timedelta(days=3))
    assert [r.id for r in expired] == [due.id]
    await session.commit()
    assert await asks.expire_due(session, NOW + timedelta(days=3, minutes=1)) == []
    assert (await session.get(ResourceOffer, offer.id, populate_existing=True)).status == \
        asks.OFFER_DECLINED
    assert await actions(session, due.id) == ["open", "offered", "expired"]
    assert (await asks.get(session, undated.id)).status == asks.OPEN


async def test_open_requests_are_paged_by_kind(session: AsyncSession) -> None:
    await roster(session, 2)
    for n in range(12):
        await asks.ask(session, 1, 100, lift(kind=asks.SPACE, title=f"Space {n}",
                                              needed_by=NOW + timedelta(days=n + 1)), NOW)
    await asks.ask(session, 1, 200, lift(kind=asks.EXPERTISE, title="Paint advice"), NOW)
    closed = await asks.ask(session, 1, 200, lift(kind=asks.SPACE, title="Gone"), NOW)
    await asks.close(session, closed.id, 200, NOW, fulfilled=True)
    first = await asks.open_page(session, 1, kind=asks.SPACE)
    assert first.total == 12 and first.pages == 2 and len(first.items) == asks.PAGE
    assert [r.title for r in first.items[:2]] == ["Space 0", "Space 1"]  # soonest needed first
    last = await asks.open_page(session, 1, kind=asks.SPACE, number=99)
    assert last.number == 1 and [r.title for r in last.items] == ["Space 10", "Space 11"]
    everything = await asks.open_page(session, 1)
    assert everything.total == 13 and everything.names[1] == "Shop 1"
    with pytest.raises(DomainError):
        await asks.open_page(session, 1, kind="boats")


async def test_two_people_accepting_two_offers_at_once_match_one(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await roster(session, 3, people_each=2)
    for _round in range(3):
        async with sessions() as session:
            request = await asks.ask(session, 1, 100, lift(), NOW)
            offers = [(await asks.offer(session, request.id, p, "", NOW)).id for p in (200, 300)]
            await session.commit()

        async def accept(offer_id: int, person: int) -> str:
            async with sessions() as session:
                try:
                    await asks.accept_offer(session, offer_id, person, NOW)
                    await session.commit()
                except DomainError as error:
                    return error.code
                return "matched"

        outcomes = await asyncio.gather(accept(offers[0], 100), accept(offers[1], 101))
        assert sorted(outcomes)[0] == "matched" and sorted(outcomes)[1] != "matched"
        async with sessions() as session:
            statuses = sorted(o.status for o in await session.scalars(
                select(ResourceOffer).where(ResourceOffer.request_id == request.id)))
            assert statuses == [asks.OFFER_ACCEPTED, asks.OFFER_DECLINED]
            assert (await actions(session, request.id)).count("matched") == 1


@pytest.mark.parametrize(("text", "expected"), [
    ("2", (2, None)), ("3 days", (3, "days")), ("2台", (2, "台")), (" 50 m² ", (50, "m²")),
    ("9999999 bolts", (9999999, "bolts")),
])
def test_the_wizards_quantity_and_unit_are_read_together(text: str,
                                                         expected: tuple[int, str | None]) -> None:
    assert asks.parse_amount(text) == expected


@pytest.mark.parametrize(("text", "code"), [
    ("", "request_bad_quantity"), ("days", "request_bad_quantity"), ("0 days", "request_bad_quantity"),
    ("１２", "request_bad_quantity"), ("²", "request_bad_quantity"), ("-3", "request_bad_quantity"),
    ("12345678 x", "request_bad_quantity"), ("2 " + "u" * 33, "request_bad_unit"),
    ("2 /cancel", "request_bad_unit"), ("9" * 4000, "request_bad_quantity"),
])
def test_a_bad_quantity_or_unit_is_explained(text: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        asks.parse_amount(text)
    assert caught.value.code == code


async def test_offering_and_closing_are_checked_before_anything_is_asked(
        session: AsyncSession) -> None:
    await roster(session, 3)
    request = await asks.ask(session, 1, 100, lift(), NOW)
    await session.commit()
    assert (await asks.may_ask(session, 1, 200)).id == 1
    found, member = await asks.may_offer(session, request.id, 200)
    assert (found.id, member.id) == (request.id, 2)
    assert (await asks.may_close(session, request.id, 100)).id == request.id
    for call, code in [(asks.may_offer(session, request.id, 100), "request_own"),
                       (asks.may_close(session, request.id, 200), "request_not_yours"),
                       (asks.may_offer(session, 999, 200), "request_not_found"),
                       (asks.may_ask(session, 1, 999), "members_only")]:
        with pytest.raises(DomainError) as caught:
            await call
        assert caught.value.code == code
    await asks.close(session, request.id, 100, NOW, fulfilled=True)
    for call in (asks.may_offer(session, request.id, 200), asks.may_close(session, request.id, 100)):
        with pytest.raises(DomainError) as caught:
            await call
        assert caught.value.code == "request_is_fulfilled"
    assert await session.scalar(select(func.count()).select_from(ResourceOffer)) == 0
