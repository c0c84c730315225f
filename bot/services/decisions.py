"""Proposals, ballots and the decision log (PRODUCT.md §5). Counting lives in ``tally``.

Eligibility is *live*: the members eligible when a ballot is counted (active members, or
active members for whom a coordinator acts). A suspended member's ballot stops counting while
suspended; a member approved while a vote is open may vote. The eligible count and the ballots
are read in the same transaction, so every tally is consistent.

Secret ballots: a ballot row holds the member id (one ballot per member) and the choices, never
who pressed; nothing here returns who chose what for a secret proposal, and audit entries carry
no choices for any proposal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import String, and_, bindparam, exists, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import zone
from bot.services import alliances, audit, settings, tally
from bot.services.errors import DomainError
from bot.services.inputs import capped
from bot.services.members import ACTIVE, require_active_member
from bot.services.settings import COORDINATORS, MAX_DEADLINE, MEMBERS, MIN_DEADLINE
from bot.services.slots import parse_length, parse_slot
from bot.services.tally import Result, Rules
from storage.models import Alliance, Ballot, Member, Person, Proposal, Role

OPEN, CLOSED = "open", "closed"
# Why it closed.
DEADLINE, ALL_VOTED, SETTLED, EARLY = "deadline", "all_voted", "settled", "early"

REMIND_BEFORE = timedelta(hours=24)
TITLE_LIMIT, TEXT_LIMIT, OPTION_LIMIT, MAX_OPTIONS = 200, 2500, 40, 10
DEADLINE_TEXT_LIMIT = 32  # "36h", "1天12小時", "下週二 晚上6點半" or "2026-12-01 18:00"
PAGE = 10

@dataclass(slots=True)
class Draft:
    """A proposal being written; the wizard keeps it as plain JSON in the FSM data."""

    alliance_id: int
    title: str = ""
    text: str = ""
    kind: str = tally.YES_NO
    options: list[str] = field(default_factory=list)
    max_choices: int = 1
    hours: float = 72
    quorum_pct: int = 50
    threshold: str = tally.MAJORITY
    secret: bool = False
    results_while_open: bool = True
    electorate: str = MEMBERS

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Draft:
        return cls(**{k: v for k, v in data.items() if k in cls.__slots__})  # type: ignore[attr-defined]


def rules_of(proposal: Proposal) -> Rules:
    return Rules(proposal.kind, len(proposal.options), proposal.threshold, proposal.quorum_pct,
                 proposal.max_choices)


def option_labels(kind: str, options: list[str]) -> list[str]:
    return list(tally.FIXED_OPTIONS.get(kind, options))


# -- proposing -----------------------------------------------------------------------------------


async def alliance_of(session: AsyncSession, alliance_id: int | None, person_id: int | None
                     ) -> Alliance:
    """The alliance a /propose link names, if the person has a role in it."""
    if alliance_id is not None and person_id is not None:
        role = await alliances.role_of(session, alliance_id, person_id)
        alliance = await session.get(Alliance, alliance_id) if role is not None else None
        if alliance is not None:
            return alliance
    raise DomainError("not_in_alliance")


async def start_draft(session: AsyncSession, alliance: Alliance, person_id: int) -> Draft:
    """Who may propose is a setting; the defaults come from the alliance's settings."""
    await require_may_propose(session, alliance, person_id)
    chosen = settings.read(alliance)
    return Draft(alliance_id=alliance.id, hours=chosen.proposal_deadline_hours,
                 quorum_pct=chosen.proposal_quorum_pct, threshold=chosen.proposal_threshold)


async def require_may_propose(session: AsyncSession, alliance: Alliance, person_id: int) -> None:
    if await alliances.is_coordinator(session, alliance.id, person_id):
        return
    if settings.read(alliance).who_may_propose == COORDINATORS:
        raise DomainError("coordinators_only")
    await require_active_member(session, alliance.id, person_id)


def clean_title(text: str | None) -> str:
    title = " ".join(capped(text, 4 * TITLE_LIMIT, "proposal_title_long", limit=TITLE_LIMIT,
                            length=len(text or "")).split())
    if not title:
        raise DomainError("proposal_title_empty")
    if len(title) > TITLE_LIMIT:
        raise DomainError("proposal_title_long", limit=TITLE_LIMIT, length=len(title))
    return title


