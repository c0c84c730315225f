"""What coordinators take away: the alliance's tables as rows for a spreadsheet (``/export``)
and the audit log as pages (``/audit``) (PRODUCT.md §7, §8).

Rows are read with ``session.stream`` and yielded one at a time, so a large export is never
held in memory whole: the caller writes each row to its file as it comes. What never leaves
the database here: a referral's customer (name, contact) and who chose what in a vote — a
decision's row carries counts only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.services import alliances
from bot.services.errors import DomainError
from bot.services.membership.lookups import display_name
from storage.models import (
    Alliance,
    AuditEntry,
    Availability,
    Ballot,
    Equipment,
    EquipmentBooking,
    Meeting,
    MeetingSlot,
    Member,
    Person,
    Pledge,
    Proposal,
    Purchase,
    Referral,
    ResourceOffer,
    ResourceRequest,
)

STREAM_CHUNK = 500  # rows fetched from the database at a time
AUDIT_PAGE = 10
AUDIT_MAX_PAGE = 50

Row = dict[str, Any]

# Every export's columns, in order; the views name each in the reader's language.
COLUMNS: dict[str, tuple[str, ...]] = {
    "members": ("id", "name", "category", "region", "services", "contact", "status",
                "joined_at", "status_changed_at", "status_reason"),
    "referrals": ("id", "created_at", "referrer", "receiver", "need", "urgency",
                  "expected_value", "expected_currency", "status", "reason", "answered_at",
                  "closed_at", "won_value", "won_currency", "rating"),
    "decisions": ("id", "title", "kind", "status", "opened_at", "closes_at", "closed_at",
                  "secret", "quorum_pct", "threshold", "eligible", "voted", "tally", "outcome"),
    "meetings": ("id", "title", "status", "starts_at", "slot", "member", "answer"),
    "requests": ("id", "created_at", "member", "kind", "title", "quantity", "unit", "needed_by",
                 "status", "closed_at"),
    "offers": ("id", "request_id", "request", "member", "note", "status", "created_at"),
    "pledges": ("id", "purchase_id", "item", "member", "quantity", "unit", "status", "cost",
                "currency", "updated_at"),
    "bookings": ("id", "item", "member", "starts_at", "ends_at", "status", "picked_up_at",
                 "returned_at", "cancelled_at"),
}
KINDS: tuple[str, ...] = tuple(COLUMNS)


async def coordinated(session: AsyncSession, alliance_id: int, person_id: int | None) -> Alliance:
    """The alliance, if ``person_id`` coordinates it: every export and audit page asks again,
    so forged buttons and stale links get nothing."""
    if person_id is None:
        raise DomainError("coordinators_only")
    alliance = await alliances.get_alliance(session, alliance_id)
    await alliances.require_coordinator(session, alliance_id, person_id)
    return alliance


def check_kind(kind: str) -> str:
    if kind not in COLUMNS:
        raise DomainError("export_unknown")
    return kind


# -- exports ---------------------------------------------------------------------------------------


async def _stream(session: AsyncSession, statement: Select[Any]) -> AsyncIterator[Any]:
    result = await session.stream(statement.execution_options(yield_per=STREAM_CHUNK))
    async for row in result:
        yield row


def _members(alliance_id: int) -> Select[Any]:
    return select(Member).where(Member.alliance_id == alliance_id).order_by(Member.id)


def _member_row(row: Any) -> Row:
    member: Member = row[0]
    return {"id": member.id, "name": member.name, "category": member.category,
            "region": member.region, "services": member.services, "contact": member.contact,
            "status": member.status, "joined_at": member.joined_at or member.created_at,
            "status_changed_at": member.status_changed_at,
            "status_reason": member.status_reason}


def _referrals(alliance_id: int) -> Select[Any]:
    # Named columns only: the customer's name and contact are never selected.
    giver, taker = aliased(Member), aliased(Member)
    return (select(Referral.id, Referral.created_at, giver.name.label("referrer"),
                   taker.name.label("receiver"), Referral.need, Referral.urgency,
                   Referral.expected_value, Referral.expected_currency, Referral.status,
                   Referral.reason, Referral.answered_at, Referral.closed_at, Referral.won_value,
                   Referral.won_currency, Referral.rating)
            .join(giver, giver.id == Referral.referrer_id)
            .join(taker, taker.id == Referral.receiver_id)
            .where(Referral.alliance_id == alliance_id).order_by(Referral.id))


def _named_row(row: Any) -> Row:
    return dict(row._mapping)


def _decisions(alliance_id: int) -> Select[Any]:
    return select(Proposal).where(Proposal.alliance_id == alliance_id).order_by(Proposal.id)


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts per option (indexes into the proposal's options); never who chose them."""

    options: list[str]
    counts: list[int] | None  # None: results stay hidden while the vote is open


