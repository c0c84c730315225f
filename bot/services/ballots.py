"""Ballots: presses on a proposal's options, counted in the order they came.

A whole alliance tends to answer a card at once, so presses are taken in batches: one query for
the proposals, one for the people pressing, the ballot writes in one statement each way, and one
count per proposal — however many presses came together. A single press is a batch of one.

One ballot per *member*: two people of the same business pressing at once still leave one
ballot, the last press winning. Each press is checked on its own (a stranger's press is refused,
the member's beside it counts), and counted presses never depend on the refused ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, case, select
from sqlalchemy import delete as sql_delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import decisions, tally
from bot.services.errors import DomainError
from bot.services.members import refusal_for_status
from bot.services.tally import Result
from storage.db import conflict_insert
from storage.models import Alliance, Ballot, Member, Person, Proposal, Role

BALLOTS = Ballot.__table__


@dataclass(frozen=True, slots=True)
class Press:
    proposal_id: int
    person_id: int
    option: int


@dataclass(frozen=True, slots=True)
class Counted:
    """What became of one press: the ballot it left, or why it was refused.

    ``locale`` is the language to answer in: the person's own choice (/lang), else the
    alliance's.
    """

    locale: str
    proposal: Proposal | None = None
    choices: frozenset[int] = frozenset()  # the member's ballot now (empty: withdrawn)
    closed: bool = False  # this press closed the proposal
    refused: DomainError | None = None


@dataclass(slots=True)
class Tally:
    """A batch's outcome: each press's, and the proposals the batch closed (with their result,
    for the announcement)."""

    counted: list[Counted]
    closed: list[tuple[Proposal, Result]] = field(default_factory=list)
    last_press: dict[int, int] = field(default_factory=dict)  # proposal → its last counted press

    @property
    def counted_on(self) -> set[int]:
        """The proposals whose ballots this batch changed."""
        return set(self.last_press)
    standings: dict[int, decisions.Standing] = field(default_factory=dict)  # after the batch


@dataclass(slots=True)
class _Voter:
    locale: str | None
    member_id: int | None
    status: str | None  # the member's


async def cast_many(session: AsyncSession, presses: Sequence[Press], now: datetime,
                    *, default_locale: str) -> Tally:
    """Count ``presses`` in order, in the session's transaction; close what they complete
    (every eligible member voted, or the rest can no longer change the outcome)."""
    if not presses:
        return Tally(counted=[])
    proposals = await _proposals(session, {press.proposal_id for press in presses})
    voters = await _voters(session, proposals, presses)
    coordinated = await _coordinated(session, proposals, voters)
    current = await _current(session, proposals, presses, voters)
    outcome = Tally(counted=[])
    writes: list[tuple[int, int, str]] = []  # (proposal, member, choices); "" deletes
    for index, press in enumerate(presses):
        found = proposals.get(press.proposal_id)
        voter = voters.get((found[0].alliance_id, press.person_id)) if found else None
        locale = (voter.locale if voter and voter.locale else None) or (
            found[1] if found else default_locale)
        try:
            if found is None:
                raise DomainError("proposal_unknown")
            proposal = found[0]
            member_id = _check(proposal, voter, coordinated, now, press.option)
            key = (proposal.id, member_id)
            if proposal.kind == tally.MULTIPLE:
                chosen = set(current.get(key, ())) ^ {press.option}
                if len(chosen) > proposal.max_choices:
                    raise DomainError("proposal_too_many", most=proposal.max_choices)
            else:
                chosen = {press.option}
        except DomainError as refusal:
            outcome.counted.append(Counted(locale=locale, refused=refusal,
                                           proposal=found[0] if found else None))
            continue
        current[key] = frozenset(chosen)
        writes.append((proposal.id, member_id, decisions.encode(chosen)))
        outcome.counted.append(Counted(locale=locale, proposal=proposal,
                                       choices=frozenset(chosen)))
        outcome.last_press[proposal.id] = index
    await _write(session, writes, now)
    for proposal_id in sorted(outcome.counted_on):
        proposal = proposals[proposal_id][0]
        standing = outcome.standings[proposal_id] = await decisions.standing(session, proposal)
        if not standing.settled:  # settled includes "everyone eligible has voted"
            continue
        reason = decisions.ALL_VOTED if standing.ballots >= standing.eligible else decisions.SETTLED
        result = await decisions.record_close(session, proposal, standing, reason, now, by=None)
        if result is not None:
            outcome.closed.append((proposal, result))
            closer = outcome.last_press[proposal_id]
            outcome.counted[closer] = replace(outcome.counted[closer], closed=True)
    return outcome


@dataclass(frozen=True, slots=True)
class Cast:
    proposal: Proposal
    choices: frozenset[int]
    standing: decisions.Standing
    closed: Result | None  # the outcome, when this ballot closed the proposal


async def cast(session: AsyncSession, proposal_id: int, person_id: int, option: int,
               now: datetime) -> Cast:
    """One press on its own (a batch of one); a refusal is raised."""
    counted_batch = await cast_many(session, [Press(proposal_id, person_id, option)], now,
                                    default_locale="en")
    counted = counted_batch.counted[0]
    if counted.refused is not None:
        raise counted.refused
    assert counted.proposal is not None
    closed = counted_batch.closed[0][1] if counted_batch.closed else None
    return Cast(counted.proposal, counted.choices, counted_batch.standings[proposal_id], closed)


def _check(proposal: Proposal, voter: _Voter | None, coordinated: set[int], now: datetime,
           option: int) -> int:
    """The member the press votes for, or why it may not."""
    if proposal.status != decisions.OPEN:
        raise DomainError("proposal_closed")
    refusal = refusal_for_status(voter.status if voter is not None else None)
    if refusal is not None:
        raise refusal
    assert voter is not None and voter.member_id is not None
    if proposal.electorate == decisions.COORDINATORS and voter.member_id not in coordinated:
        raise DomainError("proposal_coordinators_vote")
    if now >= proposal.closes_at:
        raise DomainError("proposal_closed")
    if not 0 <= option < len(proposal.options):
        raise DomainError("proposal_unknown")
    return voter.member_id


# -- reading what the presses need, a query each --------------------------------------------------


# Built once: a burst of presses runs them after every batch.
PROPOSALS = (select(Proposal, Alliance.locale).join(Alliance, Alliance.id == Proposal.alliance_id)
             .where(Proposal.id.in_(bindparam("ids", expanding=True))))
VOTERS = (select(Person.id, Person.locale, Member.id, Member.status).select_from(Person)
          .outerjoin(Role, and_(Role.person_id == Person.id,
                                Role.alliance_id == bindparam("alliance_id")))
          .outerjoin(Member, Member.id == Role.member_id)
          .where(Person.id.in_(bindparam("people", expanding=True))))


async def _proposals(session: AsyncSession, ids: set[int]) -> dict[int, tuple[Proposal, str]]:
    """Each proposal with its alliance's language."""
    rows = await session.execute(PROPOSALS, {"ids": list(ids)})
    return {proposal.id: (proposal, locale) for proposal, locale in rows}