def clean_text(text: str | None) -> str:
    body = (text or "").strip()
    if not body:
        raise DomainError("proposal_text_empty")
    if len(body) > TEXT_LIMIT:
        raise DomainError("proposal_text_long", limit=TEXT_LIMIT, length=len(body))
    return body


def clean_options(text: str | None) -> list[str]:
    text = capped(text, 4 * MAX_OPTIONS * OPTION_LIMIT, "proposal_option_long", limit=OPTION_LIMIT)
    options = [" ".join(line.split()) for line in text.splitlines()]
    options = [option for option in options if option]
    if len(options) < 2 or len(options) > MAX_OPTIONS:
        raise DomainError("proposal_options_count", most=MAX_OPTIONS)
    if any(len(option) > OPTION_LIMIT for option in options):
        raise DomainError("proposal_option_long", limit=OPTION_LIMIT)
    if len({option.casefold() for option in options}) != len(options):
        raise DomainError("proposal_options_repeat")
    return options


def parse_deadline(text: str | None, now: datetime, timezone: str) -> float:
    """How long the vote runs, in hours: a length (``36h``, ``36小時``, ``3天``, ``1天12小时``,
    ``10d``) or a date and time in the alliance's zone, written as the meeting wizard reads slots
    (``2026-12-01 18:00``, ``12/1 18:00``, ``下週二 18:00``), or a date alone (its midnight).
    The same parsers as the meeting wizard, so a member learns one way of writing times."""
    text = capped(text, DEADLINE_TEXT_LIMIT, "proposal_deadline_format")
    minutes = parse_length(text, bare=None)
    if minutes is not None:
        return check_hours(minutes / 60)
    try:
        moment = parse_slot(text, now=now, zone=zone(timezone)).utc
    except DomainError as error:
        if error.code == "slot_in_past":
            raise DomainError("proposal_deadline_range") from None
        moment = _date_alone(text, timezone)
    return check_hours((moment - now).total_seconds() / 3600)


def _date_alone(text: str, timezone: str) -> datetime:
    """``2026-12-01``: the start of that day in the alliance's zone."""
    try:
        local = datetime.strptime(text.strip(), "%Y-%m-%d")
    except ValueError:
        raise DomainError("proposal_deadline_format") from None
    return local.replace(tzinfo=zone(timezone))


def check_hours(hours: float) -> float:
    if not MIN_DEADLINE.total_seconds() <= hours * 3600 <= MAX_DEADLINE.total_seconds():
        raise DomainError("proposal_deadline_range")
    return hours


def check_draft(draft: Draft) -> None:
    if draft.kind not in tally.KINDS or draft.threshold not in tally.THRESHOLDS:
        raise DomainError("proposal_bad_rules")
    if draft.electorate not in (MEMBERS, COORDINATORS) or not 0 <= draft.quorum_pct <= 100:
        raise DomainError("proposal_bad_rules")
    clean_title(draft.title)
    clean_text(draft.text)
    check_hours(draft.hours)
    if draft.kind in (tally.SINGLE, tally.MULTIPLE):
        clean_options("\n".join(draft.options))
    Rules(draft.kind, len(option_labels(draft.kind, draft.options)), draft.threshold,
          draft.quorum_pct, draft.max_choices if draft.kind == tally.MULTIPLE else 1)


@dataclass(frozen=True, slots=True)
class Subject:
    """What a proposal opened by another feature is about (``kind`` names that feature's outcome
    hook, ``ref`` the thing: a membership vote is about an application)."""

    kind: str
    ref: str


def draft_for(alliance: Alliance, **fields: Any) -> Draft:
    """A draft on the alliance's default rules (deadline, quorum, threshold), with ``fields``."""
    chosen = settings.read(alliance)
    rules = {"hours": chosen.proposal_deadline_hours, "quorum_pct": chosen.proposal_quorum_pct,
             "threshold": chosen.proposal_threshold}
    return Draft(alliance_id=alliance.id, **{**rules, **fields})


