"""Presses counted in batches (both engines): the same ballots as one press at a time, each
press checked on its own, the close found once per batch, update claims taken once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import ballots, decisions, tally, updates
from bot.services.ballots import Press
from storage.models import Ballot, Member, Person
from tests.conftest import NOW
from tests.unit.factories import open_one, roster


async def stored(session: AsyncSession, proposal_id: int) -> dict[int, tuple[str, int]]:
    rows = await session.execute(select(Ballot.member_id, Ballot.choices, Ballot.changed)
                                 .where(Ballot.proposal_id == proposal_id))
    return {member: (choices, changed) for member, choices, changed in rows}


async def test_a_batch_leaves_what_the_same_presses_one_by_one_leave(
        session: AsyncSession) -> None:
    persons = await roster(session, 6, people_each=2)  # nobody settles it early
    batched, single = await open_one(session), await open_one(session)
    presses = [(persons[0][0], tally.YES), (persons[1][0], tally.NO), (persons[0][1], tally.NO),
               (persons[2][0], tally.ABSTAIN), (persons[1][0], tally.NO),
               (persons[2][0], tally.YES)]
    outcome = await ballots.cast_many(session, [Press(batched, person, option)
                                                for person, option in presses], NOW,
                                      default_locale="en")
    for person, option in presses:
        await ballots.cast(session, single, person, option, NOW)
    await session.commit()
    assert await stored(session, batched) == await stored(session, single) == {
        1: ("1", 1), 2: ("1", 0), 3: ("0", 1)}  # the last press of each business counts
    assert [counted.choices for counted in outcome.counted] == [
        {tally.YES}, {tally.NO}, {tally.NO}, {tally.ABSTAIN}, {tally.NO}, {tally.YES}]
    assert outcome.standings[batched].counts == [1, 2, 0]
    assert outcome.counted_on == {batched} and not outcome.closed


async def test_each_press_is_checked_on_its_own(session: AsyncSession) -> None:
    persons = await roster(session, 3)
    proposal_id = await open_one(session)
    member = await session.get(Member, 2)
    assert member is not None
    member.status = "suspended"
    stranger = Person(id=999, first_name="Stranger", locale="zh_Hant", started=True,
                      created_at=NOW, updated_at=NOW)
    session.add(stranger)
    await session.commit()
    outcome = await ballots.cast_many(session, [
        Press(proposal_id, persons[0][0], tally.YES),
        Press(proposal_id, 999, tally.YES),
        Press(proposal_id, persons[1][0], tally.YES),
        Press(proposal_id, persons[2][0], 7),
        Press(proposal_id + 50, persons[2][0], tally.YES),
        Press(proposal_id, 12345, tally.NO),  # never seen: no person row at all
    ], NOW, default_locale="zh_Hans")
    await session.commit()
    refusals = [c.refused.code if c.refused else None for c in outcome.counted]
    assert refusals == [None, "members_only", "member_suspended", "proposal_unknown",
                        "proposal_unknown", "members_only"]
    # The stranger is answered in their own language; the others in the alliance's.
    assert [c.locale for c in outcome.counted] == ["en", "zh_Hant", "en", "en", "zh_Hans", "en"]
    assert await stored(session, proposal_id) == {1: ("0", 0)}


async def test_multiple_choice_toggles_in_press_order_within_a_batch(
        session: AsyncSession) -> None:
    persons = await roster(session, 3)
    proposal_id = await open_one(session, kind=tally.MULTIPLE, options=["A", "B", "C"],
                                 max_choices=2)
    await ballots.cast(session, proposal_id, persons[0][0], 0, NOW)
    await session.commit()
    me = persons[0][0]
    outcome = await ballots.cast_many(session, [
        Press(proposal_id, me, 1), Press(proposal_id, me, 2), Press(proposal_id, me, 0),
        Press(proposal_id, me, 2), Press(proposal_id, me, 1), Press(proposal_id, me, 2)], NOW,
        default_locale="en")
    await session.commit()
    assert [c.refused.code if c.refused else sorted(c.choices) for c in outcome.counted] == [
        [0, 1], "proposal_too_many", [1], [1, 2], [2], []]
    assert await stored(session, proposal_id) == {}  # withdrawn: no ballot left


async def test_the_batch_that_completes_the_vote_closes_it_once(session: AsyncSession) -> None:
    persons = await roster(session, 3)
    proposal_id = await open_one(session)
    outcome = await ballots.cast_many(session, [
        Press(proposal_id, persons[0][0], tally.YES), Press(proposal_id, persons[1][0], tally.NO),
        Press(proposal_id, persons[2][0], tally.YES)], NOW, default_locale="en")
    await session.commit()
    assert [c.closed for c in outcome.counted] == [False, False, True]
    [(proposal, result)] = outcome.closed
    assert proposal.status == decisions.CLOSED and proposal.close_reason == decisions.ALL_VOTED
    assert result.passed and list(result.counts) == [2, 1, 0]
    late = await ballots.cast_many(session, [Press(proposal_id, persons[1][0], tally.YES)],
                                   NOW + timedelta(minutes=1), default_locale="en")
    assert late.counted[0].refused is not None
    assert late.counted[0].refused.code == "proposal_closed" and not late.closed


async def test_claims_are_taken_once_across_batches_and_within_one(session: AsyncSession) -> None:
    assert await updates.claim_many(session, 7, [10, 11, 12], NOW) == {10, 11, 12}
    await session.commit()
    assert await updates.claim_many(session, 7, [12, 13, 13, 14], NOW) == {13, 14}
    assert await updates.claim_many(session, 8, [12], NOW) == {12}  # another bot's own id
    assert await updates.claim_many(session, 7, [], NOW) == set()
    await session.commit()
    assert not await updates.claim(session, 7, 14, NOW)