async def _voters(session: AsyncSession, proposals: dict[int, tuple[Proposal, str]],
                  presses: Sequence[Press]) -> dict[tuple[int, int], _Voter]:
    """(alliance, person) → the person's language and the business they act for there."""
    people = {press.person_id for press in presses}
    voters: dict[tuple[int, int], _Voter] = {}
    for alliance_id in {proposal.alliance_id for proposal, _ in proposals.values()}:
        rows = await session.execute(VOTERS, {"alliance_id": alliance_id,
                                              "people": list(people)})
        for person_id, locale, member_id, status in rows:
            voters[(alliance_id, person_id)] = _Voter(locale, member_id, status)
    return voters


async def _coordinated(session: AsyncSession, proposals: dict[int, tuple[Proposal, str]],
                       voters: dict[tuple[int, int], _Voter]) -> set[int]:
    """Members for whom a coordinator acts: only asked when a coordinators' vote is pressed."""
    if all(proposal.electorate != decisions.COORDINATORS for proposal, _ in proposals.values()):
        return set()
    members = {voter.member_id for voter in voters.values() if voter.member_id is not None}
    rows = await session.scalars(select(Role.member_id).where(
        Role.member_id.in_(members), Role.role == "coordinator").distinct())
    return {member_id for member_id in rows if member_id is not None}


async def _current(session: AsyncSession, proposals: dict[int, tuple[Proposal, str]],
                   presses: Sequence[Press], voters: dict[tuple[int, int], _Voter]
                   ) -> dict[tuple[int, int], frozenset[int]]:
    """The ballots multiple-choice presses toggle, as they stand before the batch."""
    multiple = {proposal.id for proposal, _ in proposals.values()
                if proposal.kind == tally.MULTIPLE}
    if not multiple:
        return {}
    members = {voter.member_id for voter in voters.values() if voter.member_id is not None}
    rows = await session.execute(
        select(Ballot.proposal_id, Ballot.member_id, Ballot.choices)
        .where(Ballot.proposal_id.in_(multiple), Ballot.member_id.in_(members)))
    return {(proposal_id, member_id): frozenset(decisions.decode(choices))
            for proposal_id, member_id, choices in rows}


# -- writing ---------------------------------------------------------------------------------------


@cache
def _upsert_statement(dialect: str) -> Any:
    """Replace the member's ballot, counting a change of content (built once per dialect)."""
    statement = conflict_insert(dialect)(BALLOTS).values(
        proposal_id=bindparam("proposal_id"), member_id=bindparam("member_id"),
        choices=bindparam("choices"), cast_at=bindparam("cast_at"), changed=0)
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=["proposal_id", "member_id"],
        set_={"choices": excluded.choices, "cast_at": excluded.cast_at,
              "changed": case((BALLOTS.c.choices != excluded.choices, BALLOTS.c.changed + 1),
                              else_=BALLOTS.c.changed)})


WITHDRAW = sql_delete(BALLOTS).where(BALLOTS.c.proposal_id == bindparam("proposal_id"),
                                     BALLOTS.c.member_id == bindparam("member_id"))


async def _write(session: AsyncSession, writes: list[tuple[int, int, str]], now: datetime) -> None:
    """In press order: each run of replacements or withdrawals is one statement."""
    connection = await session.connection()
    upsert = _upsert_statement(connection.dialect.name)
    start = 0
    while start < len(writes):
        withdrawing = writes[start][2] == ""
        end = start
        while end < len(writes) and (writes[end][2] == "") == withdrawing:
            end += 1
        rows = [{"proposal_id": proposal_id, "member_id": member_id, "choices": choices,
                 "cast_at": now} for proposal_id, member_id, choices in writes[start:end]]
        if withdrawing:
            await connection.execute(WITHDRAW, [{"proposal_id": row["proposal_id"],
                                                 "member_id": row["member_id"]} for row in rows])
        else:
            await connection.execute(upsert, rows)
        start = end