async def open_proposal(session: AsyncSession, draft: Draft, *, author_id: int | None,
                        now: datetime, subject: Subject | None = None) -> Proposal:
    """Any feature opens a proposal here (membership votes do, with a ``subject``). The author's
    right to propose is the caller's business: the wizard checks it; a feature opening one on
    the alliance's behalf passes ``author_id=None``. Not committed: the caller commits, then
    posts its card and arms its jobs (``bot.effects.decisions``)."""
    alliance_id = draft.alliance_id
    await alliances.get_alliance(session, alliance_id)
    draft = replace(draft, options=list(draft.options), title=clean_title(draft.title),
                    text=clean_text(draft.text))
    check_draft(draft)
    kind, secret = draft.kind, draft.secret
    home = await alliances.home_chat(session, alliance_id)
    proposal = Proposal(
        alliance_id=alliance_id, author_id=author_id, title=draft.title, text=draft.text,
        kind=kind, options=option_labels(kind, draft.options),
        max_choices=draft.max_choices if kind == tally.MULTIPLE else 1,
        quorum_pct=draft.quorum_pct, threshold=draft.threshold, secret=secret,
        results_while_open=draft.results_while_open, electorate=draft.electorate,
        subject_kind=subject.kind if subject else None, subject_ref=subject.ref if subject else None,
        status=OPEN, opened_at=now,
        closes_at=now + timedelta(hours=draft.hours),
        chat_id=home.tg_chat_id if home else None, thread_id=home.thread_id if home else None,
        created_at=now, updated_at=now)
    session.add(proposal)
    await session.flush()
    audit.record(session, alliance_id=alliance_id, actor_id=author_id, action="proposal.open",
                 subject=str(proposal.id), details={"kind": kind, "secret": secret}, now=now)
    return proposal


async def publish_draft(session: AsyncSession, draft: Draft, person_id: int,
                        now: datetime) -> Proposal:
    alliance = await alliances.get_alliance(session, draft.alliance_id)
    await require_may_propose(session, alliance, person_id)
    if await alliances.home_chat(session, alliance.id) is None:
        raise DomainError("not_home_chat")
    return await open_proposal(session, draft, author_id=person_id, now=now)


# -- who may vote, and the standing ---------------------------------------------------------------


def _eligible(proposal: Proposal) -> Any:
    return _eligible_in(proposal.alliance_id, proposal.electorate)


def _eligible_in(alliance_id: Any, electorate: str) -> Any:
    condition = and_(Member.alliance_id == alliance_id, Member.status == ACTIVE)
    if electorate == COORDINATORS:
        condition = and_(condition, exists().where(Role.member_id == Member.id,
                                                   Role.role == "coordinator"))
    return condition


@dataclass(frozen=True, slots=True)
class Standing:
    rules: Rules
    counts: list[int]
    ballots: int
    eligible: int

    @property
    def result(self) -> Result:
        return tally.outcome(self.rules, self.counts, self.ballots, self.eligible)

    @property
    def settled(self) -> bool:
        return tally.settled(self.rules, self.counts, self.ballots, self.eligible)


async def standing(session: AsyncSession, proposal: Proposal) -> Standing:
    """Ballots of the members eligible now, and how many are eligible: one query, grouped by
    ballot content (a handful of rows however many members vote)."""
    rows = (await session.execute(_standing_statement(proposal.electorate),
                                  {"alliance_id": proposal.alliance_id,
                                   "proposal_id": proposal.id})).all()
    rules = rules_of(proposal)
    counts, total, members = [0] * rules.options, 0, 0
    for choices, n in rows:
        if choices is None:
            members = n
            continue
        total += n
        for choice in tally.valid_ballot(rules, decode(choices)):
            counts[choice] += n
    return Standing(rules, counts, total, members)


@cache
def _standing_statement(electorate: str) -> Any:
    """Built once per electorate: a burst of presses counts again after every batch."""
    eligible = _eligible_in(bindparam("alliance_id"), electorate)
    members = select(func.count()).select_from(Member).where(eligible).scalar_subquery()
    grouped = (select(Ballot.choices, func.count().label("n"))
               .join(Member, Member.id == Ballot.member_id)
               .where(Ballot.proposal_id == bindparam("proposal_id"), eligible)
               .group_by(Ballot.choices))
    return select(literal(None, String).label("choices"), members.label("n")).union_all(grouped)


