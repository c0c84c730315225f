"""Referral services: the state machine, fairness, the ledger, money and the purge (both engines)."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.effects.referrals import Refer
from bot.i18n import use_locale
from bot.runtime.fsm_storage import drop_abandoned, forms_in_progress
from bot.services import ledger
from bot.services import referrals as refs
from bot.services.errors import DomainError
from bot.services.referrals import Draft
from bot.services.settings import read as read_settings
from bot.views import referrals as views
from storage.models import Alliance, AuditEntry, FsmRecord, Member, Person, Referral, ReferralEvent, Role
from tests.conftest import NOW

CONTACT = "+886 912 345 678"


async def alliance(session: AsyncSession, zone: str = "Asia/Taipei", **settings: object) -> int:
    record = Alliance(name="A", charter="", locale="en", timezone=zone, settings=dict(settings),
                      created_at=NOW, updated_at=NOW)
    session.add(record)
    await session.flush()
    return record.id


async def member(session: AsyncSession, alliance_id: int, name: str, *people: int,
                 category: str = "repair", status: str = "active") -> int:
    record = Member(alliance_id=alliance_id, name=name, category=category, status=status,
                    created_at=NOW, updated_at=NOW)
    session.add(record)
    await session.flush()
    for pid in people:
        if await session.get(Person, pid) is None:
            session.add(Person(id=pid, first_name=f"P{pid}", started=True, created_at=NOW,
                               updated_at=NOW))
            await session.flush()
        session.add(Role(alliance_id=alliance_id, person_id=pid, role="member",
                         member_id=record.id, created_at=NOW))
    await session.commit()
    return record.id


def draft(receiver: int, **changes: object) -> Draft:
    values: dict[str, object] = dict(receiver_id=receiver, customer_name="Mrs Wu", contact=CONTACT,
                                     consent=True, need="brakes squeal", urgency="hot")
    values.update(changes)
    return Draft(**values)  # type: ignore[arg-type]


@pytest.fixture
async def roster(session: AsyncSession) -> dict[str, int]:
    aid = await alliance(session)
    return {"alliance": aid,
            "lin": await member(session, aid, "Lin Garage", 1),
            "chen": await member(session, aid, "Chen Tyres", 2, 3),
            "wang": await member(session, aid, "Wang Paint", 4, category="paint"),
            "sus": await member(session, aid, "Suspended Co", 5, status="suspended")}


async def test_the_whole_path_to_won_is_recorded_event_by_event(session: AsyncSession,
                                                                roster: dict[str, int]) -> None:
    aid = roster["alliance"]
    referral = await refs.create(session, aid, 1, draft(roster["chen"]), NOW)
    assert referral.status == refs.SENT
    assert not await refs.may_see_contact(session, referral, 2)
    assert await refs.may_see_contact(session, referral, 1)
    referral = await refs.accept(session, referral.id, 3, NOW + timedelta(minutes=5))
    assert (referral.status, referral.accepted_by) == (refs.ACCEPTED, 3)
    assert await refs.may_see_contact(session, referral, 2)  # a colleague of the acceptor
    assert not await refs.may_see_contact(session, referral, 4)
    await refs.contacted(session, referral.id, 2, NOW + timedelta(hours=1))
    referral = await refs.won(session, referral.id, 2, Decimal("12000"), "TWD", NOW + timedelta(days=2))
    assert (referral.won_value, referral.won_currency) == (Decimal("12000"), "TWD")
    referral = await refs.rate(session, referral.id, 1, 5, NOW + timedelta(days=3))
    assert referral.rating == 5
    events = list(await session.scalars(select(ReferralEvent).order_by(ReferralEvent.id)))
    assert [(e.action, e.actor_id) for e in events] == [
        ("sent", 1), ("accepted", 3), ("contacted", 2), ("won", 2), ("rated", 1)]
    for event in events:
        assert CONTACT not in str(event.details) and "Mrs Wu" not in str(event.details)
    assert await session.scalar(select(AuditEntry)) is None


async def test_only_one_of_accept_and_decline_wins(session: AsyncSession,
                                                   roster: dict[str, int]) -> None:
    referral = await refs.create(session, roster["alliance"], 1, draft(roster["chen"]), NOW)
    await refs.decline(session, referral.id, 2, "too busy", NOW)
    with pytest.raises(DomainError) as caught:
        await refs.accept(session, referral.id, 3, NOW)
    assert caught.value.code == "referral_is_declined"
    assert (await refs.get(session, referral.id)).accepted_by is None


async def test_wrong_people_and_wrong_states_are_refused(session: AsyncSession,
                                                         roster: dict[str, int]) -> None:
    aid = roster["alliance"]
    referral = await refs.create(session, aid, 1, draft(roster["chen"]), NOW)
    for person in (1, 4, 999):
        with pytest.raises(DomainError) as caught:
            await refs.accept(session, referral.id, person, NOW)
        assert caught.value.code == "referral_not_yours"
    with pytest.raises(DomainError) as caught:
        await refs.won(session, referral.id, 2, Decimal(1), "TWD", NOW)
    assert caught.value.code == "referral_is_sent"
    with pytest.raises(DomainError):
        await refs.cancel(session, referral.id, 2, NOW)
    await refs.cancel(session, referral.id, 1, NOW)
    with pytest.raises(DomainError) as caught:
        await refs.accept(session, referral.id, 2, NOW)
    assert caught.value.code == "referral_is_cancelled"


async def test_a_suspended_member_can_neither_refer_nor_receive(session: AsyncSession,
                                                                roster: dict[str, int]) -> None:
    aid = roster["alliance"]
    with pytest.raises(DomainError) as caught:
        await refs.create(session, aid, 5, draft(roster["chen"]), NOW)
    assert caught.value.code == "member_suspended"
    with pytest.raises(DomainError) as caught:
        await refs.create(session, aid, 1, draft(roster["sus"]), NOW)
    assert caught.value.code == "referral_receiver_inactive"
    suggested = await refs.suggest(session, aid, None, roster["lin"], NOW)
    assert roster["sus"] not in [s.member.id for s in suggested]
    # Suspended after the referral was sent: cannot accept it either.
    referral = await refs.create(session, aid, 1, draft(roster["wang"]), NOW)
    wang = await session.get(Member, roster["wang"])
    assert wang is not None
    wang.status = "suspended"
    await session.commit()
    with pytest.raises(DomainError) as caught:
        await refs.accept(session, referral.id, 4, NOW)
    assert caught.value.code == "member_suspended"


async def test_consent_and_inputs_are_checked(session: AsyncSession, roster: dict[str, int]) -> None:
    aid = roster["alliance"]
    for bad, code in ((draft(roster["chen"], consent=False), "referral_needs_consent"),
                      (draft(roster["chen"], contact="call me maybe"), "referral_bad_contact"),
                      (draft(roster["chen"], urgency="tepid"), "referral_bad_urgency"),
                      (draft(roster["chen"], need="  "), "referral_bad_need"),
                      (draft(roster["lin"]), "referral_not_yourself")):
        with pytest.raises(DomainError) as caught:
            await refs.create(session, aid, 1, bad, NOW)
        assert caught.value.code == code
    assert await session.scalar(select(Referral)) is None
    for good in ("+1 (555) 010-2030", "wu@example.com", "@mrs_wu", "https://wu.example.tw"):
        assert refs.clean_contact(good) == good


def test_money_is_decimal_with_an_iso_currency() -> None:
    assert refs.parse_money("12,000", "TWD") == (Decimal("12000"), "TWD")
    assert refs.parse_money("usd 19.99", "TWD") == (Decimal("19.99"), "USD")
    assert refs.parse_money("300 hkd", "TWD") == (Decimal("300"), "HKD")
    for bad, code in (("12.5 JPY", "referral_too_precise"), ("10 XYZ", "referral_bad_currency"),
                      ("ten", "referral_bad_amount"), ("-5", "referral_bad_amount"),
                      ("USD 5 EUR", "referral_bad_amount")):
        with pytest.raises(DomainError) as caught:
            refs.parse_money(bad, "TWD")
        assert caught.value.code == code


async def test_default_currency_follows_the_setting_or_the_zone(session: AsyncSession) -> None:
    for zone, expected in (("Asia/Taipei", "TWD"), ("Asia/Shanghai", "CNY"),
                           ("Asia/Hong_Kong", "HKD"), ("Europe/Berlin", "USD")):
        record = await session.get(Alliance, await alliance(session, zone))
        assert record is not None and read_settings(record).currency == expected
    record = await session.get(Alliance, await alliance(session, "Asia/Taipei", currency="eur"))
    assert record is not None and read_settings(record).currency == "EUR"


async def test_suggestion_is_fair_over_a_generated_history(session: AsyncSession) -> None:
    aid = await alliance(session)
    lin = await member(session, aid, "Lin", 1)
    shops = [await member(session, aid, f"Shop {i}", 10 + i) for i in range(5)]
    await member(session, aid, "Painter", 30, category="paint")
    await member(session, aid, "Gone", 31, status="suspended")
    rng = random.Random(7)
    received = dict.fromkeys(shops, 0)
    for day in range(200):  # old referrals (beyond 90 days) must not count
        at = NOW - timedelta(days=200 - day)
        target = rng.choice(shops)
        session.add(Referral(alliance_id=aid, referrer_id=lin, receiver_id=target,
                             customer_name="x", customer_contact="x", need="x", urgency="warm",
                             status=rng.choice(["won", "declined", "sent", "cancelled"]),
                             created_at=at, updated_at=at))
        if at >= NOW - refs.FAIRNESS_WINDOW:
            received[target] += 1
    await session.commit()
    cancelled = {m: 0 for m in shops}
    for referral in await session.scalars(select(Referral).where(
            Referral.status == "cancelled", Referral.created_at >= NOW - refs.FAIRNESS_WINDOW)):
        cancelled[referral.receiver_id] += 1
    expected_counts = {m: received[m] - cancelled[m] for m in shops}
    suggested = await refs.suggest(session, aid, "repair", lin, NOW)
    assert [s.member.id for s in suggested] == sorted(
        shops, key=lambda m: (expected_counts[m], [s.member.id for s in suggested].index(m)))
    assert [s.received for s in suggested] == sorted(expected_counts.values())
    assert lin not in [s.member.id for s in suggested]
    # Hand out 50 more by always taking the first suggestion: the counts even out.
    for step in range(50):
        first = (await refs.suggest(session, aid, "repair", lin, NOW))[0].member.id
        at = NOW - timedelta(minutes=50 - step)
        session.add(Referral(alliance_id=aid, referrer_id=lin, receiver_id=first, need="x",
                             urgency="warm", status="sent", created_at=at, updated_at=at))
        await session.commit()
    final = [s.received for s in await refs.suggest(session, aid, "repair", lin, NOW)]
    assert max(final) - min(final) <= 1
    skipped = await refs.suggest(session, aid, "repair", lin, NOW, skip=(shops[0],))
    assert shops[0] not in [s.member.id for s in skipped]


async def _referral(session: AsyncSession, aid: int, giver: int, taker: int, status: str,
                    days_ago: int, value: str | None = None, currency: str | None = None,
                    rating: int | None = None) -> Referral:
    at = NOW - timedelta(days=days_ago)
    referral = Referral(alliance_id=aid, referrer_id=giver, receiver_id=taker, need="n",
                        urgency="warm", status=status, created_at=at, updated_at=at,
                        won_value=Decimal(value) if value else None, won_currency=currency,
                        rating=rating, closed_at=at if status in refs.CLOSED else None)
    session.add(referral)
    await session.flush()
    return referral


async def test_ledger_against_a_fixture_worked_out_by_hand(session: AsyncSession) -> None:
    aid = await alliance(session)
    a = await member(session, aid, "Alpha", 1)
    b = await member(session, aid, "Beta", 2)
    c = await member(session, aid, "Gamma", 3)
    # Alpha → Beta: won 1000.50 TWD, won 200 USD, lost, sent; Beta → Alpha: won 99.50 TWD,
    # declined; Gamma → Beta: cancelled (counts nowhere), expired; Alpha → Gamma: contacted.
    await _referral(session, aid, a, b, "won", 10, "1000.50", "TWD")
    await _referral(session, aid, a, b, "won", 20, "200", "USD")
    await _referral(session, aid, a, b, "lost", 30)
    await _referral(session, aid, a, b, "sent", 1)
    await _referral(session, aid, b, a, "won", 5, "99.50", "TWD")
    await _referral(session, aid, b, a, "declined", 6)
    await _referral(session, aid, c, b, "cancelled", 7)
    await _referral(session, aid, c, b, "expired", 8)
    await _referral(session, aid, a, c, "contacted", 400)
    await session.commit()
    book = await ledger.ledger(session, aid, None, None)
    rows = {row.name: (row.given, row.received, row.accepted, row.won, row.won_value, row.balance)
            for row in book.rows}
    assert rows == {
        "Alpha": (5, 2, 1, 1, {"TWD": Decimal("99.50")}, 3),
        "Beta": (2, 5, 3, 2, {"TWD": Decimal("1000.50"), "USD": Decimal("200")}, -3),
        "Gamma": (1, 1, 1, 0, {}, 0),
    }
    credit = {row.name: (row.credited, row.credited_value) for row in book.rows}
    assert credit == {"Alpha": (2, {"TWD": Decimal("1000.50"), "USD": Decimal("200")}),
                      "Beta": (1, {"TWD": Decimal("99.50")}), "Gamma": (0, {})}
    totals = book.totals
    assert (totals.given, totals.received, totals.accepted, totals.won) == (8, 8, 5, 3)
    assert totals.won_value == {"TWD": Decimal("1100.00"), "USD": Decimal("200")}
    # The last 90 days leave out Alpha → Gamma.
    since, until = ledger.parse_period("90d", NOW, None)
    recent = await ledger.ledger(session, aid, since, until)
    assert {r.name: r.given for r in recent.rows} == {"Alpha": 4, "Beta": 2, "Gamma": 1}
    stats = await ledger.referral_stats(session, b, NOW)
    assert (stats.given, stats.received, stats.won, stats.average) == (2, 5, 2, None)


async def test_average_rating_shows_from_three_ratings(session: AsyncSession) -> None:
    aid = await alliance(session)
    a = await member(session, aid, "Alpha", 1)
    b = await member(session, aid, "Beta", 2)
    await _referral(session, aid, a, b, "won", 3, "1", "TWD", rating=5)
    await _referral(session, aid, a, b, "won", 2, "1", "TWD", rating=4)
    await session.commit()
    assert (await ledger.referral_stats(session, b, NOW)).average is None
    await _referral(session, aid, a, b, "won", 1, "1", "TWD", rating=4)
    await session.commit()
    stats = await ledger.referral_stats(session, b, NOW)
    assert (stats.ratings, stats.average) == (3, Decimal("4.3"))


async def test_rating_window_is_fourteen_days(session: AsyncSession, roster: dict[str, int]) -> None:
    referral = await refs.create(session, roster["alliance"], 1, draft(roster["chen"]), NOW)
    await refs.accept(session, referral.id, 2, NOW)
    await refs.won(session, referral.id, 2, Decimal("5"), "TWD", NOW)
    with pytest.raises(DomainError) as caught:
        await refs.rate(session, referral.id, 1, 4, NOW + timedelta(days=14, minutes=1))
    assert caught.value.code == "referral_rating_closed"
    with pytest.raises(DomainError) as caught:
        await refs.rate(session, referral.id, 2, 4, NOW)
    assert caught.value.code == "referral_not_yours"


async def test_contacts_are_purged_after_retention_and_the_ledger_keeps_the_referral(
        session: AsyncSession) -> None:
    aid = await alliance(session, retention_days=30)
    a = await member(session, aid, "Alpha", 1)
    b = await member(session, aid, "Beta", 2)
    referral = await refs.create(session, aid, 1, draft(b), NOW)
    await refs.accept(session, referral.id, 2, NOW)
    assert not await refs.purge(session, referral.id, NOW + timedelta(days=365))  # still open
    await refs.won(session, referral.id, 2, Decimal("10"), "TWD", NOW + timedelta(days=1))
    assert not await refs.purge(session, referral.id, NOW + timedelta(days=30))
    assert await refs.purge(session, referral.id, NOW + timedelta(days=31, seconds=1))
    await session.commit()
    stored = await refs.get(session, referral.id)
    assert (stored.customer_contact, stored.customer_name) == (None, None)
    assert stored.purged_at is not None
    assert not await refs.may_see_contact(session, stored, 1)
    book = await ledger.ledger(session, aid, None, None)
    assert {r.name: r.won for r in book.rows} == {"Alpha": 0, "Beta": 1}
    assert a in {r.member_id for r in book.rows}
    assert (await refs.scheduled(session)) == []


async def test_pass_on_skips_whoever_declined(session: AsyncSession, roster: dict[str, int]) -> None:
    aid = roster["alliance"]
    other = await member(session, aid, "Another Repair", 6)
    first = await refs.create(session, aid, 1, draft(roster["chen"]), NOW)
    await refs.decline(session, first.id, 2, "full this week", NOW)
    passed = await refs.pass_on_draft(session, first.id, 1)
    assert passed.contact == CONTACT and passed.passed_from_id == first.id
    skip = await refs.declined_by(session, first.id)
    suggested = await refs.suggest(session, aid, "repair", roster["lin"], NOW, skip=skip)
    assert [s.member.id for s in suggested] == [other]
    with pytest.raises(DomainError) as caught:
        await refs.create(session, aid, 1, replace(passed, receiver_id=roster["chen"]), NOW)
    assert caught.value.code == "referral_already_declined_by"
    second = await refs.create(session, aid, 1, replace(passed, receiver_id=other), NOW)
    assert second.passed_from_id == first.id
    with pytest.raises(DomainError) as caught:
        await refs.pass_on_draft(session, first.id, 1)
    assert caught.value.code == "referral_already_passed"


async def test_reminder_expiry_and_nudge_follow_stored_time(session: AsyncSession,
                                                            roster: dict[str, int]) -> None:
    aid = roster["alliance"]
    referral = await refs.create(session, aid, 1, draft(roster["chen"]), NOW)
    assert await refs.due_for_reminder(session, referral.id, NOW + timedelta(hours=23)) is None
    assert await refs.due_for_reminder(session, referral.id, NOW + timedelta(hours=24)) is not None
    assert await refs.due_for_reminder(session, referral.id, NOW + timedelta(hours=25)) is None
    assert await refs.expire(session, referral.id, NOW + timedelta(hours=71)) is None
    expired = await refs.expire(session, referral.id, NOW + timedelta(hours=72))
    assert expired is not None and expired.status == refs.EXPIRED
    other = await refs.create(session, aid, 1, draft(roster["chen"]), NOW)
    await refs.accept(session, other.id, 2, NOW)
    assert await refs.due_for_nudge(session, other.id, NOW + timedelta(days=6)) is None
    assert await refs.due_for_nudge(session, other.id, NOW + timedelta(days=7)) is not None
    assert await refs.due_for_nudge(session, other.id, NOW + timedelta(days=8)) is None
    await refs.contacted(session, other.id, 2, NOW + timedelta(days=9))
    assert await refs.due_for_nudge(session, other.id, NOW + timedelta(days=16)) is not None


async def test_member_stats_lines_for_the_directory_card(session: AsyncSession) -> None:
    aid = await alliance(session)
    a = await member(session, aid, "Alpha", 1)
    b = await member(session, aid, "Beta", 2)
    for stars in (5, 4, 3):
        await _referral(session, aid, a, b, "won", stars, "1000", "TWD", rating=stars)
    await _referral(session, aid, b, a, "won", 1, "20", "USD")
    await session.commit()
    with use_locale("en"):
        lines = views.member_stats_lines(await ledger.referral_stats(session, b, NOW))
    assert lines == ["Referrals: 1 given (1 of them won), 3 received, 3 won (NT$3,000)",
                     "Customer rating: 4 ★ from 3 ratings"]
    with use_locale("zh_Hant"):
        lines = views.member_stats_lines(await ledger.referral_stats(session, a, NOW))
    assert len(lines) == 1 and "US$20" in lines[0] and "US$20.00" not in lines[0] and "轉介" in lines[0]


async def test_an_abandoned_wizard_is_forgotten_after_a_day(session: AsyncSession) -> None:
    session.add(FsmRecord(key="bot:1:1:refer", state="Refer:need",
                          data={"contact": CONTACT}, updated_at=NOW))
    session.add(FsmRecord(key="bot:1:2:other", state="Other:step", data={"x": 1}, updated_at=NOW))
    await session.commit()
    assert [key for key, _at in await forms_in_progress(session, Refer)] == ["bot:1:1:refer"]
    assert not await drop_abandoned(session, "bot:1:1:refer", Refer, NOW - timedelta(seconds=1))
    assert not await drop_abandoned(session, "bot:1:2:other", Refer, NOW + timedelta(days=9))
    assert await drop_abandoned(session, "bot:1:1:refer", Refer, NOW)
    await session.commit()
    assert await forms_in_progress(session, Refer) == []


async def test_accept_and_decline_at_once_in_two_transactions_have_one_winner(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        aid = await alliance(session)
        await member(session, aid, "Lin", 1)
        chen = await member(session, aid, "Chen", 2, 3)
        referral = await refs.create(session, aid, 1, draft(chen), NOW)
        await session.commit()  # the caller owns the transaction, as the update middleware does
    for _round in range(5):
        async with sessions() as session:
            rid = (await refs.create(session, aid, 1, draft(chen), NOW)).id
            await session.commit()

        async def press(action: str, person: int, rid: int = rid) -> str:
            async with sessions() as session:
                try:
                    if action == "accept":
                        await refs.accept(session, rid, person, NOW)
                    else:
                        await refs.decline(session, rid, person, "busy", NOW)
                    await session.commit()
                except DomainError as error:
                    return error.code
                return "won"

        outcomes = await asyncio.gather(press("accept", 2), press("decline", 3))
        assert sorted(outcomes)[-1] == "won" and sorted(outcomes)[0].startswith("referral_is_")
        async with sessions() as session:
            events = list(await session.scalars(select(ReferralEvent.action).where(
                ReferralEvent.referral_id == rid)))
        assert len(events) == 2 and events[0] == "sent"
    assert referral.id


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300))
def test_any_typed_text_is_a_value_or_a_clear_refusal(text: str) -> None:
    for parse in (refs.clean_contact,
                  lambda value: refs.parse_money(value, "TWD"),
                  lambda value: refs.clean_text(value, refs.NAME_LIMIT, "referral_bad_name")):
        try:
            result = parse(text)
        except DomainError as error:
            assert error.code.startswith("referral_")
            with use_locale("zh_Hant"):
                assert views.errors.error_text(error) != views.errors.error_text(
                    DomainError("no_such_code"))
            continue
        if isinstance(result, tuple):
            amount, code = result
            assert isinstance(amount, Decimal) and code in refs.currencies() and amount >= 0
        else:
            assert result and len(result) <= refs.CONTACT_LIMIT and "\x00" not in result


def test_no_won_value_is_a_zero_amount_in_the_alliance_currency() -> None:
    from decimal import Decimal

    from bot.i18n import use_locale
    from bot.views.referrals import money_list
    for locale in ("en", "zh_Hans", "zh_Hant"):
        with use_locale(locale):
            assert money_list({}, "TWD") == "NT$0"
            assert money_list({}) == "0"
            assert money_list({"TWD": Decimal(15500)}, "TWD") == "NT$15,500"


async def test_the_scheduler_window_reads_only_referrals_with_a_job_due_before_it(
        session: AsyncSession) -> None:
    """Each alliance's own SLA and retention decide what falls in the window; overdue jobs are
    always in it, and nothing further out is read."""
    from bot.effects.referrals import jobs

    quick = await alliance(session, referral_sla_hours=2, retention_days=1)
    slow = await alliance(session)  # the defaults: 24 h SLA, 180 days' retention
    await member(session, quick, "Alpha", 1)
    b = await member(session, quick, "Beta", 2)
    await member(session, slow, "Gamma", 3)
    d = await member(session, slow, "Delta", 4)
    fast_sent = await refs.create(session, quick, 1, draft(b), NOW)
    slow_sent = await refs.create(session, slow, 3, draft(d), NOW)
    closed = await refs.create(session, slow, 3, draft(d), NOW)
    await refs.accept(session, closed.id, 4, NOW)
    await refs.won(session, closed.id, 4, Decimal("10"), "TWD", NOW)
    await session.commit()

    async def window(at: timedelta, width: timedelta = timedelta(minutes=20)) -> set[str]:
        return {spec.id for spec in await jobs(session, NOW + at, NOW + at + width)}

    assert await window(timedelta(0)) == set()
    assert await window(timedelta(hours=1, minutes=50)) == {f"referral.remind:{fast_sent.id}"}
    assert await window(timedelta(hours=23, minutes=50)) == {
        f"referral.remind:{fast_sent.id}", f"referral.remind:{slow_sent.id}"}
    # Days later, nothing answered: every overdue job is still found (once run, they go).
    assert await window(timedelta(days=4)) == {
        f"referral.remind:{fast_sent.id}", f"referral.expire:{fast_sent.id}",
        f"referral.remind:{slow_sent.id}", f"referral.expire:{slow_sent.id}"}
    assert f"referral.purge:{closed.id}" not in await window(timedelta(days=179))
    assert f"referral.purge:{closed.id}" in await window(timedelta(days=179, hours=23, minutes=50))
    assert f"referral.nudge:{closed.id}" not in await window(timedelta(days=200))
