"""Meetings' services on both engines with a fixed clock: answers per member, the close, who gets
reminders, series polls opened once, permissions."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.effects.meetings import jobs_for
from bot.services import alliances, meetings, people
from bot.services.alliances import ChatFacts
from bot.services.errors import DomainError
from bot.services.people import Speaker
from storage.models import Alliance, Meeting, Member, Role
from tests.conftest import NOW

HOME = ChatFacts(tg_chat_id=-1001, kind="supergroup", title="Repair Alliance")


async def alliance_with_members(session: AsyncSession) -> Alliance:
    for pid in (1, 2, 3, 4, 5):
        await people.touch(session, Speaker(id=pid, first_name=f"P{pid}"), NOW)
    alliance, _ = await alliances.setup(session, chat=HOME, person_id=1, sender_is_chat_admin=True,
                                        locale="en", timezone="Asia/Taipei", now=NOW)
    # Member A: persons 1 (coordinator) and 2; member B: person 3; member C (suspended): person 4.
    for name, status, pids in (("A", "active", (1, 2)), ("B", "active", (3,)), ("C", "suspended", (4,))):
        member = Member(alliance_id=alliance.id, name=name, status=status, created_at=NOW,
                        updated_at=NOW)
        session.add(member)
        await session.flush()
        for pid in pids:
            role = await alliances.role_of(session, alliance.id, pid)
            if role is None:
                role = Role(alliance_id=alliance.id, person_id=pid, role="member", created_at=NOW)
                session.add(role)
            role.member_id = member.id
    await session.commit()
    return alliance


async def poll(session: AsyncSession, alliance: Alliance) -> Meeting:
    meeting = await meetings.create_meeting(session, meetings.NewPoll(
        alliance_id=alliance.id, title="Monthly", duration_min=60, place=None,
        slots=[NOW + timedelta(days=3), NOW + timedelta(days=2)], deadline=NOW + timedelta(days=1)),
        person_id=2, now=NOW)
    await session.commit()
    return meeting


async def test_one_answer_per_member_whoever_of_its_people_sets_it(session: AsyncSession) -> None:
    alliance = await alliance_with_members(session)
    meeting = await poll(session, alliance)
    early, late = await meetings.slots_of(session, meeting.id)
    assert early.starts_at < late.starts_at
    await meetings.answer(session, slot_id=early.id, person_id=1, choice="yes", now=NOW)
    await meetings.answer(session, slot_id=early.id, person_id=2, choice="no", now=NOW)  # same member
    await meetings.answer(session, slot_id=early.id, person_id=3, choice="maybe", now=NOW)
    await meetings.answer(session, slot_id=late.id, person_id=3, choice="yes", now=NOW)
    await session.commit()
    counted = await meetings.tallies(session, meeting.id)
    assert [(t.yes, t.maybe, t.no) for t in counted] == [(0, 1, 1), (1, 0, 0)]
    assert await meetings.answered_members(session, meeting.id) == 2
    for pid, code in ((4, "member_suspended"), (5, "members_only")):
        with pytest.raises(DomainError) as caught:
            await meetings.answer(session, slot_id=early.id, person_id=pid, choice="yes", now=NOW)
        assert caught.value.code == code
    with pytest.raises(DomainError) as caught:
        await meetings.answer(session, slot_id=early.id, person_id=3, choice="yes",
                              now=NOW + timedelta(days=1))
    assert caught.value.code == "meeting_closed"


async def test_close_picks_the_winner_once_and_names_who_is_reminded(session: AsyncSession) -> None:
    alliance = await alliance_with_members(session)
    meeting = await poll(session, alliance)
    early, late = await meetings.slots_of(session, meeting.id)
    await meetings.answer(session, slot_id=early.id, person_id=3, choice="maybe", now=NOW)
    await meetings.answer(session, slot_id=late.id, person_id=3, choice="no", now=NOW)
    await meetings.answer(session, slot_id=early.id, person_id=2, choice="no", now=NOW)
    await meetings.answer(session, slot_id=late.id, person_id=2, choice="no", now=NOW)
    await session.commit()
    outcome = await meetings.close(session, meeting.id, NOW + timedelta(days=1))
    assert outcome is not None and outcome.winner is not None and outcome.winner.slot_id == early.id
    await session.commit()
    assert await meetings.close(session, meeting.id, NOW + timedelta(days=1)) is None
    assert await meetings.attendees(session, outcome.meeting) == [3]
    specs = jobs_for(outcome.meeting)
    assert [(s.id, s.at) for s in specs] == [
        (f"meeting.remind:{meeting.id}:24h", early.starts_at - timedelta(hours=24)),
        (f"meeting.remind:{meeting.id}:1h", early.starts_at - timedelta(hours=1))]


async def test_wizard_rules_are_checked_again_by_the_service(session: AsyncSession) -> None:
    alliance = await alliance_with_members(session)
    cases = [
        ({"slots": [NOW + timedelta(days=2)]}, "meeting_too_few_slots"),
        ({"slots": [NOW + timedelta(days=2, hours=h) for h in range(11)]}, "meeting_too_many_slots"),
        ({"deadline": NOW + timedelta(days=5)}, "deadline_after_slot"),
        ({"deadline": NOW - timedelta(minutes=1)}, "deadline_in_past"),
        ({"title": " "}, "meeting_title_empty"),
    ]
    for change, code in cases:
        values = {"title": "T", "slots": [NOW + timedelta(days=2), NOW + timedelta(days=3)],
                  "deadline": NOW + timedelta(days=1)} | change
        with pytest.raises(DomainError) as caught:
            await meetings.create_meeting(session, meetings.NewPoll(
                alliance_id=alliance.id, duration_min=60, place=None, **values),
                person_id=1, now=NOW)
        assert caught.value.code == code
    with pytest.raises(DomainError) as caught:
        await meetings.may_call_meeting(session, alliance.id, 5)
    assert caught.value.code == "members_only"
    assert (await meetings.may_call_meeting(session, alliance.id, 1)).id == alliance.id


async def test_series_poll_opens_once_per_occurrence(session: AsyncSession) -> None:
    alliance = await alliance_with_members(session)
    with pytest.raises(DomainError) as caught:
        await meetings.create_series(session, meetings.NewSeries(
            alliance_id=alliance.id, title="Weekly", kind="weekly", weekday=3, at=time(19),
            offsets=(-60, 0, 60), open_days=3, poll_hours=48, place=None), person_id=3, now=NOW)
    assert caught.value.code == "coordinators_only"
    series = await meetings.create_series(session, meetings.NewSeries(
        alliance_id=alliance.id, title="Weekly", kind="weekly", weekday=3, at=time(19),
        offsets=(-60, 0, 60), open_days=3, poll_hours=48, place="Garage"), person_id=1, now=NOW)
    await session.commit()
    due = await meetings.polls_due(session, series, NOW)
    # NOW is Monday 23 November 17:00 in Taipei: Thursday 26th 19:00, poll opened Monday 19:00.
    (first_at, first_opens), (second_at, _) = due
    assert first_at.astimezone(meetings.zone("Asia/Taipei")).day == 26
    assert first_opens == first_at - timedelta(days=3)
    assert second_at - first_at == timedelta(days=7)
    opened = await meetings.open_series_poll(session, series.id, first_at, first_opens)
    assert opened is not None and opened.deadline == first_opens + timedelta(hours=48)
    await session.commit()
    assert await meetings.open_series_poll(session, series.id, first_at, first_opens) is None
    assert next(at for at, _ in await meetings.polls_due(session, series, first_opens)) == second_at
    await meetings.set_series_status(session, series.id, 1, meetings.PAUSED, NOW)
    await session.commit()
    assert await meetings.open_series_poll(session, series.id, second_at, NOW) is None
    assert await session.scalar(select(func.count()).select_from(Meeting)) == 1