def decode(choices: str) -> list[int]:
    return [int(choice) for choice in choices.split(",") if choice]


def encode(choices: frozenset[int] | set[int]) -> str:
    return ",".join(str(choice) for choice in sorted(choices))


# -- closing -----------------------------------------------------------------------------------


async def record_close(session: AsyncSession, proposal: Proposal, now_standing: Standing,
                       reason: str, now: datetime, *, by: int | None) -> Result | None:
    """Open → closed exactly once (a concurrent close finds it closed and does nothing)."""
    result = now_standing.result
    stored = {"eligible": result.eligible, "voted": result.voted,
              "quorum_needed": result.quorum_needed, "counts": list(result.counts),
              "counted": result.counted, "passed": result.passed,
              "winners": list(result.winners), "reason": result.reason}
    changed = await session.execute(
        update(Proposal).where(Proposal.id == proposal.id, Proposal.status == OPEN)
        .values(status=CLOSED, closed_at=now, close_reason=reason, closed_by=by, result=stored,
                updated_at=now).execution_options(synchronize_session=False))
    if not changed.rowcount:
        return None
    proposal.status, proposal.closed_at, proposal.close_reason = CLOSED, now, reason
    proposal.closed_by, proposal.result, proposal.updated_at = by, stored, now
    audit.record(session, alliance_id=proposal.alliance_id, actor_id=by, action="proposal.close",
                 subject=str(proposal.id), details={"reason": reason, "outcome": result.reason},
                 now=now)
    return result


async def close_at_deadline(session: AsyncSession, proposal_id: int, now: datetime
                            ) -> tuple[Proposal, Result] | None:
    """The scheduled close: nothing if it already closed (by votes, early, or an earlier run)."""
    proposal = await session.get(Proposal, proposal_id)
    if proposal is None or proposal.status != OPEN or now < proposal.closes_at:
        return None
    result = await record_close(session, proposal, await standing(session, proposal), DEADLINE,
                                now, by=None)
    return (proposal, result) if result is not None else None


async def close_early(session: AsyncSession, proposal_id: int, person_id: int, now: datetime,
                      *, alliance_id: int | None = None) -> tuple[Proposal, Result]:
    """/close: by the author or a coordinator of the proposal's alliance, nobody else."""
    proposal = await session.get(Proposal, proposal_id)
    if proposal is None or (alliance_id is not None and proposal.alliance_id != alliance_id):
        raise DomainError("proposal_unknown")
    if proposal.status != OPEN:
        raise DomainError("proposal_closed")
    if proposal.author_id != person_id and not await alliances.is_coordinator(
            session, proposal.alliance_id, person_id):
        raise DomainError("proposal_close_refused")
    result = await record_close(session, proposal, await standing(session, proposal), EARLY,
                                now, by=person_id)
    if result is None:
        raise DomainError("proposal_closed")
    return proposal, result


# -- reminders -------------------------------------------------------------------------------------


async def reminder_targets(session: AsyncSession, proposal_id: int, now: datetime
                           ) -> tuple[Proposal, list[Person]] | None:
    """Marks the reminder sent (once) and returns whom to remind: the people of eligible members
    without a ballot (for a coordinators' vote, their coordinators), who have started the bot."""
    proposal = await session.get(Proposal, proposal_id)
    if proposal is None or proposal.status != OPEN or proposal.reminded_at is not None:
        return None
    if now >= proposal.closes_at:
        return None  # too late to be useful: the close is due
    marked = await session.execute(
        update(Proposal).where(Proposal.id == proposal.id, Proposal.reminded_at.is_(None))
        .values(reminded_at=now).execution_options(synchronize_session=False))
    if not marked.rowcount:
        return None
    proposal.reminded_at = now
    voted = select(Ballot.member_id).where(Ballot.proposal_id == proposal.id)
    query = (select(Person).join(Role, Role.person_id == Person.id)
             .join(Member, Member.id == Role.member_id)
             .where(_eligible(proposal), Member.id.not_in(voted), Person.started,
                    Person.forgotten_at.is_(None))
             .order_by(Person.id))
    if proposal.electorate == COORDINATORS:
        query = query.where(Role.role == "coordinator")
    return proposal, list(await session.scalars(query))