async def _open_counts(session: AsyncSession, alliance_id: int) -> dict[int, tuple[int, list[int]]]:
    """Ballots of the open proposals grouped by choice: (voted, counts per option)."""
    rows = await session.execute(
        select(Ballot.proposal_id, Ballot.choices, func.count())
        .join(Proposal, Proposal.id == Ballot.proposal_id)
        .where(Proposal.alliance_id == alliance_id, Proposal.status == "open")
        .group_by(Ballot.proposal_id, Ballot.choices))
    counts: dict[int, tuple[int, list[int]]] = {}
    for proposal_id, choices, n in rows:
        voted, per_option = counts.get(proposal_id, (0, []))
        for choice in (int(c) for c in choices.split(",") if c):
            per_option += [0] * (choice + 1 - len(per_option))
            per_option[choice] += n
        counts[proposal_id] = (voted + n, per_option)
    return counts


def _decision_row(proposal: Proposal, open_counts: dict[int, tuple[int, list[int]]]) -> Row:
    stored = proposal.result or {}
    options = list(proposal.options)
    if proposal.status == "open":
        voted, counts = open_counts.get(proposal.id, (0, []))
        shown = (counts + [0] * len(options))[: len(options)]
        tally = Tally(options, shown if proposal.results_while_open else None)
        eligible, outcome = None, None
    else:
        voted, eligible, outcome = stored.get("voted"), stored.get("eligible"), stored.get("reason")
        tally = Tally(options, [int(n) for n in stored.get("counts", [])])
    return {"id": proposal.id, "title": proposal.title, "kind": proposal.kind,
            "status": proposal.status, "opened_at": proposal.opened_at,
            "closes_at": proposal.closes_at, "closed_at": proposal.closed_at,
            "secret": proposal.secret, "quorum_pct": proposal.quorum_pct,
            "threshold": proposal.threshold, "eligible": eligible, "voted": voted,
            "tally": tally, "outcome": outcome}


def _meetings(alliance_id: int) -> Select[Any]:
    return (select(Meeting.id, Meeting.title, Meeting.status, Meeting.starts_at,
                   MeetingSlot.starts_at.label("slot"), Member.name.label("member"),
                   Availability.answer)
            .outerjoin(MeetingSlot, MeetingSlot.meeting_id == Meeting.id)
            .outerjoin(Availability, Availability.slot_id == MeetingSlot.id)
            .outerjoin(Member, Member.id == Availability.member_id)
            .where(Meeting.alliance_id == alliance_id)
            .order_by(Meeting.id, MeetingSlot.starts_at, Member.name))


def _requests(alliance_id: int) -> Select[Any]:
    return (select(ResourceRequest.id, ResourceRequest.created_at, Member.name.label("member"),
                   ResourceRequest.kind, ResourceRequest.title, ResourceRequest.quantity,
                   ResourceRequest.unit, ResourceRequest.needed_by, ResourceRequest.status,
                   ResourceRequest.closed_at)
            .join(Member, Member.id == ResourceRequest.requester_id)
            .where(ResourceRequest.alliance_id == alliance_id).order_by(ResourceRequest.id))


def _offers(alliance_id: int) -> Select[Any]:
    return (select(ResourceOffer.id, ResourceOffer.request_id,
                   ResourceRequest.title.label("request"), Member.name.label("member"),
                   ResourceOffer.note, ResourceOffer.status, ResourceOffer.created_at)
            .join(ResourceRequest, ResourceRequest.id == ResourceOffer.request_id)
            .join(Member, Member.id == ResourceOffer.member_id)
            .where(ResourceRequest.alliance_id == alliance_id).order_by(ResourceOffer.id))


def _pledges(alliance_id: int) -> Select[Any]:
    return (select(Pledge.id, Pledge.purchase_id, Purchase.item, Member.name.label("member"),
                   Pledge.quantity, Purchase.unit, Pledge.status, Pledge.cost,
                   Purchase.currency, Pledge.updated_at)
            .join(Purchase, Purchase.id == Pledge.purchase_id)
            .join(Member, Member.id == Pledge.member_id)
            .where(Purchase.alliance_id == alliance_id).order_by(Pledge.id))


