"""Proposals and ballots in the database (both engines): one ballot per member whatever the
concurrency, live eligibility, closing once, reminders once, deadline parsing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import ballots, decisions, tally
from bot.services.errors import DomainError
from storage.models import AuditEntry, Ballot, Member
from tests.conftest import NOW
from tests.unit.factories import open_one, roster


async def test_a_changed_vote_replaces_the_ballot(session: AsyncSession) -> None:
    persons = await roster(session, 4)
    pid = await open_one(session)
    await ballots.cast(session, pid, persons[0][0], tally.YES, NOW)
    await ballots.cast(session, pid, persons[0][0], tally.YES, NOW)  # the same again
    done = await ballots.cast(session, pid, persons[0][0], tally.NO, NOW)
    await session.commit()
    assert done.standing.counts == [0, 1, 0] and done.standing.ballots == 1
    assert await session.scalar(select(func.count()).select_from(Ballot)) == 1
    changed = await session.scalar(select(Ballot.changed))
    assert changed == 1


async def test_two_people_of_one_member_pressing_at_once_leave_one_ballot(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        persons = await roster(session, 4, people_each=2)  # these presses cannot settle it
        pid = await open_one(session)

    async def press(person: int, option: int) -> None:
        async with sessions() as session:
            await ballots.cast(session, pid, person, option, NOW)
            await session.commit()

    await asyncio.gather(press(persons[0][0], tally.YES), press(persons[0][1], tally.NO),
                         press(persons[1][0], tally.YES), press(persons[1][1], tally.YES))
    async with sessions() as session:
        rows = list(await session.execute(select(Ballot.member_id, Ballot.choices)))
        assert sorted(member for member, _ in rows) == [1, 2]
        now = await decisions.standing(session, await session.get(decisions.Proposal, pid))
        assert now.ballots == 2 and sum(now.counts) == 2


async def test_eligibility_is_live_and_refusals_are_clear(session: AsyncSession) -> None:
    persons = await roster(session, 3)
    pid = await open_one(session)
    await ballots.cast(session, pid, persons[0][0], tally.YES, NOW)
    await session.commit()
    member = await session.get(Member, 1)
    assert member is not None
    member.status = "suspended"
    await session.commit()
    proposal = await session.get(decisions.Proposal, pid)
    assert proposal is not None
    now = await decisions.standing(session, proposal)
    assert (now.eligible, now.ballots) == (2, 0)  # the suspended member's ballot stops counting
    with pytest.raises(DomainError) as refused:
        await ballots.cast(session, pid, persons[0][0], tally.NO, NOW)
    assert refused.value.code == "member_suspended"
    with pytest.raises(DomainError) as stranger:
        await ballots.cast(session, pid, 999, tally.NO, NOW)
    assert stranger.value.code == "members_only"
    with pytest.raises(DomainError) as late:
        await ballots.cast(session, pid, persons[1][0], tally.NO, NOW + timedelta(days=4))
    assert late.value.code == "proposal_closed"


async def test_closing_happens_once_and_audit_has_no_choices(session: AsyncSession) -> None:
    persons = await roster(session, 3)
    pid = await open_one(session, secret=True)
    await ballots.cast(session, pid, persons[0][0], tally.YES, NOW)
    await session.commit()
    with pytest.raises(DomainError) as refused:
        await decisions.close_early(session, pid, persons[1][0], NOW)
    assert refused.value.code == "proposal_close_refused"
    proposal, result = await decisions.close_early(session, pid, 1, NOW)  # a coordinator
    await session.commit()
    assert result.reason == tally.NO_QUORUM and proposal.close_reason == decisions.EARLY
    assert await decisions.close_at_deadline(session, pid, NOW + timedelta(days=4)) is None
    with pytest.raises(DomainError):
        await decisions.close_early(session, pid, 1, NOW)
    entries = list(await session.scalars(select(AuditEntry).where(
        AuditEntry.action.like("proposal.%"))))
    assert [e.action for e in entries] == ["proposal.open", "proposal.close"]
    assert all("counts" not in e.details and "choices" not in e.details for e in entries)


async def test_the_deadline_close_and_the_reminder_each_happen_once(session: AsyncSession) -> None:
    persons = await roster(session, 3)
    pid = await open_one(session, hours=48)
    await ballots.cast(session, pid, persons[0][0], tally.YES, NOW)
    await session.commit()
    early = NOW + timedelta(hours=25)
    found = await decisions.reminder_targets(session, pid, early)
    await session.commit()
    assert found is not None
    assert sorted(p.id for p in found[1]) == [persons[1][0], persons[2][0]]
    assert await decisions.reminder_targets(session, pid, early) is None
    assert await decisions.close_at_deadline(session, pid, NOW + timedelta(hours=47)) is None
    closed = await decisions.close_at_deadline(session, pid, NOW + timedelta(hours=48))
    await session.commit()
    assert closed is not None and closed[1].reason == tally.NO_QUORUM
    assert await decisions.close_at_deadline(session, pid, NOW + timedelta(hours=49)) is None


async def test_multiple_choice_toggles_and_limits(session: AsyncSession) -> None:
    persons = await roster(session, 3)
    pid = await open_one(session, kind=tally.MULTIPLE, options=["A", "B", "C"], max_choices=2)
    me = persons[0][0]
    assert (await ballots.cast(session, pid, me, 0, NOW)).choices == {0}
    assert (await ballots.cast(session, pid, me, 2, NOW)).choices == {0, 2}
    with pytest.raises(DomainError) as refused:
        await ballots.cast(session, pid, me, 1, NOW)
    assert refused.value.code == "proposal_too_many"
    assert (await ballots.cast(session, pid, me, 0, NOW)).choices == {2}
    withdrawn = await ballots.cast(session, pid, me, 2, NOW)
    assert withdrawn.choices == frozenset() and withdrawn.standing.ballots == 0


# Friday 27 November 2026, 10:00 in Taipei.
FRIDAY = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "hours"), [
    ("36小時", 36), ("36小时", 36), ("３６小時", 36), ("3天", 72), ("1天12小时", 36),
    ("1 天 12 小時", 36), ("1.5天", 36), ("10d", 240), ("36 hours", 36), ("2個小時", 2),
    ("三天", 72), ("两天半", 60), ("2天半", 60), ("一天十二小時", 36), ("二十四小时", 24),
    ("12/1 18:00", 104), ("下週二 18:00", 104), ("下周二 晚上6点半", 104.5),
    ("2026-12-01 18:00", 104), ("2026-12-01", 86), ("next Tue 18:00", 272)])
def test_deadline_reads_chinese_lengths_and_the_meeting_wizards_dates(text: str, hours: float) -> None:
    """The proposal wizard reads what the meeting wizard reads (one parser for each)."""
    assert decisions.parse_deadline(text, FRIDAY, "Asia/Taipei") == hours


def test_deadline_parsing_in_the_alliance_zone() -> None:
    assert decisions.parse_deadline("36h", NOW, "Asia/Taipei") == 36
    assert decisions.parse_deadline("10d", NOW, "Asia/Taipei") == 240
    # NOW is 09:00 UTC = 17:00 in Taipei; 2026-11-24 17:00 Taipei is 24 h later.
    assert decisions.parse_deadline("2026-11-24 17:00", NOW, "Asia/Taipei") == 24
    for bad, code in (("soon", "proposal_deadline_format"), ("30m", "proposal_deadline_range"),
                      ("36", "proposal_deadline_format"), ("天半", "proposal_deadline_format"),
                      ("31d", "proposal_deadline_range"), ("0h", "proposal_deadline_range"),
                      ("2026-11-23 17:30", "proposal_deadline_range")):
        with pytest.raises(DomainError) as refused:
            decisions.parse_deadline(bad, NOW, "Asia/Taipei")
        assert refused.value.code == code, bad


def test_options_are_checked() -> None:
    assert decisions.clean_options(" A \n\n B  b\n") == ["A", "B b"]
    for bad in ("only one", "a\nA", "\n".join("x" * 41 for _ in range(2)),
                "\n".join(str(n) for n in range(11))):
        with pytest.raises(DomainError):
            decisions.clean_options(bad)