# -- the log ---------------------------------------------------------------------------------------


async def page(session: AsyncSession, alliance_id: int, number: int
               ) -> tuple[list[Proposal], int, int]:
    """A page of the log, newest first: its proposals, how many there are in all, and the page
    number shown (a number past either end shows the nearest page)."""
    total = await session.scalar(select(func.count()).select_from(Proposal)
                                 .where(Proposal.alliance_id == alliance_id)) or 0
    pages = max(1, math.ceil(total / PAGE))
    number = min(max(number, 0), pages - 1)
    rows = await session.scalars(
        select(Proposal).where(Proposal.alliance_id == alliance_id)
        .order_by(Proposal.opened_at.desc(), Proposal.id.desc())
        .offset(number * PAGE).limit(PAGE))
    return list(rows), total, number


async def proposal_for(session: AsyncSession, proposal_id: int, person_id: int | None,
                       group_alliance_id: int | None) -> Proposal:
    """A proposal may be looked up in its alliance's groups, or in private by its people."""
    proposal = await session.get(Proposal, proposal_id)
    if proposal is None:
        raise DomainError("proposal_unknown")
    if group_alliance_id is not None:
        if group_alliance_id != proposal.alliance_id:
            raise DomainError("proposal_unknown")
        return proposal
    role = await alliances.role_of(session, proposal.alliance_id, person_id) if person_id else None
    if role is None:
        raise DomainError("proposal_unknown")
    return proposal


@dataclass(frozen=True, slots=True)
class Details:
    """What /proposal shows. ``by_option`` (member names per option) only for open ballots;
    ``not_voted`` — who has not voted yet — never says what anyone chose."""

    proposal: Proposal
    alliance: Alliance
    standing: Standing
    by_option: list[list[str]] | None
    not_voted: list[str]
    changes: int


async def details(session: AsyncSession, proposal: Proposal) -> Details:
    alliance = await session.get(Alliance, proposal.alliance_id)
    assert alliance is not None
    now_standing = await standing(session, proposal)
    rows = (await session.execute(
        select(Member.name, Ballot.choices, Ballot.changed)
        .join(Member, Member.id == Ballot.member_id)
        .where(Ballot.proposal_id == proposal.id, _eligible(proposal))
        .order_by(Member.name, Member.id))).all()
    by_option = None
    if not proposal.secret:
        by_option = [[] for _ in proposal.options]
        for name, choices, _changed in rows:
            for choice in decode(choices):
                by_option[choice].append(name)
    not_voted: list[str] = []
    if proposal.status == OPEN:
        voted = select(Ballot.member_id).where(Ballot.proposal_id == proposal.id)
        not_voted = list(await session.scalars(
            select(Member.name).where(_eligible(proposal), Member.id.not_in(voted))
            .order_by(Member.name, Member.id)))
    changes = sum(changed for _name, _choices, changed in rows)
    return Details(proposal, alliance, now_standing, by_option, not_voted, changes)


async def open_proposals(session: AsyncSession, until: datetime | None = None) -> list[Proposal]:
    """Open proposals; with ``until``, only those with a job (reminder or close) before it
    (read through ``ix_proposals_status_closes``)."""
    query = select(Proposal).where(Proposal.status == OPEN)
    if until is not None:
        query = query.where(Proposal.closes_at < until + REMIND_BEFORE)
    return list(await session.scalars(query.order_by(Proposal.id)))


def stored_result(proposal: Proposal) -> Result | None:
    """The outcome recorded at the close (eligibility then), as a ``Result``."""
    data = proposal.result
    if not data:
        return None
    return Result(eligible=data["eligible"], voted=data["voted"],
                  quorum_needed=data["quorum_needed"], counts=tuple(data["counts"]),
                  counted=data["counted"], passed=data["passed"],
                  winners=tuple(data["winners"]), reason=data["reason"])


async def set_card(session: AsyncSession, proposal_id: int, chat_id: int, message_id: int) -> None:
    await session.execute(update(Proposal).where(Proposal.id == proposal_id)
                          .values(chat_id=chat_id, message_id=message_id)
                          .execution_options(synchronize_session=False))