def _bookings(alliance_id: int) -> Select[Any]:
    return (select(EquipmentBooking.id, Equipment.name.label("item"), Member.name.label("member"),
                   EquipmentBooking.starts_at, EquipmentBooking.ends_at, EquipmentBooking.status,
                   EquipmentBooking.picked_up_at, EquipmentBooking.returned_at,
                   EquipmentBooking.cancelled_at)
            .join(Equipment, Equipment.id == EquipmentBooking.equipment_id)
            .join(Member, Member.id == EquipmentBooking.member_id)
            .where(Equipment.alliance_id == alliance_id).order_by(EquipmentBooking.id))


_PLAIN: dict[str, tuple[Callable[[int], Select[Any]], Callable[[Any], Row]]] = {
    "members": (_members, _member_row),
    "referrals": (_referrals, _named_row),
    "meetings": (_meetings, _named_row),
    "requests": (_requests, _named_row),
    "offers": (_offers, _named_row),
    "pledges": (_pledges, _named_row),
    "bookings": (_bookings, _named_row),
}


async def rows(session: AsyncSession, alliance_id: int, kind: str) -> AsyncIterator[Row]:
    """The export ``kind`` of the alliance, one row (column name → value) at a time."""
    check_kind(kind)
    if kind == "decisions":
        open_counts = await _open_counts(session, alliance_id)
        async for row in _stream(session, _decisions(alliance_id)):
            yield _decision_row(row[0], open_counts)
        return
    query, shape = _PLAIN[kind]
    async for row in _stream(session, query(alliance_id)):
        yield shape(row)


# -- the audit log ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of the log, newest first, with the names its entries mention (people by
    Telegram id, members and proposals by id); a forgotten person has no name."""

    entries: list[AuditEntry]
    offset: int
    size: int
    total: int
    people: dict[int, str]
    members: dict[int, str]
    proposals: dict[int, str]

    @property
    def has_older(self) -> bool:
        return self.offset + self.size < self.total


def page_size(requested: int | None) -> int:
    if requested is None:
        return AUDIT_PAGE
    if not 1 <= requested <= AUDIT_MAX_PAGE:
        raise DomainError("audit_bad_size", maximum=AUDIT_MAX_PAGE)
    return requested


def _ids(values: Sequence[str | int | None]) -> set[int]:
    found = set()
    for value in values:
        text = str(value) if value is not None else ""
        if text.lstrip("-").isdigit() and len(text) <= 19:
            found.add(int(text))
    return found




async def _names(session: AsyncSession, model: Any, column: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    found = await session.execute(select(model.id, column).where(model.id.in_(ids)))
    return {row_id: name for row_id, name in found if name}


async def audit_page(session: AsyncSession, alliance_id: int, offset: int, size: int
                     ) -> AuditPage:
    """The log's entries ``offset`` … ``offset + size`` (newest first) and the names they
    mention, resolved in three queries whatever the page holds."""
    offset = max(0, offset)
    total = await session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.alliance_id == alliance_id)) or 0
    entries = list(await session.scalars(
        select(AuditEntry).where(AuditEntry.alliance_id == alliance_id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).offset(offset).limit(size)))
    person_ids = _ids([e.actor_id for e in entries])
    person_ids |= _ids([e.subject for e in entries if e.action.startswith("coordinator.")
                        or e.action == "team.removed"])
    person_ids |= _ids([(e.details or {}).get("person_id") for e in entries])
    member_ids = _ids([e.subject for e in entries if e.action.startswith("member.")
                       or e.action == "team.joined"])
    member_ids |= _ids([(e.details or {}).get("member_id") for e in entries])
    proposal_ids = _ids([e.subject for e in entries if e.action.startswith("proposal.")])
    people: dict[int, str] = {}
    if person_ids:
        for person in await session.scalars(select(Person).where(Person.id.in_(person_ids))):
            name = display_name(person)
            if name:
                people[person.id] = name
    return AuditPage(entries=entries, offset=offset, size=size, total=total, people=people,
                     members=await _names(session, Member, Member.name, member_ids),
                     proposals=await _names(session, Proposal, Proposal.title, proposal_ids))
