"""The roster: a member's standing over time — leaving, and a coordinator's suspend, reinstate
and remove — and finding the member a coordinator's command names (PRODUCT.md §2).

Each change is audited; telling the member's people is ``bot.effects.membership.tell_people``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import alliances, audit
from bot.services.errors import DomainError
from bot.services.inputs import capped, row_id
from bot.services.members import ACTIVE, LEFT, REMOVED, SUSPENDED, people_of
from bot.services.membership.fields import NAME_LIMIT, cleaned, valid_reason
from bot.services.membership.lookups import own_member
from storage.models import Member


async def leave(session: AsyncSession, alliance_id: int, person_id: int, now: datetime) -> Member:
    """The member leaves; its rows (referrals, votes, history) stay."""
    member = await own_member(session, alliance_id, person_id)
    member.status, member.status_changed_at, member.updated_at = LEFT, now, now
    member.status_reason = None
    audit.record(session, alliance_id=alliance_id, actor_id=person_id, action="member.left",
                 subject=str(member.id), now=now)
    return member


async def find_member(session: AsyncSession, alliance_id: int, reference: str) -> Member:
    """A member named by ``#id``, id, or a (unique) part of its name."""
    text = cleaned(capped(reference, 4 * NAME_LIMIT, "unknown_member")).lstrip("#")
    if text.isascii() and text.isdigit():
        member_id = row_id(text)
        member = await session.get(Member, member_id) if member_id is not None else None
        if member is not None and member.alliance_id == alliance_id:
            return member
        raise DomainError("unknown_member")
    wanted = text.casefold()
    if not wanted:
        raise DomainError("member_reference_needed")
    if len(wanted) > NAME_LIMIT:
        raise DomainError("unknown_member")
    rows = list(await session.scalars(select(Member).where(Member.alliance_id == alliance_id)))
    exact = [m for m in rows if m.name.casefold() == wanted]
    found = exact or [m for m in rows if wanted in m.name.casefold()]
    if not found:
        raise DomainError("unknown_member")
    if len(found) > 1:
        raise DomainError("ambiguous_member", names=[f"#{m.id} {m.name}" for m in found[:5]])
    return found[0]


async def _coordinated_member(session: AsyncSession, alliance_id: int, coordinator_id: int,
                              member_id: int) -> Member:
    await alliances.require_coordinator(session, alliance_id, coordinator_id)
    member = await session.get(Member, member_id)
    if member is None or member.alliance_id != alliance_id:
        raise DomainError("unknown_member")
    return member


async def suspend(session: AsyncSession, alliance_id: int, coordinator_id: int, member_id: int,
                  reason: str | None, now: datetime) -> Member:
    member = await _coordinated_member(session, alliance_id, coordinator_id, member_id)
    if not reason or not cleaned(reason):
        raise DomainError("reason_needed")
    clean = valid_reason(reason)
    if member.status != ACTIVE:
        raise DomainError("member_not_active", name=member.name)
    member.status, member.status_reason = SUSPENDED, clean
    member.status_changed_at = member.updated_at = now
    audit.record(session, alliance_id=alliance_id, actor_id=coordinator_id,
                 action="member.suspended", subject=str(member.id), details={"reason": clean},
                 now=now)
    return member


async def reinstate(session: AsyncSession, alliance_id: int, coordinator_id: int, member_id: int,
                    now: datetime) -> Member:
    member = await _coordinated_member(session, alliance_id, coordinator_id, member_id)
    if member.status != SUSPENDED:
        raise DomainError("member_not_suspended", name=member.name)
    member.status, member.status_reason = ACTIVE, None
    member.status_changed_at = member.updated_at = now
    audit.record(session, alliance_id=alliance_id, actor_id=coordinator_id,
                 action="member.reinstated", subject=str(member.id), now=now)
    return member


@dataclass(frozen=True, slots=True)
class Removal:
    member: Member
    people: list[int]
    chats: list[int]  # Telegram chat ids to ban the people from (empty unless asked)


async def remove(session: AsyncSession, alliance_id: int, coordinator_id: int, member_id: int,
                 reason: str | None, ban: bool, now: datetime) -> Removal:
    member = await _coordinated_member(session, alliance_id, coordinator_id, member_id)
    if member.status == REMOVED:
        raise DomainError("member_not_active", name=member.name)
    member.status = REMOVED
    member.status_reason = valid_reason(reason) if reason and cleaned(reason) else None
    member.status_changed_at = member.updated_at = now
    people = [p for p in await people_of(session, member.id) if p != coordinator_id]
    chats: list[int] = []
    if ban:
        home = await alliances.home_chat(session, alliance_id)
        chats = [c.tg_chat_id for c in [home, *await alliances.linked_chats(session, alliance_id)]
                 if c is not None and c.active]
    audit.record(session, alliance_id=alliance_id, actor_id=coordinator_id, action="member.removed",
                 subject=str(member.id), details={"ban": ban, "reason": member.status_reason},
                 now=now)
    return Removal(member=member, people=people, chats=chats)
